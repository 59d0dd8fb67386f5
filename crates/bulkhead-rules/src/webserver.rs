//! Falco's web server (`webserver` in falco.yaml): `/healthz` for Kubernetes probes and, with
//! `prometheus_metrics_enabled`, `/metrics` in the Prometheus text format, with Falco's metric
//! names (`falcosecurity_<subsystem>_<name>`): events received and dropped by cause, rule
//! matches by rule, priority, source and tags, output queue drops, memory, uptime.
//!
//! The counters are shared with the pipeline through [`Metrics`]: [`MetricsSink`] counts the
//! alerts, the live source's kernel counters are read when `/metrics` is asked.

use crate::output::Alert;
use crate::pipeline::Sink;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// `webserver` keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebServerConfig {
    pub listen_address: String,
    pub listen_port: u16,
    pub healthz_endpoint: String,
    pub prometheus_metrics: bool,
    /// `ssl_enabled` + `ssl_certificate` (default `/etc/falco/falco.pem`): HTTPS with the
    /// certificate and private key of that PEM file.
    pub tls_pem: Option<std::path::PathBuf>,
}

impl Default for WebServerConfig {
    fn default() -> Self {
        WebServerConfig {
            listen_address: "0.0.0.0".into(),
            listen_port: 8765,
            healthz_endpoint: "/healthz".into(),
            prometheus_metrics: false,
            tls_pem: None,
        }
    }
}

/// Kernel-side counters as the metrics show them (see [`crate::source::Counters`]).
#[derive(Debug, Clone, Default)]
pub struct KernelCounters {
    pub events: u64,
    pub received: u64,
    pub drops_buffer: u64,
    pub drops_page_faults: u64,
    pub drops_bug: u64,
    /// Per CPU: (events produced, drops, ring bytes waiting at its last submit, most seen).
    pub per_cpu: Vec<CpuKernelCounters>,
    /// The ring buffer's size (0: not known).
    pub ring_bytes: u64,
}

/// One CPU's share of [`KernelCounters`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuKernelCounters {
    pub events: u64,
    pub drops: u64,
    pub ring_fill: u64,
    pub ring_fill_max: u64,
}

type CountersFn = Box<dyn Fn() -> KernelCounters + Send + Sync>;

/// What `/metrics` reports.
pub struct Metrics {
    start: Instant,
    /// Rule matches by (rule, priority, source, tags).
    matches: Mutex<BTreeMap<(String, String, String, String), u64>>,
    counters: Mutex<Option<CountersFn>>,
    outputs_drops: Mutex<Option<Box<dyn Fn() -> u64 + Send + Sync>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            start: Instant::now(),
            matches: Mutex::default(),
            counters: Mutex::default(),
            outputs_drops: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Where the kernel counters come from (the live source's).
    pub fn set_counters(&self, f: impl Fn() -> KernelCounters + Send + Sync + 'static) {
        *self.counters.lock().expect("metrics lock") = Some(Box::new(f));
    }

    /// Where the outputs queue's drops come from.
    pub fn set_outputs_drops(&self, f: impl Fn() -> u64 + Send + Sync + 'static) {
        *self.outputs_drops.lock().expect("metrics lock") = Some(Box::new(f));
    }

    fn count(&self, a: &Alert) {
        let key = (
            a.rule.to_string(),
            a.priority.as_str().to_string(),
            a.source.to_string(),
            a.tags.join(","),
        );
        *self
            .matches
            .lock()
            .expect("metrics lock")
            .entry(key)
            .or_default() += 1;
    }

    /// The Prometheus text exposition.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<String>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for l in lines {
                out.push_str(&l);
                out.push('\n');
            }
        };
        metric(
            "falcosecurity_falco_version_info",
            "gauge",
            "Bulkhead's version (the Falco-compatible runtime engine)",
            vec![format!(
                "falcosecurity_falco_version_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            )],
        );
        metric(
            "falcosecurity_falco_duration_seconds_total",
            "counter",
            "Seconds since the engine started",
            vec![format!(
                "falcosecurity_falco_duration_seconds_total {}",
                self.start.elapsed().as_secs()
            )],
        );
        if let Some(f) = self.counters.lock().expect("metrics lock").as_ref() {
            let c = f();
            metric(
                "falcosecurity_scap_n_evts_total",
                "counter",
                "Events the kernel produced",
                vec![format!("falcosecurity_scap_n_evts_total {}", c.events)],
            );
            metric(
                "falcosecurity_falco_num_evts_total",
                "counter",
                "Events userspace received",
                vec![format!("falcosecurity_falco_num_evts_total {}", c.received)],
            );
            metric(
                "falcosecurity_scap_n_drops_total",
                "counter",
                "Events dropped, all causes",
                vec![format!(
                    "falcosecurity_scap_n_drops_total {}",
                    c.drops_buffer + c.drops_page_faults + c.drops_bug
                )],
            );
            metric(
                "falcosecurity_scap_n_drops_buffer_total",
                "counter",
                "Events dropped because the ring buffer was full",
                vec![format!(
                    "falcosecurity_scap_n_drops_buffer_total {}",
                    c.drops_buffer
                )],
            );
            metric(
                "falcosecurity_scap_n_drops_page_faults_total",
                "counter",
                "Arguments that could not be read (page not resident)",
                vec![format!(
                    "falcosecurity_scap_n_drops_page_faults_total {}",
                    c.drops_page_faults
                )],
            );
            metric(
                "falcosecurity_scap_n_drops_bug_total",
                "counter",
                "Events dropped by bugs (malformed records)",
                vec![format!(
                    "falcosecurity_scap_n_drops_bug_total {}",
                    c.drops_bug
                )],
            );
            let per_cpu = |f: fn(&CpuKernelCounters) -> u64, name: &str| -> Vec<String> {
                c.per_cpu
                    .iter()
                    .enumerate()
                    .map(|(cpu, k)| format!("{name}{{cpu=\"{cpu}\"}} {}", f(k)))
                    .collect()
            };
            metric(
                "falcosecurity_scap_n_evts_cpu_total",
                "counter",
                "Events the kernel produced, per CPU",
                per_cpu(|k| k.events, "falcosecurity_scap_n_evts_cpu_total"),
            );
            metric(
                "falcosecurity_scap_n_drops_cpu_total",
                "counter",
                "Events dropped, per CPU",
                per_cpu(|k| k.drops, "falcosecurity_scap_n_drops_cpu_total"),
            );
            if c.ring_bytes > 0 {
                metric(
                    "bulkhead_sensor_ring_size_bytes",
                    "gauge",
                    "Size of the sensor's ring buffer (shared by all CPUs)",
                    vec![format!("bulkhead_sensor_ring_size_bytes {}", c.ring_bytes)],
                );
            }
            metric(
                "bulkhead_sensor_ring_fill_bytes",
                "gauge",
                "Bytes waiting in the ring buffer when the CPU last wrote an event to it",
                per_cpu(|k| k.ring_fill, "bulkhead_sensor_ring_fill_bytes"),
            );
            metric(
                "bulkhead_sensor_ring_fill_max_bytes",
                "gauge",
                "Most bytes the CPU saw waiting in the ring buffer when writing an event",
                per_cpu(|k| k.ring_fill_max, "bulkhead_sensor_ring_fill_max_bytes"),
            );
        }
        if let Some(f) = self.outputs_drops.lock().expect("metrics lock").as_ref() {
            metric(
                "falcosecurity_falco_outputs_queue_num_drops_total",
                "counter",
                "Alerts dropped because the outputs queue was full",
                vec![format!(
                    "falcosecurity_falco_outputs_queue_num_drops_total {}",
                    f()
                )],
            );
        }
        let matches = self.matches.lock().expect("metrics lock");
        metric(
            "falcosecurity_falco_rules_matches_total",
            "counter",
            "Alerts by rule",
            matches
                .iter()
                .map(|((rule, prio, source, tags), n)| {
                    format!(
                        "falcosecurity_falco_rules_matches_total{{rule_name=\"{}\",priority=\"{}\",source=\"{}\",tags=\"{}\"}} {n}",
                        label(rule),
                        label(prio),
                        label(source),
                        label(tags)
                    )
                })
                .collect(),
        );
        drop(matches);
        if let Some(rss) = rss_bytes() {
            metric(
                "falcosecurity_falco_memory_rss_bytes",
                "gauge",
                "Resident memory of the process",
                vec![format!("falcosecurity_falco_memory_rss_bytes {rss}")],
            );
        }
        out
    }
}

/// A label value escaped as the text format asks (`\`, `"`, newline).
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(4096) as u64)
}

/// Counts every alert into [`Metrics`].
pub struct MetricsSink(pub Arc<Metrics>);

impl Sink for MetricsSink {
    fn alert(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.count(alert);
        Ok(())
    }
}

/// The running server; dropping it stops it.
pub struct WebServer {
    _served: crate::httpd::Served,
    pub addr: std::net::SocketAddr,
}

impl WebServer {
    /// Listens and answers on its own thread.
    pub fn start(cfg: &WebServerConfig, metrics: Arc<Metrics>) -> Result<WebServer, String> {
        let bind = format!("{}:{}", cfg.listen_address, cfg.listen_port);
        let c = cfg.clone();
        let served = crate::httpd::serve(
            "webserver",
            &bind,
            cfg.tls_pem.as_deref(),
            "bulkhead-webserver",
            move |req| answer(req, &c, &metrics),
        )?;
        Ok(WebServer {
            addr: served.addr,
            _served: served,
        })
    }
}

fn answer(req: tiny_http::Request, cfg: &WebServerConfig, metrics: &Metrics) {
    let path = req.url().split('?').next().unwrap_or("").to_string();
    let (code, body, ctype) = if *req.method() != tiny_http::Method::Get {
        (405, "method not allowed\n".to_string(), "text/plain")
    } else if path == cfg.healthz_endpoint {
        (200, "{\"status\": \"ok\"}".to_string(), "application/json")
    } else if path == "/metrics" && cfg.prometheus_metrics {
        (
            200,
            metrics.prometheus(),
            "text/plain; version=0.0.4; charset=utf-8",
        )
    } else {
        (404, "not found\n".to_string(), "text/plain")
    };
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], ctype.as_bytes())
        .expect("static header");
    let _ = req.respond(
        tiny_http::Response::from_string(body)
            .with_status_code(code)
            .with_header(header),
    );
}
