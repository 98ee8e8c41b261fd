//! Image-to-image comparison: shared base layers, config and history differences, and the
//! files that differ between the two merged filesystems (by content digest).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::config::ContainerConfig;
use crate::gojson;
use crate::tree::{Item, Kind, Node, Tree};

/// One file-level difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// `A` (only in the second image), `D` (only in the first) or `C` (different).
    pub op: char,
    /// `/path`.
    pub path: String,
    /// Size in the first image (0 when absent).
    pub size1: u64,
    /// Size in the second image (0 when absent).
    pub size2: u64,
    /// What differs, for `C` (`content`, `mode`, `owner`, `type`, `target`).
    pub what: Vec<&'static str>,
}

fn differs(a: &Node<'_>, b: &Node<'_>) -> Vec<&'static str> {
    let mut w = Vec::new();
    if a.kind != b.kind {
        w.push("type");
        return w;
    }
    if a.kind == Kind::File && (a.digest != b.digest || a.size != b.size) {
        w.push("content");
    }
    if a.link != b.link {
        w.push("target");
    }
    if a.mode != b.mode {
        w.push("mode");
    }
    if a.uid != b.uid || a.gid != b.gid {
        w.push("owner");
    }
    if a.dev != b.dev {
        w.push("device");
    }
    if !a.xattrs().eq(b.xattrs()) {
        w.push("xattrs");
    }
    w
}

/// Files that differ between two merged trees, in path order. Directories count as changed
/// only for their own metadata, not for their times.
pub fn diff_trees(a: &Tree<'_>, b: &Tree<'_>) -> Vec<FileDiff> {
    let paths: BTreeSet<&[u8]> = a
        .iter()
        .map(|(p, _)| p)
        .chain(b.iter().map(|(p, _)| p))
        .collect();
    let mut out = Vec::new();
    for p in paths {
        let shown = format!("/{}", String::from_utf8_lossy(p));
        match (a.get(p), b.get(p)) {
            (Some(Item { node: x, .. }), None) => out.push(FileDiff {
                op: 'D',
                path: shown,
                size1: x.size,
                size2: 0,
                what: Vec::new(),
            }),
            (None, Some(Item { node: y, .. })) => out.push(FileDiff {
                op: 'A',
                path: shown,
                size1: 0,
                size2: y.size,
                what: Vec::new(),
            }),
            (Some(Item { node: x, .. }), Some(Item { node: y, .. })) => {
                let w = differs(&x, &y);
                if !w.is_empty() {
                    out.push(FileDiff {
                        op: 'C',
                        path: shown,
                        size1: x.size,
                        size2: y.size,
                        what: w,
                    });
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// One config difference: a dotted key and the two JSON values (`null` when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDiff {
    /// `config.Env`, `architecture`…
    pub key: String,
    /// In the first image.
    pub old: Value,
    /// In the second image.
    pub new: Value,
}

const TOP: &[&str] = &[
    "architecture",
    "os",
    "variant",
    "author",
    "created",
    "docker_version",
];

fn get_or_null(v: &Value, k: &str) -> Value {
    match gojson::get(v, k) {
        Some(x) => x.clone(),
        None => Value::Null,
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Differences of the execution parameters and metadata of two configs.
pub fn diff_configs(a: &Value, b: &Value) -> Vec<ConfigDiff> {
    let mut out = Vec::new();
    for k in TOP {
        let (x, y) = (get_or_null(a, k), get_or_null(b, k));
        if x != y && !(empty(&x) && empty(&y)) {
            out.push(ConfigDiff {
                key: (*k).to_string(),
                old: x,
                new: y,
            });
        }
    }
    // The run parameters an OCI image config defines, typed as the daemon decodes them.
    let run = |v: &Value| {
        gojson::get(v, "config")
            .filter(|c| c.is_object())
            .map(ContainerConfig::decode)
            .unwrap_or_default()
    };
    let (ca, cb) = (run(a), run(b));
    for (x, y) in ca.oci_fields().into_iter().zip(cb.oci_fields()) {
        let (vx, vy) = (x.value.as_sent(x.omitempty), y.value.as_sent(y.omitempty));
        if vx != vy && !(vx.is_empty() && vy.is_empty()) {
            out.push(ConfigDiff {
                key: format!("config.{}", x.name),
                old: vx.to_json(),
                new: vy.to_json(),
            });
        }
    }
    out
}

/// How many leading diff IDs two images share.
pub fn shared_layers(a: &[crate::digest::Digest], b: &[crate::digest::Digest]) -> usize {
    a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count()
}

/// Everything `diff` reports about two images: the shared base, what each adds after it,
/// the config and history differences, and the files that differ.
#[derive(Debug, Clone)]
pub struct ImageDiff {
    /// Each image's layers (diff ID, bytes of its files), base first.
    pub layers: [Vec<(crate::digest::Digest, u64)>; 2],
    /// How many layers both start with.
    pub shared: usize,
    /// Config fields that differ.
    pub config: Vec<ConfigDiff>,
    /// Each image's history steps (`created_by`) after the steps both start with.
    pub history: [Vec<String>; 2],
    /// Files that differ between the two merged filesystems.
    pub files: Vec<FileDiff>,
}

impl ImageDiff {
    /// Compares two images (reads every layer index of both).
    pub fn build(
        a: &crate::image::Image,
        b: &crate::image::Image,
    ) -> crate::error::Result<ImageDiff> {
        let (ia, ib) = (a.indexes()?, b.indexes()?);
        let ta = crate::tree::merge_quiet(&a.source().describe(), &ia)?;
        let tb = crate::tree::merge_quiet(&b.source().describe(), &ib)?;
        let files = diff_trees(&ta, &tb);
        let sizes = |ix: &[crate::tree::LayerIndex], img: &crate::image::Image| {
            img.layers
                .iter()
                .zip(ix)
                .map(|(l, x)| {
                    let n = x
                        .changes()
                        .map(|c| match c {
                            crate::tree::Change::Put(_, n) if n.kind == Kind::File => n.size,
                            _ => 0,
                        })
                        .sum();
                    (l.diff_id.clone(), n)
                })
                .collect::<Vec<_>>()
        };
        let layers = [sizes(&ia, a), sizes(&ib, b)];
        let ids = |v: &[(crate::digest::Digest, u64)]| {
            v.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>()
        };
        let shared = shared_layers(&ids(&layers[0]), &ids(&layers[1]));
        let (ha, hb) = (a.history()?, b.history()?);
        let common = ha
            .iter()
            .zip(hb.iter())
            .take_while(|(x, y)| x.created_by == y.created_by && x.created == y.created)
            .count();
        let steps = |h: &[crate::image::HistoryEntry]| {
            h[common..]
                .iter()
                .map(|e| e.created_by.clone())
                .collect::<Vec<_>>()
        };
        Ok(ImageDiff {
            layers,
            shared,
            config: diff_configs(&a.config, &b.config),
            history: [steps(&ha), steps(&hb)],
            files,
        })
    }

    /// Files added, deleted and changed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |op| self.files.iter().filter(|f| f.op == op).count();
        (n('A'), n('D'), n('C'))
    }

    /// Bytes of files in each image's layers.
    pub fn totals(&self) -> (u64, u64) {
        let t = |v: &[(crate::digest::Digest, u64)]| v.iter().map(|(_, n)| n).sum();
        (t(&self.layers[0]), t(&self.layers[1]))
    }
}

/// An image diff with what to call the two images and the layers they share.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The two images as the user named them.
    pub names: [String; 2],
    /// Their image IDs.
    pub ids: [crate::digest::Digest; 2],
    /// What differs.
    pub diff: ImageDiff,
    /// A name for the shared layers: one of the two images when it is exactly them, else an
    /// image of `known` whose layers are exactly them.
    pub base: Option<String>,
}

impl DiffReport {
    /// Compares `a` (named `names[0]`) with `b` (`names[1]`).
    pub fn build(
        names: [String; 2],
        a: &crate::image::Image,
        b: &crate::image::Image,
        known: Option<std::sync::Arc<dyn crate::source::Source>>,
    ) -> crate::error::Result<DiffReport> {
        let diff = ImageDiff::build(a, b)?;
        let shared = diff.shared;
        let [la, lb] = &diff.layers;
        let base = if shared > 0 && shared == la.len() {
            Some(names[0].clone())
        } else if shared > 0 && shared == lb.len() {
            Some(names[1].clone())
        } else {
            let chain: Vec<_> = la[..shared].iter().map(|(d, _)| d.clone()).collect();
            known.and_then(|k| crate::report::image_with_chain(k, &chain))
        };
        Ok(DiffReport {
            names,
            ids: [a.id.clone(), b.id.clone()],
            diff,
            base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_differences() {
        let a = json!({"architecture": "amd64", "config": {"Env": ["A=1"], "Cmd": ["sh"]}});
        let b = json!({"architecture": "amd64", "config": {"Env": ["A=1", "B=2"], "User": "app", "Labels": {}}});
        let d = diff_configs(&a, &b);
        let keys: Vec<&str> = d.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["config.User", "config.Env", "config.Cmd"]);
    }
}
