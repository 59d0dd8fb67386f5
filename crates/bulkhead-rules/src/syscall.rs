//! The `syscall` source for `.scap` replay: a [`Replayer`] walks a capture's events, keeps the
//! thread and fd state libsinsp keeps for the fields rules use, and yields each event as a
//! [`FieldSource`] ([`SyscallEvent`]).
//!
//! Semantics (after libsinsp's parsers and `sinsp_filtercheck_*`, as of the Falco 0.34.1 the
//! regression tests are pinned to):
//! * events are replayed as stored (no old-event conversion by default: Falco 0.34.1 saw every
//!   enter event, so e.g. `fd.name=/dev/null` matches `fstat`/`read`/`close` enter *and* exit
//!   events). [`Replayer::with_conversion`] applies libscap's newer converter instead;
//! * threads come from the process list, then clone/fork/vfork/clone3 exits (new child),
//!   execve/execveat exits (comm, exe, args, cwd, uid, container), `procexit` (removed before the
//!   next event);
//! * fd tables come from the fd lists, then open/openat/openat2/creat/open_by_handle_at exits
//!   (path resolved against the cwd or dirfd), socket/accept/connect, dup*, pipe*, close (removed
//!   before the next event, so the close exit still sees the fd);
//! * an event's fd is its `fd` parameter for enter events; for exit events the fd the matching
//!   enter event used, or the exit's own `fd` parameter (new-style events, creating syscalls).
//!
//! Missing values are `None` (a false check for the engine).

use crate::detect::Detector;
use crate::eval::FieldSource;
use crate::output::Alert;
use bulkhead_scap::{
    Block, Capture, Converter, Direction, Event, FdDetail, FdInfo, SockAddr, SockTuple, ThreadInfo,
    Value, decode, table,
};
use std::collections::HashMap;
use std::path::Path;

const PPM_O_RDONLY: u64 = 1;
const PPM_O_WRONLY: u64 = 2;
const PPM_O_DIRECTORY: u64 = 1 << 10;
const AT_FDCWD: i64 = -100;
const CLONE_THREAD: u64 = 0x10000;
/// `PPM_CL_CLONE_THREAD` in the driver's clone flag encoding.
const PPM_CL_CLONE_THREAD: u64 = 1 << 16;

/// What an fd refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    /// `fd.name`: path for files, `sip:sport->dip:dport` for connected sockets, ...
    pub name: String,
    /// `fd.typechar`.
    pub typechar: char,
    /// Open flags (PPM encoding) when known.
    pub flags: Option<u64>,
}

impl FdEntry {
    fn type_name(&self) -> &'static str {
        match self.typechar {
            'f' => "file",
            'd' => "directory",
            '4' => "ipv4",
            '6' => "ipv6",
            'u' => "unix",
            'p' => "pipe",
            'e' => "event",
            's' => "signalfd",
            'l' => "eventpoll",
            'i' => "inotify",
            't' => "timerfd",
            'n' => "netlink",
            'b' => "bpf",
            'r' => "io_uring",
            'm' => "memfd",
            _ => "unknown",
        }
    }
}

/// A thread as the replay knows it.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub tid: u64,
    pub pid: u64,
    pub ptid: u64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub cwd: String,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub container_id: Option<String>,
    pub fds: HashMap<i64, FdEntry>,
    /// (code, fd) of the last enter event of this thread.
    last_enter: Option<(u16, Option<i64>)>,
    /// The last enter event (for exits of old captures that lack enter-only parameters).
    last_enter_event: Option<Event>,
}

fn fd_entry(fd: &FdInfo) -> FdEntry {
    let typechar = match fd.fd_type {
        1 | 16 => 'f',
        2 => 'd',
        3 | 5 => '4',
        4 | 6 => '6',
        7 => 'p',
        8 => 'u',
        9 => 'e',
        11 => 's',
        12 => 'l',
        13 => 'i',
        14 => 't',
        15 => 'n',
        17 => 'b',
        19 => 'r',
        20 => 'm',
        _ => 'o',
    };
    let (name, flags) = match &fd.detail {
        FdDetail::Name(n) => (n.clone(), None),
        FdDetail::File {
            open_flags, name, ..
        } => (name.clone(), Some(*open_flags as u64)),
        FdDetail::Ipv4Socket {
            sip,
            dip,
            sport,
            dport,
            ..
        } => (format!("{sip}:{sport}->{dip}:{dport}"), None),
        FdDetail::Ipv6Socket {
            sip,
            dip,
            sport,
            dport,
            ..
        } => (format!("{sip}:{sport}->{dip}:{dport}"), None),
        FdDetail::Ipv4Server { ip, port, .. } => (format!("{ip}:{port}"), None),
        FdDetail::Ipv6Server { ip, port, .. } => (format!("{ip}:{port}"), None),
        FdDetail::Unix {
            source,
            destination,
            name,
        } => (format!("{source:x}->{destination:x} {name}"), None),
        FdDetail::Unknown => (String::new(), None),
    };
    FdEntry {
        name,
        typechar,
        flags,
    }
}

fn thread_from_info(t: &ThreadInfo) -> Thread {
    Thread {
        tid: t.tid,
        pid: t.pid,
        ptid: t.ptid,
        comm: t.comm.clone(),
        exe: t.exe.clone(),
        exepath: t.exepath.clone().unwrap_or_default(),
        args: t.args_list(),
        cwd: t.cwd.clone(),
        uid: Some(t.uid),
        gid: Some(t.gid),
        container_id: t.container_id(),
        ..Default::default()
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(x) | Value::Errno(x) | Value::Fd(x) | Value::Pid(x) => Some(*x),
        Value::UInt(x) => Some(*x as i64),
        Value::Flags { value, .. } => Some(*value as i64),
        _ => None,
    }
}

fn str_list(v: &Value) -> Vec<String> {
    match v {
        Value::StrList(l) => l.clone(),
        Value::Bytes(b) | Value::Raw(b) => b
            .split(|&c| c == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        Value::Str(s) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::Empty => None,
        Value::Str(s) => Some(s.clone()),
        Value::Bytes(b) | Value::Raw(b) => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            Some(String::from_utf8_lossy(&b[..end]).into_owned())
        }
        other => Some(other.to_string()),
    }
}

fn param_int(ev: &Event, name: &str) -> Option<i64> {
    ev.param(name).and_then(|p| int_of(&p.value))
}

fn param_str(ev: &Event, name: &str) -> Option<String> {
    ev.param(name).and_then(|p| str_of(&p.value))
}

fn container_from_cgroups(cgroups: &[String]) -> Option<String> {
    let t = ThreadInfo {
        tid: 0,
        pid: 0,
        ptid: 0,
        sid: None,
        vpgid: None,
        comm: String::new(),
        exe: String::new(),
        exepath: None,
        args: Vec::new(),
        cwd: String::new(),
        fdlimit: 0,
        flags: 0,
        uid: 0,
        gid: 0,
        vmsize_kb: 0,
        vmrss_kb: 0,
        vmswap_kb: 0,
        pfmajor: 0,
        pfminor: 0,
        env: Vec::new(),
        vtid: None,
        vpid: None,
        cgroups: cgroups.join("\0").into_bytes(),
        root: None,
        loginuid: None,
        exe_writable: None,
        cap_inheritable: None,
        cap_permitted: None,
        cap_effective: None,
        unknown_tail: 0,
    };
    t.container_id()
}

/// Lexically normalise an absolute path (`.`, `..`, duplicate slashes).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') || base.is_empty() {
        return if rel.starts_with('/') {
            normalize(rel)
        } else {
            rel.to_string()
        };
    }
    normalize(&format!("{base}/{rel}"))
}

fn sockaddr_name(t: &SockTuple) -> Option<(String, char)> {
    match t {
        SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        } => Some((
            format!("{sip}:{sport}->{dip}:{dport}"),
            if sip.is_ipv4() { '4' } else { '6' },
        )),
        SockTuple::Unix { source, dest, path } => {
            Some((format!("{source:x}->{dest:x} {path}"), 'u'))
        }
        SockTuple::Family(_) => None,
    }
}

fn errno_name(e: i64) -> String {
    let n = match e {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        8 => "ENOEXEC",
        9 => "EBADF",
        10 => "ECHILD",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        18 => "EXDEV",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        25 => "ENOTTY",
        26 => "ETXTBSY",
        27 => "EFBIG",
        28 => "ENOSPC",
        29 => "ESPIPE",
        30 => "EROFS",
        31 => "EMLINK",
        32 => "EPIPE",
        34 => "ERANGE",
        35 => "EDEADLK",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        39 => "ENOTEMPTY",
        40 => "ELOOP",
        61 => "ENODATA",
        88 => "ENOTSOCK",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        98 => "EADDRINUSE",
        99 => "EADDRNOTAVAIL",
        100 => "ENETDOWN",
        101 => "ENETUNREACH",
        103 => "ECONNABORTED",
        104 => "ECONNRESET",
        106 => "EISCONN",
        107 => "ENOTCONN",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        113 => "EHOSTUNREACH",
        114 => "EALREADY",
        115 => "EINPROGRESS",
        _ => return format!("E{e}"),
    };
    n.to_string()
}

/// State shared by all events of a replay.
#[derive(Debug, Default)]
pub struct State {
    pub threads: HashMap<u64, Thread>,
    pub users: HashMap<u32, String>,
    pub groups: HashMap<u32, String>,
}

/// A capture being replayed.
pub struct Replayer {
    cap: Capture,
    converter: Option<Converter>,
    pub state: State,
    /// Events read (after conversion, if enabled).
    pub events_read: u64,
    current: Option<Event>,
    current_fd: Option<i64>,
    pending_fd_removals: Vec<(u64, i64)>,
    pending_thread_removals: Vec<u64>,
}

impl Replayer {
    pub fn open(path: &Path) -> Result<Replayer, String> {
        let cap = Capture::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Replayer::new(cap))
    }

    pub fn new(cap: Capture) -> Replayer {
        Replayer {
            cap,
            converter: None,
            state: State::default(),
            events_read: 0,
            current: None,
            current_fd: None,
            pending_fd_removals: Vec::new(),
            pending_thread_removals: Vec::new(),
        }
    }

    /// Apply libscap's old-event converter (newer libsinsp semantics) before parsing.
    pub fn with_conversion(mut self, on: bool) -> Self {
        self.converter = if on { Some(Converter::new()) } else { None };
        self
    }

    /// The next event, parsed into the state, ready for evaluation.
    pub fn next_event(&mut self) -> Result<Option<SyscallEvent<'_>>, String> {
        if !self.advance()? {
            return Ok(None);
        }
        let Some(event) = self.current.as_ref() else {
            return Ok(None);
        };
        Ok(Some(SyscallEvent {
            event,
            num: self.events_read,
            state: &self.state,
            fd: self.current_fd,
        }))
    }

    /// Read up to the next event and parse it; false at the end of the capture.
    fn advance(&mut self) -> Result<bool, String> {
        loop {
            let block = self.cap.next_block().map_err(|e| e.to_string())?;
            let Some(block) = block else {
                return Ok(false);
            };
            match block {
                Block::Users { users, groups } => {
                    for u in users {
                        self.state.users.insert(u.uid, u.name);
                    }
                    for g in groups {
                        self.state.groups.insert(g.gid, g.name);
                    }
                }
                Block::Processes { threads, .. } => {
                    for t in &threads {
                        let mut th = thread_from_info(t);
                        if let Some(old) = self.state.threads.remove(&t.tid) {
                            th.fds = old.fds;
                        }
                        self.state.threads.insert(t.tid, th);
                    }
                }
                Block::Fds { tid, fds } => {
                    let th = self.state.threads.entry(tid).or_insert_with(|| Thread {
                        tid,
                        pid: tid,
                        ..Default::default()
                    });
                    for fd in &fds {
                        th.fds.insert(fd.fd, fd_entry(fd));
                    }
                }
                Block::Event(raw) => {
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
                    self.events_read += 1;
                    self.flush_pending();
                    self.current_fd = self.parse(&ev);
                    self.current = Some(ev);
                    return Ok(true);
                }
                _ => {}
            }
        }
    }

    fn flush_pending(&mut self) {
        for (tid, fd) in self.pending_fd_removals.drain(..) {
            if let Some(t) = self.state.threads.get_mut(&tid) {
                t.fds.remove(&fd);
            }
        }
        for tid in self.pending_thread_removals.drain(..) {
            self.state.threads.remove(&tid);
        }
    }

    fn thread_mut(&mut self, tid: u64) -> &mut Thread {
        self.state.threads.entry(tid).or_insert_with(|| Thread {
            tid,
            pid: tid,
            ..Default::default()
        })
    }

    /// Update the state with one event; returns the event's fd.
    fn parse(&mut self, ev: &Event) -> Option<i64> {
        let info = table::event_info(ev.code)?;
        if ev.direction == Direction::Enter {
            let fd = ev
                .param("fd")
                .filter(|p| matches!(p.value, Value::Fd(_)))
                .and_then(|p| int_of(&p.value))
                .filter(|f| *f >= 0 && *f < i32::MAX as i64);
            if ev.name == "procexit" {
                self.pending_thread_removals.push(ev.tid);
                return None;
            }
            if info.meta {
                return None;
            }
            let t = self.thread_mut(ev.tid);
            t.last_enter = Some((ev.code, fd));
            t.last_enter_event = Some(ev.clone());
            return fd;
        }
        // Exit event: the fd of the matching enter event, or the event's own.
        let enter = self.state.threads.get_mut(&ev.tid).and_then(|t| {
            let e = t.last_enter.take();
            let ee = t.last_enter_event.take();
            match e {
                Some((code, fd)) if table::event_info(code).map(|i| i.name) == Some(ev.name) => {
                    Some((fd, ee))
                }
                _ => None,
            }
        });
        let (enter_fd, enter_ev) = enter.unwrap_or((None, None));
        let own_fd = param_int(ev, "fd").filter(|f| *f >= 0);
        let res = ev.params.first().and_then(|p| int_of(&p.value));
        let get = |name: &str| -> Option<&Value> {
            ev.param(name)
                .map(|p| &p.value)
                .filter(|v| !matches!(v, Value::Empty))
                .or_else(|| {
                    enter_ev
                        .as_ref()
                        .and_then(|e| e.param(name))
                        .map(|p| &p.value)
                })
        };
        match ev.name {
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => {
                let fd = own_fd?;
                let name = get("name")
                    .or_else(|| get("path"))
                    .and_then(str_of)
                    .unwrap_or_default();
                let flags = get("flags").and_then(int_of).map(|f| f as u64);
                let dirfd = get("dirfd").and_then(int_of).unwrap_or(AT_FDCWD);
                let t = self.thread_mut(ev.tid);
                let base = if dirfd == AT_FDCWD || ev.name == "open" || ev.name == "creat" {
                    t.cwd.clone()
                } else {
                    t.fds
                        .get(&dirfd)
                        .map(|f| f.name.clone())
                        .unwrap_or_default()
                };
                let name = if name.is_empty() {
                    name
                } else {
                    join_path(&base, &name)
                };
                let typechar = if flags.is_some_and(|f| f & PPM_O_DIRECTORY != 0) {
                    'd'
                } else {
                    'f'
                };
                t.fds.insert(
                    fd,
                    FdEntry {
                        name,
                        typechar,
                        flags,
                    },
                );
                Some(fd)
            }
            "socket" => {
                let fd = own_fd.or(res).filter(|f| *f >= 0)?;
                let domain = get("domain").and_then(int_of).unwrap_or(0);
                let typechar = match domain {
                    1 => 'u',
                    2 => '4',
                    10 => '6',
                    16 => 'n',
                    _ => 'o',
                };
                self.thread_mut(ev.tid).fds.insert(
                    fd,
                    FdEntry {
                        name: String::new(),
                        typechar,
                        flags: None,
                    },
                );
                Some(fd)
            }
            "accept" | "accept4" => {
                let fd = own_fd?;
                let (name, typechar) = match get("tuple") {
                    Some(Value::SockTuple(t)) => sockaddr_name(t).unwrap_or_default(),
                    _ => (String::new(), 'o'),
                };
                self.thread_mut(ev.tid).fds.insert(
                    fd,
                    FdEntry {
                        name,
                        typechar,
                        flags: None,
                    },
                );
                Some(fd)
            }
            "connect" => {
                let fd = enter_fd.or(own_fd)?;
                if let Some(Value::SockTuple(tu)) = get("tuple")
                    && let Some((name, tc)) = sockaddr_name(tu)
                {
                    let t = self.thread_mut(ev.tid);
                    let e = t.fds.entry(fd).or_insert_with(|| FdEntry {
                        name: String::new(),
                        typechar: tc,
                        flags: None,
                    });
                    e.name = name;
                    if e.typechar == 'o' {
                        e.typechar = tc;
                    }
                } else if let Some(Value::SockAddr(SockAddr::Inet { ip, port })) = get("addr") {
                    let t = self.thread_mut(ev.tid);
                    if let Some(e) = t.fds.get_mut(&fd) {
                        e.name = format!("{ip}:{port}");
                    }
                }
                Some(fd)
            }
            "close" => {
                let fd = enter_fd.or(own_fd)?;
                if res.is_none_or(|r| r >= 0) {
                    self.pending_fd_removals.push((ev.tid, fd));
                }
                Some(fd)
            }
            "dup" | "dup2" | "dup3" => {
                let old = get("oldfd").and_then(int_of).or(enter_fd);
                let new = res.filter(|r| *r >= 0);
                if let (Some(old), Some(new)) = (old, new) {
                    let t = self.thread_mut(ev.tid);
                    if let Some(e) = t.fds.get(&old).cloned() {
                        t.fds.insert(new, e);
                    }
                }
                new.or(old)
            }
            "pipe" | "pipe2" => {
                if res.is_some_and(|r| r >= 0) {
                    let t = self.thread_mut(ev.tid);
                    for k in ["fd1", "fd2"] {
                        if let Some(fd) = param_int(ev, k) {
                            t.fds.insert(
                                fd,
                                FdEntry {
                                    name: String::new(),
                                    typechar: 'p',
                                    flags: None,
                                },
                            );
                        }
                    }
                }
                None
            }
            "chdir" => {
                if res == Some(0)
                    && let Some(p) = get("path").and_then(str_of)
                {
                    let t = self.thread_mut(ev.tid);
                    t.cwd = join_path(&t.cwd.clone(), &p);
                }
                None
            }
            "fchdir" => {
                let fd = enter_fd.or(own_fd);
                if res == Some(0)
                    && let Some(fd) = fd
                {
                    let t = self.thread_mut(ev.tid);
                    if let Some(e) = t.fds.get(&fd) {
                        t.cwd = e.name.clone();
                    }
                }
                fd
            }
            "clone" | "fork" | "vfork" | "clone3" => {
                self.parse_clone(ev, res);
                None
            }
            "execve" | "execveat" => {
                if res == Some(0) {
                    self.parse_execve(ev);
                }
                None
            }
            _ => enter_fd.or(own_fd),
        }
    }

    fn parse_clone(&mut self, ev: &Event, res: Option<i64>) {
        let Some(res) = res else { return };
        if res < 0 {
            return;
        }
        let flags = param_int(ev, "flags").unwrap_or(0) as u64;
        let is_thread = flags & (PPM_CL_CLONE_THREAD | CLONE_THREAD) != 0 && ev.name != "fork";
        let (child_tid, parent_tid) = if res == 0 {
            // Child side: only when the parent side has not created it yet.
            if self.state.threads.contains_key(&ev.tid) {
                return;
            }
            let ptid = param_int(ev, "ptid").unwrap_or(0).max(0) as u64;
            (ev.tid, ptid)
        } else {
            (res as u64, ev.tid)
        };
        if res > 0 && self.state.threads.contains_key(&child_tid) {
            return;
        }
        let parent = self.state.threads.get(&parent_tid).cloned();
        let args = ev.param("args").map(|p| str_list(&p.value));
        let mut child = Thread {
            tid: child_tid,
            ..Default::default()
        };
        if let Some(p) = &parent {
            child.comm = p.comm.clone();
            child.exe = p.exe.clone();
            child.exepath = p.exepath.clone();
            child.args = p.args.clone();
            child.cwd = p.cwd.clone();
            child.uid = p.uid;
            child.gid = p.gid;
            child.container_id = p.container_id.clone();
            child.fds = p.fds.clone();
        }
        if let Some(c) = param_str(ev, "comm") {
            child.comm = c;
        }
        if let Some(e) = param_str(ev, "exe") {
            if child.comm.is_empty() {
                child.comm = e.rsplit('/').next().unwrap_or("").to_string();
            }
            child.exe = e;
        }
        if let Some(a) = args {
            child.args = a;
        }
        if let Some(c) = param_str(ev, "cwd") {
            child.cwd = c;
        }
        if let Some(u) = param_int(ev, "uid") {
            child.uid = Some(u as u32);
        }
        if let Some(g) = param_int(ev, "gid") {
            child.gid = Some(g as u32);
        }
        if let Some(cg) = ev.param("cgroups").map(|p| str_list(&p.value))
            && !cg.is_empty()
        {
            child.container_id = container_from_cgroups(&cg);
        }
        let parent_pid = parent
            .as_ref()
            .map(|p| p.pid)
            .or_else(|| param_int(ev, "pid").map(|x| x as u64))
            .unwrap_or(parent_tid);
        if is_thread {
            child.pid = parent_pid;
            child.ptid = parent.as_ref().map(|p| p.ptid).unwrap_or(parent_tid);
        } else {
            child.pid = child_tid;
            child.ptid = parent_tid;
        }
        if res == 0 {
            if let Some(pid) = param_int(ev, "pid") {
                child.pid = pid as u64;
            }
            if let Some(ptid) = param_int(ev, "ptid") {
                child.ptid = ptid as u64;
            }
        }
        self.state.threads.insert(child_tid, child);
    }

    fn parse_execve(&mut self, ev: &Event) {
        let known = self.state.threads.contains_key(&ev.tid);
        let t = self.thread_mut(ev.tid);
        if let Some(e) = param_str(ev, "exe") {
            t.exe = e;
        }
        if let Some(a) = ev.param("args") {
            t.args = str_list(&a.value);
        }
        match param_str(ev, "comm") {
            Some(c) => t.comm = c,
            None => t.comm = t.exe.rsplit('/').next().unwrap_or("").to_string(),
        }
        t.exepath = param_str(ev, "trusted_exepath").unwrap_or_else(|| t.exe.clone());
        if let Some(c) = param_str(ev, "cwd") {
            t.cwd = c;
        }
        if let Some(u) = param_int(ev, "uid") {
            t.uid = Some(u as u32);
        }
        if let Some(cg) = ev.param("cgroups").map(|p| str_list(&p.value))
            && !cg.is_empty()
        {
            t.container_id = container_from_cgroups(&cg);
        }
        if !known {
            if let Some(pid) = param_int(ev, "pid") {
                t.pid = pid as u64;
            }
            if let Some(ptid) = param_int(ev, "ptid") {
                t.ptid = ptid as u64;
            }
        }
    }
}

/// One replayed event, with the state after its parsing.
pub struct SyscallEvent<'a> {
    pub event: &'a Event,
    /// `evt.num` (1-based).
    pub num: u64,
    pub state: &'a State,
    pub fd: Option<i64>,
}

impl SyscallEvent<'_> {
    pub fn ts_ns(&self) -> i128 {
        self.event.ts as i128
    }

    fn thread(&self) -> Option<&Thread> {
        self.state.threads.get(&self.event.tid)
    }

    fn main_thread(&self) -> Option<&Thread> {
        let t = self.thread()?;
        if t.pid == t.tid {
            Some(t)
        } else {
            self.state.threads.get(&t.pid).or(Some(t))
        }
    }

    fn fd_entry(&self) -> Option<&FdEntry> {
        self.thread()?.fds.get(&self.fd?)
    }

    /// Ancestors: the parent (1), grand-parent (2), ... of the process (0).
    fn ancestor(&self, n: usize) -> Option<&Thread> {
        let mut t = self.main_thread()?;
        for _ in 0..n {
            let p = self.state.threads.get(&t.ptid)?;
            if p.tid == t.tid {
                return None;
            }
            t = p;
            if t.pid != t.tid
                && let Some(m) = self.state.threads.get(&t.pid)
            {
                t = m;
            }
        }
        Some(t)
    }

    fn ancestors_field(
        &self,
        arg: Option<&str>,
        f: fn(&Thread) -> Option<String>,
    ) -> Option<Vec<String>> {
        match arg {
            Some(a) => {
                let n: usize = a.trim().parse().ok()?;
                self.ancestor(n).and_then(f).map(|v| vec![v])
            }
            None => {
                let mut out = Vec::new();
                for n in 1..64 {
                    match self.ancestor(n) {
                        Some(t) => {
                            if let Some(v) = f(t) {
                                out.push(v);
                            }
                        }
                        None => break,
                    }
                }
                if out.is_empty() { None } else { Some(out) }
            }
        }
    }

    fn res(&self) -> Option<i64> {
        if self.event.direction != Direction::Exit {
            return None;
        }
        let p = self.event.params.first()?;
        match p.value {
            Value::Errno(x) | Value::Fd(x) | Value::Pid(x) => Some(x),
            _ => None,
        }
    }

    fn param_display(v: &Value) -> Option<String> {
        match v {
            Value::Empty => None,
            Value::Flags { value, names } => Some(if names.is_empty() {
                value.to_string()
            } else {
                names.join("|")
            }),
            Value::Bytes(b) | Value::Raw(b) => Some(String::from_utf8_lossy(b).into_owned()),
            other => Some(other.to_string()),
        }
    }

    fn open_flags(&self) -> Option<u64> {
        if !matches!(
            self.event.name,
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at"
        ) {
            return None;
        }
        self.event
            .param("flags")
            .and_then(|p| int_of(&p.value))
            .map(|f| f as u64)
    }
}

/// The ends of a connected socket's name `cip:cport->sip:sport` (IPv6 addresses may contain `:`,
/// so the port is after the last one).
/// One end of a socket: (address, port).
type SocketEnd<'a> = (&'a str, &'a str);

fn socket_tuple(name: &str) -> Option<(SocketEnd<'_>, SocketEnd<'_>)> {
    fn end(s: &str) -> Option<SocketEnd<'_>> {
        let (ip, port) = s.rsplit_once(':')?;
        Some((ip.trim_start_matches('[').trim_end_matches(']'), port))
    }
    let (client, server) = name.split_once("->")?;
    Some((end(client)?, end(server)?))
}

fn one(s: impl Into<String>) -> Option<Vec<String>> {
    Some(vec![s.into()])
}

fn nonempty(s: &str) -> Option<Vec<String>> {
    if s.is_empty() { None } else { one(s) }
}

impl FieldSource for SyscallEvent<'_> {
    fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>> {
        let ev = self.event;
        match field {
            "evt.type" => one(ev.name),
            "syscall.type" => {
                let info = table::event_info(ev.code)?;
                if info.meta { None } else { one(ev.name) }
            }
            "evt.dir" => one(ev.direction.as_char().to_string()),
            "evt.num" => one(self.num.to_string()),
            "evt.rawtime" => one(ev.ts.to_string()),
            "evt.time" => one(crate::output::line_time(ev.ts as i128, false)),
            // libsinsp's ts_to_iso_8601: `2016-08-04T16:17:57.881781397+0000`.
            "evt.time.iso8601" => one(crate::output::iso_time(ev.ts as i128, false)),
            // ts_to_string with the date: `2016-08-04 16:17:57.881781397`.
            "evt.datetime" => {
                let iso = crate::output::iso_time(ev.ts as i128, false);
                one(iso[..29].replacen('T', " ", 1))
            }
            "evt.cpu" => one(ev.cpu.to_string()),
            "evt.res" => {
                let r = self.res()?;
                one(if r >= 0 {
                    "SUCCESS".to_string()
                } else {
                    errno_name(-r)
                })
            }
            "evt.rawres" => one(self.res()?.to_string()),
            "evt.failed" => {
                let r = self.res();
                one(if r.is_some_and(|r| r < 0) {
                    "true"
                } else {
                    "false"
                })
            }
            "evt.args" => {
                let parts: Vec<String> = ev
                    .params
                    .iter()
                    .map(|p| format!("{}={}", p.name, p.value))
                    .collect();
                one(parts.join(" "))
            }
            "evt.arg" | "evt.rawarg" => {
                let a = arg?;
                let p = match a.trim().parse::<usize>() {
                    Ok(i) => ev.params.get(i)?,
                    Err(_) => ev.param(a)?,
                };
                if field == "evt.rawarg" {
                    return match &p.value {
                        Value::Empty => None,
                        v => int_of(v)
                            .map(|i| i.to_string())
                            .or_else(|| Self::param_display(v))
                            .map(|s| vec![s]),
                    };
                }
                Self::param_display(&p.value).map(|s| vec![s])
            }
            "evt.is_open_read" => one(
                if self.open_flags().is_some_and(|f| f & PPM_O_RDONLY != 0) {
                    "true"
                } else {
                    "false"
                },
            ),
            "evt.is_open_write" => one(
                if self.open_flags().is_some_and(|f| f & PPM_O_WRONLY != 0) {
                    "true"
                } else {
                    "false"
                },
            ),
            "proc.name" => nonempty(&self.thread()?.comm),
            "proc.exe" => nonempty(&self.thread()?.exe),
            "proc.exepath" => nonempty(&self.thread()?.exepath),
            "proc.cmdline" => {
                let t = self.thread()?;
                if t.comm.is_empty() {
                    return None;
                }
                let mut s = t.comm.clone();
                for a in &t.args {
                    s.push(' ');
                    s.push_str(a);
                }
                one(s)
            }
            "proc.args" => one(self.thread()?.args.join(" ")),
            "proc.pid" => one(self.thread()?.pid.to_string()),
            "proc.ppid" => one(self.main_thread()?.ptid.to_string()),
            "proc.cwd" => {
                let c = &self.thread()?.cwd;
                if c.is_empty() {
                    None
                } else if c.ends_with('/') {
                    one(c.clone())
                } else {
                    one(format!("{c}/"))
                }
            }
            "proc.pname" => nonempty(&self.ancestor(1)?.comm),
            "proc.pcmdline" => {
                let t = self.ancestor(1)?;
                let mut s = t.comm.clone();
                for a in &t.args {
                    s.push(' ');
                    s.push_str(a);
                }
                one(s)
            }
            "proc.pexe" => nonempty(&self.ancestor(1)?.exe),
            "proc.aname" => self.ancestors_field(arg, |t| {
                if t.comm.is_empty() {
                    None
                } else {
                    Some(t.comm.clone())
                }
            }),
            "proc.apid" => self.ancestors_field(arg, |t| Some(t.pid.to_string())),
            "thread.tid" => one(ev.tid.to_string()),
            "proc.tid" => one(ev.tid.to_string()),
            "user.uid" => one(self.thread()?.uid?.to_string()),
            "user.name" => {
                let uid = self.thread()?.uid?;
                match self.state.users.get(&uid) {
                    Some(n) => one(n.clone()),
                    None if uid == 0 => one("root"),
                    None => None,
                }
            }
            "group.gid" => one(self.thread()?.gid?.to_string()),
            "group.name" => {
                let gid = self.thread()?.gid?;
                match self.state.groups.get(&gid) {
                    Some(n) => one(n.clone()),
                    None if gid == 0 => one("root"),
                    None => None,
                }
            }
            "fd.num" => one(self.fd?.to_string()),
            "fd.connected" | "fd.cip" | "fd.cport" | "fd.sip" | "fd.sport" | "fd.ip"
            | "fd.port" | "fd.rip" | "fd.rport" | "fd.lip" | "fd.lport" => {
                let e = self.fd_entry()?;
                if !matches!(e.typechar, '4' | '6') {
                    return None;
                }
                let tuple = socket_tuple(&e.name);
                if field == "fd.connected" {
                    return one(tuple.is_some().to_string());
                }
                let ((cip, cport), (sip, sport)) = tuple?;
                match field {
                    "fd.cip" | "fd.lip" => one(cip),
                    "fd.cport" | "fd.lport" => one(cport),
                    "fd.sip" | "fd.rip" => one(sip),
                    "fd.sport" | "fd.rport" => one(sport),
                    // Either end (Falco matches fd.ip/fd.port against both).
                    "fd.ip" => Some(vec![cip.to_string(), sip.to_string()]),
                    _ => Some(vec![cport.to_string(), sport.to_string()]),
                }
            }
            "fd.name" => nonempty(&self.fd_entry()?.name),
            "fd.typechar" => one(self.fd_entry()?.typechar.to_string()),
            "fd.type" => one(self.fd_entry()?.type_name()),
            "fd.directory" => {
                let e = self.fd_entry()?;
                match e.typechar {
                    'd' => nonempty(&e.name),
                    'f' => {
                        let (dir, _) = e.name.rsplit_once('/')?;
                        one(if dir.is_empty() { "/" } else { dir })
                    }
                    _ => None,
                }
            }
            "fd.filename" => {
                let e = self.fd_entry()?;
                if e.typechar != 'f' {
                    return None;
                }
                let (_, f) = e.name.rsplit_once('/')?;
                nonempty(f)
            }
            "container.id" => {
                let t = self.thread()?;
                one(t.container_id.clone().unwrap_or_else(|| "host".into()))
            }
            "container.name" => {
                let t = self.thread()?;
                if t.container_id.is_none() {
                    one("host")
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// Counts of a replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Events read from the capture.
    pub events_read: u64,
    /// Events evaluated against the rules.
    pub events_evaluated: u64,
    /// Alerts raised.
    pub alerts: u64,
}

/// Replay a `.scap` capture through a `syscall` detector, calling `on_alert` for every alert.
/// A capture that cannot be read (or is corrupt mid-way) is an error; alerts raised before the
/// error have been delivered.
pub fn replay_scap(
    path: &Path,
    detector: &Detector,
    on_alert: &mut dyn FnMut(&Alert),
) -> Result<ReplayStats, String> {
    let mut r = Replayer::open(path)?;
    let mut stats = ReplayStats::default();
    let mut alerts = Vec::new();
    loop {
        let ev = match r.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        stats.events_evaluated += 1;
        detector.process(ev.ts_ns(), &ev, &mut alerts);
        for a in alerts.drain(..) {
            stats.alerts += 1;
            on_alert(&a);
        }
    }
    stats.events_read = r.events_read;
    Ok(stats)
}

#[cfg(test)]
mod socket_tests {
    use super::socket_tuple;

    #[test]
    fn tuples() {
        assert_eq!(
            socket_tuple("10.0.0.1:34567->93.184.216.34:443"),
            Some((("10.0.0.1", "34567"), ("93.184.216.34", "443")))
        );
        assert_eq!(
            socket_tuple("::1:5000->::1:80"),
            Some((("::1", "5000"), ("::1", "80")))
        );
        assert_eq!(socket_tuple("0.0.0.0:80"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RulesEngine;
    use crate::detect::RunOptions;
    use std::path::PathBuf;

    fn capture(name: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/falco/captures")
            .join(name);
        p.is_file().then_some(p)
    }

    fn fields_of_open_exits(path: &Path) -> Vec<(String, String, String, String)> {
        let mut r = Replayer::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(ev) = r.next_event().unwrap() {
            if ev.event.name == "open" && ev.event.direction == Direction::Exit {
                let f = |n: &str| {
                    ev.extract(n, None)
                        .map(|v| v.join(","))
                        .unwrap_or_else(|| "<NA>".into())
                };
                out.push((
                    f("proc.cmdline"),
                    f("fd.name"),
                    f("fd.typechar"),
                    f("evt.is_open_read"),
                ));
            }
        }
        out
    }

    #[test]
    fn cat_write_state() {
        let Some(p) = capture("cat_write.scap") else {
            return;
        };
        let opens = fields_of_open_exits(&p);
        assert_eq!(opens.len(), 4);
        assert_eq!(
            opens[3],
            (
                "cat /dev/null".to_string(),
                "/dev/null".to_string(),
                "f".to_string(),
                "true".to_string()
            )
        );
        // The /dev/null fd is seen by fstat/read/close enter and exit events (close exit too).
        let mut r = Replayer::open(&p).unwrap();
        let mut seen = Vec::new();
        while let Some(ev) = r.next_event().unwrap() {
            if ev.extract("fd.name", None) == Some(vec!["/dev/null".into()]) {
                seen.push(format!("{}{}", ev.event.name, ev.event.direction.as_char()));
                assert_eq!(ev.extract("container.id", None), Some(vec!["host".into()]));
                assert_eq!(ev.extract("proc.pname", None), Some(vec!["bash".into()]));
            }
        }
        assert_eq!(
            seen,
            [
                "open<", "fstat>", "fstat<", "read>", "read<", "close>", "close<"
            ]
        );
    }

    #[test]
    fn single_rule_eight_alerts() {
        let Some(p) = capture("cat_write.scap") else {
            return;
        };
        let rules = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/falco/rules/testing-embedded/single_rule.yaml");
        let mut engine = RulesEngine::default();
        assert!(engine.load_file(&rules).successful());
        let d = Detector::new(&engine, "syscall", &RunOptions::default());
        let mut n = 0;
        let stats = replay_scap(&p, &d, &mut |a| {
            assert_eq!(a.output, "An open was seen (command=cat /dev/null)");
            n += 1;
        })
        .unwrap();
        assert_eq!(n, 8);
        assert_eq!(stats.alerts, 8);
        assert_eq!(stats.events_read, stats.events_evaluated);
    }

    #[test]
    fn captures_replay_with_and_without_conversion() {
        for name in [
            "cat_write.scap",
            "open-multiple-files.scap",
            "ping_sendto.scap",
        ] {
            let Some(p) = capture(name) else { continue };
            for convert in [false, true] {
                let mut r = Replayer::open(&p).unwrap().with_conversion(convert);
                let mut n = 0;
                while let Some(ev) = r.next_event().unwrap() {
                    for f in [
                        "proc.cmdline",
                        "fd.name",
                        "evt.args",
                        "user.name",
                        "evt.res",
                    ] {
                        let _ = ev.extract(f, None);
                    }
                    n += 1;
                }
                assert!(n > 0 && n == r.events_read, "{name}");
            }
        }
    }

    #[test]
    fn bad_captures_are_errors() {
        let Some(p) = capture("cat_write.scap") else {
            return;
        };
        let bytes = std::fs::read(&p).unwrap();
        let dir = std::env::temp_dir().join(format!("bulkhead-syscall-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let engine = RulesEngine::default();
        let d = Detector::new(&engine, "syscall", &RunOptions::default());
        for (i, cut) in [0, 10, bytes.len() / 2, bytes.len() - 3]
            .into_iter()
            .enumerate()
        {
            let f = dir.join(format!("cut{i}.scap"));
            std::fs::write(&f, &bytes[..cut]).unwrap();
            assert!(replay_scap(&f, &d, &mut |_| {}).is_err(), "cut at {cut}");
        }
        let f = dir.join("garbage.scap");
        std::fs::write(&f, b"not a capture at all, just text").unwrap();
        assert!(replay_scap(&f, &d, &mut |_| {}).is_err());
        assert!(replay_scap(&dir.join("absent.scap"), &d, &mut |_| {}).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
