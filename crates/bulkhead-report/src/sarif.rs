//! SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, GitLab): the one
//! writer for every kind of finding. Written with serde_json values: the `serde-sarif` crate models the
//! schema but adds a large generated type tree for the dozen fields used here; the output is validated
//! against the OASIS 2.1.0 schema in tests.
//!
//! Shape as Trivy writes it, so dashboards treat both alike: one rule per finding id (short description
//! = title, `properties.security-severity` = CVSS base score or a score standing for the severity,
//! tags), one result per finding with `level` from the severity and a location. A vulnerability's
//! location is its package's database inside the image (`var/lib/dpkg/status`, a `METADATA` file…),
//! which is where the finding comes from; a misconfiguration's is file and line; a runtime alert's is
//! logical (container, process). The image itself is named in `run.properties`.

use crate::{TOOL_NAME, TOOL_VERSION};
use bulkhead_core::{Finding, FindingKind, Report, Severity, Target};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The schema this output follows (the OASIS 2.1.0 standard schema).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// SARIF `level` of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// The `security-severity` score (GitHub: 0.0–10.0 as a string) Trivy uses for a severity band.
pub fn band_score(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Unknown => "0.0",
    }
}

/// `security-severity`: the CVSS base score when known, else the band's score.
fn security_severity(f: &Finding) -> String {
    match &f.cvss {
        Some(c) => format!("{:.1}", c.score),
        None => band_score(f.severity).into(),
    }
}

/// The public page of a vulnerability id: NVD for CVEs, GitHub for GHSAs, OSV for the rest.
fn help_uri(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

fn fixed_text(f: &Finding) -> String {
    match f.fixed_version() {
        Some(v) => v.to_string(),
        None => format!(
            "none ({})",
            f.status
                .map_or("affected", bulkhead_core::VulnStatus::as_str)
        ),
    }
}

/// The tag naming a finding's kind in rule properties.
fn kind_tag(k: FindingKind) -> &'static str {
    k.as_str()
}

fn rule(f: &Finding) -> Value {
    let mut props = json!({
        "precision": "very-high",
        "security-severity": security_severity(f),
        "tags": [kind_tag(f.kind), "security", f.severity.as_str()],
    });
    if let Some(vec) = f.cvss.as_ref().and_then(|c| c.vector.as_ref()) {
        props["cvss_vector"] = json!(vec);
    }
    if !f.aliases.is_empty() {
        props["aliases"] = json!(f.aliases);
    }
    match f.kind {
        FindingKind::Vulnerability => {
            let name = if f
                .package
                .as_ref()
                .and_then(|p| p.kind)
                .is_none_or(|k| k.is_os())
            {
                "OsPackageVulnerability"
            } else {
                "LanguagePackageVulnerability"
            };
            let uri = help_uri(&f.id);
            json!({
                "id": f.id,
                "name": name,
                "shortDescription": {"text": f.title},
                "fullDescription": {"text": f.title},
                "defaultConfiguration": {"level": level(f.severity)},
                "helpUri": uri,
                "help": {
                    "text": format!(
                        "Vulnerability {}\nSeverity: {}\nPackage: {}\nFixed Version: {}\nLink: {uri}",
                        f.id, f.severity.as_str(), f.package_name(), fixed_text(f)
                    ),
                    "markdown": format!(
                        "**Vulnerability {}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|{}|{}|{}|[{}]({uri})|\n",
                        f.id, f.severity.as_str(), f.package_name(), fixed_text(f), f.id
                    ),
                },
                "properties": props,
            })
        }
        _ => {
            let help = f.remediation().unwrap_or(&f.title).to_string();
            let mut r = json!({
                "id": f.id,
                "name": f.id.replace(['-', '_', ' '], ""),
                "shortDescription": {"text": f.title},
                "fullDescription": {"text": f.title},
                "defaultConfiguration": {"level": level(f.severity)},
                "help": {"text": help, "markdown": help},
                "properties": props,
            });
            if let Some(u) = f.references.first() {
                r["helpUri"] = json!(u);
            }
            r
        }
    }
}

fn message(f: &Finding) -> String {
    match f.kind {
        FindingKind::Vulnerability => format!(
            "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {}\nFixed Version: {}\nLink: {}",
            f.package_name(),
            f.installed_version(),
            f.id,
            f.severity.as_str(),
            fixed_text(f),
            help_uri(&f.id)
        ),
        _ => match &f.location.object {
            Some(o) => format!("{o}: {}", f.message),
            None => f.message.clone(),
        },
    }
}

fn location(t: &Target, f: &Finding) -> Option<Value> {
    let l = &f.location;
    let line = l.line.unwrap_or(1).max(1);
    let mut loc = match l.file.as_deref().filter(|p| !p.is_empty()) {
        Some(file) => {
            // Image paths are relative to the image root; checked files are as the user named them.
            let uri = if matches!(
                t.kind,
                bulkhead_core::TargetKind::Image | bulkhead_core::TargetKind::Filesystem
            ) {
                file.trim_start_matches('/')
            } else {
                file
            };
            json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": line, "startColumn": 1, "endLine": line, "endColumn": 1},
                },
            })
        }
        // A finding of the image as a whole (its configuration, a summary) is located at the
        // image, as Trivy does: code-scanning consumers need a physical location on every result.
        None if matches!(
            t.kind,
            bulkhead_core::TargetKind::Image | bulkhead_core::TargetKind::Filesystem
        ) && f.kind != FindingKind::Vulnerability =>
        {
            json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": t.name, "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                },
            })
        }
        None => json!({}),
    };
    let mut logical = Vec::new();
    if let Some(c) = &l.container {
        logical.push(json!({"name": c.id, "kind": "container",
            "fullyQualifiedName": c.image.clone().unwrap_or_else(|| c.id.clone())}));
    }
    if let Some(p) = &l.process {
        let name = p.name.clone().unwrap_or_default();
        let mut v = json!({"name": name, "kind": "process"});
        if let Some(cmd) = &p.cmdline {
            v["fullyQualifiedName"] = json!(cmd);
        }
        logical.push(v);
    }
    if let Some(o) = &l.object {
        let mut v = json!({"name": o, "kind": "object"});
        if let Some(p) = &l.pointer {
            v["fullyQualifiedName"] = json!(format!("{o}{p}"));
        }
        logical.push(v);
    }
    if !logical.is_empty() {
        loc["logicalLocations"] = Value::Array(logical);
    }
    if f.kind == FindingKind::Vulnerability {
        loc["message"] = json!({"text": format!(
            "{}: {}@{}", t.name, f.package_name(), f.installed_version()
        )});
    }
    (loc.as_object().is_some_and(|o| !o.is_empty())).then_some(loc)
}

/// The rules of a report (one per finding id, in first-seen order) and each id's index.
fn rules_of(report: &Report) -> (Vec<Value>, BTreeMap<&str, usize>) {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    for t in &report.targets {
        for f in &t.findings {
            rule_index.entry(f.id.as_str()).or_insert_with(|| {
                rules.push(rule(f));
                rules.len() - 1
            });
        }
    }
    (rules, rule_index)
}

fn result(t: &Target, f: &Finding, idx: usize) -> Value {
    let mut r = json!({
        "ruleId": f.id,
        "ruleIndex": idx,
        "level": level(f.severity),
        "message": {"text": message(f)},
    });
    if let Some(loc) = location(t, f) {
        r["locations"] = json!([loc]);
    }
    // The image layer that holds the file (a secret deleted later is still in it), and the
    // configuration field of a finding in the image configuration.
    let mut props = serde_json::Map::new();
    if let Some(l) = &f.location.layer {
        props.insert("layer".into(), json!(l));
    }
    if f.location.file.is_none()
        && let Some(o) = &f.location.object
    {
        props.insert("object".into(), json!(o));
    }
    if !props.is_empty() {
        r["properties"] = Value::Object(props);
    }
    r
}

/// The run without its results (tool, rules, base ids, properties).
fn run_head(report: &Report, rules: Vec<Value>) -> Value {
    let mut run = json!({
        "tool": {"driver": {
            "name": TOOL_NAME,
            "fullName": "Bulkhead container security scanner",
            "version": TOOL_VERSION,
            "rules": rules,
        }},
        "columnKind": "utf16CodeUnits",
        "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
    });
    // An image or filesystem scan names its artifact, as Trivy does.
    if let [t] = report.targets.as_slice()
        && let Some(a) = &t.artifact
    {
        let mut props = json!({"imageName": a.name, "artifactKind": a.kind});
        if let Some(id) = &a.image_id {
            props["imageID"] = json!(id);
        }
        if !a.repo_tags.is_empty() {
            props["repoTags"] = json!(a.repo_tags);
        }
        if !a.repo_digests.is_empty() {
            props["repoDigests"] = json!(a.repo_digests);
        }
        if let Some(os) = &a.os {
            props["os"] = json!(os.distro_qualifier());
        }
        run["properties"] = props;
    }
    run
}

/// Write the SARIF log of a report to `w`, one result at a time (results are not collected in a
/// document tree first).
pub fn write(report: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let (rules, index) = rules_of(report);
    let head = run_head(report, rules);
    let head = serde_json::to_string(&head).map_err(std::io::Error::other)?;
    // The run object without its closing brace, then `"results": [ … ]` and the brace.
    write!(
        w,
        "{{\"version\":\"2.1.0\",\"$schema\":{},\"runs\":[{},\"results\":[",
        serde_json::to_string(SCHEMA_URI).map_err(std::io::Error::other)?,
        &head[..head.len() - 1]
    )?;
    let mut first = true;
    for t in &report.targets {
        for f in &t.findings {
            if !first {
                w.write_all(b",")?;
            }
            first = false;
            w.write_all(b"\n")?;
            serde_json::to_writer(&mut *w, &result(t, f, index[f.id.as_str()]))
                .map_err(std::io::Error::other)?;
        }
    }
    w.write_all(b"\n]}]}")
}

/// Build the SARIF log of a report: one run, every target's findings.
pub fn log(report: &Report) -> Value {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory");
    serde_json::from_slice(&out).expect("the log is JSON")
}
