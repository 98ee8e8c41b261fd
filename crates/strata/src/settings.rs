//! The one place strata reads its environment: the library's settings, the store root, the
//! registry options and Docker's config directory, the locale's width rules.

use std::path::PathBuf;
use std::time::Duration;

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

fn home() -> PathBuf {
    var("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The library's settings: the facts cache (`STRATA_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/strata/layer-facts`, else `~/.cache/strata/layer-facts`; `STRATA_NO_CACHE=1`
/// turns it off), the layer ceiling (`--max-layer-size`, else `STRATA_MAX_LAYER_SIZE`), and
/// where progress goes.
pub fn library(
    max_layer_flag: Option<u64>,
    reporter: std::sync::Arc<dyn strata_core::progress::Reporter>,
) -> strata_core::settings::Settings {
    let no_cache = var("STRATA_NO_CACHE").is_some_and(|v| v != "0");
    // No home directory and no cache directory named: no cache.
    let cache_dir = if no_cache {
        None
    } else {
        var("STRATA_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CACHE_HOME").map(|x| PathBuf::from(x).join("strata/layer-facts")))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/strata/layer-facts")))
    };
    let max_layer_bytes = max_layer_flag
        .or_else(|| var("STRATA_MAX_LAYER_SIZE").and_then(|v| strata_core::layer::parse_size(&v)))
        .unwrap_or(strata_core::layer::DEFAULT_MAX_LAYER_BYTES);
    strata_core::settings::Settings {
        cache_dir,
        max_layer_bytes,
        reporter,
    }
}

/// The store root when `--root` is not given: `STRATA_ROOT`, else `$XDG_DATA_HOME/strata`,
/// else `~/.local/share/strata`.
pub fn store_root() -> PathBuf {
    var("STRATA_ROOT")
        .map(PathBuf::from)
        .or_else(|| var("XDG_DATA_HOME").map(|x| PathBuf::from(x).join("strata")))
        .unwrap_or_else(|| home().join(".local/share/strata"))
}

/// The directory Docker's client config lives in: `DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> PathBuf {
    var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".docker"))
}

/// Registry options: the library's defaults, Docker's config directory, and the test knobs
/// (`STRATA_INSECURE_REGISTRIES`, `STRATA_RETRIES`, `STRATA_READ_TIMEOUT`,
/// `STRATA_LOW_SPEED_LIMIT`, `STRATA_LOW_SPEED_TIME`).
pub fn registry() -> strata_registry::client::Options {
    let mut o = strata_registry::client::Options {
        docker_config: Some(docker_config_dir()),
        ..Default::default()
    };
    let secs = |k: &str| {
        var(k)
            .and_then(|v| v.parse::<f64>().ok())
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    };
    if let Some(v) = var("STRATA_INSECURE_REGISTRIES") {
        o.insecure
            .extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    if let Some(n) = var("STRATA_RETRIES").and_then(|v| v.parse().ok()) {
        o.retries = n;
    }
    if let Some(d) = secs("STRATA_READ_TIMEOUT") {
        o.read_timeout = d;
    }
    if let Some(n) = var("STRATA_LOW_SPEED_LIMIT").and_then(|v| v.parse().ok()) {
        o.low_speed_limit = n;
    }
    if let Some(d) = secs("STRATA_LOW_SPEED_TIME") {
        o.low_speed_time = d;
    }
    o
}

/// The display-width rules of the locale (go-runewidth's `RUNEWIDTH_EASTASIAN`, `LC_ALL`,
/// `LC_CTYPE`, `LANG`).
pub fn width() -> strata_render::width::Condition {
    strata_render::width::Condition::from_env(|k| std::env::var(k).ok())
}
