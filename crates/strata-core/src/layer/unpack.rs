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

use crate::error::{Error, Result};
use crate::pathkey::{KeyMap, KeySet, PathKeys};

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
    /// A directory, by its id (ids are never reused: a replaced directory gets a new one).
    Dir(u32),
    Inode(u32),
}

/// An entry of the layer directory, keyed by a 128-bit hash of its path: valid while its
/// parent directory is the one it was made in (a replaced directory orphans its old
/// descendants without visiting them).
#[derive(Debug, Clone, Copy)]
struct Slot {
    node: Node,
    parent: u32,
}

#[derive(Debug)]
struct Inode {
    size: u64,
    whiteout: bool,
}

/// The root directory's id.
const ROOT: u32 = 0;

/// The layer's own directory while it is unpacked: the path rules and Docker's size. Paths
/// are kept as 128-bit keyed hashes (collisions are out of reach), so a layer of a million
/// entries costs a few dozen megabytes here.
pub struct LayerFs {
    what: String,
    slots: KeyMap<u128, Slot>,
    /// Per directory id: its parent's id, and whether it still stands.
    dirs: Vec<(u32, bool)>,
    inodes: Vec<Inode>,
    symlinks: std::collections::HashMap<u32, Box<[u8]>>,
    names: KeySet<u128>,
    keys: PathKeys,
    last_file: Option<u32>,
    /// The last parent resolved (its components as named, its path and id), valid while no
    /// directory has been replaced since: tars list a directory's entries together.
    cache: Option<(Vec<u8>, Vec<u8>, u32, u64)>,
    generation: u64,
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
            slots: KeyMap::default(),
            dirs: vec![(ROOT, true)],
            inodes: Vec::new(),
            symlinks: std::collections::HashMap::new(),
            names: KeySet::default(),
            keys: PathKeys::new(),
            last_file: None,
            cache: None,
            generation: 0,
        }
    }

    fn key(&self, path: &[u8]) -> u128 {
        self.keys.k128(path)
    }

    /// Docker's size of the layer directory: each live inode once.
    pub fn size(&self) -> u64 {
        // Directory ids grow from parent to child, so one pass settles which still stand.
        let mut live = vec![false; self.dirs.len()];
        for (d, &(parent, alive)) in self.dirs.iter().enumerate() {
            live[d] = alive && (d == ROOT as usize || live[parent as usize]);
        }
        let mut used = vec![false; self.inodes.len()];
        for s in self.slots.values() {
            if let Node::Inode(i) = s.node {
                if live[s.parent as usize] {
                    used[i as usize] = true;
                }
            }
        }
        used.iter()
            .zip(&self.inodes)
            .filter(|(u, _)| **u)
            .map(|(_, i)| i.size)
            .sum()
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
        let key = self.key(&go_clean(name));
        if !self.names.insert(key) {
            return Err(self.bad(name, "duplicates of file paths not supported"));
        }
        Ok(())
    }

    fn new_inode(&mut self, size: u64, whiteout: bool) -> Node {
        self.inodes.push(Inode { size, whiteout });
        Node::Inode((self.inodes.len() - 1) as u32)
    }

    fn new_dir(&mut self, parent: u32) -> Node {
        self.dirs.push((parent, true));
        Node::Dir((self.dirs.len() - 1) as u32)
    }

    /// The entry at `path` in the directory `parent`, if it stands.
    fn get(&self, path: &[u8], parent: u32) -> Option<Node> {
        self.slots
            .get(&self.key(path))
            .filter(|s| s.parent == parent)
            .map(|s| s.node)
    }

    fn put(&mut self, path: &[u8], parent: u32, node: Node) {
        let k = self.key(path);
        self.slots.insert(k, Slot { node, parent });
    }

    /// Removes what stands at a path; a directory's contents go with it (orphaned).
    fn remove_all(&mut self, path: &[u8], parent: u32) {
        let k = self.key(path);
        if let Some(s) = self.slots.get(&k).copied().filter(|s| s.parent == parent) {
            self.slots.remove(&k);
            if let Node::Dir(id) = s.node {
                self.dirs[id as usize].1 = false;
            }
            // A replaced directory or symlink may have been part of a cached resolution.
            self.generation += 1;
        }
    }

    /// Resolves directory components as the kernel does inside the chroot: this layer's
    /// symlinks are followed (an absolute target restarts at the root, `..` stops there), a
    /// missing directory is created when `create` (reported through `implied`), and a symlink
    /// must lead to an existing directory. Returns the path and the directory's id.
    fn resolve_dir(
        &mut self,
        entry: &[u8],
        comps: &[&[u8]],
        create: bool,
        implied: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<(Vec<u8>, u32)> {
        let mut todo: Vec<Vec<u8>> = comps.iter().rev().map(|c| c.to_vec()).collect();
        let mut cur: Vec<u8> = Vec::new();
        let mut id = ROOT;
        // The directories walked through, to go back up on `..`.
        let mut up: Vec<(usize, u32)> = Vec::new();
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
                    if let Some((len, pid)) = up.pop() {
                        cur.truncate(len);
                        id = pid;
                    }
                    continue;
                }
                _ => {}
            }
            let next = join(&cur, &c);
            match self.get(&next, id) {
                Some(Node::Dir(d)) => {
                    up.push((cur.len(), id));
                    cur = next;
                    id = d;
                }
                Some(Node::Inode(i)) => {
                    let Some(target) = self.symlinks.get(&i).cloned() else {
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
                        id = ROOT;
                        up.clear();
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
                    let node = self.new_dir(id);
                    self.put(&next, id, node);
                    implied(&next)?;
                    up.push((cur.len(), id));
                    cur = next;
                    id = match node {
                        Node::Dir(d) => d,
                        Node::Inode(_) => id,
                    };
                }
            }
        }
        Ok((cur, id))
    }

    /// Resolves an entry's parent, reusing the last answer when the entry names the same
    /// parent and no directory was replaced since.
    fn parent_of_entry(
        &mut self,
        entry: &[u8],
        comps: &[&[u8]],
        implied: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<(Vec<u8>, u32)> {
        let named = comps.join(&b'/');
        if let Some((n, path, id, generation)) = &self.cache {
            if *n == named && *generation == self.generation {
                return Ok((path.clone(), *id));
            }
        }
        let (path, id) = self.resolve_dir(entry, comps, true, implied)?;
        self.cache = Some((named, path.clone(), id, self.generation));
        Ok((path, id))
    }

    /// Applies one tar entry. `effect` receives what it does, in order (implied parents
    /// first); returns `false` for entries Docker skips (the root directory itself).
    pub fn apply(
        &mut self,
        h: &Header<'_>,
        effect: &mut dyn FnMut(Effect) -> Result<()>,
    ) -> Result<bool> {
        self.last_file = None;
        let comps = docker_components(h.name);
        let Some((&base, parents)) = comps.split_last() else {
            // The root: Docker skips `.` and merges metadata into `/`; it can only be a
            // directory.
            if h.kind == Some(Kind::Dir) || go_clean(h.name) == b"." {
                return Ok(false);
            }
            return Err(self.bad(h.name, "the layer root must be a directory"));
        };
        let (parent, pid) = self.parent_of_entry(h.name, parents, &mut |p| {
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
            if self.get(&target, pid).is_some() {
                return Err(self.bad(
                    h.name,
                    format!(
                        "whiteout of {:?}, which this layer already holds",
                        lossy(&target)
                    ),
                ));
            }
            let n = self.new_inode(0, true);
            self.put(&target, pid, n);
            effect(Effect {
                op: Op::Whiteout,
                path: target,
                target: Vec::new(),
            })?;
            return Ok(true);
        }
        let path = join(&parent, base);
        let existing = self.get(&path, pid);
        match (h.kind, existing) {
            (Some(Kind::Dir), Some(Node::Dir(_))) => {}
            _ => self.remove_all(&path, pid),
        }
        let (node, op, target) = match h.kind {
            None => {
                let tcomps = docker_components(h.link);
                let Some((&tbase, tparents)) = tcomps.split_last() else {
                    return Err(self.bad(h.name, "hardlink to the root directory"));
                };
                let missing = |fs: &Self| {
                    fs.bad(
                        h.name,
                        format!("hardlink target {:?} is not in this layer", lossy(h.link)),
                    )
                };
                let (tdir, tid) = self
                    .resolve_dir(h.name, tparents, false, &mut |_| Ok(()))
                    .map_err(|_| missing(self))?;
                let target = join(&tdir, tbase);
                match self.get(&target, tid) {
                    Some(Node::Inode(i)) if !self.inodes[i as usize].whiteout => {
                        (Node::Inode(i), Op::Link, target)
                    }
                    Some(Node::Dir(_)) => {
                        return Err(self.bad(
                            h.name,
                            format!("hardlink to the directory {:?}", lossy(&target)),
                        ));
                    }
                    _ => return Err(missing(self)),
                }
            }
            Some(Kind::Dir) => match existing {
                Some(n @ Node::Dir(_)) => (n, Op::Put, Vec::new()),
                _ => (self.new_dir(pid), Op::Put, Vec::new()),
            },
            Some(Kind::Symlink) => {
                let n = self.new_inode(h.link.len() as u64, false);
                if let Node::Inode(i) = n {
                    self.symlinks.insert(i, h.link.into());
                }
                (n, Op::Put, Vec::new())
            }
            Some(k) => {
                // A regular file's size is set once its body has been read.
                let n = self.new_inode(0, false);
                if let (Kind::File, Node::Inode(i)) = (k, n) {
                    self.last_file = Some(i);
                }
                (n, Op::Put, Vec::new())
            }
        };
        self.put(&path, pid, node);
        effect(Effect { op, path, target })?;
        Ok(true)
    }

    /// Sets the size of the regular file the last entry created (its body length).
    pub fn set_file_size(&mut self, size: u64) {
        if let Some(i) = self.last_file {
            self.inodes[i as usize].size = size;
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
                fs.set_file_size(10);
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
    fn a_replaced_symlink_is_not_resolved_from_the_cache() {
        let (_, e) = run(&[
            ("a/", D, ""),
            ("b/", D, ""),
            ("l", S, "a"),
            ("l/x", F, ""),
            ("/l", S, "b"),
            ("l/y", F, ""),
        ])
        .unwrap();
        assert_eq!(e[3], "Put a/x");
        assert_eq!(e[5], "Put b/y");
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
