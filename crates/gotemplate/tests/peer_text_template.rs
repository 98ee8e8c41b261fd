//! Go 1.24 text/template's own tables (exec_test.go execTests, multiExecTests and cmpTests;
//! parse_test.go errorTests) run through strata's template engine, as far as strata's value
//! model reaches: rows that need Go-only machinery (methods with arguments, func values,
//! channels, iterators, complex numbers, typed small ints, interface-typed fields, test-only
//! functions) are counted as skipped, by reason, and the counts are checked so that a row
//! cannot silently drop out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use gotemplate::{Struct, Template, Value};
use serde_json::Value as J;

fn data() -> J {
    serde_json::from_str(include_str!("peer/go_text_template_go1.24.json")).unwrap()
}

/// The categories of rows strata's value model cannot express (see the data's
/// `_skipped_categories`). `hex-float` is not here: strata parses hex floats.
const SKIP: &[&str] = &[
    "method-args",
    "func-value",
    "error-return",
    "chan",
    "iterator/range-over-func",
    "complex",
    "typed-int",
    "go-type-names",
    "interface",
    "pointer-to-interface",
    "nil-interface",
    "map-nonstring-key",
    "map-interface-key",
    "slice-cap",
    "unexported-field",
    "pointer-receiver",
];

fn skip_reason(needs: &[J]) -> Option<String> {
    needs
        .iter()
        .filter_map(J::as_str)
        .find_map(|n| (SKIP.contains(&n) || n.starts_with("func:")).then(|| n.to_string()))
}

/// A typed Go value from the data file as strata's `Value`; `None` for what the model lacks.
fn value(v: &J, prints: Option<&str>, tval: &Value) -> Option<Value> {
    if v.as_str() == Some("tVal") {
        return Some(tval.clone());
    }
    if v.get("unsupported").is_some() {
        return None;
    }
    if let Some(n) = v.get("int") {
        return Some(Value::Int(n.as_i64()?));
    }
    if let Some(n) = v.get("uint") {
        return Some(Value::Uint(n.as_u64()?));
    }
    if let Some(f) = v.get("float") {
        return Some(Value::Float(f.as_f64()?));
    }
    if let Some(b) = v.get("bool") {
        return Some(Value::Bool(b.as_bool()?));
    }
    if let Some(s) = v.get("string") {
        return Some(Value::String(s.as_str()?.to_string()));
    }
    if let Some(items) = v.get("slice").or(v.get("array")) {
        return Some(match items.as_array() {
            None => Value::List(None),
            Some(a) => Value::List(Some(
                a.iter()
                    .map(|x| value(x, None, tval))
                    .collect::<Option<Vec<_>>>()?,
            )),
        });
    }
    if let Some(m) = v.get("map") {
        if v.get("key").and_then(J::as_str) != Some("string") {
            return None;
        }
        return Some(match m.as_object() {
            None => Value::Map(None),
            Some(o) => {
                let mut out = BTreeMap::new();
                for (k, x) in o {
                    out.insert(k.clone(), value(x, None, tval)?);
                }
                Value::Map(Some(out))
            }
        });
    }
    if let Some(name) = v.get("struct").and_then(J::as_str) {
        let pointer = v["pointer"].as_bool().unwrap_or(false);
        let type_name = if pointer {
            format!("*{name}")
        } else {
            name.to_string()
        };
        let mut s = Struct::new(type_name).pointer(pointer);
        // Unexported fields are kept so fmt prints them as Go does ({7 seven}); rows that
        // would access them (an error in Go) are skipped as `unexported-field`.
        for f in v["fields"].as_array().into_iter().flatten() {
            if let Some(x) = value(&f["value"], f["template_prints"].as_str(), tval) {
                s = s.field(f["name"].as_str()?, x);
            }
        }
        if let Some(d) = v
            .get("string_method")
            .or(v.get("error_method"))
            .and_then(J::as_str)
        {
            s = s.display(d);
        }
        return Some(Value::Struct(Box::new(s)));
    }
    if let Some(p) = v.get("pointer") {
        return value(p, prints, tval);
    }
    if v.get("interface").is_some() {
        if v.get("nil").is_some() {
            return None;
        }
        return value(&v["value"], prints, tval);
    }
    if let Some(t) = v.get("nil").and_then(J::as_str) {
        // A typed nil pointer whose String/Error method prints something ("nilV").
        return Some(match prints {
            Some(p) if p != "<nil>" && p != "<no value>" => {
                Value::Struct(Box::new(Struct::new(t).pointer(true).display(p)))
            }
            _ => Value::Nil,
        });
    }
    None
}

/// `tVal`, with its zero-argument methods as fields (Method0, GetU, Copy).
fn tval(d: &J) -> Value {
    let mut s = Struct::new("*template.T").pointer(true);
    let placeholder = Value::Nil;
    for f in d["tVal"]["fields"].as_array().unwrap() {
        if let Some(x) = value(&f["value"], f["template_prints"].as_str(), &placeholder) {
            s = s.field(f["name"].as_str().unwrap(), x);
        }
    }
    let u = s.get("U").cloned().unwrap_or(Value::Nil);
    let copy = Value::Struct(Box::new(s.clone()));
    s = s
        .field("Method0", "M0")
        .field("GetU", u)
        .field("Copy", copy);
    Value::Struct(Box::new(s))
}

fn run_row(input: &str, data: &Value) -> (String, bool) {
    let mut out = String::new();
    match Template::parse(input) {
        Err(_) => (out, false),
        Ok(t) => {
            let ok = t.execute(data, &mut out).is_ok();
            (out, ok)
        }
    }
}

#[test]
fn exec_tests() {
    let d = data();
    let tv = tval(&d);
    let mut ran = 0;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for row in d["execTests"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let needs = row["needs"].as_array().unwrap();
        if let Some(reason) = skip_reason(needs) {
            *skipped.entry(reason).or_default() += 1;
            continue;
        }
        let Some(data) = value(&row["data"], None, &tv)
            .or_else(|| row["data"]["nil"].is_string().then_some(Value::Nil))
        else {
            *skipped.entry("data".into()).or_default() += 1;
            continue;
        };
        let (out, ok) = run_row(row["input"].as_str().unwrap(), &data);
        let want_ok = row["ok"].as_bool().unwrap();
        let want = row["output"].as_str().unwrap();
        if ok != want_ok || out != want {
            failures.push(format!(
                "#{} {name}: {:?} gave {out:?} ok={ok}, Go {want:?} ok={want_ok}",
                row["index"],
                row["input"].as_str().unwrap()
            ));
        }
        ran += 1;
    }
    eprintln!("execTests: {ran} run, skipped {skipped:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran >= 211, "only {ran} rows ran");
}

#[test]
fn multi_exec_tests() {
    let d = data();
    let tv = tval(&d);
    let defs = format!(
        "{}{}",
        d["multiText"]["multiText1"].as_str().unwrap(),
        d["multiText"]["multiText2"].as_str().unwrap()
    );
    let mut ran = 0;
    for row in d["multiExecTests"].as_array().unwrap() {
        if skip_reason(row["needs"].as_array().unwrap()).is_some() {
            continue;
        }
        let data = value(&row["data"], None, &tv).unwrap_or(Value::Nil);
        // The set's definitions, then this template's own text as the body.
        let input = format!("{defs}{}", row["input"].as_str().unwrap());
        let (out, ok) = run_row(&input, &data);
        let body_out = out.trim_start_matches(['\n', '\t']).to_string();
        assert_eq!(ok, row["ok"].as_bool().unwrap(), "{}", row["name"]);
        assert_eq!(body_out, row["output"].as_str().unwrap(), "{}", row["name"]);
        ran += 1;
    }
    assert!(ran >= 9, "{ran}");
}

#[test]
fn cmp_tests() {
    let d = data();
    let tv = tval(&d);
    let cmp = value(&d["cmpData"], None, &tv).unwrap();
    let mut ran = 0;
    let mut skipped = 0;
    for row in d["cmpTests"].as_array().unwrap() {
        let needs = row["needs"].as_array().unwrap();
        if skip_reason(needs).is_some()
            || needs.iter().any(|n| n.as_str() == Some("pointer-compare"))
        {
            skipped += 1;
            continue;
        }
        let (out, ok) = run_row(row["template"].as_str().unwrap(), &cmp);
        assert_eq!(ok, row["ok"].as_bool().unwrap(), "{}", row["expr"]);
        let want = if ok {
            row["truth"].as_str().unwrap()
        } else {
            ""
        };
        assert_eq!(out, want, "{}", row["expr"]);
        ran += 1;
    }
    eprintln!("cmpTests: {ran} run, {skipped} skipped");
    assert!(ran >= 90, "{ran}");
}

/// parse_test.go errorTests: the message must contain Go's text (`unclosed action`, ...).
/// Go parses these with no functions; strata's parse always knows docker's, so rows about
/// undefined functions that docker defines are the only possible difference.
#[test]
fn parse_error_tests() {
    let d = data();
    let mut ran = 0;
    for row in d["errorTests"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let input = row["input"].as_str().unwrap();
        let want = row["result"].as_str().unwrap();
        let err = Template::parse(input)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        // strata's top-level template is named "" where Go's test names it.
        let want = want.replace(&format!("{name}:"), ":");
        assert!(err.contains(&want), "{name}: {err:?} lacks {want:?}");
        ran += 1;
    }
    assert_eq!(ran, 32);
}

#[test]
fn missing_map_key() {
    let d = data();
    let tv = tval(&d);
    let t = &d["missingMapKeyTest"];
    let tmpl = Template::parse(t["input"].as_str().unwrap()).unwrap();
    for step in t["steps"].as_array().unwrap() {
        let data = value(&step["data"], None, &tv).unwrap_or(Value::Nil);
        let mut out = String::new();
        match step["option"].as_str() {
            None | Some("missingkey=default") => {
                tmpl.execute(&data, &mut out).unwrap();
                assert_eq!(out, step["want_output"].as_str().unwrap());
            }
            // docker never sets missingkey=zero; strata has no Option().
            Some("missingkey=zero") => continue,
            Some("missingkey=error") => {
                let err = tmpl.execute_raw(&data, &mut out).unwrap_err().to_string();
                let go = step["go_error"].as_str().unwrap();
                let tail = go.rsplit_once(": ").map_or(go, |(_, t)| t);
                assert!(err.ends_with(tail), "{err:?} vs {go:?}");
                assert_eq!(out, step["go_output"].as_str().unwrap());
            }
            Some(other) => panic!("option {other}"),
        }
    }
}

/// parse_test.go TestParse: `Root.String()` of each tree, with only printf and contains defined.
#[test]
fn parse_tests() {
    let d = data();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut complex = 0;
    for row in d["parseTests"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let got = gotemplate::debug_trees(row["input"].as_str().unwrap(), &["printf", "contains"]);
        match (got, row["ok"].as_bool().unwrap()) {
            (Ok(trees), true) => {
                let root = trees
                    .iter()
                    .find(|(n, _)| n.is_empty())
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default();
                if root != row["result"].as_str().unwrap() {
                    failures.push(format!("{name}: {root:?} vs {:?}", row["result"]));
                }
            }
            (Err(_), false) => {}
            // strata refuses complex constants, saying so.
            (Err(e), true) if e.contains("complex constants are not supported") => {
                complex += 1;
                continue;
            }
            (got, ok) => failures.push(format!("{name}: {got:?}, Go ok={ok}")),
        }
        ran += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("parseTests: {ran} compared, {complex} refused as complex");
    assert!(ran >= 99);
}

/// multi_test.go TestMultiParse: the set of named templates and their texts.
#[test]
fn multi_parse_tests() {
    let d = data();
    for row in d["multiParseTests"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let got = gotemplate::debug_trees(row["input"].as_str().unwrap(), &["printf", "contains"]);
        if !row["ok"].as_bool().unwrap() {
            assert!(got.is_err(), "{name}");
            continue;
        }
        let trees = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        for (tname, want) in row["results"].as_object().unwrap() {
            let (_, s) = trees
                .iter()
                .find(|(n, _)| n == tname)
                .unwrap_or_else(|| panic!("{name}: no {tname}"));
            assert_eq!(
                s,
                &strata_core_quote(want.as_str().unwrap()),
                "{name}/{tname}"
            );
        }
    }
}

fn strata_core_quote(s: &str) -> String {
    // multi_test results are raw texts; debug_trees quotes text nodes.
    if s.is_empty() {
        String::new()
    } else {
        gostrconv::quote(s)
    }
}

/// parse_test.go TestNumberParse: newNumber's flags and values.
#[test]
fn number_tests() {
    let d = data();
    let mut failures = Vec::new();
    let mut skipped = 0;
    for row in d["numberTests"].as_array().unwrap() {
        let text = row["text"].as_str().unwrap();
        if row["isComplex"].as_bool() == Some(true) {
            // strata refuses complex constants, saying so.
            let e = gotemplate::debug_number(text).unwrap_err();
            assert!(
                e.contains("complex constants are not supported"),
                "{text}: {e}"
            );
            skipped += 1;
            continue;
        }
        let got = gotemplate::debug_number(text);
        match (got, row["ok"].as_bool().unwrap()) {
            (Ok((i, u, f, i64v, u64v, f64v)), true) => {
                let want = (
                    row["isInt"].as_bool().unwrap(),
                    row["isUint"].as_bool().unwrap(),
                    row["isFloat"].as_bool().unwrap(),
                );
                if (i, u, f) != want
                    || (i && i64v != row["int64"].as_i64().unwrap())
                    || (u && u64v != row["uint64"].as_u64().unwrap())
                    || (f && f64v != row["float64"].as_f64().unwrap())
                {
                    failures.push(format!(
                        "{text}: {:?} vs {row}",
                        (i, u, f, i64v, u64v, f64v)
                    ));
                }
            }
            (Err(_), false) => {}
            (got, ok) => failures.push(format!("{text}: {got:?}, Go ok={ok}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("numberTests: {skipped} complex rows refused");
}
