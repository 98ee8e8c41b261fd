//! Docker-compatible rendering: inspect JSON, history tables, human sizes and durations,
//! and the docker CLI's Go templates (`--format`).

pub mod template;
