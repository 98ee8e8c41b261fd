//! `strata images`: `docker images` over the local store.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use strata_core::image::{Image, Selector};
use strata_core::report::sort_repo_tags;
use strata_core::source::Source;
use strata_render::images::{ImageInfo, ImagesOptions, check_filters, list_images, render_list};

use crate::output::{Exit, print};

/// Options of `images`.
#[derive(clap::Args)]
pub struct Args {
    /// Show all images (default hides intermediate images).
    #[arg(short, long)]
    all: bool,
    /// Show digests.
    #[arg(long)]
    digests: bool,
    /// Filter output based on conditions provided.
    #[arg(short, long = "filter", value_name = "FILTER")]
    filter: Vec<String>,
    /// Format output using a custom template.
    #[arg(long)]
    format: Option<String>,
    /// Don't truncate output.
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    quiet: bool,
    #[arg(help = "REPOSITORY[:TAG]", value_name = "REPOSITORY")]
    reference: Option<String>,
}

/// Runs `images`.
pub fn run(args: Args) -> Result<ExitCode> {
    check_filters(&args.filter).map_err(|e| Exit {
        code: 125,
        message: format!("invalid argument for \"-f, --filter\" flag: {e}"),
    })?;
    let store = Arc::new(super::store(false)?);
    let refs = store.refs()?;
    let source: Arc<dyn Source> = store.clone();
    let mut infos = Vec::new();
    for (id, rec) in &refs.images {
        // Records keep what `images` needs; older ones are read from the config.
        let (created, labels) = match (&rec.created, &rec.labels) {
            (Some(c), Some(l)) => (Some(c.clone()), l.clone()),
            _ => {
                let image = Image::open(source.clone(), &Selector::Name(id.clone()), None)?;
                strata_store::config_summary(&image.config)
            }
        };
        let created = created
            .as_deref()
            .and_then(strata_render::time::parse_rfc3339)
            .map(|t| t.unix)
            .unwrap_or(strata_render::history::ZERO_UNIX);
        infos.push(ImageInfo {
            id: id.clone(),
            repo_tags: sort_repo_tags(&rec.tags),
            repo_digests: sort_repo_tags(&rec.digests),
            created,
            size: rec.docker_size,
            labels,
            parent: rec.parent.clone().unwrap_or_default(),
            intermediate: false,
        });
    }
    let opts = ImagesOptions {
        all: args.all,
        quiet: args.quiet,
        digests: args.digests,
        no_trunc: args.no_trunc,
        filters: args.filter,
        format: args.format,
        reference: args.reference,
        now_nanos: super::now_nanos(),
        local_offset: super::local_offset,
        local_zone_name: std::env::var("TZ")
            .ok()
            .filter(|z| !z.is_empty() && z != "UTC" && z != "Etc/UTC")
            .map(|_| jiff::tz::TimeZone::system())
            .and_then(|tz| {
                jiff::Timestamp::now()
                    .to_zoned(tz)
                    .strftime("%Z")
                    .to_string()
                    .into()
            })
            .unwrap_or_else(|| "UTC".to_string()),
    };
    let listed = list_images(&infos, &opts).map_err(|e| Exit {
        code: 1,
        message: format!("Error response from daemon: {e}"),
    })?;
    let text = render_list(&listed, &opts).map_err(|e| Exit {
        code: 1,
        message: format!("template parsing error: {e}"),
    })?;
    print(&text);
    Ok(ExitCode::SUCCESS)
}
