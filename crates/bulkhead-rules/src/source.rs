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
    pub fn open(path: &Path) -> Result<ScapSource, SourceError> {
        let f = std::fs::File::open(path).map_err(|e| SourceError::Io {
            path: path.to_path_buf(),
            error: e,
        })?;
        let cap = Capture::new(f).map_err(|e| SourceError::Scap {
            path: path.to_path_buf(),
            error: e,
        })?;
        Ok(ScapSource::new(cap, path))
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
}

/// Bulkhead's own capture format (JSON Lines, see [`crate::capture`]): syscall events as
/// [`SourceEvent::Recorded`], audit events as [`SourceEvent::Audit`].
pub struct CaptureSource<R> {
    reader: crate::capture::Reader<R>,
    path: PathBuf,
}

impl CaptureSource<std::io::BufReader<std::fs::File>> {
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let f = std::fs::File::open(path).map_err(|e| SourceError::Io {
            path: path.to_path_buf(),
            error: e,
        })?;
        Ok(CaptureSource::new(std::io::BufReader::new(f), path))
    }
}

impl<R: std::io::BufRead> CaptureSource<R> {
    /// A capture from any reader; `name` names it in errors.
    pub fn new(reader: R, name: &Path) -> Self {
        CaptureSource {
            reader: crate::capture::Reader::new(reader),
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

/// Kubernetes audit events: one event, an `EventList`, a JSON array or JSON lines (the file is
/// read whole, up to [`crate::k8saudit::MAX_AUDIT_BYTES`]). Documents that are not audit events
/// are skipped with the k8saudit plugin's message ([`EventSource::take_warnings`]).
pub struct AuditSource {
    events: std::vec::IntoIter<AuditEvent>,
    warnings: Vec<String>,
}

impl AuditSource {
    pub fn open(path: &Path) -> Result<AuditSource, SourceError> {
        let bytes = std::fs::read(path).map_err(|e| SourceError::Io {
            path: path.to_path_buf(),
            error: e,
        })?;
        AuditSource::from_text(&String::from_utf8_lossy(&bytes), path)
    }

    /// Audit events of a text; `name` names it in errors and warnings.
    pub fn from_text(text: &str, name: &Path) -> Result<AuditSource, SourceError> {
        let (events, skipped) =
            crate::k8saudit::read_events(text).map_err(|e| SourceError::Audit {
                path: name.to_path_buf(),
                error: e,
            })?;
        let mut warnings = Vec::new();
        if skipped > 0 {
            warnings.push(format!(
                "{}: {skipped} document(s): {}",
                name.display(),
                crate::k8saudit::NOT_AUDIT
            ));
        }
        Ok(AuditSource {
            events: events.into_iter(),
            warnings,
        })
    }
}

impl EventSource for AuditSource {
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
        Ok(self.events.next().map(SourceEvent::Audit))
    }

    fn rules_sources(&self) -> &'static [&'static str] {
        &["k8s_audit"]
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
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
/// through libscap's converter), a Bulkhead capture, else Kubernetes audit events.
pub fn open(path: &Path, convert_old_events: bool) -> Result<Box<dyn EventSource>, SourceError> {
    let mut head = [0u8; 32];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| SourceError::Io {
            path: path.to_path_buf(),
            error: e,
        })?;
    Ok(match InputKind::of(&head[..n]) {
        InputKind::Scap => Box::new(ScapSource::open(path)?.with_conversion(convert_old_events)),
        InputKind::Capture => Box::new(CaptureSource::open(path)?),
        InputKind::Audit => Box::new(AuditSource::open(path)?),
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
