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

use std::collections::{BTreeMap, HashMap};

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

fn parent(p: &[u8]) -> Option<&[u8]> {
    p.iter().rposition(|&b| b == b'/').map(|i| &p[..i])
}

/// dive's stacked tree: path → (size, is a directory entry). Keys borrow from the indexes.
type Stacked<'a> = BTreeMap<&'a [u8], (u64, bool)>;

fn under<'a, 'b>(
    st: &'b Stacked<'a>,
    path: &[u8],
) -> impl Iterator<Item = (&'b &'a [u8], &'b (u64, bool))> {
    let mut lo = path.to_vec();
    lo.push(b'/');
    let mut hi = path.to_vec();
    hi.push(b'/' + 1);
    st.range::<[u8], _>((
        std::ops::Bound::Included(lo.as_slice()),
        std::ops::Bound::Excluded(hi.as_slice()),
    ))
    .collect::<Vec<_>>()
    .into_iter()
}

fn subtree_sum(st: &Stacked<'_>, path: &[u8]) -> u64 {
    let own = st.get(path).map(|(s, _)| *s).unwrap_or(0);
    own + under(st, path).map(|(_, (s, _))| *s).sum::<u64>()
}

fn remove_subtree(st: &mut Stacked<'_>, path: &[u8]) {
    st.remove(path);
    let doomed: Vec<&[u8]> = under(st, path).map(|(k, _)| *k).collect();
    for d in doomed {
        st.remove(d);
    }
}

/// The layer's own tree: (path, whiteout?) → (size, dir entry?).
type Own<'a> = BTreeMap<(&'a [u8], bool), (u64, bool)>;

fn add_parents<'a>(own: &mut Own<'a>, p: &'a [u8]) {
    let mut q = parent(p);
    while let Some(d) = q {
        if own.contains_key(&(d, false)) {
            break;
        }
        own.insert((d, false), (0, false));
        q = parent(d);
    }
}

/// Runs the analysis over an image's layer indexes.
pub fn analyze(layers: &[LayerIndex]) -> Efficiency {
    let mut stacked: Stacked<'_> = BTreeMap::new();
    let mut per_path: HashMap<&[u8], (usize, u64, u64)> = HashMap::new();
    let mut layer_sizes = Vec::with_capacity(layers.len());
    for l in layers {
        // The layer's own tree: (path, whiteout?) → (size, dir entry?), with implied parents.
        let mut own: Own<'_> = BTreeMap::new();
        let mut size = 0u64;
        for c in l.changes() {
            match c {
                Change::Put(p, n) => {
                    add_parents(&mut own, p);
                    let s = if n.kind == Kind::File { n.size } else { 0 };
                    size += s;
                    own.insert((p, false), (s, n.kind == Kind::Dir));
                }
                // dive adds missing parents itself, as directories of size 0.
                Change::Implied(p, _) => {
                    add_parents(&mut own, p);
                    own.entry((p, false)).or_insert((0, false));
                }
                Change::Link(p, _, _) => {
                    add_parents(&mut own, p);
                    own.insert((p, false), (0, false));
                }
                Change::Whiteout(p) => {
                    add_parents(&mut own, p);
                    // Kept apart from a same-named entry: dive's node is named `.wh.NAME`.
                    own.insert((p, true), (0, false));
                }
                Change::Opaque(d) => {
                    if !d.is_empty() {
                        add_parents(&mut own, d);
                        own.entry((d, false)).or_insert((0, false));
                    }
                }
            }
        }
        layer_sizes.push(size);
        // Leaves: no other entry of this layer below them. In byte order, a path's
        // descendants follow it after any siblings that extend its name with a byte < '/'.
        let keys: Vec<(&[u8], bool)> = own.keys().copied().collect();
        for (i, &(k, wh)) in keys.iter().enumerate() {
            let is_leaf = wh
                || !keys[i + 1..]
                    .iter()
                    .take_while(|(n, _)| n.starts_with(k))
                    .any(|(n, _)| n.get(k.len()) == Some(&b'/'));
            if !is_leaf {
                continue;
            }
            let (s, _) = own[&(k, wh)];
            let bytes = if wh {
                match stacked.get(k) {
                    Some((_, true)) => subtree_sum(&stacked, k),
                    _ => 0,
                }
            } else {
                s
            };
            let e = per_path.entry(k).or_insert((0, 0, u64::MAX));
            e.0 += 1;
            e.1 += bytes;
            e.2 = e.2.min(bytes);
        }
        // Stack this layer on the ones below, as dive does (whiteouts remove; opaque ignored).
        for ((k, wh), (s, dir)) in own {
            if wh {
                remove_subtree(&mut stacked, k);
            } else {
                let e = stacked.entry(k).or_insert((0, false));
                // Implied parents keep what an explicit entry said.
                if s > 0 || dir || e.0 == 0 {
                    *e = (s, dir || e.1);
                }
            }
        }
    }
    let (mut min_sum, mut cum_sum) = (0u64, 0u64);
    let mut inefficiencies = Vec::new();
    for (p, (count, cum, min)) in &per_path {
        min_sum += *min;
        cum_sum += *cum;
        if *count >= 2 {
            inefficiencies.push(Inefficiency {
                path: format!("/{}", String::from_utf8_lossy(p)),
                count: *count,
                cumulative: *cum,
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
    let size_bytes: u64 = layer_sizes.iter().sum();
    let user_size_bytes: u64 = layer_sizes.iter().skip(1).sum();
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
        layer_sizes,
    }
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
