//! Every file source and selector: OCI indexes resolved by platform (containerd
//! normalisation), gzip-wrapped docker archives, zstd layers, Docker 25+ archives (OCI layout
//! plus manifest.json), and choosing an image of several by name or `@N`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::build::sha;

use std::io::Write;
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

fn strata(args: &[&str]) -> Output {
    common::strata_cmd()
        .args(args)
        .env("STRATA_NO_CACHE", "1")
        .output()
        .unwrap()
}

fn inspect(loc: &str, extra: &[&str]) -> Value {
    let mut args = vec!["inspect"];
    args.extend_from_slice(extra);
    args.push(loc);
    let out = strata(&args);
    assert!(
        out.status.success(),
        "{loc}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).unwrap()[0].clone()
}

fn layer(name: &str, data: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, name, data.as_bytes()).unwrap();
    b.into_inner().unwrap()
}

fn config(arch: &str, variant: Option<&str>, diff_id: &str) -> Vec<u8> {
    let mut c = json!({"architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": format!("build for {arch}")}]});
    if let Some(v) = variant {
        c["variant"] = json!(v);
    }
    serde_json::to_vec(&c).unwrap()
}

struct Layout<'a> {
    root: &'a Path,
}

impl Layout<'_> {
    fn put(&self, b: &[u8]) -> (String, usize) {
        let d = sha(b);
        let dir = self.root.join("blobs/sha256");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&d[7..]), b).unwrap();
        (d, b.len())
    }
    fn image(
        &self,
        arch: &str,
        variant: Option<&str>,
        layer_blob: &[u8],
        diff_id: &str,
        media: &str,
    ) -> Value {
        let (cd, cs) = self.put(&config(arch, variant, diff_id));
        let (ld, ls) = self.put(layer_blob);
        let m = serde_json::to_vec(&json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": [{"mediaType": media, "digest": ld, "size": ls}]}))
        .unwrap();
        let (md, ms) = self.put(&m);
        let mut platform = json!({"os": "linux", "architecture": arch});
        if let Some(v) = variant {
            platform["variant"] = json!(v);
        }
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms, "platform": platform})
    }
    fn index_json(&self, manifests: Vec<Value>) {
        std::fs::write(
            self.root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        std::fs::write(
            self.root.join("index.json"),
            serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn oci_index_resolves_by_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("multi");
    let l = Layout { root: &root };
    let amd = layer("amd", "amd64 bits\n");
    let arm = layer("arm", "arm64 bits!\n");
    let amd_m = l.image(
        "amd64",
        None,
        &amd,
        &sha(&amd),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let arm_m = l.image(
        "arm64",
        Some("v8"),
        &arm,
        &sha(&arm),
        "application/vnd.oci.image.layer.v1.tar",
    );
    // An attestation manifest, as buildx adds, must be ignored.
    let mut att = amd_m.clone();
    att["platform"] = json!({"os": "unknown", "architecture": "unknown"});
    let idx = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [att, amd_m, arm_m]}))
    .unwrap();
    let (idd, ids) = l.put(&idx);
    l.index_json(vec![
        json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": idd, "size": ids,
        "annotations": {"org.opencontainers.image.ref.name": "multi"}}),
    ]);
    let loc = format!("oci:{}:multi", root.display());

    if std::env::consts::ARCH == "x86_64" {
        assert_eq!(inspect(&loc, &[])["Architecture"], json!("amd64"));
    }
    let v = inspect(&loc, &["--platform", "linux/aarch64"]);
    assert_eq!(
        (v["Architecture"].clone(), v["Variant"].clone()),
        (json!("arm64"), json!("v8"))
    );
    assert_eq!(v["Size"], json!(12));
    let out = strata(&["inspect", "--platform", "linux/s390x", &loc]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("linux/s390x") && err.contains("linux/amd64, linux/arm64/v8"),
        "{err}"
    );
    assert!(!err.contains("unknown/unknown"), "{err}");
}

#[test]
fn zstd_and_gzip_layers_and_wrong_media_type() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("z");
    let l = Layout { root: &root };
    let plain = layer("f", "zstd content here\n");
    let z = zstd::encode_all(&plain[..], 3).unwrap();
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(&plain).unwrap();
    let g = g.finish().unwrap();
    // A gzip blob declared as plain tar: recognised by its content.
    let a = l.image(
        "amd64",
        None,
        &z,
        &sha(&plain),
        "application/vnd.oci.image.layer.v1.tar+zstd",
    );
    let b = l.image(
        "arm64",
        None,
        &g,
        &sha(&plain),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let mut a = a;
    a["annotations"] = json!({"org.opencontainers.image.ref.name": "z"});
    let mut b = b;
    b["annotations"] = json!({"org.opencontainers.image.ref.name": "g"});
    l.index_json(vec![a, b]);
    for r in ["z", "g"] {
        let v = inspect(&format!("oci:{}:{r}", root.display()), &[]);
        assert_eq!(v["Size"], json!(18), "{r}");
        assert_eq!(v["RootFS"]["Layers"], json!([sha(&plain)]), "{r}");
    }
}

fn legacy_archive(images: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut entries = Vec::new();
    let add = |b: &mut tar::Builder<Vec<u8>>, p: &str, d: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(d.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, p, d).unwrap();
    };
    for (i, (tag, l)) in images.iter().enumerate() {
        let cfg = config("amd64", None, &sha(l));
        add(&mut b, &format!("l{i}/layer.tar"), l);
        add(&mut b, &format!("{}.json", &sha(&cfg)[7..]), &cfg);
        entries.push(json!({"Config": format!("{}.json", &sha(&cfg)[7..]), "RepoTags": [tag], "Layers": [format!("l{i}/layer.tar")]}));
    }
    add(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&entries).unwrap(),
    );
    b.into_inner().unwrap()
}

#[test]
fn docker_archives_plain_gzip_selected() {
    let tmp = tempfile::tempdir().unwrap();
    let one = layer("one", "1\n");
    let two = layer("two", "22\n");
    let bytes = legacy_archive(&[("x/one:1", &one), ("two", &two)]);
    let plain = tmp.path().join("m.tar");
    std::fs::write(&plain, &bytes).unwrap();
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(&bytes).unwrap();
    let gz = tmp.path().join("m.tar.gz");
    std::fs::write(&gz, g.finish().unwrap()).unwrap();
    for p in [&plain, &gz] {
        let by_name = inspect(&format!("docker-archive:{}:two:latest", p.display()), &[]);
        assert_eq!(by_name["RepoTags"], json!(["two:latest"]));
        assert_eq!(by_name["Size"], json!(3));
        let by_index = inspect(&format!("docker-archive:{}:@0", p.display()), &[]);
        assert_eq!(by_index["RepoTags"], json!(["x/one:1"]));
        assert_eq!(by_index["Size"], json!(2));
        // Normalised names match too.
        let full = inspect(
            &format!("docker-archive:{}:docker.io/library/two", p.display()),
            &[],
        );
        assert_eq!(full["Id"], by_name["Id"]);
        let out = strata(&["inspect", &format!("docker-archive:{}", p.display())]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("@1 two"));
    }
}

#[test]
fn docker_25_archive_with_oci_layout() {
    // Docker 25+ `docker save`: blobs/sha256/*, index.json, and a compatible manifest.json.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("d25");
    let l = Layout { root: &root };
    let lay = layer("hello", "hello docker 25\n");
    let cfg = config("amd64", None, &sha(&lay));
    let m = l.image(
        "amd64",
        None,
        &lay,
        &sha(&lay),
        "application/vnd.oci.image.layer.v1.tar",
    );
    l.index_json(vec![m]);
    let (cd, _) = l.put(&cfg);
    std::fs::write(
        root.join("manifest.json"),
        serde_json::to_vec(&json!([{"Config": format!("blobs/sha256/{}", &cd[7..]),
            "RepoTags": ["new/style:25"], "Layers": [format!("blobs/sha256/{}", &sha(&lay)[7..])]}]))
        .unwrap(),
    )
    .unwrap();
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", &root).unwrap();
    let tarp = tmp.path().join("d25.tar");
    std::fs::write(&tarp, b.into_inner().unwrap()).unwrap();
    let v = inspect(&format!("docker-archive:{}", tarp.display()), &[]);
    assert_eq!(v["Id"], json!(cd));
    assert_eq!(v["RepoTags"], json!(["new/style:25"]));
    assert_eq!(v["Size"], json!(16));
}
