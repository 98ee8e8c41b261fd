//! What Docker's unpack of one layer does, replayed on tar headers: the one set of path rules.
//!
//! overlay2 applies a layer with `chrootarchive.UntarUncompressed` into the layer's own, empty
//! `diff` directory (moby `pkg/archive` `Unpack`, chrooted, with the overlay whiteout
//! converter). The rules that follow from it, all checked against the live daemon:
//! - A member name is cleaned (`filepath.Clean`) and joined to `/` inside the chroot: a leading
//!   `/` or `./` is relative to the layer root, and `..` stops at the root.
//! - Every member name (cleaned as Go does) appears once: tar-split, which stores the layer,
//!   refuses duplicates ("duplicates of file paths not supported").
//! - Missing parents are created (`MkdirAll`, 0755 root:root). Parents are resolved through this
//!   layer's own symlinks, inside the layer root; a parent that is a file, or a dangling
//!   symlink, fails. A lower layer is never visible here: under overlayfs, a directory made
//!   in an upper layer replaces whatever non-directory the lower layers had at that path.
//! - An existing path is removed first, unless both are directories (then they merge).
//! - A symlink target is data, stored as written.
//! - A hardlink names a non-directory of this same layer (`..` stops at the root); anything
//!   else fails (`link`: no such file, or operation not permitted).
//! - `.wh.NAME` becomes a 0/0 character device named NAME, which must not exist yet;
//!   `.wh..wh..opq` marks its directory opaque.
//!
//! The same walk counts Docker's size of the layer: overlay2 sums the `lstat` sizes of what
//! the directory holds, each inode once (regular files by size, a symlink by the length of its
//! target, devices, FIFOs and whiteouts 0).

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;

use crate::error::{Error, Result};

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
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

    /// The `S_IFMT` bits of this kind.
    pub fn type_bits(self) -> u32 {
        match self {
            Kind::File => 0o100000,
            Kind::Dir => 0o040000,
            Kind::Symlink => 0o120000,
            Kind::Char => 0o020000,
            Kind::Block => 0o060000,
            Kind::Fifo => 0o010000,
        }
    }
}

/// What an entry does to the layer once Docker's rules are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An object created (or, for a directory over a directory, its metadata replaced).
    Put,
    /// A directory created because an entry below it needed it (0755 root:root).
    Implied,
    /// A hardlink to another path of this layer (the target is resolved).
    Link,
    /// `.wh.NAME`: the path is deleted from the layers below.
    Whiteout,
    /// `.wh..wh..opq`: what the layers below hold in this directory is hidden.
    Opaque,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Dir,
    Inode(u32),
}

#[derive(Debug)]
struct Inode {
    size: u64,
    refs: u32,
    symlink: Option<Box<[u8]>>,
    whiteout: bool,
}

/// The layer's own directory while it is unpacked: the path rules and Docker's size.
pub struct LayerFs {
    what: String,
    nodes: BTreeMap<Box<[u8]>, Node>,
    inodes: Vec<Inode>,
    free: Vec<u32>,
    names: HashSet<u64>,
    name_hasher: std::collections::hash_map::RandomState,
    total: u64,
}

/// The most symlinks one path resolution may follow (Linux's limit).
const MAX_HOPS: u32 = 40;

/// Components of a member name as Docker places it: `filepath.Clean`, then joined to the
/// chroot's `/`, so a leading `/` or `./` is relative and `..` stops at the root.
pub fn docker_components(name: &[u8]) -> Vec<&[u8]> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts
}

/// Go's `filepath.Clean` (lexical: `..` kept at the start of a relative path, dropped at `/`).
pub fn go_clean(name: &[u8]) -> Vec<u8> {
    let rooted = name.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|l| *l != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(c);
                }
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(name.len() + 1);
    if rooted {
        out.push(b'/');
    }
    out.extend_from_slice(&parts.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(dir.len() + name.len() + 1);
    if !dir.is_empty() {
        v.extend_from_slice(dir);
        v.push(b'/');
    }
    v.extend_from_slice(name);
    v
}

fn pop_component(p: &mut Vec<u8>) {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => p.truncate(i),
        None => p.clear(),
    }
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// The header facts the rules need.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The member name as stored.
    pub name: &'a [u8],
    /// Its kind, `None` for a hardlink.
    pub kind: Option<Kind>,
    /// Symlink or hardlink target as stored.
    pub link: &'a [u8],
}

/// One effect of an entry: what it does, where (resolved), and for links the resolved target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// What happens.
    pub op: Op,
    /// The resolved path (for [`Op::Opaque`], the directory).
    pub path: Vec<u8>,
    /// For [`Op::Link`], the resolved target.
    pub target: Vec<u8>,
}

impl LayerFs {
    /// An empty layer directory; `what` names the layer in errors.
    pub fn new(what: &str) -> LayerFs {
        LayerFs {
            what: what.to_string(),
            nodes: BTreeMap::new(),
            inodes: Vec::new(),
            free: Vec::new(),
            names: HashSet::new(),
            name_hasher: std::collections::hash_map::RandomState::new(),
            total: 0,
        }
    }

    /// Docker's size of what has been unpacked so far.
    pub fn size(&self) -> u64 {
        self.total
    }

    fn bad(&self, entry: &[u8], reason: impl Into<String>) -> Error {
        Error::UnsafePath {
            what: self.what.clone(),
            entry: lossy(entry),
            reason: reason.into(),
        }
    }

    /// tar-split's rule: a cleaned member name may appear only once in a layer.
    pub fn check_duplicate(&mut self, name: &[u8]) -> Result<()> {
        let key = self.name_hasher.hash_one(go_clean(name));
        if !self.names.insert(key) {
            return Err(self.bad(name, "duplicates of file paths not supported"));
        }
        Ok(())
    }

    fn new_inode(&mut self, size: u64, symlink: Option<Box<[u8]>>, whiteout: bool) -> Node {
        self.total += size;
        let ino = Inode {
            size,
            refs: 1,
            symlink,
            whiteout,
        };
        match self.free.pop() {
            Some(i) => {
                self.inodes[i as usize] = ino;
                Node::Inode(i)
            }
            None => {
                self.inodes.push(ino);
                Node::Inode((self.inodes.len() - 1) as u32)
            }
        }
    }

    fn unref(&mut self, n: Node) {
        if let Node::Inode(i) = n {
            let ino = &mut self.inodes[i as usize];
            ino.refs -= 1;
            if ino.refs == 0 {
                self.total -= ino.size;
                ino.symlink = None;
                self.free.push(i);
            }
        }
    }

    fn remove_all(&mut self, path: &[u8]) {
        let Some(n) = self.nodes.remove(path) else {
            return;
        };
        self.unref(n);
        if n == Node::Dir {
            let mut lo = path.to_vec();
            lo.push(b'/');
            let mut hi = path.to_vec();
            hi.push(b'/' + 1);
            let doomed: Vec<Box<[u8]>> = self
                .nodes
                .range::<[u8], _>((
                    std::ops::Bound::Included(lo.as_slice()),
                    std::ops::Bound::Excluded(hi.as_slice()),
                ))
                .map(|(k, _)| k.clone())
                .collect();
            for d in doomed {
                if let Some(n) = self.nodes.remove(&d) {
                    self.unref(n);
                }
            }
        }
    }

    /// Resolves directory components as the kernel does inside the chroot: this layer's
    /// symlinks are followed (an absolute target restarts at the root, `..` stops there), a
    /// missing directory is created when `create` (reported through `implied`), and a symlink
    /// must lead to an existing directory.
    fn resolve_dir(
        &mut self,
        entry: &[u8],
        comps: &[&[u8]],
        create: bool,
        implied: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Vec<u8>> {
        let mut todo: Vec<Vec<u8>> = comps.iter().rev().map(|c| c.to_vec()).collect();
        let mut cur: Vec<u8> = Vec::new();
        let mut hops = 0;
        // Components at stack positions >= `strict` come from a symlink target: they must exist.
        let mut strict = usize::MAX;
        while let Some(c) = todo.pop() {
            let from_target = todo.len() >= strict;
            if !from_target {
                strict = usize::MAX;
            }
            match c.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    pop_component(&mut cur);
                    continue;
                }
                _ => {}
            }
            let next = join(&cur, &c);
            match self.nodes.get(next.as_slice()).copied() {
                Some(Node::Dir) => cur = next,
                Some(Node::Inode(i)) => {
                    let Some(target) = self.inodes[i as usize].symlink.clone() else {
                        return Err(self.bad(
                            entry,
                            format!("parent {:?} is not a directory", lossy(&next)),
                        ));
                    };
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(self.bad(entry, "too many levels of symbolic links"));
                    }
                    if target.first() == Some(&b'/') {
                        cur.clear();
                    }
                    strict = strict.min(todo.len());
                    for part in target.split(|&b| b == b'/').rev() {
                        todo.push(part.to_vec());
                    }
                }
                None => {
                    if !create || from_target {
                        return Err(self.bad(
                            entry,
                            format!(
                                "{:?}: no such file or directory in this layer",
                                lossy(&next)
                            ),
                        ));
                    }
                    self.nodes
                        .insert(next.clone().into_boxed_slice(), Node::Dir);
                    implied(&next)?;
                    cur = next;
                }
            }
        }
        Ok(cur)
    }

    /// Applies one tar entry. `effect` receives what it does, in order (implied parents
    /// first); returns `false` for entries Docker skips (the root directory itself).
    pub fn apply(
        &mut self,
        h: &Header<'_>,
        effect: &mut dyn FnMut(Effect) -> Result<()>,
    ) -> Result<bool> {
        let comps = docker_components(h.name);
        let Some((&base, parents)) = comps.split_last() else {
            // The root: Docker skips `.` and merges metadata into `/`; it can only be a
            // directory.
            if h.kind == Some(Kind::Dir) || go_clean(h.name) == b"." {
                return Ok(false);
            }
            return Err(self.bad(h.name, "the layer root must be a directory"));
        };
        let parent = self.resolve_dir(h.name, parents, true, &mut |p| {
            effect(Effect {
                op: Op::Implied,
                path: p.to_vec(),
                target: Vec::new(),
            })
        })?;
        if base == b".wh..wh..opq" {
            effect(Effect {
                op: Op::Opaque,
                path: parent,
                target: Vec::new(),
            })?;
            return Ok(true);
        }
        if let Some(orig) = base.strip_prefix(b".wh.") {
            if orig.is_empty() || orig == b"." || orig == b".." {
                return Err(self.bad(h.name, "whiteout of the directory itself"));
            }
            let target = join(&parent, orig);
            if self.nodes.contains_key(target.as_slice()) {
                return Err(self.bad(
                    h.name,
                    format!(
                        "whiteout of {:?}, which this layer already holds",
                        lossy(&target)
                    ),
                ));
            }
            let n = self.new_inode(0, None, true);
            self.nodes.insert(target.clone().into_boxed_slice(), n);
            effect(Effect {
                op: Op::Whiteout,
                path: target,
                target: Vec::new(),
            })?;
            return Ok(true);
        }
        let path = join(&parent, base);
        let existing = self.nodes.get(path.as_slice()).copied();
        match h.kind {
            Some(Kind::Dir) if existing == Some(Node::Dir) => {}
            _ => self.remove_all(&path),
        }
        let (node, op, target) = match h.kind {
            None => {
                let tcomps = docker_components(h.link);
                let Some((&tbase, tparents)) = tcomps.split_last() else {
                    return Err(self.bad(h.name, "hardlink to the root directory"));
                };
                let tdir = self
                    .resolve_dir(h.name, tparents, false, &mut |_| Ok(()))
                    .map_err(|_| {
                        self.bad(
                            h.name,
                            format!("hardlink target {:?} is not in this layer", lossy(h.link)),
                        )
                    })?;
                let target = join(&tdir, tbase);
                match self.nodes.get(target.as_slice()).copied() {
                    Some(Node::Inode(i)) if !self.inodes[i as usize].whiteout => {
                        self.inodes[i as usize].refs += 1;
                        (Node::Inode(i), Op::Link, target)
                    }
                    Some(Node::Dir) => {
                        return Err(self.bad(
                            h.name,
                            format!("hardlink to the directory {:?}", lossy(&target)),
                        ));
                    }
                    _ => {
                        return Err(self.bad(
                            h.name,
                            format!("hardlink target {:?} is not in this layer", lossy(h.link)),
                        ));
                    }
                }
            }
            Some(Kind::Dir) => (Node::Dir, Op::Put, Vec::new()),
            Some(Kind::Symlink) => (
                self.new_inode(h.link.len() as u64, Some(h.link.into()), false),
                Op::Put,
                Vec::new(),
            ),
            // A regular file's size is set once its body has been read.
            Some(_) => (self.new_inode(0, None, false), Op::Put, Vec::new()),
        };
        self.nodes.insert(path.clone().into_boxed_slice(), node);
        effect(Effect { op, path, target })?;
        Ok(true)
    }

    /// Sets the size of the regular file at `path` (its body length).
    pub fn set_size(&mut self, path: &[u8], size: u64) {
        if let Some(Node::Inode(i)) = self.nodes.get(path).copied() {
            let ino = &mut self.inodes[i as usize];
            self.total = self.total - ino.size + size;
            ino.size = size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(entries: &[(&str, Option<Kind>, &str)]) -> Result<(u64, Vec<String>)> {
        let mut fs = LayerFs::new("t");
        let mut out = Vec::new();
        for (name, kind, link) in entries {
            fs.check_duplicate(name.as_bytes())?;
            let h = Header {
                name: name.as_bytes(),
                kind: *kind,
                link: link.as_bytes(),
            };
            fs.apply(&h, &mut |e| {
                let t = if e.op == Op::Link {
                    format!(" -> {}", lossy(&e.target))
                } else {
                    String::new()
                };
                out.push(format!("{:?} {}{t}", e.op, lossy(&e.path)));
                Ok(())
            })?;
            if *kind == Some(Kind::File) {
                fs.set_size(
                    &{
                        let c = docker_components(name.as_bytes());
                        c.join(&b'/')
                    },
                    10,
                );
            }
        }
        Ok((fs.size(), out))
    }

    const F: Option<Kind> = Some(Kind::File);
    const D: Option<Kind> = Some(Kind::Dir);
    const S: Option<Kind> = Some(Kind::Symlink);
    const H: Option<Kind> = None;

    #[test]
    fn go_clean_matches_go() {
        for (i, o) in [
            ("", "."),
            ("./", "."),
            ("/", "/"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("./etc//x/", "etc/x"),
            ("../../x", "../../x"),
        ] {
            assert_eq!(go_clean(i.as_bytes()), o.as_bytes(), "{i}");
        }
    }

    #[test]
    fn names_are_relative_to_the_root_and_dotdot_stops_there() {
        let (_, e) = run(&[
            ("/", D, ""),
            ("./", D, ""),
            ("/etc/a", F, ""),
            ("../../b", F, ""),
            ("etc/../etc/./c", F, ""),
        ])
        .unwrap();
        assert_eq!(e, ["Implied etc", "Put etc/a", "Put b", "Put etc/c"]);
    }

    #[test]
    fn symlink_targets_are_data() {
        let (size, _) = run(&[
            ("bin", S, "usr/bin"),
            ("opt/rel", S, "../../etc/passwd"),
            ("abs", S, "/etc/shadow"),
        ])
        .unwrap();
        assert_eq!(size, 7 + 16 + 11);
    }

    #[test]
    fn parents_resolve_through_this_layers_symlinks() {
        let (_, e) = run(&[
            ("etc/", D, ""),
            ("lnk", S, "/etc"),
            ("lnk/new", F, ""),
            ("up", S, "../../../etc"),
            ("up/x", F, ""),
        ])
        .unwrap();
        assert_eq!(e[2], "Put etc/new");
        assert_eq!(e[4], "Put etc/x");
    }

    #[test]
    fn refusals_follow_the_daemon() {
        let err = |r: Result<(u64, Vec<String>)>| r.unwrap_err().to_string();
        assert!(err(run(&[("a", F, ""), ("./a", F, "")])).contains("duplicates"));
        assert!(err(run(&[("f", F, ""), ("f/x", F, "")])).contains("not a directory"));
        assert!(err(run(&[("h", H, "etc/passwd")])).contains("not in this layer"));
        assert!(err(run(&[("d/", D, ""), ("h", H, "d")])).contains("directory"));
        assert!(err(run(&[("a", F, ""), (".wh.a", F, "")])).contains("already holds"));
        assert!(err(run(&[("l", S, "nowhere"), ("l/x", F, "")])).contains("no such file"));
        assert!(err(run(&[("l", S, "l"), ("l/x", F, "")])).contains("too many levels"));
        assert!(err(run(&[("/", F, "")])).contains("root"));
    }

    #[test]
    fn hardlinks_clamp_and_count_once() {
        let (size, e) = run(&[
            ("etc/passwd", F, ""),
            ("h", H, "../../etc/passwd"),
            ("g", H, "/etc/passwd"),
            ("s", S, "etc/passwd"),
            ("hs", H, "s"),
        ])
        .unwrap();
        assert_eq!(size, 10 + 10);
        assert!(e.contains(&"Link h -> etc/passwd".to_string()));
        assert!(e.contains(&"Link hs -> s".to_string()));
    }

    #[test]
    fn whiteouts_opaque_and_replacement() {
        let (size, e) = run(&[
            ("d/", D, ""),
            ("d/x", F, ""),
            ("/d", F, ""),
            ("e/.wh..wh..opq", F, ""),
            ("e/.wh.gone", F, ""),
            (".wh.f", F, ""),
            ("f", F, ""),
        ])
        .unwrap();
        assert_eq!(
            e,
            [
                "Put d",
                "Put d/x",
                "Put d",
                "Implied e",
                "Opaque e",
                "Whiteout e/gone",
                "Whiteout f",
                "Put f"
            ]
        );
        // d (replacing the directory and d/x) and f: two files of 10 bytes.
        assert_eq!(size, 20);
    }
}
