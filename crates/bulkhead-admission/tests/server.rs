//! The webhook over real TLS: a CA and a serving certificate generated per run (rcgen), the
//! server on a loopback port, a rustls client trusting only that CA. AdmissionReviews over a
//! keep-alive connection, the probes and metrics, every kind of bad request (answered 400/404/
//! 405/413 with a JSON error, never an allow), a client that never sends its request (closed), and
//! the certificate and the namespaces file replaced while serving (picked up without restart).

use bulkhead_admission::Admission;
use bulkhead_admission::psa::PsaConfig;
use bulkhead_admission::server::{ServeOptions, Server};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
}

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "bulkhead test CA");
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca {
        der: cert.der().clone(),
        issuer: Issuer::new(params, key),
    }
}

/// A serving certificate for `localhost` with common name `cn`, written as PEM files.
fn leaf(ca: &Ca, cn: &str, cert: &Path, key: &Path) -> CertificateDer<'static> {
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    let k = KeyPair::generate().unwrap();
    let c = params.signed_by(&k, &ca.issuer).unwrap();
    std::fs::write(cert, c.pem()).unwrap();
    std::fs::write(key, k.serialize_pem()).unwrap();
    c.der().clone()
}

struct Client {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

impl Client {
    fn connect(addr: std::net::SocketAddr, ca: &Ca) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der.clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let conn = rustls::ClientConnection::new(
            Arc::new(config),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Client {
            tls: rustls::StreamOwned::new(conn, tcp),
        }
    }

    /// The server's certificate (after a request completed the handshake).
    fn peer_cert(&self) -> CertificateDer<'static> {
        self.tls.conn.peer_certificates().unwrap()[0].clone()
    }

    /// One HTTP/1.1 request on the connection; (status, content type, body).
    fn request(
        &mut self,
        method: &str,
        path: &str,
        ctype: Option<&str>,
        body: &[u8],
    ) -> (u16, String, Vec<u8>) {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(c) = ctype {
            head.push_str(&format!("Content-Type: {c}\r\n"));
        }
        head.push_str("\r\n");
        self.tls.write_all(head.as_bytes()).unwrap();
        // A large body may be refused before it is all sent: stop writing then.
        let _ = self.tls.write_all(body);
        let _ = self.tls.flush();
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            let n = self.tls.read(&mut byte).unwrap();
            assert!(
                n > 0,
                "connection closed before a response: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.push(byte[0]);
        }
        let head = String::from_utf8(buf).unwrap();
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                })
                .unwrap_or_default()
        };
        let len: usize = header("content-length").parse().unwrap();
        let mut body = vec![0u8; len];
        self.tls.read_exact(&mut body).unwrap();
        (status, header("content-type"), body)
    }
}

fn pod_review(uid: &str, ns: &str, privileged: bool) -> Vec<u8> {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "web", "namespace": ns, "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                       "spec": {"containers": [{"name": "app", "image": "nginx",
                                                "securityContext": {"privileged": privileged}}]}}
        }
    })
    .to_string()
    .into_bytes()
}

const NAMESPACES: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n";

#[test]
fn serves_reviews_over_tls_and_refuses_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ns) = (
        dir.path().join("tls.crt"),
        dir.path().join("tls.key"),
        dir.path().join("ns.yaml"),
    );
    let ca = ca();
    let first = leaf(&ca, "first", &cert, &key);
    std::fs::write(&ns, NAMESPACES).unwrap();
    let admission = Arc::new(Admission::new(
        PsaConfig::default(),
        bulkhead_admission::config::load_namespaces(&ns).unwrap(),
    ));
    let mut opts = ServeOptions::new("127.0.0.1:0", &cert, &key);
    opts.namespaces = Some(bulkhead_admission::NamespaceSource::File(ns.clone()));
    opts.io_timeout = Duration::from_secs(1);
    opts.poll = Duration::from_millis(100);
    let server = Server::start(admission.clone(), opts).unwrap();
    let addr = server.addr;

    let mut c = Client::connect(addr, &ca);
    let (code, _, body) = c.request("GET", "/readyz", None, b"");
    assert_eq!((code, body.as_slice()), (200, &b"ok\n"[..]));
    assert_eq!(c.peer_cert(), first);
    // Keep-alive: a denial and an allowance on the same connection, each with its uid.
    let (code, ctype, body) = c.request(
        "POST",
        "/validate",
        Some("application/json"),
        &pod_review("a1", "prod", true),
    );
    assert_eq!((code, ctype.as_str()), (200, "application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["response"]["uid"], "a1");
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["status"]["code"], 403);
    let (_, _, body) = c.request(
        "POST",
        "/validate",
        Some("application/json; charset=utf-8"),
        &pod_review("a2", "prod", false),
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (
            v["response"]["uid"].as_str(),
            v["response"]["allowed"].as_bool()
        ),
        (Some("a2"), Some(true))
    );

    // Bad requests: a JSON error with the HTTP status, never an AdmissionReview that allows.
    // (A fresh connection each: a request refused before its body is read closes its connection.)
    let bad = |_: &mut Client,
               method: &str,
               path: &str,
               ctype: Option<&str>,
               body: &[u8],
               want: u16,
               says: &str| {
        let mut c = Client::connect(addr, &ca);
        let (code, ctype, body) = c.request(method, path, ctype, body);
        assert_eq!(
            code,
            want,
            "{method} {path}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(ctype, "application/json");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert!(v.get("response").is_none());
        assert!(v["error"].as_str().unwrap().contains(says), "{v}");
    };
    bad(
        &mut c,
        "POST",
        "/validate",
        Some("application/json"),
        b"{not json",
        400,
        "not JSON",
    );
    bad(
        &mut c,
        "POST",
        "/validate",
        Some("text/plain"),
        &pod_review("a3", "prod", true),
        400,
        "Content-Type",
    );
    bad(&mut c, "POST", "/validate", Some("application/json"), br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x","operation":"CREATE"}}"#, 400, "v1beta1");
    bad(&mut c, "POST", "/validate", Some("application/json"), br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#, 400, "no uid");
    bad(&mut c, "GET", "/validate", None, b"", 405, "method");
    bad(&mut c, "GET", "/nothing", None, b"", 404, "not found");
    let mut big = Client::connect(addr, &ca);
    let (code, _, _) = big.request(
        "POST",
        "/validate",
        Some("application/json"),
        &vec![b' '; (3 << 20) + 1],
    );
    assert_eq!(code, 413);

    // A client that connects and says nothing is closed after the I/O timeout.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut sink = [0u8; 16];
    let t = std::time::Instant::now();
    assert_eq!(idle.read(&mut sink).unwrap_or(0), 0, "closed");
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());

    // Rotation: a new certificate on disk serves the next handshake; the namespaces file too.
    std::thread::sleep(Duration::from_millis(1100));
    let second = leaf(&ca, "second", &cert, &key);
    std::fs::write(&ns, NAMESPACES.replace("baseline", "privileged")).unwrap();
    let mut c2 = Client::connect(addr, &ca);
    let (code, _, _) = c2.request("GET", "/healthz", None, b"");
    assert_eq!(code, 200);
    assert_eq!(c2.peer_cert(), second, "the rotated certificate is served");
    std::thread::sleep(Duration::from_millis(500));
    let (_, _, body) = c2.request(
        "POST",
        "/validate",
        Some("application/json"),
        &pod_review("a4", "prod", true),
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["response"]["allowed"], true,
        "the namespace's new label applies: {v}"
    );
    // A broken rotation keeps the working certificate.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&key, "not a key").unwrap();
    let mut c3 = Client::connect(addr, &ca);
    let (code, _, _) = c3.request("GET", "/healthz", None, b"");
    assert_eq!(code, 200);
    assert_eq!(c3.peer_cert(), second);

    let (_, ctype, body) = c3.request("GET", "/metrics", None, b"");
    assert!(ctype.starts_with("text/plain"));
    let m = String::from_utf8(body).unwrap();
    assert!(m.contains("bulkhead_admission_decisions_total{decision=\"deny\",operation=\"create\",resource=\"pod\"} 1"), "{m}");
    assert!(
        m.contains("bulkhead_admission_http_requests_total{path=\"/validate\",code=\"400\"} 4"),
        "{m}"
    );
    assert!(
        m.contains("bulkhead_admission_decision_duration_seconds_count 3"),
        "{m}"
    );
    server.stop();
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens after stop"
    );
}

#[test]
fn a_wrong_key_or_a_busy_port_fails_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let ca = ca();
    leaf(&ca, "a", &cert, &key);
    let other_key = dir.path().join("other.key");
    leaf(&ca, "b", &dir.path().join("other.crt"), &other_key);
    let admission = Arc::new(Admission::new(PsaConfig::default(), Default::default()));
    let e = Server::start(
        admission.clone(),
        ServeOptions::new("127.0.0.1:0", &cert, &other_key),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("other.key") && e.contains("unusable"), "{e}");
    let e = Server::start(
        admission.clone(),
        ServeOptions::new("127.0.0.1:0", &cert, &dir.path().join("none")),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("none"), "{e}");
    let s = Server::start(
        admission.clone(),
        ServeOptions::new("127.0.0.1:0", &cert, &key),
    )
    .unwrap();
    let e = Server::start(
        admission,
        ServeOptions::new(&s.addr.to_string(), &cert, &key),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.starts_with("listen on 127.0.0.1:"), "{e}");
}
