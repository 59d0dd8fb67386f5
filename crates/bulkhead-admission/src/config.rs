//! The webhook's inputs from files: the namespaces (Namespace objects, YAML or JSON,
//! multi-document, `List`s), and PSA's own configuration (`PodSecurityConfiguration`, alone or
//! inside the API server's `AdmissionConfiguration`), read strictly: an unknown field or value is
//! an error, never a silently weaker policy.

use crate::psa::{Defaults, Exemptions, NamespaceLabels, PsaConfig};
use bulkhead_config::pss::{Level, Policy, parse_version};
use bulkhead_config::yaml::{YamlLimits, documents};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest namespaces or configuration file read.
pub const MAX_FILE: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] bulkhead_core::input::InputError),
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

fn invalid(file: &Path, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        file: file.display().to_string(),
        message: message.into(),
    }
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    Ok(bulkhead_core::input::read_regular_text(
        path,
        MAX_FILE,
        "namespaces and admission configuration files are far smaller; fixed limit",
    )?)
}

/// Every document of a YAML/JSON stream, `List`s flattened (one level, as kubectl's).
fn objects(path: &Path, text: &str) -> Result<Vec<Value>, ConfigError> {
    let mut out = Vec::new();
    for doc in documents(text, &YamlLimits::DEFAULT) {
        let doc = doc.map_err(|e| invalid(path, e.to_string()))?;
        let v = doc.value;
        let is_list = v
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k == "List" || k.ends_with("List"));
        match (is_list, v.get("items").and_then(Value::as_array)) {
            (true, Some(items)) => out.extend(items.iter().cloned()),
            _ => out.push(v),
        }
    }
    Ok(out)
}

/// Read a namespaces file: every `Namespace` object's name and labels. Any other kind, a
/// namespace without a name, a label that is not a string, or the same name twice is an error.
pub fn load_namespaces(path: &Path) -> Result<NamespaceLabels, ConfigError> {
    let text = read_text(path)?;
    parse_namespaces(path, &text)
}

/// [`load_namespaces`] of a text already read.
pub fn parse_namespaces(path: &Path, text: &str) -> Result<NamespaceLabels, ConfigError> {
    let mut out = NamespaceLabels::new();
    for (i, obj) in objects(path, text)?.into_iter().enumerate() {
        let at = |m: &str| invalid(path, format!("object {}: {m}", i + 1));
        match obj.get("kind").and_then(Value::as_str) {
            Some("Namespace") => {}
            Some(k) => {
                return Err(at(&format!(
                    "kind {k:?}: only Namespace objects belong here"
                )));
            }
            None => return Err(at("no kind (expected Namespace objects)")),
        }
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| at("a Namespace without metadata.name"))?;
        let mut labels = BTreeMap::new();
        if let Some(l) = obj.pointer("/metadata/labels") {
            let m = l
                .as_object()
                .ok_or_else(|| at(&format!("namespace {name:?}: metadata.labels is not a map")))?;
            for (k, v) in m {
                let v = v.as_str().ok_or_else(|| {
                    at(&format!("namespace {name:?}: label {k:?} is not a string"))
                })?;
                labels.insert(k.clone(), v.to_string());
            }
        }
        if out.insert(name.to_string(), labels).is_some() {
            return Err(at(&format!("namespace {name:?} is given twice")));
        }
    }
    Ok(out)
}

/// Read an AdmissionPolicy file (the image rules and the scan gate).
pub fn load_policy(path: &Path) -> Result<crate::images::PolicySpec, ConfigError> {
    let text = read_text(path)?;
    crate::images::parse_policy(path, &text)
}

/// Read PSA's configuration: a `PodSecurityConfiguration`
/// (`pod-security.admission.config.k8s.io/v1`, `v1beta1`), or an `AdmissionConfiguration` whose
/// `PodSecurity` plugin carries one inline.
pub fn load_psa_config(path: &Path) -> Result<PsaConfig, ConfigError> {
    let text = read_text(path)?;
    parse_psa_config(path, &text)
}

/// [`load_psa_config`] of a text already read.
pub fn parse_psa_config(path: &Path, text: &str) -> Result<PsaConfig, ConfigError> {
    let objs = objects(path, text)?;
    let [obj] = objs.as_slice() else {
        return Err(invalid(
            path,
            format!("{} documents: expected one configuration", objs.len()),
        ));
    };
    let pod_security = match obj.get("kind").and_then(Value::as_str) {
        Some("PodSecurityConfiguration") => obj,
        Some("AdmissionConfiguration") => obj
            .get("plugins")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(Value::as_str) == Some("PodSecurity"))
            .and_then(|p| p.get("configuration"))
            .ok_or_else(|| {
                invalid(
                    path,
                    "the AdmissionConfiguration has no PodSecurity plugin with an inline configuration",
                )
            })?,
        other => {
            return Err(invalid(
                path,
                format!("kind {other:?}: expected PodSecurityConfiguration or AdmissionConfiguration"),
            ));
        }
    };
    let api = pod_security
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(
        api,
        "pod-security.admission.config.k8s.io/v1"
            | "pod-security.admission.config.k8s.io/v1beta1"
            | "pod-security.admission.config.k8s.io/v1alpha1"
    ) {
        return Err(invalid(
            path,
            format!("apiVersion {api:?}: expected pod-security.admission.config.k8s.io/v1"),
        ));
    }
    let map =
        |v: Option<&Value>, what: &str| -> Result<serde_json::Map<String, Value>, ConfigError> {
            match v {
                None | Some(Value::Null) => Ok(Default::default()),
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(_) => Err(invalid(path, format!("{what} is not a map"))),
            }
        };
    for k in pod_security
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !matches!(
            k.as_str(),
            "apiVersion" | "kind" | "defaults" | "exemptions"
        ) {
            return Err(invalid(path, format!("unknown field {k:?}")));
        }
    }
    let defaults_map = map(pod_security.get("defaults"), "defaults")?;
    let mut defaults = Defaults::default();
    for (k, v) in &defaults_map {
        let s = v
            .as_str()
            .ok_or_else(|| invalid(path, format!("defaults.{k} is not a string")))?;
        let level = || -> Result<Level, ConfigError> {
            s.parse()
                .map_err(|e| invalid(path, format!("defaults.{k}: {e}")))
        };
        let version = || -> Result<Option<u32>, ConfigError> {
            parse_version(s).map_err(|e| invalid(path, format!("defaults.{k}: {e}")))
        };
        let slot: &mut Policy = match k.as_str() {
            "enforce" | "enforce-version" => &mut defaults.enforce,
            "audit" | "audit-version" => &mut defaults.audit,
            "warn" | "warn-version" => &mut defaults.warn,
            _ => return Err(invalid(path, format!("unknown field defaults.{k}"))),
        };
        if k.ends_with("-version") {
            slot.minor = version()?;
        } else {
            slot.level = level()?;
        }
    }
    let ex = map(pod_security.get("exemptions"), "exemptions")?;
    let mut exemptions = Exemptions::default();
    for (k, v) in &ex {
        let set = match k.as_str() {
            "usernames" => &mut exemptions.usernames,
            "namespaces" => &mut exemptions.namespaces,
            "runtimeClasses" => &mut exemptions.runtime_classes,
            _ => return Err(invalid(path, format!("unknown field exemptions.{k}"))),
        };
        let list = match v {
            Value::Null => continue,
            Value::Array(a) => a,
            _ => return Err(invalid(path, format!("exemptions.{k} is not a list"))),
        };
        for item in list {
            let s = item.as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
                invalid(
                    path,
                    format!("exemptions.{k}: an empty or non-string entry"),
                )
            })?;
            set.insert(s.to_string());
        }
    }
    Ok(PsaConfig {
        defaults,
        exemptions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_from_yaml_and_lists() {
        let p = Path::new("ns.yaml");
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n---\n{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"dev\"}}]}\n";
        let ns = parse_namespaces(p, text).unwrap();
        assert_eq!(ns.len(), 2);
        assert_eq!(
            ns["prod"]["pod-security.kubernetes.io/enforce"],
            "restricted"
        );
        assert!(ns["dev"].is_empty());
        let e = |t: &str| parse_namespaces(p, t).unwrap_err().to_string();
        assert!(e("kind: Pod\nmetadata: {name: x}\n").contains("only Namespace"));
        assert!(e("kind: Namespace\nmetadata: {}\n").contains("without metadata.name"));
        assert!(
            e("kind: Namespace\nmetadata: {name: a, labels: {x: 1}}\n").contains("not a string")
        );
        assert!(
            e("kind: Namespace\nmetadata: {name: a}\n---\nkind: Namespace\nmetadata: {name: a}\n")
                .contains("twice")
        );
        assert!(e("kind: [\n").starts_with("ns.yaml"));
    }

    #[test]
    fn psa_configuration_as_the_api_server_reads_it() {
        let p = Path::new("psa.yaml");
        let text = r#"apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: v1.30
      warn: restricted
    exemptions:
      usernames: [system:serviceaccount:kube-system:replicaset-controller]
      namespaces: [kube-system]
      runtimeClasses: []
"#;
        let c = parse_psa_config(p, text).unwrap();
        assert_eq!(c.defaults.enforce, Policy::parse("baseline:v1.30").unwrap());
        assert_eq!(c.defaults.warn, Policy::parse("restricted").unwrap());
        assert_eq!(c.defaults.audit, Policy::parse("privileged").unwrap());
        assert!(c.exemptions.namespaces.contains("kube-system"));
        let e = |t: &str| parse_psa_config(p, t).unwrap_err().to_string();
        let base =
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n";
        assert!(
            e(&format!("{base}defaults: {{enforce: Restricted}}\n")).contains("unknown PSS level")
        );
        assert!(
            e(&format!("{base}defaults: {{enforce-version: v1.x}}\n"))
                .contains("invalid PSS version")
        );
        assert!(
            e(&format!("{base}defaults: {{enforc: restricted}}\n"))
                .contains("unknown field defaults.enforc")
        );
        assert!(e(&format!("{base}exemption: {{}}\n")).contains("unknown field \"exemption\""));
        assert!(e("kind: Namespace\n").contains("expected PodSecurityConfiguration"));
    }
}
