//! Keys for paths in the big per-layer and per-image tables: SipHash under keys drawn anew by
//! each process (so no input can aim for collisions), and hash tables that take such a key as
//! its own hash instead of hashing it again.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Hashes nothing: the key already is a hash.
#[derive(Default, Clone, Copy)]
pub struct Ident(u64);

impl std::hash::Hasher for Ident {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// A map keyed by path keys.
pub type KeyMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Ident>>;
/// A set of path keys.
pub type KeySet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<Ident>>;

/// The process's keys for paths.
#[derive(Default)]
pub struct PathKeys(RandomState, RandomState);

impl PathKeys {
    /// Fresh random keys.
    pub fn new() -> PathKeys {
        PathKeys::default()
    }

    /// A 64-bit key (tables that keep the path to check it against).
    pub fn k64(&self, p: &[u8]) -> u64 {
        self.0.hash_one(p)
    }

    /// A 128-bit key (tables that keep no path: a collision is out of reach).
    pub fn k128(&self, p: &[u8]) -> u128 {
        ((self.0.hash_one(p) as u128) << 64) | self.1.hash_one(p) as u128
    }
}
