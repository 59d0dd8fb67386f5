//! Images in a registry, read through the OCI distribution API (blocking HTTP with `ureq`).
//!
//! A registry is a [`BlobStore`]: the manifest is fetched (and verified against the digest it was asked
//! by, or against `Docker-Content-Digest`), a manifest list / image index is resolved with
//! [`select_platform`], the config is read small and verified, and layers are handed to the scan as the
//! raw HTTP body stream — the scan verifies blob digests and diff ids while it reads, and nothing is
//! written to disk.
//!
//! Scheme: `https` with certificate verification by default (Mozilla roots, or only the CAs of
//! [`RegistryOptions::ca_file`]). For hosts on loopback (`localhost`, `127.0.0.0/8`, `::1`) without a
//! `ca_file`, and for any host when [`RegistryOptions::insecure`] is set, the client does what the
//! Docker daemon does for its default insecure range 127.0.0.0/8: it tries `https` without certificate
//! verification and falls back to plain `http` if no TLS server answers.
//!
//! Authentication: anonymous first; on `401` the `WWW-Authenticate` challenge decides — `Basic` retries
//! with the credentials, `Bearer` fetches a token from the challenge's realm (with the credentials, if
//! any) and uses it for the rest of the session. Credentials come from [`RegistryOptions`], else
//! `BULKHEAD_REGISTRY_USERNAME` / `BULKHEAD_REGISTRY_PASSWORD`, else the `auths` of the auth files
//! podman and docker write (`$REGISTRY_AUTH_FILE` or `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json`, `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`).
//! Credential helpers (`credsStore`) are not consulted.

use super::oci::{BlobStore, meta_from_manifest, select_platform};
use super::{ImageMeta, ImageSource, Platform, digest};
use crate::{Error, Limits, Result};
use base64::Engine as _;
use oci_spec::image::ImageIndex;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1";
/// Largest docker/podman auth file read (regular files only).
pub const MAX_AUTH_FILE: u64 = 4 << 20;
/// Largest PEM CA file read (the Mozilla bundle is about 220 KiB).
pub const MAX_CA_FILE: u64 = 16 << 20;

/// How to reach and authenticate to a registry.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    pub username: Option<String>,
    pub password: Option<String>,
    /// Allow plain `http` and unverified `https` for any host (always allowed for loopback hosts
    /// unless `ca_file` is set).
    pub insecure: bool,
    /// PEM file of CA certificates to trust instead of the built-in Mozilla roots; certificates are then
    /// verified even on loopback.
    pub ca_file: Option<PathBuf>,
    /// How long a connection, a response or a read of a body may make no progress before the pull
    /// fails (default: 30 s to connect, 120 s for a response, 300 s per read).
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("insecure", &self.insecure)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A parsed image reference: `host[:port]/repo[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]` as written (`docker.io` when absent).
    pub registry: String,
    /// Repository path, e.g. `library/alpine`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parse a reference the way Docker does: the first component is a registry host when it contains
    /// `.` or `:`, is `localhost`, or has upper-case letters; otherwise the registry is `docker.io`, and
    /// single-component names get `library/`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(format!("image reference {s:?}: {why}"));
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => {
                digest::validate(d)?;
                (n, Some(d.to_string()))
            }
            None => (s, None),
        };
        let (registry, rest) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_string(), rest)
            }
            _ => ("docker.io".to_string(), name),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
            _ => registry,
        };
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
        {
            return Err(bad("invalid registry host"));
        }
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (repo, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        if let Some(t) = &tag
            && (t.is_empty()
                || t.len() > 128
                || t.starts_with(['.', '-'])
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)))
        {
            return Err(bad("invalid tag"));
        }
        if repo.is_empty()
            || repo.split('/').any(|c| {
                c.is_empty()
                    || !c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
                    || !c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
                    || !c.chars().all(|ch| {
                        ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch)
                    })
            })
        {
            return Err(bad(
                "invalid repository name (lower-case letters, digits and . _ - separated by /)",
            ));
        }
        let repository = if registry == "docker.io" && !repo.contains('/') {
            format!("library/{repo}")
        } else {
            repo.to_string()
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the API is served from (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// The manifest reference to fetch: the digest, else the tag, else `latest`.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// Whether the registry host is on loopback.
    pub fn is_loopback(&self) -> bool {
        let host = host_without_port(&self.registry);
        host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn host_without_port(h: &str) -> &str {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    h.rsplit_once(':').map(|(a, _)| a).unwrap_or(h)
}

/// Resolve credentials for `registry`/`repository`: explicit options, then the environment, then the
/// podman/docker auth files.
fn resolve_credentials(opts: &RegistryOptions, r: &Reference) -> Option<(String, String)> {
    if let Some(u) = &opts.username {
        let p = opts
            .password
            .clone()
            .or_else(|| std::env::var("BULKHEAD_REGISTRY_PASSWORD").ok())
            .unwrap_or_default();
        return Some((u.clone(), p));
    }
    if let Ok(u) = std::env::var("BULKHEAD_REGISTRY_USERNAME")
        && !u.is_empty()
    {
        let p = std::env::var("BULKHEAD_REGISTRY_PASSWORD").unwrap_or_default();
        return Some((u, p));
    }
    for file in auth_files() {
        match lookup_auth_file(&file, &r.registry, &r.repository) {
            Ok(Some(c)) => {
                tracing::debug!(
                    "registry {}: using credentials from {}",
                    r.registry,
                    file.display()
                );
                return Some(c);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("{e}"),
        }
    }
    None
}

fn auth_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut out = Vec::new();
    if let Some(f) = env("REGISTRY_AUTH_FILE") {
        out.push(f);
    } else if let Some(d) = env("XDG_RUNTIME_DIR") {
        out.push(d.join("containers/auth.json"));
    }
    let home = dirs::home_dir();
    if let Some(h) = &home {
        out.push(h.join(".config/containers/auth.json"));
    }
    if let Some(d) = env("DOCKER_CONFIG") {
        out.push(d.join("config.json"));
    } else if let Some(h) = &home {
        out.push(h.join(".docker/config.json"));
    }
    out
}

fn normalize_auth_key(key: &str) -> String {
    let (had_scheme, k) = match key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
    {
        Some(k) => (true, k),
        None => (false, key),
    };
    // Docker writes URLs (`https://index.docker.io/v1/`): only their host counts.
    let k = if had_scheme {
        k.split('/').next().unwrap_or(k)
    } else {
        k.trim_end_matches('/')
    };
    let (host, path) = k
        .split_once('/')
        .map(|(h, p)| (h, Some(p)))
        .unwrap_or((k, None));
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        h => h,
    };
    match path {
        Some(p) => format!("{host}/{p}"),
        None => host.to_string(),
    }
}

/// Credentials for `registry`/`repository` in a docker `config.json` / containers `auth.json`
/// (`auths.<key>.auth` = base64 `user:password`). Keys may name the host, a URL, or (podman) a
/// namespace or repository under the host; the most specific key wins.
pub fn lookup_auth_file(
    file: &Path,
    registry: &str,
    repository: &str,
) -> Result<Option<(String, String)>> {
    use bulkhead_core::input::{InputError, read_regular};
    let raw = match read_regular(
        file,
        MAX_AUTH_FILE,
        "an auth file is a few KiB; fixed limit",
    ) {
        Ok(r) => r,
        Err(InputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(Error::Invalid(e.to_string())),
    };
    let doc: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|e| Error::json(file.display(), e))?;
    let Some(auths) = doc.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    let full = format!("{registry}/{repository}");
    let mut best: Option<(usize, &serde_json::Value)> = None;
    for (key, entry) in auths {
        let k = normalize_auth_key(key);
        let matches = k == registry || full == k || full.starts_with(&format!("{k}/"));
        if matches && best.is_none_or(|(len, _)| k.len() > len) {
            best = Some((k.len(), entry));
        }
    }
    let Some((_, entry)) = best else {
        return Ok(None);
    };
    if let Some(a) = entry
        .get("auth")
        .and_then(|a| a.as_str())
        .filter(|a| !a.is_empty())
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .map_err(|e| {
                Error::Invalid(format!(
                    "{}: auths entry for {registry}: bad base64: {e}",
                    file.display()
                ))
            })?;
        let s = String::from_utf8(decoded).map_err(|_| {
            Error::Invalid(format!(
                "{}: auths entry for {registry}: not UTF-8",
                file.display()
            ))
        })?;
        let (u, p) = s.split_once(':').ok_or_else(|| {
            Error::Invalid(format!(
                "{}: auths entry for {registry}: expected user:password",
                file.display()
            ))
        })?;
        return Ok(Some((u.to_string(), p.to_string())));
    }
    if let (Some(u), Some(p)) = (
        entry.get("username").and_then(|v| v.as_str()),
        entry.get("password").and_then(|v| v.as_str()),
    ) {
        return Ok(Some((u.to_string(), p.to_string())));
    }
    Ok(None)
}

/// One `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lower-cased scheme: `basic` or `bearer`.
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse a `WWW-Authenticate` header value (`Bearer realm="...",service="...",scope="..."`).
pub fn parse_challenge(h: &str) -> Option<Challenge> {
    let h = h.trim();
    let (scheme, mut rest) = match h.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (&h[..i], h[i..].trim_start()),
        None => (h, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_string();
        rest = &rest[eq + 1..];
        let value;
        if let Some(r) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = r.char_indices();
            let mut end = r.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            rest = &r[end.min(r.len())..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        if !key.is_empty() {
            params.push((key, value));
        }
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

/// An HTTP session with one repository of one registry.
pub struct RegistryClient {
    agent: ureq::Agent,
    /// `https://host` or `http://host`.
    base: String,
    lax_tls: bool,
    registry: String,
    repository: String,
    credentials: Option<(String, String)>,
    /// The `Authorization` header value that last worked (basic or bearer), reused for the session.
    auth: Mutex<Option<String>>,
    max_json: u64,
    /// The whole read must be done by then (every request and body read is bounded by it).
    deadline: Option<Deadline>,
}

fn agent(verify: bool, ca_file: Option<&Path>, timeout: Option<Duration>) -> Result<ureq::Agent> {
    let mut tls = ureq::tls::TlsConfig::builder().disable_verification(!verify);
    if let Some(f) = ca_file {
        let pem = bulkhead_core::input::read_regular(
            f,
            MAX_CA_FILE,
            "a CA bundle is well under 4 MiB; fixed limit",
        )
        .map_err(|e| Error::Invalid(e.to_string()))?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                certs.push(c);
            }
        }
        if certs.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: no PEM certificate found",
                f.display()
            )));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(10)
        .user_agent(concat!("bulkhead/", env!("CARGO_PKG_VERSION")))
        // Blobs are content-addressed: never let a transport encoding change their bytes.
        .accept_encoding("identity")
        .timeout_connect(Some(
            timeout.map_or(Duration::from_secs(30), |t| t.min(Duration::from_secs(30))),
        ))
        .timeout_recv_response(Some(timeout.unwrap_or(Duration::from_secs(120))))
        .timeout_per_read(Some(timeout.unwrap_or(Duration::from_secs(300))))
        .tls_config(tls.build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// The first `code: message` of a registry error document, for messages.
fn error_detail(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(e) = v
            .get("errors")
            .and_then(|e| e.as_array())
            .and_then(|a| a.first())
    {
        let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
        let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
        return format!(" ({code}: {msg})");
    }
    let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(" ({text})")
    }
}

/// The scan's deadline for a registry: when it passes, and how long the whole read was given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub budget: Duration,
}

impl Deadline {
    fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The message for a read stopped by the deadline (`what`, when not empty, names the read).
    pub fn message(&self, what: &str) -> String {
        format!(
            "{what}{}the deadline of {} s for reading the image passed (the scan's timeout, \
             `--timeout`; raise it for a slow registry)",
            if what.is_empty() { "" } else { ": " },
            self.budget.as_secs_f64()
        )
    }
}

/// A body stream that fails once the deadline has passed, however the bytes trickle in (each
/// read is also bounded by the transport's own global timeout, set to the time left).
pub(crate) struct DeadlineReader<R> {
    pub inner: R,
    pub deadline: Option<Deadline>,
    pub what: String,
}

impl<R: Read> Read for DeadlineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let timed_out = |d: &Deadline, what: &str| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, d.message(what))
        };
        if let Some(d) = &self.deadline
            && d.passed()
        {
            return Err(timed_out(d, &self.what));
        }
        match self.inner.read(buf) {
            Err(e) => match &self.deadline {
                Some(d) if d.passed() => Err(timed_out(d, &self.what)),
                _ => Err(e),
            },
            ok => ok,
        }
    }
}

fn read_capped(
    resp: ureq::http::Response<ureq::Body>,
    max: u64,
    what: &str,
    deadline: Option<Deadline>,
) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    // The error is wrapped with `what` below.
    DeadlineReader {
        inner: resp.into_body().into_reader(),
        deadline,
        what: String::new(),
    }
    .take(max + 1)
    .read_to_end(&mut buf)
    .map_err(|e| Error::io(what, e))?;
    if buf.len() as u64 > max {
        return Err(Error::Invalid(format!(
            "{what}: over the {max} byte metadata limit"
        )));
    }
    Ok(buf)
}

fn header<'a>(resp: &'a ureq::http::Response<ureq::Body>, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

impl RegistryClient {
    /// Open a session with `r.registry` for `r.repository`: pick the scheme (see the module docs) and
    /// resolve credentials. No request is made unless the scheme must be probed.
    pub fn connect(r: &Reference, opts: &RegistryOptions, limits: &Limits) -> Result<Self> {
        Self::connect_until(r, opts, limits, None)
    }

    /// [`RegistryClient::connect`], with every request and body read of the session bounded by
    /// `deadline`.
    pub(crate) fn connect_until(
        r: &Reference,
        opts: &RegistryOptions,
        limits: &Limits,
        deadline: Option<Deadline>,
    ) -> Result<Self> {
        // An explicit CA file asks for verification, even on loopback.
        let lax_tls = opts.insecure || (r.is_loopback() && opts.ca_file.is_none());
        let agent = agent(!lax_tls, opts.ca_file.as_deref(), opts.timeout)?;
        let host = r.api_host().to_string();
        let mut client = RegistryClient {
            agent,
            base: format!("https://{host}"),
            lax_tls,
            registry: r.registry.clone(),
            repository: r.repository.clone(),
            credentials: resolve_credentials(opts, r),
            auth: Mutex::new(None),
            max_json: limits.max_json,
            deadline,
        };
        if lax_tls {
            // Probe `/v2/` over https; fall back to http when no TLS server answers.
            let https = client
                .timed(client.agent.get(format!("https://{host}/v2/")), "probe")?
                .call();
            if let Err(e) = https {
                let http = client
                    .timed(client.agent.get(format!("http://{host}/v2/")), "probe")?
                    .call();
                if let Some(d) = client.deadline.filter(|d| d.passed()) {
                    return Err(client.err(d.message("probe of /v2/")));
                }
                match http {
                    Ok(_) => {
                        tracing::debug!("registry {host}: no TLS ({e}); using plain http");
                        client.base = format!("http://{host}");
                    }
                    Err(e2) => {
                        return Err(client.err(format!(
                            "cannot reach the registry over https ({e}) or http ({e2})"
                        )));
                    }
                }
            }
        }
        Ok(client)
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Registry {
            registry: self.registry.clone(),
            message: message.into(),
        }
    }

    /// The base URL chosen (`https://host` or `http://host`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Bound a request by what is left of the deadline (an error once it has passed).
    fn timed<B>(
        &self,
        req: ureq::RequestBuilder<B>,
        what: &str,
    ) -> Result<ureq::RequestBuilder<B>> {
        match &self.deadline {
            None => Ok(req),
            Some(d) => {
                let left = d.left();
                if left.is_zero() {
                    return Err(self.err(d.message(what)));
                }
                Ok(req.config().timeout_global(Some(left)).build())
            }
        }
    }

    fn send(
        &self,
        url: &str,
        accept: Option<&str>,
        auth: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let mut req = self.timed(self.agent.get(url), &format!("request to {url}"))?;
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.call().map_err(|e| match &self.deadline {
            Some(d) if d.passed() => self.err(d.message(&format!("request to {url}"))),
            _ => self.err(format!("request to {url} failed: {e}")),
        })
    }

    fn basic(&self) -> Option<String> {
        self.credentials.as_ref().map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        })
    }

    fn no_credentials_hint(&self) -> String {
        "no credentials were given (set BULKHEAD_REGISTRY_USERNAME/BULKHEAD_REGISTRY_PASSWORD or the scan's \
         registry options, or log in with `podman login` / `docker login`)"
            .to_string()
    }

    /// Fetch a bearer token as the challenge asks.
    fn fetch_token(&self, c: &Challenge) -> Result<String> {
        let realm = c
            .param("realm")
            .ok_or_else(|| self.err("Bearer challenge without a realm"))?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(self.err(format!(
                "Bearer challenge realm {realm:?} is not an http(s) URL"
            )));
        }
        let default_scope = format!("repository:{}:pull", self.repository);
        let scope = c.param("scope").unwrap_or(&default_scope);
        let mut req = self
            .timed(self.agent.get(realm), &format!("token service {realm}"))?
            .query("scope", scope);
        if let Some(s) = c.param("service") {
            req = req.query("service", s);
        }
        // Credentials go to the token service only over https, or where plain http is allowed anyway.
        if let Some(b) = self.basic() {
            if realm.starts_with("https://") || self.lax_tls {
                req = req.header("Authorization", &b);
            } else {
                tracing::warn!(
                    "registry {}: not sending credentials to plain-http token realm {realm}",
                    self.registry
                );
            }
        }
        let resp = req.call().map_err(|e| match &self.deadline {
            Some(d) if d.passed() => self.err(d.message(&format!("token service {realm}"))),
            _ => self.err(format!("token service {realm} unreachable: {e}")),
        })?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            let body = read_capped(resp, 4096, realm, self.deadline).unwrap_or_default();
            return Err(self.err(match &self.credentials {
                Some((u, _)) => format!(
                    "credentials for user {u:?} were refused by the token service {realm} (HTTP {status}){}",
                    error_detail(&body)
                ),
                None => format!(
                    "the token service {realm} refused anonymous access (HTTP {status}); {}",
                    self.no_credentials_hint()
                ),
            }));
        }
        if status != 200 {
            let body = read_capped(resp, 4096, realm, self.deadline).unwrap_or_default();
            return Err(self.err(format!(
                "token service {realm}: HTTP {status}{}",
                error_detail(&body)
            )));
        }
        let body = read_capped(resp, self.max_json, realm, self.deadline)?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| Error::json(format!("token from {realm}"), e))?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| self.err(format!("token service {realm} returned no token")))
    }

    /// GET `/v2/<repo>/<path>`, authenticating as challenged. Non-2xx statuses other than 401 are
    /// returned to the caller.
    fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let url = format!("{}/v2/{}/{}", self.base, self.repository, path);
        let mut authenticated_fresh = false;
        loop {
            let auth = self.auth.lock().map(|a| a.clone()).unwrap_or(None);
            let resp = self.send(&url, accept, auth.as_deref())?;
            if resp.status().as_u16() != 401 {
                return Ok(resp);
            }
            let challenges: Vec<Challenge> = resp
                .headers()
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(parse_challenge)
                .collect();
            let body = read_capped(resp, 4096, &url, self.deadline).unwrap_or_default();
            if authenticated_fresh {
                return Err(self.err(match &self.credentials {
                    Some((u, _)) => format!(
                        "{what}: credentials for user {u:?} were refused (HTTP 401){}",
                        error_detail(&body)
                    ),
                    None => format!(
                        "{what}: authentication required (HTTP 401){}; {}",
                        error_detail(&body),
                        self.no_credentials_hint()
                    ),
                }));
            }
            let new_auth = if let Some(c) = challenges.iter().find(|c| c.scheme == "bearer") {
                self.fetch_token(c)?
            } else if challenges.iter().any(|c| c.scheme == "basic") {
                self.basic().ok_or_else(|| {
                    self.err(format!(
                        "{what}: authentication required (HTTP 401, Basic){}; {}",
                        error_detail(&body),
                        self.no_credentials_hint()
                    ))
                })?
            } else {
                return Err(self.err(format!(
                    "{what}: HTTP 401 without a usable WWW-Authenticate challenge{}",
                    error_detail(&body)
                )));
            };
            if let Ok(mut a) = self.auth.lock() {
                *a = Some(new_auth);
            }
            authenticated_fresh = true;
        }
    }

    /// Fetch a manifest (or index) by tag or digest, capped at the JSON limit. Returns the raw bytes,
    /// its digest (verified) and the media type.
    pub fn fetch_manifest(&self, reference: &str) -> Result<(Vec<u8>, String, String)> {
        let what = format!("manifest {}:{reference}", self.repository);
        let what = if reference.contains(':') {
            format!("manifest {}@{reference}", self.repository)
        } else {
            what
        };
        let accept = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(", ");
        let resp = self.get(&format!("manifests/{reference}"), Some(&accept), &what)?;
        let status = resp.status().as_u16();
        if status != 200 {
            let body = read_capped(resp, 4096, &what, self.deadline).unwrap_or_default();
            let detail = error_detail(&body);
            return Err(self.err(match status {
                404 => format!("{what} not found{detail}"),
                403 => format!("{what}: access denied (HTTP 403){detail}"),
                s => format!("{what}: HTTP {s}{detail}"),
            }));
        }
        let content_type = header(&resp, "content-type")
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_string())
            .unwrap_or_default();
        let header_digest = header(&resp, "docker-content-digest").map(str::to_string);
        let raw = read_capped(
            resp,
            self.max_json,
            &format!("{}: {what}", self.registry),
            self.deadline,
        )?;
        // Schema 1 first: its digest covers the payload without the JWS signatures, so the checks
        // below would report a misleading mismatch.
        let doc: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|e| Error::json(format!("{}: {what}", self.registry), e))?;
        let media_type = doc
            .get("mediaType")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                // `mediaType` is optional in OCI documents: trust a known Content-Type, else the shape.
                if [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST]
                    .contains(&content_type.as_str())
                {
                    content_type.clone()
                } else if doc.get("manifests").is_some() {
                    OCI_INDEX.to_string()
                } else if doc.get("layers").is_some() && doc.get("config").is_some() {
                    OCI_MANIFEST.to_string()
                } else {
                    content_type.clone()
                }
            });
        if doc.get("schemaVersion").and_then(|v| v.as_u64()) == Some(1)
            || media_type.starts_with(DOCKER_SCHEMA1)
            || content_type.starts_with(DOCKER_SCHEMA1)
        {
            return Err(self.err(format!(
                "{what}: Docker schema 1 manifests are not supported (re-push the image with a current tool, \
                 e.g. `skopeo copy`, to convert it)"
            )));
        }
        let digest = if reference.contains(':') {
            digest::verify_bytes(reference, &raw)?;
            reference.to_string()
        } else {
            let computed = digest::sha256_of(&raw);
            if let Some(h) = header_digest.filter(|h| h.starts_with("sha256:"))
                && h != computed
            {
                return Err(Error::DigestMismatch {
                    digest: h,
                    actual: computed,
                });
            }
            computed
        };
        Ok((raw, digest, media_type))
    }

    fn blob_response(&self, d: &str) -> Result<ureq::http::Response<ureq::Body>> {
        digest::validate(d)?;
        let what = format!("blob {}@{d}", self.repository);
        let resp = self.get(&format!("blobs/{d}"), None, &what)?;
        match resp.status().as_u16() {
            200 => Ok(resp),
            404 => Err(Error::MissingBlob {
                digest: d.to_string(),
                container: format!("registry {}/{}", self.registry, self.repository),
            }),
            s => {
                let body = read_capped(resp, 4096, &what, self.deadline).unwrap_or_default();
                Err(self.err(format!("{what}: HTTP {s}{}", error_detail(&body))))
            }
        }
    }
}

impl BlobStore for RegistryClient {
    fn open_blob(&self, d: &str) -> Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(DeadlineReader {
            inner: self.blob_response(d)?.into_body().into_reader(),
            deadline: self.deadline,
            what: format!("registry {}: blob {}@{d}", self.registry, self.repository),
        }))
    }

    fn read_blob(&self, d: &str, max: u64) -> Result<Vec<u8>> {
        let resp = self.blob_response(d)?;
        let buf = read_capped(
            resp,
            max,
            &format!("{}: blob {d}", self.describe()),
            self.deadline,
        )?;
        digest::verify_bytes(d, &buf)?;
        Ok(buf)
    }

    fn read_index(&self, _max: u64) -> Result<Vec<u8>> {
        Err(self.err("a registry has no index.json; fetch manifests by tag or digest"))
    }

    fn describe(&self) -> String {
        format!("registry {}/{}", self.registry, self.repository)
    }
}

fn is_index_type(mt: &str) -> bool {
    mt == OCI_INDEX || mt == DOCKER_LIST
}

/// An image in a registry.
pub struct RegistryImage {
    client: RegistryClient,
    meta: ImageMeta,
}

impl RegistryImage {
    /// Resolve `reference` (without `registry://`) to one image manifest — selecting `platform` (default:
    /// this machine's) from a manifest list / index — and read its config. `spec` is the target as the
    /// user typed it.
    pub fn open(
        reference: &str,
        spec: &str,
        platform: Option<&Platform>,
        opts: &RegistryOptions,
        limits: &Limits,
    ) -> Result<Self> {
        Self::open_until(reference, spec, platform, opts, limits, None)
    }

    /// [`RegistryImage::open`] with a deadline for the whole read: this call and every layer stream
    /// opened from the image must be done `deadline` from when the scan started (see
    /// [`crate::ScanOptions::timeout`]).
    pub fn open_until(
        reference: &str,
        spec: &str,
        platform: Option<&Platform>,
        opts: &RegistryOptions,
        limits: &Limits,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Self> {
        let r = Reference::parse(reference)?;
        let deadline = deadline.map(|(at, budget)| Deadline { at, budget });
        let client = RegistryClient::connect_until(&r, opts, limits, deadline)?;
        let (mut raw, mut manifest_digest, mut media_type) =
            client.fetch_manifest(r.manifest_ref())?;
        let host = Platform::host();
        let platform = platform.unwrap_or(&host);
        let mut depth = 0;
        while is_index_type(&media_type) {
            depth += 1;
            if depth > 4 {
                return Err(client.err(format!("{r}: image indexes nested too deeply")));
            }
            let index: ImageIndex = serde_json::from_slice(&raw).map_err(|e| {
                Error::json(format!("{}: index {manifest_digest}", client.describe()), e)
            })?;
            let desc = select_platform(&index, platform, &format!("registry {r}"))?;
            let d = desc.digest().to_string();
            (raw, manifest_digest, media_type) = client.fetch_manifest(&d)?;
        }
        if media_type != OCI_MANIFEST && media_type != DOCKER_MANIFEST {
            return Err(client.err(format!(
                "{r}: unsupported manifest media type {media_type:?}"
            )));
        }
        let repo_tags = r
            .tag
            .as_ref()
            .map(|t| vec![format!("{}/{}:{t}", r.registry, r.repository)])
            .unwrap_or_default();
        let mut meta = meta_from_manifest(
            &client,
            &raw,
            spec,
            "registry",
            &manifest_digest,
            repo_tags,
            limits,
        )?;
        meta.repo_digests = vec![format!("{}/{}@{manifest_digest}", r.registry, r.repository)];
        Ok(RegistryImage { client, meta })
    }

    /// The HTTP session (for callers that need more blobs).
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }
}

impl ImageSource for RegistryImage {
    fn meta(&self) -> &ImageMeta {
        &self.meta
    }

    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>> {
        let l = self.meta.layer(index)?;
        let body = self
            .client
            .open_blob(l.digest.as_deref().unwrap_or_default())?;
        // A blob longer than its descriptor says cannot match its digest: stop one byte past the size
        // so the digest check fails early instead of draining an endless body.
        Ok(match l.size {
            Some(size) => Box::new(body.take(size.saturating_add(1))),
            None => body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn references_parse_as_docker_does() {
        let r = p("alpine");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/alpine")
        );
        assert_eq!(r.manifest_ref(), "latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = p("foo/bar:1.2");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "foo/bar", Some("1.2"))
        );
        let r = p("127.0.0.1:5000/test/img:1");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "test/img", Some("1"))
        );
        assert!(r.is_loopback());
        let r = p("localhost/x");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost", "x")
        );
        assert!(r.is_loopback());
        let r = p("[::1]:5000/x:y");
        assert!(r.is_loopback());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("quay.io/a/b:t@{d}"));
        assert_eq!(
            (r.tag.as_deref(), r.digest.as_deref()),
            (Some("t"), Some(d.as_str()))
        );
        assert_eq!(r.manifest_ref(), d);
        assert!(!r.is_loopback());
        assert_eq!(p("index.docker.io/library/debian").registry, "docker.io");
        assert_eq!(p("Foo/bar").registry, "Foo");
        assert!(Reference::parse("UPPER").is_err());
        assert!(Reference::parse("a/b@sha256:xyz").is_err());
        assert!(Reference::parse("a/b:").is_err());
        assert!(Reference::parse("a//b").is_err());
        assert!(Reference::parse("").is_err());
    }

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull""#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example/token"));
        assert_eq!(c.param("service"), Some("reg"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull"));
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.param("realm"), Some("Registry Realm"));
        let c = parse_challenge(r#"Bearer realm="x\"y", error=insufficient_scope"#).unwrap();
        assert_eq!(c.param("realm"), Some("x\"y"));
        assert_eq!(c.param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn auth_files_are_read_like_podman_and_docker() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("auth.json");
        let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        std::fs::write(
            &f,
            serde_json::json!({"auths": {
                "https://index.docker.io/v1/": {"auth": b("hub:pw")},
                "quay.io": {"auth": b("q:1")},
                "quay.io/team": {"auth": b("team:2")},
                "127.0.0.1:5000": {"auth": b("local:a:b")}
            }})
            .to_string(),
        )
        .unwrap();
        let get = |r: &str, repo: &str| lookup_auth_file(&f, r, repo).unwrap();
        assert_eq!(
            get("docker.io", "library/alpine"),
            Some(("hub".into(), "pw".into()))
        );
        assert_eq!(get("quay.io", "other/x"), Some(("q".into(), "1".into())));
        assert_eq!(get("quay.io", "team/x"), Some(("team".into(), "2".into())));
        assert_eq!(
            get("127.0.0.1:5000", "x"),
            Some(("local".into(), "a:b".into()))
        );
        assert_eq!(get("ghcr.io", "x"), None);
        assert_eq!(
            lookup_auth_file(&dir.path().join("none"), "quay.io", "x").unwrap(),
            None
        );
    }

    #[test]
    fn options_debug_hides_password() {
        let o = RegistryOptions {
            password: Some("hunter2".into()),
            ..Default::default()
        };
        assert!(!format!("{o:?}").contains("hunter2"));
    }
}
