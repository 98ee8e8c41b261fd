//! `push`: local store → registry. Blobs the repository already has are skipped (`HEAD`);
//! the rest are uploaded straight from the store's files; the manifest goes last.

use std::sync::Arc;

use strata_core::image::{Image, Selector};
use strata_core::reference::Reference;
use strata_core::source::Source;
use strata_store::Store;

use crate::client::{Client, Payload, push_scope};
use crate::{RegistryError, Result};

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
    on: &dyn Fn(String),
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
    let image = Image::open(source, &Selector::Name(id), None)?;
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
    let mut uploaded = 0;
    for l in image.layers.iter().rev() {
        let Some(d) = &l.blob.digest else {
            return Err(RegistryError::Protocol(format!(
                "layer {} has no digest",
                l.diff_id
            )));
        };
        let line = if client.has_blob(&repo, d, &scope)? {
            "Layer already exists"
        } else {
            client.upload_blob(&repo, d, Payload::File(&store.blob_file(d)?))?;
            uploaded += 1;
            "Pushed"
        };
        on(format!("{}: {line}", &l.diff_id.hex()[..12]));
    }
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
