//! Output helpers ported from the first differential test: normalising and describing
//! differences, OCI layouts made from docker archives, pull transcripts.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Removes the `"GraphDriver": {...}` block (from its line to the closing line at the same
/// indentation).
pub fn strip_graph_driver(s: &str) -> String {
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
pub fn first_diff(expected: &str, actual: &str) -> String {
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

pub fn shell_words(args: &[String]) -> String {
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

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .fold(String::with_capacity(64), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// All regular files of a tar, by path (symlinked files resolved, as docker save uses them).
pub fn read_tar(path: &Path) -> HashMap<String, Vec<u8>> {
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
pub fn faithful_oci(docker_tar: &Path, tag: &str, gzip: bool) -> Vec<(String, Vec<u8>)> {
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

pub fn write_layout_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    let _ = fs::remove_dir_all(dir);
    for (p, b) in files {
        let path = dir.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b).unwrap();
    }
}

pub fn write_layout_tar(path: &Path, files: &[(String, Vec<u8>)]) {
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

/// Config digest of the single image in an OCI layout directory.
pub fn oci_config_digest(dir: &Path) -> String {
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

/// The keys of the `config` object in an OCI layout's (first) image config.
pub fn oci_config_keys(dir: &Path) -> Vec<String> {
    let digest = oci_config_digest(dir);
    let blob = dir
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    let config: serde_json::Value = serde_json::from_slice(&fs::read(blob).unwrap()).unwrap();
    config["config"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// null, "", [], {} and false are all "empty" (the OCI config conversion drops them).
pub fn empty(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
        serde_json::Value::Bool(b) => !b,
        _ => false,
    }
}

/// The lines of a pull transcript whose order Docker fixes (spec rule 15): the first line,
/// the `Pulling fs layer`/`Already exists` block, the `Pull complete` block, the last three.
pub fn fixed_pull_lines(t: &str) -> Vec<String> {
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
