//! strata against the real registry (Debian's `docker-registry` on 127.0.0.1): push and
//! pull round trips, `docker://` reads, token auth with login/logout, skopeo interop,
//! injected faults, kill -9 during pulls, and concurrent pulls into one store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Proxy, Registry, TokenServer, check_store, make_layout, strata, text};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ok(o: &std::process::Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// Loads an image into `root` and gives it `name`.
fn load_as(root: &Path, input: &Path, name: &str) {
    let out = ok(
        &strata(root, &["load", "-i", input.to_str().unwrap()], &[]),
        "load",
    );
    let loaded = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("Loaded image: ")
                .or_else(|| l.strip_prefix("Loaded image ID: "))
        })
        .unwrap()
        .to_string();
    ok(&strata(root, &["tag", &loaded, name], &[]), "tag");
}

fn push(root: &Path, name: &str) -> String {
    ok(&strata(root, &["push", name], &[]), "push")
}

fn id_of(root: &Path, name: &str) -> String {
    ok(
        &strata(root, &["inspect", "--format", "{{.ID}}", name], &[]),
        "inspect",
    )
    .trim()
    .to_string()
}

#[test]
fn push_pull_and_docker_transport_round_trip() {
    if !common::require("docker-registry") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let name = format!("{}/sample/app:1", reg.host);
    load_as(&a, &repo_root().join("examples/sample.tar"), &name);
    let id = id_of(&a, &name);

    let out = push(&a, &name);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("The push refers to repository [{}/sample/app]", reg.host)
    );
    assert_eq!(lines.iter().filter(|l| l.ends_with(": Pushed")).count(), 4);
    let last = lines.last().unwrap();
    assert!(last.starts_with("1: digest: sha256:"), "{last}");
    let digest = last.split(' ').nth(2).unwrap().to_string();
    // The registry holds what we say we pushed.
    let m = ureq_get(&format!("http://{}/v2/sample/app/manifests/1", reg.host));
    assert_eq!(common_sha(&m), digest);
    // A second push skips every blob.
    let again = push(&a, &name);
    assert_eq!(again.matches("Layer already exists").count(), 4, "{again}");

    // A fresh store pulls it: same image, Docker's transcript.
    let b = tmp.path().join("b");
    let out = ok(&strata(&b, &["pull", &name], &[]), "pull");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1: Pulling from sample/app");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with(": Pulling fs layer"))
            .count(),
        4
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with(": Pull complete"))
            .count(),
        4
    );
    assert_eq!(lines.iter().filter(|l| l.ends_with(": Waiting")).count(), 1);
    let n = lines.len();
    assert_eq!(lines[n - 3], format!("Digest: {digest}"));
    assert_eq!(
        lines[n - 2],
        format!("Status: Downloaded newer image for {name}")
    );
    assert_eq!(lines[n - 1], name);
    assert_eq!(id_of(&b, &name), id);
    check_store(&b).unwrap();
    // Inspect of the pulled image equals the loaded one but for RepoDigests.
    let ia = ok(&strata(&a, &["inspect", &name], &[]), "inspect a");
    let ib = ok(&strata(&b, &["inspect", &name], &[]), "inspect b");
    let mut va: serde_json::Value = serde_json::from_str(&ia).unwrap();
    let vb: serde_json::Value = serde_json::from_str(&ib).unwrap();
    assert_eq!(
        vb[0]["RepoDigests"],
        serde_json::json!([format!("{}/sample/app@{digest}", reg.host)])
    );
    // The source store also has the load's tag and a `tag` time; all else is the same.
    for k in ["RepoDigests", "RepoTags", "Metadata"] {
        va[0][k] = vb[0][k].clone();
    }
    assert_eq!(va, vb);
    assert_eq!(vb[0]["Metadata"]["LastTagTime"], "0001-01-01T00:00:00Z");

    // Pulling again: no layer lines, up to date. -q prints the reference only.
    let out = ok(&strata(&b, &["pull", &name], &[]), "pull again");
    assert_eq!(
        out,
        format!(
            "1: Pulling from sample/app\nDigest: {digest}\nStatus: Image is up to date for {name}\n{name}\n"
        )
    );
    let q = ok(&strata(&b, &["pull", "-q", &name], &[]), "pull -q");
    assert_eq!(q, format!("{name}\n"));
    // By digest: the digest form of the status line.
    let by_digest = format!("{}/sample/app@{digest}", reg.host);
    let out = ok(&strata(&b, &["pull", &by_digest], &[]), "pull by digest");
    assert!(
        out.starts_with(&format!("{by_digest}: Pulling from sample/app\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("Status: Image is up to date for {by_digest}\n")),
        "{out}"
    );

    // docker:// reads the same config without pulling layers.
    let remote = format!("docker://{name}");
    let ir = strata(&tmp.path().join("empty"), &["inspect", &remote], &[]);
    let vr: serde_json::Value = serde_json::from_str(&ok(&ir, "inspect docker://")).unwrap();
    for k in [
        "Id",
        "RepoTags",
        "RepoDigests",
        "Created",
        "Config",
        "RootFS",
        "Architecture",
    ] {
        assert_eq!(vr[0][k], vb[0][k], "{k}");
    }
    assert!(
        text(&ir.stderr).contains("compressed sizes"),
        "{}",
        text(&ir.stderr)
    );
    assert!(
        !tmp.path().join("empty/blobs/sha256").exists()
            || check_store(&tmp.path().join("empty")).unwrap() == 0
    );
    let hr = ok(
        &strata(&b, &["history", "--format", "{{.CreatedBy}}", &remote], &[]),
        "history docker://",
    );
    let hb = ok(
        &strata(&b, &["history", "--format", "{{.CreatedBy}}", &name], &[]),
        "history",
    );
    assert_eq!(hr, hb);

    // The filesystem commands read layers straight from the registry too.
    let lr = ok(&strata(&b, &["ls", "-lR", &remote], &[]), "ls docker://");
    let lb = ok(&strata(&b, &["ls", "-lR", &name], &[]), "ls");
    assert_eq!(lr, lb);
    assert!(lr.contains("/app/main.sh"), "{lr}");
    let cr = ok(
        &strata(&b, &["cat", &remote, "/etc/os-release"], &[]),
        "cat docker://",
    );
    assert!(cr.contains("strata sample"), "{cr}");

    // A missing tag: one line naming it, exit 1.
    let missing = format!("{}/sample/app:nope", reg.host);
    let o = strata(&b, &["pull", &missing], &[]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("manifest for") && err.contains("not found"),
        "{err}"
    );

    // skopeo reads the store as an OCI layout and copies into the registry; strata pulls it.
    if common::require("skopeo") {
        let copied = format!("{}/copied/app:1", reg.host);
        let o = Command::new("skopeo")
            .args(["copy", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:{name}", b.display()))
            .arg(format!("docker://{copied}"))
            .output()
            .unwrap();
        ok(&o, "skopeo copy oci:store docker://");
        let c = tmp.path().join("c");
        let out = ok(&strata(&c, &["pull", &copied], &[]), "pull skopeo copy");
        assert!(out.ends_with(&format!("{copied}\n")));
        let rootfs = |root: &Path, n: &str| {
            ok(
                &strata(
                    root,
                    &["inspect", "--format", "{{json .RootFS}} {{.Created}}", n],
                    &[],
                ),
                "inspect",
            )
        };
        assert_eq!(rootfs(&c, &copied), rootfs(&b, &name));
        check_store(&c).unwrap();
    }

    // prune -a empties the store; the layout stays valid.
    let o = ok(&strata(&b, &["image", "prune", "-a", "-f"], &[]), "prune");
    assert!(o.starts_with("Deleted Images:\nuntagged: "), "{o}");
    assert!(o.contains(&format!("deleted: {id}\n")), "{o}");
    assert!(o.contains("\n\nTotal reclaimed space: "), "{o}");
    assert_eq!(check_store(&b).unwrap(), 0);
    let o = ok(&strata(&b, &["image", "prune", "-f"], &[]), "prune empty");
    assert_eq!(o, "\nTotal reclaimed space: 0B\n");
}

#[test]
fn push_refuses_a_blob_damaged_in_the_store_and_sends_nothing_unverified() {
    if !common::require("docker-registry") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let name = format!("{}/sample/damaged:1", reg.host);
    load_as(&a, &repo_root().join("examples/sample.tar"), &name);
    // Damage the largest layer blob on disk after it was stored (a bad disk, a stray write).
    let blobs = a.join("blobs/sha256");
    let (path, _) = std::fs::read_dir(&blobs)
        .unwrap()
        .flatten()
        .map(|e| (e.path(), e.metadata().unwrap().len()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    let hex = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let out = strata(&a, &["push", &name], &[]);
    assert!(!out.status.success(), "pushed a damaged blob");
    let err = text(&out.stderr);
    assert!(
        err.contains(&hex) && err.trim().lines().count() == 1,
        "{err}"
    );
    // The registry never got it: its HEAD says unknown.
    let head = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-I"])
        .arg(format!(
            "http://{}/v2/sample/damaged/blobs/sha256:{hex}",
            reg.host
        ))
        .output()
        .unwrap();
    assert_eq!(text(&head.stdout), "404");
}

#[test]
fn pull_progress_json_is_the_daemons_message_stream() {
    if !common::require("docker-registry") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let name = format!("{}/sample/json:1", reg.host);
    load_as(&a, &repo_root().join("examples/sample.tar"), &name);
    push(&a, &name);
    let b = tmp.path().join("b");
    let out = ok(
        &strata(&b, &["pull", "--progress=json", &name], &[]),
        "pull --progress=json",
    );
    let msgs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(msgs[0]["status"], "Pulling from sample/json");
    assert_eq!(msgs[0]["id"], "1");
    let with = |s: &str| msgs.iter().filter(|m| m["status"] == s).count();
    assert_eq!(with("Pulling fs layer"), 4, "{out}");
    assert_eq!(with("Pull complete"), 4, "{out}");
    let dl = msgs
        .iter()
        .find(|m| m["status"] == "Downloading")
        .expect("a Downloading message");
    assert!(dl["progressDetail"]["total"].as_u64().unwrap() > 0, "{dl}");
    let last = &msgs[msgs.len() - 1]["status"];
    assert_eq!(
        last.as_str().unwrap(),
        format!("Status: Downloaded newer image for {name}")
    );
    assert!(
        msgs[msgs.len() - 2]["status"]
            .as_str()
            .unwrap()
            .starts_with("Digest: sha256:")
    );
}

fn ureq_get(url: &str) -> Vec<u8> {
    let o = Command::new("curl")
        .args(["-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"])
        .arg(url)
        .output()
        .unwrap();
    assert!(o.status.success(), "curl {url}");
    o.stdout
}

fn common_sha(b: &[u8]) -> String {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(b);
    format!(
        "sha256:{}",
        h.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

#[test]
fn token_auth_login_logout() {
    if !common::require("docker-registry") || !common::require("openssl") {
        return;
    }
    let ts = TokenServer::start("alice", "s3cret-pw", "secure/app");
    let reg = Registry::start(Some(&ts.auth));
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let name = format!("{}/secure/app:1", reg.host);
    load_as(&a, &repo_root().join("examples/sample.tar"), &name);

    // No credentials: one clear line.
    let o = strata(&a, &["push", &name], &[]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unauthorized"), "{err}");

    // A wrong password is refused and nothing is written.
    let cfg = a.with_extension("docker-config").join("config.json");
    let login = |pw: &str| {
        let mut c = Command::new(common::STRATA);
        c.args([
            "--root",
            a.to_str().unwrap(),
            "login",
            "-u",
            "alice",
            "--password-stdin",
            &reg.host,
        ])
        .env("DOCKER_CONFIG", a.with_extension("docker-config"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let mut ch = c.spawn().unwrap();
        use std::io::Write;
        ch.stdin
            .take()
            .unwrap()
            .write_all(format!("{pw}\n").as_bytes())
            .unwrap();
        ch.wait_with_output().unwrap()
    };
    let o = login("wrong-pw");
    assert!(!o.status.success());
    assert!(!text(&o.stderr).contains("wrong-pw"));
    assert!(!cfg.exists());
    let o = login("s3cret-pw");
    assert!(
        o.status.success(),
        "login: {}\nregistry log:\n{}",
        text(&o.stderr),
        reg.log()
    );
    assert_eq!(text(&o.stdout), "Login Succeeded\n");
    let written = std::fs::read_to_string(&cfg).unwrap();
    assert!(written.contains(&reg.host), "{written}");

    // With the credentials from config.json: push and pull work; the secret never shows.
    let out = push(&a, &name);
    assert!(out.contains("1: digest: sha256:"), "{out}");
    let b = tmp.path().join("b");
    std::fs::create_dir_all(b.with_extension("docker-config")).unwrap();
    std::fs::copy(&cfg, b.with_extension("docker-config").join("config.json")).unwrap();
    let o = strata(&b, &["pull", &name], &[]);
    let all = format!("{}{}", ok(&o, "pull with token"), text(&o.stderr));
    assert!(!all.contains("s3cret-pw"));
    assert_eq!(id_of(&a, &name), id_of(&b, &name));
    assert!(ts.hits.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    // docker:// with credentials.
    ok(
        &strata(&b, &["inspect", &format!("docker://{name}")], &[]),
        "inspect docker:// with token",
    );

    let o = strata(&a, &["logout", &reg.host], &[]);
    assert_eq!(
        ok(&o, "logout"),
        format!("Removing login credentials for {}\n", reg.host)
    );
    let o = strata(&a, &["logout", &reg.host], &[]);
    assert_eq!(
        ok(&o, "logout again"),
        format!("Not logged in to {}\n", reg.host)
    );
    let o = strata(&a, &["pull", &name], &[]);
    assert!(!o.status.success());
}

/// Builds an image with incompressible layers, loads it into a scratch store and pushes it.
fn push_generated(
    reg: &Registry,
    tmp: &Path,
    repo: &str,
    layers: &[(&str, usize)],
    seed: u64,
) -> String {
    let name = format!("{}/{repo}:1", reg.host);
    let dir = make_layout(&tmp.join(format!("layout-{seed}")), &name, layers, seed);
    let src = tmp.join(format!("src-{seed}"));
    load_as(&src, &dir, &name);
    push(&src, &name);
    name
}

#[test]
fn faults_are_retried_or_fail_cleanly() {
    if !common::require("docker-registry") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let name = push_generated(
        &reg,
        tmp.path(),
        "faulty/app",
        &[("a.bin", 300_000), ("b.bin", 200_000)],
        7,
    );
    let proxy = Proxy::start(&reg.host);
    let via = name.replace(&reg.host, &proxy.host);
    let env = [("STRATA_READ_TIMEOUT", "1")];
    let mut n = 0;
    let mut fresh = || {
        n += 1;
        tmp.path().join(format!("s{n}"))
    };

    // Connection resets mid-blob: resumed with Range, pull succeeds.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.cuts = 3;
        f.cut_after = 100_000;
    }
    let s = fresh();
    ok(&strata(&s, &["pull", &via], &env), "pull through resets");
    assert_eq!(check_store(&s).unwrap(), 4);
    // A burst of 503s: retried with backoff.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.status_burst = 3;
    }
    let s = fresh();
    ok(&strata(&s, &["pull", &via], &env), "pull through 503s");
    check_store(&s).unwrap();
    // A stall longer than the read timeout: treated like a drop.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.stalls = 1;
        f.cut_after = 50_000;
        f.stall = Duration::from_secs(3);
    }
    let s = fresh();
    ok(&strata(&s, &["pull", &via], &env), "pull through a stall");
    check_store(&s).unwrap();
    // Wrong bytes every time: one clear line, nothing wrong stored, no image.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.corruptions = usize::MAX;
    }
    let s = fresh();
    let o = strata(&s, &["pull", &via], &env);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("digest mismatch") && err.contains("sha256:"),
        "{err}"
    );
    check_store(&s).unwrap();
    let images = ok(&strata(&s, &["images", "-q"], &[]), "images");
    assert_eq!(images, "");
    // Wrong bytes once: the fresh retry gets it right.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.corruptions = 1;
    }
    ok(
        &strata(&s, &["pull", &via], &env),
        "pull after one corruption",
    );
    check_store(&s).unwrap();
    // Connections that keep dropping: fails after the retries, keeps the partial blob, and
    // the next pull resumes it.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.corruptions = 0;
        f.cuts = usize::MAX;
        f.cut_after = 100_000;
    }
    let s = fresh();
    let o = strata(&s, &["pull", &via], &[("STRATA_RETRIES", "1")]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    let partials = || {
        std::fs::read_dir(s.join("ingest"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .count()
    };
    assert!(partials() > 0, "no partial blob kept: {err}");
    proxy.faults.lock().unwrap().cuts = 0;
    ok(&strata(&s, &["pull", &via], &env), "pull resuming partials");
    assert_eq!(partials(), 0);
    check_store(&s).unwrap();
    // A 500 storm: gives up after the retries with one line.
    {
        let mut f = proxy.faults.lock().unwrap();
        f.corruptions = 0;
        f.status_burst = usize::MAX;
        f.burst_status = 500;
    }
    let s = fresh();
    let o = strata(&s, &["pull", &via], &[("STRATA_RETRIES", "2")]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("500"), "{err}");
    proxy.faults.lock().unwrap().status_burst = 0;
}

#[test]
fn kill_9_during_pulls_leaves_a_consistent_store() {
    if !common::require("docker-registry") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let layers = [
        ("l1.bin", 1_500_000),
        ("l2.bin", 1_500_000),
        ("l3.bin", 1_500_000),
        ("l4.bin", 1_000_000),
    ];
    let name = push_generated(&reg, tmp.path(), "big/app", &layers, 11);
    let proxy = Proxy::start(&reg.host);
    proxy.faults.lock().unwrap().rate = 3_000_000;
    let via = name.replace(&reg.host, &proxy.host);
    let store = tmp.path().join("store");
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut saw_partial = 0;
    for round in 0..24 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let wait = (seed >> 33) % 700;
        let mut child = Command::new(common::STRATA)
            .args(["--root", store.to_str().unwrap(), "pull", &via])
            .env("STRATA_NO_CACHE", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(wait));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if let Err(e) = check_store(&store) {
            panic!("round {round} (killed after {wait} ms): {e}");
        }
        if let Ok(rd) = std::fs::read_dir(store.join("ingest")) {
            saw_partial += rd
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
                .count();
        }
        // Once complete, start over so kills keep landing mid-pull.
        if !ok(&strata(&store, &["images", "-q"], &[]), "images").is_empty() {
            ok(
                &strata(&store, &["image", "prune", "-a", "-f"], &[]),
                "prune",
            );
        }
    }
    assert!(saw_partial > 0, "no kill landed mid-download");
    proxy.faults.lock().unwrap().rate = 0;
    let before = proxy.requests.load(std::sync::atomic::Ordering::SeqCst);
    let out = ok(&strata(&store, &["pull", &via], &[]), "final pull");
    assert!(out.ends_with(&format!("{name}\n").replace(&reg.host, &proxy.host)));
    assert!(proxy.requests.load(std::sync::atomic::Ordering::SeqCst) > before);
    assert_eq!(check_store(&store).unwrap(), 6);
    let leftovers: Vec<_> = std::fs::read_dir(store.join("ingest"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn concurrent_pulls_share_layers() {
    if !common::require("docker-registry") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    // Same seed and first layer: the two images share their base layer byte for byte.
    let one = push_generated(
        &reg,
        tmp.path(),
        "shared/one",
        &[("base.bin", 2_000_000), ("one.bin", 300_000)],
        5,
    );
    let two = push_generated(
        &reg,
        tmp.path(),
        "shared/two",
        &[("base.bin", 2_000_000), ("two.bin", 400_000)],
        5,
    );
    let proxy = Proxy::start(&reg.host);
    proxy.faults.lock().unwrap().rate = 4_000_000;
    let store = tmp.path().join("store");
    let spawn = |n: &str| {
        Command::new(common::STRATA)
            .args([
                "--root",
                store.to_str().unwrap(),
                "pull",
                &n.replace(&reg.host, &proxy.host),
            ])
            .env("STRATA_NO_CACHE", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (c1, c2) = (spawn(&one), spawn(&two));
    let (o1, o2) = (
        c1.wait_with_output().unwrap(),
        c2.wait_with_output().unwrap(),
    );
    ok(&o1, "pull one");
    ok(&o2, "pull two");
    // 2 manifests + 2 configs + 1 shared + 2 own layers.
    assert_eq!(check_store(&store).unwrap(), 7);
    let images = ok(
        &strata(&store, &["images", "--format", "{{.Repository}}"], &[]),
        "images",
    );
    assert_eq!(images.lines().count(), 2, "{images}");
}

#[test]
fn multi_platform_index_resolves_by_platform() {
    if !common::require("docker-registry") || !common::require("skopeo") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("multi");
    let (_, amd, amd_size) = common::make_layout_arch(&dir, "x", &[("amd.bin", 1000)], 21, "amd64");
    let (_, arm, arm_size) = common::make_layout_arch(&dir, "x", &[("arm.bin", 1000)], 22, "arm64");
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd, "size": amd_size,
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": arm_size,
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]});
    let ib = index.to_string();
    let idx_digest = common_sha(ib.as_bytes());
    std::fs::write(dir.join("blobs/sha256").join(&idx_digest[7..]), &ib).unwrap();
    std::fs::write(
        dir.join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": idx_digest, "size": ib.len(), "annotations": {"org.opencontainers.image.ref.name": "1"}}]})
        .to_string(),
    )
    .unwrap();
    let name = format!("{}/multi/app:1", reg.host);
    let o = Command::new("skopeo")
        .args([
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
        ])
        .arg(format!("oci:{}:1", dir.display()))
        .arg(format!("docker://{name}"))
        .output()
        .unwrap();
    ok(&o, "skopeo copy --all");
    let arch = |root: &Path, extra: &[&str]| {
        let mut args = vec!["pull", "-q"];
        args.extend_from_slice(extra);
        args.push(&name);
        ok(&strata(root, &args, &[]), "pull");
        ok(
            &strata(
                root,
                &[
                    "inspect",
                    "--format",
                    "{{.Architecture}} {{json .RepoDigests}}",
                    &name,
                ],
                &[],
            ),
            "inspect",
        )
    };
    let host = arch(&tmp.path().join("a"), &[]);
    assert_eq!(
        host,
        format!("amd64 [\"{}/multi/app@{idx_digest}\"]\n", reg.host)
    );
    let other = arch(&tmp.path().join("b"), &["--platform", "linux/arm64"]);
    assert!(other.starts_with("arm64 "), "{other}");
    // docker:// resolves the same way.
    let r = ok(
        &strata(
            &tmp.path().join("c"),
            &[
                "inspect",
                "--platform",
                "linux/arm64/v8",
                "--format",
                "{{.Architecture}}",
                &format!("docker://{name}"),
            ],
            &[],
        ),
        "inspect docker://",
    );
    assert_eq!(r, "arm64\n");
    // A platform the index lacks: one line naming what is there.
    let o = strata(
        &tmp.path().join("d"),
        &["pull", "--platform", "linux/s390x", &name],
        &[],
    );
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64"),
        "{err}"
    );
}

/// A manifest that lists one layer twice: `docker pull` reports each distinct layer once, and
/// so does `strata pull`.
#[test]
fn a_layer_listed_twice_is_reported_once() {
    if !common::require("docker-registry") || !common::require("skopeo") {
        return;
    }
    let reg = Registry::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let dir = make_layout(&tmp.path().join("oci"), "1", &[("a", 3000), ("b", 2000)], 7);
    // Rewrite the manifest as [a, b, a] (config diff IDs likewise).
    let blobs = dir.join("blobs/sha256");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"].as_str().unwrap()[7..].to_string();
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blobs.join(&md)).unwrap()).unwrap();
    let cd = m["config"]["digest"].as_str().unwrap()[7..].to_string();
    let mut c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blobs.join(&cd)).unwrap()).unwrap();
    let first = m["layers"][0].clone();
    m["layers"].as_array_mut().unwrap().push(first);
    let d0 = c["rootfs"]["diff_ids"][0].clone();
    c["rootfs"]["diff_ids"].as_array_mut().unwrap().push(d0);
    let put = |b: &[u8]| {
        let d = common::build::sha(b);
        std::fs::write(blobs.join(&d[7..]), b).unwrap();
        d
    };
    let cb = serde_json::to_vec(&c).unwrap();
    m["config"]["digest"] = serde_json::json!(put(&cb));
    m["config"]["size"] = serde_json::json!(cb.len());
    let mb = serde_json::to_vec(&m).unwrap();
    let mut index = index;
    index["manifests"][0]["digest"] = serde_json::json!(put(&mb));
    index["manifests"][0]["size"] = serde_json::json!(mb.len());
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let remote = format!("{}/dup/img:1", reg.host);
    ok(
        &Command::new("skopeo")
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:1", dir.display()))
            .arg(format!("docker://{remote}"))
            .output()
            .unwrap(),
        "skopeo copy",
    );
    let root = tmp.path().join("store");
    let out = ok(&strata(&root, &["pull", &remote], &[]), "strata pull");
    let lines = |t: &str, what: &str| t.lines().filter(|l| l.ends_with(what)).count();
    assert_eq!(lines(&out, ": Pulling fs layer"), 2, "{out}");
    assert_eq!(lines(&out, ": Pull complete"), 2, "{out}");
    // The daemon, when there is one, says the same.
    if let Ok(host) = std::env::var("STRATA_DOCKER_HOST") {
        let cli = if Path::new("/usr/local/bin/docker").exists() {
            "/usr/local/bin/docker"
        } else {
            "docker"
        };
        // An earlier run may have left the image there, under another registry's name.
        let id = m["config"]["digest"].as_str().unwrap().to_string();
        let _ = Command::new(cli)
            .args(["rmi", "-f", &id])
            .env("DOCKER_HOST", &host)
            .output();
        let d = Command::new(cli)
            .args(["pull", &remote])
            .env("DOCKER_HOST", &host)
            .output()
            .unwrap();
        let dt = ok(&d, "docker pull");
        assert_eq!(lines(&dt, ": Pulling fs layer"), 2, "{dt}");
        assert_eq!(lines(&dt, ": Pull complete"), 2, "{dt}");
    }
}

// ---------------------------------------------------------------------------------------
// Credentials go only where they belong.

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";

fn basic_value() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    )
}

/// Writes `config.json` for `root` with alice's password for `host`.
fn give_password(root: &Path, host: &str) {
    use base64::Engine;
    let dir = root.with_extension("docker-config");
    std::fs::create_dir_all(&dir).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        dir.join("config.json"),
        format!("{{\"auths\":{{\"{host}\":{{\"auth\":\"{auth}\"}}}}}}"),
    )
    .unwrap();
}

/// Fails if any secret shows in what strata printed.
fn assert_no_secret(o: &std::process::Output, secrets: &[&str]) {
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    for s in secrets {
        assert!(!all.contains(s), "a credential was printed: {all}");
    }
}

/// A registry whose blobs are served through a recording proxy on another port, and a
/// front proxy that demands `auth` and redirects blob GETs there.
struct Redirected {
    _reg: Registry,
    front: Proxy,
    other: Proxy,
    name: String,
}

fn redirected(tmp: &Path, repo: &str, auth: String, challenge: String) -> Redirected {
    let reg = Registry::start(None);
    let name = push_generated(&reg, tmp, repo, &[("a.bin", 100_000)], 31);
    let other = Proxy::start(&reg.host);
    let front = Proxy::start(&reg.host);
    {
        let mut f = front.faults.lock().unwrap();
        f.require_auth = Some(auth);
        f.challenge = challenge;
        f.redirect_blobs = Some(format!("http://{}", other.host));
    }
    let name = name.replace(&reg.host, &front.host);
    Redirected {
        _reg: reg,
        front,
        other,
        name,
    }
}

#[test]
fn basic_password_is_not_sent_to_a_redirect_on_another_port() {
    if !common::require("docker-registry") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = redirected(
        tmp.path(),
        "basic/app",
        basic_value(),
        "Basic realm=\"strata-test\"".into(),
    );
    let s = tmp.path().join("s");
    give_password(&s, &r.front.host);
    let o = strata(&s, &["pull", &r.name], &[]);
    ok(&o, "pull through a redirect to another port");
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
    // The registry itself got the password (so this test can tell), the other port never.
    assert!(common::has_authorization(&r.front.heads.lock().unwrap()));
    let other = r.other.heads.lock().unwrap();
    assert!(!other.is_empty(), "the redirect was not followed");
    assert!(
        !common::has_authorization(&other),
        "credentials followed the redirect: {other:?}"
    );
    check_store(&s).unwrap();
}

#[test]
fn bearer_token_is_not_sent_to_a_redirect_on_another_port() {
    if !common::require("docker-registry") || !common::require("openssl") {
        return;
    }
    let ts = TokenServer::start(USER, PASSWORD, "bearer/app");
    let tmp = tempfile::tempdir().unwrap();
    let r = redirected(
        tmp.path(),
        "bearer/app",
        format!("Bearer {}", ts.token),
        format!("Bearer realm=\"{}\",service=\"strata-test\"", ts.realm),
    );
    let s = tmp.path().join("s");
    give_password(&s, &r.front.host);
    let o = strata(&s, &["pull", &r.name], &[]);
    ok(&o, "pull with a token through a redirect to another port");
    assert_no_secret(&o, &[PASSWORD, &basic_value(), &ts.token]);
    assert!(ts.hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert!(common::has_authorization(&r.front.heads.lock().unwrap()));
    let other = r.other.heads.lock().unwrap();
    assert!(!other.is_empty(), "the redirect was not followed");
    assert!(
        !common::has_authorization(&other),
        "the token followed the redirect: {other:?}"
    );
}

/// The environment that sends everything but loopback through `proxy`.
fn via_proxy(proxy: &common::ConnectProxy) -> Vec<(&'static str, String)> {
    vec![
        ("HTTPS_PROXY", proxy.url.clone()),
        ("HTTP_PROXY", proxy.url.clone()),
        ("NO_PROXY", "127.0.0.1,localhost".to_string()),
    ]
}

fn env_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A loopback registry (played by a proxy that demands a token) whose realm is a plain-HTTP
/// address elsewhere, reached through a CONNECT proxy that plays that host with the token
/// server.
fn remote_realm(tmp: &Path, ts: &TokenServer) -> (Registry, Proxy, common::ConnectProxy, String) {
    let reg = Registry::start(None);
    let name = push_generated(&reg, tmp, "realm/app", &[("a.bin", 50_000)], 37);
    let front = Proxy::start(&reg.host);
    {
        let mut f = front.faults.lock().unwrap();
        f.require_auth = Some(format!("Bearer {}", ts.token));
        f.challenge = "Bearer realm=\"http://192.0.2.10/token\",service=\"strata-test\"".into();
    }
    let local = ts
        .realm
        .trim_start_matches("http://")
        .trim_end_matches("/token");
    let cp = common::ConnectProxy::start(&[("192.0.2.10:80", local)]);
    let name = name.replace(&reg.host, &front.host);
    (reg, front, cp, name)
}

#[test]
fn basic_password_is_not_sent_to_a_plain_http_realm_elsewhere() {
    if !common::require("docker-registry") || !common::require("openssl") {
        return;
    }
    let ts = TokenServer::start(USER, PASSWORD, "realm/app");
    let tmp = tempfile::tempdir().unwrap();
    let (_reg, front, cp, name) = remote_realm(tmp.path(), &ts);
    let s = tmp.path().join("s");
    give_password(&s, &front.host);
    let env = via_proxy(&cp);
    let o = strata(&s, &["pull", &name], &env_refs(&env));
    assert!(
        !o.status.success(),
        "pulled with a plain-HTTP realm elsewhere"
    );
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("http://192.0.2.10/token"), "{err}");
    assert_no_secret(&o, &[PASSWORD, &basic_value(), &ts.token]);
    assert!(
        !common::has_authorization(&cp.heads.lock().unwrap()),
        "the password went to the realm in clear"
    );
    assert_eq!(ts.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn plain_http_realm_elsewhere_is_used_when_insecure() {
    if !common::require("docker-registry") || !common::require("openssl") {
        return;
    }
    let ts = TokenServer::start(USER, PASSWORD, "realm/app");
    let tmp = tempfile::tempdir().unwrap();
    let (_reg, front, cp, name) = remote_realm(tmp.path(), &ts);
    let s = tmp.path().join("s");
    give_password(&s, &front.host);
    let env = via_proxy(&cp);
    let o = strata(
        &s,
        &["--insecure-registry", "192.0.2.10", "pull", &name],
        &env_refs(&env),
    );
    ok(&o, "pull with an insecure realm");
    assert_no_secret(&o, &[PASSWORD, &basic_value(), &ts.token]);
    assert_eq!(
        *cp.targets.lock().unwrap(),
        vec!["192.0.2.10:80".to_string()]
    );
    assert!(ts.hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[test]
fn redirect_to_plain_http_elsewhere_is_refused() {
    if !common::require("docker-registry") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = redirected(
        tmp.path(),
        "away/app",
        basic_value(),
        "Basic realm=\"strata-test\"".into(),
    );
    r.front.faults.lock().unwrap().redirect_blobs = Some("http://192.0.2.10:8080".into());
    let cp = common::ConnectProxy::start(&[("192.0.2.10:8080", &r.other.host)]);
    let env = via_proxy(&cp);
    let s = tmp.path().join("s");
    give_password(&s, &r.front.host);
    let o = strata(&s, &["pull", &r.name], &env_refs(&env));
    assert!(
        !o.status.success(),
        "followed a redirect to plain HTTP elsewhere"
    );
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("http://192.0.2.10:8080/v2/"), "{err}");
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
    assert!(cp.targets.lock().unwrap().is_empty());

    // Allowed with --insecure-registry, and still without the password.
    let s = tmp.path().join("t");
    give_password(&s, &r.front.host);
    let o = strata(
        &s,
        &["--insecure-registry", "192.0.2.10:8080", "pull", &r.name],
        &env_refs(&env),
    );
    ok(&o, "pull through an allowed plain-HTTP redirect");
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
    let heads = cp.heads.lock().unwrap();
    assert!(!heads.is_empty());
    assert!(!common::has_authorization(&heads), "{heads:?}");
}

#[test]
fn credentials_never_show_in_progress_or_errors() {
    if !common::require("docker-registry") || !common::require("script") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = redirected(
        tmp.path(),
        "shown/app",
        basic_value(),
        "Basic realm=\"strata-test\"".into(),
    );
    let s = tmp.path().join("s");
    give_password(&s, &r.front.host);
    // In a terminal, where progress is drawn.
    let in_tty = |args: &str| {
        let cmd = format!("{} --root {} {args}", common::STRATA, s.display());
        Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("DOCKER_CONFIG", s.with_extension("docker-config"))
            .output()
            .unwrap()
    };
    let o = in_tty(&format!("pull {}", r.name));
    assert!(o.status.success(), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("Pull complete"),
        "{}",
        text(&o.stdout)
    );
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
    // Failures: a wrong password, a missing image, an unreachable blob.
    r.front.faults.lock().unwrap().require_auth = Some("Basic bm9ib2R5Om5vcGU=".into());
    let o = in_tty(&format!("pull {}", r.name.replace(":1", ":2")));
    assert!(!o.status.success());
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
    r.front.faults.lock().unwrap().require_auth = Some(basic_value());
    let o = in_tty(&format!("pull {}", r.name.replace(":1", ":nope")));
    assert!(!o.status.success());
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
    r.front.faults.lock().unwrap().redirect_blobs = Some("http://127.0.0.1:1".into());
    let t = tmp.path().join("t");
    give_password(&t, &r.front.host);
    let o = strata(&t, &["pull", &r.name], &[("STRATA_RETRIES", "0")]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("127.0.0.1:1"),
        "{}",
        text(&o.stderr)
    );
    assert_no_secret(&o, &[PASSWORD, &basic_value()]);
}

// ---------------------------------------------------------------------------------------
// Slow senders

/// Runs strata under a hard time limit (so a hang fails the test instead of the suite).
fn strata_within(
    root: &Path,
    secs: u32,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Output, Duration) {
    let mut c = Command::new("timeout");
    c.arg("-s")
        .arg("KILL")
        .arg(secs.to_string())
        .arg(common::STRATA);
    c.arg("--root").arg(root).args(args);
    c.env("DOCKER_CONFIG", root.with_extension("docker-config"));
    for (k, v) in env {
        c.env(k, v);
    }
    let t = std::time::Instant::now();
    let o = c.output().unwrap();
    (o, t.elapsed())
}

/// A registry behind a proxy that trickles the bodies whose path contains `what`.
fn trickling(tmp: &Path, what: &str) -> (Registry, Proxy, String) {
    let reg = Registry::start(None);
    let name = push_generated(&reg, tmp, "slow/app", &[("a.bin", 200_000)], 41);
    let proxy = Proxy::start(&reg.host);
    {
        let mut f = proxy.faults.lock().unwrap();
        f.trickle = Some(Duration::from_millis(100));
        f.trickle_path = what.to_string();
    }
    let name = name.replace(&reg.host, &proxy.host);
    (reg, proxy, name)
}

const SLOW_ENV: [(&str, &str); 3] = [
    ("STRATA_READ_TIMEOUT", "5"),
    ("STRATA_LOW_SPEED_TIME", "2"),
    ("STRATA_LOW_SPEED_LIMIT", "1000"),
];

#[test]
fn a_trickling_blob_fails_naming_the_blob() {
    if !common::require("docker-registry") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (_reg, _proxy, name) = trickling(tmp.path(), "/blobs/");
    let s = tmp.path().join("s");
    let (o, took) = strata_within(&s, 60, &["pull", &name], &SLOW_ENV);
    assert_eq!(
        o.status.code(),
        Some(1),
        "killed by the time limit after {took:?}"
    );
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("transfer too slow") && err.contains("blob sha256:"),
        "{err}"
    );
    assert_eq!(err.matches("transfer too slow").count(), 1, "{err}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    check_store(&s).unwrap();
    // inspect over docker:// reads the config blob the same way.
    let (o, _) = strata_within(&s, 60, &["inspect", &format!("docker://{name}")], &SLOW_ENV);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("transfer too slow"), "{err}");
    assert_eq!(err.matches("transfer too slow").count(), 1, "{err}");
}

#[test]
fn a_trickling_manifest_fails_naming_the_manifest() {
    if !common::require("docker-registry") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (_reg, _proxy, name) = trickling(tmp.path(), "/manifests/");
    let s = tmp.path().join("s");
    let (o, took) = strata_within(&s, 60, &["pull", &name], &SLOW_ENV);
    assert_eq!(
        o.status.code(),
        Some(1),
        "killed by the time limit after {took:?}"
    );
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("transfer too slow") && err.contains("manifest"),
        "{err}"
    );
}
