//! The image policy and the scan gate: what PSA does not know. Each container image of a pod (or
//! of a workload's pod template) must come from an allowed registry, be pinned by digest or not
//! be `:latest` when asked, and have a recent scan in the scan store (`bulkhead image --store`)
//! without vulnerabilities over a severity threshold (with a fix available, when asked). Each rule
//! denies or warns, per namespace.
//!
//! Images are looked up by digest when the reference pins one (exact), else by the tag the scan
//! was recorded under (a tag can move after the scan: pin digests where it matters, which
//! `requireDigest` enforces). Lookups are cached for [`CACHE_TTL`], at most [`CACHE_ENTRIES`]
//! images; a scan store that cannot be read denies (fails closed).

use bulkhead_advisories::scanstore::ScanStore;
use bulkhead_core::{FindingKind, Severity};
use bulkhead_image::source::registry::Reference;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a looked-up scan is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// Most images whose scans are held.
pub const CACHE_ENTRIES: usize = 4096;

/// What a rule does when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Action {
    Deny,
    Warn,
    Ignore,
}

/// Rules on the image references.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageRules {
    #[serde(default = "deny")]
    pub action: Action,
    /// `registry[/path]` prefixes (`registry.example.com`, `docker.io/library`); empty: any.
    #[serde(default)]
    pub allowed_registries: Vec<String>,
    /// Every image pinned by `@sha256:…`.
    #[serde(default)]
    pub require_digest: bool,
    /// No `:latest` and no untagged image (unless pinned by digest).
    #[serde(default)]
    pub deny_latest: bool,
}

fn deny() -> Action {
    Action::Deny
}

/// The scan gate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScanGate {
    /// What vulnerabilities over the threshold and stale scans do.
    #[serde(default = "deny")]
    pub action: Action,
    /// The lowest severity that counts (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `UNKNOWN`).
    #[serde(default = "high", deserialize_with = "severity")]
    pub severity: Severity,
    /// Only vulnerabilities with a fixed version count.
    #[serde(default)]
    pub fixable_only: bool,
    /// A scan older than this many days counts as stale.
    #[serde(default)]
    pub max_age_days: Option<u32>,
    /// What an image without a scan does.
    #[serde(default = "deny")]
    pub unscanned: Action,
    /// Ask the registry what digest an image's tag points to now and judge the scan of that
    /// digest (a tag moved after its scan is then an unscanned image); off: the scan recorded
    /// under the tag. A registry that cannot answer denies.
    #[serde(default)]
    pub resolve_tags: bool,
}

fn high() -> Severity {
    Severity::High
}

fn severity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

/// One namespace's rules (a namespace entry replaces the sections it gives).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub images: Option<ImageRules>,
    #[serde(default)]
    pub scan_gate: Option<ScanGate>,
    /// Secure defaults filled in by `POST /mutate`.
    #[serde(default)]
    pub mutate: Option<crate::mutate::MutateRules>,
}

/// The `AdmissionPolicy` document (`--policy FILE`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySpec {
    #[serde(default)]
    pub images: Option<ImageRules>,
    #[serde(default)]
    pub scan_gate: Option<ScanGate>,
    #[serde(default)]
    pub mutate: Option<crate::mutate::MutateRules>,
    #[serde(default)]
    pub namespaces: BTreeMap<String, Rules>,
}

impl PolicySpec {
    /// The rules of a namespace.
    pub fn rules_for(&self, namespace: &str) -> Rules {
        let base = Rules {
            images: self.images.clone(),
            scan_gate: self.scan_gate.clone(),
            mutate: self.mutate.clone(),
        };
        match self.namespaces.get(namespace) {
            Some(ns) => Rules {
                images: ns.images.clone().or(base.images),
                scan_gate: ns.scan_gate.clone().or(base.scan_gate),
                mutate: ns.mutate.clone().or(base.mutate),
            },
            None => base,
        }
    }
}

/// Read an `AdmissionPolicy` (`apiVersion: bulkhead.dev/v1alpha1`, `kind: AdmissionPolicy`,
/// `spec: {images, scanGate, namespaces}`); unknown fields and values are errors.
pub fn parse_policy(path: &Path, text: &str) -> Result<PolicySpec, crate::config::ConfigError> {
    let bad = |m: String| crate::config::ConfigError::Invalid {
        file: path.display().to_string(),
        message: m,
    };
    let docs = bulkhead_config::yaml::parse_documents(text).map_err(|e| bad(e.to_string()))?;
    let [doc] = docs.as_slice() else {
        return Err(bad(format!(
            "{} documents: expected one AdmissionPolicy",
            docs.len()
        )));
    };
    let v = &doc.value;
    if v.get("apiVersion").and_then(Value::as_str) != Some("bulkhead.dev/v1alpha1")
        || v.get("kind").and_then(Value::as_str) != Some("AdmissionPolicy")
    {
        return Err(bad(
            "expected apiVersion: bulkhead.dev/v1alpha1, kind: AdmissionPolicy".into(),
        ));
    }
    for k in v.as_object().into_iter().flatten().map(|(k, _)| k) {
        if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "spec") {
            return Err(bad(format!("unknown field {k:?}")));
        }
    }
    let spec = v.get("spec").cloned().unwrap_or(Value::Null);
    if spec.is_null() {
        return Ok(PolicySpec::default());
    }
    serde_json::from_value(spec).map_err(|e| bad(format!("spec: {e}")))
}

/// The vulnerabilities of one stored scan that a gate may count.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSummary {
    pub scan_id: i64,
    pub scanned_at: String,
    /// (advisory id, severity, package name and version, fixed version).
    pub vulnerabilities: Vec<(String, Severity, String, Option<String>)>,
}

/// Where scans come from.
pub trait Scans: Send + Sync {
    /// The latest scan of an image, by its digest or its tagged reference (with `resolve_tags`,
    /// by the digest the registry gives for the tag); `Err`: unreadable or unresolvable.
    fn scan(
        &self,
        reference: &Reference,
        resolve_tags: bool,
    ) -> Result<Option<ScanSummary>, String>;
}

/// Tags to digests at the registry, cached for [`CACHE_TTL`] (at most [`CACHE_ENTRIES`] tags).
pub struct TagResolver {
    opts: bulkhead_image::source::registry::RegistryOptions,
    cache: Mutex<HashMap<String, (Instant, Vec<String>)>>,
}

impl TagResolver {
    /// Anonymous or with the credentials of the usual auth files (as `bulkhead image
    /// registry://…`); each request at most `timeout` (keep it under the webhook's timeout).
    pub fn new(timeout: Duration) -> TagResolver {
        TagResolver {
            opts: bulkhead_image::source::registry::RegistryOptions {
                timeout: Some(timeout),
                ..Default::default()
            },
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The digests a tag stands for now: the manifest's (or the index's, and each of its
    /// platform manifests').
    pub fn resolve(&self, r: &Reference) -> Result<Vec<String>, String> {
        let key = r.to_string();
        if let Some((at, d)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(d.clone());
        }
        let client = bulkhead_image::source::registry::RegistryClient::connect(
            r,
            &self.opts,
            &bulkhead_image::Limits::default(),
        )
        .map_err(|e| e.to_string())?;
        let (bytes, digest, _media) = client
            .fetch_manifest(r.manifest_ref())
            .map_err(|e| e.to_string())?;
        let mut out = vec![digest];
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
            for m in v
                .get("manifests")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(d) = m.get("digest").and_then(Value::as_str) {
                    out.push(d.to_string());
                }
            }
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), out.clone()));
        Ok(out)
    }
}

/// The scan store on disk, with a bounded time-limited cache.
pub struct StoreScans {
    path: PathBuf,
    store: Mutex<Option<ScanStore>>,
    cache: Mutex<HashMap<String, (Instant, Option<ScanSummary>)>>,
    resolver: TagResolver,
}

impl StoreScans {
    /// Open the store (it must exist: an empty new store would pass nothing but hide a typo).
    pub fn open(path: &Path) -> Result<StoreScans, String> {
        if !path.is_file() {
            return Err(format!(
                "scan store {}: no such file (record scans with `bulkhead image IMAGE --store FILE`)",
                path.display()
            ));
        }
        let st = ScanStore::open(path).map_err(|e| e.to_string())?;
        Ok(StoreScans {
            path: path.to_path_buf(),
            store: Mutex::new(Some(st)),
            cache: Mutex::new(HashMap::new()),
            resolver: TagResolver::new(Duration::from_secs(3)),
        })
    }

    fn lookup(&self, key: &str, by_digest: bool) -> Result<Option<ScanSummary>, String> {
        let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(ScanStore::open(&self.path).map_err(|e| e.to_string())?);
        }
        let st = guard.as_ref().expect("opened above");
        let found = if by_digest {
            st.latest(key)
        } else {
            st.latest_by_ref(key)
        };
        let stored = match found {
            Ok(s) => s,
            Err(e) => {
                // Reopen next time (the file may have been replaced).
                *guard = None;
                return Err(e.to_string());
            }
        };
        Ok(stored.map(|s| ScanSummary {
            scan_id: s.id,
            scanned_at: s.scanned_at,
            vulnerabilities: s
                .target
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::Vulnerability)
                .map(|f| {
                    let pkg = f
                        .package
                        .as_ref()
                        .map(|p| format!("{} {}", p.name, p.version))
                        .unwrap_or_default();
                    (
                        f.id.clone(),
                        f.severity,
                        pkg,
                        f.fix.as_ref().and_then(|x| x.version.clone()),
                    )
                })
                .collect(),
        }))
    }
}

impl StoreScans {
    fn cached(&self, key: &str, by_digest: bool) -> Result<Option<ScanSummary>, String> {
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, s)) = cache.get(key)
                && at.elapsed() < CACHE_TTL
            {
                return Ok(s.clone());
            }
        }
        let s = self.lookup(key, by_digest)?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key.to_string(), (Instant::now(), s.clone()));
        Ok(s)
    }
}

impl Scans for StoreScans {
    fn scan(&self, r: &Reference, resolve_tags: bool) -> Result<Option<ScanSummary>, String> {
        if let Some(d) = &r.digest {
            return self.cached(d, true);
        }
        let mut t = r.clone();
        t.tag.get_or_insert_with(|| "latest".into());
        if resolve_tags {
            let digests = self
                .resolver
                .resolve(&t)
                .map_err(|e| format!("the tag could not be resolved at the registry: {e}"))?;
            for d in digests {
                if let Some(s) = self.cached(&d, true)? {
                    return Ok(Some(s));
                }
            }
            return Ok(None);
        }
        self.cached(&t.to_string(), false)
    }
}

/// What the image rules say about one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub deny: Vec<String>,
    pub warn: Vec<String>,
}

impl Verdict {
    fn push(&mut self, action: Action, message: String) {
        match action {
            Action::Deny => self.deny.push(message),
            Action::Warn => self.warn.push(message),
            Action::Ignore => {}
        }
    }
}

/// The images of a pod spec: init containers, containers, ephemeral containers.
pub fn images_of(spec: &Value) -> Vec<String> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|k| spec.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Days between an RFC 3339 time and now (None when it does not parse).
fn age_days(at: &str, now: time::OffsetDateTime) -> Option<f64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some((now - t).as_seconds_f64() / 86_400.0)
}

/// Most vulnerabilities named in one message.
const NAMED: usize = 5;

/// Check the images of a request against the namespace's rules.
pub fn check(
    images: &[String],
    rules: &Rules,
    scans: Option<&dyn Scans>,
    now: time::OffsetDateTime,
) -> Verdict {
    let mut v = Verdict::default();
    let mut seen = std::collections::BTreeSet::new();
    for image in images {
        if !seen.insert(image.as_str()) {
            continue;
        }
        let r = match Reference::parse(image) {
            Ok(r) => r,
            Err(e) => {
                let action = rules.images.as_ref().map_or(Action::Deny, |i| i.action);
                v.push(action, e.to_string());
                continue;
            }
        };
        if let Some(ir) = &rules.images {
            let name = format!("{}/{}", r.registry, r.repository);
            if !ir.allowed_registries.is_empty()
                && !ir.allowed_registries.iter().any(|p| {
                    let p = p.trim_end_matches('/');
                    name == p || name.starts_with(&format!("{p}/"))
                })
            {
                v.push(
                    ir.action,
                    format!(
                        "image {image:?} is not from an allowed registry ({})",
                        ir.allowed_registries.join(", ")
                    ),
                );
            }
            if ir.require_digest && r.digest.is_none() {
                v.push(
                    ir.action,
                    format!("image {image:?} is not pinned by digest (@sha256:…)"),
                );
            }
            if ir.deny_latest
                && r.digest.is_none()
                && r.tag.as_deref().is_none_or(|t| t == "latest")
            {
                v.push(
                    ir.action,
                    format!("image {image:?} uses the latest tag (give a version tag or a digest)"),
                );
            }
        }
        let (Some(gate), Some(scans)) = (&rules.scan_gate, scans) else {
            continue;
        };
        let summary = match scans.scan(&r, gate.resolve_tags) {
            Ok(Some(s)) => s,
            Ok(None) => {
                v.push(
                    gate.unscanned,
                    format!("image {image:?} has no scan in the scan store"),
                );
                continue;
            }
            Err(e) => {
                v.push(
                    Action::Deny,
                    format!("image {image:?}: the scan store cannot be read ({e})"),
                );
                continue;
            }
        };
        if let Some(max) = gate.max_age_days {
            match age_days(&summary.scanned_at, now) {
                Some(d) if d <= f64::from(max) => {}
                Some(d) => v.push(
                    gate.action,
                    format!(
                        "image {image:?}: the latest scan is {} days old (scanned at {}; at most {max} allowed)",
                        d.floor() as i64,
                        summary.scanned_at
                    ),
                ),
                None => v.push(
                    gate.action,
                    format!("image {image:?}: the scan time {:?} cannot be read", summary.scanned_at),
                ),
            }
        }
        let over: Vec<_> = summary
            .vulnerabilities
            .iter()
            .filter(|(_, s, _, fix)| *s >= gate.severity && (!gate.fixable_only || fix.is_some()))
            .collect();
        if !over.is_empty() {
            let mut named: Vec<String> = over
                .iter()
                .take(NAMED)
                .map(|(id, s, pkg, fix)| match fix {
                    Some(f) => format!("{id} {} in {pkg}, fixed in {f}", s.as_str()),
                    None => format!("{id} {} in {pkg}", s.as_str()),
                })
                .collect();
            if over.len() > NAMED {
                named.push(format!("and {} more", over.len() - NAMED));
            }
            v.push(
                gate.action,
                format!(
                    "image {image:?} has {} {} of severity {} or higher{} (scanned at {}): {}",
                    over.len(),
                    if over.len() == 1 {
                        "vulnerability"
                    } else {
                        "vulnerabilities"
                    },
                    gate.severity.as_str(),
                    if gate.fixable_only {
                        " with a fix available"
                    } else {
                        ""
                    },
                    summary.scanned_at,
                    named.join("; ")
                ),
            );
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(HashMap<String, ScanSummary>);
    impl Scans for Fixed {
        fn scan(&self, r: &Reference, _: bool) -> Result<Option<ScanSummary>, String> {
            let key = r.digest.clone().unwrap_or_else(|| r.to_string());
            Ok(self.0.get(&key).cloned())
        }
    }

    fn now() -> time::OffsetDateTime {
        time::OffsetDateTime::parse(
            "2026-12-07T10:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    }

    #[test]
    fn reference_rules() {
        let rules = Rules {
            mutate: None,
            images: Some(ImageRules {
                action: Action::Deny,
                allowed_registries: vec!["registry.example.com".into(), "docker.io/library".into()],
                require_digest: false,
                deny_latest: true,
            }),
            scan_gate: None,
        };
        let v = check(
            &[
                "nginx:1.27".into(),
                "registry.example.com/team/app:2".into(),
                "registry.example.com.evil.io/app:1".into(),
                "quay.io/x/y".into(),
            ],
            &rules,
            None,
            now(),
        );
        assert_eq!(v.deny.len(), 3, "{v:?}");
        assert!(
            v.deny[0].contains("registry.example.com.evil.io"),
            "a prefix ends at a /"
        );
        assert!(v.deny[1].contains("quay.io/x/y") && v.deny[1].contains("allowed registry"));
        assert!(v.deny[2].contains("latest tag"));
        let pinned = format!("nginx@sha256:{}", "a".repeat(64));
        assert!(
            check(&[pinned], &rules, None, now()).deny.is_empty(),
            "a digest is not latest"
        );
        assert!(
            check(&["Bad Image".into()], &rules, None, now()).deny[0].contains("image reference")
        );
    }

    #[test]
    fn scan_gate_counts_what_it_is_asked_to() {
        let digest = format!("sha256:{}", "b".repeat(64));
        let mut m = HashMap::new();
        m.insert(
            digest.clone(),
            ScanSummary {
                scan_id: 1,
                scanned_at: "2026-12-01T10:00:00Z".into(),
                vulnerabilities: vec![
                    (
                        "CVE-1".into(),
                        Severity::Critical,
                        "openssl 3.0.11".into(),
                        Some("3.0.13".into()),
                    ),
                    ("CVE-2".into(), Severity::High, "zlib 1.2".into(), None),
                    (
                        "CVE-3".into(),
                        Severity::Low,
                        "bash 5".into(),
                        Some("5.1".into()),
                    ),
                ],
            },
        );
        let scans = Fixed(m);
        let gate = |fixable_only, max_age_days, action| Rules {
            mutate: None,
            images: None,
            scan_gate: Some(ScanGate {
                action,
                severity: Severity::High,
                fixable_only,
                max_age_days,
                unscanned: Action::Warn,
                resolve_tags: false,
            }),
        };
        let img = vec![format!("registry.example.com/app@{digest}")];
        let v = check(&img, &gate(false, None, Action::Deny), Some(&scans), now());
        assert_eq!(v.deny.len(), 1);
        assert!(v.deny[0].contains("has 2 vulnerabilities of severity HIGH or higher (scanned at 2026-12-01T10:00:00Z): CVE-1 CRITICAL in openssl 3.0.11, fixed in 3.0.13; CVE-2 HIGH in zlib 1.2"), "{}", v.deny[0]);
        let v = check(&img, &gate(true, None, Action::Warn), Some(&scans), now());
        assert!(
            v.deny.is_empty()
                && v.warn[0].contains(
                    "has 1 vulnerability of severity HIGH or higher with a fix available"
                )
        );
        let v = check(
            &img,
            &gate(true, Some(3), Action::Deny),
            Some(&scans),
            now(),
        );
        assert!(v.deny[0].contains("the latest scan is 6 days old"), "{v:?}");
        let v = check(
            &["registry.example.com/other:1".into()],
            &gate(true, None, Action::Deny),
            Some(&scans),
            now(),
        );
        assert_eq!(
            v.warn,
            ["image \"registry.example.com/other:1\" has no scan in the scan store"]
        );
    }

    #[test]
    fn policy_documents_are_strict() {
        let p = Path::new("policy.yaml");
        let ok = "apiVersion: bulkhead.dev/v1alpha1\nkind: AdmissionPolicy\nspec:\n  images: {allowedRegistries: [r.example.com], denyLatest: true}\n  scanGate: {severity: critical, maxAgeDays: 7, unscanned: Warn}\n  namespaces:\n    dev: {scanGate: {action: Warn}}\n";
        let spec = parse_policy(p, ok).unwrap();
        assert_eq!(
            spec.rules_for("prod").scan_gate.unwrap().severity,
            Severity::Critical
        );
        assert_eq!(
            spec.rules_for("dev").scan_gate.unwrap().action,
            Action::Warn
        );
        assert!(
            spec.rules_for("dev").images.unwrap().deny_latest,
            "sections not given are inherited"
        );
        let e = |t: &str| parse_policy(p, t).unwrap_err().to_string();
        let head = "apiVersion: bulkhead.dev/v1alpha1\nkind: AdmissionPolicy\n";
        assert!(
            e(&format!("{head}spec: {{scanGate: {{severity: SEVERE}}}}\n"))
                .contains("unknown severity")
        );
        assert!(
            e(&format!("{head}spec: {{images: {{denyLatests: true}}}}\n")).contains("denyLatests")
        );
        assert!(e(&format!("{head}spec: {{scanGate: {{action: Block}}}}\n")).contains("Block"));
        assert!(e("kind: Pod\n").contains("AdmissionPolicy"));
    }
}
