//! strata's registry side: a distribution API v2 client ([`client`]), Docker's credential
//! store ([`auth`]), the `docker://` image source ([`source`]), and `pull`/`push` against the
//! local store ([`pull`], [`push`]).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod client;
pub mod pull;
pub mod push;
pub mod sink;
pub mod source;

/// Errors of registry work. Messages never carry credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A failure of the image model or the store.
    #[error(transparent)]
    Core(#[from] strata_core::error::Error),
    /// The connection failed (after retries).
    #[error("{url}: {reason}")]
    Transport {
        /// What was being fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The registry answered with an error status.
    #[error("{what}: {detail} (HTTP {status})")]
    Status {
        /// What was asked for.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The registry's own words.
        detail: String,
    },
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Authentication failed.
    #[error("{registry}: unauthorized: {reason}")]
    Auth {
        /// The registry host.
        registry: String,
        /// Why.
        reason: String,
    },
    /// The registry broke the protocol.
    #[error("{0}")]
    Protocol(String),
    /// A URL could not be built.
    #[error("bad URL: {0}")]
    BadUrl(String),
    /// Docker's `config.json` could not be read or written.
    #[error("{path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A `docker-credential-*` helper failed.
    #[error("{helper}: {reason}")]
    CredentialHelper {
        /// The helper program.
        helper: String,
        /// Why.
        reason: String,
    },
    /// A local file could not be used.
    #[error("{path}: {reason}")]
    Local {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A lock was poisoned by a panicking thread.
    #[error("internal lock poisoned")]
    Poisoned,
}

/// Result of registry work.
pub type Result<T> = std::result::Result<T, RegistryError>;
