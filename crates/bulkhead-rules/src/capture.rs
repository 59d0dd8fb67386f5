//! Bulkhead's own capture format: the events the future eBPF sensor will produce, in the same event
//! model as replayed `.scap` events, as JSON Lines (versioned, self-describing, greppable).
//!
//! ```text
//! {"bulkhead_capture":2,"producer":"bulkhead","source_file":"cat_write.scap","hostname":"ubuntu"}
//! {"thread":20072,"fields":{"proc.name":"cat","proc.pid":"20072","user.uid":"0",…},"ancestors":["bash","sshd"]}
//! {"ts":1470327477881781397,"source":"syscall","tid":20072,"fields":{"evt.type":"open","fd.name":"/dev/null",…},"args":[["name","/dev/null"],…]}
//! {"ts":1540476552581541000,"source":"k8s_audit","audit":{…the audit event…}}
//! ```
//!
//! - Line 1 is the header: `bulkhead_capture` is the format version (2; version 1 files, whose
//!   events carry every field, are still read), `hostname` the machine's (`evt.hostname`).
//! - A `thread` record holds the state of a thread as events see it: its process, thread, user,
//!   group, container and Kubernetes fields (strings; lists for multi-valued fields) and
//!   `ancestors` (names of the parent, grandparent, …, for `proc.aname[N]`). It is written before
//!   the first event of the thread and again whenever that state changes (execve, setuid, …); a
//!   `procexit` event ends it.
//! - An event line has `ts` (nanoseconds since the epoch) and `source` (`syscall` or
//!   `k8s_audit`). Syscall events carry `tid` (their thread record), `fields` (the event's own
//!   fields: `evt.*`, `fd.*`, `syscall.type` and the time-dependent `proc.duration`,
//!   `proc.ppid.duration`) and `args` (the event parameters in order as `[name, value]`, for
//!   `evt.arg.NAME` and `evt.arg[N]`). Time strings (`evt.time`, `evt.time.s`,
//!   `evt.time.iso8601`, `evt.datetime`, `evt.datetime.s`, `evt.rawtime`, `evt.rawtime.s`,
//!   `evt.rawtime.ns`) are derived from `ts` when read, `evt.source` is `syscall`. Audit events
//!   carry the audit event under `audit`.
//! - Which fields are recorded follows the field table ([`syscall_fields`]).
//! - Readers skip unknown keys, so later versions can add fields.

use crate::eval::FieldSource;
use crate::k8saudit::AuditEvent;
use serde_json::{Map, Value, json};
use std::io::{BufRead, Read, Write};

/// The format version written (and the newest read).
pub const VERSION: u64 = 2;

/// Why a Bulkhead capture could not be read (the caller names the file).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("line {line}: cannot read: {error}")]
    Io { line: usize, error: std::io::Error },
    #[error("line {line}: longer than {limit} bytes (the reader's limit, --max-event-size)")]
    LineTooLong { line: usize, limit: usize },
    #[error("line {line}: invalid JSON ({detail}); every line is one JSON object")]
    Json { line: usize, detail: String },
    #[error(
        "line {line}: not a Bulkhead capture header (the first line is {{\"bulkhead_capture\":VERSION, ...}}; write captures with `bulkhead runtime convert`)"
    )]
    NotHeader { line: usize },
    #[error("empty file: no Bulkhead capture header")]
    Empty,
    #[error(
        "capture format version {version} is newer than this Bulkhead reads ({VERSION}): upgrade Bulkhead"
    )]
    Newer { version: u64 },
    #[error("line {line}: invalid `thread` (a thread id number)")]
    BadThread { line: usize },
    #[error("line {line}: more than {limit} live threads (the reader's limit)")]
    TooManyThreads { line: usize, limit: usize },
    #[error(
        "line {line}: the live thread records hold more than {limit} bytes (the reader's limit)"
    )]
    ThreadRecordsTooLarge { line: usize, limit: usize },
    #[error("line {line}: missing or invalid `ts` (nanoseconds since the epoch)")]
    BadTs { line: usize },
    #[error("line {line}: k8s_audit event without `audit`")]
    NoAudit { line: usize },
    #[error("line {line}: unknown source {found:?} (valid: syscall, k8s_audit)")]
    UnknownSource { line: usize, found: String },
}

/// Why a `.scap` capture could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{0}")]
    Read(crate::source::SourceError),
    #[error("cannot write the Bulkhead capture: {0}")]
    Write(std::io::Error),
}

/// Fields derived when a capture is read (from the event time, or constant), not written.
const TIME_FIELDS: &[&str] = &[
    "evt.time",
    "evt.time.s",
    "evt.time.iso8601",
    "evt.datetime",
    "evt.datetime.s",
    "evt.rawtime",
    "evt.rawtime.s",
    "evt.rawtime.ns",
    "evt.source",
];

/// Whether a recorded field belongs to the thread record (state shared by the thread's events)
/// rather than to the event.
fn thread_level(f: &str) -> bool {
    let group = f.split('.').next().unwrap_or("");
    matches!(
        group,
        "proc" | "thread" | "user" | "group" | "container" | "k8s"
    ) && !matches!(f, "proc.duration" | "proc.ppid.duration")
}

/// Fields a syscall event records, derived from the field table ([`crate::fields::FIELDS`]): the
/// syscall fields Bulkhead extracts that need no argument (fields whose argument is optional are
/// recorded in their argument-less form), except `proc.aname`, recorded as `ancestors`. `evt.arg`
/// and `evt.rawarg` are recorded as `args`; fields with a required argument are not recorded.
pub fn syscall_fields() -> &'static [&'static str] {
    use crate::fields::{ArgRule, FIELDS};
    static F: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        FIELDS
            .iter()
            .filter(|f| {
                f.source == "syscall"
                    && f.extracted()
                    && f.arg != ArgRule::Required
                    && f.name != "proc.aname"
            })
            .map(|f| f.name)
            .collect()
    })
}

/// A thread record as read: its fields and ancestors, shared by the thread's events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadRecord {
    pub fields: Map<String, Value>,
    pub ancestors: Vec<String>,
}

/// What a version-2 header gives its events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub hostname: Option<String>,
}

/// One event of the format.
#[derive(Debug, Clone)]
pub enum CapturedEvent {
    Syscall {
        ts: i128,
        /// The event's own fields (in version 1 files, every field).
        fields: Map<String, Value>,
        args: Vec<(String, String)>,
        ancestors: Vec<String>,
        /// Its thread's record (version 2), consulted for the fields the event does not carry.
        thread: Option<std::sync::Arc<ThreadRecord>>,
        /// The header of the version-2 file the event was read from: its time strings derive
        /// from `ts` and `evt.hostname` is the header's.
        header: Option<std::sync::Arc<Header>>,
    },
    Audit(AuditEvent),
}

impl CapturedEvent {
    pub fn ts(&self) -> i128 {
        match self {
            CapturedEvent::Syscall { ts, .. } => *ts,
            CapturedEvent::Audit(a) => a.ts_ns,
        }
    }

    pub fn source(&self) -> &'static str {
        match self {
            CapturedEvent::Syscall { .. } => "syscall",
            CapturedEvent::Audit(_) => "k8s_audit",
        }
    }

    /// Record any syscall event (a replayed `.scap` event, or a sensor's) in this format.
    pub fn from_syscall(ev: &dyn FieldSource, ts: i128, arg_names: &[&str]) -> CapturedEvent {
        let mut fields = Map::new();
        for f in syscall_fields() {
            if let Some(v) = ev.extract(f, None) {
                let v = if v.len() == 1 {
                    Value::String(v[0].clone())
                } else {
                    Value::Array(v.into_iter().map(Value::String).collect())
                };
                fields.insert(f.to_string(), v);
            }
        }
        let args = arg_names
            .iter()
            .filter_map(|n| {
                ev.extract("evt.arg", Some(n))
                    .and_then(|v| v.into_iter().next())
                    .map(|v| (n.to_string(), v))
            })
            .collect();
        let ancestors = (1..=7)
            .map_while(|i| {
                ev.extract("proc.aname", Some(&i.to_string()))
                    .and_then(|v| v.into_iter().next())
            })
            .collect();
        CapturedEvent::Syscall {
            ts,
            fields,
            args,
            ancestors,
            thread: None,
            header: None,
        }
    }

    /// The event as one self-contained JSON line (every field in the event; the form version 1
    /// wrote). [`Writer`] writes the compact form.
    pub fn to_json(&self) -> Value {
        match self {
            CapturedEvent::Syscall {
                ts,
                fields,
                args,
                ancestors,
                ..
            } => json!({
                "ts": *ts as i64,
                "source": "syscall",
                "fields": fields,
                "args": args.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                "ancestors": ancestors,
            }),
            CapturedEvent::Audit(a) => {
                json!({"ts": a.ts_ns as i64, "source": "k8s_audit", "audit": a.json})
            }
        }
    }

    fn from_json(v: Value, line: usize) -> Result<CapturedEvent, CaptureError> {
        let ts = v
            .get("ts")
            .and_then(Value::as_i64)
            .ok_or(CaptureError::BadTs { line })? as i128;
        match v.get("source").and_then(Value::as_str) {
            Some("syscall") => {
                let fields = v
                    .get("fields")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let args = v
                    .get("args")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        let p = p.as_array()?;
                        Some((
                            p.first()?.as_str()?.to_string(),
                            p.get(1)?.as_str()?.to_string(),
                        ))
                    })
                    .collect();
                let ancestors = v
                    .get("ancestors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect();
                Ok(CapturedEvent::Syscall {
                    ts,
                    fields,
                    args,
                    ancestors,
                    thread: None,
                    header: None,
                })
            }
            Some("k8s_audit") => {
                let json = v
                    .get("audit")
                    .cloned()
                    .ok_or(CaptureError::NoAudit { line })?;
                Ok(CapturedEvent::Audit(AuditEvent {
                    json,
                    ts_ns: ts,
                    num: 0,
                }))
            }
            other => Err(CaptureError::UnknownSource {
                line,
                found: other.unwrap_or_default().to_string(),
            }),
        }
    }
}

impl FieldSource for CapturedEvent {
    fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>> {
        match self {
            CapturedEvent::Audit(a) => a.extract(field, arg),
            CapturedEvent::Syscall {
                ts,
                fields,
                args,
                ancestors,
                thread,
                header,
            } => match (field, arg) {
                ("evt.arg" | "evt.rawarg", Some(a)) => match a.trim().parse::<usize>() {
                    Ok(i) => args.get(i).map(|(_, v)| vec![v.clone()]),
                    Err(_) => args
                        .iter()
                        .find(|(k, _)| k == a)
                        .map(|(_, v)| vec![v.clone()]),
                },
                ("proc.aname", Some(n)) => {
                    let i: usize = n.trim().parse().ok()?;
                    if i == 0 {
                        return self.extract("proc.name", None);
                    }
                    let ancestors = match thread {
                        Some(t) if ancestors.is_empty() => &t.ancestors,
                        _ => ancestors,
                    };
                    ancestors.get(i - 1).map(|a| vec![a.clone()])
                }
                (f, None) => {
                    if let Some(v) = fields
                        .get(f)
                        .or_else(|| thread.as_ref().and_then(|t| t.fields.get(f)))
                    {
                        return value_strings(v);
                    }
                    // Version 2 derives the time strings from `ts` and takes the hostname from
                    // the header.
                    let header = header.as_ref()?;
                    let t = *ts;
                    Some(vec![match f {
                        "evt.time" => crate::output::line_time(t, false),
                        "evt.time.iso8601" => crate::output::iso_time(t, false),
                        "evt.datetime" => crate::output::datetime(t),
                        "evt.rawtime" => t.to_string(),
                        "evt.time.s" => crate::output::time_s(t),
                        "evt.datetime.s" => crate::output::datetime_s(t),
                        "evt.rawtime.s" => (t / 1_000_000_000).to_string(),
                        "evt.rawtime.ns" => (t % 1_000_000_000).to_string(),
                        "evt.source" => "syscall".to_string(),
                        "evt.hostname" => header.hostname.clone()?,
                        _ => return None,
                    }])
                }
                _ => None,
            },
        }
    }
}

fn value_strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        ),
        Value::Null => None,
        other => Some(vec![other.to_string()]),
    }
}

/// Whether `head` (the first bytes of a file) starts a Bulkhead capture.
pub fn is_capture(head: &[u8]) -> bool {
    let s = String::from_utf8_lossy(head);
    s.trim_start().starts_with("{\"bulkhead_capture\"")
}

/// Default largest line (bytes), checked while the line is read.
pub const MAX_LINE: usize = 16 << 20;

/// Default largest number of live thread records a reader keeps (libsinsp's thread table).
pub const MAX_THREADS: usize = 262_144;

/// Default largest total size of the live thread records a reader keeps (bytes of their lines).
pub const MAX_THREAD_RECORD_BYTES: usize = 256 << 20;

/// Bounds of a [`Reader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderLimits {
    /// Largest line (bytes).
    pub max_line: usize,
    /// Most live thread records.
    pub max_threads: usize,
    /// Most bytes (of their lines) the live thread records take together.
    pub max_thread_bytes: usize,
}

impl Default for ReaderLimits {
    fn default() -> Self {
        ReaderLimits {
            max_line: MAX_LINE,
            max_threads: MAX_THREADS,
            max_thread_bytes: MAX_THREAD_RECORD_BYTES,
        }
    }
}

/// A Bulkhead capture being read: the header, then its events one by one (streaming; thread
/// records are kept while their thread lives, within [`ReaderLimits`]).
pub struct Reader<R> {
    reader: R,
    buf: Vec<u8>,
    limits: ReaderLimits,
    line: usize,
    header: Option<(u64, std::sync::Arc<Header>)>,
    /// Live thread records with the size of their line (bounded: a `procexit` event ends
    /// its thread's record).
    threads: std::collections::HashMap<i64, (std::sync::Arc<ThreadRecord>, usize)>,
    thread_bytes: usize,
    events: u64,
}

impl<R: BufRead> Reader<R> {
    pub fn new(reader: R) -> Reader<R> {
        Reader::with_limits(reader, ReaderLimits::default())
    }

    pub fn with_limits(reader: R, limits: ReaderLimits) -> Reader<R> {
        Reader {
            reader,
            buf: Vec::new(),
            limits,
            line: 0,
            header: None,
            threads: std::collections::HashMap::new(),
            thread_bytes: 0,
            events: 0,
        }
    }

    /// The next line into `self.buf` (without its end), read at most one byte past the limit;
    /// `false` at the end of the input.
    fn read_line(&mut self) -> Result<bool, CaptureError> {
        self.buf.clear();
        let n = self.line + 1;
        let max = self.limits.max_line;
        let got = (&mut self.reader)
            .take(max as u64 + 2)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| CaptureError::Io { line: n, error: e })?;
        if got == 0 {
            return Ok(false);
        }
        self.line = n;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        if self.buf.len() > max {
            return Err(CaptureError::LineTooLong {
                line: n,
                limit: max,
            });
        }
        Ok(true)
    }

    /// Events read so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The next event; `None` at the end of the file.
    pub fn next_event(&mut self) -> Result<Option<CapturedEvent>, CaptureError> {
        loop {
            if !self.read_line()? {
                if self.header.is_none() {
                    return Err(CaptureError::Empty);
                }
                return Ok(None);
            }
            let n = self.line;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let v: Value = serde_json::from_slice(&self.buf).map_err(|e| CaptureError::Json {
                line: n,
                detail: crate::k8saudit::json_detail(&e),
            })?;
            let size = self.buf.len();
            let Some((version, file_header)) = &self.header else {
                let version = v
                    .get("bulkhead_capture")
                    .and_then(Value::as_u64)
                    .ok_or(CaptureError::NotHeader { line: n })?;
                if version > VERSION {
                    return Err(CaptureError::Newer { version });
                }
                let hostname = v.get("hostname").and_then(Value::as_str).map(String::from);
                self.header = Some((version, std::sync::Arc::new(Header { hostname })));
                continue;
            };
            let (version, file_header) = (*version, file_header.clone());
            if version >= 2
                && let Some(tid) = v.get("thread")
            {
                let tid = tid.as_i64().ok_or(CaptureError::BadThread { line: n })?;
                let old = self.threads.get(&tid).map_or(0, |(_, s)| *s);
                if old == 0 && self.threads.len() >= self.limits.max_threads {
                    return Err(CaptureError::TooManyThreads {
                        line: n,
                        limit: self.limits.max_threads,
                    });
                }
                let bytes = self.thread_bytes - old + size;
                if bytes > self.limits.max_thread_bytes {
                    return Err(CaptureError::ThreadRecordsTooLarge {
                        line: n,
                        limit: self.limits.max_thread_bytes,
                    });
                }
                self.thread_bytes = bytes;
                let fields = v
                    .get("fields")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let ancestors = strings(v.get("ancestors"));
                self.threads.insert(
                    tid,
                    (
                        std::sync::Arc::new(ThreadRecord { fields, ancestors }),
                        size,
                    ),
                );
                continue;
            }
            let tid = v.get("tid").and_then(Value::as_i64);
            let mut ev = CapturedEvent::from_json(v, n)?;
            if let CapturedEvent::Syscall {
                fields,
                thread,
                header: event_header,
                ..
            } = &mut ev
                && version >= 2
            {
                *thread = tid.and_then(|t| self.threads.get(&t).map(|(r, _)| r.clone()));
                *event_header = Some(file_header);
                let exit = fields.get("evt.type").and_then(Value::as_str) == Some("procexit");
                if exit
                    && let Some(t) = tid
                    && let Some((_, s)) = self.threads.remove(&t)
                {
                    self.thread_bytes -= s;
                }
            }
            self.events += 1;
            return Ok(Some(ev));
        }
    }
}

/// Read a capture: the header, then every event, calling `on_event` for each (streaming).
/// Returns the number of events.
pub fn read(
    reader: impl BufRead,
    on_event: &mut dyn FnMut(CapturedEvent),
) -> Result<u64, CaptureError> {
    let mut r = Reader::new(reader);
    while let Some(ev) = r.next_event()? {
        on_event(ev);
    }
    Ok(r.events())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

/// Writes events in the compact form: a thread record when a thread's state is new or changed,
/// then the event with its own fields.
#[derive(Default)]
pub struct Writer {
    last: std::collections::HashMap<i64, (Map<String, Value>, Vec<String>)>,
}

impl Writer {
    /// Write one event (and the thread record it needs).
    pub fn write(&mut self, out: &mut dyn Write, ev: &CapturedEvent) -> std::io::Result<()> {
        let CapturedEvent::Syscall {
            ts,
            fields,
            args,
            ancestors,
            ..
        } = ev
        else {
            return writeln!(out, "{}", ev.to_json());
        };
        let tid = fields
            .get("thread.tid")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<i64>().ok());
        let Some(tid) = tid else {
            // No thread: a self-contained event.
            return writeln!(out, "{}", ev.to_json());
        };
        let (mut own, mut shared) = (Map::new(), Map::new());
        for (k, v) in fields {
            if TIME_FIELDS.contains(&k.as_str()) || k == "evt.hostname" {
                continue;
            }
            if thread_level(k) {
                shared.insert(k.clone(), v.clone());
            } else {
                own.insert(k.clone(), v.clone());
            }
        }
        let state = (shared, ancestors.clone());
        if self.last.get(&tid) != Some(&state) {
            writeln!(
                out,
                "{}",
                json!({"thread": tid, "fields": state.0, "ancestors": state.1})
            )?;
            self.last.insert(tid, state);
        }
        let exit = own.get("evt.type").and_then(Value::as_str) == Some("procexit");
        writeln!(
            out,
            "{}",
            json!({
                "ts": *ts as i64,
                "source": "syscall",
                "tid": tid,
                "fields": own,
                "args": args.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            })
        )?;
        if exit {
            self.last.remove(&tid);
        }
        Ok(())
    }
}

/// Write the header line.
pub fn write_header(
    out: &mut dyn Write,
    source_file: &str,
    hostname: Option<&str>,
) -> std::io::Result<()> {
    let mut h =
        json!({"bulkhead_capture": VERSION, "producer": "bulkhead", "source_file": source_file});
    if let Some(name) = hostname {
        h["hostname"] = Value::String(name.to_string());
    }
    writeln!(out, "{h}")
}

impl From<crate::source::SourceError> for ConvertError {
    fn from(e: crate::source::SourceError) -> Self {
        ConvertError::Read(e)
    }
}

impl From<std::io::Error> for ConvertError {
    fn from(e: std::io::Error) -> Self {
        ConvertError::Write(e)
    }
}

/// Convert a `.scap` capture into this format (every event, replayed with process and fd state as
/// `bulkhead runtime replay` sees it). Returns the number of events written.
pub fn convert_scap(path: &std::path::Path, out: &mut dyn Write) -> Result<u64, ConvertError> {
    let mut r = crate::syscall::Replayer::open(path)?;
    let mut n = 0;
    let mut w = Writer::default();
    while let Some(ev) = r.next_event()? {
        if n == 0 {
            let host = ev
                .extract("evt.hostname", None)
                .and_then(|v| v.into_iter().next());
            write_header(out, &path.display().to_string(), host.as_deref())?;
        }
        let names: Vec<&str> = ev.event.params.iter().map(|p| p.name).collect();
        let c = CapturedEvent::from_syscall(&ev, ev.ts_ns(), &names);
        w.write(out, &c)?;
        n += 1;
    }
    if n == 0 {
        write_header(out, &path.display().to_string(), None)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RulesEngine;
    use crate::detect::{Detector, RunOptions};

    /// The capture shipped in the repository and an engine with `rules` loaded.
    fn cat_write_and(rules: &str) -> (std::path::PathBuf, RulesEngine) {
        let scap = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
        let mut engine = RulesEngine::default();
        assert!(engine.load_rules(rules, "test.yaml").successful());
        (scap, engine)
    }

    #[test]
    fn scap_round_trip_gives_the_same_alerts() {
        let rules = "- list: cat_binaries\n  items: [cat]\n- rule: open_from_cat\n  desc: x\n  condition: evt.type=open and proc.name in (cat_binaries) and proc.aname[1] exists\n  output: \"An open was seen (command=%proc.cmdline file=%fd.name flags=%evt.arg.flags parent=%proc.aname[1])\"\n  priority: WARNING\n- rule: any_close\n  desc: x\n  condition: evt.type=close and evt.dir=<\n  output: \"close %fd.num %evt.arg[0]\"\n  priority: INFO\n";
        let (scap, engine) = cat_write_and(rules);
        let det = Detector::new(&engine, "syscall", &RunOptions::default());
        let mut direct = Vec::new();
        crate::syscall::replay_scap(&scap, &det, &mut |a| direct.push(a.text(false))).unwrap();
        let mut buf = Vec::new();
        let n = convert_scap(&scap, &mut buf).unwrap();
        assert!(n > 300, "{n} events");
        let mut replayed = Vec::new();
        let mut alerts = Vec::new();
        let read_n = read(std::io::Cursor::new(&buf), &mut |ev| {
            alerts.clear();
            det.process(ev.ts(), &ev, &mut alerts);
            replayed.extend(alerts.iter().map(|a| a.text(false)));
        })
        .unwrap();
        assert_eq!(read_n, n);
        assert!(direct.len() >= 8, "{direct:?}");
        assert_eq!(replayed, direct);
    }

    /// The recorded fields come from the field table: no duplicates, none needing an argument,
    /// those the capture format carries otherwise left out, the rules' common ones in.
    #[test]
    fn recorded_fields_are_the_tables() {
        use crate::fields::{ArgRule, field};
        let f = syscall_fields();
        let mut names: Vec<&str> = f.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), f.len(), "duplicates");
        for n in f {
            let info = field("syscall", n).unwrap();
            assert!(info.extracted() && info.arg != ArgRule::Required, "{n}");
        }
        for n in [
            "evt.type",
            "proc.name",
            "fd.name",
            "container.image.id",
            "proc.env",
            "fd.types",
        ] {
            assert!(f.contains(&n), "{n}");
        }
        for n in [
            "proc.aname",
            "evt.arg",
            "container.mount.dest",
            "fd.sip.name",
            "evt.latency",
        ] {
            assert!(!f.contains(&n), "{n}");
        }
    }

    /// Files of version 1 (every field in every event, no thread records) still replay to the
    /// same alerts; version 2 files are smaller and drop a thread's record at its procexit.
    #[test]
    fn version_1_files_still_read_and_version_2_is_compact() {
        let rules = "- rule: r\n  desc: x\n  condition: evt.type=open and proc.name=cat\n  output: \"%evt.time %proc.cmdline %fd.name %user.name %proc.aname[1] %evt.hostname\"\n  priority: WARNING\n";
        let (scap, engine) = cat_write_and(rules);
        let det = Detector::new(&engine, "syscall", &RunOptions::default());
        let alerts_of = |buf: &[u8]| {
            let mut got = Vec::new();
            let mut a = Vec::new();
            read(std::io::Cursor::new(buf), &mut |ev| {
                a.clear();
                det.process(ev.ts(), &ev, &mut a);
                got.extend(a.iter().map(|x| x.text(false)));
            })
            .unwrap();
            got
        };
        let mut v2 = Vec::new();
        convert_scap(&scap, &mut v2).unwrap();
        let mut v1 = b"{\"bulkhead_capture\":1}\n".to_vec();
        let mut r = crate::syscall::Replayer::open(&scap).unwrap();
        while let Some(ev) = r.next_event().unwrap() {
            let names: Vec<&str> = ev.event.params.iter().map(|p| p.name).collect();
            let c = CapturedEvent::from_syscall(&ev, ev.ts_ns(), &names);
            v1.extend(format!("{}\n", c.to_json()).bytes());
        }
        let (a1, a2) = (alerts_of(&v1), alerts_of(&v2));
        assert_eq!(a1.len(), 8);
        assert!(
            a1.iter().any(|l| l.contains("cat /dev/null /dev/null")),
            "{a1:?}"
        );
        assert!(a1[0].ends_with(" ubuntu"), "{}", a1[0]);
        assert_eq!(a1, a2);
        assert!(
            v2.len() * 2 < v1.len(),
            "{} vs {} bytes",
            v2.len(),
            v1.len()
        );
        // A thread record, an event, its procexit, then an event of the same tid without a new
        // record: the ended thread's fields are gone.
        let text = "{\"bulkhead_capture\":2}\n{\"thread\":7,\"fields\":{\"proc.name\":\"sh\"}}\n{\"ts\":1,\"source\":\"syscall\",\"tid\":7,\"fields\":{\"evt.type\":\"procexit\"}}\n{\"ts\":2,\"source\":\"syscall\",\"tid\":7,\"fields\":{\"evt.type\":\"open\"}}\n";
        let mut names = Vec::new();
        read(std::io::Cursor::new(text), &mut |ev| {
            names.push(ev.extract("proc.name", None));
        })
        .unwrap();
        assert_eq!(names, vec![Some(vec!["sh".to_string()]), None]);
    }

    #[test]
    fn bad_captures_are_errors() {
        let r = |s: &str| {
            read(std::io::Cursor::new(s.as_bytes()), &mut |_| {}).map_err(|e| e.to_string())
        };
        assert!(r("").unwrap_err().contains("header"));
        assert!(r("{\"x\":1}\n").unwrap_err().contains("header"));
        assert!(
            r("{\"bulkhead_capture\":99}\n")
                .unwrap_err()
                .contains("newer")
        );
        assert!(
            r("{\"bulkhead_capture\":1}\n{\"source\":\"syscall\"}\n")
                .unwrap_err()
                .contains("ts")
        );
        assert!(
            r("{\"bulkhead_capture\":1}\n{\"ts\":1,\"source\":\"x\"}\n")
                .unwrap_err()
                .contains("unknown source")
        );
        assert_eq!(
            r("{\"bulkhead_capture\":1}\n{\"ts\":1,\"source\":\"syscall\",\"fields\":{}}\n")
                .unwrap(),
            1
        );
    }
}
