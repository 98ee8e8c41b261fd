//! Builders for small images made by hand: layer tars with any member names (hostile ones
//! included) and legacy `docker save` archives around them.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of bytes.
pub fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(b)))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A layer tar from (name, kind, payload) entries; kind: f=file, d=dir, s=symlink,
/// h=hardlink. Names reach the tar exactly as given.
pub fn layer(entries: &[(&str, char, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, payload) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_mtime(0);
        match kind {
            'd' => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                raw_name(&mut h, name);
                h.set_cksum();
                b.append(&h, &[][..]).expect("dir");
            }
            's' | 'h' => {
                h.set_entry_type(if *kind == 's' {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                h.set_size(0);
                // Bypass the builder's path checks: hostile names must reach the file as-is.
                raw_name(&mut h, name);
                h.set_link_name_literal(payload).expect("link");
                h.set_cksum();
                b.append(&h, &[][..]).expect("link");
            }
            _ => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(payload.len() as u64);
                raw_name(&mut h, name);
                h.set_cksum();
                b.append(&h, payload.as_bytes()).expect("file");
            }
        }
    }
    b.into_inner().expect("tar")
}

pub fn raw_name(h: &mut tar::Header, name: &str) {
    let gnu = h.as_gnu_mut().expect("gnu header");
    gnu.name = [0; 100];
    gnu.name[..name.len()].copy_from_slice(name.as_bytes());
}

pub fn config_for(diff_ids: &[String]) -> Value {
    json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["A=1"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": diff_ids.iter().map(|_| json!({"created_by": "x"})).collect::<Vec<_>>(),
    })
}

/// A legacy docker-archive. `tweak` may edit the manifest entry before writing.
pub fn legacy(
    dir: &Path,
    name: &str,
    layers: &[Vec<u8>],
    tweak: impl Fn(&mut Value, &mut Value),
) -> PathBuf {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let mut config = config_for(&diff_ids);
    let mut entry = json!({"Config": "", "RepoTags": ["hostile/x:1"], "Layers": []});
    let layer_names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    entry["Layers"] = json!(layer_names);
    tweak(&mut config, &mut entry);
    let cfg = serde_json::to_vec(&config).expect("json");
    if entry["Config"] == "" {
        entry["Config"] = json!(format!("{}.json", &sha(&cfg)[7..]));
    }
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, path, data).expect("append");
    };
    for (i, l) in layers.iter().enumerate() {
        add(&format!("l{i}/layer.tar"), l);
    }
    add(entry["Config"].as_str().unwrap_or("c.json"), &cfg);
    add(
        "manifest.json",
        &serde_json::to_vec(&json!([entry])).expect("json"),
    );
    let path = dir.join(name);
    std::fs::write(&path, b.into_inner().expect("tar")).expect("write");
    path
}

/// gzip of bytes.
pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).expect("gz");
    e.finish().expect("gz")
}

/// A layer tar made by GNU tar from files written into a temporary directory (`files`: path,
/// size, and (offset, bytes) pieces; the rest of each file is a hole), with `flags` (say
/// `--format=posix --sparse --sparse-version=1.0`).
/// A file for [`gnu_tar_layer`]: name, size, and the pieces of data in it.
pub type SparseFile<'a> = (&'a str, u64, &'a [(u64, &'a [u8])]);

pub fn gnu_tar_layer(files: &[SparseFile<'_>], flags: &[&str]) -> Vec<u8> {
    use std::io::{Seek, SeekFrom};
    let d = tempfile::tempdir().unwrap();
    for (name, size, pieces) in files {
        let p = d.path().join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        f.set_len(*size).unwrap();
        for (off, bytes) in *pieces {
            f.seek(SeekFrom::Start(*off)).unwrap();
            f.write_all(bytes).unwrap();
        }
    }
    let out = d.path().join("layer.tar");
    let names: Vec<&str> = files.iter().map(|(n, _, _)| *n).collect();
    let o = std::process::Command::new("tar")
        .args(flags)
        .arg("--owner=0")
        .arg("--group=0")
        .arg("-C")
        .arg(d.path())
        .arg("-cf")
        .arg(&out)
        .args(&names)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tar: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(out).unwrap()
}

/// A layer of one regular file preceded by a PAX header holding `records` (raw bytes, so a
/// record may hold anything, a NUL say).
pub fn pax_layer(records: &[(&str, &[u8])], name: &str, body: &[u8]) -> Vec<u8> {
    let mut pax = Vec::new();
    for (k, v) in records {
        // "%d %s=%s\n", the length counting itself.
        let rest = k.len() + v.len() + 3;
        let mut n = rest + 1;
        while n.to_string().len() + rest != n {
            n += 1;
        }
        pax.extend_from_slice(n.to_string().as_bytes());
        pax.push(b' ');
        pax.extend_from_slice(k.as_bytes());
        pax.push(b'=');
        pax.extend_from_slice(v);
        pax.push(b'\n');
    }
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_size(pax.len() as u64);
    h.set_mode(0o644);
    raw_ustar_name(&mut h, "PaxHeaders.0/x");
    h.set_cksum();
    b.append(&h, &pax[..]).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    raw_ustar_name(&mut h, name);
    h.set_cksum();
    b.append(&h, body).unwrap();
    b.into_inner().unwrap()
}

fn raw_ustar_name(h: &mut tar::Header, name: &str) {
    let u = h.as_ustar_mut().expect("ustar header");
    u.name = [0; 100];
    u.name[..name.len()].copy_from_slice(name.as_bytes());
}
