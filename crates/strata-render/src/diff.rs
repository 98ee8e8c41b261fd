//! `strata diff`'s output: text for people, JSON for scripts.

use serde_json::{Value, json};
use strata_core::compare::{ConfigDiff, DiffReport, FileDiff};
use strata_core::digest::Digest;

/// The JSON document (pretty-printed, with a final newline).
pub fn json(r: &DiffReport) -> String {
    let d = &r.diff;
    let [la, lb] = &d.layers;
    let shared = d.shared;
    let (added, deleted, changed) = d.counts();
    let (ta, tb) = d.totals();
    let fd = |f: &FileDiff| json!({"op": f.op.to_string(), "path": f.path, "size1": f.size1, "size2": f.size2, "what": f.what});
    let cd = |c: &ConfigDiff| json!({"key": c.key, "image1": c.old, "image2": c.new});
    let layers = |v: &[(Digest, u64)]| {
        v[shared..]
            .iter()
            .map(|(d, s)| json!({"diffId": d.to_string(), "sizeBytes": s}))
            .collect::<Vec<_>>()
    };
    let v = json!({
        "image1": {"name": r.names[0], "id": r.ids[0].to_string(), "layers": la.len()},
        "image2": {"name": r.names[1], "id": r.ids[1].to_string(), "layers": lb.len()},
        "sharedLayers": shared,
        "sharedBase": r.base,
        "config": d.config.iter().map(cd).collect::<Vec<_>>(),
        "history": {"image1": d.history[0], "image2": d.history[1]},
        "layers": {"image1": layers(la), "image2": layers(lb)},
        "files": d.files.iter().map(fd).collect::<Vec<_>>(),
        "summary": {
            "added": added,
            "deleted": deleted,
            "changed": changed,
            "sizeDelta": tb as i128 - ta as i128,
        },
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_string(),
        other => other.to_string(),
    }
}

/// The text report.
pub fn text(r: &DiffReport) -> String {
    let d = &r.diff;
    let [la, lb] = &d.layers;
    let shared = d.shared;
    let (added, deleted, changed) = d.counts();
    let (ta, tb) = d.totals();
    let mut out = String::new();
    out.push_str(&format!(
        "Image 1: {} ({}, {} layers)\nImage 2: {} ({}, {} layers)\n",
        r.names[0],
        &r.ids[0].hex()[..12],
        la.len(),
        r.names[1],
        &r.ids[1].hex()[..12],
        lb.len()
    ));
    out.push_str(&format!(
        "\nShared base: {shared} layer(s){}\n",
        r.base
            .as_ref()
            .map(|n| format!(" = {n}"))
            .unwrap_or_default()
    ));
    out.push_str("\nLayers after the shared base:\n");
    for (k, (d, s)) in la.iter().enumerate().skip(shared) {
        out.push_str(&format!("  - L{k} {} {s} bytes\n", &d.hex()[..12]));
    }
    for (k, (d, s)) in lb.iter().enumerate().skip(shared) {
        out.push_str(&format!("  + L{k} {} {s} bytes\n", &d.hex()[..12]));
    }
    out.push_str(&format!(
        "  size: {ta} → {tb} bytes ({:+})\n",
        tb as i128 - ta as i128
    ));
    out.push_str("\nConfig:\n");
    if d.config.is_empty() {
        out.push_str("  (same)\n");
    }
    for c in &d.config {
        out.push_str(&format!(
            "  {}: {} → {}\n",
            c.key,
            shown(&c.old),
            shown(&c.new)
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
    out
}
