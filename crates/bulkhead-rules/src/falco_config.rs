//! The part of Falco's configuration (`falco.yaml`, `-c FILE`, `-o key=value`) a replay uses:
//! output shape, priority threshold, rule matching, logging and `syscall_event_drops`, read with
//! Falco's defaults and error texts (falco `userspace/falco/configuration.cpp`), and Falco's
//! syscall event drop monitor (`event_drops.cpp`) with its token bucket (`token_bucket.cpp`).
//!
//! Defaults: without a configuration file, the values of the `falco.yaml` Falco ships
//! (`stdout_output.enabled: true`, `log_stderr: true`); with a file, keys it does not set take
//! Falco's code defaults (`stdout_output.enabled` and `log_stderr` false), as Falco does.

use crate::Priority;
use crate::yaml::{self, Kind, Node};
use std::path::{Path, PathBuf};

/// What to do when syscall events were dropped (`syscall_event_drops.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropAction {
    Ignore,
    Log,
    Alert,
    Exit,
}

/// `syscall_event_drops`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropsConfig {
    pub actions: Vec<DropAction>,
    pub threshold: f64,
    pub rate: f64,
    pub max_burst: f64,
    pub simulate_drops: bool,
}

/// Largest configuration file read (bytes); the YAML reader's own bounds apply to what it holds
/// ([`yaml::MAX_NODES`], [`yaml::MAX_DEPTH`]).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The configuration a replay runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct FalcoConfig {
    pub json_output: bool,
    pub json_include_output_property: bool,
    pub json_include_tags_property: bool,
    pub time_format_iso_8601: bool,
    /// `priority`: minimum rule priority.
    pub priority: Priority,
    /// `rule_matching: all`.
    pub rule_matching_all: bool,
    pub stdout_output: bool,
    pub log_stderr: bool,
    /// `log_level`, as a priority (Falco's logger uses the same levels).
    pub log_level: Priority,
    /// `rules_files` (or the deprecated `rules_file`), used when no `-r` is given.
    pub rules_files: Vec<PathBuf>,
    pub drops: DropsConfig,
    /// `falco_libs.thread_table_size`: most threads the replay state keeps (Falco's default,
    /// 262,144).
    pub thread_table_size: usize,
    /// Keys that are enabled (in the file or by `-o`) but that Bulkhead does not implement, with
    /// what they would have done: the caller warns about each (they are never silently ignored).
    pub unimplemented: Vec<Unimplemented>,
    /// `file_output`, `program_output`, `http_output`, `syslog_output`, `buffered_outputs`,
    /// `outputs_queue`.
    pub outputs: crate::outputs::OutputsConfig,
    /// `webserver`, when enabled (served by `runtime monitor`).
    pub webserver: Option<crate::webserver::WebServerConfig>,
    /// The k8saudit plugin loaded (`load_plugins`), its endpoint (served by `runtime monitor`).
    pub k8saudit: Option<crate::k8saudit_server::K8sAuditConfig>,
    /// `watch_config_files`: the monitor reloads when the configuration or a rules file changes.
    pub watch_config_files: bool,
    /// `engine.modern_ebpf.buf_size_preset` as bytes: the live sensor's ring buffer (Falco's
    /// presets 1–10: 1 MiB doubling to 512 MiB; Bulkhead's default 16 MiB, preset 5).
    pub ring_bytes: u32,
}

/// A Falco configuration key Bulkhead reads but does not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unimplemented {
    /// The key as written (`file_output`, `http_output`, `append_output`).
    pub key: String,
    /// What Falco would have done with it.
    pub what: &'static str,
}

impl std::fmt::Display for Unimplemented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is set but Bulkhead does not implement it yet ({}): ignored",
            self.key, self.what
        )
    }
}

/// Output channels and servers of Falco's configuration that Bulkhead does not implement, each
/// with an `enabled` key (the live monitor, issue 12, brings the outputs).
const UNIMPLEMENTED_SECTIONS: &[(&str, &str)] = &[
    ("grpc_output", "alerts served over gRPC"),
    ("grpc", "Falco's gRPC server"),
    ("metrics", "periodic internal metrics"),
    ("capture", "captures written when rules match"),
];

/// One configuration document and the `-o` overrides on top of it.
struct Doc {
    root: Option<Node>,
    overrides: Vec<(String, Node)>,
}

impl Doc {
    /// The node at a dotted path: the last `-o` override of exactly that key, else the file's.
    fn get(&self, path: &str) -> Option<&Node> {
        if let Some((_, n)) = self.overrides.iter().rev().find(|(k, _)| k == path) {
            return Some(n);
        }
        let mut n = self.root.as_ref()?;
        for part in path.split('.') {
            n = n.get(part)?;
        }
        Some(n)
    }

    fn scalar(&self, path: &str) -> Option<String> {
        self.get(path).and_then(Node::scalar).map(str::to_string)
    }
}

/// A configuration error, worded as Falco words it (scripts match these texts).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("Error reading config file ({file}): {error}")]
    Read { file: String, error: std::io::Error },
    /// A key of the file (or of `-o`) has an invalid value; `what` names the key and the fix.
    #[error("Error reading config file ({file}): {what}")]
    Invalid { file: String, what: String },
    /// A `-o` option that is not `key=value`.
    #[error("Error parsing config option \"{0}\". Must be of the form key=val or key.subkey=val")]
    Option(String),
    /// A `-o key={...}` value that is not a YAML object.
    #[error("-o {key}: invalid YAML object {value:?}")]
    OptionObject { key: String, value: String },
    #[error("Unknown rule matching strategy \"{0}\"--must be one of first, all")]
    RuleMatching(String),
    #[error(
        "Unknown priority \"{0}\"--must be one of emergency, alert, critical, error, warning, notice, informational, debug"
    )]
    Priority(String),
}

/// A configuration error, as Falco words it.
fn bad(file: &str, what: &str) -> ConfigError {
    ConfigError::Invalid {
        file: file.to_string(),
        what: what.to_string(),
    }
}

impl FalcoConfig {
    /// Read the configuration file (if any), then apply `-o key=value` options in order.
    pub fn load(file: Option<&Path>, options: &[String]) -> Result<FalcoConfig, ConfigError> {
        match file {
            Some(p) => {
                use bulkhead_core::input::{InputError, read_regular, text_lossy};
                let bytes = read_regular(p, MAX_CONFIG_BYTES, "fixed").map_err(|e| {
                    let error = match e {
                        InputError::Io { source, .. } => source,
                        InputError::NotRegular { what, .. } => std::io::Error::other(format!(
                            "{what}, not a regular file (a configuration is read from a regular file)"
                        )),
                        InputError::TooLarge { limit, .. } => std::io::Error::other(format!(
                            "larger than {limit} bytes (the largest configuration Bulkhead reads)"
                        )),
                    };
                    ConfigError::Read {
                        file: p.display().to_string(),
                        error,
                    }
                })?;
                FalcoConfig::parse(Some(&text_lossy(bytes)), &p.display().to_string(), options)
            }
            None => FalcoConfig::parse(None, "<defaults>", options),
        }
    }

    /// The configuration of a file's text (`None`: no file, the shipped defaults) named `name`
    /// in messages, with `-o key=value` options applied in order.
    pub fn parse(
        text: Option<&str>,
        name: &str,
        options: &[String],
    ) -> Result<FalcoConfig, ConfigError> {
        let name = name.to_string();
        let root = match text {
            Some(text) => {
                let docs = yaml::load_all(text).map_err(|e| {
                    bad(
                        &name,
                        &format!(
                            "line {}, column {}: {}",
                            e.mark.line + 1,
                            e.mark.column + 1,
                            e.message
                        ),
                    )
                })?;
                let root = docs.into_iter().next().filter(|n| !n.is_null());
                if root.as_ref().is_some_and(|n| !n.is_map()) {
                    return Err(bad(&name, "not a YAML mapping"));
                }
                root
            }
            None => None,
        };
        let file = text;
        let mut overrides = Vec::new();
        for o in options {
            let Some((k, v)) = o.split_once('=') else {
                return Err(ConfigError::Option(o.clone()));
            };
            let node = if v.starts_with('{') && v.ends_with('}') {
                yaml::load_all(v)
                    .ok()
                    .and_then(|d| d.into_iter().next())
                    .ok_or_else(|| ConfigError::OptionObject {
                        key: k.to_string(),
                        value: v.to_string(),
                    })?
            } else {
                Node {
                    kind: Kind::Scalar(v.to_string()),
                    mark: Default::default(),
                }
            };
            overrides.push((k.to_string(), node));
        }
        let doc = Doc { root, overrides };
        let shipped = file.is_none();
        let boolean = |path: &str, default: bool| -> Result<bool, ConfigError> {
            match doc.scalar(path) {
                None => Ok(default),
                Some(s) => yaml::decode_bool(&s)
                    .ok_or_else(|| bad(&name, &format!("{path}: {s:?} is not a boolean"))),
            }
        };
        let double = |path: &str, default: f64| -> Result<f64, ConfigError> {
            match doc.scalar(path) {
                None => Ok(default),
                Some(s) => s
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| bad(&name, &format!("{path}: {s:?} is not a number"))),
            }
        };
        let rule_matching = doc
            .scalar("rule_matching")
            .unwrap_or_else(|| "first".into());
        let rule_matching_all = match rule_matching.as_str() {
            "first" => false,
            "all" => true,
            other => return Err(ConfigError::RuleMatching(other.to_string())),
        };
        let priority = doc.scalar("priority").unwrap_or_else(|| "debug".into());
        let priority =
            Priority::parse(&priority).ok_or_else(|| ConfigError::Priority(priority.clone()))?;
        let log_level = doc.scalar("log_level").unwrap_or_else(|| "info".into());
        let log_level = Priority::parse(&log_level)
            .ok_or_else(|| bad(&name, &format!("unknown log_level \"{log_level}\"")))?;
        let list = |path: &str| -> Vec<String> {
            match doc.get(path).map(|n| &n.kind) {
                Some(Kind::Seq(items)) => items.iter().filter_map(Node::as_string).collect(),
                Some(Kind::Scalar(s)) => vec![s.clone()],
                _ => Vec::new(),
            }
        };
        if doc.get("rules_files").is_some() && doc.get("rules_file").is_some() {
            return Err(bad(&name, "both 'rules_files' and 'rules_file' keys set"));
        }
        let mut rules_files = list("rules_files");
        rules_files.extend(list("rules_file"));
        let mut actions = Vec::new();
        for a in list("syscall_event_drops.actions") {
            let act = match a.as_str() {
                "ignore" => DropAction::Ignore,
                "log" => DropAction::Log,
                "alert" => DropAction::Alert,
                "exit" => DropAction::Exit,
                _ => {
                    return Err(bad(
                        &name,
                        "available actions for syscall event drops are \"ignore\", \"log\", \"alert\", and \"exit\"",
                    ));
                }
            };
            if matches!(act, DropAction::Log | DropAction::Alert)
                && actions.contains(&DropAction::Ignore)
            {
                return Err(bad(
                    &name,
                    &format!(
                        "syscall event drop action \"{a}\" does not make sense with the \"ignore\" action"
                    ),
                ));
            }
            if !actions.contains(&act) {
                actions.push(act);
            }
        }
        if actions.is_empty() {
            actions.push(DropAction::Ignore);
        }
        let threshold = double("syscall_event_drops.threshold", 0.1)?;
        if !(0.0..=1.0).contains(&threshold) {
            return Err(bad(
                &name,
                "syscall event drops threshold must be a double in the range [0, 1]",
            ));
        }
        let thread_table_size = match doc.scalar("falco_libs.thread_table_size") {
            None => crate::syscall::DEFAULT_MAX_THREADS,
            Some(s) => match s.trim().parse::<u32>() {
                Ok(n) if n > 0 => n as usize,
                _ => {
                    return Err(bad(
                        &name,
                        &format!(
                            "falco_libs.thread_table_size: {s:?} is not a positive number of threads"
                        ),
                    ));
                }
            },
        };
        let mut unimplemented = Vec::new();
        for (key, what) in UNIMPLEMENTED_SECTIONS {
            if boolean(&format!("{key}.enabled"), false)? {
                unimplemented.push(Unimplemented {
                    key: key.to_string(),
                    what,
                });
            }
        }
        if boolean("json_include_message_property", false)? {
            unimplemented.push(Unimplemented {
                key: "json_include_message_property".into(),
                what: "a `message` property in JSON alerts",
            });
        }
        // Plugins: k8saudit (the audit webhook, served by the monitor) and json (its fields are
        // built in); any other is named as not implemented.
        let mut k8saudit = None;
        for name in list("load_plugins") {
            match name.as_str() {
                "json" => {}
                "k8saudit" => {
                    let entry = match doc.get("plugins").map(|n| &n.kind) {
                        Some(Kind::Seq(items)) => items
                            .iter()
                            .find(|p| p.get("name").and_then(Node::scalar) == Some("k8saudit")),
                        _ => None,
                    };
                    let open = entry
                        .and_then(|p| p.get("open_params"))
                        .and_then(Node::scalar)
                        .unwrap_or("http://:9765/k8s-audit");
                    let mut c = crate::k8saudit_server::K8sAuditConfig::from_open_params(open)
                        .map_err(|e| bad(&name, &e))?;
                    let init = entry.and_then(|p| p.get("init_config"));
                    let num = |k: &str| -> Result<Option<usize>, ConfigError> {
                        match init.and_then(|i| i.get(k)).and_then(Node::scalar) {
                            None => Ok(None),
                            Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
                                bad(
                                    &name,
                                    &format!("k8saudit init_config.{k}: {v:?} is not a number"),
                                )
                            }),
                        }
                    };
                    if let Some(n) = num("maxEventSize")? {
                        c.max_event_size = n;
                    }
                    if let Some(n) = num("webhookMaxBatchSize")? {
                        c.max_batch_size = n;
                    }
                    if c.tls_pem.is_some()
                        && let Some(p) = init
                            .and_then(|i| i.get("sslCertificate"))
                            .and_then(Node::scalar)
                    {
                        c.tls_pem = Some(PathBuf::from(p));
                    }
                    k8saudit = Some(c);
                }
                other => unimplemented.push(Unimplemented {
                    key: format!("load_plugins: {other}"),
                    what: "a plugin loaded as an event source or extractor",
                }),
            }
        }
        for (key, what) in [("append_output", "text and fields appended to rule outputs")] {
            if matches!(doc.get(key).map(|n| &n.kind), Some(Kind::Seq(items)) if !items.is_empty())
            {
                unimplemented.push(Unimplemented {
                    key: key.to_string(),
                    what,
                });
            }
        }
        let text = |path: &str| doc.scalar(path).filter(|s| !s.is_empty());
        let mut outputs = crate::outputs::OutputsConfig {
            buffered: boolean("buffered_outputs", false)?,
            queue_capacity: match doc.scalar("outputs_queue.capacity") {
                None => 0,
                Some(s) => s.trim().parse::<usize>().map_err(|_| {
                    bad(
                        &name,
                        &format!("outputs_queue.capacity: {s:?} is not a number of alerts"),
                    )
                })?,
            },
            ..Default::default()
        };
        if boolean("file_output.enabled", false)? {
            let filename = text("file_output.filename").ok_or_else(|| {
                bad(
                    &name,
                    "file_output is enabled without a file_output.filename",
                )
            })?;
            outputs.file = Some(crate::outputs::FileOutput {
                filename: PathBuf::from(filename),
                keep_alive: boolean("file_output.keep_alive", false)?,
            });
        }
        if boolean("program_output.enabled", false)? {
            let program = text("program_output.program").ok_or_else(|| {
                bad(
                    &name,
                    "program_output is enabled without a program_output.program",
                )
            })?;
            outputs.program = Some(crate::outputs::ProgramOutput {
                program,
                keep_alive: boolean("program_output.keep_alive", false)?,
            });
        }
        if boolean("http_output.enabled", false)? {
            let url = text("http_output.url")
                .ok_or_else(|| bad(&name, "http_output is enabled without an http_output.url"))?;
            outputs.http = Some(crate::outputs::HttpOutput {
                url,
                user_agent: text("http_output.user_agent")
                    .unwrap_or_else(|| "falcosecurity/falco".into()),
                insecure: boolean("http_output.insecure", false)?,
                ca_cert: text("http_output.ca_cert").map(PathBuf::from),
                echo: boolean("http_output.echo", false)?,
            });
            for (key, what) in [
                ("http_output.mtls", "a client certificate for the POSTs"),
                ("http_output.compress_uploads", "compressed POST bodies"),
            ] {
                if boolean(key, false)? {
                    unimplemented.push(Unimplemented {
                        key: key.to_string(),
                        what,
                    });
                }
            }
        }
        if boolean("syslog_output.enabled", false)? {
            // `syslog_output.socket` is Bulkhead's: the local syslog socket (Falco's syslog(3)
            // always uses /dev/log).
            outputs.syslog = Some(crate::outputs::SyslogOutput {
                socket: PathBuf::from(
                    text("syslog_output.socket").unwrap_or_else(|| "/dev/log".into()),
                ),
            });
        }
        let webserver = if boolean("webserver.enabled", false)? {
            let d = crate::webserver::WebServerConfig::default();
            Some(crate::webserver::WebServerConfig {
                listen_address: text("webserver.listen_address").unwrap_or(d.listen_address),
                listen_port: match doc.scalar("webserver.listen_port") {
                    None => d.listen_port,
                    Some(s) => s.trim().parse::<u16>().map_err(|_| {
                        bad(
                            &name,
                            &format!("webserver.listen_port: {s:?} is not a port"),
                        )
                    })?,
                },
                healthz_endpoint: text("webserver.k8s_healthz_endpoint")
                    .unwrap_or(d.healthz_endpoint),
                prometheus_metrics: boolean("webserver.prometheus_metrics_enabled", false)?,
                tls_pem: boolean("webserver.ssl_enabled", false)?.then(|| {
                    PathBuf::from(
                        text("webserver.ssl_certificate")
                            .unwrap_or_else(|| "/etc/falco/falco.pem".into()),
                    )
                }),
            })
        } else {
            None
        };
        Ok(FalcoConfig {
            unimplemented,
            outputs,
            webserver,
            watch_config_files: boolean("watch_config_files", true)?,
            k8saudit,
            ring_bytes: match doc.scalar("engine.modern_ebpf.buf_size_preset") {
                None => 16 << 20,
                Some(p) => match p.trim().parse::<u32>() {
                    Ok(n @ 1..=10) => (1u32 << 20) << (n - 1),
                    _ => {
                        return Err(bad(
                            &name,
                            &format!(
                                "engine.modern_ebpf.buf_size_preset: {p:?} is not a preset from 1 (1 MiB) to 10 (512 MiB)"
                            ),
                        ));
                    }
                },
            },
            json_output: boolean("json_output", false)?,
            json_include_output_property: boolean("json_include_output_property", true)?,
            json_include_tags_property: boolean("json_include_tags_property", true)?,
            time_format_iso_8601: boolean("time_format_iso_8601", false)?,
            priority,
            rule_matching_all,
            stdout_output: boolean("stdout_output.enabled", shipped)?,
            log_stderr: boolean("log_stderr", shipped)?,
            log_level,
            rules_files: rules_files.into_iter().map(PathBuf::from).collect(),
            thread_table_size,
            drops: DropsConfig {
                actions,
                threshold,
                rate: double("syscall_event_drops.rate", 0.03333)?,
                max_burst: double("syscall_event_drops.max_burst", 1.0)?,
                simulate_drops: boolean("syscall_event_drops.simulate_drops", false)?,
            },
        })
    }
}

/// Falco's token bucket: `rate` tokens per second up to `max_tokens`, starting full.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    max_tokens: f64,
    tokens: f64,
    last_seen: Option<u64>,
}

impl TokenBucket {
    pub fn new(rate: f64, max_tokens: f64) -> TokenBucket {
        TokenBucket {
            rate,
            max_tokens,
            tokens: max_tokens,
            last_seen: None,
        }
    }

    /// Take one token at time `now` (ns) if there is one. Falco starts the bucket at the wall
    /// clock, so with a capture's (past) timestamps the elapsed time wraps around and the bucket
    /// refills to full; here the first claim starts the clock instead, which only differs when
    /// more than `max_tokens` claims come faster than `rate`.
    pub fn claim(&mut self, now: u64) -> bool {
        if let Some(last) = self.last_seen {
            let gained = self.rate * (now.saturating_sub(last) as f64 / 1e9);
            self.tokens = (self.tokens + gained).min(self.max_tokens);
        }
        self.last_seen = Some(now);
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

/// What the drop monitor asks the caller to do after an event.
#[derive(Debug, Clone, PartialEq)]
pub enum DropNotice {
    /// A log line at a level (`Simulating syscall event drop`, the drop message, `Exiting.`).
    Log(Priority, String),
    /// An alert of rule `Falco internal: syscall event drop` at priority Debug, source
    /// `internal`, with these output fields (Falco's names, values as strings).
    Alert {
        ts_ns: u64,
        message: String,
        fields: Vec<(&'static str, String)>,
    },
    /// Stop: the `exit` action ran.
    Exit,
}

/// Falco's syscall event drop monitor, fed every event's timestamp: once per second of capture
/// time it compares the drops counted since the last check with the events, and when the ratio
/// is above the threshold (or `simulate_drops` adds one drop) takes the configured actions,
/// rate-limited by a token bucket. A replay has no kernel drop counters, so only simulated drops
/// are ever seen.
#[derive(Debug, Clone)]
pub struct DropMonitor {
    cfg: DropsConfig,
    bucket: TokenBucket,
    next_check: u64,
    evts_since_check: u64,
    /// Checks that found drops above the threshold (`event drop detected: N occurrences`).
    pub drops_detected: u64,
    /// Times the actions were taken (`num times actions taken: N`).
    pub actions_taken: u64,
    /// The source's counters at the last check (live sources).
    last: Option<crate::source::Counters>,
}

/// The rule name Falco gives drop alerts.
pub const DROP_RULE: &str = "Falco internal: syscall event drop";

impl DropMonitor {
    pub fn new(cfg: &DropsConfig) -> DropMonitor {
        let mut cfg = cfg.clone();
        if cfg.simulate_drops {
            cfg.threshold = 0.0;
        }
        DropMonitor {
            bucket: TokenBucket::new(cfg.rate, cfg.max_burst),
            cfg,
            next_check: 0,
            evts_since_check: 0,
            drops_detected: 0,
            actions_taken: 0,
            last: None,
        }
    }

    /// Account one event at `ts` (ns) of a source without kernel counters (a capture); notices
    /// are appended to `out`.
    pub fn on_event(&mut self, ts: u64, out: &mut Vec<DropNotice>) {
        self.on_event_with(ts, None, out)
    }

    /// Account one event at `ts` (ns); `counters` are the source's kernel counters so far (a
    /// live source: the drops and events of each interval are their differences, as Falco
    /// computes them from `scap_stats`). Notices are appended to `out`.
    pub fn on_event_with(
        &mut self,
        ts: u64,
        counters: Option<crate::source::Counters>,
        out: &mut Vec<DropNotice>,
    ) {
        self.evts_since_check += 1;
        if self.next_check == 0 {
            self.next_check = ts + 1_000_000_000;
        }
        if self.next_check >= ts {
            return;
        }
        self.next_check = ts + 1_000_000_000;
        let mut n_evts = std::mem::take(&mut self.evts_since_check);
        // A live source (the eBPF sensor) has kernel counters; a capture has none.
        let live = counters.is_some();
        let mut delta = crate::source::Counters::default();
        if let Some(c) = counters {
            let last = self.last.unwrap_or_default();
            delta = crate::source::Counters {
                events: c.events.saturating_sub(last.events),
                drops_buffer: c.drops_buffer.saturating_sub(last.drops_buffer),
                drops_page_faults: c.drops_page_faults.saturating_sub(last.drops_page_faults),
                drops_bug: c.drops_bug.saturating_sub(last.drops_bug),
            };
            self.last = Some(c);
            n_evts = delta.events;
        }
        let mut n_drops = delta.drops();
        if self.cfg.simulate_drops {
            out.push(DropNotice::Log(
                Priority::Informational,
                "Simulating syscall event drop".into(),
            ));
            n_drops += 1;
        }
        if n_drops == 0 {
            return;
        }
        // Falco divides by the kernel's event count (which includes the drops).
        let ratio = n_drops as f64 / n_evts as f64;
        if ratio <= self.cfg.threshold {
            return;
        }
        self.drops_detected += 1;
        if !self.bucket.claim(ts) {
            out.push(DropNotice::Log(
                Priority::Debug,
                "Syscall event drop but token bucket depleted, skipping actions".into(),
            ));
            return;
        }
        self.actions_taken += 1;
        let message = format!("{DROP_RULE}. {n_drops} system calls dropped in last second.");
        for act in &self.cfg.actions {
            match act {
                DropAction::Ignore => {}
                DropAction::Log => out.push(DropNotice::Log(Priority::Debug, message.clone())),
                DropAction::Alert => {
                    let zero = || "0".to_string();
                    out.push(DropNotice::Alert {
                        ts_ns: ts,
                        message: message.clone(),
                        // Falco's keys, in its (alphabetical, JSON object) order; a replay has
                        // no kernel counters, so those are 0; a live source gives the buffer,
                        // page-fault and bug drops (not split by syscall category).
                        fields: vec![
                            ("ebpf_enabled", if live { "1" } else { "0" }.to_string()),
                            ("n_drops", n_drops.to_string()),
                            ("n_drops_buffer_clone_fork_exit", zero()),
                            ("n_drops_buffer_close_exit", zero()),
                            ("n_drops_buffer_connect_exit", zero()),
                            ("n_drops_buffer_dir_file_exit", zero()),
                            ("n_drops_buffer_execve_exit", zero()),
                            ("n_drops_buffer_open_exit", zero()),
                            ("n_drops_buffer_other_interest_exit", zero()),
                            ("n_drops_buffer_proc_exit", zero()),
                            ("n_drops_buffer_total", delta.drops_buffer.to_string()),
                            ("n_drops_bug", delta.drops_bug.to_string()),
                            ("n_drops_page_faults", delta.drops_page_faults.to_string()),
                            ("n_drops_scratch_map", zero()),
                            ("n_evts", n_evts.to_string()),
                        ],
                    })
                }
                DropAction::Exit => {
                    out.push(DropNotice::Log(Priority::Critical, message.clone()));
                    out.push(DropNotice::Log(Priority::Critical, "Exiting.".into()));
                    out.push(DropNotice::Exit);
                }
            }
        }
    }

    /// Falco's end-of-run summary (printed on stderr).
    pub fn summary(&self) -> String {
        format!(
            "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}\n",
            self.drops_detected, self.actions_taken
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(yaml: &str, opts: &[&str]) -> Result<FalcoConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("falco.yaml");
        std::fs::write(&p, yaml).unwrap();
        let opts: Vec<String> = opts.iter().map(|s| s.to_string()).collect();
        FalcoConfig::load(Some(&p), &opts).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_overrides() {
        let d = FalcoConfig::load(None, &[]).unwrap();
        assert!(d.stdout_output && d.log_stderr && !d.json_output);
        assert_eq!(d.priority, Priority::Debug);
        assert_eq!(d.drops.actions, vec![DropAction::Ignore]);
        assert_eq!(d.drops.threshold, 0.1);
        let c = cfg(
            "json_output: true\nsyscall_event_drops:\n  actions: [log, alert]\n  max_burst: 10\n",
            &["priority=warning", "syscall_event_drops.threshold=0.5"],
        )
        .unwrap();
        assert!(c.json_output && !c.stdout_output && !c.log_stderr);
        assert_eq!(c.priority, Priority::Warning);
        assert_eq!(c.drops.actions, vec![DropAction::Log, DropAction::Alert]);
        assert_eq!((c.drops.threshold, c.drops.max_burst), (0.5, 10.0));
    }

    /// Output channels Bulkhead does not implement are reported (by key), whether the file or
    /// `-o` enables them; disabled ones are not.
    #[test]
    fn unimplemented_keys_are_reported() {
        let keys = |c: &FalcoConfig| {
            c.unimplemented
                .iter()
                .map(|u| u.key.clone())
                .collect::<Vec<_>>()
        };
        let c = cfg(
            "grpc_output:\n  enabled: true\nwebserver:\n  enabled: true\n  ssl_enabled: true\nhttp_output:\n  enabled: true\n  url: http://x/\n  mtls: true\nappend_output:\n  - match: {source: syscall}\n    extra_output: x\n",
            &["metrics.enabled=true"],
        )
        .unwrap();
        assert_eq!(
            keys(&c),
            [
                "grpc_output",
                "metrics",
                "append_output",
                "http_output.mtls",
            ]
        );
        let ws = c.webserver.as_ref().expect("webserver enabled");
        assert_eq!(
            ws.tls_pem.as_deref(),
            Some(std::path::Path::new("/etc/falco/falco.pem")),
            "ssl_enabled serves HTTPS with Falco's default certificate"
        );
        assert!(
            c.unimplemented[0]
                .to_string()
                .contains("`grpc_output` is set but Bulkhead does not implement it")
        );
        assert!(
            FalcoConfig::load(None, &[])
                .unwrap()
                .unimplemented
                .is_empty()
        );
        let e = cfg("file_output:\n  enabled: maybe\n", &[]).unwrap_err();
        assert!(
            e.contains("file_output.enabled: \"maybe\" is not a boolean"),
            "{e}"
        );
    }

    #[test]
    fn output_channels_are_read_and_checked() {
        let c = cfg(
            "file_output:\n  enabled: true\n  keep_alive: true\n  filename: /tmp/x\nsyslog_output:\n  enabled: true\nbuffered_outputs: true\noutputs_queue:\n  capacity: 10\n",
            &["program_output.enabled=true", "program_output.program=jq .", "http_output.enabled=true", "http_output.url=https://sidekick:2801/"],
        )
        .unwrap();
        let o = &c.outputs;
        assert_eq!(o.file.as_ref().unwrap().filename, PathBuf::from("/tmp/x"));
        assert!(o.file.as_ref().unwrap().keep_alive);
        assert_eq!(o.program.as_ref().unwrap().program, "jq .");
        assert_eq!(o.http.as_ref().unwrap().url, "https://sidekick:2801/");
        assert_eq!(o.http.as_ref().unwrap().user_agent, "falcosecurity/falco");
        assert_eq!(o.syslog.as_ref().unwrap().socket, PathBuf::from("/dev/log"));
        assert!(o.buffered);
        assert_eq!(o.queue_capacity, 10);
        assert!(c.unimplemented.is_empty(), "{:?}", c.unimplemented);
        for (doc, missing) in [
            ("file_output:\n  enabled: true\n", "file_output.filename"),
            (
                "program_output:\n  enabled: true\n",
                "program_output.program",
            ),
            ("http_output:\n  enabled: true\n", "http_output.url"),
            (
                "outputs_queue:\n  capacity: lots\n",
                "outputs_queue.capacity",
            ),
        ] {
            let e = cfg(doc, &[]).unwrap_err();
            assert!(e.contains(missing), "{e}");
        }
        assert!(!FalcoConfig::load(None, &[]).unwrap().outputs.any());
        assert_eq!(FalcoConfig::load(None, &[]).unwrap().ring_bytes, 16 << 20);
        let c = cfg("engine:\n  modern_ebpf:\n    buf_size_preset: 4\n", &[]).unwrap();
        assert_eq!(c.ring_bytes, 8 << 20);
        assert!(cfg("", &["engine.modern_ebpf.buf_size_preset=11"]).is_err());
    }

    #[test]
    fn falco_errors() {
        let e = cfg("syscall_event_drops:\n  threshold: -1\n", &[]).unwrap_err();
        assert!(e.contains("syscall event drops threshold must be a double in the range [0, 1]"));
        let e = cfg("syscall_event_drops:\n  threshold: 1.1\n", &[]).unwrap_err();
        assert!(e.contains("must be a double in the range"), "{e}");
        let e = cfg("syscall_event_drops:\n  actions: [ignore, log]\n", &[]).unwrap_err();
        assert!(e.contains("action \"log\" does not make sense with the \"ignore\" action"));
        let e = cfg("syscall_event_drops:\n  actions: [explode]\n", &[]).unwrap_err();
        assert!(e.contains("available actions for syscall event drops are"));
        let e = cfg("", &["rule_matching=some"]).unwrap_err();
        assert!(e.starts_with("Unknown rule matching strategy \"some\""));
        let e = cfg("", &["json_output"]).unwrap_err();
        assert!(e.contains("Must be of the form key=val"));
    }

    #[test]
    fn simulated_drops_once_per_second_of_capture_time() {
        let c = DropsConfig {
            actions: vec![DropAction::Alert],
            threshold: 0.1,
            rate: 0.03333,
            max_burst: 2.0,
            simulate_drops: true,
        };
        let mut m = DropMonitor::new(&c);
        let mut out = Vec::new();
        // 10 events per second over 5.5 seconds: a check after each full second.
        for i in 0..55u64 {
            m.on_event(1_000_000_000_000 + i * 100_000_000, &mut out);
        }
        assert_eq!(m.drops_detected, 4);
        // Two tokens, and 1/30 of a token per second: the last two checks find the bucket empty.
        assert_eq!(m.actions_taken, 2);
        let alerts = out
            .iter()
            .filter(|n| matches!(n, DropNotice::Alert { .. }))
            .count();
        assert_eq!(alerts, 2);
        assert!(m.summary().contains("event drop detected: 4 occurrences"));
        let mut quiet = DropMonitor::new(&DropsConfig {
            simulate_drops: false,
            ..c
        });
        for i in 0..55u64 {
            quiet.on_event(i * 100_000_000 + 1, &mut out);
        }
        assert_eq!(quiet.drops_detected, 0);
    }
}
