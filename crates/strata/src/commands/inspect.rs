//! `strata inspect`: `docker image inspect`.

use std::process::ExitCode;

use anyhow::Result;
use gotemplate::Template;
use strata_core::config::ImageConfig;
use strata_core::report::ImageReport;
use strata_render::inspect::{GraphDriver, Inspect, InspectFacts, render_default};

use crate::output::{Exit, error_line, print};

/// Options of `inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// Format the output using the given Go template.
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Choose this platform from a multi-platform image (os/arch[/variant]).
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "Images: docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]",
        required = true,
        value_name = "IMAGE"
    )]
    images: Vec<String>,
}

/// Which docker verb's errors to give: `docker inspect` or `docker image inspect`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `docker inspect`: any object; an unknown or invalid name is "No such object".
    Object,
    /// `docker image inspect`: the daemon's lookup errors.
    Image,
}

fn inspect_one(ctx: &super::Context, name: &str, platform: Option<&str>) -> Result<Inspect> {
    let opened = super::open_any(ctx, name, platform)?;
    let (repo_digests, last_tag_time) = (opened.repo_digests, opened.last_tag_time);
    let report = ImageReport::build(opened.image)?;
    super::note_estimated(&report);
    let facts = InspectFacts {
        id: report.image.id.to_string(),
        repo_tags: report.repo_tags.clone(),
        repo_digests: strata_core::report::sort_repo_tags(&repo_digests),
        parent: report.parent(),
        size: report.size(),
        last_tag_time: last_tag_time.unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string()),
        graph_driver: GraphDriver::strata(),
    };
    Ok(Inspect::new(
        &ImageConfig::decode(&report.image.config),
        facts,
    ))
}

/// Runs `inspect`.
pub fn run(args: Args, kind: Kind, ctx: &super::Context) -> Result<ExitCode> {
    let template = match args.format.as_deref() {
        None | Some("") => None,
        Some(f) => Some(Template::parse(f).map_err(|e| Exit {
            code: 64,
            message: format!("template parsing error: {e}"),
        })?),
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in &args.images {
        match inspect_one(ctx, name, args.platform.as_deref()) {
            Ok(v) => found.push(v),
            Err(e) => errors.push(e),
        }
    }
    let mut messages: Vec<String> = Vec::new();
    match &template {
        None => print(&render_default(
            &found.iter().map(Inspect::to_json).collect::<Vec<_>>(),
        )),
        Some(t) => {
            // docker's TemplateInspector: typed value first, then the raw JSON map with
            // missingkey=error; a failed element prints nothing; an empty result prints "\n".
            let mut out = String::new();
            for v in &found {
                let mut one = String::new();
                if t.execute(&v.template_data(), &mut one).is_err() {
                    one.clear();
                    if let Err(e) = t.execute_raw(&v.raw_data(), &mut one) {
                        messages.push(format!("template parsing error: {e}"));
                        continue;
                    }
                }
                out.push_str(&one);
                out.push('\n');
            }
            if out.is_empty() {
                out.push('\n');
            }
            print(&out);
        }
    }
    if errors.is_empty() && messages.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for m in &messages {
        error_line(m);
    }
    for e in &errors {
        if let Some(l) = e.downcast_ref::<super::Lookup>() {
            error_line(&match (kind, l.name.as_str()) {
                // The CLI refuses an empty name before asking the daemon.
                (Kind::Object, "") => "invalid container name or ID: value is empty".to_string(),
                (Kind::Image, "") => "Error: No such image: ".to_string(),
                // docker inspect skips not-found and invalid-reference answers alike.
                (Kind::Object, name)
                    if l.error.starts_with("No such image")
                        || l.error.contains("invalid reference format") =>
                {
                    format!("Error: No such object: {name}")
                }
                // The daemon's image inspect wraps every lookup failure with the name (Docker 20.10).
                (_, name) => format!(
                    "Error response from daemon: no such image: {name}: {}",
                    l.error
                ),
            });
            continue;
        }
        match e.downcast_ref::<Exit>() {
            Some(x) => error_line(&x.message),
            None => error_line(&format!("Error: {}", crate::output::chain_line(e))),
        }
    }
    Ok(ExitCode::from(1))
}
