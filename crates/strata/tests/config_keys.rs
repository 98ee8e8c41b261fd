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
    let o = common::strata_cmd()
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

/// A docker-archive holding one image with this config tail (after os, before rootfs).
fn archive_with(dir: &Path, name: &str, tail: &str) -> std::path::PathBuf {
    let l = layer(&[("f", 'f', "x")]);
    let cfg = format!(
        r#"{{"architecture":"amd64","os":"linux",{tail},"rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
        sha(&l)
    );
    let cid = &sha(cfg.as_bytes())[7..];
    let manifest = serde_json::json!([{"Config": format!("{cid}.json"), "RepoTags": [format!("num/{name}:1")], "Layers": ["l0/layer.tar"]}]);
    let mut b = tar::Builder::new(Vec::new());
    for (member, data) in [
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
        b.append_data(&mut h, member, &data[..]).unwrap();
    }
    let path = dir.join(format!("{name}.tar"));
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    path
}

/// The daemon decodes integer fields with strconv.ParseInt: `100.0`, `1e9` or an integer out of
/// range refuse the whole image (texts from `docker load` on the 20.10 daemon here). strata
/// refuses the same images, in every command, with Go's text.
#[test]
fn integer_fields_with_a_fraction_or_exponent_refuse_the_image() {
    let t = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, Option<&str>); 8] = [
        (
            "float",
            r#""config":{"Healthcheck":{"Test":["CMD","true"],"Interval":100.0}}"#,
            Some(
                "json: cannot unmarshal number 100.0 into Go struct field HealthConfig.config.Healthcheck.Interval of type time.Duration",
            ),
        ),
        (
            "exp",
            r#""config":{"Healthcheck":{"Interval":1e9}}"#,
            Some(
                "json: cannot unmarshal number 1e9 into Go struct field HealthConfig.config.Healthcheck.Interval of type time.Duration",
            ),
        ),
        (
            "stop",
            r#""config":{"StopTimeout":5e0}"#,
            Some(
                "json: cannot unmarshal number 5e0 into Go struct field Config.config.StopTimeout of type int",
            ),
        ),
        (
            "size",
            r#""Size":1.5"#,
            Some("json: cannot unmarshal number 1.5 into Go struct field Image.Size of type int64"),
        ),
        (
            "retries",
            r#""container_config":{"Healthcheck":{"Retries":2.0}}"#,
            Some(
                "json: cannot unmarshal number 2.0 into Go struct field HealthConfig.container_config.Healthcheck.Retries of type int",
            ),
        ),
        (
            "bigint",
            r#""config":{"StopTimeout":99999999999999999999}"#,
            Some(
                "json: cannot unmarshal number 99999999999999999999 into Go struct field Config.config.StopTimeout of type int",
            ),
        ),
        (
            "big",
            r#""config":{"Healthcheck":{"Test":["CMD","true"],"Interval":12345000000000000}}"#,
            None,
        ),
        ("neg", r#""config":{"Healthcheck":{"Timeout":-0}}"#, None),
    ];
    let live = std::env::var("STRATA_DOCKER_HOST").ok();
    for (name, tail, want) in cases {
        let archive = archive_with(t.path(), name, tail);
        for verb in ["inspect", "history", "ls"] {
            let o = common::strata_cmd()
                .arg(verb)
                .arg(format!("docker-archive:{}", archive.display()))
                .env("XDG_CACHE_HOME", t.path().join("cache"))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            match want {
                Some(w) => {
                    assert_eq!(o.status.code(), Some(1), "{name} {verb}: {err}");
                    assert_eq!(err.lines().count(), 1, "{name} {verb}: {err}");
                    assert!(err.trim_end().ends_with(w), "{name} {verb}: {err}");
                }
                None => assert!(o.status.success(), "{name} {verb}: {err}"),
            }
        }
        if let Some(host) = &live {
            let cli = if Path::new("/usr/local/bin/docker").exists() {
                "/usr/local/bin/docker"
            } else {
                "docker"
            };
            let d = Command::new(cli)
                .args(["load", "-q", "-i"])
                .arg(&archive)
                .env("DOCKER_HOST", host)
                .output()
                .unwrap();
            let derr = String::from_utf8_lossy(&d.stderr);
            match want {
                Some(w) => assert_eq!(derr.trim_end(), w, "{name}: live docker"),
                None => {
                    assert!(d.status.success(), "{name}: {derr}");
                    let _ = Command::new(cli)
                        .args(["rmi", "-f", &format!("num/{name}:1")])
                        .env("DOCKER_HOST", host)
                        .output();
                }
            }
        }
    }
}
