//! Pod Security Admission as kubernetes/pod-security-admission applies it (`admission/admission.go`,
//! `api/helpers.go`, `policy/registry.go`): the policy of a namespace from its labels with PSA's
//! fallbacks, exemptions, what is evaluated (pods and their `ephemeralcontainers`; workload
//! controllers warned and audited, never denied), which pod updates are re-checked, and PSA's
//! messages, statuses, warnings and audit annotations. The checks themselves are
//! `bulkhead_config::pss`, the ones `bulkhead config` runs on files.

use crate::review::{AdmissionRequest, AdmissionResponse, Status, StatusDetails};
use bulkhead_config::pss::{self, Level, Policy};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const ENFORCE_LEVEL_LABEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT_LEVEL_LABEL: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION_LABEL: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN_LEVEL_LABEL: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION_LABEL: &str = "pod-security.kubernetes.io/warn-version";

/// Pod subresources PSA never evaluates.
const IGNORED_POD_SUBRESOURCES: [&str; 8] = [
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// What the three modes apply where a namespace has no label (`PodSecurityConfiguration.defaults`;
/// PSA's own default is `privileged:latest` for all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    pub enforce: Policy,
    pub audit: Policy,
    pub warn: Policy,
}

const PRIVILEGED: Policy = Policy {
    level: Level::Privileged,
    minor: None,
};

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            enforce: PRIVILEGED,
            audit: PRIVILEGED,
            warn: PRIVILEGED,
        }
    }
}

/// Who and what is never evaluated (exact names, as PSA matches them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub usernames: BTreeSet<String>,
    pub namespaces: BTreeSet<String>,
    pub runtime_classes: BTreeSet<String>,
}

impl Exemptions {
    /// Why a request is exempt by who sends it or where it goes (`namespace`, `user`), as PSA
    /// checks them; runtime classes are checked on the pod spec.
    pub fn of_request(&self, req: &AdmissionRequest) -> Option<&'static str> {
        if self.namespaces.contains(&req.namespace) {
            Some("namespace")
        } else if self.usernames.contains(&req.user_info.username) {
            Some("user")
        } else {
            None
        }
    }
}

/// PSA's configuration (`PodSecurityConfiguration`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsaConfig {
    pub defaults: Defaults,
    pub exemptions: Exemptions,
}

/// The policies of one namespace and the errors of its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    pub enforce: Policy,
    pub audit: Policy,
    pub warn: Policy,
    /// `metadata.labels[…]: Invalid value: …` of each invalid label.
    pub errors: Vec<String>,
}

impl Policies {
    /// PSA's `field.ErrorList.ToAggregate()` text: one error alone, several as `[e1, e2]`.
    pub fn error_text(&self) -> Option<String> {
        match self.errors.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            many => Some(format!("[{}]", many.join(", "))),
        }
    }
}

fn invalid(label: &str, value: &str, why: &str) -> String {
    format!(
        "metadata.labels[{label}]: Invalid value: {}: {why}",
        serde_json::to_string(value).unwrap_or_default()
    )
}

const LEVEL_ERROR: &str = "must be one of privileged, baseline, restricted";
const VERSION_ERROR: &str = "must be \"latest\" or \"v1.x\"";

/// `api.PolicyToEvaluate`: each label parsed on its own over the defaults; an invalid enforce
/// level falls back to `restricted`, an invalid audit or warn level to `privileged` (fail open), an
/// invalid version to `latest`; warn follows an explicitly stricter enforce level when it has no
/// label of its own.
pub fn policy_to_evaluate(labels: &BTreeMap<String, String>, defaults: &Defaults) -> Policies {
    let mut p = Policies {
        enforce: defaults.enforce,
        audit: defaults.audit,
        warn: defaults.warn,
        errors: Vec::new(),
    };
    if labels.is_empty() {
        return p;
    }
    let mut has_enforce_level = false;
    let mut has_warn_level = false;
    let mut has_warn_version = false;
    let level = |label: &str, fallback: Level, errors: &mut Vec<String>| {
        labels.get(label).map(|v| match v.parse::<Level>() {
            Ok(l) => (l, true),
            Err(_) => {
                errors.push(invalid(label, v, LEVEL_ERROR));
                (fallback, false)
            }
        })
    };
    let version = |label: &str, errors: &mut Vec<String>| {
        labels.get(label).map(|v| match pss::parse_version(v) {
            Ok(m) => m,
            Err(_) => {
                errors.push(invalid(label, v, VERSION_ERROR));
                None
            }
        })
    };
    let mut errors = Vec::new();
    if let Some((l, ok)) = level(ENFORCE_LEVEL_LABEL, Level::Restricted, &mut errors) {
        p.enforce.level = l;
        has_enforce_level = ok;
    }
    if let Some(m) = version(ENFORCE_VERSION_LABEL, &mut errors) {
        p.enforce.minor = m;
    }
    if let Some((l, _)) = level(AUDIT_LEVEL_LABEL, Level::Privileged, &mut errors) {
        p.audit.level = l;
    }
    if let Some(m) = version(AUDIT_VERSION_LABEL, &mut errors) {
        p.audit.minor = m;
    }
    if let Some((l, _)) = level(WARN_LEVEL_LABEL, Level::Privileged, &mut errors) {
        has_warn_level = true;
        p.warn.level = l;
    }
    if let Some(m) = version(WARN_VERSION_LABEL, &mut errors) {
        has_warn_version = true;
        p.warn.minor = m;
    }
    if !has_warn_level && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if !has_warn_version {
            p.warn.minor = p.enforce.minor;
        }
    }
    p.errors = errors;
    p
}

/// The namespaces the webhook knows, by name: their labels.
pub type NamespaceLabels = BTreeMap<String, BTreeMap<String, String>>;

/// How to find a namespace's labels.
pub trait Namespaces {
    /// `Ok(None)`: no such namespace; `Err`: it could not be looked up.
    fn labels(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, String>;
}

impl Namespaces for NamespaceLabels {
    fn labels(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, String> {
        Ok(self.get(name).cloned())
    }
}

/// The verdict of one mode (for metrics): which policy, and whether it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub mode: &'static str,
    pub policy: Policy,
    pub denied: bool,
}

/// A decision with what PSA records about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub response: AdmissionResponse,
    /// `pod`, `controller`, `namespace`, or empty when not a PSA resource.
    pub resource: &'static str,
    pub evaluations: Vec<Evaluation>,
    pub exempt: bool,
    /// An error in the request or the namespace (fatal: it decided the response).
    pub error: Option<(bool, String)>,
    /// Image-policy rules that failed, denying and warning.
    pub image_denials: usize,
    pub image_warnings: usize,
    /// Failed validations of the custom CEL policies.
    pub cel_violations: usize,
}

impl Decision {
    fn new(resource: &'static str, response: AdmissionResponse) -> Decision {
        Decision {
            response,
            resource,
            evaluations: Vec::new(),
            exempt: false,
            error: None,
            image_denials: 0,
            image_warnings: 0,
            cel_violations: 0,
        }
    }
}

/// The kinds whose pod template PSA evaluates, by resource (`DefaultPodSpecExtractor`).
fn controller_kind(group: &str, resource: &str) -> Option<&'static str> {
    Some(match (group, resource) {
        ("", "replicationcontrollers") => "ReplicationController",
        ("", "podtemplates") => "PodTemplate",
        ("apps", "replicasets") => "ReplicaSet",
        ("apps", "deployments") => "Deployment",
        ("apps", "statefulsets") => "StatefulSet",
        ("apps", "daemonsets") => "DaemonSet",
        ("batch", "jobs") => "Job",
        ("batch", "cronjobs") => "CronJob",
        _ => return None,
    })
}

/// The pod spec a request carries for the image rules: a pod's (create, update, its
/// `ephemeralcontainers`), or a workload's template's (without a subresource); with the old
/// object's for an update.
pub fn pod_spec_of(req: &AdmissionRequest) -> Option<(&Value, Option<&Value>)> {
    let pointer = match (req.resource.group.as_str(), req.resource.resource.as_str()) {
        ("", "pods") if matches!(req.subresource(), "" | "ephemeralcontainers") => {
            "/spec".to_string()
        }
        (g, r) if req.subresource().is_empty() => {
            let kind = controller_kind(g, r)?;
            format!("{}/spec", bulkhead_config::k8s::template_pointer(kind)?)
        }
        _ => return None,
    };
    let new = req.object.pointer(&pointer).filter(|v| v.is_object())?;
    let old = if req.operation == "UPDATE" {
        req.old_object.pointer(&pointer)
    } else {
        None
    };
    Some((new, old))
}

/// `apierrors.NewForbidden(resource, name, err).ErrStatus` for a request.
pub fn forbidden_status(req: &AdmissionRequest, err: &str) -> Status {
    forbidden(req, err)
}

/// `<resource>[.<group>]` as apimachinery's `GroupResource.String()`.
fn group_resource(req: &AdmissionRequest) -> String {
    if req.resource.group.is_empty() {
        req.resource.resource.clone()
    } else {
        format!("{}.{}", req.resource.resource, req.resource.group)
    }
}

/// `apierrors.NewForbidden(resource, name, err).ErrStatus`.
fn forbidden(req: &AdmissionRequest, err: &str) -> Status {
    let gr = group_resource(req);
    let message = if gr.is_empty() {
        format!("forbidden: {err}")
    } else if req.name.is_empty() {
        format!("{gr} is forbidden: {err}")
    } else {
        format!(
            "{gr} {} is forbidden: {err}",
            serde_json::to_string(&req.name).unwrap_or_default()
        )
    };
    Status {
        status: "Failure".into(),
        message,
        reason: "Forbidden".into(),
        details: Some(StatusDetails {
            name: req.name.clone(),
            group: req.resource.group.clone(),
            kind: req.resource.resource.clone(),
        }),
        code: 403,
    }
}

/// PSA's `errorResponse`: denied with the status, and the status message (and error) as the
/// `error` audit annotation.
fn error_response(code: u16, reason: &str, message: &str, err: Option<&str>) -> AdmissionResponse {
    let mut r = AdmissionResponse::error(code, reason, message);
    let annotation = match err {
        Some(e) => format!("{message}: {e}"),
        None => message.to_string(),
    };
    r.audit_annotations.insert("error".into(), annotation);
    r
}

/// The `(metadata, spec)` of a pod object, or why it is not one.
fn pod_parts(obj: &Value) -> Result<(&Value, &Value), &'static str> {
    let o = obj.as_object().ok_or("the object is not a JSON object")?;
    let meta = o.get("metadata").unwrap_or(&Value::Null);
    if !(meta.is_null() || meta.is_object()) {
        return Err("metadata is not an object");
    }
    let spec = o.get("spec").unwrap_or(&Value::Null);
    if !(spec.is_null() || spec.is_object()) {
        return Err("spec is not an object");
    }
    Ok((meta, spec))
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
}

fn list_at<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

const POD_SECCOMP_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_SECCOMP_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// `isSignificantPodUpdate`: an update is re-checked only when it changes what PSA looks at that
/// an update can change (images, the seccomp annotations, the number of containers, an added
/// ephemeral container).
pub fn is_significant_pod_update(new: &Value, old: &Value) -> bool {
    let ann = |pod: &Value, key: &str| -> Option<String> {
        str_at(pod, &["metadata", "annotations", key]).map(str::to_string)
    };
    if ann(new, POD_SECCOMP_ANNOTATION) != ann(old, POD_SECCOMP_ANNOTATION) {
        return true;
    }
    let spec = |p: &'_ Value| p.get("spec").cloned().unwrap_or(Value::Null);
    let (ns, os) = (spec(new), spec(old));
    for key in ["containers", "initContainers"] {
        let (nc, oc) = (list_at(&ns, key), list_at(&os, key));
        if nc.len() != oc.len() {
            return true;
        }
        for (n, o) in nc.iter().zip(oc) {
            if n.get("image") != o.get("image") {
                return true;
            }
            let name = n.get("name").and_then(Value::as_str).unwrap_or("");
            let key = format!("{CONTAINER_SECCOMP_PREFIX}{name}");
            if ann(new, &key) != ann(old, &key) {
                return true;
            }
        }
    }
    let old_eph = list_at(&os, "ephemeralContainers");
    for n in list_at(&ns, "ephemeralContainers") {
        let name = n.get("name").and_then(Value::as_str).unwrap_or("");
        let Some(o) = old_eph
            .iter()
            .find(|o| o.get("name").and_then(Value::as_str).unwrap_or("") == name)
        else {
            return true;
        };
        if n.get("image") != o.get("image") {
            return true;
        }
        let key = format!("{CONTAINER_SECCOMP_PREFIX}{name}");
        if ann(new, &key) != ann(old, &key) {
            return true;
        }
    }
    false
}

/// Pod Security Admission over a configuration and a namespace source.
pub struct Psa<'a, N: Namespaces + ?Sized> {
    pub config: &'a PsaConfig,
    pub namespaces: &'a N,
}

impl<N: Namespaces + ?Sized> Psa<'_, N> {
    /// `Validate`: by the request's resource, a namespace, a pod, or (any other resource) a
    /// workload controller. Resources without a pod template are allowed untouched.
    pub fn validate(&self, req: &AdmissionRequest) -> Decision {
        match (req.resource.group.as_str(), req.resource.resource.as_str()) {
            ("", "namespaces") => self.validate_namespace(req),
            ("", "pods") => self.validate_pod(req),
            _ => self.validate_controller(req),
        }
    }

    fn exempt(&self, resource: &'static str, why: &str) -> Decision {
        let mut d = Decision::new(resource, AdmissionResponse::allow_annotated("exempt", why));
        d.exempt = true;
        d
    }

    /// `ValidateNamespace`: a namespace's PSA labels must be valid (422 otherwise). Changing a
    /// namespace's enforce level re-checks its pods in PSA; this webhook does not list pods, so
    /// such updates are allowed without those warnings.
    fn validate_namespace(&self, req: &AdmissionRequest) -> Decision {
        if !req.subresource().is_empty() {
            return Decision::new("namespace", AdmissionResponse::allow());
        }
        let labels = |obj: &Value| -> BTreeMap<String, String> {
            obj.pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        };
        if !req.object.is_object() {
            let mut d = Decision::new(
                "namespace",
                error_response(400, "BadRequest", "failed to decode object", None),
            );
            d.error = Some((true, "failed to decode object".into()));
            return d;
        }
        let new = policy_to_evaluate(&labels(&req.object), &self.config.defaults);
        let reject = match req.operation.as_str() {
            "CREATE" => new.error_text(),
            "UPDATE" => {
                let old = policy_to_evaluate(&labels(&req.old_object), &self.config.defaults);
                (new.errors != old.errors)
                    .then(|| new.error_text())
                    .flatten()
            }
            _ => None,
        };
        match reject {
            Some(errs) => {
                let name = serde_json::to_string(&req.name).unwrap_or_default();
                let mut d = Decision::new(
                    "namespace",
                    AdmissionResponse::deny(Status {
                        status: "Failure".into(),
                        message: format!("Namespace {name} is invalid: {errs}"),
                        reason: "Invalid".into(),
                        details: Some(StatusDetails {
                            name: req.name.clone(),
                            group: String::new(),
                            kind: "Namespace".into(),
                        }),
                        code: 422,
                    }),
                );
                d.error = Some((true, errs));
                d
            }
            None if self.config.exemptions.namespaces.contains(&req.name) => {
                self.exempt("namespace", "namespace")
            }
            None => Decision::new("namespace", AdmissionResponse::allow()),
        }
    }

    /// `ValidatePod`: pods (create, update, the `ephemeralcontainers` subresource) are enforced.
    fn validate_pod(&self, req: &AdmissionRequest) -> Decision {
        if IGNORED_POD_SUBRESOURCES.contains(&req.subresource()) {
            return Decision::new("pod", AdmissionResponse::allow());
        }
        if let Some(why) = self.config.exemptions.of_request(req) {
            return self.exempt("pod", why);
        }
        let labels = match self.namespaces.labels(&req.namespace) {
            Ok(Some(l)) => l,
            Ok(None) => {
                return self.fatal(
                    "pod",
                    500,
                    "InternalError",
                    &format!("failed to lookup namespace {:?}", req.namespace),
                    Some(&format!("namespace {:?} not found", req.namespace)),
                );
            }
            Err(e) => {
                return self.fatal(
                    "pod",
                    500,
                    "InternalError",
                    &format!("failed to lookup namespace {:?}", req.namespace),
                    Some(&e),
                );
            }
        };
        let policies = policy_to_evaluate(&labels, &self.config.defaults);
        if policies.errors.is_empty()
            && [policies.enforce, policies.audit, policies.warn]
                .iter()
                .all(|p| p.level == Level::Privileged)
        {
            return Decision::new(
                "pod",
                AdmissionResponse::allow_annotated("enforce-policy", "privileged:latest"),
            );
        }
        let (meta, spec) = match pod_parts(&req.object) {
            Ok(parts) => parts,
            Err(e) => return self.fatal("pod", 400, "BadRequest", "failed to decode pod", Some(e)),
        };
        if req.operation == "UPDATE" {
            if let Err(e) = pod_parts(&req.old_object) {
                return self.fatal(
                    "pod",
                    400,
                    "BadRequest",
                    "failed to decode old pod",
                    Some(e),
                );
            }
            if !is_significant_pod_update(&req.object, &req.old_object) {
                return Decision::new("pod", AdmissionResponse::allow());
            }
        }
        self.evaluate_pod(req, "pod", &policies, meta, spec, true)
    }

    /// `ValidatePodController`: the pod template of a workload resource is audited and warned
    /// about, never denied (its pods are, when created); errors allow with an `error` annotation.
    fn validate_controller(&self, req: &AdmissionRequest) -> Decision {
        let Some(kind) = controller_kind(&req.resource.group, &req.resource.resource) else {
            return Decision::new("", AdmissionResponse::allow());
        };
        if !req.subresource().is_empty() {
            return Decision::new("controller", AdmissionResponse::allow());
        }
        if let Some(why) = self.config.exemptions.of_request(req) {
            return self.exempt("controller", why);
        }
        let soft_error = |msg: String| {
            let mut d = Decision::new(
                "controller",
                AdmissionResponse::allow_annotated("error", msg.clone()),
            );
            d.error = Some((false, msg));
            d
        };
        let labels = match self.namespaces.labels(&req.namespace) {
            Ok(Some(l)) => l,
            Ok(None) => {
                return soft_error(format!(
                    "failed to lookup namespace {}: namespace {:?} not found",
                    req.namespace, req.namespace
                ));
            }
            Err(e) => {
                return soft_error(format!("failed to lookup namespace {}: {e}", req.namespace));
            }
        };
        let policies = policy_to_evaluate(&labels, &self.config.defaults);
        if policies.errors.is_empty()
            && policies.audit.level == Level::Privileged
            && policies.warn.level == Level::Privileged
        {
            return Decision::new("controller", AdmissionResponse::allow());
        }
        if !req.object.is_object() {
            return soft_error("failed to decode object: not a JSON object".into());
        }
        let pointer = bulkhead_config::k8s::template_pointer(kind).unwrap_or("");
        let template = match req.object.pointer(pointer) {
            None | Some(Value::Null) => {
                return Decision::new("controller", AdmissionResponse::allow());
            }
            Some(t) => t,
        };
        let (meta, spec) = match pod_parts(template) {
            Ok(parts) => parts,
            Err(e) => return soft_error(format!("failed to extract pod template: {e}")),
        };
        self.evaluate_pod(req, "controller", &policies, meta, spec, false)
    }

    fn fatal(
        &self,
        resource: &'static str,
        code: u16,
        reason: &str,
        message: &str,
        err: Option<&str>,
    ) -> Decision {
        let mut d = Decision::new(resource, error_response(code, reason, message, err));
        d.error = Some((
            true,
            match err {
                Some(e) => format!("{message}: {e}"),
                None => message.to_string(),
            },
        ));
        d
    }

    /// `EvaluatePod`: the runtime-class exemption, then enforce (when asked), audit and warn.
    fn evaluate_pod(
        &self,
        req: &AdmissionRequest,
        resource: &'static str,
        policies: &Policies,
        meta: &Value,
        spec: &Value,
        enforce: bool,
    ) -> Decision {
        if let Some(rc) = spec.get("runtimeClassName").and_then(Value::as_str)
            && !rc.is_empty()
            && self.config.exemptions.runtime_classes.contains(rc)
        {
            return self.exempt(resource, "runtimeClass");
        }
        // The API server defaults an object before it calls webhooks (a volume without a source
        // becomes an emptyDir, a host-network pod's ports get hostPort); a request built from a
        // file (`admission review`) has not been: default it the same way (idempotent).
        let of = if resource == "pod" {
            bulkhead_config::defaults::SpecOf::Pod
        } else {
            bulkhead_config::defaults::SpecOf::Template
        };
        let (spec, _) = bulkhead_config::defaults::apply(spec, of);
        let spec: &Value = &spec;
        let mut d = Decision::new(resource, AdmissionResponse::allow());
        if let Some(errs) = policies.error_text() {
            d.response
                .audit_annotations
                .insert("error".into(), format!("Failed to parse policy: {errs}"));
            d.error = Some((false, errs));
        }
        // One evaluation per distinct policy (enforce, audit and warn often share one).
        let mut cache: Vec<(Policy, Vec<pss::Violation>)> = Vec::new();
        let mut eval = |p: Policy| -> Vec<pss::Violation> {
            if let Some((_, v)) = cache.iter().find(|(q, _)| same_checks(*q, p)) {
                return v.clone();
            }
            let v = pss::evaluate(p, meta, spec);
            cache.push((p, v.clone()));
            v
        };
        if enforce {
            d.response
                .audit_annotations
                .insert("enforce-policy".into(), policies.enforce.to_string());
            let v = eval(policies.enforce);
            if !v.is_empty() {
                let err = format!(
                    "violates PodSecurity \"{}\": {}",
                    policies.enforce,
                    pss::aggregate(&v)
                );
                d.response.allowed = false;
                d.response.status = Some(forbidden(req, &err));
            }
            d.evaluations.push(Evaluation {
                mode: "enforce",
                policy: policies.enforce,
                denied: !v.is_empty(),
            });
        }
        let v = eval(policies.audit);
        if !v.is_empty() {
            d.response.audit_annotations.insert(
                "audit-violations".into(),
                format!(
                    "would violate PodSecurity \"{}\": {}",
                    policies.audit,
                    pss::aggregate(&v)
                ),
            );
        }
        d.evaluations.push(Evaluation {
            mode: "audit",
            policy: policies.audit,
            denied: !v.is_empty(),
        });
        if d.response.allowed {
            let v = eval(policies.warn);
            if !v.is_empty() {
                d.response.warnings.push(format!(
                    "would violate PodSecurity \"{}\": {}",
                    policies.warn,
                    pss::aggregate(&v)
                ));
            }
            d.evaluations.push(Evaluation {
                mode: "warn",
                policy: policies.warn,
                denied: !v.is_empty(),
            });
        }
        d
    }
}

/// Whether two policies run the same checks (the same level at the same effective version).
fn same_checks(a: Policy, b: Policy) -> bool {
    a.level == b.level
        && (a.level == Level::Privileged || a.effective_minor() == b.effective_minor())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// `TestPolicyToEvaluate` of pod-security-admission's api package, the cases of its table.
    #[test]
    fn policy_to_evaluate_follows_psa() {
        let d = Defaults::default();
        let p = |s: &str| Policy::parse(s).unwrap();
        let got = policy_to_evaluate(&labels(&[]), &d);
        assert_eq!(
            (got.enforce, got.audit, got.warn),
            (p("privileged"), p("privileged"), p("privileged"))
        );
        // Warn follows an explicit stricter enforce level, with its version.
        let got = policy_to_evaluate(
            &labels(&[
                (ENFORCE_LEVEL_LABEL, "restricted"),
                (ENFORCE_VERSION_LABEL, "v1.25"),
            ]),
            &d,
        );
        assert_eq!(got.warn, p("restricted:v1.25"));
        assert!(got.errors.is_empty());
        // ... but not over its own label or version.
        let got = policy_to_evaluate(
            &labels(&[
                (ENFORCE_LEVEL_LABEL, "restricted"),
                (WARN_VERSION_LABEL, "v1.20"),
            ]),
            &d,
        );
        assert_eq!(got.warn, p("restricted:v1.20"));
        let got = policy_to_evaluate(
            &labels(&[
                (ENFORCE_LEVEL_LABEL, "baseline"),
                (WARN_LEVEL_LABEL, "privileged"),
            ]),
            &d,
        );
        assert_eq!(got.warn, p("privileged"));
        // Invalid values: enforce fails closed, audit and warn open, versions to latest.
        let got = policy_to_evaluate(
            &labels(&[
                (ENFORCE_LEVEL_LABEL, "Restricted"),
                (AUDIT_LEVEL_LABEL, "bogus"),
                (WARN_VERSION_LABEL, "v1.01"),
            ]),
            &d,
        );
        assert_eq!(got.enforce, p("restricted"));
        assert_eq!(got.audit, p("privileged"));
        assert_eq!(
            got.warn,
            p("privileged"),
            "an invalid enforce label does not lift warn"
        );
        assert_eq!(got.errors.len(), 3);
        assert_eq!(
            got.errors[0],
            "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"Restricted\": must be one of privileged, baseline, restricted"
        );
        assert!(got.error_text().unwrap().starts_with('['));
    }

    #[test]
    fn significant_updates_are_the_ones_psa_rechecks() {
        let pod = |img: &str, ann: Option<&str>, eph: &[&str]| {
            let mut p = serde_json::json!({
                "metadata": {"annotations": {}},
                "spec": {"containers": [{"name": "a", "image": img}],
                         "ephemeralContainers": eph.iter().map(|n| serde_json::json!({"name": n, "image": "busybox"})).collect::<Vec<_>>()}
            });
            if let Some(a) = ann {
                p["metadata"]["annotations"][format!("{CONTAINER_SECCOMP_PREFIX}a")] = a.into();
            }
            p
        };
        let base = pod("nginx:1", None, &[]);
        assert!(!is_significant_pod_update(&base, &base));
        let mut labelled = base.clone();
        labelled["metadata"]["labels"] = serde_json::json!({"x": "y"});
        assert!(!is_significant_pod_update(&labelled, &base), "labels only");
        assert!(is_significant_pod_update(&pod("nginx:2", None, &[]), &base));
        assert!(is_significant_pod_update(
            &pod("nginx:1", Some("unconfined"), &[]),
            &base
        ));
        assert!(is_significant_pod_update(
            &pod("nginx:1", None, &["debug"]),
            &base
        ));
        let with_eph = pod("nginx:1", None, &["debug"]);
        assert!(!is_significant_pod_update(&with_eph, &with_eph));
    }
}
