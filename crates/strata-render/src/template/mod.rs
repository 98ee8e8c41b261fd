//! Go text/template engine (docker CLI flavour). TEMPORARY STUB: the real engine replaces
//! this file; only the data types are final.

use std::collections::BTreeMap;

/// A Go value as text/template and fmt see it.
#[derive(Debug, Clone)]
pub enum Value {
    /// Go nil.
    Nil,
    /// bool.
    Bool(bool),
    /// int64.
    Int(i64),
    /// uint64.
    Uint(u64),
    /// float64.
    Float(f64),
    /// string.
    String(String),
    /// A slice; `None` is nil.
    List(Option<Vec<Value>>),
    /// A map with string keys; `None` is nil.
    Map(Option<BTreeMap<String, Value>>),
    /// A struct or pointer to struct.
    Struct(Box<Struct>),
}

/// A Go struct.
#[derive(Debug, Clone)]
pub struct Struct {
    /// Go type name.
    pub type_name: String,
    /// Pointer to struct.
    pub pointer: bool,
    /// Fields in order.
    pub fields: Vec<(String, Value)>,
    /// JSON override.
    pub json: Option<String>,
    /// fmt override.
    pub display: Option<String>,
}

impl Struct {
    /// A struct of this type with no fields.
    pub fn new(type_name: &str) -> Struct {
        Struct {
            type_name: type_name.to_string(),
            pointer: false,
            fields: Vec::new(),
            json: None,
            display: None,
        }
    }
    /// Adds a field.
    pub fn field(mut self, name: &str, v: Value) -> Struct {
        self.fields.push((name.to_string(), v));
        self
    }
}

/// A parsed template.
pub struct Template;

/// A template error.
#[derive(Debug)]
pub struct TemplateError(String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TemplateError {}

impl Template {
    /// Parses.
    pub fn parse(_text: &str) -> Result<Template, TemplateError> {
        Err(TemplateError("templates are not available yet".into()))
    }
    /// Executes.
    pub fn execute(&self, _data: &Value, _out: &mut String) -> Result<(), TemplateError> {
        Err(TemplateError("templates are not available yet".into()))
    }
    /// Executes the header.
    pub fn execute_header(&self, _data: &Value, _out: &mut String) -> Result<(), TemplateError> {
        Err(TemplateError("templates are not available yet".into()))
    }
}
