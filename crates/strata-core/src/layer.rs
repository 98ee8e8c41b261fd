//! Layer blobs: compression sniffing, one-pass decompress + hash + tar walk, and Docker's
//! per-layer size as the overlay2 graph driver counts it.
//!
//! overlay2 unpacks a layer into an empty directory and sums the `lstat` sizes of everything
//! that is not a directory, each inode once (shared/spec "Size rule"): regular files by size,
//! a hardlinked file once, a symlink by the byte length of its target, whiteouts, device nodes
//! and FIFOs 0. [`LayerModel`] replays moby's `archive.Unpack` rules on the tar headers alone.

use std::collections::{BTreeMap, HashMap};
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

fn read_err(what: &str, e: io::Error) -> Error {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    /// Anything else, sharing an inode (hardlinks share one).
    NonDir(u64),
}

/// The directory a layer unpacks into, as far as sizes go: replays moby's `archive.Unpack`
/// (overlay whiteout conversion) on tar headers.
pub struct LayerModel {
    what: String,
    nodes: BTreeMap<Vec<u8>, Kind>,
    inodes: HashMap<u64, (u64, u32)>,
    next_inode: u64,
    total: u64,
    entries: u64,
}

/// Cleans a tar member name as Go's `filepath.Clean` would, refusing names that leave the
/// root. Returns `None` for the root itself.
pub fn clean_entry_name(name: &[u8]) -> std::result::Result<Option<Vec<u8>>, &'static str> {
    if name.first() == Some(&b'/') {
        return Err("absolute path");
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() {
                    return Err("path escapes the layer root");
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(parts.join(&b'/')))
}

fn parent_of(p: &[u8]) -> Option<&[u8]> {
    p.iter().rposition(|&b| b == b'/').map(|i| &p[..i])
}

fn base_of(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

impl LayerModel {
    /// An empty model; `what` names the layer in errors.
    pub fn new(what: &str) -> LayerModel {
        LayerModel {
            what: what.to_string(),
            nodes: BTreeMap::new(),
            inodes: HashMap::new(),
            next_inode: 0,
            total: 0,
            entries: 0,
        }
    }

    /// Docker's size of what has been applied so far.
    pub fn size(&self) -> u64 {
        self.total
    }

    fn unsafe_path(&self, entry: &[u8], reason: impl Into<String>) -> Error {
        Error::UnsafePath {
            what: self.what.clone(),
            entry: String::from_utf8_lossy(entry).into_owned(),
            reason: reason.into(),
        }
    }

    /// Reads a whole tar stream (every byte, so the caller's hash covers it) and applies it.
    pub fn walk(&mut self, r: &mut dyn Read) -> Result<()> {
        let mut archive = tar::Archive::new(r);
        let what = self.what.clone();
        let bad = |e: io::Error| read_err(&format!("{what}: invalid tar"), e);
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            self.entries += 1;
            let name = entry.path_bytes().into_owned();
            let header = entry.header();
            let kind = header.entry_type();
            let size = entry.size();
            let link = entry.link_name_bytes().map(|l| l.into_owned());
            self.apply(&name, kind, size, link.as_deref())?;
            // Drain the body through the caller's hasher.
            io::copy(&mut entry, &mut io::sink()).map_err(bad)?;
        }
        Ok(())
    }

    fn unref(&mut self, kind: Kind) {
        if let Kind::NonDir(ino) = kind {
            if let Some((size, refs)) = self.inodes.get_mut(&ino) {
                *refs -= 1;
                if *refs == 0 {
                    self.total -= *size;
                    self.inodes.remove(&ino);
                }
            }
        }
    }

    fn remove_all(&mut self, path: &[u8]) {
        if let Some(k) = self.nodes.remove(path) {
            self.unref(k);
            if k == Kind::Dir {
                let mut lo = path.to_vec();
                lo.push(b'/');
                let mut hi = path.to_vec();
                hi.push(b'/' + 1);
                let doomed: Vec<Vec<u8>> =
                    self.nodes.range(lo..hi).map(|(k, _)| k.clone()).collect();
                for d in doomed {
                    if let Some(k) = self.nodes.remove(&d) {
                        self.unref(k);
                    }
                }
            }
        }
    }

    fn new_inode(&mut self, size: u64) -> Kind {
        self.next_inode += 1;
        self.inodes.insert(self.next_inode, (size, 1));
        self.total += size;
        Kind::NonDir(self.next_inode)
    }

    fn ensure_parents(&mut self, path: &[u8]) -> Result<()> {
        let mut ancestors = Vec::new();
        let mut p = parent_of(path);
        while let Some(dir) = p {
            match self.nodes.get(dir) {
                Some(Kind::Dir) => break,
                Some(Kind::NonDir(_)) => {
                    return Err(Error::malformed(
                        self.what.clone(),
                        format!(
                            "entry {:?}: parent {:?} is not a directory",
                            String::from_utf8_lossy(path),
                            String::from_utf8_lossy(dir)
                        ),
                    ));
                }
                None => ancestors.push(dir.to_vec()),
            }
            p = parent_of(dir);
        }
        for a in ancestors {
            self.nodes.insert(a, Kind::Dir);
        }
        Ok(())
    }

    /// Applies one tar entry.
    pub fn apply(
        &mut self,
        raw_name: &[u8],
        kind: tar::EntryType,
        size: u64,
        link: Option<&[u8]>,
    ) -> Result<()> {
        if matches!(
            kind,
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
        ) {
            return Ok(());
        }
        let path = match clean_entry_name(raw_name) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(()),
            Err(reason) => return Err(self.unsafe_path(raw_name, reason)),
        };
        self.ensure_parents(&path)?;
        let is_dir = kind == tar::EntryType::Directory;
        if let Some(existing) = self.nodes.get(&path).copied() {
            if !(existing == Kind::Dir && is_dir) {
                self.remove_all(&path);
            }
        }
        let base = base_of(&path);
        if base == b".wh..wh..opq" {
            // Becomes an xattr on the parent directory: no file, no size.
            return Ok(());
        }
        if let Some(original) = base.strip_prefix(b".wh.") {
            // Becomes a 0/0 character device named after the deleted file.
            let mut target = parent_of(&path).map(|p| p.to_vec()).unwrap_or_default();
            if !target.is_empty() {
                target.push(b'/');
            }
            target.extend_from_slice(original);
            self.remove_all(&target);
            let k = self.new_inode(0);
            self.nodes.insert(target, k);
            return Ok(());
        }
        let node = match kind {
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                self.new_inode(size)
            }
            tar::EntryType::Symlink => {
                let target = link.unwrap_or_default();
                if target.first() != Some(&b'/') {
                    // moby: Join(Dir(path), target) must stay inside the root.
                    let mut joined = parent_of(&path).map(|p| p.to_vec()).unwrap_or_default();
                    joined.push(b'/');
                    joined.extend_from_slice(target);
                    if clean_entry_name(&joined).is_err() {
                        return Err(self.unsafe_path(
                            raw_name,
                            format!(
                                "symlink target {:?} points outside the image root",
                                String::from_utf8_lossy(target)
                            ),
                        ));
                    }
                }
                self.new_inode(target.len() as u64)
            }
            tar::EntryType::Link => {
                let target = link.unwrap_or_default();
                let clean = match clean_entry_name(target) {
                    Ok(Some(t)) => t,
                    Ok(None) | Err(_) => {
                        return Err(self.unsafe_path(
                            raw_name,
                            format!(
                                "hardlink target {:?} points outside the image root",
                                String::from_utf8_lossy(target)
                            ),
                        ));
                    }
                };
                match self.nodes.get(&clean).copied() {
                    Some(Kind::NonDir(ino)) => {
                        if let Some((_, refs)) = self.inodes.get_mut(&ino) {
                            *refs += 1;
                        }
                        Kind::NonDir(ino)
                    }
                    Some(Kind::Dir) => {
                        return Err(Error::malformed(
                            self.what.clone(),
                            format!(
                                "hardlink {:?} points to a directory",
                                String::from_utf8_lossy(raw_name)
                            ),
                        ));
                    }
                    None => {
                        return Err(Error::malformed(
                            self.what.clone(),
                            format!(
                                "hardlink {:?} points to {:?}, which is not in this layer",
                                String::from_utf8_lossy(raw_name),
                                String::from_utf8_lossy(target)
                            ),
                        ));
                    }
                }
            }
            // Devices, FIFOs: size 0.
            _ => self.new_inode(0),
        };
        self.nodes.insert(path, node);
        Ok(())
    }
}

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
