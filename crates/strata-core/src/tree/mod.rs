//! The merge engine: layer indexes → the merged filesystem and each layer's changes.
//!
//! Layers are read only by [`crate::layer`]; this module stacks their indexes as overlayfs
//! stacks the layer directories: `.wh.NAME` deletes NAME, `.wh..wh..opq` hides what lower
//! layers put in its directory, a non-directory replaces a directory (and its subtree), a
//! directory created in an upper layer (even an implied one) replaces a lower non-directory,
//! and directories merge, the upper one's metadata winning. Paths arrive resolved by Docker's
//! unpack rules, so no entry of the merged tree lies under a symlink. The tree borrows its
//! paths and metadata from the indexes: a path costs a few dozen bytes here.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
pub use crate::layer::{Change, Kind, LayerIndex, Node};

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

#[derive(Debug, Clone, Copy)]
struct Slot {
    layer: u32,
    rec: u32,
    inode: u32,
}

/// An entry of the merged tree.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Its metadata (for a hardlink, the linked object's).
    pub node: Node<'a>,
    /// The layer that last put it there.
    pub layer: usize,
    /// Objects sharing an inode (hardlinks) share this number; unique per image.
    pub inode: u64,
    /// The record of that layer's index that holds its metadata.
    pub rec: usize,
}

impl Item<'_> {
    /// Where the content is: (layer, ordinal of the tar entry that carried the bytes).
    pub fn source(&self) -> (usize, u64) {
        (self.layer, self.node.ordinal)
    }
}

/// The merged filesystem: path → the layer entry that put it there.
#[derive(Debug, Clone)]
pub struct Tree<'a> {
    layers: &'a [LayerIndex],
    nodes: BTreeMap<&'a [u8], Slot>,
    next_inode: u32,
}

fn parent_of(p: &[u8]) -> Option<&[u8]> {
    p.iter().rposition(|&b| b == b'/').map(|i| &p[..i])
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

fn subtree_range(path: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut lo = path.to_vec();
    lo.push(b'/');
    let mut hi = path.to_vec();
    hi.push(b'/' + 1);
    (lo, hi)
}

impl<'a> Tree<'a> {
    /// An empty root over these layer indexes (none applied yet).
    pub fn new(layers: &'a [LayerIndex]) -> Tree<'a> {
        Tree {
            layers,
            nodes: BTreeMap::new(),
            next_inode: 0,
        }
    }

    fn item(&self, s: Slot) -> Item<'a> {
        let layers: &'a [LayerIndex] = self.layers;
        Item {
            node: layers[s.layer as usize].node_at(s.rec as usize),
            layer: s.layer as usize,
            inode: s.inode as u64,
            rec: s.rec as usize,
        }
    }

    fn range(&self, dir: &[u8]) -> Box<dyn Iterator<Item = (&&'a [u8], &Slot)> + '_> {
        if dir.is_empty() {
            Box::new(self.nodes.iter())
        } else {
            let (lo, hi) = subtree_range(dir);
            Box::new(self.nodes.range::<[u8], _>((
                std::ops::Bound::Included(lo.as_slice()),
                std::ops::Bound::Excluded(hi.as_slice()),
            )))
        }
    }

    /// The entry at a path (`""` is the root, which has no entry).
    pub fn get(&self, path: &[u8]) -> Option<Item<'a>> {
        self.nodes.get(path).map(|s| self.item(*s))
    }

    /// Every entry, in byte order of paths.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], Item<'a>)> + '_ {
        self.nodes.iter().map(|(p, s)| (*p, self.item(*s)))
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
    pub fn children(&self, dir: &[u8]) -> Vec<(&'a [u8], Item<'a>)> {
        let depth = if dir.is_empty() {
            0
        } else {
            dir.iter().filter(|&&b| b == b'/').count() + 1
        };
        self.range(dir)
            .filter(|(p, _)| p.iter().filter(|&&b| b == b'/').count() == depth)
            .map(|(p, s)| (*p, self.item(*s)))
            .collect()
    }

    /// Every path in the order `filepath.Walk` visits them (each directory's names sorted,
    /// a directory's contents right after it): the order of `docker export`.
    pub fn walk_order(&self) -> Vec<&'a [u8]> {
        self.walk(b"")
    }

    /// [`Tree::walk_order`] of what is below `dir` (`""` for the root).
    pub fn walk(&self, dir: &[u8]) -> Vec<&'a [u8]> {
        // Component-wise order is byte order with the separator sorting first: compare with
        // '/' read as NUL (which no name contains).
        let mut out: Vec<&'a [u8]> = self.range(dir).map(|(p, _)| *p).collect();
        out.sort_by(|a, b| {
            let m = |c: &u8| if *c == b'/' { 0u8 } else { *c };
            a.iter().map(m).cmp(b.iter().map(m))
        });
        out
    }

    fn remove_subtree(
        &mut self,
        path: &[u8],
        below_layer: Option<u32>,
        removed: &mut Vec<&'a [u8]>,
    ) {
        let doomed: Vec<&'a [u8]> = self
            .range(path)
            .filter(|(_, s)| below_layer.is_none_or(|b| s.layer < b))
            .map(|(k, _)| *k)
            .collect();
        for d in doomed {
            self.nodes.remove(d);
            removed.push(d);
        }
    }

    fn is_dir(&self, s: &Slot) -> bool {
        self.item(*s).node.kind == Kind::Dir
    }

    fn remove(&mut self, path: &[u8], removed: &mut Vec<&'a [u8]>) {
        // Only a directory has anything below it (every entry's parents are directories).
        if let Some((k, s)) = self.nodes.remove_entry(path) {
            removed.push(k);
            if self.is_dir(&s) {
                self.remove_subtree(path, None, removed);
            }
        }
    }

    fn check_parent(&self, what: &str, path: &[u8]) -> Result<()> {
        let Some(dir) = parent_of(path) else {
            return Ok(());
        };
        match self.nodes.get(dir) {
            Some(s) if self.is_dir(s) => Ok(()),
            found => Err(Error::malformed(
                what.to_string(),
                format!(
                    "entry {:?}: parent {:?} is {} in the merged tree",
                    lossy(path),
                    lossy(dir),
                    if found.is_some() {
                        "not a directory"
                    } else {
                        "missing"
                    }
                ),
            )),
        }
    }

    /// Applies layer `layer` (an index of the slice the tree was made over) on top; returns
    /// its `changes` lines (relative to the tree before), sorted by path.
    pub fn apply(&mut self, what: &str, layer: usize) -> Result<Vec<ChangeLine>> {
        self.apply_layer(what, layer, true)
    }

    /// Applies a layer without computing its change lines (cheaper).
    pub fn apply_quiet(&mut self, what: &str, layer: usize) -> Result<()> {
        self.apply_layer(what, layer, false).map(|_| ())
    }

    fn apply_layer(&mut self, what: &str, layer: usize, track: bool) -> Result<Vec<ChangeLine>> {
        let layers: &'a [LayerIndex] = self.layers;
        let index = &layers[layer];
        let li = layer as u32;
        let mut touched: Vec<&'a [u8]> = Vec::new();
        let mut removed: Vec<&'a [u8]> = Vec::new();
        let mut existed: HashMap<&'a [u8], bool> = HashMap::new();
        for i in 0..index.len() {
            let c = index.change(i);
            let p: &'a [u8] = match c {
                Change::Put(p, _)
                | Change::Implied(p, _)
                | Change::Link(p, _, _)
                | Change::Whiteout(p)
                | Change::Opaque(p) => p,
            };
            if track && !matches!(c, Change::Opaque(_)) {
                existed
                    .entry(p)
                    .or_insert_with(|| self.nodes.contains_key(p));
            }
            let mut gone = Vec::new();
            match c {
                Change::Opaque(dir) => {
                    self.remove_subtree(dir, Some(li), &mut gone);
                }
                Change::Whiteout(p) => {
                    self.remove(p, &mut gone);
                }
                Change::Put(p, n) | Change::Implied(p, n) => {
                    self.check_parent(what, p)?;
                    let keep_children =
                        n.kind == Kind::Dir && self.nodes.get(p).is_some_and(|s| self.is_dir(s));
                    if !keep_children {
                        // A replaced directory's contents go with it; docker diff reports
                        // only the path itself, as changed.
                        let mut quiet = Vec::new();
                        self.remove(p, &mut quiet);
                    }
                    let inode = if n.kind == Kind::Dir {
                        0
                    } else {
                        self.next_inode += 1;
                        self.next_inode
                    };
                    self.nodes.insert(
                        p,
                        Slot {
                            layer: li,
                            rec: i as u32,
                            inode,
                        },
                    );
                    touched.push(p);
                }
                Change::Link(p, target, _) => {
                    self.check_parent(what, p)?;
                    let Some(t) = self.nodes.get(target).copied() else {
                        return Err(Error::malformed(
                            what.to_string(),
                            format!(
                                "hardlink {:?} points to {:?}, which is not in the image",
                                lossy(p),
                                lossy(target)
                            ),
                        ));
                    };
                    if self.is_dir(&t) {
                        return Err(Error::malformed(
                            what.to_string(),
                            format!("hardlink {:?} points to a directory", lossy(p)),
                        ));
                    }
                    self.remove(p, &mut gone);
                    gone.retain(|g| *g != p);
                    // A hardlink is the same inode: the target's content and metadata.
                    self.nodes.insert(p, t);
                    touched.push(p);
                }
            }
            if track {
                for g in &gone {
                    existed.entry(g).or_insert(true);
                }
                removed.extend(gone);
            }
        }
        if !track {
            return Ok(Vec::new());
        }
        let mut lines: BTreeMap<Vec<u8>, ChangeLine> = BTreeMap::new();
        for p in removed {
            if self.nodes.contains_key(p) {
                continue;
            }
            // Only the top of a deleted subtree is reported, as docker diff does.
            let mut q = parent_of(p);
            let mut covered = false;
            while let Some(d) = q {
                if lines.get(d).is_some_and(|l| l.op == 'D') {
                    covered = true;
                    break;
                }
                q = parent_of(d);
            }
            if !covered && existed.get(p).copied().unwrap_or(true) {
                lines.insert(
                    p.to_vec(),
                    ChangeLine {
                        path: p.to_vec(),
                        op: 'D',
                        size: 0,
                    },
                );
            }
        }
        for p in touched {
            let Some(it) = self.get(p) else { continue };
            let op = if existed.get(p).copied().unwrap_or(false) {
                'C'
            } else {
                'A'
            };
            lines.insert(
                p.to_vec(),
                ChangeLine {
                    path: p.to_vec(),
                    op,
                    size: it.node.size,
                },
            );
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
            if let Some(it) = self.get(&joined) {
                if it.node.kind == Kind::Symlink {
                    hops += 1;
                    if hops > 40 {
                        return Err(Error::InvalidInput(format!(
                            "{}: too many levels of symbolic links",
                            lossy(path)
                        )));
                    }
                    cur.pop();
                    if it.node.link.first() == Some(&b'/') {
                        cur.clear();
                    }
                    for part in it
                        .node
                        .link
                        .split(|&b| b == b'/')
                        .filter(|c| !c.is_empty())
                        .rev()
                    {
                        todo.push(part.to_vec());
                    }
                }
            }
        }
        Ok(cur.join(&b'/'))
    }
}

/// Builds the tree of all `layers`; returns it and each layer's change lines.
pub fn merge<'a>(what: &str, layers: &'a [LayerIndex]) -> Result<(Tree<'a>, Vec<Vec<ChangeLine>>)> {
    let mut t = Tree::new(layers);
    let mut all = Vec::with_capacity(layers.len());
    for i in 0..layers.len() {
        all.push(t.apply(&format!("{what}: layer {i}"), i)?);
    }
    Ok((t, all))
}

/// Builds the merged tree only (no change lines): what `ls`, `cat`, `export`, `unpack`
/// and `diff` need.
pub fn merge_quiet<'a>(what: &str, layers: &'a [LayerIndex]) -> Result<Tree<'a>> {
    let mut t = Tree::new(layers);
    for i in 0..layers.len() {
        t.apply_quiet(&format!("{what}: layer {i}"), i)?;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::layer::{Meta, Op};

    enum C<'s> {
        P(&'s str, Kind),
        I(&'s str),
        L(&'s str, &'s str),
        S(&'s str, &'s str),
        W(&'s str),
        O(&'s str),
    }

    fn layer(changes: &[C<'_>]) -> LayerIndex {
        let mut ix = LayerIndex::new(Digest::sha256_of(b""));
        let m = Meta {
            mode: 0o644,
            size: 1,
            ..Meta::default()
        };
        for (i, c) in changes.iter().enumerate() {
            let o = i as u64;
            match c {
                C::P(p, k) => ix.push(Op::Put, p.as_bytes(), b"", *k, &m, None, o),
                C::I(p) => ix.push(Op::Implied, p.as_bytes(), b"", Kind::Dir, &m, None, o),
                C::L(p, t) => ix.push(
                    Op::Link,
                    p.as_bytes(),
                    t.as_bytes(),
                    Kind::File,
                    &m,
                    None,
                    o,
                ),
                C::S(p, t) => {
                    let s = Meta {
                        link: t.as_bytes().to_vec(),
                        ..m.clone()
                    };
                    ix.push(Op::Put, p.as_bytes(), b"", Kind::Symlink, &s, None, o)
                }
                C::W(p) => ix.push(Op::Whiteout, p.as_bytes(), b"", Kind::File, &m, None, o),
                C::O(p) => ix.push(Op::Opaque, p.as_bytes(), b"", Kind::Dir, &m, None, o),
            }
            .unwrap();
        }
        ix
    }

    fn paths(t: &Tree<'_>) -> Vec<String> {
        t.walk_order().iter().map(|p| lossy(p)).collect()
    }

    fn lines(l: &[ChangeLine]) -> Vec<String> {
        l.iter()
            .map(|c| format!("{} /{}", c.op, lossy(&c.path)))
            .collect()
    }

    use C::*;

    #[test]
    fn whiteouts_opaque_and_replacement() {
        let ls = [
            layer(&[
                P("a", Kind::Dir),
                P("a/x", Kind::File),
                P("a/y", Kind::File),
                P("d", Kind::Dir),
                P("d/old", Kind::File),
                P("f", Kind::File),
                P("g", Kind::Dir),
                P("g/in", Kind::File),
            ]),
            layer(&[
                P("a", Kind::Dir),
                W("a/x"),
                P("d", Kind::Dir),
                O("d"),
                P("d/new", Kind::File),
                P("f", Kind::Dir),
                P("f/z", Kind::File),
                P("g", Kind::File),
            ]),
        ];
        let (t, ch) = merge("t", &ls).unwrap();
        assert_eq!(paths(&t), ["a", "a/y", "d", "d/new", "f", "f/z", "g"]);
        assert_eq!(
            lines(&ch[1]),
            [
                "C /a", "D /a/x", "C /d", "A /d/new", "D /d/old", "C /f", "A /f/z", "C /g",
            ]
        );
    }

    #[test]
    fn an_upper_directory_replaces_a_lower_symlink() {
        // overlayfs: the implied directory of an upper layer hides the lower symlink, so a
        // write "through" it lands in a real directory (what the daemon shows).
        let ls = [
            layer(&[S("lnk", "/etc"), P("etc", Kind::Dir)]),
            layer(&[I("lnk"), P("lnk/pwned", Kind::File)]),
        ];
        let (t, ch) = merge("t", &ls).unwrap();
        assert_eq!(t.get(b"lnk").unwrap().node.kind, Kind::Dir);
        assert_eq!(paths(&t), ["etc", "lnk", "lnk/pwned"]);
        assert_eq!(lines(&ch[1]), ["C /lnk", "A /lnk/pwned"]);
    }

    #[test]
    fn walk_order_is_per_directory() {
        let ls = [layer(&[
            P("a", Kind::Dir),
            P("a/b", Kind::File),
            P("a.txt", Kind::File),
        ])];
        let t = merge_quiet("t", &ls).unwrap();
        assert_eq!(paths(&t), ["a", "a/b", "a.txt"]);
    }

    #[test]
    fn hardlinks_share_inodes() {
        let ls = [layer(&[P("f", Kind::File), L("h", "f")])];
        let t = merge_quiet("t", &ls).unwrap();
        assert_eq!(t.get(b"h").unwrap().inode, t.get(b"f").unwrap().inode);
        assert_eq!(t.get(b"h").unwrap().source(), (0, 0));
    }

    #[test]
    fn resolve_stays_inside() {
        let ls = [layer(&[
            P("etc", Kind::Dir),
            P("etc/passwd", Kind::File),
            P("x", Kind::Dir),
            S("x/up", "../../../../etc"),
            S("abs", "/etc/passwd"),
        ])];
        let t = merge_quiet("t", &ls).unwrap();
        assert_eq!(t.resolve(b"/x/up/passwd").unwrap(), b"etc/passwd");
        assert_eq!(t.resolve(b"abs").unwrap(), b"etc/passwd");
    }
}
