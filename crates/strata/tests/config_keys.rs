//! Config keys as Go's decoder applies them (how the daemon reads a config): in document
//! order, matched with Unicode case folding, the last match winning; map keys (labels) are
//! case-sensitive. An audit built on strata must see the user the container runs as.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

mod common;
use common::build::{layer, sha};

const FORMAT: &str = "{{.Config.User}}|{{.Config.Env}}|{{json .Config.Labels}}|{{.Created}}";
/// What the daemon printed for this config (Docker 20.10).
const DOCKER_SAYS: &str = "long-s|[B=2]|{\"A\":\"2\",\"a\":\"3\"}|2021-01-01T00:00:00Z\n";

#[test]
fn repeated_and_case_variant_keys_decode_as_go_decodes_them() {
    let t = tempfile::tempdir().unwrap();
    let l = layer(&[("f", 'f', "x")]);
    let cfg = format!(
        concat!(
            r#"{{"architecture":"amd64","os":"linux","created":"2020-01-01T00:00:00Z","Created":"2021-01-01T00:00:00Z","#,
            r#""config":{{"user":"x","User":"nobody","user":"root","Env":["A=1"],"env":["B=2"],"#,
            r#""Labels":{{"a":"1","A":"2","a":"3"}},"uſer":"long-s"}},"#,
            r#""rootfs":{{"type":"layers","diff_ids":["{}"]}},"history":[{{"created_by":"x"}}]}}"#
        ),
        sha(&l)
    );
    let cid = &sha(cfg.as_bytes())[7..];
    let mut b = tar::Builder::new(Vec::new());
    let manifest = serde_json::json!([{"Config": format!("{cid}.json"), "RepoTags": ["keys/x:1"], "Layers": ["l0/layer.tar"]}]);
    for (name, data) in [
        (format!("{cid}.json"), cfg.as_bytes().to_vec()),
        ("l0/layer.tar".to_string(), l),
        (
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).unwrap(),
        ),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    let archive = t.path().join("keys.tar");
    std::fs::write(&archive, b.into_inner().unwrap()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["inspect", "--format", FORMAT])
        .arg(format!("docker-archive:{}", archive.display()))
        .env("XDG_CACHE_HOME", t.path().join("cache"))
        .output()
        .unwrap();
    let strata = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        strata,
        DOCKER_SAYS,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // And the live daemon, when there is one.
    if let Ok(host) = std::env::var("STRATA_DOCKER_HOST") {
        let cli = if Path::new("/usr/local/bin/docker").exists() {
            "/usr/local/bin/docker"
        } else {
            "docker"
        };
        let run = |args: &[&str]| {
            Command::new(cli)
                .args(args)
                .env("DOCKER_HOST", &host)
                .output()
                .unwrap()
        };
        let l = run(&["load", "-q", "-i", &archive.display().to_string()]);
        assert!(l.status.success(), "{}", String::from_utf8_lossy(&l.stderr));
        let d = run(&[
            "image",
            "inspect",
            "--format",
            FORMAT,
            &format!("sha256:{cid}"),
        ]);
        assert_eq!(String::from_utf8_lossy(&d.stdout), strata);
    }
}
