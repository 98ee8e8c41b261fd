//! `strata layers`'s output: a table of build steps and layers with the base image's end
//! marked, or the same as JSON.

use serde_json::{Map, Value, json};
use strata_core::digest::Digest;
use strata_core::report::LayersReport;

use crate::tabwriter::TabWriter;
use crate::units::human_size_with_precision;
use crate::width::ellipsis;

/// The JSON document (pretty-printed, with a final newline).
pub fn json(r: &LayersReport) -> String {
    let rep = &r.report;
    let steps: Vec<Value> = r
        .steps
        .iter()
        .map(|st| {
            let h = st.history.map(|i| &rep.history[i]);
            let mut m = Map::new();
            m.insert("index".into(), st.layer.map_or(Value::Null, Value::from));
            m.insert(
                "created".into(),
                h.and_then(|h| h.created.clone())
                    .map_or(Value::Null, Value::String),
            );
            m.insert(
                "created_by".into(),
                Value::String(h.map(|h| h.created_by.clone()).unwrap_or_default()),
            );
            m.insert(
                "comment".into(),
                Value::String(h.map(|h| h.comment.clone()).unwrap_or_default()),
            );
            m.insert(
                "empty_layer".into(),
                Value::Bool(h.is_some_and(|h| h.empty_layer)),
            );
            m.insert(
                "layer".into(),
                match st.layer.and_then(|i| rep.layers.get(i).map(|s| (i, s))) {
                    Some((i, s)) => json!({
                        "diff_id": s.diff_id.to_string(),
                        "digest": s.digest.to_string(),
                        "media_type": rep.image.layers[i].blob.media_type,
                        "compression": s.compression.name(),
                        "compressed_size": s.compressed_size,
                        "uncompressed_size": s.uncompressed_size,
                        "size": s.docker_size,
                        "entries": s.entries,
                        "in_base": i < r.base_layers(),
                    }),
                    None => Value::Null,
                },
            );
            Value::Object(m)
        })
        .collect();
    let doc = json!({
        "id": rep.image.id.to_string(),
        "repo_tags": rep.repo_tags,
        "size": rep.size(),
        "base": r.base.as_ref().map(|b| json!({"name": b.name, "id": b.id.to_string(), "layers": b.layers})),
        "steps": steps,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The table; `no_trunc` keeps digests and build steps whole.
pub fn table(r: &LayersReport, no_trunc: bool) -> String {
    let rep = &r.report;
    let short = |d: &Digest| {
        if no_trunc {
            d.to_string()
        } else {
            d.short().to_string()
        }
    };
    let mut t = TabWriter::docker();
    t.write("#\tDIFF ID\tDIGEST\tSIZE\tTAR SIZE\tBLOB SIZE\tMEDIA TYPE\tCREATED BY\n");
    for (pos, st) in r.steps.iter().enumerate() {
        if r.base_ends_before == Some(pos) {
            if let Some(b) = &r.base {
                t.write(&format!(
                    "──\t\t\t\t\t\t\t── base image {} ({}) ends here: {} layer{} ──\n",
                    b.name,
                    b.id.short(),
                    b.layers,
                    if b.layers == 1 { "" } else { "s" }
                ));
            }
        }
        let created_by = st
            .history
            .map(|i| rep.history[i].created_by.replace('\t', " "))
            .unwrap_or_else(|| "<no history entry>".into());
        let created_by = if no_trunc {
            created_by
        } else {
            ellipsis(&created_by, 45)
        };
        match st.layer.and_then(|i| rep.layers.get(i).map(|s| (i, s))) {
            Some((i, s)) => t.write(&format!(
                "{i}\t{}\t{}\t{}\t{}\t{}\t{}\t{created_by}\n",
                short(&s.diff_id),
                short(&s.digest),
                human_size_with_precision(s.docker_size as f64, 3),
                human_size_with_precision(s.uncompressed_size as f64, 3),
                human_size_with_precision(s.compressed_size as f64, 3),
                rep.image.layers[i].blob.media_type,
            )),
            None => t.write(&format!("-\t\t\t\t\t\t\t{created_by}\n")),
        }
    }
    t.finish()
}
