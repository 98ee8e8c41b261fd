//! Go 1.24 encoding/json's tests for what strata reproduces: string escaping (encode_test
//! encodeStringTests, TestHTMLEscape), float encoding (TestMarshalFloat's generated values),
//! and the text functions Valid, Compact and Indent (scanner_test). Tests of Go's reflection
//! (struct tags, Marshaler interfaces, RawMessage types) have no counterpart in strata's
//! value model and are not ported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use strata_render::json::{marshal_float, write_string_bytes};
use strata_render::json_text;

fn data() -> Value {
    serde_json::from_str(include_str!("peer/go_encoding_json_go1.24.json")).unwrap()
}

fn cases<'a>(d: &'a Value, key: &str) -> &'a Vec<Value> {
    d[key]["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{key}"))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn bytes(c: &Value, key: &str) -> Vec<u8> {
    match c[format!("{key}_hex")].as_str() {
        Some(h) => unhex(h),
        None => c[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {c}"))
            .as_bytes()
            .to_vec(),
    }
}

#[test]
fn encode_string() {
    let d = data();
    for c in cases(&d, "encodeStringTests") {
        let mut out = String::new();
        write_string_bytes(&mut out, &bytes(c, "in"), true);
        assert_eq!(out, c["out"].as_str().unwrap(), "{c}");
    }
    for c in cases(&d, "derived_string_escaping") {
        let mut out = String::new();
        write_string_bytes(
            &mut out,
            &bytes(c, "in"),
            c["escapeHTML"].as_bool().unwrap(),
        );
        assert_eq!(out, c["out"].as_str().unwrap(), "{c}");
    }
}

#[test]
fn html_escape() {
    let d = data();
    for key in ["TestHTMLEscape", "derived_HTMLEscape"] {
        for c in cases(&d, key) {
            assert_eq!(
                json_text::html_escape(&bytes(c, "in")),
                bytes(c, "out"),
                "{key} {c}"
            );
        }
    }
}

#[test]
fn marshal_float_values() {
    let d = data();
    let m = &d["TestMarshalFloat"];
    let check = |ty: &str, bits: &str, want: Option<&str>| {
        let f = if ty == "float32" {
            f64::from(f32::from_bits(u32::from_str_radix(bits, 16).unwrap()))
        } else {
            f64::from_bits(u64::from_str_radix(bits, 16).unwrap())
        };
        let got = marshal_float(f, if ty == "float32" { 32 } else { 64 });
        assert_eq!(got.as_deref(), want, "{ty} {bits}");
    };
    for c in m["representative"].as_array().unwrap() {
        // No `out`: Go refuses the value (NaN, infinities).
        check(
            c["type"].as_str().unwrap(),
            c["bits"].as_str().unwrap(),
            c["out"].as_str(),
        );
    }
    let generated = m["generated_cases"].as_array().unwrap();
    assert!(generated.len() > 8000);
    for c in generated {
        check(
            c[0].as_str().unwrap(),
            c[1].as_str().unwrap(),
            c[2].as_str(),
        );
    }
}

#[test]
fn valid() {
    let d = data();
    for c in cases(&d, "TestValid") {
        assert_eq!(
            json_text::valid(c["data"].as_str().unwrap().as_bytes()),
            c["ok"].as_bool().unwrap(),
            "{c}"
        );
    }
}

#[test]
fn compact_and_indent() {
    let d = data();
    for c in cases(&d, "TestCompactAndIndent") {
        let compact = c["compact"].as_str().unwrap().as_bytes();
        let indented = c["indent"].as_str().unwrap().as_bytes();
        assert_eq!(json_text::compact(compact).unwrap(), compact);
        assert_eq!(json_text::compact(indented).unwrap(), compact);
        assert_eq!(json_text::indent(indented, "", "\t").unwrap(), indented);
        assert_eq!(json_text::indent(compact, "", "\t").unwrap(), indented);
    }
}

#[test]
fn compact_separators() {
    let d = data();
    for c in cases(&d, "TestCompactSeparators") {
        let got = json_text::compact(c["in"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(got, c["compact"].as_str().unwrap().as_bytes());
    }
}

#[test]
fn indent_errors() {
    let d = data();
    for c in cases(&d, "TestIndentErrors") {
        let err = json_text::indent(c["in"].as_str().unwrap().as_bytes(), "", "").unwrap_err();
        assert_eq!(err.msg, c["err"].as_str().unwrap());
        assert_eq!(err.offset as u64, c["offset"].as_u64().unwrap());
    }
}

#[test]
fn derived_indent_and_compact() {
    let d = data();
    for c in cases(&d, "derived_Indent") {
        let got = json_text::indent(
            &bytes(c, "in"),
            c["prefix"].as_str().unwrap(),
            c["indent"].as_str().unwrap(),
        );
        match c.get("err").and_then(Value::as_str) {
            Some(e) => {
                let err = got.unwrap_err();
                assert_eq!(err.msg, e, "{c}");
                assert_eq!(err.offset as u64, c["offset"].as_u64().unwrap(), "{c}");
            }
            None => assert_eq!(got.unwrap(), bytes(c, "out"), "{c}"),
        }
    }
    for c in cases(&d, "derived_Compact") {
        let got = json_text::compact(&bytes(c, "in"));
        match c.get("err").and_then(Value::as_str) {
            Some(e) => assert_eq!(got.unwrap_err().msg, e, "{c}"),
            None => assert_eq!(got.unwrap(), bytes(c, "out"), "{c}"),
        }
    }
}
