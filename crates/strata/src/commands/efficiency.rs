//! `strata efficiency`: wasted space with dive's model, and dive's CI rules.

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::output::print;

/// Options of `efficiency`.
#[derive(clap::Args)]
#[command(
    after_help = "How the numbers are computed (dive's model, so they compare with dive's):
  Each layer is the tree of its own tar entries. Its leaves (files, links, empty directories,
  whiteouts) are discoveries; a leaf weighs its tar size (0 for links and directories); a
  whiteout weighs everything it deletes when it deletes a directory, 0 when a file.
  Per path: count = layers discovering it, cumulative = sum of its weights, min = least.
  efficiency        = sum(min) / sum(cumulative) over all paths (1 when nothing is found)
  wastedBytes       = sum(cumulative) over paths with count >= 2 (the inefficient files)
  userWastedPercent = wastedBytes / (image size without the first layer)
  image size        = sum of every layer's tar entry sizes
CI rules (--ci, or a .strata-ci.yaml with `rules:` lowestEfficiency, highestWastedBytes,
highestUserWastedPercent): a rule fails when efficiency < lowestEfficiency, wastedBytes >
highestWastedBytes (\"20MB\", \"1.5GiB\"), userWastedPercent > highestUserWastedPercent (0-1);
\"disabled\" turns a rule off. Exit status 1 when a rule fails."
)]
pub struct Args {
    /// Evaluate the CI rules and exit 1 when one fails.
    #[arg(long)]
    ci: bool,
    /// CI: the lowest acceptable efficiency (0-1; default 0.9).
    #[arg(long, value_name = "RATIO")]
    lowest_efficiency: Option<String>,
    /// CI: the most wasted bytes allowed ("20MB"; default disabled).
    #[arg(long, value_name = "BYTES")]
    highest_wasted_bytes: Option<String>,
    /// CI: the highest wasted fraction of the user layers (0-1; default 0.1).
    #[arg(long, value_name = "RATIO")]
    highest_user_wasted_percent: Option<String>,
    /// CI rules file (default: .strata-ci.yaml when present).
    #[arg(long, value_name = "FILE")]
    ci_config: Option<std::path::PathBuf>,
    /// Output format: text or json.
    #[arg(long, default_value = "text")]
    format: String,
    #[command(flatten)]
    img: super::ImageArg,
}

/// Runs `efficiency`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    if args.format != "text" && args.format != "json" {
        bail!("unknown --format {:?} (text or json)", args.format);
    }
    let ci = strata_ops::CiOptions {
        enabled: args.ci,
        file: args.ci_config,
        lowest_efficiency: args.lowest_efficiency,
        highest_wasted_bytes: args.highest_wasted_bytes,
        highest_user_wasted_percent: args.highest_user_wasted_percent,
    };
    let report = strata_ops::efficiency(ctx, &args.img.image, args.img.platform.as_deref(), &ci)
        .map_err(super::ops_error)?;
    print(&if args.format == "json" {
        strata_render::efficiency::json(&report)
    } else {
        strata_render::efficiency::text(&report)
    });
    Ok(if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
