//! Pod Security Standards, evaluated exactly as the Kubernetes pod-security-admission library
//! (`k8s.io/pod-security-admission/policy`) evaluates them: the same checks, the same versioned
//! revisions ("inflated" to every later minor until the next revision), the same overrides of baseline
//! checks by restricted ones, the same Windows and `hostUsers: false` relaxations, the same order of
//! evaluation (byte-wise order of the check IDs, baseline first) and the same reason/detail strings.
//!
//! [`evaluate`] judges a pod spec as given, exactly as PSA's library does (a volume without a source
//! is "unknown" there); the API server defaults a pod before admission sees it, and the config
//! pipeline applies that defaulting first ([`crate::defaults`]).
//!
//! Written by hand: no Rust crate implements PSA. The pod is read from `serde_json::Value` with Go's
//! decoding semantics (absent or `null` = unset; `{}` = set with zero members; a non-boolean where a
//! boolean belongs is treated as unset, since the API server would refuse such a pod before PSA).

use serde_json::Value;
use std::collections::BTreeSet;

/// Newest policy minor version known (`latest` and any newer `v1.N` evaluate as this one).
pub const NEWEST_MINOR: u32 = 37;

/// A PSS level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

/// A policy: level and version (`None` = latest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub level: Level,
    pub minor: Option<u32>,
}

/// A `--pss` value that is not `LEVEL[:VERSION]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The level is not one of the three.
    #[error("unknown PSS level {0:?} (valid: privileged, baseline, restricted)")]
    Level(String),
    /// The version is not `latest` or `v1.N` (PSA's `api.ParseVersion`: no leading zeros).
    #[error("invalid PSS version {0:?} (valid: latest or v1.N, e.g. v1.30)")]
    Version(String),
}

impl Policy {
    /// `restricted`, `baseline:v1.25`, `restricted:latest`, `privileged`.
    pub fn parse(s: &str) -> Result<Policy, PolicyError> {
        let (level, version) = s.split_once(':').unwrap_or((s, "latest"));
        let level = level.parse()?;
        let minor = parse_version(version)?;
        Ok(Policy { level, minor })
    }

    /// The minor version evaluated (latest and future versions clamp to [`NEWEST_MINOR`]).
    pub fn effective_minor(&self) -> u32 {
        self.minor.unwrap_or(NEWEST_MINOR).min(NEWEST_MINOR)
    }
}

impl Default for Policy {
    /// `restricted:latest`.
    fn default() -> Self {
        Policy {
            level: Level::Restricted,
            minor: None,
        }
    }
}

impl std::str::FromStr for Policy {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Policy, PolicyError> {
        Policy::parse(s)
    }
}

impl std::str::FromStr for Level {
    type Err = PolicyError;
    /// `privileged`, `baseline` or `restricted` (lower case, as PSA's namespace labels write them).
    fn from_str(s: &str) -> Result<Level, PolicyError> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            other => Err(PolicyError::Level(other.to_string())),
        }
    }
}

impl Level {
    /// `privileged`, `baseline`, `restricted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let level = self.level.as_str();
        match self.minor {
            None => write!(f, "{level}:latest"),
            Some(m) => write!(f, "{level}:v1.{m}"),
        }
    }
}

/// `latest` → `None`; `v1.N` (no leading zeros) → `Some(N)`, as `api.ParseVersion` accepts them.
pub fn parse_version(s: &str) -> Result<Option<u32>, PolicyError> {
    if s == "latest" {
        return Ok(None);
    }
    let bad = || PolicyError::Version(s.to_string());
    let minor = s.strip_prefix("v1.").ok_or_else(bad)?;
    if minor.is_empty()
        || !minor.bytes().all(|b| b.is_ascii_digit())
        || (minor.len() > 1 && minor.starts_with('0'))
    {
        return Err(bad());
    }
    minor.parse().map(Some).map_err(|_| bad())
}

/// A failed check: its ID, PSA's reason and detail, and the JSON pointer (relative to the pod spec's
/// parent object: `/spec/...` for a pod, or the annotation) of the first offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub check: &'static str,
    pub level: Level,
    pub reason: String,
    pub detail: String,
    /// Pointer relative to the pod spec (`/containers/0/securityContext/privileged`), or `None` for
    /// annotations (metadata).
    pub spec_pointer: Option<String>,
}

impl Violation {
    /// `reason (detail)` as PSA formats one check.
    pub fn message(&self) -> String {
        if self.detail.is_empty() {
            self.reason.clone()
        } else {
            format!("{} ({})", self.reason, self.detail)
        }
    }
}

/// PSA's aggregate message for a set of violations (`violates PodSecurity "restricted:latest": …`
/// without the prefix): `reason (detail), reason (detail)`.
pub fn aggregate(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(Violation::message)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Go-decoding helpers over serde_json values.

/// The field if set (present and not null), as Go decodes it.
pub(crate) fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    field(v, key).and_then(Value::as_str).unwrap_or("")
}

fn bool_field(v: &Value, key: &str) -> Option<bool> {
    field(v, key).and_then(Value::as_bool)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    field(v, key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("\"{}\"", inner.join("\", \""))
}

fn plural<'a>(singular: &'a str, plural: &'a str, n: usize) -> &'a str {
    if n == 1 { singular } else { plural }
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One container as PSA's visitor sees it.
struct Container<'a> {
    name: &'a str,
    value: &'a Value,
    /// Pointer relative to the pod spec: `/initContainers/0`.
    pointer: String,
}

impl<'a> Container<'a> {
    fn sc(&self) -> Option<&'a Value> {
        field(self.value, "securityContext")
    }
    fn sc_field(&self, key: &str) -> Option<&'a Value> {
        self.sc().and_then(|sc| field(sc, key))
    }
}

/// What every check reads.
pub struct Pod<'a> {
    meta: &'a Value,
    spec: &'a Value,
    containers: Vec<Container<'a>>,
}

impl<'a> Pod<'a> {
    /// A pod from its metadata (annotations) and spec.
    pub fn new(meta: &'a Value, spec: &'a Value) -> Pod<'a> {
        let mut containers = Vec::new();
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, c) in arr(spec, list).iter().enumerate() {
                containers.push(Container {
                    name: str_field(c, "name"),
                    value: c,
                    pointer: format!("/{list}/{i}"),
                });
            }
        }
        Pod {
            meta,
            spec,
            containers,
        }
    }

    fn psc(&self) -> Option<&'a Value> {
        field(self.spec, "securityContext")
    }
    fn psc_field(&self, key: &str) -> Option<&'a Value> {
        self.psc().and_then(|p| field(p, key))
    }
    fn is_windows(&self) -> bool {
        field(self.spec, "os").is_some_and(|os| str_field(os, "name") == "windows")
    }
    fn relax_for_user_namespace(&self) -> bool {
        bool_field(self.spec, "hostUsers") == Some(false)
    }
    fn annotations(&self) -> Vec<(&'a str, &'a str)> {
        let mut out: Vec<(&str, &str)> = field(self.meta, "annotations")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

type Outcome = Option<(String, String, Option<String>)>;

fn forbid(reason: impl Into<String>, detail: impl Into<String>, at: Option<String>) -> Outcome {
    Some((reason.into(), detail.into(), at))
}

fn containers_phrase(names: &[&str]) -> String {
    format!(
        "{} {}",
        plural("container", "containers", names.len()),
        join_quote(names)
    )
}

// ---------------------------------------------------------------------------------------------
// Baseline checks.

fn host_namespaces(p: &Pod) -> Outcome {
    let mut items = Vec::new();
    let mut at = None;
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if bool_field(p.spec, key) == Some(true) {
            items.push(format!("{key}=true"));
            at.get_or_insert(format!("/{key}"));
        }
    }
    if items.is_empty() {
        return None;
    }
    forbid("host namespaces", items.join(", "), at)
}

fn privileged(p: &Pod) -> Outcome {
    let bad: Vec<&Container> = p
        .containers
        .iter()
        .filter(|c| c.sc_field("privileged").and_then(Value::as_bool) == Some(true))
        .collect();
    let first = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|c| c.name).collect();
    forbid(
        "privileged",
        format!(
            "{} must not set securityContext.privileged=true",
            containers_phrase(&names)
        ),
        Some(format!("{}/securityContext/privileged", first.pointer)),
    )
}

const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn cap_names(caps: &Value, key: &str) -> Vec<String> {
    arr(caps, key)
        .iter()
        .map(|c| c.as_str().unwrap_or("").to_string())
        .collect()
}

fn capabilities_baseline(p: &Pod) -> Outcome {
    let mut bad = Vec::new();
    let mut caps = BTreeSet::new();
    let mut at = None;
    for c in &p.containers {
        let Some(cs) = c.sc_field("capabilities") else {
            continue;
        };
        let mut invalid = false;
        for cap in cap_names(cs, "add") {
            if !BASELINE_CAPS.contains(&cap.as_str()) {
                invalid = true;
                caps.insert(cap);
            }
        }
        if invalid {
            bad.push(c.name);
            at.get_or_insert(format!("{}/securityContext/capabilities/add", c.pointer));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let caps: Vec<String> = caps.into_iter().collect();
    forbid(
        "non-default capabilities",
        format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad),
            join_quote(&caps)
        ),
        at,
    )
}

fn host_path_volumes(p: &Pod) -> Outcome {
    let mut bad = Vec::new();
    let mut at = None;
    for (i, v) in arr(p.spec, "volumes").iter().enumerate() {
        if field(v, "hostPath").is_some() {
            bad.push(str_field(v, "name"));
            at.get_or_insert(format!("/volumes/{i}/hostPath"));
        }
    }
    if bad.is_empty() {
        return None;
    }
    forbid(
        "hostPath volumes",
        format!(
            "{} {}",
            plural("volume", "volumes", bad.len()),
            join_quote(&bad)
        ),
        at,
    )
}

fn host_ports(p: &Pod) -> Outcome {
    let mut bad = Vec::new();
    let mut ports = BTreeSet::new();
    let mut at = None;
    for c in &p.containers {
        let mut invalid = false;
        for (i, port) in arr(c.value, "ports").iter().enumerate() {
            let hp = field(port, "hostPort").and_then(Value::as_i64).unwrap_or(0);
            if hp != 0 {
                invalid = true;
                ports.insert(hp.to_string());
                at.get_or_insert(format!("{}/ports/{i}/hostPort", c.pointer));
            }
        }
        if invalid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let ports: Vec<String> = ports.into_iter().collect();
    forbid(
        "hostPort",
        format!(
            "{} {} {} {}",
            containers_phrase(&bad),
            plural("uses", "use", bad.len()),
            plural("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
        at,
    )
}

const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn app_armor_profile(p: &Pod) -> Outcome {
    let allowed_type = |t: &str| t == "RuntimeDefault" || t == "Localhost";
    let allowed_annotation =
        |v: &str| v.is_empty() || v == "runtime/default" || v.starts_with("localhost/");
    let mut setters: Vec<String> = Vec::new();
    let mut values: BTreeSet<String> = BTreeSet::new();
    let mut at = None;
    if let Some(prof) = p.psc_field("appArmorProfile") {
        let t = str_field(prof, "type");
        if !allowed_type(t) {
            setters.push("pod".into());
            values.insert(t.to_string());
            at = Some("/securityContext/appArmorProfile/type".to_string());
        }
    }
    let mut bad = Vec::new();
    for c in &p.containers {
        if let Some(prof) = c.sc_field("appArmorProfile") {
            let t = str_field(prof, "type");
            if !allowed_type(t) {
                bad.push(c.name);
                values.insert(t.to_string());
                at.get_or_insert(format!(
                    "{}/securityContext/appArmorProfile/type",
                    c.pointer
                ));
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    let mut value_list: Vec<String> = values.into_iter().collect();
    let mut ann: Vec<String> = p
        .annotations()
        .into_iter()
        .filter(|(k, v)| k.starts_with(APPARMOR_PREFIX) && !allowed_annotation(v))
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect();
    if !ann.is_empty() {
        ann.sort();
        let n = ann.len();
        value_list.extend(ann);
        setters.push(plural("annotation", "annotations", n).to_string());
    }
    if setters.is_empty() {
        return None;
    }
    forbid(
        plural(
            "forbidden AppArmor profile",
            "forbidden AppArmor profiles",
            value_list.len(),
        ),
        format!(
            "{} must not set AppArmor profile type to {}",
            setters.join(" and "),
            join_quote(&value_list)
        ),
        at,
    )
}

fn se_linux_options(p: &Pod, minor: u32) -> Outcome {
    let mut allowed = vec!["", "container_t", "container_init_t", "container_kvm_t"];
    if minor >= 31 {
        allowed.push("container_engine_t");
    }
    let mut bad_types = BTreeSet::new();
    let (mut set_user, mut set_role) = (false, false);
    let mut valid = |o: &Value| {
        let mut ok = true;
        let t = str_field(o, "type");
        if !allowed.contains(&t) {
            ok = false;
            bad_types.insert(t.to_string());
        }
        if !str_field(o, "user").is_empty() {
            ok = false;
            set_user = true;
        }
        if !str_field(o, "role").is_empty() {
            ok = false;
            set_role = true;
        }
        ok
    };
    let mut setters = Vec::new();
    let mut at = None;
    if let Some(o) = p.psc_field("seLinuxOptions")
        && !valid(o)
    {
        setters.push("pod".to_string());
        at = Some("/securityContext/seLinuxOptions".to_string());
    }
    let mut bad = Vec::new();
    for c in &p.containers {
        if let Some(o) = c.sc_field("seLinuxOptions")
            && !valid(o)
        {
            bad.push(c.name);
            at.get_or_insert(format!("{}/securityContext/seLinuxOptions", c.pointer));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let mut data = Vec::new();
    if !bad_types.is_empty() {
        let t: Vec<String> = bad_types.into_iter().collect();
        data.push(format!(
            "{} {}",
            plural("type", "types", t.len()),
            join_quote(&t)
        ));
    }
    if set_user {
        data.push("user may not be set".to_string());
    }
    if set_role {
        data.push("role may not be set".to_string());
    }
    forbid(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            setters.join(" and "),
            data.join("; ")
        ),
        at,
    )
}

fn proc_mount_1_0(p: &Pod) -> Outcome {
    let mut bad = Vec::new();
    let mut vals = BTreeSet::new();
    let mut at = None;
    for c in &p.containers {
        let Some(pm) = c.sc_field("procMount") else {
            continue;
        };
        let pm = pm.as_str().unwrap_or("");
        if pm != "Default" {
            bad.push(c.name);
            vals.insert(pm.to_string());
            at.get_or_insert(format!("{}/securityContext/procMount", c.pointer));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let vals: Vec<String> = vals.into_iter().collect();
    forbid(
        "procMount",
        format!(
            "{} must not set securityContext.procMount to {}",
            containers_phrase(&bad),
            join_quote(&vals)
        ),
        at,
    )
}

fn proc_mount_1_35(p: &Pod) -> Outcome {
    if p.relax_for_user_namespace() {
        return None;
    }
    proc_mount_1_0(p)
}

fn seccomp_valid_type(t: &str) -> bool {
    t == "Localhost" || t == "RuntimeDefault"
}

fn seccomp_baseline_1_0(p: &Pod) -> Outcome {
    let valid =
        |v: &str| v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
    let ann = p.annotations();
    let get = |k: &str| ann.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v);
    let mut bad = BTreeSet::new();
    const POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
    if let Some(v) = get(POD)
        && !valid(v)
    {
        bad.insert(format!("{POD}={}", go_quote(v)));
    }
    for c in &p.containers {
        let key = format!("container.seccomp.security.alpha.kubernetes.io/{}", c.name);
        if let Some(v) = get(&key)
            && !valid(v)
        {
            bad.insert(format!("{key}={}", go_quote(v)));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let bad: Vec<String> = bad.into_iter().collect();
    forbid(
        "seccompProfile",
        format!(
            "forbidden {} {}",
            plural("annotation", "annotations", bad.len()),
            bad.join(", ")
        ),
        None,
    )
}

fn seccomp_baseline_1_19(p: &Pod) -> Outcome {
    let mut setters = Vec::new();
    let mut vals = BTreeSet::new();
    let mut at = None;
    if let Some(prof) = p.psc_field("seccompProfile") {
        let t = str_field(prof, "type");
        if !seccomp_valid_type(t) {
            setters.push("pod".to_string());
            vals.insert(t.to_string());
            at = Some("/securityContext/seccompProfile/type".to_string());
        }
    }
    let mut bad = Vec::new();
    for c in &p.containers {
        if let Some(prof) = c.sc_field("seccompProfile") {
            let t = str_field(prof, "type");
            if !seccomp_valid_type(t) {
                bad.push(c.name);
                vals.insert(t.to_string());
                at.get_or_insert(format!("{}/securityContext/seccompProfile/type", c.pointer));
            }
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    let vals: Vec<String> = vals.into_iter().collect();
    forbid(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            setters.join(" and "),
            join_quote(&vals)
        ),
        at,
    )
}

fn sysctls(p: &Pod, minor: u32) -> Outcome {
    let mut allowed = vec![
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    ];
    if minor >= 27 {
        allowed.push("net.ipv4.ip_local_reserved_ports");
    }
    if minor >= 29 {
        allowed.extend([
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ]);
    }
    if minor >= 32 {
        allowed.extend(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);
    }
    if minor >= 37 {
        allowed.extend([
            "net.ipv4.tcp_slow_start_after_idle",
            "net.ipv4.tcp_notsent_lowat",
        ]);
    }
    let psc = p.psc()?;
    let mut bad = Vec::new();
    let mut at = None;
    for (i, s) in arr(psc, "sysctls").iter().enumerate() {
        let name = str_field(s, "name");
        if !allowed.contains(&name) {
            bad.push(name);
            at.get_or_insert(format!("/securityContext/sysctls/{i}"));
        }
    }
    if bad.is_empty() {
        return None;
    }
    forbid("forbidden sysctls", bad.join(", "), at)
}

fn windows_host_process(p: &Pod) -> Outcome {
    let host_process = |sc: Option<&Value>| {
        sc.and_then(|sc| field(sc, "windowsOptions"))
            .and_then(|w| bool_field(w, "hostProcess"))
            == Some(true)
    };
    let mut setters = Vec::new();
    let mut at = None;
    if host_process(p.psc()) {
        setters.push("pod".to_string());
        at = Some("/securityContext/windowsOptions/hostProcess".to_string());
    }
    let mut bad = Vec::new();
    for c in &p.containers {
        if host_process(c.sc()) {
            bad.push(c.name);
            at.get_or_insert(format!(
                "{}/securityContext/windowsOptions/hostProcess",
                c.pointer
            ));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    forbid(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            setters.join(" and ")
        ),
        at,
    )
}

fn host_probes_and_host_lifecycle(p: &Pod) -> Outcome {
    let hosts_of = |h: &Value| -> Vec<String> {
        let mut out = Vec::new();
        for kind in ["httpGet", "tcpSocket"] {
            if let Some(x) = field(h, kind) {
                let host = str_field(x, "host");
                if !host.is_empty() {
                    out.push(host.to_string());
                }
            }
        }
        out
    };
    let mut bad = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut at = None;
    for c in &p.containers {
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(pr) = field(c.value, probe) {
                let h = hosts_of(pr);
                if !h.is_empty() {
                    bad.insert(c.name.to_string());
                    hosts.extend(h);
                    at.get_or_insert(format!("{}/{probe}", c.pointer));
                }
            }
        }
        if let Some(lc) = field(c.value, "lifecycle") {
            for hook in ["postStart", "preStop"] {
                if let Some(h) = field(lc, hook) {
                    let hs = hosts_of(h);
                    if !hs.is_empty() {
                        bad.insert(c.name.to_string());
                        hosts.extend(hs);
                        at.get_or_insert(format!("{}/lifecycle/{hook}", c.pointer));
                    }
                }
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    let bad: Vec<String> = bad.into_iter().collect();
    let hosts: Vec<String> = hosts.into_iter().collect();
    forbid(
        "probe or lifecycle host",
        format!(
            "{} {} {} {} {}",
            plural("container", "containers", bad.len()),
            join_quote(&bad),
            plural("uses", "use", bad.len()),
            plural(
                "probe or lifecycle host",
                "probe or lifecycle hosts",
                hosts.len()
            ),
            join_quote(&hosts)
        ),
        at,
    )
}

// ---------------------------------------------------------------------------------------------
// Restricted checks.

const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Restricted volume sources in the order PSA names the first one present (`cephFS` is reported as
/// `cephfs`).
const RESTRICTED_VOLUME_SOURCES: &[(&str, &str)] = &[
    ("hostPath", "hostPath"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("gitRepo", "gitRepo"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("rbd", "rbd"),
    ("flexVolume", "flexVolume"),
    ("cinder", "cinder"),
    ("cephFS", "cephfs"),
    ("flocker", "flocker"),
    ("fc", "fc"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("quobyte", "quobyte"),
    ("azureDisk", "azureDisk"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("scaleIO", "scaleIO"),
    ("storageos", "storageos"),
];

fn restricted_volumes(p: &Pod) -> Outcome {
    let mut bad = Vec::new();
    let mut types = BTreeSet::new();
    let mut at = None;
    for (i, v) in arr(p.spec, "volumes").iter().enumerate() {
        if ALLOWED_VOLUME_SOURCES.iter().any(|s| field(v, s).is_some()) {
            continue;
        }
        bad.push(str_field(v, "name"));
        let kind = RESTRICTED_VOLUME_SOURCES
            .iter()
            .find(|(f, _)| field(v, f).is_some())
            .map(|(_, n)| *n)
            .unwrap_or("unknown");
        types.insert(kind.to_string());
        at.get_or_insert(format!("/volumes/{i}"));
    }
    if bad.is_empty() {
        return None;
    }
    let types: Vec<String> = types.into_iter().collect();
    forbid(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            plural("volume", "volumes", bad.len()),
            join_quote(&bad),
            plural("uses", "use", bad.len()),
            plural(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        at,
    )
}

fn run_as_non_root_1_0(p: &Pod) -> Outcome {
    let mut setters = Vec::new();
    let mut pod_true = false;
    let mut at = None;
    if let Some(v) = p.psc_field("runAsNonRoot").and_then(Value::as_bool) {
        if !v {
            setters.push("pod".to_string());
            at = Some("/securityContext/runAsNonRoot".to_string());
        } else {
            pod_true = true;
        }
    }
    let mut explicit_bad = Vec::new();
    let mut implicit_bad = Vec::new();
    let mut implicit_at = None;
    for c in &p.containers {
        match c.sc_field("runAsNonRoot").and_then(Value::as_bool) {
            Some(false) => {
                explicit_bad.push(c.name);
                at.get_or_insert(format!("{}/securityContext/runAsNonRoot", c.pointer));
            }
            Some(true) => {}
            None => {
                if !pod_true {
                    implicit_bad.push(c.name);
                    implicit_at.get_or_insert(c.pointer.clone());
                }
            }
        }
    }
    if !explicit_bad.is_empty() {
        setters.push(containers_phrase(&explicit_bad));
    }
    if !setters.is_empty() {
        return forbid(
            "runAsNonRoot != true",
            format!(
                "{} must not set securityContext.runAsNonRoot=false",
                setters.join(" and ")
            ),
            at,
        );
    }
    if !implicit_bad.is_empty() {
        return forbid(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit_bad)
            ),
            implicit_at,
        );
    }
    None
}

fn run_as_non_root_1_35(p: &Pod) -> Outcome {
    if p.relax_for_user_namespace() {
        return None;
    }
    run_as_non_root_1_0(p)
}

fn allow_privilege_escalation_1_8(p: &Pod) -> Outcome {
    let bad: Vec<&Container> = p
        .containers
        .iter()
        .filter(|c| {
            c.sc_field("allowPrivilegeEscalation")
                .and_then(Value::as_bool)
                != Some(false)
        })
        .collect();
    let first = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|c| c.name).collect();
    forbid(
        "allowPrivilegeEscalation != false",
        format!(
            "{} must set securityContext.allowPrivilegeEscalation=false",
            containers_phrase(&names)
        ),
        Some(first.pointer.clone()),
    )
}

fn allow_privilege_escalation_1_25(p: &Pod) -> Outcome {
    if p.is_windows() {
        return None;
    }
    allow_privilege_escalation_1_8(p)
}

fn seccomp_restricted_1_19(p: &Pod) -> Outcome {
    let mut setters = Vec::new();
    let mut vals = BTreeSet::new();
    let mut pod_ok = false;
    let mut at = None;
    if let Some(prof) = p.psc_field("seccompProfile") {
        let t = str_field(prof, "type");
        if !seccomp_valid_type(t) {
            setters.push("pod".to_string());
            vals.insert(t.to_string());
            at = Some("/securityContext/seccompProfile/type".to_string());
        } else {
            pod_ok = true;
        }
    }
    let mut explicit_bad = Vec::new();
    let mut implicit_bad = Vec::new();
    let mut implicit_at = None;
    for c in &p.containers {
        match c.sc_field("seccompProfile") {
            Some(prof) => {
                let t = str_field(prof, "type");
                if !seccomp_valid_type(t) {
                    explicit_bad.push(c.name);
                    vals.insert(t.to_string());
                    at.get_or_insert(format!("{}/securityContext/seccompProfile/type", c.pointer));
                }
            }
            None => {
                if !pod_ok {
                    implicit_bad.push(c.name);
                    implicit_at.get_or_insert(c.pointer.clone());
                }
            }
        }
    }
    if !explicit_bad.is_empty() {
        setters.push(containers_phrase(&explicit_bad));
    }
    if !setters.is_empty() {
        let vals: Vec<String> = vals.into_iter().collect();
        return forbid(
            "seccompProfile",
            format!(
                "{} must not set securityContext.seccompProfile.type to {}",
                setters.join(" and "),
                join_quote(&vals)
            ),
            at,
        );
    }
    if !implicit_bad.is_empty() {
        return forbid(
            "seccompProfile",
            format!(
                "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                containers_phrase(&implicit_bad)
            ),
            implicit_at,
        );
    }
    None
}

fn seccomp_restricted_1_25(p: &Pod) -> Outcome {
    if p.is_windows() {
        return None;
    }
    seccomp_restricted_1_19(p)
}

fn capabilities_restricted_1_22(p: &Pod) -> Outcome {
    let mut missing_drop = Vec::new();
    let mut bad_add = Vec::new();
    let mut caps = BTreeSet::new();
    let mut at = None;
    for c in &p.containers {
        let Some(cs) = c.sc_field("capabilities") else {
            missing_drop.push(c.name);
            at.get_or_insert(c.pointer.clone());
            continue;
        };
        if !cap_names(cs, "drop").iter().any(|d| d == "ALL") {
            missing_drop.push(c.name);
            at.get_or_insert(format!("{}/securityContext/capabilities", c.pointer));
        }
        let mut forbidden = false;
        for cap in cap_names(cs, "add") {
            if cap != "NET_BIND_SERVICE" {
                forbidden = true;
                caps.insert(cap);
            }
        }
        if forbidden {
            bad_add.push(c.name);
            at.get_or_insert(format!("{}/securityContext/capabilities/add", c.pointer));
        }
    }
    let mut parts = Vec::new();
    if !missing_drop.is_empty() {
        parts.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_phrase(&missing_drop)
        ));
    }
    if !bad_add.is_empty() {
        let caps: Vec<String> = caps.into_iter().collect();
        parts.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_phrase(&bad_add),
            join_quote(&caps)
        ));
    }
    if parts.is_empty() {
        return None;
    }
    forbid("unrestricted capabilities", parts.join("; "), at)
}

fn capabilities_restricted_1_25(p: &Pod) -> Outcome {
    if p.is_windows() {
        return None;
    }
    capabilities_restricted_1_22(p)
}

fn run_as_user_1_23(p: &Pod) -> Outcome {
    let is_zero = |v: Option<&Value>| v.and_then(Value::as_i64) == Some(0);
    let mut setters = Vec::new();
    let mut at = None;
    if is_zero(p.psc_field("runAsUser")) {
        setters.push("pod".to_string());
        at = Some("/securityContext/runAsUser".to_string());
    }
    let mut bad = Vec::new();
    for c in &p.containers {
        if is_zero(c.sc_field("runAsUser")) {
            bad.push(c.name);
            at.get_or_insert(format!("{}/securityContext/runAsUser", c.pointer));
        }
    }
    if !bad.is_empty() {
        setters.push(containers_phrase(&bad));
    }
    if setters.is_empty() {
        return None;
    }
    forbid(
        "runAsUser=0",
        format!("{} must not set runAsUser=0", setters.join(" and ")),
        at,
    )
}

fn run_as_user_1_35(p: &Pod) -> Outcome {
    if p.relax_for_user_namespace() {
        return None;
    }
    run_as_user_1_23(p)
}

// ---------------------------------------------------------------------------------------------
// Registry.

type CheckFn = fn(&Pod, u32) -> Outcome;

struct Revision {
    min: u32,
    f: CheckFn,
    overrides: &'static [&'static str],
}

/// One check: PSA's ID and level, its revisions, and the rule metadata findings carry (the one
/// place a PSS rule's title, fix and peer IDs are written).
struct CheckDef {
    id: &'static str,
    /// `PSS-<id>`.
    rule: &'static str,
    level: Level,
    revisions: &'static [Revision],
    title: &'static str,
    remediation: &'static str,
    /// The same control in Trivy (KSV, from its PSS compliance specs) and Checkov (CKV_K8S).
    aliases: &'static [&'static str],
}

macro_rules! rev {
    ($min:expr, $f:expr) => {
        Revision {
            min: $min,
            f: $f,
            overrides: &[],
        }
    };
    ($min:expr, $f:expr, $ov:expr) => {
        Revision {
            min: $min,
            f: $f,
            overrides: $ov,
        }
    };
}

macro_rules! check {
    ($id:literal, $level:ident, [$($rev:expr),+ $(,)?], $title:literal, $fix:literal, [$($a:literal),* $(,)?] $(,)?) => {
        CheckDef {
            id: $id,
            rule: concat!("PSS-", $id),
            level: Level::$level,
            revisions: &[$($rev),+],
            title: $title,
            remediation: $fix,
            aliases: &[$($a),*],
        }
    };
}

/// Every check, sorted by ID within each level (PSA's evaluation and message order).
static CHECKS: &[CheckDef] = &[
    check!(
        "appArmorProfile",
        Baseline,
        [rev!(0, |p, _| app_armor_profile(p))],
        "AppArmor profile",
        "Use the RuntimeDefault or a Localhost AppArmor profile (or leave it unset).",
        ["KSV002"],
    ),
    check!(
        "capabilities_baseline",
        Baseline,
        [rev!(0, |p, _| capabilities_baseline(p))],
        "Non-default capabilities",
        "Add only capabilities of the default set (e.g. NET_BIND_SERVICE); drop the others.",
        ["KSV022", "CKV_K8S_39"],
    ),
    check!(
        "hostNamespaces",
        Baseline,
        [rev!(0, |p, _| host_namespaces(p))],
        "Host namespaces",
        "Do not set hostNetwork, hostPID or hostIPC to true.",
        [
            "KSV008",
            "KSV009",
            "KSV010",
            "CKV_K8S_17",
            "CKV_K8S_18",
            "CKV_K8S_19"
        ],
    ),
    check!(
        "hostPathVolumes",
        Baseline,
        [rev!(0, |p, _| host_path_volumes(p))],
        "hostPath volumes",
        "Replace hostPath volumes with persistentVolumeClaim, emptyDir, configMap or secret volumes.",
        ["KSV023"],
    ),
    check!(
        "hostPorts",
        Baseline,
        [rev!(0, |p, _| host_ports(p))],
        "Host ports",
        "Remove hostPort from container ports (with hostNetwork, every containerPort is a host port); expose the pod through a Service.",
        ["KSV024", "CKV_K8S_26"],
    ),
    check!(
        "hostProbesAndHostLifecycle",
        Baseline,
        [rev!(34, |p, _| host_probes_and_host_lifecycle(p))],
        "Probe or lifecycle host",
        "Leave httpGet.host and tcpSocket.host of probes and lifecycle hooks unset (the pod's IP).",
        [],
    ),
    check!(
        "privileged",
        Baseline,
        [rev!(0, |p, _| privileged(p))],
        "Privileged containers",
        "Remove securityContext.privileged=true.",
        ["KSV017", "CKV_K8S_16"],
    ),
    check!(
        "procMount",
        Baseline,
        [
            rev!(0, |p, _| proc_mount_1_0(p)),
            rev!(35, |p, _| proc_mount_1_35(p)),
        ],
        "/proc mount type",
        "Leave securityContext.procMount unset or Default.",
        ["KSV027"],
    ),
    check!(
        "seLinuxOptions",
        Baseline,
        [rev!(0, se_linux_options)],
        "SELinux options",
        "Use only the container_t, container_init_t, container_kvm_t or container_engine_t types and do not set user or role.",
        ["KSV025"],
    ),
    check!(
        "seccompProfile_baseline",
        Baseline,
        [
            rev!(0, |p, _| seccomp_baseline_1_0(p)),
            rev!(19, |p, _| seccomp_baseline_1_19(p)),
        ],
        "Seccomp profile",
        "Do not set the seccomp profile to Unconfined.",
        ["KSV104", "CKV_K8S_31"],
    ),
    check!(
        "sysctls",
        Baseline,
        [rev!(0, sysctls)],
        "Unsafe sysctls",
        "Set only the safe sysctls of the Pod Security Standards.",
        ["KSV026"],
    ),
    check!(
        "windowsHostProcess",
        Baseline,
        [rev!(0, |p, _| windows_host_process(p))],
        "Windows HostProcess",
        "Do not run Windows HostProcess containers.",
        ["KSV103"],
    ),
    check!(
        "allowPrivilegeEscalation",
        Restricted,
        [
            rev!(8, |p, _| allow_privilege_escalation_1_8(p)),
            rev!(25, |p, _| allow_privilege_escalation_1_25(p)),
        ],
        "Privilege escalation",
        "Set securityContext.allowPrivilegeEscalation=false on every container.",
        ["KSV001", "CKV_K8S_20"],
    ),
    check!(
        "capabilities_restricted",
        Restricted,
        [
            rev!(
                22,
                |p, _| capabilities_restricted_1_22(p),
                &["capabilities_baseline"]
            ),
            rev!(
                25,
                |p, _| capabilities_restricted_1_25(p),
                &["capabilities_baseline"]
            ),
        ],
        "Capabilities",
        "Set securityContext.capabilities.drop=[\"ALL\"] and add at most NET_BIND_SERVICE.",
        ["KSV003", "KSV106", "CKV_K8S_28", "CKV_K8S_37"],
    ),
    check!(
        "procMount_restricted",
        Restricted,
        [rev!(35, |p, _| proc_mount_1_0(p), &["procMount"])],
        "/proc mount type",
        "Leave securityContext.procMount unset or Default.",
        ["KSV027"],
    ),
    check!(
        "restrictedVolumes",
        Restricted,
        [rev!(0, |p, _| restricted_volumes(p), &["hostPathVolumes"])],
        "Volume types",
        "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.",
        ["KSV028"],
    ),
    check!(
        "runAsNonRoot",
        Restricted,
        [
            rev!(0, |p, _| run_as_non_root_1_0(p)),
            rev!(35, |p, _| run_as_non_root_1_35(p)),
        ],
        "Running as non-root",
        "Set securityContext.runAsNonRoot=true on the pod (or every container) and run the image as a non-root user.",
        ["KSV012", "CKV_K8S_23"],
    ),
    check!(
        "runAsUser",
        Restricted,
        [
            rev!(23, |p, _| run_as_user_1_23(p)),
            rev!(35, |p, _| run_as_user_1_35(p)),
        ],
        "Running as non-root user",
        "Do not set runAsUser to 0; use a non-zero UID.",
        ["KSV105"],
    ),
    check!(
        "seccompProfile_restricted",
        Restricted,
        [
            rev!(
                19,
                |p, _| seccomp_restricted_1_19(p),
                &["seccompProfile_baseline"]
            ),
            rev!(
                25,
                |p, _| seccomp_restricted_1_25(p),
                &["seccompProfile_baseline"]
            ),
        ],
        "Seccomp profile",
        "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) on the pod.",
        ["KSV030", "CKV_K8S_31"],
    ),
];

/// A PSS check as listings and findings describe it (its entry in the check registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// PSA's check ID (`runAsNonRoot`).
    pub id: &'static str,
    /// The rule ID findings carry (`PSS-runAsNonRoot`).
    pub rule: &'static str,
    pub level: Level,
    /// The first policy version that runs the check (`v1.<since>`).
    pub since: u32,
    pub title: &'static str,
    pub remediation: &'static str,
    pub aliases: &'static [&'static str],
}

impl CheckDef {
    fn info(&self) -> CheckInfo {
        CheckInfo {
            id: self.id,
            rule: self.rule,
            level: self.level,
            since: self.revisions.iter().map(|r| r.min).min().unwrap_or(0),
            title: self.title,
            remediation: self.remediation,
            aliases: self.aliases,
        }
    }
}

/// The check with PSA's ID `id` (`runAsNonRoot`).
pub fn check_info(id: &str) -> Option<CheckInfo> {
    CHECKS.iter().find(|c| c.id == id).map(CheckDef::info)
}

fn active(c: &CheckDef, minor: u32) -> Option<&Revision> {
    c.revisions.iter().rev().find(|r| r.min <= minor)
}

/// The IDs of the checks evaluated for a policy, in evaluation order.
pub fn checks_for(policy: Policy) -> Vec<&'static str> {
    plan(policy).into_iter().map(|(c, _)| c.id).collect()
}

fn plan(policy: Policy) -> Vec<(&'static CheckDef, &'static Revision)> {
    if policy.level == Level::Privileged {
        return Vec::new();
    }
    let minor = policy.effective_minor();
    let overrides: BTreeSet<&str> = if policy.level == Level::Restricted {
        CHECKS
            .iter()
            .filter(|c| c.level == Level::Restricted)
            .filter_map(|c| active(c, minor))
            .flat_map(|r| r.overrides.iter().copied())
            .collect()
    } else {
        BTreeSet::new()
    };
    CHECKS
        .iter()
        .filter(|c| c.level <= policy.level)
        .filter(|c| !overrides.contains(c.id))
        .filter_map(|c| active(c, minor).map(|r| (c, r)))
        .collect()
}

/// Every check PSA knows, baseline first (for documentation, rule listings and settings).
pub fn all_checks() -> impl Iterator<Item = CheckInfo> {
    CHECKS.iter().map(CheckDef::info)
}

/// Evaluate a pod (its metadata and spec) against a policy: the failed checks in PSA's order.
pub fn evaluate(policy: Policy, meta: &Value, spec: &Value) -> Vec<Violation> {
    let pod = Pod::new(meta, spec);
    let minor = policy.effective_minor();
    plan(policy)
        .into_iter()
        .filter_map(|(c, r)| {
            (r.f)(&pod, minor).map(|(reason, detail, at)| Violation {
                check: c.id,
                level: c.level,
                reason,
                detail,
                spec_pointer: at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(policy: &str, spec: Value) -> Vec<Violation> {
        evaluate(Policy::parse(policy).unwrap(), &json!({}), &spec)
    }

    #[test]
    fn versions_parse_as_psa_does() {
        assert_eq!(parse_version("latest"), Ok(None));
        assert_eq!(parse_version("v1.0"), Ok(Some(0)));
        assert_eq!(parse_version("v1.37"), Ok(Some(37)));
        for bad in ["v1.01", "v2.0", "1.25", "v1.", "v1.x", ""] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Policy::parse("restricted:v1.99").unwrap().effective_minor(),
            37
        );
    }

    #[test]
    fn check_counts_per_version() {
        let count = |p: &str| checks_for(Policy::parse(p).unwrap()).len();
        for (v, b, r) in [
            (0, 11, 12),
            (7, 11, 12),
            (8, 11, 13),
            (19, 11, 13),
            (22, 11, 13),
            (23, 11, 14),
            (33, 11, 14),
            (34, 12, 15),
            (35, 12, 15),
            (37, 12, 15),
        ] {
            assert_eq!(count(&format!("baseline:v1.{v}")), b, "baseline v1.{v}");
            assert_eq!(count(&format!("restricted:v1.{v}")), r, "restricted v1.{v}");
        }
        assert!(checks_for(Policy::parse("privileged").unwrap()).is_empty());
    }

    #[test]
    fn messages_match_psa_unit_tests() {
        let v = eval(
            "restricted:latest",
            json!({"containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": true}}]}),
        );
        let msgs: Vec<String> = v.iter().map(Violation::message).collect();
        assert!(
            msgs.contains(
                &"runAsNonRoot != true (pod or container \"a\" must set securityContext.runAsNonRoot=true)"
                    .to_string()
            ),
            "{msgs:#?}"
        );
        let v = eval(
            "baseline:latest",
            json!({"containers": [
                {"name": "b", "ports": [{"hostPort": 20}]},
                {"name": "c", "ports": [{"hostPort": 10}, {"hostPort": 30}]}]}),
        );
        assert_eq!(
            v[0].message(),
            "hostPort (containers \"b\", \"c\" use hostPorts 10, 20, 30)"
        );
        let v = eval(
            "restricted:latest",
            json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                   "containers": [
                {"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"add": ["FOO", "BAR"]}}},
                {"name": "b", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["BAZ", "CHOWN"]}}}]}),
        );
        assert_eq!(
            aggregate(&v),
            "unrestricted capabilities (container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]; containers \"a\", \"b\" must not include \"BAR\", \"BAZ\", \"CHOWN\", \"FOO\" in securityContext.capabilities.add)"
        );
    }

    /// Strings from the upstream unit tests of the checks whose conformance fixtures are not in the
    /// shared half (appArmorProfile, capabilities_restricted, hostPathVolumes, hostProbes…, procMount,
    /// restrictedVolumes, runAsUser, seccompProfile_restricted, sysctls).
    #[test]
    fn holdout_check_messages() {
        let one = |policy: &str, meta: Value, spec: Value| -> String {
            let v = evaluate(Policy::parse(policy).unwrap(), &meta, &spec);
            v.iter()
                .map(Violation::message)
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(
            one(
                "baseline",
                json!({}),
                json!({"volumes": [{"name": "a", "hostPath": {}}, {"name": "b", "emptyDir": {}}, {"name": "c", "hostPath": {}}], "containers": []})
            ),
            "hostPath volumes (volumes \"a\", \"c\")"
        );
        assert_eq!(
            one(
                "restricted:v1.0",
                json!({}),
                json!({"securityContext": {"runAsNonRoot": true},
                "volumes": [{"name": "b1", "hostPath": {}}, {"name": "b2", "nfs": {}}, {"name": "b3"}, {"name": "ok", "secret": {}, "hostPath": {}}, {"name": "img", "image": {}}], "containers": []})
            ),
            "restricted volume types (volumes \"b1\", \"b2\", \"b3\" use restricted volume types \"hostPath\", \"nfs\", \"unknown\")"
        );
        assert_eq!(
            one(
                "baseline",
                json!({}),
                json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": []})
            ),
            "forbidden AppArmor profile (pod must not set AppArmor profile type to \"Unconfined\")"
        );
        assert_eq!(
            one(
                "baseline",
                json!({}),
                json!({"containers": [{"name": "foo", "securityContext": {"appArmorProfile": {}}}]})
            ),
            "forbidden AppArmor profile (container \"foo\" must not set AppArmor profile type to \"\")"
        );
        assert_eq!(
            one(
                "restricted",
                json!({}),
                json!({"securityContext": {"runAsNonRoot": true, "runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "c", "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}},
                               {"name": "d", "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]})
            ),
            "runAsUser=0 (pod and containers \"c\", \"d\" must not set runAsUser=0)"
        );
        assert_eq!(
            one(
                "restricted",
                json!({}),
                json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "Unconfined"}},
                "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]})
            ),
            "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")"
        );
        assert_eq!(
            one(
                "baseline",
                json!({}),
                json!({"containers": [
                {"name": "b", "livenessProbe": {"httpGet": {"host": "localhost"}}, "lifecycle": {"preStop": {"tcpSocket": {"host": "::1"}}}},
                {"name": "a", "readinessProbe": {"tcpSocket": {"host": "127.0.0.1"}}},
                {"name": "a", "startupProbe": {"grpc": {"port": 1}}}]})
            ),
            "probe or lifecycle host (containers \"a\", \"b\" use probe or lifecycle hosts \"127.0.0.1\", \"::1\", \"localhost\")"
        );
        assert_eq!(
            one(
                "baseline:v1.33",
                json!({}),
                json!({"containers": [{"name": "b", "livenessProbe": {"httpGet": {"host": "localhost"}}}]})
            ),
            "",
            "host probes are only checked from v1.34"
        );
        assert_eq!(
            one(
                "baseline",
                json!({}),
                json!({"containers": [
                {"name": "d", "securityContext": {"procMount": "Unmasked"}},
                {"name": "e", "securityContext": {"procMount": "other"}},
                {"name": "f", "securityContext": {"procMount": "Default"}}]})
            ),
            "procMount (containers \"d\", \"e\" must not set securityContext.procMount to \"Unmasked\", \"other\")"
        );
        assert_eq!(
            one(
                "restricted:v1.21",
                json!({}),
                json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"add": ["NET_RAW"]}}}]})
            ),
            "non-default capabilities (container \"a\" must not include \"NET_RAW\" in securityContext.capabilities.add)",
            "before v1.22 restricted runs the baseline capabilities check"
        );
        assert_eq!(
            one(
                "restricted:v1.7",
                json!({}),
                json!({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a"}]})
            ),
            "",
            "allowPrivilegeEscalation only from v1.8, seccomp restricted from v1.19"
        );
    }

    #[test]
    fn ephemeral_containers_are_checked() {
        let v = eval(
            "baseline:latest",
            json!({"containers": [{"name": "a"}], "ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}]}),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].check, "privileged");
        assert_eq!(
            v[0].spec_pointer.as_deref(),
            Some("/ephemeralContainers/0/securityContext/privileged")
        );
    }

    #[test]
    fn windows_and_user_namespace_relaxations() {
        let win = json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
                         "containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}]});
        assert!(eval("restricted:v1.25", win.clone()).is_empty());
        // Before 1.25 no exemption; at baseline the (not overridden) baseline check fails.
        assert!(!eval("restricted:v1.24", win.clone()).is_empty());
        assert_eq!(
            eval("baseline:latest", win)[0].check,
            "capabilities_baseline"
        );

        let userns = json!({"hostUsers": false, "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
                            "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "procMount": "Unmasked"}}]});
        let ids = |v: Vec<Violation>| v.iter().map(|v| v.check).collect::<Vec<_>>();
        assert_eq!(
            ids(eval("restricted:v1.35", userns.clone())),
            ["procMount_restricted"]
        );
        assert_eq!(
            ids(eval("restricted:v1.34", userns.clone())),
            ["procMount", "runAsNonRoot", "runAsUser"]
        );
        assert!(eval("baseline:v1.35", userns.clone()).is_empty());
        assert_eq!(ids(eval("baseline:v1.34", userns)), ["procMount"]);
    }

    #[test]
    fn selinux_engine_type_from_1_31_and_sysctls_per_version() {
        let s = json!({"containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}]});
        assert_eq!(eval("baseline:v1.30", s.clone())[0].check, "seLinuxOptions");
        assert!(eval("baseline:v1.31", s).is_empty());
        let s = json!({"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_reserved_ports", "value": "1"}, {"name": "a"}, {"name": "b"}]}, "containers": []});
        assert_eq!(
            eval("baseline:v1.26", s.clone())[0].message(),
            "forbidden sysctls (net.ipv4.ip_local_reserved_ports, a, b)"
        );
        assert_eq!(
            eval("baseline:v1.27", s)[0].message(),
            "forbidden sysctls (a, b)"
        );
    }

    #[test]
    fn annotations_by_version() {
        let meta = json!({"annotations": {
            "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
            "container.apparmor.security.beta.kubernetes.io/a": "unconfined"}});
        let spec = json!({"containers": [{"name": "a"}]});
        let ids = |p: &str| {
            evaluate(Policy::parse(p).unwrap(), &meta, &spec)
                .iter()
                .map(|v| v.message())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids("baseline:v1.18"),
            [
                "forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\")",
                "seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"
            ]
        );
        assert_eq!(
            ids("baseline:v1.19").len(),
            1,
            "seccomp annotations ignored from 1.19"
        );
    }
}
