//! go-runewidth v0.0.16's own tests (runewidth_test.go, runewidth_posix_test.go), including the
//! whole-code-space checksums, and docker/cli's displayutils_test.go (Ellipsis, TruncateID),
//! run against strata's port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use sha2::{Digest, Sha256};
use strata_render::width::{self, Condition};

fn data() -> Value {
    serde_json::from_str(include_str!("peer/go_runewidth_v0.0.16.json")).unwrap()
}

fn cases<'a>(d: &'a Value, key: &str) -> &'a Vec<Value> {
    d[key]["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{key} has no cases"))
}

/// A string field given as `X`, `X_codepoints` or `X_lines`.
fn text(c: &Value, key: &str) -> String {
    if let Some(s) = c[key].as_str() {
        return s.to_string();
    }
    if let Some(cps) = c[format!("{key}_codepoints")].as_array() {
        return cps
            .iter()
            .map(|n| char::from_u32(n.as_u64().unwrap() as u32).unwrap())
            .collect();
    }
    if let Some(lines) = c[format!("{key}_lines")].as_array() {
        return lines
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
    }
    panic!("no {key} in {c}")
}

fn cond(c: &Value) -> Condition {
    Condition {
        east_asian: c["eastasian"].as_bool().unwrap_or(false),
        strict_emoji_neutral: c["strict_emoji_neutral"].as_bool().unwrap_or(true),
    }
}

fn num(c: &Value, key: &str) -> usize {
    c[key].as_u64().unwrap() as usize
}

fn digest(f: impl Fn(u32) -> u8) -> String {
    let buf: Vec<u8> = (0..=0x10FFFFu32).map(f).collect();
    hex(&Sha256::digest(&buf))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn rune_width_checksums() {
    let d = data();
    for c in cases(&d["checksums"], "TestRuneWidthChecksums") {
        let k = cond(c);
        assert_eq!(
            digest(|r| k.rune_width_u32(r) as u8),
            c["want_sha256"].as_str().unwrap(),
            "{}",
            c["name"]
        );
    }
    for c in d["checksums"]["TestRuneWidthChecksums"]["_derived_not_in_go_tests"]
        .as_array()
        .unwrap()
    {
        let k = cond(c);
        assert_eq!(
            digest(|r| k.rune_width_u32(r) as u8),
            c["sha256"].as_str().unwrap()
        );
    }
}

#[test]
fn default_lut() {
    let d = data();
    for c in cases(&d["checksums"], "TestDefaultLUT") {
        let value = c["RUNEWIDTH_EASTASIAN"].as_str().unwrap().to_string();
        let k = Condition::from_env(|key| (key == "RUNEWIDTH_EASTASIAN").then(|| value.clone()));
        assert_eq!(
            digest(|r| k.rune_width_u32(r) as u8),
            c["want_sha256"].as_str().unwrap()
        );
    }
}

#[test]
fn rune_width() {
    let d = data();
    for c in cases(&d, "TestRuneWidth") {
        let r = c["codepoint"].as_u64().unwrap() as u32;
        assert_eq!(cond(c).rune_width_u32(r), num(c, "expected"), "{c}");
    }
}

#[test]
fn is_ambiguous_and_neutral_width() {
    let d = data();
    for (key, f) in [
        (
            "TestIsAmbiguousWidth",
            width::is_ambiguous_width as fn(char) -> bool,
        ),
        ("TestIsNeutralWidth", width::is_neutral_width),
    ] {
        for c in cases(&d, key) {
            let ch = char::from_u32(c["codepoint"].as_u64().unwrap() as u32).unwrap();
            assert_eq!(f(ch), c["expected"].as_bool().unwrap(), "{key} {c}");
        }
    }
}

#[test]
fn string_width() {
    let d = data();
    for key in [
        "TestStringWidth",
        "TestStringWidthInvalid",
        "TestZeroWidthJoiner",
    ] {
        for c in cases(&d, key) {
            let s = text(c, "input");
            assert_eq!(cond(c).string_width(&s), num(c, "expected"), "{key} {s:?}");
        }
    }
}

#[test]
fn truncate() {
    let d = data();
    for key in [
        "TestTruncateSmaller",
        "TestTruncate",
        "TestTruncateFit",
        "TestTruncateJustFit",
        "TestTruncateNoNeeded",
    ] {
        for c in cases(&d, key) {
            let got = cond(c).truncate(&text(c, "input"), num(c, "width"), &text(c, "tail"));
            assert_eq!(got, text(c, "expected"), "{key}");
        }
    }
}

#[test]
fn truncate_left() {
    let d = data();
    for c in cases(&d, "TestTruncateLeft") {
        let got = cond(c).truncate_left(&text(c, "input"), num(c, "width"), &text(c, "prefix"));
        assert_eq!(got, text(c, "expected"), "{c}");
    }
}

#[test]
fn wrap() {
    let d = data();
    for c in cases(&d, "TestWrap") {
        assert_eq!(
            cond(c).wrap(&text(c, "input"), num(c, "width")),
            text(c, "expected")
        );
    }
}

#[test]
fn fill() {
    let d = data();
    for key in ["TestFillLeft", "TestFillLeftFit"] {
        for c in cases(&d, key) {
            assert_eq!(
                cond(c).fill_left(&text(c, "input"), num(c, "width")),
                text(c, "expected")
            );
        }
    }
    for key in ["TestFillRight", "TestFillRightFit"] {
        for c in cases(&d, key) {
            assert_eq!(
                cond(c).fill_right(&text(c, "input"), num(c, "width")),
                text(c, "expected")
            );
        }
    }
}

#[test]
fn env() {
    let d = data();
    for c in cases(&d, "TestEnv") {
        let value = c["RUNEWIDTH_EASTASIAN"].as_str().unwrap().to_string();
        let k = Condition::from_env(|key| match key {
            "RUNEWIDTH_EASTASIAN" => Some(value.clone()),
            "LANG" => Some("ja_JP.UTF-8".into()),
            _ => None,
        });
        let ch = char::from_u32(c["codepoint"].as_u64().unwrap() as u32).unwrap();
        assert_eq!(k.rune_width(ch), num(c, "expected"));
    }
}

#[test]
fn is_east_asian() {
    let d = data();
    for c in cases(&d, "TestIsEastAsian") {
        let locale = c["locale"].as_str().unwrap();
        assert_eq!(
            width::is_east_asian_locale(locale),
            c["expected"].as_bool().unwrap(),
            "{locale}"
        );
    }
    for key in ["TestIsEastAsianLCCTYPE", "TestIsEastAsianLANG"] {
        for c in cases(&d, key) {
            let env = c["env"].as_object().unwrap().clone();
            let k = Condition::from_env(|name| {
                env.get(name)
                    .and_then(Value::as_str)
                    .filter(|v| !v.starts_with('<'))
                    .map(str::to_string)
            });
            assert_eq!(k.east_asian, c["expected"].as_bool().unwrap(), "{key} {c}");
        }
    }
}

#[test]
fn table_checksums() {
    let d = data();
    for c in cases(&d["checksums"], "TestTableChecksums") {
        let name = c["table"].as_str().unwrap();
        let t = width::table(name).unwrap();
        let inside = |r: u32| {
            let i = t.partition_point(|&(_, hi)| hi < r);
            t.get(i).is_some_and(|&(lo, _)| lo <= r)
        };
        let n = (0..=0x10FFFFu32).filter(|&r| inside(r)).count();
        assert_eq!(n as u64, c["want_n"].as_u64().unwrap(), "{name}");
        assert_eq!(
            digest(|r| inside(r) as u8),
            c["want_sha256"].as_str().unwrap(),
            "{name}"
        );
    }
}

/// TestSorted: each table ascending, valid and compact.
#[test]
fn sorted() {
    for name in [
        "private",
        "nonprint",
        "combining",
        "doublewidth",
        "ambiguous",
        "narrow",
        "neutral",
        "emoji",
    ] {
        let t = width::table(name).unwrap();
        for w in t.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 + 1 < w[1].0, "{name}: {w:?}");
        }
    }
}

fn displayutils() -> Value {
    serde_json::from_str(include_str!("peer/docker_cli_displayutils.json")).unwrap()
}

#[test]
fn docker_ellipsis() {
    let d = displayutils();
    for key in ["TestEllipsis", "_derived_cases"] {
        for c in cases(&d, key) {
            let (Some(src), Some(w)) = (c["source"].as_str(), c["width"].as_u64()) else {
                continue;
            };
            if c.get("panics").is_some() || c["expected"].is_null() {
                continue;
            }
            assert_eq!(
                width::ellipsis(src, w as usize),
                c["expected"].as_str().unwrap(),
                "{key} {src:?} {w}"
            );
        }
    }
}

#[test]
fn docker_truncate_id() {
    let d = displayutils();
    for c in cases(&d, "TestTruncateID") {
        assert_eq!(
            width::truncate_id(c["id"].as_str().unwrap()),
            c["expected"].as_str().unwrap(),
            "{}",
            c["doc"]
        );
    }
}
