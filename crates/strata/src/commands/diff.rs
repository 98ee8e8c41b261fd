//! `strata diff IMAGE1 IMAGE2`: what the second image changes relative to the first.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde_json::{Value, json};
use strata_core::compare::{ConfigDiff, FileDiff, ImageDiff};
use strata_core::digest::Digest;

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

/// A store image whose layers are exactly `chain`, to name the shared base.
fn known_base(chain: &[Digest]) -> Option<String> {
    let store = super::store(false).ok()?;
    strata_core::report::image_with_chain(std::sync::Arc::new(store), chain)
}

/// Runs `diff`.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.format != "text" && args.format != "json" {
        bail!("unknown --format {:?} (text or json)", args.format);
    }
    let (_, a) = super::open_image(&args.image1, args.platform.as_deref())?;
    let (_, b) = super::open_image(&args.image2, args.platform.as_deref())?;
    let d = ImageDiff::build(&a, &b)?;
    let [la, lb] = &d.layers;
    let shared = d.shared;
    // Name the shared chain after an image that is exactly it: one of the two, or the store's.
    let base_name = if shared == la.len() && shared > 0 {
        Some(args.image1.clone())
    } else if shared == lb.len() && shared > 0 {
        Some(args.image2.clone())
    } else {
        known_base(
            &la[..shared]
                .iter()
                .map(|(d, _)| d.clone())
                .collect::<Vec<_>>(),
        )
    };
    let (added, deleted, changed) = d.counts();
    let (ta_sum, tb_sum) = d.totals();
    if args.format == "json" {
        let fd = |f: &FileDiff| json!({"op": f.op.to_string(), "path": f.path, "size1": f.size1, "size2": f.size2, "what": f.what});
        let cd = |c: &ConfigDiff| json!({"key": c.key, "image1": c.old, "image2": c.new});
        let layers = |v: &[(Digest, u64)]| {
            v[shared..]
                .iter()
                .map(|(d, s)| json!({"diffId": d.to_string(), "sizeBytes": s}))
                .collect::<Vec<_>>()
        };
        let v = json!({
            "image1": {"name": args.image1, "id": a.id.to_string(), "layers": la.len()},
            "image2": {"name": args.image2, "id": b.id.to_string(), "layers": lb.len()},
            "sharedLayers": shared,
            "sharedBase": base_name,
            "config": d.config.iter().map(cd).collect::<Vec<_>>(),
            "history": {"image1": d.history[0], "image2": d.history[1]},
            "layers": {"image1": layers(la), "image2": layers(lb)},
            "files": d.files.iter().map(fd).collect::<Vec<_>>(),
            "summary": {
                "added": added,
                "deleted": deleted,
                "changed": changed,
                "sizeDelta": tb_sum as i128 - ta_sum as i128,
            },
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&v)?));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    out.push_str(&format!(
        "Image 1: {} ({}, {} layers)\nImage 2: {} ({}, {} layers)\n",
        args.image1,
        &a.id.hex()[..12],
        la.len(),
        args.image2,
        &b.id.hex()[..12],
        lb.len()
    ));
    out.push_str(&format!(
        "\nShared base: {shared} layer(s){}\n",
        base_name.map(|n| format!(" = {n}")).unwrap_or_default()
    ));
    out.push_str("\nLayers after the shared base:\n");
    for (k, (d, s)) in la.iter().enumerate().skip(shared) {
        out.push_str(&format!("  - L{k} {} {s} bytes\n", &d.hex()[..12]));
    }
    for (k, (d, s)) in lb.iter().enumerate().skip(shared) {
        out.push_str(&format!("  + L{k} {} {s} bytes\n", &d.hex()[..12]));
    }
    out.push_str(&format!(
        "  size: {ta_sum} → {tb_sum} bytes ({:+})\n",
        tb_sum as i128 - ta_sum as i128
    ));
    out.push_str("\nConfig:\n");
    if d.config.is_empty() {
        out.push_str("  (same)\n");
    }
    for c in &d.config {
        out.push_str(&format!(
            "  {}: {} → {}\n",
            c.key,
            compact(&c.old),
            compact(&c.new)
        ));
    }
    out.push_str("\nHistory:\n");
    if d.history[0].is_empty() && d.history[1].is_empty() {
        out.push_str("  (same)\n");
    }
    for h in &d.history[0] {
        out.push_str(&format!("  - {}\n", h.replace('\n', " ")));
    }
    for h in &d.history[1] {
        out.push_str(&format!("  + {}\n", h.replace('\n', " ")));
    }
    out.push_str(&format!(
        "\nFiles: {added} added, {deleted} deleted, {changed} changed\n"
    ));
    for f in &d.files {
        match f.op {
            'A' => out.push_str(&format!("A {} {}\n", f.path, f.size2)),
            'D' => out.push_str(&format!("D {} {}\n", f.path, f.size1)),
            _ => out.push_str(&format!(
                "C {} {} → {} ({})\n",
                f.path,
                f.size1,
                f.size2,
                f.what.join(", ")
            )),
        }
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

fn compact(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_string(),
        other => other.to_string(),
    }
}
