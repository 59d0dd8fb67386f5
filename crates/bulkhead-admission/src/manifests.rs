//! `bulkhead admission manifests`: everything a cluster needs to run the webhook, as one YAML
//! stream for `kubectl apply -f -` — its Namespace (itself `restricted`), ServiceAccount (no API
//! token: the webhook reads no API), the serving certificate as a TLS Secret (signed by a CA
//! generated here with rcgen, or by the operator's CA), the configuration as a ConfigMap, a
//! Deployment (2 replicas, non-root, read-only root, no capabilities, resource limits, spread over
//! nodes, probes on `/readyz` and `/healthz`), a PodDisruptionBudget, the Service, and the
//! ValidatingWebhookConfiguration (`failurePolicy`, `timeoutSeconds`, `sideEffects: None`, a
//! namespaceSelector that leaves out `kube-system` and the webhook's own namespace, the CA bundle).
//! The manifests pass Bulkhead's own `config` checks at `restricted`.

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};

/// `Fail` (the default: an unreachable webhook blocks pods) or `Ignore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    Fail,
    Ignore,
}

impl std::str::FromStr for FailurePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "Fail" => Ok(FailurePolicy::Fail),
            "Ignore" => Ok(FailurePolicy::Ignore),
            other => Err(format!("failure policy {other:?} (valid: Fail, Ignore)")),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct ManifestOptions {
    /// The webhook's namespace (`bulkhead`).
    pub namespace: String,
    /// Name of its objects (`bulkhead-admission`).
    pub name: String,
    /// The container image that holds the `bulkhead` binary.
    pub image: String,
    pub replicas: u32,
    pub failure_policy: FailurePolicy,
    /// 1–30 (the API server's bounds).
    pub timeout_seconds: u32,
    /// Namespaces never sent to the webhook besides `kube-system` and its own.
    pub exclude_namespaces: Vec<String>,
    /// Contents of the namespaces file (Namespace objects), the AdmissionPolicy and PSA's
    /// configuration, put in the ConfigMap. No namespaces file: the webhook lists the cluster's
    /// namespaces (`--namespaces-from-cluster`, with a ClusterRole to read them).
    pub namespaces: Option<String>,
    pub policy: Option<String>,
    pub psa_config: Option<String>,
    /// Also a MutatingWebhookConfiguration calling `/mutate` for pod creations (the policy's
    /// `mutate` decides per namespace what is filled in).
    pub mutating: bool,
    /// The operator's serving certificate, its key and the CA bundle that verifies it (PEM; from
    /// cert-manager or a company CA); `None`: a CA and a certificate are generated here.
    pub tls: Option<GivenTls>,
}

/// A serving certificate made elsewhere.
#[derive(Debug, Clone)]
pub struct GivenTls {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_bundle_pem: String,
}

impl ManifestOptions {
    pub fn new(image: &str, namespaces: Option<String>) -> ManifestOptions {
        ManifestOptions {
            namespace: "bulkhead".into(),
            name: "bulkhead-admission".into(),
            image: image.into(),
            replicas: 2,
            failure_policy: FailurePolicy::Fail,
            timeout_seconds: 5,
            exclude_namespaces: Vec::new(),
            namespaces,
            policy: None,
            psa_config: None,
            mutating: false,
            tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("certificate: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("{0}")]
    Invalid(String),
}

/// The serving certificate for the Service's DNS names, with the CA bundle the API server trusts.
struct Tls {
    cert_pem: String,
    key_pem: String,
    ca_pem: String,
}

fn serving_cert(o: &ManifestOptions) -> Result<Tls, ManifestError> {
    if let Some(g) = &o.tls {
        // Checked as the server will load them: a chain, a key that belongs to it.
        use rustls::pki_types::pem::PemObject;
        let chain: Vec<rustls::pki_types::CertificateDer<'static>> =
            rustls::pki_types::CertificateDer::pem_slice_iter(g.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| ManifestError::Invalid(format!("the TLS certificate: {e}")))?;
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(g.key_pem.as_bytes())
            .map_err(|e| ManifestError::Invalid(format!("the TLS key: {e}")))?;
        if chain.is_empty() {
            return Err(ManifestError::Invalid(
                "the TLS certificate: no CERTIFICATE block".into(),
            ));
        }
        rustls::sign::CertifiedKey::from_der(chain, key, &rustls::crypto::ring::default_provider())
            .map_err(|e| {
                ManifestError::Invalid(format!("the TLS key does not fit the certificate: {e}"))
            })?;
        if !g.ca_bundle_pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(ManifestError::Invalid(
                "the CA bundle has no CERTIFICATE block".into(),
            ));
        }
        return Ok(Tls {
            cert_pem: g.cert_pem.clone(),
            key_pem: g.key_pem.clone(),
            ca_pem: g.ca_bundle_pem.clone(),
        });
    }
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, format!("{} CA", o.name));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Validity: the CA ten years, the serving certificate five (the server re-reads a renewed
    // Secret: re-run `manifests` with the same CA files, or give cert-manager's with --tls-cert).
    let now = time::OffsetDateTime::now_utc();
    ca.not_before = now - time::Duration::hours(1);
    ca.not_after = now + time::Duration::days(3650);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let svc = format!("{}.{}.svc", o.name, o.namespace);
    let mut p = CertificateParams::new(vec![
        svc.clone(),
        format!("{svc}.cluster.local"),
        format!("{}.{}", o.name, o.namespace),
    ])?;
    p.distinguished_name.push(DnType::CommonName, svc);
    p.not_before = now - time::Duration::hours(1);
    p.not_after = now + time::Duration::days(1825);
    let key = KeyPair::generate()?;
    let cert = p.signed_by(&key, &issuer)?;
    Ok(Tls {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        ca_pem: ca_cert.pem(),
    })
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The objects, in apply order.
pub fn objects(o: &ManifestOptions) -> Result<Vec<Value>, ManifestError> {
    if !(1..=30).contains(&o.timeout_seconds) {
        return Err(ManifestError::Invalid(format!(
            "timeoutSeconds {} (the API server accepts 1 to 30)",
            o.timeout_seconds
        )));
    }
    if o.replicas == 0 {
        return Err(ManifestError::Invalid("replicas must be at least 1".into()));
    }
    let tls = serving_cert(o)?;
    let (ns, name) = (o.namespace.as_str(), o.name.as_str());
    let labels = json!({"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "bulkhead"});
    let selector = json!({"app.kubernetes.io/name": name});
    let mut config = json!({});
    let mut args = vec![
        "admission".to_string(),
        "serve".into(),
        "--listen=0.0.0.0:8443".into(),
        "--tls-cert=/etc/bulkhead/tls/tls.crt".into(),
        "--tls-key=/etc/bulkhead/tls/tls.key".into(),
    ];
    let from_cluster = o.namespaces.is_none();
    match &o.namespaces {
        Some(text) => {
            config["namespaces.yaml"] = json!(text);
            args.push("--namespaces=/etc/bulkhead/config/namespaces.yaml".into());
        }
        None => args.push("--namespaces-from-cluster".into()),
    }
    args.push("--exempt-namespace=kube-system".into());
    args.push(format!("--exempt-namespace={ns}"));
    if let Some(p) = &o.policy {
        config["policy.yaml"] = json!(p);
        args.push("--policy=/etc/bulkhead/config/policy.yaml".into());
    }
    if let Some(p) = &o.psa_config {
        config["psa.yaml"] = json!(p);
        args.push("--psa-config=/etc/bulkhead/config/psa.yaml".into());
    }
    let probe = |path: &str| {
        json!({"httpGet": {"path": path, "port": "https", "scheme": "HTTPS"},
               "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3})
    };
    let mut excluded = vec!["kube-system".to_string(), ns.to_string()];
    for n in &o.exclude_namespaces {
        if !excluded.contains(n) {
            excluded.push(n.clone());
        }
    }
    let failure = match o.failure_policy {
        FailurePolicy::Fail => "Fail",
        FailurePolicy::Ignore => "Ignore",
    };
    let webhook = |hook: &str, rules: Value| {
        json!({
            "name": format!("{hook}.admission.bulkhead.dev"),
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": failure,
            "matchPolicy": "Equivalent",
            "timeoutSeconds": o.timeout_seconds,
            "namespaceSelector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": excluded}
            ]},
            "rules": rules,
            "clientConfig": {
                "service": {"namespace": ns, "name": name, "path": "/validate", "port": 443},
                "caBundle": b64(&tls.ca_pem)
            }
        })
    };
    let rule = |groups: &[&str], resources: &[&str]| {
        json!({"apiGroups": groups, "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
               "resources": resources, "scope": "*"})
    };
    let mut out = vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": ns, "labels": {
                   "pod-security.kubernetes.io/enforce": "restricted",
                   "pod-security.kubernetes.io/enforce-version": "latest"}}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": name, "namespace": ns, "labels": labels},
               "automountServiceAccountToken": false}),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
               "metadata": {"name": format!("{name}-tls"), "namespace": ns, "labels": labels},
               "data": {"tls.crt": b64(&tls.cert_pem), "tls.key": b64(&tls.key_pem)}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": format!("{name}-config"), "namespace": ns, "labels": labels},
               "data": config}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": o.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": false,
                    "securityContext": {
                        "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {"labelSelector": {"matchLabels": selector},
                                            "topologyKey": "kubernetes.io/hostname"}}]}},
                    "containers": [{
                        "name": "webhook",
                        "image": o.image,
                        "imagePullPolicy": "IfNotPresent",
                        "args": args,
                        "ports": [{"name": "https", "containerPort": 8443, "protocol": "TCP"}],
                        "readinessProbe": probe("/readyz"),
                        "livenessProbe": probe("/healthz"),
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                      "limits": {"cpu": "1", "memory": "256Mi"}},
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "capabilities": {"drop": ["ALL"]}},
                        "volumeMounts": [
                            {"name": "tls", "mountPath": "/etc/bulkhead/tls", "readOnly": true},
                            {"name": "config", "mountPath": "/etc/bulkhead/config", "readOnly": true}]
                    }],
                    "volumes": [
                        {"name": "tls", "secret": {"secretName": format!("{name}-tls")}},
                        {"name": "config", "configMap": {"name": format!("{name}-config")}}]
                }
            }
        }}),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": {"name": name, "namespace": ns, "labels": labels},
               "spec": {"minAvailable": 1, "selector": {"matchLabels": selector}}}),
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": ns, "labels": labels},
               "spec": {"selector": selector,
                        "ports": [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": labels},
        "webhooks": [
            webhook("pods", json!([rule(&[""], &["pods", "pods/ephemeralcontainers", "namespaces"])])),
            webhook("workloads", json!([
                rule(&["apps"], &["deployments", "replicasets", "statefulsets", "daemonsets"]),
                rule(&["batch"], &["jobs", "cronjobs"]),
                rule(&[""], &["replicationcontrollers", "podtemplates"])]))
        ]}),
    ];
    if from_cluster {
        // The API token as the kubelet would mount it, but only into this container and by name
        // (automounting stays off), short-lived and rotated by the kubelet.
        let dep = out
            .iter_mut()
            .find(|o| o["kind"] == "Deployment")
            .expect("the Deployment is built above");
        let spec = &mut dep["spec"]["template"]["spec"];
        spec["volumes"].as_array_mut().expect("volumes").push(json!({
            "name": "kube-api-access",
            "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
            ]}}));
        spec["containers"][0]["volumeMounts"].as_array_mut().expect("mounts").push(json!({
            "name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}));
        // Read access to namespaces, nothing else.
        out.insert(
            2,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": format!("{name}-namespaces"), "labels": labels},
            "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]}]}),
        );
        out.insert(3, json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("{name}-namespaces"), "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("{name}-namespaces")},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]}));
    }
    if o.mutating {
        // Ignore on failure: a pod the mutation could not reach keeps its own settings and is
        // still validated (enforce denies what the defaults would have fixed).
        let mut hook = webhook(
            "defaults",
            json!([{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                    "resources": ["pods"], "scope": "Namespaced"}]),
        );
        hook["failurePolicy"] = json!("Ignore");
        hook["reinvocationPolicy"] = json!("Never");
        hook["clientConfig"]["service"]["path"] = json!("/mutate");
        out.push(json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                        "metadata": {"name": name, "labels": labels},
                        "webhooks": [hook]}));
    }
    Ok(out)
}

/// The objects as one YAML stream (`---` between documents).
pub fn render(o: &ManifestOptions) -> Result<String, ManifestError> {
    let mut out = String::new();
    for obj in objects(o)? {
        out.push_str("---\n");
        out.push_str(
            &serde_saphyr::to_string(&obj)
                .map_err(|e| ManifestError::Invalid(format!("YAML: {e}")))?,
        );
    }
    Ok(out)
}
