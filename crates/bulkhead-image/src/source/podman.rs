//! Images in the local podman store, read through podman's Docker-compatible API socket
//! (`podman system service`): `GET /images/{name}/json` resolves the name to an image ID, and
//! `GET /images/{id}/get` streams a docker-archive of it. The stream is spooled, bounded, to one temporary
//! file (in the cache directory when there is one, else the system temp dir) — the only on-disk copy,
//! removed when the source is dropped — and read in place as a docker-archive.
//!
//! The HTTP/1.1 client here is hand-written because `ureq` has no unix-socket transport: one request per
//! connection (`Connection: close`), status line and headers, then a `Content-Length`, chunked or
//! read-to-close body.

use super::docker_archive::DockerArchive;
use super::tarfile::TarFile;
use super::{ImageMeta, ImageSource};
use crate::{Error, Limits, Result};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::NamedTempFile;

const DEFAULT_SOCKET: &str = "/run/podman/podman.sock";
const START_HINT: &str = "start one with `podman system service --time=0 unix:///run/podman/podman.sock` \
                          (or set CONTAINER_HOST=unix:///path/to/podman.sock)";
/// Largest status line + headers accepted from the socket.
const MAX_HEAD: usize = 64 << 10;

/// The socket to use: `explicit`, else `$CONTAINER_HOST` (`unix://` only), else
/// `/run/podman/podman.sock`, else `$XDG_RUNTIME_DIR/podman/podman.sock`. The defaults are tried in
/// order; the first that accepts a connection wins.
pub fn socket_candidates(explicit: Option<&Path>) -> Result<Vec<PathBuf>> {
    if let Some(p) = explicit {
        return Ok(vec![p.to_path_buf()]);
    }
    if let Ok(h) = std::env::var("CONTAINER_HOST")
        && !h.is_empty()
    {
        return match h.strip_prefix("unix://") {
            Some(p) => Ok(vec![PathBuf::from(p)]),
            None => Err(Error::Invalid(format!(
                "CONTAINER_HOST={h:?}: only unix:// sockets are supported for podman:// images"
            ))),
        };
    }
    let mut out = vec![PathBuf::from(DEFAULT_SOCKET)];
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        out.push(PathBuf::from(d).join("podman/podman.sock"));
    }
    Ok(out)
}

/// A parsed HTTP response whose body is still on the socket.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    body: Box<dyn Read + Send>,
}

impl Response {
    /// A header value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body stream.
    pub fn into_body(self) -> Box<dyn Read + Send> {
        self.body
    }

    /// Read the body whole, refusing more than `max` bytes.
    pub fn read_body(self, max: u64) -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.body.take(max + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("response over {max} bytes"),
            ));
        }
        Ok(buf)
    }
}

/// A `Transfer-Encoding: chunked` body.
struct Chunked<R> {
    inner: R,
    /// Bytes left in the current chunk; `None` before the first chunk header.
    left: Option<u64>,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        (&mut self.inner).take(4096).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated chunked body",
            ));
        }
        Ok(String::from_utf8_lossy(&line).trim().to_string())
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left.unwrap_or(0) == 0 {
            if self.left.is_some() {
                // CRLF after the previous chunk's data.
                if !self.line()?.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "bad chunk terminator",
                    ));
                }
            }
            let l = self.line()?;
            let size = l.split(';').next().unwrap_or("").trim();
            let n = u64::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size {size:?}"),
                )
            })?;
            if n == 0 {
                // Trailers, up to the empty line.
                while !self.line()?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
            self.left = Some(n);
        }
        let left = self.left.unwrap_or(0);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated chunked body",
            ));
        }
        self.left = Some(left - n as u64);
        Ok(n)
    }
}

/// A `Content-Length` body: an early end of stream is an error, not a short body.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("body ended {} bytes before its Content-Length", self.left),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// How long a socket read or write may make no progress by default (`ScanOptions::stall_timeout`
/// overrides it; the scan's deadline caps it).
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(300);

/// A socket whose every read and write is bounded by the stall limit and by what is left of the
/// deadline: a service that answers one byte at a time still ends at the deadline.
struct Timed {
    stream: UnixStream,
    stall: Duration,
    deadline: Option<(Instant, Duration)>,
}

impl Timed {
    /// Set the socket timeouts for the next operation; an error once the deadline has passed.
    fn arm(&self) -> io::Result<()> {
        let mut t = self.stall;
        if let Some((at, budget)) = self.deadline {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the deadline of {} s for reading the image passed (the scan's timeout, \
                         `--timeout`)",
                        budget.as_secs_f64()
                    ),
                ));
            }
            t = t.min(left);
        }
        self.stream.set_read_timeout(Some(t))?;
        self.stream.set_write_timeout(Some(t))
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        match self.stream.read(buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                // The deadline ends reads as a timeout; say which limit it was.
                self.arm()?;
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "no data from the socket for {} s (stall limit)",
                        self.stall.as_secs_f64()
                    ),
                ))
            }
            r => r,
        }
    }
}

/// Send `GET path` over the unix socket and read the response head. A read or write that makes no
/// progress for `timeout` fails (a stalled service is an error, not a hang).
pub fn get(socket: &Path, path: &str, timeout: Duration) -> io::Result<Response> {
    get_until(socket, path, timeout, None)
}

/// [`get`], with every read and write of the exchange (head and body) also bounded by `deadline`
/// (when it passes, and the budget it was set from, for messages).
pub fn get_until(
    socket: &Path,
    path: &str,
    timeout: Duration,
    deadline: Option<(Instant, Duration)>,
) -> io::Result<Response> {
    let stream = UnixStream::connect(socket)?;
    let mut stream = Timed {
        stream,
        stall: timeout,
        deadline,
    };
    stream.arm()?;
    stream.stream.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: d\r\nUser-Agent: bulkhead/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )?;
    let mut r = BufReader::with_capacity(64 << 10, stream);
    let mut head_bytes = 0usize;
    let mut read_line = |r: &mut BufReader<Timed>| -> io::Result<String> {
        let mut line = Vec::new();
        r.take((MAX_HEAD - head_bytes.min(MAX_HEAD)) as u64)
            .read_until(b'\n', &mut line)?;
        head_bytes += line.len();
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "response head truncated or over 64 KiB",
            ));
        }
        Ok(String::from_utf8_lossy(&line).trim_end().to_string())
    };
    let status_line = read_line(&mut r)?;
    let mut parts = status_line.splitn(3, ' ');
    let (proto, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !proto.starts_with("HTTP/1.") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not an HTTP response: {status_line:?}"),
        ));
    }
    let status: u16 = code.parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad status line {status_line:?}"),
        )
    })?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut r)?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let find = |n: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let body: Box<dyn Read + Send> =
        if find("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
            Box::new(Chunked {
                inner: r,
                left: None,
                done: false,
            })
        } else if let Some(len) = find("content-length") {
            let len: u64 = len.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad Content-Length {len:?}"),
                )
            })?;
            Box::new(Exact {
                inner: r,
                left: len,
            })
        } else {
            Box::new(r)
        };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Percent-encode an image name for a URL path (keeps `/`, `:` and `@`, which name references use).
fn encode_name(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn api_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            String::from_utf8_lossy(body)
                .chars()
                .take(200)
                .collect::<String>()
        })
        .trim()
        .to_string()
}

/// An image exported from podman, held as a spooled docker-archive.
pub struct PodmanImage {
    /// The archive's metadata, re-labelled (`source_kind`, tags, digests, layer locations).
    meta: ImageMeta,
    // Declared before the spool file so it is dropped first.
    archive: DockerArchive,
    spool: NamedTempFile,
}

impl PodmanImage {
    /// Export `name` through the podman API socket (see [`socket_candidates`]) and open it. `spool_dir`
    /// holds the temporary archive (default: the system temp dir); the spool is bounded by
    /// `limits.max_image_uncompressed`. `timeout` is the stall limit of each socket operation.
    pub fn open(
        name: &str,
        spec: &str,
        socket: Option<&Path>,
        spool_dir: Option<&Path>,
        limits: &Limits,
        timeout: Option<Duration>,
    ) -> Result<Self> {
        Self::open_until(name, spec, socket, spool_dir, limits, timeout, None)
    }

    /// [`PodmanImage::open`] with a deadline for the whole exchange (inspect and export): when it
    /// passes, and the budget it was set from (see [`crate::ScanOptions::timeout`]).
    pub fn open_until(
        name: &str,
        spec: &str,
        socket: Option<&Path>,
        spool_dir: Option<&Path>,
        limits: &Limits,
        timeout: Option<Duration>,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Self> {
        let timeout = timeout.unwrap_or(DEFAULT_STALL_TIMEOUT);
        if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
        {
            return Err(Error::Invalid(format!(
                "podman image name {name:?} is not valid"
            )));
        }
        let candidates = socket_candidates(socket)?;
        let where_ = |s: &Path| format!("podman socket {}", s.display());
        // Find a socket that answers, inspecting the image on it.
        let mut failures = Vec::new();
        let mut found = None;
        for s in &candidates {
            match get_until(
                s,
                &format!("/images/{}/json", encode_name(name)),
                timeout,
                deadline,
            ) {
                Ok(resp) => {
                    found = Some((s.clone(), resp));
                    break;
                }
                Err(e) => failures.push(format!("{}: {e}", s.display())),
            }
        }
        let Some((sock, resp)) = found else {
            return Err(Error::Invalid(format!(
                "no podman API socket answers ({}); {START_HINT}",
                failures.join("; ")
            )));
        };
        let status = resp.status;
        let body = resp
            .read_body(limits.max_json)
            .map_err(|e| Error::io(where_(&sock), e))?;
        match status {
            200 => {}
            404 => {
                return Err(Error::Invalid(format!(
                    "podman://{name}: image not found in the podman store ({}: {})",
                    where_(&sock),
                    api_message(&body)
                )));
            }
            s => {
                return Err(Error::Invalid(format!(
                    "podman://{name}: {} answered HTTP {s} to image inspect: {}",
                    where_(&sock),
                    api_message(&body)
                )));
            }
        }
        let inspect: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| Error::json(format!("{}: inspect {name}", where_(&sock)), e))?;
        let id = inspect
            .get("Id")
            .and_then(|i| i.as_str())
            .ok_or_else(|| {
                Error::Invalid(format!("{}: inspect of {name} has no Id", where_(&sock)))
            })?
            .to_string();
        let id_hex = id.strip_prefix("sha256:").unwrap_or(&id).to_string();
        if id_hex.len() != 64 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Invalid(format!(
                "{}: image {name} has an unexpected Id {id:?}",
                where_(&sock)
            )));
        }
        let strings = |k: &str| -> Vec<String> {
            inspect
                .get(k)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (repo_tags, repo_digests) = (strings("RepoTags"), strings("RepoDigests"));

        // Export by ID so a concurrent re-tag cannot swap the image between inspect and export.
        let resp = get_until(&sock, &format!("/images/{id_hex}/get"), timeout, deadline)
            .map_err(|e| Error::io(where_(&sock), e))?;
        if resp.status != 200 {
            let status = resp.status;
            let body = resp.read_body(1 << 20).unwrap_or_default();
            return Err(Error::Invalid(format!(
                "podman://{name}: {} answered HTTP {status} to image export: {}",
                where_(&sock),
                api_message(&body)
            )));
        }
        let dir = spool_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
        let mut spool = tempfile::Builder::new()
            .prefix(".bulkhead-podman-")
            .suffix(".tar")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(dir.display(), e))?;
        let max = limits.max_image_uncompressed;
        let copied = io::copy(&mut resp.into_body().take(max + 1), spool.as_file_mut())
            .map_err(|e| Error::io(format!("podman://{name}: export from {}", where_(&sock)), e))?;
        if copied > max {
            return Err(Error::Invalid(format!(
                "podman://{name}: the exported archive exceeds {max} bytes (limit max_image_uncompressed)"
            )));
        }
        spool
            .as_file_mut()
            .flush()
            .map_err(|e| Error::io(spool.path().display(), e))?;
        let tar = TarFile::open(spool.path())?;
        let archive = DockerArchive::open(tar, spec, None, limits)?;
        let mut meta = archive.meta().clone();
        {
            meta.source_kind = "podman";
            if meta.config_digest.as_deref() != Some(id.as_str())
                && meta.config_digest.as_deref() != Some(&format!("sha256:{id_hex}"))
            {
                return Err(Error::Invalid(format!(
                    "podman://{name}: the exported config hashes to {} but the image ID is {id}",
                    meta.config_digest.as_deref().unwrap_or("?")
                )));
            }
            let spool_path = spool.path().display().to_string();
            for l in &mut meta.layers {
                l.location = l
                    .location
                    .replacen(&spool_path, &format!("podman://{name}"), 1);
            }
            meta.repo_tags = repo_tags;
            meta.repo_digests = repo_digests;
        }
        Ok(PodmanImage {
            meta,
            archive,
            spool,
        })
    }

    /// Where the exported archive is spooled (removed on drop).
    pub fn spool_path(&self) -> &Path {
        self.spool.path()
    }
}

impl ImageSource for PodmanImage {
    fn meta(&self) -> &ImageMeta {
        &self.meta
    }

    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>> {
        self.archive.open_layer(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode() {
        let raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let mut c = Chunked {
            inner: &raw[..],
            left: None,
            done: false,
        };
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello, world");
        let mut bad = Chunked {
            inner: &b"5\r\nhel"[..],
            left: None,
            done: false,
        };
        assert!(bad.read_to_string(&mut String::new()).is_err());
    }

    #[test]
    fn content_length_bodies_must_be_complete() {
        let mut ok = Exact {
            inner: &b"abcdef"[..],
            left: 3,
        };
        let mut out = Vec::new();
        ok.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        let mut short = Exact {
            inner: &b"ab"[..],
            left: 3,
        };
        assert!(short.read_to_end(&mut Vec::new()).is_err());
    }

    #[test]
    fn names_are_encoded() {
        assert_eq!(encode_name("localhost/a:1"), "localhost/a:1");
        assert_eq!(encode_name("a b%"), "a%20b%25");
    }

    #[test]
    fn missing_socket_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let err = PodmanImage::open(
            "x:1",
            "podman://x:1",
            Some(&dir.path().join("none.sock")),
            None,
            &Limits::default(),
            None,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("podman system service"), "{err}");
    }
}
