//! Docker-compatible rendering: inspect JSON, history tables, human sizes and durations,
//! and `--format` through the docker CLI's Go templates (the `gotemplate`
//! crate). Pure: everything writes to strings.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod diff;
pub mod efficiency;
pub mod format;
pub mod history;
pub mod images;
pub mod inspect;
pub mod json;
pub mod json_text;
pub mod layers;
pub mod ls;
pub mod tabwriter;
pub mod time;
pub mod units;
pub mod width;

/// A `--format` template that failed.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The template does not parse (docker: exit 64, "template parsing error: …").
    #[error("template parsing error: {0}")]
    Parse(String),
    /// The template failed while running.
    #[error("{0}")]
    Execute(String),
}
