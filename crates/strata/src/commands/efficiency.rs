//! `strata efficiency`: wasted space with dive's model, and dive's CI rules.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use strata_core::ci_rules::{self, RuleResult, Rules, Status};
use strata_core::efficiency;

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

pub use strata_render::units::humanize_bytes;

/// Runs `efficiency`.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.format != "text" && args.format != "json" {
        bail!("unknown --format {:?} (text or json)", args.format);
    }
    let (_, image) = super::open_image(&args.img.image, args.img.platform.as_deref())?;
    let mut analysis = efficiency::Analyzer::new();
    image.each_index(|_, ix| {
        analysis.add_layer(ix);
        Ok(())
    })?;
    let e = analysis.finish();
    // Rules: flags win over the file, the file over dive's defaults.
    let mut r = Rules::default();
    let cfg = args
        .ci_config
        .clone()
        .or_else(|| Some(std::path::PathBuf::from(".strata-ci.yaml")).filter(|p| p.exists()));
    let ci = args.ci || args.ci_config.is_some();
    if let Some(p) = &cfg {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        r.apply_file(&p.display().to_string(), &text)?;
    }
    if let Some(v) = &args.lowest_efficiency {
        r.lowest_efficiency = v.clone();
    }
    if let Some(v) = &args.highest_wasted_bytes {
        r.highest_wasted_bytes = v.clone();
    }
    if let Some(v) = &args.highest_user_wasted_percent {
        r.highest_user_wasted_percent = v.clone();
    }
    let rules = if ci {
        Some(ci_rules::evaluate(&e, &r)?)
    } else {
        None
    };
    let failed = rules
        .as_ref()
        .is_some_and(|r| r.iter().any(|x| x.status == Status::Fail));
    if args.format == "json" {
        let history = image.history().unwrap_or_default();
        let steps: Vec<&str> = strata_core::config::layer_history(&history, image.layers.len())
            .into_iter()
            .map(|h| h.map_or("", |h| h.created_by.as_str()))
            .collect();
        let v = serde_json::json!({
            "image": {
                "sizeBytes": e.size_bytes,
                "inefficientBytes": e.wasted_bytes,
                "efficiencyScore": e.score,
                "userSizeBytes": e.user_size_bytes,
                "userWastedPercent": e.user_wasted_percent,
                "fileReference": e.inefficiencies.iter().map(|i| serde_json::json!({
                    "count": i.count, "sizeBytes": i.cumulative, "file": i.path})).collect::<Vec<_>>(),
            },
            "layer": image.layers.iter().enumerate().map(|(k, l)| serde_json::json!({
                "index": k,
                "digestId": l.diff_id.to_string(),
                "sizeBytes": e.layer_sizes.get(k).copied().unwrap_or(0),
                "command": steps.get(k).copied().unwrap_or(""),
            })).collect::<Vec<_>>(),
            "rules": rules.as_ref().map(|r| r.iter().map(|x| serde_json::json!({
                "rule": x.key, "status": x.status.as_str(), "message": x.message})).collect::<Vec<_>>()),
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    } else {
        let mut out = String::from("Analysis:\n");
        let (wb, uw) = if e.wasted_bytes > 0 {
            (
                format!(" ({})", humanize_bytes(e.wasted_bytes)),
                format!("{:.2} %", e.user_wasted_percent * 100.0),
            )
        } else {
            (String::new(), "0 %".to_string())
        };
        out.push_str(&format!("  efficiency: {:.2} %\n", e.score * 100.0));
        out.push_str(&format!("  wastedBytes: {} bytes{wb}\n", e.wasted_bytes));
        out.push_str(&format!("  userWastedPercent: {uw}\n"));
        out.push_str(&format!(
            "  sizeBytes: {} (user layers: {})\n\n",
            e.size_bytes, e.user_size_bytes
        ));
        if e.inefficiencies.is_empty() {
            out.push_str("Inefficient Files: (None)\n");
        } else {
            out.push_str("Inefficient Files:\n");
            out.push_str(&format!(
                "  {:<5}  {:<12}  File Path\n",
                "Count", "Wasted Space"
            ));
            for i in &e.inefficiencies {
                out.push_str(&format!(
                    "  {:<5}  {:<12}  {}\n",
                    i.count,
                    humanize_bytes(i.cumulative),
                    i.path
                ));
            }
        }
        if let Some(r) = &rules {
            out.push_str("\nEvaluation:\n");
            let mut sorted: Vec<&RuleResult> = r.iter().collect();
            sorted.sort_by_key(|x| x.key);
            for x in sorted {
                if x.message.is_empty() {
                    out.push_str(&format!("  {}  {}\n", x.status.as_str(), x.key));
                } else {
                    out.push_str(&format!(
                        "  {}  {} ({})\n",
                        x.status.as_str(),
                        x.key,
                        x.message
                    ));
                }
            }
            let count = |s: Status| r.iter().filter(|x| x.status == s).count();
            out.push_str(&format!(
                "\nResult: {} [Total:{}] [Passed:{}] [Failed:{}] [Skipped:{}]\n",
                if failed { "FAIL" } else { "PASS" },
                r.len(),
                count(Status::Pass),
                count(Status::Fail),
                count(Status::Skip)
            ));
        }
        print(&out);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn humanize_like_go() {
        assert_eq!(humanize_bytes(7), "7 B");
        assert_eq!(humanize_bytes(1200), "1.2 kB");
        assert_eq!(humanize_bytes(82_854_982), "83 MB");
    }
}
