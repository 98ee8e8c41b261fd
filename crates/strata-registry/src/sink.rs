//! A registry repository as the copy engine's destination (what `push` copies into): a blob
//! is written to a temporary file while the engine's layer pass verifies it, and uploaded on
//! commit; the registry checks the digest again. A blob the repository has (`HEAD`) is not
//! sent: its digest is proof.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use strata_core::compression::Compression;
use strata_core::copy::{BlobSink, Sink};
use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::layer::LayerStats;

use crate::RegistryError;
use crate::client::{Client, Payload, push_scope};

/// A repository blobs are pushed to.
pub struct RegistrySink {
    client: Arc<Client>,
    repo: String,
    scope: String,
    // The registry's own error for a failed upload, so `push` reports it as it came.
    failure: Mutex<Option<RegistryError>>,
}

impl RegistrySink {
    /// The repository `repo` (a path) of the client's registry.
    pub fn new(client: Arc<Client>, repo: &str) -> RegistrySink {
        RegistrySink {
            client,
            repo: repo.to_string(),
            scope: push_scope(repo),
            failure: Mutex::new(None),
        }
    }

    /// The registry error behind the last failed upload, if any.
    pub fn take_failure(&self) -> Option<RegistryError> {
        self.failure.lock().ok().and_then(|mut f| f.take())
    }
}

/// A blob on its way to the registry: spooled to an unnamed temporary file (nothing is left
/// behind on any path, `kill -9` included).
struct Upload<'s> {
    sink: &'s RegistrySink,
    file: io::BufWriter<std::fs::File>,
    written: u64,
}

impl Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl BlobSink for Upload<'_> {
    fn commit(self: Box<Self>, size: Option<u64>, digest: Option<&Digest>) -> Result<Digest> {
        let what = format!("{}: upload", self.sink.describe());
        let d = digest
            .cloned()
            .ok_or_else(|| Error::InvalidInput(format!("{what}: no verified digest")))?;
        if let Some(want) = size {
            if want != self.written {
                return Err(Error::SizeMismatch {
                    what: format!("{what} of blob {d}"),
                    expected: want,
                    actual: self.written,
                });
            }
        }
        let file = self.file.into_inner().map_err(|e| Error::Read {
            what: what.clone(),
            source: e.into_error(),
        })?;
        let sink = self.sink;
        match sink
            .client
            .upload_blob(&sink.repo, &d, Payload::Handle(&file))
        {
            Ok(()) => Ok(d),
            Err(e) => {
                let text = e.to_string();
                if let Ok(mut f) = sink.failure.lock() {
                    *f = Some(e);
                }
                Err(Error::Read {
                    what: format!("{what} of blob {d}"),
                    source: io::Error::other(text),
                })
            }
        }
    }

    fn discard(self: Box<Self>) {}
}

impl Sink for RegistrySink {
    fn describe(&self) -> String {
        format!("{}/{}", self.client.domain(), self.repo)
    }

    fn has_blob(&self, d: &Digest) -> bool {
        // An error here (auth, network) shows again, with its text, on the upload.
        self.client
            .has_blob(&self.repo, d, &self.scope)
            .unwrap_or(false)
    }

    fn open_blob(&self, d: &Digest) -> Result<Box<dyn Read + Send>> {
        Err(Error::NotFound {
            what: format!(
                "{}: blob {d} (a push destination is not read)",
                self.describe()
            ),
        })
    }

    fn blob_writer(
        &self,
        _layer: &strata_core::image::ImageLayer,
        _resumable: bool,
    ) -> Result<Box<dyn BlobSink + '_>> {
        let tmp = std::env::temp_dir();
        let file = tempfile::tempfile().map_err(|e| Error::io(&tmp, e))?;
        Ok(Box::new(Upload {
            sink: self,
            file: io::BufWriter::with_capacity(1 << 20, file),
            written: 0,
        }))
    }

    fn layer_facts(&self, _d: &Digest) -> Option<LayerStats> {
        None
    }

    fn record_layer_facts(&self, _s: &LayerStats) {}

    fn keeps(&self, _c: Compression) -> bool {
        true
    }

    fn presence_is_proof(&self) -> bool {
        true
    }
}
