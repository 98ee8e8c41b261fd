//! `strata history`: `docker history`.

use std::process::ExitCode;

use anyhow::Result;
use strata_core::report::ImageReport;
use strata_render::FormatError;
use strata_render::history::{Options, render, rows};

use crate::output::{Exit, print};

/// Options of `history`.
#[derive(clap::Args)]
pub struct Args {
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template).
    #[arg(long)]
    format: Option<String>,
    /// Print sizes and dates in human readable format.
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    human: bool,
    /// Don't truncate output.
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    quiet: bool,
    /// Choose this platform from a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "The image: docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]",
        value_name = "IMAGE"
    )]
    image: String,
}

/// Runs `history`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let format = match args.format.as_deref() {
        Some("json") => Some("{{json .}}".to_string()),
        other => other.map(str::to_string),
    };
    if args.image.is_empty() {
        // `/images//history` matches no route of the daemon's API.
        return Err(Exit {
            code: 1,
            message: "Error response from daemon: page not found".into(),
        }
        .into());
    }
    let (_, image) = super::open_image(ctx, &args.image, args.platform.as_deref())?;
    let report = ImageReport::build(image)?;
    super::note_estimated(&report);
    let sizes: Vec<u64> = report.layers.iter().map(|l| l.docker_size).collect();
    let rows = rows(&report.history, &sizes, &report.history_ids());
    let opts = Options {
        trunc: !args.no_trunc,
        human: args.human,
        quiet: args.quiet,
        format,
        now_nanos: super::now_nanos(),
        local_offset: super::local_offset,
    };
    match render(&rows, &opts) {
        Ok(text) => {
            print(&text);
            Ok(ExitCode::SUCCESS)
        }
        // docker history reports both kinds as "template parsing error", exit 1.
        Err(FormatError::Parse(m)) | Err(FormatError::Execute(m)) => Err(Exit {
            code: 1,
            message: format!("template parsing error: {m}"),
        }
        .into()),
    }
}
