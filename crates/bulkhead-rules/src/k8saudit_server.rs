//! Kubernetes audit events live: the HTTP(S) endpoint the API server's audit webhook backend posts
//! to, as Falco's k8saudit plugin serves it (`open_params: "https://:9765/k8s-audit"`): each POST
//! carries an `audit.k8s.io/v1` `EventList` (or one event), read with the same bounded reader as
//! audit files, its events queued for the rules (`k8s_audit` source).
//!
//! Bounded: a body larger than `webhookMaxBatchSize` is refused (413) before it is read whole, one
//! event larger than `maxEventSize` is skipped and counted (as the plugin does), and a full queue
//! answers 503 (the API server retries) rather than growing.

use crate::k8saudit::{AuditEvent, AuditReader};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

/// The plugin's configuration (`plugins: [{name: k8saudit, open_params, init_config}]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K8sAuditConfig {
    /// `host:port` to listen on (`:9765` listens on every address).
    pub listen: String,
    /// The URL path the events are posted to (`/k8s-audit`).
    pub path: String,
    /// `https://` open params: the PEM file holding the certificate and its private key
    /// (`sslCertificate`, default `/etc/falco/falco.pem`).
    pub tls_pem: Option<PathBuf>,
    /// `maxEventSize` (default 262,144 bytes).
    pub max_event_size: usize,
    /// `webhookMaxBatchSize` (default 12 MiB).
    pub max_batch_size: usize,
}

impl K8sAuditConfig {
    /// From the plugin's `open_params` URL (`http://:9765/k8s-audit`).
    pub fn from_open_params(url: &str) -> Result<K8sAuditConfig, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!(
                "k8saudit open_params {url:?}: not an http:// or https:// URL"
            ));
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let listen = if hostport.starts_with(':') {
            format!("0.0.0.0{hostport}")
        } else {
            hostport.to_string()
        };
        Ok(K8sAuditConfig {
            listen,
            path: path.to_string(),
            tls_pem: tls.then(|| PathBuf::from("/etc/falco/falco.pem")),
            max_event_size: 262_144,
            max_batch_size: 12 << 20,
        })
    }
}

/// Events waiting for the rules.
pub const QUEUE: usize = 65_536;

/// Counters of the endpoint.
#[derive(Debug, Default)]
pub struct AuditServerStats {
    pub requests: AtomicU64,
    pub events: AtomicU64,
    /// Events refused because the queue was full (their request answered 503).
    pub dropped: AtomicU64,
    /// Events larger than `maxEventSize` (skipped) and bodies that were not audit events.
    pub skipped: AtomicU64,
}

/// The running endpoint; dropping it stops it.
pub struct AuditServer {
    _served: crate::httpd::Served,
    pub addr: std::net::SocketAddr,
    pub stats: Arc<AuditServerStats>,
}

impl AuditServer {
    /// Listens on its own thread; the events come out of the receiver.
    pub fn start(cfg: &K8sAuditConfig) -> Result<(AuditServer, Receiver<AuditEvent>), String> {
        let (tx, rx) = sync_channel(QUEUE);
        let stats = Arc::new(AuditServerStats::default());
        let (c, sts) = (cfg.clone(), stats.clone());
        let served = crate::httpd::serve(
            "k8saudit",
            &cfg.listen,
            cfg.tls_pem.as_deref(),
            "bulkhead-k8saudit",
            move |req| handle(req, &c, &tx, &sts),
        )?;
        Ok((
            AuditServer {
                addr: served.addr,
                _served: served,
                stats,
            },
            rx,
        ))
    }
}

fn handle(
    mut req: tiny_http::Request,
    cfg: &K8sAuditConfig,
    tx: &SyncSender<AuditEvent>,
    stats: &AuditServerStats,
) {
    let respond = |req: tiny_http::Request, code: u16, msg: &str| {
        let _ = req.respond(tiny_http::Response::from_string(msg).with_status_code(code));
    };
    stats.requests.fetch_add(1, Ordering::Relaxed);
    let path = req.url().split('?').next().unwrap_or("").to_string();
    if path != cfg.path {
        return respond(req, 404, "not found\n");
    }
    if *req.method() != tiny_http::Method::Post {
        return respond(req, 405, "method not allowed\n");
    }
    if req.body_length().is_some_and(|n| n > cfg.max_batch_size) {
        return respond(req, 413, "request body too large (webhookMaxBatchSize)\n");
    }
    let mut body = Vec::new();
    let max = cfg.max_batch_size as u64;
    if req
        .as_reader()
        .take(max + 1)
        .read_to_end(&mut body)
        .is_err()
    {
        return respond(req, 400, "cannot read the body\n");
    }
    if body.len() as u64 > max {
        return respond(req, 413, "request body too large (webhookMaxBatchSize)\n");
    }
    // An EventList's events are bounded one by one: a record of the list is at most the
    // batch, each event at most maxEventSize (larger ones skipped and counted).
    let mut r = AuditReader::with_limits(body.as_slice(), cfg.max_batch_size, 4 << 20);
    let mut events = Vec::new();
    loop {
        match r.next_event() {
            Ok(Some(e)) => {
                let size = serde_json::to_vec(&e.json).map_or(usize::MAX, |v| v.len());
                if size > cfg.max_event_size {
                    stats.skipped.fetch_add(1, Ordering::Relaxed);
                } else {
                    events.push(e);
                }
            }
            Ok(None) => break,
            Err(e) => return respond(req, 400, &format!("not audit events: {e}\n")),
        }
    }
    stats
        .skipped
        .fetch_add(r.skipped() as u64, Ordering::Relaxed);
    for e in events {
        match tx.try_send(e) {
            Ok(()) => {
                stats.events.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => {
                stats.dropped.fetch_add(1, Ordering::Relaxed);
                return respond(req, 503, "queue full, retry\n");
            }
            Err(TrySendError::Disconnected(_)) => return respond(req, 503, "stopping\n"),
        }
    }
    respond(req, 200, "<html><body>Ok</body></html>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_params_as_the_plugin_reads_them() {
        let c = K8sAuditConfig::from_open_params("http://:9765/k8s-audit").unwrap();
        assert_eq!(
            (c.listen.as_str(), c.path.as_str()),
            ("0.0.0.0:9765", "/k8s-audit")
        );
        assert!(c.tls_pem.is_none());
        let c = K8sAuditConfig::from_open_params("https://127.0.0.1:9000/x").unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000");
        assert_eq!(
            c.tls_pem.as_deref(),
            Some(std::path::Path::new("/etc/falco/falco.pem"))
        );
        assert!(K8sAuditConfig::from_open_params("ftp://x").is_err());
    }
}
