//! AdmissionReview v1 (`admission.k8s.io/v1`), the body the API server POSTs to a webhook and the
//! one it expects back. Hand-written serde types: `kube-core`'s need `k8s-openapi` (a whole
//! Kubernetes API, one cargo feature per Kubernetes version) for two small structs whose fields
//! are stable since v1 (kubernetes/api `admission/v1/types.go`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `null` where a string belongs reads as empty (Go's decoder leaves the field at its zero value).
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// `admission.k8s.io/v1`.
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// Group, version and kind (`apps`, `v1`, `Deployment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

/// Group, version and resource (`apps`, `v1`, `deployments`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

/// Who asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The request of an AdmissionReview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    #[serde(default)]
    pub kind: GroupVersionKind,
    #[serde(default)]
    pub resource: GroupVersionResource,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub sub_resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub request_sub_resource: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub namespace: String,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: String,
    #[serde(default)]
    pub user_info: UserInfo,
    #[serde(default)]
    pub object: Value,
    #[serde(default)]
    pub old_object: Value,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

impl AdmissionRequest {
    /// The subresource asked for (`requestSubResource`, else `subResource`), as PSA reads it.
    pub fn subresource(&self) -> &str {
        if self.request_sub_resource.is_empty() {
            &self.sub_resource
        } else {
            &self.request_sub_resource
        }
    }
}

/// `details` of a failure status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDetails {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

/// A `metav1.Status`: why a request is denied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// `Failure` for a denial.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// `Forbidden`, `Invalid`, `BadRequest`, `InternalError`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    pub code: u16,
}

/// The response of an AdmissionReview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Keys without a prefix: the API server prefixes them with the webhook's name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    /// A base64 JSONPatch (mutating webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
}

impl AdmissionResponse {
    /// Allowed, nothing else said.
    pub fn allow() -> AdmissionResponse {
        AdmissionResponse {
            allowed: true,
            ..Default::default()
        }
    }

    /// Allowed, with one audit annotation.
    pub fn allow_annotated(key: &str, value: impl Into<String>) -> AdmissionResponse {
        let mut r = AdmissionResponse::allow();
        r.audit_annotations.insert(key.to_string(), value.into());
        r
    }

    /// Denied with a status.
    pub fn deny(status: Status) -> AdmissionResponse {
        AdmissionResponse {
            allowed: false,
            status: Some(status),
            ..Default::default()
        }
    }

    /// Denied: `code`/`reason` with `message`, as apimachinery's error constructors write them.
    pub fn error(code: u16, reason: &str, message: impl Into<String>) -> AdmissionResponse {
        AdmissionResponse::deny(Status {
            status: "Failure".into(),
            message: message.into(),
            reason: reason.into(),
            details: None,
            code,
        })
    }

    /// The whole AdmissionReview answering `uid`.
    pub fn into_review(mut self, uid: &str) -> Value {
        self.uid = uid.to_string();
        serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": "AdmissionReview",
            "response": self,
        })
    }
}

/// Why a body is not an AdmissionReview request this webhook answers (HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("the body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("apiVersion {0:?}: only admission.k8s.io/v1 AdmissionReview is served")]
    ApiVersion(String),
    #[error("kind {0:?}: expected AdmissionReview")]
    Kind(String),
    #[error("the AdmissionReview has no request")]
    NoRequest,
    #[error("the AdmissionReview request has no uid")]
    NoUid,
    #[error("the AdmissionReview request has no operation")]
    NoOperation,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    request: Option<Value>,
}

/// Read an AdmissionReview v1 request (the body is bounded by the server).
pub fn parse_review(body: &[u8]) -> Result<AdmissionRequest, ReviewError> {
    let env: Envelope = serde_json::from_slice(body)?;
    if env.api_version != API_VERSION {
        return Err(ReviewError::ApiVersion(env.api_version));
    }
    if env.kind != "AdmissionReview" {
        return Err(ReviewError::Kind(env.kind));
    }
    let req = env.request.ok_or(ReviewError::NoRequest)?;
    if req
        .get("uid")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(ReviewError::NoUid);
    }
    if req
        .get("operation")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(ReviewError::NoOperation);
    }
    Ok(serde_json::from_value(req)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_request_and_answers_with_its_uid() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
            "uid":"705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind":{"group":"","version":"v1","kind":"Pod"},
            "resource":{"group":"","version":"v1","resource":"pods"},
            "requestSubResource":"ephemeralcontainers",
            "name":"web","namespace":"prod","operation":"UPDATE",
            "userInfo":{"username":"admin","groups":["system:authenticated"]},
            "object":{"kind":"Pod"},"oldObject":null,"dryRun":false}}"#;
        let r = parse_review(body).unwrap();
        assert_eq!(r.subresource(), "ephemeralcontainers");
        assert_eq!(r.user_info.username, "admin");
        let out = AdmissionResponse::allow().into_review(&r.uid);
        assert_eq!(
            out["response"]["uid"],
            "705ab4f5-6393-11e8-b7cc-42010a800002"
        );
        assert_eq!(out["response"]["allowed"], true);
        assert!(out["response"].get("status").is_none());
    }

    #[test]
    fn refuses_what_is_not_a_v1_request() {
        let e = |b: &str| parse_review(b.as_bytes()).unwrap_err().to_string();
        assert!(e("{").contains("not JSON"));
        assert!(
            e(r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#)
                .contains("v1beta1")
        );
        assert!(e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#).contains("Pod"));
        assert!(
            e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
                .contains("no request")
        );
        assert!(
            e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#)
                .contains("no uid")
        );
        assert!(
            e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1"}}"#)
                .contains("no operation")
        );
        assert!(
            e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE","userInfo":3}}"#)
                .contains("not JSON")
        );
    }
}
