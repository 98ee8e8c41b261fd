//! The architecture's rules, checked on the source: no import cycle between the modules of a
//! crate, and no crate spelling another's file layout or cache keys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A file's code without its unit tests (they may reach anywhere).
fn code(p: &Path) -> String {
    let text = std::fs::read_to_string(p).unwrap_or_default();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Top-level module → the top-level modules its code names through `crate::`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(src).unwrap_or(f);
        let top = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if top == "lib" || top == "main" || top == "tests" {
            continue;
        }
        let text = code(f);
        let deps = g.entry(top.clone()).or_default();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                deps.insert(name);
            }
        }
    }
    let known: BTreeSet<String> = g.keys().cloned().collect();
    for deps in g.values_mut() {
        deps.retain(|d| known.contains(d));
    }
    g
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn go(
        g: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for d in g.get(at).into_iter().flatten() {
            if d == start {
                path.push(d.clone());
                return true;
            }
            if seen.insert(d.clone()) {
                path.push(d.clone());
                if go(g, start, d, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    go(g, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let mut cycles = Vec::new();
    let core = module_graph(&crates_dir().join("strata-core/src"));
    assert!(
        core.len() > 20 && core["image"].contains("source"),
        "the scan sees strata-core's modules: {core:?}"
    );
    for e in std::fs::read_dir(crates_dir()).expect("crates/").flatten() {
        let src = e.path().join("src");
        let g = module_graph(&src);
        for m in g.keys() {
            if let Some(c) = cycle_from(&g, m) {
                cycles.push(format!(
                    "{}: {}",
                    e.file_name().to_string_lossy(),
                    c.join(" → ")
                ));
                break;
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle_from(&g, "a"),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    g.entry("c".into()).or_default().clear();
    assert_eq!(cycle_from(&g, "a"), None);
}

/// The test-support crate: never linked into the product, it writes OCI layouts and reads
/// `CI` like any test.
const TEST_SUPPORT: &str = "strata-testkit";

/// Files outside `owner` whose code contains `needle`.
fn spelled_outside(needle: &str, owner: &[&str]) -> Vec<String> {
    let root = crates_dir();
    let mut files = Vec::new();
    for e in std::fs::read_dir(&root).expect("crates/").flatten() {
        if e.file_name() != TEST_SUPPORT {
            rust_files(&e.path().join("src"), &mut files);
        }
    }
    files
        .iter()
        .filter(|f| {
            let rel = f
                .strip_prefix(&root)
                .unwrap_or(f)
                .to_string_lossy()
                .into_owned();
            !owner.contains(&rel.as_str()) && code(f).contains(needle)
        })
        .map(|f| f.display().to_string())
        .collect()
}

#[test]
fn only_the_store_knows_where_its_blobs_live() {
    let out = spelled_outside("blobs/sha256", &["strata-store/src/lib.rs"]);
    assert!(out.is_empty(), "the store's layout spelled in {out:?}");
    let out = spelled_outside("\"ingest", &["strata-store/src/lib.rs"]);
    assert!(out.is_empty(), "the store's ingest spelled in {out:?}");
}

#[test]
fn only_the_facts_cache_builds_its_keys() {
    for key in ["store-blob", "registry-blob"] {
        let out = spelled_outside(key, &["strata-core/src/facts_cache.rs"]);
        assert!(out.is_empty(), "cache key {key:?} spelled in {out:?}");
    }
}

#[test]
fn no_library_reads_the_environment() {
    let root = crates_dir();
    let mut files = Vec::new();
    for e in std::fs::read_dir(&root).expect("crates/").flatten() {
        if e.file_name() != "strata" && e.file_name() != TEST_SUPPORT {
            rust_files(&e.path().join("src"), &mut files);
        }
    }
    assert!(files.len() > 50, "the scan sees the libraries");
    let readers: Vec<String> = files
        .iter()
        .filter(|f| {
            let c = code(f);
            c.contains("env::var") || c.contains("env::vars")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        readers.is_empty(),
        "libraries reading the environment: {readers:?}"
    );
}

#[test]
fn test_support_is_only_a_dev_dependency() {
    let root = crates_dir();
    let mut users = 0;
    for e in std::fs::read_dir(&root).expect("crates/").flatten() {
        let Ok(manifest) = std::fs::read_to_string(e.path().join("Cargo.toml")) else {
            continue;
        };
        let mut section = String::new();
        for line in manifest.lines() {
            if line.starts_with('[') {
                section = line.to_string();
            } else if line.starts_with(TEST_SUPPORT) {
                assert_eq!(
                    section,
                    "[dev-dependencies]",
                    "{} depends on {TEST_SUPPORT} outside its dev-dependencies",
                    e.path().display()
                );
                users += 1;
            }
        }
    }
    assert!(users >= 2, "the suites use the test kit");
}
