//! `strata pull`: `docker pull` into the local store, with Docker's transcript when piped
//! and one progress bar per layer on a terminal.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use strata_core::manifest::Platform;
use strata_core::reference::Reference;
use strata_registry::pull::{Event, LayerStatus, Options};

use crate::output::print;

/// Options of `pull`.
#[derive(clap::Args)]
pub struct Args {
    /// Set platform if server is multi-platform capable (os/arch[/variant]).
    #[arg(long, value_name = "PLATFORM")]
    platform: Option<String>,
    /// Suppress verbose output.
    #[arg(short, long)]
    quiet: bool,
    /// Download all tagged images in the repository (not supported; listed for Docker's surface).
    #[arg(short = 'a', long = "all-tags", hide = true)]
    all_tags: bool,
    /// Progress output: auto (bars on a terminal, Docker's transcript otherwise), plain
    /// (the transcript), tty (bars), json (one JSON message per line, as the daemon's
    /// /images/create stream: {"status","id","progressDetail"}).
    #[arg(long, value_name = "MODE", default_value = "auto",
          value_parser = ["auto", "plain", "tty", "json"])]
    progress: String,
    /// The image to pull: NAME, NAME:TAG or NAME@DIGEST.
    #[arg(value_name = "NAME")]
    name: String,
}

/// One event as the daemon's JSON message stream writes it.
fn json_line(ev: &Event) -> String {
    let v = match ev {
        Event::Pulling { head, repo } => {
            serde_json::json!({"status": format!("Pulling from {repo}"), "id": head})
        }
        Event::Layer { id, status } => {
            let detail = match status {
                LayerStatus::Downloading { total, done } => serde_json::json!({
                    "current": done.load(Ordering::Relaxed), "total": total}),
                _ => serde_json::json!({}),
            };
            serde_json::json!({"status": status.docker_text(), "progressDetail": detail, "id": id})
        }
    };
    format!("{v}\n")
}

type Bars = Mutex<HashMap<String, (ProgressBar, Option<Arc<AtomicU64>>)>>;

/// Runs `pull`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    if args.all_tags {
        anyhow::bail!("--all-tags is not supported yet");
    }
    let reference = Reference::parse(&args.name)?;
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let client = super::client(ctx, reference.domain())?;
    let store = super::store(ctx, false)?;
    if reference.tag().is_none()
        && reference.digest().is_none()
        && !args.quiet
        && args.progress != "json"
    {
        print("Using default tag: latest\n");
    }
    super::daemon_accepts(&args.name)?;
    let json = args.progress == "json";
    let tty = match args.progress.as_str() {
        "tty" => true,
        "auto" => std::io::stdout().is_terminal(),
        _ => false,
    } && !args.quiet;
    let mp = MultiProgress::new();
    let bars: Bars = Mutex::new(HashMap::new());
    let stop = AtomicBool::new(false);
    let style = ProgressStyle::with_template("{prefix}: {msg} {wide_bar} {bytes}/{total_bytes}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let plain = ProgressStyle::with_template("{prefix}: {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let on = |ev: Event| {
        if args.quiet {
            return;
        }
        if json {
            print(&json_line(&ev));
            return;
        }
        if !tty {
            // Docker's transcript: every state but the byte counts.
            match ev {
                Event::Pulling { head, repo } => print(&format!("{head}: Pulling from {repo}\n")),
                Event::Layer {
                    status: LayerStatus::Downloading { .. },
                    ..
                } => {}
                Event::Layer { id, status } => print(&format!("{id}: {}\n", status.docker_text())),
            }
            return;
        }
        let Ok(mut b) = bars.lock() else { return };
        match ev {
            Event::Pulling { head, repo } => {
                let _ = mp.println(format!("{head}: Pulling from {repo}"));
            }
            Event::Layer { id, status } => {
                let entry = b.entry(id.clone()).or_insert_with(|| {
                    let pb = mp.add(ProgressBar::new(0));
                    pb.set_style(plain.clone());
                    pb.set_prefix(id);
                    (pb, None)
                });
                entry.0.set_message(status.docker_text());
                match status {
                    LayerStatus::Downloading { total, done } => {
                        entry.0.set_style(style.clone());
                        entry.0.set_length(total);
                        entry.1 = Some(done);
                    }
                    s if s.is_final() => {
                        entry.0.set_style(plain.clone());
                        entry.0.finish();
                        entry.1 = None;
                    }
                    _ => {}
                }
            }
        }
    };
    let result = std::thread::scope(|s| {
        if tty {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(b) = bars.lock() {
                        for (pb, done) in b.values() {
                            if let Some(d) = done {
                                pb.set_position(d.load(Ordering::Relaxed));
                            }
                        }
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        let r = strata_registry::pull::pull(
            &store,
            client,
            &reference,
            &Options {
                platform,
                settings: ctx.settings.clone(),
            },
            &on,
        );
        stop.store(true, Ordering::Relaxed);
        r
    });
    // Finished bars stay on screen (one "Pull complete" line per layer, as docker leaves
    // them); after a failure they are cleared so the error line stands alone.
    if result.is_err() {
        let _ = mp.clear();
    }
    let outcome = result?;
    if args.quiet {
        print(&format!("{}\n", outcome.reference));
    } else if json {
        // The daemon's stream ends with these two messages.
        for status in [
            format!("Digest: {}", outcome.digest),
            outcome.status.clone(),
        ] {
            print(&format!("{}\n", serde_json::json!({ "status": status })));
        }
    } else {
        print(&format!(
            "Digest: {}\n{}\n{}\n",
            outcome.digest, outcome.status, outcome.reference
        ));
    }
    Ok(ExitCode::SUCCESS)
}
