//! `strata load`: `docker load`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use strata_core::archive::DockerArchive;
use strata_core::layout::OciLayout;
use strata_core::source::Source;

use crate::output::print;

/// Options of `load`.
#[derive(clap::Args)]
pub struct Args {
    /// Read from tar archive file, instead of STDIN (docker-archive, OCI archive, gzip/zstd).
    #[arg(short, long, value_name = "FILE")]
    input: Option<std::path::PathBuf>,
    /// Suppress the load output.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `load`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let mut _stdin_copy = None;
    let path = match &args.input {
        Some(p) => p.clone(),
        None => {
            // The archive needs random access: spool STDIN to a temporary file first.
            let mut tmp = tempfile::NamedTempFile::new().context("creating a temporary file")?;
            std::io::copy(&mut std::io::stdin().lock(), tmp.as_file_mut())
                .context("reading STDIN")?;
            let p = tmp.path().to_path_buf();
            _stdin_copy = Some(tmp);
            p
        }
    };
    let source: Arc<dyn Source> = if path.is_dir() {
        Arc::new(OciLayout::open_dir(&path)?)
    } else {
        match DockerArchive::open(&path, &ctx.settings) {
            Ok(a) => Arc::new(a),
            Err(e) => match OciLayout::open_archive(&path, &ctx.settings) {
                Ok(o) => Arc::new(o),
                Err(_) => return Err(e.into()),
            },
        }
    };
    let store = super::store(ctx, true)?;
    let report = strata_store::load::load(&store, source, &ctx.settings)?;
    if !args.quiet {
        let mut out = String::new();
        for img in &report.images {
            for (tag, old) in &img.renamed {
                out.push_str(&format!(
                    "The image {tag} already exists, renaming the old one with ID {old} to empty string\n"
                ));
            }
            if !img.announced {
                continue;
            }
            for t in &img.tags {
                out.push_str(&format!("Loaded image: {t}\n"));
            }
            if report.print_ids {
                out.push_str(&format!("Loaded image ID: {}\n", img.id));
            }
        }
        print(&out);
    }
    Ok(ExitCode::SUCCESS)
}
