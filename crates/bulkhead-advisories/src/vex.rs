//! VEX input: OpenVEX documents and CycloneDX VEX (a BOM's `vulnerabilities[].analysis`). A statement
//! that a product is `not_affected` (or `fixed` / CycloneDX `resolved`, `false_positive`) by a
//! vulnerability suppresses the matching finding; the justification is kept for display. Products are
//! matched by purl: type, namespace, name and (when the statement gives one) version; qualifiers are
//! ignored. An OpenVEX statement on an image with `subcomponents` applies to those subcomponents.

use bulkhead_core::Finding;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Why a VEX document was refused.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    /// The file could not be read.
    #[error("VEX document {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: bulkhead_core::input::InputError,
    },
    /// The document is not valid OpenVEX or CycloneDX VEX.
    #[error("VEX document {origin}: {reason}")]
    Invalid { origin: String, reason: String },
}

/// Most JSON values a VEX document may hold (at most 64 MiB is read).
pub const MAX_VEX_NODES: usize = 4_000_000;

/// OpenVEX statuses (v0.2.0) and CycloneDX analysis states (1.4–1.6).
const OPENVEX_STATUSES: &[&str] = &["not_affected", "affected", "fixed", "under_investigation"];
const CYCLONEDX_STATES: &[&str] = &[
    "resolved",
    "resolved_with_pedigree",
    "exploitable",
    "in_triage",
    "false_positive",
    "not_affected",
];

/// One suppressing statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub vulnerability: String,
    /// Product purls the statement covers (empty: every product).
    pub products: Vec<String>,
    pub status: String,
    pub justification: Option<String>,
}

/// Parsed VEX documents.
#[derive(Debug, Clone, Default)]
pub struct Vex {
    pub statements: Vec<Statement>,
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// `pkg:type/namespace/name@version?q#s` → (type/namespace/name lowercased type, version).
fn purl_key(purl: &str) -> Option<(String, Option<String>)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (path, version) = match rest.rsplit_once('@') {
        Some((p, v)) => (p, Some(v.replace("%2B", "+").replace("%2b", "+"))),
        None => (rest, None),
    };
    let (ty, tail) = path.split_once('/')?;
    Some((
        format!("{}/{}", ty.to_ascii_lowercase(), tail.replace("%2B", "+")),
        version,
    ))
}

fn product_matches(product: &str, pkg_purl: &str) -> bool {
    match (purl_key(product), purl_key(pkg_purl)) {
        (Some((pk, pv)), Some((k, v))) => pk == k && (pv.is_none() || pv == v),
        _ => false,
    }
}

impl Vex {
    /// Parse one document (OpenVEX or CycloneDX), naming `origin` in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Vec<Statement>, VexError> {
        let invalid = |reason: String| VexError::Invalid {
            origin: origin.to_string(),
            reason,
        };
        // Bounded: a VEX document of zeros or deep nesting cannot take gigabytes.
        let doc: Value = crate::osv::bounded_json(text.as_bytes(), MAX_VEX_NODES).map_err(|e| {
            invalid(match e {
                crate::osv::ParseError::Json(j) => format!("not JSON: {j}"),
                other => other.to_string().replace("a record", "a document"),
            })
        })?;
        let mut out = Vec::new();
        if let Some(stmts) = doc.get("statements").and_then(|v| v.as_array()) {
            for (i, st) in stmts.iter().enumerate() {
                let vuln = st
                    .get("vulnerability")
                    .and_then(|v| s(v).or_else(|| v.get("name").and_then(s)))
                    .ok_or_else(|| invalid(format!("statements[{i}]: no vulnerability name")))?;
                let status = st
                    .get("status")
                    .and_then(s)
                    .ok_or_else(|| invalid(format!("statements[{i}]: no status")))?;
                if !OPENVEX_STATUSES.contains(&status.as_str()) {
                    return Err(invalid(format!(
                        "statements[{i}]: unknown status {status:?} (valid: {})",
                        OPENVEX_STATUSES.join(", ")
                    )));
                }
                let mut products = Vec::new();
                for p in st
                    .get("products")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    let subs: Vec<String> = p
                        .get("subcomponents")
                        .and_then(|v| v.as_array())
                        .into_iter()
                        .flatten()
                        .filter_map(|c| s(c).or_else(|| c.get("@id").and_then(s)))
                        .collect();
                    if subs.is_empty() {
                        if let Some(id) = s(p).or_else(|| p.get("@id").and_then(s)) {
                            products.push(id);
                        }
                    } else {
                        products.extend(subs);
                    }
                }
                out.push(Statement {
                    vulnerability: vuln,
                    products,
                    status,
                    justification: st
                        .get("justification")
                        .and_then(s)
                        .or_else(|| st.get("impact_statement").and_then(s)),
                });
            }
            return Ok(out);
        }
        if doc.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
            let refs: std::collections::HashMap<String, String> = doc
                .get("components")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|c| Some((c.get("bom-ref").and_then(s)?, c.get("purl").and_then(s)?)))
                .collect();
            for v in doc
                .get("vulnerabilities")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let Some(id) = v.get("id").and_then(s) else {
                    continue;
                };
                let Some(analysis) = v.get("analysis") else {
                    continue;
                };
                let status = analysis.get("state").and_then(s).unwrap_or_default();
                if !CYCLONEDX_STATES.contains(&status.as_str()) {
                    return Err(invalid(format!(
                        "vulnerability {id}: unknown analysis state {status:?} (valid: {})",
                        CYCLONEDX_STATES.join(", ")
                    )));
                }
                let products = v
                    .get("affects")
                    .and_then(|a| a.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.get("ref").and_then(s))
                    .map(|r| refs.get(&r).cloned().unwrap_or(r))
                    .collect();
                out.push(Statement {
                    vulnerability: id,
                    products,
                    status,
                    justification: analysis
                        .get("justification")
                        .and_then(s)
                        .or_else(|| analysis.get("detail").and_then(s)),
                });
            }
            return Ok(out);
        }
        Err(invalid(
            "neither an OpenVEX document (statements) nor a CycloneDX BOM".into(),
        ))
    }

    /// Load several files (each at most 64 MiB).
    pub fn load(paths: &[PathBuf]) -> Result<Vex, VexError> {
        let mut vex = Vex::default();
        for p in paths {
            let text = crate::read_bounded_text(p, 64 << 20).map_err(|source| VexError::Read {
                path: p.clone(),
                source,
            })?;
            vex.statements.extend(Self::parse(&text, &display(p))?);
        }
        Ok(vex)
    }

    /// Remove findings a statement declares not affecting (or fixed); returns them with the
    /// statement's status and justification. Findings are matched by id or alias and, when the
    /// statement names products, by their package's purl.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> Vec<(Finding, String)> {
        let suppressing = |st: &Statement| {
            matches!(
                st.status.as_str(),
                "not_affected" | "fixed" | "resolved" | "false_positive"
            )
        };
        let mut suppressed = Vec::new();
        let mut kept = Vec::with_capacity(findings.len());
        for v in findings.drain(..) {
            let purl = v.package.as_ref().and_then(|p| p.purl.as_deref());
            let hit = self.statements.iter().find(|st| {
                suppressing(st)
                    && v.is_named(&st.vulnerability)
                    && (st.products.is_empty()
                        || purl
                            .is_some_and(|pu| st.products.iter().any(|pr| product_matches(pr, pu))))
            });
            match hit {
                Some(st) => {
                    let why = match &st.justification {
                        Some(j) => format!("{}: {j}", st.status),
                        None => st.status.clone(),
                    };
                    suppressed.push((v, why));
                }
                None => kept.push(v),
            }
        }
        *findings = kept;
        suppressed
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_match_without_qualifiers_and_with_optional_version() {
        let pkg = "pkg:pypi/werkzeug@0.14.1";
        assert!(product_matches("pkg:pypi/werkzeug", pkg));
        assert!(product_matches("pkg:pypi/werkzeug@0.14.1?foo=bar", pkg));
        assert!(!product_matches("pkg:pypi/werkzeug@2.0", pkg));
        assert!(!product_matches("pkg:pypi/flask", pkg));
        assert!(product_matches(
            "pkg:deb/debian/libc6@2.36-9+deb12u4",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5"
        ));
    }

    #[test]
    fn openvex_and_cyclonedx_statements() {
        let open = r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
            {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:pypi/werkzeug"}]}],
             "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
            {"vulnerability":"CVE-2","products":["pkg:pypi/idna@2.7"],"status":"affected"}]}"#;
        let st = Vex::parse(open, "o").unwrap();
        assert_eq!(st[0].products, vec!["pkg:pypi/werkzeug"]);
        assert_eq!(st[1].vulnerability, "CVE-2");
        let cdx = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"r1","purl":"pkg:pypi/idna@2.7"}],
            "vulnerabilities":[{"id":"CVE-3","analysis":{"state":"not_affected","justification":"code_not_reachable"},"affects":[{"ref":"r1"}]}]}"#;
        let st = Vex::parse(cdx, "c").unwrap();
        assert_eq!(st[0].products, vec!["pkg:pypi/idna@2.7"]);
        assert!(
            Vex::parse("{}", "x")
                .unwrap_err()
                .to_string()
                .contains("neither")
        );
        let typo = r#"{"statements":[{"vulnerability":"CVE-1","status":"not-affected"}]}"#;
        let e = Vex::parse(typo, "t").unwrap_err().to_string();
        assert!(e.contains("unknown status \"not-affected\""), "{e}");
    }
}
