//! `strata rmi`: `docker rmi`, with Docker's `Untagged:` / `Deleted:` lines and refusals.

use std::process::ExitCode;

use anyhow::Result;
use strata_core::reference::Reference;
use strata_store::remove::{self, Removal, Removed, RmiOutcome};

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

/// Docker's lines for a removal: `Untagged: <familiar name>`, `Deleted: <id>`.
pub fn lines(r: &Removal) -> Vec<(&'static str, String)> {
    r.lines
        .iter()
        .map(|l| match l {
            Removed::Untagged(n) => ("Untagged", familiar(n)),
            Removed::Deleted(id) => ("Deleted", id.clone()),
        })
        .collect()
}

/// Runs `rmi`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let store = std::sync::Arc::new(super::store(ctx, true)?);
    let mut failed = false;
    let mut out = String::new();
    for name in &args.images {
        if name.is_empty() {
            error_line("Error response from daemon: page not found");
            failed = true;
            continue;
        }
        match remove::rmi(&store, name, args.force) {
            Ok(RmiOutcome::Untagged(tag)) => {
                out.push_str(&format!("Untagged: {}\n", familiar(&tag)))
            }
            Ok(RmiOutcome::Removed(r)) => {
                for (verb, what) in lines(&r) {
                    out.push_str(&format!("{verb}: {what}\n"));
                }
            }
            Err(
                e @ (strata_core::Error::InvalidReference(_)
                | strata_core::Error::NoSuchImage(_)
                | strata_core::Error::Conflict(_)),
            ) => {
                error_line(&format!("Error response from daemon: {e}"));
                failed = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    print(&out);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
