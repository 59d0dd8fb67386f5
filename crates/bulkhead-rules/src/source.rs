//! Event sources: where the runtime pipeline's events come from. A source is pulled one event at a
//! time ([`EventSource::next_event`]); the `.scap` reader ([`ScapSource`]), Bulkhead's own capture
//! format ([`CaptureSource`]) and Kubernetes audit events ([`AuditSource`]) implement it today, the
//! live eBPF sensor next. Sources do the I/O and the decoding; the state ([`Inspector`]) and the
//! rules ([`crate::detect::Detector`]) never read anything.
//!
//! [`open`] picks the source of a file by its content, as `bulkhead runtime replay` does.
//!
//! [`Inspector`]: crate::syscall::Inspector

use crate::capture::{CaptureError, CapturedEvent};
use crate::k8saudit::{AuditError, AuditEvent};
use crate::syscall::StateRecord;
use bulkhead_scap::{Block, Capture, Converter, Event, ScapError, decode, table};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// One thing a source yields.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// A kernel event in libs' event model (`bulkhead_scap::table`): a syscall enter or exit, a
    /// `procexit`, a container event, … as a `.scap` capture stores it and the sensor decodes it.
    Syscall(Event),
    /// The state around the events (machine, users, processes, fds): a capture's metadata
    /// blocks, the sensor's `/proc` scan.
    State(StateRecord),
    /// A syscall event of Bulkhead's own capture format, its fields resolved when it was
    /// recorded (no state to apply).
    Recorded(CapturedEvent),
    /// A Kubernetes audit event (`k8s_audit` source).
    Audit(AuditEvent),
}

impl SourceEvent {
    /// The rules source (`syscall`, `k8s_audit`) whose rules the event goes to; `None` for state
    /// records.
    pub fn rules_source(&self) -> Option<&'static str> {
        match self {
            SourceEvent::Syscall(_) | SourceEvent::Recorded(_) => Some("syscall"),
            SourceEvent::Audit(_) => Some("k8s_audit"),
            SourceEvent::State(_) => None,
        }
    }
}

/// Kernel-side counters of a live source, cumulative since it started (libscap's
/// `scap_stats`): what the drop monitor compares between its checks. Recorded captures have none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events the kernel produced (delivered and dropped).
    pub events: u64,
    /// Events dropped because the buffer was full.
    pub drops_buffer: u64,
    /// Events dropped on page faults reading arguments.
    pub drops_page_faults: u64,
    /// Events dropped by bugs (invalid memory access, …).
    pub drops_bug: u64,
}

impl Counters {
    /// Every drop.
    pub fn drops(&self) -> u64 {
        self.drops_buffer + self.drops_page_faults + self.drops_bug
    }
}

/// A source of runtime events, pulled one at a time.
pub trait EventSource {
    /// The next event; `Ok(None)` at the end (a live source blocks until it has one or stops).
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError>;

    /// The rules sources its events can belong to (`syscall`, `k8s_audit`), so that a pipeline
    /// with none of them enabled does not read at all.
    fn rules_sources(&self) -> &'static [&'static str];

    /// The kernel's counters so far, for the drop monitor; `None` for recorded events.
    fn counters(&self) -> Option<Counters> {
        None
    }

    /// What the source skipped and the user should know (a document that is not an audit
    /// event, …), taken once.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Why a source could not deliver its events. Each names the input and what is wrong in it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The input could not be opened or read.
    // The cause is part of each message (not a `source()`), so that a report of the chain
    // names it once.
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A `.scap` capture that is truncated, corrupt or of an unsupported version.
    #[error("{}: {error}", path.display())]
    Scap { path: PathBuf, error: ScapError },
    /// A Bulkhead capture that is not valid.
    #[error("{}: {error}", path.display())]
    Capture { path: PathBuf, error: CaptureError },
    /// Kubernetes audit events that cannot be read.
    #[error("{}: {error}", path.display())]
    Audit { path: PathBuf, error: AuditError },
    /// A live source that failed (the sensor).
    #[error("{name}: {message}")]
    Live { name: String, message: String },
    /// The input is not a regular file (a FIFO, a device, a directory), or over a limit.
    #[error("{0}")]
    Input(bulkhead_core::input::InputError),
    /// The state the events built grew past its limit.
    #[error("{0}")]
    State(crate::syscall::StateTooLarge),
}

impl From<bulkhead_core::input::InputError> for SourceError {
    fn from(e: bulkhead_core::input::InputError) -> Self {
        match e {
            bulkhead_core::input::InputError::Io { path, source } => SourceError::Io {
                path,
                error: source,
            },
            other => SourceError::Input(other),
        }
    }
}

/// Bounds of reading one recorded input: what a hostile capture or audit file can make a replay
/// hold, so that reading ends in an error naming the limit instead of exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLimits {
    /// Bytes read from the input, after gzip decompression for a `.scap` capture (a
    /// decompression bomb is refused by this absolute amount, whatever its ratio). Default
    /// 8 GiB (`--max-capture-size`).
    pub max_input_bytes: u64,
    /// Largest record: a line of a Bulkhead capture, one Kubernetes audit event or `EventList`.
    /// Default 16 MiB (`--max-event-size`).
    pub max_record_bytes: usize,
    /// Most JSON values in one record. Default 1,000,000.
    pub max_record_values: usize,
    /// Largest `.scap` block. Default 64 MiB.
    pub max_block_bytes: u32,
    /// Most threads of one `.scap` process list block, and live thread records a Bulkhead
    /// capture reader keeps. Default 262,144 (libsinsp's thread table).
    pub max_threads: usize,
    /// Most fds of one `.scap` fd list block. Default 4,096 (libsinsp's fd table of a process).
    pub max_fds: usize,
    /// Bytes of the live thread records a Bulkhead capture reader keeps. Default 256 MiB.
    pub max_thread_record_bytes: usize,
}

impl Default for SourceLimits {
    fn default() -> Self {
        SourceLimits {
            max_input_bytes: 8 << 30,
            max_record_bytes: crate::k8saudit::MAX_EVENT_BYTES,
            max_record_values: crate::k8saudit::MAX_EVENT_VALUES,
            max_block_bytes: bulkhead_scap::DEFAULT_MAX_BLOCK,
            max_threads: bulkhead_scap::DEFAULT_MAX_THREADS,
            max_fds: bulkhead_scap::DEFAULT_MAX_FDS,
            max_thread_record_bytes: crate::capture::MAX_THREAD_RECORD_BYTES,
        }
    }
}

impl SourceLimits {
    fn scap(&self) -> bulkhead_scap::Limits {
        bulkhead_scap::Limits {
            max_block: self.max_block_bytes,
            max_total: self.max_input_bytes,
            max_threads: self.max_threads,
            max_fds: self.max_fds,
        }
    }
}

/// A reader that fails once more than `limit` bytes came through it (checked while reading).
pub struct LimitedRead<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> LimitedRead<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        LimitedRead {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for LimitedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the limit from a longer one.
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "input larger than {} bytes (the replay's limit, --max-capture-size)",
                    self.limit
                ))),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A `.scap` capture (gzip or plain): its metadata blocks as [`SourceEvent::State`] records, its
/// events decoded with libs' event table (codes past the table skipped, as libscap does),
/// optionally through libscap's old-event converter.
pub struct ScapSource {
    cap: Capture,
    converter: Option<Converter>,
    path: PathBuf,
}

impl ScapSource {
    /// A `.scap` file (a regular file; see [`open`] for streams), with the default limits.
    pub fn open(path: &Path) -> Result<ScapSource, SourceError> {
        let f = bulkhead_core::input::open_regular(path, false)?;
        ScapSource::from_reader(Box::new(f), path, &SourceLimits::default())
    }

    /// A capture from any reader (gzip or plain), within `limits`; `name` names it in errors.
    pub fn from_reader(
        r: Box<dyn Read>,
        name: &Path,
        limits: &SourceLimits,
    ) -> Result<ScapSource, SourceError> {
        let cap = Capture::with_limits(r, limits.scap())
            .map_err(|e| SourceError::Scap {
                path: name.to_path_buf(),
                error: e,
            })?
            // The state records go to the inspector; the capture need not keep its own copy.
            .without_tables();
        Ok(ScapSource::new(cap, name))
    }

    /// A capture already opened; `name` names it in errors.
    pub fn new(cap: Capture, name: &Path) -> ScapSource {
        ScapSource {
            cap,
            converter: None,
            path: name.to_path_buf(),
        }
    }

    /// Apply libscap's old-event converter (enter events of converted syscalls merged into their
    /// exits, as current Falco reads old captures).
    pub fn with_conversion(mut self, on: bool) -> Self {
        self.converter = on.then(Converter::new);
        self
    }
}

impl EventSource for ScapSource {
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
        loop {
            let block = self.cap.next_block().map_err(|e| SourceError::Scap {
                path: self.path.clone(),
                error: e,
            })?;
            let record = match block {
                None => return Ok(None),
                Some(Block::MachineInfo(mi)) => StateRecord::Machine(mi),
                Some(Block::Interfaces(ifs)) => StateRecord::Interfaces(ifs),
                Some(Block::Users { users, groups }) => StateRecord::Users { users, groups },
                Some(Block::Processes { threads, .. }) => StateRecord::Threads(threads),
                Some(Block::Fds { tid, fds }) => StateRecord::Fds { tid, fds },
                Some(Block::Event(raw)) => {
                    if raw.code >= table::event_max() {
                        continue;
                    }
                    let ev = decode(&raw);
                    let ev = match &mut self.converter {
                        None => ev,
                        Some(c) => match c.convert(ev).0 {
                            Some(ev) => ev,
                            None => continue,
                        },
                    };
                    return Ok(Some(SourceEvent::Syscall(ev)));
                }
                Some(Block::SectionHeader(_) | Block::Unknown { .. }) => continue,
            };
            return Ok(Some(SourceEvent::State(record)));
        }
    }

    fn rules_sources(&self) -> &'static [&'static str] {
        &["syscall"]
    }

    fn take_warnings(&mut self) -> Vec<String> {
        let mut w = Vec::new();
        let (t, f) = (self.cap.dropped_threads, self.cap.dropped_fds);
        if t > 0 {
            w.push(format!(
                "{}: {t} thread(s) of process list blocks past the thread table's {} dropped (as libsinsp drops them)",
                self.path.display(),
                self.cap.limits().max_threads
            ));
        }
        if f > 0 {
            w.push(format!(
                "{}: {f} fd(s) of fd list blocks past a process's {} dropped (as libsinsp drops them)",
                self.path.display(),
                self.cap.limits().max_fds
            ));
        }
        self.cap.dropped_threads = 0;
        self.cap.dropped_fds = 0;
        w
    }
}

/// Bulkhead's own capture format (JSON Lines, see [`crate::capture`]): syscall events as
/// [`SourceEvent::Recorded`], audit events as [`SourceEvent::Audit`].
pub struct CaptureSource<R> {
    reader: crate::capture::Reader<R>,
    path: PathBuf,
}

impl CaptureSource<std::io::BufReader<LimitedRead<std::fs::File>>> {
    /// A Bulkhead capture file (a regular file), with the default limits.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let f = bulkhead_core::input::open_regular(path, false)?;
        let limits = SourceLimits::default();
        Ok(CaptureSource::with_limits(
            std::io::BufReader::new(LimitedRead::new(f, limits.max_input_bytes)),
            path,
            &limits,
        ))
    }
}

impl<R: std::io::BufRead> CaptureSource<R> {
    /// A capture from any reader; `name` names it in errors.
    pub fn new(reader: R, name: &Path) -> Self {
        CaptureSource::with_limits(reader, name, &SourceLimits::default())
    }

    /// A capture from any reader, its lines and thread records within `limits`.
    pub fn with_limits(reader: R, name: &Path, limits: &SourceLimits) -> Self {
        CaptureSource {
            reader: crate::capture::Reader::with_limits(
                reader,
                crate::capture::ReaderLimits {
                    max_line: limits.max_record_bytes,
                    max_threads: limits.max_threads,
                    max_thread_bytes: limits.max_thread_record_bytes,
                },
            ),
            path: name.to_path_buf(),
        }
    }
}

impl<R: std::io::BufRead> EventSource for CaptureSource<R> {
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
        let ev = self.reader.next_event().map_err(|e| SourceError::Capture {
            path: self.path.clone(),
            error: e,
        })?;
        Ok(ev.map(|ev| match ev {
            CapturedEvent::Audit(a) => SourceEvent::Audit(a),
            ev => SourceEvent::Recorded(ev),
        }))
    }

    fn rules_sources(&self) -> &'static [&'static str] {
        &["syscall", "k8s_audit"]
    }
}

/// Kubernetes audit events: one event, an `EventList`, a JSON array or JSON lines, read one
/// event at a time ([`crate::k8saudit::AuditReader`]: records bounded in bytes and values).
/// Documents that are not audit events are skipped with the k8saudit plugin's message
/// ([`EventSource::take_warnings`]).
pub struct AuditSource {
    reader: crate::k8saudit::AuditReader<Box<dyn BufRead>>,
    path: PathBuf,
}

impl AuditSource {
    /// An audit file (a regular file), with the default limits.
    pub fn open(path: &Path) -> Result<AuditSource, SourceError> {
        let f = bulkhead_core::input::open_regular(path, false)?;
        let limits = SourceLimits::default();
        Ok(AuditSource::from_reader(
            Box::new(std::io::BufReader::new(LimitedRead::new(
                f,
                limits.max_input_bytes,
            ))),
            path,
            &limits,
        ))
    }

    /// Audit events from any reader; `name` names it in errors and warnings.
    pub fn from_reader(r: Box<dyn BufRead>, name: &Path, limits: &SourceLimits) -> AuditSource {
        AuditSource {
            reader: crate::k8saudit::AuditReader::with_limits(
                r,
                limits.max_record_bytes,
                limits.max_record_values,
            ),
            path: name.to_path_buf(),
        }
    }

    /// Audit events of a text; `name` names it in errors and warnings.
    pub fn from_text(text: &str, name: &Path) -> Result<AuditSource, SourceError> {
        Ok(AuditSource::from_reader(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            name,
            &SourceLimits::default(),
        ))
    }
}

impl EventSource for AuditSource {
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
        let ev = self.reader.next_event().map_err(|e| SourceError::Audit {
            path: self.path.clone(),
            error: e,
        })?;
        Ok(ev.map(SourceEvent::Audit))
    }

    fn rules_sources(&self) -> &'static [&'static str] {
        &["k8s_audit"]
    }

    fn take_warnings(&mut self) -> Vec<String> {
        let skipped = self.reader.skipped();
        if skipped == 0 {
            return Vec::new();
        }
        vec![format!(
            "{}: {skipped} document(s): {}",
            self.path.display(),
            crate::k8saudit::NOT_AUDIT
        )]
    }
}

/// What kind of input a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A `.scap` capture (gzip, or the pcapng section header magic).
    Scap,
    /// Bulkhead's own capture format.
    Capture,
    /// Anything else is read as Kubernetes audit events.
    Audit,
}

impl InputKind {
    /// The kind of a file starting with `head`.
    pub fn of(head: &[u8]) -> InputKind {
        if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            InputKind::Scap
        } else if crate::capture::is_capture(head) {
            InputKind::Capture
        } else {
            InputKind::Audit
        }
    }
}

/// The source of a recorded input, by its content: a `.scap` capture (`convert_old_events`:
/// through libscap's converter), a Bulkhead capture, else Kubernetes audit events; with the
/// default [`SourceLimits`].
pub fn open(path: &Path, convert_old_events: bool) -> Result<Box<dyn EventSource>, SourceError> {
    open_with(path, convert_old_events, &SourceLimits::default())
}

/// [`open`] within `limits`. The input is opened once and its kind told from its first bytes
/// (so a pipe works); `-` is standard input. A path must be a regular file: a FIFO, a device,
/// a socket or a directory is refused at once (never read, never waited on).
pub fn open_with(
    path: &Path,
    convert_old_events: bool,
    limits: &SourceLimits,
) -> Result<Box<dyn EventSource>, SourceError> {
    let io = |e: std::io::Error| SourceError::Io {
        path: path.to_path_buf(),
        error: e,
    };
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(bulkhead_core::input::open_regular(path, true)?)
    };
    let mut input = LimitedRead::new(input, limits.max_input_bytes);
    // The first bytes tell the kind; they are read once and put back in front of the rest.
    let mut head = Vec::with_capacity(64);
    (&mut input).take(64).read_to_end(&mut head).map_err(io)?;
    let kind = InputKind::of(&head);
    let rest = std::io::Cursor::new(head).chain(input);
    Ok(match kind {
        InputKind::Scap => {
            // `max_input_bytes` bounds the decompressed stream inside the capture reader.
            Box::new(
                ScapSource::from_reader(Box::new(rest), path, limits)?
                    .with_conversion(convert_old_events),
            )
        }
        InputKind::Capture => Box::new(CaptureSource::with_limits(
            std::io::BufReader::new(rest),
            path,
            limits,
        )),
        InputKind::Audit => Box::new(AuditSource::from_reader(
            Box::new(std::io::BufReader::new(rest)),
            path,
            limits,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_errors_name_the_file() {
        assert_eq!(InputKind::of(&[0x1f, 0x8b, 8]), InputKind::Scap);
        assert_eq!(
            InputKind::of(b"{\"bulkhead_capture\":2}"),
            InputKind::Capture
        );
        assert_eq!(InputKind::of(b"{\"kind\":\"Event\"}"), InputKind::Audit);
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.scap");
        let e = open(&missing, false).err().unwrap().to_string();
        // Named once, with the cause.
        assert_eq!(e.matches("absent.scap").count(), 1, "{e}");
        assert!(e.contains("cannot read"), "{e}");
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(
            &bad,
            "{\"bulkhead_capture\":2}\n{\"ts\":1,\"source\":\"x\"}\n",
        )
        .unwrap();
        let mut s = open(&bad, false).unwrap();
        let e = s.next_event().unwrap_err().to_string();
        assert!(e.starts_with(&bad.display().to_string()), "{e}");
        assert!(
            e.contains("line 2: unknown source \"x\" (valid: syscall, k8s_audit)"),
            "{e}"
        );
        let audit = dir.path().join("audit.json");
        std::fs::write(
            &audit,
            "{\"kind\":\"Pod\"}\n{\"kind\":\"Event\",\"auditID\":\"a\",\"verb\":\"get\"}\n",
        )
        .unwrap();
        let mut s = open(&audit, false).unwrap();
        assert!(matches!(
            s.next_event().unwrap(),
            Some(SourceEvent::Audit(_))
        ));
        assert!(s.next_event().unwrap().is_none());
        let w = s.take_warnings();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("1 document(s): data not recognized as a k8s audit event"));
        let trunc = dir.path().join("trunc.scap");
        std::fs::write(&trunc, [0x0a, 0x0d, 0x0d, 0x0a, 1, 2]).unwrap();
        let e = match open(&trunc, false) {
            Ok(mut s) => s.next_event().unwrap_err(),
            Err(e) => e,
        };
        assert!(matches!(e, SourceError::Scap { .. }), "{e}");
        assert!(e.to_string().starts_with(&trunc.display().to_string()));
    }
}
