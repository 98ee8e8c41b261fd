//! The file tree pane's model: entries of one view (a layer's changes, or everything up to a
//! layer) as a tree with subtree sizes, flattened for display with collapse, sort, kind
//! filters and a regex filter.

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

/// A node of the tree.
#[derive(Debug, Clone)]
pub struct FNode {
    /// The entry (for implied directories, a synthesized one).
    pub entry: Entry,
    /// The last path component.
    pub name: String,
    /// Children, in name order.
    pub children: Vec<usize>,
    /// Size of the node and everything under it.
    pub subtree: u64,
}

/// The tree of one view.
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    /// All nodes.
    pub nodes: Vec<FNode>,
    /// Top-level nodes.
    pub roots: Vec<usize>,
}

/// What to show of a tree.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Siblings ordered by subtree size, largest first (else by name).
    pub by_size: bool,
    /// Kinds not shown.
    pub hidden: HashSet<StatusKey>,
    /// Only paths matching this (and the directories leading to them).
    pub filter: Option<regex::Regex>,
    /// Collapsed directories, by path.
    pub collapsed: HashSet<String>,
}

/// A `Status` usable as a set key.
pub type StatusKey = Status;

/// A visible row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index into `nodes`.
    pub node: usize,
    /// The tree-drawing prefix (`│   ├── `).
    pub prefix: String,
}

impl FileTree {
    /// Builds the tree from entries in any order; missing parents become directories.
    pub fn build(mut entries: Vec<Entry>) -> FileTree {
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let mut t = FileTree::default();
        let mut by_path: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for e in entries {
            t.insert(e, &mut by_path);
        }
        for &r in &t.roots.clone() {
            t.sum(r);
        }
        t
    }

    fn parent_index(
        &mut self,
        path: &str,
        by_path: &mut std::collections::HashMap<String, usize>,
    ) -> Option<usize> {
        let parent = path.rsplit_once('/')?.0;
        if let Some(&i) = by_path.get(parent) {
            return Some(i);
        }
        let implied = Entry {
            path: parent.to_string(),
            is_dir: true,
            type_char: 'd',
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            link: None,
            status: Status::Unmodified,
        };
        Some(self.insert(implied, by_path))
    }

    fn insert(
        &mut self,
        e: Entry,
        by_path: &mut std::collections::HashMap<String, usize>,
    ) -> usize {
        if let Some(&i) = by_path.get(&e.path) {
            // A real entry for a directory implied earlier: keep its place.
            let children = std::mem::take(&mut self.nodes[i].children);
            self.nodes[i].entry = e;
            self.nodes[i].children = children;
            return i;
        }
        let parent = self.parent_index(&e.path, by_path);
        let name = e.path.rsplit('/').next().unwrap_or(&e.path).to_string();
        let i = self.nodes.len();
        by_path.insert(e.path.clone(), i);
        self.nodes.push(FNode {
            entry: e,
            name,
            children: Vec::new(),
            subtree: 0,
        });
        match parent {
            Some(p) => self.nodes[p].children.push(i),
            None => self.roots.push(i),
        }
        i
    }

    fn sum(&mut self, i: usize) -> u64 {
        let children = self.nodes[i].children.clone();
        let mut total = if self.nodes[i].entry.is_dir {
            0
        } else {
            self.nodes[i].entry.size
        };
        for c in children {
            total += self.sum(c);
        }
        self.nodes[i].subtree = total;
        total
    }

    fn visible(&self, i: usize, o: &ViewOptions, memo: &mut Vec<Option<bool>>) -> bool {
        if let Some(v) = memo[i] {
            return v;
        }
        let n = &self.nodes[i];
        let own = !o.hidden.contains(&n.entry.status)
            && o.filter
                .as_ref()
                .is_none_or(|re| re.is_match(&n.entry.path));
        let v = own || n.children.iter().any(|&c| self.visible(c, o, memo));
        memo[i] = Some(v);
        v
    }

    fn ordered(&self, ids: &[usize], o: &ViewOptions) -> Vec<usize> {
        let mut v = ids.to_vec();
        if o.by_size {
            v.sort_by(|&a, &b| {
                self.nodes[b]
                    .subtree
                    .cmp(&self.nodes[a].subtree)
                    .then_with(|| self.nodes[a].name.cmp(&self.nodes[b].name))
            });
        }
        v
    }

    /// The rows to draw, top to bottom.
    pub fn rows(&self, o: &ViewOptions) -> Vec<Row> {
        let mut memo = vec![None; self.nodes.len()];
        let mut out = Vec::new();
        let roots = self.ordered(&self.roots, o);
        let roots: Vec<usize> = roots
            .into_iter()
            .filter(|&r| self.visible(r, o, &mut memo))
            .collect();
        let n = roots.len();
        for (k, r) in roots.into_iter().enumerate() {
            self.walk(r, "", k + 1 == n, o, &mut memo, &mut out);
        }
        out
    }

    fn walk(
        &self,
        i: usize,
        indent: &str,
        last: bool,
        o: &ViewOptions,
        memo: &mut Vec<Option<bool>>,
        out: &mut Vec<Row>,
    ) {
        let branch = if last { "└── " } else { "├── " };
        out.push(Row {
            node: i,
            prefix: format!("{indent}{branch}"),
        });
        let n = &self.nodes[i];
        if o.collapsed.contains(&n.entry.path) {
            return;
        }
        let kids: Vec<usize> = self
            .ordered(&n.children, o)
            .into_iter()
            .filter(|&c| self.visible(c, o, memo))
            .collect();
        let next_indent = format!("{indent}{}", if last { "    " } else { "│   " });
        let count = kids.len();
        for (k, c) in kids.into_iter().enumerate() {
            self.walk(c, &next_indent, k + 1 == count, o, memo, out);
        }
    }

    /// Regular files, largest first.
    pub fn largest(&self, n: usize) -> Vec<usize> {
        let mut files: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| {
                !self.nodes[i].entry.is_dir && self.nodes[i].entry.status != Status::Removed
            })
            .collect();
        files.sort_by(|&a, &b| self.nodes[b].entry.size.cmp(&self.nodes[a].entry.size));
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
        let t = FileTree::build(vec![
            e("usr/lib/big", 100, Status::Added),
            e("etc/a", 5, Status::Unmodified),
            e("usr/bin/x", 10, Status::Modified),
        ]);
        let names = |o: &ViewOptions| -> Vec<String> {
            t.rows(o)
                .iter()
                .map(|r| t.nodes[r.node].name.clone())
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
            .find(|r| t.nodes[r.node].name == "usr")
            .map(|r| t.nodes[r.node].subtree);
        assert_eq!(usr, Some(110));
    }

    #[test]
    fn filters_hide_and_keep_parents() {
        let t = FileTree::build(vec![
            e("usr/lib/big", 100, Status::Added),
            e("etc/a", 5, Status::Unmodified),
        ]);
        let mut o = ViewOptions::default();
        o.hidden.insert(Status::Unmodified);
        let rows: Vec<String> = t
            .rows(&o)
            .iter()
            .map(|r| t.nodes[r.node].entry.path.clone())
            .collect();
        assert_eq!(rows, ["usr", "usr/lib", "usr/lib/big"]);
        let o = ViewOptions {
            filter: regex::Regex::new("etc").ok(),
            ..ViewOptions::default()
        };
        let rows: Vec<String> = t
            .rows(&o)
            .iter()
            .map(|r| t.nodes[r.node].entry.path.clone())
            .collect();
        assert_eq!(rows, ["etc", "etc/a"]);
        let mut o = ViewOptions::default();
        o.collapsed.insert("usr".into());
        let rows: Vec<String> = t
            .rows(&o)
            .iter()
            .map(|r| t.nodes[r.node].entry.path.clone())
            .collect();
        assert_eq!(rows, ["etc", "etc/a", "usr"]);
    }

    #[test]
    fn modes() {
        assert_eq!(mode_string('d', 0o755), "drwxr-xr-x");
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt");
    }
}
