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
//! use, and a path that is not a regular file or directory (a FIFO, a device) with
//! [`ConfigError::NotRegular`].
//!
//! Nothing is dropped for what surrounds it: a manifest is read one document at a time, so a
//! document that is invalid or over a limit is a `BH-PARSE` finding at its line while the objects
//! of every other document are judged; text that is not valid UTF-8 is read with U+FFFD in place
//! of the invalid bytes (as kubectl reads it) and checked, with a `BH-ENCODING` finding saying
//! where; a Dockerfile whose variable substitution goes over its budget is checked with the values
//! past the limit left unexpanded, and a `BH-PARSE` finding says where substitution stopped.
//!
//! # Limits
//! Every input is bounded ([`Limits`]): the bytes of a file, the YAML reader's documents, depth,
//! nodes and aliases ([`yaml::YamlLimits`]), the expansion of Dockerfile variables
//! ([`bulkhead_dockerfile::ExpandLimits`]) and the Dockerfile parser's fixed limits (lines,
//! instructions, words: [`bulkhead_dockerfile::MAX_LINES`]…). Memory is bounded by one file's
//! bytes, one YAML document and the findings; time is linear in the input.

pub mod defaults;
pub mod dockerfile;
pub mod error;
pub mod input;
pub mod k8s;
pub mod practice;
pub mod pss;
pub mod rules;
pub mod settings;
pub mod vap;
pub mod yaml;

use bulkhead_core::{Finding, FindingKind, Fix, Report, Severity, Suppressed, Target, TargetKind};
use error::io_reason;
use input::{Found, Unlisted};
use pss::Policy;
use rayon::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

pub use bulkhead_dockerfile::ExpandLimits;
pub use dockerfile::lint_dockerfile;
pub use error::{ConfigError, PolicyError, SettingsError, YamlError};
pub use input::{FileKind, MAX_INPUT_BYTES, is_dockerfile_name};
pub use settings::Settings;
pub use yaml::YamlLimits;

/// The limits of a config check (defaults in `docs/config.md`, "Limits"). Each is enforced while
/// reading; going over one is a `BH-PARSE` finding that names the limit (the file, document or
/// value over it is not checked, everything before it is), never an abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest file (or standard input) read, in bytes (default [`MAX_INPUT_BYTES`], 32 MiB;
    /// `--max-file-size`). A larger file is not read.
    pub max_file_bytes: u64,
    /// The YAML reader's limits (documents, depth, nodes, aliases).
    pub yaml: YamlLimits,
    /// Dockerfile variable substitution: bytes per word and per file.
    pub expand: ExpandLimits,
    /// Most findings one file may give (default 10,000; `--max-findings-per-file`): findings are
    /// what a check keeps and renders, and a small file can ask for many (a 3 MB Dockerfile of
    /// `RUN apt-get install` lines has 300,000). Past it, one `BH-PARSE` finding names the line
    /// after which nothing more is reported (a manifest's later objects are not judged).
    pub max_findings: usize,
    /// Most bytes of RUN scripts one Dockerfile may have split into commands (default 4 MiB):
    /// the command model takes about 25 times the script's size. Past it, the commands of the
    /// remaining RUN instructions are not analysed and one `BH-PARSE` finding names the first.
    pub max_script_bytes: usize,
}

impl Limits {
    /// The defaults.
    pub const DEFAULT: Limits = Limits {
        max_file_bytes: MAX_INPUT_BYTES,
        yaml: YamlLimits::DEFAULT,
        expand: ExpandLimits::DEFAULT,
        max_findings: 10_000,
        max_script_bytes: 4 << 20,
    };

    /// The Dockerfile parser's options under these limits.
    pub fn dockerfile(&self) -> bulkhead_dockerfile::ParseOptions {
        bulkhead_dockerfile::ParseOptions {
            max_bytes: usize::try_from(self.max_file_bytes).unwrap_or(usize::MAX),
            expand: self.expand,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

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
    /// Custom policies in CEL (ValidatingAdmissionPolicy files), judged on every object.
    pub cel: Option<CelPolicies>,
}

/// Read ValidatingAdmissionPolicy files (YAML or JSON, multi-document; at most 16 MiB each) into
/// one set; a file that cannot be read, an expression that does not parse, an unknown action or
/// a file without any policy is an error naming the file and the object.
pub fn load_cel_policies(files: &[std::path::PathBuf]) -> Result<CelPolicies, CelPolicyError> {
    let mut set = vap::PolicySet::default();
    for f in files {
        let bytes = bulkhead_core::input::read_regular(
            f,
            16 << 20,
            "policy files are far smaller; fixed limit",
        )?;
        let text = String::from_utf8(bytes).map_err(|_| CelPolicyError::Policy {
            file: f.display().to_string(),
            source: vap::VapError {
                object: String::new(),
                message: "not UTF-8 text".into(),
            },
        })?;
        let before = set.len();
        set.add_text(&f.display().to_string(), &text)
            .map_err(|source| CelPolicyError::Policy {
                file: f.display().to_string(),
                source,
            })?;
        if set.len() == before {
            return Err(CelPolicyError::Policy {
                file: f.display().to_string(),
                source: vap::VapError {
                    object: String::new(),
                    message:
                        "no ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) in the file"
                            .into(),
                },
            });
        }
    }
    Ok(CelPolicies(std::sync::Arc::new(set)))
}

/// Why custom policies cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CelPolicyError {
    #[error(transparent)]
    Input(#[from] bulkhead_core::input::InputError),
    #[error("{file}: {source}")]
    Policy {
        file: String,
        #[source]
        source: vap::VapError,
    },
}

/// A shared [`vap::PolicySet`] (compiled once, used by every worker). Two are equal when they are
/// the same set.
#[derive(Debug, Clone)]
pub struct CelPolicies(pub std::sync::Arc<vap::PolicySet>);

impl PartialEq for CelPolicies {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CelPolicies {}

impl Default for Options {
    fn default() -> Self {
        Options {
            pss: Policy::default(),
            best_practice: true,
            severities: Vec::new(),
            cel: None,
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
    /// How much of each input is read (see [`Limits`]).
    pub limits: Limits,
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
///         ..Options::default()
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
            if let Some(what) = &f.not_regular {
                return Ok(Some(errored(
                    &name,
                    target_kind(f.kind),
                    None,
                    what.clone(),
                )));
            }
            match input::read_file(&f.path, req.limits.max_file_bytes) {
                Ok(d) if f.by_content => check_bytes(&name, d, None, f.explicit, req),
                Ok(d) => check_bytes(&name, d, Some(f.kind), f.explicit, req),
                Err(e) => {
                    use bulkhead_core::input::InputError;
                    let why = match e {
                        InputError::TooLarge { limit, .. } => too_large(limit),
                        InputError::NotRegular { what, .. } => {
                            format!("{what}, not a regular file; not read")
                        }
                        InputError::Io { source, .. } => {
                            format!("cannot read: {}; not checked", io_reason(&source))
                        }
                    };
                    Ok(Some(errored(&name, target_kind(f.kind), None, why)))
                }
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
            if data.len() as u64 > req.limits.max_file_bytes {
                // Not copied just to be refused.
                return Ok(Some(errored(
                    name,
                    target_kind(*kind),
                    None,
                    too_large(req.limits.max_file_bytes),
                )));
            }
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

/// The message of a file over [`Limits::max_file_bytes`].
fn too_large(limit: u64) -> String {
    let size = if limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{limit} bytes")
    };
    format!(
        "larger than the limit of {size} ({}); not checked",
        input::FILE_LIMIT_HINT
    )
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
    if data.len() as u64 > req.limits.max_file_bytes {
        return Ok(Some(errored(
            name,
            tk,
            None,
            too_large(req.limits.max_file_bytes),
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
    let decoded = input::decode(data);
    let text = decoded.text.as_str();
    let kind = kind.unwrap_or_else(|| input::guess_kind(text));
    let mut t = Target::new(name, target_kind(kind));
    match kind {
        FileKind::Dockerfile => {
            t.findings = dockerfile::lint_unfiltered_with(name, text, &req.settings, &req.limits)
        }
        FileKind::Manifest => {
            if !check_manifest_into(name, text, explicit, req, &mut t.findings) {
                // A walked YAML/JSON file that is not Kubernetes (CI configs, package.json) is
                // not a target.
                return Ok(None);
            }
        }
    }
    if decoded.invalid > 0 {
        let rule = &rules::ENCODING;
        let mut f = Finding::new(
            FindingKind::Misconfiguration,
            rule.id,
            rule.severity,
            rule.title,
            format!(
                "{} invalid {} sequence(s), the first on line {}: read as U+FFFD (as kubectl and BuildKit read them) and checked",
                decoded.invalid,
                decoded.encoding,
                decoded.first_invalid_line.unwrap_or(1)
            ),
        );
        f.location.file = Some(name.to_string());
        f.location.line = decoded.first_invalid_line;
        f.fix = Some(Fix {
            version: None,
            remediation: Some(rule.remediation.to_string()),
        });
        t.findings.push(f);
    }
    Ok(Some(t))
}

/// Read a manifest one document at a time, judging each document's objects before the next is
/// read (memory: one document). Invalid documents and limits are input errors at their line; the
/// other documents are judged. Returns false for a walked (not `explicit`) file without any
/// Kubernetes object and without errors: not a target.
fn check_manifest_into(
    name: &str,
    text: &str,
    explicit: bool,
    req: &Request,
    out: &mut Vec<Finding>,
) -> bool {
    let mut docs = 0usize;
    let mut objects = false;
    let mut errors = Vec::new();
    let max = req.limits.max_findings;
    'documents: for item in yaml::documents(text, &req.limits.yaml) {
        match item {
            Ok(d) => {
                docs += 1;
                objects |= k8s::is_object(&d.value);
                let line_of = |p: &str| d.line_of(p);
                for pod in k8s::pods_in(&d.value) {
                    let line = d.line_of(&pod.object_pointer);
                    let line = (line > 0).then_some(line);
                    if out.len() >= max {
                        out.push(too_many_findings(
                            name,
                            line,
                            max,
                            "the objects from this line on were not judged",
                        ));
                        break 'documents;
                    }
                    let (found, truncated) =
                        pod_findings(name, &pod, &line_of, &req.options, max - out.len());
                    out.extend(found);
                    if truncated {
                        out.push(too_many_findings(
                            name,
                            line,
                            max,
                            "this object was judged in part, the objects after it not at all",
                        ));
                        break 'documents;
                    }
                }
                out.extend(cel_findings(name, &d.value, &line_of, &req.options));
            }
            Err(e) => errors.push(e),
        }
    }
    let alone = docs == 0 && errors.len() == 1;
    for e in &errors {
        out.push(document_error(name, e, alone));
    }
    if !objects && errors.is_empty() {
        if !explicit {
            return false;
        }
        out.push(Finding::input_error(
            name,
            None,
            if docs == 0 {
                "empty: no Kubernetes object (no document with a `kind`); nothing was checked"
            } else {
                "no Kubernetes object (no document with a `kind`); nothing was checked"
            },
        ));
    }
    true
}

/// The input-error finding of a file over [`Limits::max_findings`].
pub(crate) fn too_many_findings(name: &str, line: Option<u32>, max: usize, rest: &str) -> Finding {
    let mut f = Finding::input_error(
        name,
        line,
        format!("more than {max} findings in this file: {rest}"),
    );
    f.fix = Some(Fix {
        version: None,
        remediation: Some(
            "A real file gives far fewer findings: look for what repeats (generated objects or instructions). If it is legitimate, raise the limit (--max-findings-per-file, Limits::max_findings) or split the file.".to_string(),
        ),
    });
    f
}

/// The input-error finding of a document that could not be read (`alone`: the file's only
/// document).
fn document_error(name: &str, e: &YamlError, alone: bool) -> Finding {
    let col = e
        .column
        .map(|c| format!(" (column {c})"))
        .unwrap_or_default();
    let scope = if alone {
        "not checked"
    } else {
        "this document was not checked (the file's other documents were)"
    };
    match e.kind {
        yaml::YamlErrorKind::Syntax => Finding::input_error(
            name,
            e.line,
            format!("not valid YAML or JSON: {}{col}; {scope}", e.message),
        ),
        yaml::YamlErrorKind::Limit | yaml::YamlErrorKind::FileLimit => {
            // A limit of the file says itself what was not read.
            let scope = if e.kind == yaml::YamlErrorKind::FileLimit {
                ""
            } else {
                scope
            };
            let sep = if scope.is_empty() { "" } else { "; " };
            let mut f = Finding::input_error(
                name,
                e.line,
                format!(
                    "over the YAML reader's limits: {}{col}{sep}{scope}",
                    e.message
                ),
            );
            f.fix = Some(Fix {
                version: None,
                remediation: Some(
                    "Kubernetes objects are far below these limits: look for what makes the document this large or deep (an alias bomb, generated nesting). If it is legitimate, raise the limit (bulkhead_config::Limits::yaml; --max-yaml-nodes for nodes)."
                        .to_string(),
                ),
            });
            f
        }
    }
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
    let mut out: Vec<Finding> = k8s::pods_in(obj)
        .iter()
        .flat_map(|pod| pod_findings(file, pod, line_of, opts, usize::MAX).0)
        .collect();
    out.extend(cel_findings(file, obj, line_of, opts));
    out
}

/// The findings of the custom CEL policies on one object (each item of a `List`): one per failed
/// validation, HIGH where its binding denies, MEDIUM where it warns, LOW where it audits only.
pub fn cel_findings(
    file: &str,
    obj: &Value,
    line_of: &dyn Fn(&str) -> u32,
    opts: &Options,
) -> Vec<Finding> {
    let Some(set) = &opts.cel else {
        return Vec::new();
    };
    let items: Vec<(String, &Value)> = match obj.get("items").and_then(Value::as_array) {
        Some(items)
            if obj
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List")) =>
        {
            items
                .iter()
                .enumerate()
                .map(|(i, o)| (format!("/items/{i}"), o))
                .collect()
        }
        _ => vec![(String::new(), obj)],
    };
    let mut out = Vec::new();
    for (pointer, o) in items {
        if !k8s::is_object(o) {
            continue;
        }
        let req = vap::request_for_object(o);
        for v in vap::evaluate(&set.0, &req) {
            let severity = match v.actions.iter().min() {
                Some(vap::Action::Deny) => Severity::High,
                Some(vap::Action::Warn) => Severity::Medium,
                _ => Severity::Low,
            };
            let object = match (req.namespace.as_str(), req.name.as_str()) {
                ("", n) => format!("{}/{n}", req.kind),
                (ns, n) => format!("{ns}/{}/{n}", req.kind),
            };
            let message = if v.binding.is_empty() {
                v.message.clone()
            } else {
                format!("{} (binding {})", v.message, v.binding)
            };
            let mut f = Finding::new(
                FindingKind::Misconfiguration,
                format!("VAP-{}", v.policy),
                severity,
                format!("ValidatingAdmissionPolicy {}", v.policy),
                k8s::clip_message(message),
            );
            let line = line_of(&pointer);
            f.location.file = Some(file.to_string());
            f.location.line = (line > 0).then_some(line);
            f.location.object = Some(k8s::clip(&object, 3 * k8s::MAX_NAME_CHARS).into_owned());
            f.location.pointer = Some(pointer.clone());
            f.fix = Some(bulkhead_core::Fix {
                version: None,
                remediation: Some(format!(
                    "satisfy validation {} of the policy (actions: {})",
                    v.index
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "evaluation".into()),
                    v.actions
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
            out.push(f);
        }
    }
    out
}

/// PSS and best-practice findings of one pod spec (of a Pod, a controller's template…), at most
/// `room` best-practice findings (they are per container, so one pod with many containers can
/// give many; the PSS findings, one per check, always fit): true when some were left out.
fn pod_findings(
    file: &str,
    pod: &k8s::PodRef<'_>,
    line_of: &dyn Fn(&str) -> u32,
    opts: &Options,
    room: usize,
) -> (Vec<Finding>, bool) {
    let located =
        |id: &str, severity, title: &str, message: String, pointer: String, object: &str| {
            let message = k8s::clip_message(message);
            let mut f = Finding::new(FindingKind::Misconfiguration, id, severity, title, message);
            let line = line_of(&pointer);
            f.location.file = Some(file.to_string());
            f.location.line = (line > 0).then_some(line);
            f.location.object = Some(object.to_string());
            f.location.pointer = Some(pointer);
            f
        };
    let exempt = practice::exemptions(pod);
    let mut found = Vec::new();
    let mut truncated = false;
    if opts.best_practice {
        for h in practice::check(pod) {
            if found.len() >= room {
                truncated = true;
                break;
            }
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
            if exempt.iter().any(|e| f.is_named(e)) {
                continue;
            }
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
    (found, truncated)
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
