//! `strata layers`: one row per layer with its digests, sizes and the build step that made
//! it, metadata-only steps between, and where the base image ends.

use std::process::ExitCode;

use anyhow::Result;

use crate::output::print;

/// Options of `layers`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format: `table` (default) or `json`.
    #[arg(long, default_value = "table")]
    format: String,
    /// Don't truncate digests and build steps.
    #[arg(long)]
    no_trunc: bool,
    /// Choose this platform from a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "The image: docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]",
        value_name = "IMAGE"
    )]
    image: String,
}

/// Runs `layers`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    if args.format != "json" && args.format != "table" {
        anyhow::bail!("unknown --format {:?}: use table or json", args.format);
    }
    let r = strata_ops::layers(ctx, &args.image, args.platform.as_deref())
        .map_err(super::open_error)?;
    super::note_estimated(&r.report);
    print(&if args.format == "json" {
        strata_render::layers::json(&r)
    } else {
        strata_render::layers::table(&r, args.no_trunc)
    });
    Ok(ExitCode::SUCCESS)
}
