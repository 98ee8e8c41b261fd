//! The settings the library runs with, in one value. The front end builds it (the CLI reads
//! flags and the environment into it) and installs it once at start; no library reads the
//! environment. Without an installed value the library uses built-in defaults and no
//! per-user cache.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The default ceiling on a layer's uncompressed size: generous (real layers stay far below),
/// yet a bound on the time a hostile stream can take.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 128 << 30;

/// The library's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The per-user layer-facts cache directory (layer indexes and decompressed archives go
    /// beside it); `None` turns caching off.
    pub cache_dir: Option<PathBuf>,
    /// The ceiling on a layer's (or a compressed archive's) uncompressed size.
    pub max_layer_bytes: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            cache_dir: None,
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
        }
    }
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Installs the process's settings; only the first call counts (returns whether it did).
pub fn install(s: Settings) -> bool {
    SETTINGS.set(s).is_ok()
}

/// The settings in force.
pub fn get() -> &'static Settings {
    static DEFAULT: OnceLock<Settings> = OnceLock::new();
    SETTINGS
        .get()
        .unwrap_or_else(|| DEFAULT.get_or_init(Settings::default))
}
