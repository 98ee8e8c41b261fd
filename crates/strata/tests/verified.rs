//! Nothing unverified leaves: file bodies printed by `cat`, `export` and `unpack` come from a
//! pass that verifies their layer (digest and diff ID) and match the digest the index recorded
//! for them, and a cached index serves only bytes verified to have its diff ID.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;

mod common;
use common::build::{layer, legacy, sha};

fn strata(cache: &Path, args: &[&str]) -> Output {
    common::strata_cmd()
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .env("STRATA_ROOT", cache.join("store"))
        .output()
        .expect("run strata")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A legacy archive whose only layer holds /etc/secret; `body` has the same length for both
/// variants, so the archives differ only inside the layer bytes.
fn archive(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let good = layer(&[("etc/", 'd', ""), ("etc/secret", 'f', "good")]);
    let l = layer(&[("etc/", 'd', ""), ("etc/secret", 'f', body)]);
    // The config always names the good layer's diff ID.
    let diff = sha(&good);
    legacy(dir, name, &[l], move |c, _| {
        c["rootfs"]["diff_ids"] = serde_json::json!([diff.clone()]);
    })
}

fn refused(o: &Output, what: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{what}: {err}");
    assert!(o.stdout.is_empty(), "{what} printed {:?}", text(&o.stdout));
    assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
    assert!(
        err.contains("sha256:"),
        "{what} does not name the digest: {err}"
    );
}

#[test]
fn a_warm_index_does_not_vouch_for_another_archives_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = archive(d, "good.tar", "good");
    let evil = archive(d, "evil.tar", "evil");
    let g = format!("docker-archive:{}", good.display());
    let e = format!("docker-archive:{}", evil.display());
    let o = strata(d, &["ls", "-R", &g]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(strata(d, &["cat", &g, "/etc/secret"]).stdout, b"good");
    // Same config, same claimed diff ID, other bytes: every command refuses.
    refused(&strata(d, &["cat", &e, "/etc/secret"]), "cat");
    refused(&strata(d, &["ls", "-R", &e]), "ls");
    refused(
        &strata(d, &["inspect", &e]).clone_with_empty_stdout(),
        "inspect",
    );
    let out = d.join("x.tar").display().to_string();
    refused(&strata(d, &["export", "-o", &out, &e]), "export");
    let dest = d.join("u");
    refused(
        &strata(d, &["unpack", &e, &dest.display().to_string()]),
        "unpack",
    );
    assert!(!dest.exists() || std::fs::read_dir(&dest).unwrap().next().is_none());
}

#[test]
fn swapping_layer_bytes_under_a_warm_cache_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = archive(d, "img.tar", "good");
    let img = format!("docker-archive:{}", good.display());
    for args in [
        vec!["ls", "-R", &img],
        vec!["inspect", &img],
        vec!["cat", &img, "/etc/secret"],
    ] {
        let o = strata(d, &args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    // Rewrite the file in place with the other body (same length, same offsets).
    let mut bytes = std::fs::read(&good).unwrap();
    let at = bytes.windows(4).rposition(|w| w == b"good").unwrap();
    bytes[at..at + 4].copy_from_slice(b"evil");
    std::fs::write(&good, &bytes).unwrap();
    refused(&strata(d, &["cat", &img, "/etc/secret"]), "cat");
    refused(&strata(d, &["ls", "-R", &img]), "ls");
    let out = d.join("x.tar");
    refused(
        &strata(d, &["export", "-o", &out.display().to_string(), &img]),
        "export",
    );
    assert!(!out.exists(), "a refused export left its file");
}

#[test]
fn a_corrupted_store_blob_is_refused_by_cat() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = archive(d, "img.tar", "good");
    let o = strata(d, &["load", "-i", &good.display().to_string()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = strata(d, &["ls", "-R", "hostile/x:1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let blobs = d.join("store/blobs/sha256");
    let mut hit = false;
    for e in std::fs::read_dir(&blobs).unwrap().flatten() {
        let mut b = std::fs::read(e.path()).unwrap();
        if let Some(at) = b.windows(4).position(|w| w == b"good") {
            b[at..at + 4].copy_from_slice(b"evil");
            std::fs::write(e.path(), &b).unwrap();
            hit = true;
        }
    }
    assert!(hit, "no layer blob in the store");
    refused(&strata(d, &["cat", "hostile/x:1", "/etc/secret"]), "cat");
    let dest = d.join("u");
    refused(
        &strata(d, &["unpack", "hostile/x:1", &dest.display().to_string()]),
        "unpack",
    );
}

trait EmptyStdout {
    fn clone_with_empty_stdout(&self) -> Output;
}

impl EmptyStdout for Output {
    /// inspect prints Docker's `[]` before its error; the rest of the check applies.
    fn clone_with_empty_stdout(&self) -> Output {
        assert_eq!(text(&self.stdout), "[]\n");
        Output {
            status: self.status,
            stdout: Vec::new(),
            stderr: self.stderr.clone(),
        }
    }
}
