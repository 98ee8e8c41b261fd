//! Loading images from any source into the store (what `docker load` does): every blob is
//! streamed once, verified, and written through the ingest; names move only at the end.

use std::io::{self, Read, Seek, Write};
use std::sync::Arc;

use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::image::{Image, Selector};
use strata_core::layer::{self, Compression};
use strata_core::manifest::media;
use strata_core::reference::Reference;
use strata_core::source::{Locator, Source};

use crate::{ImageRecord, Store};

/// Copies everything read into a writer (the ingest file) as it passes.
struct Tee<'a, R> {
    inner: R,
    out: &'a mut (dyn Write + Send),
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// What happened to one image.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Image ID.
    pub id: String,
    /// Familiar tags given to it.
    pub tags: Vec<String>,
    /// For each tag that moved: (familiar tag, ID it was taken from).
    pub renamed: Vec<(String, String)>,
    /// Whether `docker load` announces it: its pre-1.10 path prints no `Loaded image` lines.
    pub announced: bool,
}

/// The outcome of a load, in archive order.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Images, in the order the source lists them.
    pub images: Vec<Loaded>,
    /// Docker prints `Loaded image ID:` for every image when the last entry has no tag.
    pub print_ids: bool,
}

fn store_layer(store: &Store, image: &Image, i: usize) -> Result<(Digest, u64, String, u64)> {
    let l = &image.layers[i];
    // A verified blob already here (an earlier or interrupted load): reuse it.
    let known = l.blob.digest.clone().or_else(|| Some(l.diff_id.clone()));
    if let Some(d) = &known {
        if store.has_blob(d) {
            if let Some(stats) = store.blob_facts(d) {
                if stats.diff_id == l.diff_id {
                    let mt = media_for(stats.compression);
                    return Ok((d.clone(), stats.compressed_size, mt, stats.docker_size));
                }
            }
        }
    }
    let what = match &l.blob.locator {
        Locator::Digest(d) => format!("{}: layer {d}", image.source().describe()),
        Locator::Path(p) => format!("{}: layer {p}", image.source().describe()),
    };
    let mut m = image.source().open(&l.blob.locator)?;
    // OCI has media types for plain, gzip and zstd layers only: a layer compressed otherwise
    // (docker load reads xz and bzip2 too) is stored as its plain tar.
    let mut magic = [0u8; 8];
    let mut got = 0;
    while got < magic.len() {
        match m.reader.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Read { what, source: e }),
        }
    }
    m.reader
        .seek(io::SeekFrom::Start(0))
        .map_err(|e| Error::Read {
            what: what.clone(),
            source: e,
        })?;
    let keep_raw = matches!(
        Compression::sniff(&magic[..got]),
        Compression::None | Compression::Gzip | Compression::Zstd
    );
    let mut blob = store.blob_writer()?;
    let expect = layer::Expect {
        digest: l.blob.digest.as_ref(),
        size: l.blob.size,
        diff_id: Some(&l.diff_id),
    };
    let stats = if keep_raw {
        let tee = Tee {
            inner: m.reader,
            out: &mut blob,
        };
        layer::scan(&what, tee, &expect)?
    } else {
        let s = layer::read_to_tar(&what, m.reader, &expect, &mut [], &mut blob)?;
        layer::LayerStats {
            digest: s.diff_id.clone(),
            compressed_size: s.uncompressed_size,
            compression: Compression::None,
            ..s
        }
    };
    // The writer hashed what it stored: the digest the layer read found must be that.
    blob.commit(Some(stats.compressed_size), Some(&stats.digest))?;
    store.record_blob_facts(&stats);
    Ok((
        stats.digest.clone(),
        stats.compressed_size,
        media_for(stats.compression),
        stats.docker_size,
    ))
}

fn media_for(c: Compression) -> String {
    match c {
        Compression::None => media::OCI_LAYER_TAR,
        Compression::Gzip => media::OCI_LAYER_GZIP,
        Compression::Zstd => media::OCI_LAYER_ZSTD,
        // Stored decompressed (see store_layer).
        Compression::Xz | Compression::Bzip2 => media::OCI_LAYER_TAR,
    }
    .to_string()
}

/// Loads every image of `source` into `store`.
pub fn load(store: &Store, source: Arc<dyn Source>) -> Result<LoadReport> {
    let candidates = source.candidates()?;
    let mut report = LoadReport {
        print_ids: candidates.last().is_some_and(|c| c.names.is_empty()),
        ..LoadReport::default()
    };
    let mut refs = store.refs()?;
    // (image, parent) links from manifest.json, with each image's diff IDs: Docker keeps a
    // link when the parent came in the same archive and its layers start the child's.
    let mut links: Vec<(String, String)> = Vec::new();
    let mut chains: Vec<(String, Vec<Digest>)> = Vec::new();
    for (i, cand) in candidates.iter().enumerate() {
        let image = Image::open(source.clone(), &Selector::Index(i), None)?;
        chains.push((
            image.id.to_string(),
            image.layers.iter().map(|l| l.diff_id.clone()).collect(),
        ));
        let parent = match (&cand.parent, &cand.root) {
            (Some(p), _) => Some(p.clone()),
            // A pre-1.10 image: its parent is the previous image of its chain.
            (None, strata_core::source::Root::V1 { .. }) => {
                image.ancestors.first().map(|d| d.to_string())
            }
            _ => None,
        };
        if let Some(p) = parent {
            links.push((image.id.to_string(), p));
        }
        let mut layers = Vec::new();
        let mut docker_size = 0;
        for k in 0..image.layers.len() {
            let (d, size, mt, ds) = store_layer(store, &image, k)?;
            docker_size += ds;
            layers
                .push(serde_json::json!({"mediaType": mt, "digest": d.to_string(), "size": size}));
        }
        let config_digest = store.put_bytes(&image.config_bytes)?;
        let (manifest_bytes, media_type) = match (&image.manifest_bytes, &image.manifest_digest) {
            (Some(b), Some(_)) => {
                let mt = serde_json::from_slice::<serde_json::Value>(b)
                    .ok()
                    .and_then(|v| {
                        v.get("mediaType")
                            .and_then(|m| m.as_str())
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
                (b.clone(), mt)
            }
            _ => {
                let m = serde_json::json!({
                    "schemaVersion": 2,
                    "mediaType": media::OCI_MANIFEST,
                    "config": {"mediaType": media::OCI_CONFIG, "digest": config_digest.to_string(),
                               "size": image.config_bytes.len()},
                    "layers": layers,
                });
                let b = serde_json::to_vec(&m)
                    .map_err(|e| Error::malformed("manifest", e.to_string()))?;
                (b, media::OCI_MANIFEST.to_string())
            }
        };
        let manifest_digest = store.put_bytes(&manifest_bytes)?;
        let id = image.id.to_string();
        let mut loaded = Loaded {
            id: id.clone(),
            tags: Vec::new(),
            renamed: Vec::new(),
            announced: !matches!(cand.root, strata_core::source::Root::V1 { .. }),
        };
        let rec = refs.images.entry(id.clone()).or_insert_with(|| {
            ImageRecord::new(
                manifest_digest.to_string(),
                media_type.clone(),
                manifest_bytes.len() as u64,
                docker_size,
                &image.config,
            )
        });
        rec.docker_size = docker_size;
        for name in &image.names {
            let r = Reference::parse(name)?.with_default_tag();
            let full = r.to_string();
            if let Some(old) = refs.image_for_tag(&full).map(str::to_string) {
                if old != id {
                    refs.untag(&full);
                    loaded.renamed.push((r.familiar(), old));
                }
            }
            if let Some(rec) = refs.images.get_mut(&id) {
                if !rec.tags.contains(&full) {
                    rec.tags.push(full);
                }
            }
            loaded.tags.push(r.familiar());
        }
        report.images.push(loaded);
    }
    for (child, parent) in links {
        let chain = |id: &str| chains.iter().find(|(i, _)| i == id).map(|(_, c)| c);
        let valid = match (chain(&child), chain(&parent)) {
            (Some(c), Some(p)) => p.len() <= c.len() && c[..p.len()] == p[..],
            _ => false,
        };
        if valid {
            if let Some(rec) = refs.images.get_mut(&child) {
                rec.parent = Some(parent);
            }
        }
    }
    store.write_refs(&refs)?;
    Ok(report)
}
