//! Typed progress events from long library work, for a front end to draw. The library never
//! prints; a front end that wants progress installs one observer for the process.

use std::io::{self, Read};
use std::sync::OnceLock;

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

/// Receives every event, from whichever thread does the work.
pub type Observer = Box<dyn Fn(&Event<'_>) + Send + Sync>;

static OBSERVER: OnceLock<Observer> = OnceLock::new();

/// Installs the process's observer; false if one was already installed.
pub fn set_observer(o: Observer) -> bool {
    OBSERVER.set(o).is_ok()
}

fn emit(e: &Event<'_>) {
    if let Some(o) = OBSERVER.get() {
        o(e);
    }
}

/// How often (in stored bytes) a layer read reports.
const STEP: u64 = 64 << 10;

/// Wraps a layer blob: reports its start now, its progress as it is read and its end when
/// dropped.
pub(crate) struct LayerProgress<'w, R> {
    inner: R,
    what: &'w str,
    read: u64,
    reported: u64,
}

impl<'w, R: Read> LayerProgress<'w, R> {
    pub(crate) fn new(inner: R, what: &'w str, size: Option<u64>) -> Self {
        emit(&Event::LayerStart { what, size });
        LayerProgress {
            inner,
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
            emit(&Event::LayerRead {
                what: self.what,
                read: self.read,
            });
        }
        Ok(n)
    }
}

impl<R> Drop for LayerProgress<'_, R> {
    fn drop(&mut self) {
        emit(&Event::LayerEnd { what: self.what });
    }
}
