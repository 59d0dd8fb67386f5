//! The runtime pipeline: `source → state → detector → sinks`, as a library call a CLI, a server
//! or the live monitor makes alike.
//!
//! ```text
//! EventSource ──► Inspector (syscall state, no I/O) ──► Detector (rules of the event's source)
//!   (.scap, own capture, k8s audit, sensor)   │                          │
//!                                             └── DropMonitor (syscall_event_drops) ──┴──► Sinks
//! ```
//!
//! A [`Pipeline`] holds the detectors of the enabled rules sources, the [`Inspector`] and the
//! drop monitor; [`Pipeline::run`] pulls every event of an [`EventSource`], applies it to the
//! state, evaluates it and hands the alerts to the [`Sink`]s, and returns a [`Summary`]. Sinks
//! render: [`FalcoSink`] writes Falco's text or JSON line (the shape falcosidekick reads),
//! [`FindingSink`] collects Bulkhead findings.
//!
//! ```
//! use bulkhead_rules::{RulesEngine, detect::RunOptions, pipeline::*, source};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
//! # let rules = dir.join("tests/fixtures/single_rule.yaml");
//! # let capture = dir.join("../bulkhead-scap/tests/fixtures/cat_write.scap");
//! let mut engine = RulesEngine::default();
//! assert!(engine.load_file(&rules).successful());
//! let mut src = source::open(&capture, false)?;
//! let mut findings = FindingSink::default();
//! let summary = Pipeline::new(&engine, &RunOptions::default(), &SourceSelection::default(), None)
//!     .run(src.as_mut(), &mut [&mut findings])?;
//! assert_eq!(summary.alerts, 8);
//! assert_eq!(findings.findings[0].id, "open_from_cat");
//! # Ok(())
//! # }
//! ```

use crate::Priority;
use crate::detect::{Detector, RunOptions};
use crate::falco_config::{DROP_RULE, DropMonitor, DropNotice, DropsConfig};
use crate::output::{Alert, OutputFormat};
use crate::source::{EventSource, SourceError, SourceEvent};
use crate::syscall::Inspector;
use std::io::Write;

/// Where alerts go.
pub trait Sink {
    /// An alert of a rule.
    fn alert(&mut self, alert: &Alert) -> std::io::Result<()>;

    /// An alert of Falco itself (`handle_msg`: the syscall event drop alert), with its rule,
    /// priority, message and fields.
    fn internal(&mut self, _alert: &InternalAlert) -> std::io::Result<()> {
        Ok(())
    }

    /// Everything written so far is delivered (called at the end of a run).
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An alert of Falco itself rather than of a rule (source `internal`).
#[derive(Debug, Clone, PartialEq)]
pub struct InternalAlert {
    pub ts_ns: u64,
    pub priority: Priority,
    pub rule: &'static str,
    pub message: String,
    pub fields: Vec<(&'static str, String)>,
}

/// Falco's alert lines on a writer (stdout, a file): text, or JSON with `json_output`, as
/// [`OutputFormat`] renders them. A closed pipe (`EPIPE`) stops the writing quietly, as it does
/// Falco's stdout output.
pub struct FalcoSink<W: Write> {
    out: W,
    format: OutputFormat,
    closed: bool,
}

impl<W: Write> FalcoSink<W> {
    pub fn new(out: W, format: OutputFormat) -> Self {
        FalcoSink {
            out,
            format,
            closed: false,
        }
    }

    /// The writer back (what was written to a `Vec<u8>`, say).
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Whether the reader went away.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn line(&mut self, line: &str) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match writeln!(self.out, "{line}") {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

impl<W: Write> Sink for FalcoSink<W> {
    fn alert(&mut self, alert: &Alert) -> std::io::Result<()> {
        let line = self.format.line(alert);
        self.line(&line)
    }

    fn internal(&mut self, a: &InternalAlert) -> std::io::Result<()> {
        let fields: Vec<(&str, String)> = a.fields.iter().map(|(k, v)| (*k, v.clone())).collect();
        let line = self
            .format
            .internal_line(a.ts_ns, a.priority, a.rule, &a.message, &fields);
        self.line(&line)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.out.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r,
        }
    }
}

/// Alerts as Bulkhead findings ([`Alert::to_finding`]), collected in order.
#[derive(Debug, Default)]
pub struct FindingSink {
    pub findings: Vec<bulkhead_core::Finding>,
}

impl Sink for FindingSink {
    fn alert(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.findings.push(alert.to_finding());
        Ok(())
    }
}

/// A closure as a sink (rule alerts only).
pub struct FnSink<F>(pub F);

impl<F: FnMut(&Alert)> Sink for FnSink<F> {
    fn alert(&mut self, alert: &Alert) -> std::io::Result<()> {
        (self.0)(alert);
        Ok(())
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0}")]
    Source(SourceError),
    #[error("cannot write alerts: {0}")]
    Output(std::io::Error),
    /// The recorder (`runtime monitor --capture`) could not write.
    #[error("cannot write the capture: {0}")]
    Record(std::io::Error),
}

impl From<SourceError> for RuntimeError {
    fn from(e: SourceError) -> Self {
        RuntimeError::Source(e)
    }
}

impl From<std::io::Error> for RuntimeError {
    fn from(e: std::io::Error) -> Self {
        RuntimeError::Output(e)
    }
}

/// What the drop monitor saw (Falco's end-of-run summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropSummary {
    /// Checks that found drops above the threshold.
    pub detected: u64,
    /// Times the actions were taken.
    pub actions_taken: u64,
    /// The `exit` action ran: the run stopped there (Falco exits 1).
    pub exited: bool,
}

impl DropSummary {
    /// Falco's text (printed on stderr at the end of a capture).
    pub fn text(&self) -> String {
        format!(
            "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}\n",
            self.detected, self.actions_taken
        )
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events the source yielded (state records not counted).
    pub events: u64,
    /// Events evaluated against rules (those of enabled sources).
    pub evaluated: u64,
    /// Rule alerts delivered to the sinks.
    pub alerts: u64,
    /// The drop monitor's summary, when it watched syscall events.
    pub drops: Option<DropSummary>,
    /// What the source skipped (see [`EventSource::take_warnings`]).
    pub warnings: Vec<String>,
}

/// Where a pipeline's log lines go (level, message).
type LogFn<'d> = Box<dyn FnMut(Priority, &str) + 'd>;

/// A runtime pipeline: the detectors of the enabled sources, the syscall state and the drop
/// monitor, ready to run sources through.
pub struct Pipeline<'d> {
    detectors: Vec<Det<'d>>,
    inspector: Inspector,
    drops: Option<DropMonitor>,
    log: LogFn<'d>,
    /// Called with the events read so far, every 65,536 events (a progress bar).
    progress: Option<Box<dyn FnMut(u64) + 'd>>,
    /// Called with every syscall event as the rules see it (state applied), before they do:
    /// `runtime monitor --capture` records them.
    recorder: Option<Recorder<'d>>,
}

/// See [`Pipeline::with_recorder`].
type Recorder<'d> = Box<dyn FnMut(&crate::syscall::SyscallEvent) -> std::io::Result<()> + 'd>;

/// Events between two progress calls (a power of two: the check is a mask).
const PROGRESS_EVERY: u64 = 1 << 16;

enum Det<'d> {
    Owned(Detector),
    Borrowed(&'d Detector),
}

impl Det<'_> {
    fn get(&self) -> &Detector {
        match self {
            Det::Owned(d) => d,
            Det::Borrowed(d) => d,
        }
    }
}

/// Which rules sources run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSelection {
    /// Only these (empty: every source).
    pub enable: Vec<String>,
    /// Not these.
    pub disable: Vec<String>,
}

impl SourceSelection {
    pub fn enabled(&self, source: &str) -> bool {
        !self.disable.iter().any(|s| s == source)
            && (self.enable.is_empty() || self.enable.iter().any(|s| s == source))
    }
}

/// The rules sources the pipeline knows.
pub const SOURCES: &[&str] = &["syscall", "k8s_audit"];

impl<'d> Pipeline<'d> {
    /// The detectors of every enabled source's rules of `engine`, filtered by `run`; the drop
    /// monitor watches syscall events with `drops` (Falco watches every capture it reads).
    pub fn new(
        engine: &crate::RulesEngine,
        run: &RunOptions,
        sources: &SourceSelection,
        drops: Option<&DropsConfig>,
    ) -> Pipeline<'d> {
        let detectors = SOURCES
            .iter()
            .filter(|s| sources.enabled(s))
            .map(|s| Det::Owned(Detector::new(engine, s, run)))
            .collect();
        Pipeline {
            detectors,
            inspector: Inspector::new(),
            drops: drops.map(DropMonitor::new),
            log: Box::new(|_, _| {}),
            progress: None,
            recorder: None,
        }
    }

    /// A pipeline over detectors built elsewhere (each evaluates the events of its source), with
    /// no drop monitor.
    pub fn with_detectors(detectors: Vec<&'d Detector>) -> Pipeline<'d> {
        Pipeline {
            detectors: detectors.into_iter().map(Det::Borrowed).collect(),
            inspector: Inspector::new(),
            drops: None,
            log: Box::new(|_, _| {}),
            progress: None,
            recorder: None,
        }
    }

    /// Start from `inspector`'s state (a pipeline rebuilt with reloaded rules keeps the threads,
    /// fds and containers the previous one knew).
    pub fn with_inspector(mut self, inspector: Inspector) -> Self {
        let limits = self.inspector.state.limits;
        self.inspector = inspector;
        self.inspector.state.limits = limits;
        self
    }

    /// The state, for a pipeline built after this one (see [`Pipeline::with_inspector`]).
    pub fn into_inspector(self) -> Inspector {
        self.inspector
    }

    /// Hand every syscall event, as the rules see it, to `record` first (a failure ends the run).
    pub fn with_recorder(
        mut self,
        record: impl FnMut(&crate::syscall::SyscallEvent) -> std::io::Result<()> + 'd,
    ) -> Self {
        self.recorder = Some(Box::new(record));
        self
    }

    /// Bounds of the syscall state (the thread table's size: Falco's
    /// `falco_libs.thread_table_size`).
    pub fn with_state_limits(mut self, limits: crate::syscall::StateLimits) -> Self {
        self.inspector.state.limits = limits;
        self
    }

    /// Where log lines go (the drop monitor's `log` action, `Exiting.`): Falco's logger.
    pub fn with_log(mut self, log: impl FnMut(Priority, &str) + 'd) -> Self {
        self.log = Box::new(log);
        self
    }

    /// Report the number of events read every 65,536 events (for a progress bar on long replays;
    /// the check costs one mask per event).
    pub fn with_progress(mut self, progress: impl FnMut(u64) + 'd) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The detectors, for their rules and the rules that could not be compiled.
    pub fn detectors(&self) -> impl Iterator<Item = &Detector> {
        self.detectors.iter().map(Det::get)
    }

    /// The event types the enabled rules of `source` can match (the union of their detectors'):
    /// what the live sensor captures and `--capture` records.
    pub fn event_types(&self, source: &str) -> crate::evttypes::EvtTypes {
        self.detectors()
            .filter(|d| d.source == source)
            .fold(crate::evttypes::EvtTypes::none(), |acc, d| {
                acc.union(d.event_types())
            })
    }

    /// The syscall state (after a run: as the last event left it).
    pub fn inspector(&self) -> &Inspector {
        &self.inspector
    }

    fn detector(&self, source: &str) -> Option<&Detector> {
        self.detectors
            .iter()
            .map(Det::get)
            .find(|d| d.source == source)
    }

    /// Run every event of `source` through the state and the rules, alerts to every sink. Stops
    /// at the end of the source, on the drop monitor's `exit` action ([`DropSummary::exited`]),
    /// or on an error (alerts before it were delivered).
    pub fn run(
        &mut self,
        source: &mut dyn EventSource,
        sinks: &mut [&mut dyn Sink],
    ) -> Result<Summary, RuntimeError> {
        let mut summary = Summary::default();
        if !source
            .rules_sources()
            .iter()
            .any(|s| self.detector(s).is_some())
        {
            // None of the source's events would be evaluated: nothing to read.
            return Ok(summary);
        }
        let watch_drops = self.drops.is_some()
            && source.rules_sources().contains(&"syscall")
            && self.detector("syscall").is_some();
        // The detector of each source, found once.
        let find = |name: &str| self.detectors.iter().position(|d| d.get().source == name);
        let (syscall, audit) = (find("syscall"), find("k8s_audit"));
        let mut exited = false;
        let mut alerts = Vec::new();
        let mut notices = Vec::new();
        while let Some(ev) = source.next_event()? {
            let Some(rules_source) = ev.rules_source() else {
                if let SourceEvent::State(r) = &ev {
                    self.inspector.apply_state(r);
                    if let Some(e) = self.inspector.too_large() {
                        return Err(SourceError::State(e).into());
                    }
                }
                continue;
            };
            summary.events += 1;
            if summary.events & (PROGRESS_EVERY - 1) == 0
                && let Some(p) = &mut self.progress
            {
                p(summary.events);
            }
            let det = if rules_source == "syscall" {
                syscall
            } else {
                audit
            };
            let Some(det) = det.map(|i| self.detectors[i].get()) else {
                continue;
            };
            alerts.clear();
            match ev {
                SourceEvent::Syscall(ev) => {
                    // Past its memory limit the state stops the replay (checked before the
                    // next event: the last one applied was evaluated).
                    if let Some(e) = self.inspector.too_large() {
                        return Err(SourceError::State(e).into());
                    }
                    let view = self.inspector.apply(ev);
                    if let Some(r) = &mut self.recorder {
                        r(&view).map_err(RuntimeError::Record)?;
                    }
                    let ts = view.ts_ns();
                    if watch_drops && let Some(m) = &mut self.drops {
                        m.on_event_with(ts as u64, source.counters(), &mut notices);
                        exited = deliver_notices(&mut notices, &mut self.log, sinks)?;
                        if exited {
                            break;
                        }
                    }
                    det.process(ts, &view, &mut alerts);
                }
                SourceEvent::Recorded(ev) => {
                    if watch_drops && let Some(m) = &mut self.drops {
                        m.on_event_with(ev.ts() as u64, source.counters(), &mut notices);
                        exited = deliver_notices(&mut notices, &mut self.log, sinks)?;
                        if exited {
                            break;
                        }
                    }
                    det.process(ev.ts(), &ev, &mut alerts);
                }
                SourceEvent::Audit(a) => det.process(a.ts_ns, &a, &mut alerts),
                SourceEvent::State(_) => unreachable!("state records have no rules source"),
            }
            summary.evaluated += 1;
            for a in &alerts {
                summary.alerts += 1;
                for s in sinks.iter_mut() {
                    s.alert(a)?;
                }
            }
        }
        for s in sinks.iter_mut() {
            s.flush()?;
        }
        if watch_drops && let Some(m) = &self.drops {
            summary.drops = Some(DropSummary {
                detected: m.drops_detected,
                actions_taken: m.actions_taken,
                exited,
            });
        }
        summary.warnings = source.take_warnings();
        let dropped = std::mem::take(&mut self.inspector.state.dropped_threads);
        if dropped > 0 {
            summary.warnings.push(format!(
                "{dropped} thread(s) dropped from the state: more than {} threads at once (falco_libs.thread_table_size)",
                self.inspector.state.limits.max_threads
            ));
        }
        Ok(summary)
    }
}

/// The drop monitor's notices: logs to the log, alerts to the sinks; true when `exit` ran.
fn deliver_notices(
    notices: &mut Vec<DropNotice>,
    log: &mut dyn FnMut(Priority, &str),
    sinks: &mut [&mut dyn Sink],
) -> std::io::Result<bool> {
    let mut exit = false;
    for n in notices.drain(..) {
        match n {
            DropNotice::Log(level, msg) => log(level, &msg),
            DropNotice::Alert {
                ts_ns,
                message,
                fields,
            } => {
                let a = InternalAlert {
                    ts_ns,
                    priority: Priority::Debug,
                    rule: DROP_RULE,
                    message,
                    fields,
                };
                for s in sinks.iter_mut() {
                    s.internal(&a)?;
                }
            }
            DropNotice::Exit => exit = true,
        }
    }
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RulesEngine;
    use crate::capture::CapturedEvent;
    use crate::falco_config::DropAction;
    use crate::source::Counters;

    /// A live-like source: recorded syscall events one per 100 ms, with kernel counters that
    /// report 50 drops in the third second.
    struct Live {
        n: u64,
        counters: Counters,
    }

    impl EventSource for Live {
        fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
            if self.n == 40 {
                return Ok(None);
            }
            self.n += 1;
            self.counters.events += 10;
            if self.n == 25 {
                self.counters.drops_buffer += 50;
            }
            let mut fields = serde_json::Map::new();
            fields.insert("evt.type".into(), "open".into());
            fields.insert("proc.name".into(), "cat".into());
            Ok(Some(SourceEvent::Recorded(CapturedEvent::Syscall {
                ts: 1_000_000_000_000 + self.n as i128 * 100_000_000,
                fields,
                args: Vec::new(),
                ancestors: Vec::new(),
                thread: None,
                header: None,
            })))
        }

        fn rules_sources(&self) -> &'static [&'static str] {
            &["syscall"]
        }

        fn counters(&self) -> Option<Counters> {
            Some(self.counters)
        }
    }

    #[derive(Default)]
    struct Collect {
        rules: Vec<String>,
        internal: Vec<InternalAlert>,
    }

    impl Sink for Collect {
        fn alert(&mut self, a: &Alert) -> std::io::Result<()> {
            self.rules.push(a.rule.clone());
            Ok(())
        }
        fn internal(&mut self, a: &InternalAlert) -> std::io::Result<()> {
            self.internal.push(a.clone());
            Ok(())
        }
    }

    fn engine() -> RulesEngine {
        let mut e = RulesEngine::default();
        let r = e.load_rules(
            "- rule: cat opens\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: \"%proc.name\"\n  priority: WARNING\n",
            "r.yaml",
        );
        assert!(r.successful());
        e
    }

    /// The drop monitor works from a live source's kernel counters: the interval with drops
    /// raises one alert whose fields are the counters' differences.
    #[test]
    fn drops_from_kernel_counters() {
        let engine = engine();
        let drops = DropsConfig {
            actions: vec![DropAction::Alert],
            threshold: 0.1,
            rate: 1.0,
            max_burst: 10.0,
            simulate_drops: false,
        };
        let mut p = Pipeline::new(
            &engine,
            &RunOptions::default(),
            &SourceSelection::default(),
            Some(&drops),
        );
        let mut sink = Collect::default();
        let mut src = Live {
            n: 0,
            counters: Counters::default(),
        };
        let s = p.run(&mut src, &mut [&mut sink]).unwrap();
        assert_eq!((s.events, s.evaluated, s.alerts), (40, 40, 40));
        assert_eq!(sink.rules.len(), 40);
        let d = s.drops.unwrap();
        assert_eq!((d.detected, d.actions_taken, d.exited), (1, 1, false));
        assert_eq!(sink.internal.len(), 1);
        let a = &sink.internal[0];
        assert_eq!(a.rule, DROP_RULE);
        assert_eq!(
            a.message,
            "Falco internal: syscall event drop. 50 system calls dropped in last second."
        );
        let field = |k: &str| a.fields.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(field("n_drops_buffer_total"), "50");
        // The kernel's events of the interval (11 events of 10 each since the check before).
        assert_eq!(field("n_evts"), "110");
    }

    /// A disabled source is not read at all; the `exit` action stops the run.
    #[test]
    fn disabled_sources_and_exit() {
        let engine = engine();
        let mut p = Pipeline::new(
            &engine,
            &RunOptions::default(),
            &SourceSelection {
                enable: vec![],
                disable: vec!["syscall".into()],
            },
            None,
        );
        let mut src = Live {
            n: 0,
            counters: Counters::default(),
        };
        let s = p.run(&mut src, &mut []).unwrap();
        assert_eq!(s, Summary::default());
        assert_eq!(src.n, 0, "not read");
        let drops = DropsConfig {
            actions: vec![DropAction::Exit],
            threshold: 0.0,
            rate: 1.0,
            max_burst: 1.0,
            simulate_drops: true,
        };
        let mut logged = Vec::new();
        let mut p = Pipeline::new(
            &engine,
            &RunOptions::default(),
            &SourceSelection::default(),
            Some(&drops),
        )
        .with_log(|l, m| logged.push((l, m.to_string())));
        let mut sink = Collect::default();
        let s = p.run(&mut src, &mut [&mut sink]).unwrap();
        assert!(s.drops.unwrap().exited);
        assert!(s.events < 40, "{}", s.events);
        drop(p);
        assert!(logged.iter().any(|(_, m)| m == "Exiting."), "{logged:?}");
    }

    /// Alerts become findings: kind, id, severity from the priority, the container and process.
    #[test]
    fn finding_sink() {
        let engine = engine();
        let det = Detector::new(&engine, "syscall", &RunOptions::default());
        let mut p = Pipeline::with_detectors(vec![&det]);
        let mut sink = FindingSink::default();
        let mut src = Live {
            n: 38,
            counters: Counters::default(),
        };
        p.run(&mut src, &mut [&mut sink]).unwrap();
        assert_eq!(sink.findings.len(), 2);
        let f = &sink.findings[0];
        assert_eq!(f.kind, bulkhead_core::FindingKind::RuntimeAlert);
        assert_eq!(f.id, "cat opens");
        assert_eq!(f.severity, bulkhead_core::Severity::Medium);
        assert_eq!(f.message, "cat");
    }
}
