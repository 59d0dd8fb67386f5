//! `bulkhead runtime`: flags into requests for the runtime library (`bulkhead_rules`): validate
//! rules files, replay captures through the pipeline (`source → state → detector → sinks`), list
//! rules, events and fields, convert captures. Falco's own flags (`-V`, `-L`, `-l`, `--list`,
//! `--list-events`) work as with `falco`.

use crate::cli::{RulesSource, RuntimeAction, RuntimeArgs};
use crate::run::write_output;
use anyhow::{Context, Result, bail};
use bulkhead_rules::Priority;
use bulkhead_rules::detect::RunOptions;
use bulkhead_rules::falco_config::FalcoConfig;
use bulkhead_rules::output::OutputFormat;
use bulkhead_rules::pipeline::{FalcoSink, Pipeline, Sink, SourceSelection};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An error of the Falco-compatible commands: the process exits 1, as Falco does.
#[derive(Debug)]
pub struct FalcoError(pub String);

impl std::fmt::Display for FalcoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FalcoError {}

/// Run `f`, turning its error into a [`FalcoError`] (exit 1, as Falco exits).
fn falco<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    f().map_err(|e| anyhow::Error::new(FalcoError(format!("{e:#}"))))
}

pub fn runtime(args: RuntimeArgs, quiet: bool) -> Result<ExitCode> {
    let falco_flags = !args.validate.is_empty()
        || args.list_rules
        || args.describe_rule.is_some()
        || args.list_fields.is_some()
        || args.list_events;
    let Some(action) = args.action else {
        return falco_flags_command(args);
    };
    if falco_flags || !args.rules.is_empty() || args.config.is_some() || !args.options.is_empty() {
        bail!(
            "`bulkhead runtime` takes Falco's flags (-V, -L, -l, --list, --list-events, with -r/-c/-o) or a subcommand, not both"
        );
    }
    match action {
        RuntimeAction::Validate { rules, json } => validate(&rules, json),
        RuntimeAction::Replay {
            rules,
            capture,
            max_capture_size,
            max_event_size,
            max_state_size,
            config,
            options,
            tags,
            disable_tags,
            disable_rules,
            enable_source,
            disable_source,
            all_events: _,
            print,
            convert_old_events,
        } => falco(|| {
            replay(Replay {
                rules: &rules,
                input: Input::Capture {
                    path: &capture,
                    convert_old_events,
                    limits: bulkhead_rules::source::SourceLimits {
                        max_input_bytes: max_capture_size.saturating_mul(1 << 20),
                        max_record_bytes: (max_event_size as usize).saturating_mul(1 << 20),
                        ..Default::default()
                    },
                },
                config: config.as_deref(),
                options: &options,
                run: RunOptions {
                    only_tags: tags,
                    disabled_tags: disable_tags,
                    disabled_rules: disable_rules,
                    extra_output: print.map(|p| extra_output(&p)),
                    ..Default::default()
                },
                sources: SourceSelection {
                    enable: enable_source.iter().map(|s| s.as_str().into()).collect(),
                    disable: disable_source.iter().map(|s| s.as_str().into()).collect(),
                },
                max_state_bytes: (max_state_size as usize).saturating_mul(1 << 20),
                quiet,
            })
        }),
        RuntimeAction::Monitor {
            rules,
            config,
            options,
            duration,
            snaplen,
            tags,
            disable_tags,
            disable_rules,
            all_events: _,
            print,
            container_socket,
            cri,
            capture,
        } => falco(|| {
            replay(Replay {
                rules: &rules,
                input: Input::Live {
                    duration: duration.map(std::time::Duration::from_secs),
                    snaplen: snaplen.unwrap_or(80),
                    engines: container_socket
                        .into_iter()
                        .map(bulkhead_sensor::containers::Engine::Api)
                        .chain(
                            cri.into_iter()
                                .map(bulkhead_sensor::containers::Engine::Cri),
                        )
                        .collect(),
                    capture,
                },
                config: config.as_deref(),
                options: &options,
                run: RunOptions {
                    only_tags: tags,
                    disabled_tags: disable_tags,
                    disabled_rules: disable_rules,
                    extra_output: print.map(|p| extra_output(&p)),
                    ..Default::default()
                },
                sources: SourceSelection::default(),
                max_state_bytes: 512 << 20,
                quiet,
            })
        }),
        RuntimeAction::Fields { source, json } => fields(source, json),
        RuntimeAction::Convert { capture, output } => convert(&capture, &output),
    }
}

/// `bulkhead runtime -V …`, `-L`, `-l RULE`, `--list [SOURCE]`, `--list-events`, as Falco runs
/// them (the first of them given, in this order).
fn falco_flags_command(args: RuntimeArgs) -> Result<ExitCode> {
    if !args.validate.is_empty() {
        let json = falco(|| Ok(config(&args)?.json_output))?;
        return validate(&args.validate, json);
    }
    if args.list_rules || args.describe_rule.is_some() {
        return falco(|| {
            let cfg = config(&args)?;
            let engine = load_rules(&args.rules, &cfg)?;
            let rule = args.describe_rule.as_deref();
            let text = if cfg.json_output {
                format!("{}\n", bulkhead_rules::describe::rules_json(&engine, rule)?)
            } else {
                bulkhead_rules::describe::rules_text(&engine, rule)?
            };
            write_output(None, text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        });
    }
    if let Some(source) = args.list_fields {
        return fields(source, false);
    }
    if args.list_events {
        write_output(None, bulkhead_rules::describe::events_text().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    bail!(
        "give a subcommand (replay, validate, fields, convert) or one of -V, -L, -l, --list, --list-events"
    )
}

/// The configuration of Falco's flags (`-c`, `-o`), its unimplemented keys reported.
fn config(args: &RuntimeArgs) -> Result<FalcoConfig> {
    let cfg = FalcoConfig::load(args.config.as_deref(), &args.options)?;
    warn_unimplemented(&cfg);
    Ok(cfg)
}

/// Every configuration key Bulkhead reads but does not implement, named on stderr (never
/// silently ignored).
fn warn_unimplemented(cfg: &FalcoConfig) {
    for u in &cfg.unimplemented {
        eprintln!("bulkhead: warning: falco configuration: {u}");
    }
}

/// The rules files (`-r`, else the configuration's `rules_files`) loaded in order; the first
/// that fails is an error with Falco's text.
fn load_rules(rules: &[PathBuf], cfg: &FalcoConfig) -> Result<bulkhead_rules::RulesEngine> {
    let rules = bulkhead_rules::RulesEngine::expand_paths(if rules.is_empty() {
        &cfg.rules_files
    } else {
        rules
    });
    if rules.is_empty() {
        bail!("no rules files: give -r RULES or rules_files in the configuration");
    }
    let mut engine = bulkhead_rules::RulesEngine::default();
    for r in &rules {
        let res = engine.load_file(r);
        if !res.successful() {
            let (text, _) = bulkhead_rules::validation_summary(&[res], engine.contents());
            bail!("{text}");
        }
    }
    Ok(engine)
}

fn validate(rules: &[PathBuf], json: bool) -> Result<ExitCode> {
    let mut engine = bulkhead_rules::RulesEngine::default();
    let results: Vec<bulkhead_rules::LoadResult> = bulkhead_rules::RulesEngine::expand_paths(rules)
        .iter()
        .map(|p| engine.load_file(p))
        .collect();
    if json {
        let v = bulkhead_rules::validation_json(&results, engine.contents());
        write_output(None, format!("{v}\n").as_bytes())?;
    } else {
        let (out, err) = bulkhead_rules::validation_summary(&results, engine.contents());
        write_output(None, format!("{out}\n").as_bytes())?;
        if !err.is_empty() {
            eprint!("{err}");
        }
    }
    let failed = results.iter().filter(|r| !r.successful()).count();
    if failed == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    // Falco's report is on stdout; the error is said on stderr too (as every command does).
    eprintln!(
        "bulkhead: error: {failed} of {} rules file(s) did not load",
        results.len()
    );
    Ok(ExitCode::FAILURE)
}

fn fields(source: Option<RulesSource>, json: bool) -> Result<ExitCode> {
    use bulkhead_rules::fields::{FIELDS, FieldInfo};
    let fields: Vec<&FieldInfo> = FIELDS
        .iter()
        .filter(|f| source.is_none_or(|s| s.as_str() == f.source))
        .collect();
    if json {
        let v: Vec<serde_json::Value> = fields
            .iter()
            .map(|f| {
                let mut j = serde_json::json!({"name": f.name, "type": f.ty.name(), "source": f.source,
                    "list": f.list, "extracted": f.extracted(), "description": f.desc});
                if let Some(why) = f.not_extracted() {
                    j["not_extracted"] = why.into();
                }
                j
            })
            .collect();
        write_output(
            None,
            format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
        )?;
    } else {
        let mut text = String::new();
        for f in &fields {
            text.push_str(&format!(
                "{:<44} {:<10} {:<10} {:<3} {}",
                f.name,
                f.ty.name(),
                f.source,
                if f.extracted() { "yes" } else { "no" },
                f.desc
            ));
            if let Some(why) = f.not_extracted() {
                text.push_str(&format!(" [not extracted: {why}]"));
            }
            text.push('\n');
        }
        let n = fields.iter().filter(|f| f.extracted()).count();
        text.push_str(&format!(
            "\n{} fields, {n} extracted by Bulkhead today\n",
            fields.len()
        ));
        write_output(None, text.as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn convert(capture: &Path, output: &Path) -> Result<ExitCode> {
    let dir = output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let n = {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let n = bulkhead_rules::capture::convert_scap(capture, &mut w)?;
        w.flush()
            .with_context(|| format!("writing {}", output.display()))?;
        n
    };
    tmp.persist(output)
        .with_context(|| format!("writing {}", output.display()))?;
    eprintln!("{}: {n} events", output.display());
    Ok(ExitCode::SUCCESS)
}

/// Falco's `-p` argument as the text appended to syscall rule outputs: the container (`c`) and
/// Kubernetes (`k`) shorthands of Falco 0.37–0.40 (`configure_output_format`), else the format.
fn extra_output(p: &str) -> String {
    const CONTAINER: &str = "container_id=%container.id container_image=%container.image.repository container_image_tag=%container.image.tag container_name=%container.name";
    const K8S: &str = "k8s_ns=%k8s.ns.name k8s_pod_name=%k8s.pod.name";
    match p {
        "c" | "container" => CONTAINER.to_string(),
        "k" | "kubernetes" => format!("{CONTAINER} {K8S}"),
        other => other.to_string(),
    }
}

/// Falco's logger on stderr: `<asctime>: <message>` (or an ISO 8601 time with
/// `time_format_iso_8601`), for messages at or above `log_level`, when `log_stderr` is set.
struct Logger {
    enabled: bool,
    level: Priority,
    iso8601: bool,
}

impl Logger {
    fn log(&self, level: Priority, msg: &str) {
        if !self.enabled || level > self.level {
            return;
        }
        let now = time::OffsetDateTime::now_utc();
        let stamp = if self.iso8601 {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+0000",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            )
        } else {
            // asctime(3) without its newline: `Sat Nov 28 23:20:51 2026`.
            let wd = &format!("{}", now.weekday())[..3];
            let mo = &format!("{}", now.month())[..3];
            format!(
                "{wd} {mo} {:>2} {:02}:{:02}:{:02} {}",
                now.day(),
                now.hour(),
                now.minute(),
                now.second(),
                now.year()
            )
        };
        eprintln!("{stamp}: {}", msg.trim_end_matches('\n'));
    }
}

/// Where a run's events come from.
enum Input<'a> {
    /// A recorded capture (`replay`).
    Capture {
        path: &'a Path,
        convert_old_events: bool,
        /// Bounds of reading the capture.
        limits: bulkhead_rules::source::SourceLimits,
    },
    /// This machine's kernel (`monitor`).
    Live {
        duration: Option<std::time::Duration>,
        /// `-S`: bytes of I/O data per event.
        snaplen: u32,
        /// `--container-socket` and `--cri` (empty: those the host has).
        engines: Vec<bulkhead_sensor::containers::Engine>,
        /// `--capture FILE`.
        capture: Option<PathBuf>,
    },
}

/// A `runtime replay` or `runtime monitor` request.
struct Replay<'a> {
    rules: &'a [PathBuf],
    input: Input<'a>,
    config: Option<&'a Path>,
    options: &'a [String],
    run: RunOptions,
    sources: SourceSelection,
    /// Most memory the replay state may take.
    max_state_bytes: usize,
    /// `-q`: no drop monitor summary.
    quiet: bool,
}

/// Flags to a pipeline run: configuration, rules, the capture's source, a Falco line sink on
/// stdout; the drop summary on stderr and exit 1 when the drop monitor's `exit` action ran.
fn replay(r: Replay) -> Result<ExitCode> {
    if !r.run.only_tags.is_empty()
        && (!r.run.disabled_tags.is_empty() || !r.run.disabled_rules.is_empty())
    {
        // Falco's own check (and text).
        bail!("You can not specify both disabled (-D/-T) and enabled (-t) rules");
    }
    let mut cfg = FalcoConfig::load(r.config, r.options)?;
    warn_unimplemented(&cfg);
    let mut engine = load_rules(r.rules, &cfg)?;
    // A progress spinner for long replays: only when alerts do not go to the same terminal.
    use std::io::IsTerminal;
    let bar = crate::output::bar(crate::output::progress_allowed(
        r.quiet,
        std::io::stdout().is_terminal(),
    ));
    bar.set_style(crate::output::style(
        "{spinner} replaying {msg}: {pos} events ({per_sec})",
    ));
    // `monitor --capture FILE`: every event as the rules see it, in Bulkhead's capture format,
    // written to a temporary file next to FILE and moved there when the run ends.
    let mut recording = match &r.input {
        Input::Live {
            capture: Some(path),
            ..
        } => Some(Recording::create(path)?),
        _ => None,
    };
    // Falco's web server (monitor only): /healthz, and /metrics with prometheus_metrics_enabled.
    let metrics = std::sync::Arc::new(bulkhead_rules::webserver::Metrics::default());
    let mut web = None;
    let mut audit_server = None;
    let mut capture_source: Option<Box<dyn bulkhead_rules::source::EventSource>> = None;
    let mut live: Option<bulkhead_sensor::LiveSource> = None;
    let mut watcher = None;
    let mut state: Option<bulkhead_rules::syscall::Inspector> = None;
    let mut reloaded = false;
    // One pass per configuration: a replay has one; the monitor starts another after each
    // reload (SIGHUP or a watched file changed), keeping the sensor, the state and the events.
    loop {
        let mut run = r.run.clone();
        run.min_priority = Some(cfg.priority);
        run.match_all = cfg.rule_matching_all;
        let log = Logger {
            enabled: cfg.log_stderr,
            level: cfg.log_level,
            iso8601: cfg.time_format_iso_8601,
        };
        let mut pipeline = Pipeline::new(&engine, &run, &r.sources, Some(&cfg.drops))
            .with_state_limits(bulkhead_rules::syscall::StateLimits {
                max_threads: cfg.thread_table_size,
                max_bytes: r.max_state_bytes,
            })
            .with_log(|level, msg| log.log(level, msg))
            .with_progress(|n| bar.set_position(n));
        if let Some(st) = state.take() {
            pipeline = pipeline.with_inspector(st);
        }
        if let Some(rec) = recording.as_mut() {
            // Only the events a loaded rule can match are recorded (the state-keeping ones are
            // folded into the fields the recorded events carry).
            rec.only = pipeline
                .event_types("syscall")
                .names()
                .map(|n| n.into_iter().map(str::to_string).collect());
            pipeline = pipeline.with_recorder(|ev| rec.record(ev));
        }
        for d in pipeline.detectors() {
            for (name, why) in &d.skipped {
                tracing::warn!("rule {name:?} cannot be evaluated: {why}");
            }
        }
        match &r.input {
            // Opened once (a pipe or `-` works), its kind told from its first bytes; only a
            // regular file or standard input is read.
            Input::Capture {
                path,
                convert_old_events,
                limits,
            } => {
                if capture_source.is_none() {
                    bar.set_message(path.display().to_string());
                    capture_source = Some(bulkhead_rules::source::open_with(
                        path,
                        *convert_old_events,
                        limits,
                    )?);
                }
                if cfg.webserver.is_some() {
                    eprintln!(
                        "bulkhead: warning: falco configuration: `webserver` is served by `runtime monitor` only: ignored by replay"
                    );
                }
                if cfg.k8saudit.is_some() {
                    eprintln!(
                        "bulkhead: warning: falco configuration: the k8saudit plugin's webhook is served by `runtime monitor` only: replay reads the events from -e"
                    );
                }
            }
            Input::Live {
                duration,
                engines,
                snaplen,
                ..
            } => {
                bar.finish_and_clear();
                match &live {
                    None => {
                        let (source, n) =
                            start_monitor(&pipeline, *duration, engines, cfg.ring_bytes, *snaplen)?;
                        let c = source.counters_handle();
                        metrics.set_counters(move || {
                            let k = c.snapshot();
                            bulkhead_rules::webserver::KernelCounters {
                                events: k.events,
                                received: c.received.load(std::sync::atomic::Ordering::Relaxed),
                                drops_buffer: k.drops_buffer,
                                drops_page_faults: k.drops_page_faults,
                                drops_bug: k.drops_bug,
                                per_cpu: c
                                    .per_cpu
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .iter()
                                    .map(|p| bulkhead_rules::webserver::CpuKernelCounters {
                                        events: p.submitted + p.drop_buffer,
                                        drops: p.drop_buffer + p.drop_pagefault,
                                        ring_fill: p.ring_fill,
                                        ring_fill_max: p.ring_fill_max,
                                    })
                                    .collect(),
                                ring_bytes: c.ring_bytes.load(std::sync::atomic::Ordering::Relaxed),
                            }
                        });
                        // Falco's line at this point ("with modern BPF probe"); tests wait for it.
                        log.log(
                            Priority::Informational,
                            &format!(
                                "Opening 'syscall' source with Bulkhead's eBPF sensor ({n} system calls captured)"
                            ),
                        );
                        let mut source = source;
                        if let Some(k) = &cfg.k8saudit {
                            let (server, rx) =
                                bulkhead_rules::k8saudit_server::AuditServer::start(k)
                                    .map_err(anyhow::Error::msg)?;
                            log.log(
                                Priority::Informational,
                                &format!(
                                    "Opening 'k8s_audit' source: audit webhook on {}{} ({})",
                                    server.addr,
                                    k.path,
                                    if k.tls_pem.is_some() { "https" } else { "http" }
                                ),
                            );
                            source = source.with_audit(rx);
                            audit_server = Some(server);
                        }
                        live = Some(source);
                        if let Some(w) = &cfg.webserver {
                            let server =
                                bulkhead_rules::webserver::WebServer::start(w, metrics.clone())
                                    .map_err(anyhow::Error::msg)?;
                            log.log(
                                Priority::Informational,
                                &format!(
                                    "Starting health webserver on {}{}",
                                    server.addr,
                                    if w.tls_pem.is_some() { " (https)" } else { "" }
                                ),
                            );
                            web = Some(server);
                        }
                    }
                    Some(source) => {
                        let n = interest(&pipeline);
                        let count = n.len();
                        source.set_syscalls(n)?;
                        if reloaded {
                            log.log(
                                Priority::Informational,
                                &format!(
                                    "Configuration and rules reloaded ({count} system calls captured)"
                                ),
                            );
                        }
                    }
                }
                if cfg.watch_config_files && watcher.is_none() {
                    watcher = Some(watch_files(r.config, r.rules, &cfg));
                }
            }
        }
        let mut metrics_sink = bulkhead_rules::webserver::MetricsSink(metrics.clone());
        let host = bulkhead_rules::output::local_hostname();
        let mut stdout = FalcoSink::new(std::io::stdout().lock(), OutputFormat::new(&cfg, host));
        // file_output, program_output, http_output, syslog_output: one output thread behind a
        // bounded queue.
        let mut channels = if cfg.outputs.any() {
            Some(
                bulkhead_rules::outputs::OutputsSink::start(
                    &cfg.outputs,
                    OutputFormat::new(&cfg, host),
                )
                .map_err(anyhow::Error::msg)?,
            )
        } else {
            None
        };
        let mut sinks: Vec<&mut dyn Sink> = Vec::new();
        if cfg.stdout_output {
            sinks.push(&mut stdout);
        }
        if let Some(c) = channels.as_mut() {
            let stats = c.stats.clone();
            metrics.set_outputs_drops(move || {
                stats.dropped.load(std::sync::atomic::Ordering::Relaxed)
            });
            sinks.push(c);
        }
        if cfg.webserver.as_ref().is_some_and(|w| w.prometheus_metrics) {
            sinks.push(&mut metrics_sink);
        }
        let source: &mut dyn bulkhead_rules::source::EventSource = match live.as_mut() {
            Some(l) => l,
            None => capture_source
                .as_deref_mut()
                .expect("a capture source is opened above"),
        };
        let summary = pipeline.run(source, &mut sinks);
        drop(sinks);
        state = Some(pipeline.into_inspector());
        if let Some(c) = channels.take() {
            let stats = c.stats.clone();
            drop(c);
            let (dropped, failed) = (
                stats.dropped.load(std::sync::atomic::Ordering::Relaxed),
                stats.failed.load(std::sync::atomic::Ordering::Relaxed),
            );
            if dropped + failed > 0 {
                eprintln!(
                    "bulkhead: warning: outputs: {dropped} alert(s) dropped (queue full), {failed} delivery failure(s)"
                );
            }
        }
        if summary.is_ok() && live.as_ref().is_some_and(|l| l.reload_requested()) {
            log.log(
                Priority::Informational,
                "SIGHUP received, reloading the configuration and rules",
            );
            match FalcoConfig::load(r.config, r.options)
                .map_err(anyhow::Error::from)
                .and_then(|c| load_rules(r.rules, &c).map(|e| (c, e)))
            {
                Ok((c, e)) => {
                    warn_unimplemented(&c);
                    cfg = c;
                    engine = e;
                    reloaded = true;
                }
                Err(e) => {
                    reloaded = false;
                    eprintln!(
                        "bulkhead: error: reload failed, the previous configuration and rules stay in force: {e:#}"
                    );
                }
            }
            continue;
        }
        drop(web.take());
        drop(audit_server.take());
        drop(watcher.take());
        if let Some(rec) = recording.take() {
            rec.finish()?;
        }
        bar.finish_and_clear();
        let summary = summary?;
        for w in &summary.warnings {
            eprintln!("{w}");
        }
        tracing::info!(
            "{} events read, {} evaluated, {} alerts",
            summary.events,
            summary.evaluated,
            summary.alerts
        );
        if let Some(d) = summary.drops {
            if !r.quiet {
                eprint!("{}", d.text());
            }
            if d.exited {
                bail!("Drop manager internal error");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
}

/// `watch_config_files`: a thread that asks for a reload when the configuration file or a rules
/// file changes (size or modification time, checked every second; Falco uses inotify). Dropping
/// the handle stops it.
struct Watcher {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch_files(config: Option<&Path>, rules: &[PathBuf], cfg: &FalcoConfig) -> Watcher {
    use std::sync::atomic::Ordering;
    let mut files: Vec<PathBuf> = config.map(Path::to_path_buf).into_iter().collect();
    files.extend(bulkhead_rules::RulesEngine::expand_paths(
        if rules.is_empty() {
            &cfg.rules_files
        } else {
            rules
        },
    ));
    let stamp = move |files: &[PathBuf]| -> Vec<Option<(u64, std::time::SystemTime)>> {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .and_then(|m| Some((m.len(), m.modified().ok()?)))
            })
            .collect()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let st = stop.clone();
    let reload = RELOAD
        .get_or_init(|| std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)))
        .clone();
    let thread = std::thread::Builder::new()
        .name("bulkhead-watch".into())
        .spawn(move || {
            let mut last = stamp(&files);
            while !st.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(250));
                let now = stamp(&files);
                if now != last {
                    last = now;
                    reload.store(true, Ordering::SeqCst);
                }
            }
        })
        .ok();
    Watcher { stop, thread }
}

/// Set by SIGHUP (and by a change of a watched configuration or rules file): the monitor
/// reloads its configuration and rules, keeping the sensor and the state.
static RELOAD: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
    std::sync::OnceLock::new();

extern "C" fn on_reload_signal(_sig: libc::c_int) {
    if let Some(r) = RELOAD.get() {
        r.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Set by SIGINT/SIGTERM: the monitor stops reading, flushes its outputs and detaches.
static STOP: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicBool>> =
    std::sync::OnceLock::new();

extern "C" fn on_stop_signal(sig: libc::c_int) {
    if let Some(s) = STOP.get() {
        // A second signal ends the process as the signal would.
        if s.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // SAFETY: signal(2) and raise(3) are async-signal-safe.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                libc::raise(sig);
            }
        }
    }
}

/// The live sensor for the loaded rules: the system calls their conditions can match plus the
/// ones the state needs; the event types the sensor cannot capture yet are named on stderr
/// (a rule that needs them would otherwise never fire, silently).
/// The system calls the sensor captures for the pipeline's rules; the event types a rule needs
/// that the sensor cannot capture are named on stderr (a rule that needs them would otherwise
/// never fire, silently).
fn interest(pipeline: &Pipeline) -> Vec<&'static str> {
    use bulkhead_sensor::syscalls::SYSCALLS;
    // Made from the sched tracepoints, whatever the rules ask.
    const FROM_SCHED: [&str; 8] = [
        "execve",
        "execveat",
        "clone",
        "clone3",
        "fork",
        "vfork",
        "procexit",
        "container",
    ];
    let wanted = pipeline.event_types("syscall");
    let mut capture: Vec<&'static str> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    match wanted.names() {
        Some(names) => {
            for &n in &names {
                if SYSCALLS.iter().any(|s| s.event() == n) || FROM_SCHED.contains(&n) {
                    continue;
                }
                missing.push(n.to_string());
            }
            for s in SYSCALLS {
                if s.state || names.contains(&s.event()) {
                    capture.push(s.name);
                }
            }
        }
        None => capture.extend(SYSCALLS.iter().map(|s| s.name)),
    }
    if !missing.is_empty() {
        eprintln!(
            "bulkhead: warning: the live sensor does not capture these event types yet, rules that need them will not fire: {}",
            missing.join(", ")
        );
    }
    capture
}

fn start_monitor(
    pipeline: &Pipeline,
    duration: Option<std::time::Duration>,
    engines: &[bulkhead_sensor::containers::Engine],
    ring_bytes: u32,
    snaplen: u32,
) -> Result<(bulkhead_sensor::LiveSource, usize)> {
    let capture = interest(pipeline);
    let stop = STOP
        .get_or_init(|| std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)))
        .clone();
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic (async-signal-safe).
        unsafe { libc::signal(sig, on_stop_signal as *const () as libc::sighandler_t) };
    }
    let reload = RELOAD
        .get_or_init(|| std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)))
        .clone();
    // SAFETY: as above.
    unsafe {
        libc::signal(
            libc::SIGHUP,
            on_reload_signal as *const () as libc::sighandler_t,
        )
    };
    let engines = if engines.is_empty() {
        bulkhead_sensor::containers::ContainerLookup::host_engines()
    } else {
        engines.to_vec()
    };
    if engines.is_empty() {
        eprintln!(
            "bulkhead: warning: no container engine socket (podman or docker API: /run/podman/podman.sock, /var/run/docker.sock; CRI: {}): container ids come from cgroups, but container.image, container.name, k8s.* and the other metadata fields stay <NA> (start `podman system service`, or give --container-socket or --cri)",
            bulkhead_sensor::cri::DEFAULT_SOCKETS.join(", ")
        );
    }
    let lookup =
        (!engines.is_empty()).then(|| bulkhead_sensor::containers::ContainerLookup::start(engines));
    tracing::info!(
        "capturing {} system calls: {}",
        capture.len(),
        capture.join(", ")
    );
    let n = capture.len();
    let mut sensor = bulkhead_sensor::SensorConfig::new(capture);
    sensor.ring_bytes = ring_bytes;
    sensor.snaplen = snaplen;
    let source =
        bulkhead_sensor::LiveSource::start(sensor, duration, stop, lookup)?.with_reload(reload);
    Ok((source, n))
}

/// The live stream recorded in Bulkhead's capture format (`monitor --capture`).
struct Recording {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
    out: std::io::BufWriter<std::fs::File>,
    writer: bulkhead_rules::capture::Writer,
    _cleanup: bulkhead_core::cleanup::Guard,
    /// The event types recorded (`None`: all).
    only: Option<std::collections::HashSet<String>>,
}

impl Recording {
    fn create(path: &Path) -> Result<Recording> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        let cleanup = bulkhead_core::cleanup::remove_on_signal(tmp.path());
        let mut out = std::io::BufWriter::new(
            tmp.as_file()
                .try_clone()
                .with_context(|| format!("writing {}", path.display()))?,
        );
        bulkhead_rules::capture::write_header(
            &mut out,
            "live",
            Some(bulkhead_rules::output::local_hostname()),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        Ok(Recording {
            path: path.to_path_buf(),
            tmp,
            out,
            writer: Default::default(),
            _cleanup: cleanup,
            only: None,
        })
    }

    fn record(&mut self, ev: &bulkhead_rules::syscall::SyscallEvent) -> std::io::Result<()> {
        if self
            .only
            .as_ref()
            .is_some_and(|o| !o.contains(ev.event.name))
        {
            return Ok(());
        }
        let names: Vec<&str> = ev.event.params.iter().map(|p| p.name).collect();
        let c = bulkhead_rules::capture::CapturedEvent::from_syscall(ev, ev.ts_ns(), &names);
        self.writer.write(&mut self.out, &c)
    }

    fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.tmp
            .persist(&self.path)
            .with_context(|| format!("writing {}", self.path.display()))?;
        Ok(())
    }
}
