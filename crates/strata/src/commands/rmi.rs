//! `strata rmi`: `docker rmi`, with Docker's `Untagged:` / `Deleted:` lines and refusals.

use std::process::ExitCode;

use anyhow::Result;
use strata_core::digest::Digest;
use strata_core::image::{Image, Selector};
use strata_core::reference::Reference;
use strata_core::source::Source;

use crate::output::{error_line, print};

/// Options of `rmi`.
#[derive(clap::Args)]
pub struct Args {
    /// Force removal of the image.
    #[arg(short, long)]
    force: bool,
    /// Images to remove.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

fn familiar(full: &str) -> String {
    Reference::parse(full)
        .map(|r| r.familiar())
        .unwrap_or_else(|_| full.to_string())
}

/// Removes an image with all its names, then collects garbage. Returns Docker's lines
/// (`("Untagged", name)`, `("Deleted", id)`) and the bytes freed (Docker's layer sizes).
pub fn delete_image(
    store: &std::sync::Arc<strata_store::Store>,
    refs: &mut strata_store::Refs,
    id: &str,
) -> Result<(Vec<(&'static str, String)>, u64)> {
    let Some(rec) = refs.images.get(id).cloned() else {
        return Ok((Vec::new(), 0));
    };
    // Layers this image uses that no other image does, topmost first (chain IDs).
    let source: std::sync::Arc<dyn Source> = store.clone();
    let mine = Image::open(source.clone(), &Selector::Name(id.to_string()), None)
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
                .collect::<Vec<(Digest, u64)>>()
        })
        .unwrap_or_default();
    let mut others = std::collections::HashSet::new();
    for other in refs.images.keys().filter(|k| k.as_str() != id) {
        if let Ok(i) = Image::open(source.clone(), &Selector::Name(other.clone()), None) {
            let d: Vec<Digest> = i.layers.iter().map(|l| l.diff_id.clone()).collect();
            others.extend(strata_store::chain_ids(&d));
        }
    }
    let mut lines = Vec::new();
    for t in &rec.tags {
        lines.push(("Untagged", familiar(t)));
    }
    for d in &rec.digests {
        lines.push(("Untagged", familiar(d)));
    }
    lines.push(("Deleted", id.to_string()));
    let diff_ids: Vec<Digest> = mine.iter().map(|(d, _)| d.clone()).collect();
    let mut freed = 0;
    for (c, (_, size)) in strata_store::chain_ids(&diff_ids)
        .iter()
        .zip(mine.iter())
        .rev()
    {
        if !others.contains(c) {
            lines.push(("Deleted", c.to_string()));
            freed += size;
        }
    }
    refs.images.remove(id);
    store.write_refs(refs)?;
    store.gc(refs)?;
    Ok((lines, freed))
}

/// Runs `rmi`.
pub fn run(args: Args) -> Result<ExitCode> {
    let store = std::sync::Arc::new(super::store(true)?);
    let mut failed = false;
    let mut out = String::new();
    for name in &args.images {
        let mut refs = store.refs()?;
        if name.is_empty() {
            error_line("Error response from daemon: page not found");
            failed = true;
            continue;
        }
        let id = match strata_store::resolve(&refs, name) {
            Ok(id) => id,
            Err(e) => {
                error_line(&format!("Error response from daemon: {e}"));
                failed = true;
                continue;
            }
        };
        let Some(rec) = refs.images.get(&id).cloned() else {
            continue;
        };
        let by_tag = Reference::parse(name)
            .ok()
            .map(|r| r.with_default_tag().to_string())
            .filter(|t| rec.tags.contains(t));
        if let Some(tag) = &by_tag {
            if rec.tags.len() > 1 {
                refs.untag(tag);
                store.write_refs(&refs)?;
                out.push_str(&format!("Untagged: {}\n", familiar(tag)));
                continue;
            }
        } else if rec.tags.len() > 1 && !args.force {
            error_line(&format!(
                "Error response from daemon: conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                &id[7..19]
            ));
            failed = true;
            continue;
        }
        let (lines, _) = delete_image(&store, &mut refs, &id)?;
        for (verb, what) in lines {
            out.push_str(&format!("{verb}: {what}\n"));
        }
    }
    print(&out);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
