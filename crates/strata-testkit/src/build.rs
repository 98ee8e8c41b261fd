//! Builders for small images made by hand: layer tars with any member names (hostile ones
//! included), legacy `docker save` archives around them, seeded OCI layouts of
//! incompressible layers, and the conformance image in every file transport's layout.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of bytes.
pub fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(b)))
}

/// Lower-case hex of bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A SHA-256 digest computed here, independently of the code under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sha(String);

impl Sha {
    /// The hex part.
    pub fn hex(&self) -> &str {
        &self.0
    }

    /// Where an OCI layout keeps the blob: `blobs/sha256/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/sha256/{}", self.0)
    }
}

impl std::fmt::Display for Sha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.0)
    }
}

/// The digest of bytes.
pub fn digest_of(b: &[u8]) -> Sha {
    Sha(hex(&Sha256::digest(b)))
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

/// Sets a header's name bytes as given, bypassing the tar crate's path checks.
pub fn raw_name(h: &mut tar::Header, name: &str) {
    let gnu = h.as_gnu_mut().expect("gnu header");
    gnu.name = [0; 100];
    gnu.name[..name.len()].copy_from_slice(name.as_bytes());
}

/// A minimal amd64 config over these diff IDs, one history step per layer.
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

/// A file for [`gnu_tar_layer`]: name, size, and the pieces of data in it.
pub type SparseFile<'a> = (&'a str, u64, &'a [(u64, &'a [u8])]);

/// A layer tar made by GNU tar from files written into a temporary directory (`files`: path,
/// size, and (offset, bytes) pieces; the rest of each file is a hole), with `flags` (say
/// `--format=posix --sparse --sparse-version=1.0`).
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

/// Writes a Docker-archive-free image straight into an OCI layout: layers of given sizes of
/// pseudo-random (incompressible) bytes, gzip-compressed. Returns the layout dir.
pub fn make_layout(dir: &Path, tag: &str, layers: &[(&str, usize)], seed: u64) -> PathBuf {
    make_layout_arch(dir, tag, layers, seed, "amd64").0
}

/// Like [`make_layout`], for an architecture; also returns the manifest's digest and size.
pub fn make_layout_arch(
    dir: &Path,
    tag: &str,
    layers: &[(&str, usize)],
    seed: u64,
    arch: &str,
) -> (PathBuf, String, usize) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| {
        let d = sha(b);
        std::fs::write(blobs.join(&d[7..]), b).unwrap();
        d
    };
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut diff_ids = Vec::new();
    let mut descs = Vec::new();
    for (name, size) in layers {
        let mut data = vec![0u8; *size];
        for b in data.iter_mut() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (state >> 33) as u8;
        }
        let mut t = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        t.append_data(&mut h, name, &data[..]).unwrap();
        let tar_bytes = t.into_inner().unwrap();
        diff_ids.push(sha(&tar_bytes));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar_bytes).unwrap();
        let gz = gz.finish().unwrap();
        let d = put(&gz);
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": gz.len()}));
    }
    let config = serde_json::json!({
        "created": "2025-01-01T00:00:00Z", "architecture": arch, "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|(n, _)| serde_json::json!({"created": "2025-01-01T00:00:00Z", "created_by": format!("ADD {n}")})).collect::<Vec<_>>(),
    })
    .to_string();
    let cd = put(config.as_bytes());
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": descs}).to_string();
    let md = put(manifest.as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": md, "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": tag}}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    (dir.to_path_buf(), md, manifest.len())
}

/// A small image built here: two plain-tar layers, a config naming their diff IDs, an OCI
/// manifest.
pub struct Built {
    /// The layer tars, base first.
    pub layers: Vec<Vec<u8>>,
    /// The config bytes.
    pub config: Vec<u8>,
    /// The OCI manifest bytes.
    pub manifest: Vec<u8>,
}

/// A plain layer tar of (name, body) files.
pub fn layer_tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, name, &body[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// The conformance image: two layers big enough that an interrupted copy has a prefix to
/// resume from.
pub fn built() -> Built {
    // Bodies big enough that an interrupted copy has a real prefix to resume from.
    let body = |seed: u8, n: usize| -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    };
    let layers = vec![
        layer_tar(&[
            ("etc/os-release", b"ID=conformance\n".to_vec()),
            ("usr/bin/tool", body(1, 300_000)),
        ]),
        layer_tar(&[("app/data.bin", body(7, 500_000))]),
    ];
    let diff_ids: Vec<String> = layers.iter().map(|l| digest_of(l).to_string()).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "ADD base"}, {"created_by": "ADD app"}],
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest_of(&config).to_string(), "size": config.len()},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": digest_of(l).to_string(), "size": l.len()})).collect::<Vec<_>>(),
    }))
    .unwrap();
    Built {
        layers,
        config,
        manifest,
    }
}

/// The OCI layout's files: (path, bytes). `damage` flips a byte of the last layer's blob.
pub fn layout_files(b: &Built, damage: bool) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        (
            "index.json".to_string(),
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest_of(&b.manifest).to_string(), "size": b.manifest.len(),
                    "annotations": {"org.opencontainers.image.ref.name": "1"}}],
            }))
            .unwrap(),
        ),
    ];
    for bytes in [&b.manifest, &b.config] {
        files.push((digest_of(bytes).blob_path(), bytes.clone()));
    }
    for (i, l) in b.layers.iter().enumerate() {
        let mut bytes = l.clone();
        if damage && i + 1 == b.layers.len() {
            let at = bytes.len() / 2;
            bytes[at] ^= 0xff;
        }
        // Stored under the digest the manifest promises, whatever the bytes.
        files.push((digest_of(l).blob_path(), bytes));
    }
    files
}

/// The legacy `docker save` layout's files. `damage` flips a byte of the last layer.
pub fn docker_archive_files(b: &Built, damage: bool) -> Vec<(String, Vec<u8>)> {
    let id = digest_of(&b.config);
    let mut files = vec![(format!("{}.json", id.hex()), b.config.clone())];
    let mut paths = Vec::new();
    for (i, l) in b.layers.iter().enumerate() {
        let path = format!("{}/layer.tar", digest_of(l).hex());
        let mut bytes = l.clone();
        if damage && i + 1 == b.layers.len() {
            let at = bytes.len() / 2;
            bytes[at] ^= 0xff;
        }
        files.push((path.clone(), bytes));
        paths.push(path);
    }
    files.push((
        "manifest.json".to_string(),
        serde_json::to_vec(&serde_json::json!([{
            "Config": format!("{}.json", id.hex()), "RepoTags": ["conformance:1"], "Layers": paths}]))
        .unwrap(),
    ));
    files
}

/// Writes (path, bytes) files under a directory.
pub fn write_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (p, bytes) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// Writes (path, bytes) files into a tar.
pub fn write_tar(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (p, bytes) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, p, &bytes[..]).unwrap();
    }
    b.into_inner().unwrap().flush().unwrap();
}
