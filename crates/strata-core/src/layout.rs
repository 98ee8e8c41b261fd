//! `oci:` and `oci-archive:` — an OCI image layout, as a directory or as a tar of one.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::files::{DirFiles, Files, Member, TarFiles, read_capped};
use crate::manifest::{Index, MAX_JSON, media};
use crate::source::{Candidate, Locator, Root, Source};

/// The annotation OCI layouts name images with.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's (and Docker 25's) full image name annotation.
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// An OCI image layout.
pub struct OciLayout {
    files: Arc<dyn Files>,
}

impl OciLayout {
    /// Opens a layout directory.
    pub fn open_dir(path: &Path) -> Result<OciLayout> {
        let files = DirFiles::new(path, format!("oci:{}", path.display()))?;
        Self::from_files(Arc::new(files))
    }

    /// Opens a tar of a layout.
    pub fn open_archive(path: &Path, settings: &crate::settings::Settings) -> Result<OciLayout> {
        let files = TarFiles::open(path, format!("oci-archive:{}", path.display()), settings)?;
        Self::from_files(Arc::new(files))
    }

    /// A layout over already-opened files.
    pub fn from_files(files: Arc<dyn Files>) -> Result<OciLayout> {
        if !files.exists("index.json") {
            return Err(Error::malformed(
                files.describe(),
                "not an OCI image layout: no index.json",
            ));
        }
        Ok(OciLayout { files })
    }
}

impl Source for OciLayout {
    fn describe(&self) -> String {
        self.files.describe()
    }

    fn candidates(&self) -> Result<Vec<Candidate>> {
        let what = format!("{}: index.json", self.files.describe());
        let bytes = read_capped(self.files.as_ref(), "index.json", MAX_JSON)?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::malformed(&what, format!("invalid JSON: {e}")))?;
        if let Some(mt) = value.get("mediaType").and_then(|m| m.as_str()) {
            if mt != media::OCI_INDEX {
                return Err(Error::UnsupportedMediaType {
                    what,
                    media_type: mt.to_string(),
                });
            }
        }
        let index: Index = serde_json::from_value(value)
            .map_err(|e| Error::malformed(&what, format!("invalid index: {e}")))?;
        if index.manifests.is_empty() {
            return Err(Error::malformed(&what, "the layout holds no images"));
        }
        Ok(index
            .manifests
            .into_iter()
            .map(|d| {
                let ann = d.annotations.clone().unwrap_or_default();
                let ref_name = ann.get(REF_NAME).cloned();
                let mut names = Vec::new();
                if let Some(full) = ann.get(CONTAINERD_NAME) {
                    names.push(full.clone());
                } else if let Some(r) = &ref_name {
                    if r.contains([':', '/']) && crate::reference::Reference::parse(r).is_ok() {
                        names.push(r.clone());
                    }
                }
                Candidate {
                    names,
                    ref_name,
                    root: Root::Manifest(d),
                    id: None,
                    parent: None,
                }
            })
            .collect())
    }

    fn open(&self, locator: &Locator) -> Result<Member> {
        match locator {
            Locator::Digest(d) => {
                let path = d.blob_path();
                self.files.open(&path).map_err(|e| match e {
                    Error::NotFound { .. } => Error::NotFound {
                        what: format!("{}: blob {d}", self.files.describe()),
                    },
                    other => other,
                })
            }
            Locator::Path(p) => self.files.open(p),
        }
    }
}
