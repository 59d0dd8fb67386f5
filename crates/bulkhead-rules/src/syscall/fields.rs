//! Field extraction for replayed events (libsinsp `sinsp_filter_check_*` semantics).

use super::*;

/// One replayed event, with the state after its parsing.
pub struct SyscallEvent<'a> {
    pub event: &'a Event,
    /// `evt.num` (1-based).
    pub num: u64,
    pub state: &'a State,
    pub fd: Option<i64>,
    /// The enter event of this exit event, when the capture has it.
    pub enter: Option<&'a Event>,
}

impl SyscallEvent<'_> {
    pub fn ts_ns(&self) -> i128 {
        self.event.ts as i128
    }

    pub(super) fn thread(&self) -> Option<&Thread> {
        self.state.threads.get(&self.event.tid).map(|t| &**t)
    }

    /// The process's main thread (the thread itself when its leader is not in the table, except
    /// for a placeholder, whose pid is unknown: libsinsp `get_main_thread` finds none).
    fn main_thread(&self) -> Option<&Thread> {
        let t = self.thread()?;
        if t.pid == t.tid {
            Some(t)
        } else if (t.pid as i64) < 0 {
            None
        } else {
            self.state.threads.get(&t.pid).map(|m| &**m).or(Some(t))
        }
    }

    /// The thread's parent (libsinsp `get_parent_thread`: the entry of its `ptid`).
    fn parent_of<'s>(&'s self, t: &Thread) -> Option<&'s Thread> {
        self.state
            .threads
            .get(&t.ptid)
            .map(|p| &**p)
            .filter(|p| p.tid != t.tid)
    }

    /// libsinsp `traverse_parent_state` visiting the parents while they share `key` with the
    /// thread: the eldest such ancestor, or the thread itself (for `proc.sname`/`proc.vpgid.*`).
    fn eldest_sharing<'s>(&'s self, t: &'s Thread, key: fn(&Thread) -> i64) -> Option<&'s Thread> {
        let k = key(t);
        let mut leader = t;
        let mut cur = t;
        for _ in 0..1024 {
            match self.parent_of(cur) {
                Some(p) if (p.tid as i64) != -1 && key(p) == k => {
                    leader = p;
                    cur = p;
                }
                _ => break,
            }
        }
        Some(leader)
    }

    /// The session (`sid`) or process group (`vpgid`) leader of libsinsp `TYPE_SNAME` /
    /// `TYPE_VPGID_*`: outside a pid namespace the thread whose tid is the id, else (or when it
    /// is gone) the eldest ancestor with the same id.
    fn group_leader(&self, key: fn(&Thread) -> i64) -> Option<&Thread> {
        let t = self.thread()?;
        if !t.in_pid_namespace()
            && let Some(l) = u64::try_from(key(t))
                .ok()
                .and_then(|id| self.state.threads.get(&id))
        {
            return Some(l);
        }
        self.eldest_sharing(t, key)
    }

    /// libsinsp `sinsp_network_interfaces::is_ipv4addr_in_local_machine` /
    /// `is_ipv6addr_in_local_machine`: whether an address is one of this machine's (for a
    /// containerized thread, its container's IPv4 address or any container's when its own is
    /// unknown; IPv6 addresses are never local to a container; IPv6 matches on the first 64
    /// bits).
    fn is_local_ip(&self, ip: std::net::IpAddr) -> bool {
        let container = self.thread().and_then(|t| t.container_id.as_ref());
        match ip {
            std::net::IpAddr::V4(a) => {
                if let Some(c) = container.and_then(|id| self.state.containers.get(id)) {
                    let hit = match c.ip {
                        Some(ip) => ip == a,
                        None => self.state.containers.values().any(|o| o.ip == Some(a)),
                    };
                    if hit {
                        return true;
                    }
                }
                self.state.ipv4_interfaces.contains(&a)
            }
            std::net::IpAddr::V6(a) => {
                container.is_none()
                    && self
                        .state
                        .ipv6_interfaces
                        .iter()
                        .any(|i| i.octets()[..8] == a.octets()[..8])
            }
        }
    }

    /// The environment of the process (libsinsp `get_env`: the main thread's).
    fn env(&self) -> Option<&[String]> {
        let t = self.thread()?;
        Some(&self.main_thread().unwrap_or(t).env)
    }

    /// The raw bytes of the event's `data` parameter (I/O buffers), as libsinsp compares
    /// `evt.buffer`; `None` for events without one.
    pub fn buffer_bytes(&self) -> Option<&[u8]> {
        match &self.event.param("data")?.value {
            Value::Bytes(b) | Value::Raw(b) => Some(b),
            Value::Str(s) => Some(s.as_bytes()),
            _ => Some(&[]),
        }
    }

    /// libsinsp `TYPE_ISOPEN_EXEC`: an open that creates the file (`O_CREAT`/`O_TMPFILE`) with an
    /// exec bit in its mode, or a creat with one. The events checked are those libsinsp checks:
    /// open exits, the old openat enter, the new openat exit, openat2 exits, creat exits.
    fn is_open_exec(&self) -> bool {
        let ev = self.event;
        let old = table::event_info(ev.code).is_some_and(|i| i.old_version);
        let mode = || param_int(ev, "mode").is_some_and(|m| m as u64 & PPM_S_IXANY != 0);
        match (ev.name, ev.direction) {
            ("open", Direction::Exit) | ("openat2", Direction::Exit) => {}
            ("openat", Direction::Enter) if old => {}
            ("openat", Direction::Exit) if !old => {}
            ("creat", Direction::Exit) => return mode(),
            _ => return false,
        }
        param_int(ev, "flags").is_some_and(|f| f as u64 & (PPM_O_TMPFILE | PPM_O_CREAT) != 0)
            && mode()
    }

    /// The event's fd in the table its thread uses ([`State::fd_table`]: the main thread's for
    /// the other threads of a process).
    fn fd_entry(&self) -> Option<&FdEntry> {
        self.state.fd_table(self.thread()?)?.get(&self.fd?)
    }

    /// The thread's working directory ([`State::cwd_of`]: the process's).
    fn cwd(&self) -> Option<&str> {
        Some(self.state.cwd_of(self.thread()?))
    }

    /// Whether the event is one libsinsp answers `fd.*` fields for without an fd in the table
    /// (`extract_fd`: an event that creates, uses or closes an fd, of a known thread, whose fd
    /// lookup failed — a failed open, an enter event of a creating call, an unknown fd): its
    /// `extract_from_null_fd` (sinsp_filtercheck_fd.cpp) then gives `fd.name`/`fd.nameraw`/
    /// `fd.directory` from the event (exit events only, see
    /// [`SyscallEvent::fdname_from_creator`]) and `fd.typechar` from the syscall
    /// ([`SyscallEvent::null_fd_typechar`]); `fd.type`, `fd.filename` and the socket fields have
    /// no value.
    fn null_fd(&self) -> bool {
        self.fd_entry().is_none() && self.thread().is_some() && event_uses_fd(self.event.code)
    }

    /// `fd.typechar` of an event without an fd (`extract_from_null_fd`): the type of fd its
    /// syscall creates (file for the open family, IPv4 for socket/accept — "not accurate ...
    /// better than nothing" —, pipe, eventfd, signalfd, timerfd, inotify), `o` otherwise.
    fn null_fd_typechar(&self) -> char {
        match self.event.name {
            "open" | "openat" | "openat2" | "creat" => 'f',
            "socket" | "accept" | "accept4" => '4',
            "pipe" | "pipe2" => 'p',
            "eventfd" | "eventfd2" => 'e',
            "signalfd" | "signalfd4" => 's',
            "timerfd_create" => 't',
            "inotify_init" | "inotify_init1" => 'i',
            _ => 'o',
        }
    }

    /// Metadata of the container the event's thread runs in; `None` for a host process and for
    /// a container the capture has no container event for.
    fn container_info(&self) -> Option<&ContainerInfo> {
        let id = self.thread()?.container_id.as_ref()?;
        self.state.containers.get(id)
    }

    /// The name an fd-creating exit event gives when the event has no fd in the table (a failed
    /// call): libsinsp `extract_fdname_from_creator` (sinsp_filtercheck_fd.cpp). `open`/`creat`
    /// give their path parameter resolved against the cwd when relative, `openat`/`openat2` the
    /// path resolved against the cwd or dirfd (`parse_dirfd` + `concatenate_paths`; as passed
    /// for `raw`, `fd.nameraw`), `accept`/`connect` the tuple; other events that use an fd give
    /// an empty name, events that do not use one no value.
    fn fdname_from_creator(&self, raw: bool) -> Option<String> {
        let ev = self.event;
        if ev.direction != Direction::Exit || self.thread().is_none() {
            return None;
        }
        let enter = self.enter;
        let get = |name: &str| -> Option<&Value> {
            ev.param(name)
                .map(|p| &p.value)
                .filter(|v| !matches!(v, Value::Empty))
                .or_else(|| enter.and_then(|e| e.param(name)).map(|p| &p.value))
        };
        Some(match ev.name {
            "open" | "creat" => {
                let name = get("name").and_then(str_of).unwrap_or_default();
                if name.starts_with('/') || name.is_empty() {
                    name
                } else {
                    join_path(self.cwd()?, &name)
                }
            }
            "openat" | "openat2" => {
                let name = get("name").and_then(str_of).unwrap_or_default();
                if raw || name.is_empty() {
                    return Some(name);
                }
                let dirfd = get("dirfd").and_then(int_of).unwrap_or(AT_FDCWD);
                let t = self.thread()?;
                let base = if dirfd == AT_FDCWD {
                    self.state.cwd_of(t)
                } else {
                    self.state
                        .fd_table(t)
                        .and_then(|fds| fds.get(&dirfd))
                        .map_or("", |e| e.name.as_str())
                };
                // As the successful open resolves it (an unknown dirfd leaves the path as is).
                join_path(base, &name)
            }
            "open_by_handle_at" => get("path").and_then(str_of).unwrap_or_default(),
            "accept" | "accept4" | "connect" => match get("tuple") {
                Some(Value::SockTuple(t)) => t.to_string(),
                Some(v) => str_of(v).unwrap_or_default(),
                None => String::new(),
            },
            _ => {
                // `extract_fd` only answers for events that create, use or close an fd.
                if event_uses_fd(ev.code) {
                    String::new()
                } else {
                    return None;
                }
            }
        })
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

pub(super) fn socket_tuple(name: &str) -> Option<(SocketEnd<'_>, SocketEnd<'_>)> {
    fn end(s: &str) -> Option<SocketEnd<'_>> {
        let (ip, port) = s.rsplit_once(':')?;
        Some((ip.trim_start_matches('[').trim_end_matches(']'), port))
    }
    let (client, server) = name.split_once("->")?;
    Some((end(client)?, end(server)?))
}

/// Whether an event creates, uses or closes an fd (libsinsp `EF_CREATES_FD | EF_USES_FD |
/// EF_DESTROYS_FD`), judged as elsewhere here by an fd parameter in the event or its pair.
fn event_uses_fd(code: u16) -> bool {
    let has_fd = |code: u16| {
        table::event_info(code).is_some_and(|i| i.params.iter().any(|p| p.ty == ParamType::Fd))
    };
    has_fd(code & !1) || has_fd(code | 1)
}

/// `fd.directory` of a path (libsinsp `TYPE_DIRECTORY` of files and of `extract_from_null_fd`):
/// up to its last `/`, the whole path when that is its last character, `/` when it has none or
/// only a leading one.
pub(super) fn path_dir(name: &str) -> &str {
    match name.rfind('/') {
        None | Some(0) => "/",
        Some(p) if p == name.len() - 1 => name,
        Some(p) => &name[..p],
    }
}

/// A value of an id field that libsinsp prints as a signed number (-1 for unknown).
fn signed(v: u64) -> String {
    (v as i64).to_string()
}

/// libsinsp `concatenate_container_labels`: `key:value, key` in key order, leaving out the
/// `annotation.` and `io.kubernetes.` ones.
fn concat_labels<'a>(labels: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut out = String::new();
    for (k, v) in labels {
        if k.starts_with("annotation.") || k.starts_with("io.kubernetes.") {
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(k);
        if !v.is_empty() {
            out.push(':');
            out.push_str(v);
        }
    }
    out
}

fn one(s: impl Into<String>) -> Option<Vec<String>> {
    Some(vec![s.into()])
}

fn nonzero(v: u64) -> Option<Vec<String>> {
    if v == 0 { None } else { one(v.to_string()) }
}

fn nonempty(s: &str) -> Option<Vec<String>> {
    if s.is_empty() { None } else { one(s) }
}

impl FieldSource for SyscallEvent<'_> {
    fn event_type(&self) -> Option<&str> {
        Some(self.event.name)
    }

    fn extract_bytes(&self, field: &str) -> Option<&[u8]> {
        match field {
            "evt.buffer" => self.buffer_bytes(),
            _ => None,
        }
    }

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
            "evt.rawtime.s" => one((ev.ts / 1_000_000_000).to_string()),
            "evt.rawtime.ns" => one((ev.ts % 1_000_000_000).to_string()),
            // `ts_to_string` without the nanoseconds: `16:17:57`, `2016-08-04 16:17:57`.
            "evt.time.s" => one(crate::output::time_s(ev.ts as i128)),
            "evt.datetime.s" => one(crate::output::datetime_s(ev.ts as i128)),
            "evt.source" => one("syscall"),
            "evt.time" => one(crate::output::line_time(ev.ts as i128, false)),
            // libsinsp's ts_to_iso_8601: `2016-08-04T16:17:57.881781397+0000`.
            "evt.time.iso8601" => one(crate::output::iso_time(ev.ts as i128, false)),
            // ts_to_string with the date: `2016-08-04 16:17:57.881781397`.
            "evt.datetime" => one(crate::output::datetime(ev.ts as i128)),
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
            "proc.pid" => one(signed(self.thread()?.pid)),
            "proc.ppid" => one(signed(self.main_thread()?.ptid)),
            "proc.cwd" => {
                let c = self.cwd()?;
                if c.is_empty() {
                    None
                } else if c.ends_with('/') {
                    one(c)
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
            "proc.apid" => self.ancestors_field(arg, |t| Some(signed(t.pid))),
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
            // libsinsp `m_lastevent_fd`: the enter events and failed exits of calls that create
            // an fd (and take none) have -1 — only `add_fd` sets it, on success; the libs test
            // `parse_open_failure` asserts -1 —, which `open_file_failed` (`fd.num=-1`) tests.
            // Here for the creating calls the replay tracks (open family, socket, accept,
            // pipe).
            "fd.num" => match self.fd {
                Some(fd) => one(fd.to_string()),
                None if matches!(
                    ev.name,
                    "open"
                        | "openat"
                        | "openat2"
                        | "creat"
                        | "open_by_handle_at"
                        | "socket"
                        | "accept"
                        | "accept4"
                        | "pipe"
                        | "pipe2"
                ) && self.thread().is_some() =>
                {
                    one("-1")
                }
                None => None,
            },
            "fd.connected" | "fd.cip" | "fd.cport" | "fd.sip" | "fd.sport" | "fd.ip"
            | "fd.port" => {
                let e = self.fd_entry()?;
                if !matches!(e.typechar, '4' | '6') {
                    return None;
                }
                if e.server_socket && field != "fd.connected" {
                    // A listening socket (`SCAP_FD_IPV4_SERVSOCK`/`IPV6_SERVSOCK`, named
                    // `ip:port`): its address and port are the server end, `fd.ip`/`fd.port`
                    // match them; no client end; `fd.sip` needs a role (bind gives one).
                    let (ip, port) = e.name.rsplit_once(':').filter(|_| !e.name.contains("->"))?;
                    let ip = ip.trim_start_matches('[').trim_end_matches(']');
                    return match field {
                        "fd.sip" if e.role != SockRole::None => one(ip),
                        "fd.ip" => one(ip),
                        "fd.sport" | "fd.port" => one(port),
                        _ => None,
                    };
                }
                let tuple = socket_tuple(&e.name);
                if field == "fd.connected" {
                    return one(tuple.is_some().to_string());
                }
                let ((cip, cport), (sip, sport)) = tuple?;
                // The ends of a socket without a role have no value (`is_role_none`);
                // `fd.ip`/`fd.port` match either end regardless.
                if e.role == SockRole::None && !matches!(field, "fd.ip" | "fd.port") {
                    return None;
                }
                match field {
                    "fd.cip" => one(cip),
                    "fd.cport" => one(cport),
                    "fd.sip" => one(sip),
                    "fd.sport" => one(sport),
                    // Either end (Falco matches fd.ip/fd.port against both).
                    "fd.ip" => Some(vec![cip.to_string(), sip.to_string()]),
                    _ => Some(vec![cport.to_string(), sport.to_string()]),
                }
            }
            // Local and remote ends (libsinsp `TYPE_LIP`/`LPORT`/`RIP`/`RPORT`/`RNET`): the
            // client end is the local one when its address is this machine's (its interfaces,
            // or its container's address); connected IPv4/IPv6 sockets with a role only.
            "fd.lip" | "fd.lport" | "fd.rip" | "fd.rport" | "fd.rnet" => {
                let e = self.fd_entry()?;
                if !matches!(e.typechar, '4' | '6') || e.role == SockRole::None {
                    return None;
                }
                let (client, server) = socket_tuple(&e.name)?;
                let local = client
                    .0
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| self.is_local_ip(ip));
                let (l, r) = if local {
                    (client, server)
                } else {
                    (server, client)
                };
                match field {
                    "fd.lip" => one(l.0),
                    "fd.lport" => one(l.1),
                    "fd.rport" => one(r.1),
                    _ => one(r.0),
                }
            }
            // The client network (filter-only in libsinsp, compared with `a.b.c.d/n` values):
            // the client address of a socket with a role.
            "fd.cnet" => {
                let e = self.fd_entry()?;
                if !matches!(e.typechar, '4' | '6') || e.role == SockRole::None {
                    return None;
                }
                one(socket_tuple(&e.name)?.0.0)
            }
            "fd.sockfamily" => match self.fd_entry()?.typechar {
                '4' | '6' => one("ip"),
                'u' => one("unix"),
                _ => None,
            },
            // Types of the thread's open fds, deduplicated, in fd order (`fd.types[N]`: fd N's
            // type); for events that create, use or close an fd (libsinsp `extract_fd`).
            "fd.types" => {
                if !event_uses_fd(ev.code) {
                    return None;
                }
                let fds = self.state.fd_table(self.thread()?)?;
                if let Some(a) = arg {
                    let fd: i64 = a.trim().parse().ok()?;
                    return one(fds.get(&fd)?.type_name());
                }
                let mut fds: Vec<_> = fds.iter().collect();
                fds.sort_by_key(|(n, _)| **n);
                let mut out: Vec<String> = Vec::new();
                for (_, e) in fds {
                    let ty = e.type_name();
                    if !out.iter().any(|o| o == ty) {
                        out.push(ty.to_string());
                    }
                }
                Some(out)
            }
            "fd.name" => {
                // A failed connect did not name the fd: libsinsp gives the event's tuple; an
                // event without an fd (a failed open) the name it would have created.
                if ev.name == "connect" && self.res().is_some_and(|r| r < 0) {
                    return nonempty(&self.fdname_from_creator(false)?);
                }
                match self.fd_entry() {
                    Some(e) => nonempty(&e.name),
                    None if self.null_fd() => nonempty(&self.fdname_from_creator(false)?),
                    None => None,
                }
            }
            "fd.typechar" => match self.fd_entry() {
                Some(e) => one(e.typechar.to_string()),
                None if self.null_fd() => one(self.null_fd_typechar().to_string()),
                None => None,
            },
            "fd.type" => one(self.fd_entry()?.type_name()),
            "fd.directory" => match self.fd_entry() {
                Some(e) => match e.typechar {
                    'd' => nonempty(&e.name),
                    'f' => one(path_dir(&e.name)),
                    _ => None,
                },
                // The directory of the name the event would have given its fd (a failed
                // open's path; `/` for other exit events, whose name is empty).
                None if self.null_fd() => one(path_dir(&self.fdname_from_creator(false)?)),
                None => None,
            },
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
            "container.name" => match self.thread()?.container_id {
                None => one("host"),
                Some(_) => nonempty(&self.container_info()?.name),
            },
            // Container metadata comes from the capture's container events (the container
            // engines, or since Falco 0.41 the container plugin, that fill it live do not run in
            // a replay): no value for host processes, nor for a container the capture describes
            // without it, as libsinsp.
            "container.image.repository" => nonempty(&self.container_info()?.image_repository),
            "container.image" => nonempty(&self.container_info()?.image),
            "container.image.tag" => nonempty(&self.container_info()?.image_tag),
            "container.image.id" => nonempty(&self.container_info()?.image_id),
            "container.image.digest" => nonempty(&self.container_info()?.image_digest),
            // The host's processes are `host`, as for `container.id`.
            "container.full_id" => match self.thread()?.container_id {
                None => one("host"),
                Some(_) => nonempty(&self.container_info()?.full_id),
            },
            "container.type" => match self.thread()?.container_id {
                None => one("host"),
                Some(_) => one(self.container_info()?.type_name()?),
            },
            "container.ip" => one(self.container_info()?.ip?.to_string()),
            "container.label" => one(self.container_info()?.labels.get(arg?)?.clone()),
            "container.labels" => {
                let c = self.container_info()?;
                let mut labels: Vec<_> = c.labels.iter().collect();
                labels.sort();
                one(concat_labels(labels.into_iter()))
            }
            "container.cni.json" => one(self.container_info()?.cni_json.clone()),
            "container.host_pid" => one(self.container_info()?.host_pid.to_string()),
            "container.host_network" => one(self.container_info()?.host_network.to_string()),
            "container.host_ipc" => one(self.container_info()?.host_ipc.to_string()),
            "container.privileged" => {
                // Only known for docker-compatible container types.
                let c = self.container_info()?;
                if c.docker_compatible() {
                    one(c.privileged.to_string())
                } else {
                    None
                }
            }
            // Kubernetes fields come from the container's labels (CRI metadata); there is no
            // Kubernetes API in a replay.
            "k8s.ns.name" => one(self
                .container_info()?
                .labels
                .get("io.kubernetes.pod.namespace")?
                .clone()),
            "proc.tty" => one(self.thread()?.tty.to_string()),
            "proc.duration" => {
                let t = self.thread()?;
                if t.clone_ts == 0 {
                    return None;
                }
                one((ev.ts as i64 - t.clone_ts as i64).to_string())
            }
            "proc.is_exe_upper_layer" => one(self.thread()?.exe_upper_layer.to_string()),
            "proc.is_exe_from_memfd" => one(self.thread()?.exe_from_memfd.to_string()),
            "proc.is_exe_writable" => one(self.thread()?.exe_writable.to_string()),
            "thread.cap_effective" => one(caps_to_string(self.thread()?.cap_effective)),
            "fd.nameraw" => match self.fd_entry() {
                Some(e) => one(dedup_slashes(&e.name_raw)),
                None => one(dedup_slashes(&self.fdname_from_creator(true)?)),
            },
            "fd.name_changed" => {
                let e = self.fd_entry()?;
                one((e.name != e.oldname).to_string())
            }
            "fd.l4proto" => {
                let e = self.fd_entry()?;
                // libsinsp `sinsp_fdinfo::get_l4proto`: a socket without a role yet is "n/a"
                // unless raw; anything but a socket is "n/a".
                let p = if !matches!(e.typechar, '4' | '6') {
                    L4_NA
                } else if e.server_socket || e.l4proto == L4_RAW {
                    e.l4proto
                } else if e.role == SockRole::None {
                    L4_NA
                } else {
                    e.l4proto
                };
                one(match p {
                    L4_TCP => "tcp",
                    L4_UDP => "udp",
                    L4_ICMP => "icmp",
                    L4_RAW => "raw",
                    _ => "<NA>",
                })
            }
            // Network fields, compared with `a.b.c.d/n` values (eval's `ip_in_net`): `fd.net` is
            // either end of the socket (libsinsp `compare_net`), `fd.snet` its server end (the
            // address `fd.sip` gives; none while the socket has no role).
            "fd.net" | "fd.snet" => {
                let e = self.fd_entry()?;
                if !matches!(e.typechar, '4' | '6') {
                    return None;
                }
                if e.server_socket {
                    let (ip, _) = e.name.rsplit_once(':')?;
                    return one(ip.trim_start_matches('[').trim_end_matches(']'));
                }
                let ((cip, _), (sip, _)) = socket_tuple(&e.name)?;
                if field == "fd.net" {
                    Some(vec![cip.to_string(), sip.to_string()])
                } else if e.role == SockRole::None {
                    None
                } else {
                    one(sip)
                }
            }
            // The DNS names of socket ends come from libsinsp's DNS manager, which resolves the
            // names a filter compares with on the live network (getaddrinfo) and caches them.
            // Offline and without it there is no name: no value (so `fd.sip.name = x` is false).
            "fd.sip.name" | "fd.cip.name" | "fd.lip.name" | "fd.rip.name" => None,
            "proc.pexepath" => nonempty(&self.ancestor(1)?.exepath),
            "proc.aexe" => {
                self.ancestors_field(arg, |t| (!t.exe.is_empty()).then(|| t.exe.clone()))
            }
            "proc.aexepath" => {
                self.ancestors_field(arg, |t| (!t.exepath.is_empty()).then(|| t.exepath.clone()))
            }
            // `NAME=value` entries joined by spaces; `proc.env[NAME]`: the value (spaces
            // trimmed, "" when unset), libsinsp `concatenate_all_env` / `get_env(name)`.
            "proc.env" => {
                let env = self.env()?;
                match arg.map(str::trim) {
                    Some(name) if !name.is_empty() && !name.bytes().all(|b| b.is_ascii_digit()) => {
                        let value = env
                            .iter()
                            .find_map(|e| {
                                e.strip_prefix(name)
                                    .and_then(|v| v.strip_prefix('='))
                                    .filter(|v| !v.is_empty())
                            })
                            .map(|v| v.trim_matches(' '))
                            .unwrap_or_default();
                        one(value)
                    }
                    _ => one(env.join(" ")),
                }
            }
            "proc.vpid" => {
                let v = self.thread()?.vpid;
                if v == -1 { None } else { one(v.to_string()) }
            }
            "proc.sname" => one(self.group_leader(|t| t.sid)?.comm.clone()),
            "proc.vpgid.name" => one(self.group_leader(|t| t.vpgid)?.comm.clone()),
            "proc.vpgid.exe" => one(self.group_leader(|t| t.vpgid)?.exe.clone()),
            "proc.vpgid.exepath" => one(self.group_leader(|t| t.vpgid)?.exepath.clone()),
            "proc.vpgid" => {
                let v = self.thread()?.vpgid;
                if v == -1 { None } else { one(v.to_string()) }
            }
            "proc.is_vpgid_leader" => {
                let t = self.thread()?;
                one((t.vpgid == t.vpid).to_string())
            }
            // Time since the parent thread (`ptid`) was cloned in the capture; no value when
            // that clone was not seen. (libsinsp's code falls through to `proc.fdopencount`
            // then, a bug not reproduced.)
            "proc.ppid.duration" => {
                let t = self.thread()?;
                let p = self.state.threads.get(&t.ptid)?;
                if p.clone_ts == 0 {
                    return None;
                }
                one((ev.ts as i64 - p.clone_ts as i64).to_string())
            }
            // The executable's inode times (epoch ns) and the time between its last status
            // change and the clone of the process; no value when 0 (unknown).
            "proc.exe_ino.ctime" => nonzero(self.thread()?.exe_ino_ctime),
            "proc.exe_ino.mtime" => nonzero(self.thread()?.exe_ino_mtime),
            "proc.exe_ino.ctime_duration_proc_start" => {
                nonzero(self.thread()?.exe_ino_ctime_duration_clone_ts)
            }
            "thread.cap_permitted" => one(caps_to_string(self.thread()?.cap_permitted)),
            // The audit uid, -1 when unset (0xffffffff), as libsinsp returns it.
            "user.loginuid" => {
                let l = self.thread()?.loginuid;
                one(if l == INVALID_ID { -1 } else { l as i64 }.to_string())
            }
            "user.loginname" => {
                let l = self.thread()?.loginuid;
                match self.state.users.get(&l) {
                    Some(n) => one(n.clone()),
                    None if l == 0 => one("root"),
                    None => None,
                }
            }
            // The capture's machine (libsinsp returns `scap_machine_info::hostname`, which a
            // capture replay reads from the file's machine info block).
            "evt.hostname" => one(self.state.hostname.clone()?),
            // The `data` parameter of I/O events (read/write/send/recv... exits). libsinsp
            // compares its raw bytes and prints it in its buffer format; values here are
            // strings, so bytes that are not UTF-8 become U+FFFD (see `buffer_bytes`).
            "evt.buffer" => one(String::from_utf8_lossy(self.buffer_bytes()?)),
            "evt.is_open_exec" => one(self.is_open_exec().to_string()),
            // Container mounts from the container event's `Mounts`, comma-separated
            // `source:dest:mode:rdwr:propagation`; `container.mount.dest[N or source glob]`.
            "container.mounts" => one(self
                .container_info()?
                .mounts
                .iter()
                .map(ContainerMount::to_field)
                .collect::<Vec<_>>()
                .join(",")),
            "container.mount.dest" => one(self.container_info()?.mount_by_arg(arg?)?.dest.clone()),
            // The start of the thread's pid namespace, for containerized threads only.
            "container.start_ts" => {
                let t = self.thread()?;
                t.container_id.as_ref()?;
                nonzero(t.pidns_init_start_ts)
            }
            "k8s.pod.name" => one(self
                .container_info()?
                .labels
                .get("io.kubernetes.pod.name")?
                .clone()),
            // The pod's identity as the CRI gives it (libsinsp's CRI engine / container plugin):
            // the uid label kubelet sets, the sandbox the container belongs to, the pod labels.
            "k8s.pod.uid" | "k8s.pod.id" => one(self
                .container_info()?
                .labels
                .get("io.kubernetes.pod.uid")?
                .clone()),
            "k8s.pod.sandbox_id" | "k8s.pod.full_sandbox_id" => {
                let id = &self.container_info()?.pod_sandbox_id;
                if id.is_empty() {
                    return None;
                }
                one(if field == "k8s.pod.sandbox_id" {
                    id.get(..12).unwrap_or(id)
                } else {
                    id
                })
            }
            "k8s.pod.label" => one(self.container_info()?.pod_sandbox_labels.get(arg?)?.clone()),
            "k8s.pod.labels" => {
                let c = self.container_info()?;
                if c.pod_sandbox_id.is_empty() {
                    return None;
                }
                one(concat_labels(c.pod_sandbox_labels.iter()))
            }
            // Only for containers of a pod (the uid label), as libsinsp.
            "k8s.pod.ip" => {
                let c = self.container_info()?;
                c.labels.get("io.kubernetes.pod.uid")?;
                one(c
                    .ip
                    .map(|ip| ip.to_string())
                    .unwrap_or_else(|| "0.0.0.0".into()))
            }
            "k8s.pod.cni.json" => {
                let c = self.container_info()?;
                c.labels.get("io.kubernetes.pod.uid")?;
                one(c.cni_json.clone())
            }
            _ => None,
        }
    }
}
