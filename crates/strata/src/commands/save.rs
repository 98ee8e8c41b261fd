//! `strata save`: `docker save` (legacy docker-archive, or `--format oci`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use strata_core::reference::Reference;

use crate::output::Exit;

/// Options of `save`.
#[derive(clap::Args)]
pub struct Args {
    /// Write to a file, instead of STDOUT.
    #[arg(short, long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// Archive format: `docker` (what `docker load` reads) or `oci` (an OCI archive).
    #[arg(long, default_value = "docker")]
    format: String,
    /// Images to save.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<String>,
}

/// Runs `save`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let store = Arc::new(super::store(ctx, false)?);
    let refs = store.refs()?;
    let mut chosen: Vec<(String, Vec<String>)> = Vec::new();
    for name in &args.images {
        let id = strata_store::resolve(&refs, name).map_err(|e| Exit {
            code: 1,
            message: format!("Error response from daemon: {e}"),
        })?;
        // A tag saves that tag; an ID saves the image with no names (RepoTags null).
        let tag = Reference::parse(name)
            .ok()
            .filter(|r| r.digest().is_none())
            .map(|r| r.with_default_tag().to_string())
            .filter(|t| refs.images.get(&id).is_some_and(|rec| rec.tags.contains(t)));
        match chosen.iter_mut().find(|(i, _)| *i == id) {
            Some((_, tags)) => tags.extend(tag),
            None => chosen.push((id, tag.into_iter().collect())),
        }
    }
    let to_pipe = args.output.is_none();
    let write = |out: &mut (dyn Write + Send)| -> Result<()> {
        let save = match args.format.as_str() {
            "docker" => strata_store::save::save_docker_archive,
            "oci" => strata_store::save::save_oci_archive,
            f => anyhow::bail!("unknown --format {f:?}: use docker or oci"),
        };
        save(store.clone(), &chosen, out, to_pipe, &ctx.settings)?;
        Ok(())
    };
    match &args.output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a file in {}", dir.display()))?;
            {
                let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                write(&mut w)?;
                w.flush().context("writing the archive")?;
            }
            tmp.persist(path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            if std::io::stdout().is_terminal() {
                return Err(Exit {
                    code: 1,
                    message: "cowardly refusing to save to a terminal. Use the -o flag or redirect"
                        .into(),
                }
                .into());
            }
            let mut w = std::io::BufWriter::new(std::io::stdout());
            write(&mut w)?;
            w.flush().context("writing the archive")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
