//! The filesystem commands, all over the one merge engine (`strata_core::tree`):
//! `changes`, `ls`, `cat`, `export`, `unpack`.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use strata_core::flatten;
use strata_core::image::Image;
use strata_core::tree::{self, Kind, LayerIndex, Node};

use crate::output::print;

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// Opens an image and reads its layer indexes (all, or up to and including `upto`).
fn indexed(
    ctx: &super::Context,
    img: &super::ImageArg,
    upto: Option<usize>,
) -> Result<(Image, Vec<LayerIndex>)> {
    let name = &img.image;
    let (_, image) = super::open_image(ctx, name, img.platform.as_deref())?;
    let mut indexes = image.indexes()?;
    if let Some(n) = upto {
        if n >= indexes.len() {
            bail!(
                "{name} has {} layers (0 to {}); no layer {n}",
                indexes.len(),
                indexes.len().saturating_sub(1)
            );
        }
        indexes.truncate(n + 1);
    }
    Ok((image, indexes))
}

/// Options of `changes`.
#[derive(clap::Args)]
pub struct ChangesArgs {
    /// Only this layer (0 is the base).
    #[arg(long, value_name = "N")]
    layer: Option<usize>,
    /// Add each entry's size.
    #[arg(short, long)]
    size: bool,
    #[command(flatten)]
    img: super::ImageArg,
}

/// Runs `changes`: per layer, `docker diff`'s `A`/`C`/`D` lines.
pub fn run_changes(args: ChangesArgs, ctx: &super::Context) -> Result<ExitCode> {
    let (image, indexes) = indexed(ctx, &args.img, args.layer)?;
    let (_, lines) = tree::merge(&image.source().describe(), &indexes)?;
    let history = image.history().unwrap_or_default();
    let steps: Vec<&str> = strata_core::config::layer_history(&history, image.layers.len())
        .into_iter()
        .map(|h| h.map_or("", |h| h.created_by.as_str()))
        .collect();
    let mut out = String::new();
    for (i, ls) in lines.iter().enumerate() {
        if args.layer.is_some_and(|n| n != i) {
            continue;
        }
        if args.layer.is_none() {
            let step = steps.get(i).copied().unwrap_or("");
            out.push_str(&format!(
                "# layer {i} {} {}\n",
                image.layers[i].diff_id,
                step.replace('\n', " ")
            ));
        }
        for l in ls {
            if args.size {
                out.push_str(&format!("{} {:>12} /{}\n", l.op, l.size, lossy(&l.path)));
            } else {
                out.push_str(&format!("{} /{}\n", l.op, lossy(&l.path)));
            }
        }
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// Options of `ls`.
#[derive(clap::Args)]
pub struct LsArgs {
    /// Long listing: type and mode, owner, size, time, layer, link target.
    #[arg(short, long)]
    long: bool,
    /// List subdirectories recursively (full paths).
    #[arg(short = 'R', long)]
    recursive: bool,
    /// The filesystem as of this layer (0 is the base).
    #[arg(long, value_name = "N")]
    layer: Option<usize>,
    #[command(flatten)]
    img: super::ImageArg,
    /// Directory or file inside the image (default /).
    #[arg(value_name = "PATH")]
    path: Option<String>,
}

/// Runs `ls`.
pub fn run_ls(args: LsArgs, ctx: &super::Context) -> Result<ExitCode> {
    let (image, indexes) = indexed(ctx, &args.img, args.layer)?;
    let t = tree::merge_quiet(&image.source().describe(), &indexes)?;
    let want = args.path.as_deref().unwrap_or("/");
    let dir = t.resolve(want.as_bytes())?;
    let mut out = String::new();
    let show = |out: &mut String, p: &[u8], n: &Node<'_>, layer: usize, full: bool| {
        let shown = if full {
            format!("/{}", lossy(p))
        } else {
            lossy(p.rsplit(|&b| b == b'/').next().unwrap_or(p))
        };
        if args.long {
            out.push_str(&strata_render::ls::long_line(&shown, n, layer));
        } else {
            out.push_str(&shown);
        }
        out.push('\n');
        // Print as it goes: a listing of a million paths need not sit in memory.
        if out.len() > 1 << 20 {
            print(out);
            out.clear();
        }
    };
    if !dir.is_empty() {
        match t.get(&dir) {
            None => bail!("{want}: no such file or directory in {}", args.img.image),
            Some(it) if it.node.kind != Kind::Dir => {
                show(&mut out, &dir, &it.node, it.layer, true);
                print(&out);
                return Ok(ExitCode::SUCCESS);
            }
            _ => {}
        }
    }
    if args.recursive {
        for p in t.walk(&dir) {
            if let Some(it) = t.get(p) {
                show(&mut out, p, &it.node, it.layer, true);
            }
        }
    } else {
        for (p, it) in t.children(&dir) {
            show(&mut out, p, &it.node, it.layer, false);
        }
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// Options of `cat`.
#[derive(clap::Args)]
pub struct CatArgs {
    #[command(flatten)]
    img: super::ImageArg,
    /// File inside the image (symlinks are followed inside the image root).
    #[arg(value_name = "PATH")]
    path: String,
}

/// Success for output written, also when the reader closed the pipe early (`| head`).
fn written(r: strata_core::error::Result<()>) -> Result<ExitCode> {
    match r {
        Err(strata_core::Error::Read { source, .. })
            if source.kind() == io::ErrorKind::BrokenPipe =>
        {
            Ok(ExitCode::SUCCESS)
        }
        r => {
            r?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `cat`.
pub fn run_cat(args: CatArgs, ctx: &super::Context) -> Result<ExitCode> {
    let (image, indexes) = indexed(ctx, &args.img, None)?;
    let t = tree::merge_quiet(&image.source().describe(), &indexes)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    written(flatten::cat(&image, &t, &args.path, &mut out).map(|_| ()))
}

/// Options of `export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Write to a file ("-" for STDOUT).
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    #[command(flatten)]
    img: super::ImageArg,
}

/// Runs `export`: the flattened filesystem as a tar, in `docker export`'s order.
pub fn run_export(args: ExportArgs, ctx: &super::Context) -> Result<ExitCode> {
    let (image, indexes) = indexed(ctx, &args.img, None)?;
    let t = tree::merge_quiet(&image.source().describe(), &indexes)?;
    match args.output.as_deref() {
        None | Some("-") => {
            if args.output.is_none() && io::IsTerminal::is_terminal(&io::stdout()) {
                bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
            written(flatten::export(&image, &t, &mut out))
        }
        Some(p) => {
            flatten::export_file(&image, &t, std::path::Path::new(p))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Options of `unpack`.
#[derive(clap::Args)]
pub struct UnpackArgs {
    #[command(flatten)]
    img: super::ImageArg,
    /// Directory to create (must not exist, or be empty).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `unpack`: the merged filesystem written to a new directory (see
/// `strata_core::flatten::unpack` for why nothing can land outside it).
pub fn run_unpack(args: UnpackArgs, ctx: &super::Context) -> Result<ExitCode> {
    let (image, indexes) = indexed(ctx, &args.img, None)?;
    let t = tree::merge_quiet(&image.source().describe(), &indexes)?;
    flatten::unpack(&image, &t, &args.dir)?;
    Ok(ExitCode::SUCCESS)
}
