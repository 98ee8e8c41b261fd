//! Layer blobs: compression sniffing, one-pass decompress + hash + tar walk, and Docker's
//! per-layer size as the overlay2 graph driver counts it.
//!
//! overlay2 unpacks a layer into an empty directory and sums the `lstat` sizes of everything
//! that is not a directory, each inode once (shared/spec "Size rule"): regular files by size,
//! a hardlinked file once, a symlink by the byte length of its target, whiteouts, device nodes
//! and FIFOs 0. [`LayerModel`] replays moby's `archive.Unpack` rules on the tar headers alone.

use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{Algorithm, Digest, HashingReader};
use crate::error::{Error, Result};

/// Past this many uncompressed bytes, a compression ratio above [`MAX_RATIO`] is refused.
pub const BOMB_FLOOR: u64 = 1 << 30;
/// Largest accepted expansion ratio beyond [`BOMB_FLOOR`] (real layers stay far below; gzip tops out near 1032:1).
pub const MAX_RATIO: u64 = 100;

/// How a layer blob is compressed, judged by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (possibly multi-member).
    Gzip,
    /// zstd.
    Zstd,
}

impl Compression {
    /// Recognises gzip and zstd magic numbers; anything else is taken as plain tar.
    pub fn sniff(magic: &[u8]) -> Compression {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// A decompressing reader over `r`.
    pub fn decoder<'a>(
        self,
        r: Box<dyn BufRead + Send + 'a>,
    ) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        })
    }

    /// Name used in `strata layers` output.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Facts about one layer, computed in one streaming pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStats {
    /// Digest of the blob as stored.
    pub digest: Digest,
    /// Size of the blob as stored.
    pub compressed_size: u64,
    /// Digest of the uncompressed tar.
    pub diff_id: Digest,
    /// Size of the uncompressed tar.
    pub uncompressed_size: u64,
    /// The size Docker (overlay2) reports for this layer.
    pub docker_size: u64,
    /// Compression found by sniffing.
    pub compression: Compression,
    /// Number of tar entries.
    pub entries: u64,
}

/// What a layer scan should check.
pub struct Expect<'a> {
    /// Digest of the stored blob, when known and authoritative.
    pub digest: Option<&'a Digest>,
    /// Size of the stored blob, when known.
    pub size: Option<u64>,
    /// The diff ID the image config lists for this layer.
    pub diff_id: Option<&'a Digest>,
}

struct RatioGuard<R> {
    inner: R,
    out: u64,
    compressed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > BOMB_FLOOR {
            let c = self
                .compressed
                .load(std::sync::atomic::Ordering::Relaxed)
                .max(1);
            if self.out / c > MAX_RATIO {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "decompression bomb: {} bytes from {c} compressed bytes (over {MAX_RATIO}:1)",
                        self.out
                    ),
                ));
            }
        }
        Ok(n)
    }
}

/// Counts the compressed bytes the decoder actually consumes (not what was read ahead).
struct Consumed<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: BufRead> Read for Consumed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Consumed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count
            .fetch_add(amt as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

pub(crate) fn read_err(what: &str, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            Error::malformed(what, "truncated stream (unexpected end of data)")
        }
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::Other => {
            Error::malformed(what, e.to_string())
        }
        _ => Error::Read {
            what: what.to_string(),
            source: e,
        },
    }
}

/// Runs `consume` over the bytes of `src`, with `src` read on a helper thread: the decompressor
/// (and everything below it: download, compressed hash, ingest writes) on one core, the tar
/// hash and walk on another. Chunks of 256 KiB are recycled through a small pool, so memory
/// stays bounded whatever the layer size.
pub fn pipelined<T>(
    src: &mut (dyn Read + Send),
    consume: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    const CHUNK: usize = 1 << 18;
    const POOL: usize = 6;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(POOL);
        let (back_tx, back_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(POOL);
        for _ in 0..POOL {
            let _ = back_tx.send(vec![0u8; CHUNK]);
        }
        s.spawn(move || {
            while let Ok(mut buf) = back_rx.recv() {
                let mut filled = 0;
                let r = loop {
                    if filled == buf.len() {
                        break Ok(filled);
                    }
                    match src.read(&mut buf[filled..]) {
                        Ok(0) => break Ok(filled),
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                match r {
                    Ok(n) => {
                        let end = n < buf.len();
                        if tx.send(Ok((buf, n))).is_err() || end {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        let mut r = ChannelReader {
            rx,
            back: back_tx,
            cur: None,
            pos: 0,
        };
        consume(&mut r)
    })
}

struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    back: std::sync::mpsc::SyncSender<Vec<u8>>,
    cur: Option<(Vec<u8>, usize)>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some((buf, len)) = &self.cur {
                if self.pos < *len {
                    let n = out.len().min(len - self.pos);
                    out[..n].copy_from_slice(&buf[self.pos..self.pos + n]);
                    self.pos += n;
                    return Ok(n);
                }
                let at_end = *len < buf.len();
                if let Some((buf, _)) = self.cur.take() {
                    let _ = self.back.send(buf);
                }
                if at_end {
                    return Ok(0);
                }
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = Some(chunk);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The producer ended without a short chunk: only after an error was sent.
                Err(_) => return Ok(0),
            }
        }
    }
}

/// Streams a layer blob once: hashes the stored bytes, decompresses, hashes the tar, and walks
/// its headers to compute Docker's size. Checks everything `expect` names.
pub fn scan(what: &str, blob: impl Read + Send, expect: &Expect<'_>) -> Result<LayerStats> {
    let compressed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut outer = BufReader::with_capacity(1 << 18, HashingReader::new(blob, Algorithm::Sha256));
    let magic = outer.fill_buf().map_err(|e| read_err(what, e))?;
    if magic.is_empty() {
        return Err(Error::malformed(what, "empty layer blob"));
    }
    let compression = Compression::sniff(magic);

    let (digest, compressed_size, diff_id, uncompressed_size, model) = match compression {
        Compression::None => {
            let mut model = LayerModel::new(what);
            model.walk(&mut outer)?;
            io::copy(&mut outer, &mut io::sink()).map_err(|e| read_err(what, e))?;
            let (d, n) = outer.into_inner().finish().map_err(|e| read_err(what, e))?;
            (d.clone(), n, d, n, model)
        }
        _ => {
            let dec = compression
                .decoder(Box::new(Consumed {
                    inner: &mut outer,
                    count: compressed.clone(),
                }))
                .map_err(|e| read_err(what, e))?;
            let mut guarded = RatioGuard {
                inner: dec,
                out: 0,
                compressed: compressed.clone(),
            };
            let (diff, un, model) = pipelined(&mut guarded, |r| {
                let mut inner = HashingReader::new(r, Algorithm::Sha256);
                let mut model = LayerModel::new(what);
                model.walk(&mut inner)?;
                let (diff, un) = inner.finish().map_err(|e| read_err(what, e))?;
                Ok((diff, un, model))
            })?;
            drop(guarded);
            io::copy(&mut outer, &mut io::sink()).map_err(|e| read_err(what, e))?;
            let (d, n) = outer.into_inner().finish().map_err(|e| read_err(what, e))?;
            (d, n, diff, un, model)
        }
    };
    let stats = LayerStats {
        digest,
        compressed_size,
        diff_id,
        uncompressed_size,
        docker_size: model.size(),
        compression,
        entries: model.entries,
    };
    check(what, expect, &stats)?;
    Ok(stats)
}

/// Checks computed layer facts against what the manifest and config promise.
pub fn check(what: &str, expect: &Expect<'_>, stats: &LayerStats) -> Result<()> {
    if let Some(size) = expect.size {
        if size != stats.compressed_size {
            return Err(Error::SizeMismatch {
                what: what.to_string(),
                expected: size,
                actual: stats.compressed_size,
            });
        }
    }
    if let Some(exp) = expect.digest {
        crate::digest::verify(what, exp, &stats.digest)?;
    }
    if let Some(exp) = expect.diff_id {
        if *exp != stats.diff_id {
            return Err(Error::DigestMismatch {
                what: format!("{what}: diff ID"),
                expected: exp.to_string(),
                actual: stats.diff_id.to_string(),
            });
        }
    }
    Ok(())
}

/// Docker's overlay2 size model lives with the merge engine (the one place that interprets
/// layer tars); re-exported here for the layer scan.
pub use crate::tree::clean_entry_name;
pub use crate::tree::size::LayerModel;

#[cfg(test)]
mod tests {
    use super::*;

    fn model(entries: &[(&str, tar::EntryType, u64, Option<&str>)]) -> Result<u64> {
        let mut m = LayerModel::new("t");
        for (n, k, s, l) in entries {
            m.apply(n.as_bytes(), *k, *s, l.map(str::as_bytes))?;
        }
        Ok(m.size())
    }

    use tar::EntryType as T;

    #[test]
    fn spec_example_33_bytes() {
        // shared/spec: `hi\n`, a symlink to `/opt/we ird/ü` and one to `../../etc/passwd`
        // (from two levels down) is 33 bytes under overlay2.
        let s = model(&[
            ("a/b/hi", T::Regular, 3, None),
            ("a/b/l1", T::Symlink, 0, Some("/opt/we ird/ü")),
            ("a/b/l2", T::Symlink, 0, Some("../../etc/passwd")),
        ]);
        assert_eq!(s.ok(), Some(33));
    }

    #[test]
    fn hardlinks_count_once_and_overwrites_replace() {
        let s = model(&[
            ("f", T::Regular, 100, None),
            ("g", T::Link, 0, Some("f")),
            ("h", T::Regular, 5, None),
            ("h", T::Regular, 7, None),
            ("d/x", T::Regular, 11, None),
            ("d", T::Regular, 1, None),
            (".wh.gone", T::Regular, 0, None),
            ("e/.wh..wh..opq", T::Regular, 0, None),
            ("dev", T::Char, 0, None),
        ]);
        assert_eq!(s.ok(), Some(100 + 7 + 1));
    }

    #[test]
    fn escapes_are_refused() {
        assert!(model(&[("../x", T::Regular, 1, None)]).is_err());
        assert!(model(&[("/etc/x", T::Regular, 1, None)]).is_err());
        assert!(model(&[("a/l", T::Symlink, 0, Some("../../x"))]).is_err());
        assert!(model(&[("a/l", T::Link, 0, Some("../x"))]).is_err());
        assert!(model(&[("l", T::Link, 0, Some("missing"))]).is_err());
        assert!(model(&[("a/l", T::Symlink, 0, Some("/etc/shadow"))]).is_ok());
    }

    #[test]
    fn sniffing() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"ustar"), Compression::None);
    }
}
