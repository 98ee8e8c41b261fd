//! Progress on long layer reads, in a real terminal (tmux running the command under
//! `script`, which records every byte drawn): `ls` and `efficiency` show a bar per layer
//! while it is read and clear it; piped, they print nothing but their output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(sock: &Path, args: &[&str]) -> String {
    let o = Command::new("tmux")
        .arg("-S")
        .arg(sock)
        .args(args)
        .output()
        .unwrap();
    common::text(&o.stdout)
}

/// Runs `strata ARGS` in a tmux terminal; returns what was drawn (raw) and the final screen.
fn in_terminal(dir: &Path, args: &str) -> (String, String) {
    let sock = dir.join("tmux.sock");
    let raw = dir.join("typescript");
    let _ = std::fs::remove_file(&raw);
    let cmd = format!(
        "STRATA_NO_CACHE=1 STRATA_PROGRESS_DELAY_MS=0 script -qfec '{} {args}' {}; echo DONE-DONE; sleep 60",
        common::STRATA,
        raw.display()
    );
    tmux(
        &sock,
        &[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "50",
            "sh",
            "-c",
            &cmd,
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let screen = loop {
        let s = tmux(&sock, &["capture-pane", "-p"]);
        if s.contains("DONE-DONE") {
            break s;
        }
        assert!(Instant::now() < deadline, "no end: {s}");
        std::thread::sleep(Duration::from_millis(100));
    };
    tmux(&sock, &["kill-server"]);
    (
        String::from_utf8_lossy(&std::fs::read(&raw).unwrap()).into_owned(),
        screen,
    )
}

fn image(dir: &Path) -> (String, String) {
    let layout = common::make_layout(
        &dir.join("img"),
        "progress:1",
        &[("big.bin", 24 << 20), ("small.bin", 1000)],
        5,
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"][0]["digest"].as_str().unwrap();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(&manifest[7..])).unwrap(),
    )
    .unwrap();
    let big = m["layers"][0]["digest"].as_str().unwrap()[7..19].to_string();
    (format!("oci:{}", layout.display()), big)
}

fn check(verb: &str, expect_on_screen: &str) {
    if !common::require("tmux") || !common::require("script") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (img, big) = image(tmp.path());
    let (raw, screen) = in_terminal(tmp.path(), &format!("{verb} {img}"));
    assert!(
        raw.contains(&format!("{big}: Reading [")),
        "no progress bar for layer {big}: {raw:?}"
    );
    assert!(screen.contains(expect_on_screen), "{screen}");
    assert!(
        !screen.contains("Reading"),
        "a bar was left behind: {screen}"
    );
    // Piped: the output alone.
    let o = Command::new(common::STRATA)
        .args(verb.split(' '))
        .arg(&img)
        .env("STRATA_NO_CACHE", "1")
        .env("STRATA_PROGRESS_DELAY_MS", "0")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(common::text(&o.stdout).contains(expect_on_screen));
    assert_eq!(common::text(&o.stderr), "");
}

#[test]
fn ls_shows_progress_on_a_long_layer_in_a_terminal_only() {
    check("ls -R", "big.bin");
}

#[test]
fn efficiency_shows_progress_on_a_long_layer_in_a_terminal_only() {
    check("efficiency", "efficiency");
}
