//! The live sensor as an [`EventSource`] of the runtime pipeline: first the `/proc` scan (the
//! processes and files that predate it), then the kernel's events in the libs event model, each
//! new container's metadata just before that container's first event.

use crate::cgroups::CgroupResolver;
use crate::containers::ContainerLookup;
use crate::decode::Decoder;
use crate::procfs::{self, ScanLimits};
use crate::sensor::{Sensor, SensorConfig};
use bulkhead_rules::source::{Counters, EventSource, SourceError, SourceEvent};
use bulkhead_scap::{Event, ThreadInfo, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest the stream waits for a new container's metadata before going on without it (the
/// lookup's own deadline: a cold engine socket can take a second to answer).
pub const CONTAINER_WAIT: Duration = crate::containers::LOOKUP_TIMEOUT;
/// Longest a stopping stream keeps evaluating what the kernel already handed over.
pub const DRAIN: Duration = Duration::from_secs(2);
/// Most events held while waiting (the kernel ring keeps the rest).
pub const MAX_HELD: usize = 65_536;

/// What the source knows of a container id (absent: asked, no answer yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Metadata found.
    Done,
    /// No engine knew it, or the answer came too late: not waited for again.
    Missing,
}

pub struct LiveSource {
    sensor: Sensor,
    decoder: Decoder,
    ready: VecDeque<SourceEvent>,
    /// Events held while a new container's metadata is looked up, and until when.
    held: Vec<Event>,
    waiting: Option<(String, Instant)>,
    containers: Option<ContainerLookup>,
    known: HashMap<String, Known>,
    until: Option<Instant>,
    stop: Arc<AtomicBool>,
    /// Set (by SIGHUP) to end the current stream without stopping the sensor: the caller
    /// reloads its rules and reads on ([`LiveSource::reload_requested`]).
    reload: Option<Arc<AtomicBool>>,
    /// Set when the stream is stopping: the records already read are evaluated until then.
    drain_until: Option<Instant>,
    /// Kubernetes audit events (the audit webhook), interleaved with the kernel's.
    audit: Option<std::sync::mpsc::Receiver<bulkhead_rules::k8saudit::AuditEvent>>,
}

impl LiveSource {
    /// Starts the sensor; `stop` ends the stream (signals), `duration` too (`-M`).
    pub fn start(
        mut cfg: SensorConfig,
        duration: Option<Duration>,
        stop: Arc<AtomicBool>,
        containers: Option<ContainerLookup>,
    ) -> Result<LiveSource, crate::SensorError> {
        // The sensor's thread asks for a new container's metadata as soon as it reads the
        // container's first process, however far behind the rules are.
        cfg.container_requests = containers.as_ref().map(ContainerLookup::requester);
        // The sensor first, then the scan: a process that starts in between is seen by both
        // (the later event wins), never by neither.
        let sensor = Sensor::start(cfg)?;
        let (records, gaps) = procfs::scan(ScanLimits::default());
        if gaps.fds_denied > 0 {
            eprintln!(
                "bulkhead: warning: the /proc scan could not read the open files of {} processes (another user's; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH allow it): files, sockets and pipes they opened before the monitor started are unknown (fd.name <NA>)",
                gaps.fds_denied
            );
        }
        let mut ready: VecDeque<SourceEvent> =
            records.into_iter().map(SourceEvent::State).collect();
        let mut known = HashMap::new();
        let decoder = Decoder::new(CgroupResolver::host());
        // Containers already running: their metadata before any event.
        if let Some(lookup) = &containers {
            let ids: Vec<String> = ready
                .iter()
                .filter_map(|e| match e {
                    SourceEvent::State(bulkhead_rules::syscall::StateRecord::Threads(ts)) => Some(
                        ts.iter()
                            .filter_map(ThreadInfo::container_id)
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                })
                .flatten()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let mut asked = 0;
            for id in &ids {
                if lookup.request(id) {
                    asked += 1;
                }
                known.insert(id.clone(), Known::Done);
            }
            let deadline = Instant::now() + CONTAINER_WAIT * 2;
            while asked > 0 && Instant::now() < deadline {
                match lookup.answer(deadline.saturating_duration_since(Instant::now())) {
                    Some((_, Some(json))) => {
                        asked -= 1;
                        if let Some(ev) = decoder.container_event(&json) {
                            ready.push_back(SourceEvent::Syscall(ev));
                        }
                    }
                    Some((id, None)) => {
                        asked -= 1;
                        known.insert(id, Known::Missing);
                    }
                    None => break,
                }
            }
        }
        Ok(LiveSource {
            sensor,
            decoder,
            ready,
            held: Vec::new(),
            waiting: None,
            containers,
            known,
            until: duration.map(|d| Instant::now() + d),
            stop,
            reload: None,
            drain_until: None,
            audit: None,
        })
    }

    /// A lookup's answer: the container event when found (before the events held for it).
    fn answered(&mut self, id: String, json: Option<String>) {
        match json.and_then(|j| self.decoder.container_event(&j)) {
            Some(ev) => {
                self.known.insert(id.clone(), Known::Done);
                self.ready.push_back(SourceEvent::Syscall(ev));
            }
            None => {
                self.known.entry(id.clone()).or_insert(Known::Missing);
            }
        }
        if self.waiting.as_ref().is_some_and(|(w, _)| *w == id) {
            self.release_held();
        }
    }

    /// Interleave the audit events of `rx` (the `k8s_audit` rules source).
    pub fn with_audit(
        mut self,
        rx: std::sync::mpsc::Receiver<bulkhead_rules::k8saudit::AuditEvent>,
    ) -> Self {
        self.audit = Some(rx);
        self
    }

    /// End the stream (not the sensor) whenever `flag` is set; see [`LiveSource::reload_requested`].
    pub fn with_reload(mut self, flag: Arc<AtomicBool>) -> Self {
        self.reload = Some(flag);
        self
    }

    /// Whether the stream ended for a reload (the flag is cleared): the sensor keeps running and
    /// the events that came meanwhile are kept for the next [`EventSource::next_event`].
    pub fn reload_requested(&self) -> bool {
        self.reload
            .as_ref()
            .is_some_and(|f| f.swap(false, Ordering::SeqCst))
    }

    /// Capture these system calls from now on.
    pub fn set_syscalls(&self, syscalls: Vec<&'static str>) -> Result<(), crate::SensorError> {
        self.sensor.set_syscalls(syscalls)
    }

    fn reloading(&self) -> bool {
        self.reload
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// The sensor's counters, shared (for metrics served while the source runs).
    pub fn counters_handle(&self) -> Arc<crate::sensor::SensorCounters> {
        self.sensor.counters.clone()
    }

    fn finished(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.until.is_some_and(|u| Instant::now() >= u)
    }

    fn release_held(&mut self) {
        self.waiting = None;
        for e in self.held.drain(..) {
            self.ready.push_back(SourceEvent::Syscall(e));
        }
    }

    fn take(&mut self, ev: Event) {
        if self.waiting.is_some() {
            self.held.push(ev);
            if self.held.len() >= MAX_HELD {
                self.release_held();
            }
            return;
        }
        if self.containers.is_some()
            && let Some(id) = new_container(&ev, &self.known)
        {
            // Asked by the sensor's thread already: wait for the answer (bounded).
            self.waiting = Some((id, Instant::now() + CONTAINER_WAIT));
            self.held.push(ev);
            return;
        }
        self.ready.push_back(SourceEvent::Syscall(ev));
    }
}

/// The container id of an exec or clone exit whose metadata has not been answered yet.
fn new_container(ev: &Event, known: &HashMap<String, Known>) -> Option<String> {
    if !matches!(ev.name, "execve" | "clone") || ev.direction != bulkhead_scap::Direction::Exit {
        return None;
    }
    let Value::Bytes(cg) = &ev.param("cgroups")?.value else {
        return None;
    };
    let id = bulkhead_scap::container_id_of_cgroups(cg)?;
    (!known.contains_key(&id)).then_some(id)
}

impl EventSource for LiveSource {
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
        loop {
            // Answers that came in (also late ones, for containers no longer waited for).
            while let Some((id, json)) = self
                .containers
                .as_ref()
                .and_then(ContainerLookup::try_answer)
            {
                self.answered(id, json);
            }
            if self.reloading() && self.waiting.is_none() {
                return Ok(None);
            }
            if let Some(e) = self.ready.pop_front() {
                return Ok(Some(e));
            }
            if let Some(a) = self.audit.as_ref().and_then(|rx| rx.try_recv().ok()) {
                return Ok(Some(SourceEvent::Audit(a)));
            }
            if let Some((_, deadline)) = self.waiting {
                let lookup = self.containers.as_ref().expect("waiting implies a lookup");
                let left = deadline.saturating_duration_since(Instant::now());
                match lookup.answer(left.min(Duration::from_millis(50))) {
                    Some((id, json)) => self.answered(id, json),
                    None if Instant::now() >= deadline => {
                        if let Some((id, _)) = self.waiting.clone() {
                            self.known.entry(id).or_insert(Known::Missing);
                        }
                        self.release_held();
                    }
                    None => {}
                }
                // Keep reading the kernel meanwhile (held), so that its ring does not fill.
            } else if self.finished() {
                // Stopping: what the kernel already handed over is still evaluated (events that
                // happened before the stop are not lost), for at most DRAIN.
                let until = *self
                    .drain_until
                    .get_or_insert_with(|| Instant::now() + DRAIN);
                if Instant::now() >= until {
                    return Ok(None);
                }
            }
            let rec =
                self.sensor
                    .next(Duration::from_millis(50))
                    .map_err(|e| SourceError::Live {
                        name: "eBPF sensor".into(),
                        message: e.to_string(),
                    })?;
            match rec {
                Some(rec) => {
                    for ev in self.decoder.events(&rec) {
                        self.take(ev);
                    }
                }
                // Drained.
                None if self.drain_until.is_some() && self.waiting.is_none() => {
                    self.release_held();
                    if self.ready.is_empty() {
                        return Ok(None);
                    }
                }
                None => {}
            }
        }
    }

    fn rules_sources(&self) -> &'static [&'static str] {
        if self.audit.is_some() {
            &["syscall", "k8s_audit"]
        } else {
            &["syscall"]
        }
    }

    fn counters(&self) -> Option<Counters> {
        Some(self.sensor.counters.snapshot())
    }
}
