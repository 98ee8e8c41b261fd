//! docker/go-units v0.5.0's size_test.go and duration_test.go, its examples, and edge cases
//! recorded from the real library, run against strata's port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use strata_render::units;

fn data() -> Value {
    serde_json::from_str(include_str!("peer/docker_go_units_v0.5.0.json")).unwrap()
}

fn float_input(c: &Value) -> f64 {
    if let Some(f) = c["input"].as_f64() {
        return f;
    }
    match c["input_go_float"].as_str().unwrap() {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        other => other.parse().unwrap(),
    }
}

fn check(c: &Value) {
    let f = c["fn"].as_str().unwrap();
    let want_err = c["err"].as_str();
    match f {
        "BytesSize" | "HumanSize" | "HumanSizeWithPrecision" | "CustomSize" => {
            let x = float_input(c);
            let got = match f {
                "BytesSize" => units::bytes_size(x),
                "HumanSize" => units::human_size(x),
                "HumanSizeWithPrecision" => {
                    units::human_size_with_precision(x, c["precision"].as_u64().unwrap() as usize)
                }
                _ => {
                    let binary = c["map"].as_str().unwrap() == "binaryAbbrs";
                    let (s, unit) = units::size_and_unit(
                        x,
                        c["base"].as_f64().unwrap(),
                        units::unit_names(binary),
                    );
                    match c["format"].as_str().unwrap() {
                        "%.4g %s" => format!("{} {unit}", units::format_g(s, 4)),
                        "%.1f %s" => format!("{s:.1} {unit}"),
                        "%.3f%s" => format!("{s:.3}{unit}"),
                        "%g|%s" => format!("{}|{unit}", units::format_g_shortest(s)),
                        other => panic!("format {other}"),
                    }
                }
            };
            assert_eq!(got, c["expected"].as_str().unwrap(), "{f}({x})");
        }
        "FromHumanSize" | "RAMInBytes" => {
            let input = c["input"].as_str().unwrap();
            let got = if f == "FromHumanSize" {
                units::from_human_size(input)
            } else {
                units::ram_in_bytes(input)
            };
            match want_err {
                Some(e) => assert_eq!(got, Err(e.to_string()), "{f}({input:?})"),
                None => assert_eq!(got, Ok(c["expected"].as_i64().unwrap()), "{f}({input:?})"),
            }
        }
        "HumanDuration" => {
            let d = c["input"].as_i64().unwrap();
            assert_eq!(
                units::human_duration_nanos(i128::from(d)),
                c["expected"].as_str().unwrap(),
                "{d}"
            );
        }
        other => panic!("unknown fn {other}"),
    }
}

fn run(key: &str) {
    let d = data();
    let list = d[key].as_array().unwrap_or_else(|| panic!("{key}"));
    assert!(!list.is_empty());
    list.iter().for_each(check);
}

#[test]
fn bytes_size() {
    run("TestBytesSize");
    run("ExampleBytesSize");
    run("Supplementary_BytesSize");
}

#[test]
fn human_size() {
    run("TestHumanSize");
    run("ExampleHumanSize");
    run("Supplementary_HumanSize");
    run("Supplementary_HumanSizeWithPrecision");
    run("Supplementary_CustomSize");
}

#[test]
fn from_human_size() {
    run("TestFromHumanSize");
    run("ExampleFromHumanSize");
    run("Supplementary_FromHumanSize");
}

#[test]
fn ram_in_bytes() {
    run("TestRAMInBytes");
    run("ExampleRAMInBytes");
    run("Supplementary_RAMInBytes");
}

#[test]
fn human_duration() {
    run("TestHumanDuration");
    run("ExampleHumanDuration");
    run("Supplementary_HumanDuration");
}
