//! Tar formats real tools write: GNU tar's PAX sparse files (formats 0.0, 0.1 and 1.0) read
//! back byte for byte by every command, and as `docker export` writes them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::path::Path;
use std::process::Command;

mod common;
use common::build::{gnu_tar_layer, legacy};

const PIECES: &[(u64, &[u8])] = &[(1 << 20, b"hello"), (2 << 20, b"tail")];
const SIZE: u64 = 3 << 20;

fn expected() -> Vec<u8> {
    let mut v = vec![0u8; SIZE as usize];
    for (off, b) in PIECES {
        v[*off as usize..*off as usize + b.len()].copy_from_slice(b);
    }
    v
}

fn strata(d: &Path, args: &[&str]) -> std::process::Output {
    common::strata_cmd()
        .args(args)
        .env("XDG_CACHE_HOME", d.join("cache"))
        .output()
        .unwrap()
}

fn file_in_tar(tar_path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut a = tar::Archive::new(std::fs::File::open(tar_path).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path_bytes().as_ref() == name.as_bytes() {
            let mut v = Vec::new();
            e.read_to_end(&mut v).unwrap();
            return Some(v);
        }
    }
    None
}

fn check(version: &str) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let layer = gnu_tar_layer(
        &[
            ("sparse.bin", SIZE, PIECES),
            ("hole-at-end.bin", 2 << 20, &[(10, b"x")]),
        ],
        &[
            "--format=posix",
            "--sparse",
            &format!("--sparse-version={version}"),
        ],
    );
    let archive = legacy(d, "img.tar", &[layer], |_, e| {
        e["RepoTags"] = serde_json::json!([format!("sparse/v{}:1", version.replace('.', "-"))]);
    });
    let img = format!("docker-archive:{}", archive.display());
    let cat = strata(d, &["cat", &img, "/sparse.bin"]);
    assert!(
        cat.status.success(),
        "{}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert!(cat.stdout == expected(), "cat of the sparse file differs");
    let ls = strata(d, &["ls", "-l", &img, "/sparse.bin"]);
    assert!(String::from_utf8_lossy(&ls.stdout).contains(&SIZE.to_string()));
    let out = d.join("export.tar");
    let o = strata(d, &["export", "-o", &out.display().to_string(), &img]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(file_in_tar(&out, "sparse.bin").unwrap() == expected());
    let dest = d.join("rootfs");
    let o = strata(d, &["unpack", &img, &dest.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(dest.join("sparse.bin")).unwrap() == expected());
    let tail = std::fs::read(dest.join("hole-at-end.bin")).unwrap();
    assert_eq!(tail.len(), 2 << 20);
    // The daemon reads it the same way.
    let Ok(host) = std::env::var("STRATA_DOCKER_HOST") else {
        return;
    };
    let cli = if Path::new("/usr/local/bin/docker").exists() {
        "/usr/local/bin/docker"
    } else {
        "docker"
    };
    let docker = |args: &[&str]| {
        Command::new(cli)
            .args(args)
            .env("DOCKER_HOST", &host)
            .output()
            .unwrap()
    };
    let l = docker(&["load", "-q", "-i", &archive.display().to_string()]);
    assert!(l.status.success(), "{}", String::from_utf8_lossy(&l.stderr));
    let tag = format!("sparse/v{}:1", version.replace('.', "-"));
    let c = docker(&["create", &tag, "sh"]);
    let id = String::from_utf8_lossy(&c.stdout).trim().to_string();
    let dexp = d.join("docker-export.tar");
    let e = docker(&["export", "-o", &dexp.display().to_string(), &id]);
    let _ = docker(&["rm", &id]);
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    for name in ["sparse.bin", "hole-at-end.bin"] {
        assert!(
            file_in_tar(&dexp, name) == file_in_tar(&out, name),
            "{name}: strata export differs from docker export"
        );
    }
}

#[test]
fn pax_sparse_0_0_reads_back_byte_for_byte() {
    check("0.0");
}

#[test]
fn pax_sparse_0_1_reads_back_byte_for_byte() {
    check("0.1");
}

#[test]
fn pax_sparse_1_0_reads_back_byte_for_byte() {
    check("1.0");
}
