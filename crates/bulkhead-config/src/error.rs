//! Errors of the config stage. A file that cannot be read or parsed is not an error but a finding of
//! its own (`BH-PARSE`, in its target); these are the failures that stop a request: a settings file
//! or policy that is wrong, a path that does not exist, an input of the wrong kind.

use std::path::PathBuf;

pub use crate::pss::PolicyError;
pub use crate::yaml::YamlError;

/// Why a config request could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A `--skip-dirs`/`--skip-files` pattern is not a valid glob.
    #[error(transparent)]
    Pattern(#[from] bulkhead_core::PatternError),
    /// The settings file (`.bulkhead.yaml`, `.hadolint.yaml`) is unreadable or wrong.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The Pod Security Standards policy is not `LEVEL[:VERSION]`.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A path named in the request does not exist or cannot be read.
    #[error("{}: {}", path.display(), io_reason(source))]
    Path {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A path named in the request is neither a regular file nor a directory (a FIFO, `/dev/fd/63`
    /// of `<(…)`, a character device such as `/dev/zero`, a socket): refused before it is opened,
    /// so nothing blocks or streams without end. Standard input is read with `-`.
    #[error(
        "{}: {what}, not a regular file: `bulkhead config` reads files and directories, or standard input with `-` (`… | bulkhead config -` for a manifest, `bulkhead config --stdin-dockerfile - < Dockerfile` for a Dockerfile)",
        path.display()
    )]
    NotRegular {
        path: PathBuf,
        /// `a FIFO (named pipe)`, `a character device`, …
        what: &'static str,
    },
    /// An input that is obviously not a Dockerfile or manifest (an image archive, a binary): the
    /// message names what it is and the command that reads it.
    #[error("{name}: {what}, not a Dockerfile or Kubernetes manifest: {hint}")]
    WrongInput {
        name: String,
        /// `a tar archive`, `gzip-compressed data`, `an OCI image layout`, …
        what: &'static str,
        /// What to do instead (`scan it with \`bulkhead image FILE\``).
        hint: String,
    },
}

/// A settings file that cannot be used. Every message names the file and the key (and the entry,
/// for list entries), and says what is valid.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{}: cannot read the settings file: {}", path.display(), io_reason(source))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file (a FIFO, a device): refused before it is opened.
    #[error("{}: cannot read the settings file: {what}, not a regular file", path.display())]
    NotRegular { path: PathBuf, what: &'static str },
    /// Larger than [`crate::settings::MAX_SETTINGS_BYTES`].
    #[error(
        "{}: cannot read the settings file: larger than {limit} bytes (a settings file is a few lines; the limit is fixed)",
        path.display()
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{file}: not valid YAML: {error}")]
    Syntax {
        file: String,
        #[source]
        error: YamlError,
    },
    #[error("{file}: `{key}`: {message}")]
    Invalid {
        file: String,
        /// The top-level key (`ignored`, `override.error`, `severity`, `trustedRegistries`…).
        key: String,
        message: String,
    },
}

/// An I/O error in words (`no such file or directory`), without Rust's `(os error 2)` suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "is a directory".into(),
        InvalidData => e
            .get_ref()
            .map_or_else(|| "not valid text".into(), |inner| inner.to_string()),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}
