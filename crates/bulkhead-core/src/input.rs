//! Reading untrusted inputs with a bound: only regular files (a FIFO, a device or a socket is
//! refused before it can block or stream without end), at most a stated number of bytes, checked
//! while reading (a file that grows is cut off, not trusted by its size). Every reader of a user's
//! file (rules, settings, ignore files, VEX, captures, manifests) goes through here or states why not.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an input was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not a regular file (and no stream was asked for).
    #[error(
        "{}: {what}, not a regular file (give a regular file{})",
        path.display(),
        if *stdin_ok { ", or `-` to read standard input" } else { "" }
    )]
    NotRegular {
        path: PathBuf,
        /// `a FIFO`, `a character device`, `a directory`, …
        what: &'static str,
        /// Whether the command reads standard input with `-`.
        stdin_ok: bool,
    },
    /// Larger than the limit.
    #[error("{}: larger than {limit} bytes ({})", path.display(), hint)]
    TooLarge {
        path: PathBuf,
        limit: u64,
        /// How to raise the limit, or why it is fixed.
        hint: &'static str,
    },
    #[error("{}: {}", path.display(), io_reason(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An I/O error's text without Rust's `(os error N)` noise: `No such file or directory`.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What a non-regular file is, in words.
pub fn file_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}

/// Open `path` for reading if it is a regular file (following symbolic links). The type is
/// checked before opening (a FIFO would block `open`) and again on the opened file (it cannot be
/// swapped in between unnoticed).
pub fn open_regular(path: &Path, stdin_ok: bool) -> Result<std::fs::File, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
            what: file_kind(&meta.file_type()),
            stdin_ok,
        });
    }
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: should a FIFO have been swapped in after the check, open does not wait for a writer.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: path.to_path_buf(),
            what: file_kind(&meta.file_type()),
            stdin_ok,
        });
    }
    Ok(f)
}

/// Read at most `limit` bytes of `r`; more is [`InputError::TooLarge`] (checked while reading).
pub fn read_limited(
    r: impl Read,
    path: &Path,
    limit: u64,
    hint: &'static str,
) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| InputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            limit,
            hint,
        });
    }
    Ok(buf)
}

/// Read a whole regular file of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64, hint: &'static str) -> Result<Vec<u8>, InputError> {
    let f = open_regular(path, false)?;
    if let Ok(m) = f.metadata()
        && m.len() > limit
    {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            limit,
            hint,
        });
    }
    read_limited(f, path, limit, hint)
}

/// Read a whole regular file of at most `limit` bytes that must be UTF-8 text (a configuration,
/// a policy): anything else is an error naming the file.
pub fn read_regular_text(
    path: &Path,
    limit: u64,
    hint: &'static str,
) -> Result<String, InputError> {
    // An `Io` error of kind `InvalidData`: every caller already says what an unreadable file is.
    String::from_utf8(read_regular(path, limit, hint)?).map_err(|e| InputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ),
    })
}

/// Text as UTF-8 where it is, each invalid byte as U+FFFD: a stray byte (in a comment, a Latin-1
/// name) never makes a whole file unreadable.
pub fn text_lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_regular(&f, 5, "fixed").unwrap(), b"hello");
        let e = read_regular(&f, 4, "set --x").unwrap_err().to_string();
        assert!(e.ends_with("f: larger than 4 bytes (set --x)"), "{e}");
        let e = read_regular(d.path(), 10, "").unwrap_err().to_string();
        assert!(e.contains("a directory, not a regular file"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 10, "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a character device"), "{e}");
        std::fs::write(&f, b"ok\xff").unwrap();
        let e = read_regular_text(&f, 10, "").unwrap_err().to_string();
        assert!(
            e.ends_with("f: not UTF-8 text (invalid byte at offset 2)"),
            "{e}"
        );
        std::fs::write(&f, "ok").unwrap();
        assert_eq!(read_regular_text(&f, 10, "").unwrap(), "ok");
        let e = read_regular(&d.path().join("none"), 10, "")
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("none: No such file or directory"), "{e}");
        // A FIFO is refused at once, without blocking for a writer.
        let fifo = d.path().join("p");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other precondition.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open_regular(&fifo, true).unwrap_err().to_string();
        assert!(
            e.contains("a FIFO") && e.contains("`-` to read standard input"),
            "{e}"
        );
    }

    #[test]
    fn streams_are_cut_at_the_limit() {
        let r = std::io::repeat(0).take(1 << 20);
        let e = read_limited(r, Path::new("-"), 1000, "h").unwrap_err();
        assert!(matches!(e, InputError::TooLarge { limit: 1000, .. }));
        assert_eq!(text_lossy(b"a\xffb".to_vec()), "a\u{fffd}b");
    }
}
