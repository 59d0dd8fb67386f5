//! Errors of image reading. Every message names the file, blob or entry at fault.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while opening or walking an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: invalid JSON: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("blob {digest}: not found in {container}")]
    MissingBlob { digest: String, container: String },
    #[error("blob {digest}: digest mismatch (content hashes to {actual})")]
    DigestMismatch { digest: String, actual: String },
    #[error("layer {layer}: {message}")]
    Layer { layer: String, message: String },
    #[error("registry {registry}: {message}")]
    Registry { registry: String, message: String },
    #[error("cache {path}: {message}")]
    Cache { path: PathBuf, message: String },
    #[error(
        "unsupported image reference {0:?}: not a file or directory, and not a registry reference"
    )]
    UnknownTarget(String),
}

impl Error {
    /// Wrap an I/O error with the path or object it concerns.
    pub fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// Wrap a JSON error with the document it concerns.
    pub fn json(what: impl std::fmt::Display, source: serde_json::Error) -> Self {
        Error::Json {
            what: what.to_string(),
            source,
        }
    }
}
