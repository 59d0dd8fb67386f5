//! The webhook's HTTPS server: hyper (HTTP/1.1 and HTTP/2 by ALPN, as the API server's client
//! negotiates) over rustls (TLS 1.2 and 1.3). The certificate and key are re-read when their files
//! change (checked at most once a second, at a handshake), and so is the namespaces file (polled):
//! a rotation by cert-manager or a GitOps change needs no restart; a broken new file keeps the old
//! one in force and is logged.
//!
//! Bounds: request bodies at most [`ServeOptions::max_body`] (3 MiB, as PSA's webhook: 413 beyond),
//! a TLS handshake, a request's headers and its body each within [`ServeOptions::io_timeout`], at
//! most [`ServeOptions::max_connections`] connections (more are closed at once).

use crate::Admission;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// `ADDR:PORT` (port 0 picks one; [`Server::addr`] tells which).
    pub listen: String,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Re-read when it changes (a file), or listed again (the cluster).
    pub namespaces: Option<crate::NamespaceSource>,
    pub max_body: usize,
    pub max_connections: usize,
    pub io_timeout: Duration,
    /// How often the namespaces file is checked for changes.
    pub poll: Duration,
    /// Stop on SIGINT or SIGTERM (a CLI server; tests stop with [`Server::stop`]).
    pub stop_on_signal: bool,
}

impl ServeOptions {
    pub fn new(listen: &str, cert: &Path, key: &Path) -> ServeOptions {
        ServeOptions {
            listen: listen.to_string(),
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            namespaces: None,
            max_body: 3 << 20,
            max_connections: 1024,
            io_timeout: Duration::from_secs(10),
            poll: Duration::from_secs(2),
            stop_on_signal: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("TLS certificate {}: {message}", path.display())]
    Tls { path: PathBuf, message: String },
    #[error("listen on {listen}: {source}")]
    Listen {
        listen: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server's runtime: {0}")]
    Runtime(std::io::Error),
}

/// Largest certificate or key file read (a chain and its key are far smaller).
const MAX_PEM: u64 = 1 << 20;

/// A file's modification time and size: a change of either is a new file.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(p: &Path) -> Stamp {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// Read a certificate chain and its private key (PEM), checking that they belong together.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, ServeError> {
    let read = |p: &Path| {
        bulkhead_core::input::read_regular(p, MAX_PEM, "certificates and keys are far smaller")
            .map_err(|e| ServeError::Tls {
                path: p.to_path_buf(),
                message: e.to_string(),
            })
    };
    let tls = |p: &Path, m: String| ServeError::Tls {
        path: p.to_path_buf(),
        message: m,
    };
    let cert_pem = read(cert)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| tls(cert, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(tls(cert, "no CERTIFICATE block".into()));
    }
    let key_pem = read(key)?;
    let der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| tls(key, format!("no PEM private key: {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(chain, der, &provider)
        .map_err(|e| tls(key, format!("unusable with the certificate: {e}")))
}

/// The serving certificate, re-read when its files change.
#[derive(Debug)]
struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<CertState>,
}

#[derive(Debug)]
struct CertState {
    current: Arc<CertifiedKey>,
    stamps: (Stamp, Stamp),
    checked: Instant,
}

impl ReloadingCert {
    fn new(cert: &Path, key: &Path) -> Result<ReloadingCert, ServeError> {
        let ck = load_certified_key(cert, key)?;
        Ok(ReloadingCert {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            state: Mutex::new(CertState {
                current: Arc::new(ck),
                stamps: (stamp(cert), stamp(key)),
                checked: Instant::now(),
            }),
        })
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.checked.elapsed() >= Duration::from_secs(1) {
            s.checked = Instant::now();
            let now = (stamp(&self.cert), stamp(&self.key));
            if now != s.stamps {
                match load_certified_key(&self.cert, &self.key) {
                    Ok(ck) => {
                        s.current = Arc::new(ck);
                        s.stamps = now;
                        tracing::info!("TLS certificate reloaded from {}", self.cert.display());
                    }
                    // A half-written rotation (the certificate before its key) is retried at the
                    // next check; the old pair stays in use.
                    Err(e) => {
                        tracing::warn!("TLS certificate not reloaded, the previous one stays: {e}")
                    }
                }
            }
        }
        Some(s.current.clone())
    }
}

/// A running server; [`Server::stop`] (or drop) shuts it down.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Bind and serve on a runtime of its own (two worker threads: a webhook's work is small
    /// and CPU-bound). Errors of the certificate or the address are returned before serving.
    pub fn start(admission: Arc<Admission>, opts: ServeOptions) -> Result<Server, ServeError> {
        let resolver = Arc::new(ReloadingCert::new(&opts.cert, &opts.key)?);
        let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ServeError::Tls {
            path: opts.cert.clone(),
            message: e.to_string(),
        })?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bulkhead-admission")
            .enable_all()
            .build()
            .map_err(ServeError::Runtime)?;
        let std_listener =
            std::net::TcpListener::bind(&opts.listen).map_err(|source| ServeError::Listen {
                listen: opts.listen.clone(),
                source,
            })?;
        std_listener
            .set_nonblocking(true)
            .map_err(ServeError::Runtime)?;
        let addr = std_listener.local_addr().map_err(ServeError::Runtime)?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bulkhead-admission-accept".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!("admission server: {e}");
                            return;
                        }
                    };
                    match opts.namespaces.clone() {
                        Some(crate::NamespaceSource::File(path)) => {
                            tokio::spawn(watch_namespaces(admission.clone(), path, opts.poll));
                        }
                        Some(crate::NamespaceSource::Cluster(c)) => {
                            tokio::spawn(poll_cluster(admission.clone(), c));
                        }
                        None => {}
                    }
                    accept_loop(listener, acceptor, admission, opts, stop_rx).await;
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(ServeError::Runtime)?;
        Ok(Server {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Stop accepting and wait for the server's thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Wait until the server stops (it stops when [`Server::stop`] is called from elsewhere, or
    /// never: a CLI waits here until it is signalled).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn watch_namespaces(admission: Arc<Admission>, path: PathBuf, poll: Duration) {
    let mut last = stamp(&path);
    loop {
        tokio::time::sleep(poll).await;
        let now = stamp(&path);
        if now == last {
            continue;
        }
        last = now;
        let p = path.clone();
        match tokio::task::spawn_blocking(move || crate::config::load_namespaces(&p)).await {
            Ok(Ok(ns)) => {
                tracing::info!(
                    "namespaces reloaded from {} ({} namespaces)",
                    path.display(),
                    ns.len()
                );
                admission.set_namespaces(ns);
            }
            Ok(Err(e)) => tracing::warn!("namespaces not reloaded, the previous ones stay: {e}"),
            Err(e) => tracing::warn!("namespaces not reloaded: {e}"),
        }
    }
}

async fn poll_cluster(admission: Arc<Admission>, source: crate::cluster::ClusterSource) {
    loop {
        tokio::time::sleep(crate::cluster::POLL).await;
        let s = source.clone();
        match tokio::task::spawn_blocking(move || s.list()).await {
            Ok(Ok(ns)) => admission.set_namespaces(ns),
            Ok(Err(e)) => tracing::warn!("namespaces not listed, the previous ones stay: {e}"),
            Err(e) => tracing::warn!("namespaces not listed: {e}"),
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    admission: Arc<Admission>,
    opts: ServeOptions,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let limit = Arc::new(tokio::sync::Semaphore::new(opts.max_connections));
    let on_signal = opts.stop_on_signal;
    let signalled = async move {
        if !on_signal {
            return std::future::pending::<()>().await;
        }
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        tracing::info!("signalled: the admission server stops");
    };
    tokio::pin!(signalled);
    let opts = Arc::new(opts);
    loop {
        let (tcp, _peer) = tokio::select! {
            _ = &mut stop => return,
            _ = &mut signalled => return,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and the like: pause instead of spinning.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let admission = admission.clone();
        let opts = opts.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let tls = match tokio::time::timeout(opts.io_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                _ => return,
            };
            let service = hyper::service::service_fn(move |req| {
                let admission = admission.clone();
                let opts = opts.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(req, &admission, &opts).await) }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10));
            builder.http2().timer(TokioTimer::new());
            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
        });
    }
}

fn json_response(code: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = code;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn error_response(code: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(
        code,
        &serde_json::json!({"error": message, "code": code.as_u16()}),
    )
}

fn text_response(
    code: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = code;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

async fn handle(
    req: Request<Incoming>,
    admission: &Admission,
    opts: &ServeOptions,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let r = route(req, admission, opts).await;
    let label = match path.as_str() {
        "/validate" | "/mutate" | "/healthz" | "/readyz" | "/metrics" => path.as_str(),
        _ => "other",
    };
    admission.metrics.http(label, r.status().as_u16());
    r
}

async fn route(
    req: Request<Incoming>,
    admission: &Admission,
    opts: &ServeOptions,
) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => text_response(StatusCode::OK, "text/plain", "ok\n".into()),
        // Namespaces and policies are loaded before the server starts serving.
        (&Method::GET, "/readyz") => text_response(StatusCode::OK, "text/plain", "ok\n".into()),
        (&Method::GET, "/metrics") => text_response(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            admission.metrics.render(),
        ),
        (&Method::POST, "/validate") => validate(req, admission, opts, false).await,
        (&Method::POST, "/mutate") => validate(req, admission, opts, true).await,
        (_, "/healthz" | "/readyz" | "/metrics" | "/validate" | "/mutate") => {
            error_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => error_response(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn validate(
    req: Request<Incoming>,
    admission: &Admission,
    opts: &ServeOptions,
    mutate: bool,
) -> Response<Full<Bytes>> {
    let json = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return error_response(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/json (an AdmissionReview v1)",
        );
    }
    let body = Limited::new(req.into_body(), opts.max_body);
    let bytes = match tokio::time::timeout(opts.io_timeout, body.collect()).await {
        Err(_) => {
            return error_response(
                StatusCode::REQUEST_TIMEOUT,
                "the request body was not read in time",
            );
        }
        Ok(Err(e)) => {
            return if e.is::<http_body_util::LengthLimitError>() {
                error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the request body is larger than {} bytes", opts.max_body),
                )
            } else {
                error_response(StatusCode::BAD_REQUEST, &format!("the request body: {e}"))
            };
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    let answer = if mutate {
        admission.review_mutate(&bytes)
    } else {
        admission.review(&bytes)
    };
    match answer {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => error_response(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}
