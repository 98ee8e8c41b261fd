//! Removing images (what `docker rmi` and `docker image prune` do): which names go, which
//! layers are freed by Docker's accounting (a layer is deleted when no other image's chain
//! holds it), then garbage collection of the blobs nothing reaches.

use std::collections::HashSet;
use std::sync::Arc;

use strata_core::digest::Digest;
use strata_core::error::{Error, Result};
use strata_core::image::{Image, Selector};
use strata_core::reference::Reference;
use strata_core::source::Source;

use crate::{Refs, Store, chain_ids};

/// One line of Docker's removal report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A name was taken off (a fully qualified tag or digest reference).
    Untagged(String),
    /// An image ID or a layer's chain ID was deleted.
    Deleted(String),
}

/// What removing one image did.
#[derive(Debug, Clone, Default)]
pub struct Removal {
    /// The report, in Docker's order: names, the image, then freed layers top first.
    pub lines: Vec<Removed>,
    /// Docker's size of the layers freed.
    pub freed: u64,
}

/// What `rmi NAME` did.
#[derive(Debug, Clone)]
pub enum RmiOutcome {
    /// The name was one tag of several: only it went (the fully qualified tag).
    Untagged(String),
    /// The image went with all its names.
    Removed(Removal),
}

/// `docker rmi NAME`: a tag of an image with several tags only untags; an image named by ID
/// with several tags needs `force` (Docker's conflict error otherwise); else the image goes.
pub fn rmi(store: &Arc<Store>, name: &str, force: bool) -> Result<RmiOutcome> {
    let mut refs = store.refs()?;
    let id = crate::resolve(&refs, name)?;
    let Some(rec) = refs.images.get(&id).cloned() else {
        return Ok(RmiOutcome::Removed(Removal::default()));
    };
    let by_tag = Reference::parse(name)
        .ok()
        .map(|r| r.with_default_tag().to_string())
        .filter(|t| rec.tags.contains(t));
    match by_tag {
        Some(tag) if rec.tags.len() > 1 => {
            refs.untag(&tag);
            store.write_refs(&refs)?;
            return Ok(RmiOutcome::Untagged(tag));
        }
        None if rec.tags.len() > 1 && !force => {
            return Err(Error::Conflict(format!(
                "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                &id[7..19]
            )));
        }
        _ => {}
    }
    Ok(RmiOutcome::Removed(delete_image(store, &mut refs, &id)?))
}

/// `docker image prune`: every dangling image (untagged), or every image with `all`.
pub fn prune(store: &Arc<Store>, all: bool) -> Result<Removal> {
    let mut refs = store.refs()?;
    let ids: Vec<String> = refs
        .images
        .iter()
        .filter(|(_, r)| all || r.tags.is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    let mut total = Removal::default();
    for id in ids {
        let r = delete_image(store, &mut refs, &id)?;
        total.lines.extend(r.lines);
        total.freed += r.freed;
    }
    Ok(total)
}

/// Removes an image with all its names, then collects garbage.
pub fn delete_image(store: &Arc<Store>, refs: &mut Refs, id: &str) -> Result<Removal> {
    let Some(rec) = refs.images.get(id).cloned() else {
        return Ok(Removal::default());
    };
    let source: Arc<dyn Source> = store.clone();
    // This image's layers (diff ID, Docker's size), base first.
    let mine: Vec<(Digest, u64)> =
        Image::open(source.clone(), &Selector::Name(id.to_string()), None)
            .map(|i| {
                i.layers
                    .iter()
                    .map(|l| {
                        let size = l
                            .blob
                            .digest
                            .as_ref()
                            .and_then(|d| store.blob_facts(d))
                            .map(|s| s.docker_size)
                            .unwrap_or(0);
                        (l.diff_id.clone(), size)
                    })
                    .collect()
            })
            .unwrap_or_default();
    let mut others = HashSet::new();
    for other in refs.images.keys().filter(|k| k.as_str() != id) {
        if let Ok(i) = Image::open(source.clone(), &Selector::Name(other.clone()), None) {
            let d: Vec<Digest> = i.layers.iter().map(|l| l.diff_id.clone()).collect();
            others.extend(chain_ids(&d));
        }
    }
    let mut out = Removal::default();
    out.lines.extend(
        rec.tags
            .iter()
            .chain(&rec.digests)
            .cloned()
            .map(Removed::Untagged),
    );
    out.lines.push(Removed::Deleted(id.to_string()));
    let diff_ids: Vec<Digest> = mine.iter().map(|(d, _)| d.clone()).collect();
    for (c, (_, size)) in chain_ids(&diff_ids).iter().zip(mine.iter()).rev() {
        if !others.contains(c) {
            out.lines.push(Removed::Deleted(c.to_string()));
            out.freed += size;
        }
    }
    refs.images.remove(id);
    store.write_refs(refs)?;
    store.gc(refs)?;
    Ok(out)
}
