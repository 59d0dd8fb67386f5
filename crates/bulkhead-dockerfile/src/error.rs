//! The one error type of the parser.

/// A Dockerfile that BuildKit would reject (or that is over the parser's limits).
///
/// `line` is 1-based and always within the file (a file with no lines reports line 1 only for the
/// "empty file" and size-limit errors); `column` is 1-based in characters when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Dockerfile:{line}: {message}")]
pub struct ParseError {
    /// 1-based line of the instruction (its first line) or of the offending line.
    pub line: usize,
    /// 1-based column (in characters) when known.
    pub column: Option<usize>,
    /// What is wrong, worded like BuildKit's message where BuildKit has one.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            column: Some(column),
            message: message.into(),
        }
    }

    /// Render as `<path>:<line>: <message>` (the [`fmt::Display`] form uses `Dockerfile` as path).
    pub fn display_with_path(&self, path: &str) -> String {
        format!("{path}:{}: {}", self.line, self.message)
    }
}
