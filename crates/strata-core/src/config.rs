//! The image config as typed values, decoded the way the daemon's Go structs decode it (field
//! names matched case-insensitively, the last matching key wins, a value of the wrong kind
//! becomes the zero value). [`ContainerConfig`] is moby's `container.Config` and holds THE
//! field list: its declaration below is the only place the fields are named, with each one's
//! Go `omitempty` and its place in the OCI image config. Every view of a config (inspect's
//! JSON, the template data of `inspect --format`, the v1 image IDs `load` computes, the image
//! diff) walks [`ContainerConfig::fields`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::gojson;

/// moby's `strslice.StrSlice` (Cmd, Entrypoint, Shell): a list, or a lone string taken as a
/// one-element list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrSlice(pub Option<Vec<String>>);

/// moby's `container.HealthConfig`; durations in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthConfig {
    /// `Test`: the check command.
    pub test: Option<Vec<String>>,
    /// `Interval`.
    pub interval: i64,
    /// `Timeout`.
    pub timeout: i64,
    /// `StartPeriod`.
    pub start_period: i64,
    /// `StartInterval` (API 1.44; daemons before it drop it).
    pub start_interval: i64,
    /// `Retries`.
    pub retries: i64,
}

impl HealthConfig {
    fn decode(v: &Value) -> HealthConfig {
        let int = |k| gojson::get(v, k).and_then(Value::as_i64).unwrap_or(0);
        HealthConfig {
            test: GoField::decode(gojson::get(v, "Test")),
            interval: int("Interval"),
            timeout: int("Timeout"),
            start_period: int("StartPeriod"),
            start_interval: int("StartInterval"),
            retries: int("Retries"),
        }
    }

    /// The duration fields as the daemon (API 1.41) sends them, in Go's order: (name, value).
    pub fn durations(&self) -> [(&'static str, i64); 3] {
        [
            ("Interval", self.interval),
            ("Timeout", self.timeout),
            ("StartPeriod", self.start_period),
        ]
    }

    /// The daemon's JSON (API 1.41, every field `omitempty`).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(t) = self.test.as_ref().filter(|t| !t.is_empty()) {
            m.insert("Test".into(), strings(t));
        }
        for (k, n) in self.durations() {
            if n != 0 {
                m.insert(k.into(), Value::from(n));
            }
        }
        if self.retries != 0 {
            m.insert("Retries".into(), Value::from(self.retries));
        }
        Value::Object(m)
    }
}

/// One field's value, by the kind Go declares it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View<'a> {
    /// `string`.
    Str(&'a str),
    /// `bool`.
    Bool(bool),
    /// `[]string` or `strslice.StrSlice`; `None` is Go's nil.
    List(Option<&'a [String]>),
    /// `map[string]struct{}` (`nat.PortSet`, Volumes).
    Set(Option<&'a BTreeSet<String>>),
    /// `map[string]string`.
    Map(Option<&'a BTreeMap<String, String>>),
    /// `*container.HealthConfig`.
    Health(Option<&'a HealthConfig>),
    /// `*int`.
    Int(Option<i64>),
}

fn strings(l: &[String]) -> Value {
    Value::Array(l.iter().cloned().map(Value::String).collect())
}

impl View<'_> {
    /// Whether Go's `omitempty` drops it: "", false, nil or empty list and map, nil pointer.
    pub fn is_empty(&self) -> bool {
        match *self {
            View::Str(s) => s.is_empty(),
            View::Bool(b) => !b,
            View::List(l) => l.is_none_or(<[String]>::is_empty),
            View::Set(s) => s.is_none_or(BTreeSet::is_empty),
            View::Map(m) => m.is_none_or(BTreeMap::is_empty),
            View::Health(h) => h.is_none(),
            View::Int(i) => i.is_none(),
        }
    }

    /// The value after a round trip through the daemon's JSON when the field is `omitempty`:
    /// an empty list or map arrives as nil.
    pub fn as_sent(self, omitempty: bool) -> Self {
        match self {
            View::List(Some(l)) if omitempty && l.is_empty() => View::List(None),
            View::Set(Some(s)) if omitempty && s.is_empty() => View::Set(None),
            View::Map(Some(m)) if omitempty && m.is_empty() => View::Map(None),
            v => v,
        }
    }

    /// The value as Go's `json.Marshal` writes it (maps with sorted keys).
    pub fn to_json(&self) -> Value {
        match *self {
            View::Str(s) => Value::String(s.to_string()),
            View::Bool(b) => Value::Bool(b),
            View::List(l) => l.map_or(Value::Null, strings),
            View::Set(s) => s.map_or(Value::Null, |s| {
                Value::Object(
                    s.iter()
                        .map(|k| (k.clone(), Value::Object(Map::new())))
                        .collect(),
                )
            }),
            View::Map(m) => m.map_or(Value::Null, |m| {
                Value::Object(
                    m.iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                )
            }),
            View::Health(h) => h.map_or(Value::Null, HealthConfig::to_json),
            View::Int(i) => i.map_or(Value::Null, Value::from),
        }
    }
}

/// A Rust type that holds one Go field kind.
trait GoField {
    fn decode(v: Option<&Value>) -> Self;
    fn view(&self) -> View<'_>;
}

impl GoField for String {
    fn decode(v: Option<&Value>) -> Self {
        v.and_then(Value::as_str).unwrap_or_default().to_string()
    }
    fn view(&self) -> View<'_> {
        View::Str(self)
    }
}

impl GoField for bool {
    fn decode(v: Option<&Value>) -> Self {
        v.and_then(Value::as_bool).unwrap_or(false)
    }
    fn view(&self) -> View<'_> {
        View::Bool(*self)
    }
}

fn list(a: &[Value]) -> Vec<String> {
    a.iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

impl GoField for Option<Vec<String>> {
    fn decode(v: Option<&Value>) -> Self {
        v.and_then(Value::as_array).map(|a| list(a))
    }
    fn view(&self) -> View<'_> {
        View::List(self.as_deref())
    }
}

impl GoField for StrSlice {
    fn decode(v: Option<&Value>) -> Self {
        StrSlice(match v {
            Some(Value::Array(a)) => Some(list(a)),
            Some(Value::String(s)) => Some(vec![s.clone()]),
            _ => None,
        })
    }
    fn view(&self) -> View<'_> {
        View::List(self.0.as_deref())
    }
}

impl GoField for Option<BTreeSet<String>> {
    fn decode(v: Option<&Value>) -> Self {
        v.and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
    }
    fn view(&self) -> View<'_> {
        View::Set(self.as_ref())
    }
}

impl GoField for Option<BTreeMap<String, String>> {
    fn decode(v: Option<&Value>) -> Self {
        v.and_then(Value::as_object).map(|o| {
            o.iter()
                .map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string()))
                .collect()
        })
    }
    fn view(&self) -> View<'_> {
        View::Map(self.as_ref())
    }
}

impl GoField for Option<HealthConfig> {
    fn decode(v: Option<&Value>) -> Self {
        v.filter(|h| h.is_object()).map(HealthConfig::decode)
    }
    fn view(&self) -> View<'_> {
        View::Health(self.as_ref())
    }
}

impl GoField for Option<i64> {
    fn decode(v: Option<&Value>) -> Self {
        v.and_then(Value::as_i64)
    }
    fn view(&self) -> View<'_> {
        View::Int(*self)
    }
}

/// One field of [`ContainerConfig`], with how Go declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRef<'a> {
    /// The Go (and JSON) name.
    pub name: &'static str,
    /// Whether `container.Config` declares it `omitempty`.
    pub omitempty: bool,
    /// Its place in the OCI image config (`v1.ImageConfig` then docker's extension:
    /// Healthcheck, OnBuild, Shell), for the fields an image config defines.
    pub oci: Option<u8>,
    /// The value.
    pub value: View<'a>,
}

macro_rules! container_config {
    ($( $(#[doc = $doc:literal])* $field:ident: $ty:ty = ($name:literal, $omit:literal, $oci:expr), )*) => {
        /// moby's `container.Config` (API 1.41), in its declaration order.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct ContainerConfig {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl ContainerConfig {
            /// Decodes a config's `config` or `container_config` object as Go does.
            pub fn decode(v: &Value) -> ContainerConfig {
                ContainerConfig {
                    $( $field: GoField::decode(gojson::get(v, $name)), )*
                }
            }

            /// Every field, in Go's declaration order.
            pub fn fields(&self) -> Vec<FieldRef<'_>> {
                vec![$(FieldRef {
                    name: $name,
                    omitempty: $omit,
                    oci: $oci,
                    value: GoField::view(&self.$field),
                },)*]
            }
        }
    };
}

container_config! {
    /// `Hostname`.
    hostname: String = ("Hostname", false, None),
    /// `Domainname`.
    domainname: String = ("Domainname", false, None),
    /// `User`.
    user: String = ("User", false, Some(0)),
    /// `AttachStdin`.
    attach_stdin: bool = ("AttachStdin", false, None),
    /// `AttachStdout`.
    attach_stdout: bool = ("AttachStdout", false, None),
    /// `AttachStderr`.
    attach_stderr: bool = ("AttachStderr", false, None),
    /// `ExposedPorts`.
    exposed_ports: Option<BTreeSet<String>> = ("ExposedPorts", true, Some(1)),
    /// `Tty`.
    tty: bool = ("Tty", false, None),
    /// `OpenStdin`.
    open_stdin: bool = ("OpenStdin", false, None),
    /// `StdinOnce`.
    stdin_once: bool = ("StdinOnce", false, None),
    /// `Env`.
    env: Option<Vec<String>> = ("Env", false, Some(2)),
    /// `Cmd`.
    cmd: StrSlice = ("Cmd", false, Some(4)),
    /// `Healthcheck`.
    healthcheck: Option<HealthConfig> = ("Healthcheck", true, Some(10)),
    /// `ArgsEscaped`.
    args_escaped: bool = ("ArgsEscaped", true, Some(9)),
    /// `Image`.
    image: String = ("Image", false, None),
    /// `Volumes`.
    volumes: Option<BTreeSet<String>> = ("Volumes", false, Some(5)),
    /// `WorkingDir`.
    working_dir: String = ("WorkingDir", false, Some(6)),
    /// `Entrypoint`.
    entrypoint: StrSlice = ("Entrypoint", false, Some(3)),
    /// `NetworkDisabled`.
    network_disabled: bool = ("NetworkDisabled", true, None),
    /// `MacAddress`.
    mac_address: String = ("MacAddress", true, None),
    /// `OnBuild`.
    on_build: Option<Vec<String>> = ("OnBuild", false, Some(11)),
    /// `Labels`.
    labels: Option<BTreeMap<String, String>> = ("Labels", false, Some(7)),
    /// `StopSignal`.
    stop_signal: String = ("StopSignal", true, Some(8)),
    /// `StopTimeout`.
    stop_timeout: Option<i64> = ("StopTimeout", true, None),
    /// `Shell`.
    shell: StrSlice = ("Shell", true, Some(12)),
}

impl ContainerConfig {
    /// The daemon's JSON of it (`omitempty` fields left out when empty), in Go's order.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.fields()
                .into_iter()
                .filter(|f| !(f.omitempty && f.value.is_empty()))
                .map(|f| (f.name.to_string(), f.value.to_json()))
                .collect(),
        )
    }

    /// The fields an OCI image config defines, in the OCI (and docker CLI 28) order.
    pub fn oci_fields(&self) -> Vec<FieldRef<'_>> {
        let mut f: Vec<FieldRef<'_>> = self
            .fields()
            .into_iter()
            .filter(|f| f.oci.is_some())
            .collect();
        f.sort_by_key(|f| f.oci);
        f
    }
}

/// The image's root filesystem: its type and the layers' diff IDs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootFs {
    /// `type` (`layers`).
    pub kind: String,
    /// `diff_ids`, base first.
    pub diff_ids: Option<Vec<String>>,
}

/// One `history` entry of the config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    /// `created`, verbatim, when present.
    pub created: Option<String>,
    /// `created_by`.
    pub created_by: String,
    /// `comment`.
    pub comment: String,
    /// `author`.
    pub author: String,
    /// `empty_layer`.
    pub empty_layer: bool,
}

/// A config's `history`, oldest first; what makes the daemon refuse it is an error (the
/// reason, for the caller to name the config).
pub fn history(config: &Value) -> Result<Vec<HistoryEntry>, String> {
    let arr = match gojson::get(config, "history") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("history is not an array".into()),
    };
    arr.iter()
        .map(|h| {
            if !h.is_object() {
                return Err("history entry is not an object".into());
            }
            let s = |k: &str| match gojson::get(h, k) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!("history {k} is not a string")),
            };
            let empty_layer = match gojson::get(h, "empty_layer") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("history empty_layer is not a boolean".into()),
            };
            Ok(HistoryEntry {
                created: gojson::get_str(h, "created").map(str::to_string),
                created_by: s("created_by")?,
                comment: s("comment")?,
                author: s("author")?,
                empty_layer,
            })
        })
        .collect()
}

/// One step of an image's build: a history entry, the layer it made, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Index of the history entry (`None` for a layer no entry claims).
    pub history: Option<usize>,
    /// Index of the layer it made (`None` for an `empty_layer` entry).
    pub layer: Option<usize>,
}

/// Pairs history with layers as the daemon does: the k-th entry that is not `empty_layer`
/// made the k-th layer; layers no entry claims come last, alone.
pub fn steps(history: &[HistoryEntry], layers: usize) -> Vec<Step> {
    let mut next = 0;
    let mut out: Vec<Step> = history
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let layer = (!h.empty_layer && next < layers).then(|| {
                next += 1;
                next - 1
            });
            Step {
                history: Some(i),
                layer,
            }
        })
        .collect();
    out.extend((next..layers).map(|l| Step {
        history: None,
        layer: Some(l),
    }));
    out
}

/// For each layer, the history entry that made it.
pub fn layer_history(history: &[HistoryEntry], layers: usize) -> Vec<Option<&HistoryEntry>> {
    let mut out = vec![None; layers];
    for s in steps(history, layers) {
        if let (Some(h), Some(l)) = (s.history, s.layer) {
            out[l] = Some(&history[h]);
        }
    }
    out
}

/// moby's `image.Image`: the image config as the daemon reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `created`, as written (the daemon parses it as RFC 3339).
    pub created: Option<String>,
    /// `author`.
    pub author: String,
    /// `architecture`.
    pub architecture: String,
    /// `variant`.
    pub variant: String,
    /// `os`.
    pub os: String,
    /// `os.version`.
    pub os_version: String,
    /// `docker_version`.
    pub docker_version: String,
    /// `container`: the ID of the container it was committed from.
    pub container: String,
    /// `comment`.
    pub comment: String,
    /// `config`: how to run it; `None` when absent or not an object.
    pub config: Option<ContainerConfig>,
    /// `container_config`: the committed container's config; `None` when absent.
    pub container_config: Option<ContainerConfig>,
    /// `rootfs`.
    pub rootfs: RootFs,
    /// `history`, oldest first (empty when the daemon would refuse it).
    pub history: Vec<HistoryEntry>,
}

impl ImageConfig {
    /// Decodes a parsed config (see [`gojson::parse`]) as the daemon does.
    pub fn decode(v: &Value) -> ImageConfig {
        let s = |k| String::decode(gojson::get(v, k));
        let object = |k| {
            gojson::get(v, k)
                .filter(|c| c.is_object())
                .map(ContainerConfig::decode)
        };
        let rootfs = gojson::get(v, "rootfs");
        ImageConfig {
            created: gojson::get_str(v, "created").map(str::to_string),
            author: s("author"),
            architecture: s("architecture"),
            variant: s("variant"),
            os: s("os"),
            os_version: s("os.version"),
            docker_version: s("docker_version"),
            container: s("container"),
            comment: s("comment"),
            config: object("config"),
            container_config: object("container_config"),
            rootfs: RootFs {
                kind: String::decode(rootfs.and_then(|r| gojson::get(r, "type"))),
                diff_ids: GoField::decode(rootfs.and_then(|r| gojson::get(r, "diff_ids"))),
            },
            history: history(v).unwrap_or_default(),
        }
    }

    /// The config's labels (`config.Labels`), empty when it has none.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(fields: &[FieldRef<'_>]) -> Vec<&'static str> {
        fields.iter().map(|f| f.name).collect()
    }

    #[test]
    fn fields_come_in_mobys_declaration_order() {
        let c = ContainerConfig::default();
        assert_eq!(
            names(&c.fields()),
            [
                "Hostname",
                "Domainname",
                "User",
                "AttachStdin",
                "AttachStdout",
                "AttachStderr",
                "ExposedPorts",
                "Tty",
                "OpenStdin",
                "StdinOnce",
                "Env",
                "Cmd",
                "Healthcheck",
                "ArgsEscaped",
                "Image",
                "Volumes",
                "WorkingDir",
                "Entrypoint",
                "NetworkDisabled",
                "MacAddress",
                "OnBuild",
                "Labels",
                "StopSignal",
                "StopTimeout",
                "Shell",
            ]
        );
    }

    #[test]
    fn oci_fields_come_in_the_image_specs_order() {
        let c = ContainerConfig::default();
        assert_eq!(
            names(&c.oci_fields()),
            [
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
            ]
        );
    }

    #[test]
    fn decoding_follows_gos_rules() {
        let v = gojson::parse(
            br#"{"user":"a","USER":"b","Cmd":"sh","Env":"A=1","Labels":{"z":"1","a":2},
                "ExposedPorts":{"80/tcp":{}},"StopTimeout":0,"Healthcheck":{"test":["CMD","x"],"retries":3}}"#,
        )
        .unwrap();
        let c = ContainerConfig::decode(&v);
        assert_eq!(c.user, "b");
        assert_eq!(c.cmd, StrSlice(Some(vec!["sh".into()])));
        assert_eq!(c.env, None, "[]string takes no lone string");
        assert_eq!(
            c.labels.as_ref().unwrap().get("a").map(String::as_str),
            Some("")
        );
        assert_eq!(c.stop_timeout, Some(0));
        assert_eq!(c.healthcheck.as_ref().unwrap().retries, 3);
    }

    #[test]
    fn the_daemons_json_drops_empty_omitempty_fields_only() {
        let c = ContainerConfig::decode(&json!({"Shell": [], "StopTimeout": 0, "Env": []}));
        let j = c.to_json();
        assert_eq!(j["Env"], json!([]));
        assert_eq!(j["Cmd"], Value::Null);
        assert_eq!(j["StopTimeout"], json!(0));
        assert!(j.get("Shell").is_none());
        assert!(j.get("Healthcheck").is_none());
        assert!(j.get("ExposedPorts").is_none());
        assert_eq!(j["Volumes"], Value::Null);
    }

    fn entry(empty_layer: bool) -> HistoryEntry {
        HistoryEntry {
            empty_layer,
            ..HistoryEntry::default()
        }
    }

    #[test]
    fn the_kth_non_empty_entry_made_the_kth_layer() {
        let h = [entry(false), entry(true), entry(false)];
        let s = |history, layer| Step { history, layer };
        assert_eq!(
            steps(&h, 3),
            [
                s(Some(0), Some(0)),
                s(Some(1), None),
                s(Some(2), Some(1)),
                s(None, Some(2))
            ]
        );
        assert_eq!(steps(&h, 1)[2], s(Some(2), None), "more steps than layers");
        let per_layer = layer_history(&h, 3);
        assert_eq!(per_layer[1], Some(&h[2]));
        assert_eq!(per_layer[2], None);
    }

    #[test]
    fn history_of_the_wrong_kind_is_refused() {
        let bad = |v| history(&gojson::parse(v).unwrap()).unwrap_err();
        assert_eq!(bad(br#"{"history":{}}"#), "history is not an array");
        assert_eq!(
            bad(br#"{"history":[{"empty_layer":"yes"}]}"#),
            "history empty_layer is not a boolean"
        );
        assert_eq!(
            bad(br#"{"history":[{"created_by":1}]}"#),
            "history created_by is not a string"
        );
    }

    #[test]
    fn an_image_config_decodes_its_parts() {
        let v = gojson::parse(
            br#"{"Architecture":"arm64","os":"linux","os.version":"10","config":{"Env":["A=1"]},
                "container_config":"x","rootfs":{"type":"layers","diff_ids":["sha256:a"]},
                "history":[{"comment":"one"},{"created_by":"sh","empty_layer":true}]}"#,
        )
        .unwrap();
        let c = ImageConfig::decode(&v);
        assert_eq!(c.architecture, "arm64");
        assert_eq!(c.os_version, "10");
        assert_eq!(c.config.unwrap().env, Some(vec!["A=1".into()]));
        assert_eq!(c.container_config, None);
        assert_eq!(c.rootfs.diff_ids, Some(vec!["sha256:a".into()]));
        assert_eq!(c.history.len(), 2);
        assert!(c.history[1].empty_layer);
    }
}
