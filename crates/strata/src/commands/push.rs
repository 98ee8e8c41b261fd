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
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let reference = Reference::parse(&args.name)?;
    if reference.digest_str().is_some() {
        return Err(crate::output::Exit {
            code: 1,
            message: "cannot push a digest reference".into(),
        }
        .into());
    }
    if reference.tag().is_none() && !args.quiet {
        print("Using default tag: latest\n");
    }
    super::daemon_accepts(&args.name)?;
    let store = Arc::new(super::store(ctx, true)?);
    let quiet = args.quiet;
    let on = |l: String| {
        if !quiet {
            print(&format!("{l}\n"));
        }
    };
    let tagged = reference.clone().with_default_tag().to_string();
    if store.refs()?.image_for_tag(&tagged).is_none() {
        on(format!(
            "The push refers to repository [{}]",
            reference.name()
        ));
        return Err(crate::output::Exit {
            code: 1,
            message: format!(
                "An image does not exist locally with the tag: {}",
                reference.familiar_name()
            ),
        }
        .into());
    }
    let client = super::client(ctx, reference.domain())?;
    let out = strata_registry::push::push(store, client, &reference, &ctx.settings, &on)?;
    if quiet {
        print(&format!("{}\n", reference.with_default_tag()));
    }
    let _ = out;
    Ok(ExitCode::SUCCESS)
}
