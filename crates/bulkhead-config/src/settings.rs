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
//! hadolint keys that only concern its own output (`format`, `no-color`, `verbose`) are accepted and
//! ignored; any other key is an error naming the file and the key.
//!
//! Nothing is silently not applied: every rule id (in `ignored`, `override`, `severity`) must name a
//! rule or an alias of one exactly as findings carry it (`dl3008` is an error that suggests
//! `DL3008`); hadolint rules Bulkhead does not report and ShellCheck codes are accepted with a
//! notice (they have nothing to ignore). Severities and levels are typed, trusted registries must be
//! registry hosts, label formats hadolint's.

use crate::error::{SettingsError, YamlError};
use crate::rules::{self, Named};
use bulkhead_core::{Finding, FindingKind, Severity};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest settings file read (1 MiB; fixed: a settings file is a few lines).
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;

/// The settings files looked for in a directory, in order.
pub const FILE_NAMES: &[&str] = &[
    ".bulkhead.yaml",
    ".bulkhead.yml",
    ".hadolint.yaml",
    ".hadolint.yml",
];

/// A label format of hadolint's `label-schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelFormat {
    Text,
    Url,
    Semver,
    Hash,
    Rfc3339,
    Spdx,
    Email,
}

impl LabelFormat {
    /// The names hadolint accepts.
    pub const NAMES: &'static [&'static str] =
        &["text", "url", "semver", "hash", "rfc3339", "spdx", "email"];

    fn parse(s: &str) -> Option<LabelFormat> {
        Some(match s {
            "text" => LabelFormat::Text,
            "url" => LabelFormat::Url,
            "semver" => LabelFormat::Semver,
            "hash" => LabelFormat::Hash,
            "rfc3339" => LabelFormat::Rfc3339,
            "spdx" => LabelFormat::Spdx,
            "email" => LabelFormat::Email,
            _ => return None,
        })
    }
}

/// Settings shared by every `bulkhead config` check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Rule ids whose findings are dropped. An id matches a finding's `id` or one of its `aliases`
    /// (ignoring `DL3002` also silences `BH-DF-001`, which reports the same root USER).
    pub ignored: Vec<String>,
    /// Rule id (or alias) → severity to report instead of the rule's default. A finding takes the
    /// override of its own id first, else of its first alias that has one.
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
    /// Label name → expected format, as hadolint's `label-schema`.
    pub label_schema: BTreeMap<String, LabelFormat>,
    /// Report labels that are not in `label_schema`.
    pub strict_labels: bool,
    /// The file the settings were read from (named in `Report::suppressed`).
    pub origin: Option<String>,
    /// Entries accepted without effect (a hadolint rule Bulkhead does not report, a ShellCheck
    /// code), each naming the file and the entry: the caller shows them as warnings.
    pub notices: Vec<String>,
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

const KEYS: &str = "ignored, override, severity, trustedRegistries, failure-threshold, no-fail, disable-ignore-pragma, label-schema, strict-labels";

impl Settings {
    /// Read `.bulkhead.yaml` (or a hadolint-style file) at `path`: a regular file of at most
    /// [`MAX_SETTINGS_BYTES`] (a FIFO or a device such as `/dev/zero` is refused at once), UTF-8
    /// (an invalid byte is an error naming its place: settings are not guessed).
    pub fn load(path: impl AsRef<Path>) -> Result<Settings, SettingsError> {
        use bulkhead_core::input::{InputError, read_regular_text};
        let path = path.as_ref();
        let text = read_regular_text(path, MAX_SETTINGS_BYTES, "fixed").map_err(|e| match e {
            InputError::NotRegular { path, what, .. } => SettingsError::NotRegular { path, what },
            InputError::TooLarge { path, limit, .. } => SettingsError::TooLarge { path, limit },
            InputError::Io { path, source } => SettingsError::Read { path, source },
        })?;
        Settings::parse(&text, &path.display().to_string())
    }

    /// The settings file of a directory ([`FILE_NAMES`], first found), loaded. A name that is
    /// there but not a regular file (a FIFO, a directory, a dangling link) is an error, not
    /// skipped: settings never silently fail to apply.
    pub fn discover(dir: &Path) -> Result<Option<(PathBuf, Settings)>, SettingsError> {
        for name in FILE_NAMES {
            let p = if dir == Path::new(".") {
                PathBuf::from(name)
            } else {
                dir.join(name)
            };
            if p.symlink_metadata().is_ok() {
                let s = Settings::load(&p)?;
                return Ok(Some((p, s)));
            }
        }
        Ok(None)
    }

    /// Parse settings from YAML text; `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Settings, SettingsError> {
        let empty = Settings {
            origin: Some(origin.to_string()),
            ..Settings::default()
        };
        if text.trim().is_empty() {
            return Ok(empty);
        }
        let value: Value = serde_saphyr::from_str(text).map_err(|e| SettingsError::Syntax {
            file: origin.to_string(),
            error: YamlError::from_saphyr(&e, text),
        })?;
        let map = match value {
            Value::Null => return Ok(empty),
            Value::Object(m) => m,
            other => {
                return Err(SettingsError::Invalid {
                    file: origin.to_string(),
                    key: "(top level)".into(),
                    message: format!(
                        "expected a mapping of settings ({KEYS}), got {}",
                        kind_of(&other)
                    ),
                });
            }
        };
        let mut s = empty;
        for (key, v) in &map {
            let err = |message: String| SettingsError::Invalid {
                file: origin.to_string(),
                key: key.clone(),
                message,
            };
            match key.as_str() {
                "ignored" | "ignore" => {
                    for id in string_list(v).map_err(err)? {
                        s.check_rule_id(&id, origin, key)?;
                        s.ignored.push(id);
                    }
                }
                "override" => {
                    let Value::Object(levels) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err(format!(
                            "expected a mapping of error/warning/info/style to rule lists, got {}",
                            kind_of(v)
                        )));
                    };
                    for (level, ids) in levels {
                        let sev = hadolint_level(level).ok_or_else(|| {
                            err(format!(
                                "unknown level `{level}` (valid: error, warning, info, style)"
                            ))
                        })?;
                        let key = format!("{key}.{level}");
                        for id in string_list(ids).map_err(|m| SettingsError::Invalid {
                            file: origin.to_string(),
                            key: key.clone(),
                            message: m,
                        })? {
                            s.check_rule_id(&id, origin, &key)?;
                            s.overrides.insert(id, sev);
                        }
                    }
                }
                "severity" | "severities" => {
                    let Value::Object(m) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err(format!(
                            "expected a mapping of rule id to severity, got {}",
                            kind_of(v)
                        )));
                    };
                    for (id, sev) in m {
                        let name = sev.as_str().ok_or_else(|| {
                            err(format!(
                                "{id}: expected a severity name, got {}",
                                kind_of(sev)
                            ))
                        })?;
                        let sev = name
                            .parse::<Severity>()
                            .ok()
                            .or_else(|| hadolint_level(name))
                            .ok_or_else(|| {
                                err(format!(
                                    "{id}: unknown severity `{name}` (valid: {} or a hadolint level: error, warning, info, style)",
                                    Severity::NAMES.join(", ")
                                ))
                            })?;
                        s.check_rule_id(id, origin, key)?;
                        s.overrides.insert(id.clone(), sev);
                    }
                }
                "trustedRegistries" | "trusted-registries" | "trusted_registries" => {
                    for r in string_list(v).map_err(err)? {
                        s.trusted_registries
                            .push(registry_host(&r).map_err(|m| err(format!("{r:?}: {m}")))?);
                    }
                }
                "failure-threshold" | "failure_threshold" | "failureThreshold" => {
                    let name = v
                        .as_str()
                        .ok_or_else(|| err(format!("expected a level name, got {}", kind_of(v))))?;
                    s.failure_threshold = match name.to_ascii_lowercase().as_str() {
                        "none" | "ignore" => {
                            s.no_fail = true;
                            None
                        }
                        _ => Some(
                            hadolint_level(name)
                                .or_else(|| name.parse::<Severity>().ok())
                                .ok_or_else(|| {
                                    err(format!(
                                        "unknown level `{name}` (valid: error, warning, info, style, none, or a severity: {})",
                                        Severity::NAMES.join(", ")
                                    ))
                                })?,
                        ),
                    };
                }
                "disable-ignore-pragma" | "disable_ignore_pragma" => {
                    s.disable_ignore_pragma = boolean(v).map_err(err)?
                }
                "strict-labels" | "strict_labels" => s.strict_labels = boolean(v).map_err(err)?,
                "label-schema" | "label_schema" => {
                    let Value::Object(m) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err(format!(
                            "expected a mapping of label name to format, got {}",
                            kind_of(v)
                        )));
                    };
                    for (label, fmt) in m {
                        let f = fmt.as_str().ok_or_else(|| {
                            err(format!(
                                "{label}: expected a format name, got {}",
                                kind_of(fmt)
                            ))
                        })?;
                        let f = LabelFormat::parse(f).ok_or_else(|| {
                            err(format!(
                                "{label}: unknown label format `{f}` (valid: {})",
                                LabelFormat::NAMES.join(", ")
                            ))
                        })?;
                        s.label_schema.insert(label.clone(), f);
                    }
                }
                "no-fail" | "no_fail" => s.no_fail = boolean(v).map_err(err)?,
                // hadolint output options: meaningless for Bulkhead, accepted for compatibility
                "format" | "no-color" | "verbose" | "require-labels" => {}
                _ => {
                    return Err(err(format!("unknown key (valid: {KEYS})")));
                }
            }
        }
        Ok(s)
    }

    /// Refuse an id that names no rule; record a notice for one that names a rule never reported.
    fn check_rule_id(&mut self, id: &str, origin: &str, key: &str) -> Result<(), SettingsError> {
        match rules::lookup(id) {
            Named::Rule(_) | Named::Alias(_) => Ok(()),
            Named::NotReported(why) => {
                self.notices.push(format!("{origin}: `{key}`: {why}"));
                Ok(())
            }
            Named::Unknown { suggestion } => Err(SettingsError::Invalid {
                file: origin.to_string(),
                key: key.to_string(),
                message: match suggestion {
                    Some(s) => format!(
                        "{id:?} is not a rule id: did you mean {s}? (ids are written exactly as findings carry them; `bulkhead config --list-rules` lists every rule)"
                    ),
                    None => format!(
                        "{id:?} is not a rule id or an alias of one (`bulkhead config --list-rules` lists every rule and its aliases)"
                    ),
                },
            }),
        }
    }

    /// Whether `finding` is ignored (its rule id or one of its aliases is in `ignored`).
    pub fn is_ignored(&self, finding: &Finding) -> bool {
        self.ignored.iter().any(|id| finding.is_named(id))
    }

    /// The severity override for a finding: its id's, else its first alias's.
    pub fn override_for(&self, finding: &Finding) -> Option<Severity> {
        self.overrides
            .get(&finding.id)
            .or_else(|| finding.aliases.iter().find_map(|a| self.overrides.get(a)))
            .copied()
    }

    /// Drop ignored findings and apply severity overrides.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.is_ignored(f));
        if self.overrides.is_empty() {
            return;
        }
        for f in findings.iter_mut() {
            if let Some(s) = self.override_for(f) {
                f.severity = s;
            }
        }
    }

    /// Whether a finding makes the run fail (with `--exit-code`): never with `no_fail`; an input
    /// error always (a file that was not checked never passes); otherwise at or above the
    /// `failure-threshold`, or any finding without one.
    pub fn fails(&self, finding: &Finding) -> bool {
        if self.no_fail {
            return false;
        }
        finding.kind == FindingKind::InputError
            || self.failure_threshold.is_none_or(|t| finding.severity >= t)
    }
}

/// A registry host as FROM references name it: `docker.io`, `my.com:5000`, `*.gcr.io`; lower case.
fn registry_host(entry: &str) -> Result<String, String> {
    let t = entry.trim();
    if t.is_empty() {
        return Err("empty registry".into());
    }
    if let Some((scheme, rest)) = t.split_once("://") {
        return Err(format!(
            "write the registry host without the {scheme}:// scheme (e.g. {})",
            rest.split('/').next().unwrap_or(rest)
        ));
    }
    if let Some((host, _)) = t.split_once('/') {
        return Err(format!(
            "trustedRegistries takes registry hosts, not repositories (e.g. {host})"
        ));
    }
    let host = t.strip_prefix("*.").unwrap_or(t);
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if !name_ok || !port_ok {
        return Err(
            "not a registry host (valid forms: docker.io, *.gcr.io, my-company.com:5000)".into(),
        );
    }
    Ok(t.to_ascii_lowercase())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
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
                other => Err(format!("expected strings, got {}: {other}", kind_of(other))),
            })
            .collect(),
        other => Err(format!(
            "expected a string or a list of strings, got {}",
            kind_of(other)
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
        let mut f = Finding::new(
            FindingKind::Misconfiguration,
            id,
            Severity::Medium,
            "t",
            "m",
        );
        f.aliases = aliases.iter().map(|s| s.to_string()).collect();
        f
    }

    #[test]
    fn parses_hadolint_and_bulkhead_keys() {
        let s = Settings::parse(
            "ignored: [DL3008, SC2086]\noverride:\n  error: [DL3015]\n  info: [DL3059]\n  style: [DL3048]\nseverity: {DL3007: high, BH-DF-004: MEDIUM}\ntrustedRegistries: Docker.io\nfailure-threshold: warning\ndisable-ignore-pragma: true\nlabel-schema: {author: text}\nstrict-labels: true\nno-color: true\n",
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
        assert_eq!(s.label_schema["author"], LabelFormat::Text);
        assert_eq!(s.notices.len(), 1, "{:?}", s.notices);
        assert!(
            s.notices[0].contains(".bulkhead.yaml") && s.notices[0].contains("SC2086"),
            "{:?}",
            s.notices
        );
    }

    #[test]
    fn empty_and_none_threshold() {
        let with_origin = Settings {
            origin: Some("x".into()),
            ..Settings::default()
        };
        assert_eq!(Settings::parse("", "x").unwrap(), with_origin);
        assert_eq!(
            Settings::parse("# only a comment\n", "x").unwrap(),
            with_origin
        );
        let s = Settings::parse("failure-threshold: none\n", "x").unwrap();
        assert_eq!((s.failure_threshold, s.no_fail), (None, true));
        assert!(Settings::parse("no-fail: true\n", "x").unwrap().no_fail);
        let s = Settings::parse("failure-threshold: error\n", "x").unwrap();
        assert_eq!(s.failure_threshold, Some(Severity::High));
        let s = Settings::parse("failure-threshold: CRITICAL\n", "x").unwrap();
        assert_eq!(s.failure_threshold, Some(Severity::Critical));
    }

    #[test]
    fn errors_name_file_and_key() {
        let msg = |y: &str| Settings::parse(y, "f.yaml").unwrap_err().to_string();
        let e = msg("failure-threshold: loud\n");
        assert!(
            e.starts_with("f.yaml: `failure-threshold`: unknown level `loud`"),
            "{e}"
        );
        let e = msg("override: {fatal: [DL3000]}\n");
        assert!(e.contains("`override`") && e.contains("fatal"), "{e}");
        let e = msg("ignored: {a: 1}\n");
        assert!(
            e.contains("`ignored`") && e.contains("got a mapping"),
            "{e}"
        );
        let e = msg("severity: {DL3000: loud}\n");
        assert!(e.contains("DL3000") && e.contains("loud"), "{e}");
        let e = msg("disable-ignore-pragma: maybe\n");
        assert!(e.contains("disable-ignore-pragma"), "{e}");
        let e = msg("colour: red\n");
        assert!(e.starts_with("f.yaml: `colour`: unknown key"), "{e}");
        let e = msg("- a\n- b\n");
        assert!(
            e.contains("f.yaml") && e.contains("expected a mapping"),
            "{e}"
        );
        let e = msg("a: [1\n");
        assert!(e.starts_with("f.yaml: not valid YAML: line 1"), "{e}");
        assert!(!e.contains("from_str"), "no parser internals: {e}");
        let e = msg("label-schema: {author: emial}\n");
        assert!(e.contains("unknown label format `emial`"), "{e}");
    }

    #[test]
    fn rule_ids_are_checked() {
        let msg = |y: &str| {
            Settings::parse(y, ".hadolint.yaml")
                .unwrap_err()
                .to_string()
        };
        let e = msg("ignored: [dl3008]\n");
        assert_eq!(
            e,
            ".hadolint.yaml: `ignored`: \"dl3008\" is not a rule id: did you mean DL3008? (ids are written exactly as findings carry them; `bulkhead config --list-rules` lists every rule)"
        );
        let e = msg("ignored: [privileged]\n");
        assert!(e.contains("did you mean PSS-privileged?"), "{e}");
        let e = msg("override: {error: [DL9999X]}\n");
        assert!(
            e.contains("`override.error`") && e.contains("DL9999X"),
            "{e}"
        );
        let e = msg("severity: {bh-k8s-001: HIGH}\n");
        assert!(e.contains("did you mean BH-K8S-001?"), "{e}");
        // Aliases are rule names too.
        let s = Settings::parse("ignored: [KSV017, CKV_K8S_43, DL1000]\n", "x").unwrap();
        assert_eq!(s.ignored.len(), 3);
        assert!(s.notices.is_empty());
        let s = Settings::parse("ignored: [DL3049]\n", "x").unwrap();
        assert!(s.notices[0].contains("DL3049"), "{:?}", s.notices);
    }

    #[test]
    fn trusted_registries_must_be_hosts() {
        let msg = |y: &str| Settings::parse(y, "f").unwrap_err().to_string();
        assert!(
            msg("trustedRegistries: [https://quay.io]\n")
                .contains("without the https:// scheme (e.g. quay.io)")
        );
        assert!(
            msg("trustedRegistries: [quay.io/org]\n").contains("not repositories (e.g. quay.io)")
        );
        assert!(msg("trustedRegistries: [\"my reg\"]\n").contains("not a registry host"));
        let s = Settings::parse(
            "trustedRegistries: [\"*.gcr.io\", \"my.com:5000\", localhost]\n",
            "f",
        )
        .unwrap();
        assert_eq!(
            s.trusted_registries,
            ["*.gcr.io", "my.com:5000", "localhost"]
        );
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".bulkhead.yaml");
        std::fs::write(&p, "ignored: [DL3006]\n").unwrap();
        assert_eq!(Settings::load(&p).unwrap().ignored, ["DL3006"]);
        let e = Settings::load(dir.path().join("missing.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing.yaml")
                && e.ends_with("cannot read the settings file: no such file or directory"),
            "{e}"
        );
        let (found, s) = Settings::discover(dir.path()).unwrap().unwrap();
        assert_eq!(found, p);
        assert_eq!(s.ignored, ["DL3006"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(Settings::discover(empty.path()).unwrap().is_none());
    }

    #[test]
    fn apply_drops_and_overrides() {
        let s = Settings {
            ignored: vec!["DL3002".into(), "DL3008".into()],
            overrides: [
                ("DL3015".to_string(), Severity::High),
                ("KSV017".to_string(), Severity::Critical),
            ]
            .into(),
            ..Default::default()
        };
        let mut v = vec![
            finding("DL3008", &[]),
            finding("BH-DF-001", &["DL3002", "DS-0002"]),
            finding("DL3015", &[]),
            finding("PSS-privileged", &["KSV017"]),
        ];
        s.apply(&mut v);
        let ids: Vec<_> = v.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["DL3015", "PSS-privileged"]);
        assert_eq!(v[0].severity, Severity::High);
        assert_eq!(v[1].severity, Severity::Critical, "override by alias");
    }

    #[test]
    fn input_errors_always_fail_the_gate() {
        let s = Settings {
            failure_threshold: Some(Severity::Critical),
            ..Default::default()
        };
        assert!(!s.fails(&finding("DL3008", &[])));
        assert!(s.fails(&Finding::input_error("x.yaml", Some(1), "bad")));
        let quiet = Settings {
            no_fail: true,
            ..Default::default()
        };
        assert!(!quiet.fails(&Finding::input_error("x.yaml", Some(1), "bad")));
    }
}
