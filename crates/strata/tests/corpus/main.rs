//! strata against what Docker printed for the corpus (scripts/corpus.sh): real images built by
//! the daemon from real software (debootstrap roots, apt, pip, npm, setcap, BuildKit,
//! multi-stage, FROM scratch, docker commit, 65 layers) and the small fixtures. One named test
//! per (image, check), so a failure says which comparison broke and nextest runs them in
//! parallel.
//!
//! `STRATA_CORPUS` names the corpus directory (scripts/test.sh builds it and sets it); without
//! it the tests are skipped, except under `CI=true`, where they fail. Tests that need a live
//! daemon (`docker load` of `strata save` output, `strata push` then `docker pull`) use
//! `STRATA_DOCKER_HOST`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../common/mod.rs"]
mod common;
mod helpers;

use helpers::*;

use common::STRATA;

fn corpus() -> Option<PathBuf> {
    match std::env::var("STRATA_CORPUS") {
        Ok(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI=true but STRATA_CORPUS is not set (scripts/test.sh builds the corpus)"
            );
            eprintln!("SKIP: STRATA_CORPUS not set (run scripts/test.sh)");
            None
        }
    }
}

macro_rules! corpus_or_skip {
    () => {
        match corpus() {
            Some(c) => c,
            None => return,
        }
    };
}

struct Case {
    name: String,
    reference: String,
    tar: String,
}

fn case(c: &Path, name: &str) -> Case {
    let text = fs::read_to_string(c.join("cases.txt")).expect("cases.txt");
    text.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f[0] == name)
        .map(|f| Case {
            name: f[0].into(),
            reference: f[1].into(),
            tar: f[2].into(),
        })
        .unwrap_or_else(|| panic!("no case {name} in the corpus"))
}

fn all_tars(c: &Path) -> Vec<String> {
    let text = fs::read_to_string(c.join("cases.txt")).expect("cases.txt");
    let mut t: Vec<String> = text
        .lines()
        .map(|l| l.split('\t').nth(2).unwrap().to_string())
        .collect();
    t.dedup();
    t
}

struct DockerCmd {
    relative: bool,
    args: Vec<String>,
}

fn command(c: &Path, file: &str) -> DockerCmd {
    let text = fs::read_to_string(c.join("commands.txt")).expect("commands.txt");
    text.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f[0] == file)
        .map(|f| DockerCmd {
            relative: f[1] == "1",
            args: f[2..].iter().map(|s| s.to_string()).collect(),
        })
        .unwrap_or_else(|| panic!("no command {file} in commands.txt"))
}

/// strata's arguments for a docker command line (without the image).
fn strata_args(docker_args: &[String]) -> Vec<String> {
    match docker_args {
        [a, b, rest @ ..] if a == "image" && b == "inspect" => {
            std::iter::once("inspect".to_string())
                .chain(rest.iter().cloned())
                .collect()
        }
        other => other.to_vec(),
    }
}

/// A cache and store per build of strata, so a new binary never reads an older one's state.
fn work_dir(what: &str) -> PathBuf {
    let meta = fs::metadata(STRATA).unwrap();
    let stamp = format!(
        "{}-{:?}",
        meta.len(),
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
    );
    let h = &sha256_hex(stamp.as_bytes())[..12];
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("corpus-{what}-{h}"))
}

fn strata(args: &[String], root: Option<&Path>, now: Option<&str>) -> Output {
    let mut c = Command::new(STRATA);
    c.args(args);
    c.env("XDG_CACHE_HOME", work_dir("cache"));
    c.env("DOCKER_CONFIG", work_dir("docker-config"));
    if let Some(r) = root {
        c.env("STRATA_ROOT", r);
    }
    if let Some(t) = now {
        c.env("STRATA_NOW", t);
    }
    c.output().expect("run strata")
}

/// Runs `f` once per strata build and corpus, under a lock shared by the test processes.
fn once(what: &str, f: impl FnOnce(&Path)) -> PathBuf {
    let dir = work_dir(what);
    let done = dir.with_extension("done");
    if done.exists() {
        return dir;
    }
    fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let lock = fs::File::create(dir.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if !done.exists() {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        f(&dir);
        fs::write(&done, b"").unwrap();
    }
    dir
}

/// A store holding every corpus archive, `strata load`ed (as the daemon had them loaded).
fn loaded_store(c: &Path) -> PathBuf {
    once("store", |root| {
        for t in all_tars(c) {
            let o = strata(
                &[
                    "load".into(),
                    "-q".into(),
                    "-i".into(),
                    c.join(&t).display().to_string(),
                ],
                Some(root),
                None,
            );
            assert!(o.status.success(), "strata load {t}: {}", text(&o.stderr));
        }
    })
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The times a recording was taken between (`FILE.now`), for relative outputs.
fn recorded_times(file: &Path) -> Vec<String> {
    let mut p = file.as_os_str().to_owned();
    p.push(".now");
    fs::read_to_string(PathBuf::from(p))
        .map(|t| t.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Compares strata's output with one recorded docker output: stdout (GraphDriver aside),
/// exit code, and stderr when docker failed. Relative times are reproduced with
/// `STRATA_NOW` set to the times the recording was taken between.
fn compare_recorded(
    rec_file: &Path,
    sargs: &[String],
    relative: bool,
    root: Option<&Path>,
    subst: &dyn Fn(String) -> String,
) -> Result<(), String> {
    let rec = subst(
        fs::read_to_string(rec_file).unwrap_or_else(|e| panic!("{}: {e}", rec_file.display())),
    );
    let side = |ext: &str| {
        let mut p = rec_file.as_os_str().to_owned();
        p.push(ext);
        fs::read_to_string(PathBuf::from(p)).ok()
    };
    let rec_err = side(".stderr").map(subst).unwrap_or_default();
    let rec_code: i32 = side(".rc").and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let norm = |s: String| strip_graph_driver(&s);
    let times: Vec<Option<String>> = if relative {
        recorded_times(rec_file).into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    let mut last = None;
    for t in &times {
        let o = strata(sargs, root, t.as_deref());
        let same = norm(text(&o.stdout)) == norm(rec.clone())
            && o.status.code() == Some(rec_code)
            && (rec_code == 0 || text(&o.stderr) == rec_err);
        if same {
            return Ok(());
        }
        last = Some(o);
    }
    let o = last.expect("at least one run");
    let mut report = format!("strata {}\n", shell_words(sargs));
    if norm(text(&o.stdout)) != norm(rec.clone()) {
        let _ = writeln!(
            report,
            "  stdout differs\n{}",
            first_diff(&norm(rec), &norm(text(&o.stdout)))
        );
    }
    if o.status.code() != Some(rec_code) {
        let _ = writeln!(
            report,
            "  exit code: docker {rec_code}, strata {:?}",
            o.status.code()
        );
    }
    if rec_code != 0 && text(&o.stderr) != rec_err {
        let _ = writeln!(
            report,
            "  stderr differs (docker failed here)\n{}",
            first_diff(&rec_err, &text(&o.stderr))
        );
    }
    if !o.stderr.is_empty() {
        let _ = writeln!(report, "  strata stderr: {}", text(&o.stderr).trim());
    }
    Err(report)
}

#[derive(Clone, Copy)]
enum From {
    Archive,
    Store,
}

/// One recorded docker command against strata, reading the image from its archive or from the
/// store after `strata load`.
fn docker_command(name: &str, file: &str, from: From) {
    let c = corpus_or_skip!();
    let case = case(&c, name);
    let cmd = command(&c, file);
    let (image, root) = match from {
        From::Archive if case.tar != format!("{}.tar", case.name) => (
            format!(
                "docker-archive:{}:{}",
                c.join(&case.tar).display(),
                case.reference
            ),
            None,
        ),
        From::Archive => (
            format!("docker-archive:{}", c.join(&case.tar).display()),
            None,
        ),
        From::Store => (case.reference.clone(), Some(loaded_store(&c))),
    };
    let mut sargs = strata_args(&cmd.args);
    sargs.push(image);
    if let Err(r) = compare_recorded(
        &c.join(&case.name).join(file),
        &sargs,
        cmd.relative,
        root.as_deref(),
        &|s| s,
    ) {
        panic!("{name}/{file}: {r}");
    }
}

// ---------------------------------------------------------------------------------------------
// OCI layouts

fn inspect_json(image: &str) -> serde_json::Value {
    let o = strata(&["inspect".into(), image.into()], None, None);
    assert!(
        o.status.success(),
        "strata inspect {image}: {}",
        text(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0].clone()
}

fn docker_inspect(c: &Path, name: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(c.join(name).join("inspect.json")).unwrap()).unwrap();
    v[0].clone()
}

/// Layouts written from the archive with the config bytes kept: everything image-derived is
/// what docker said.
fn oci_faithful(name: &str) {
    let c = corpus_or_skip!();
    let case = case(&c, name);
    let tag = case.reference.rsplit(':').next().unwrap();
    let docker = docker_inspect(&c, name);
    let tmp = tempfile::tempdir().unwrap();
    let gz = faithful_oci(&c.join(&case.tar), tag, true);
    let plain = faithful_oci(&c.join(&case.tar), tag, false);
    let dir = tmp.path().join("faithful.oci");
    let tarp = tmp.path().join("faithful.oci.tar");
    write_layout_dir(&dir, &gz);
    write_layout_tar(&tarp, &plain);
    let mut bad = Vec::new();
    for image in [
        format!("oci:{}:{tag}", dir.display()),
        format!("oci-archive:{}:{tag}", tarp.display()),
    ] {
        let s = inspect_json(&image);
        for key in [
            "Id",
            "Created",
            "Comment",
            "Container",
            "ContainerConfig",
            "DockerVersion",
            "Author",
            "Config",
            "Architecture",
            "Os",
            "Size",
            "RootFS",
        ] {
            if s[key] != docker[key] {
                bad.push(format!(
                    "{image}: {key}\n  docker: {}\n  strata: {}",
                    docker[key], s[key]
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
}

/// skopeo's copies (it rewrites the config as an OCI config: a new Id, and fields dropped).
fn oci_skopeo(name: &str, layout: &str) {
    let c = corpus_or_skip!();
    let case = case(&c, name);
    let tag = case.reference.rsplit(':').next().unwrap();
    let tag = if layout.contains("zstd") { "1" } else { tag };
    let docker = docker_inspect(&c, name);
    let sdir = c.join(format!("{name}.{layout}"));
    let want_id = oci_config_digest(&sdir);
    let mut images = vec![format!("oci:{}:{tag}", sdir.display())];
    let archive = c.join(format!("{name}.oci.tar"));
    if layout == "oci" && archive.exists() {
        images.push(format!("oci-archive:{}:{tag}", archive.display()));
    }
    let mut bad = Vec::new();
    for image in images {
        let s = inspect_json(&image);
        if s["Id"] != serde_json::Value::String(want_id.clone()) {
            bad.push(format!(
                "{image}: Id {} (config digest is {want_id})",
                s["Id"]
            ));
        }
        for key in ["RootFS", "Created", "Architecture", "Os", "Size"] {
            if s[key] != docker[key] {
                bad.push(format!(
                    "{image}: {key}\n  docker: {}\n  strata: {}",
                    docker[key], s[key]
                ));
            }
        }
        // The run parameters skopeo's OCI config kept: each must read as docker read the original.
        for key in oci_config_keys(&sdir) {
            let (d, v) = (&docker["Config"][&key], &s["Config"][&key]);
            if d != v && !(empty(d) && empty(v)) {
                bad.push(format!(
                    "{image}: Config.{key}\n  docker: {d}\n  strata: {v}"
                ));
            }
        }
    }
    if layout.contains("zstd") {
        // The same filesystem through zstd layers.
        let a = strata(
            &[
                "ls".into(),
                "-lR".into(),
                format!("docker-archive:{}", c.join(&case.tar).display()),
            ],
            None,
            None,
        );
        let z = strata(
            &[
                "ls".into(),
                "-lR".into(),
                format!("oci:{}:1", sdir.display()),
            ],
            None,
            None,
        );
        if !a.status.success() || a.stdout != z.stdout {
            bad.push(format!(
                "ls -lR through zstd layers differs from the docker archive's: {}",
                text(&z.stderr)
            ));
        }
    }
    assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The filesystem: export, unpack, efficiency

/// One entry as compared: type, full mode field (type bits included), owner ids and names,
/// size, link target, content, time (files), xattrs.
type EntryFacts = (
    char,
    u32,
    u64,
    u64,
    String,
    String,
    u64,
    String,
    String,
    Option<u64>,
    String,
);

/// What the container runtime adds to an export (not part of the image).
fn runtime_added(name: &str) -> bool {
    matches!(
        name,
        ".dockerenv"
            | "etc/hostname"
            | "etc/hosts"
            | "etc/resolv.conf"
            | "etc/mtab"
            | "dev"
            | "proc"
            | "sys"
    ) || name.starts_with("dev/")
        || name.starts_with("proc/")
        || name.starts_with("sys/")
}

fn tar_entries(path: &Path) -> Vec<(String, EntryFacts)> {
    use std::io::Read;
    let f = fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(f);
    let mut out = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let raw = e.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw)
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if name.is_empty() || runtime_added(&name) {
            continue;
        }
        let h = e.header().clone();
        let t = match h.entry_type() {
            tar::EntryType::Directory => 'd',
            tar::EntryType::Symlink => 'l',
            tar::EntryType::Link => 'h',
            tar::EntryType::Char => 'c',
            tar::EntryType::Block => 'b',
            tar::EntryType::Fifo => 'p',
            _ => 'f',
        };
        let link = e
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default();
        let mut xattrs: Vec<String> = e
            .pax_extensions()
            .unwrap()
            .map(|x| {
                x.flatten()
                    .filter_map(|r| {
                        let k = r.key().ok()?;
                        k.starts_with("SCHILY.xattr.")
                            .then(|| format!("{k}={}", sha256_hex(r.value_bytes())))
                    })
                    .collect()
            })
            .unwrap_or_default();
        xattrs.sort();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        // Directories' times move when the runtime adds files: compare them for the rest.
        let mtime = (t != 'd').then(|| h.mtime().unwrap());
        out.push((
            name,
            (
                t,
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.username().ok().flatten().unwrap_or("").to_string(),
                h.groupname().ok().flatten().unwrap_or("").to_string(),
                body.len() as u64,
                link,
                sha256_hex(&body),
                mtime,
                xattrs.join(","),
            ),
        ));
    }
    out
}

/// `strata export` equals `docker export` of a container created from the image.
fn export(name: &str) {
    let c = corpus_or_skip!();
    let case = case(&c, name);
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("strata-export.tar");
    let o = strata(
        &[
            "export".into(),
            "-o".into(),
            mine.display().to_string(),
            format!("docker-archive:{}", c.join(&case.tar).display()),
        ],
        None,
        None,
    );
    assert!(
        o.status.success(),
        "strata export {name}: {}",
        text(&o.stderr)
    );
    let (d, s) = (
        tar_entries(&c.join(name).join("export.tar")),
        tar_entries(&mine),
    );
    assert!(!d.is_empty(), "docker export of {name} is empty");
    if d != s {
        let mut report = format!("strata export of {name} differs from docker export:\n");
        let dn: Vec<&String> = d.iter().map(|x| &x.0).collect();
        let sn: Vec<&String> = s.iter().map(|x| &x.0).collect();
        if dn != sn {
            let only_d: Vec<&&String> = dn.iter().filter(|n| !sn.contains(n)).take(10).collect();
            let only_s: Vec<&&String> = sn.iter().filter(|n| !dn.contains(n)).take(10).collect();
            let _ = writeln!(
                report,
                "  names: {} from docker, {} from strata; only docker {only_d:?}; only strata {only_s:?}",
                dn.len(),
                sn.len()
            );
        }
        let mut shown = 0;
        for (a, b) in d.iter().zip(s.iter()) {
            if a != b && shown < 10 {
                shown += 1;
                let _ = writeln!(report, "  docker {a:?}\n  strata {b:?}");
            }
        }
        panic!("{report}");
    }
}

/// A directory tree as compared: relative path → (type, mode, owner, size, link, content,
/// mtime for files, security.capability).
type DirFacts = (
    char,
    u32,
    u32,
    u32,
    u64,
    String,
    String,
    Option<i64>,
    String,
);

fn dir_entries(root: &Path) -> BTreeMap<String, DirFacts> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let ft = m.file_type();
            let t = if ft.is_dir() {
                stack.push(p.clone());
                'd'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_file() {
                'f'
            } else {
                'o'
            };
            let link = if t == 'l' {
                fs::read_link(&p).unwrap().to_string_lossy().into_owned()
            } else {
                String::new()
            };
            let body = if t == 'f' {
                fs::read(&p).unwrap()
            } else {
                Vec::new()
            };
            let mut cap = vec![0u8; 256];
            let capability = if t == 'f' || t == 'd' {
                match rustix::fs::lgetxattr(&p, "security.capability", &mut cap) {
                    Ok(n) => sha256_hex(&cap[..n]),
                    Err(_) => String::new(),
                }
            } else {
                String::new()
            };
            out.insert(
                rel,
                (
                    t,
                    m.mode() & 0o7777,
                    m.uid(),
                    m.gid(),
                    body.len() as u64,
                    link,
                    sha256_hex(&body),
                    (t == 'f').then(|| m.mtime()),
                    capability,
                ),
            );
        }
    }
    out
}

/// `strata unpack` of the skopeo OCI copy equals `umoci unpack`'s rootfs (xattrs included).
fn unpack(name: &str) {
    let c = corpus_or_skip!();
    let case = case(&c, name);
    let tag = case.reference.rsplit(':').next().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("rootfs");
    let o = strata(
        &[
            "unpack".into(),
            format!("oci:{}:{tag}", c.join(format!("{name}.oci")).display()),
            mine.display().to_string(),
        ],
        None,
        None,
    );
    assert!(
        o.status.success(),
        "strata unpack {name}: {}",
        text(&o.stderr)
    );
    let (u, s) = (dir_entries(&c.join(name).join("umoci")), dir_entries(&mine));
    if u != s {
        let mut report = format!("strata unpack of {name} differs from umoci unpack:\n");
        let mut shown = 0;
        for (k, v) in &u {
            if s.get(k) != Some(v) && shown < 15 {
                shown += 1;
                let _ = writeln!(report, "  {k}: umoci {v:?} strata {:?}", s.get(k));
            }
        }
        for k in s.keys().filter(|k| !u.contains_key(*k)).take(10) {
            let _ = writeln!(report, "  {k}: only strata");
        }
        panic!("{report}");
    }
}

/// `strata efficiency` equals `dive --ci --json`.
fn efficiency(name: &str) {
    let c = corpus_or_skip!();
    let case = case(&c, name);
    let dv: serde_json::Value =
        serde_json::from_slice(&fs::read(c.join(name).join("dive.json")).unwrap()).unwrap();
    let o = strata(
        &[
            "efficiency".into(),
            "--format".into(),
            "json".into(),
            format!("docker-archive:{}", c.join(&case.tar).display()),
        ],
        None,
        None,
    );
    let sv: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let files = |v: &serde_json::Value| {
        let mut f: Vec<(String, u64, u64)> = v["image"]["fileReference"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x["file"].as_str().unwrap_or("").to_string(),
                            x["count"].as_u64().unwrap_or(0),
                            x["sizeBytes"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        f.sort();
        f
    };
    let layers = |v: &serde_json::Value| {
        v["layer"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["sizeBytes"].as_u64().unwrap_or(0))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let score = |v: &serde_json::Value| v["image"]["efficiencyScore"].as_f64().unwrap_or(-1.0);
    let (fd, fs_) = (files(&dv), files(&sv));
    if (score(&dv) - score(&sv)).abs() > 1e-9
        || dv["image"]["inefficientBytes"] != sv["image"]["inefficientBytes"]
        || dv["image"]["sizeBytes"] != sv["image"]["sizeBytes"]
        || fd != fs_
        || layers(&dv) != layers(&sv)
    {
        let only_d: Vec<_> = fd.iter().filter(|x| !fs_.contains(x)).take(10).collect();
        let only_s: Vec<_> = fs_.iter().filter(|x| !fd.contains(x)).take(10).collect();
        panic!(
            "strata efficiency {name} differs from dive:\n dive   score {} wasted {} size {}\n strata score {} wasted {} size {}\n layers dive {:?}\n layers strata {:?}\n only dive {only_d:?}\n only strata {only_s:?}\n{}",
            score(&dv),
            dv["image"]["inefficientBytes"],
            dv["image"]["sizeBytes"],
            score(&sv),
            sv["image"]["inefficientBytes"],
            sv["image"]["sizeBytes"],
            layers(&dv),
            layers(&sv),
            text(&o.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Through a registry

/// Serves the corpus registry (what `docker push` stored) on a new port; recorded outputs
/// name the old port.
fn corpus_registry(c: &Path) -> (common::Registry, String) {
    let reg = common::Registry::serve(&c.join("registry"));
    let old = format!(
        "127.0.0.1:{}",
        fs::read_to_string(c.join("registry.port")).unwrap().trim()
    );
    (reg, old)
}

/// `strata pull` from the registry docker pushed to: the transcript's fixed lines and what
/// docker printed after its own pull.
fn pull(name: &str) {
    let c = corpus_or_skip!();
    if !common::require("docker-registry") {
        return;
    }
    let case = case(&c, name);
    let (reg, old) = corpus_registry(&c);
    let subst = |s: String| s.replace(&old, &reg.host);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let remote = format!("{}/{}", reg.host, case.reference);
    // docker pulled the images one after another into one daemon: what it had pulled before
    // shows as "Already exists". Pull the same ones first.
    for earlier in fs::read_to_string(c.join("cases.txt"))
        .unwrap()
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .take_while(|f| f[0] != name)
        .filter(|f| !f[0].starts_with("multi-"))
    {
        let o = strata(
            &[
                "pull".into(),
                "-q".into(),
                format!("{}/{}", reg.host, earlier[1]),
            ],
            Some(&root),
            None,
        );
        assert!(
            o.status.success(),
            "strata pull {}: {}",
            earlier[1],
            text(&o.stderr)
        );
    }
    let o = strata(&["pull".into(), remote.clone()], Some(&root), None);
    assert!(
        o.status.success(),
        "strata pull {remote}: {}",
        text(&o.stderr)
    );
    let dir = c.join("pulled").join(name);
    let want = fixed_pull_lines(&subst(fs::read_to_string(dir.join("pull.txt")).unwrap()));
    let got = fixed_pull_lines(&text(&o.stdout));
    let mut bad = Vec::new();
    if want != got {
        bad.push(format!(
            "pull transcript:\n--- docker\n{}\n--- strata\n{}",
            want.join("\n"),
            got.join("\n")
        ));
    }
    for file in [
        "inspect.json",
        "history.txt",
        "history-notrunc.txt",
        "history-json.txt",
        "history-H-false.txt",
    ] {
        let cmd = command(&c, file);
        let mut sargs = strata_args(&cmd.args);
        sargs.push(remote.clone());
        if let Err(r) = compare_recorded(&dir.join(file), &sargs, cmd.relative, Some(&root), &subst)
        {
            bad.push(format!("after pull, {file}: {r}"));
        }
    }
    assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// With the live daemon

fn docker_host() -> Option<String> {
    match std::env::var("STRATA_DOCKER_HOST") {
        Ok(h) if !h.is_empty() => Some(h),
        _ => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI=true but STRATA_DOCKER_HOST is not set"
            );
            None
        }
    }
}

fn docker(args: &[&str], host: &str) -> Output {
    let cli = if Path::new("/usr/local/bin/docker").exists() {
        "/usr/local/bin/docker"
    } else {
        "docker"
    };
    Command::new(cli)
        .args(args)
        .env("DOCKER_HOST", host)
        .output()
        .expect("run docker")
}

/// `docker load` of `strata save` output gives the same image ID (and the daemon verifies
/// every layer's diff ID while loading).
fn save_then_docker_load(name: &str) {
    let c = corpus_or_skip!();
    let Some(host) = docker_host() else { return };
    let case = case(&c, name);
    let root = loaded_store(&c);
    let tmp = tempfile::tempdir().unwrap();
    let saved = tmp.path().join("saved.tar");
    let o = strata(
        &[
            "save".into(),
            "-o".into(),
            saved.display().to_string(),
            case.reference.clone(),
        ],
        Some(&root),
        None,
    );
    assert!(
        o.status.success(),
        "strata save {name}: {}",
        text(&o.stderr)
    );
    let want = docker_inspect(&c, name)["Id"].as_str().unwrap().to_string();
    let l = docker(&["load", "-q", "-i", &saved.display().to_string()], &host);
    assert!(
        l.status.success(),
        "docker load of strata save {name}: {}",
        text(&l.stderr)
    );
    let got = docker(&["image", "inspect", "--format", "{{.ID}}", &want], &host);
    assert_eq!(
        text(&got.stdout).trim(),
        want,
        "docker load of strata save {name}"
    );
}

// ---------------------------------------------------------------------------------------------
// Every image, every check

macro_rules! docker_commands {
    ($name:literal, $from:expr) => {
        #[test]
        fn inspect() {
            crate::docker_command($name, "inspect.json", $from)
        }
        #[test]
        fn history() {
            crate::docker_command($name, "history.txt", $from)
        }
        #[test]
        fn history_no_trunc() {
            crate::docker_command($name, "history-notrunc.txt", $from)
        }
        #[test]
        fn history_h_false() {
            crate::docker_command($name, "history-H-false.txt", $from)
        }
        #[test]
        fn history_q() {
            crate::docker_command($name, "history-q.txt", $from)
        }
        #[test]
        fn history_json() {
            crate::docker_command($name, "history-json.txt", $from)
        }
        #[test]
        fn history_table() {
            crate::docker_command($name, "history-table.txt", $from)
        }
        #[test]
        fn format_env() {
            crate::docker_command($name, "fmt-env.txt", $from)
        }
        #[test]
        fn format_labels_json() {
            crate::docker_command($name, "fmt-labels-json.txt", $from)
        }
        #[test]
        fn format_misc() {
            crate::docker_command($name, "fmt-misc.txt", $from)
        }
        #[test]
        fn format_json_config() {
            crate::docker_command($name, "fmt-json-config.txt", $from)
        }
        #[test]
        fn format_typed() {
            crate::docker_command($name, "fmt-typed.txt", $from)
        }
        #[test]
        fn format_raw() {
            crate::docker_command($name, "fmt-raw.txt", $from)
        }
    };
}

macro_rules! image {
    ($case:ident, $name:literal) => {
        mod $case {
            mod archive {
                docker_commands!($name, crate::From::Archive);
            }
            mod store {
                docker_commands!($name, crate::From::Store);
            }
            #[test]
            fn oci_faithful() {
                crate::oci_faithful($name)
            }
            #[test]
            fn oci_skopeo() {
                crate::oci_skopeo($name, "oci")
            }
            #[test]
            fn export() {
                crate::export($name)
            }
            #[test]
            fn unpack() {
                crate::unpack($name)
            }
            #[test]
            fn efficiency() {
                crate::efficiency($name)
            }
            #[test]
            fn pull() {
                crate::pull($name)
            }
            #[test]
            fn save_then_docker_load() {
                crate::save_then_docker_load($name)
            }
        }
    };
}

/// A pre-1.10 archive: no OCI copy (skopeo reads none), no dive (it reads none either).
macro_rules! legacy_image {
    ($case:ident, $name:literal) => {
        mod $case {
            mod archive {
                docker_commands!($name, crate::From::Archive);
            }
            mod store {
                docker_commands!($name, crate::From::Store);
            }
            #[test]
            fn export() {
                crate::export($name)
            }
            #[test]
            fn pull() {
                crate::pull($name)
            }
            #[test]
            fn save_then_docker_load() {
                crate::save_then_docker_load($name)
            }
        }
    };
}

macro_rules! in_multi {
    ($case:ident, $name:literal) => {
        mod $case {
            mod archive {
                docker_commands!($name, crate::From::Archive);
            }
            mod store {
                docker_commands!($name, crate::From::Store);
            }
        }
    };
}

image!(base, "base");
image!(app, "app");
image!(shell, "shell");
image!(child, "child");
image!(newline, "newline");
image!(committed, "committed");
image!(fs_fixture, "fs");
image!(bookworm, "bookworm");
image!(trixie, "trixie");
image!(apt, "apt");
image!(buildkit, "buildkit");
image!(multistage, "multistage");
image!(commit, "commit");
image!(layers64, "layers64");
in_multi!(multi_shell, "multi-shell");
in_multi!(multi_committed, "multi-committed");
// `docker save base kid`: kid's Parent is recorded, so inspect and history show it.
in_multi!(multi_kid, "multi-kid");
legacy_image!(v1, "v1");

#[test]
fn zstd_layers_bookworm() {
    oci_skopeo("bookworm", "zstd.oci")
}

#[test]
fn zstd_layers_apt() {
    oci_skopeo("apt", "zstd.oci")
}

#[test]
fn zstd_layers_buildkit() {
    oci_skopeo("buildkit", "zstd.oci")
}

// ---------------------------------------------------------------------------------------------
// Whole-store views

fn images_variants(dir: &Path) -> Vec<(String, Vec<String>)> {
    fs::read_to_string(dir.join("variants.txt"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            let name = f.next().unwrap().to_string();
            (name, f.map(str::to_string).collect())
        })
        .collect()
}

/// Rows of images created in the same second come out in varying order on the daemon (spec
/// rule 12), so the lines after the header are compared as sorted sets.
fn sorted_rows(t: &str) -> (Option<String>, Vec<String>) {
    let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
    let head = if lines.first().is_some_and(|l| l.starts_with("REPOSITORY")) {
        Some(lines.remove(0))
    } else {
        None
    };
    lines.sort();
    (head, lines)
}

fn images_against(dir: &Path, root: &Path, subst: &dyn Fn(String) -> String) {
    let mut bad = Vec::new();
    for (name, args) in images_variants(dir) {
        let file = dir.join(format!("{name}.txt"));
        let want = subst(fs::read_to_string(&file).unwrap());
        let times = recorded_times(&file);
        let ok = times.iter().any(|t| {
            let o = strata(&args, Some(root), Some(t));
            sorted_rows(&text(&o.stdout)) == sorted_rows(&want)
        });
        if !ok {
            let o = strata(&args, Some(root), times.first().map(String::as_str));
            bad.push(format!(
                "strata {}:\n--- docker\n{want}--- strata\n{}{}",
                shell_words(&args),
                text(&o.stdout),
                text(&o.stderr)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `strata images` over the store that loaded every archive equals `docker images` over the
/// daemon that loaded them.
#[test]
fn images_after_load() {
    let c = corpus_or_skip!();
    images_against(&c.join("images-load"), &loaded_store(&c), &|s| s);
}

/// `strata images` after pulling every image equals `docker images` after docker's pulls; a
/// second pull is "up to date" on both sides.
#[test]
fn images_after_pull() {
    let c = corpus_or_skip!();
    if !common::require("docker-registry") {
        return;
    }
    let (reg, old) = corpus_registry(&c);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let text_cases = fs::read_to_string(c.join("cases.txt")).unwrap();
    for l in text_cases.lines().filter(|l| !l.starts_with("multi-")) {
        let r = l.split('\t').nth(1).unwrap();
        let o = strata(
            &["pull".into(), "-q".into(), format!("{}/{r}", reg.host)],
            Some(&root),
            None,
        );
        assert!(o.status.success(), "strata pull {r}: {}", text(&o.stderr));
    }
    let subst = |s: String| s.replace(&old, &reg.host);
    images_against(&c.join("images-pull"), &root, &subst);
    let again = strata(
        &["pull".into(), format!("{}/strata-test/base:1", reg.host)],
        Some(&root),
        None,
    );
    assert_eq!(
        text(&again.stdout),
        subst(fs::read_to_string(c.join("pulled/base/pull2.txt")).unwrap())
    );
}

/// `strata load` prints what `docker load` printed, image by image.
#[test]
fn load_transcripts() {
    let c = corpus_or_skip!();
    let mut bad = Vec::new();
    for t in all_tars(&c) {
        let name = t.trim_end_matches(".tar");
        let want_file = c.join(name).join("load.txt");
        let tmp = tempfile::tempdir().unwrap();
        // Each archive into an empty store, as docker loaded each into an empty daemon
        // (multi.tar: after shell and committed).
        let root = tmp.path().join("store");
        if name == "multi" {
            for pre in ["shell.tar", "committed.tar"] {
                let _ = strata(
                    &[
                        "load".into(),
                        "-q".into(),
                        "-i".into(),
                        c.join(pre).display().to_string(),
                    ],
                    Some(&root),
                    None,
                );
            }
        }
        let o = strata(
            &["load".into(), "-i".into(), c.join(&t).display().to_string()],
            Some(&root),
            None,
        );
        let want = fs::read_to_string(&want_file).unwrap();
        // multi.tar and family.tar were loaded over images already there.
        if text(&o.stdout) != want && name != "multi" && name != "family" {
            bad.push(format!(
                "strata load {t}:\n--- docker\n{want}--- strata\n{}{}",
                text(&o.stdout),
                text(&o.stderr)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `strata push`, then `docker pull`: the daemon gets the same image ID, for an image strata
/// pulled (gzip layers) and one it loaded from `docker save` (plain tar layers).
#[test]
fn push_then_docker_pull() {
    let c = corpus_or_skip!();
    let Some(host) = docker_host() else { return };
    if !common::require("docker-registry") {
        return;
    }
    let (src, _) = corpus_registry(&c);
    let reg = common::Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let pulled = tmp.path().join("pulled");
    let o = strata(
        &[
            "pull".into(),
            "-q".into(),
            format!("{}/strata-test/apt:1", src.host),
        ],
        Some(&pulled),
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let cases: Vec<(PathBuf, String)> = vec![
        (pulled, format!("{}/strata-test/apt:1", src.host)),
        (loaded_store(&c), "strata-test/buildkit:1".to_string()),
    ];
    for (k, (root, image)) in cases.iter().enumerate() {
        let dest = format!("{}/strata-pushed/img{k}:1", reg.host);
        let id = text(
            &strata(
                &[
                    "inspect".into(),
                    "--format".into(),
                    "{{.ID}}".into(),
                    image.clone(),
                ],
                Some(root),
                None,
            )
            .stdout,
        )
        .trim()
        .to_string();
        let t = strata(
            &["tag".into(), image.clone(), dest.clone()],
            Some(root),
            None,
        );
        assert!(t.status.success(), "{}", text(&t.stderr));
        let p = strata(&["push".into(), dest.clone()], Some(root), None);
        assert!(
            p.status.success(),
            "strata push {dest}: {}",
            text(&p.stderr)
        );
        let d = docker(&["pull", &dest], &host);
        assert!(
            d.status.success(),
            "docker pull {dest}: {}",
            text(&d.stderr)
        );
        let did = docker(&["image", "inspect", "--format", "{{.ID}}", &dest], &host);
        assert_eq!(
            text(&did.stdout).trim(),
            id,
            "docker pull of strata push {image}"
        );
    }
}

/// `strata save base kid` after `strata load` of `docker save base kid` writes the Parent link
/// back: the daemon that loads it shows kid's Parent, as after loading docker's own archive.
#[test]
fn save_keeps_the_parent_link() {
    let c = corpus_or_skip!();
    let root = loaded_store(&c);
    let tmp = tempfile::tempdir().unwrap();
    let saved = tmp.path().join("family.tar");
    let o = strata(
        &[
            "save".into(),
            "-o".into(),
            saved.display().to_string(),
            "strata-test/base:1".into(),
            "strata-test/kid:1".into(),
        ],
        Some(&root),
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let want = docker_inspect(&c, "multi-kid")["Parent"].clone();
    assert!(
        want.as_str().is_some_and(|p| p.starts_with("sha256:")),
        "{want}"
    );
    // strata reads its own archive the same way …
    let again = inspect_json(&format!(
        "docker-archive:{}:strata-test/kid:1",
        saved.display()
    ));
    assert_eq!(again["Parent"], want);
    // … and so does the daemon.
    let Some(host) = docker_host() else { return };
    let kid = docker_inspect(&c, "multi-kid")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = docker(&["rmi", "-f", &kid], &host);
    let l = docker(&["load", "-q", "-i", &saved.display().to_string()], &host);
    assert!(l.status.success(), "{}", text(&l.stderr));
    let p = docker(
        &["image", "inspect", "--format", "{{.Parent}}", &kid],
        &host,
    );
    assert_eq!(text(&p.stdout).trim(), want.as_str().unwrap());
}

// ---------------------------------------------------------------------------------------------
// The merge engine against the fs fixture's Dockerfile

/// `strata diff` of the fs image against its base shows exactly what its Dockerfile added.
#[test]
fn fs_diff_against_base() {
    let c = corpus_or_skip!();
    let o = strata(
        &[
            "diff".into(),
            "--format".into(),
            "json".into(),
            format!("docker-archive:{}", c.join("base.tar").display()),
            format!("docker-archive:{}", c.join("fs.tar").display()),
        ],
        None,
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    let mut got: Vec<String> = v["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    format!(
                        "{} {}",
                        f["op"].as_str().unwrap_or(""),
                        f["path"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    got.sort();
    let mut want: Vec<String> = [
        "/abs-link",
        "/bin\u{fffd}ary",
        "/d2",
        "/d2/new",
        "/fifo",
        "/keep",
        "/keep/k",
        "/new\nline",
        "/over",
        "/passwd-hard",
        "/r",
        "/todir",
        "/todir/back",
        "/tofile",
        "/tofile/in",
        "/with space",
    ]
    .iter()
    .map(|p| format!("A {p}"))
    .collect();
    want.sort();
    assert_eq!(got, want, "{}", text(&o.stderr));
    assert_eq!(v["sharedLayers"], 1);
}

/// `strata changes` says what each RUN of the fs fixture did.
#[test]
fn fs_changes_per_layer() {
    let c = corpus_or_skip!();
    let expect: [(usize, &[&str]); 3] = [
        (
            1,
            &[
                "A /d1/sub/f",
                "A /d2/hard",
                "A /abs-link",
                "A /r/rel-link",
                "A /fifo",
                "A /with space",
                "A /keep/k",
            ],
        ),
        (
            2,
            &[
                "D /d1/sub/f",
                "C /d2",
                "A /d2/new",
                "D /d2/g",
                "C /over",
                "C /todir",
                "C /tofile",
                "A /tofile/in",
                "A /passwd-hard",
                "C /etc/passwd",
            ],
        ),
        (
            3,
            &[
                "C /over",
                "C /todir",
                "A /todir/back",
                "D /d1",
                "D /r/rel-link",
            ],
        ),
    ];
    let mut bad = Vec::new();
    for (layer, lines) in expect {
        let o = strata(
            &[
                "changes".into(),
                "--layer".into(),
                layer.to_string(),
                format!("docker-archive:{}", c.join("fs.tar").display()),
            ],
            None,
            None,
        );
        let got = text(&o.stdout);
        let have: std::collections::HashSet<&str> = got.lines().collect();
        let missing: Vec<&&str> = lines.iter().filter(|l| !have.contains(**l)).collect();
        if !o.status.success() || !missing.is_empty() {
            bad.push(format!(
                "changes --layer {layer}: missing {missing:?}\n{got}{}",
                text(&o.stderr)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
