//! Deploy-time enforcement: a Kubernetes validating admission webhook.
//!
//! [`Admission::decide`] is the library entry point (an AdmissionReview request → its response):
//! the Pod Security Standards exactly as Pod Security Admission applies them ([`psa`]), with the
//! checks `bulkhead config` runs on files. [`server`] serves it over HTTPS (`POST /validate`,
//! `/healthz`, `/readyz`, `/metrics`); the CLI's `bulkhead admission serve` and
//! `bulkhead admission review` are thin layers over these.

pub mod cluster;
pub mod config;
pub mod images;
pub mod manifests;
pub mod metrics;
pub mod mutate;
pub mod psa;
pub mod review;
pub mod server;

use psa::{Decision, NamespaceLabels, Psa, PsaConfig};
use review::{AdmissionRequest, AdmissionResponse, ReviewError};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Where the webhook's configuration comes from (the flags of `bulkhead admission serve`):
/// [`Settings::build`] reads every file, so a broken one fails at start.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Where the namespaces come from (required: a pod in an unknown namespace is denied).
    pub namespaces: NamespaceSource,
    /// PSA's `PodSecurityConfiguration` or `AdmissionConfiguration`.
    pub psa_config: Option<std::path::PathBuf>,
    /// Override the configuration's defaults.
    pub default_enforce: Option<bulkhead_config::pss::Policy>,
    pub default_audit: Option<bulkhead_config::pss::Policy>,
    pub default_warn: Option<bulkhead_config::pss::Policy>,
    /// Added to the configuration's exemptions.
    pub exempt_namespaces: Vec<String>,
    pub exempt_users: Vec<String>,
    pub exempt_runtime_classes: Vec<String>,
    /// The AdmissionPolicy (image rules, scan gate).
    pub policy: Option<std::path::PathBuf>,
    /// The scan store the gate reads.
    pub store: Option<std::path::PathBuf>,
    /// Custom policies in CEL (ValidatingAdmissionPolicy files, as `bulkhead config --cel-policy`).
    pub cel_policies: Vec<std::path::PathBuf>,
}

/// Where the namespaces and their labels come from.
#[derive(Debug, Clone)]
pub enum NamespaceSource {
    /// Namespace objects in a file (re-read when it changes).
    File(std::path::PathBuf),
    /// The cluster's API, listed with the pod's service account (again every [`cluster::POLL`]).
    Cluster(cluster::ClusterSource),
}

impl Default for NamespaceSource {
    fn default() -> Self {
        NamespaceSource::File(std::path::PathBuf::new())
    }
}

impl NamespaceSource {
    /// Read the namespaces now.
    pub fn load(&self) -> Result<NamespaceLabels, SetupError> {
        match self {
            NamespaceSource::File(f) => Ok(config::load_namespaces(f)?),
            NamespaceSource::Cluster(c) => c.list().map_err(SetupError::Cluster),
        }
    }
}

/// Why the webhook cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Scans(String),
    #[error(transparent)]
    Cel(#[from] bulkhead_config::CelPolicyError),
    #[error("the cluster's namespaces: {0}")]
    Cluster(String),
}

impl Settings {
    /// Read the files and build the webhook's state.
    pub fn build(&self) -> Result<Admission, SetupError> {
        let mut psa = match &self.psa_config {
            Some(f) => config::load_psa_config(f)?,
            None => PsaConfig::default(),
        };
        if let Some(e) = self.default_enforce {
            psa.defaults.enforce = e;
        }
        if let Some(a) = self.default_audit {
            psa.defaults.audit = a;
        }
        if let Some(w) = self.default_warn {
            psa.defaults.warn = w;
        }
        let ex = &mut psa.exemptions;
        ex.namespaces.extend(self.exempt_namespaces.iter().cloned());
        ex.usernames.extend(self.exempt_users.iter().cloned());
        ex.runtime_classes
            .extend(self.exempt_runtime_classes.iter().cloned());
        let namespaces = self.namespaces.load()?;
        let policy = match &self.policy {
            Some(f) => config::load_policy(f)?,
            None => images::PolicySpec::default(),
        };
        let scans: Option<Box<dyn images::Scans>> = match &self.store {
            Some(s) => Some(Box::new(
                images::StoreScans::open(s).map_err(SetupError::Scans)?,
            )),
            None => None,
        };
        let mut a = Admission::new(psa, namespaces)
            .with_images(policy, scans)
            .map_err(SetupError::Scans)?;
        if !self.cel_policies.is_empty() {
            a.cel = Some(bulkhead_config::load_cel_policies(&self.cel_policies)?);
        }
        Ok(a)
    }
}

/// The webhook's state: PSA's configuration, the namespaces it knows, the image policy with
/// where scans come from, and its metrics.
pub struct Admission {
    config: PsaConfig,
    namespaces: RwLock<Arc<NamespaceLabels>>,
    policy: images::PolicySpec,
    scans: Option<Box<dyn images::Scans>>,
    cel: Option<bulkhead_config::CelPolicies>,
    pub metrics: metrics::Metrics,
}

impl Admission {
    pub fn new(config: PsaConfig, namespaces: NamespaceLabels) -> Admission {
        Admission {
            config,
            namespaces: RwLock::new(Arc::new(namespaces)),
            policy: images::PolicySpec::default(),
            scans: None,
            cel: None,
            metrics: metrics::Metrics::default(),
        }
    }

    /// Add the image policy and the scans its gate reads. A policy with a scan gate and no
    /// scans is refused: the gate would pass every image.
    pub fn with_images(
        mut self,
        policy: images::PolicySpec,
        scans: Option<Box<dyn images::Scans>>,
    ) -> Result<Admission, String> {
        let gated =
            policy.scan_gate.is_some() || policy.namespaces.values().any(|n| n.scan_gate.is_some());
        if gated && scans.is_none() {
            return Err(
                "the admission policy has a scanGate but no scan store was given (--store FILE)"
                    .into(),
            );
        }
        self.policy = policy;
        self.scans = scans;
        Ok(self)
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
                let mut d = Psa {
                    config: &self.config,
                    namespaces: namespaces.as_ref(),
                }
                .validate(req);
                if d.response.allowed && !d.exempt {
                    self.image_rules(req, &mut d);
                }
                if d.response.allowed && !d.exempt {
                    self.cel_rules(req, namespaces.as_ref(), &mut d);
                }
                d
            }
            _ => Decision {
                response: AdmissionResponse::allow(),
                resource: "",
                evaluations: Vec::new(),
                exempt: false,
                error: None,
                image_denials: 0,
                image_warnings: 0,
                cel_violations: 0,
            },
        };
        self.metrics.decision(&req.operation, &d, t0.elapsed());
        d
    }

    /// The image policy and the scan gate over the images a request adds (an update is checked
    /// on the images its old object did not have). A denial is PSA-shaped (403 `Forbidden`,
    /// `<resource> "<name>" is forbidden: image policy: …`); warnings are `image policy: …`; both
    /// go into the `image-policy` audit annotation.
    fn image_rules(&self, req: &AdmissionRequest, d: &mut Decision) {
        let rules = self.policy.rules_for(&req.namespace);
        if rules.images.is_none() && rules.scan_gate.is_none() {
            return;
        }
        let Some((spec, old)) = psa::pod_spec_of(req) else {
            return;
        };
        let before = old.map(images::images_of).unwrap_or_default();
        let added: Vec<String> = images::images_of(spec)
            .into_iter()
            .filter(|i| !before.contains(i))
            .collect();
        if added.is_empty() {
            return;
        }
        let v = images::check(
            &added,
            &rules,
            self.scans.as_deref(),
            time::OffsetDateTime::now_utc(),
        );
        d.image_denials = v.deny.len();
        d.image_warnings = v.warn.len();
        if !v.deny.is_empty() {
            let err = format!("image policy: {}", v.deny.join("; "));
            d.response.allowed = false;
            d.response.status = Some(psa::forbidden_status(req, &err));
        }
        for w in &v.warn {
            d.response.warnings.push(format!("image policy: {w}"));
        }
        let all: Vec<&String> = v.deny.iter().chain(&v.warn).collect();
        if !all.is_empty() {
            d.response.audit_annotations.insert(
                "image-policy".into(),
                all.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }

    /// Use custom CEL policies (as [`Settings::cel_policies`] loads them).
    pub fn with_cel(mut self, cel: bulkhead_config::CelPolicies) -> Admission {
        self.cel = Some(cel);
        self
    }

    /// The custom CEL policies, as the API server applies ValidatingAdmissionPolicies: the first
    /// denying violation denies (its reason's code, `ValidatingAdmissionPolicy '<p>' with binding
    /// '<b>' denied request: …`), Warn ones are warnings, Audit ones the
    /// `validation.policy.admission.k8s.io/validation_failure` annotation.
    fn cel_rules(&self, req: &AdmissionRequest, namespaces: &NamespaceLabels, d: &mut Decision) {
        let Some(cel) = &self.cel else {
            return;
        };
        let ns_object = namespaces.get(&req.namespace).map(|labels| {
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": req.namespace, "labels": labels}})
        });
        fn some(v: &serde_json::Value) -> Option<&serde_json::Value> {
            (!v.is_null()).then_some(v)
        }
        let vreq = bulkhead_config::vap::Request {
            object: some(&req.object),
            old_object: some(&req.old_object),
            operation: req.operation.clone(),
            group: req.resource.group.clone(),
            version: req.resource.version.clone(),
            resource: req.resource.resource.clone(),
            subresource: req.subresource().to_string(),
            kind: req.kind.kind.clone(),
            name: req.name.clone(),
            namespace: req.namespace.clone(),
            username: req.user_info.username.clone(),
            groups: req.user_info.groups.clone(),
            dry_run: req.dry_run.unwrap_or(false),
            namespace_object: ns_object.as_ref(),
        };
        let violations = bulkhead_config::vap::evaluate(&cel.0, &vreq);
        if violations.is_empty() {
            return;
        }
        use bulkhead_config::vap::Action;
        let mut audit = Vec::new();
        for v in &violations {
            if v.actions.contains(&Action::Deny) && d.response.allowed {
                d.response.allowed = false;
                let reason = v.reason.clone();
                d.response.status = Some(review::Status {
                    status: "Failure".into(),
                    message: v.deny_message(),
                    reason,
                    details: None,
                    code: v.code(),
                });
            }
            // Warnings reach the client on a denied request too (the API server adds a
            // webhook's warnings before it looks at the decision).
            if v.actions.contains(&Action::Warn) {
                d.response.warnings.push(v.warning());
            }
            if v.actions.contains(&Action::Audit) {
                audit.push(serde_json::json!({
                    "message": v.message,
                    "policy": v.policy,
                    "binding": v.binding,
                    "expressionIndex": v.index,
                    "validationActions": v.actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                }));
            }
        }
        d.cel_violations = violations.len();
        if !audit.is_empty() {
            d.response.audit_annotations.insert(
                "validation.policy.admission.k8s.io/validation_failure".into(),
                serde_json::Value::Array(audit).to_string(),
            );
        }
    }

    /// `POST /mutate`: the secure defaults a pod left unset, as a JSONPatch, where the pod's
    /// namespace opts in (the policy's `mutate`); never a denial (validation decides). Pods on
    /// CREATE only; exempt namespaces and users are left alone.
    pub fn mutate(&self, req: &AdmissionRequest) -> AdmissionResponse {
        let mut r = AdmissionResponse::allow();
        let is_pod = req.resource.group.is_empty()
            && req.resource.resource == "pods"
            && req.subresource().is_empty()
            && req.operation == "CREATE";
        if !is_pod || self.config.exemptions.of_request(req).is_some() {
            return r;
        }
        let Some(rules) = self.policy.rules_for(&req.namespace).mutate else {
            return r;
        };
        let ops = mutate::patch(&req.object, &rules);
        self.metrics.mutation(!ops.is_empty());
        if !ops.is_empty() {
            use base64::Engine as _;
            let paths: Vec<&str> = ops.iter().filter_map(|o| o["path"].as_str()).collect();
            r.audit_annotations
                .insert("mutated".into(), paths.join(", "));
            r.patch = Some(
                base64::engine::general_purpose::STANDARD
                    .encode(serde_json::Value::Array(ops).to_string()),
            );
            r.patch_type = Some("JSONPatch".into());
        }
        r
    }

    /// Read an AdmissionReview request and answer it with [`Admission::mutate`].
    pub fn review_mutate(&self, body: &[u8]) -> Result<serde_json::Value, ReviewError> {
        let req = review::parse_review(body)?;
        Ok(self.mutate(&req).into_review(&req.uid))
    }

    /// Read an AdmissionReview request and answer it (the whole AdmissionReview, with its uid).
    pub fn review(&self, body: &[u8]) -> Result<serde_json::Value, ReviewError> {
        let req = review::parse_review(body)?;
        let d = self.decide(&req);
        Ok(d.response.into_review(&req.uid))
    }
}
