//! The file tree pane's model: entries of one view (a layer's changes, or everything up to a
//! layer) as a tree with subtree sizes, flattened for display with collapse, sort, kind
//! filters and a regex filter. Compact: a node is about 100 bytes (no full paths are kept).

use std::collections::HashSet;

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

/// One path of a view, as the tree is built from it (paths without a leading slash).
#[derive(Debug, Clone)]
pub struct Entry {
    /// `etc/os-release`.
    pub path: String,
    /// Directory or not.
    pub is_dir: bool,
    /// `ls -l`'s type letter (`-`, `d`, `l`, `c`, `b`, `p`, `h`).
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
    /// Its status in the selected layer.
    pub status: Status,
}

const NONE: u32 = u32::MAX;

/// A node of the tree.
#[derive(Debug, Clone)]
pub struct FNode {
    /// The last path component.
    pub name: Box<str>,
    parent: u32,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    /// Directory or not.
    pub is_dir: bool,
    /// `ls -l`'s type letter.
    pub type_char: char,
    /// Its status in the selected layer.
    pub status: Status,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Content size.
    pub size: u64,
    /// Size of the node and everything under it.
    pub subtree: u64,
    /// Symlink target.
    pub link: Option<Box<str>>,
}

/// The tree of one view.
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    /// All nodes.
    pub nodes: Vec<FNode>,
    first_root: u32,
    last_root: u32,
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
    /// Index into `nodes`.
    pub node: usize,
    depth: u16,
    lasts: u64,
}

impl FileTree {
    /// Builds the tree from entries in path order (byte order, as the merge engine yields
    /// them); missing parents become directories.
    pub fn build(entries: impl IntoIterator<Item = Entry>) -> FileTree {
        let mut t = FileTree {
            nodes: Vec::new(),
            first_root: NONE,
            last_root: NONE,
        };
        // Directories by path (files need no lookup: nothing goes under them).
        let mut dirs: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        for e in entries {
            t.insert(e, &mut dirs);
        }
        let mut r = t.first_root;
        while r != NONE {
            t.sum(r as usize);
            r = t.nodes[r as usize].next_sibling;
        }
        t
    }

    fn push_node(&mut self, parent: u32, e: &Entry, name: &str) -> u32 {
        let i = self.nodes.len() as u32;
        self.nodes.push(FNode {
            name: name.into(),
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            is_dir: e.is_dir,
            type_char: e.type_char,
            status: e.status,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            size: e.size,
            subtree: 0,
            link: e.link.as_deref().map(Into::into),
        });
        let last = if parent == NONE {
            if self.first_root == NONE {
                self.first_root = i;
            }
            std::mem::replace(&mut self.last_root, i)
        } else {
            let p = &mut self.nodes[parent as usize];
            if p.first_child == NONE {
                p.first_child = i;
            }
            std::mem::replace(&mut p.last_child, i)
        };
        if last != NONE {
            self.nodes[last as usize].next_sibling = i;
        }
        i
    }

    fn dir(&mut self, path: &str, dirs: &mut std::collections::HashMap<String, u32>) -> u32 {
        if path.is_empty() {
            return NONE;
        }
        if let Some(&i) = dirs.get(path) {
            return i;
        }
        let (parent_path, name) = path.rsplit_once('/').unwrap_or(("", path));
        let parent = self.dir(parent_path, dirs);
        let implied = Entry {
            path: String::new(),
            is_dir: true,
            type_char: 'd',
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            link: None,
            status: Status::Unmodified,
        };
        let i = self.push_node(parent, &implied, name);
        dirs.insert(path.to_string(), i);
        i
    }

    fn insert(&mut self, e: Entry, dirs: &mut std::collections::HashMap<String, u32>) {
        if let Some(&i) = dirs.get(&e.path) {
            // A directory implied earlier: the real entry's metadata.
            let n = &mut self.nodes[i as usize];
            n.is_dir = e.is_dir;
            n.type_char = e.type_char;
            n.status = e.status;
            n.mode = e.mode;
            n.uid = e.uid;
            n.gid = e.gid;
            n.size = e.size;
            n.link = e.link.as_deref().map(Into::into);
            return;
        }
        let (parent_path, name) = e.path.rsplit_once('/').unwrap_or(("", e.path.as_str()));
        let parent = self.dir(parent_path, dirs);
        let name = name.to_string();
        let i = self.push_node(parent, &e, &name);
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

    fn sum(&mut self, i: usize) -> u64 {
        let kids: Vec<u32> = self.children(i as u32).collect();
        let mut total = if self.nodes[i].is_dir {
            0
        } else {
            self.nodes[i].size
        };
        for c in kids {
            total += self.sum(c as usize);
        }
        self.nodes[i].subtree = total;
        total
    }

    /// The path of a node, without the leading slash.
    pub fn path(&self, i: usize) -> String {
        let mut parts = vec![&*self.nodes[i].name];
        let mut p = self.nodes[i].parent;
        while p != NONE {
            parts.push(&self.nodes[p as usize].name);
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
                let (a, b) = (&self.nodes[a as usize], &self.nodes[b as usize]);
                b.subtree.cmp(&a.subtree).then_with(|| a.name.cmp(&b.name))
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
        let mut files: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| !self.nodes[i].is_dir && self.nodes[i].status != Status::Removed)
            .collect();
        files.sort_by(|&a, &b| self.nodes[b].size.cmp(&self.nodes[a].size));
        files.truncate(n);
        files
    }
}

/// `ls -l` permission text: `drwxr-xr-x`.
pub fn mode_string(type_char: char, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(if type_char == 'h' { '-' } else { type_char });
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let set = mode & bit != 0;
        let ch = match i {
            2 if mode & 0o4000 != 0 => {
                if set {
                    's'
                } else {
                    'S'
                }
            }
            5 if mode & 0o2000 != 0 => {
                if set {
                    's'
                } else {
                    'S'
                }
            }
            8 if mode & 0o1000 != 0 => {
                if set {
                    't'
                } else {
                    'T'
                }
            }
            _ if set => *c,
            _ => '-',
        };
        s.push(ch);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str, size: u64, status: Status) -> Entry {
        Entry {
            path: path.into(),
            is_dir: size == 0,
            type_char: if size == 0 { 'd' } else { '-' },
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            link: None,
            status,
        }
    }

    #[test]
    fn subtree_sizes_and_order() {
        let mut v = vec![
            e("usr/lib/big", 100, Status::Added),
            e("etc/a", 5, Status::Unmodified),
            e("usr/bin/x", 10, Status::Modified),
        ];
        v.sort_by(|a, b| a.path.cmp(&b.path));
        let t = FileTree::build(v);
        let names = |o: &ViewOptions| -> Vec<String> {
            t.rows(o)
                .iter()
                .map(|r| t.nodes[r.node].name.to_string())
                .collect()
        };
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
            .iter()
            .find(|r| &*t.nodes[r.node].name == "usr")
            .map(|r| t.nodes[r.node].subtree);
        assert_eq!(usr, Some(110));
    }

    #[test]
    fn filters_hide_and_keep_parents() {
        let t = FileTree::build(vec![
            e("etc/a", 5, Status::Unmodified),
            e("usr/lib/big", 100, Status::Added),
        ]);
        let mut o = ViewOptions::default();
        o.hidden.insert(Status::Unmodified);
        let rows: Vec<String> = t.rows(&o).iter().map(|r| t.path(r.node)).collect();
        assert_eq!(rows, ["usr", "usr/lib", "usr/lib/big"]);
        let o = ViewOptions {
            filter: regex::Regex::new("etc").ok(),
            ..ViewOptions::default()
        };
        let rows: Vec<String> = t.rows(&o).iter().map(|r| t.path(r.node)).collect();
        assert_eq!(rows, ["etc", "etc/a"]);
        let mut o = ViewOptions::default();
        o.collapsed.insert("usr".into());
        let rows: Vec<String> = t.rows(&o).iter().map(|r| t.path(r.node)).collect();
        assert_eq!(rows, ["etc", "etc/a", "usr"]);
    }

    #[test]
    fn byte_order_input_keeps_one_node_per_directory() {
        // The merge engine yields byte order: "etc-x" sorts between "etc" and "etc/a".
        let mut d = e("etc", 0, Status::Unmodified);
        d.mode = 0o700;
        let t = FileTree::build(vec![
            d,
            e("etc-x", 1, Status::Added),
            e("etc/a", 2, Status::Added),
        ]);
        let rows: Vec<String> = t
            .rows(&ViewOptions::default())
            .iter()
            .map(|r| t.path(r.node))
            .collect();
        assert_eq!(rows, ["etc", "etc/a", "etc-x"]);
        assert_eq!(t.nodes[0].mode, 0o700);
    }

    #[test]
    fn guides() {
        let t = FileTree::build(vec![
            e("a/x", 1, Status::Added),
            e("a/y", 1, Status::Added),
            e("b", 1, Status::Added),
        ]);
        let rows = t.rows(&ViewOptions::default());
        let drawn: Vec<String> = rows
            .iter()
            .map(|r| format!("{}{}", t.prefix(r), t.nodes[r.node].name))
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
