//! A cache of per-layer facts (digests, sizes, Docker's size) keyed by the identity of the
//! bytes on disk, so inspecting the same archive twice reads no layer twice. Only facts from
//! a scan that finished are stored; a hit is still checked against the manifest and config.
//! Location: `STRATA_CACHE_DIR`, else `$XDG_CACHE_HOME/strata/layer-facts`, else
//! `~/.cache/strata/layer-facts`; `STRATA_NO_CACHE=1` turns it off.

use std::path::PathBuf;

use crate::digest::Digest;
use crate::layer::{Compression, LayerStats};

/// The cache directory, or nothing when caching is off or impossible.
#[derive(Debug, Clone)]
pub struct FactsCache {
    dir: Option<PathBuf>,
}

impl FactsCache {
    /// The cache the environment asks for.
    pub fn from_env() -> FactsCache {
        if std::env::var_os("STRATA_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
            return FactsCache { dir: None };
        }
        let dir = std::env::var_os("STRATA_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("XDG_CACHE_HOME")
                    .filter(|v| !v.is_empty())
                    .map(|x| PathBuf::from(x).join("strata/layer-facts"))
            })
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/strata/layer-facts"))
            });
        FactsCache { dir }
    }

    /// A cache in this directory.
    pub fn at(dir: PathBuf) -> FactsCache {
        FactsCache { dir: Some(dir) }
    }

    /// A directory beside this cache (`layer-index` next to `layer-facts`), for other
    /// per-layer caches; `None` when caching is off.
    pub fn sibling(&self, name: &str) -> Option<PathBuf> {
        let d = self.dir.as_ref()?;
        Some(
            d.parent()
                .map(|p| p.join(name))
                .unwrap_or_else(|| PathBuf::from(name)),
        )
    }

    /// A disabled cache.
    pub fn disabled() -> FactsCache {
        FactsCache { dir: None }
    }

    fn path(&self, identity: &str) -> Option<PathBuf> {
        let d = self.dir.as_ref()?;
        Some(d.join(Digest::sha256_of(identity.as_bytes()).hex()))
    }

    /// Facts stored for these bytes, if any (a damaged entry counts as absent).
    pub fn get(&self, identity: &str) -> Option<LayerStats> {
        let text = std::fs::read_to_string(self.path(identity)?).ok()?;
        let mut it = text.split_whitespace();
        let stats = LayerStats {
            digest: Digest::parse(it.next()?).ok()?,
            compressed_size: it.next()?.parse().ok()?,
            diff_id: Digest::parse(it.next()?).ok()?,
            uncompressed_size: it.next()?.parse().ok()?,
            docker_size: it.next()?.parse().ok()?,
            compression: Compression::from_name(it.next()?)?,
            entries: it.next()?.parse().ok()?,
        };
        (it.next() == Some("end")).then_some(stats)
    }

    /// Stores facts (best effort: a cache that cannot be written is simply not used).
    pub fn put(&self, identity: &str, s: &LayerStats) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(identity)) else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let text = format!(
            "{} {} {} {} {} {} {} end\n",
            s.digest,
            s.compressed_size,
            s.diff_id,
            s.uncompressed_size,
            s.docker_size,
            s.compression.name(),
            s.entries
        );
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            if tmp.write_all(text.as_bytes()).is_ok() {
                let _ = tmp.persist(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().expect("tmp");
        let c = FactsCache {
            dir: Some(dir.path().join("c")),
        };
        let s = LayerStats {
            digest: Digest::sha256_of(b"a"),
            compressed_size: 1,
            diff_id: Digest::sha256_of(b"b"),
            uncompressed_size: 2,
            docker_size: 3,
            compression: Compression::Gzip,
            entries: 4,
        };
        assert!(c.get("k").is_none());
        c.put("k", &s);
        assert_eq!(c.get("k"), Some(s.clone()));
        let p = c.path("k").expect("path");
        std::fs::write(&p, "garbage").expect("w");
        assert!(c.get("k").is_none());
        assert!(FactsCache::disabled().get("k").is_none());
    }
}
