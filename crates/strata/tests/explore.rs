//! `strata explore` in a real terminal: tmux runs it, `send-keys` types, `capture-pane` reads
//! the screen. Checks what a person would see: the commands in the layer pane, the efficiency
//! figures, the filter hiding and showing files, the sort order, extraction writing the
//! verified bytes, q exiting 0, and the terminal cases (too small, no TTY, NO_COLOR).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::build::{layer, legacy};

const TOOL: &str = "#!/bin/sh\necho the tool\n";

fn base_layer() -> Vec<u8> {
    layer(&[
        ("etc/", 'd', ""),
        ("etc/os-release", 'f', "ID=explore-test\n"),
        ("usr/", 'd', ""),
        ("usr/bin/", 'd', ""),
        ("usr/bin/tool", 'f', TOOL),
    ])
}

/// Three layers: a base (etc/os-release, usr/bin/tool), a data file, the data file rewritten
/// and os-release removed; an ENV step between.
fn fixture(dir: &Path) -> PathBuf {
    let big = "x".repeat(50_000);
    let bigger = "y".repeat(60_000);
    let l0 = layer(&[
        ("etc/", 'd', ""),
        ("etc/os-release", 'f', "ID=explore-test\n"),
        ("usr/", 'd', ""),
        ("usr/bin/", 'd', ""),
        ("usr/bin/tool", 'f', TOOL),
    ]);
    let l1 = layer(&[("app/", 'd', ""), ("app/data.bin", 'f', &big)]);
    let l2 = layer(&[
        ("app/data.bin", 'f', &bigger),
        ("etc/.wh.os-release", 'f', ""),
    ]);
    legacy(dir, "explore.tar", &[l0, l1, l2], |config, entry| {
        config["history"] = serde_json::json!([
            {"created_by": "/bin/sh -c #(nop) ADD file:base in / "},
            {"created_by": "/bin/sh -c #(nop)  ENV LANG=C.UTF-8", "empty_layer": true},
            {"created_by": "/bin/sh -c make-data > /app/data.bin"},
            {"created_by": "/bin/sh -c make-data --again > /app/data.bin && rm /etc/os-release"},
        ]);
        entry["RepoTags"] = serde_json::json!(["explore/test:1"]);
    })
}

struct Term {
    sock: PathBuf,
    rc: PathBuf,
}

impl Term {
    fn start(dir: &Path, args: &str, env: &str, size: (u16, u16)) -> Term {
        let sock = dir.join("tmux.sock");
        let rc = dir.join("rc");
        let cmd = format!(
            "cd {} && env XDG_CACHE_HOME={} {env} {} {args}; echo $? > {}; sleep 60",
            dir.display(),
            dir.join("cache").display(),
            common::STRATA,
            rc.display()
        );
        let t = Term { sock, rc };
        t.tmux(&[
            "new-session",
            "-d",
            "-x",
            &size.0.to_string(),
            "-y",
            &size.1.to_string(),
            "sh",
            "-c",
            &cmd,
        ]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(args)
            .output()
            .unwrap();
        common::text(&o.stdout)
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(Instant::now() < deadline, "never saw {what:?}:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_until(&self, ok: impl Fn(&str) -> bool, why: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "{why}:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, t: &str) {
        self.tmux(&["send-keys", "-l", t]);
        std::thread::sleep(Duration::from_millis(60));
    }

    fn exit_code(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(s) = std::fs::read_to_string(&self.rc) {
                return s.trim().to_string();
            }
            assert!(Instant::now() < deadline, "no exit:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn open(dir: &Path, env: &str) -> Term {
    let archive = fixture(dir);
    let t = Term::start(
        dir,
        &format!("explore docker-archive:{}", archive.display()),
        env,
        (160, 48),
    );
    t.wait_for("Image efficiency score");
    // The tree is built on another thread: wait for it too.
    t.wait_for("── etc");
    t
}

fn line_of(s: &str, needle: &str) -> usize {
    s.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{s}"))
}

#[test]
fn shows_commands_steps_and_efficiency() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    let s = t.screen();
    assert!(s.contains("RUN make-data > /app/data.bin"), "{s}");
    assert!(s.contains("ADD file:base in /"), "{s}");
    assert!(s.contains("ENV LANG=C.UTF-8"), "{s}");
    assert!(s.contains("Potential wasted space: 110 kB"), "{s}");
    assert!(
        s.contains("/app/data.bin  (written in layers 1 and 2)"),
        "{s}"
    );
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn filter_hides_and_shows_files() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    t.wait_for("── os-release");
    t.keys(&["C-f"]);
    t.text("^usr/");
    t.keys(&["Enter"]);
    let s = t.wait_until(|s| !s.contains("── os-release"), "the filter hid nothing");
    assert!(s.contains("── tool") && s.contains("filter /^usr//"), "{s}");
    t.keys(&[
        "C-f", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "Enter",
    ]);
    t.wait_for("── os-release");
    t.keys(&["C-c"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn aggregated_view_sorts_by_size() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    t.keys(&["Down", "Down", "C-a"]);
    let s = t.wait_for("Aggregated Layer Contents (layers 0-2)");
    assert!(
        line_of(&s, "── etc") < line_of(&s, "── usr"),
        "name order first:\n{s}"
    );
    t.keys(&["C-o"]);
    let s = t.wait_for("sorted by size");
    assert!(line_of(&s, "── app") < line_of(&s, "── usr"), "{s}");
    assert!(line_of(&s, "── usr") < line_of(&s, "── etc"), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn extraction_writes_the_verified_bytes() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    t.keys(&["C-f"]);
    t.text("tool$");
    t.keys(&["Enter"]);
    t.wait_until(
        |s| s.contains("── tool") && !s.contains("── os-release"),
        "no filter",
    );
    t.keys(&["Tab", "Down", "Down", "Down", "C-e"]);
    let s = t.wait_for("extracted /usr/bin/tool");
    assert!(s.contains("verified"), "{s}");
    assert_eq!(
        std::fs::read_to_string(d.path().join("tool")).unwrap(),
        TOOL
    );
    // A second extraction does not overwrite.
    t.keys(&["C-e"]);
    t.wait_for("./tool exists; not overwritten");
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn search_and_help() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    t.keys(&["/"]);
    t.text("os-release");
    t.keys(&["Enter"]);
    let s = t.wait_for("Layers touching");
    assert!(s.contains("layer   0  written  /etc/os-release"), "{s}");
    assert!(s.contains("layer   2  removed  /etc/os-release"), "{s}");
    t.keys(&["Escape", "?"]);
    t.wait_for("filter-files");
    t.keys(&["Escape", "q"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn too_small_terminal_says_so() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let archive = fixture(d.path());
    let t = Term::start(
        d.path(),
        &format!("explore docker-archive:{}", archive.display()),
        "",
        (60, 15),
    );
    t.wait_for("terminal too small (60x15)");
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn no_color_means_no_colour() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    let coloured = t.tmux(&["capture-pane", "-p", "-e"]);
    let green = |s: &str| s.contains("\x1b[32m") || s.contains("\x1b[38;5;2m");
    let yellow = |s: &str| s.contains("\x1b[33m") || s.contains("\x1b[38;5;3m");
    assert!(green(&coloured), "added files are green");
    drop(t);
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "NO_COLOR=1");
    let plain = t.tmux(&["capture-pane", "-p", "-e"]);
    assert!(!green(&plain) && !yellow(&plain), "{plain}");
}

#[test]
fn without_a_terminal_it_points_elsewhere() {
    let d = tempfile::tempdir().unwrap();
    let archive = fixture(d.path());
    let o = common::strata(
        &d.path().join("root"),
        &["explore", &format!("docker-archive:{}", archive.display())],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = common::text(&o.stderr);
    assert!(
        err.contains("explore needs a terminal") && err.contains("strata ls"),
        "{err}"
    );
}

#[test]
fn two_images_side_by_side() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let full = fixture(d.path());
    let base = legacy(d.path(), "base.tar", &[base_layer()], |_, entry| {
        entry["RepoTags"] = serde_json::json!(["explore/base:1"]);
    });
    let t = Term::start(
        d.path(),
        &format!(
            "explore docker-archive:{} docker-archive:{}",
            base.display(),
            full.display()
        ),
        "",
        (160, 48),
    );
    let s = t.wait_until(
        |s| s.contains("differ; shared base 1 layers") && !s.contains("(reading)"),
        "no comparison",
    );
    assert!(s.contains("end of the shared base"), "{s}");
    let files: Vec<&str> = s.lines().skip_while(|l| !l.contains("Files:")).collect();
    let gone = files
        .iter()
        .find(|l| l.contains("/etc/os-release"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(gone.trim_start_matches('│').starts_with('D'), "{gone}");
    let added = files
        .iter()
        .find(|l| l.contains("/app/data.bin"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(added.contains("60 kB"), "{added}");
    t.keys(&["C-f"]);
    t.text("data");
    t.keys(&["Enter"]);
    let s = t.wait_for("filter /data/");
    let files: Vec<&str> = s.lines().skip_while(|l| !l.contains("Files:")).collect();
    assert!(!files.iter().any(|l| l.contains("/etc/os-release")), "{s}");
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), "0");
}

#[test]
fn redraws_on_resize() {
    if !common::require("tmux") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let t = open(d.path(), "");
    t.tmux(&["resize-window", "-x", "100", "-y", "30"]);
    let s = t.wait_until(
        |s| {
            s.lines()
                .next()
                .is_some_and(|l| l.chars().count() <= 100 && l.contains("Layers"))
        },
        "no redraw at 100x30",
    );
    assert!(s.contains("Image Details"), "{s}");
    t.tmux(&["resize-window", "-x", "60", "-y", "15"]);
    t.wait_for("terminal too small (60x15)");
    t.tmux(&["resize-window", "-x", "160", "-y", "48"]);
    t.wait_for("Image efficiency score");
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), "0");
}
