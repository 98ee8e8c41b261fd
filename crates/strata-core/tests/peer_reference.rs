//! distribution/reference v0.6.0's own test tables (reference_test.go, normalize_test.go,
//! regexp_test.go, sort_test.go), run against strata's port. Error texts are compared exactly
//! wherever Go compares them, and also where the data records the text v0.6.0 returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use strata_core::reference::{self, AnyReference, Reference};

fn data() -> Value {
    serde_json::from_str(include_str!("peer/distribution_reference_v0.6.0.json")).unwrap()
}

fn cases<'a>(d: &'a Value, key: &str) -> &'a Vec<Value> {
    d[key]["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{key} has no cases"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn err_text<T: std::fmt::Debug>(r: Result<T, strata_core::Error>) -> Option<String> {
    r.err().map(|e| e.to_string())
}

#[test]
fn reference_parse() {
    let d = data();
    for c in cases(&d, "TestReferenceParse") {
        let input = s(&c["input"]);
        let got = reference::parse(input);
        if let Some(e) = c["err"].as_str() {
            assert_eq!(err_text(got).as_deref(), Some(e), "{input}");
            continue;
        }
        let r = got.unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(r.to_string(), input);
        assert_eq!(r.name(), s(&c["repository"]), "{input}");
        assert_eq!(r.domain(), s(&c["domain"]), "{input}");
        assert_eq!(r.tag(), c["tag"].as_str(), "{input}");
        assert_eq!(r.digest_str(), c["digest"].as_str(), "{input}");
        if let Some(o) = c.get("observed") {
            assert_eq!(r.path(), s(&o["path"]), "{input}");
            assert_eq!(r.familiar_name(), s(&o["familiar_name"]), "{input}");
            assert_eq!(r.familiar(), s(&o["familiar_string"]), "{input}");
        }
    }
}

#[test]
fn with_name_failure() {
    let d = data();
    for c in cases(&d, "TestWithNameFailure") {
        let input = s(&c["input"]);
        assert_eq!(
            err_text(reference::with_name(input)).as_deref(),
            c["err"].as_str(),
            "{input}"
        );
    }
}

#[test]
fn domain_and_path() {
    let d = data();
    for c in cases(&d, "TestDomainAndPath") {
        let r = reference::with_name(s(&c["input"])).unwrap();
        assert_eq!(
            (r.domain(), r.path()),
            (s(&c["domain"]), s(&c["path"])),
            "{c}"
        );
    }
}

#[test]
fn serialization() {
    let d = data();
    for c in cases(&d, "TestSerialization") {
        let input = s(&c["input"]);
        match (reference::parse(input), c["err"].as_str()) {
            (Err(e), Some(want)) => assert_eq!(e.to_string(), want, "{input}"),
            (Ok(r), None) => {
                assert_eq!(r.to_string(), input);
                assert_eq!(Some(r.name().as_str()), c["name"].as_str(), "{input}");
                assert_eq!(r.tag(), c["tag"].as_str(), "{input}");
                assert_eq!(r.digest_str(), c["digest"].as_str(), "{input}");
            }
            (got, want) => panic!("{input}: {got:?} vs {want:?}"),
        }
        // The JSON form Go marshals: the reference as a plain string.
        let json = serde_json::json!({"Description": c["description"], "Field": input});
        assert_eq!(json.to_string(), s(&c["json"]));
    }
}

#[test]
fn with_tag() {
    let d = data();
    for c in cases(&d, "TestWithTag") {
        let mut r = reference::with_name(s(&c["name"])).unwrap();
        if let Some(dg) = c["digest"].as_str() {
            r = r.digested(dg).unwrap();
        }
        let r = r.tagged(s(&c["tag"])).unwrap();
        assert_eq!(r.to_string(), s(&c["combined"]));
    }
}

#[test]
fn with_digest() {
    let d = data();
    for c in cases(&d, "TestWithDigest") {
        let mut r = reference::with_name(s(&c["name"])).unwrap();
        if let Some(t) = c["tag"].as_str() {
            r = r.tagged(t).unwrap();
        }
        let r = r.digested(s(&c["digest"])).unwrap();
        assert_eq!(r.to_string(), s(&c["combined"]));
    }
}

#[test]
fn parse_named() {
    let d = data();
    for c in cases(&d, "TestParseNamed") {
        let input = s(&c["input"]);
        match (reference::parse_named(input), c["err"].as_str()) {
            (Err(e), Some(want)) => assert_eq!(e.to_string(), want, "{input}"),
            (Ok(r), None) => {
                assert_eq!((r.domain(), r.path()), (s(&c["domain"]), s(&c["path"])));
            }
            (got, want) => panic!("{input}: {got:?} vs {want:?}"),
        }
    }
}

fn validate_names(key: &str) {
    let d = data();
    let list = cases(&d, key);
    assert!(!list.is_empty());
    for c in list {
        let input = s(&c["input"]);
        let got = Reference::parse(input);
        match c["err"].as_str() {
            None => {
                let r = got.unwrap_or_else(|e| panic!("{input}: {e}"));
                if let Some(o) = c.get("observed") {
                    assert_eq!(r.to_string(), s(&o["string"]), "{input}");
                    assert_eq!(r.familiar(), s(&o["familiar_string"]), "{input}");
                }
            }
            Some(e) => assert_eq!(err_text(got).as_deref(), Some(e), "{input}"),
        }
    }
}

#[test]
fn validate_reference_name() {
    validate_names("TestValidateReferenceName");
}

#[test]
fn validate_remote_name() {
    validate_names("TestValidateRemoteName");
}

#[test]
fn parse_repository_info() {
    let d = data();
    for c in cases(&d, "TestParseRepositoryInfo") {
        for input in c["inputs"].as_array().unwrap() {
            let input = s(input);
            if input.is_empty() {
                continue;
            }
            let r = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.familiar_name(), s(&c["FamiliarName"]), "{input}");
            assert_eq!(r.to_string(), s(&c["FullName"]), "{input}");
            assert_eq!(r.domain(), s(&c["Domain"]), "{input}");
            assert_eq!(r.path(), s(&c["RemoteName"]), "{input}");
        }
    }
}

#[test]
fn parse_reference_with_tag_and_digest() {
    let d = data();
    for c in cases(&d, "TestParseReferenceWithTagAndDigest") {
        let r = Reference::parse(s(&c["input"])).unwrap();
        assert_eq!(r.to_string(), s(&c["string"]));
        assert!(r.tag().is_some() && r.digest().is_some());
        assert_eq!(r.familiar(), s(&c["familiar_string"]));
    }
}

#[test]
fn invalid_reference_components() {
    let d = data();
    let busybox = Reference::parse("busybox").unwrap();
    for c in cases(&d, "TestInvalidReferenceComponents") {
        let got = match s(&c["call"]) {
            "ParseNormalizedNamed" => err_text(Reference::parse(s(&c["input"]))),
            "WithTag" => err_text(busybox.tagged(s(&c["tag"]))),
            "WithDigest" => err_text(busybox.digested(s(&c["digest"]))),
            other => panic!("unknown call {other}"),
        };
        assert_eq!(got.as_deref(), c["err"].as_str(), "{c}");
    }
}

#[test]
fn parse_any_reference() {
    let d = data();
    for c in cases(&d, "TestParseAnyReference") {
        let input = s(&c["input"]);
        let r = reference::parse_any(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(r.to_go_string(), s(&c["equivalent"]), "{input}");
        let digest_only = s(&c["expected_go_type"]) == "reference.digestReference";
        assert_eq!(matches!(r, AnyReference::Digest(_)), digest_only, "{input}");
        if let AnyReference::Named(n) = &r {
            assert_eq!(
                n,
                &reference::parse(s(&c["equivalent"])).unwrap(),
                "{input}"
            );
        }
    }
}

#[test]
fn normalized_split_hostname() {
    let d = data();
    for c in cases(&d, "TestNormalizedSplitHostname") {
        let r = Reference::parse(s(&c["input"])).unwrap();
        assert_eq!(
            (r.domain(), r.path()),
            (s(&c["domain"]), s(&c["path"])),
            "{c}"
        );
    }
}

#[test]
fn match_error() {
    let d = data();
    for c in cases(&d, "TestMatchError") {
        let r = reference::parse_any(s(&c["reference"])).unwrap();
        let (_, error) = reference::familiar_match(s(&c["pattern"]), &r);
        assert!(error.is_some(), "{c}");
    }
}

#[test]
fn familiar_match() {
    let d = data();
    for c in cases(&d, "TestMatch") {
        let r = reference::parse_any(s(&c["reference"])).unwrap();
        let (matched, error) = reference::familiar_match(s(&c["pattern"]), &r);
        assert!(error.is_none(), "{c}");
        assert_eq!(matched, c["expected"].as_bool().unwrap(), "{c}");
    }
}

#[test]
fn parse_docker_ref() {
    let d = data();
    for c in cases(&d, "TestParseDockerRef") {
        let r = reference::parse_docker_ref(s(&c["input"])).unwrap();
        assert_eq!(r.to_string(), s(&c["expected"]), "{}", c["name"]);
        assert!(reference::parse(s(&c["expected"])).is_ok());
    }
}

#[test]
fn reference_sorting() {
    let d = data();
    for c in cases(&d, "TestReferenceSorting") {
        let unsorted: Vec<&str> = c["unsorted"].as_array().unwrap().iter().map(s).collect();
        let expected: Vec<&str> = c["expected"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(reference::sort(&unsorted), expected);
    }
}

/// regexp_test.go: the grammar's pieces, observed through the functions built on them.
#[test]
fn domain_regexp() {
    let d = data();
    for c in d["regexp"]["TestDomainRegexp"]["cases"].as_array().unwrap() {
        let input = s(&c["input"]);
        assert_eq!(
            reference::is_domain(input),
            c["match"].as_bool().unwrap(),
            "{input}"
        );
    }
}

#[test]
fn full_name_regexp() {
    let d = data();
    for c in d["regexp"]["TestFullNameRegexp"]["cases"]
        .as_array()
        .unwrap()
    {
        let input = s(&c["input"]);
        let got = reference::with_name(input);
        // WithName also enforces the length limit, which the bare regexp does not.
        let too_long = input.rsplit('/').count() > 0 && input.len() > 255;
        match (got, c["match"].as_bool().unwrap()) {
            (Ok(r), true) => {
                if let Some(subs) = c["subs"].as_array() {
                    assert_eq!(
                        (r.domain(), r.path()),
                        (s(&subs[0]), s(&subs[1])),
                        "{input}"
                    );
                }
            }
            (Err(_), false) => {}
            (Err(e), true) if too_long => assert!(e.to_string().contains("255"), "{input}"),
            (got, want) => panic!("{input}: {got:?}, want match={want}"),
        }
    }
}

#[test]
fn reference_regexp() {
    let d = data();
    for c in d["regexp"]["TestReferenceRegexp"]["cases"]
        .as_array()
        .unwrap()
    {
        let input = s(&c["input"]);
        let subs = c["subs"].as_array();
        match (reference::parse(input), c["match"].as_bool().unwrap()) {
            (Ok(r), true) => {
                if let Some(subs) = subs {
                    assert_eq!(r.name(), s(&subs[0]), "{input}");
                    assert_eq!(r.tag().unwrap_or(""), s(&subs[1]), "{input}");
                    assert_eq!(r.digest_str().unwrap_or(""), s(&subs[2]), "{input}");
                }
            }
            (Err(e), false) => assert_eq!(e.to_string(), "invalid reference format", "{input}"),
            // The grammar matches but go-digest refuses the digest (Parse's second check).
            (Err(e), true) => assert!(e.to_string().contains("digest"), "{input}: {e}"),
            (Ok(r), false) => panic!("{input} parsed as {r}"),
        }
    }
}

#[test]
fn identifier_regexp() {
    let d = data();
    for c in d["regexp"]["TestIdentifierRegexp"]["cases"]
        .as_array()
        .unwrap()
    {
        let input = s(&c["input"]);
        assert_eq!(
            reference::is_identifier(input),
            c["match"].as_bool().unwrap(),
            "{input}"
        );
    }
}

/// Inputs beyond the upstream tables, run through v0.6.0 itself (the CLI experiments, the
/// length limits, digest algorithms): every recorded outcome, exactly.
#[test]
fn supplementary_observed() {
    let d = data();
    for c in cases(&d, "supplementary_observed") {
        let input = s(&c["input"]);
        let want = c["err"].as_str();
        let got: Result<String, String> = match s(&c["call"]) {
            "ParseNormalizedNamed" => Reference::parse(input)
                .map(|r| r.to_string())
                .map_err(|e| e.to_string()),
            "Parse" => reference::parse(input)
                .map(|r| r.to_string())
                .map_err(|e| e.to_string()),
            "ParseAnyReference" => reference::parse_any(input)
                .map(|r| r.to_go_string())
                .map_err(|e| e.to_string()),
            "ParseDockerRef" => reference::parse_docker_ref(input)
                .map(|r| r.to_string())
                .map_err(|e| e.to_string()),
            "DigestParse" => reference::validate_digest(input)
                .map(|()| input.to_string())
                .map_err(str::to_string),
            other => panic!("unknown call {other}"),
        };
        match (got, want) {
            (Err(e), Some(w)) => assert_eq!(e, w, "{input}"),
            (Ok(v), None) => {
                if let Some(st) = c
                    .get("string")
                    .or(c.get("observed").and_then(|o| o.get("string")))
                {
                    assert_eq!(v, s(st), "{input}");
                }
            }
            (got, want) => panic!("{} {input:?}: {got:?} vs {want:?}", s(&c["call"])),
        }
    }
}
