//! What the explorer shows, computed by the library: the image's layer list (from the
//! manifest and config alone) and, once the layers are indexed, sizes, dive's efficiency
//! with a reason per inefficient file, and the file tree of any layer.

use std::collections::HashMap;
use std::sync::Arc;

use strata_core::efficiency;
use strata_core::error::Result;
use strata_core::image::Image;
use strata_core::report::Base;
use strata_core::tree::{self, Change, LayerIndex};

use crate::filetree::{Attrs, Entry, FileTree, Status};

/// One layer as the layers pane and the details pane show it.
#[derive(Debug, Clone)]
pub struct LayerRow {
    /// Digest of the stored blob, when the source names it.
    pub digest: String,
    /// The diff ID.
    pub diff_id: String,
    /// Declared media type.
    pub media_type: String,
    /// Stored size, when known.
    pub compressed: Option<u64>,
    /// The history step that made it.
    pub created: String,
    /// Its command.
    pub created_by: String,
}

/// A history step, in order: a layer, or a metadata-only step between layers.
#[derive(Debug, Clone)]
pub enum Step {
    /// The layer at this index.
    Layer(usize),
    /// `ENV`, `CMD`, `LABEL`...: no layer.
    Meta {
        /// Its command.
        created_by: String,
    },
}

/// What is known before any layer is read.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// The name as given.
    pub name: String,
    /// The image ID.
    pub id: String,
    /// Layers, base first.
    pub layers: Vec<LayerRow>,
    /// History steps, oldest first.
    pub steps: Vec<Step>,
    /// The base image, when another image of the source is a prefix of this one.
    pub base: Option<(String, usize)>,
}

fn clean_command(c: &str) -> String {
    let c = c.trim();
    let c = c.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(c);
    let c = c
        .strip_prefix("/bin/sh -c ")
        .map(|r| format!("RUN {r}"))
        .unwrap_or_else(|| c.to_string());
    c.trim().replace(['\n', '\t'], " ")
}

impl ImageInfo {
    /// From an opened image: manifest, config and history only.
    pub fn from_image(name: &str, image: &Image, base: Option<&Base>) -> ImageInfo {
        let history = image.history().unwrap_or_default();
        let mut layers: Vec<LayerRow> = image
            .layers
            .iter()
            .map(|l| LayerRow {
                digest: l
                    .blob
                    .digest
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                diff_id: l.diff_id.to_string(),
                media_type: l.blob.media_type.clone(),
                compressed: l.blob.size,
                created: String::new(),
                created_by: String::new(),
            })
            .collect();
        let steps = strata_core::config::steps(&history, layers.len())
            .into_iter()
            .map(|s| match (s.history.map(|h| &history[h]), s.layer) {
                (Some(h), Some(l)) => {
                    layers[l].created = h.created.clone().unwrap_or_default();
                    layers[l].created_by = clean_command(&h.created_by);
                    Step::Layer(l)
                }
                (_, Some(l)) => Step::Layer(l),
                (h, None) => Step::Meta {
                    created_by: clean_command(h.map_or("", |h| &h.created_by)),
                },
            })
            .collect();
        ImageInfo {
            name: name.to_string(),
            id: image.id.to_string(),
            layers,
            steps,
            base: base.map(|b| (b.name.clone(), b.layers)),
        }
    }
}

/// One inefficient path with its story.
#[derive(Debug, Clone)]
pub struct Waste {
    /// `/path`.
    pub path: String,
    /// Layers that wrote it.
    pub count: usize,
    /// Bytes across those layers.
    pub cumulative: u64,
    /// "written in layers 2 and 5, deleted in 7".
    pub reason: String,
}

/// Which files the tree shows for a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// The layer's own changes.
    Layer,
    /// Everything up to and including the layer.
    Aggregated,
}

/// Everything that needs the layers read.
pub struct Analysis {
    /// What errors call the image.
    pub what: String,
    /// Each layer's index (the views read names and metadata from them).
    pub indexes: Arc<Vec<LayerIndex>>,
    /// dive's per-layer sizes.
    pub layer_sizes: Vec<u64>,
    /// dive's score.
    pub score: f64,
    /// Wasted bytes.
    pub wasted: u64,
    /// Total size.
    pub total: u64,
    /// Wasted share of the user layers.
    pub user_wasted_percent: f64,
    /// Inefficient paths, largest first.
    pub waste: Vec<Waste>,
}

fn layer_list(layers: &[usize]) -> String {
    let shown: Vec<String> = layers.iter().map(|l| l.to_string()).collect();
    match shown.as_slice() {
        [] => String::new(),
        [one] => format!("layer {one}"),
        [init @ .., last] => format!("layers {} and {last}", init.join(", ")),
    }
}

/// What a layer's tar says it does to a path: written (an entry) or deleted (a whiteout).
fn touches(index: &LayerIndex) -> impl Iterator<Item = (bool, &[u8])> {
    index.changes().filter_map(|c| match c {
        Change::Put(p, _) | Change::Link(p, _, _) => Some((true, p)),
        Change::Whiteout(p) => Some((false, p)),
        Change::Implied(..) | Change::Opaque(_) => None,
    })
}

impl Analysis {
    /// Reads an image the way `efficiency` does (one layer index at a time into dive's model,
    /// so the model and the indexes are never in memory together), then takes the indexes
    /// for the views from the cache that pass filled.
    pub fn from_image(image: &Image) -> Result<Analysis> {
        let mut model = efficiency::Analyzer::new();
        image.each_index(|_, ix| {
            model.add_layer(ix);
            Ok(())
        })?;
        let eff = model.finish();
        // The views need names and metadata, not content digests (extraction reads its own).
        let indexes = image.indexes_without_digests()?;
        Ok(Analysis::with(&image.source().describe(), indexes, eff))
    }

    /// Runs dive's model over indexes already in memory.
    pub fn new(what: &str, indexes: Vec<LayerIndex>) -> Result<Analysis> {
        let eff = efficiency::analyze(&indexes);
        Ok(Analysis::with(what, indexes, eff))
    }

    /// Tells each inefficient file's story from the layers' own entries (no merge needed).
    fn with(what: &str, indexes: Vec<LayerIndex>, eff: efficiency::Efficiency) -> Analysis {
        let wanted: HashMap<&[u8], usize> = eff
            .inefficiencies
            .iter()
            .take(200)
            .enumerate()
            .map(|(k, i)| (i.path.trim_start_matches('/').as_bytes(), k))
            .collect();
        let mut story: Vec<(Vec<usize>, Vec<usize>)> = vec![Default::default(); wanted.len()];
        for (layer, ix) in indexes.iter().enumerate() {
            for (written, p) in touches(ix) {
                if let Some(&k) = wanted.get(p) {
                    let list = if written {
                        &mut story[k].0
                    } else {
                        &mut story[k].1
                    };
                    if list.last() != Some(&layer) {
                        list.push(layer);
                    }
                }
            }
        }
        let waste = eff
            .inefficiencies
            .iter()
            .take(200)
            .zip(story)
            .map(|(i, (written, deleted))| {
                let mut reason = String::new();
                if !written.is_empty() {
                    reason = format!("written in {}", layer_list(&written));
                }
                if !deleted.is_empty() {
                    let d = layer_list(&deleted)
                        .replace("layers ", "")
                        .replace("layer ", "");
                    reason = if reason.is_empty() {
                        format!("deleted in {d}")
                    } else {
                        format!("{reason}, deleted in {d}")
                    };
                }
                Waste {
                    path: i.path.clone(),
                    count: i.count,
                    cumulative: i.cumulative,
                    reason,
                }
            })
            .collect();
        Analysis {
            what: what.to_string(),
            layer_sizes: eff.layer_sizes.clone(),
            score: eff.score,
            wasted: eff.wasted_bytes,
            total: eff.size_bytes,
            user_wasted_percent: eff.user_wasted_percent,
            waste,
            indexes: Arc::new(indexes),
        }
    }

    /// What builds views, detached from the rest (it can go to another thread).
    pub fn viewer(&self) -> Viewer {
        Viewer {
            what: self.what.clone(),
            indexes: self.indexes.clone(),
        }
    }

    /// The file tree of a layer in a view.
    pub fn view(&self, layer: usize, kind: ViewKind) -> FileTree {
        self.viewer().view(layer, kind)
    }

    /// Every layer whose entries touch a path containing `needle`: (layer, written or
    /// deleted, path), in layer order.
    pub fn search(&self, needle: &str) -> Vec<(usize, bool, String)> {
        let mut out = Vec::new();
        for (layer, ix) in self.indexes.iter().enumerate() {
            for (written, p) in touches(ix) {
                let p = String::from_utf8_lossy(p);
                if p.contains(needle) {
                    out.push((layer, written, p.into_owned()));
                }
            }
        }
        out
    }
}

/// Builds the file tree of any layer from the indexes.
#[derive(Clone)]
pub struct Viewer {
    what: String,
    indexes: Arc<Vec<LayerIndex>>,
}

impl Viewer {
    /// The file tree of a layer in a view.
    pub fn view(&self, layer: usize, kind: ViewKind) -> FileTree {
        if self.indexes.is_empty() {
            return FileTree::empty();
        }
        let upto = layer.min(self.indexes.len() - 1);
        let indexes = self.indexes.clone();
        let mut t = tree::Tree::new(&indexes[..=upto]);
        let mut lines = Vec::new();
        for i in 0..=upto {
            let what = format!("{}: layer {i}", self.what);
            if i == upto {
                match t.apply(&what, i) {
                    Ok(l) => lines = l,
                    Err(_) => return FileTree::empty(),
                }
            } else if t.apply_quiet(&what, i).is_err() {
                return FileTree::empty();
            }
        }
        // Change lines carry a leading slash; tree paths do not.
        let strip = |p: &[u8]| -> usize { usize::from(p.first() == Some(&b'/')) };
        let status_of = |op: char| match op {
            'A' => Status::Added,
            'D' => Status::Removed,
            _ => Status::Modified,
        };
        let removed_attrs = || Attrs {
            type_char: '-',
            ..Attrs::default()
        };
        match kind {
            ViewKind::Layer => {
                let entries = lines.iter().map(|l| {
                    let p = &l.path[strip(&l.path)..];
                    if l.op == 'D' {
                        Entry {
                            path: p,
                            status: Status::Removed,
                            is_dir: false,
                            src: None,
                            attrs: Some(removed_attrs()),
                        }
                    } else {
                        let it = t.get(p);
                        Entry {
                            path: p,
                            status: status_of(l.op),
                            is_dir: it.is_some_and(|it| it.node.kind == tree::Kind::Dir),
                            src: it.map(|it| (it.layer as u32, it.rec as u32)),
                            attrs: None,
                        }
                    }
                });
                FileTree::build(self.indexes.clone(), entries)
            }
            ViewKind::Aggregated => {
                let mine: HashMap<&[u8], char> = lines
                    .iter()
                    .map(|l| (&l.path[strip(&l.path)..], l.op))
                    .collect();
                // The merged tree in path order, with the layer's removals merged in.
                let mut removed = lines
                    .iter()
                    .filter(|l| l.op == 'D')
                    .map(|l| &l.path[strip(&l.path)..])
                    .peekable();
                let mut items = t.iter().peekable();
                let stream = std::iter::from_fn(|| {
                    let next = items.peek().map(|(p, _)| *p);
                    match (next, removed.peek()) {
                        (Some(p), Some(r)) if *r < p => {
                            let r = removed.next()?;
                            Some(Entry {
                                path: r,
                                status: Status::Removed,
                                is_dir: false,
                                src: None,
                                attrs: Some(removed_attrs()),
                            })
                        }
                        (Some(_), _) => {
                            let (p, it) = items.next()?;
                            let status =
                                mine.get(p).map_or(Status::Unmodified, |op| status_of(*op));
                            Some(Entry {
                                path: p,
                                status,
                                is_dir: it.node.kind == tree::Kind::Dir,
                                src: Some((it.layer as u32, it.rec as u32)),
                                attrs: None,
                            })
                        }
                        (None, Some(_)) => removed.next().map(|r| Entry {
                            path: r,
                            status: Status::Removed,
                            is_dir: false,
                            src: None,
                            attrs: Some(removed_attrs()),
                        }),
                        (None, None) => None,
                    }
                });
                FileTree::build(self.indexes.clone(), stream)
            }
        }
    }
}
