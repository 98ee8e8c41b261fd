//! Snapshot tests of rendered output on the sample image that ships with the repository
//! (`examples/sample.tar`, rebuilt byte for byte by scripts/make-sample.py): what a user sees
//! from each read-only verb, with the clock (`STRATA_NOW`) and the zone (`TZ`) fixed. A change
//! in any column, width, order or wording shows as a snapshot diff. (Docker-exactness itself
//! is checked against the live daemon in `corpus/`; these pin strata's own surfaces too.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

fn sample() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/sample.tar")
        .display()
        .to_string()
}

/// Runs strata on the sample with a fixed clock, zone and locale, no cache; stdout, or the
/// failure.
fn run(args: &[&str]) -> String {
    let mut full: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    full.push(sample());
    let o = common::strata_cmd()
        .args(&full)
        .env("STRATA_NOW", "1767225600")
        .env("TZ", "UTC")
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env("STRATA_NO_CACHE", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "strata {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn history_table() {
    insta::assert_snapshot!(run(&["history"]));
}

#[test]
fn history_no_trunc_human_false() {
    insta::assert_snapshot!(run(&["history", "--no-trunc", "--human=false"]));
}

#[test]
fn inspect_json() {
    insta::assert_snapshot!(run(&["inspect"]));
}

#[test]
fn inspect_format_template() {
    insta::assert_snapshot!(run(&[
        "inspect",
        "--format",
        "{{.Id}} {{json .Config.Env}} {{range .RootFS.Layers}}{{printf \"%.19s\" .}} {{end}}",
    ]));
}

#[test]
fn layers_table() {
    insta::assert_snapshot!(run(&["layers"]));
}

#[test]
fn efficiency_report() {
    insta::assert_snapshot!(run(&["efficiency"]));
}

#[test]
fn ls_long_listing() {
    insta::assert_snapshot!(run(&["ls", "-l", "-R"]));
}

#[test]
fn ls_recursive_below_a_directory() {
    // The path goes last: run() appends the image, so name it here instead.
    let o = common::strata_cmd()
        .args(["ls", "-l", "-R", "--layer", "2", &sample(), "/app"])
        .env("TZ", "UTC")
        .env("STRATA_NO_CACHE", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    insta::assert_snapshot!(String::from_utf8(o.stdout).unwrap());
}

#[test]
fn layers_json() {
    insta::assert_snapshot!(run(&["layers", "--format", "json"]));
}

#[test]
fn efficiency_json_with_ci_rules() {
    insta::assert_snapshot!(run(&[
        "efficiency",
        "--ci",
        "--lowest-efficiency",
        "0.99",
        "--format",
        "json"
    ]));
}

#[test]
fn efficiency_text_with_ci_rules() {
    insta::assert_snapshot!(run(&["efficiency", "--ci", "--highest-wasted-bytes", "1B"]));
}

/// `strata diff` between a base and a child built here (the child adds, changes and deletes
/// files and sets a config field), run from their directory so the names are stable.
fn diff(format: &str) -> String {
    use common::build::{layer, legacy};
    let d = tempfile::tempdir().unwrap();
    let base = layer(&[
        ("etc/", 'd', ""),
        ("etc/a", 'f', "one"),
        ("etc/b", 'f', "two"),
    ]);
    let child = layer(&[
        ("etc/", 'd', ""),
        ("etc/a", 'f', "ONE!"),
        ("etc/.wh.b", 'f', ""),
        ("etc/c", 'f', "three"),
    ]);
    legacy(d.path(), "base.tar", std::slice::from_ref(&base), |_, _| {});
    legacy(d.path(), "child.tar", &[base, child], |config, _| {
        config["config"]["User"] = "app".into();
        config["history"][1]["created_by"] = "RUN change".into();
    });
    let o = common::strata_cmd()
        .current_dir(d.path())
        .args([
            "diff",
            "--format",
            format,
            "docker-archive:base.tar",
            "docker-archive:child.tar",
        ])
        .env("STRATA_NO_CACHE", "1")
        .env("STRATA_ROOT", d.path().join("store"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn diff_text() {
    insta::assert_snapshot!(diff("text"));
}

#[test]
fn diff_json() {
    insta::assert_snapshot!(diff("json"));
}
