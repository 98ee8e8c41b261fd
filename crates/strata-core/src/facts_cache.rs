//! A cache of per-layer facts (digests, sizes, Docker's size) keyed by the identity of the
//! bytes on disk, so inspecting the same archive twice reads no layer twice. Only facts from
//! a scan that finished are stored; a hit is still checked against the manifest and config.
//! Location: the `cache_dir` of the settings the work runs with (the CLI: `STRATA_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/strata/layer-facts`, else `~/.cache/strata/layer-facts`; `STRATA_NO_CACHE=1`
//! turns it off).

use std::path::PathBuf;

use crate::compression::Compression;
use crate::digest::Digest;
use crate::layer::LayerStats;

/// What identifies a layer's bytes for the cache. Every key is built here, so no caller
/// spells the key format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Bytes of a file (or a section of one) as they are on disk now: path, device, inode,
    /// size and times (`files::file_identity`).
    File(String),
    /// A blob in strata's store, which holds only verified blobs: its digest is its identity.
    StoreBlob(Digest),
    /// A blob a registry serves under this digest.
    RegistryBlob(Digest),
}

impl Identity {
    /// The identity of `size` bytes at `offset` inside the bytes `self` identifies.
    pub fn section(&self, offset: u64, size: u64) -> Identity {
        Identity::File(format!("{}@{offset}+{size}", self.key()))
    }

    fn key(&self) -> String {
        match self {
            Identity::File(k) => k.clone(),
            Identity::StoreBlob(d) => format!("store-blob {d}"),
            Identity::RegistryBlob(d) => format!("registry-blob {d}"),
        }
    }
}

/// The cache directory, or nothing when caching is off or impossible.
#[derive(Debug, Clone)]
pub struct FactsCache {
    dir: Option<PathBuf>,
}

impl FactsCache {
    /// The per-user cache the settings name (disabled without a directory).
    pub fn for_settings(settings: &crate::settings::Settings) -> FactsCache {
        FactsCache {
            dir: settings.cache_dir.clone(),
        }
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

    fn path(&self, identity: &Identity) -> Option<PathBuf> {
        let d = self.dir.as_ref()?;
        Some(d.join(Digest::sha256_of(identity.key().as_bytes()).hex()))
    }

    /// Facts stored for these bytes, if any (a damaged entry counts as absent).
    pub fn get(&self, identity: &Identity) -> Option<LayerStats> {
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
    pub fn put(&self, identity: &Identity, s: &LayerStats) {
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
        let k = Identity::File("k".into());
        assert!(c.get(&k).is_none());
        c.put(&k, &s);
        assert_eq!(c.get(&k), Some(s.clone()));
        // Kinds of identity never collide, whatever their text.
        assert!(c.get(&Identity::StoreBlob(s.digest.clone())).is_none());
        let p = c.path(&k).expect("path");
        std::fs::write(&p, "garbage").expect("w");
        assert!(c.get(&k).is_none());
        assert!(FactsCache::disabled().get(&k).is_none());
    }
}
