//! The hostile corpus (issue "Foundation" §6): each malformed or malicious image must give a
//! one-line error naming the file or digest, a non-zero exit that is not a panic, and bounded
//! memory. The corpus is generated here, in a temp dir.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

mod common;
use common::build::{config_for, gzip, layer, legacy, sha};

fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
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
    name: &'static str,
    location: String,
    /// Text the error line must contain (the file, digest or reason).
    expect: Vec<String>,
}

fn check(case: &Case, limit_mem: bool) -> Result<(), String> {
    let out = if limit_mem {
        // Bounded memory: 512 MiB of address space is far less than the bomb expands to.
        Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ulimit -v 524288; exec '{}' inspect '{}'",
                env!("CARGO_BIN_EXE_strata"),
                case.location
            ))
            .output()
    } else {
        strata().arg("inspect").arg(&case.location).output()
    }
    .map_err(|e| format!("{}: spawn: {e}", case.name))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    if code != Some(1) {
        return Err(format!(
            "{}: exit {code:?} (want 1), stderr: {stderr}",
            case.name
        ));
    }
    if stderr.contains("panicked") || stderr.trim().lines().count() != 1 {
        return Err(format!(
            "{}: want exactly one error line, got: {stderr:?}",
            case.name
        ));
    }
    for e in &case.expect {
        if !stderr.contains(e.as_str()) {
            return Err(format!("{}: error line lacks {e:?}: {stderr:?}", case.name));
        }
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout != "[]\n" {
        return Err(format!(
            "{}: stdout should be Docker's empty `[]`, got {stdout:?}",
            case.name
        ));
    }
    // The merge engine reads the same input: no panic, and a failure is one line. (Some
    // cases are fine for it: a symlink pointing outside is only listed, never followed.)
    let fs = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v 524288; exec '{}' ls -R '{}'",
            env!("CARGO_BIN_EXE_strata"),
            case.location
        ))
        .output()
        .map_err(|e| format!("{}: spawn: {e}", case.name))?;
    let fs_err = String::from_utf8_lossy(&fs.stderr);
    let ok_exit = matches!(fs.status.code(), Some(0) | Some(1));
    if !ok_exit
        || fs_err.contains("panicked")
        || (fs.status.code() == Some(1) && fs_err.trim().lines().count() != 1)
    {
        return Err(format!(
            "{}: ls -R: exit {:?}, stderr {fs_err:?}",
            case.name,
            fs.status.code()
        ));
    }
    Ok(())
}

#[test]
fn hostile_corpus_gives_one_line_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let good = layer(&[("etc/", 'd', ""), ("etc/hi", 'f', "hi\n")]);
    let s = |x: &str| x.to_string();
    let mut cases = Vec::new();

    // Member names with `..` or a leading `/`, and symlinks pointing anywhere, are valid
    // (Docker unpacks chrooted): see tests/verdicts.rs. A hardlink must name a file of its own
    // layer.
    let p = legacy(
        d,
        "hardlink-escape.tar",
        &[layer(&[("h", 'h', "../../etc/passwd")])],
        |_, _| {},
    );
    cases.push(Case {
        name: "hardlink escape",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![s("\"h\""), s("not in this layer")],
    });
    let p = legacy(
        d,
        "manifest-dotdot.tar",
        std::slice::from_ref(&good),
        |_, e| e["Layers"] = json!(["../../etc/passwd"]),
    );
    cases.push(Case {
        name: "manifest names ..",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![s("../../etc/passwd")],
    });
    let p = legacy(
        d,
        "manifest-abs.tar",
        std::slice::from_ref(&good),
        |_, e| e["Layers"] = json!(["/etc/passwd"]),
    );
    cases.push(Case {
        name: "manifest names absolute",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![s("/etc/passwd")],
    });
    let p = legacy(
        d,
        "manifest-absent.tar",
        std::slice::from_ref(&good),
        |_, e| e["Layers"] = json!(["nothere/layer.tar"]),
    );
    cases.push(Case {
        name: "manifest names absent file",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![s("nothere/layer.tar"), s("not found")],
    });
    let p = legacy(
        d,
        "diffid-mismatch.tar",
        std::slice::from_ref(&good),
        |c, _| c["rootfs"]["diff_ids"] = json!([sha(b"other")]),
    );
    cases.push(Case {
        name: "diff ID mismatch",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![sha(b"other"), sha(&good)],
    });
    let p = legacy(
        d,
        "config-digest-mismatch.tar",
        std::slice::from_ref(&good),
        |_, e| e["Config"] = json!(format!("blobs/sha256/{}", &sha(b"x")[7..])),
    );
    cases.push(Case {
        name: "config digest mismatch",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![sha(b"x")],
    });

    // Truncated archive: cut the good archive in the middle of its layer.
    let whole = std::fs::read(legacy(
        d,
        "whole.tar",
        &[layer(&[("f", 'f', &"y".repeat(5000))])],
        |_, _| {},
    ))
    .expect("read");
    let cut = d.join("truncated.tar");
    std::fs::write(&cut, &whole[..whole.len() / 2]).expect("w");
    cases.push(Case {
        name: "truncated tar",
        location: format!("docker-archive:{}", cut.display()),
        expect: vec![s("truncated.tar")],
    });

    // Truncated gzip and zstd layers in an OCI layout.
    let big = layer(&[("f", 'f', &"z".repeat(200_000))]);
    let gz = gzip(&big);
    let p = oci(
        d,
        "trunc-gzip",
        &[(
            gz[..gz.len() / 2].to_vec(),
            sha(&big),
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )],
        None,
        "application/vnd.oci.image.config.v1+json",
    );
    cases.push(Case {
        name: "truncated gzip layer",
        location: format!("oci:{}", p.display()),
        expect: vec![s("layer sha256:")],
    });
    let zs = zstd::encode_all(&big[..], 3).expect("zstd");
    let p = oci(
        d,
        "trunc-zstd",
        &[(
            zs[..zs.len() / 2].to_vec(),
            sha(&big),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        )],
        None,
        "application/vnd.oci.image.config.v1+json",
    );
    cases.push(Case {
        name: "truncated zstd layer",
        location: format!("oci:{}", p.display()),
        expect: vec![s("layer sha256:")],
    });
    // Wrong bytes under a blob name.
    let blob_path = p.join("blobs/sha256");
    let _ = blob_path;

    // Unknown layer media type; an OCI artifact; oversized config JSON; malformed JSON.
    let p = oci(
        d,
        "unknown-media",
        &[(good.clone(), sha(&good), "application/x-mystery")],
        None,
        "application/vnd.oci.image.config.v1+json",
    );
    cases.push(Case {
        name: "unknown media type",
        location: format!("oci:{}", p.display()),
        expect: vec![s("application/x-mystery")],
    });
    let p = oci(
        d,
        "artifact",
        &[],
        Some(json!({})),
        "application/vnd.cncf.helm.config.v1+json",
    );
    cases.push(Case {
        name: "OCI artifact",
        location: format!("oci:{}", p.display()),
        expect: vec![s("not a container image"), s("helm")],
    });
    let huge = json!({"rootfs": {"type": "layers", "diff_ids": []}, "pad": "x".repeat(5 << 20)});
    let p = oci(
        d,
        "huge-config",
        &[],
        Some(huge),
        "application/vnd.oci.image.config.v1+json",
    );
    cases.push(Case {
        name: "config over 4 MiB",
        location: format!("oci:{}", p.display()),
        expect: vec![s("limit")],
    });
    let p = legacy(d, "bad-json.tar", std::slice::from_ref(&good), |_, _| {});
    let mut bytes = std::fs::read(&p).expect("read");
    if let Some(pos) = bytes.windows(9).position(|w| w == b"\"Layers\":") {
        bytes[pos] = b'{';
    }
    std::fs::write(&p, &bytes).expect("w");
    cases.push(Case {
        name: "malformed manifest.json",
        location: format!("docker-archive:{}", p.display()),
        expect: vec![s("manifest.json"), s("invalid JSON")],
    });

    // Empty file, and a file that is not a tar.
    let empty = d.join("empty.tar");
    std::fs::write(&empty, b"").expect("w");
    cases.push(Case {
        name: "empty file",
        location: format!("docker-archive:{}", empty.display()),
        expect: vec![s("empty.tar"), s("empty")],
    });
    let junk = d.join("junk.tar");
    std::fs::write(&junk, b"this is not an archive at all").expect("w");
    cases.push(Case {
        name: "not a tar",
        location: format!("docker-archive:{}", junk.display()),
        expect: vec![s("junk.tar")],
    });

    let mut failures: Vec<String> = cases.iter().filter_map(|c| check(c, false).err()).collect();

    // gzip bomb: 1100 gzip members of 1 MiB of zeros each (about 1030:1 overall).
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 1 << 20]).expect("gz");
    let member = e.finish().expect("gz");
    let bomb = member.repeat(1100);
    let p = oci(
        d,
        "bomb",
        &[(
            bomb,
            sha(b"never"),
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )],
        None,
        "application/vnd.oci.image.config.v1+json",
    );
    let bomb_case = Case {
        name: "gzip bomb",
        location: format!("oci:{}", p.display()),
        expect: vec![s("layer sha256:"), s("decompression bomb")],
    };
    if let Err(e) = check(&bomb_case, true) {
        failures.push(e);
    }
    assert!(
        failures.is_empty(),
        "hostile cases failed:\n{}",
        failures.join("\n")
    );
}

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
