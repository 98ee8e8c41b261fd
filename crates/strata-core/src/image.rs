//! An image opened from any [`Source`]: manifest (or index resolved to one platform), config,
//! and layers, each read through a size cap and verified against its digest.

use std::sync::Arc;

use serde_json::Value;

use crate::digest::{Digest, verify};
use crate::error::{Error, Result};
use crate::facts_cache::FactsCache;
use crate::files::read_member_capped;
use crate::gojson;
use crate::layer::{self, IndexBuilder, IndexCache, LayerIndex, LayerStats};
use crate::manifest::{Descriptor, MAX_JSON, Manifest, Platform, media};
use crate::reference::Reference;
use crate::settings::Settings;
use crate::source::{Candidate, LayerRef, Locator, Root, Source};

/// Which image of a source to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The only image (or the one for the platform).
    Default,
    /// The image with this name (a tag reference or an OCI ref name).
    Name(String),
    /// The N-th image, counting from 0 (`@N`).
    Index(usize),
}

/// One layer of an opened image.
#[derive(Debug, Clone)]
pub struct ImageLayer {
    /// Where and what the blob is.
    pub blob: LayerRef,
    /// The diff ID the config lists for it.
    pub diff_id: Digest,
}

pub use crate::config::HistoryEntry;

/// An opened image.
pub struct Image {
    source: Arc<dyn Source>,
    /// Names the source gives the image (RepoTags).
    pub names: Vec<String>,
    /// Digest of the manifest, when the image has one.
    pub manifest_digest: Option<Digest>,
    /// Raw manifest bytes, when the image has a manifest.
    pub manifest_bytes: Option<Vec<u8>>,
    /// Image ID: the digest of the config bytes.
    pub id: Digest,
    /// Raw config bytes, exactly as stored.
    pub config_bytes: Vec<u8>,
    /// Parsed config (key order preserved).
    pub config: Value,
    /// Layers, base first.
    pub layers: Vec<ImageLayer>,
    /// IDs of this image's ancestors that the same source holds, nearest first.
    pub ancestors: Vec<Digest>,
    /// The settings its layer reads run with.
    settings: Settings,
}

fn what_blob(source: &dyn Source, d: &Digest) -> String {
    format!("{}: blob {d}", source.describe())
}

/// Reads a JSON blob named by a descriptor: capped, size- and digest-checked.
pub fn read_json_blob(source: &dyn Source, desc: &Descriptor) -> Result<Vec<u8>> {
    let what = what_blob(source, &desc.digest);
    if desc.size < 0 {
        return Err(Error::malformed(
            what,
            format!("the descriptor gives a negative size ({})", desc.size),
        ));
    }
    if desc.size as u64 > MAX_JSON {
        return Err(Error::LimitExceeded {
            what,
            limit: format!("{MAX_JSON} bytes"),
        });
    }
    let m = source.open_descriptor(desc)?;
    let bytes = read_member_capped(m, &what, MAX_JSON)?;
    if bytes.len() as u64 != desc.size as u64 {
        return Err(Error::SizeMismatch {
            what,
            expected: desc.size as u64,
            actual: bytes.len() as u64,
        });
    }
    let actual = Digest::sha256_of(&bytes);
    if desc.digest.algorithm() == crate::digest::Algorithm::Sha256 {
        verify(&what, &desc.digest, &actual)?;
    } else if !desc.digest.matches(&bytes) {
        return Err(Error::DigestMismatch {
            what,
            expected: desc.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(bytes)
}

fn normalized(name: &str) -> Option<String> {
    Reference::parse(name)
        .ok()
        .map(|r| r.with_default_tag().to_string())
}

fn is_attestation(d: &Descriptor) -> bool {
    let unknown = d
        .platform
        .as_ref()
        .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
    let ann = d
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("vnd.docker.reference.type"));
    unknown || ann
}

fn choose<'a>(
    source: &dyn Source,
    candidates: &'a [Candidate],
    selector: &Selector,
    platform: &Platform,
) -> Result<(usize, &'a Candidate)> {
    let listing = || {
        candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let n = c
                    .names
                    .first()
                    .cloned()
                    .or_else(|| c.ref_name.clone())
                    .unwrap_or_else(|| "<untagged>".to_string());
                format!("@{i} {n}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match selector {
        Selector::Index(i) => candidates.get(*i).map(|c| (*i, c)).ok_or_else(|| {
            Error::NoSuchImage(format!(
                "{}: no image @{i}; it holds {} ({})",
                source.describe(),
                candidates.len(),
                listing()
            ))
        }),
        Selector::Name(name) => {
            let want = normalized(name);
            candidates
                .iter()
                .enumerate()
                .find(|(_, c)| {
                    c.ref_name.as_deref() == Some(name.as_str())
                        || c.names
                            .iter()
                            .any(|n| n == name || (want.is_some() && normalized(n) == want))
                })
                .ok_or_else(|| {
                    Error::NoSuchImage(format!(
                        "{}: no image named {name:?} (it holds: {})",
                        source.describe(),
                        listing()
                    ))
                })
        }
        Selector::Default => {
            if candidates.len() == 1 {
                return Ok((0, &candidates[0]));
            }
            // A pre-1.10 archive lists the untagged ancestors of its images too.
            let tops: Vec<(usize, &Candidate)> = candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| !(matches!(c.root, Root::V1 { .. }) && c.names.is_empty()))
                .collect();
            if tops.len() == 1 && candidates.iter().all(|c| matches!(c.root, Root::V1 { .. })) {
                return Ok(tops[0]);
            }
            // Several platform variants listed directly in index.json: pick by platform.
            let by_platform: Vec<(usize, &Candidate)> = candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| match &c.root {
                    Root::Manifest(d) => d.platform.as_ref().is_some_and(|p| platform.matches(p)),
                    Root::Legacy { .. } | Root::V1 { .. } => false,
                })
                .collect();
            if let Some(first) = by_platform.first() {
                if candidates
                    .iter()
                    .all(|c| c.names.is_empty() && c.ref_name.is_none())
                {
                    return Ok(*first);
                }
            }
            Err(Error::InvalidInput(format!(
                "{} holds {} images; choose one with :NAME or :@N ({})",
                source.describe(),
                candidates.len(),
                listing()
            )))
        }
    }
}

impl Image {
    /// Opens the image `selector` names in `source`, resolving indexes to `platform`
    /// (the host's when `None`).
    pub fn open(
        source: Arc<dyn Source>,
        selector: &Selector,
        platform: Option<&Platform>,
    ) -> Result<Image> {
        Image::open_with(source, selector, platform, Settings::default())
    }

    /// [`Image::open`] with the settings every layer read of it (at open and after) runs
    /// with: the layer ceiling, the facts cache, where progress goes.
    pub fn open_with(
        source: Arc<dyn Source>,
        selector: &Selector,
        platform: Option<&Platform>,
        settings: Settings,
    ) -> Result<Image> {
        let host = Platform::host();
        let platform = platform.unwrap_or(&host);
        let candidates = source.candidates()?;
        let (_, cand) = choose(source.as_ref(), &candidates, selector, platform)?;
        let src = source.as_ref();
        let ancestors = match &cand.parent {
            Some(p) => ancestors_in(src, &candidates, p),
            None => Vec::new(),
        };
        let mut image = match &cand.root {
            Root::V1 { chain } => {
                Image::open_v1(source.clone(), cand.names.clone(), chain, &settings)?
            }
            Root::Legacy { config, layers } => {
                let what = format!("{}: {config}", src.describe());
                let m = src.open(&Locator::Path(config.clone()))?;
                let bytes = read_member_capped(m, &what, MAX_JSON)?;
                let id = Digest::sha256_of(&bytes);
                if let Some(named) = Digest::from_blob_path(config) {
                    verify(&what, &named, &id)?;
                }
                Image::assemble(
                    source.clone(),
                    cand.names.clone(),
                    None,
                    None,
                    id,
                    bytes,
                    layers.clone(),
                    ancestors,
                )?
            }
            Root::Manifest(desc) => {
                let mut desc = desc.clone();
                let mut depth = 0;
                loop {
                    depth += 1;
                    if depth > 4 {
                        return Err(Error::malformed(
                            what_blob(src, &desc.digest),
                            "indexes nested too deeply",
                        ));
                    }
                    let what = what_blob(src, &desc.digest);
                    let bytes = read_json_blob(src, &desc)?;
                    match Manifest::parse(&what, &bytes, Some(&desc.media_type))? {
                        Manifest::Index(idx) => {
                            let usable: Vec<&Descriptor> = idx
                                .manifests
                                .iter()
                                .filter(|d| !is_attestation(d))
                                .collect();
                            // containerd's `images.Manifest`: the matching entries, best
                            // first by the matcher's preference, index order breaking ties.
                            let matcher = crate::platform::Matcher::only(platform);
                            let mut matching: Vec<(&Descriptor, &Platform)> = usable
                                .iter()
                                .filter_map(|d| d.platform.as_ref().map(|p| (*d, p)))
                                .filter(|(_, p)| matcher.matches(p))
                                .collect();
                            matching.sort_by(|a, b| matcher.order(a.1, b.1));
                            let pick = matching.first().map(|(d, _)| d).or_else(|| {
                                // A single entry without a platform: take it.
                                (usable.len() == 1 && usable[0].platform.is_none())
                                    .then(|| &usable[0])
                            });
                            match pick {
                                Some(d) => desc = (*d).clone(),
                                None => {
                                    let present: Vec<String> = usable
                                        .iter()
                                        .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
                                        .collect();
                                    return Err(Error::NoSuchImage(format!(
                                        "{what}: no image for platform {platform}; platforms present: {}",
                                        if present.is_empty() {
                                            "none".to_string()
                                        } else {
                                            present.join(", ")
                                        }
                                    )));
                                }
                            }
                        }
                        Manifest::Image(m) => {
                            let cmt = m.config.media_type.as_str();
                            if cmt != media::DOCKER_CONFIG && cmt != media::OCI_CONFIG {
                                return Err(Error::NotAnImage {
                                    what,
                                    reason: format!(
                                        "config media type {cmt:?}{}",
                                        m.artifact_type
                                            .as_deref()
                                            .map(|a| format!(", artifact type {a:?}"))
                                            .unwrap_or_default()
                                    ),
                                });
                            }
                            let mut layers = Vec::new();
                            for l in &m.layers {
                                if !media::is_layer(&l.media_type) {
                                    return Err(Error::UnsupportedMediaType {
                                        what: format!("{what}: layer {}", l.digest),
                                        media_type: l.media_type.clone(),
                                    });
                                }
                                layers.push(LayerRef {
                                    locator: Locator::Digest(l.digest.clone()),
                                    media_type: l.media_type.clone(),
                                    digest: Some(l.digest.clone()),
                                    size: u64::try_from(l.size).ok(),
                                });
                            }
                            let config_bytes = read_json_blob(src, &m.config)?;
                            let id = m.config.digest.clone();
                            break Image::assemble(
                                source.clone(),
                                cand.names.clone(),
                                Some(desc.digest.clone()),
                                Some(bytes),
                                id,
                                config_bytes,
                                layers,
                                ancestors,
                            )?;
                        }
                    }
                }
            }
        };
        image.names.retain(|n| !n.is_empty());
        image.settings = settings;
        Ok(image)
    }

    /// The settings its layer reads run with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A pre-1.10 image: the config `docker load` builds from each v1 JSON of the chain and
    /// the diff IDs of its layers (read once, then known from the facts cache); the chain's
    /// other images are its ancestors, as Docker loads them.
    fn open_v1(
        source: Arc<dyn Source>,
        names: Vec<String>,
        chain: &[String],
        settings: &Settings,
    ) -> Result<Image> {
        let src = source.as_ref();
        let facts = source
            .facts_cache()
            .unwrap_or_else(|| FactsCache::for_settings(settings));
        let mut diff_ids = Vec::new();
        let mut history = Vec::new();
        let mut layers = Vec::new();
        let mut ids: Vec<Digest> = Vec::new();
        let mut config = Vec::new();
        for v1 in chain {
            let json_path = format!("{v1}/json");
            let what = format!("{}: {json_path}", src.describe());
            let j = read_member_capped(src.open(&Locator::Path(json_path))?, &what, MAX_JSON)?;
            let parsed: Value = serde_json::from_slice(&j)
                .map_err(|e| Error::malformed(&what, format!("invalid JSON: {e}")))?;
            let layer_path = format!("{v1}/layer.tar");
            let m = src.open(&Locator::Path(layer_path.clone()))?;
            let size = m.size;
            let cached = m.identity.as_ref().and_then(|id| facts.get(id));
            let stats = match cached {
                Some(s) => s,
                None => {
                    let identity = m.identity.clone();
                    let s = layer::scan(
                        &format!("{}: layer {layer_path}", src.describe()),
                        m.reader,
                        &layer::Expect {
                            digest: None,
                            size: Some(size),
                            diff_id: None,
                        },
                        settings,
                    )?;
                    if let Some(id) = identity {
                        facts.put(&id, &s);
                    }
                    s
                }
            };
            diff_ids.push(stats.diff_id.clone());
            history.push(crate::v1::history_entry(&parsed));
            layers.push(LayerRef {
                locator: Locator::Path(layer_path),
                media_type: media::DOCKER_LAYER_TAR.to_string(),
                digest: None,
                size: Some(size),
            });
            config = crate::v1::make_config(&j, &diff_ids, &history)
                .map_err(|e| Error::malformed(&what, e.to_string()))?;
            ids.push(Digest::sha256_of(&config));
        }
        let id = ids
            .pop()
            .ok_or_else(|| Error::malformed(src.describe(), "empty v1 chain"))?;
        ids.reverse();
        Image::assemble(source, names, None, None, id, config, layers, ids)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        source: Arc<dyn Source>,
        names: Vec<String>,
        manifest_digest: Option<Digest>,
        manifest_bytes: Option<Vec<u8>>,
        id: Digest,
        config_bytes: Vec<u8>,
        layers: Vec<LayerRef>,
        ancestors: Vec<Digest>,
    ) -> Result<Image> {
        let what = format!("{}: config {id}", source.describe());
        let config: Value = gojson::parse(&config_bytes)
            .map_err(|e| Error::malformed(&what, format!("invalid JSON: {e}")))?;
        if !config.is_object() {
            return Err(Error::malformed(&what, "config is not a JSON object"));
        }
        gojson::check_int_fields(&config_bytes).map_err(|e| Error::malformed(&what, e))?;
        let rootfs = gojson::get(&config, "rootfs")
            .filter(|v| v.is_object())
            .ok_or_else(|| Error::malformed(&what, "invalid image JSON, no RootFS key"))?;
        let diff_ids: Vec<Digest> = match gojson::get(rootfs, "diff_ids") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| {
                            Error::malformed(&what, "rootfs.diff_ids holds a non-string")
                        })
                        .and_then(|s| {
                            Digest::parse(s).map_err(|_| {
                                Error::malformed(&what, format!("invalid diff ID {s:?}"))
                            })
                        })
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(Error::malformed(&what, "rootfs.diff_ids is not an array")),
        };
        if diff_ids.len() != layers.len() {
            return Err(Error::malformed(
                &what,
                format!(
                    "config lists {} diff IDs but the image has {} layers",
                    diff_ids.len(),
                    layers.len()
                ),
            ));
        }
        let image = Image {
            source,
            names,
            manifest_digest,
            manifest_bytes,
            id,
            config_bytes,
            layers: layers
                .into_iter()
                .zip(diff_ids)
                .map(|(blob, diff_id)| ImageLayer { blob, diff_id })
                .collect(),
            config,
            ancestors,
            settings: Settings::default(),
        };
        let history = image.history()?;
        let non_empty = history.iter().filter(|h| !h.empty_layer).count();
        if non_empty > image.layers.len() {
            return Err(Error::malformed(
                &what,
                "too many non-empty layers in History section",
            ));
        }
        Ok(image)
    }

    /// The source this image was read from.
    pub fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    /// The config's `history`, oldest first (see [`crate::config::history`]).
    pub fn history(&self) -> Result<Vec<HistoryEntry>> {
        crate::config::history(&self.config).map_err(|why| {
            Error::malformed(
                format!("{}: config {}", self.source.describe(), self.id),
                why,
            )
        })
    }

    /// Facts without reading remote layers: cached facts where there are some, else the
    /// manifest's blob size standing in for the size (the flag says whether any did).
    pub fn layer_stats_without_fetching(&self) -> Result<(Vec<LayerStats>, bool)> {
        if !self.source.is_remote() {
            return Ok((self.layer_stats()?, false));
        }
        let cache = self.facts();
        let mut estimated = false;
        let mut out = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            match self.cached(l, &cache)? {
                Some(s) => out.push(s),
                None => {
                    estimated = true;
                    let compression = if l.blob.media_type.contains("zstd") {
                        layer::Compression::Zstd
                    } else if l.blob.media_type.contains("gzip") {
                        layer::Compression::Gzip
                    } else {
                        layer::Compression::None
                    };
                    let size = l.blob.size.unwrap_or(0);
                    out.push(LayerStats {
                        digest: l.blob.digest.clone().unwrap_or_else(|| l.diff_id.clone()),
                        compressed_size: size,
                        diff_id: l.diff_id.clone(),
                        uncompressed_size: 0,
                        docker_size: size,
                        compression,
                        entries: 0,
                    });
                }
            }
        }
        Ok((out, estimated))
    }

    /// The index cache beside the facts cache (the store's own, or the user's).
    fn index_cache(&self) -> IndexCache {
        match self.facts().sibling("layer-index") {
            Some(dir) => IndexCache::at(dir),
            None => IndexCache::disabled(),
        }
    }

    fn facts(&self) -> FactsCache {
        self.source
            .facts_cache()
            .unwrap_or_else(|| FactsCache::for_settings(&self.settings))
    }

    /// Reads every layer once (in parallel), verifying digests and diff IDs, and returns
    /// their facts, base first. Layers whose bytes were read before are answered from the
    /// facts cache.
    pub fn layer_stats(&self) -> Result<Vec<LayerStats>> {
        let cache = self.facts();
        // Cache hits are answered here; only misses are read, in parallel.
        let mut done: Vec<Option<LayerStats>> = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            done.push(self.cached(l, &cache)?);
        }
        let misses: Vec<usize> = (0..self.layers.len())
            .filter(|&i| done[i].is_none())
            .collect();
        let read = crate::pool::run(
            misses.len(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            |k| self.read_layer(misses[k], &mut []),
        )?;
        for (k, s) in read.into_iter().enumerate() {
            done[misses[k]] = Some(s);
        }
        done.into_iter()
            .map(|d| {
                d.ok_or_else(|| Error::malformed(self.source.describe(), "layer scan incomplete"))
            })
            .collect()
    }

    /// Reads layer `i` once through the layer interpreter with `visitors`, verifying its
    /// digest, size and diff ID, and records its facts. What the visitors gathered may be used
    /// only when this returns `Ok`.
    pub fn read_layer(
        &self,
        i: usize,
        visitors: &mut [&mut dyn layer::Visitor],
    ) -> Result<LayerStats> {
        let l = &self.layers[i];
        let what = self.layer_what(l);
        let m = self.source.open(&l.blob.locator)?;
        let identity = m.identity.clone();
        let stats = layer::read(&what, m.reader, &Self::expect(l), visitors, &self.settings)?;
        if let Some(id) = identity {
            self.facts().put(&id, &stats);
        }
        Ok(stats)
    }

    /// Every layer's index, base first. A cached index (keyed by diff ID) serves a layer only
    /// when these very bytes were verified to have that diff ID (their facts say so);
    /// otherwise the layer is read once, which gives its facts and its index together.
    pub fn indexes(&self) -> Result<Vec<LayerIndex>> {
        let facts = self.facts();
        let cache = self.index_cache();
        crate::pool::run(self.layers.len(), crate::pool::layer_threads(), |i| {
            let l = &self.layers[i];
            if self.cached(l, &facts)?.is_some() {
                if let Some(ix) = cache.get(&l.diff_id) {
                    return Ok(ix);
                }
            }
            let ix = self.build_index(i)?;
            cache.put(&ix);
            Ok(ix)
        })
    }

    /// Every layer's index without its content digests (smaller), for views of names and
    /// metadata: from the cache when these bytes were verified, else built as [`Image::indexes`]
    /// builds them.
    pub fn indexes_without_digests(&self) -> Result<Vec<LayerIndex>> {
        let facts = self.facts();
        let cache = self.index_cache();
        crate::pool::run(self.layers.len(), crate::pool::layer_threads(), |i| {
            let l = &self.layers[i];
            if self.cached(l, &facts)?.is_some() {
                if let Some(ix) = cache.get_without_digests(&l.diff_id) {
                    return Ok(ix);
                }
            }
            let ix = self.build_index(i)?;
            cache.put(&ix);
            Ok(ix)
        })
    }

    fn build_index(&self, i: usize) -> Result<LayerIndex> {
        let mut b = IndexBuilder::new();
        let stats = self.read_layer(i, &mut [&mut b])?;
        Ok(b.finish(stats.diff_id))
    }

    /// Every layer's index in order, one at a time, for analyses of paths and sizes that need
    /// not hold the whole image: missing indexes are built (in parallel, with the same
    /// verification as [`Image::indexes`]) and cached, then each is read back (without its
    /// content digests) and dropped after `f`.
    pub fn each_index(&self, mut f: impl FnMut(usize, &LayerIndex) -> Result<()>) -> Result<()> {
        let facts = self.facts();
        let cache = self.index_cache();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut kept: Vec<Option<LayerIndex>> =
            crate::pool::run(self.layers.len(), threads, |i| {
                let l = &self.layers[i];
                if self.cached(l, &facts)?.is_some() && cache.has(&l.diff_id) {
                    return Ok(None);
                }
                let ix = self.build_index(i)?;
                // Kept in memory only when it could not be cached.
                Ok((!cache.put(&ix)).then_some(ix))
            })?;
        for (i, slot) in kept.iter_mut().enumerate() {
            let ix = match slot.take() {
                Some(ix) => ix,
                None => match cache.get_without_digests(&self.layers[i].diff_id) {
                    Some(ix) => ix,
                    None => self.build_index(i)?,
                },
            };
            f(i, &ix)?;
        }
        Ok(())
    }

    /// How errors name a layer of this image (`<source>: layer <digest or member>`).
    pub fn layer_what(&self, l: &ImageLayer) -> String {
        match &l.blob.locator {
            Locator::Digest(d) => format!("{}: layer {d}", self.source.describe()),
            Locator::Path(p) => format!("{}: layer {p}", self.source.describe()),
        }
    }

    fn expect<'a>(l: &'a ImageLayer) -> layer::Expect<'a> {
        layer::Expect {
            digest: l.blob.digest.as_ref(),
            size: l.blob.size,
            diff_id: Some(&l.diff_id),
        }
    }

    /// Facts from the cache, checked against the manifest and config; `None` on a miss.
    fn cached(&self, l: &ImageLayer, cache: &FactsCache) -> Result<Option<LayerStats>> {
        let m = self.source.open(&l.blob.locator)?;
        let Some(stats) = m.identity.as_ref().and_then(|id| cache.get(id)) else {
            return Ok(None);
        };
        layer::check(&self.layer_what(l), &Self::expect(l), &stats)?;
        Ok(Some(stats))
    }
}

fn ancestors_in(src: &dyn Source, candidates: &[Candidate], parent: &str) -> Vec<Digest> {
    // Each entry's image ID (known, or the digest of its config member) and its parent.
    let mut ids: Vec<(Digest, Option<String>)> = Vec::new();
    for c in candidates {
        let id = match (&c.id, &c.root) {
            (Some(id), _) => Digest::parse(id).ok(),
            (None, Root::Legacy { config, .. }) => src
                .open(&Locator::Path(config.clone()))
                .ok()
                .and_then(|m| read_member_capped(m, config, MAX_JSON).ok())
                .map(|b| Digest::sha256_of(&b)),
            (None, Root::Manifest(_) | Root::V1 { .. }) => None,
        };
        if let Some(id) = id {
            ids.push((id, c.parent.clone()));
        }
    }
    let mut out = Vec::new();
    let mut next = Some(parent.to_string());
    while let Some(p) = next.take() {
        let Some((id, pp)) = ids.iter().find(|(id, _)| id.to_string() == p) else {
            break;
        };
        if out.contains(id) {
            break;
        }
        out.push(id.clone());
        next = pp.clone();
    }
    out
}
