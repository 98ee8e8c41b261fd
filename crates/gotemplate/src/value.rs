//! The data model handed to templates: what a Go value looks like to `text/template` and `fmt`.

use std::collections::BTreeMap;

/// A Go value as seen by `text/template` and `fmt`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Go nil (nil interface or nil pointer). fmt prints `<nil>`.
    Nil,
    /// A Go `bool`.
    Bool(bool),
    /// A Go signed integer (`int`, `int64`, ...).
    Int(i64),
    /// A Go unsigned integer (`uint64`, ...).
    Uint(u64),
    /// A Go `float64`.
    Float(f64),
    /// A Go `string`.
    String(String),
    /// A Go slice. `None` is a nil slice (prints `[]`, json `null`); `Some(vec![])` prints `[]`, json `[]`.
    List(Option<Vec<Value>>),
    /// A Go map with string keys. `None` is a nil map (prints `map[]`, json `null`). fmt and json
    /// print keys sorted by byte order. Field access `.key` on a map yields the value or, when the key
    /// is missing, the "zero value" that prints as `<no value>` (Go's behaviour for `map[string]interface{}`).
    Map(Option<BTreeMap<String, Value>>),
    /// A Go struct or pointer to struct.
    Struct(Box<Struct>),
}

/// A Go struct (or pointer to struct) value.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    /// Go type name used in error messages, e.g. `*formatter.historyContext` or `types.ImageInspect`.
    pub type_name: String,
    /// True when the value is a pointer to a struct: top-level fmt printing is `&{...}`.
    pub pointer: bool,
    /// Fields (or zero-argument methods) in declaration order. `.Name` access looks them up by exact name.
    pub fields: Vec<(String, Value)>,
    /// When set, what the `json` template function returns for this value (already-rendered compact
    /// JSON, exactly as the Go MarshalJSON would produce it). When None, `json` encodes `fields` in order
    /// as a JSON object.
    pub json: Option<String>,
    /// When set, what fmt's %v / plain `{{.}}` printing shows for this value (e.g. a time.Time prints
    /// `0001-01-01 00:00:00 +0000 UTC`). When None, fmt prints `{v1 v2 ...}` (with `&` prefix if pointer at top level).
    pub display: Option<String>,
}

impl Struct {
    /// A struct with no fields yet; `pointer` is set when `type_name` starts with `*`.
    pub fn new(type_name: impl Into<String>) -> Struct {
        let type_name = type_name.into();
        let pointer = type_name.starts_with('*');
        Struct {
            type_name,
            pointer,
            fields: Vec::new(),
            json: None,
            display: None,
        }
    }

    /// Appends a field (builder style).
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Struct {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// Sets whether this is a pointer to a struct (builder style).
    pub fn pointer(mut self, pointer: bool) -> Struct {
        self.pointer = pointer;
        self
    }

    /// Sets the verbatim JSON the `json` function returns for this value (builder style).
    pub fn json(mut self, json: impl Into<String>) -> Struct {
        self.json = Some(json.into());
        self
    }

    /// Sets the text fmt prints for this value, like a Go `String()` method (builder style).
    pub fn display(mut self, display: impl Into<String>) -> Struct {
        self.display = Some(display.into());
        self
    }

    /// Looks a field up by exact name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl Value {
    /// A Go string.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A Go int.
    pub fn int(i: i64) -> Value {
        Value::Int(i)
    }

    /// A Go unsigned int.
    pub fn uint(u: u64) -> Value {
        Value::Uint(u)
    }

    /// A Go float64.
    pub fn float(f: f64) -> Value {
        Value::Float(f)
    }

    /// A Go bool.
    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    /// A non-nil slice of the given values.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(Some(items.into_iter().collect()))
    }

    /// A non-nil `[]string`.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(Some(
            items.into_iter().map(|s| Value::String(s.into())).collect(),
        ))
    }

    /// A nil slice.
    pub fn nil_list() -> Value {
        Value::List(None)
    }

    /// A non-nil map built from key/value pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(Some(
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    /// A non-nil `map[string]string`.
    pub fn string_map<K: Into<String>, V: Into<String>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        Value::Map(Some(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        ))
    }

    /// A nil map.
    pub fn nil_map() -> Value {
        Value::Map(None)
    }

    /// Wraps a struct.
    pub fn structure(s: Struct) -> Value {
        Value::Struct(Box::new(s))
    }

    /// The Go type name of this value as `reflect.Type.String()` would print it (best effort:
    /// element types of slices and maps are inferred from their contents).
    pub fn go_type(&self) -> String {
        match self {
            Value::Nil => "<nil>".to_string(),
            Value::Bool(_) => "bool".to_string(),
            Value::Int(_) => "int".to_string(),
            Value::Uint(_) => "uint64".to_string(),
            Value::Float(_) => "float64".to_string(),
            Value::String(_) => "string".to_string(),
            Value::List(l) => {
                let items = l.as_deref().unwrap_or(&[]);
                format!("[]{}", elem_class(items.iter()).type_name())
            }
            Value::Map(m) => {
                let class = match m {
                    Some(m) => elem_class(m.values()),
                    None => ElemClass::Empty,
                };
                format!("map[string]{}", class.type_name())
            }
            Value::Struct(s) => s.type_name.clone(),
        }
    }
}

/// What the element type of a slice or map looks like, inferred from its contents.
#[derive(Debug, Clone)]
pub(crate) enum ElemClass<'a> {
    /// No elements: the element type is unknown (assumed `string`).
    Empty,
    /// All elements share one concrete type; `exemplar` is one of them.
    Typed(String, &'a Value),
    /// Mixed types or nils: the element type is `interface {}`.
    Iface,
}

impl ElemClass<'_> {
    /// The Go name of the element type.
    pub(crate) fn type_name(&self) -> String {
        match self {
            ElemClass::Empty => "string".to_string(),
            ElemClass::Typed(t, _) => t.clone(),
            ElemClass::Iface => "interface {}".to_string(),
        }
    }

    /// Whether elements are interface values (`[]interface{}`, `map[string]interface{}`).
    pub(crate) fn is_iface(&self) -> bool {
        matches!(self, ElemClass::Iface)
    }

    /// The zero value of the element type; `None` means a nil interface.
    pub(crate) fn zero(&self) -> Option<Value> {
        match self {
            ElemClass::Empty => Some(Value::String(String::new())),
            ElemClass::Typed(_, v) => Some(zero_of(v)),
            ElemClass::Iface => None,
        }
    }
}

thread_local! {
    /// Set while executing on decoded JSON (`map[string]interface{}`): every collection holds
    /// interface values and a missing map key is an error (`missingkey=error`).
    pub(crate) static RAW_MODE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Infers the element class of a collection.
pub(crate) fn elem_class<'a>(items: impl Iterator<Item = &'a Value>) -> ElemClass<'a> {
    if RAW_MODE.with(|r| r.get()) {
        return ElemClass::Iface;
    }
    let mut class: Option<(String, &'a Value)> = None;
    for v in items {
        if matches!(v, Value::Nil) {
            return ElemClass::Iface;
        }
        let t = v.go_type();
        match &class {
            None => class = Some((t, v)),
            Some((c, _)) if *c == t => {}
            Some(_) => return ElemClass::Iface,
        }
    }
    match class {
        None => ElemClass::Empty,
        Some((t, v)) => ElemClass::Typed(t, v),
    }
}

/// The Go zero value of the type of `v`.
pub(crate) fn zero_of(v: &Value) -> Value {
    match v {
        Value::Nil => Value::Nil,
        Value::Bool(_) => Value::Bool(false),
        Value::Int(_) => Value::Int(0),
        Value::Uint(_) => Value::Uint(0),
        Value::Float(_) => Value::Float(0.0),
        Value::String(_) => Value::String(String::new()),
        Value::List(_) => Value::List(None),
        Value::Map(_) => Value::Map(None),
        Value::Struct(s) => {
            if s.pointer {
                Value::Nil
            } else {
                Value::Struct(Box::new(Struct {
                    type_name: s.type_name.clone(),
                    pointer: false,
                    fields: s
                        .fields
                        .iter()
                        .map(|(n, v)| (n.clone(), zero_of(v)))
                        .collect(),
                    json: None,
                    display: None,
                }))
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Value {
        Value::Uint(u)
    }
}

impl From<u32> for Value {
    fn from(u: u32) -> Value {
        Value::Uint(u64::from(u))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<Struct> for Value {
    fn from(s: Struct) -> Value {
        Value::Struct(Box::new(s))
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::List(Some(v))
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Value {
        Value::Map(Some(m))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` becomes [`Value::Nil`].
    fn from(o: Option<T>) -> Value {
        match o {
            Some(v) => v.into(),
            None => Value::Nil,
        }
    }
}
