//! `strata diff IMAGE1 IMAGE2`: what the second image changes relative to the first.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::output::print;

/// Options of `diff`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format: text or json.
    #[arg(long, default_value = "text")]
    format: String,
    /// Platform of multi-platform images.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "The first image (the base of the comparison)",
        value_name = "IMAGE1"
    )]
    image1: String,
    #[arg(help = "The second image", value_name = "IMAGE2")]
    image2: String,
}

/// Runs `diff`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    if args.format != "text" && args.format != "json" {
        bail!("unknown --format {:?} (text or json)", args.format);
    }
    let names = [args.image1.as_str(), args.image2.as_str()];
    let report =
        strata_ops::diff(ctx, names, args.platform.as_deref()).map_err(super::open_error)?;
    print(&if args.format == "json" {
        strata_render::diff::json(&report)
    } else {
        strata_render::diff::text(&report)
    });
    Ok(ExitCode::SUCCESS)
}
