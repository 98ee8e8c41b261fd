//! The merge engine: layer tars → per-layer changes → the merged filesystem.
//!
//! This is the one place that interprets layer contents for the filesystem commands
//! (`changes`, `ls`, `cat`, `export`, `unpack`). A layer is read once, streaming: decompress,
//! hash (diff ID), and record each entry's metadata and content digest, never its bytes.
//! Merging follows the OCI layer rules as overlay2 applies them: `.wh.NAME` deletes NAME,
//! `.wh..wh..opq` hides everything lower layers put in its directory, a non-directory replaces
//! a directory (and its subtree) and back, directories merge their metadata.
//!
//! Paths are normalised and checked in exactly one place ([`clean_entry_name`]):
//! a path never leaves the root, a hardlink must name an entry already in the image, and an
//! entry whose parent is not a directory (a symlink, say, from a lower layer) is refused
//! rather than followed, so nothing built from this tree can resolve outside it.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{Algorithm, Digest, Hasher, HashingReader};
use crate::error::{Error, Result};
use crate::layer::Compression;

pub mod size;

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

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (target in [`Node::link`]).
    Symlink,
    /// A character device.
    Char,
    /// A block device.
    Block,
    /// A named pipe.
    Fifo,
}

impl Kind {
    /// The `ls -l` type letter.
    pub fn letter(self) -> char {
        match self {
            Kind::File => '-',
            Kind::Dir => 'd',
            Kind::Symlink => 'l',
            Kind::Char => 'c',
            Kind::Block => 'b',
            Kind::Fifo => 'p',
        }
    }
}

/// Metadata of one filesystem object (no content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Type.
    pub kind: Kind,
    /// Permission bits (and setuid/setgid/sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// Content size (regular files), else 0.
    pub size: u64,
    /// Symlink target, as stored.
    pub link: Vec<u8>,
    /// Device numbers.
    pub dev: (u32, u32),
    /// SHA-256 of the content (regular files).
    pub digest: Option<Digest>,
    /// Extended attributes from PAX `SCHILY.xattr.*` records.
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// Files sharing an inode (hardlinks) share this number; unique per image.
    pub inode: u64,
    /// Where the content is: (layer index, ordinal of the tar entry that carried the bytes).
    pub source: (usize, u64),
}

/// One entry of a layer, as the layer states it.
#[derive(Debug, Clone)]
pub enum Change {
    /// An object added or replaced at a path.
    Put(Vec<u8>, Node),
    /// A hardlink at a path to another path of the image.
    Link(Vec<u8>, Vec<u8>, Node),
    /// `.wh.NAME`: the path is deleted.
    Whiteout(Vec<u8>),
    /// `.wh..wh..opq`: what lower layers hold in this directory is hidden.
    Opaque(Vec<u8>),
}

/// Everything a layer says, in tar order, plus what reading it proved.
#[derive(Debug, Clone)]
pub struct LayerIndex {
    /// The entries.
    pub changes: Vec<Change>,
    /// The diff ID (SHA-256 of the uncompressed tar).
    pub diff_id: Digest,
}

fn read_err(what: &str, e: io::Error) -> Error {
    Error::Read {
        what: what.to_string(),
        source: e,
    }
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

fn join(dir: Option<&[u8]>, name: &[u8]) -> Vec<u8> {
    match dir {
        Some(d) if !d.is_empty() => {
            let mut v = d.to_vec();
            v.push(b'/');
            v.extend_from_slice(name);
            v
        }
        _ => name.to_vec(),
    }
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// Opens a layer blob for reading its tar: sniffs the compression.
pub fn open_tar<'a>(what: &str, blob: impl Read + Send + 'a) -> Result<Box<dyn Read + Send + 'a>> {
    let mut r = BufReader::with_capacity(1 << 18, blob);
    let magic = r.fill_buf().map_err(|e| read_err(what, e))?;
    let c = Compression::sniff(magic);
    match c {
        Compression::None => Ok(Box::new(r)),
        _ => c.decoder(Box::new(r)).map_err(|e| read_err(what, e)),
    }
}

/// Reads a layer: every entry's metadata and content digest, and the diff ID (checked
/// against `diff_id` when given). `layer` is the layer's position, recorded as the source.
pub fn read_layer(
    what: &str,
    blob: impl Read + Send,
    layer: usize,
    diff_id: Option<&Digest>,
) -> Result<LayerIndex> {
    let mut tar_stream = open_tar(what, blob)?;
    // Decompression on a helper thread; hashing and the walk here.
    let (changes, got) = crate::layer::pipelined(&mut tar_stream, |r| {
        let mut hashed = HashingReader::new(r, Algorithm::Sha256);
        let mut changes = Vec::new();
        {
            let bad = |e: io::Error| read_err(&format!("{what}: invalid tar"), e);
            let mut archive = tar::Archive::new(&mut hashed);
            let mut buf = vec![0u8; 1 << 16];
            for (ordinal, entry) in archive.entries().map_err(bad)?.enumerate() {
                let mut entry = entry.map_err(bad)?;
                let raw = entry.path_bytes().into_owned();
                let header = entry.header();
                let et = header.entry_type();
                if matches!(et, tar::EntryType::XGlobalHeader | tar::EntryType::XHeader) {
                    continue;
                }
                let path = match clean_entry_name(&raw) {
                    Ok(Some(p)) => p,
                    Ok(None) => continue,
                    Err(reason) => {
                        return Err(Error::UnsafePath {
                            what: what.to_string(),
                            entry: lossy(&raw),
                            reason: reason.to_string(),
                        });
                    }
                };
                let mode = header.mode().unwrap_or(0o644) & 0o7777;
                let uid = header.uid().unwrap_or(0);
                let gid = header.gid().unwrap_or(0);
                let mtime = header.mtime().unwrap_or(0) as i64;
                let dev = (
                    header.device_major().ok().flatten().unwrap_or(0),
                    header.device_minor().ok().flatten().unwrap_or(0),
                );
                let link = entry
                    .link_name_bytes()
                    .map(|l| l.into_owned())
                    .unwrap_or_default();
                let mut xattrs = Vec::new();
                if let Ok(Some(exts)) = entry.pax_extensions() {
                    for ext in exts.flatten() {
                        if let Ok(k) = ext.key() {
                            if let Some(name) = k.strip_prefix("SCHILY.xattr.") {
                                xattrs.push((name.to_string(), ext.value_bytes().to_vec()));
                            }
                        }
                    }
                }
                let base = base_of(&path);
                if base == b".wh..wh..opq" {
                    changes.push(Change::Opaque(
                        parent_of(&path).unwrap_or_default().to_vec(),
                    ));
                    continue;
                }
                if let Some(orig) = base.strip_prefix(b".wh.") {
                    changes.push(Change::Whiteout(join(parent_of(&path), orig)));
                    continue;
                }
                let kind = match et {
                    tar::EntryType::Directory => Kind::Dir,
                    tar::EntryType::Symlink => Kind::Symlink,
                    tar::EntryType::Char => Kind::Char,
                    tar::EntryType::Block => Kind::Block,
                    tar::EntryType::Fifo => Kind::Fifo,
                    tar::EntryType::Link => Kind::File,
                    _ => Kind::File,
                };
                let mut node = Node {
                    kind,
                    mode,
                    uid,
                    gid,
                    mtime,
                    size: 0,
                    link: Vec::new(),
                    dev,
                    digest: None,
                    xattrs,
                    inode: 0,
                    source: (layer, ordinal as u64),
                };
                if et == tar::EntryType::Link {
                    let target = match clean_entry_name(&link) {
                        Ok(Some(t)) => t,
                        _ => {
                            return Err(Error::UnsafePath {
                                what: what.to_string(),
                                entry: lossy(&raw),
                                reason: format!(
                                    "hardlink target {:?} points outside the image root",
                                    lossy(&link)
                                ),
                            });
                        }
                    };
                    changes.push(Change::Link(path, target, node));
                    continue;
                }
                match kind {
                    Kind::File => {
                        let mut h = Hasher::new(Algorithm::Sha256);
                        let mut n = 0u64;
                        loop {
                            let k = entry.read(&mut buf).map_err(bad)?;
                            if k == 0 {
                                break;
                            }
                            h.update(&buf[..k]);
                            n += k as u64;
                        }
                        node.size = n;
                        node.digest = Some(h.finish());
                    }
                    Kind::Symlink => node.link = link,
                    _ => {}
                }
                changes.push(Change::Put(path, node));
            }
        }
        // Trailing bytes after the tar's end blocks are part of the diff ID too.
        io::copy(&mut hashed, &mut io::sink()).map_err(|e| read_err(what, e))?;
        let (got, _) = hashed.finish().map_err(|e| read_err(what, e))?;
        Ok((changes, got))
    })?;
    if let Some(want) = diff_id {
        crate::digest::verify(&format!("{what}: diff ID"), want, &got)?;
    }
    Ok(LayerIndex {
        changes,
        diff_id: got,
    })
}

/// One line of `changes`: `A`, `C` or `D` and a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeLine {
    /// The path, relative to the root.
    pub path: Vec<u8>,
    /// `A` (added), `C` (changed) or `D` (deleted).
    pub op: char,
    /// Content size after the change (0 for deletions and non-files).
    pub size: u64,
}

/// An entry of the merged tree: its node and the layer that last put it there.
pub type Entry<'a> = (&'a Vec<u8>, &'a (Node, usize));

/// The merged filesystem: path → (node, the layer that last put it there).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<Vec<u8>, (Node, usize)>,
    next_inode: u64,
}

fn subtree_range(path: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut lo = path.to_vec();
    lo.push(b'/');
    let mut hi = path.to_vec();
    hi.push(b'/' + 1);
    (lo, hi)
}

impl Tree {
    /// An empty root.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// The entry at a path (`""` is the root, which has no entry).
    pub fn get(&self, path: &[u8]) -> Option<&(Node, usize)> {
        self.nodes.get(path)
    }

    /// Every entry, in byte order of paths.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &(Node, usize))> {
        self.nodes.iter()
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The entries directly inside a directory (`""` for the root), by name.
    pub fn children(&self, dir: &[u8]) -> Vec<Entry<'_>> {
        let range: Box<dyn Iterator<Item = Entry<'_>>> = if dir.is_empty() {
            Box::new(self.nodes.iter())
        } else {
            let (lo, hi) = subtree_range(dir);
            Box::new(self.nodes.range(lo..hi))
        };
        let depth = if dir.is_empty() {
            0
        } else {
            dir.iter().filter(|&&b| b == b'/').count() + 1
        };
        range
            .filter(|(p, _)| p.iter().filter(|&&b| b == b'/').count() == depth)
            .collect()
    }

    /// Every path in the order `filepath.Walk` visits them (each directory's names sorted,
    /// a directory's contents right after it): the order of `docker export`.
    pub fn walk_order(&self) -> Vec<&Vec<u8>> {
        // Component-wise order is byte order with the separator sorting first: compare with
        // '/' read as NUL (which no name contains).
        let mut out: Vec<&Vec<u8>> = self.nodes.keys().collect();
        out.sort_by(|a, b| {
            let m = |c: &u8| if *c == b'/' { 0u8 } else { *c };
            a.iter().map(m).cmp(b.iter().map(m))
        });
        out
    }

    fn remove_subtree(
        &mut self,
        path: &[u8],
        below_layer: Option<usize>,
        removed: &mut Vec<Vec<u8>>,
    ) {
        let (lo, hi) = subtree_range(path);
        let doomed: Vec<Vec<u8>> = self
            .nodes
            .range(lo..hi)
            .filter(|(_, (_, l))| below_layer.is_none_or(|b| *l < b))
            .map(|(k, _)| k.clone())
            .collect();
        for d in doomed {
            self.nodes.remove(&d);
            removed.push(d);
        }
    }

    fn remove(&mut self, path: &[u8], removed: &mut Vec<Vec<u8>>) {
        // Only a directory has anything below it (every entry's parents are directories).
        if let Some((n, _)) = self.nodes.remove(path) {
            removed.push(path.to_vec());
            if n.kind == Kind::Dir {
                self.remove_subtree(path, None, removed);
            }
        }
    }

    fn check_parents(&mut self, what: &str, path: &[u8], layer: usize, mtime: i64) -> Result<()> {
        let mut missing = Vec::new();
        let mut p = parent_of(path);
        while let Some(dir) = p {
            match self.nodes.get(dir) {
                Some((n, _)) if n.kind == Kind::Dir => break,
                Some((n, _)) => {
                    return Err(Error::UnsafePath {
                        what: what.to_string(),
                        entry: lossy(path),
                        reason: format!(
                            "parent {:?} is a {}, not a directory",
                            lossy(dir),
                            if n.kind == Kind::Symlink {
                                "symlink"
                            } else {
                                "file"
                            }
                        ),
                    });
                }
                None => missing.push(dir.to_vec()),
            }
            p = parent_of(dir);
        }
        for d in missing {
            // Tars may omit parent directories; the runtime creates them 0755 root:root.
            let node = Node {
                kind: Kind::Dir,
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime,
                size: 0,
                link: Vec::new(),
                dev: (0, 0),
                digest: None,
                xattrs: Vec::new(),
                inode: 0,
                source: (layer, u64::MAX),
            };
            self.nodes.insert(d, (node, layer));
        }
        Ok(())
    }

    /// Applies one layer on top; returns its `changes` lines (relative to the tree before),
    /// sorted by path.
    pub fn apply(
        &mut self,
        what: &str,
        layer: usize,
        index: &LayerIndex,
    ) -> Result<Vec<ChangeLine>> {
        self.apply_layer(what, layer, index, true)
    }

    /// Applies one layer on top without computing its change lines (cheaper).
    pub fn apply_quiet(&mut self, what: &str, layer: usize, index: &LayerIndex) -> Result<()> {
        self.apply_layer(what, layer, index, false).map(|_| ())
    }

    fn apply_layer(
        &mut self,
        what: &str,
        layer: usize,
        index: &LayerIndex,
        track: bool,
    ) -> Result<Vec<ChangeLine>> {
        let mut touched: Vec<Vec<u8>> = Vec::new();
        let mut removed: Vec<Vec<u8>> = Vec::new();
        let mut existed: HashMap<Vec<u8>, bool> = HashMap::new();
        let note = |tree: &Tree, p: &[u8], existed: &mut HashMap<Vec<u8>, bool>| {
            if track {
                existed
                    .entry(p.to_vec())
                    .or_insert_with(|| tree.nodes.contains_key(p));
            }
        };
        for c in &index.changes {
            match c {
                Change::Opaque(dir) => {
                    let mut gone = Vec::new();
                    self.remove_subtree(dir, Some(layer), &mut gone);
                    for g in gone.into_iter().filter(|_| track) {
                        existed.entry(g.clone()).or_insert(true);
                        removed.push(g);
                    }
                }
                Change::Whiteout(p) => {
                    note(self, p, &mut existed);
                    let mut gone = Vec::new();
                    self.remove(p, &mut gone);
                    if track {
                        for g in &gone {
                            existed.entry(g.clone()).or_insert(true);
                        }
                        removed.extend(gone);
                    }
                }
                Change::Put(p, node) => {
                    note(self, p, &mut existed);
                    self.check_parents(what, p, layer, node.mtime)?;
                    let keep_children = node.kind == Kind::Dir
                        && self.nodes.get(p).is_some_and(|(n, _)| n.kind == Kind::Dir);
                    if !keep_children {
                        // A replaced directory's contents go with it; docker diff reports
                        // only the path itself, as changed.
                        let mut gone = Vec::new();
                        self.remove(p, &mut gone);
                    }
                    let mut n = node.clone();
                    if n.kind != Kind::Dir {
                        self.next_inode += 1;
                        n.inode = self.next_inode;
                    }
                    self.nodes.insert(p.clone(), (n, layer));
                    if track {
                        touched.push(p.clone());
                    }
                }
                Change::Link(p, target, node) => {
                    note(self, p, &mut existed);
                    let Some((t, _)) = self.nodes.get(target).cloned() else {
                        return Err(Error::malformed(
                            what.to_string(),
                            format!(
                                "hardlink {:?} points to {:?}, which is not in the image",
                                lossy(p),
                                lossy(target)
                            ),
                        ));
                    };
                    if t.kind == Kind::Dir {
                        return Err(Error::malformed(
                            what.to_string(),
                            format!("hardlink {:?} points to a directory", lossy(p)),
                        ));
                    }
                    self.check_parents(what, p, layer, node.mtime)?;
                    let mut gone = Vec::new();
                    self.remove(p, &mut gone);
                    if track {
                        removed.extend(gone.into_iter().filter(|g| g != p));
                        touched.push(p.clone());
                    }
                    // A hardlink is the same inode: the target's content and metadata.
                    self.nodes.insert(p.clone(), (t, layer));
                }
            }
        }
        let mut lines: BTreeMap<Vec<u8>, ChangeLine> = BTreeMap::new();
        for p in removed {
            if self.nodes.contains_key(&p) {
                continue;
            }
            // Only the top of a deleted subtree is reported, as docker diff does.
            let covered = {
                let mut q = parent_of(&p);
                let mut c = false;
                while let Some(d) = q {
                    if lines.get(d).is_some_and(|l| l.op == 'D') {
                        c = true;
                        break;
                    }
                    q = parent_of(d);
                }
                c
            };
            if !covered && existed.get(&p).copied().unwrap_or(true) {
                lines.insert(
                    p.clone(),
                    ChangeLine {
                        path: p,
                        op: 'D',
                        size: 0,
                    },
                );
            }
        }
        for p in touched {
            let size = self.nodes.get(&p).map(|(n, _)| n.size).unwrap_or(0);
            let op = if existed.get(&p).copied().unwrap_or(false) {
                'C'
            } else {
                'A'
            };
            lines.insert(p.clone(), ChangeLine { path: p, op, size });
        }
        Ok(lines.into_values().collect())
    }

    /// Resolves a path inside the image, following symlinks (also in the middle of the path)
    /// without ever leaving the root: `..` stops at `/` and absolute targets restart at it.
    pub fn resolve(&self, path: &[u8]) -> Result<Vec<u8>> {
        let mut hops = 0;
        let mut todo: Vec<Vec<u8>> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .map(<[u8]>::to_vec)
            .rev()
            .collect();
        let mut cur: Vec<Vec<u8>> = Vec::new();
        while let Some(c) = todo.pop() {
            match c.as_slice() {
                b"." => continue,
                b".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            let joined = cur.join(&b'/');
            if let Some((n, _)) = self.nodes.get(&joined) {
                if n.kind == Kind::Symlink {
                    hops += 1;
                    if hops > 40 {
                        return Err(Error::InvalidInput(format!(
                            "{}: too many levels of symbolic links",
                            lossy(path)
                        )));
                    }
                    cur.pop();
                    if n.link.first() == Some(&b'/') {
                        cur.clear();
                    }
                    for part in n.link.split(|&b| b == b'/').filter(|c| !c.is_empty()).rev() {
                        todo.push(part.to_vec());
                    }
                }
            }
        }
        Ok(cur.join(&b'/'))
    }
}

/// Builds the tree of layers `0..=upto` from their indexes; returns it and each layer's
/// change lines.
pub fn merge(what: &str, layers: &[LayerIndex]) -> Result<(Tree, Vec<Vec<ChangeLine>>)> {
    let mut t = Tree::new();
    let mut all = Vec::with_capacity(layers.len());
    for (i, l) in layers.iter().enumerate() {
        all.push(t.apply(&format!("{what}: layer {i}"), i, l)?);
    }
    Ok((t, all))
}

/// Builds the merged tree only (no change lines): what `ls`, `cat`, `export`, `unpack`
/// and `diff` need.
pub fn merge_quiet(what: &str, layers: &[LayerIndex]) -> Result<Tree> {
    let mut t = Tree::new();
    for (i, l) in layers.iter().enumerate() {
        t.apply_quiet(&format!("{what}: layer {i}"), i, l)?;
    }
    Ok(t)
}

/// Streams a layer and hands the bodies of the wanted entries (by ordinal) to `f`.
pub fn for_each_body(
    what: &str,
    blob: impl Read + Send,
    wanted: &dyn Fn(u64) -> bool,
    f: &mut dyn FnMut(u64, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let tar_stream = open_tar(what, blob)?;
    let bad = |e: io::Error| read_err(&format!("{what}: invalid tar"), e);
    let mut archive = tar::Archive::new(tar_stream);
    for (ordinal, entry) in archive.entries().map_err(bad)?.enumerate() {
        let mut entry = entry.map_err(bad)?;
        if wanted(ordinal as u64) {
            f(ordinal as u64, &mut entry)?;
        }
    }
    Ok(())
}

/// Layer indexes kept on disk, keyed by diff ID (content-addressed, so any image sharing a
/// layer reuses its index): the store's `meta/layer-index`, or the user's cache beside the
/// layer facts. A damaged or foreign file counts as a miss.
pub struct IndexCache {
    dir: Option<std::path::PathBuf>,
}

const INDEX_MAGIC: &[u8] = b"strata-layer-index-v1\n";

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Cursor<'a> {
    b: &'a [u8],
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        self.take(n).map(<[u8]>::to_vec)
    }
}

fn encode_node(out: &mut Vec<u8>, n: &Node) {
    out.push(match n.kind {
        Kind::File => 0,
        Kind::Dir => 1,
        Kind::Symlink => 2,
        Kind::Char => 3,
        Kind::Block => 4,
        Kind::Fifo => 5,
    });
    out.extend_from_slice(&n.mode.to_le_bytes());
    out.extend_from_slice(&n.uid.to_le_bytes());
    out.extend_from_slice(&n.gid.to_le_bytes());
    out.extend_from_slice(&n.mtime.to_le_bytes());
    out.extend_from_slice(&n.size.to_le_bytes());
    put_bytes(out, &n.link);
    out.extend_from_slice(&n.dev.0.to_le_bytes());
    out.extend_from_slice(&n.dev.1.to_le_bytes());
    match &n.digest {
        Some(d) => {
            out.push(1);
            put_bytes(out, d.to_string().as_bytes());
        }
        None => out.push(0),
    }
    out.extend_from_slice(&(n.xattrs.len() as u32).to_le_bytes());
    for (k, v) in &n.xattrs {
        put_bytes(out, k.as_bytes());
        put_bytes(out, v);
    }
    out.extend_from_slice(&n.source.1.to_le_bytes());
}

fn decode_node(c: &mut Cursor<'_>, layer: usize) -> Option<Node> {
    let kind = match c.u8()? {
        0 => Kind::File,
        1 => Kind::Dir,
        2 => Kind::Symlink,
        3 => Kind::Char,
        4 => Kind::Block,
        5 => Kind::Fifo,
        _ => return None,
    };
    let mode = c.u32()?;
    let uid = c.u64()?;
    let gid = c.u64()?;
    let mtime = c.u64()? as i64;
    let size = c.u64()?;
    let link = c.bytes()?;
    let dev = (c.u32()?, c.u32()?);
    let digest = match c.u8()? {
        1 => Some(Digest::parse(std::str::from_utf8(&c.bytes()?).ok()?).ok()?),
        _ => None,
    };
    let nx = c.u32()? as usize;
    let mut xattrs = Vec::with_capacity(nx.min(64));
    for _ in 0..nx {
        let k = String::from_utf8(c.bytes()?).ok()?;
        xattrs.push((k, c.bytes()?));
    }
    let ordinal = c.u64()?;
    Some(Node {
        kind,
        mode,
        uid,
        gid,
        mtime,
        size,
        link,
        dev,
        digest,
        xattrs,
        inode: 0,
        source: (layer, ordinal),
    })
}

impl IndexCache {
    /// The cache for a source: the store's own, or the user's.
    pub fn for_source(source: &dyn crate::source::Source) -> IndexCache {
        let facts = source
            .facts_cache()
            .unwrap_or_else(crate::facts_cache::FactsCache::from_env);
        IndexCache {
            dir: facts.sibling("layer-index"),
        }
    }

    /// A cache in this directory.
    pub fn at(dir: std::path::PathBuf) -> IndexCache {
        IndexCache { dir: Some(dir) }
    }

    fn path(&self, diff_id: &Digest) -> Option<std::path::PathBuf> {
        Some(self.dir.as_ref()?.join(diff_id.hex()))
    }

    /// The index of a layer, if cached; `layer` is its position in the image at hand.
    pub fn get(&self, diff_id: &Digest, layer: usize) -> Option<LayerIndex> {
        let bytes = std::fs::read(self.path(diff_id)?).ok()?;
        let mut c = Cursor {
            b: bytes.strip_prefix(INDEX_MAGIC)?,
        };
        let n = c.u64()? as usize;
        let mut changes = Vec::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let tag = c.u8()?;
            let path = c.bytes()?;
            changes.push(match tag {
                b'P' => Change::Put(path, decode_node(&mut c, layer)?),
                b'L' => {
                    let target = c.bytes()?;
                    Change::Link(path, target, decode_node(&mut c, layer)?)
                }
                b'W' => Change::Whiteout(path),
                b'O' => Change::Opaque(path),
                _ => return None,
            });
        }
        (c.take(3)? == b"end").then(|| LayerIndex {
            changes,
            diff_id: diff_id.clone(),
        })
    }

    /// Stores an index (best effort).
    pub fn put(&self, index: &LayerIndex) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(&index.diff_id)) else {
            return;
        };
        let mut out = INDEX_MAGIC.to_vec();
        out.extend_from_slice(&(index.changes.len() as u64).to_le_bytes());
        for c in &index.changes {
            match c {
                Change::Put(p, n) => {
                    out.push(b'P');
                    put_bytes(&mut out, p);
                    encode_node(&mut out, n);
                }
                Change::Link(p, t, n) => {
                    out.push(b'L');
                    put_bytes(&mut out, p);
                    put_bytes(&mut out, t);
                    encode_node(&mut out, n);
                }
                Change::Whiteout(p) => {
                    out.push(b'W');
                    put_bytes(&mut out, p);
                }
                Change::Opaque(p) => {
                    out.push(b'O');
                    put_bytes(&mut out, p);
                }
            }
        }
        out.extend_from_slice(b"end");
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            if tmp.write_all(&out).is_ok() {
                let _ = tmp.persist(path);
            }
        }
    }
}

/// Reads every layer of an image (in parallel) into indexes, checking diff IDs.
pub fn index_image(image: &crate::image::Image) -> Result<Vec<LayerIndex>> {
    let cache = IndexCache::for_source(image.source());
    let cache = &cache;
    let n = image.layers.len();
    let slots: Vec<std::sync::Mutex<Option<Result<LayerIndex>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    // More threads than cores: layers differ in size, and with one thread per layer the
    // kernel keeps every core busy until the largest one ends.
    let threads = (std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        * 2)
    .min(n.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let l = &image.layers[i];
                    let r = match cache.get(&l.diff_id, i) {
                        Some(hit) => Ok(hit),
                        None => {
                            let what =
                                format!("{}: layer {}", image.source().describe(), l.diff_id);
                            let r = image
                                .source()
                                .open(&l.blob.locator)
                                .and_then(|m| read_layer(&what, m.reader, i, Some(&l.diff_id)));
                            if let Ok(ix) = &r {
                                cache.put(ix);
                            }
                            r
                        }
                    };
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| {
            s.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(Error::malformed(
                    image.source().describe(),
                    "layer not read",
                ))
            })
        })
        .collect()
}

/// A plain node for unit tests.
#[cfg(test)]
pub(crate) fn test_node(kind: Kind, size: u64) -> Node {
    Node {
        kind,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        size,
        link: Vec::new(),
        dev: (0, 0),
        digest: None,
        xattrs: Vec::new(),
        inode: 0,
        source: (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_node as node;

    fn put(p: &str, k: Kind) -> Change {
        Change::Put(p.as_bytes().to_vec(), node(k, 1))
    }

    fn layer(changes: Vec<Change>) -> LayerIndex {
        LayerIndex {
            changes,
            diff_id: Digest::sha256_of(b""),
        }
    }

    fn paths(t: &Tree) -> Vec<String> {
        t.walk_order().iter().map(|p| lossy(p)).collect()
    }

    fn lines(l: &[ChangeLine]) -> Vec<String> {
        l.iter()
            .map(|c| format!("{} /{}", c.op, lossy(&c.path)))
            .collect()
    }

    #[test]
    fn whiteouts_opaque_and_replacement() {
        let l0 = layer(vec![
            put("a", Kind::Dir),
            put("a/x", Kind::File),
            put("a/y", Kind::File),
            put("d", Kind::Dir),
            put("d/old", Kind::File),
            put("f", Kind::File),
            put("g", Kind::Dir),
            put("g/in", Kind::File),
        ]);
        let l1 = layer(vec![
            put("a", Kind::Dir),
            Change::Whiteout(b"a/x".to_vec()),
            put("d", Kind::Dir),
            Change::Opaque(b"d".to_vec()),
            put("d/new", Kind::File),
            put("f", Kind::Dir),
            put("f/z", Kind::File),
            put("g", Kind::File),
        ]);
        let (t, ch) = merge("t", &[l0, l1]).unwrap();
        assert_eq!(paths(&t), ["a", "a/y", "d", "d/new", "f", "f/z", "g"]);
        assert_eq!(
            lines(&ch[1]),
            [
                "C /a", "D /a/x", "C /d", "A /d/new", "D /d/old", "C /f", "A /f/z", "C /g",
            ]
        );
    }

    #[test]
    fn index_cache_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let c = IndexCache::at(dir.path().join("ix"));
        let mut f = node(Kind::File, 5);
        f.digest = Some(Digest::sha256_of(b"hello"));
        f.xattrs = vec![("user.x".into(), b"v".to_vec())];
        f.source = (3, 7);
        let mut l = node(Kind::File, 0);
        l.source = (3, 8);
        let ix = LayerIndex {
            changes: vec![
                Change::Put(b"a/f".to_vec(), f),
                Change::Link(b"a/h".to_vec(), b"a/f".to_vec(), l),
                Change::Whiteout(b"gone".to_vec()),
                Change::Opaque(b"a".to_vec()),
            ],
            diff_id: Digest::sha256_of(b"layer"),
        };
        c.put(&ix);
        let back = c.get(&ix.diff_id, 3).unwrap();
        assert_eq!(format!("{:?}", back.changes), format!("{:?}", ix.changes));
        // Damage is a miss, not an error.
        let p = dir.path().join("ix").join(ix.diff_id.hex());
        let mut b = std::fs::read(&p).unwrap();
        b.truncate(b.len() - 2);
        std::fs::write(&p, b).unwrap();
        assert!(c.get(&ix.diff_id, 3).is_none());
    }

    #[test]
    fn walk_order_is_per_directory() {
        let l0 = layer(vec![
            put("a", Kind::Dir),
            put("a/b", Kind::File),
            put("a.txt", Kind::File),
        ]);
        let (t, _) = merge("t", &[l0]).unwrap();
        assert_eq!(paths(&t), ["a", "a/b", "a.txt"]);
    }

    #[test]
    fn hardlinks_share_inodes_and_must_exist() {
        let l0 = layer(vec![put("f", Kind::File)]);
        let l1 = layer(vec![Change::Link(
            b"h".to_vec(),
            b"f".to_vec(),
            node(Kind::File, 0),
        )]);
        let (t, _) = merge("t", &[l0, l1]).unwrap();
        assert_eq!(t.get(b"h").unwrap().0.inode, t.get(b"f").unwrap().0.inode);
        let bad = layer(vec![Change::Link(
            b"h".to_vec(),
            b"nope".to_vec(),
            node(Kind::File, 0),
        )]);
        assert!(merge("t", &[bad]).is_err());
    }

    #[test]
    fn writing_through_a_symlink_is_refused() {
        let mut l = node(Kind::Symlink, 0);
        l.link = b"/etc".to_vec();
        let l0 = layer(vec![Change::Put(b"lnk".to_vec(), l)]);
        let l1 = layer(vec![put("lnk/passwd", Kind::File)]);
        let e = merge("t", &[l0, l1]).unwrap_err().to_string();
        assert!(e.contains("symlink"), "{e}");
    }

    #[test]
    fn resolve_stays_inside() {
        let mut up = node(Kind::Symlink, 0);
        up.link = b"../../../../etc".to_vec();
        let mut abs = node(Kind::Symlink, 0);
        abs.link = b"/etc/passwd".to_vec();
        let l0 = layer(vec![
            put("etc", Kind::Dir),
            put("etc/passwd", Kind::File),
            put("x", Kind::Dir),
            Change::Put(b"x/up".to_vec(), up),
            Change::Put(b"abs".to_vec(), abs),
        ]);
        let (t, _) = merge("t", &[l0]).unwrap();
        assert_eq!(t.resolve(b"/x/up/passwd").unwrap(), b"etc/passwd");
        assert_eq!(t.resolve(b"abs").unwrap(), b"etc/passwd");
    }
}
