//! Shared settings of `bulkhead config` (`.bulkhead.yaml`): ignored rules, severity overrides,
//! trusted registries, the failure threshold and label rules. The keys of hadolint's configuration
//! file (`.hadolint.yaml`) are accepted with the same meaning, so an existing hadolint file can be
//! renamed and reused:
//!
//! ```yaml
//! ignored: [DL3008, BH-DF-004]
//! override:                 # hadolint levels: error→HIGH, warning→MEDIUM, info→LOW, style→LOW
//!   error: [DL3015]
//!   info: [DL3059]
//! severity: {DL3007: HIGH}  # Bulkhead severities (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)
//! trustedRegistries: [docker.io, "*.gcr.io", my-company.com:5000]
//! failure-threshold: warning   # error|warning|info|style|none (or a Bulkhead severity)
//! disable-ignore-pragma: false
//! label-schema: {maintainer: text}
//! strict-labels: false
//! ```
//!
//! hadolint keys that only concern its own output (`format`, `no-color`, `no-fail`, `verbose`) are
//! accepted and ignored; any other key is an error naming the file and the key.

use bulkhead_core::{Finding, Severity};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Settings shared by every `bulkhead config` check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Rule IDs whose findings are dropped. An ID matches a finding's `rule_id` or one of its
    /// `aliases` (ignoring `DL3002` also silences `BH-DF-001`, which reports the same root USER).
    pub ignored: Vec<String>,
    /// Rule ID (exact `rule_id`) → severity to report instead of the rule's default.
    pub overrides: BTreeMap<String, Severity>,
    /// Registries allowed in FROM (`docker.io`, `*.gcr.io`, `my-company.com:5000`); empty = any.
    pub trusted_registries: Vec<String>,
    /// Findings at or above this severity make the run fail; `None` when the file does not say.
    /// (`failure-threshold: none`/`ignore` and hadolint's `no-fail: true` set [`Settings::no_fail`].)
    pub failure_threshold: Option<Severity>,
    /// Never fail the run (`failure-threshold: none`, `no-fail: true`): findings are reported but
    /// `--exit-code` is not used.
    pub no_fail: bool,
    /// Ignore `# hadolint ignore=…` / `# bulkhead ignore=…` pragmas.
    pub disable_ignore_pragma: bool,
    /// Label name → expected format (`text`, `url`, `semver`, …), as hadolint's `label-schema`.
    pub label_schema: BTreeMap<String, String>,
    /// Report labels that are not in `label_schema`.
    pub strict_labels: bool,
}

/// hadolint level name → Bulkhead severity.
pub fn hadolint_level(name: &str) -> Option<Severity> {
    match name.to_ascii_lowercase().as_str() {
        "error" => Some(Severity::High),
        "warning" => Some(Severity::Medium),
        "info" | "style" => Some(Severity::Low),
        _ => None,
    }
}

fn severity_name(name: &str) -> Option<Severity> {
    match name.to_ascii_uppercase().as_str() {
        "UNKNOWN" => Some(Severity::Unknown),
        "LOW" => Some(Severity::Low),
        "MEDIUM" => Some(Severity::Medium),
        "HIGH" => Some(Severity::High),
        "CRITICAL" => Some(Severity::Critical),
        _ => None,
    }
}

impl Settings {
    /// Read `.bulkhead.yaml` (or a hadolint-style file) at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Settings, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Settings::parse(&text, &path.display().to_string())
    }

    /// Parse settings from YAML text; `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Settings, String> {
        if text.trim().is_empty() {
            return Ok(Settings::default());
        }
        let value: Value =
            serde_saphyr::from_str(text).map_err(|e| format!("{origin}: invalid YAML: {e}"))?;
        let map = match value {
            Value::Null => return Ok(Settings::default()),
            Value::Object(m) => m,
            _ => {
                return Err(format!(
                    "{origin}: expected a mapping of settings at the top level"
                ));
            }
        };
        let mut s = Settings::default();
        for (key, v) in &map {
            let err = |what: &str| format!("{origin}: `{key}`: {what}");
            match key.as_str() {
                "ignored" | "ignore" => s.ignored = string_list(v).map_err(|e| err(&e))?,
                "override" => {
                    let Value::Object(levels) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err(
                            "expected a mapping of error/warning/info/style to rule lists",
                        ));
                    };
                    for (level, ids) in levels {
                        let sev = hadolint_level(level).ok_or_else(|| {
                            err(&format!(
                                "unknown level `{level}` (expected error, warning, info or style)"
                            ))
                        })?;
                        for id in string_list(ids).map_err(|e| err(&format!("{level}: {e}")))? {
                            s.overrides.insert(id, sev);
                        }
                    }
                }
                "severity" | "severities" => {
                    let Value::Object(m) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err("expected a mapping of rule ID to severity"));
                    };
                    for (id, sev) in m {
                        let name = sev.as_str().ok_or_else(|| {
                            err(&format!("{id}: expected a severity name, got {sev}"))
                        })?;
                        let sev = severity_name(name)
                            .or_else(|| hadolint_level(name))
                            .ok_or_else(|| {
                                err(&format!(
                                    "{id}: unknown severity `{name}` (expected LOW, MEDIUM, HIGH, CRITICAL or a hadolint level)"
                                ))
                            })?;
                        s.overrides.insert(id.clone(), sev);
                    }
                }
                "trustedRegistries" | "trusted-registries" | "trusted_registries" => {
                    s.trusted_registries = string_list(v).map_err(|e| err(&e))?
                }
                "failure-threshold" | "failure_threshold" | "failureThreshold" => {
                    let name = v
                        .as_str()
                        .ok_or_else(|| err(&format!("expected a level name, got {v}")))?;
                    s.failure_threshold = match name.to_ascii_lowercase().as_str() {
                        "none" | "ignore" => {
                            s.no_fail = true;
                            None
                        }
                        _ => Some(hadolint_level(name).or_else(|| severity_name(name)).ok_or_else(
                            || {
                                err(&format!(
                                    "unknown level `{name}` (expected error, warning, info, style, none or a severity)"
                                ))
                            },
                        )?),
                    };
                }
                "disable-ignore-pragma" | "disable_ignore_pragma" => {
                    s.disable_ignore_pragma = boolean(v).map_err(|e| err(&e))?
                }
                "strict-labels" | "strict_labels" => {
                    s.strict_labels = boolean(v).map_err(|e| err(&e))?
                }
                "label-schema" | "label_schema" => {
                    let Value::Object(m) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err("expected a mapping of label name to format"));
                    };
                    for (label, fmt) in m {
                        let f = fmt.as_str().ok_or_else(|| {
                            err(&format!("{label}: expected a format name, got {fmt}"))
                        })?;
                        s.label_schema.insert(label.clone(), f.to_string());
                    }
                }
                "no-fail" | "no_fail" => s.no_fail = boolean(v).map_err(|e| err(&e))?,
                // hadolint output options: meaningless for Bulkhead, accepted for compatibility
                "format" | "no-color" | "verbose" | "require-labels" => {}
                _ => {
                    return Err(format!(
                        "{origin}: unknown key `{key}` (expected ignored, override, severity, trustedRegistries, failure-threshold, disable-ignore-pragma, label-schema or strict-labels)"
                    ));
                }
            }
        }
        Ok(s)
    }

    /// Whether `finding` is ignored (its rule ID or one of its aliases is in `ignored`).
    pub fn is_ignored(&self, finding: &Finding) -> bool {
        self.ignored
            .iter()
            .any(|id| *id == finding.rule_id || finding.aliases.iter().any(|a| a == id))
    }

    /// Drop ignored findings and apply severity overrides (by `rule_id`).
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.is_ignored(f));
        if self.overrides.is_empty() {
            return;
        }
        for f in findings.iter_mut() {
            if let Some(s) = self.overrides.get(&f.rule_id) {
                f.severity = *s;
            }
        }
    }
}

fn string_list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.trim().to_string()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.trim().to_string()),
                other => Err(format!("expected strings, got {other}")),
            })
            .collect(),
        other => Err(format!(
            "expected a string or a list of strings, got {other}"
        )),
    }
}

fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(format!("expected true or false, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, aliases: &[&str]) -> Finding {
        Finding {
            rule_id: id.into(),
            severity: Severity::Medium,
            title: String::new(),
            message: String::new(),
            file: "Dockerfile".into(),
            line: 1,
            object: None,
            path: None,
            remediation: None,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn parses_hadolint_and_bulkhead_keys() {
        let s = Settings::parse(
            "ignored: [DL3008, SC2086]\noverride:\n  error: [DL3015]\n  info: [DL3059]\n  style: [DL3048]\nseverity: {DL3007: high, BH-DF-004: MEDIUM}\ntrustedRegistries: docker.io\nfailure-threshold: warning\ndisable-ignore-pragma: true\nlabel-schema: {author: text}\nstrict-labels: true\nno-color: true\n",
            ".bulkhead.yaml",
        )
        .unwrap();
        assert_eq!(s.ignored, ["DL3008", "SC2086"]);
        assert_eq!(s.overrides["DL3015"], Severity::High);
        assert_eq!(s.overrides["DL3059"], Severity::Low);
        assert_eq!(s.overrides["DL3048"], Severity::Low);
        assert_eq!(s.overrides["DL3007"], Severity::High);
        assert_eq!(s.overrides["BH-DF-004"], Severity::Medium);
        assert_eq!(s.trusted_registries, ["docker.io"]);
        assert_eq!(s.failure_threshold, Some(Severity::Medium));
        assert!(s.disable_ignore_pragma && s.strict_labels);
        assert_eq!(s.label_schema["author"], "text");
    }

    #[test]
    fn empty_and_none_threshold() {
        assert_eq!(Settings::parse("", "x").unwrap(), Settings::default());
        assert_eq!(
            Settings::parse("# only a comment\n", "x").unwrap(),
            Settings::default()
        );
        let s = Settings::parse("failure-threshold: none\n", "x").unwrap();
        assert_eq!((s.failure_threshold, s.no_fail), (None, true));
        assert!(Settings::parse("no-fail: true\n", "x").unwrap().no_fail);
        let s = Settings::parse("failure-threshold: error\n", "x").unwrap();
        assert_eq!(s.failure_threshold, Some(Severity::High));
    }

    #[test]
    fn errors_name_file_and_key() {
        let e = Settings::parse("failure-threshold: loud\n", ".bulkhead.yaml").unwrap_err();
        assert!(
            e.contains(".bulkhead.yaml") && e.contains("failure-threshold"),
            "{e}"
        );
        let e = Settings::parse("override: {fatal: [DL3000]}\n", "f.yaml").unwrap_err();
        assert!(
            e.contains("f.yaml") && e.contains("override") && e.contains("fatal"),
            "{e}"
        );
        let e = Settings::parse("ignored: {a: 1}\n", "f.yaml").unwrap_err();
        assert!(e.contains("`ignored`"), "{e}");
        let e = Settings::parse("severity: {DL3000: loud}\n", "f.yaml").unwrap_err();
        assert!(e.contains("DL3000") && e.contains("loud"), "{e}");
        let e = Settings::parse("disable-ignore-pragma: maybe\n", "f.yaml").unwrap_err();
        assert!(e.contains("disable-ignore-pragma"), "{e}");
        let e = Settings::parse("colour: red\n", "f.yaml").unwrap_err();
        assert!(e.contains("unknown key `colour`"), "{e}");
        let e = Settings::parse("- a\n- b\n", "f.yaml").unwrap_err();
        assert!(e.contains("f.yaml"), "{e}");
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".bulkhead.yaml");
        std::fs::write(&p, "ignored: [DL3006]\n").unwrap();
        assert_eq!(Settings::load(&p).unwrap().ignored, ["DL3006"]);
        let e = Settings::load(dir.path().join("missing.yaml")).unwrap_err();
        assert!(e.contains("missing.yaml"), "{e}");
    }

    #[test]
    fn apply_drops_and_overrides() {
        let s = Settings {
            ignored: vec!["DL3002".into(), "DL3008".into()],
            overrides: [("DL3015".to_string(), Severity::High)].into(),
            ..Default::default()
        };
        let mut v = vec![
            finding("DL3008", &[]),
            finding("BH-DF-001", &["DL3002", "DS-0002"]),
            finding("DL3015", &[]),
            finding("PSS-privileged", &["KSV017"]),
        ];
        s.apply(&mut v);
        let ids: Vec<_> = v.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["DL3015", "PSS-privileged"]);
        assert_eq!(v[0].severity, Severity::High);
        assert_eq!(v[1].severity, Severity::Medium);
    }
}
