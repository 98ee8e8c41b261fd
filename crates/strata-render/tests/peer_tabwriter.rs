//! docker/cli's tabwriter_test.go (the fork of Go's text/tabwriter with go-runewidth widths),
//! every case in its three write modes, plus outputs of the real fork with docker's table
//! settings. TestPanicDuringFlush/Write are not ported: they test an io.Writer that panics, and
//! this writer buffers into memory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use strata_render::tabwriter::{TabWriter, flags};
use strata_render::width::default_condition;

fn data() -> Value {
    serde_json::from_str(include_str!("peer/docker_cli_tabwriter.json")).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn bytes_of(c: &Value, key: &str) -> Vec<u8> {
    match c[format!("{key}_hex")].as_str() {
        Some(h) => unhex(h),
        None => c[key].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn writer(c: &Value) -> TabWriter {
    let mut f = 0;
    for name in c["flags"].as_array().unwrap() {
        f |= match name.as_str().unwrap() {
            "FilterHTML" => flags::FILTER_HTML,
            "StripEscape" => flags::STRIP_ESCAPE,
            "AlignRight" => flags::ALIGN_RIGHT,
            "DiscardEmptyColumns" => flags::DISCARD_EMPTY_COLUMNS,
            "TabIndent" => flags::TAB_INDENT,
            "Debug" => flags::DEBUG,
            other => panic!("flag {other}"),
        };
    }
    let n = |k: &str| c[k].as_u64().unwrap() as usize;
    let pad = c["padchar"].as_str().unwrap().as_bytes()[0];
    TabWriter::with(n("minwidth"), n("tabwidth"), n("padding"), pad, f)
}

fn run(key: &str) {
    let d = data();
    let list = d[key].as_array().unwrap();
    assert!(!list.is_empty());
    let ea = default_condition().east_asian;
    for c in list {
        let name = c["testname"].as_str().unwrap();
        let src = bytes_of(c, "src");
        let want = if ea && c.get("east_asian_locale_output").is_some() {
            match c["east_asian_locale_output_hex"].as_str() {
                Some(h) => unhex(h),
                None => c["east_asian_locale_output"]
                    .as_str()
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
            }
        } else {
            bytes_of(c, "expected")
        };
        // One Write.
        let mut w = writer(c);
        w.write_bytes(&src);
        assert_eq!(w.finish_bytes(), want, "{name}: all at once");
        // Byte by byte.
        let mut w = writer(c);
        for b in &src {
            w.write_bytes(std::slice::from_ref(b));
        }
        assert_eq!(w.finish_bytes(), want, "{name}: byte by byte");
        // Growing slices, as the Go test writes them (its chunk lengths are recorded).
        let mut w = writer(c);
        let mut i = 0;
        for len in c["writes"]["fibonacci_chunk_lengths"].as_array().unwrap() {
            let end = (i + len.as_u64().unwrap() as usize).min(src.len());
            w.write_bytes(&src[i..end]);
            i = end;
        }
        assert_eq!(i, src.len(), "{name}: chunk lengths cover the input");
        assert_eq!(w.finish_bytes(), want, "{name}: fibonacci");
    }
}

#[test]
fn upstream_cases() {
    run("Test");
}

#[test]
fn docker_formatter_cases() {
    run("Supplementary_DockerFormatter");
}
