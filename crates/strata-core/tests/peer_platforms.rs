//! containerd/platforms v1.0.0-rc.1's own test tables (platforms_test.go, compare_test.go,
//! defaults_test.go, platform_windows_compat_test.go), run against strata's port. The data file
//! holds the Go tables as facts, with host-dependent values expanded for linux/amd64.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use strata_core::manifest::Platform;
use strata_core::platform::{self, Matcher};

fn data() -> Value {
    let text = include_str!("peer/containerd_platforms_v1.0.0-rc.1.json");
    serde_json::from_str(text).expect("platforms test data")
}

fn cases<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn opt(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn platform_of(v: &Value) -> Platform {
    Platform {
        os: text(&v["os"]).to_string(),
        architecture: text(&v["architecture"]).to_string(),
        variant: opt(&v["variant"]),
        os_version: opt(&v["os_version"]),
        os_features: v["os_features"]
            .as_array()
            .map(|a| a.iter().map(|x| text(x).to_string()).collect()),
    }
}

fn on_linux_amd64() -> bool {
    platform::host_os() == "linux" && platform::host_arch() == "amd64"
}

#[test]
fn parse_selector() {
    if !on_linux_amd64() {
        return;
    }
    let d = data();
    let mut ran = 0;
    for c in cases(&d, "TestParseSelector") {
        let input = text(&c["input"]);
        if c["skip"].as_bool() == Some(true) {
            // Skipped upstream (wildcards); rc.1 refuses them with this text.
            let err = platform::parse(input).expect_err(input).to_string();
            assert_eq!(err, text(&c["actual_parse_error_rc1"]), "{input}");
            continue;
        }
        let p = platform::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(p, platform_of(&c["expected"]), "{input}");
        let m = Matcher::ordered(std::slice::from_ref(&p));
        assert!(
            m.matches(&platform_of(&c["expected"])),
            "{input} matches itself"
        );
        for mc in c["matches"].as_array().into_iter().flatten() {
            assert!(m.matches(&platform_of(mc)), "{input} should match {mc}");
        }
        let v2 = c["useV2Format"].as_bool() == Some(true);
        let fmt = |p: &Platform| {
            if v2 {
                platform::format_all(p)
            } else {
                platform::format(p)
            }
        };
        let formatted = fmt(&p);
        assert_eq!(formatted, text(&c["formatted"]), "{input}");
        let again = platform::parse(&formatted).unwrap_or_else(|e| panic!("{formatted}: {e}"));
        assert_eq!(fmt(&again), formatted, "{input} round trip");
        ran += 1;
    }
    assert!(ran >= 19, "only {ran} cases ran");
}

#[test]
fn parse_selector_invalid() {
    let d = data();
    for c in cases(&d, "TestParseSelectorInvalid") {
        let input = text(&c["input"]);
        let err = platform::parse(input).expect_err(input).to_string();
        assert_eq!(err, text(&c["err"]), "{input:?}");
    }
}

fn run_compare(key: &str, make: fn(&Platform) -> Matcher) {
    let d = data();
    let list = cases(&d["compare"], key);
    assert!(!list.is_empty());
    for c in list {
        let spec = text(&c["platform"]);
        let p = platform::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(p, platform_of(&c["parsed"]), "{spec}");
        let m = make(&p);
        for (field, want) in [("match_true", true), ("match_false", false)] {
            for s in c[field].as_array().into_iter().flatten() {
                let q = platform::parse(text(s)).unwrap_or_else(|e| panic!("{s}: {e}"));
                assert_eq!(m.matches(&q), want, "{key}({spec}) on {s}");
            }
        }
    }
}

#[test]
fn only() {
    if on_linux_amd64() {
        run_compare("TestOnly", Matcher::only);
    }
}

#[test]
fn only_strict() {
    if on_linux_amd64() {
        run_compare("TestOnlyStrict", Matcher::only_strict);
    }
}

#[test]
fn match_comparer_abi_check_wcow() {
    let d = data();
    for c in cases(&d, "TestMatchComparerMatch_ABICheckWCOW") {
        let host = platform_of(&c["host_platform"]);
        let cand = platform_of(&c["test_platform"]);
        let m = Matcher::ordered(std::slice::from_ref(&host));
        assert_eq!(m.matches(&cand), c["match"].as_bool().unwrap(), "{c}");
    }
}

#[test]
fn windows_match_comparer_less() {
    let d = data();
    let c = &d["TestWindowsMatchComparerLess"];
    let want = platform_of(&c["matcher_platform"]);
    let mut input: Vec<Platform> = cases(c, "input").iter().map(platform_of).collect();
    input.sort_by(|a, b| {
        if platform::windows_less(&want, a, b) {
            std::cmp::Ordering::Less
        } else if platform::windows_less(&want, b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    let expected: Vec<Platform> = cases(c, "expected_sorted")
        .iter()
        .map(platform_of)
        .collect();
    assert_eq!(input, expected);
}

#[test]
fn default_spec() {
    if !on_linux_amd64() {
        return;
    }
    let d = data();
    let c = &d["TestDefault"];
    assert_eq!(
        platform::default_spec(),
        platform_of(&c["expected_DefaultSpec"])
    );
    assert_eq!(
        platform::format_all(&platform::default_spec()),
        text(&c["expected_DefaultString"])
    );
}

#[test]
fn platform_compat() {
    let d = data();
    for c in cases(&d, "Test_PlatformCompat") {
        let build = |k: &str| c[k].as_u64().unwrap() as u16;
        assert_eq!(
            platform::windows_compatible((10, 0, build("host_build")), (10, 0, build("ctr_build"))),
            c["should_run"].as_bool().unwrap(),
            "{}",
            c["name"]
        );
    }
}

/// Windows-only tables (they never run on linux upstream): their matching rules hold on any
/// host once the Windows host's values are filled in: `{buildStr}` = 10.0.17763, GOARCH amd64.
#[test]
fn windows_only_match_tables() {
    let d = data();
    let windows_host = Platform {
        os: "windows".into(),
        architecture: "amd64".into(),
        os_version: Some("10.0.17763".into()),
        ..Platform::default()
    };
    let linux = Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..Platform::default()
    };
    for (key, matcher) in [
        (
            "TestMatchComparerMatch_WCOW",
            Matcher::ordered(std::slice::from_ref(&windows_host)),
        ),
        (
            "TestMatchComparerMatch_LCOW",
            Matcher::ordered(std::slice::from_ref(&linux)),
        ),
        ("TestDefaultMatchComparer", Matcher::only(&windows_host)),
    ] {
        let list = cases(&d[key], "cases");
        assert!(!list.is_empty(), "{key}");
        for c in list {
            let s = c
                .to_string()
                .replace("{buildStr}", "10.0.17763")
                .replace("{GOARCH}", "amd64");
            let c: Value = serde_json::from_str(&s).unwrap();
            let cand = match &c["platform"] {
                Value::String(s) if s == "DefaultSpec()" => windows_host.clone(),
                v => platform_of(v),
            };
            assert_eq!(
                matcher.matches(&cand),
                c["match"].as_bool().unwrap(),
                "{key}: {c}"
            );
        }
    }
}

#[test]
fn derived_parse_pins() {
    if !on_linux_amd64() {
        return;
    }
    let d = data();
    let x = &d["_derived_from_implementation"];
    for c in cases(x, "Parse") {
        let input = text(&c["input"]);
        match (platform::parse(input), c.get("parsed"), c.get("err")) {
            (Ok(p), Some(want), _) => {
                assert_eq!(p, platform_of(want), "{input}");
                assert_eq!(platform::format(&p), text(&c["Format"]), "{input}");
                assert_eq!(platform::format_all(&p), text(&c["FormatAll"]), "{input}");
            }
            (Err(e), _, Some(err)) => assert_eq!(e.to_string(), text(err), "{input}"),
            (got, _, _) => panic!("{input}: {got:?} vs {c}"),
        }
    }
    for c in cases(x, "Normalize") {
        assert_eq!(
            platform::normalize(&platform_of(&c["input"])),
            platform_of(&c["normalized"]),
            "{c}"
        );
    }
    for c in cases(x, "Format_FormatAll") {
        let p = platform_of(&c["platform"]);
        assert_eq!(platform::format(&p), text(&c["Format"]), "{c}");
        assert_eq!(platform::format_all(&p), text(&c["FormatAll"]), "{c}");
    }
    for key in ["Default_matches", "Only_unknown_arm64_variant"] {
        let spec = text(&x[key]["matcher"]);
        let want = if key == "Default_matches" {
            "linux/amd64"
        } else {
            "linux/arm64/v8.10"
        };
        assert!(spec.contains(want), "{spec}");
        let m = Matcher::only(&platform::parse(want).unwrap());
        for (cand, expect) in x[key]["results"].as_object().unwrap() {
            let q = platform::parse(cand).unwrap();
            assert_eq!(m.matches(&q), expect.as_bool().unwrap(), "{key}: {cand}");
        }
    }
}
