//! `strata images`: `docker images` over the local store.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use strata_render::images::{ImageInfo, ImagesOptions, check_filters, list_images, render_list};

use crate::output::{Exit, print};

/// Options of `images`.
#[derive(clap::Args)]
pub struct Args {
    /// Show all images (default hides intermediate images).
    #[arg(short, long)]
    all: bool,
    /// Show digests.
    #[arg(long)]
    digests: bool,
    /// Filter output based on conditions provided.
    #[arg(short, long = "filter", value_name = "FILTER")]
    filter: Vec<String>,
    /// Format output using a custom template.
    #[arg(long)]
    format: Option<String>,
    /// Don't truncate output.
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    quiet: bool,
    #[arg(help = "REPOSITORY[:TAG]", value_name = "REPOSITORY")]
    reference: Option<String>,
}

/// Runs `images`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    check_filters(&args.filter).map_err(|e| Exit {
        code: 125,
        message: format!("invalid argument for \"-f, --filter\" flag: {e}"),
    })?;
    let infos: Vec<ImageInfo> = strata_store::summaries(Arc::new(super::store(ctx, false)?))?
        .iter()
        .map(ImageInfo::from_summary)
        .collect();
    let opts = ImagesOptions {
        all: args.all,
        quiet: args.quiet,
        digests: args.digests,
        no_trunc: args.no_trunc,
        filters: args.filter,
        format: args.format,
        reference: args.reference,
        now_nanos: super::now_nanos(),
        local_offset: super::local_offset,
        local_zone_name: std::env::var("TZ")
            .ok()
            .filter(|z| !z.is_empty() && z != "UTC" && z != "Etc/UTC")
            .map(|_| jiff::tz::TimeZone::system())
            .and_then(|tz| {
                jiff::Timestamp::now()
                    .to_zoned(tz)
                    .strftime("%Z")
                    .to_string()
                    .into()
            })
            .unwrap_or_else(|| "UTC".to_string()),
    };
    let listed = list_images(&infos, &opts).map_err(|e| Exit {
        code: 1,
        message: format!("Error response from daemon: {e}"),
    })?;
    let text = render_list(&listed, &opts).map_err(|e| Exit {
        code: 1,
        message: format!("template parsing error: {e}"),
    })?;
    print(&text);
    Ok(ExitCode::SUCCESS)
}
