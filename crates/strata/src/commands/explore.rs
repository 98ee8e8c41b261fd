//! `strata explore`: the terminal explorer (strata-tui) over any image strata reads. This file
//! runs the event loop and performs the actions that touch the outside world.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use strata_core::image::Image;
use strata_core::progress;
use strata_core::tree;
use strata_tui::{Action, Analysis, App, ImageInfo, Keys};

/// Options of `explore`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    img: super::ImageArg,
    /// A second image: compare the two side by side.
    #[arg(value_name = "IMAGE2")]
    other: Option<String>,
}

enum Msg {
    Progress(String, u64, Option<u64>),
    Done(Box<Result<Analysis, String>>, Box<Image>),
}

fn keys() -> Result<Keys> {
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".config")));
    let Some(path) = dir.map(|d| d.join("strata").join("explore.toml")) else {
        return Ok(Keys::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            Keys::from_config(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        Err(_) => Ok(Keys::default()),
    }
}

fn base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Writes a file of the image, as of `layer`, into the current directory through the
/// verified `cat`; refuses to overwrite.
fn extract(image: &Image, a: &Analysis, layer: usize, path: &str) -> Result<String> {
    // With content digests: every body is checked against them as it is written.
    let indexes = image.indexes()?;
    let t = tree::merge_quiet(&a.what, &indexes[..=layer.min(indexes.len() - 1)])?;
    let name = path.rsplit('/').next().unwrap_or(path);
    let dest = std::env::current_dir()?.join(name);
    if dest.exists() {
        bail!("./{name} exists; not overwritten");
    }
    let mut tmp = tempfile::NamedTempFile::new_in(".").context("creating a file here")?;
    let n = strata_core::flatten::cat(image, &t, &format!("/{path}"), tmp.as_file_mut())?;
    tmp.persist_noclobber(&dest)
        .map_err(|e| anyhow::anyhow!("writing ./{name}: {}", e.error))?;
    Ok(format!(
        "extracted /{path} to ./{name} ({n} bytes, verified)"
    ))
}

fn layer_of(info: &ImageInfo, what: &str) -> Option<usize> {
    info.layers.iter().position(|l| {
        (!l.digest.is_empty() && what.contains(&l.digest)) || what.contains(&l.diff_id)
    })
}

/// Runs `explore`.
pub fn run(args: Args, ctx: &super::Context) -> Result<ExitCode> {
    let started = Instant::now();
    let bench = std::env::var_os("STRATA_EXPLORE_BENCH").is_some();
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !(bench || tty) {
        bail!(
            "explore needs a terminal; without one, use `strata ls`, `strata changes` or `strata efficiency`"
        );
    }
    let keys = keys()?;
    if let Some(other) = &args.other {
        return compare(
            ctx,
            &args.img.image,
            other,
            args.img.platform.as_deref(),
            bench,
            started,
        );
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    let ptx = std::sync::Mutex::new(tx.clone());
    // The analysis thread's layer reads feed the explorer's own progress view.
    let reporter = move |e: &progress::Event<'_>| {
        let msg = match *e {
            progress::Event::LayerStart { what, size } => Msg::Progress(what.to_string(), 0, size),
            progress::Event::LayerRead { what, read } => {
                Msg::Progress(what.to_string(), read, None)
            }
            progress::Event::LayerEnd { what } => Msg::Progress(what.to_string(), u64::MAX, None),
        };
        if let Ok(t) = ptx.lock() {
            let _ = t.send(msg);
        }
    };
    let ctx = strata_ops::Context {
        settings: ctx.settings.with_reporter(std::sync::Arc::new(reporter)),
        ..ctx.clone()
    };
    let (opened, base) =
        strata_ops::open_with_base(&ctx, &args.img.image, args.img.platform.as_deref())
            .map_err(super::open_error)?;
    let info = ImageInfo::from_image(&args.img.image, &opened.image, base.as_ref());
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut app = App::new(info.clone(), keys, color);
    app.set_background_views(true);

    let image = opened.image;
    std::thread::spawn(move || {
        let r = Analysis::from_image(&image).map_err(|e| e.to_string());
        let _ = tx.send(Msg::Done(Box::new(r), Box::new(image)));
    });
    if bench {
        return bench_run(app, &rx, started);
    }

    let mut terminal = ratatui::init();
    let mut image: Option<Box<Image>> = None;
    let result = (|| -> Result<()> {
        loop {
            terminal.draw(|f| app.render(f))?;
            while let Ok(m) = rx.try_recv() {
                absorb(&mut app, &info, m, &mut image);
            }
            if !event::poll(Duration::from_millis(50))? {
                continue;
            }
            let Event::Key(k) = event::read()? else {
                continue;
            };
            if k.kind != KeyEventKind::Press {
                continue;
            }
            match app.on_key(k) {
                Action::Quit => return Ok(()),
                Action::Extract { layer, path } => {
                    let msg = match (&image, app.analysis()) {
                        (Some(img), Some(a)) => match extract(img, a, layer, &path) {
                            Ok(m) => m,
                            Err(e) => format!("not extracted: {}", crate::output::chain_line(&e)),
                        },
                        _ => "the layers are still being read".to_string(),
                    };
                    app.set_status(msg);
                }
                Action::Copy(text) => {
                    // OSC 52: the terminal puts it on the clipboard (tmux passes it on).
                    let mut out = std::io::stdout();
                    let _ = write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()));
                    let _ = out.flush();
                }
                Action::None => {}
            }
        }
    })();
    ratatui::restore();
    result?;
    Ok(ExitCode::SUCCESS)
}

fn absorb(app: &mut App, info: &ImageInfo, m: Msg, image: &mut Option<Box<Image>>) {
    match m {
        Msg::Progress(what, bytes, size) => {
            if let Some(i) = layer_of(info, &what) {
                let line = match (bytes, size) {
                    (u64::MAX, _) => "read".to_string(),
                    (b, Some(s)) if s > 0 => format!(
                        "reading {} / {}",
                        strata_render::units::humanize_bytes(b),
                        strata_render::units::humanize_bytes(s)
                    ),
                    (b, _) => format!("reading {}", strata_render::units::humanize_bytes(b)),
                };
                app.set_progress(i, line);
            }
        }
        Msg::Done(r, img) => {
            *image = Some(img);
            match *r {
                Ok(a) => app.set_analysis(a),
                Err(e) => app.set_status(format!("Error: {e}")),
            }
        }
    }
}

/// `STRATA_EXPLORE_BENCH=1`: draws into an off-screen 160x50 terminal and prints the first
/// screen, full tree and per-key redraw times and the peak RSS, for scripts/bench.sh.
fn bench_run(mut app: App, rx: &mpsc::Receiver<Msg>, started: Instant) -> Result<ExitCode> {
    let backend = ratatui::backend::TestBackend::new(160, 50);
    let mut term = ratatui::Terminal::new(backend)?;
    term.draw(|f| app.render(f))?;
    let first = started.elapsed();
    let info_dummy = ImageInfo {
        name: String::new(),
        id: String::new(),
        layers: Vec::new(),
        steps: Vec::new(),
        base: None,
    };
    let mut image = None;
    loop {
        match rx.recv() {
            Ok(Msg::Done(r, img)) => {
                absorb(&mut app, &info_dummy, Msg::Done(r, img), &mut image);
                break;
            }
            Ok(_) => {}
            Err(_) => bail!("the reader stopped"),
        }
    }
    // The last layer, everything up to it, in the tree pane.
    for key in [KeyCode::PageDown, KeyCode::End] {
        app.on_key(KeyEvent::new(key, KeyModifiers::NONE));
    }
    for _ in 0..app.analysis().map_or(0, |a| a.indexes.len()) {
        app.on_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    }
    app.on_key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL));
    app.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    while !app.view_ready() {
        std::thread::sleep(Duration::from_millis(2));
    }
    term.draw(|f| app.render(f))?;
    let full = started.elapsed();
    let mut worst = Duration::ZERO;
    for i in 0..60 {
        let code = if i % 10 == 9 {
            KeyCode::PageDown
        } else {
            KeyCode::Down
        };
        let t = Instant::now();
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        term.draw(|f| app.render(f))?;
        worst = worst.max(t.elapsed());
    }
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .unwrap_or_default();
    let index_kb = app.analysis().map_or(0, |a| {
        a.indexes.iter().map(|i| i.heap_bytes()).sum::<usize>() / 1024
    });
    println!(
        "first_screen_ms={} full_tree_ms={} worst_key_ms={} peak_rss_kb={rss} index_kb={index_kb}",
        first.as_millis(),
        full.as_millis(),
        worst.as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

/// `explore IMAGE1 IMAGE2`: both layer lists at once, the file differences when both are read.
fn compare(
    ctx: &super::Context,
    first: &str,
    second: &str,
    platform: Option<&str>,
    bench: bool,
    started: Instant,
) -> Result<ExitCode> {
    let a = super::open_any(ctx, first, platform)?.image;
    let b = super::open_any(ctx, second, platform)?.image;
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut app = strata_tui::compare::CompareApp::new(
        ImageInfo::from_image(first, &a, None),
        ImageInfo::from_image(second, &b, None),
        color,
    );
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = (|| -> strata_core::error::Result<Vec<strata_core::compare::FileDiff>> {
            let (ia, ib) = (a.indexes()?, b.indexes()?);
            let ta = tree::merge_quiet(&a.source().describe(), &ia)?;
            let tb = tree::merge_quiet(&b.source().describe(), &ib)?;
            Ok(strata_core::compare::diff_trees(&ta, &tb))
        })();
        let _ = tx.send(r.map_err(|e| e.to_string()));
    });
    if bench {
        let r = rx
            .recv()
            .map_err(|_| anyhow::anyhow!("the reader stopped"))?;
        let n = r.map_err(|e| anyhow::anyhow!(e))?.len();
        println!(
            "compare_ms={} differences={n}",
            started.elapsed().as_millis()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        loop {
            terminal.draw(|f| app.render(f))?;
            if let Ok(r) = rx.try_recv() {
                match r {
                    Ok(d) => app.set_diffs(d),
                    Err(e) => app.set_status(format!("Error: {e}")),
                }
            }
            if !event::poll(Duration::from_millis(50))? {
                continue;
            }
            if let Event::Key(k) = event::read()? {
                if k.kind == KeyEventKind::Press && app.on_key(k) == Action::Quit {
                    return Ok(());
                }
            }
        }
    })();
    ratatui::restore();
    result?;
    Ok(ExitCode::SUCCESS)
}
