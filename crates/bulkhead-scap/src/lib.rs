//! Reader for Falco / sysdig `.scap` capture files.
//!
//! * [`BlockReader`] streams raw blocks (gzip detected by magic, bounded block size,
//!   truncated/oversized blocks are errors naming the offset);
//! * [`Capture`] parses metadata blocks (section header, machine info, interfaces,
//!   users/groups, process list V1..V9, fd lists) and yields [`Block`]s or typed
//!   [`Event`]s, optionally through the old-event [`Converter`];
//! * [`table`] is the event table (code -> name, direction, parameter schema); [`syscalls`]
//!   names the syscalls of generic events.
//!
//! Format reference: falcosecurity/libs `userspace/libscap/scap_savefile.h`,
//! `engine/savefile/scap_savefile.c`, `engine/savefile/converter/`, `driver/event_table.c`.

mod block;
mod convert;
mod error;
mod event;
mod meta;
pub mod syscalls;
pub mod table;

pub use block::{
    BlockReader, DEFAULT_MAX_BLOCK, DEFAULT_MAX_FDS, DEFAULT_MAX_THREADS, DEFAULT_MAX_TOTAL,
    Limits, RawBlock,
};
pub use convert::{Converter, Outcome};
pub use error::{ErrorKind, ScapError};
pub use event::{Event, Param, RawEvent, SockAddr, SockTuple, Value, decode, decode_value};
pub use meta::{
    FdDetail, FdInfo, Group, Interface, InterfaceAddr, MachineInfo, SectionHeader, ThreadInfo,
    User, container_id_of_cgroups, fd_type_name, proclist_version,
};
pub use table::{Direction, EventInfo, ParamInfo, ParamType, event_info, event_table};

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// A parsed block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    SectionHeader(SectionHeader),
    MachineInfo(MachineInfo),
    Interfaces(Vec<Interface>),
    Users {
        users: Vec<User>,
        groups: Vec<Group>,
    },
    /// Process list with its version (1..=9).
    Processes {
        version: u8,
        threads: Vec<ThreadInfo>,
    },
    Fds {
        tid: u64,
        fds: Vec<FdInfo>,
    },
    Event(RawEvent),
    /// Skipped block of an unknown type.
    Unknown {
        block_type: u32,
        len: usize,
    },
}

/// A capture being read; metadata seen so far is kept in the public fields.
pub struct Capture {
    reader: BlockReader,
    pub section: Option<SectionHeader>,
    pub machine: Option<MachineInfo>,
    pub interfaces: Vec<Interface>,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    /// Threads by tid (from process list blocks).
    pub threads: BTreeMap<u64, ThreadInfo>,
    /// Fd tables by tid (from fd list blocks).
    pub fds: BTreeMap<u64, Vec<FdInfo>>,
    /// Process list version of the last process list block.
    pub proclist_version: Option<u8>,
    /// Events whose code is past the event table (libscap skips them).
    pub skipped_unknown: u64,
    /// Raw event blocks read.
    pub raw_events: u64,
    /// Threads of process list blocks past [`Limits::max_threads`], read and dropped.
    pub dropped_threads: u64,
    /// Fds of fd list blocks past [`Limits::max_fds`], read and dropped.
    pub dropped_fds: u64,
    converter: Option<Converter>,
    failed: bool,
    /// Whether metadata blocks fill the tables above.
    keep_tables: bool,
}

impl Capture {
    /// Read from any reader (gzip or plain).
    pub fn new<R: Read + 'static>(r: R) -> Result<Self, ScapError> {
        Self::with_limits(r, Limits::default())
    }

    pub fn with_limits<R: Read + 'static>(r: R, limits: Limits) -> Result<Self, ScapError> {
        Ok(Capture {
            reader: BlockReader::new(r, limits)?,
            section: None,
            machine: None,
            interfaces: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            threads: BTreeMap::new(),
            fds: BTreeMap::new(),
            proclist_version: None,
            skipped_unknown: 0,
            raw_events: 0,
            dropped_threads: 0,
            dropped_fds: 0,
            converter: None,
            failed: false,
            keep_tables: true,
        })
    }

    /// Open a capture file: a regular file only (a FIFO or a device is refused before it is
    /// opened, so it cannot block or stream without end).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ScapError> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| ScapError::io(0, e))?;
        if !meta.is_file() {
            return Err(ScapError::io(
                0,
                std::io::Error::other("not a regular file (a capture is read from a regular file)"),
            ));
        }
        let f = std::fs::File::open(path).map_err(|e| ScapError::io(0, e))?;
        Self::new(f)
    }

    /// Do not keep the metadata blocks' threads, fds, users and interfaces in the capture's
    /// tables (a reader that takes them from [`Capture::next_block`] keeps its own state).
    pub fn without_tables(mut self) -> Self {
        self.keep_tables = false;
        self
    }

    /// The limits the capture is read with.
    pub fn limits(&self) -> Limits {
        self.reader.limits()
    }

    /// Whether the input was gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.reader.gzip
    }

    /// Enable libscap-like old-event conversion for [`Capture::next_event`].
    pub fn with_conversion(mut self, on: bool) -> Self {
        self.converter = if on { Some(Converter::new()) } else { None };
        self
    }

    /// Next parsed block; metadata blocks also update the capture's tables.
    pub fn next_block(&mut self) -> Result<Option<Block>, ScapError> {
        if self.failed {
            return Ok(None);
        }
        let r = self.next_block_inner();
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    fn next_block_inner(&mut self) -> Result<Option<Block>, ScapError> {
        let Some(b) = self.reader.next_block()? else {
            if self.section.is_none() {
                return Err(ScapError::truncated(0, "capture: no section header block"));
            }
            return Ok(None);
        };
        self.handle(b).map(Some)
    }

    fn handle(&mut self, b: RawBlock) -> Result<Block, ScapError> {
        if self.section.is_none() && b.block_type != block::SHB_BLOCK_TYPE {
            return Err(ScapError::corrupt(
                b.offset,
                format!(
                    "first block has type {:#x}, not a section header",
                    b.block_type
                ),
            ));
        }
        use block::*;
        let out = match b.block_type {
            SHB_BLOCK_TYPE => {
                let s = meta::parse_shb(&b)?;
                self.section = Some(s.clone());
                Block::SectionHeader(s)
            }
            MI_BLOCK_TYPE | MI_BLOCK_TYPE_INT => {
                let m = meta::parse_machine_info(&b)?;
                self.machine = Some(m.clone());
                Block::MachineInfo(m)
            }
            IL_BLOCK_TYPE | IL_BLOCK_TYPE_INT | IL_BLOCK_TYPE_V2 => {
                let l = meta::parse_iflist(&b)?;
                if self.keep_tables {
                    self.interfaces = l.clone();
                }
                Block::Interfaces(l)
            }
            UL_BLOCK_TYPE | UL_BLOCK_TYPE_INT | UL_BLOCK_TYPE_V2 => {
                let (u, g) = meta::parse_userlist(&b)?;
                if self.keep_tables {
                    self.users = u.clone();
                    self.groups = g.clone();
                }
                Block::Users {
                    users: u,
                    groups: g,
                }
            }
            bt if meta::proclist_version(bt).is_some() => {
                let version = meta::proclist_version(bt).unwrap_or(1);
                let limits = self.reader.limits();
                let (threads, dropped) = meta::parse_proclist(&b, limits.max_threads)?;
                self.dropped_threads += dropped;
                if self.keep_tables {
                    for t in &threads {
                        if self.threads.len() < limits.max_threads
                            || self.threads.contains_key(&t.tid)
                        {
                            self.threads.insert(t.tid, t.clone());
                        } else {
                            self.dropped_threads += 1;
                        }
                    }
                }
                self.proclist_version = Some(version);
                Block::Processes { version, threads }
            }
            FDL_BLOCK_TYPE | FDL_BLOCK_TYPE_INT | FDL_BLOCK_TYPE_V2 => {
                let limits = self.reader.limits();
                let (tid, fds, dropped) = meta::parse_fdlist(&b, limits.max_fds)?;
                self.dropped_fds += dropped;
                if self.keep_tables
                    && (self.fds.len() < limits.max_threads || self.fds.contains_key(&tid))
                {
                    let table = self.fds.entry(tid).or_default();
                    let room = limits.max_fds.saturating_sub(table.len());
                    table.extend(fds.iter().take(room).cloned());
                }
                Block::Fds { tid, fds }
            }
            bt if event::is_event_block(bt) => {
                self.raw_events += 1;
                Block::Event(event::parse_event(b)?)
            }
            bt => Block::Unknown {
                block_type: bt,
                len: b.body.len(),
            },
        };
        Ok(out)
    }

    /// Next typed event (metadata blocks are absorbed into the capture's tables).
    /// With conversion enabled, dropped events are skipped.
    pub fn next_event(&mut self) -> Result<Option<Event>, ScapError> {
        loop {
            match self.next_block()? {
                None => return Ok(None),
                Some(Block::Event(raw)) => {
                    if raw.code >= table::event_max() {
                        self.skipped_unknown += 1;
                        continue;
                    }
                    let ev = decode(&raw);
                    match &mut self.converter {
                        None => return Ok(Some(ev)),
                        Some(c) => {
                            if let (Some(ev), _) = c.convert(ev) {
                                return Ok(Some(ev));
                            }
                        }
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// Iterator over typed events; stops after the first error (which it yields).
    pub fn events(&mut self) -> impl Iterator<Item = Result<Event, ScapError>> + '_ {
        std::iter::from_fn(move || self.next_event().transpose())
    }
}

/// Summary of a whole capture.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub version: Option<(u16, u16)>,
    pub gzip: bool,
    pub blocks: BTreeMap<u32, u64>,
    pub raw_events: u64,
    pub events: u64,
    /// Event counts by `name` + direction char (`open>`), after conversion if enabled.
    pub by_type: BTreeMap<String, u64>,
    pub threads: usize,
    pub fds: usize,
    pub users: usize,
    pub groups: usize,
    pub interfaces: usize,
    pub proclist_version: Option<u8>,
    pub hostname: Option<String>,
}

/// Read a whole capture and summarise it (`convert` = apply the old-event converter).
pub fn summarize<R: Read + 'static>(r: R, convert: bool) -> Result<Summary, ScapError> {
    let mut cap = Capture::new(r)?;
    let mut conv = if convert {
        Some(Converter::new())
    } else {
        None
    };
    let mut s = Summary {
        gzip: cap.is_gzip(),
        ..Default::default()
    };
    let mut bt_reader_counts: BTreeMap<u32, u64> = BTreeMap::new();
    loop {
        let b = match cap.reader.next_block()? {
            None => break,
            Some(b) => b,
        };
        *bt_reader_counts.entry(b.block_type).or_default() += 1;
        let parsed = cap.handle(b)?;
        if let Block::Event(raw) = parsed {
            if raw.code >= table::event_max() {
                cap.skipped_unknown += 1;
                continue;
            }
            let ev = decode(&raw);
            let ev = match &mut conv {
                None => Some(ev),
                Some(c) => c.convert(ev).0,
            };
            if let Some(ev) = ev {
                s.events += 1;
                *s.by_type
                    .entry(format!("{}{}", ev.name, ev.direction.as_char()))
                    .or_default() += 1;
            }
        }
    }
    if cap.section.is_none() {
        return Err(ScapError::truncated(0, "capture: no section header block"));
    }
    s.version = cap.section.as_ref().map(|x| (x.major, x.minor));
    s.blocks = bt_reader_counts;
    s.raw_events = cap.raw_events;
    s.threads = cap.threads.len();
    s.fds = cap.fds.values().map(|v| v.len()).sum();
    s.users = cap.users.len();
    s.groups = cap.groups.len();
    s.interfaces = cap.interfaces.len();
    s.proclist_version = cap.proclist_version;
    s.hostname = cap.machine.as_ref().map(|m| m.hostname.clone());
    Ok(s)
}
