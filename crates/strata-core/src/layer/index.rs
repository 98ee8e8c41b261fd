//! A layer's index: every entry's effect, metadata and content digest (never its bytes), in
//! tar order, built by a visitor of the one layer walk and kept compact (fixed-size records
//! over one string arena) so images of a million paths fit in memory. Cached on disk by diff
//! ID; a cached index is used only for a blob whose diff ID was verified.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use sha2::Digest as _;

use super::unpack::{Kind, Op};
use super::{Entry, Visitor};
use crate::digest::Digest;
use crate::error::{Error, Result};

/// One change, in 48 bytes. `aux` indexes the side table its kind needs: the digest of a
/// regular file, the target of a symlink or hardlink, the numbers of a device.
#[derive(Debug, Clone, Copy, Default)]
struct Rec {
    path_off: u32,
    path_len: u32,
    size: u64,
    mtime: i64,
    uid: u32,
    gid: u32,
    ordinal: u32,
    aux: u32,
    mode: u16,
    op: u8,
    kind: u8,
}

const NO_AUX: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct XattrRec {
    rec: u32,
    key: Box<str>,
    value: Box<[u8]>,
}

/// Everything a layer says, in tar order, plus the diff ID its walk verified.
#[derive(Debug, Clone)]
pub struct LayerIndex {
    /// The diff ID (SHA-256 of the uncompressed tar).
    pub diff_id: Digest,
    recs: Vec<Rec>,
    strings: Vec<u8>,
    digests: Vec<[u8; 32]>,
    /// Symlink and hardlink targets: (offset, length) in `strings`.
    links: Vec<(u32, u32)>,
    devs: Vec<(u32, u32)>,
    xattrs: Vec<XattrRec>,
}

/// Metadata of one object as its layer states it (no content).
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// Type.
    pub kind: Kind,
    /// Permission bits (with setuid/setgid/sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// Content size (regular files), else 0.
    pub size: u64,
    /// Symlink target, as stored.
    pub link: &'a [u8],
    /// Device numbers.
    pub dev: (u32, u32),
    /// SHA-256 of the content (regular files).
    pub digest: Option<&'a [u8; 32]>,
    /// Position of the tar entry that carried it (and its body).
    pub ordinal: u64,
    xattrs: &'a [XattrRec],
}

impl<'a> Node<'a> {
    /// Extended attributes from PAX `SCHILY.xattr.*` records, in tar order.
    pub fn xattrs(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.xattrs.iter().map(|x| (&*x.key, &*x.value))
    }
}

/// One entry of a layer, as Docker's unpack applies it.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// An object added or replaced (a directory over a directory: metadata replaced).
    Put(&'a [u8], Node<'a>),
    /// A directory created for an entry below it (0755 root:root).
    Implied(&'a [u8], Node<'a>),
    /// A hardlink at a path to another path of the same layer.
    Link(&'a [u8], &'a [u8], Node<'a>),
    /// `.wh.NAME`: the path is deleted.
    Whiteout(&'a [u8]),
    /// `.wh..wh..opq`: what lower layers hold in this directory is hidden.
    Opaque(&'a [u8]),
}

fn kind_code(k: Kind) -> u8 {
    match k {
        Kind::File => 0,
        Kind::Dir => 1,
        Kind::Symlink => 2,
        Kind::Char => 3,
        Kind::Block => 4,
        Kind::Fifo => 5,
    }
}

fn kind_of(c: u8) -> Option<Kind> {
    Some(match c {
        0 => Kind::File,
        1 => Kind::Dir,
        2 => Kind::Symlink,
        3 => Kind::Char,
        4 => Kind::Block,
        5 => Kind::Fifo,
        _ => return None,
    })
}

fn op_code(o: Op) -> u8 {
    match o {
        Op::Put => 0,
        Op::Implied => 1,
        Op::Link => 2,
        Op::Whiteout => 3,
        Op::Opaque => 4,
    }
}

fn op_of(c: u8) -> Option<Op> {
    Some(match c {
        0 => Op::Put,
        1 => Op::Implied,
        2 => Op::Link,
        3 => Op::Whiteout,
        4 => Op::Opaque,
        _ => return None,
    })
}

impl LayerIndex {
    /// An empty index for a layer with this diff ID.
    pub fn new(diff_id: Digest) -> LayerIndex {
        LayerIndex {
            diff_id,
            recs: Vec::new(),
            strings: Vec::new(),
            digests: Vec::new(),
            links: Vec::new(),
            devs: Vec::new(),
            xattrs: Vec::new(),
        }
    }

    /// How many changes.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether the layer changes nothing.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    fn str_at(&self, off: u32, len: u32) -> &[u8] {
        self.strings
            .get(off as usize..off as usize + len as usize)
            .unwrap_or_default()
    }

    fn link_at(&self, aux: u32) -> &[u8] {
        match self.links.get(aux as usize) {
            Some(&(off, len)) => self.str_at(off, len),
            None => &[],
        }
    }

    fn node(&self, i: usize) -> Node<'_> {
        let r = &self.recs[i];
        let lo = self.xattrs.partition_point(|x| (x.rec as usize) < i);
        let hi = lo + self.xattrs[lo..].partition_point(|x| x.rec as usize == i);
        let kind = kind_of(r.kind).unwrap_or(Kind::File);
        let op = op_of(r.op).unwrap_or(Op::Put);
        let is_file = kind == Kind::File && op == Op::Put;
        Node {
            kind,
            mode: r.mode as u32,
            uid: r.uid,
            gid: r.gid,
            mtime: r.mtime,
            size: r.size,
            link: if kind == Kind::Symlink && op != Op::Link {
                self.link_at(r.aux)
            } else {
                &[]
            },
            dev: if matches!(kind, Kind::Char | Kind::Block) {
                self.devs.get(r.aux as usize).copied().unwrap_or_default()
            } else {
                (0, 0)
            },
            digest: if is_file {
                self.digests.get(r.aux as usize)
            } else {
                None
            },
            ordinal: r.ordinal as u64,
            xattrs: &self.xattrs[lo..hi],
        }
    }

    /// The `i`-th change.
    pub fn change(&self, i: usize) -> Change<'_> {
        let r = &self.recs[i];
        let path = self.str_at(r.path_off, r.path_len);
        match op_of(r.op).unwrap_or(Op::Put) {
            Op::Put => Change::Put(path, self.node(i)),
            Op::Implied => Change::Implied(path, self.node(i)),
            Op::Link => Change::Link(path, self.link_at(r.aux), self.node(i)),
            Op::Whiteout => Change::Whiteout(path),
            Op::Opaque => Change::Opaque(path),
        }
    }

    /// The metadata the `i`-th change carries (a hardlink's own header, say).
    pub fn node_at(&self, i: usize) -> Node<'_> {
        self.node(i)
    }

    /// Every change, in tar order.
    pub fn changes(&self) -> impl Iterator<Item = Change<'_>> {
        (0..self.recs.len()).map(|i| self.change(i))
    }

    fn intern(&mut self, b: &[u8]) -> Result<(u32, u32)> {
        let off = u32::try_from(self.strings.len()).ok();
        let len = u32::try_from(b.len()).ok();
        match (off, len) {
            (Some(off), Some(len)) if u32::try_from(self.strings.len() + b.len()).is_ok() => {
                self.strings.extend_from_slice(b);
                Ok((off, len))
            }
            _ => Err(Error::LimitExceeded {
                what: format!("layer {}: names", self.diff_id),
                limit: "4 GiB of path names per layer".into(),
            }),
        }
    }

    /// Appends a change (for building indexes by hand in tests and tools).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        op: Op,
        path: &[u8],
        target: &[u8],
        kind: Kind,
        meta: &super::Meta,
        digest: Option<[u8; 32]>,
        ordinal: u64,
    ) -> Result<()> {
        let (path_off, path_len) = self.intern(path)?;
        let link: Option<&[u8]> = match (op, kind) {
            (Op::Link, _) => Some(target),
            (Op::Put, Kind::Symlink) => Some(&meta.link),
            _ => None,
        };
        let idx = self.recs.len() as u32;
        let aux = if let Some(l) = link {
            let (off, len) = self.intern(l)?;
            self.links.push((off, len));
            (self.links.len() - 1) as u32
        } else if op == Op::Put && matches!(kind, Kind::Char | Kind::Block) {
            self.devs.push(meta.dev);
            (self.devs.len() - 1) as u32
        } else if let (Some(d), Op::Put, Kind::File) = (digest, op, kind) {
            self.digests.push(d);
            (self.digests.len() - 1) as u32
        } else {
            NO_AUX
        };
        self.recs.push(Rec {
            path_off,
            path_len,
            size: meta.size,
            mtime: meta.mtime,
            uid: meta.uid,
            gid: meta.gid,
            ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
            aux,
            mode: (meta.mode & 0o7777) as u16,
            op: op_code(op),
            kind: kind_code(kind),
        });
        for (k, v) in &meta.xattrs {
            self.xattrs.push(XattrRec {
                rec: idx,
                key: k.as_str().into(),
                value: v.as_slice().into(),
            });
        }
        Ok(())
    }

    fn set_last_file(&mut self, size: u64, digest: [u8; 32]) {
        self.digests.push(digest);
        let d = (self.digests.len() - 1) as u32;
        if let Some(r) = self.recs.last_mut() {
            r.size = size;
            r.aux = d;
        }
    }

    /// Bytes of memory the index holds (for the scale budget).
    pub fn heap_bytes(&self) -> usize {
        self.recs.capacity() * std::mem::size_of::<Rec>()
            + self.strings.capacity()
            + self.digests.capacity() * 32
            + (self.links.capacity() + self.devs.capacity()) * 8
            + self.xattrs.len() * 64
    }

    fn shrink(&mut self) {
        self.recs.shrink_to_fit();
        self.strings.shrink_to_fit();
        self.digests.shrink_to_fit();
        self.links.shrink_to_fit();
        self.devs.shrink_to_fit();
    }
}

/// The visitor that builds a layer's index: every effect, and a SHA-256 per regular file.
pub struct IndexBuilder {
    index: LayerIndex,
    hasher: Option<sha2::Sha256>,
    body: u64,
}

impl IndexBuilder {
    /// A builder; the diff ID is filled in when the walk verified it.
    pub fn new() -> IndexBuilder {
        IndexBuilder {
            index: LayerIndex::new(Digest::sha256_of(b"")),
            hasher: None,
            body: 0,
        }
    }

    /// The index, with the diff ID the walk computed.
    pub fn finish(mut self, diff_id: Digest) -> LayerIndex {
        self.index.diff_id = diff_id;
        self.index.shrink();
        self.index
    }
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl Visitor for IndexBuilder {
    fn entry(&mut self, e: &Entry<'_>) -> Result<bool> {
        self.index
            .push(e.op, e.path, e.target, e.kind, e.meta, None, e.ordinal)?;
        let body = e.op == Op::Put && e.kind == Kind::File;
        if body {
            self.hasher = Some(sha2::Sha256::new());
            self.body = 0;
        }
        Ok(body)
    }

    fn body(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
        self.body += chunk.len() as u64;
        Ok(())
    }

    fn body_end(&mut self) -> Result<()> {
        if let Some(h) = self.hasher.take() {
            let d: [u8; 32] = h.finalize().into();
            self.index.set_last_file(self.body, d);
        }
        Ok(())
    }
}

/// Layer indexes kept on disk, keyed by diff ID: the store's `meta/layer-index`, or the
/// user's cache beside the layer facts. A damaged or foreign file counts as a miss.
pub struct IndexCache {
    dir: Option<PathBuf>,
}

const MAGIC: &[u8] = b"strata-layer-index-v3\n";

fn rd_u32(r: &mut impl Read) -> Option<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

fn rd_u64(r: &mut impl Read) -> Option<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

fn rd_bytes(r: &mut impl Read, n: usize) -> Option<Vec<u8>> {
    // Lengths come from the file: grow as the bytes arrive, and exactly.
    let mut v = Vec::with_capacity(n.min(1 << 26));
    r.take(n as u64).read_to_end(&mut v).ok()?;
    (v.len() == n).then(|| {
        v.shrink_to_fit();
        v
    })
}

impl IndexCache {
    /// A disabled cache.
    pub fn disabled() -> IndexCache {
        IndexCache { dir: None }
    }

    /// A cache in this directory.
    pub fn at(dir: PathBuf) -> IndexCache {
        IndexCache { dir: Some(dir) }
    }

    fn path(&self, diff_id: &Digest) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(diff_id.hex()))
    }

    /// The index of a layer, if cached.
    pub fn get(&self, diff_id: &Digest) -> Option<LayerIndex> {
        self.load(diff_id, true)
    }

    /// The index of a layer without its content digests (what an analysis of paths and
    /// sizes needs: a third less memory), if cached.
    pub fn get_without_digests(&self, diff_id: &Digest) -> Option<LayerIndex> {
        self.load(diff_id, false)
    }

    fn load(&self, diff_id: &Digest, with_digests: bool) -> Option<LayerIndex> {
        let f = std::fs::File::open(self.path(diff_id)?).ok()?;
        let mut r = BufReader::with_capacity(1 << 16, f);
        if rd_bytes(&mut r, MAGIC.len())? != MAGIC {
            return None;
        }
        let mut n = [0usize; 6];
        for x in n.iter_mut() {
            *x = usize::try_from(rd_u64(&mut r)?).ok()?;
        }
        let [nrecs, nstr, ndig, nlinks, ndevs, nx] = n;
        if nstr > u32::MAX as usize || nrecs > u32::MAX as usize {
            return None;
        }
        let mut recs = Vec::with_capacity(nrecs.min(1 << 22));
        for _ in 0..nrecs {
            let mut b = [0u8; 44];
            r.read_exact(&mut b).ok()?;
            let u = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            let q = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
            let rec = Rec {
                path_off: u(0),
                path_len: u(4),
                size: q(8),
                mtime: q(16) as i64,
                uid: u(24),
                gid: u(28),
                ordinal: u(32),
                aux: u(36),
                mode: u16::from_le_bytes([b[40], b[41]]),
                op: b[42],
                kind: b[43],
            };
            if rec.path_off as usize + rec.path_len as usize > nstr
                || op_of(rec.op).is_none()
                || kind_of(rec.kind).is_none()
            {
                return None;
            }
            recs.push(rec);
        }
        let strings = rd_bytes(&mut r, nstr)?;
        let mut digests: Vec<[u8; 32]> = Vec::new();
        if with_digests {
            digests.reserve_exact(ndig);
            for _ in 0..ndig {
                let mut d = [0u8; 32];
                r.read_exact(&mut d).ok()?;
                digests.push(d);
            }
        } else {
            std::io::Seek::seek_relative(&mut r, i64::try_from(ndig.checked_mul(32)?).ok()?)
                .ok()?;
        }
        let mut pairs = |k: usize| -> Option<Vec<(u32, u32)>> {
            let mut v = Vec::with_capacity(k.min(1 << 20));
            for _ in 0..k {
                v.push((rd_u32(&mut r)?, rd_u32(&mut r)?));
            }
            Some(v)
        };
        let links = pairs(nlinks)?;
        let devs = pairs(ndevs)?;
        if links.iter().any(|&(o, l)| o as usize + l as usize > nstr) {
            return None;
        }
        let mut xattrs = Vec::with_capacity(nx.min(1 << 16));
        for _ in 0..nx {
            let rec = rd_u32(&mut r)?;
            let kl = rd_u32(&mut r)? as usize;
            let key = String::from_utf8(rd_bytes(&mut r, kl)?).ok()?;
            let vl = rd_u32(&mut r)? as usize;
            let value = rd_bytes(&mut r, vl)?;
            if rec as usize >= nrecs {
                return None;
            }
            xattrs.push(XattrRec {
                rec,
                key: key.into(),
                value: value.into(),
            });
        }
        if rd_bytes(&mut r, 3)? != b"end" || !r.fill_buf().ok()?.is_empty() {
            return None;
        }
        Some(LayerIndex {
            diff_id: diff_id.clone(),
            recs,
            strings,
            digests,
            links,
            devs,
            xattrs,
        })
    }

    /// Stores an index (best effort: a cache that cannot be written is simply not used);
    /// returns whether it was stored.
    pub fn put(&self, index: &LayerIndex) -> bool {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(&index.diff_id)) else {
            return false;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return false;
        }
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
            return false;
        };
        let written = (|| -> io::Result<()> {
            let mut w = io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
            w.write_all(MAGIC)?;
            for n in [
                index.recs.len(),
                index.strings.len(),
                index.digests.len(),
                index.links.len(),
                index.devs.len(),
                index.xattrs.len(),
            ] {
                w.write_all(&(n as u64).to_le_bytes())?;
            }
            for r in &index.recs {
                w.write_all(&r.path_off.to_le_bytes())?;
                w.write_all(&r.path_len.to_le_bytes())?;
                w.write_all(&r.size.to_le_bytes())?;
                w.write_all(&r.mtime.to_le_bytes())?;
                for v in [r.uid, r.gid, r.ordinal, r.aux] {
                    w.write_all(&v.to_le_bytes())?;
                }
                w.write_all(&r.mode.to_le_bytes())?;
                w.write_all(&[r.op, r.kind])?;
            }
            w.write_all(&index.strings)?;
            for d in &index.digests {
                w.write_all(d)?;
            }
            for (a, b) in index.links.iter().chain(index.devs.iter()) {
                w.write_all(&a.to_le_bytes())?;
                w.write_all(&b.to_le_bytes())?;
            }
            for x in &index.xattrs {
                w.write_all(&x.rec.to_le_bytes())?;
                w.write_all(&(x.key.len() as u32).to_le_bytes())?;
                w.write_all(x.key.as_bytes())?;
                w.write_all(&(x.value.len() as u32).to_le_bytes())?;
                w.write_all(&x.value)?;
            }
            w.write_all(b"end")?;
            w.flush()
        })();
        written.is_ok() && tmp.persist(path).is_ok()
    }

    /// Whether an index for this diff ID is on disk (it may still turn out damaged).
    pub fn has(&self, diff_id: &Digest) -> bool {
        self.path(diff_id).is_some_and(|p| p.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Meta;

    fn meta(size: u64) -> Meta {
        Meta {
            mode: 0o644,
            size,
            ..Meta::default()
        }
    }

    #[test]
    fn cache_round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let c = IndexCache::at(dir.path().join("ix"));
        let mut ix = LayerIndex::new(Digest::sha256_of(b"layer"));
        let mut m = meta(5);
        m.xattrs = vec![("security.capability".into(), vec![1, 0, 0, 2])];
        ix.push(Op::Put, b"a/f", b"", Kind::File, &m, Some([7; 32]), 3)
            .unwrap();
        ix.push(Op::Link, b"a/h", b"a/f", Kind::File, &meta(0), None, 4)
            .unwrap();
        let mut s = meta(0);
        s.link = b"../x".to_vec();
        ix.push(Op::Put, b"s", b"", Kind::Symlink, &s, None, 5)
            .unwrap();
        ix.push(Op::Whiteout, b"gone", b"", Kind::File, &meta(0), None, 6)
            .unwrap();
        ix.push(Op::Opaque, b"a", b"", Kind::Dir, &meta(0), None, 7)
            .unwrap();
        c.put(&ix);
        let back = c.get(&ix.diff_id).unwrap();
        let show = |ix: &LayerIndex| format!("{:?}", ix.changes().collect::<Vec<_>>());
        assert_eq!(show(&back), show(&ix));
        match back.change(0) {
            Change::Put(p, n) => {
                assert_eq!(p, b"a/f");
                assert_eq!(n.digest, Some(&[7; 32]));
                assert_eq!(
                    n.xattrs().collect::<Vec<_>>(),
                    [("security.capability", &[1u8, 0, 0, 2][..])]
                );
            }
            other => panic!("{other:?}"),
        }
        // Damage is a miss, not an error.
        let p = dir.path().join("ix").join(ix.diff_id.hex());
        let mut b = std::fs::read(&p).unwrap();
        b.truncate(b.len() - 2);
        std::fs::write(&p, b).unwrap();
        assert!(c.get(&ix.diff_id).is_none());
    }
}
