//! Prometheus metrics of the webhook, in the text exposition format (written by hand, as the
//! runtime's web server does: a few counters and one histogram do not need a metrics crate).
//! PSA's own counters keep its names and labels (`pod_security_evaluations_total`,
//! `pod_security_exemptions_total`, `pod_security_errors_total`) so its dashboards work.

use crate::psa::Decision;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

#[derive(Default)]
struct Inner {
    /// `name{labels}` → count.
    counters: BTreeMap<String, u64>,
    /// Per bucket, then +Inf.
    latency: [u64; BUCKETS.len() + 1],
    latency_sum: f64,
    latency_count: u64,
}

/// The webhook's counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn key(name: &str, labels: &[(&str, &str)]) -> String {
    let mut s = String::from(name);
    if !labels.is_empty() {
        s.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{k}=\"{}\"", label_value(v));
        }
        s.push('}');
    }
    s
}

/// PSA's `policy_version` label: `latest` (latest or privileged) or `v1.N`.
fn version_label(d: &crate::psa::Evaluation) -> String {
    match (d.policy.level, d.policy.minor) {
        (bulkhead_config::pss::Level::Privileged, _) | (_, None) => "latest".into(),
        (_, Some(m)) if m > bulkhead_config::pss::NEWEST_MINOR => "future".into(),
        (_, Some(m)) => format!("v1.{m}"),
    }
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g);
    }

    /// A request answered with HTTP `code` at `path`.
    pub fn http(&self, path: &str, code: u16) {
        let code = code.to_string();
        self.with(|m| {
            *m.counters
                .entry(key(
                    "bulkhead_admission_http_requests_total",
                    &[("path", path), ("code", &code)],
                ))
                .or_default() += 1;
        });
    }

    /// One admission decision and how long it took.
    pub fn decision(&self, operation: &str, d: &Decision, took: Duration) {
        let op = operation.to_ascii_lowercase();
        let decision = if d.response.allowed { "allow" } else { "deny" };
        let resource = if d.resource.is_empty() {
            "other"
        } else {
            d.resource
        };
        let s = took.as_secs_f64();
        self.with(|m| {
            *m.counters
                .entry(key(
                    "bulkhead_admission_decisions_total",
                    &[
                        ("decision", decision),
                        ("operation", &op),
                        ("resource", resource),
                    ],
                ))
                .or_default() += 1;
            for e in &d.evaluations {
                // As PSA: enforce records allow and deny; audit and warn record denials only.
                if e.mode != "enforce" && !e.denied {
                    continue;
                }
                let version = version_label(e);
                *m.counters
                    .entry(key(
                        "pod_security_evaluations_total",
                        &[
                            ("decision", if e.denied { "deny" } else { "allow" }),
                            ("policy_level", e.policy.level.as_str()),
                            ("policy_version", &version),
                            ("mode", e.mode),
                            ("request_operation", &op),
                            ("resource", resource),
                        ],
                    ))
                    .or_default() += 1;
            }
            if d.exempt {
                *m.counters
                    .entry(key(
                        "pod_security_exemptions_total",
                        &[("request_operation", &op), ("resource", resource)],
                    ))
                    .or_default() += 1;
            }
            if let Some((fatal, _)) = &d.error {
                *m.counters
                    .entry(key(
                        "pod_security_errors_total",
                        &[
                            ("fatal", if *fatal { "true" } else { "false" }),
                            ("request_operation", &op),
                            ("resource", resource),
                        ],
                    ))
                    .or_default() += 1;
            }
            let i = BUCKETS
                .iter()
                .position(|b| s <= *b)
                .unwrap_or(BUCKETS.len());
            m.latency[i] += 1;
            m.latency_sum += s;
            m.latency_count += 1;
        });
    }

    /// A pod seen by `/mutate`, patched or already complete.
    pub fn mutation(&self, patched: bool) {
        self.with(|m| {
            *m.counters
                .entry(key(
                    "bulkhead_admission_mutations_total",
                    &[("patched", if patched { "true" } else { "false" })],
                ))
                .or_default() += 1;
        });
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let mut last = "";
        for (k, v) in &g.counters {
            let name = k.split('{').next().unwrap_or(k);
            if name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            let _ = writeln!(out, "{k} {v}");
        }
        let name = "bulkhead_admission_decision_duration_seconds";
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cum = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cum += g.latency[i];
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cum}");
        }
        cum += g.latency[BUCKETS.len()];
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cum}");
        let _ = writeln!(out, "{name}_sum {}", g.latency_sum);
        let _ = writeln!(out, "{name}_count {}", g.latency_count);
        out
    }
}
