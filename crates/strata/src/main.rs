//! `strata`: Docker's image commands without Docker. This binary only parses arguments,
//! calls the library and prints; see ARCHITECTURE.md.

mod commands;
mod output;
mod progress;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Docker's image subsystem without Docker.
#[derive(Parser)]
#[command(name = "strata", version, about, long_about = None)]
struct Cli {
    /// The local store's directory (default: $STRATA_ROOT, else ~/.local/share/strata).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<std::path::PathBuf>,
    #[arg(
        long = "insecure-registry",
        global = true,
        value_name = "HOST",
        help = "A registry (host[:port]) that may be reached over plain HTTP; repeatable"
    )]
    insecure_registry: Vec<String>,
    #[arg(
        long = "max-layer-size",
        global = true,
        value_name = "SIZE",
        value_parser = parse_size,
        help = "The most bytes one layer (or a compressed archive) may expand to, e.g. 200GiB (default: $STRATA_MAX_LAYER_SIZE, else 128GiB)"
    )]
    max_layer_size: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

fn parse_size(s: &str) -> Result<u64, String> {
    strata_core::layer::parse_size(s).ok_or_else(|| format!("invalid size: '{s}' (e.g. 200GiB)"))
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
    /// Download an image from a registry into the local store (as `docker pull`).
    Pull(commands::pull::Args),
    /// Upload an image from the local store to a registry (as `docker push`).
    Push(commands::push::Args),
    /// Per-layer filesystem changes, as `docker diff` prints them (A/C/D).
    Changes(commands::fs::ChangesArgs),
    /// List the merged filesystem of an image (or as of a layer).
    Ls(commands::fs::LsArgs),
    /// Print a file from an image.
    Cat(commands::fs::CatArgs),
    /// Export the image's flattened filesystem as a tar (as `docker export` of a container).
    Export(commands::fs::ExportArgs),
    /// Write the image's merged filesystem into a new directory.
    Unpack(commands::fs::UnpackArgs),
    /// Compare two images: shared base, config, history, files, layer sizes.
    Diff(commands::diff::Args),
    /// Wasted space (dive's efficiency model) and CI rules.
    Efficiency(commands::efficiency::Args),
    /// Explore an image in the terminal: layers, their commands, wasted space, the file tree.
    Explore(commands::explore::Args),
    /// Log in to a registry (as `docker login`; writes Docker's config.json).
    Login(commands::login::LoginArgs),
    /// Log out from a registry (as `docker logout`).
    Logout(commands::login::LogoutArgs),
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
    /// List images.
    #[command(name = "ls")]
    Ls(commands::images::Args),
    /// Remove unused images.
    Prune(commands::prune::Args),
    /// Download an image from a registry.
    Pull(commands::pull::Args),
    /// Upload an image to a registry.
    Push(commands::push::Args),
    /// Remove one or more images.
    #[command(name = "rm")]
    Rm(commands::rmi::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(commands::tag::Args),
    /// Load images from a tar archive or STDIN.
    Load(commands::load::Args),
    /// Save one or more images to a tar archive.
    Save(commands::save::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    strata_render::width::set_default_condition(settings::width());
    let mut registry = settings::registry();
    registry
        .insecure
        .extend(cli.insecure_registry.iter().cloned());
    // Layer-read progress bars for the verbs that read whole layers, on a terminal.
    let reporter = if matches!(
        cli.command,
        Command::Inspect(_)
            | Command::Image(ImageCommand::Inspect(_))
            | Command::History(_)
            | Command::Image(ImageCommand::History(_))
            | Command::Layers(_)
            | Command::Changes(_)
            | Command::Efficiency(_)
            | Command::Diff(_)
            | Command::Ls(_)
            | Command::Unpack(_)
    ) {
        progress::reporter()
    } else {
        strata_core::progress::silent()
    };
    let ctx = commands::Context {
        root: cli.root.clone().unwrap_or_else(settings::store_root),
        registry,
        settings: settings::library(cli.max_layer_size, reporter),
    };
    let ctx = &ctx;
    let result = match cli.command {
        Command::Inspect(a) => commands::inspect::run(a, commands::inspect::Kind::Object, ctx),
        Command::Image(ImageCommand::Inspect(a)) => {
            commands::inspect::run(a, commands::inspect::Kind::Image, ctx)
        }
        Command::History(a) | Command::Image(ImageCommand::History(a)) => {
            commands::history::run(a, ctx)
        }
        Command::Layers(a) => commands::layers::run(a, ctx),
        Command::Explore(a) => commands::explore::run(a, ctx),
        Command::Load(a) | Command::Image(ImageCommand::Load(a)) => commands::load::run(a, ctx),
        Command::Images(a) | Command::Image(ImageCommand::Ls(a)) => commands::images::run(a, ctx),
        Command::Tag(a) | Command::Image(ImageCommand::Tag(a)) => commands::tag::run(a, ctx),
        Command::Rmi(a) | Command::Image(ImageCommand::Rm(a)) => commands::rmi::run(a, ctx),
        Command::Save(a) | Command::Image(ImageCommand::Save(a)) => commands::save::run(a, ctx),
        Command::Pull(a) | Command::Image(ImageCommand::Pull(a)) => commands::pull::run(a, ctx),
        Command::Push(a) | Command::Image(ImageCommand::Push(a)) => commands::push::run(a, ctx),
        Command::Login(a) => commands::login::run_login(a, ctx),
        Command::Changes(a) => commands::fs::run_changes(a, ctx),
        Command::Efficiency(a) => commands::efficiency::run(a, ctx),
        Command::Diff(a) => commands::diff::run(a, ctx),
        Command::Ls(a) => commands::fs::run_ls(a, ctx),
        Command::Cat(a) => commands::fs::run_cat(a, ctx),
        Command::Export(a) => commands::fs::run_export(a, ctx),
        Command::Unpack(a) => commands::fs::run_unpack(a, ctx),
        Command::Logout(a) => commands::login::run_logout(a),
        Command::Image(ImageCommand::Prune(a)) => commands::prune::run(a, ctx),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}
