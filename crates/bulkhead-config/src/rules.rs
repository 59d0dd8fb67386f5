//! Every `bulkhead config` rule in one list: the input-error rule, the Pod Security Standards
//! checks, the best-practice rules and the Dockerfile rules. Each rule is written once, in the table
//! of its family (the PSS check registry in [`crate::pss`], [`crate::practice::RULES`],
//! [`crate::dockerfile::RULES`]) with its id, severity, title, fix and the peer ids it answers to;
//! findings, `--list-rules` and the validation of settings all read it from there.

use crate::{dockerfile, practice, pss};
use bulkhead_core::{PARSE_RULE_ID, Severity};
use std::sync::OnceLock;

/// Which family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A file that could not be read or parsed ([`PARSE_RULE_ID`]).
    Input,
    /// A Pod Security Standards check: PSA's check id, its level, the first version running it.
    Pss {
        check: &'static str,
        level: pss::Level,
        since: u32,
    },
    /// A best-practice rule for pod specs (`BH-K8S-*`).
    BestPractice,
    /// A Dockerfile rule: hadolint's (`DL*`, with hadolint's level) or Bulkhead's (`BH-DF-*`).
    Dockerfile { level: dockerfile::Level },
}

/// One rule as every consumer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    /// Default severity (settings may override it).
    pub severity: Severity,
    pub title: &'static str,
    pub remediation: &'static str,
    /// The same rule's ids in other tools (hadolint, Checkov, Trivy): an alias names the rule in
    /// `ignored:`, severity overrides and exemption annotations.
    pub aliases: &'static [&'static str],
    pub family: Family,
}

/// The severity of a PSS finding: HIGH for baseline checks, MEDIUM for restricted ones.
pub fn pss_severity(level: pss::Level) -> Severity {
    match level {
        pss::Level::Restricted => Severity::Medium,
        _ => Severity::High,
    }
}

/// The rule of [`PARSE_RULE_ID`] (its title and fix are those of `Finding::input_error`; hadolint
/// calls a Dockerfile that does not parse `DL1000`).
pub const PARSE: Rule = Rule {
    id: PARSE_RULE_ID,
    severity: Severity::High,
    title: "Input could not be parsed",
    remediation: "Fix the syntax (or remove the file from the paths checked): a file that cannot be parsed is not checked.",
    aliases: &["DL1000"],
    family: Family::Input,
};

/// Id of [`ENCODING`].
pub const ENCODING_RULE_ID: &str = "BH-ENCODING";

/// Text that is not valid in its encoding: the invalid bytes were read as U+FFFD (as kubectl and
/// BuildKit read them) and the file was checked; the finding says where.
pub const ENCODING: Rule = Rule {
    id: ENCODING_RULE_ID,
    severity: Severity::Low,
    title: "Text is not valid UTF-8",
    remediation: "Save the file as UTF-8. The invalid bytes were read as U+FFFD and every object was checked; names or values holding them may not be what the cluster or the builder sees.",
    aliases: &[],
    family: Family::Input,
};

/// Every rule, in listing order: input, PSS (baseline, then restricted), best practice, Dockerfile.
pub fn all() -> &'static [Rule] {
    static ALL: OnceLock<Vec<Rule>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v = vec![PARSE, ENCODING];
        v.extend(pss::all_checks().map(|c| Rule {
            id: c.rule,
            severity: pss_severity(c.level),
            title: c.title,
            remediation: c.remediation,
            aliases: c.aliases,
            family: Family::Pss {
                check: c.id,
                level: c.level,
                since: c.since,
            },
        }));
        v.extend(practice::RULES.iter().map(|r| Rule {
            id: r.id,
            severity: r.severity,
            title: r.title,
            remediation: r.remediation,
            aliases: r.aliases,
            family: Family::BestPractice,
        }));
        v.extend(dockerfile::RULES.iter().map(|r| Rule {
            id: r.id,
            severity: r.default_severity(),
            title: r.title,
            remediation: r.remediation,
            aliases: r.aliases,
            family: Family::Dockerfile { level: r.level },
        }));
        v
    })
}

/// The rule with this exact id.
pub fn get(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.id == id)
}

/// hadolint rules Bulkhead does not report, with why: naming one in settings is accepted (a copied
/// `.hadolint.yaml` keeps working) and has no effect.
pub const NOT_IMPLEMENTED: &[(&str, &str)] = &[
    (
        "DL1001",
        "hadolint's opt-in rule against inline ignore pragmas is not implemented",
    ),
    (
        "DL3005",
        "hadolint retired it (apt-get upgrade/dist-upgrade)",
    ),
    (
        "DL3010",
        "the ADD-of-a-local-archive rule is not implemented",
    ),
    ("DL3017", "hadolint retired it (apk upgrade)"),
    ("DL3031", "hadolint retired it (yum update)"),
    ("DL3039", "hadolint retired it (dnf update)"),
    (
        "DL3043",
        "BuildKit refuses ONBUILD FROM/MAINTAINER/ONBUILD: such a file is a BH-PARSE finding",
    ),
    ("DL3049", "label-schema presence checks are not implemented"),
    ("DL3052", "label-schema URL checks are not implemented"),
    ("DL3053", "label-schema RFC 3339 checks are not implemented"),
    ("DL3054", "label-schema SPDX checks are not implemented"),
    ("DL3055", "label-schema git hash checks are not implemented"),
    ("DL3056", "label-schema semver checks are not implemented"),
    ("DL3058", "label-schema email checks are not implemented"),
    (
        "DL3061",
        "BuildKit refuses instructions before FROM: such a file is a BH-PARSE finding",
    ),
];

/// What a rule id written in settings (or on the command line) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A rule id.
    Rule(&'static Rule),
    /// An alias of one or more rules (`DL3002` names DL3002 and BH-DF-001; `KSV017` PSS-privileged).
    Alias(Vec<&'static Rule>),
    /// A peer's rule that Bulkhead never reports (a hadolint rule listed in [`NOT_IMPLEMENTED`], a
    /// ShellCheck `SC` code): accepted, no effect; the text says why.
    NotReported(String),
    /// Nothing: the closest id when one is close (`dl3008` → `DL3008`).
    Unknown { suggestion: Option<&'static str> },
}

/// Resolve an id as settings use it (exact, case-sensitive, as findings carry it).
pub fn lookup(id: &str) -> Named {
    if let Some(r) = get(id) {
        return Named::Rule(r);
    }
    let by_alias: Vec<&'static Rule> = all().iter().filter(|r| r.aliases.contains(&id)).collect();
    if !by_alias.is_empty() {
        return Named::Alias(by_alias);
    }
    if let Some((_, why)) = NOT_IMPLEMENTED.iter().find(|(i, _)| *i == id) {
        return Named::NotReported(format!("{id}: {why}; the entry has no effect"));
    }
    if id.len() == 6 && id.starts_with("SC") && id[2..].bytes().all(|b| b.is_ascii_digit()) {
        return Named::NotReported(format!(
            "{id}: a ShellCheck code; Bulkhead does not run ShellCheck, the entry has no effect"
        ));
    }
    Named::Unknown {
        suggestion: suggestion(id),
    }
}

/// Every id a rule answers to (ids and aliases).
fn names() -> impl Iterator<Item = &'static str> {
    all()
        .iter()
        .flat_map(|r| std::iter::once(r.id).chain(r.aliases.iter().copied()))
}

/// The id meant by a misspelled one: the same in another case, `PSS-` forgotten, or one or two
/// characters off (`BH-K8S-01` → `BH-K8S-001`).
pub fn suggestion(id: &str) -> Option<&'static str> {
    let t = id.trim();
    if let Some(n) = names().find(|n| n.eq_ignore_ascii_case(t)) {
        return Some(n);
    }
    let pss = format!("PSS-{t}");
    if let Some(n) = names().find(|n| n.eq_ignore_ascii_case(&pss)) {
        return Some(n);
    }
    let upper = t.to_ascii_uppercase();
    names()
        .map(|n| (strsim::levenshtein(&upper, &n.to_ascii_uppercase()), n))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, n)| (*d, *n))
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn one_entry_per_rule_with_metadata() {
        let rules = all();
        let ids: BTreeSet<&str> = rules.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), rules.len(), "rule ids are unique");
        for r in rules {
            assert!(!r.title.is_empty() && !r.remediation.is_empty(), "{}", r.id);
            for a in r.aliases {
                assert!(!ids.contains(a) || a.starts_with("DL"), "{}: {a}", r.id);
            }
        }
        assert_eq!(rules[0].id, "BH-PARSE");
        // The same words as the core's input-error finding.
        let f = bulkhead_core::Finding::input_error("x", None, "m");
        assert_eq!(
            (f.title.as_str(), f.remediation()),
            (PARSE.title, Some(PARSE.remediation))
        );
        assert_eq!(f.severity, PARSE.severity);
        assert_eq!(get("PSS-privileged").unwrap().severity, Severity::High);
        assert_eq!(
            get("PSS-runAsNonRoot").unwrap().family,
            Family::Pss {
                check: "runAsNonRoot",
                level: pss::Level::Restricted,
                since: 0
            }
        );
        assert!(matches!(
            get("PSS-allowPrivilegeEscalation").unwrap().family,
            Family::Pss { since: 8, .. }
        ));
        // 19 PSS checks, 12 best-practice rules, the Dockerfile rules, BH-PARSE and BH-ENCODING.
        assert_eq!(rules[1].id, ENCODING_RULE_ID);
        assert_eq!(
            rules.len(),
            2 + 19 + practice::RULES.len() + dockerfile::RULES.len()
        );
        for (id, _) in NOT_IMPLEMENTED {
            assert!(get(id).is_none(), "{id} is implemented after all");
        }
    }

    #[test]
    fn lookups_and_suggestions() {
        assert!(matches!(lookup("DL3008"), Named::Rule(r) if r.id == "DL3008"));
        match lookup("KSV017") {
            Named::Alias(v) => assert_eq!(v[0].id, "PSS-privileged"),
            other => panic!("{other:?}"),
        }
        match lookup("DL3002") {
            Named::Rule(r) => assert_eq!(r.id, "DL3002"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(lookup("DL1000"), Named::Alias(v) if v[0].id == "BH-PARSE"));
        assert!(matches!(lookup("SC2086"), Named::NotReported(_)));
        assert!(matches!(lookup("DL3049"), Named::NotReported(_)));
        assert_eq!(
            lookup("dl3008"),
            Named::Unknown {
                suggestion: Some("DL3008")
            }
        );
        assert_eq!(suggestion("privileged"), Some("PSS-privileged"));
        assert_eq!(suggestion("BH-K8S-01"), Some("BH-K8S-001"));
        assert_eq!(suggestion("BH-DF-1"), Some("BH-DF-001"));
        assert_eq!(suggestion("FOO"), None, "nothing close");
        assert_eq!(lookup("XYZ-1"), Named::Unknown { suggestion: None });
    }
}
