//! Finding and reading what `bulkhead config` checks: the directory walk, which files are
//! Dockerfiles and which manifests, bounded reads of regular files only, text decoding, and
//! refusing input that is obviously something else (an image archive, a binary) with the command
//! that reads it.

use crate::error::ConfigError;
use bulkhead_core::input::{InputError, file_kind, open_regular};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Default largest input read (bytes; [`crate::Limits::max_file_bytes`]); a larger file is an
/// input-error finding, not checked.
pub const MAX_INPUT_BYTES: u64 = 32 << 20;

/// How a file is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// hadolint's rules and Bulkhead's on the BuildKit dialect.
    Dockerfile,
    /// Kubernetes objects in YAML or JSON (one or more documents).
    Manifest,
}

/// Whether a file name is a Dockerfile by the usual conventions: `Dockerfile`, `Dockerfile.*`,
/// `*.Dockerfile`, `*.dockerfile`, `Containerfile*`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base == "Dockerfile"
        || base.starts_with("Dockerfile.")
        || base.ends_with(".Dockerfile")
        || base.ends_with(".dockerfile")
        || base.starts_with("Containerfile")
}

fn is_manifest_name(base: &str) -> bool {
    let lower = base.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// How a file is checked, by its name: manifests are `*.yaml`, `*.yml`, `*.json`; Dockerfiles are
/// the usual names or any name ending in `dockerfile` (`api_Dockerfile`). A file the user named
/// (`explicit`) that is neither is a Dockerfile (as hadolint takes any file); a walked one is not
/// checked (`None`).
pub fn classify(base: &str, explicit: bool) -> Option<FileKind> {
    if is_manifest_name(base) {
        return Some(FileKind::Manifest);
    }
    if is_dockerfile_name(base) || base.to_ascii_lowercase().ends_with("dockerfile") || explicit {
        return Some(FileKind::Dockerfile);
    }
    None
}

/// A file to check, found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub kind: FileKind,
    /// Named by the user (not found in a directory).
    pub explicit: bool,
    /// The name says neither Dockerfile nor manifest (`build`, `rendered`): the kind is decided
    /// by the content ([`guess_kind`]).
    pub by_content: bool,
    /// Found in a walked directory under a Dockerfile or manifest name but not a regular file (a
    /// FIFO, a device, a symbolic link to one or to nothing): what it is. It is not opened; the
    /// pipeline reports it.
    pub not_regular: Option<String>,
}

/// The kind of a file whose name does not tell: a manifest when the first line that is not blank or
/// a comment starts a YAML document or JSON value or sets `apiVersion`/`kind`; else a Dockerfile.
pub fn guess_kind(text: &str) -> FileKind {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let manifest = first.starts_with('{')
        || first.starts_with('[')
        || first.starts_with("---")
        || ["apiVersion:", "kind:", "metadata:", "items:"]
            .iter()
            .any(|k| first.starts_with(k));
    if manifest {
        FileKind::Manifest
    } else {
        FileKind::Dockerfile
    }
}

/// A directory that could not be listed during a walk (reported as an input error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlisted {
    pub path: PathBuf,
    pub reason: String,
}

/// The files under `root` to check, sorted: `root` itself when it is a regular file; for a
/// directory, every Dockerfile and manifest below it, skipping hidden directories, `node_modules`
/// and symlinked directories (a symlink to a file is read; one to a FIFO or a device, or to
/// nothing, is returned with [`Found::not_regular`]). A root that does not exist is an error, and
/// so is one that is neither a regular file nor a directory ([`ConfigError::NotRegular`]: a FIFO,
/// `/dev/fd/63` of `<(…)`, a device — standard input is read with `-`); a subdirectory that
/// cannot be listed is returned in the second list. A root that is an OCI image layout is refused
/// with the command that scans it.
pub fn walk(
    root: &Path,
    skip: &bulkhead_core::SkipPatterns,
) -> Result<(Vec<Found>, Vec<Unlisted>), ConfigError> {
    let meta = std::fs::metadata(root).map_err(|source| ConfigError::Path {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        if !meta.is_file() {
            return Err(ConfigError::NotRegular {
                path: root.to_path_buf(),
                what: file_kind(&meta.file_type()),
            });
        }
        let base = base_name(root);
        let by_name = classify(&base, false);
        return Ok((
            vec![Found {
                path: root.to_path_buf(),
                kind: by_name.unwrap_or(FileKind::Dockerfile),
                explicit: true,
                by_content: by_name.is_none(),
                not_regular: None,
            }],
            Vec::new(),
        ));
    }
    if root.join("oci-layout").is_file() && root.join("index.json").is_file() {
        return Err(ConfigError::WrongInput {
            name: root.display().to_string(),
            what: "an OCI image layout",
            hint: format!("scan it with `bulkhead image {}`", root.display()),
        });
    }
    let mut found = Vec::new();
    let mut unlisted = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 || !e.file_type().is_dir() {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.')
                || name == "node_modules"
                || skip.skips(&relative(root, e.path()), true))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let reason = e
                    .io_error()
                    .map(crate::error::io_reason)
                    .unwrap_or_else(|| e.to_string());
                unlisted.push(Unlisted { path, reason });
                continue;
            }
        };
        let ft = entry.file_type();
        // What the entry is after following a link: a link to a file is read; a link to a
        // directory is not followed (no loops); anything else that is named like a file to check
        // is reported, not opened.
        let not_regular = if ft.is_dir() {
            continue;
        } else if ft.is_file() {
            None
        } else if ft.is_symlink() {
            match std::fs::metadata(entry.path()) {
                Ok(m) if m.is_dir() => continue,
                Ok(m) if m.is_file() => None,
                Ok(m) => Some(format!(
                    "a symbolic link to {}, not a regular file; not read",
                    file_kind(&m.file_type())
                )),
                Err(e) => Some(format!(
                    "a symbolic link that cannot be followed ({}); not read",
                    crate::error::io_reason(&e)
                )),
            }
        } else {
            Some(format!("{}, not a regular file; not read", file_kind(&ft)))
        };
        if skip.skips(&relative(root, entry.path()), false) {
            continue;
        }
        let base = entry.file_name().to_string_lossy().into_owned();
        if let Some(kind) = classify(&base, false) {
            found.push(Found {
                path: entry.into_path(),
                kind,
                explicit: false,
                by_content: false,
                not_regular,
            });
        }
    }
    Ok((found, unlisted))
}

/// `path` below `root`, `/`-separated, for the skip patterns.
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Read at most `limit` + 1 bytes of a stream (standard input), so that the pipeline can tell
/// "larger than the limit" (a finding) from "at the limit".
pub fn read_limited(r: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok(buf)
}

/// How to raise [`crate::Limits::max_file_bytes`] (named when a file is over it).
pub const FILE_LIMIT_HINT: &str =
    "raise it with --max-file-size MIB, or Limits::max_file_bytes in the library";

/// Read a regular file of at most `limit` bytes: a FIFO or a device is refused without blocking
/// (it is checked before it is opened, and opened without waiting for a writer), and the limit is
/// enforced while reading (a file that grows is cut off).
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let f = open_regular(path, true)?;
    if let Ok(m) = f.metadata()
        && m.len() > limit
    {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            limit,
            hint: FILE_LIMIT_HINT,
        });
    }
    bulkhead_core::input::read_limited(f, path, limit, FILE_LIMIT_HINT)
}

/// Content that is not text: what it is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    Tar,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
    Zip,
    Elf,
    /// NUL bytes or other binary content.
    Other,
}

impl Binary {
    /// What it is, in words (`a tar archive`).
    pub fn describe(self) -> &'static str {
        match self {
            Binary::Tar => "a tar archive",
            Binary::Gzip => "gzip-compressed data",
            Binary::Zstd => "zstd-compressed data",
            Binary::Bzip2 => "bzip2-compressed data",
            Binary::Xz => "xz-compressed data",
            Binary::Zip => "a zip archive",
            Binary::Elf => "an ELF executable",
            Binary::Other => "a binary file",
        }
    }

    /// What to do instead.
    pub fn hint(self, name: &str) -> String {
        match self {
            Binary::Tar | Binary::Gzip | Binary::Zstd | Binary::Bzip2 | Binary::Xz => format!(
                "if it is a container image (docker save, podman save, an OCI archive), scan it with `bulkhead image {name}`"
            ),
            _ => "`bulkhead config` checks Dockerfiles and Kubernetes manifests (YAML or JSON)"
                .to_string(),
        }
    }
}

/// What the first bytes say the content is, when it is not text: archive and compression magic
/// numbers (tar's `ustar` at offset 257, gzip, zstd, bzip2, xz, zip), ELF, or NUL bytes in the
/// first 8 KiB (text never holds them; UTF-16 text with a byte-order mark is text).
pub fn sniff(data: &[u8]) -> Option<Binary> {
    if data.len() >= 262 && &data[257..262] == b"ustar" {
        return Some(Binary::Tar);
    }
    let magic: &[(&[u8], Binary)] = &[
        (&[0x1f, 0x8b], Binary::Gzip),
        (&[0x28, 0xb5, 0x2f, 0xfd], Binary::Zstd),
        (b"BZh", Binary::Bzip2),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Binary::Xz),
        (b"PK\x03\x04", Binary::Zip),
        (b"\x7fELF", Binary::Elf),
    ];
    for (m, b) in magic {
        if data.starts_with(m) {
            return Some(*b);
        }
    }
    if data.starts_with(&[0xff, 0xfe]) || data.starts_with(&[0xfe, 0xff]) {
        return None;
    }
    let head = &data[..data.len().min(8192)];
    head.contains(&0).then_some(Binary::Other)
}

/// Text decoded from bytes, and where it was not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// Invalid sequences replaced with U+FFFD (0: the bytes were valid text).
    pub invalid: usize,
    /// 1-based line of the first invalid sequence.
    pub first_invalid_line: Option<u32>,
    /// The encoding read: `UTF-8`, `UTF-16LE`, `UTF-16BE`.
    pub encoding: &'static str,
}

/// Text from bytes: UTF-8 (a byte-order mark dropped) or UTF-16 with a byte-order mark (as Windows
/// PowerShell writes `kubectl … > file`). Invalid sequences — one stray byte in a comment, a
/// Latin-1 name — become U+FFFD and are counted, as kubectl and BuildKit read them: a file is
/// never skipped for its encoding.
pub fn decode(data: Vec<u8>) -> Decoded {
    let line_at = |bytes: &[u8], at: usize| -> u32 {
        let nl = bytes[..at.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        u32::try_from(nl + 1).unwrap_or(u32::MAX)
    };
    let utf16 = |be: bool| -> Decoded {
        let body = &data[2..];
        let units = body.chunks_exact(2).map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        let mut text = String::with_capacity(body.len());
        let mut invalid = 0;
        let mut first: Option<u32> = None;
        let mut lines = 1u32;
        for r in char::decode_utf16(units) {
            match r {
                Ok(c) => {
                    if c == '\n' {
                        lines = lines.saturating_add(1);
                    }
                    text.push(c);
                }
                Err(_) => {
                    invalid += 1;
                    first.get_or_insert(lines);
                    text.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
        if body.len() % 2 == 1 {
            invalid += 1;
            first.get_or_insert(lines);
            text.push(char::REPLACEMENT_CHARACTER);
        }
        Decoded {
            text,
            invalid,
            first_invalid_line: first,
            encoding: if be { "UTF-16BE" } else { "UTF-16LE" },
        }
    };
    if data.starts_with(&[0xff, 0xfe]) {
        return utf16(false);
    }
    if data.starts_with(&[0xfe, 0xff]) {
        return utf16(true);
    }
    let bom = if data.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    match std::str::from_utf8(&data[bom..]) {
        Ok(_) => {
            let mut data = data;
            data.drain(..bom);
            Decoded {
                // Checked just above.
                text: String::from_utf8(data).unwrap_or_default(),
                invalid: 0,
                first_invalid_line: None,
                encoding: "UTF-8",
            }
        }
        Err(e) => {
            let first = line_at(&data[bom..], e.valid_up_to());
            let mut text = String::with_capacity(data.len() - bom);
            let mut invalid = 0;
            for chunk in data[bom..].utf8_chunks() {
                text.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    invalid += 1;
                    text.push(char::REPLACEMENT_CHARACTER);
                }
            }
            Decoded {
                text,
                invalid,
                first_invalid_line: Some(first),
                encoding: "UTF-8",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_by_name() {
        for (name, explicit, want) in [
            ("Dockerfile", false, Some(FileKind::Dockerfile)),
            ("Dockerfile.prod", false, Some(FileKind::Dockerfile)),
            ("api.Dockerfile", false, Some(FileKind::Dockerfile)),
            ("api_Dockerfile", false, Some(FileKind::Dockerfile)),
            ("Containerfile", false, Some(FileKind::Dockerfile)),
            ("deploy.YAML", false, Some(FileKind::Manifest)),
            ("x.json", true, Some(FileKind::Manifest)),
            ("notes.txt", false, None),
            ("build", true, Some(FileKind::Dockerfile)),
        ] {
            assert_eq!(classify(name, explicit), want, "{name} explicit={explicit}");
        }
    }

    #[test]
    fn guessing_by_content() {
        assert_eq!(
            guess_kind("# a pod\n\napiVersion: v1\nkind: Pod\n"),
            FileKind::Manifest
        );
        assert_eq!(guess_kind("---\nkind: List\n"), FileKind::Manifest);
        assert_eq!(guess_kind("{\"kind\": \"Pod\"}"), FileKind::Manifest);
        assert_eq!(
            guess_kind("# syntax=docker/dockerfile:1\nFROM a\n"),
            FileKind::Dockerfile
        );
        assert_eq!(guess_kind("ARG X=1\nFROM a:$X\n"), FileKind::Dockerfile);
        assert_eq!(guess_kind(""), FileKind::Dockerfile);
    }

    #[test]
    fn sniffing_archives_and_binaries() {
        let mut tar = vec![b'a'; 600];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Binary::Tar));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Binary::Gzip));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 1]), Some(Binary::Zstd));
        assert_eq!(sniff(b"\x7fELF\x02\x01"), Some(Binary::Elf));
        assert_eq!(sniff(b"abc\0def"), Some(Binary::Other));
        assert_eq!(sniff(b"apiVersion: v1\nkind: Pod\n"), None);
        assert_eq!(sniff(b"FROM alpine:3.19\n"), None);
        assert_eq!(sniff(b""), None);
        assert!(Binary::Tar.hint("i.tar").contains("bulkhead image i.tar"));
    }

    #[test]
    fn decoding_text() {
        let d = decode(b"\xef\xbb\xbfkind: Pod".to_vec());
        assert_eq!((d.text.as_str(), d.invalid), ("kind: Pod", 0));
        let mut le = vec![0xff, 0xfe];
        for u in "kind: Pod".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(sniff(&le), None, "UTF-16 is text");
        let d = decode(le.clone());
        assert_eq!((d.text.as_str(), d.encoding), ("kind: Pod", "UTF-16LE"));
        // Invalid bytes are replaced, counted and located; the text around them is kept.
        let d = decode(b"# caf\xe9\nkind: Pod\nname: \xff\xfe\xfd\n".to_vec());
        assert_eq!(
            d.text,
            "# caf\u{fffd}\nkind: Pod\nname: \u{fffd}\u{fffd}\u{fffd}\n"
        );
        assert_eq!((d.invalid, d.first_invalid_line), (4, Some(1)));
        let d = decode(b"a: 1\nb: \xc3\n".to_vec());
        assert_eq!((d.invalid, d.first_invalid_line), (1, Some(2)));
        // A lone surrogate and an odd byte in UTF-16.
        le.extend_from_slice(&0xd800u16.to_le_bytes());
        le.push(b'x');
        let d = decode(le);
        assert_eq!(d.text, "kind: Pod\u{fffd}\u{fffd}");
        assert_eq!(d.invalid, 2);
    }

    #[test]
    fn walking_a_tree() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for f in [
            "a/Dockerfile",
            "a/deploy.yaml",
            "a/notes.txt",
            ".hidden/x.yaml",
            "node_modules/y.json",
            "b/c/svc.yml",
        ] {
            let path = p.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(p.join("a"), p.join("loop")).unwrap();
        let none = bulkhead_core::SkipPatterns::default();
        let (found, unlisted) = walk(p, &none).unwrap();
        let rel = |found: &[Found]| -> Vec<String> {
            found
                .iter()
                .map(|f| {
                    f.path
                        .strip_prefix(p)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        };
        assert_eq!(
            rel(&found),
            ["a/Dockerfile", "a/deploy.yaml", "b/c/svc.yml"]
        );
        // --skip-dirs and --skip-files, relative to the walked directory.
        let skip = bulkhead_core::SkipPatterns::new(&["b".into()], &["**/*.yaml".into()]).unwrap();
        let (found, _) = walk(p, &skip).unwrap();
        assert_eq!(rel(&found), ["a/Dockerfile"]);
        assert!(unlisted.is_empty());
        assert!(found.iter().all(|f| !f.explicit));
        // A named file is checked whatever its name; its content decides what it is.
        let (one, _) = walk(&p.join("a/notes.txt"), &none).unwrap();
        assert!(one[0].explicit && one[0].by_content);
        let (one, _) = walk(&p.join("a/Dockerfile"), &none).unwrap();
        assert!(one[0].explicit && !one[0].by_content);
        // A missing root is an error naming it.
        let e = walk(&p.join("nope"), &none).unwrap_err().to_string();
        assert!(e.ends_with("nope: no such file or directory"), "{e}");
        // An OCI layout is refused with the command to use.
        std::fs::write(p.join("b/oci-layout"), "{}").unwrap();
        std::fs::write(p.join("b/index.json"), "{}").unwrap();
        let e = walk(&p.join("b"), &none).unwrap_err().to_string();
        assert!(
            e.contains("an OCI image layout") && e.contains("bulkhead image"),
            "{e}"
        );
    }
}
