//! `pull`: registry → local store, as the copy engine's copy (`strata_core::copy`): three
//! layers at once, each verified in the pass that writes it into the store's resumable blob
//! writer (a partial download is continued with a `Range` request by the next pull; per-blob
//! locks let concurrent pulls share work). Names change last, under the store's exclusive lock.

use std::sync::Arc;

use serde_json::Value;
use strata_core::copy;
use strata_core::digest::Digest;
use strata_core::error::Error;
use strata_core::image::{Image, Selector};
use strata_core::layer::LayerStats;
use strata_core::manifest::{Platform, media};
use strata_core::reference::Reference;
use strata_core::settings::Settings;
use strata_store::{ImageRecord, Store};

use crate::client::Client;
use crate::source::{RegistrySource, top_digest};
use crate::{RegistryError, Result};

/// How many layers download at once (Docker's default).
pub const CONCURRENT_DOWNLOADS: usize = 3;

/// What a pull reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// The pull began (Docker's first line: `<tag>: Pulling from <repository path>`).
    Pulling {
        /// The tag, or `name@digest` for a pull by digest.
        head: String,
        /// The repository's path.
        repo: String,
    },
    /// A layer's state changed.
    Layer {
        /// The 12-hex layer ID Docker shows.
        id: String,
        /// Its new state.
        status: LayerStatus,
    },
}

pub use strata_core::copy::LayerStatus;

/// The result of a pull.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Image ID.
    pub id: String,
    /// The digest the registry gave for the reference (index or manifest).
    pub digest: Digest,
    /// `Status: …` line.
    pub status: String,
    /// The fully normalised reference (Docker's last line).
    pub reference: String,
    /// How many layer bytes were fetched.
    pub fetched: u64,
}

/// Pull options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The platform to pick from an index (the host's when `None`).
    pub platform: Option<Platform>,
    /// The settings the layer reads run with (ceiling, cache).
    pub settings: Settings,
}

/// Pulls `reference` into `store` (which may be held with a shared lock; this takes the
/// exclusive one for the final name update).
pub fn pull(
    store: &Store,
    client: Arc<Client>,
    reference: &Reference,
    opts: &Options,
    on: &(dyn Fn(Event) + Sync),
) -> Result<Outcome> {
    let reference = if reference.digest().is_none() {
        reference.clone().with_default_tag()
    } else {
        reference.clone()
    };
    let repo = reference.path().to_string();
    let source = Arc::new(RegistrySource::new(client.clone(), reference.clone()));
    let image = Image::open_with(
        source.clone(),
        &Selector::Default,
        opts.platform.as_ref(),
        opts.settings.clone(),
    )?;
    let top = top_digest(&source)?;
    let head = match reference.digest() {
        Some(d) => format!("{}@{d}", reference.name()),
        None => reference.tag().unwrap_or("latest").to_string(),
    };
    on(Event::Pulling {
        head,
        repo: repo.clone(),
    });

    let id = image.id.to_string();
    let present = store.refs()?.images.contains_key(&id);
    let mut stats: Vec<Option<LayerStats>> = vec![None; image.layers.len()];
    let mut fetched = 0u64;
    if !present {
        let domain = client.domain().to_string();
        let copied = copy::copy_layers(
            &image,
            store,
            &copy::Options {
                concurrency: CONCURRENT_DOWNLOADS,
                resumable: true,
                once_per_blob: true,
            },
            &|l| {
                let d = l.blob.digest.as_ref().unwrap_or(&l.diff_id);
                format!("{domain}/{repo}: layer {d}")
            },
            &|e| {
                on(Event::Layer {
                    id: e.id,
                    status: e.status,
                })
            },
        )
        .map_err(to_registry)?;
        fetched = copied.fetched;
        stats = copied.layers;
    }
    store.put_bytes(&image.config_bytes)?;
    let manifest_bytes = image
        .manifest_bytes
        .clone()
        .ok_or_else(|| RegistryError::Protocol(format!("{}: no manifest", reference)))?;
    let media_type = serde_json::from_slice::<Value>(&manifest_bytes)
        .ok()
        .and_then(|v| {
            v.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
    let manifest_digest = store.put_bytes(&manifest_bytes)?;

    // Names move last, under the exclusive lock, on a fresh read of the records.
    store.lock_exclusive()?;
    let mut refs = store.refs()?;
    for l in &image.layers {
        if let Some(d) = &l.blob.digest {
            if !store.has_blob(d) {
                return Err(RegistryError::Protocol(format!(
                    "blob {d} vanished from the store during the pull (a concurrent prune?); pull again"
                )));
            }
        }
    }
    let docker_size: u64 = if let Some(rec) = refs.images.get(&id) {
        rec.docker_size
    } else {
        let mut sum = 0;
        for (i, l) in image.layers.iter().enumerate() {
            let s = match stats[i].take() {
                Some(s) => s,
                None => l
                    .blob
                    .digest
                    .as_ref()
                    .and_then(|d| store.blob_facts(d))
                    .ok_or_else(|| {
                        RegistryError::Protocol(format!("no facts for layer {}", l.diff_id))
                    })?,
            };
            sum += s.docker_size;
        }
        sum
    };
    let was = match reference.tag() {
        Some(_) => refs
            .image_for_tag(&reference.to_string())
            .map(str::to_string),
        None => None,
    };
    let repo_digest = format!("{}@{top}", reference.name());
    let had_digest = refs
        .images
        .get(&id)
        .is_some_and(|r| r.digests.contains(&repo_digest));
    if let Some(old) = &was {
        if old != &id {
            refs.untag(&reference.to_string());
        }
    }
    let rec = refs.images.entry(id.clone()).or_insert_with(|| {
        ImageRecord::new(
            manifest_digest.to_string(),
            media_type,
            manifest_bytes.len() as u64,
            docker_size,
            &image.config,
        )
    });
    if reference.tag().is_some() && !rec.tags.contains(&reference.to_string()) {
        rec.tags.push(reference.to_string());
    }
    if !rec.digests.contains(&repo_digest) {
        rec.digests.push(repo_digest);
    }
    store.write_refs(&refs)?;
    let up_to_date = match reference.tag() {
        Some(_) => was.as_deref() == Some(id.as_str()),
        None => had_digest,
    };
    let status = if up_to_date {
        format!("Status: Image is up to date for {}", reference.familiar())
    } else {
        format!(
            "Status: Downloaded newer image for {}",
            reference.familiar()
        )
    };
    Ok(Outcome {
        id,
        digest: top,
        status,
        reference: reference.to_string(),
        fetched,
    })
}

fn to_registry(e: Error) -> RegistryError {
    RegistryError::Core(e)
}
