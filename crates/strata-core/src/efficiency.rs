//! Wasted space, computed with dive's model so the numbers can be compared with dive's.
//!
//! - Each layer is seen as the tree of its own tar entries (parents implied). Its *leaves*
//!   (entries with nothing under them in that layer: files, links, empty directories,
//!   whiteouts) are the "discoveries".
//! - A leaf's size is its tar header size (content size; 0 for links and directories). A
//!   whiteout's size is, when the path it deletes was a directory in the layers below, the sum
//!   of everything under that directory; when it was a file, 0 (dive's rule).
//! - Per path: `count` = in how many layers it is a leaf, `cumulative` = the sum of those
//!   sizes, `min` = the smallest of them.
//! - Efficiency = Σ min / Σ cumulative over all paths (1 when nothing was discovered).
//! - Inefficient paths: count ≥ 2. Wasted bytes = Σ of their cumulative sizes.
//! - Image size = Σ layer sizes (header sizes of every entry); user size = the same without
//!   the first layer; user wasted percent = wasted bytes / user size.
//!
//! Where dive differs: opaque directories are ignored by dive's stacked tree (strata follows
//! dive), and a whiteout of a path absent below makes dive stop visiting that layer (strata
//! counts it as 0 and goes on).

use std::collections::HashMap;

use crate::pathkey::{KeyMap, PathKeys};

use crate::tree::{Change, Kind, LayerIndex};

/// One inefficient path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inefficiency {
    /// `/path`.
    pub path: String,
    /// How many layers discover it.
    pub count: usize,
    /// The sum of its sizes in those layers.
    pub cumulative: u64,
}

/// dive's analysis of an image.
#[derive(Debug, Clone)]
pub struct Efficiency {
    /// Σ min / Σ cumulative.
    pub score: f64,
    /// Σ cumulative of the inefficient paths.
    pub wasted_bytes: u64,
    /// Σ layer sizes.
    pub size_bytes: u64,
    /// Σ layer sizes without the base layer.
    pub user_size_bytes: u64,
    /// wasted / user size (0 when the user size is 0).
    pub user_wasted_percent: f64,
    /// Inefficient paths, largest first.
    pub inefficiencies: Vec<Inefficiency>,
    /// Each layer's size (header sizes of its entries).
    pub layer_sizes: Vec<u64>,
}

const NONE: u32 = u32::MAX;

/// What the analysis keeps per path ever seen (48 bytes): where its name is, its place in the
/// path tree, dive's counters, and its state in the stacked tree.
#[derive(Debug, Clone, Copy)]
struct PathInfo {
    off: u32,
    parent: u32,
    first_child: u32,
    next_sibling: u32,
    /// Layers that discover it, with the stacked state in the top two bits (see `STACKED`).
    count: u32,
    cumulative: u64,
    min: u64,
    stacked_size: u64,
}

const IN_STACK: u32 = 1 << 31;
const STACKED_DIR: u32 = 1 << 30;
const COUNT: u32 = STACKED_DIR - 1;

/// dive's model, fed one layer at a time (so only one layer's index need be in memory):
/// paths are interned once, in a tree, with their counters beside them.
pub struct Analyzer {
    arena: Vec<u8>,
    ids: KeyMap<u64, u32>,
    /// Paths whose 64-bit hash another path already had.
    collided: HashMap<Box<[u8]>, u32>,
    keys: PathKeys,
    paths: Vec<PathInfo>,
    layer_sizes: Vec<u64>,
}

fn parent(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => &p[..i],
        None => b"",
    }
}

/// Grows a vector by half rather than doubling it: these hold a million entries.
fn grow<T>(v: &mut Vec<T>, more: usize) {
    if v.len() + more > v.capacity() {
        v.reserve_exact((v.capacity() / 2).max(more).max(1024));
    }
}

/// One entry of a layer's own tree, before duplicates are folded: dive's map inserts
/// (`set`) or keeps what is there (`!set`).
#[derive(Clone, Copy)]
struct Own {
    id: u32,
    whiteout: bool,
    set: bool,
    dir: bool,
    size: u64,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// An empty analysis.
    pub fn new() -> Analyzer {
        let root = PathInfo {
            off: 0,
            parent: NONE,
            first_child: NONE,
            next_sibling: NONE,
            count: 0,
            cumulative: 0,
            min: u64::MAX,
            stacked_size: 0,
        };
        let mut a = Analyzer {
            arena: Vec::new(),
            ids: KeyMap::default(),
            collided: HashMap::new(),
            keys: PathKeys::new(),
            paths: vec![root],
            layer_sizes: Vec::new(),
        };
        let k = a.keys.k64(b"");
        a.ids.insert(k, 0);
        a
    }

    fn path(&self, id: u32) -> &[u8] {
        let start = self.paths[id as usize].off as usize;
        let end = self
            .paths
            .get(id as usize + 1)
            .map_or(self.arena.len(), |n| n.off as usize);
        &self.arena[start..end]
    }

    fn lookup(&self, p: &[u8]) -> Option<u32> {
        match self.ids.get(&self.keys.k64(p)) {
            Some(&id) if self.path(id) == p => Some(id),
            Some(_) => self.collided.get(p).copied(),
            None => None,
        }
    }

    /// The id of a path, interning it and its parents.
    fn intern(&mut self, p: &[u8]) -> u32 {
        if let Some(id) = self.lookup(p) {
            return id;
        }
        let pid = self.intern(parent(p));
        let id = self.paths.len() as u32;
        grow(&mut self.arena, p.len());
        let off = self.arena.len() as u32;
        self.arena.extend_from_slice(p);
        let sibling = self.paths[pid as usize].first_child;
        self.paths[pid as usize].first_child = id;
        grow(&mut self.paths, 1);
        self.paths.push(PathInfo {
            off,
            parent: pid,
            first_child: NONE,
            next_sibling: sibling,
            count: 0,
            cumulative: 0,
            min: u64::MAX,
            stacked_size: 0,
        });
        let k = self.keys.k64(p);
        match self.ids.entry(k) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(p.into(), id);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(id);
            }
        }
        id
    }

    fn descendants(&self, id: u32, out: &mut Vec<u32>) {
        let mut todo = vec![self.paths[id as usize].first_child];
        while let Some(mut c) = todo.pop() {
            while c != NONE {
                out.push(c);
                todo.push(self.paths[c as usize].first_child);
                c = self.paths[c as usize].next_sibling;
            }
        }
    }

    fn stacked(&self, id: u32) -> Option<(u64, bool)> {
        let p = &self.paths[id as usize];
        (p.count & IN_STACK != 0).then_some((p.stacked_size, p.count & STACKED_DIR != 0))
    }

    fn subtree_sum(&self, id: u32) -> u64 {
        let mut d = vec![id];
        self.descendants(id, &mut d);
        d.iter()
            .filter_map(|&c| self.stacked(c))
            .map(|(s, _)| s)
            .sum()
    }

    fn remove_subtree(&mut self, id: u32) {
        let mut d = vec![id];
        self.descendants(id, &mut d);
        for c in d {
            self.paths[c as usize].count &= COUNT;
        }
    }

    /// Adds the next layer (base first).
    pub fn add_layer(&mut self, l: &LayerIndex) {
        // The layer's own tree, as dive builds it: (path, whiteout?) → (size, dir entry?),
        // with implied parents. Entries are collected in order and folded below.
        let mut ops: Vec<Own> = Vec::new();
        // Paths that already have a (path, false) entry this layer: where implied parents stop.
        let mut seen = vec![false; self.paths.len()];
        let mut size = 0u64;
        let add = |a: &mut Analyzer, ops: &mut Vec<Own>, seen: &mut Vec<bool>, id: u32, o: Own| {
            if seen.len() < a.paths.len() {
                seen.resize(a.paths.len(), false);
            }
            let mut q = a.paths[id as usize].parent;
            while q != NONE && q != 0 && !seen[q as usize] {
                seen[q as usize] = true;
                ops.push(Own {
                    id: q,
                    whiteout: false,
                    set: false,
                    dir: false,
                    size: 0,
                });
                q = a.paths[q as usize].parent;
            }
            if !o.whiteout {
                seen[id as usize] = true;
            }
            ops.push(o);
        };
        for c in l.changes() {
            let (p, whiteout, set, dir, s) = match c {
                Change::Put(p, n) => {
                    let s = if n.kind == Kind::File { n.size } else { 0 };
                    size += s;
                    (p, false, true, n.kind == Kind::Dir, s)
                }
                // dive adds missing parents itself, as directories of size 0.
                Change::Implied(p, _) => (p, false, false, false, 0),
                Change::Link(p, _, _) => (p, false, true, false, 0),
                // Kept apart from a same-named entry: dive's node is named `.wh.NAME`.
                Change::Whiteout(p) => (p, true, true, false, 0),
                Change::Opaque(d) if !d.is_empty() => (d, false, false, false, 0),
                Change::Opaque(_) => continue,
            };
            let id = self.intern(p);
            let o = Own {
                id,
                whiteout,
                set,
                dir,
                size: s,
            };
            add(self, &mut ops, &mut seen, id, o);
        }
        drop(seen);
        self.layer_sizes.push(size);
        // Fold: per (path, whiteout?), inserts win and "keep" entries only fill a gap.
        ops.sort_by_key(|o| (o.id, o.whiteout));
        let mut own: Vec<Own> = Vec::with_capacity(ops.len());
        for o in ops {
            match own.last_mut() {
                Some(last) if last.id == o.id && last.whiteout == o.whiteout => {
                    if o.set {
                        *last = o;
                    }
                }
                _ => own.push(o),
            }
        }
        // Leaves: entries of this layer with nothing of this layer under them.
        let mut inner = vec![false; self.paths.len()];
        for o in &own {
            let p = self.paths[o.id as usize].parent;
            if p != NONE {
                inner[p as usize] = true;
            }
        }
        for o in &own {
            if !o.whiteout && inner[o.id as usize] {
                continue;
            }
            let bytes = if o.whiteout {
                match self.stacked(o.id) {
                    Some((_, true)) => self.subtree_sum(o.id),
                    _ => 0,
                }
            } else {
                o.size
            };
            let p = &mut self.paths[o.id as usize];
            p.count += 1;
            p.cumulative += bytes;
            p.min = p.min.min(bytes);
        }
        drop(inner);
        // Stack this layer on the ones below, as dive does (whiteouts remove; opaque
        // ignored), in path order.
        own.sort_by(|a, b| {
            self.path(a.id)
                .cmp(self.path(b.id))
                .then(a.whiteout.cmp(&b.whiteout))
        });
        for o in own {
            if o.whiteout {
                self.remove_subtree(o.id);
                continue;
            }
            let (cur, cur_dir) = self.stacked(o.id).unwrap_or((0, false));
            let present = self.stacked(o.id).is_some();
            // Implied parents keep what an explicit entry said.
            let (ns, nd) = if o.size > 0 || o.dir || !present || cur == 0 {
                (o.size, o.dir || cur_dir)
            } else {
                (cur, cur_dir)
            };
            let p = &mut self.paths[o.id as usize];
            p.stacked_size = ns;
            p.count = (p.count & COUNT) | IN_STACK | if nd { STACKED_DIR } else { 0 };
        }
    }

    /// The result.
    pub fn finish(self) -> Efficiency {
        let (mut min_sum, mut cum_sum) = (0u64, 0u64);
        let mut inefficiencies = Vec::new();
        for (id, p) in self.paths.iter().enumerate() {
            let count = p.count & COUNT;
            if count == 0 {
                continue;
            }
            min_sum += p.min;
            cum_sum += p.cumulative;
            if count >= 2 {
                inefficiencies.push(Inefficiency {
                    path: format!("/{}", String::from_utf8_lossy(self.path(id as u32))),
                    count: count as usize,
                    cumulative: p.cumulative,
                });
            }
        }
        inefficiencies.sort_by(|a, b| b.cumulative.cmp(&a.cumulative).then(a.path.cmp(&b.path)));
        let score = if cum_sum == 0 {
            1.0
        } else {
            min_sum as f64 / cum_sum as f64
        };
        let wasted_bytes: u64 = inefficiencies.iter().map(|i| i.cumulative).sum();
        let size_bytes: u64 = self.layer_sizes.iter().sum();
        let user_size_bytes: u64 = self.layer_sizes.iter().skip(1).sum();
        Efficiency {
            score,
            wasted_bytes,
            size_bytes,
            user_size_bytes,
            user_wasted_percent: if user_size_bytes == 0 {
                0.0
            } else {
                wasted_bytes as f64 / user_size_bytes as f64
            },
            inefficiencies,
            layer_sizes: self.layer_sizes,
        }
    }
}

/// Runs the analysis over an image's layer indexes.
pub fn analyze(layers: &[LayerIndex]) -> Efficiency {
    let mut a = Analyzer::new();
    for l in layers {
        a.add_layer(l);
    }
    a.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::layer::{Meta, Op};

    fn layer(c: &[(&str, Op, Kind, u64)]) -> LayerIndex {
        let mut ix = LayerIndex::new(Digest::sha256_of(b""));
        for (i, (p, op, k, size)) in c.iter().enumerate() {
            let m = Meta {
                size: *size,
                ..Meta::default()
            };
            ix.push(*op, p.as_bytes(), b"", *k, &m, None, i as u64)
                .unwrap();
        }
        ix
    }

    #[test]
    fn overwrite_and_deleted_directory_are_waste() {
        let l0 = layer(&[
            ("big", Op::Put, Kind::File, 1000),
            ("d", Op::Put, Kind::Dir, 0),
            ("d/a", Op::Put, Kind::File, 300),
            ("d/b", Op::Put, Kind::File, 200),
        ]);
        let l1 = layer(&[("big", Op::Put, Kind::File, 10)]);
        let l2 = layer(&[("d", Op::Whiteout, Kind::File, 0)]);
        let e = analyze(&[l0, l1, l2]);
        // big: 1000 + 10 (min 10); d: whiteout sized 500 in layer 2, and d is no leaf in
        // layer 0 (it has children), so d counts once.
        assert_eq!(
            e.inefficiencies,
            vec![Inefficiency {
                path: "/big".into(),
                count: 2,
                cumulative: 1010
            }]
        );
        assert_eq!(e.wasted_bytes, 1010);
        assert_eq!(e.size_bytes, 1510);
        assert_eq!(e.user_size_bytes, 10);
        // min: big 10, d/a 300, d/b 200, d 500 → 1010; cumulative 1010 + 300 + 200 + 500.
        assert!((e.score - 1010.0 / 2010.0).abs() < 1e-12);
    }
}
