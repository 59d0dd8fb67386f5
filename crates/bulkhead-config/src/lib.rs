//! Deploy-time checks (`bulkhead config`) as a library: Dockerfiles against hadolint's rules and
//! Bulkhead's, Kubernetes manifests and objects against the Pod Security Standards exactly as the
//! pod-security-admission library judges them (after the API server's defaulting), plus
//! best-practice checks.
//!
//! The entry point is [`check`]: a [`Request`] (paths to walk, content already read, or Kubernetes
//! objects already parsed — what an admission webhook holds) with [`Options`] and [`Settings`]
//! gives a [`bulkhead_core::Report`]: one target per file (kind `Dockerfile` or `Kubernetes`),
//! findings sorted by line and rule, targets by name. Files are read and checked on every core
//! (rayon's pool).
//!
//! Nothing passes silently: a file that cannot be read or parsed is a finding of its own
//! ([`bulkhead_core::Finding::input_error`], rule `BH-PARSE`, HIGH) in its target, kept by the
//! severity filter and counted by [`Settings::fails`]; a file named explicitly that holds no
//! Kubernetes object is one too; input that is obviously something else (an image archive, a
//! binary, an OCI layout) is refused with [`ConfigError::WrongInput`], which names the command to
//! use.

pub mod defaults;
pub mod dockerfile;
pub mod error;
pub mod input;
pub mod k8s;
pub mod practice;
pub mod pss;
pub mod rules;
pub mod settings;
pub mod yaml;

use bulkhead_core::{Finding, FindingKind, Fix, Report, Severity, Suppressed, Target, TargetKind};
use error::io_reason;
use input::{Found, Unlisted};
use pss::Policy;
use rayon::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

pub use dockerfile::lint_dockerfile;
pub use error::{ConfigError, PolicyError, SettingsError, YamlError};
pub use input::{FileKind, MAX_INPUT_BYTES, is_dockerfile_name};
pub use settings::Settings;

/// What to check manifests against, and which findings to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The Pod Security Standards policy (default `restricted:latest`).
    pub pss: Policy,
    /// Run the best-practice rules too (`BH-K8S-*`).
    pub best_practice: bool,
    /// Keep only findings of these severities (empty: all). Input errors are always kept: a file
    /// that was not checked is never filtered away.
    pub severities: Vec<Severity>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pss: Policy::default(),
            best_practice: true,
            severities: Vec::new(),
        }
    }
}

/// One thing to check.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A file or directory named by the user. Directories are walked ([`input::walk`]); a file is
    /// classified by its name ([`input::classify`]). A path that does not exist is an error.
    Path(PathBuf),
    /// Content already read (stdin, a request body), checked as `kind` under `name`.
    Bytes {
        name: String,
        data: Vec<u8>,
        kind: FileKind,
    },
    /// Kubernetes objects already parsed (an admission review's object, a cluster listing); their
    /// findings carry the object and JSON pointer but no line.
    Objects { name: String, objects: Vec<Value> },
}

impl Input {
    /// A Dockerfile's text.
    pub fn dockerfile(name: impl Into<String>, text: impl Into<String>) -> Input {
        Input::Bytes {
            name: name.into(),
            data: text.into().into_bytes(),
            kind: FileKind::Dockerfile,
        }
    }

    /// A manifest's text (YAML or JSON, one or more documents).
    pub fn manifest(name: impl Into<String>, text: impl Into<String>) -> Input {
        Input::Bytes {
            name: name.into(),
            data: text.into().into_bytes(),
            kind: FileKind::Manifest,
        }
    }
}

/// A config check: what to read and how to judge it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    pub inputs: Vec<Input>,
    pub options: Options,
    pub settings: Settings,
    /// Glob patterns of directories left out of walked directories (`--skip-dirs`; relative to the
    /// directory named, `**` crosses `/`, `*` does not).
    pub skip_dirs: Vec<String>,
    /// Glob patterns of files left out of walked directories (`--skip-files`).
    pub skip_files: Vec<String>,
}

enum Work<'a> {
    File(Found),
    Unlisted(Unlisted),
    Bytes {
        name: &'a str,
        data: &'a [u8],
        kind: FileKind,
    },
    Objects {
        name: &'a str,
        objects: &'a [Value],
    },
}

/// Run a config check: walk the paths, read and check every input on all cores, apply the
/// settings (ignored rules, severity overrides: recorded in `report.suppressed`) and the severity
/// filter. Errors: a path that does not exist, an input of the wrong kind (see the crate docs).
///
/// ```
/// use bulkhead_config::{check, Input, Options, Request, Settings, pss::Policy};
/// use serde_json::json;
///
/// let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
///                  "spec": {"containers": [{"name": "c", "image": "x:1",
///                                           "securityContext": {"privileged": true}}]}});
/// let req = Request {
///     inputs: vec![
///         Input::Objects { name: "admission".into(), objects: vec![pod] },
///         Input::manifest("rendered.yaml", "a: [1\n"),
///         Input::dockerfile("Dockerfile", "FROM alpine:3.20\nUSER root\n"),
///     ],
///     options: Options {
///         pss: "baseline:v1.30".parse::<Policy>().unwrap(),
///         best_practice: false,
///         severities: vec![],
///     },
///     settings: Settings::parse("ignored: [DL3002]\n", ".bulkhead.yaml").unwrap(),
///     ..Request::default()
/// };
/// let report = check(&req).unwrap();
/// let ids: Vec<(&str, &str)> = report
///     .targets
///     .iter()
///     .flat_map(|t| t.findings.iter().map(move |f| (t.name.as_str(), f.id.as_str())))
///     .collect();
/// assert!(ids.contains(&("admission", "PSS-privileged")));
/// assert!(ids.contains(&("rendered.yaml", "BH-PARSE")));
/// assert!(!ids.contains(&("Dockerfile", "DL3002")), "ignored by the settings");
/// assert_eq!(report.suppressed[0].id, "DL3002");
/// assert!(report.findings().filter(|f| req.settings.fails(f)).count() >= 2);
/// ```
pub fn check(req: &Request) -> Result<Report, ConfigError> {
    let skip = bulkhead_core::SkipPatterns::new(&req.skip_dirs, &req.skip_files)?;
    let mut work = Vec::new();
    // The input each work item came from (to tell a directory in which nothing was checked).
    let mut origin = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, i) in req.inputs.iter().enumerate() {
        match i {
            Input::Path(p) => {
                let (found, unlisted) = input::walk(p, &skip)?;
                for f in found {
                    if seen.insert(f.path.clone()) {
                        work.push(Work::File(f));
                        origin.push(n);
                    }
                }
                for u in unlisted {
                    work.push(Work::Unlisted(u));
                    origin.push(n);
                }
            }
            Input::Bytes { name, data, kind } => {
                work.push(Work::Bytes {
                    name,
                    data,
                    kind: *kind,
                });
                origin.push(n);
            }
            Input::Objects { name, objects } => {
                work.push(Work::Objects { name, objects });
                origin.push(n);
            }
        }
    }
    type Checked = Option<(Target, Vec<Suppressed>)>;
    let one = |w: &Work| check_one(w, req).map(|t| t.map(|t| finish(t, req)));
    // One input (a CI step's Dockerfile, an admission request) does not start the pool.
    let results: Vec<Result<Checked, ConfigError>> = if work.len() > 1 {
        work.par_iter().map(one).collect()
    } else {
        work.iter().map(one).collect()
    };
    let mut report = Report {
        scanners: vec![FindingKind::Misconfiguration],
        ..Report::default()
    };
    let mut checked = vec![0usize; req.inputs.len()];
    let mut walked = vec![0usize; req.inputs.len()];
    for (r, n) in results.into_iter().zip(&origin) {
        walked[*n] += 1;
        if let Some((t, s)) = r? {
            checked[*n] += 1;
            report.targets.push(t);
            report.suppressed.extend(s);
        }
    }
    // A directory the user named in which nothing could be checked is not a pass.
    for (n, i) in req.inputs.iter().enumerate() {
        if let Input::Path(p) = i
            && checked[n] == 0
            && p.is_dir()
        {
            let skipped = match walked[n] {
                0 => String::new(),
                k => format!(" ({k} YAML/JSON file(s) without a Kubernetes object)"),
            };
            report.targets.push(errored(
                &p.display().to_string(),
                TargetKind::File,
                None,
                format!(
                    "no Dockerfile or Kubernetes manifest found in this directory{skipped}: nothing was checked"
                ),
            ));
        }
    }
    report.targets.sort_by(|a, b| a.name.cmp(&b.name));
    report
        .suppressed
        .sort_by(|a, b| (&a.subject, &a.id).cmp(&(&b.subject, &b.id)));
    Ok(report)
}

fn target_kind(kind: FileKind) -> TargetKind {
    match kind {
        FileKind::Dockerfile => TargetKind::Dockerfile,
        FileKind::Manifest => TargetKind::Kubernetes,
    }
}

fn errored(name: &str, kind: TargetKind, line: Option<u32>, message: String) -> Target {
    let mut t = Target::new(name, kind);
    t.findings.push(Finding::input_error(name, line, message));
    t
}

fn check_one(w: &Work, req: &Request) -> Result<Option<Target>, ConfigError> {
    match w {
        Work::File(f) => {
            let name = f.path.display().to_string();
            let data = std::fs::File::open(&f.path).and_then(input::read_limited);
            match data {
                Ok(d) if f.by_content => check_bytes(&name, d, None, f.explicit, req),
                Ok(d) => check_bytes(&name, d, Some(f.kind), f.explicit, req),
                Err(e) => Ok(Some(errored(
                    &name,
                    target_kind(f.kind),
                    None,
                    format!("cannot read: {}; not checked", io_reason(&e)),
                ))),
            }
        }
        Work::Unlisted(u) => Ok(Some(errored(
            &u.path.display().to_string(),
            TargetKind::File,
            None,
            format!(
                "cannot list the directory: {}; its files were not checked",
                u.reason
            ),
        ))),
        Work::Bytes { name, data, kind } => {
            check_bytes(name, data.to_vec(), Some(*kind), true, req)
        }
        Work::Objects { name, objects } => {
            let mut t = Target::new(*name, TargetKind::Kubernetes);
            if !objects.iter().any(k8s::is_object) {
                t.findings.push(Finding::input_error(
                    name,
                    None,
                    "no Kubernetes object (no value with a `kind`): nothing was checked",
                ));
                return Ok(Some(t));
            }
            for o in objects.iter() {
                t.findings
                    .extend(object_findings(name, o, &|_| 0, &req.options));
            }
            Ok(Some(t))
        }
    }
}

/// Check content; `kind` `None`: decided by the content ([`input::guess_kind`]).
fn check_bytes(
    name: &str,
    data: Vec<u8>,
    kind: Option<FileKind>,
    explicit: bool,
    req: &Request,
) -> Result<Option<Target>, ConfigError> {
    let tk = target_kind(kind.unwrap_or(FileKind::Dockerfile));
    if data.len() as u64 > MAX_INPUT_BYTES {
        return Ok(Some(errored(
            name,
            tk,
            None,
            format!(
                "larger than the limit of {} MiB; not checked",
                MAX_INPUT_BYTES >> 20
            ),
        )));
    }
    if let Some(b) = input::sniff(&data) {
        if explicit {
            return Err(ConfigError::WrongInput {
                name: name.to_string(),
                what: b.describe(),
                hint: b.hint(name),
            });
        }
        return Ok(Some(errored(
            name,
            TargetKind::File,
            None,
            format!(
                "{}, not a Dockerfile or Kubernetes manifest; not checked",
                b.describe()
            ),
        )));
    }
    let text = match input::decode(data) {
        Ok(t) => t,
        Err(why) => return Ok(Some(errored(name, tk, None, format!("{why}; not checked")))),
    };
    let kind = kind.unwrap_or_else(|| input::guess_kind(&text));
    let mut t = Target::new(name, target_kind(kind));
    match kind {
        FileKind::Dockerfile => {
            t.findings = dockerfile::lint_unfiltered(name, &text, &req.settings)
        }
        FileKind::Manifest => match yaml::parse_documents(&text) {
            Err(e) => {
                let col = e
                    .column
                    .map(|c| format!(" (column {c})"))
                    .unwrap_or_default();
                t.findings.push(Finding::input_error(
                    name,
                    e.line,
                    format!("not valid YAML or JSON: {}{col}; not checked", e.message),
                ));
            }
            Ok(docs) => {
                if !docs.iter().any(|d| k8s::is_object(&d.value)) {
                    if !explicit {
                        // A walked YAML/JSON file that is not Kubernetes (CI configs, package.json)
                        // is not a target.
                        return Ok(None);
                    }
                    t.findings.push(Finding::input_error(
                        name,
                        None,
                        if docs.is_empty() {
                            "empty: no Kubernetes object (no document with a `kind`); nothing was checked"
                        } else {
                            "no Kubernetes object (no document with a `kind`); nothing was checked"
                        },
                    ));
                }
                for d in &docs {
                    t.findings.extend(object_findings(
                        name,
                        &d.value,
                        &|p| d.line_of(p),
                        &req.options,
                    ));
                }
            }
        },
    }
    Ok(Some(t))
}

/// Apply the settings (recording what they suppressed) and the severity filter; sort.
fn finish(mut t: Target, req: &Request) -> (Target, Vec<Suppressed>) {
    let s = &req.settings;
    let mut suppressed = Vec::new();
    t.findings.retain(|f| {
        let ignored = s.is_ignored(f);
        if ignored {
            suppressed.push(Suppressed {
                id: f.id.clone(),
                subject: subject(f),
                by: match &s.origin {
                    Some(o) => format!("{o} (ignored)"),
                    None => "settings (ignored)".to_string(),
                },
            });
        }
        !ignored
    });
    for f in &mut t.findings {
        if let Some(sev) = s.override_for(f) {
            f.severity = sev;
        }
    }
    let wanted = &req.options.severities;
    t.findings
        .retain(|f| f.kind == FindingKind::InputError || f.severity.selected_by(wanted));
    t.findings.sort_by(|a, b| {
        (a.location.line, &a.id, &a.location.object).cmp(&(
            b.location.line,
            &b.id,
            &b.location.object,
        ))
    });
    (t, suppressed)
}

fn subject(f: &Finding) -> String {
    let file = f.location.file.as_deref().unwrap_or("-");
    match (f.location.line, &f.location.object) {
        (Some(l), Some(o)) => format!("{file}:{l} {o}"),
        (Some(l), None) => format!("{file}:{l}"),
        (None, Some(o)) => format!("{file} {o}"),
        (None, None) => file.to_string(),
    }
}

/// PSS and best-practice findings of one Kubernetes object (a `List`'s items included), as the
/// API server would hold it (see [`defaults`]), exemption annotations applied. `line_of` gives the
/// line of a JSON pointer (0: unknown).
pub fn object_findings(
    file: &str,
    obj: &Value,
    line_of: &dyn Fn(&str) -> u32,
    opts: &Options,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let located =
        |id: &str, severity, title: &str, message: String, pointer: String, object: &str| {
            let mut f = Finding::new(FindingKind::Misconfiguration, id, severity, title, message);
            let line = line_of(&pointer);
            f.location.file = Some(file.to_string());
            f.location.line = (line > 0).then_some(line);
            f.location.object = Some(object.to_string());
            f.location.pointer = Some(pointer);
            f
        };
    for pod in k8s::pods_in(obj) {
        let exempt = practice::exemptions(&pod);
        let mut found = Vec::new();
        if opts.best_practice {
            for h in practice::check(&pod) {
                let pointer = match (&h.spec_pointer, &h.object_pointer) {
                    (Some(p), _) => format!("{}{p}", pod.spec_pointer),
                    (None, Some(p)) => format!("{}{p}", pod.object_pointer),
                    (None, None) => pod.spec_pointer.clone(),
                };
                let mut f = located(
                    h.rule.id,
                    h.rule.severity,
                    h.rule.title,
                    h.message,
                    pointer,
                    &pod.object,
                );
                f.aliases = h.rule.aliases.iter().map(|s| s.to_string()).collect();
                f.fix = Some(Fix {
                    version: None,
                    remediation: Some(h.rule.remediation.to_string()),
                });
                found.push(f);
            }
        }
        let of = if pod.kind == "Pod" {
            defaults::SpecOf::Pod
        } else {
            defaults::SpecOf::Template
        };
        let (spec, defaulted) = defaults::apply(pod.spec, of);
        for v in pss::evaluate(opts.pss, pod.pod_metadata, &spec) {
            let Some(info) = pss::check_info(v.check) else {
                continue;
            };
            let pointer = match &v.spec_pointer {
                Some(p) => format!("{}{p}", pod.spec_pointer),
                None => {
                    // Annotations: on the pod (template) metadata.
                    let base = pod
                        .spec_pointer
                        .strip_suffix("/spec")
                        .unwrap_or(&pod.spec_pointer);
                    format!("{base}/metadata/annotations")
                }
            };
            let mut f = located(
                info.rule,
                rules::pss_severity(v.level),
                info.title,
                v.message(),
                pointer,
                &pod.object,
            );
            f.aliases = info.aliases.iter().map(|s| s.to_string()).collect();
            f.fix = Some(Fix {
                version: None,
                remediation: Some(info.remediation.to_string()),
            });
            f.evidence
                .insert("pss_level".into(), Value::from(v.level.as_str()));
            f.evidence
                .insert("policy".into(), Value::from(opts.pss.to_string()));
            if let Some(sp) = &v.spec_pointer
                && let Some((_, why)) = defaulted.iter().find(|(d, _)| sp.starts_with(d.as_str()))
            {
                f.evidence.insert("api_default".into(), Value::from(*why));
            }
            found.push(f);
        }
        found.retain(|f| !exempt.iter().any(|e| f.is_named(e)));
        out.extend(found);
    }
    out
}

/// PSS and best-practice findings of one parsed document, exemption annotations applied.
pub fn document_findings(file: &str, doc: &yaml::Document, opts: &Options) -> Vec<Finding> {
    object_findings(file, &doc.value, &|p| doc.line_of(p), opts)
}

/// Check one manifest's text (YAML or JSON, one or more documents): the findings, or why it is not
/// valid YAML. (Settings and the severity filter are [`check`]'s.)
pub fn check_manifest(file: &str, text: &str, opts: &Options) -> Result<Vec<Finding>, YamlError> {
    let docs = yaml::parse_documents(text)?;
    Ok(docs
        .iter()
        .flat_map(|d| document_findings(file, d, opts))
        .collect())
}

#[cfg(test)]
mod tests;
