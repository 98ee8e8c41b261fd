//! Content digests (`sha256:<hex>`) and readers that hash and verify what passes through them.

use std::fmt;
use std::io::{self, Read};

use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::error::{Error, Result};

/// A content digest such as `sha256:4f2a…`: the algorithm and the lowercase hex encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

/// Hash algorithms the OCI image spec registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, 64 hex digits.
    Sha256,
    /// SHA-384, 96 hex digits (go-digest registers it).
    Sha384,
    /// SHA-512, 128 hex digits.
    Sha512,
}

impl Algorithm {
    /// The name digests and OCI blob paths use (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }
}

impl Digest {
    /// Parses `algorithm:hex`, accepting only registered algorithms and exact lowercase hex.
    pub fn parse(s: &str) -> Result<Digest> {
        let bad = |why: &str| Error::malformed(format!("digest {s:?}"), why.to_string());
        let (alg, hex) = s.split_once(':').ok_or_else(|| bad("missing algorithm"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => return Err(bad("unsupported digest algorithm")),
        };
        if hex.len() != algorithm.hex_len()
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("invalid hex encoding"));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// A SHA-256 digest from its 64 hex digits.
    pub fn from_sha256_hex(hex: &str) -> Result<Digest> {
        Digest::parse(&format!("sha256:{hex}"))
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex digits, as Docker's short IDs.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    /// The digest an OCI layout blob path names (`blobs/<algorithm>/<hex>`, `./` allowed).
    pub fn from_blob_path(path: &str) -> Option<Digest> {
        let p = path.trim_start_matches("./");
        let rest = p.strip_prefix("blobs/")?;
        let (alg, hex) = rest.split_once('/')?;
        Digest::parse(&format!("{alg}:{hex}")).ok()
    }

    /// Where an OCI layout keeps this blob (`blobs/<algorithm>/<hex>`).
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm.name(), self.hex)
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let mut h = Hasher::new(self.algorithm);
        h.update(bytes);
        h.finish() == *self
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

/// An incremental hasher for one [`Algorithm`].
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256 state.
    Sha256(Sha256),
    /// SHA-384 state.
    Sha384(Sha384),
    /// SHA-512 state.
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest {
                algorithm: Algorithm::Sha256,
                hex: hex::encode(h.finalize()),
            },
            Hasher::Sha384(h) => Digest {
                algorithm: Algorithm::Sha384,
                hex: hex::encode(h.finalize()),
            },
            Hasher::Sha512(h) => Digest {
                algorithm: Algorithm::Sha512,
                hex: hex::encode(h.finalize()),
            },
        }
    }
}

/// A reader that hashes and counts everything read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`, hashing with `algorithm`.
    pub fn new(inner: R, algorithm: Algorithm) -> Self {
        HashingReader {
            inner,
            hasher: Some(Hasher::new(algorithm)),
            count: 0,
        }
    }
    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Reads what is left to EOF (so trailing padding is hashed) and returns the digest and size.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let h = self
            .hasher
            .take()
            .unwrap_or_else(|| Hasher::new(Algorithm::Sha256));
        Ok((h.finish(), self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Checks a computed digest against the expected one.
pub fn verify(what: &str, expected: &Digest, actual: &Digest) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_paths_round_trip() {
        let d = Digest::sha256_of(b"x");
        assert_eq!(d.blob_path(), format!("blobs/sha256/{}", d.hex()));
        assert_eq!(Digest::from_blob_path(&d.blob_path()), Some(d.clone()));
        assert_eq!(
            Digest::from_blob_path(&format!("./{}", d.blob_path())),
            Some(d)
        );
        assert_eq!(Digest::from_blob_path("blobs/sha256/xyz"), None);
        assert_eq!(Digest::from_blob_path("other/sha256/00"), None);
    }

    #[test]
    fn parse_and_hash() {
        let d = Digest::sha256_of(b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(&d.to_string()).ok(), Some(d.clone()));
        assert_eq!(d.short(), "e3b0c44298fc");
        assert!(Digest::parse("sha256:E3B0").is_err());
        assert!(Digest::parse("md5:abc").is_err());
        assert!(Digest::parse("sha256:../../etc/passwd").is_err());
        assert!(d.matches(b""));
    }

    #[test]
    fn hashing_reader_counts() {
        let mut r = HashingReader::new(&b"hello"[..], Algorithm::Sha256);
        let mut buf = [0u8; 2];
        assert_eq!(r.read(&mut buf).ok(), Some(2));
        let (d, n) = r.finish().expect("finish");
        assert_eq!(n, 5);
        assert_eq!(d, Digest::sha256_of(b"hello"));
    }
}
