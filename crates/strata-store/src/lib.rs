//! strata's local image store.
//!
//! `ROOT` is an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) so skopeo and
//! umoci can read it (`oci:ROOT:NAME`), plus strata's own records: `refs.json` (which image
//! each tag names, when it was tagged), `ingest/` (blobs being written), `lock`.
//! Blobs are written ingest → fsync → verify size and digest → rename, so a blob file that
//! exists is always complete and correct; `refs.json` and `index.json` are replaced with
//! write-temp + rename, so an interrupted load leaves no half image. Writers take an
//! exclusive lock, readers a shared one.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod blob;
pub mod load;
pub mod remove;
pub mod save;

pub use blob::BlobWriter;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::facts_cache::Identity;
use strata_core::files::Member;
use strata_core::manifest::Descriptor;
use strata_core::source::{Candidate, Locator, Root, Source};

/// Verified blobs, by SHA-256 hex.
const BLOBS: &str = "blobs/sha256";
/// Blobs being written.
const INGEST: &str = "ingest";

/// What the store remembers about one image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ImageRecord {
    /// Digest of the manifest blob.
    pub manifest: String,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size: u64,
    /// Fully qualified tags (`docker.io/library/x:1`).
    pub tags: Vec<String>,
    /// Fully qualified digest references (`docker.io/library/x@sha256:…`).
    #[serde(default)]
    pub digests: Vec<String>,
    /// RFC 3339 time of the last `tag`, if any (Docker's `Metadata.LastTagTime`).
    #[serde(default)]
    pub last_tag_time: Option<String>,
    /// Docker's size, summed at load/pull time.
    #[serde(default)]
    pub docker_size: u64,
    /// The config's `created`, kept so `images` reads no blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The config's labels, kept so `images` reads no blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// The parent image's ID, when `docker save` recorded one and the parent is here too
    /// (what Docker keeps as the image's `Parent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl ImageRecord {
    /// A record for a manifest, with what `images` needs from the config.
    pub fn new(
        manifest: String,
        media_type: String,
        size: u64,
        docker_size: u64,
        config: &serde_json::Value,
    ) -> ImageRecord {
        let (created, labels) = config_summary(config);
        ImageRecord {
            manifest,
            media_type,
            size,
            tags: Vec::new(),
            digests: Vec::new(),
            last_tag_time: None,
            docker_size,
            created,
            labels: Some(labels),
            parent: None,
        }
    }
}

/// `created` and the labels of an image config (Go's case-insensitive field match).
pub fn config_summary(config: &serde_json::Value) -> (Option<String>, BTreeMap<String, String>) {
    let c = strata_core::config::ImageConfig::decode(config);
    let labels = c.labels();
    (c.created, labels)
}

/// The name records: image ID → record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Refs {
    /// Images by ID (`sha256:…`).
    pub images: BTreeMap<String, ImageRecord>,
}

impl Refs {
    /// The image a fully qualified tag names.
    pub fn image_for_tag(&self, tag: &str) -> Option<&str> {
        self.images
            .iter()
            .find(|(_, r)| r.tags.iter().any(|t| t == tag))
            .map(|(id, _)| id.as_str())
    }

    /// Removes a tag from whichever image has it; returns that image's ID.
    pub fn untag(&mut self, tag: &str) -> Option<String> {
        let id = self.image_for_tag(tag)?.to_string();
        if let Some(r) = self.images.get_mut(&id) {
            r.tags.retain(|t| t != tag);
        }
        Some(id)
    }
}

/// An open store.
pub struct Store {
    root: PathBuf,
    _lock: File,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

impl Store {
    /// Opens (creating if needed) the store at `root`; `write` takes the exclusive lock.
    pub fn open(root: &Path, write: bool) -> Result<Store> {
        for d in [BLOBS, INGEST] {
            let p = root.join(d);
            std::fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        let lock_path = root.join("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        if write {
            lock.lock().map_err(io_err(&lock_path))?;
        } else {
            lock.lock_shared().map_err(io_err(&lock_path))?;
        }
        let layout = root.join("oci-layout");
        if !layout.exists() {
            write_atomic(root, &layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        let store = Store {
            root: root.to_path_buf(),
            _lock: lock,
        };
        if !root.join("index.json").exists() {
            store.write_refs(&Refs::default())?;
        }
        Ok(store)
    }

    /// Turns a shared lock into the exclusive one (for the final name update of a pull
    /// that downloaded under the shared lock).
    pub fn lock_exclusive(&self) -> Result<()> {
        self._lock.lock().map_err(io_err(&self.root.join("lock")))
    }

    /// Per-layer facts kept beside the blobs (keyed by blob digest), so `images`, `inspect`
    /// and `history` never decompress a layer.
    pub fn facts(&self) -> strata_core::facts_cache::FactsCache {
        strata_core::facts_cache::FactsCache::at(self.root.join("meta/layer-facts"))
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root.join(BLOBS).join(d.hex())
    }

    pub(crate) fn ingest_dir(&self) -> PathBuf {
        self.root.join(INGEST)
    }

    /// The file of a stored blob, for a reader that needs a path (an upload that may be
    /// retried from the start).
    pub fn blob_file(&self, d: &Digest) -> Result<PathBuf> {
        let p = self.blob_path(d);
        if p.is_file() {
            Ok(p)
        } else {
            Err(Error::NotFound {
                what: format!("{}: blob {d}", self.describe()),
            })
        }
    }

    /// Whether a verified blob is present.
    pub fn has_blob(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    /// Reads the name records.
    pub fn refs(&self) -> Result<Refs> {
        let p = self.root.join("refs.json");
        match std::fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| Error::malformed(p.display().to_string(), e.to_string())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Refs::default()),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    /// Replaces the name records and the OCI `index.json` (each atomically).
    pub fn write_refs(&self, refs: &Refs) -> Result<()> {
        let json = serde_json::to_vec_pretty(refs)
            .map_err(|e| Error::malformed("refs.json", e.to_string()))?;
        write_atomic(&self.root, &self.root.join("refs.json"), &json)?;
        let mut manifests = Vec::new();
        for rec in refs.images.values() {
            let names: Vec<&String> = if rec.tags.is_empty() {
                Vec::new()
            } else {
                rec.tags.iter().collect()
            };
            if names.is_empty() {
                manifests.push(serde_json::json!({"mediaType": rec.media_type, "digest": rec.manifest, "size": rec.size}));
            }
            for t in names {
                manifests.push(serde_json::json!({"mediaType": rec.media_type, "digest": rec.manifest, "size": rec.size,
                    "annotations": {"org.opencontainers.image.ref.name": t, "io.containerd.image.name": t}}));
            }
        }
        let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
        let bytes = serde_json::to_vec(&index)
            .map_err(|e| Error::malformed("index.json", e.to_string()))?;
        write_atomic(&self.root, &self.root.join("index.json"), &bytes)
    }

    /// Deletes blobs no image reaches (mark from the records through manifests, configs and
    /// layers, then sweep). Returns how many blobs were removed.
    pub fn gc(&self, refs: &Refs) -> Result<usize> {
        let mut live = std::collections::HashSet::new();
        for rec in refs.images.values() {
            let Ok(md) = Digest::parse(&rec.manifest) else {
                continue;
            };
            live.insert(md.hex().to_string());
            let Ok(bytes) = std::fs::read(self.blob_path(&md)) else {
                continue;
            };
            if let Ok(strata_core::manifest::Manifest::Image(m)) =
                strata_core::manifest::Manifest::parse("gc", &bytes, Some(&rec.media_type))
            {
                live.insert(m.config.digest.hex().to_string());
                for l in m.layers {
                    live.insert(l.digest.hex().to_string());
                }
            }
        }
        let dir = self.root.join(BLOBS);
        let mut removed = 0;
        for e in std::fs::read_dir(&dir).map_err(io_err(&dir))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !live.contains(&name) && std::fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        }
        // Leftover ingest files are from interrupted writes: nothing refers to them.
        let ingest = self.ingest_dir();
        if let Ok(rd) = std::fs::read_dir(&ingest) {
            for e in rd.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(removed)
    }
}

fn write_atomic(dir: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err(dir))?;
    tmp.write_all(bytes).map_err(io_err(tmp.path()))?;
    tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
    tmp.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(())
}

impl Source for Store {
    fn describe(&self) -> String {
        format!("store {}", self.root.display())
    }

    fn candidates(&self) -> Result<Vec<Candidate>> {
        let refs = self.refs()?;
        let mut out = Vec::new();
        for (id, rec) in refs.images {
            let desc: Descriptor = serde_json::from_value(serde_json::json!({
                "mediaType": rec.media_type, "digest": rec.manifest, "size": rec.size}))
            .map_err(|e| Error::malformed(format!("refs.json: {id}"), e.to_string()))?;
            out.push(Candidate {
                names: rec.tags.clone(),
                ref_name: Some(id.clone()),
                root: Root::Manifest(desc),
                id: Some(id),
                parent: rec.parent.clone(),
            });
        }
        Ok(out)
    }

    fn open(&self, locator: &Locator) -> Result<Member> {
        match locator {
            Locator::Digest(d) => {
                let p = self.blob_path(d);
                let f = File::open(&p).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Error::NotFound {
                        what: format!("{}: blob {d}", self.describe()),
                    },
                    _ => Error::io(&p, e),
                })?;
                let meta = f.metadata().map_err(io_err(&p))?;
                Ok(Member {
                    reader: Box::new(f),
                    size: meta.len(),
                    identity: Some(Identity::StoreBlob(d.clone())),
                })
            }
            Locator::Path(p) => Err(Error::NotFound {
                what: format!("{}: {p}", self.describe()),
            }),
        }
    }

    fn facts_cache(&self) -> Option<strata_core::facts_cache::FactsCache> {
        Some(self.facts())
    }
}

/// Finds the image a user's name means, as the daemon's `GetImage` does: the name is parsed
/// with the daemon's reference rules (an error is `InvalidReference` with its text), then looked
/// up as a digest, a tag or digest reference, or a unique prefix of an image ID. Not found (an
/// ambiguous prefix included) is `NoSuchImage("No such image: <familiar name:tag>")`.
pub fn resolve(refs: &Refs, name: &str) -> Result<String> {
    use strata_core::lookup::{LookupError, Named, find};
    struct Entry<'a>(&'a str, &'a ImageRecord);
    impl Named for Entry<'_> {
        fn id(&self) -> &str {
            self.0
        }
        fn tags(&self) -> &[String] {
            &self.1.tags
        }
        fn digests(&self) -> &[String] {
            &self.1.digests
        }
    }
    let entries: Vec<Entry<'_>> = refs.images.iter().map(|(id, r)| Entry(id, r)).collect();
    match find(&entries, name) {
        Ok(e) => Ok(e.0.to_string()),
        Err(LookupError::Invalid(e)) => Err(e),
        Err(e @ LookupError::NotFound(_)) => Err(Error::NoSuchImage(e.to_string())),
    }
}

/// Every image of the store as `docker images` lists it; records older than the fields kept
/// for this have their config read.
pub fn summaries(store: Arc<Store>) -> Result<Vec<strata_core::report::ImageSummary>> {
    use strata_core::image::{Image, Selector};
    use strata_core::report::{ImageSummary, sort_repo_tags};
    let refs = store.refs()?;
    let source: Arc<dyn strata_core::source::Source> = store;
    let mut out = Vec::with_capacity(refs.images.len());
    for (id, rec) in &refs.images {
        let (created, labels) = match (&rec.created, &rec.labels) {
            (Some(c), Some(l)) => (Some(c.clone()), l.clone()),
            _ => {
                let image = Image::open(source.clone(), &Selector::Name(id.clone()), None)?;
                config_summary(&image.config)
            }
        };
        out.push(ImageSummary {
            id: id.clone(),
            repo_tags: sort_repo_tags(&rec.tags),
            repo_digests: sort_repo_tags(&rec.digests),
            created,
            size: rec.docker_size,
            labels,
            parent: rec.parent.clone().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Docker's chain IDs for a list of diff IDs (the layer store's keys).
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(prev) => Digest::sha256_of(format!("{prev} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_verified_before_they_appear() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), true).unwrap();
        let d = s.put_bytes(b"hello").unwrap();
        assert!(s.has_blob(&d));
        let wrong = Digest::sha256_of(b"other");
        assert!(s.put_blob(&mut &b"hello!"[..], Some(&wrong), None).is_err());
        assert!(!s.has_blob(&wrong));
        assert_eq!(
            std::fs::read_dir(dir.path().join("ingest"))
                .unwrap()
                .count(),
            0
        );
        assert!(dir.path().join("index.json").is_file());
    }
}
