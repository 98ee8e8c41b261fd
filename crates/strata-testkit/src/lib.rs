//! Test support shared by the workspace's suites: image builders ([`build`]) and the real
//! `docker-registry` on a free 127.0.0.1 port ([`registry`]). Digests here are computed with
//! `sha2` directly, never with the code under test. A failure panics: that is the test's
//! failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod build;
pub mod registry;
