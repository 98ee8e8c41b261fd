//! Template data for `inspect --format`: the inspect JSON seen as Go sees it. Objects are
//! structs except the fields Docker declares as maps; `json` of a struct prints its JSON.

use std::collections::BTreeMap;

use serde_json::Value as J;
use strata_render::json::{Style, encode};
use strata_render::template::{Struct, Value};

const MAP_FIELDS: [&str; 4] = ["Labels", "ExposedPorts", "Volumes", "Data"];

fn compact(v: &J) -> String {
    encode(
        v,
        Style {
            escape_html: false,
            indent: None,
        },
    )
}

fn go_duration(nanos: i64) -> String {
    // time.Duration.String() for whole-unit values Docker stores (seconds and above, or ms).
    if nanos == 0 {
        return "0s".to_string();
    }
    let neg = nanos < 0;
    let mut n = nanos.unsigned_abs();
    let mut out = String::new();
    if n < 1_000_000_000 {
        let (unit, div) = if n < 1_000 {
            ("ns", 1)
        } else if n < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        let whole = n / div;
        let frac = n % div;
        out.push_str(&whole.to_string());
        if frac > 0 {
            let digits = format!("{:0width$}", frac, width = (div as f64).log10() as usize);
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        out.push_str(unit);
    } else {
        let h = n / 3_600_000_000_000;
        n %= 3_600_000_000_000;
        let m = n / 60_000_000_000;
        n %= 60_000_000_000;
        let s = n / 1_000_000_000;
        let frac = n % 1_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s.to_string());
        if frac > 0 {
            let digits = format!("{frac:09}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

fn convert(key: &str, v: &J) -> Value {
    match v {
        J::Null => match key {
            "Env" | "Cmd" | "Entrypoint" | "OnBuild" | "Shell" | "RepoTags" | "RepoDigests"
            | "Layers" => Value::List(None),
            k if MAP_FIELDS.contains(&k) => Value::Map(None),
            _ => Value::Nil,
        },
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                if matches!(key, "Interval" | "Timeout" | "StartPeriod") {
                    let mut s = Struct::new("time.Duration");
                    s.display = Some(go_duration(i));
                    s.json = Some(i.to_string());
                    return Value::Struct(Box::new(s));
                }
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::Uint(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        J::String(s) => {
            if key == "LastTagTime" {
                let mut t = Struct::new("time.Time");
                t.display = Some(match strata_render::time::parse_rfc3339(s) {
                    Some(gt) => strata_render::time::format_go_string(gt.unix, 0, "UTC"),
                    None => s.clone(),
                });
                t.json = Some(compact(v));
                return Value::Struct(Box::new(t));
            }
            Value::String(s.clone())
        }
        J::Array(a) => Value::List(Some(a.iter().map(|x| convert("", x)).collect())),
        J::Object(o) => {
            if MAP_FIELDS.contains(&key) {
                let m: BTreeMap<String, Value> =
                    o.iter().map(|(k, x)| (k.clone(), convert("", x))).collect();
                return Value::Map(Some(m));
            }
            let type_name = match key {
                "" => "types.ImageInspect",
                "Config" | "ContainerConfig" => "*container.Config",
                "Healthcheck" => "*container.HealthConfig",
                "GraphDriver" => "types.GraphDriverData",
                "RootFS" => "types.RootFS",
                "Metadata" => "types.ImageMetadata",
                other => other,
            };
            let mut s = Struct::new(type_name);
            s.pointer = type_name.starts_with('*');
            s.json = Some(compact(v));
            for (k, x) in o {
                s = s.field(k, convert(k, x));
            }
            // Fields Go always has even when JSON omitted them (omitempty).
            if key == "RootFS" && !o.contains_key("Layers") {
                s = s.field("Layers", Value::List(None));
            }
            Value::Struct(Box::new(s))
        }
    }
}

/// The typed view: `.Config.Env`, `.RootFS.Layers`, `json .Config.Labels` …
pub fn inspect_data(v: &J) -> Value {
    convert("", v)
}

fn raw(v: &J) -> Value {
    match v {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::List(Some(a.iter().map(raw).collect())),
        J::Object(o) => Value::Map(Some(o.iter().map(|(k, x)| (k.clone(), raw(x))).collect())),
    }
}

/// The fallback view: the JSON decoded into `map[string]interface{}` (numbers are float64).
pub fn raw_data(v: &J) -> Value {
    raw(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(30_000_000_000), "30s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(go_duration(0), "0s");
    }
}
