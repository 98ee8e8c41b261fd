//! Loading images from any source into the store (what `docker load` does): every blob is
//! streamed once, verified, and written through the ingest; names move only at the end.

use std::sync::Arc;

use strata_core::copy;
use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::image::{Image, Selector};
use strata_core::layer::Compression;
use strata_core::manifest::media;
use strata_core::reference::Reference;
use strata_core::settings::Settings;
use strata_core::source::Source;

use crate::{ImageRecord, Store};

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

fn media_for(c: Compression) -> String {
    match c {
        Compression::None => media::OCI_LAYER_TAR,
        Compression::Gzip => media::OCI_LAYER_GZIP,
        Compression::Zstd => media::OCI_LAYER_ZSTD,
        // The copy engine stores these as their plain tar.
        Compression::Xz | Compression::Bzip2 => media::OCI_LAYER_TAR,
    }
    .to_string()
}

/// Loads every image of `source` into `store`.
pub fn load(store: &Store, source: Arc<dyn Source>, settings: &Settings) -> Result<LoadReport> {
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
        let image = Image::open_with(source.clone(), &Selector::Index(i), None, settings.clone())?;
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
        let copied = copy::copy_layers(
            &image,
            store,
            &copy::Options {
                concurrency: 1,
                resumable: false,
                once_per_blob: true,
            },
            &|l| image.layer_what(l),
            &|_| {},
        )?;
        let mut layers = Vec::new();
        let mut docker_size = 0;
        for (s, l) in copied.layers.iter().zip(&image.layers) {
            // The store reads what it lacks facts for: every layer has them.
            let s = s
                .as_ref()
                .ok_or_else(|| Error::malformed(image.layer_what(l), "no facts after the copy"))?;
            docker_size += s.docker_size;
            layers.push(serde_json::json!({"mediaType": media_for(s.compression),
                "digest": s.digest.to_string(), "size": s.compressed_size}));
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
