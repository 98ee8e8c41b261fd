//! The one layer interpreter. Every command reads layer blobs through [`read`]: one streaming
//! pass per layer sniffs the compression (Docker's four codecs), decompresses under the bomb
//! guard, hashes the stored bytes (blob digest) and the tar (diff ID), and walks the tar once,
//! applying Docker's unpack rules ([`unpack`]). The walk hands each entry's effect to
//! [`Visitor`]s: the overlay2 size model is built in, the index ([`index::IndexBuilder`]) and
//! the body spool (`flatten`) are visitors. Nothing else in strata reads a layer tar, so every
//! command gives the same verdict on the same layer.

use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{Algorithm, Digest, HashingReader};
use crate::error::{Error, Result};
use crate::settings::Settings;

pub mod index;
pub mod tar;
pub mod unpack;

pub use crate::compression::Compression;
pub use index::{Change, IndexBuilder, IndexCache, LayerIndex, Node};
pub use unpack::{Kind, Op};

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

/// What a layer read should check.
pub struct Expect<'a> {
    /// Digest of the stored blob, when known and authoritative.
    pub digest: Option<&'a Digest>,
    /// Size of the stored blob, when known.
    pub size: Option<u64>,
    /// The diff ID the image config lists for this layer.
    pub diff_id: Option<&'a Digest>,
}

pub use crate::settings::DEFAULT_MAX_LAYER_BYTES;
/// Bytes a compressed layer may carry after the tar's end-of-archive blocks. Tools pad to a
/// record (10 KiB for GNU tar); a stream that goes on past this is a decompression bomb.
pub const MAX_TRAILING_BYTES: u64 = 64 << 20;

/// A size as Docker's flags take it (go-units `RAMInBytes`: `200GiB`, `200g`, `200GB` are all
/// binary); `None` unless it is a positive byte count.
pub fn parse_size(s: &str) -> Option<u64> {
    crate::units::ram_in_bytes(s)
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n as u64)
}

/// What an entry's header says, after Docker's reading of it (PAX records applied).
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Permission bits (with setuid/setgid/sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// Body size the header declares.
    pub size: u64,
    /// Symlink or hardlink target, as stored.
    pub link: Vec<u8>,
    /// Device numbers (character and block devices).
    pub dev: (u32, u32),
    /// Extended attributes (`SCHILY.xattr.*` PAX records), in order.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// One effect of one tar entry, as a visitor sees it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Position of the tar entry in the layer (PAX and GNU long-name headers not counted).
    pub ordinal: u64,
    /// What it does.
    pub op: Op,
    /// The resolved path (for [`Op::Opaque`], the directory).
    pub path: &'a [u8],
    /// For [`Op::Link`], the resolved target.
    pub target: &'a [u8],
    /// The kind of object created ([`Kind::Dir`] for implied directories).
    pub kind: Kind,
    /// The header's facts (for implied directories: 0755 root:root).
    pub meta: &'a Meta,
}

/// Consumes the one walk of a layer.
pub trait Visitor {
    /// An entry's effect, in tar order; return `true` to receive a regular file's body.
    fn entry(&mut self, e: &Entry<'_>) -> Result<bool>;
    /// The next bytes of the body asked for.
    fn body(&mut self, _chunk: &[u8]) -> Result<()> {
        Ok(())
    }
    /// The body asked for is complete.
    fn body_end(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Fails a decompressed stream once it passes the layer ceiling.
struct Ceiling<R> {
    inner: R,
    out: u64,
    max: u64,
}

impl<R: Read> Read for Ceiling<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.max {
            return Err(io::Error::other(too_big(self.max)));
        }
        Ok(n)
    }
}

fn too_big(max: u64) -> String {
    format!(
        "decompression bomb? the layer expands past {max} bytes (the limit; raise it with \
         --max-layer-size or STRATA_MAX_LAYER_SIZE)"
    )
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

/// An entry's facts as Docker takes them from Go's header.
fn meta_of(what: &str, h: &tar::Header, kind: Option<Kind>) -> Result<Meta> {
    let id = |v: u64, which: &str| {
        u32::try_from(v).map_err(|_| {
            Error::malformed(
                format!("{what}: entry {:?}", String::from_utf8_lossy(&h.name)),
                format!("{which} {v} is out of range"),
            )
        })
    };
    let dev = if matches!(kind, Some(Kind::Char) | Some(Kind::Block)) {
        (id(h.devmajor, "devmajor")?, id(h.devminor, "devminor")?)
    } else {
        (0, 0)
    };
    Ok(Meta {
        mode: (h.mode & 0o7777) as u32,
        uid: id(h.uid, "uid")?,
        gid: id(h.gid, "gid")?,
        mtime: h.mtime,
        size: h.size,
        link: h.linkname.clone(),
        dev,
        xattrs: h.xattrs.clone(),
    })
}

/// Walks a tar stream once, applying Docker's rules and feeding the visitors. For a
/// decompressed stream, bytes after the end-of-archive blocks are bounded (bomb guard).
/// Returns the number of entries and Docker's size of the layer.
fn walk(
    what: &str,
    r: &mut dyn Read,
    visitors: &mut [&mut dyn Visitor],
    max_layer: u64,
    decompressed: bool,
) -> Result<(u64, u64)> {
    let mut fs = unpack::LayerFs::new(what);
    let mut archive = tar::TarReader::new(&mut *r);
    let bad = |e: io::Error| read_err(&format!("{what}: invalid tar"), e);
    let mut buf = vec![0u8; 1 << 16];
    let mut wants = vec![false; visitors.len()];
    let mut ordinal = 0u64;
    let mut expanded = 0u64;
    while let Some(h) = archive.next_header().map_err(bad)? {
        let this = ordinal;
        ordinal += 1;
        fs.check_duplicate(&h.name)?;
        let whiteout = unpack::docker_components(&h.name)
            .last()
            .is_some_and(|b| b.starts_with(b".wh."));
        let kind = match h.typeflag {
            b'g' => continue,
            b'0' => Some(Kind::File),
            b'5' => Some(Kind::Dir),
            b'2' => Some(Kind::Symlink),
            b'3' => Some(Kind::Char),
            b'4' => Some(Kind::Block),
            b'6' => Some(Kind::Fifo),
            b'1' => None,
            // The whiteout converter runs before the type is looked at.
            _ if whiteout => Some(Kind::File),
            t => {
                return Err(Error::malformed(
                    format!("{what}: entry {:?}", String::from_utf8_lossy(&h.name)),
                    format!("unhandled tar header type {t}"),
                ));
            }
        };
        let meta = meta_of(what, &h, kind)?;
        // Files count at their logical size: a sparse file expands on read.
        if kind == Some(Kind::File) {
            expanded = expanded.saturating_add(meta.size);
        }
        if meta.size > max_layer || expanded > max_layer {
            return Err(Error::malformed(what, too_big(max_layer)));
        }
        let implied = Meta {
            mode: 0o755,
            mtime: meta.mtime,
            ..Meta::default()
        };
        let header = unpack::Header {
            name: &h.name,
            kind,
            link: &meta.link,
        };
        let mut file_body = false;
        fs.apply(&header, &mut |eff| {
            let (k, m) = match eff.op {
                Op::Implied => (Kind::Dir, &implied),
                Op::Put => (kind.unwrap_or(Kind::File), &meta),
                Op::Opaque => (Kind::Dir, &meta),
                Op::Link | Op::Whiteout => (Kind::File, &meta),
            };
            let e = Entry {
                ordinal: this,
                op: eff.op,
                path: &eff.path,
                target: &eff.target,
                kind: k,
                meta: m,
            };
            let body = eff.op == Op::Put && k == Kind::File;
            for (v, w) in visitors.iter_mut().zip(wants.iter_mut()) {
                *w = v.entry(&e)? && body;
            }
            file_body |= body;
            Ok(())
        })?;
        if file_body {
            let mut n = 0u64;
            loop {
                let k = archive.read_body(&mut buf).map_err(bad)?;
                if k == 0 {
                    break;
                }
                n += k as u64;
                for (v, w) in visitors.iter_mut().zip(wants.iter()) {
                    if *w {
                        v.body(&buf[..k])?;
                    }
                }
            }
            fs.set_file_size(n);
            for (v, w) in visitors.iter_mut().zip(wants.iter()) {
                if *w {
                    v.body_end()?;
                }
            }
        }
    }
    drop(archive);
    if decompressed {
        // What follows the end-of-archive blocks is part of the diff ID, but a stream that
        // keeps going is a bomb, not padding.
        let after = io::copy(&mut (&mut *r).take(MAX_TRAILING_BYTES + 1), &mut io::sink())
            .map_err(|e| read_err(what, e))?;
        if after > MAX_TRAILING_BYTES {
            return Err(Error::malformed(
                what,
                format!(
                    "decompression bomb: more than {MAX_TRAILING_BYTES} bytes after the end of the tar archive"
                ),
            ));
        }
    }
    Ok((ordinal, fs.size()))
}

/// Copies what is read to a writer as well, when there is one.
struct TeeReader<'w, R> {
    inner: R,
    out: Option<&'w mut dyn io::Write>,
}

impl<R: Read> Read for TeeReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(out) = self.out.as_mut() {
            out.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

/// Walks the tar, then reads the rest (so the hash and any copy cover every byte).
fn walk_all(
    what: &str,
    r: &mut dyn Read,
    tar: Option<&mut dyn io::Write>,
    visitors: &mut [&mut dyn Visitor],
    max_layer: u64,
    decompressed: bool,
) -> Result<(u64, u64)> {
    let mut tee = TeeReader { inner: r, out: tar };
    let walked = walk(what, &mut tee, visitors, max_layer, decompressed)?;
    io::copy(&mut tee, &mut io::sink()).map_err(|e| read_err(what, e))?;
    Ok(walked)
}

/// Reads a layer blob once: hashes the stored bytes, decompresses (bomb-guarded), hashes the
/// tar, applies Docker's rules and feeds `visitors`. Checks everything `expect` names; the
/// caller must not use what the visitors gathered unless this returns `Ok`.
pub fn read(
    what: &str,
    blob: impl Read + Send,
    expect: &Expect<'_>,
    visitors: &mut [&mut dyn Visitor],
    settings: &Settings,
) -> Result<LayerStats> {
    read_inner(what, blob, expect, visitors, None, settings)
}

/// [`read`], also writing the uncompressed tar to `tar` (how `load` stores layers compressed
/// with a codec OCI has no media type for).
pub fn read_to_tar(
    what: &str,
    blob: impl Read + Send,
    expect: &Expect<'_>,
    visitors: &mut [&mut dyn Visitor],
    tar: &mut dyn io::Write,
    settings: &Settings,
) -> Result<LayerStats> {
    read_inner(what, blob, expect, visitors, Some(tar), settings)
}

fn read_inner(
    what: &str,
    blob: impl Read + Send,
    expect: &Expect<'_>,
    visitors: &mut [&mut dyn Visitor],
    tar: Option<&mut dyn io::Write>,
    settings: &Settings,
) -> Result<LayerStats> {
    let max_layer = settings.max_layer_bytes;
    let blob =
        crate::progress::LayerProgress::new(blob, what, expect.size, settings.reporter.as_ref());
    let mut outer = BufReader::with_capacity(1 << 18, HashingReader::new(blob, Algorithm::Sha256));
    let magic = outer.fill_buf().map_err(|e| read_err(what, e))?;
    if magic.is_empty() {
        return Err(Error::malformed(what, "empty layer blob"));
    }
    let compression = Compression::sniff(magic);
    let (digest, compressed_size, diff_id, uncompressed_size, (entries, docker_size)) =
        match compression {
            Compression::None => {
                let walked = walk_all(what, &mut outer, tar, visitors, max_layer, false)?;
                let (d, n) = outer.into_inner().finish().map_err(|e| read_err(what, e))?;
                (d.clone(), n, d, n, walked)
            }
            _ => {
                let dec = compression
                    .decoder(Box::new(&mut outer))
                    .map_err(|e| read_err(what, e))?;
                let mut guarded = Ceiling {
                    inner: dec,
                    out: 0,
                    max: max_layer,
                };
                let (diff, un, walked) = pipelined(&mut guarded, |r| {
                    let mut inner = HashingReader::new(r, Algorithm::Sha256);
                    let walked = walk_all(what, &mut inner, tar, visitors, max_layer, true)?;
                    let (diff, un) = inner.finish().map_err(|e| read_err(what, e))?;
                    Ok((diff, un, walked))
                })?;
                drop(guarded);
                // Bytes after the compressed stream's end are part of the blob digest.
                io::copy(&mut outer, &mut io::sink()).map_err(|e| read_err(what, e))?;
                let (d, n) = outer.into_inner().finish().map_err(|e| read_err(what, e))?;
                (d, n, diff, un, walked)
            }
        };
    let stats = LayerStats {
        digest,
        compressed_size,
        diff_id,
        uncompressed_size,
        docker_size,
        compression,
        entries,
    };
    check(what, expect, &stats)?;
    Ok(stats)
}

/// Reads a layer for its facts alone (no visitor): what inspect, history, load and pull need.
pub fn scan(
    what: &str,
    blob: impl Read + Send,
    expect: &Expect<'_>,
    settings: &Settings,
) -> Result<LayerStats> {
    read(what, blob, expect, &mut [], settings)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, ::tar::EntryType, &[u8], &str)]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        for (name, kind, data, link) in entries {
            let mut h = ::tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            {
                let raw = &mut h.as_old_mut().name;
                raw[..name.len()].copy_from_slice(name.as_bytes());
            }
            if !link.is_empty() {
                h.set_link_name(link).unwrap();
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    use ::tar::EntryType as T;

    #[test]
    fn spec_example_33_bytes() {
        // shared/spec: `hi\n`, a symlink to `/opt/we ird/ü` and one to `../../etc/passwd`
        // (from two levels down) is 33 bytes under overlay2.
        let t = tar_of(&[
            ("a/b/hi", T::Regular, b"hi\n", ""),
            ("a/b/l1", T::Symlink, b"", "/opt/we ird/ü"),
            ("a/b/l2", T::Symlink, b"", "../../etc/passwd"),
        ]);
        let s = scan(
            "t",
            &t[..],
            &Expect {
                digest: None,
                size: None,
                diff_id: None,
            },
            &Settings::default(),
        )
        .unwrap();
        assert_eq!(s.docker_size, 33);
        assert_eq!(s.entries, 3);
        assert_eq!(s.diff_id, Digest::sha256_of(&t));
    }

    #[test]
    fn one_pass_feeds_size_and_index_and_verifies() {
        let t = tar_of(&[
            ("/", T::Directory, b"", ""),
            ("./etc/", T::Directory, b"", ""),
            ("./etc/f", T::Regular, b"hello", ""),
            ("../../g", T::Link, b"", "/etc/f"),
        ]);
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&t).unwrap();
            e.finish().unwrap()
        };
        let mut ib = IndexBuilder::new();
        let diff = Digest::sha256_of(&t);
        let s = read(
            "t",
            &gz[..],
            &Expect {
                digest: Some(&Digest::sha256_of(&gz)),
                size: Some(gz.len() as u64),
                diff_id: Some(&diff),
            },
            &mut [&mut ib],
            &Settings::default(),
        )
        .unwrap();
        assert_eq!(s.docker_size, 5);
        assert_eq!(s.compression, Compression::Gzip);
        let ix = ib.finish(s.diff_id);
        let shown: Vec<String> = ix
            .changes()
            .map(|c| match c {
                Change::Put(p, n) => format!("put {} {}", String::from_utf8_lossy(p), n.size),
                Change::Link(p, t, _) => format!(
                    "link {} {}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(t)
                ),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(shown, ["put etc 0", "put etc/f 5", "link g etc/f"]);
        let wrong = Digest::sha256_of(b"x");
        let e = scan(
            "t",
            &gz[..],
            &Expect {
                digest: None,
                size: None,
                diff_id: Some(&wrong),
            },
            &Settings::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("diff ID") && e.contains("mismatch"), "{e}");
    }

    #[test]
    fn zeros_after_the_end_are_bounded() {
        use std::io::Write;
        let t = tar_of(&[("f", T::Regular, b"x", "")]);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&t).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..65 {
            e.write_all(&zeros).unwrap();
        }
        let gz = e.finish().unwrap();
        let err = scan(
            "t",
            &gz[..],
            &Expect {
                digest: None,
                size: None,
                diff_id: None,
            },
            &Settings::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("decompression bomb"), "{err}");
        // A few MiB of padding is fine.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&t).unwrap();
        e.write_all(&zeros).unwrap();
        let gz = e.finish().unwrap();
        assert!(
            scan(
                "t",
                &gz[..],
                &Expect {
                    digest: None,
                    size: None,
                    diff_id: None
                },
                &Settings::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn numeric_fields_as_go_reads_them() {
        use super::tar::numeric;
        assert_eq!(numeric(b"0000644\0"), Some(0o644));
        assert_eq!(numeric(b"\0\0\0\0\0\0\0\0"), Some(0));
        assert_eq!(numeric(b"  755 \0"), Some(0o755));
        assert_eq!(numeric(&[0x80, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(numeric(b"12a\0"), None);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("128GiB"), Some(128 << 30));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("1.5 MB"), Some(1_572_864));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("0"), None);
    }
}
