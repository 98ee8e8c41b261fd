//! Progress bars on stderr for layers that take a while to read (a terminal only): a
//! `Reporter` the commands pass down with the images they open, drawn from the library's
//! typed events, each bar shown once its layer has run past a short delay and cleared when it
//! ends, so quick runs print nothing extra.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use strata_core::progress::{Event, Reporter};

struct Slot {
    started: Instant,
    size: Option<u64>,
    bar: Option<ProgressBar>,
}

/// The 12 hex digits Docker shows for a layer (from its digest or its file's name in the
/// archive), else the layer's name.
fn short(what: &str) -> String {
    let name = what.rsplit_once(": layer ").map_or(what, |(_, n)| n);
    name.split(['/', ':', '.'])
        .find(|part| part.len() >= 12 && part.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|part| part[..12].to_string())
        .unwrap_or_else(|| name.chars().take(40).collect())
}

/// Layer progress bars.
struct Bars {
    delay: Duration,
    mp: MultiProgress,
    slots: Mutex<HashMap<String, Slot>>,
    style: ProgressStyle,
    spin: ProgressStyle,
}

/// Bars when stdout and stderr are terminals, else nothing.
pub fn reporter() -> Arc<dyn Reporter> {
    if !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return strata_core::progress::silent();
    }
    // How long a layer runs before its bar appears (tests set 0).
    let delay = std::env::var("STRATA_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_millis(700));
    let style = ProgressStyle::with_template(
        "{prefix}: Reading [{bar:40}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let spin =
        ProgressStyle::with_template("{prefix}: Reading {decimal_bytes} {decimal_bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    Arc::new(Bars {
        delay,
        mp: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        slots: Mutex::new(HashMap::new()),
        style,
        spin,
    })
}

impl Reporter for Bars {
    fn report(&self, e: &Event<'_>) {
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        match *e {
            Event::LayerStart { what, size } => {
                slots.insert(
                    what.to_string(),
                    Slot {
                        started: Instant::now(),
                        size,
                        bar: None,
                    },
                );
            }
            Event::LayerRead { what, read } => {
                let Some(slot) = slots.get_mut(what) else {
                    return;
                };
                if slot.bar.is_none() && slot.started.elapsed() >= self.delay {
                    let pb = match slot.size {
                        Some(n) => ProgressBar::new(n).with_style(self.style.clone()),
                        None => ProgressBar::no_length().with_style(self.spin.clone()),
                    };
                    slot.bar = Some(self.mp.add(pb.with_prefix(short(what))));
                }
                if let Some(pb) = &slot.bar {
                    pb.set_position(read);
                }
            }
            Event::LayerEnd { what } => {
                if let Some(Slot { bar: Some(pb), .. }) = slots.remove(what) {
                    pb.finish_and_clear();
                    self.mp.remove(&pb);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn layers_are_named_as_docker_shows_them() {
        assert_eq!(
            super::short("docker-archive:x.tar: layer sha256:0123456789abcdef0123"),
            "0123456789ab"
        );
        assert_eq!(
            super::short("docker-archive:a.tar: layer 0123456789abcdef0/layer.tar"),
            "0123456789ab"
        );
        assert_eq!(
            super::short("oci:dir: layer blobs/sha256/0123456789abcdef0"),
            "0123456789ab"
        );
        assert_eq!(super::short("oci:dir: layer blobs/x"), "blobs/x");
    }
}
