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

/// Runs `rmi`.
pub fn run(args: Args) -> Result<ExitCode> {
    let store = std::sync::Arc::new(super::store(true)?);
    let mut failed = false;
    let mut out = String::new();
    for name in &args.images {
        let mut refs = store.refs()?;
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
        // Layers this image uses that no other image does, topmost first (chain IDs).
        let source: std::sync::Arc<dyn Source> = store.clone();
        let mine = Image::open(source.clone(), &Selector::Name(id.clone()), None)
            .map(|i| {
                i.layers
                    .iter()
                    .map(|l| l.diff_id.clone())
                    .collect::<Vec<Digest>>()
            })
            .unwrap_or_default();
        let mut others = std::collections::HashSet::new();
        for other in refs.images.keys().filter(|k| **k != id) {
            if let Ok(i) = Image::open(source.clone(), &Selector::Name(other.clone()), None) {
                let d: Vec<Digest> = i.layers.iter().map(|l| l.diff_id.clone()).collect();
                others.extend(strata_store::chain_ids(&d));
            }
        }
        for t in &rec.tags {
            out.push_str(&format!("Untagged: {}\n", familiar(t)));
        }
        for d in &rec.digests {
            out.push_str(&format!("Untagged: {}\n", familiar(d)));
        }
        out.push_str(&format!("Deleted: {id}\n"));
        for c in strata_store::chain_ids(&mine).iter().rev() {
            if !others.contains(c) {
                out.push_str(&format!("Deleted: {c}\n"));
            }
        }
        refs.images.remove(&id);
        store.write_refs(&refs)?;
        store.gc(&refs)?;
    }
    print(&out);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
