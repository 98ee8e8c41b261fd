//! The file tree pane's model: the paths of one view (a layer's changes, or everything up to a
//! layer) as a tree with subtree sizes, flattened for display with collapse, sort, kind
//! filters and a regex filter. A node is 32 bytes: names and metadata are read from the layer
//! indexes when drawn, not copied.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use strata_core::tree::{Change, LayerIndex};

/// How a path stands in the selected layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Added by the layer.
    Added,
    /// Changed by the layer (it existed below).
    Modified,
    /// Removed by the layer (a whiteout).
    Removed,
    /// Present, not touched by the layer.
    Unmodified,
}

impl Status {
    /// The one-letter marker.
    pub fn marker(self) -> char {
        match self {
            Status::Added => 'A',
            Status::Modified => 'M',
            Status::Removed => 'R',
            Status::Unmodified => 'U',
        }
    }
}

/// What a row shows of an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// `ls -l`'s type letter (`-`, `d`, `l`, `c`, `b`, `p`).
    pub type_char: char,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Content size.
    pub size: u64,
    /// Symlink target.
    pub link: Option<String>,
}

/// One path of a view, as the tree is built from it (no leading slash).
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// `etc/os-release`.
    pub path: &'a [u8],
    /// Its status in the selected layer.
    pub status: Status,
    /// Directory or not.
    pub is_dir: bool,
    /// Where its metadata is: (layer, record of that layer's index).
    pub src: Option<(u32, u32)>,
    /// Its metadata when it has no record (a removed path, a hand-made entry).
    pub attrs: Option<Attrs>,
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct FNode {
    parent: u32,
    first_child: u32,
    next_sibling: u32,
    /// The layer of its record, or NONE (then `rec` indexes `extras`).
    layer: u32,
    rec: u32,
    subtree: u64,
    status: Status,
    is_dir: bool,
}

/// The tree of one view.
#[derive(Debug, Clone)]
pub struct FileTree {
    indexes: Arc<Vec<LayerIndex>>,
    nodes: Vec<FNode>,
    extras: Vec<(Box<str>, Attrs)>,
    first_root: u32,
}

/// What to show of a tree.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Siblings ordered by subtree size, largest first (else by name).
    pub by_size: bool,
    /// Kinds not shown.
    pub hidden: HashSet<Status>,
    /// Only paths matching this (and the directories leading to them).
    pub filter: Option<regex::Regex>,
    /// Collapsed directories, by path.
    pub collapsed: HashSet<String>,
}

/// A visible row: the node, its depth, and for each level whether that ancestor (or the node
/// itself, at `depth`) is the last of its siblings, which is what the guides need.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The node.
    pub node: usize,
    depth: u16,
    lasts: u64,
}

fn last_component(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

impl FileTree {
    /// An empty tree.
    pub fn empty() -> FileTree {
        FileTree {
            indexes: Arc::new(Vec::new()),
            nodes: Vec::new(),
            extras: Vec::new(),
            first_root: NONE,
        }
    }

    /// Builds the tree from entries in path order (byte order, as the merge engine yields
    /// them); missing parents become directories. `indexes` hold the records entries name.
    pub fn build<'a>(
        indexes: Arc<Vec<LayerIndex>>,
        entries: impl IntoIterator<Item = Entry<'a>>,
    ) -> FileTree {
        let mut t = FileTree {
            indexes,
            ..FileTree::empty()
        };
        let mut last_child: Vec<u32> = Vec::new();
        let mut last_root = NONE;
        // Directories by path (files need no lookup: nothing goes under them).
        let mut dirs: HashMap<&'a [u8], u32> = HashMap::new();
        for e in entries {
            t.insert(e, &mut dirs, &mut last_child, &mut last_root);
        }
        drop(dirs);
        let mut r = t.first_root;
        while r != NONE {
            t.sum(r);
            r = t.nodes[r as usize].next_sibling;
        }
        t.nodes.shrink_to_fit();
        t
    }

    fn push(
        &mut self,
        parent: u32,
        n: FNode,
        last_child: &mut Vec<u32>,
        last_root: &mut u32,
    ) -> u32 {
        let i = self.nodes.len() as u32;
        self.nodes.push(FNode { parent, ..n });
        last_child.push(NONE);
        let prev = if parent == NONE {
            if self.first_root == NONE {
                self.first_root = i;
            }
            std::mem::replace(last_root, i)
        } else {
            if self.nodes[parent as usize].first_child == NONE {
                self.nodes[parent as usize].first_child = i;
            }
            std::mem::replace(&mut last_child[parent as usize], i)
        };
        if prev != NONE {
            self.nodes[prev as usize].next_sibling = i;
        }
        i
    }

    fn dir<'a>(
        &mut self,
        path: &'a [u8],
        dirs: &mut HashMap<&'a [u8], u32>,
        last_child: &mut Vec<u32>,
        last_root: &mut u32,
    ) -> u32 {
        if path.is_empty() {
            return NONE;
        }
        if let Some(&i) = dirs.get(path) {
            return i;
        }
        let parent_path = &path[..path.iter().rposition(|&b| b == b'/').unwrap_or(0)];
        let parent = self.dir(parent_path, dirs, last_child, last_root);
        let name = String::from_utf8_lossy(last_component(path)).into();
        self.extras.push((
            name,
            Attrs {
                type_char: 'd',
                mode: 0o755,
                ..Attrs::default()
            },
        ));
        let n = FNode {
            parent,
            first_child: NONE,
            next_sibling: NONE,
            layer: NONE,
            rec: (self.extras.len() - 1) as u32,
            subtree: 0,
            status: Status::Unmodified,
            is_dir: true,
        };
        let i = self.push(parent, n, last_child, last_root);
        dirs.insert(path, i);
        i
    }

    fn insert<'a>(
        &mut self,
        e: Entry<'a>,
        dirs: &mut HashMap<&'a [u8], u32>,
        last_child: &mut Vec<u32>,
        last_root: &mut u32,
    ) {
        let (layer, rec) = match (e.src, e.attrs) {
            (Some((l, r)), _) => (l, r),
            (None, attrs) => {
                let name = String::from_utf8_lossy(last_component(e.path)).into();
                self.extras.push((name, attrs.unwrap_or_default()));
                (NONE, (self.extras.len() - 1) as u32)
            }
        };
        if let Some(&i) = dirs.get(e.path) {
            // A directory implied earlier: the real entry's metadata.
            let n = &mut self.nodes[i as usize];
            n.layer = layer;
            n.rec = rec;
            n.status = e.status;
            n.is_dir = e.is_dir;
            return;
        }
        let parent_path = &e.path[..e.path.iter().rposition(|&b| b == b'/').unwrap_or(0)];
        let parent = self.dir(parent_path, dirs, last_child, last_root);
        let n = FNode {
            parent,
            first_child: NONE,
            next_sibling: NONE,
            layer,
            rec,
            subtree: 0,
            status: e.status,
            is_dir: e.is_dir,
        };
        let i = self.push(parent, n, last_child, last_root);
        if e.is_dir {
            dirs.insert(e.path, i);
        }
    }

    fn children(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        let mut c = if i == NONE {
            self.first_root
        } else {
            self.nodes[i as usize].first_child
        };
        std::iter::from_fn(move || {
            if c == NONE {
                return None;
            }
            let out = c;
            c = self.nodes[c as usize].next_sibling;
            Some(out)
        })
    }

    fn sum(&mut self, root: u32) {
        // Post-order without recursion: deep trees are common.
        let mut stack = vec![(root, false)];
        while let Some((i, done)) = stack.pop() {
            if done {
                let own = if self.nodes[i as usize].is_dir {
                    0
                } else {
                    self.attrs(i as usize).size
                };
                let kids: u64 = self
                    .children(i)
                    .map(|c| self.nodes[c as usize].subtree)
                    .sum();
                self.nodes[i as usize].subtree = own + kids;
            } else {
                stack.push((i, true));
                let kids: Vec<u32> = self.children(i).collect();
                stack.extend(kids.into_iter().map(|c| (c, false)));
            }
        }
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn record_path(&self, i: usize) -> Option<&[u8]> {
        let n = &self.nodes[i];
        if n.layer == NONE {
            return None;
        }
        let ix: &LayerIndex = self.indexes.get(n.layer as usize)?;
        Some(match ix.change(n.rec as usize) {
            Change::Put(p, _)
            | Change::Implied(p, _)
            | Change::Link(p, _, _)
            | Change::Whiteout(p)
            | Change::Opaque(p) => p,
        })
    }

    /// The last component of a node's path.
    pub fn name(&self, i: usize) -> String {
        match self.record_path(i) {
            Some(p) => String::from_utf8_lossy(last_component(p)).into_owned(),
            None => self.extras[self.nodes[i].rec as usize].0.to_string(),
        }
    }

    /// A node's metadata.
    pub fn attrs(&self, i: usize) -> Attrs {
        let n = &self.nodes[i];
        if n.layer == NONE {
            return self.extras[n.rec as usize].1.clone();
        }
        let Some(ix) = self.indexes.get(n.layer as usize) else {
            return Attrs::default();
        };
        let node = ix.node_at(n.rec as usize);
        Attrs {
            type_char: node.kind.letter(),
            mode: node.mode,
            uid: node.uid,
            gid: node.gid,
            size: node.size,
            link: (!node.link.is_empty()).then(|| String::from_utf8_lossy(node.link).into_owned()),
        }
    }

    /// Whether a node is a directory.
    pub fn is_dir(&self, i: usize) -> bool {
        self.nodes[i].is_dir
    }

    /// A node's status in the selected layer.
    pub fn status(&self, i: usize) -> Status {
        self.nodes[i].status
    }

    /// The size of a node and everything under it.
    pub fn subtree(&self, i: usize) -> u64 {
        self.nodes[i].subtree
    }

    /// The path of a node, without the leading slash.
    pub fn path(&self, i: usize) -> String {
        if let Some(p) = self.record_path(i) {
            return String::from_utf8_lossy(p).into_owned();
        }
        let mut parts = vec![self.name(i)];
        let mut p = self.nodes[i].parent;
        while p != NONE {
            parts.push(self.name(p as usize));
            p = self.nodes[p as usize].parent;
        }
        parts.reverse();
        parts.join("/")
    }

    fn visible(&self, i: u32, o: &ViewOptions, memo: &mut [u8]) -> bool {
        match memo[i as usize] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        let n = &self.nodes[i as usize];
        let own = !o.hidden.contains(&n.status)
            && o.filter
                .as_ref()
                .is_none_or(|re| re.is_match(&self.path(i as usize)));
        let kids: Vec<u32> = self.children(i).collect();
        let mut v = own;
        for c in kids {
            // Every child is visited so the memo is complete for the walk.
            v |= self.visible(c, o, memo);
        }
        memo[i as usize] = if v { 1 } else { 2 };
        v
    }

    fn ordered(&self, parent: u32, o: &ViewOptions, memo: &mut [u8]) -> Vec<u32> {
        let mut v: Vec<u32> = self.children(parent).collect();
        v.retain(|&c| self.visible(c, o, memo));
        if o.by_size {
            v.sort_by(|&a, &b| {
                let (na, nb) = (&self.nodes[a as usize], &self.nodes[b as usize]);
                nb.subtree
                    .cmp(&na.subtree)
                    .then_with(|| self.name(a as usize).cmp(&self.name(b as usize)))
            });
        }
        v
    }

    /// The rows to draw, top to bottom.
    pub fn rows(&self, o: &ViewOptions) -> Vec<Row> {
        let mut memo = vec![0u8; self.nodes.len()];
        let mut out = Vec::new();
        // An explicit stack: trees can be deep.
        let mut todo: Vec<(u32, u16, u64)> = Vec::new();
        let roots = self.ordered(NONE, o, &mut memo);
        let n = roots.len();
        for (k, r) in roots.into_iter().enumerate().rev() {
            todo.push((r, 0, u64::from(k + 1 == n)));
        }
        while let Some((i, depth, lasts)) = todo.pop() {
            out.push(Row {
                node: i as usize,
                depth,
                lasts,
            });
            let node = &self.nodes[i as usize];
            if node.first_child == NONE
                || (node.is_dir
                    && !o.collapsed.is_empty()
                    && o.collapsed.contains(&self.path(i as usize)))
            {
                continue;
            }
            let kids = self.ordered(i, o, &mut memo);
            let count = kids.len();
            for (k, c) in kids.into_iter().enumerate().rev() {
                let d = depth + 1;
                let bit = if k + 1 == count && d < 64 {
                    1u64 << d
                } else {
                    0
                };
                todo.push((c, d, lasts | bit));
            }
        }
        out
    }

    /// The tree-drawing prefix of a row (`│   ├── `).
    pub fn prefix(&self, r: &Row) -> String {
        let mut s = String::new();
        for level in 0..r.depth {
            let last = level < 64 && r.lasts & (1 << level) != 0;
            s.push_str(if last { "    " } else { "│   " });
        }
        let last = r.depth < 64 && r.lasts & (1 << r.depth) != 0;
        s.push_str(if last { "└── " } else { "├── " });
        s
    }

    /// Regular files, largest first.
    pub fn largest(&self, n: usize) -> Vec<usize> {
        let mut files: Vec<(u64, usize)> = (0..self.nodes.len())
            .filter(|&i| !self.nodes[i].is_dir && self.nodes[i].status != Status::Removed)
            .map(|i| (self.attrs(i).size, i))
            .collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.0));
        files.truncate(n);
        files.into_iter().map(|(_, i)| i).collect()
    }
}

pub use strata_render::ls::mode_string;

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str, size: u64, status: Status) -> Entry<'_> {
        Entry {
            path: path.as_bytes(),
            status,
            is_dir: size == 0,
            src: None,
            attrs: Some(Attrs {
                type_char: if size == 0 { 'd' } else { '-' },
                mode: 0o644,
                size,
                ..Attrs::default()
            }),
        }
    }

    fn paths(t: &FileTree, o: &ViewOptions) -> Vec<String> {
        t.rows(o).iter().map(|r| t.path(r.node)).collect()
    }

    #[test]
    fn subtree_sizes_and_order() {
        let t = FileTree::build(
            Arc::default(),
            vec![
                e("etc/a", 5, Status::Unmodified),
                e("usr/bin/x", 10, Status::Modified),
                e("usr/lib/big", 100, Status::Added),
            ],
        );
        let names =
            |o: &ViewOptions| -> Vec<String> { t.rows(o).iter().map(|r| t.name(r.node)).collect() };
        assert_eq!(
            names(&ViewOptions::default()),
            ["etc", "a", "usr", "bin", "x", "lib", "big"]
        );
        let by_size = ViewOptions {
            by_size: true,
            ..ViewOptions::default()
        };
        assert_eq!(
            names(&by_size),
            ["usr", "lib", "big", "bin", "x", "etc", "a"]
        );
        let usr = t
            .rows(&ViewOptions::default())
            .into_iter()
            .find(|r| t.name(r.node) == "usr");
        assert_eq!(usr.map(|r| t.subtree(r.node)), Some(110));
    }

    #[test]
    fn filters_hide_and_keep_parents() {
        let t = FileTree::build(
            Arc::default(),
            vec![
                e("etc/a", 5, Status::Unmodified),
                e("usr/lib/big", 100, Status::Added),
            ],
        );
        let mut o = ViewOptions::default();
        o.hidden.insert(Status::Unmodified);
        assert_eq!(paths(&t, &o), ["usr", "usr/lib", "usr/lib/big"]);
        let o = ViewOptions {
            filter: regex::Regex::new("etc").ok(),
            ..ViewOptions::default()
        };
        assert_eq!(paths(&t, &o), ["etc", "etc/a"]);
        let mut o = ViewOptions::default();
        o.collapsed.insert("usr".into());
        assert_eq!(paths(&t, &o), ["etc", "etc/a", "usr"]);
    }

    #[test]
    fn byte_order_input_keeps_one_node_per_directory() {
        // The merge engine yields byte order: "etc-x" sorts between "etc" and "etc/a".
        let mut d = e("etc", 0, Status::Unmodified);
        if let Some(a) = d.attrs.as_mut() {
            a.mode = 0o700;
        }
        let t = FileTree::build(
            Arc::default(),
            vec![
                d,
                e("etc-x", 1, Status::Added),
                e("etc/a", 2, Status::Added),
            ],
        );
        assert_eq!(
            paths(&t, &ViewOptions::default()),
            ["etc", "etc/a", "etc-x"]
        );
        assert_eq!(t.attrs(0).mode, 0o700);
    }

    #[test]
    fn guides() {
        let t = FileTree::build(
            Arc::default(),
            vec![
                e("a/x", 1, Status::Added),
                e("a/y", 1, Status::Added),
                e("b", 1, Status::Added),
            ],
        );
        let rows = t.rows(&ViewOptions::default());
        let drawn: Vec<String> = rows
            .iter()
            .map(|r| format!("{}{}", t.prefix(r), t.name(r.node)))
            .collect();
        assert_eq!(drawn, ["├── a", "│   ├── x", "│   └── y", "└── b"]);
    }

    #[test]
    fn modes() {
        assert_eq!(mode_string('d', 0o755), "drwxr-xr-x");
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt");
    }
}
