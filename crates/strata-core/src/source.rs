//! The one trait every image source implements, and the small types it speaks in.

use crate::digest::Digest;
use crate::error::Result;
use crate::files::Member;
use crate::manifest::Descriptor;

/// Where a blob lives inside a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// Content-addressed (OCI layouts, registries, the store).
    Digest(Digest),
    /// Addressed by member path (legacy `docker save` archives).
    Path(String),
}

/// One layer as a source describes it, before any byte is read.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// Where its bytes are.
    pub locator: Locator,
    /// Media type (declared, or implied by the archive format).
    pub media_type: String,
    /// Digest of the stored bytes, when the source names it (then it is verified).
    pub digest: Option<Digest>,
    /// Size of the stored bytes, when known.
    pub size: Option<u64>,
}

/// What an image entry in a source starts from.
#[derive(Debug, Clone)]
pub enum Root {
    /// A manifest or index blob.
    Manifest(Descriptor),
    /// An image with no manifest (the legacy `docker save` layout): config and layer members.
    Legacy {
        /// Member holding the config JSON.
        config: String,
        /// Layer members, base first.
        layers: Vec<LayerRef>,
    },
    /// An image of the pre-1.10 layout: v1 image directories, base first (each holds `json`
    /// and `layer.tar`); the config is built from them as `docker load` builds it.
    V1 {
        /// v1 IDs of the chain, base first; the last is the image itself.
        chain: Vec<String>,
    },
}

/// One image (or index) a source holds.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Names the source gives it (`RepoTags` of a docker archive, ref names of an OCI layout).
    pub names: Vec<String>,
    /// The OCI layout's `org.opencontainers.image.ref.name`, when there is one.
    pub ref_name: Option<String>,
    /// Where to start reading it.
    pub root: Root,
    /// Its image ID, when the source knows it without reading the config (the store).
    pub id: Option<String>,
    /// The image ID of its parent, when the source records one (`Parent` in a docker
    /// archive's `manifest.json`, the store's parent link).
    pub parent: Option<String>,
}

/// A place images are read from. Implementations only list entries and hand out raw bytes;
/// parsing, verification and platform choice happen once, in `image.rs`.
pub trait Source: Send + Sync {
    /// Human-readable location used in every error (`docker-archive:app.tar`).
    fn describe(&self) -> String;
    /// The images (or indexes) the source holds, in its own order.
    fn candidates(&self) -> Result<Vec<Candidate>>;
    /// Opens a blob's raw, unverified bytes.
    fn open(&self, locator: &Locator) -> Result<Member>;
    /// Opens a blob's raw bytes from `offset` on (a resumed copy); `size` is the blob's
    /// size when known.
    fn open_from(&self, locator: &Locator, offset: u64, size: Option<u64>) -> Result<Member> {
        let _ = size;
        let mut m = self.open(locator)?;
        if offset > 0 {
            m.reader
                .seek(std::io::SeekFrom::Start(offset))
                .map_err(|e| crate::error::Error::Read {
                    what: format!("{}: {locator:?}", self.describe()),
                    source: e,
                })?;
        }
        Ok(m)
    }
    /// Opens a JSON blob (manifest, index or config) named by a descriptor; sources where
    /// manifests and blobs live apart (registries) use the media type to choose.
    fn open_descriptor(&self, desc: &Descriptor) -> Result<Member> {
        self.open(&Locator::Digest(desc.digest.clone()))
    }
    /// Whether reading a layer means fetching it over the network; then reports use cached
    /// facts or manifest sizes instead of reading every layer.
    fn is_remote(&self) -> bool {
        false
    }
    /// Where this source keeps per-layer facts, when it keeps its own (the local store);
    /// `None` means the user's cache.
    fn facts_cache(&self) -> Option<crate::facts_cache::FactsCache> {
        None
    }
}
