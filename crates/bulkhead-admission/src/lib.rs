//! Deploy-time enforcement: a Kubernetes validating admission webhook.
//!
//! [`Admission::decide`] is the library entry point (an AdmissionReview request → its response):
//! the Pod Security Standards exactly as Pod Security Admission applies them ([`psa`]), with the
//! checks `bulkhead config` runs on files. [`server`] serves it over HTTPS (`POST /validate`,
//! `/healthz`, `/readyz`, `/metrics`); the CLI's `bulkhead admission serve` and
//! `bulkhead admission review` are thin layers over these.

pub mod config;
pub mod metrics;
pub mod psa;
pub mod review;
pub mod server;

use psa::{Decision, NamespaceLabels, Psa, PsaConfig};
use review::{AdmissionRequest, AdmissionResponse, ReviewError};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// The webhook's state: PSA's configuration, the namespaces it knows, and its metrics.
pub struct Admission {
    config: PsaConfig,
    namespaces: RwLock<Arc<NamespaceLabels>>,
    pub metrics: metrics::Metrics,
}

impl Admission {
    pub fn new(config: PsaConfig, namespaces: NamespaceLabels) -> Admission {
        Admission {
            config,
            namespaces: RwLock::new(Arc::new(namespaces)),
            metrics: metrics::Metrics::default(),
        }
    }

    /// Replace the namespaces (a reloaded file); requests in flight keep the ones they started with.
    pub fn set_namespaces(&self, namespaces: NamespaceLabels) {
        *self.namespaces.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(namespaces);
    }

    /// How many namespaces are known.
    pub fn namespace_count(&self) -> usize {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Decide one request. `CREATE` and `UPDATE` are evaluated; `DELETE` and `CONNECT` carry no
    /// pod to check and are allowed (register the webhook for CREATE and UPDATE only, as PSA's).
    pub fn decide(&self, req: &AdmissionRequest) -> Decision {
        let t0 = Instant::now();
        let d = match req.operation.as_str() {
            "CREATE" | "UPDATE" => {
                let namespaces = self
                    .namespaces
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                Psa {
                    config: &self.config,
                    namespaces: namespaces.as_ref(),
                }
                .validate(req)
            }
            _ => Decision {
                response: AdmissionResponse::allow(),
                resource: "",
                evaluations: Vec::new(),
                exempt: false,
                error: None,
            },
        };
        self.metrics.decision(&req.operation, &d, t0.elapsed());
        d
    }

    /// Read an AdmissionReview request and answer it (the whole AdmissionReview, with its uid).
    pub fn review(&self, body: &[u8]) -> Result<serde_json::Value, ReviewError> {
        let req = review::parse_review(body)?;
        let d = self.decide(&req);
        Ok(d.response.into_review(&req.uid))
    }
}
