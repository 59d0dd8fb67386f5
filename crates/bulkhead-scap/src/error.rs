/// What went wrong while reading a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Underlying read / decompression error.
    Io,
    /// The input ended inside a block.
    Truncated,
    /// A length, type or value is invalid.
    Corrupt,
    /// Valid but not supported (e.g. big-endian section, major version > 1).
    Unsupported,
}

/// An error with the (decompressed) file offset it refers to. The message says what was being
/// read (`truncated event params`, `block length 12 below minimum 16`); callers name the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scap: {message} at offset {offset}")]
pub struct ScapError {
    pub kind: ErrorKind,
    pub offset: u64,
    pub message: String,
}

impl ScapError {
    pub fn io(offset: u64, e: std::io::Error) -> Self {
        ScapError {
            kind: ErrorKind::Io,
            offset,
            message: e.to_string(),
        }
    }
    pub fn truncated(offset: u64, what: &str) -> Self {
        ScapError {
            kind: ErrorKind::Truncated,
            offset,
            message: format!("truncated {what}"),
        }
    }
    pub fn corrupt(offset: u64, message: String) -> Self {
        ScapError {
            kind: ErrorKind::Corrupt,
            offset,
            message,
        }
    }
    pub fn unsupported(offset: u64, message: String) -> Self {
        ScapError {
            kind: ErrorKind::Unsupported,
            offset,
            message,
        }
    }
}
