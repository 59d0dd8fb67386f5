//! The ignore file: accepted risks, each with an ID and optionally a package, a path, an expiry date
//! and a reason. An entry suppresses a finding when its `id` is the finding's ID or one of its
//! aliases, and its `package` (name, case-insensitive) and `path` (prefix of the finding's file, of
//! the package's database path or of one of its files) match when given. Expired entries stop
//! suppressing and say so.
//!
//! Two formats are read:
//! * Bulkhead's YAML (`.bulkheadignore`), with Trivy's `.trivyignore.yaml` keys accepted too
//!   (`expired_at`, `statement`, `paths`) and sections per finding kind:
//!   ```yaml
//!   vulnerabilities:
//!     - id: CVE-2023-46136
//!       package: werkzeug
//!       expires: 2027-01-31
//!       reason: upload size is capped by the proxy
//!   misconfigurations:
//!     - id: DL3008
//!   ```
//!   A bare list of entries is a `vulnerabilities` list.
//! * Trivy's plain `.trivyignore`: one ID per line, an optional ` exp:YYYY-MM-DD`, `#` comments.
//!
//! An entry whose id looks like no finding id (lower-case `cve-…`, spaces) is an error, so a typo
//! never silently stops suppressing.

use bulkhead_core::{Finding, FindingKind, Package};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why an ignore file was refused.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// The file could not be read.
    #[error("ignore file {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: bulkhead_core::input::InputError,
    },
    /// The file is not a valid ignore file.
    #[error("ignore file {origin}: {reason}")]
    Invalid { origin: String, reason: String },
}

/// One accepted risk.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    pub id: String,
    #[serde(default)]
    pub package: Option<String>,
    /// A path prefix (Bulkhead's key).
    #[serde(default)]
    pub path: Option<String>,
    /// Path prefixes (Trivy's `.trivyignore.yaml` key); any of them may match.
    #[serde(default)]
    pub paths: Vec<String>,
    /// `YYYY-MM-DD`; the entry applies up to and including that day (UTC).
    #[serde(default, alias = "expired_at")]
    pub expires: Option<String>,
    #[serde(default, alias = "statement")]
    pub reason: Option<String>,
    /// The finding kind the entry applies to (from its section).
    #[serde(skip)]
    pub kind: Option<FindingKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sections {
    #[serde(default)]
    vulnerabilities: Vec<IgnoreEntry>,
    #[serde(default)]
    misconfigurations: Vec<IgnoreEntry>,
    #[serde(default)]
    secrets: Vec<IgnoreEntry>,
    /// Trivy's licence section: Bulkhead reports no licence findings; entries are refused below.
    #[serde(default)]
    licenses: Vec<IgnoreEntry>,
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
    pub suppressed: Vec<(Finding, Option<String>)>,
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

/// Whether `id` has the shape of a finding id: no spaces, and the well-known prefixes written in
/// upper case as every database and rule set writes them (`CVE-`, `GHSA-`, `DL`, `PSS-`, …).
fn id_problem(id: &str) -> Option<String> {
    if id.trim().is_empty() {
        return Some("`id` is empty".into());
    }
    if id.chars().any(char::is_whitespace) {
        return Some(format!("id {id:?} contains spaces"));
    }
    let upper = id.to_ascii_uppercase();
    // (prefix, whether a digit must follow it for the id to be one of its kind)
    const PREFIXES: &[(&str, bool)] = &[
        ("CVE-", false),
        ("GHSA-", false),
        ("PYSEC-", false),
        ("GO-", true),
        ("RUSTSEC-", false),
        ("DSA-", false),
        ("DLA-", false),
        ("USN-", false),
        ("ALSA-", false),
        ("RLSA-", false),
        ("RHSA-", false),
        ("ELSA-", false),
        ("ALAS", true),
        ("OSV-", false),
        ("DL", true),
        ("SC", true),
        ("BH-", false),
        ("PSS-", false),
        ("KSV", true),
        ("CKV_", false),
        ("AVD-", false),
    ];
    for (prefix, digit) in PREFIXES {
        if upper.starts_with(prefix)
            && !id.starts_with(prefix)
            && (!digit || upper[prefix.len()..].starts_with(|c: char| c.is_ascii_digit()))
        {
            return Some(format!(
                "id {id:?} is not written as finding ids are (did you mean {upper:?}?); it would match nothing"
            ));
        }
    }
    None
}

impl IgnoreFile {
    /// Parse an ignore file's text, YAML or Trivy's plain format; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, IgnoreError> {
        let invalid = |reason: String| IgnoreError::Invalid {
            origin: origin.to_string(),
            reason,
        };
        let meaningful = || {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
        };
        if meaningful().next().is_none() {
            return Ok(IgnoreFile::default());
        }
        let plain = meaningful().all(|l| !l.contains(':') || l.contains(" exp:"))
            && meaningful().all(|l| !l.starts_with('-'));
        let entries = if plain {
            let mut entries = Vec::new();
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut words = line.split_whitespace();
                let id = words.next().unwrap_or_default().to_string();
                let mut expires = None;
                for w in words {
                    match w.strip_prefix("exp:") {
                        Some(d) => expires = Some(d.to_string()),
                        None if w.starts_with('#') => break,
                        None => {
                            return Err(invalid(format!(
                                "line {}: unexpected {w:?} after the id (the plain format is `ID [exp:YYYY-MM-DD]`)",
                                n + 1
                            )));
                        }
                    }
                }
                entries.push(IgnoreEntry {
                    id,
                    package: None,
                    path: None,
                    paths: Vec::new(),
                    expires,
                    reason: None,
                    kind: None,
                });
            }
            entries
        } else {
            let yaml_err = |e: serde_saphyr::Error| {
                invalid(format!(
                    "not a valid ignore file: {}; expected `vulnerabilities:`, `misconfigurations:` or `secrets:` lists of entries with `id` (and optional `package`, `path`, `expires`, `reason`), or one id per line",
                    crate::yaml_reason(&e)
                ))
            };
            // The document's shape decides how it is read (so errors speak of the right form).
            let list = text
                .lines()
                .map(str::trim_start)
                .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("---"))
                .is_some_and(|l| l.starts_with('-'));
            if list {
                serde_saphyr::from_str::<Vec<IgnoreEntry>>(text)
                    .map_err(yaml_err)?
                    .into_iter()
                    .map(|e| IgnoreEntry {
                        kind: Some(FindingKind::Vulnerability),
                        ..e
                    })
                    .collect()
            } else {
                let s: Sections = serde_saphyr::from_str(text).map_err(yaml_err)?;
                if let Some(e) = s.licenses.first() {
                    return Err(invalid(format!(
                        "licenses: entry {}: Bulkhead reports no licence findings, so licence entries would match nothing",
                        e.id
                    )));
                }
                let tag = |v: Vec<IgnoreEntry>, k: FindingKind| {
                    v.into_iter()
                        .map(move |e| IgnoreEntry { kind: Some(k), ..e })
                };
                tag(s.vulnerabilities, FindingKind::Vulnerability)
                    .chain(tag(s.misconfigurations, FindingKind::Misconfiguration))
                    .chain(tag(s.secrets, FindingKind::Secret))
                    .collect()
            }
        };
        for (i, e) in entries.iter().enumerate() {
            if let Some(p) = id_problem(&e.id) {
                return Err(invalid(format!("entry {}: {p}", i + 1)));
            }
            if let Some(d) = &e.expires
                && !valid_date(d)
            {
                return Err(invalid(format!(
                    "entry {} ({}): `expires` must be YYYY-MM-DD, got {d:?}",
                    i + 1,
                    e.id
                )));
            }
        }
        Ok(IgnoreFile { entries })
    }

    /// Read and parse a file (at most 16 MiB).
    pub fn load(path: &Path) -> Result<Self, IgnoreError> {
        let text =
            crate::read_bounded_text(path, 16 << 20).map_err(|source| IgnoreError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Remove suppressed findings from `findings`. `packages` are the target's packages (for path
    /// prefixes of their files); `today` is `YYYY-MM-DD` (UTC).
    pub fn apply(&self, findings: &mut Vec<Finding>, packages: &[Package], today: &str) -> Applied {
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
        let mut kept = Vec::with_capacity(findings.len());
        for v in findings.drain(..) {
            let pkg = v
                .package
                .as_ref()
                .and_then(|r| packages.iter().find(|p| p.key() == r.key));
            let path_matches = |prefix: &str| {
                let bare = prefix.trim_start_matches('/');
                v.location
                    .file
                    .as_deref()
                    .is_some_and(|f| f.trim_start_matches('/').starts_with(bare))
                    || pkg.is_some_and(|p| {
                        p.db_path.trim_start_matches('/').starts_with(bare)
                            || p.files
                                .iter()
                                .any(|f| f.trim_start_matches('/').starts_with(bare))
                    })
            };
            let hit = live.iter().find(|e| {
                e.kind.is_none_or(|k| k == v.kind)
                    && v.is_named(&e.id)
                    && e.package.as_deref().is_none_or(|n| {
                        v.package
                            .as_ref()
                            .is_some_and(|p| n.eq_ignore_ascii_case(&p.name))
                    })
                    && e.path.as_deref().is_none_or(path_matches)
                    && (e.paths.is_empty() || e.paths.iter().any(|p| path_matches(p)))
            });
            match hit {
                Some(e) => applied.suppressed.push((v, e.reason.clone())),
                None => kept.push(v),
            }
        }
        *findings = kept;
        applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_core::{PackageKind, PackageRef, Severity};

    fn vuln(id: &str, alias: &str, pkg: &Package) -> Finding {
        let mut f = Finding::new(FindingKind::Vulnerability, id, Severity::High, id, "m");
        f.aliases = vec![alias.into()];
        f.package = Some(PackageRef {
            key: pkg.key(),
            name: pkg.name.clone(),
            version: pkg.version.clone(),
            ..Default::default()
        });
        f
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

    fn err(text: &str) -> String {
        IgnoreFile::parse(text, "f").unwrap_err().to_string()
    }

    #[test]
    fn bad_files_are_clear_errors() {
        assert!(err("- id: CVE-1\n  expires: tomorrow\n").contains("YYYY-MM-DD"));
        let e = err("- id: CVE-1\n  colour: red\n");
        assert!(
            e.starts_with("ignore file f: not a valid ignore file"),
            "{e}"
        );
        assert!(!e.contains("from_str"), "{e}");
        assert!(err("- id: ''\n").contains("empty"));
        // A lower-case id would match nothing: refused, with the fix.
        let e = err("vulnerabilities:\n  - id: cve-2023-1\n");
        assert!(e.contains("did you mean \"CVE-2023-1\""), "{e}");
        assert!(err("dl3008\n").contains("DL3008"));
        // An unknown section is refused, not ignored.
        assert!(err("vulnerabilitys:\n  - id: CVE-1\n").contains("not a valid ignore file"));
        assert!(err("licenses:\n  - id: GPL-3.0\n").contains("licence"));
        assert_eq!(
            IgnoreFile::parse("- id: CVE-1\n", "f")
                .unwrap()
                .entries
                .len(),
            1
        );
    }

    #[test]
    fn trivy_formats() {
        // Plain .trivyignore: ids, comments, expiry.
        let f = IgnoreFile::parse(
            "# accepted\nCVE-2023-1\n\nGHSA-abcd-efgh-ijkl exp:2020-01-01\nDL3008 # pinned elsewhere\n",
            "t",
        )
        .unwrap();
        let ids: Vec<(&str, Option<&str>, Option<FindingKind>)> = f
            .entries
            .iter()
            .map(|e| (e.id.as_str(), e.expires.as_deref(), e.kind))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("CVE-2023-1", None, None),
                ("GHSA-abcd-efgh-ijkl", Some("2020-01-01"), None),
                ("DL3008", None, None)
            ]
        );
        assert!(err("CVE-1 later\n").contains("unexpected"));
        // .trivyignore.yaml keys, and a misconfiguration section applying only to misconfigurations.
        let f = IgnoreFile::parse(
            "vulnerabilities:\n  - id: CVE-9\n    expired_at: 2099-01-01\n    statement: why\n    paths: [usr/lib/]\nmisconfigurations:\n  - id: DL3008\n",
            "t",
        )
        .unwrap();
        assert_eq!(f.entries[0].reason.as_deref(), Some("why"));
        assert_eq!(f.entries[1].kind, Some(FindingKind::Misconfiguration));
        let mut dl = Finding::new(
            FindingKind::Misconfiguration,
            "DL3008",
            Severity::Low,
            "t",
            "m",
        );
        dl.location.file = Some("Dockerfile".into());
        let mut cve = Finding::new(FindingKind::Vulnerability, "CVE-9", Severity::Low, "t", "m");
        cve.location.file = Some("usr/lib/x/METADATA".into());
        let mut other = cve.clone();
        other.location.file = Some("opt/METADATA".into());
        let mut v = vec![dl, cve, other];
        let applied = f.apply(&mut v, &[], "2026-01-01");
        assert_eq!(applied.suppressed.len(), 2);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].location.file.as_deref(), Some("opt/METADATA"));
    }
}
