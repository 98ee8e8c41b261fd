//! `strata diff IMAGE1 IMAGE2`: what the second image changes relative to the first.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde_json::{Value, json};
use strata_core::compare::{self, ConfigDiff, FileDiff};
use strata_core::digest::Digest;
use strata_core::image::Image;
use strata_core::tree;

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

fn diff_ids(i: &Image) -> Vec<Digest> {
    i.layers.iter().map(|l| l.diff_id.clone()).collect()
}

/// A store image whose layers are exactly `chain`, to name the shared base.
fn known_base(chain: &[Digest]) -> Option<String> {
    if chain.is_empty() {
        return None;
    }
    let store = super::store(false).ok()?;
    let refs = store.refs().ok()?;
    let source: std::sync::Arc<dyn strata_core::source::Source> = std::sync::Arc::new(store);
    for (id, rec) in &refs.images {
        let Ok(img) = Image::open(
            source.clone(),
            &strata_core::image::Selector::Name(id.clone()),
            None,
        ) else {
            continue;
        };
        if diff_ids(&img) == chain {
            let tags = strata_core::report::sort_repo_tags(&rec.tags);
            return Some(
                tags.into_iter()
                    .next()
                    .unwrap_or_else(|| id[7..19].to_string()),
            );
        }
    }
    None
}

fn layer_sizes(ix: &[tree::LayerIndex]) -> Vec<u64> {
    ix.iter()
        .map(|l| {
            l.changes()
                .map(|c| match c {
                    tree::Change::Put(_, n) if n.kind == tree::Kind::File => n.size,
                    _ => 0,
                })
                .sum()
        })
        .collect()
}

/// Runs `diff`.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.format != "text" && args.format != "json" {
        bail!("unknown --format {:?} (text or json)", args.format);
    }
    let (_, a) = super::open_image(&args.image1, args.platform.as_deref())?;
    let (_, b) = super::open_image(&args.image2, args.platform.as_deref())?;
    let (da, db) = (diff_ids(&a), diff_ids(&b));
    let shared = compare::shared_layers(&da, &db);
    // Name the shared chain after an image that is exactly it: one of the two, or the store's.
    let base_name = if shared == da.len() && shared > 0 {
        Some(args.image1.clone())
    } else if shared == db.len() && shared > 0 {
        Some(args.image2.clone())
    } else {
        known_base(&da[..shared])
    };
    let (ia, ib) = (a.indexes()?, b.indexes()?);
    let ta = tree::merge_quiet(&a.source().describe(), &ia)?;
    let tb = tree::merge_quiet(&b.source().describe(), &ib)?;
    let files = compare::diff_trees(&ta, &tb);
    let config = compare::diff_configs(&a.config, &b.config);
    let ha = a.history()?;
    let hb = b.history()?;
    let common_h = ha
        .iter()
        .zip(hb.iter())
        .take_while(|(x, y)| x.created_by == y.created_by && x.created == y.created)
        .count();
    let (sa, sb) = (layer_sizes(&ia), layer_sizes(&ib));
    if args.format == "json" {
        let fd = |f: &FileDiff| json!({"op": f.op.to_string(), "path": f.path, "size1": f.size1, "size2": f.size2, "what": f.what});
        let cd = |c: &ConfigDiff| json!({"key": c.key, "image1": c.old, "image2": c.new});
        let v = json!({
            "image1": {"name": args.image1, "id": a.id.to_string(), "layers": da.len()},
            "image2": {"name": args.image2, "id": b.id.to_string(), "layers": db.len()},
            "sharedLayers": shared,
            "sharedBase": base_name,
            "config": config.iter().map(cd).collect::<Vec<_>>(),
            "history": {
                "image1": ha[common_h..].iter().map(|h| h.created_by.clone()).collect::<Vec<_>>(),
                "image2": hb[common_h..].iter().map(|h| h.created_by.clone()).collect::<Vec<_>>(),
            },
            "layers": {
                "image1": da[shared..].iter().zip(&sa[shared..]).map(|(d, s)| json!({"diffId": d.to_string(), "sizeBytes": s})).collect::<Vec<_>>(),
                "image2": db[shared..].iter().zip(&sb[shared..]).map(|(d, s)| json!({"diffId": d.to_string(), "sizeBytes": s})).collect::<Vec<_>>(),
            },
            "files": files.iter().map(fd).collect::<Vec<_>>(),
            "summary": {
                "added": files.iter().filter(|f| f.op == 'A').count(),
                "deleted": files.iter().filter(|f| f.op == 'D').count(),
                "changed": files.iter().filter(|f| f.op == 'C').count(),
                "sizeDelta": sb.iter().sum::<u64>() as i128 - sa.iter().sum::<u64>() as i128,
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
        da.len(),
        args.image2,
        &b.id.hex()[..12],
        db.len()
    ));
    out.push_str(&format!(
        "\nShared base: {shared} layer(s){}\n",
        base_name.map(|n| format!(" = {n}")).unwrap_or_default()
    ));
    out.push_str("\nLayers after the shared base:\n");
    for (k, (d, s)) in da.iter().zip(&sa).enumerate().skip(shared) {
        out.push_str(&format!("  - L{k} {} {s} bytes\n", &d.hex()[..12]));
    }
    for (k, (d, s)) in db.iter().zip(&sb).enumerate().skip(shared) {
        out.push_str(&format!("  + L{k} {} {s} bytes\n", &d.hex()[..12]));
    }
    let (ta_sum, tb_sum): (u64, u64) = (sa.iter().sum(), sb.iter().sum());
    out.push_str(&format!(
        "  size: {ta_sum} → {tb_sum} bytes ({:+})\n",
        tb_sum as i128 - ta_sum as i128
    ));
    out.push_str("\nConfig:\n");
    if config.is_empty() {
        out.push_str("  (same)\n");
    }
    for c in &config {
        out.push_str(&format!(
            "  {}: {} → {}\n",
            c.key,
            compact(&c.old),
            compact(&c.new)
        ));
    }
    out.push_str("\nHistory:\n");
    if common_h == ha.len() && common_h == hb.len() {
        out.push_str("  (same)\n");
    }
    for h in &ha[common_h..] {
        out.push_str(&format!("  - {}\n", h.created_by.replace('\n', " ")));
    }
    for h in &hb[common_h..] {
        out.push_str(&format!("  + {}\n", h.created_by.replace('\n', " ")));
    }
    out.push_str(&format!(
        "\nFiles: {} added, {} deleted, {} changed\n",
        files.iter().filter(|f| f.op == 'A').count(),
        files.iter().filter(|f| f.op == 'D').count(),
        files.iter().filter(|f| f.op == 'C').count()
    ));
    for f in &files {
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
