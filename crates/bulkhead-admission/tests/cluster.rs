//! The cluster's namespaces from the Kubernetes API. No API server runs here: a TLS server on
//! loopback answers `GET /api/v1/namespaces` with NamespaceList pages shaped as the API server
//! writes them (kind, apiVersion, metadata.resourceVersion and continue, items with uid,
//! creationTimestamp, the `kubernetes.io/metadata.name` label, spec.finalizers, status.phase),
//! and checks the bearer token, as the API server's authentication would. The client under test is
//! the real one: the service-account CA and token files, paging with `continue`, refusal of an
//! unauthorised answer, and the webhook deciding with the listed labels.

use bulkhead_admission::cluster::ClusterSource;
use bulkhead_admission::{NamespaceSource, Settings};
use rcgen::{CertificateParams, KeyPair};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

fn namespace(name: &str, uid: &str, labels: Value) -> Value {
    let mut l = labels;
    l["kubernetes.io/metadata.name"] = json!(name);
    json!({"metadata": {"name": name, "uid": uid, "resourceVersion": "1843",
                        "creationTimestamp": "2026-12-01T08:12:44Z", "labels": l},
           "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
}

const CONTINUE: &str = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTg0Mywic3RhcnQiOiJzaG9wXHUwMDAwIn0+/=";

fn page(cont: bool) -> Value {
    if !cont {
        json!({"kind": "NamespaceList", "apiVersion": "v1",
               "metadata": {"resourceVersion": "1843", "continue": CONTINUE, "remainingItemCount": 1},
               "items": [
                   namespace("default", "0b3e5c6a-2f39-4d11-9d0c-8f5d54c7d001", json!({})),
                   namespace("kube-system", "0b3e5c6a-2f39-4d11-9d0c-8f5d54c7d002", json!({})),
                   namespace("shop", "0b3e5c6a-2f39-4d11-9d0c-8f5d54c7d003",
                             json!({"pod-security.kubernetes.io/enforce": "restricted"}))]})
    } else {
        json!({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1843"},
               "items": [namespace("dev", "0b3e5c6a-2f39-4d11-9d0c-8f5d54c7d004",
                                   json!({"pod-security.kubernetes.io/warn": "baseline"}))]})
    }
}

/// Serve `connections` connections (any number of requests each), then stop.
fn api_server(
    connections: usize,
) -> (
    String,
    std::path::PathBuf,
    tempfile::TempDir,
    std::thread::JoinHandle<Vec<String>>,
) {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, cert.pem()).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..connections {
            let (tcp, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            loop {
                let mut lines = Vec::new();
                {
                    let mut r = BufReader::new(&mut tls);
                    loop {
                        let mut l = String::new();
                        match r.read_line(&mut l) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                        if l == "\r\n" {
                            break;
                        }
                        lines.push(l.trim_end().to_string());
                    }
                }
                if lines.is_empty() {
                    break;
                }
                let path = lines[0].split(' ').nth(1).unwrap_or("").to_string();
                let auth = lines
                    .iter()
                    .find_map(|l| {
                        l.strip_prefix("authorization: ")
                            .or_else(|| l.strip_prefix("Authorization: "))
                    })
                    .unwrap_or("")
                    .to_string();
                seen.push(path.clone());
                let (code, body) = if auth != "Bearer sa-token-1" {
                    (
                        401,
                        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                 "message": "Unauthorized", "reason": "Unauthorized", "code": 401}),
                    )
                } else if path.starts_with("/api/v1/namespaces?limit=500&continue=") {
                    (200, page(true))
                } else if path == "/api/v1/namespaces?limit=500" {
                    (200, page(false))
                } else {
                    (404, json!({"kind": "Status", "code": 404}))
                };
                let body = body.to_string();
                let _ = write!(
                    tls,
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.flush();
            }
        }
        seen
    });
    (base, ca, dir, h)
}

#[test]
fn namespaces_listed_from_the_api_page_by_page() {
    let (base, ca, dir, server) = api_server(3);
    let token = dir.path().join("token");
    std::fs::write(&token, "sa-token-1\n").unwrap();
    let source = ClusterSource {
        base,
        token: token.clone(),
        ca,
    };
    let ns = source.list().unwrap();
    assert_eq!(
        ns.keys().collect::<Vec<_>>(),
        ["default", "dev", "kube-system", "shop"]
    );
    assert_eq!(
        ns["shop"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    assert_eq!(ns["dev"]["pod-security.kubernetes.io/warn"], "baseline");
    // The webhook decides with what the API said.
    let admission = Settings {
        namespaces: NamespaceSource::Cluster(source.clone()),
        ..Default::default()
    }
    .build()
    .unwrap();
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "c", "resource": {"group": "", "version": "v1", "resource": "pods"}, "name": "p", "namespace": "shop",
        "operation": "CREATE", "object": {"kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}});
    let out = admission.review(review.to_string().as_bytes()).unwrap();
    assert_eq!(out["response"]["allowed"], false);
    assert_eq!(
        out["response"]["auditAnnotations"]["enforce-policy"],
        "restricted:latest"
    );
    // A rotated token that the API does not accept: an error, not an empty list.
    std::fs::write(&token, "stale").unwrap();
    let e = source.list().unwrap_err();
    assert!(e.contains("HTTP 401") && e.contains("Unauthorized"), "{e}");
    drop(source);
    let paths = server.join().unwrap();
    // The continue token went back percent-encoded.
    assert!(paths.iter().any(|p| p.ends_with("&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTg0Mywic3RhcnQiOiJzaG9wXHUwMDAwIn0%2B%2F%3D")), "{paths:?}");
}

#[test]
fn outside_a_cluster_the_source_says_so() {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return; // running in a pod: the variable is the real one
    }
    let e = ClusterSource::in_cluster().unwrap_err();
    assert!(e.contains("KUBERNETES_SERVICE_HOST"), "{e}");
}
