//! Typed progress events from long library work, for a front end to draw. The library never
//! prints: whoever starts the work passes a [`Reporter`] down with it (through
//! `Image::open_with`, then every layer read of that image).

use std::io::{self, Read};
use std::sync::Arc;

/// A progress event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A layer read began; `size` is the stored blob's size when known.
    LayerStart {
        /// The layer, as errors name it (`layer sha256:…`).
        what: &'a str,
        /// The stored (usually compressed) size.
        size: Option<u64>,
    },
    /// So many bytes of the stored blob have been consumed.
    LayerRead {
        /// The layer.
        what: &'a str,
        /// Bytes of the stored blob read so far.
        read: u64,
    },
    /// The layer read ended, whether or not it succeeded.
    LayerEnd {
        /// The layer.
        what: &'a str,
    },
}

/// Receives progress events, from whichever thread does the work.
pub trait Reporter: Send + Sync {
    /// One event.
    fn report(&self, e: &Event<'_>);
}

impl<F: Fn(&Event<'_>) + Send + Sync> Reporter for F {
    fn report(&self, e: &Event<'_>) {
        self(e)
    }
}

/// A reporter that drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _: &Event<'_>) {}
}

/// A shared [`Silent`] reporter.
pub fn silent() -> Arc<dyn Reporter> {
    Arc::new(Silent)
}

/// How often (in stored bytes) a layer read reports.
const STEP: u64 = 64 << 10;

/// Wraps a layer blob: reports its start now, its progress as it is read and its end when
/// dropped.
pub(crate) struct LayerProgress<'w, R> {
    inner: R,
    reporter: &'w dyn Reporter,
    what: &'w str,
    read: u64,
    reported: u64,
}

impl<'w, R: Read> LayerProgress<'w, R> {
    pub(crate) fn new(
        inner: R,
        what: &'w str,
        size: Option<u64>,
        reporter: &'w dyn Reporter,
    ) -> Self {
        reporter.report(&Event::LayerStart { what, size });
        LayerProgress {
            inner,
            reporter,
            what,
            read: 0,
            reported: 0,
        }
    }
}

impl<R: Read> Read for LayerProgress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read - self.reported >= STEP {
            self.reported = self.read;
            self.reporter.report(&Event::LayerRead {
                what: self.what,
                read: self.read,
            });
        }
        Ok(n)
    }
}

impl<R> Drop for LayerProgress<'_, R> {
    fn drop(&mut self) {
        self.reporter.report(&Event::LayerEnd { what: self.what });
    }
}
