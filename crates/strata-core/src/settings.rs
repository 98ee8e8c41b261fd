//! The settings the library runs with, in one value the front end builds (the CLI reads flags
//! and the environment into it) and passes down with the work: to `Image::open_with`, which
//! hands it to every layer read of that image, to the file sources that decompress archives,
//! and to load, save, pull and push. No library reads the environment or keeps a global.
//! `Settings::default()` is built-in defaults, no per-user cache and no progress.

use std::path::PathBuf;
use std::sync::Arc;

use crate::progress::Reporter;

/// The default ceiling on a layer's uncompressed size: generous (real layers stay far below),
/// yet a bound on the time a hostile stream can take.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 128 << 30;

/// The library's settings.
#[derive(Clone)]
pub struct Settings {
    /// The per-user layer-facts cache directory (layer indexes and decompressed archives go
    /// beside it); `None` turns caching off.
    pub cache_dir: Option<PathBuf>,
    /// The ceiling on a layer's (or a compressed archive's) uncompressed size.
    pub max_layer_bytes: u64,
    /// Where the progress of layer reads goes.
    pub reporter: Arc<dyn Reporter>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            cache_dir: None,
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
            reporter: crate::progress::silent(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("cache_dir", &self.cache_dir)
            .field("max_layer_bytes", &self.max_layer_bytes)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// The same settings reporting to `reporter`.
    pub fn with_reporter(&self, reporter: Arc<dyn Reporter>) -> Settings {
        Settings {
            reporter,
            ..self.clone()
        }
    }
}
