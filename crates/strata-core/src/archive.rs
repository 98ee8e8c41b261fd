//! `docker-archive:` — the tar `docker save` writes: the legacy layout (`manifest.json`,
//! `<id>.json`, `<v1id>/layer.tar`) and the OCI layout Docker 25+ writes (with a compatible
//! `manifest.json`). An archive with only `index.json` is read as an OCI layout.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::files::{Files, Member, TarFiles, read_capped};
use crate::manifest::media;
use crate::source::{Candidate, LayerRef, Locator, Root, Source};

/// Largest `manifest.json` accepted.
pub const MAX_MANIFEST_JSON: u64 = 4 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
    #[serde(default)]
    parent: Option<String>,
}

/// A `docker save` archive.
pub struct DockerArchive {
    files: Arc<dyn Files>,
    oci: Option<crate::layout::OciLayout>,
}

impl DockerArchive {
    /// Opens and indexes the archive at `path`.
    pub fn open(path: &Path, settings: &crate::settings::Settings) -> Result<DockerArchive> {
        let label = format!("docker-archive:{}", path.display());
        let files: Arc<dyn Files> = Arc::new(TarFiles::open(path, label, settings)?);
        let oci = if !files.exists("manifest.json") && files.exists("index.json") {
            Some(crate::layout::OciLayout::from_files(files.clone())?)
        } else {
            None
        };
        Ok(DockerArchive { files, oci })
    }
}

/// The most v1 images one chain may hold (Docker's layer limit is far lower).
const MAX_V1_CHAIN: usize = 1000;

impl DockerArchive {
    /// The pre-1.10 layout: `repositories` names the tagged v1 images; every image of their
    /// parent chains becomes a candidate (untagged unless named), base first, as
    /// `docker load` loads them.
    fn v1_candidates(&self) -> Result<Vec<Candidate>> {
        let what = format!("{}: repositories", self.files.describe());
        let bytes = read_capped(self.files.as_ref(), "repositories", MAX_MANIFEST_JSON)?;
        let repos: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
            serde_json::from_slice(&bytes)
                .map_err(|e| Error::malformed(&what, format!("invalid JSON: {e}")))?;
        let mut order: Vec<String> = Vec::new();
        let mut chains: std::collections::HashMap<String, Vec<String>> = Default::default();
        let mut names: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (repo, tags) in &repos {
            for (tag, id) in tags {
                names
                    .entry(id.clone())
                    .or_default()
                    .push(format!("{repo}:{tag}"));
                // Walk to the base through each json's `parent`.
                let mut chain = vec![id.clone()];
                while let Some(top) = chain.last().cloned() {
                    let json_path = format!("{top}/json");
                    crate::files::clean_member_path(&what, &json_path)?;
                    let j =
                        read_capped(self.files.as_ref(), &json_path, crate::manifest::MAX_JSON)?;
                    let v: serde_json::Value = serde_json::from_slice(&j).map_err(|e| {
                        Error::malformed(
                            format!("{}: {json_path}", self.files.describe()),
                            format!("invalid JSON: {e}"),
                        )
                    })?;
                    match crate::gojson::get_str(&v, "parent").filter(|p| !p.is_empty()) {
                        Some(p) if !chain.iter().any(|c| c == p) && chain.len() < MAX_V1_CHAIN => {
                            chain.push(p.to_string())
                        }
                        Some(p) => {
                            return Err(Error::malformed(
                                format!("{}: {json_path}", self.files.describe()),
                                format!("parent chain loops or is too long at {p:?}"),
                            ));
                        }
                        None => break,
                    }
                }
                chain.reverse();
                for k in 1..=chain.len() {
                    let prefix = chain[..k].to_vec();
                    let last = prefix[k - 1].clone();
                    if let std::collections::hash_map::Entry::Vacant(e) = chains.entry(last) {
                        order.push(e.key().clone());
                        e.insert(prefix);
                    }
                }
            }
        }
        if order.is_empty() {
            return Err(Error::malformed(&what, "names no images"));
        }
        Ok(order
            .into_iter()
            .map(|id| Candidate {
                names: names.remove(&id).unwrap_or_default(),
                ref_name: None,
                root: Root::V1 {
                    chain: chains.remove(&id).unwrap_or_default(),
                },
                id: None,
                parent: None,
            })
            .collect())
    }
}

impl Source for DockerArchive {
    fn describe(&self) -> String {
        self.files.describe()
    }

    fn candidates(&self) -> Result<Vec<Candidate>> {
        if let Some(oci) = &self.oci {
            return oci.candidates();
        }
        let what = format!("{}: manifest.json", self.files.describe());
        let bytes = match read_capped(self.files.as_ref(), "manifest.json", MAX_MANIFEST_JSON) {
            Err(Error::NotFound { .. }) if self.files.exists("repositories") => {
                return self.v1_candidates();
            }
            Err(Error::NotFound { .. }) => {
                return Err(Error::malformed(
                    self.files.describe(),
                    "not a docker archive: no manifest.json (nor an OCI index.json, nor a pre-1.10 repositories file)",
                ));
            }
            r => r?,
        };
        let entries: Vec<Entry> = serde_json::from_slice(&bytes)
            .map_err(|e| Error::malformed(&what, format!("invalid JSON: {e}")))?;
        if entries.is_empty() {
            return Err(Error::malformed(&what, "lists no images"));
        }
        let mut out = Vec::new();
        for e in entries {
            let mut layers = Vec::new();
            for l in &e.layers {
                crate::files::clean_member_path(&what, l)?;
                let digest = Digest::from_blob_path(l);
                let size = self
                    .files
                    .open(l)
                    .map(|m| m.size)
                    .map_err(|err| match err {
                        Error::NotFound { .. } => Error::NotFound {
                            what: format!("{what}: layer {l:?}"),
                        },
                        other => other,
                    })?;
                layers.push(LayerRef {
                    locator: Locator::Path(l.clone()),
                    media_type: if digest.is_some() {
                        media::OCI_LAYER_TAR.to_string()
                    } else {
                        media::DOCKER_LAYER_TAR.to_string()
                    },
                    digest,
                    size: Some(size),
                });
            }
            crate::files::clean_member_path(&what, &e.config)?;
            out.push(Candidate {
                names: e.repo_tags.unwrap_or_default(),
                ref_name: None,
                root: Root::Legacy {
                    config: e.config,
                    layers,
                },
                id: None,
                parent: e.parent.filter(|p| !p.is_empty()),
            });
        }
        Ok(out)
    }

    fn open(&self, locator: &Locator) -> Result<Member> {
        match (&self.oci, locator) {
            (Some(oci), _) => oci.open(locator),
            (None, Locator::Path(p)) => self.files.open(p),
            (None, Locator::Digest(d)) => self.files.open(&d.blob_path()),
        }
    }
}
