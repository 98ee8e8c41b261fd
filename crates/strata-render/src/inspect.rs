//! `docker image inspect` output: the daemon's `types.ImageInspect` (API 1.41) built from an
//! image config read the way the daemon's Go structs read it, in Docker's field order.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use strata_core::gojson;

use crate::json::{Style, encode};
use crate::time::{ZERO, format_rfc3339_nano, parse_rfc3339};

/// Everything inspect shows that is not in the config itself.
#[derive(Debug, Clone)]
pub struct InspectFacts {
    /// `sha256:<hex>` image ID.
    pub id: String,
    /// Familiar tags, already sorted as Docker sorts them.
    pub repo_tags: Vec<String>,
    /// Familiar `name@digest` references.
    pub repo_digests: Vec<String>,
    /// Parent image ID or empty.
    pub parent: String,
    /// Sum of layer sizes as overlay2 counts them.
    pub size: u64,
    /// `Metadata.LastTagTime`, RFC 3339 (Go zero time when never tagged).
    pub last_tag_time: String,
    /// The `GraphDriver` object to show.
    pub graph_driver: Value,
}

fn go_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn go_bool(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

/// `[]string` / `strslice.StrSlice`: null stays null, a lone string becomes a one-element list.
fn str_slice(v: Option<&Value>, allow_string: bool) -> Value {
    match v {
        Some(Value::Array(a)) => Value::Array(
            a.iter()
                .map(|x| Value::String(x.as_str().unwrap_or_default().to_string()))
                .collect(),
        ),
        Some(Value::String(s)) if allow_string => Value::Array(vec![Value::String(s.clone())]),
        _ => Value::Null,
    }
}

/// A Go map with sorted keys; `struct{}` values print as `{}`.
fn go_map(v: Option<&Value>, empty_struct_values: bool) -> Value {
    match v {
        Some(Value::Object(o)) => {
            let sorted: BTreeMap<&String, &Value> = o.iter().collect();
            let mut m = Map::new();
            for (k, x) in sorted {
                let val = if empty_struct_values {
                    Value::Object(Map::new())
                } else {
                    Value::String(x.as_str().unwrap_or_default().to_string())
                };
                m.insert(k.clone(), val);
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Object(o) => !o.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

fn healthcheck(v: &Value) -> Value {
    let mut m = Map::new();
    let test = str_slice(gojson::get(v, "Test"), false);
    if non_empty(&test) {
        m.insert("Test".into(), test);
    }
    for k in ["Interval", "Timeout", "StartPeriod", "Retries"] {
        if let Some(n) = gojson::get(v, k).and_then(Value::as_i64) {
            if n != 0 {
                m.insert(k.into(), Value::from(n));
            }
        }
    }
    Value::Object(m)
}

/// The daemon's `container.Config` shape, from a config's `config`/`container_config` object.
pub fn container_config(c: &Value) -> Value {
    let get = |k: &str| gojson::get(c, k);
    let mut m = Map::new();
    m.insert("Hostname".into(), Value::String(go_string(get("Hostname"))));
    m.insert(
        "Domainname".into(),
        Value::String(go_string(get("Domainname"))),
    );
    m.insert("User".into(), Value::String(go_string(get("User"))));
    m.insert(
        "AttachStdin".into(),
        Value::Bool(go_bool(get("AttachStdin"))),
    );
    m.insert(
        "AttachStdout".into(),
        Value::Bool(go_bool(get("AttachStdout"))),
    );
    m.insert(
        "AttachStderr".into(),
        Value::Bool(go_bool(get("AttachStderr"))),
    );
    let ports = go_map(get("ExposedPorts"), true);
    if non_empty(&ports) {
        m.insert("ExposedPorts".into(), ports);
    }
    m.insert("Tty".into(), Value::Bool(go_bool(get("Tty"))));
    m.insert("OpenStdin".into(), Value::Bool(go_bool(get("OpenStdin"))));
    m.insert("StdinOnce".into(), Value::Bool(go_bool(get("StdinOnce"))));
    m.insert("Env".into(), str_slice(get("Env"), false));
    m.insert("Cmd".into(), str_slice(get("Cmd"), true));
    if let Some(h) = get("Healthcheck").filter(|h| h.is_object()) {
        m.insert("Healthcheck".into(), healthcheck(h));
    }
    if go_bool(get("ArgsEscaped")) {
        m.insert("ArgsEscaped".into(), Value::Bool(true));
    }
    m.insert("Image".into(), Value::String(go_string(get("Image"))));
    m.insert("Volumes".into(), go_map(get("Volumes"), true));
    m.insert(
        "WorkingDir".into(),
        Value::String(go_string(get("WorkingDir"))),
    );
    m.insert("Entrypoint".into(), str_slice(get("Entrypoint"), true));
    if go_bool(get("NetworkDisabled")) {
        m.insert("NetworkDisabled".into(), Value::Bool(true));
    }
    let mac = go_string(get("MacAddress"));
    if !mac.is_empty() {
        m.insert("MacAddress".into(), Value::String(mac));
    }
    m.insert("OnBuild".into(), str_slice(get("OnBuild"), false));
    m.insert("Labels".into(), go_map(get("Labels"), false));
    let stop = go_string(get("StopSignal"));
    if !stop.is_empty() {
        m.insert("StopSignal".into(), Value::String(stop));
    }
    if let Some(t) = get("StopTimeout").and_then(Value::as_i64) {
        m.insert("StopTimeout".into(), Value::from(t));
    }
    let shell = str_slice(get("Shell"), true);
    if non_empty(&shell) {
        m.insert("Shell".into(), shell);
    }
    Value::Object(m)
}

/// Builds the inspect object for one image.
pub fn inspect_value(config: &Value, facts: &InspectFacts) -> Value {
    let get = |k: &str| gojson::get(config, k);
    let mut m = Map::new();
    m.insert("Id".into(), Value::String(facts.id.clone()));
    m.insert(
        "RepoTags".into(),
        Value::Array(facts.repo_tags.iter().cloned().map(Value::String).collect()),
    );
    m.insert(
        "RepoDigests".into(),
        Value::Array(
            facts
                .repo_digests
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        ),
    );
    m.insert("Parent".into(), Value::String(facts.parent.clone()));
    // The daemon falls back to the newest history entry's comment (`docker commit -m`).
    let mut comment = go_string(get("comment"));
    if comment.is_empty() {
        if let Some(Value::Array(h)) = get("history") {
            if let Some(last) = h.last() {
                comment = go_string(gojson::get(last, "comment"));
            }
        }
    }
    m.insert("Comment".into(), Value::String(comment));
    let created = get("created")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
        .unwrap_or(ZERO);
    m.insert(
        "Created".into(),
        Value::String(format_rfc3339_nano(created)),
    );
    m.insert(
        "Container".into(),
        Value::String(go_string(get("container"))),
    );
    let empty = Value::Object(Map::new());
    let cc = get("container_config")
        .filter(|v| v.is_object())
        .unwrap_or(&empty);
    m.insert("ContainerConfig".into(), container_config(cc));
    m.insert(
        "DockerVersion".into(),
        Value::String(go_string(get("docker_version"))),
    );
    m.insert("Author".into(), Value::String(go_string(get("author"))));
    m.insert(
        "Config".into(),
        match get("config").filter(|v| v.is_object()) {
            Some(c) => container_config(c),
            None => Value::Null,
        },
    );
    m.insert(
        "Architecture".into(),
        Value::String(go_string(get("architecture"))),
    );
    let variant = go_string(get("variant"));
    if !variant.is_empty() {
        m.insert("Variant".into(), Value::String(variant));
    }
    let os = go_string(get("os"));
    m.insert(
        "Os".into(),
        Value::String(if os.is_empty() { "linux".into() } else { os }),
    );
    let os_version = go_string(get("os.version"));
    if !os_version.is_empty() {
        m.insert("OsVersion".into(), Value::String(os_version));
    }
    m.insert("Size".into(), Value::from(facts.size));
    m.insert("VirtualSize".into(), Value::from(facts.size));
    m.insert("GraphDriver".into(), facts.graph_driver.clone());
    let mut rootfs = Map::new();
    let rf = get("rootfs");
    rootfs.insert(
        "Type".into(),
        Value::String(go_string(rf.and_then(|r| gojson::get(r, "type")))),
    );
    let layers = str_slice(rf.and_then(|r| gojson::get(r, "diff_ids")), false);
    if non_empty(&layers) {
        rootfs.insert("Layers".into(), layers);
    }
    m.insert("RootFS".into(), Value::Object(rootfs));
    let mut meta = Map::new();
    meta.insert(
        "LastTagTime".into(),
        Value::String(facts.last_tag_time.clone()),
    );
    m.insert("Metadata".into(), Value::Object(meta));
    Value::Object(m)
}

/// The GraphDriver strata reports: it has no graph driver, so it names itself.
pub fn strata_graph_driver() -> Value {
    let mut m = Map::new();
    m.insert("Data".into(), Value::Null);
    m.insert("Name".into(), Value::String("strata".into()));
    Value::Object(m)
}

/// The default (no `--format`) output for several images: `json.Indent` of `[a,b]`.
pub fn render_default(values: &[Value]) -> String {
    let arr = Value::Array(values.to_vec());
    let mut s = encode(
        &arr,
        Style {
            escape_html: false,
            indent: Some(4),
        },
    );
    s.push('\n');
    s
}
