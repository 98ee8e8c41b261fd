//! `docker image inspect`: one typed value ([`Inspect`], the daemon's `types.ImageInspect` of
//! API 1.41) built from the typed image config, serialised to the daemon's JSON and exposed
//! to `--format` templates as docker CLI 28 sees it, both from the same value.

use std::collections::BTreeMap;

use gotemplate::{Struct, Value as T};
use serde_json::{Map, Value};
use strata_core::config::{ContainerConfig, HealthConfig, ImageConfig, RootFs, View};

use crate::json::{Style, encode};
use crate::time::{ZERO, format_go_string, format_rfc3339_nano, parse_rfc3339};

/// The daemon's `GraphDriver`: the storage driver's name and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphDriver {
    /// `Data` (`null` when `None`).
    pub data: Option<BTreeMap<String, String>>,
    /// `Name`.
    pub name: String,
}

impl GraphDriver {
    /// strata has no graph driver, so it names itself.
    pub fn strata() -> GraphDriver {
        GraphDriver {
            data: None,
            name: "strata".into(),
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("Data".into(), View::Map(self.data.as_ref()).to_json());
        m.insert("Name".into(), Value::String(self.name.clone()));
        Value::Object(m)
    }
}

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
    /// The `GraphDriver` to show.
    pub graph_driver: GraphDriver,
}

/// One image as `docker image inspect` shows it.
#[derive(Debug, Clone)]
pub struct Inspect {
    /// `Id`.
    pub id: String,
    /// `RepoTags`.
    pub repo_tags: Vec<String>,
    /// `RepoDigests`.
    pub repo_digests: Vec<String>,
    /// `Parent`.
    pub parent: String,
    /// `Comment`.
    pub comment: String,
    /// `Created`, RFC 3339 with nanoseconds.
    pub created: String,
    /// `Container`.
    pub container: String,
    /// `ContainerConfig`.
    pub container_config: ContainerConfig,
    /// `DockerVersion`.
    pub docker_version: String,
    /// `Author`.
    pub author: String,
    /// `Config`.
    pub config: Option<ContainerConfig>,
    /// `Architecture`.
    pub architecture: String,
    /// `Variant`.
    pub variant: String,
    /// `Os`.
    pub os: String,
    /// `OsVersion`.
    pub os_version: String,
    /// `Size` and `VirtualSize`.
    pub size: u64,
    /// `GraphDriver`.
    pub graph_driver: GraphDriver,
    /// `RootFS`.
    pub rootfs: RootFs,
    /// `Metadata.LastTagTime`.
    pub last_tag_time: String,
}

impl Inspect {
    /// What the daemon answers for an image with this config and these facts.
    pub fn new(config: &ImageConfig, facts: InspectFacts) -> Inspect {
        // The daemon falls back to the newest history entry's comment (`docker commit -m`).
        let comment = match (&config.comment, config.history.last()) {
            (c, Some(last)) if c.is_empty() => last.comment.clone(),
            (c, _) => c.clone(),
        };
        let created = config
            .created
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or(ZERO);
        Inspect {
            id: facts.id,
            repo_tags: facts.repo_tags,
            repo_digests: facts.repo_digests,
            parent: facts.parent,
            comment,
            created: format_rfc3339_nano(created),
            container: config.container.clone(),
            container_config: config.container_config.clone().unwrap_or_default(),
            docker_version: config.docker_version.clone(),
            author: config.author.clone(),
            config: config.config.clone(),
            architecture: config.architecture.clone(),
            variant: config.variant.clone(),
            os: if config.os.is_empty() {
                "linux".into()
            } else {
                config.os.clone()
            },
            os_version: config.os_version.clone(),
            size: facts.size,
            graph_driver: facts.graph_driver,
            rootfs: config.rootfs.clone(),
            last_tag_time: facts.last_tag_time,
        }
    }

    fn rootfs_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("Type".into(), Value::String(self.rootfs.kind.clone()));
        let layers = View::List(self.rootfs.diff_ids.as_deref());
        if !layers.is_empty() {
            m.insert("Layers".into(), layers.to_json());
        }
        Value::Object(m)
    }

    fn metadata_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "LastTagTime".into(),
            Value::String(self.last_tag_time.clone()),
        );
        Value::Object(m)
    }

    /// The daemon's JSON, in its field order.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let s = |v: &String| Value::String(v.clone());
        let list = |l: &[String]| Value::Array(l.iter().map(s).collect());
        m.insert("Id".into(), s(&self.id));
        m.insert("RepoTags".into(), list(&self.repo_tags));
        m.insert("RepoDigests".into(), list(&self.repo_digests));
        m.insert("Parent".into(), s(&self.parent));
        m.insert("Comment".into(), s(&self.comment));
        m.insert("Created".into(), s(&self.created));
        m.insert("Container".into(), s(&self.container));
        m.insert("ContainerConfig".into(), self.container_config.to_json());
        m.insert("DockerVersion".into(), s(&self.docker_version));
        m.insert("Author".into(), s(&self.author));
        m.insert(
            "Config".into(),
            self.config
                .as_ref()
                .map_or(Value::Null, ContainerConfig::to_json),
        );
        m.insert("Architecture".into(), s(&self.architecture));
        if !self.variant.is_empty() {
            m.insert("Variant".into(), s(&self.variant));
        }
        m.insert("Os".into(), s(&self.os));
        if !self.os_version.is_empty() {
            m.insert("OsVersion".into(), s(&self.os_version));
        }
        m.insert("Size".into(), Value::from(self.size));
        m.insert("VirtualSize".into(), Value::from(self.size));
        m.insert("GraphDriver".into(), self.graph_driver.to_json());
        m.insert("RootFS".into(), self.rootfs_json());
        m.insert("Metadata".into(), self.metadata_json());
        Value::Object(m)
    }

    /// The value CLI 28 executes `--format` on first: the daemon's JSON decoded into its
    /// `image.InspectResponse`, where `Config` is a `dockerspec.DockerOCIImageConfig`.
    pub fn template_data(&self) -> T {
        // JSON of the typed struct: the CLI's field set and its omitempty rules.
        let mut json = Map::new();
        let mut put = |k: &str, v: Value, omitempty: bool| {
            let empty = matches!(&v, Value::String(s) if s.is_empty()) || v.as_u64() == Some(0);
            if !(omitempty && empty) {
                json.insert(k.to_string(), v);
            }
        };
        let daemon = self.to_json();
        for (k, v) in daemon.as_object().into_iter().flatten() {
            match k.as_str() {
                "Config" => put(k, self.config.as_ref().map_or(Value::Null, oci_json), false),
                "Created" | "Container" | "Variant" | "OsVersion" | "VirtualSize" => {
                    put(k, v.clone(), true)
                }
                _ => put(k, v.clone(), false),
            }
        }
        let mut last_tag = Struct::new("time.Time");
        last_tag.display = Some(match parse_rfc3339(&self.last_tag_time) {
            Some(t) => format_go_string(t.unix, 0, "UTC"),
            None => self.last_tag_time.clone(),
        });
        last_tag.json = Some(compact(&Value::String(self.last_tag_time.clone())));
        let metadata = Struct::new("image.Metadata")
            .field("LastTagTime", T::Struct(Box::new(last_tag)))
            .json(compact(&self.metadata_json()));
        let rootfs = Struct::new("image.RootFS")
            .field("Type", T::String(self.rootfs.kind.clone()))
            .field(
                "Layers",
                template(View::List(self.rootfs.diff_ids.as_deref()).as_sent(true)),
            )
            .json(compact(&self.rootfs_json()));
        let graph = Struct::new("storage.DriverData")
            .field("Data", template(View::Map(self.graph_driver.data.as_ref())))
            .field("Name", T::String(self.graph_driver.name.clone()))
            .json(compact(&self.graph_driver.to_json()));
        let s = |v: &String| T::String(v.clone());
        let size = i64::try_from(self.size).unwrap_or(i64::MAX);
        let st = Struct::new("image.InspectResponse")
            .field("ID", s(&self.id))
            .field("RepoTags", T::strings(self.repo_tags.iter().cloned()))
            .field("RepoDigests", T::strings(self.repo_digests.iter().cloned()))
            .field("Parent", s(&self.parent))
            .field("Comment", s(&self.comment))
            .field("Created", s(&self.created))
            .field("Container", s(&self.container))
            .field(
                "ContainerConfig",
                container_config_struct(&self.container_config),
            )
            .field("DockerVersion", s(&self.docker_version))
            .field("Author", s(&self.author))
            .field("Config", self.config.as_ref().map_or(T::Nil, oci_struct))
            .field("Architecture", s(&self.architecture))
            .field("Variant", s(&self.variant))
            .field("Os", s(&self.os))
            .field("OsVersion", s(&self.os_version))
            .field("Size", T::Int(size))
            .field("VirtualSize", T::Int(size))
            .field("GraphDriver", T::Struct(Box::new(graph)))
            .field("RootFS", T::Struct(Box::new(rootfs)))
            .field("Metadata", T::Struct(Box::new(metadata)))
            .field("Descriptor", T::Nil)
            .field("Manifests", T::List(None))
            .json(compact(&Value::Object(json)));
        T::Struct(Box::new(st))
    }

    /// The CLI's fallback: the daemon's JSON decoded into `map[string]interface{}`.
    pub fn raw_data(&self) -> T {
        raw(&self.to_json())
    }
}

fn compact(v: &Value) -> String {
    encode(
        v,
        Style {
            escape_html: false,
            indent: None,
        },
    )
}

/// `time.Duration.String()`.
fn go_duration(nanos: i64) -> String {
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
        out.push_str(&(n / div).to_string());
        let frac = n % div;
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
            out.push('.');
            out.push_str(format!("{frac:09}").trim_end_matches('0'));
        }
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

fn duration(n: i64) -> T {
    let d = Struct::new("time.Duration")
        .display(go_duration(n))
        .json(n.to_string());
    T::Struct(Box::new(d))
}

/// The health check as the CLI decodes what the daemon sent (API 1.41 has no
/// `StartInterval`, so the CLI's field stays zero).
fn health_struct(h: &HealthConfig) -> T {
    let test = View::List(h.test.as_deref()).as_sent(true);
    let mut st = Struct::new("container.HealthConfig").field("Test", template(test));
    for (k, n) in h.durations() {
        st = st.field(k, duration(n));
    }
    let st = st
        .field("StartInterval", duration(0))
        .field("Retries", T::Int(h.retries))
        .json(compact(&h.to_json()));
    T::Struct(Box::new(st))
}

/// A field's value as a template sees the Go value.
fn template(v: View<'_>) -> T {
    match v {
        View::Str(s) => T::String(s.to_string()),
        View::Bool(b) => T::Bool(b),
        View::List(l) => T::List(l.map(|l| l.iter().cloned().map(T::String).collect())),
        View::Set(s) => T::Map(s.map(|s| {
            s.iter()
                .map(|k| {
                    let e = Struct::new("struct {}").json("{}");
                    (k.clone(), T::Struct(Box::new(e)))
                })
                .collect()
        })),
        View::Map(m) => T::Map(m.map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), T::String(v.clone())))
                .collect()
        })),
        View::Health(h) => h.map_or(T::Nil, health_struct),
        View::Int(i) => i.map_or(T::Nil, T::Int),
    }
}

/// `container.Config` as the CLI decodes the daemon's JSON of it.
fn container_config_struct(c: &ContainerConfig) -> T {
    let mut st = Struct::new("container.Config").json(compact(&c.to_json()));
    for f in c.fields() {
        st = st.field(f.name, template(f.value.as_sent(f.omitempty)));
    }
    T::Struct(Box::new(st))
}

/// CLI 28 decodes `Config` into `dockerspec.DockerOCIImageConfig`: the OCI image config's
/// fields, then Healthcheck, OnBuild, Shell, every one `omitempty` (tests/docker/FINDINGS.md).
fn oci_json(c: &ContainerConfig) -> Value {
    Value::Object(
        c.oci_fields()
            .into_iter()
            .map(|f| (f.name, f.value.as_sent(f.omitempty)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect(),
    )
}

fn oci_struct(c: &ContainerConfig) -> T {
    // The embedded structs' fields are promoted, so `.Config.Env` reaches them directly.
    let mut st = Struct::new("dockerspec.DockerOCIImageConfig").json(compact(&oci_json(c)));
    for f in c.oci_fields() {
        st = st.field(f.name, template(f.value.as_sent(f.omitempty)));
    }
    T::Struct(Box::new(st))
}

fn raw(v: &Value) -> T {
    match v {
        Value::Null => T::Nil,
        Value::Bool(b) => T::Bool(*b),
        // json.Number: prints as written.
        Value::Number(n) => match n.as_i64() {
            Some(i) => T::Int(i),
            None => T::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => T::String(s.clone()),
        Value::Array(a) => T::List(Some(a.iter().map(raw).collect())),
        Value::Object(o) => T::Map(Some(o.iter().map(|(k, x)| (k.clone(), raw(x))).collect())),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use gotemplate::Template;

    fn inspect(config: &str) -> Inspect {
        let v = strata_core::gojson::parse(config.as_bytes()).unwrap();
        Inspect::new(
            &ImageConfig::decode(&v),
            InspectFacts {
                id: "sha256:1".into(),
                repo_tags: vec![],
                repo_digests: vec![],
                parent: String::new(),
                size: 0,
                last_tag_time: "0001-01-01T00:00:00Z".into(),
                graph_driver: GraphDriver::strata(),
            },
        )
    }

    fn run(i: &Inspect, template: &str) -> String {
        let mut out = String::new();
        Template::parse(template)
            .unwrap()
            .execute(&i.template_data(), &mut out)
            .unwrap();
        out
    }

    #[test]
    fn an_empty_omitempty_list_reaches_templates_as_nil() {
        // The daemon leaves `Shell: []` out, so the CLI decodes nil; `Env: []` it sends.
        let i = inspect(r#"{"config":{"Shell":[],"Env":[]}}"#);
        assert_eq!(
            run(&i, "{{json .Config.Shell}} {{json .Config.Env}}"),
            "null []"
        );
        assert_eq!(
            run(
                &i,
                "{{json .ContainerConfig.Shell}} {{json .ContainerConfig.Env}}"
            ),
            "null null"
        );
    }

    #[test]
    fn the_clis_json_leaves_out_its_empty_omitempty_fields() {
        let i = inspect(r#"{"architecture":"amd64","config":{"User":"app"}}"#);
        let json = run(&i, "{{json .}}");
        assert!(!json.contains("VirtualSize"), "{json}");
        assert!(!json.contains("\"Variant\""), "{json}");
        assert!(json.contains(r#""Config":{"User":"app"}"#), "{json}");
        let daemon = i.to_json();
        assert_eq!(daemon["VirtualSize"], serde_json::json!(0));
        assert_eq!(daemon["Config"]["Env"], Value::Null);
    }

    #[test]
    fn health_check_durations_print_as_go_durations() {
        let i =
            inspect(r#"{"config":{"Healthcheck":{"Test":["CMD","true"],"Interval":30000000000}}}"#);
        assert_eq!(
            run(
                &i,
                "{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.StartInterval}} {{json .Config.Healthcheck}}"
            ),
            r#"30s 0s {"Test":["CMD","true"],"Interval":30000000000}"#
        );
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(30_000_000_000), "30s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(go_duration(0), "0s");
    }
}
