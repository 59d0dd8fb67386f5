//! The small HTTP(S) servers of the runtime (Falco's web server, the k8saudit webhook): listen on
//! an address, over TLS when given a PEM file holding the certificate and its private key (as
//! Falco's `ssl_certificate` and the k8saudit plugin's `sslCertificate` are), and answer requests
//! on one thread until dropped. tiny_http with rustls does the protocol; this is the shared
//! listen/accept/stop loop around it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest certificate file read (fixed: a certificate chain and its key are far smaller).
pub const MAX_PEM: u64 = 1 << 20;

/// The blocks of a PEM file whose `BEGIN` line names one of `kinds`.
pub fn pem_blocks(pem: &[u8], kinds: &[&str]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pem);
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("-----BEGIN ") {
            inside = kinds.iter().any(|k| line.contains(k));
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
        if line.starts_with("-----END ") {
            inside = false;
        }
    }
    out.into_bytes()
}

/// A running server; dropping it stops its thread.
pub struct Served {
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub addr: std::net::SocketAddr,
}

/// Listens on `bind` (`host:port`), HTTPS with the certificate and key of `tls_pem`, and hands
/// every request to `handle` on a thread named `name`. `what` names the server in errors
/// (`webserver`, `k8saudit`).
pub fn serve(
    what: &str,
    bind: &str,
    tls_pem: Option<&Path>,
    name: &str,
    handle: impl Fn(tiny_http::Request) + Send + 'static,
) -> Result<Served, String> {
    let server = match tls_pem {
        None => tiny_http::Server::http(bind),
        Some(pem_path) => {
            let pem = bulkhead_core::input::read_regular(
                pem_path,
                MAX_PEM,
                "a certificate and its key are well under 1 MiB; fixed limit",
            )
            .map_err(|e| format!("{what} certificate: {e}"))?;
            let certificate = pem_blocks(&pem, &["CERTIFICATE"]);
            let private_key = pem_blocks(&pem, &["PRIVATE KEY"]);
            if certificate.is_empty() || private_key.is_empty() {
                return Err(format!(
                    "{what} certificate {}: needs a certificate and its private key (PEM)",
                    pem_path.display()
                ));
            }
            tiny_http::Server::https(
                bind,
                tiny_http::SslConfig {
                    certificate,
                    private_key,
                },
            )
        }
    }
    .map_err(|e| format!("{what}: listening on {bind}: {e}"))?;
    let server = Arc::new(server);
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| format!("{what}: {bind} is not an IP address"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let (srv, st) = (server.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            while !st.load(Ordering::SeqCst) {
                if let Ok(Some(req)) = srv.recv_timeout(std::time::Duration::from_millis(200)) {
                    handle(req);
                }
            }
        })
        .map_err(|e| format!("{what}: {e}"))?;
    Ok(Served {
        server,
        stop,
        thread: Some(thread),
        addr,
    })
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_split_a_combined_file() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nBBB\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            String::from_utf8(pem_blocks(pem, &["CERTIFICATE"])).unwrap(),
            "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
        );
        assert!(
            String::from_utf8(pem_blocks(pem, &["PRIVATE KEY"]))
                .unwrap()
                .contains("BBB")
        );
    }

    #[test]
    fn a_certificate_file_without_a_key_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("only-cert.pem");
        std::fs::write(
            &p,
            "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = serve("webserver", "127.0.0.1:0", Some(&p), "t", |_| {})
            .err()
            .unwrap();
        assert!(
            e.contains("only-cert.pem") && e.contains("private key"),
            "{e}"
        );
    }
}
