//! `strata`: Docker's image commands without Docker. This binary only parses arguments,
//! calls the library and prints; see ARCHITECTURE.md.

mod commands;
mod output;
mod tdata;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Docker's image subsystem without Docker.
#[derive(Parser)]
#[command(name = "strata", version, about, long_about = None)]
struct Cli {
    /// The local store's directory (default: $STRATA_ROOT, else ~/.local/share/strata).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Display detailed information on one or more images (as `docker image inspect`).
    Inspect(commands::inspect::Args),
    /// Show the history of an image (as `docker history`).
    History(commands::history::Args),
    /// List an image's layers with digests, sizes and the step that made each.
    Layers(commands::layers::Args),
    /// List images in the local store (as `docker images`).
    Images(commands::images::Args),
    /// Load images from a tar archive or STDIN (as `docker load`).
    Load(commands::load::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (as `docker tag`).
    Tag(commands::tag::Args),
    /// Remove one or more images (as `docker rmi`).
    Rmi(commands::rmi::Args),
    /// Save one or more images to a tar archive (as `docker save`).
    Save(commands::save::Args),
    /// `docker image …` spelling of the image commands.
    #[command(subcommand)]
    Image(ImageCommand),
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Display detailed information on one or more images.
    Inspect(commands::inspect::Args),
    /// Show the history of an image.
    History(commands::history::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(r) = &cli.root {
        // One place decides the store root; commands read it from the environment.
        commands::set_root(r.clone());
    }
    let result = match cli.command {
        Command::Inspect(a) | Command::Image(ImageCommand::Inspect(a)) => commands::inspect::run(a),
        Command::History(a) | Command::Image(ImageCommand::History(a)) => commands::history::run(a),
        Command::Layers(a) => commands::layers::run(a),
        Command::Load(a) => commands::load::run(a),
        Command::Images(a) => commands::images::run(a),
        Command::Tag(a) => commands::tag::run(a),
        Command::Rmi(a) => commands::rmi::run(a),
        Command::Save(a) => commands::save::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}
