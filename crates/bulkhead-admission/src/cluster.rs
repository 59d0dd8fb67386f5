//! The namespaces of the cluster the webhook runs in, read from the Kubernetes API with the pod's
//! service account (`GET /api/v1/namespaces`, paged with `limit`/`continue`), instead of a file.
//! Listed again every [`POLL`]; a failed list keeps the namespaces of the last good one (and is
//! logged). The token is re-read for every list (bound service-account tokens are rotated by the
//! kubelet). Needs RBAC: `get`, `list` on `namespaces` (`bulkhead admission manifests
//! --namespaces-from-cluster` writes the ClusterRole and its binding).
//!
//! A full list rather than a watch: a cluster's namespaces are few and change rarely, a list every
//! few seconds costs the API server nothing, and a list cannot miss an event.

use crate::psa::NamespaceLabels;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often the namespaces are listed again.
pub const POLL: Duration = Duration::from_secs(10);
/// Largest page read (a NamespaceList of 500 namespaces is far smaller).
const MAX_PAGE: u64 = 32 << 20;
/// Most pages followed (500 namespaces each).
const MAX_PAGES: usize = 200;

/// Where the API is and how to authenticate.
#[derive(Debug, Clone)]
pub struct ClusterSource {
    /// `https://host:port`.
    pub base: String,
    pub token: PathBuf,
    pub ca: PathBuf,
}

impl ClusterSource {
    /// The in-cluster configuration: `KUBERNETES_SERVICE_HOST`/`_PORT` and the service account
    /// files under `/var/run/secrets/kubernetes.io/serviceaccount`.
    pub fn in_cluster() -> Result<ClusterSource, String> {
        let host = std::env::var("KUBERNETES_SERVICE_HOST").map_err(|_| {
            "KUBERNETES_SERVICE_HOST is not set: not running in a Kubernetes pod (give --namespaces FILE instead)".to_string()
        })?;
        let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".into());
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let sa = Path::new("/var/run/secrets/kubernetes.io/serviceaccount");
        Ok(ClusterSource {
            base: format!("https://{host}:{port}"),
            token: sa.join("token"),
            ca: sa.join("ca.crt"),
        })
    }

    fn agent(&self) -> Result<ureq::Agent, String> {
        let pem =
            bulkhead_core::input::read_regular(&self.ca, 4 << 20, "a CA bundle is far smaller")
                .map_err(|e| e.to_string())?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(format!("{}: no PEM certificate", self.ca.display()));
        }
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .user_agent(concat!("bulkhead-admission/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        Ok(ureq::Agent::new_with_config(config))
    }

    /// List every namespace with its labels.
    pub fn list(&self) -> Result<NamespaceLabels, String> {
        let agent = self.agent()?;
        let token =
            bulkhead_core::input::read_regular(&self.token, 64 << 10, "a token is far smaller")
                .map_err(|e| e.to_string())?;
        let token = String::from_utf8_lossy(&token).trim().to_string();
        let mut out = NamespaceLabels::new();
        let mut cont: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = format!("{}/api/v1/namespaces?limit=500", self.base);
            if let Some(c) = &cont {
                url.push_str("&continue=");
                url.push_str(&percent(c));
            }
            let mut resp = agent
                .get(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .header("Accept", "application/json")
                .call()
                .map_err(|e| format!("GET {url}: {e}"))?;
            let status = resp.status().as_u16();
            let body = resp
                .body_mut()
                .with_config()
                .limit(MAX_PAGE)
                .read_to_vec()
                .map_err(|e| format!("GET {url}: {e}"))?;
            if status != 200 {
                let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
                return Err(format!("GET {url}: HTTP {status}: {text}"));
            }
            let page: Value =
                serde_json::from_slice(&body).map_err(|e| format!("GET {url}: not JSON: {e}"))?;
            if page.get("kind").and_then(Value::as_str) != Some("NamespaceList") {
                return Err(format!("GET {url}: not a NamespaceList"));
            }
            for item in page
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(name) = item.pointer("/metadata/name").and_then(Value::as_str) else {
                    continue;
                };
                let labels = item
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(name.to_string(), labels);
            }
            cont = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            if cont.is_none() {
                return Ok(out);
            }
        }
        Err(format!("more than {MAX_PAGES} pages of namespaces"))
    }
}

/// Percent-encoding of a query value (the continue token is base64: `+`, `/`, `=`).
fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
