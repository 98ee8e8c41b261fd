//! `strata image prune`: `docker image prune`, removing dangling images (or, with `-a`, every
//! image: a store has no containers to keep one in use).

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use crate::output::print;

/// Options of `image prune`.
#[derive(clap::Args)]
pub struct Args {
    /// Remove all unused images, not just dangling ones.
    #[arg(short, long)]
    all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    force: bool,
}

/// Runs `image prune`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    if !args.force {
        let warn = if args.all {
            "WARNING! This will remove all images without at least one container associated to them."
        } else {
            "WARNING! This will remove all dangling images."
        };
        print(&format!(
            "{warn}\nAre you sure you want to continue? [y/N] "
        ));
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let store = Arc::new(super::store(ctx, true)?);
    let removal = strata_store::remove::prune(&store, args.all)?;
    let freed = removal.freed;
    let mut out = String::new();
    for (verb, what) in super::rmi::lines(&removal) {
        out.push_str(&format!("{}: {what}\n", verb.to_lowercase()));
    }
    if !out.is_empty() {
        out.insert_str(0, "Deleted Images:\n");
    }
    print(&format!(
        "{out}\nTotal reclaimed space: {}\n",
        strata_render::units::human_size(freed as f64)
    ));
    Ok(ExitCode::SUCCESS)
}
