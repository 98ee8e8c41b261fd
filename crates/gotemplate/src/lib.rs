//! Go `text/template` (Go 1.24 semantics) with the docker CLI's template functions.
//!
//! [`Template::parse`] accepts the same language as Go (actions, trim markers, comments,
//! pipelines, variables, `if`/`else if`/`range`/`with`/`break`/`continue`/`define`/
//! `template`/`block`) and reports errors with Go's messages. Execution prints values the way
//! `fmt` does and provides Go's builtins plus docker's `json`, `split`, `join`, `title`, `lower`,
//! `upper`, `pad` and `truncate`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod exec;
mod funcs;
mod gofmt;
mod json;
mod lex;
mod parse;
mod rv;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

pub use json::write_string_with as write_json_string;
pub use value::{Struct, Value};

/// Each template's tree as Go's parse tests print it (`Root.String()`, text quoted), parsing
/// with only `funcs` defined. For checking the parser against Go's tables.
#[doc(hidden)]
pub fn debug_trees(text: &str, funcs: &[&str]) -> Result<Vec<(String, String)>, String> {
    parse::tree_strings(text, funcs)
}

/// `newNumber`'s flags and values for a number's text (IsInt, IsUint, IsFloat, Int64, Uint64,
/// Float64). For checking against Go's tables.
#[doc(hidden)]
pub fn debug_number(text: &str) -> Result<(bool, bool, bool, i64, u64, f64), String> {
    parse::number_flags(text)
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    text: String,
    trees: BTreeMap<String, parse::Tree>,
}

impl Template {
    /// Parses `text` with docker's function set (Go's builtins + docker's basicFunctions).
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let has_func = |name: &str| funcs::lookup(name, false).is_some();
        let trees = parse::parse(text, &has_func).map_err(TemplateError::new)?;
        Ok(Template {
            text: text.to_string(),
            trees,
        })
    }

    /// Executes against `data`, appending to `out`.
    pub fn execute(&self, data: &Value, out: &mut String) -> Result<(), TemplateError> {
        exec::execute(&self.trees, &self.text, false, data, out)
    }

    /// Executes against JSON decoded into `map[string]interface{}` with `missingkey=error`:
    /// the docker CLI's fallback when the typed value fails (`tryRawInspectFallback`).
    pub fn execute_raw(&self, data: &Value, out: &mut String) -> Result<(), TemplateError> {
        value::RAW_MODE.with(|r| r.set(true));
        let result = exec::execute(&self.trees, &self.text, false, data, out);
        value::RAW_MODE.with(|r| r.set(false));
        result
    }

    /// Executes with docker's HeaderFunctions replacing the basic ones (used to render a table header).
    pub fn execute_header(&self, data: &Value, out: &mut String) -> Result<(), TemplateError> {
        exec::execute(&self.trees, &self.text, true, data, out)
    }
}

/// Error with a Go-compatible message (Display gives e.g. `template: :1: function "foo" not defined`
/// or `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type *formatter.historyContext`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    message: String,
}

impl TemplateError {
    pub(crate) fn new(message: String) -> TemplateError {
        TemplateError { message }
    }

    /// The full message, as Go's `err.Error()` would return it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}
