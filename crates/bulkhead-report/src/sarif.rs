//! SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, GitLab). Written
//! with serde_json values: the `serde-sarif` crate models the schema but adds a large generated type
//! tree for the dozen fields used here; the output is validated against the OASIS 2.1.0 schema in
//! tests.
//!
//! Shape as Trivy writes it, so dashboards treat both alike: one rule per vulnerability id (short
//! description = title, `properties.security-severity` = CVSS base score or a score standing for the
//! severity, tags), one result per (package, vulnerability) with `level` from the severity, a message
//! naming package, installed and fixed versions, and a location. The location is the package's
//! database inside the image (`var/lib/dpkg/status`, `lib/apk/db/installed`, a `METADATA` file…),
//! which is where the finding comes from; the image itself is named in `run.properties`.

use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::{Artifact, Severity, Vulnerability};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The schema this output follows (the OASIS 2.1.0 standard schema).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// SARIF `level` of a severity (shared by the vulnerability and configuration reports).
pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// The `security-severity` score (GitHub: 0.0–10.0 as a string) Trivy uses for a severity band.
pub(crate) fn band_score(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Unknown => "0.0",
    }
}

/// `security-severity`: the CVSS base score when known, else the band's score.
fn security_severity(v: &Vulnerability) -> String {
    match v.cvss_score {
        Some(s) => format!("{s:.1}"),
        None => band_score(v.severity).into(),
    }
}

/// The public page of a vulnerability id: NVD for CVEs, GitHub for GHSAs, OSV for the rest.
fn help_uri(v: &Vulnerability) -> String {
    if v.id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{}", v.id)
    } else if v.id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{}", v.id)
    } else {
        format!("https://osv.dev/vulnerability/{}", v.id)
    }
}

fn fixed_text(v: &Vulnerability) -> String {
    v.fixed_version
        .clone()
        .unwrap_or_else(|| format!("none ({})", v.status.as_str()))
}

/// Build the SARIF log. Findings are read from `artifact.vulnerabilities` (none: an empty run).
pub fn log(a: &Artifact) -> Value {
    let vulns: &[Vulnerability] = a.vulnerabilities.as_deref().unwrap_or(&[]);
    let db_paths: BTreeMap<String, &str> = a
        .packages
        .iter()
        .map(|p| (p.key(), p.db_path.as_str()))
        .collect();
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for v in vulns {
        let idx = *rule_index.entry(v.id.as_str()).or_insert_with(|| {
            let title = v.title.clone().unwrap_or_else(|| v.id.clone());
            let mut props = json!({
                "precision": "very-high",
                "security-severity": security_severity(v),
                "tags": ["vulnerability", "security", v.severity.as_str()],
            });
            if let Some(vec) = &v.cvss_vector {
                props["cvss_vector"] = json!(vec);
            }
            if !v.aliases.is_empty() {
                props["aliases"] = json!(v.aliases);
            }
            rules.push(json!({
                "id": v.id,
                "name": "OsPackageVulnerability",
                "shortDescription": {"text": title},
                "fullDescription": {"text": title},
                "defaultConfiguration": {"level": level(v.severity)},
                "helpUri": help_uri(v),
                "help": {
                    "text": format!(
                        "Vulnerability {}\nSeverity: {}\nPackage: {}\nFixed Version: {}\nLink: {}",
                        v.id, v.severity.as_str(), v.package_name, fixed_text(v), help_uri(v)
                    ),
                    "markdown": format!(
                        "**Vulnerability {}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|{}|{}|{}|[{}]({})|\n",
                        v.id, v.severity.as_str(), v.package_name, fixed_text(v), v.id, help_uri(v)
                    ),
                },
                "properties": props,
            }));
            rules.len() - 1
        });
        let db_path = db_paths
            .get(&v.package_key)
            .copied()
            .filter(|p| !p.is_empty())
            .unwrap_or(a.name.as_str());
        results.push(json!({
            "ruleId": v.id,
            "ruleIndex": idx,
            "level": level(v.severity),
            "message": {"text": format!(
                "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {}\nFixed Version: {}\nLink: {}",
                v.package_name, v.installed_version, v.id, v.severity.as_str(), fixed_text(v), help_uri(v)
            )},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": db_path.trim_start_matches('/'), "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                },
                "message": {"text": format!("{}: {}@{}", a.name, v.package_name, v.installed_version)},
            }],
        }));
    }
    let mut run_props = json!({"imageName": a.name, "artifactKind": a.kind});
    if let Some(id) = &a.image_id {
        run_props["imageID"] = json!(id);
    }
    if !a.repo_tags.is_empty() {
        run_props["repoTags"] = json!(a.repo_tags);
    }
    if !a.repo_digests.is_empty() {
        run_props["repoDigests"] = json!(a.repo_digests);
    }
    if let Some(os) = &a.os {
        run_props["os"] = json!(os.distro_qualifier());
    }
    json!({
        "version": "2.1.0",
        "$schema": SCHEMA_URI,
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "fullName": "Bulkhead container security scanner",
                "version": TOOL_VERSION,
                "rules": rules,
            }},
            "results": results,
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
            "properties": run_props,
        }],
    })
}
