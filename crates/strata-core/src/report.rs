//! What Docker knows about an image after `docker load`, derived once from an opened
//! [`Image`]: sorted tags, parent, layer facts and Docker's size.

use std::sync::Arc;

use crate::digest::Digest;
use crate::error::Result;
use crate::image::{HistoryEntry, Image, Selector};
use crate::layer::LayerStats;
use crate::manifest::Platform;
use crate::reference::Reference;
use crate::source::Source;

/// Facts about one image, as the daemon would hold them after loading it.
pub struct ImageReport {
    /// The opened image.
    pub image: Image,
    /// `RepoTags` in Docker's order and familiar form.
    pub repo_tags: Vec<String>,
    /// Per-layer facts, base first.
    pub layers: Vec<LayerStats>,
    /// The config's history, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Whether some layer sizes are compressed sizes from a remote manifest, not Docker's.
    pub sizes_estimated: bool,
}

/// Docker's `RepoTags` order: by fully qualified reference bytes, shown familiar, no duplicates.
pub fn sort_repo_tags(names: &[String]) -> Vec<String> {
    let mut refs: Vec<(String, String)> = names
        .iter()
        .filter_map(|n| Reference::parse(n).ok())
        .map(|r| {
            let r = r.with_default_tag();
            (r.to_string(), r.familiar())
        })
        .collect();
    refs.sort();
    refs.dedup();
    refs.into_iter().map(|(_, f)| f).collect()
}

impl ImageReport {
    /// Builds the report, reading every layer once.
    pub fn build(image: Image) -> Result<ImageReport> {
        let (layers, sizes_estimated) = image.layer_stats_without_fetching()?;
        let history = image.history()?;
        Ok(ImageReport {
            repo_tags: sort_repo_tags(&image.names),
            image,
            layers,
            history,
            sizes_estimated,
        })
    }

    /// Docker's `Size`: the sum of the layers' overlay2 sizes.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(|l| l.docker_size).sum()
    }

    /// Parent image ID, or empty when the source does not hold the parent.
    pub fn parent(&self) -> String {
        self.image
            .ancestors
            .first()
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    /// IDs for history rows, newest first: the image, then ancestors the source holds.
    pub fn history_ids(&self) -> Vec<String> {
        std::iter::once(&self.image.id)
            .chain(self.image.ancestors.iter())
            .map(Digest::to_string)
            .collect()
    }
}

/// Another image of the same source whose diff-ID chain is a proper prefix of this one's.
#[derive(Debug, Clone)]
pub struct Base {
    /// How to call it: its first tag, or its short ID.
    pub name: String,
    /// Its image ID.
    pub id: Digest,
    /// How many layers it contributes.
    pub layers: usize,
    /// How many history steps it has (the derived image's own steps follow them).
    pub history_len: usize,
}

/// One image as `docker images` lists it (the daemon's `ImageSummary`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSummary {
    /// `sha256:<hex>`.
    pub id: String,
    /// Familiar tags in Docker's order.
    pub repo_tags: Vec<String>,
    /// Familiar `name@digest` references in Docker's order.
    pub repo_digests: Vec<String>,
    /// The config's `created`, as written.
    pub created: Option<String>,
    /// Docker's size.
    pub size: u64,
    /// The config's labels.
    pub labels: std::collections::BTreeMap<String, String>,
    /// The parent image's ID, or `""`.
    pub parent: String,
}

/// `layers`: an image's build steps paired with its layers, and where its base image ends.
pub struct LayersReport {
    /// The image and its facts.
    pub report: ImageReport,
    /// The base image found for it, if any.
    pub base: Option<Base>,
    /// History entries paired with layers (see [`crate::config::steps`]).
    pub steps: Vec<crate::config::Step>,
    /// The step before which the base image ends: after its own history steps when they are
    /// a prefix of the image's, else before the first layer past its layers.
    pub base_ends_before: Option<usize>,
}

impl LayersReport {
    /// Pairs the steps of `report` and places the end of `base`.
    pub fn new(report: ImageReport, base: Option<Base>) -> LayersReport {
        let steps = crate::config::steps(&report.history, report.layers.len());
        let base_ends_before = base.as_ref().and_then(|b| base_ends_before(&steps, b));
        LayersReport {
            report,
            base,
            steps,
            base_ends_before,
        }
    }

    /// How many of the image's layers the base contributes.
    pub fn base_layers(&self) -> usize {
        self.base.as_ref().map_or(0, |b| b.layers)
    }
}

/// The step before which `base` ends: after its own history steps when they are a prefix of
/// the image's, else before the first layer past its layers.
pub fn base_ends_before(steps: &[crate::config::Step], base: &Base) -> Option<usize> {
    let by_history = Some(base.history_len).filter(|&n| n > 0 && n <= steps.len());
    (0..steps.len()).find(|&pos| match by_history {
        Some(n) => pos == n,
        None => steps[pos].layer.is_some_and(|i| i >= base.layers),
    })
}

/// The name of an image of `source` whose layers are exactly `chain` (its first tag in
/// Docker's order, else its short ID), to name a shared base.
pub fn image_with_chain(source: Arc<dyn Source>, chain: &[Digest]) -> Option<String> {
    if chain.is_empty() {
        return None;
    }
    let candidates = source.candidates().ok()?;
    (0..candidates.len()).find_map(|i| {
        let img = Image::open(source.clone(), &Selector::Index(i), None).ok()?;
        let ids: Vec<&Digest> = img.layers.iter().map(|l| &l.diff_id).collect();
        (ids.len() == chain.len() && ids.iter().zip(chain).all(|(a, b)| *a == b)).then(|| {
            sort_repo_tags(&img.names)
                .into_iter()
                .next()
                .unwrap_or_else(|| img.id.short().to_string())
        })
    })
}

/// Finds the longest base among the other images of `source`.
pub fn find_base(
    source: Arc<dyn Source>,
    image: &Image,
    platform: Option<&Platform>,
) -> Option<Base> {
    let candidates = source.candidates().ok()?;
    let mine: Vec<&Digest> = image.layers.iter().map(|l| &l.diff_id).collect();
    let mut best: Option<Base> = None;
    for i in 0..candidates.len() {
        // Opening may read layers (a pre-1.10 archive's): with the image's own settings.
        let Ok(other) = Image::open_with(
            source.clone(),
            &Selector::Index(i),
            platform,
            image.settings().clone(),
        ) else {
            continue;
        };
        if other.id == image.id {
            continue;
        }
        let theirs: Vec<&Digest> = other.layers.iter().map(|l| &l.diff_id).collect();
        if theirs.is_empty() || theirs.len() >= mine.len() || mine[..theirs.len()] != theirs[..] {
            continue;
        }
        if best.as_ref().is_some_and(|b| b.layers >= theirs.len()) {
            continue;
        }
        let name = sort_repo_tags(&other.names)
            .into_iter()
            .next()
            .unwrap_or_else(|| other.id.short().to_string());
        best = Some(Base {
            name,
            id: other.id.clone(),
            layers: theirs.len(),
            history_len: other.history().map(|h| h.len()).unwrap_or(0),
        });
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Step;

    fn base(layers: usize, history_len: usize) -> Base {
        Base {
            name: "base".into(),
            id: Digest::sha256_of(b"base"),
            layers,
            history_len,
        }
    }

    #[test]
    fn the_base_ends_after_its_own_history_steps() {
        // base: ADD (layer 0), CMD; image: ADD, CMD, RUN (layer 1)
        let s = |layer| Step {
            history: Some(0),
            layer,
        };
        let steps = [s(Some(0)), s(None), s(Some(1))];
        assert_eq!(base_ends_before(&steps, &base(1, 2)), Some(2));
        // Without usable history (squashed or rewritten), at the first layer past its own.
        assert_eq!(base_ends_before(&steps, &base(1, 0)), Some(2));
        assert_eq!(base_ends_before(&steps, &base(1, 9)), Some(2));
        // A base that is the whole image ends nowhere inside it.
        assert_eq!(base_ends_before(&steps, &base(2, 3)), None);
        assert_eq!(base_ends_before(&steps, &base(2, 0)), None);
    }
}
