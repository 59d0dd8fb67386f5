//! The ignore file (`.bulkheadignore`, YAML): accepted risks, each with an ID and optionally a package,
//! a path, an expiry date and a reason. An entry suppresses a finding when its `id` is the finding's
//! ID or one of its aliases, and its `package` (name, case-insensitive) and `path` (prefix of the
//! package's database path or of one of its files) match when given. Expired entries stop
//! suppressing and say so.
//!
//! ```yaml
//! vulnerabilities:
//!   - id: CVE-2023-46136
//!     package: werkzeug
//!     expires: 2027-01-31
//!     reason: upload size is capped by the proxy
//! ```
//! A bare list of entries is accepted too.

use bulkhead_core::{Package, Vulnerability};
use serde::Deserialize;
use std::path::Path;

/// One accepted risk.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    pub id: String,
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    /// `YYYY-MM-DD`; the entry applies up to and including that day (UTC).
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Doc {
    Map {
        #[serde(default)]
        vulnerabilities: Vec<IgnoreEntry>,
    },
    List(Vec<IgnoreEntry>),
}

/// A parsed ignore file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreFile {
    pub entries: Vec<IgnoreEntry>,
}

/// What applying the ignore file did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Suppressed findings with the entry's reason.
    pub suppressed: Vec<(Vulnerability, Option<String>)>,
    /// Human-readable notices (expired entries).
    pub notices: Vec<String>,
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && d.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl IgnoreFile {
    /// Parse YAML text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(IgnoreFile::default());
        }
        let doc: Doc = serde_saphyr::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let entries = match doc {
            Doc::Map { vulnerabilities } => vulnerabilities,
            Doc::List(l) => l,
        };
        for (i, e) in entries.iter().enumerate() {
            if e.id.trim().is_empty() {
                return Err(format!("{origin}: entry {}: `id` is empty", i + 1));
            }
            if let Some(d) = &e.expires
                && !valid_date(d)
            {
                return Err(format!(
                    "{origin}: entry {} ({}): `expires` must be YYYY-MM-DD, got {d:?}",
                    i + 1,
                    e.id
                ));
            }
        }
        Ok(IgnoreFile { entries })
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Remove suppressed findings from `vulns`. `today` is `YYYY-MM-DD` (UTC).
    pub fn apply(
        &self,
        vulns: &mut Vec<Vulnerability>,
        packages: &[Package],
        today: &str,
    ) -> Applied {
        let mut applied = Applied::default();
        let (live, expired): (Vec<&IgnoreEntry>, Vec<&IgnoreEntry>) = self
            .entries
            .iter()
            .partition(|e| e.expires.as_deref().is_none_or(|d| d >= today));
        for e in &expired {
            applied.notices.push(format!(
                "ignore entry {} expired on {}; it no longer suppresses anything",
                e.id,
                e.expires.as_deref().unwrap_or("")
            ));
        }
        let mut kept = Vec::with_capacity(vulns.len());
        for v in vulns.drain(..) {
            let pkg = packages.iter().find(|p| p.key() == v.package_key);
            let hit = live.iter().find(|e| {
                (e.id == v.id || v.aliases.contains(&e.id))
                    && e.package
                        .as_deref()
                        .is_none_or(|n| n.eq_ignore_ascii_case(&v.package_name))
                    && e.path.as_deref().is_none_or(|prefix| {
                        pkg.is_some_and(|p| {
                            p.db_path.starts_with(prefix)
                                || p.files.iter().any(|f| f.starts_with(prefix))
                        })
                    })
            });
            match hit {
                Some(e) => applied.suppressed.push((v, e.reason.clone())),
                None => kept.push(v),
            }
        }
        *vulns = kept;
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_core::{PackageKind, Severity, VulnStatus};

    fn vuln(id: &str, alias: &str, pkg: &Package) -> Vulnerability {
        Vulnerability {
            id: id.into(),
            aliases: vec![alias.into()],
            advisories: vec![alias.into()],
            package_key: pkg.key(),
            package_name: pkg.name.clone(),
            installed_version: pkg.version.clone(),
            fixed_version: None,
            status: VulnStatus::Affected,
            severity: Severity::High,
            severity_source: None,
            cvss_score: None,
            cvss_vector: None,
            title: None,
            data_source: "PyPI".into(),
            references: vec![],
        }
    }

    #[test]
    fn ids_aliases_packages_paths_and_expiry() {
        let a = Package {
            kind: Some(PackageKind::PyPI),
            name: "Werkzeug".into(),
            version: "0.14.1".into(),
            db_path: "/usr/local/lib/python3.11/dist-packages/Werkzeug-0.14.1.dist-info/METADATA"
                .into(),
            ..Default::default()
        };
        let b = Package {
            kind: Some(PackageKind::PyPI),
            name: "idna".into(),
            version: "2.7".into(),
            db_path: "/opt/app/site-packages/idna-2.7.dist-info/METADATA".into(),
            ..Default::default()
        };
        let f = IgnoreFile::parse(
            "vulnerabilities:\n  - id: PYSEC-1\n    package: werkzeug\n    reason: proxy caps uploads\n  - id: CVE-2\n    path: /usr/local/\n  - id: CVE-3\n    expires: 2020-01-01\n",
            "t",
        )
        .unwrap();
        let mut v = vec![
            vuln("CVE-1", "PYSEC-1", &a),
            vuln("CVE-2", "X", &b),
            vuln("CVE-3", "Y", &a),
        ];
        let applied = f.apply(&mut v, &[a.clone(), b.clone()], "2026-11-28");
        // CVE-1 suppressed through its alias and package; CVE-2 kept (path differs); CVE-3 kept (expired).
        assert_eq!(
            v.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            vec!["CVE-2", "CVE-3"]
        );
        assert_eq!(applied.suppressed.len(), 1);
        assert_eq!(
            applied.suppressed[0].1.as_deref(),
            Some("proxy caps uploads")
        );
        assert!(applied.notices[0].contains("CVE-3 expired on 2020-01-01"));
        // Expiry day itself still applies.
        let mut v = vec![vuln("CVE-3", "Y", &a)];
        f.apply(&mut v, &[a], "2020-01-01");
        assert!(v.is_empty());
    }

    #[test]
    fn bad_files_are_clear_errors() {
        assert!(
            IgnoreFile::parse("- id: CVE-1\n  expires: tomorrow\n", "f")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(IgnoreFile::parse("- id: CVE-1\n  colour: red\n", "f").is_err());
        assert!(
            IgnoreFile::parse("- id: ''\n", "f")
                .unwrap_err()
                .contains("empty")
        );
        assert_eq!(
            IgnoreFile::parse("- id: CVE-1\n", "f")
                .unwrap()
                .entries
                .len(),
            1
        );
    }
}
