//! `strata efficiency`'s output: dive's report (text) and its JSON.

use serde_json::json;
use strata_core::ci_rules::{EfficiencyReport, RuleResult, Status};

use crate::units::humanize_bytes;

/// dive's JSON report (pretty-printed, with a final newline).
pub fn json(r: &EfficiencyReport) -> String {
    let e = &r.efficiency;
    let v = json!({
        "image": {
            "sizeBytes": e.size_bytes,
            "inefficientBytes": e.wasted_bytes,
            "efficiencyScore": e.score,
            "userSizeBytes": e.user_size_bytes,
            "userWastedPercent": e.user_wasted_percent,
            "fileReference": e.inefficiencies.iter().map(|i| json!({
                "count": i.count, "sizeBytes": i.cumulative, "file": i.path})).collect::<Vec<_>>(),
        },
        "layer": r.layers.iter().enumerate().map(|(k, (diff_id, command))| json!({
            "index": k,
            "digestId": diff_id.to_string(),
            "sizeBytes": e.layer_sizes.get(k).copied().unwrap_or(0),
            "command": command,
        })).collect::<Vec<_>>(),
        "rules": r.rules.as_ref().map(|r| r.iter().map(|x| json!({
            "rule": x.key, "status": x.status.as_str(), "message": x.message})).collect::<Vec<_>>()),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// dive's text report: the analysis, the inefficient files, and the rules' evaluation.
pub fn text(r: &EfficiencyReport) -> String {
    let e = &r.efficiency;
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
    if let Some(rules) = &r.rules {
        out.push_str("\nEvaluation:\n");
        let mut sorted: Vec<&RuleResult> = rules.iter().collect();
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
        let count = |s: Status| rules.iter().filter(|x| x.status == s).count();
        out.push_str(&format!(
            "\nResult: {} [Total:{}] [Passed:{}] [Failed:{}] [Skipped:{}]\n",
            if r.failed() { "FAIL" } else { "PASS" },
            rules.len(),
            count(Status::Pass),
            count(Status::Fail),
            count(Status::Skip)
        ));
    }
    out
}
