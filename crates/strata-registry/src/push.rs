//! `push`: local store → registry, as the copy engine's copy into a [`RegistrySink`]: blobs
//! the repository already has are skipped (`HEAD`), the rest are verified by the layer pass
//! as they are read and then uploaded; the config and the manifest go last.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata_core::copy::{self, LayerStatus};
use strata_core::settings::Settings;

use strata_core::image::{Image, Selector};
use strata_core::reference::Reference;
use strata_core::source::Source;
use strata_store::Store;

use crate::client::{Client, Payload, push_scope};
use crate::sink::RegistrySink;
use crate::{RegistryError, Result};

/// How many layers upload at once (Docker's default is 5; two cores verify them).
pub const CONCURRENT_UPLOADS: usize = 3;

/// The result of a push.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Digest of the manifest pushed.
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// Layers uploaded (the others were there already).
    pub uploaded: usize,
}

/// Pushes the store's image named `reference` to its registry, printing Docker's lines.
pub fn push(
    store: Arc<Store>,
    client: Arc<Client>,
    reference: &Reference,
    settings: &Settings,
    on: &(dyn Fn(String) + Sync),
) -> Result<Outcome> {
    let reference = reference.clone().with_default_tag();
    let refs = store.refs()?;
    let id = strata_store::resolve(&refs, &reference.to_string())?;
    let rec = refs
        .images
        .get(&id)
        .ok_or_else(|| RegistryError::NotFound(format!("No such image: {reference}")))?
        .clone();
    let source: Arc<dyn Source> = store.clone();
    let image = Image::open_with(source, &Selector::Name(id), None, settings.clone())?;
    let repo = reference.path().to_string();
    let scope = push_scope(&repo);
    on(format!(
        "The push refers to repository [{}]",
        reference.name()
    ));
    // Docker lists layers top first, by diff ID.
    for l in image.layers.iter().rev() {
        on(format!("{}: Preparing", &l.diff_id.hex()[..12]));
    }
    if let Some(l) = image.layers.iter().find(|l| l.blob.digest.is_none()) {
        return Err(RegistryError::Protocol(format!(
            "layer {} has no digest",
            l.diff_id
        )));
    }
    let sink = RegistrySink::new(client.clone(), &repo);
    let uploaded = AtomicUsize::new(0);
    let short = |i: usize| image.layers[i].diff_id.hex()[..12].to_string();
    let copied = copy::copy_layers(
        &image,
        &sink,
        &copy::Options {
            concurrency: CONCURRENT_UPLOADS,
            resumable: false,
            once_per_blob: true,
        },
        &|l| image.layer_what(l),
        &|e| match e.status {
            LayerStatus::AlreadyExists => on(format!("{}: Layer already exists", short(e.index))),
            LayerStatus::PullComplete => {
                uploaded.fetch_add(1, Ordering::Relaxed);
                on(format!("{}: Pushed", short(e.index)));
            }
            _ => {}
        },
    );
    if let Err(e) = copied {
        return Err(sink.take_failure().unwrap_or(RegistryError::Core(e)));
    }
    let uploaded = uploaded.load(Ordering::Relaxed);
    let config = &image.id;
    if !client.has_blob(&repo, config, &scope)? {
        client.upload_blob(&repo, config, Payload::Bytes(&image.config_bytes))?;
    }
    let manifest = image
        .manifest_bytes
        .clone()
        .ok_or_else(|| RegistryError::Protocol(format!("{reference}: no manifest in store")))?;
    let tag = reference.tag().unwrap_or("latest").to_string();
    client.put_manifest(&repo, &tag, &manifest, &rec.media_type)?;
    let digest = strata_core::digest::Digest::sha256_of(&manifest).to_string();
    // Docker records the pushed digest as a RepoDigest of the local image.
    let mut refs = store.refs()?;
    if let Some(r) = refs.images.get_mut(image.id.to_string().as_str()) {
        let rd = format!("{}@{digest}", reference.name());
        if !r.digests.contains(&rd) {
            r.digests.push(rd);
            store.write_refs(&refs)?;
        }
    }
    on(format!("{tag}: digest: {digest} size: {}", manifest.len()));
    Ok(Outcome {
        digest,
        size: manifest.len() as u64,
        uploaded,
    })
}
