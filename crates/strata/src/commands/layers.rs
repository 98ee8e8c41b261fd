//! `strata layers`: one row per layer with its digests, sizes and the build step that made
//! it, metadata-only steps between, and where the base image ends.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Map, Value, json};
use strata_core::report::{ImageReport, find_base};
use strata_render::tabwriter::TabWriter;
use strata_render::units::human_size_with_precision;
use strata_render::width::ellipsis;

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
pub fn run(args: Args) -> Result<ExitCode> {
    let (source, image) = super::open_image(&args.image, args.platform.as_deref())?;
    let platform = args
        .platform
        .as_deref()
        .map(strata_core::manifest::Platform::parse)
        .transpose()?;
    let base = find_base(source, &image, platform.as_ref());
    let report = ImageReport::build(image)?;
    super::note_estimated(&report);
    let steps: Vec<_> = strata_core::config::steps(&report.history, report.layers.len())
        .into_iter()
        .map(|s| (s.history.map(|h| &report.history[h]), s.layer))
        .collect();
    let base_layers = base.as_ref().map(|b| b.layers).unwrap_or(0);
    if args.format == "json" {
        let mut arr = Vec::new();
        for (h, layer) in &steps {
            let mut m = Map::new();
            m.insert(
                "index".into(),
                layer.map(Value::from).unwrap_or(Value::Null),
            );
            m.insert(
                "created".into(),
                h.and_then(|h| h.created.clone())
                    .map(Value::String)
                    .unwrap_or(Value::Null),
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
                match layer.and_then(|i| report.layers.get(i).map(|s| (i, s))) {
                    Some((i, s)) => json!({
                        "diff_id": s.diff_id.to_string(),
                        "digest": s.digest.to_string(),
                        "media_type": report.image.layers[i].blob.media_type,
                        "compression": s.compression.name(),
                        "compressed_size": s.compressed_size,
                        "uncompressed_size": s.uncompressed_size,
                        "size": s.docker_size,
                        "entries": s.entries,
                        "in_base": i < base_layers,
                    }),
                    None => Value::Null,
                },
            );
            arr.push(Value::Object(m));
        }
        let doc = json!({
            "id": report.image.id.to_string(),
            "repo_tags": report.repo_tags,
            "size": report.size(),
            "base": base.as_ref().map(|b| json!({"name": b.name, "id": b.id.to_string(), "layers": b.layers})),
            "steps": arr,
        });
        let mut s = serde_json::to_string_pretty(&doc)?;
        s.push('\n');
        print(&s);
        return Ok(ExitCode::SUCCESS);
    }
    if args.format != "table" {
        anyhow::bail!("unknown --format {:?}: use table or json", args.format);
    }
    let short = |d: &strata_core::digest::Digest| {
        if args.no_trunc {
            d.to_string()
        } else {
            d.short().to_string()
        }
    };
    let mut t = TabWriter::docker();
    t.write("#\tDIFF ID\tDIGEST\tSIZE\tTAR SIZE\tBLOB SIZE\tMEDIA TYPE\tCREATED BY\n");
    let mut base_marked = base.is_none();
    // The base ends after its own history steps when they are a prefix of ours, else at its
    // last layer.
    let boundary_step = base
        .as_ref()
        .map(|b| b.history_len)
        .filter(|&n| n > 0 && n <= steps.len());
    for (pos, (h, layer)) in steps.iter().enumerate() {
        let at_boundary = match boundary_step {
            Some(n) => pos == n,
            None => layer.is_some_and(|i| i >= base_layers),
        };
        if !base_marked && at_boundary {
            if let Some(b) = &base {
                t.write(&format!(
                    "──\t\t\t\t\t\t\t── base image {} ({}) ends here: {} layer{} ──\n",
                    b.name,
                    b.id.short(),
                    b.layers,
                    if b.layers == 1 { "" } else { "s" }
                ));
            }
            base_marked = true;
        }
        let created_by = h
            .map(|h| h.created_by.replace('\t', " "))
            .unwrap_or_else(|| "<no history entry>".into());
        let created_by = if args.no_trunc {
            created_by
        } else {
            ellipsis(&created_by, 45)
        };
        match layer.and_then(|i| report.layers.get(i).map(|s| (i, s))) {
            Some((i, s)) => t.write(&format!(
                "{i}\t{}\t{}\t{}\t{}\t{}\t{}\t{created_by}\n",
                short(&s.diff_id),
                short(&s.digest),
                human_size_with_precision(s.docker_size as f64, 3),
                human_size_with_precision(s.uncompressed_size as f64, 3),
                human_size_with_precision(s.compressed_size as f64, 3),
                report.image.layers[i].blob.media_type,
            )),
            None => t.write(&format!("-\t\t\t\t\t\t\t{created_by}\n")),
        }
    }
    print(&t.finish());
    Ok(ExitCode::SUCCESS)
}
