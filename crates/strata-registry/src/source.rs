//! `docker://REF`: an image read straight from a registry. Manifests and the config are
//! fetched when the image is opened; layers only if something reads them.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::files::Member;
use strata_core::manifest::{Descriptor, media};
use strata_core::reference::Reference;
use strata_core::source::{Candidate, Locator, Root, Source};

use crate::RegistryError;
use crate::client::{BlobReader, Client};

/// A registry image as a [`Source`].
pub struct RegistrySource {
    client: Arc<Client>,
    reference: Reference,
    top: Mutex<Option<Descriptor>>,
}

/// Turns a registry error into the library's error type, keeping its text.
pub fn to_core(e: RegistryError) -> Error {
    match e {
        RegistryError::Core(c) => c,
        RegistryError::NotFound(m) => Error::NoSuchImage(m),
        other => Error::InvalidInput(other.to_string()),
    }
}

impl RegistrySource {
    /// A source for `reference` (normalised; a missing tag means `latest`).
    pub fn new(client: Arc<Client>, reference: Reference) -> RegistrySource {
        let reference = if reference.digest().is_none() {
            reference.with_default_tag()
        } else {
            reference
        };
        RegistrySource {
            client,
            reference,
            top: Mutex::new(None),
        }
    }

    fn tag_or_digest(&self) -> String {
        match (self.reference.digest(), self.reference.tag()) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "latest".to_string(),
        }
    }

    fn top(&self) -> Result<Descriptor> {
        if let Ok(g) = self.top.lock() {
            if let Some(d) = g.as_ref() {
                return Ok(d.clone());
            }
        }
        let (bytes, media_type, digest) = self
            .client
            .manifest(self.reference.path(), &self.tag_or_digest())
            .map_err(to_core)?;
        let desc: Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": media_type, "digest": digest.to_string(), "size": bytes.len()}))
        .map_err(|e| Error::malformed(self.describe(), e.to_string()))?;
        if let Ok(mut g) = self.top.lock() {
            *g = Some(desc.clone());
        }
        Ok(desc)
    }
}

/// A layer body fetched lazily: no request until the first read.
struct LazyBlob(BlobReader);

impl Read for LazyBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Seek for LazyBlob {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match pos {
            SeekFrom::Start(0) | SeekFrom::Current(0) => Ok(0),
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "registry blobs are read front to back",
            )),
        }
    }
}

fn is_manifest_type(mt: &str) -> bool {
    matches!(
        mt,
        media::OCI_MANIFEST | media::OCI_INDEX | media::DOCKER_MANIFEST | media::DOCKER_LIST
    )
}

impl Source for RegistrySource {
    fn describe(&self) -> String {
        format!("docker://{}", self.reference)
    }

    fn candidates(&self) -> Result<Vec<Candidate>> {
        let desc = self.top()?;
        let names = if self.reference.tag().is_some() && self.reference.digest().is_none() {
            vec![self.reference.to_string()]
        } else {
            Vec::new()
        };
        Ok(vec![Candidate {
            names,
            ref_name: None,
            root: Root::Manifest(desc),
            id: None,
            parent: None,
        }])
    }

    fn open_from(&self, locator: &Locator, offset: u64, size: Option<u64>) -> Result<Member> {
        match locator {
            // A Range request: the registry sends only what an interrupted copy lacks.
            Locator::Digest(d) => Ok(Member {
                reader: Box::new(LazyBlob(BlobReader::new(
                    self.client.clone(),
                    self.reference.path(),
                    d,
                    offset,
                    size,
                ))),
                size: size.unwrap_or(0),
                identity: Some(strata_core::facts_cache::Identity::RegistryBlob(d.clone())),
            }),
            Locator::Path(_) => self.open(locator),
        }
    }

    fn open(&self, locator: &Locator) -> Result<Member> {
        match locator {
            Locator::Digest(d) => Ok(Member {
                reader: Box::new(LazyBlob(BlobReader::new(
                    self.client.clone(),
                    self.reference.path(),
                    d,
                    0,
                    None,
                ))),
                size: 0,
                identity: Some(strata_core::facts_cache::Identity::RegistryBlob(d.clone())),
            }),
            Locator::Path(p) => Err(Error::NotFound {
                what: format!("{}: {p}", self.describe()),
            }),
        }
    }

    fn open_descriptor(&self, desc: &Descriptor) -> Result<Member> {
        let bytes = if is_manifest_type(&desc.media_type) {
            self.client
                .manifest(self.reference.path(), &desc.digest.to_string())
                .map_err(to_core)?
                .0
        } else {
            // Fetched whole (it is small) and checked here, so one bad transfer is retried.
            let mut buf = Vec::new();
            for attempt in 0..2 {
                let mut r = BlobReader::new(
                    self.client.clone(),
                    self.reference.path(),
                    &desc.digest,
                    0,
                    u64::try_from(desc.size).ok(),
                );
                buf.clear();
                (&mut r)
                    .take(strata_core::manifest::MAX_JSON + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::Read {
                        what: format!("{}: blob {}", self.describe(), desc.digest),
                        source: e,
                    })?;
                if attempt == 0 && !desc.digest.matches(&buf) {
                    continue;
                }
                break;
            }
            buf
        };
        Ok(Member {
            size: bytes.len() as u64,
            reader: Box::new(Cursor::new(bytes)),
            identity: None,
        })
    }

    fn is_remote(&self) -> bool {
        true
    }
}

/// The digest of the top-level manifest a source resolved (for `RepoDigests`).
pub fn top_digest(src: &RegistrySource) -> Result<Digest> {
    Ok(src.top()?.digest)
}
