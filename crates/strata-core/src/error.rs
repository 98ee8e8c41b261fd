//! The library's typed errors. Every variant names its subject (a path, digest or reference).

use std::path::PathBuf;

/// Broad class of an error, for exit codes and wording in the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The named image, file or member does not exist.
    NotFound,
    /// The user's input (reference, option) is malformed.
    InvalidInput,
    /// Image data is damaged or hostile (digest mismatch, bad tar, bad JSON).
    Corrupt,
    /// Valid data we do not handle (media type, artifact).
    Unsupported,
    /// A file-system error.
    Io,
}

/// Errors of the strata library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Reading a blob or member failed part way.
    #[error("{what}: {source}")]
    Read {
        /// What was being read.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A blob's content does not hash to the digest that names it.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was read (blob, layer, member).
        what: String,
        /// The digest that was expected.
        expected: String,
        /// The digest of the bytes actually read.
        actual: String,
    },
    /// A blob has a different size than its descriptor says.
    #[error("{what}: size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was read.
        what: String,
        /// Size from the descriptor.
        expected: u64,
        /// Bytes actually read.
        actual: u64,
    },
    /// Input exceeded one of the safety caps.
    #[error("{what}: exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was read.
        what: String,
        /// The limit, human readable.
        limit: String,
    },
    /// An archive member or blob the image needs is absent.
    #[error("{what}: not found")]
    NotFound {
        /// The missing thing.
        what: String,
    },
    /// The image a user asked for is not in the source.
    #[error("{0}")]
    NoSuchImage(String),
    /// The request conflicts with the store's state (Docker's 409: an image referenced in
    /// several repositories, removed without force).
    #[error("{0}")]
    Conflict(String),
    /// Malformed JSON, tar or other structure.
    #[error("{what}: {reason}")]
    Malformed {
        /// The file, member or digest.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tar entry path would resolve outside the image root.
    #[error("{what}: unsafe path {entry:?}: {reason}")]
    UnsafePath {
        /// The archive or layer.
        what: String,
        /// The entry's name.
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// A media type strata does not handle.
    #[error("{what}: unsupported media type {media_type:?}")]
    UnsupportedMediaType {
        /// The blob or descriptor.
        what: String,
        /// The media type.
        media_type: String,
    },
    /// The content is not a container image (an OCI artifact, for instance).
    #[error("{what}: not a container image: {reason}")]
    NotAnImage {
        /// The manifest or file.
        what: String,
        /// Why.
        reason: String,
    },
    /// An invalid image reference, with distribution/reference's exact text.
    #[error("{0}")]
    InvalidReference(String),
    /// An invalid location or option given by the user.
    #[error("{0}")]
    InvalidInput(String),
}

impl Error {
    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { source, .. } | Error::Read { source, .. } => {
                if source.kind() == std::io::ErrorKind::NotFound {
                    ErrorKind::NotFound
                } else if matches!(
                    source.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
                ) {
                    ErrorKind::Corrupt
                } else {
                    ErrorKind::Io
                }
            }
            Error::NotFound { .. } | Error::NoSuchImage(_) => ErrorKind::NotFound,
            Error::InvalidReference(_) | Error::InvalidInput(_) | Error::Conflict(_) => {
                ErrorKind::InvalidInput
            }
            Error::UnsupportedMediaType { .. } | Error::NotAnImage { .. } => ErrorKind::Unsupported,
            Error::DigestMismatch { .. }
            | Error::SizeMismatch { .. }
            | Error::LimitExceeded { .. }
            | Error::Malformed { .. }
            | Error::UnsafePath { .. } => ErrorKind::Corrupt,
        }
    }

    /// Shorthand for a [`Error::Malformed`].
    pub fn malformed(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Malformed {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
