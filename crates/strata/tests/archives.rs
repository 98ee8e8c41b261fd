//! Whole-archive compression (`docker save | gzip`, `.tar.xz`…): decompressed once into the
//! user's cache, bounded like a layer, and nothing left behind on any exit, `kill -9` included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

mod common;
use common::build::{gzip, layer, legacy};

fn strata(cache: &Path, tmp: &Path) -> Command {
    let mut c = common::strata_cmd();
    c.env("XDG_CACHE_HOME", cache).env("TMPDIR", tmp);
    c
}

fn files_in(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn a_compressed_archive_is_decompressed_once() {
    let t = tempfile::tempdir().unwrap();
    let (cache, tmp) = (t.path().join("cache"), t.path().join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let plain = legacy(t.path(), "img.tar", &[layer(&[("f", 'f', "x")])], |_, _| {});
    let gz = t.path().join("img.tar.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&plain).unwrap())).unwrap();
    let img = format!("docker-archive:{}", gz.display());
    for _ in 0..3 {
        let o = strata(&cache, &tmp)
            .args(["inspect", &img])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let copies = files_in(&cache.join("strata/archives"));
    assert_eq!(copies.len(), 1, "one decompressed copy, reused: {copies:?}");
    assert!(files_in(&tmp).is_empty(), "TMPDIR: {:?}", files_in(&tmp));
    // The copy is keyed by the file's identity: a new file is decompressed anew.
    std::fs::write(&gz, gzip(&std::fs::read(&plain).unwrap())).unwrap();
    let o = strata(&cache, &tmp).args(["ls", &img]).output().unwrap();
    assert!(o.status.success());
    assert_eq!(files_in(&cache.join("strata/archives")).len(), 2);
}

#[test]
fn a_stream_that_goes_on_after_the_archive_is_a_bomb() {
    let t = tempfile::tempdir().unwrap();
    let (cache, tmp) = (t.path().join("cache"), t.path().join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let plain = legacy(t.path(), "img.tar", &[layer(&[("f", 'f', "x")])], |_, _| {});
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..80 {
        e.write_all(&zeros).unwrap();
    }
    let gz = t.path().join("bomb.tar.gz");
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let o = strata(&cache, &tmp)
        .args(["inspect", &format!("docker-archive:{}", gz.display())])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("decompression bomb"), "{err}");
    assert!(files_in(&cache.join("strata/archives")).is_empty());
    assert!(files_in(&tmp).is_empty());
}

#[test]
fn kill_9_while_decompressing_leaves_nothing() {
    let t = tempfile::tempdir().unwrap();
    let (cache, tmp) = (t.path().join("cache"), t.path().join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    // A layer with 200 MiB of zeros: the decompression takes a while.
    let mut big = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(200 << 20);
    h.set_mode(0o644);
    h.set_cksum();
    big.append_data(&mut h, "zeros", std::io::repeat(0).take_n(200 << 20))
        .unwrap();
    let layer_tar = big.into_inner().unwrap();
    let plain = legacy(t.path(), "img.tar", &[layer_tar], |_, _| {});
    let gz = t.path().join("img.tar.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&plain).unwrap())).unwrap();
    std::fs::remove_file(&plain).unwrap();
    for delay in [50, 150, 300] {
        let mut child = strata(&cache, &tmp)
            .args(["inspect", &format!("docker-archive:{}", gz.display())])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let left = files_in(&cache.join("strata/archives"));
        // Either nothing, or a complete copy (when the run got that far).
        for f in &left {
            let len: u64 = f
                .rsplit('-')
                .next()
                .and_then(|x| x.strip_suffix(".tar"))
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let real = std::fs::metadata(cache.join("strata/archives").join(f))
                .unwrap()
                .len();
            assert_eq!(len, real, "a partial copy was left: {f}");
        }
        assert!(files_in(&tmp).is_empty(), "TMPDIR: {:?}", files_in(&tmp));
    }
}

trait TakeN: std::io::Read + Sized {
    fn take_n(self, n: u64) -> std::io::Take<Self> {
        self.take(n)
    }
}
impl<R: std::io::Read> TakeN for R {}

#[test]
fn the_layer_ceiling_is_a_flag_and_says_how_to_raise_it() {
    let t = tempfile::tempdir().unwrap();
    let (cache, tmp) = (t.path().join("cache"), t.path().join("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let body = "z".repeat(2 << 20);
    let plain = legacy(
        t.path(),
        "img.tar",
        &[layer(&[("big", 'f', &body)])],
        |_, _| {},
    );
    let img = format!("docker-archive:{}", plain.display());
    let o = strata(&cache, &tmp)
        .args(["--max-layer-size", "1MiB", "ls", &img])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--max-layer-size") && err.contains("STRATA_MAX_LAYER_SIZE"),
        "{err}"
    );
    let o = strata(&cache, &tmp)
        .env("STRATA_MAX_LAYER_SIZE", "1MiB")
        .args(["inspect", &img])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let o = strata(&cache, &tmp).args(["ls", &img]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
