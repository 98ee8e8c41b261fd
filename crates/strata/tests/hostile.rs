//! The hostile corpus (issue "Foundation" §6): each malformed or malicious image must give a
//! one-line error naming the file or digest, a non-zero exit that is not a panic, and bounded
//! memory. The corpus is generated here, in a temp dir.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

mod common;
use common::build::{config_for, gzip, layer, legacy, raw_name, sha};

fn strata() -> Command {
    common::strata_cmd()
}

/// An OCI layout directory with one image; `layer_blobs` are stored as given with `media`.
fn oci(
    dir: &Path,
    name: &str,
    layer_blobs: &[(Vec<u8>, String, &str)],
    config: Option<Value>,
    config_media: &str,
) -> PathBuf {
    let root = dir.join(name);
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |b: &[u8]| -> String {
        let d = sha(b);
        std::fs::write(blobs.join(&d[7..]), b).expect("blob");
        d
    };
    let diff_ids: Vec<String> = layer_blobs.iter().map(|(_, d, _)| d.clone()).collect();
    let cfg = serde_json::to_vec(&config.unwrap_or_else(|| config_for(&diff_ids))).expect("json");
    let cfg_d = put(&cfg);
    let layers: Vec<Value> = layer_blobs
        .iter()
        .map(|(b, _, media)| json!({"mediaType": media, "digest": put(b), "size": b.len()}))
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": config_media, "digest": cfg_d, "size": cfg.len()},
        "layers": layers,
    }))
    .expect("json");
    let md = put(&manifest);
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("w");
    std::fs::write(
        root.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len(),
             "annotations": {"org.opencontainers.image.ref.name": "1"}}]}))
        .expect("json"),
    )
    .expect("w");
    root
}

struct Case {
    /// What every command is given (`docker-archive:…`, `oci:…`).
    location: String,
    /// What `load -i` is given.
    file: PathBuf,
    /// Text every error line must contain (the file, digest or reason).
    expect: Vec<String>,
}

/// Runs strata under a 1 GiB address-space limit and a time limit, with its own TMPDIR,
/// cache and store.
fn bounded(d: &Path, args: &[String]) -> std::process::Output {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1048576; exec timeout 120 '{}' {}",
            common::STRATA,
            quoted.join(" ")
        ))
        .env("TMPDIR", d.join("tmp"))
        .env("XDG_CACHE_HOME", d.join("cache"))
        .env("STRATA_ROOT", d.join("store"))
        .output()
        .expect("spawn")
}

fn names_in(p: &Path) -> Vec<String> {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every command refuses the case: one line holding the expected text, exit 1, no panic,
/// bounded memory and time; nothing written (the canary directory stays empty, TMPDIR is
/// left clean, no export file, no unpacked file, no image in the store).
fn check_all(case: &Case, d: &Path) -> Result<(), String> {
    for sub in ["tmp", "canary", "out"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    let img = case.location.clone();
    let export = d.join("out/export.tar").display().to_string();
    let rootfs = d.join("out/rootfs").display().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec!["inspect".into(), img.clone()],
        vec!["ls".into(), "-R".into(), img.clone()],
        vec!["cat".into(), img.clone(), "/etc/hi".into()],
        vec!["export".into(), "-o".into(), export.clone(), img.clone()],
        vec!["unpack".into(), img.clone(), rootfs.clone()],
        vec!["load".into(), "-i".into(), case.file.display().to_string()],
    ];
    let mut problems = Vec::new();
    for args in &runs {
        let o = bounded(d, args);
        let err = String::from_utf8_lossy(&o.stderr);
        let cmd = &args[0];
        if o.status.code() != Some(1) {
            problems.push(format!("{cmd}: exit {:?} (want 1): {err}", o.status.code()));
            continue;
        }
        if err.contains("panicked") || err.trim().lines().count() != 1 {
            problems.push(format!("{cmd}: want one error line, got {err:?}"));
            continue;
        }
        // load names what it could not read from the archive's point of view.
        if cmd != "load" {
            for e in &case.expect {
                if !err.contains(e.as_str()) {
                    problems.push(format!("{cmd}: error line lacks {e:?}: {err:?}"));
                }
            }
        }
        let out = String::from_utf8_lossy(&o.stdout);
        let want_out = if cmd == "inspect" { "[]\n" } else { "" };
        if out != want_out {
            problems.push(format!("{cmd}: stdout {out:?}, want {want_out:?}"));
        }
    }
    // unpack from the store: the refused load left no image to unpack.
    let o = bounded(
        d,
        &[
            "unpack".into(),
            "hostile/x:1".into(),
            d.join("out/from-store").display().to_string(),
        ],
    );
    if o.status.code() != Some(1) {
        problems.push(format!("unpack from the store: exit {:?}", o.status.code()));
    }
    let images = bounded(d, &["images".into(), "-q".into()]);
    if !images.stdout.is_empty() {
        problems.push(format!("the store holds images: {:?}", images.stdout));
    }
    for (dir, what) in [("tmp", "TMPDIR"), ("canary", "the canary directory")] {
        let left = names_in(&d.join(dir));
        if !left.is_empty() {
            problems.push(format!("{what} is not empty: {left:?}"));
        }
    }
    let out = names_in(&d.join("out"));
    let rootfs_empty = names_in(&d.join("out/rootfs")).is_empty();
    if out.iter().any(|n| n == "export.tar")
        || !rootfs_empty
        || out.iter().any(|n| n == "from-store")
    {
        problems.push(format!("output left behind: {out:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

fn good() -> Vec<u8> {
    layer(&[("etc/", 'd', ""), ("etc/hi", 'f', "hi\n")])
}

fn archive_case(p: PathBuf, expect: Vec<String>) -> Case {
    Case {
        location: format!("docker-archive:{}", p.display()),
        file: p,
        expect,
    }
}

fn oci_case(p: PathBuf, expect: Vec<String>) -> Case {
    Case {
        location: format!("oci:{}", p.display()),
        file: p,
        expect,
    }
}

/// A gzip layer whose first entry is a special header (PAX `x`, GNU `L`) with a body of
/// `size` bytes that are really there: whoever reads such a header whole needs `size` bytes
/// of memory (the reader must refuse on the header alone).
fn huge_special(flag: u8, size: u64) -> (Vec<u8>, String) {
    use sha2::Digest as _;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::new(flag));
    h.set_size(size);
    h.set_mode(0o644);
    raw_name(&mut h, "././@LongLink");
    h.set_cksum();
    let mut diff = sha2::Sha256::new();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut put = |b: &[u8]| {
        diff.update(b);
        gz.write_all(b).expect("gz");
    };
    put(h.as_bytes());
    // A PAX record as long as the body ("%d comment=…\n"), so it is even well-formed.
    let chunk = vec![b'a'; 1 << 20];
    let mut left = size;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        put(&chunk[..k]);
        left -= k as u64;
    }
    put(&[0u8; 1024]);
    let d = format!("sha256:{}", common::build::hex(&diff.finalize()));
    (gz.finish().expect("gz"), d)
}

fn build(name: &str, d: &Path) -> Case {
    match name {
        // A hardlink must name a file of its own layer (`..` and `/` names, and symlinks
        // pointing anywhere, are valid: tests/verdicts.rs).
        "hardlink_escape" => archive_case(
            legacy(
                d,
                "x.tar",
                &[layer(&[("h", 'h', "../../etc/passwd")])],
                |_, _| {},
            ),
            vec![s("\"h\""), s("not in this layer")],
        ),
        "manifest_names_dotdot" => archive_case(
            legacy(d, "x.tar", &[good()], |_, e| {
                e["Layers"] = json!(["../../etc/passwd"])
            }),
            vec![s("../../etc/passwd")],
        ),
        "manifest_names_an_absolute_path" => archive_case(
            legacy(d, "x.tar", &[good()], |_, e| {
                e["Layers"] = json!(["/etc/passwd"])
            }),
            vec![s("/etc/passwd")],
        ),
        "manifest_names_an_absent_file" => archive_case(
            legacy(d, "x.tar", &[good()], |_, e| {
                e["Layers"] = json!(["nothere/layer.tar"])
            }),
            vec![s("nothere/layer.tar"), s("not found")],
        ),
        "diff_id_mismatch" => archive_case(
            legacy(d, "x.tar", &[good()], |c, _| {
                c["rootfs"]["diff_ids"] = json!([sha(b"other")])
            }),
            vec![sha(b"other"), sha(&good())],
        ),
        "config_digest_mismatch" => archive_case(
            legacy(d, "x.tar", &[good()], |_, e| {
                e["Config"] = json!(format!("blobs/sha256/{}", &sha(b"x")[7..]))
            }),
            vec![sha(b"x")],
        ),
        "truncated_tar" => {
            let whole = std::fs::read(legacy(
                d,
                "whole.tar",
                &[layer(&[("f", 'f', &"y".repeat(5000))])],
                |_, _| {},
            ))
            .expect("read");
            let cut = d.join("x.tar");
            std::fs::write(&cut, &whole[..whole.len() / 2]).expect("w");
            std::fs::remove_file(d.join("whole.tar")).expect("rm");
            archive_case(cut, vec![s("x.tar")])
        }
        "truncated_gzip_layer" | "truncated_zstd_layer" => {
            let big = layer(&[("f", 'f', &"z".repeat(200_000))]);
            let (blob, media) = if name.contains("gzip") {
                (gzip(&big), "application/vnd.oci.image.layer.v1.tar+gzip")
            } else {
                (
                    zstd::encode_all(&big[..], 3).expect("zstd"),
                    "application/vnd.oci.image.layer.v1.tar+zstd",
                )
            };
            oci_case(
                oci(
                    d,
                    "x",
                    &[(blob[..blob.len() / 2].to_vec(), sha(&big), media)],
                    None,
                    OCI_CONFIG,
                ),
                vec![s("layer sha256:")],
            )
        }
        "unknown_media_type" => oci_case(
            oci(
                d,
                "x",
                &[(good(), sha(&good()), "application/x-mystery")],
                None,
                OCI_CONFIG,
            ),
            vec![s("application/x-mystery")],
        ),
        "oci_artifact" => oci_case(
            oci(
                d,
                "x",
                &[],
                Some(json!({})),
                "application/vnd.cncf.helm.config.v1+json",
            ),
            vec![s("not a container image"), s("helm")],
        ),
        "config_over_4_mib" => oci_case(
            oci(
                d,
                "x",
                &[],
                Some(
                    json!({"rootfs": {"type": "layers", "diff_ids": []}, "pad": "x".repeat(5 << 20)}),
                ),
                OCI_CONFIG,
            ),
            vec![s("limit")],
        ),
        "malformed_manifest_json" => {
            let p = legacy(d, "x.tar", &[good()], |_, _| {});
            let mut bytes = std::fs::read(&p).expect("read");
            if let Some(pos) = bytes.windows(9).position(|w| w == b"\"Layers\":") {
                bytes[pos] = b'{';
            }
            std::fs::write(&p, &bytes).expect("w");
            archive_case(p, vec![s("manifest.json"), s("invalid JSON")])
        }
        "empty_file" => {
            let p = d.join("x.tar");
            std::fs::write(&p, b"").expect("w");
            archive_case(p, vec![s("x.tar"), s("empty")])
        }
        "not_a_tar" => {
            let p = d.join("x.tar");
            std::fs::write(&p, b"this is not an archive at all").expect("w");
            archive_case(p, vec![s("x.tar")])
        }
        // 1100 gzip members of 1 MiB of zeros each: a tar's end, then a stream that goes on.
        "gzip_bomb" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&vec![0u8; 1 << 20]).expect("gz");
            let member = e.finish().expect("gz");
            oci_case(
                oci(
                    d,
                    "x",
                    &[(
                        member.repeat(1100),
                        sha(b"never"),
                        "application/vnd.oci.image.layer.v1.tar+gzip",
                    )],
                    None,
                    OCI_CONFIG,
                ),
                vec![s("layer sha256:"), s("decompression bomb")],
            )
        }
        // A PAX header of 1.5 GiB (Go refuses special headers over 1 MiB): read whole, it
        // would take 1.5 GiB of memory, more than the 1 GiB these runs may have.
        "huge_pax_header" | "huge_gnu_long_name" => {
            let flag = if name.contains("pax") { b'x' } else { b'L' };
            let (blob, diff) = huge_special(flag, 3 << 29);
            oci_case(
                oci(
                    d,
                    "x",
                    &[(blob, diff, "application/vnd.oci.image.layer.v1.tar+gzip")],
                    None,
                    OCI_CONFIG,
                ),
                vec![
                    s(if flag == b'x' {
                        "PAX header"
                    } else {
                        "GNU long name"
                    }),
                    s("exceeds the limit"),
                ],
            )
        }
        // A blob that is a FIFO would block whoever opens it.
        "fifo_as_a_blob" => {
            let p = oci(
                d,
                "x",
                &[(
                    good(),
                    sha(&good()),
                    "application/vnd.oci.image.layer.v1.tar",
                )],
                None,
                OCI_CONFIG,
            );
            let blob = p.join("blobs/sha256").join(&sha(&good())[7..]);
            std::fs::remove_file(&blob).expect("rm");
            let o = Command::new("mkfifo").arg(&blob).output().expect("mkfifo");
            assert!(o.status.success());
            oci_case(p, vec![s("not a regular file")])
        }
        "negative_config_size" => {
            let p = oci(d, "x", &[], None, OCI_CONFIG);
            let index: Value =
                serde_json::from_slice(&std::fs::read(p.join("index.json")).expect("r"))
                    .expect("j");
            let md = index["manifests"][0]["digest"].as_str().expect("d")[7..].to_string();
            let mpath = p.join("blobs/sha256").join(&md);
            let mut m: Value =
                serde_json::from_slice(&std::fs::read(&mpath).expect("r")).expect("j");
            m["config"]["size"] = json!(-5);
            let mb = serde_json::to_vec(&m).expect("j");
            let nd = sha(&mb);
            std::fs::write(p.join("blobs/sha256").join(&nd[7..]), &mb).expect("w");
            let mut index = index;
            index["manifests"][0]["digest"] = json!(nd);
            index["manifests"][0]["size"] = json!(mb.len());
            std::fs::write(p.join("index.json"), serde_json::to_vec(&index).expect("j"))
                .expect("w");
            oci_case(p, vec![s("negative size (-5)")])
        }
        other => panic!("no hostile case {other}"),
    }
}

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

macro_rules! hostile {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let tmp = tempfile::tempdir().expect("tempdir");
                let case = build(stringify!($name), tmp.path());
                if let Err(e) = check_all(&case, tmp.path()) {
                    panic!("{}:\n{e}", stringify!($name));
                }
            }
        )*
    };
}

hostile!(
    hardlink_escape,
    manifest_names_dotdot,
    manifest_names_an_absolute_path,
    manifest_names_an_absent_file,
    diff_id_mismatch,
    config_digest_mismatch,
    truncated_tar,
    truncated_gzip_layer,
    truncated_zstd_layer,
    unknown_media_type,
    oci_artifact,
    config_over_4_mib,
    malformed_manifest_json,
    empty_file,
    not_a_tar,
    gzip_bomb,
    huge_pax_header,
    huge_gnu_long_name,
    fifo_as_a_blob,
    negative_config_size,
);

#[test]
fn nothing_is_written_next_to_the_archive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = legacy(
        tmp.path(),
        "evil.tar",
        &[layer(&[
            ("../../escape", 'f', "x"),
            ("/abs-escape", 'f', "y"),
        ])],
        |_, _| {},
    );
    let img = format!("docker-archive:{}", p.display());
    let dest = tmp.path().join("out");
    for args in [
        vec!["inspect".to_string(), img.clone()],
        vec![
            "unpack".to_string(),
            img.clone(),
            dest.display().to_string(),
        ],
    ] {
        let o = strata().args(&args).output().expect("run");
        assert!(o.status.success(), "strata {args:?}: {:?}", o.stderr);
    }
    let mut names: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["evil.tar", "out"],
        "strata wrote files beside the archive"
    );
    // `..` stops at the image root, as in Docker's chrooted unpack.
    let mut inside: Vec<_> = std::fs::read_dir(&dest)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, ["abs-escape", "escape"]);
    assert!(
        !tmp.path()
            .parent()
            .map(|p| p.join("escape").exists())
            .unwrap_or(false)
    );
}

#[test]
fn writes_under_an_earlier_symlink_land_in_a_directory_as_on_the_daemon() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    let target = outside.display().to_string();
    // Layer 1: a symlink to a directory outside; layer 2: a file written "through" it. Each
    // layer is unpacked into its own empty directory, so layer 2 makes a real directory `lnk`,
    // which overlayfs shows instead of the lower symlink (docker export shows `lnk/` and
    // `lnk/pwned`).
    let p = legacy(
        tmp.path(),
        "through.tar",
        &[
            layer(&[("lnk", 's', &target), ("rel", 's', "lnk")]),
            layer(&[("lnk/pwned", 'f', "owned"), ("rel/pwned2", 'f', "owned")]),
        ],
        |_, _| {},
    );
    let img = format!("docker-archive:{}", p.display());
    let dest = tmp.path().join("unpacked");
    let exported = tmp.path().join("e.tar");
    let run = |args: &[&str]| {
        let o = strata().args(args).output().expect("run");
        assert!(
            o.status.success(),
            "strata {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    run(&["unpack", &img, &dest.display().to_string()]);
    run(&["export", "-o", &exported.display().to_string(), &img]);
    assert_eq!(run(&["cat", &img, "/lnk/pwned"]), b"owned");
    let listing = String::from_utf8(run(&["ls", "-R", &img])).expect("utf8");
    assert_eq!(listing, "/lnk\n/lnk/pwned\n/rel\n/rel/pwned2\n");
    assert!(
        std::fs::symlink_metadata(dest.join("lnk"))
            .expect("lnk")
            .is_dir()
    );
    assert_eq!(
        std::fs::read(dest.join("lnk/pwned")).expect("read"),
        b"owned"
    );
    let mut names = Vec::new();
    let mut a = tar::Archive::new(std::fs::File::open(&exported).expect("open"));
    for e in a.entries().expect("entries") {
        let e = e.expect("entry");
        names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned());
    }
    assert_eq!(names, ["lnk/", "lnk/pwned", "rel/", "rel/pwned2"]);
    assert_eq!(
        std::fs::read_dir(&outside).expect("ls").count(),
        0,
        "something was written outside"
    );
}

/// 1000 layers: cat, export, unpack and ls -R work within 1 GiB of address space (layers are
/// read by a bounded pool, not a thread each).
#[test]
fn a_thousand_layers_fit_in_a_gibibyte() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::create_dir_all(d.join("tmp")).expect("mkdir");
    let layers: Vec<Vec<u8>> = (0..1000)
        .map(|i| {
            let body = format!("layer {i}\n");
            layer(&[(&format!("f{i:04}"), 'f', &body), ("last", 'f', &body)])
        })
        .collect();
    let p = legacy(d, "many.tar", &layers, |_, _| {});
    let img = format!("docker-archive:{}", p.display());
    let runs: Vec<Vec<String>> = vec![
        vec!["cat".into(), img.clone(), "/last".into()],
        vec![
            "export".into(),
            "-o".into(),
            d.join("e.tar").display().to_string(),
            img.clone(),
        ],
        vec![
            "unpack".into(),
            img.clone(),
            d.join("rootfs").display().to_string(),
        ],
        vec!["ls".into(), "-R".into(), img.clone()],
    ];
    for args in runs {
        let o = bounded(d, &args);
        assert!(
            o.status.success(),
            "strata {}: {}",
            args[0],
            String::from_utf8_lossy(&o.stderr)
        );
        if args[0] == "cat" {
            assert_eq!(o.stdout, b"layer 999\n");
        }
    }
    assert_eq!(names_in(&d.join("rootfs")).len(), 1001);
}
