//! `strata push`: `docker push` from the local store.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use strata_core::reference::Reference;

use crate::output::print;

/// Options of `push`.
#[derive(clap::Args)]
pub struct Args {
    /// Suppress verbose output.
    #[arg(short, long)]
    quiet: bool,
    #[arg(help = "The image to push: NAME[:TAG]", value_name = "NAME")]
    name: String,
}

/// Runs `push`.
pub fn run(args: Args) -> Result<ExitCode> {
    let reference = Reference::parse(&args.name)?;
    if reference.tag().is_none() && !args.quiet {
        print("Using default tag: latest\n");
    }
    let client = super::client(reference.domain())?;
    let store = Arc::new(super::store(true)?);
    let quiet = args.quiet;
    let on = |l: String| {
        if !quiet {
            print(&format!("{l}\n"));
        }
    };
    let out = strata_registry::push::push(store, client, &reference, &on)?;
    if quiet {
        print(&format!("{}\n", reference.with_default_tag()));
    }
    let _ = out;
    Ok(ExitCode::SUCCESS)
}
