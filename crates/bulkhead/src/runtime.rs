//! `bulkhead runtime`: validate rules files, replay captures through them as Falco does, list
//! fields, convert captures.

use crate::cli::RuntimeAction;
use crate::run::write_output;
use anyhow::{Context, Result, bail};
use bulkhead_rules::Priority;
use bulkhead_rules::detect::{Detector, RunOptions};
use bulkhead_rules::eval::FieldSource;
use bulkhead_rules::falco_config::{DROP_RULE, DropMonitor, DropNotice, FalcoConfig};
use bulkhead_rules::output::{Alert, OutputFormat};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An error of `runtime replay`: the process exits 1, as Falco does.
#[derive(Debug)]
pub struct FalcoError(pub String);

impl std::fmt::Display for FalcoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FalcoError {}

pub fn runtime(action: RuntimeAction) -> Result<ExitCode> {
    match action {
        RuntimeAction::Validate { rules, json } => {
            let mut engine = bulkhead_rules::RulesEngine::default();
            let results: Vec<bulkhead_rules::LoadResult> =
                bulkhead_rules::RulesEngine::expand_paths(&rules)
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
            Ok(if results.iter().all(|r| r.successful()) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        RuntimeAction::Replay {
            rules,
            capture,
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
        } => replay(
            &rules,
            &capture,
            config.as_deref(),
            &options,
            RunOptions {
                only_tags: tags,
                disabled_tags: disable_tags,
                disabled_rules: disable_rules,
                extra_output: print.map(|p| extra_output(&p)),
                ..Default::default()
            },
            &enable_source,
            &disable_source,
            convert_old_events,
        )
        // Falco exits 1 on errors (other Bulkhead commands exit 2): scripts rely on it.
        .map_err(|e| anyhow::Error::new(FalcoError(format!("{e:#}")))),
        RuntimeAction::Fields { source, json } => {
            let extracted = bulkhead_rules::fields::extracted;
            let fields: Vec<&bulkhead_rules::fields::FieldInfo> = bulkhead_rules::fields::FIELDS
                .iter()
                .filter(|f| source.as_deref().is_none_or(|s| s == f.source))
                .collect();
            if json {
                let v: Vec<serde_json::Value> = fields
                    .iter()
                    .map(|f| {
                        serde_json::json!({"name": f.name, "type": f.ty.name(), "source": f.source,
                            "list": f.list, "extracted": extracted(f), "description": f.desc})
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
                        "{:<44} {:<10} {:<10} {:<3} {}\n",
                        f.name,
                        f.ty.name(),
                        f.source,
                        if extracted(f) { "yes" } else { "no" },
                        f.desc
                    ));
                }
                let n = fields.iter().filter(|f| extracted(f)).count();
                text.push_str(&format!(
                    "\n{} fields, {n} extracted by Bulkhead today\n",
                    fields.len()
                ));
                write_output(None, text.as_bytes())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        RuntimeAction::Convert { capture, output } => {
            let dir = output
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            let n = {
                let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                let n = bulkhead_rules::capture::convert_scap(&capture, &mut w)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", capture.display()))?;
                w.flush()
                    .with_context(|| format!("writing {}", output.display()))?;
                n
            };
            tmp.persist(&output)
                .with_context(|| format!("writing {}", output.display()))?;
            eprintln!("{}: {n} events", output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
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

/// Where alerts go: stdout when `stdout_output.enabled`; a closed stdout stops printing.
struct Sink {
    out: std::io::StdoutLock<'static>,
    enabled: bool,
    broken: bool,
    fmt: OutputFormat,
}

impl Sink {
    fn line(&mut self, line: &str) {
        if self.enabled && !self.broken {
            self.broken = writeln!(self.out, "{line}").is_err();
        }
    }
    fn alert(&mut self, a: &Alert) {
        if self.enabled && !self.broken {
            let line = self.fmt.line(a);
            self.line(&line);
        }
    }
}

/// Falco's drop monitor over a syscall capture, with where its notices go.
struct Drops {
    monitor: DropMonitor,
    notices: Vec<DropNotice>,
    exited: bool,
}

impl Drops {
    /// Account one syscall event and handle the notices; false once the `exit` action ran.
    fn event(&mut self, ts_ns: i128, log: &Logger, sink: &mut Sink) -> bool {
        self.monitor.on_event(ts_ns as u64, &mut self.notices);
        self.exited |= !drop_notices(&mut self.notices, log, sink);
        !self.exited
    }

    /// Falco's end of a capture: the summary on stderr, and an error when the `exit` action ran.
    fn finish(&self) -> Result<ExitCode> {
        eprint!("{}", self.monitor.summary());
        if self.exited {
            bail!("Drop manager internal error");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Evaluate one event and print its alerts.
fn evaluate(
    det: &Detector,
    ts_ns: i128,
    ev: &dyn FieldSource,
    alerts: &mut Vec<Alert>,
    sink: &mut Sink,
) {
    alerts.clear();
    det.process(ts_ns, ev, alerts);
    for a in alerts.iter() {
        sink.alert(a);
    }
}

/// Handle the drop monitor's notices; false when the `exit` action ran.
fn drop_notices(notices: &mut Vec<DropNotice>, log: &Logger, sink: &mut Sink) -> bool {
    let mut go_on = true;
    for n in notices.drain(..) {
        match n {
            DropNotice::Log(level, msg) => log.log(level, &msg),
            DropNotice::Alert {
                ts_ns,
                message,
                fields,
            } => {
                let line =
                    sink.fmt
                        .internal_line(ts_ns, Priority::Debug, DROP_RULE, &message, &fields);
                sink.line(&line);
            }
            DropNotice::Exit => go_on = false,
        }
    }
    go_on
}

#[allow(clippy::too_many_arguments)]
fn replay(
    rules: &[PathBuf],
    capture: &Path,
    config: Option<&Path>,
    options: &[String],
    mut run: RunOptions,
    enable_source: &[String],
    disable_source: &[String],
    convert_old_events: bool,
) -> Result<ExitCode> {
    if !run.only_tags.is_empty()
        && (!run.disabled_tags.is_empty() || !run.disabled_rules.is_empty())
    {
        // Falco's own check (and text).
        bail!("You can not specify both disabled (-D/-T) and enabled (-t) rules");
    }
    let cfg = FalcoConfig::load(config, options).map_err(anyhow::Error::msg)?;
    run.min_priority = Some(cfg.priority);
    run.match_all = cfg.rule_matching_all;
    let log = Logger {
        enabled: cfg.log_stderr,
        level: cfg.log_level,
        iso8601: cfg.time_format_iso_8601,
    };
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
    let host = bulkhead_rules::output::local_hostname();
    let mut sink = Sink {
        out: std::io::stdout().lock(),
        enabled: cfg.stdout_output,
        broken: false,
        fmt: OutputFormat::new(&cfg, host),
    };
    let source_enabled = |source: &str| {
        !disable_source.iter().any(|s| s == source)
            && (enable_source.is_empty() || enable_source.iter().any(|s| s == source))
    };
    let detector = |source: &str| {
        let d = Detector::new(&engine, source, &run);
        for (name, why) in &d.skipped {
            tracing::warn!("rule {name:?} cannot be evaluated: {why}");
        }
        d
    };
    let mut head = [0u8; 32];
    let n = std::fs::File::open(capture)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .with_context(|| format!("reading {}", capture.display()))?;
    let mut drops = Drops {
        monitor: DropMonitor::new(&cfg.drops),
        notices: Vec::new(),
        exited: false,
    };
    let mut alerts = Vec::new();
    if head[..n].starts_with(&[0x1f, 0x8b]) || head[..n].starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        // A .scap capture: syscall events through the `syscall` rules, watched by the drop
        // monitor as Falco does in capture mode.
        if !source_enabled("syscall") {
            return Ok(ExitCode::SUCCESS);
        }
        let det = detector("syscall");
        let mut r = bulkhead_rules::syscall::Replayer::open(capture)
            .map_err(anyhow::Error::msg)?
            .with_conversion(convert_old_events);
        loop {
            let ev = match r.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(e) => bail!("{}: {e}", capture.display()),
            };
            if !drops.event(ev.ts_ns(), &log, &mut sink) {
                break;
            }
            evaluate(&det, ev.ts_ns(), &ev, &mut alerts, &mut sink);
        }
        tracing::info!("{} events read", r.events_read);
        return drops.finish();
    }
    if bulkhead_rules::capture::is_capture(&head[..n]) {
        // Bulkhead's own capture: each event to the rules of its source; syscall events are
        // watched by the drop monitor.
        let syscall = detector("syscall");
        let audit = detector("k8s_audit");
        let file = std::fs::File::open(capture)
            .with_context(|| format!("reading {}", capture.display()))?;
        bulkhead_rules::capture::read(std::io::BufReader::new(file), &mut |ev| {
            if drops.exited || !source_enabled(ev.source()) {
                return;
            }
            let det = if ev.source() == "syscall" {
                if !drops.event(ev.ts(), &log, &mut sink) {
                    return;
                }
                &syscall
            } else {
                &audit
            };
            evaluate(det, ev.ts(), &ev, &mut alerts, &mut sink);
        })
        .map_err(|e| anyhow::anyhow!("{}: {e}", capture.display()))?;
        return drops.finish();
    }
    let bytes = std::fs::read(capture).with_context(|| format!("reading {}", capture.display()))?;
    let source = "k8s_audit";
    if !source_enabled(source) {
        return Ok(ExitCode::SUCCESS);
    }
    let text = String::from_utf8_lossy(&bytes);
    let (events, skipped) = bulkhead_rules::k8saudit::read_events(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", capture.display()))?;
    if skipped > 0 {
        eprintln!(
            "{}: {skipped} document(s): {}",
            capture.display(),
            bulkhead_rules::k8saudit::NOT_AUDIT
        );
    }
    let det = detector(source);
    for e in &events {
        evaluate(&det, e.ts_ns, e, &mut alerts, &mut sink);
        if sink.broken {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
