//! Template data for `inspect --format`: the inspect JSON seen as Go sees it. Objects are
//! structs except the fields Docker declares as maps; `json` of a struct prints its JSON.

use std::collections::BTreeMap;

use gotemplate::{Struct, Value};
use serde_json::Value as J;
use strata_render::json::{Style, encode};

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

fn string_list(v: Option<&J>) -> Value {
    match v {
        Some(J::Array(a)) => Value::List(Some(
            a.iter()
                .map(|x| Value::String(x.as_str().unwrap_or_default().to_string()))
                .collect(),
        )),
        _ => Value::List(None),
    }
}

fn map_of(v: Option<&J>, empty_struct_values: bool) -> Value {
    match v {
        Some(J::Object(o)) => Value::Map(Some(
            o.iter()
                .map(|(k, x)| {
                    let val = if empty_struct_values {
                        let mut e = Struct::new("struct {}");
                        e.json = Some("{}".into());
                        Value::Struct(Box::new(e))
                    } else {
                        Value::String(x.as_str().unwrap_or_default().to_string())
                    };
                    (k.clone(), val)
                })
                .collect::<BTreeMap<_, _>>(),
        )),
        _ => Value::Map(None),
    }
}

fn s(v: Option<&J>) -> Value {
    Value::String(v.and_then(J::as_str).unwrap_or_default().to_string())
}

fn b(v: Option<&J>) -> Value {
    Value::Bool(v.and_then(J::as_bool).unwrap_or(false))
}

fn duration(v: Option<&J>) -> Value {
    let n = v.and_then(J::as_i64).unwrap_or(0);
    let mut d = Struct::new("time.Duration");
    d.display = Some(go_duration(n));
    d.json = Some(n.to_string());
    Value::Struct(Box::new(d))
}

fn healthcheck(v: Option<&J>, with_start_interval: bool) -> Value {
    let Some(h) = v.filter(|h| h.is_object()) else {
        return Value::Nil;
    };
    let mut st = Struct::new("container.HealthConfig");
    st = st.field("Test", string_list(h.get("Test")));
    st = st.field("Interval", duration(h.get("Interval")));
    st = st.field("Timeout", duration(h.get("Timeout")));
    st = st.field("StartPeriod", duration(h.get("StartPeriod")));
    if with_start_interval {
        st = st.field("StartInterval", duration(h.get("StartInterval")));
    }
    st = st.field(
        "Retries",
        Value::Int(h.get("Retries").and_then(J::as_i64).unwrap_or(0)),
    );
    st.json = Some(compact(h));
    Value::Struct(Box::new(st))
}

/// The daemon-shaped `container.Config` (ContainerConfig in CLI 28 keeps this shape).
fn container_config(v: &J) -> Value {
    if !v.is_object() {
        return Value::Nil;
    }
    let g = |k: &str| v.get(k);
    let mut st = Struct::new("container.Config");
    st.json = Some(compact(v));
    st = st
        .field("Hostname", s(g("Hostname")))
        .field("Domainname", s(g("Domainname")))
        .field("User", s(g("User")))
        .field("AttachStdin", b(g("AttachStdin")))
        .field("AttachStdout", b(g("AttachStdout")))
        .field("AttachStderr", b(g("AttachStderr")))
        .field("ExposedPorts", map_of(g("ExposedPorts"), true))
        .field("Tty", b(g("Tty")))
        .field("OpenStdin", b(g("OpenStdin")))
        .field("StdinOnce", b(g("StdinOnce")))
        .field("Env", string_list(g("Env")))
        .field("Cmd", string_list(g("Cmd")))
        .field("Healthcheck", healthcheck(g("Healthcheck"), true))
        .field("ArgsEscaped", b(g("ArgsEscaped")))
        .field("Image", s(g("Image")))
        .field("Volumes", map_of(g("Volumes"), true))
        .field("WorkingDir", s(g("WorkingDir")))
        .field("Entrypoint", string_list(g("Entrypoint")))
        .field("NetworkDisabled", b(g("NetworkDisabled")))
        .field("MacAddress", s(g("MacAddress")))
        .field("OnBuild", string_list(g("OnBuild")))
        .field("Labels", map_of(g("Labels"), false))
        .field("StopSignal", s(g("StopSignal")))
        .field(
            "StopTimeout",
            g("StopTimeout")
                .and_then(J::as_i64)
                .map(Value::Int)
                .unwrap_or(Value::Nil),
        )
        .field("Shell", string_list(g("Shell")));
    Value::Struct(Box::new(st))
}

fn nonempty(v: &J) -> bool {
    match v {
        J::Null => false,
        J::String(s) => !s.is_empty(),
        J::Bool(b) => *b,
        J::Array(a) => !a.is_empty(),
        J::Object(o) => !o.is_empty(),
        J::Number(_) => true,
    }
}

/// CLI 28 decodes `Config` into `dockerspec.DockerOCIImageConfig`: OCI ImageConfig fields,
/// then Healthcheck, OnBuild, Shell; every field omitempty in JSON (tests/docker/FINDINGS.md).
fn oci_config(v: &J) -> Value {
    if !v.is_object() {
        return Value::Nil;
    }
    let g = |k: &str| v.get(k);
    let mut json = serde_json::Map::new();
    for k in [
        "User",
        "ExposedPorts",
        "Env",
        "Entrypoint",
        "Cmd",
        "Volumes",
        "WorkingDir",
        "Labels",
        "StopSignal",
        "ArgsEscaped",
        "Healthcheck",
        "OnBuild",
        "Shell",
    ] {
        if let Some(x) = g(k).filter(|x| nonempty(x)) {
            json.insert(k.to_string(), x.clone());
        }
    }
    let image_config = Struct::new("v1.ImageConfig")
        .field("User", s(g("User")))
        .field("ExposedPorts", map_of(g("ExposedPorts"), true))
        .field("Env", string_list(g("Env")))
        .field("Entrypoint", string_list(g("Entrypoint")))
        .field("Cmd", string_list(g("Cmd")))
        .field("Volumes", map_of(g("Volumes"), true))
        .field("WorkingDir", s(g("WorkingDir")))
        .field("Labels", map_of(g("Labels"), false))
        .field("StopSignal", s(g("StopSignal")))
        .field("ArgsEscaped", b(g("ArgsEscaped")));
    let ext = Struct::new("dockerspec.DockerOCIImageConfigExt")
        .field("Healthcheck", healthcheck(g("Healthcheck"), true))
        .field("OnBuild", string_list(g("OnBuild")))
        .field("Shell", string_list(g("Shell")));
    // Promoted fields of the embedded structs are reachable directly (`.Config.Env`).
    let mut st = Struct::new("dockerspec.DockerOCIImageConfig");
    st.fields.extend(image_config.fields.iter().cloned());
    st.fields.extend(ext.fields.iter().cloned());
    st.json = Some(compact(&J::Object(json)));
    Value::Struct(Box::new(st))
}

/// Builds one template field from the JSON member of the same name.
type FieldFn = fn(Option<&J>) -> Value;

fn simple_struct(type_name: &str, v: Option<&J>, fields: &[(&str, FieldFn)]) -> Value {
    let mut st = Struct::new(type_name);
    for (k, f) in fields {
        st = st.field(*k, f(v.and_then(|x| x.get(*k))));
    }
    if let Some(x) = v {
        st.json = Some(compact(x));
    }
    Value::Struct(Box::new(st))
}

/// The typed view CLI 28 executes `--format` on first (`image.InspectResponse`).
pub fn inspect_data(v: &J) -> Value {
    let g = |k: &str| v.get(k);
    // JSON of the typed struct: the CLI's field set and omitempty rules.
    let mut json = serde_json::Map::new();
    for k in [
        "Id",
        "RepoTags",
        "RepoDigests",
        "Parent",
        "Comment",
        "Created",
        "Container",
        "ContainerConfig",
        "DockerVersion",
        "Author",
        "Config",
        "Architecture",
        "Variant",
        "Os",
        "OsVersion",
        "Size",
        "VirtualSize",
        "GraphDriver",
        "RootFS",
        "Metadata",
    ] {
        let Some(x) = g(k) else { continue };
        let omit_empty = matches!(
            k,
            "Created" | "Container" | "Variant" | "OsVersion" | "VirtualSize"
        );
        if omit_empty && !nonempty(x) {
            continue;
        }
        if k == "Config" {
            match oci_config(x) {
                Value::Struct(st) => {
                    let parsed: J = st
                        .json
                        .as_deref()
                        .and_then(|j| serde_json::from_str(j).ok())
                        .unwrap_or(J::Null);
                    json.insert(k.to_string(), parsed);
                }
                _ => {
                    json.insert(k.to_string(), J::Null);
                }
            }
            continue;
        }
        json.insert(k.to_string(), x.clone());
    }
    let mut last_tag = Struct::new("time.Time");
    let ltt = g("Metadata")
        .and_then(|m| m.get("LastTagTime"))
        .and_then(J::as_str)
        .unwrap_or_default();
    last_tag.display = Some(match strata_render::time::parse_rfc3339(ltt) {
        Some(t) => strata_render::time::format_go_string(t.unix, 0, "UTC"),
        None => ltt.to_string(),
    });
    last_tag.json = Some(compact(&J::String(ltt.to_string())));
    let mut metadata =
        Struct::new("image.Metadata").field("LastTagTime", Value::Struct(Box::new(last_tag)));
    metadata.json = g("Metadata").map(compact);
    let rootfs = simple_struct(
        "image.RootFS",
        g("RootFS"),
        &[("Type", s), ("Layers", string_list)],
    );
    let graph = simple_struct(
        "storage.DriverData",
        g("GraphDriver"),
        &[("Data", |x| map_of(x, false)), ("Name", s)],
    );
    let int = |x: Option<&J>| Value::Int(x.and_then(J::as_i64).unwrap_or(0));
    let mut st = Struct::new("image.InspectResponse")
        .field("ID", s(g("Id")))
        .field("RepoTags", string_list(g("RepoTags")))
        .field("RepoDigests", string_list(g("RepoDigests")))
        .field("Parent", s(g("Parent")))
        .field("Comment", s(g("Comment")))
        .field("Created", s(g("Created")))
        .field("Container", s(g("Container")))
        .field(
            "ContainerConfig",
            g("ContainerConfig")
                .map(container_config)
                .unwrap_or(Value::Nil),
        )
        .field("DockerVersion", s(g("DockerVersion")))
        .field("Author", s(g("Author")))
        .field("Config", g("Config").map(oci_config).unwrap_or(Value::Nil))
        .field("Architecture", s(g("Architecture")))
        .field("Variant", s(g("Variant")))
        .field("Os", s(g("Os")))
        .field("OsVersion", s(g("OsVersion")))
        .field("Size", int(g("Size")))
        .field("VirtualSize", int(g("VirtualSize")))
        .field("GraphDriver", graph)
        .field("RootFS", rootfs)
        .field("Metadata", Value::Struct(Box::new(metadata)))
        .field("Descriptor", Value::Nil)
        .field("Manifests", Value::List(None));
    st.json = Some(compact(&J::Object(json)));
    Value::Struct(Box::new(st))
}

fn raw(v: &J) -> Value {
    match v {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(*b),
        // json.Number: prints as written.
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
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
