use std::fmt;

/// What went wrong while reading a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// An error with the (decompressed) file offset it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl fmt::Display for ScapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scap: {} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for ScapError {}
