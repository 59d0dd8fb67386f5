//! The state updates: thread/fd/container state updated by each event as libsinsp's parsers do
//! (no I/O: the events come from an [`crate::source::EventSource`]).

use super::*;

impl Inspector {
    /// An inspector with an empty state (no machine, no processes).
    pub fn new() -> Inspector {
        Inspector::default()
    }

    /// Apply a record of the state around the events (the machine, its users, processes and
    /// fds, as a capture's metadata blocks or a sensor's `/proc` scan give them).
    pub fn apply_state(&mut self, record: &StateRecord) {
        match record {
            StateRecord::Machine(mi) => {
                self.state.hostname = Some(mi.hostname.clone());
                self.state.boot_ts_epoch = mi.boot_ts_epoch;
            }
            StateRecord::Interfaces(ifs) => {
                // A list replaces the one before (as libscap keeps one).
                self.state.ipv4_interfaces.clear();
                self.state.ipv4_netmasks.clear();
                self.state.ipv6_interfaces.clear();
                for i in ifs {
                    match i.addr {
                        InterfaceAddr::V4 { addr, netmask, .. } => {
                            self.state.ipv4_interfaces.push(addr);
                            self.state.ipv4_netmasks.push(netmask);
                        }
                        InterfaceAddr::V6 { addr, .. } => self.state.ipv6_interfaces.push(addr),
                    }
                }
            }
            StateRecord::Users { users, groups } => {
                for u in users {
                    self.state.users.insert(u.uid, u.name.clone());
                }
                for g in groups {
                    self.state.groups.insert(g.gid, g.name.clone());
                }
            }
            StateRecord::Threads(threads) => {
                for t in threads {
                    let mut th = thread_from_info(t);
                    if let Some(old) = self.state.threads.get_mut(&t.tid) {
                        th.fds = std::mem::take(&mut old.fds);
                    }
                    self.state.insert_thread(th);
                }
            }
            // Into the thread's own table, as libsinsp's `add_fd_from_scap` (libscap lists the
            // fds of main threads only; a secondary thread's list is empty).
            StateRecord::Fds { tid, fds } => {
                self.state
                    .grew(4096 + fds.iter().map(|f| fd_bytes(&fd_entry(f))).sum::<usize>());
                let th = self.state.thread_entry(*tid);
                for fd in fds {
                    fd_insert(&mut th.fds, fd.fd, fd_entry(fd));
                }
            }
        }
    }

    /// Apply one event (libsinsp's parsers: thread, fd and container state updated, removals of
    /// the previous event done first) and return it as the rules see it, numbered (`evt.num`)
    /// from 1. A generic event (`syscall`) is named after its syscall first (see
    /// [`bulkhead_scap::syscalls`]). No I/O: everything the update needs is in the event and
    /// the state.
    pub fn apply(&mut self, mut ev: Event) -> SyscallEvent<'_> {
        self.events += 1;
        self.flush_pending();
        self.state.pinned = Some(ev.tid);
        // What the event can add: a thread, an fd, its kept copy, strings taken from it.
        self.state.grew(4096 + 3 * event_bytes(&ev));
        self.name_generic(&mut ev);
        self.current_fd = self.parse(&ev);
        self.current = Some(ev);
        self.current().expect("just set")
    }

    /// The event last applied, with the state after it.
    pub fn current(&self) -> Option<SyscallEvent<'_>> {
        Some(SyscallEvent {
            event: self.current.as_ref()?,
            num: self.events,
            state: &self.state,
            fd: self.current_fd,
            enter: self.current_enter.as_ref(),
        })
    }

    /// Events applied.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Set once the state grew past [`StateLimits::max_bytes`]: the replay must stop.
    pub fn too_large(&self) -> Option<StateTooLarge> {
        self.state.too_large
    }

    /// libsinsp names a generic event after its syscall (`sinsp_filter_check_event`
    /// `TYPE_TYPE`): the enter event by its `nativeID` (the x86_64 table), the exit event as its
    /// thread's last enter event when that is the generic enter of the same syscall `ID` (the
    /// exit event carries only `ID`, libs' own syscall code). An unknown number keeps `syscall`.
    fn name_generic(&self, ev: &mut Event) {
        use bulkhead_scap::syscalls::{GENERIC_E, GENERIC_X, generic_name};
        match ev.code {
            GENERIC_E => {
                if let Some(n) = generic_name(ev) {
                    ev.name = n;
                }
            }
            GENERIC_X => {
                let id = ev.param("ID").map(|p| &p.value);
                if let Some(enter) = self
                    .state
                    .threads
                    .get(&ev.tid)
                    .and_then(|t| t.last_enter_event.as_ref())
                    .filter(|e| e.code == GENERIC_E && e.param("ID").map(|p| &p.value) == id)
                {
                    ev.name = enter.name;
                }
            }
            _ => {}
        }
    }

    fn flush_pending(&mut self) {
        for (tid, fd) in self.pending_fd_removals.drain(..) {
            self.state.with_fds(tid, |fds| fds.remove(&fd));
        }
        for tid in self.pending_thread_removals.drain(..) {
            self.state.remove_thread(tid);
        }
    }

    /// The event thread, a placeholder when the capture never described it (libsinsp
    /// `sinsp_parser::reset` looks every syscall event's thread up with `query_os`).
    fn thread_mut(&mut self, tid: u64) -> &mut Thread {
        self.state.thread_entry(tid)
    }

    /// Update the state with one event; returns the event's fd.
    fn parse(&mut self, ev: &Event) -> Option<i64> {
        self.current_enter = None;
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
            if ev.name == "container" {
                if let Some(c) = ContainerInfo::from_event(ev)
                    && (self.state.containers.len() < MAX_CONTAINERS
                        || self.state.containers.contains_key(&c.id))
                {
                    self.state.grew(container_bytes(&c));
                    self.state.containers.insert(c.id.clone(), c);
                }
                return None;
            }
            if info.meta {
                return None;
            }
            let t = self.thread_mut(ev.tid);
            t.last_enter = Some((ev.code, fd));
            // libsinsp keeps an enter event of at most SP_EVT_BUF_SIZE bytes for its exit.
            t.last_enter_event = (payload_len(ev) <= MAX_ENTER_EVENT).then(|| ev.clone());
            let fd = fd?;
            // The table the thread uses (`State::fd_table`), without looking the thread up again.
            let fds = if t.uses_main_fds() {
                let pid = t.pid;
                self.state.main_fds_mut(pid)
            } else {
                Some(&mut t.fds)
            };
            if let Some(fds) = fds {
                if ev.name == "sendto" && !fds.contains_key(&fd) {
                    infer_sendto_socket(fds, fd, ev);
                }
                if let Some(e) = fds.get_mut(&fd) {
                    e.oldname.clone_from(&e.name);
                }
            }
            return Some(fd);
        }
        // Exit event. Its thread gets a placeholder unless the event is a meta event or a
        // clone/fork exit (libsinsp looks those up without creating an entry; the clone parser
        // creates the threads it needs).
        if !info.meta && !matches!(ev.name, "clone" | "fork" | "vfork" | "clone3") {
            self.thread_mut(ev.tid);
        }
        // The fd of the matching enter event, or the event's own. Events are paired by their
        // table names (a generic event's own name is its syscall's).
        let enter = self.state.threads.get_mut(&ev.tid).and_then(|t| {
            let e = t.last_enter.take();
            let ee = t.last_enter_event.take();
            match e {
                // A successful execveat returns as an execve exit.
                Some((code, fd))
                    if table::event_info(code).is_some_and(|i| {
                        i.name == info.name || (i.name == "execveat" && info.name == "execve")
                    }) =>
                {
                    Some((fd, ee))
                }
                _ => None,
            }
        });
        let (enter_fd, enter_ev) = enter.unwrap_or((None, None));
        self.current_enter.clone_from(&enter_ev);
        let own_fd = param_int(ev, "fd").filter(|f| *f >= 0);
        let res = ev.params.first().and_then(|p| int_of(&p.value));
        // The fd this exit event looks up: libsinsp snapshots its name then (`m_oldname`).
        if let Some(fd) = enter_fd.or(own_fd) {
            self.state.with_fds(ev.tid, |fds| {
                if let Some(e) = fds.get_mut(&fd) {
                    e.oldname.clone_from(&e.name);
                }
            });
        }
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
        // Dispatched on the table name: a generic event renamed after its syscall updates nothing.
        match info.name {
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => {
                let fd = own_fd?;
                let name = get("name")
                    .or_else(|| get("path"))
                    .and_then(str_of)
                    .unwrap_or_default();
                let flags = get("flags").and_then(int_of).map(|f| f as u64);
                let dirfd = get("dirfd").and_then(int_of).unwrap_or(AT_FDCWD);
                let state = &self.state;
                let t = &state.threads[&ev.tid];
                let base = if dirfd == AT_FDCWD || ev.name == "open" || ev.name == "creat" {
                    state.cwd_of(t)
                } else {
                    state
                        .fd_table(t)
                        .and_then(|fds| fds.get(&dirfd))
                        .map_or("", |f| f.name.as_str())
                };
                let name_raw = name.clone();
                let name = if name.is_empty() {
                    name
                } else {
                    join_path(base, &name)
                };
                let typechar = if flags.is_some_and(|f| f & PPM_O_DIRECTORY != 0) {
                    'd'
                } else {
                    'f'
                };
                let e = FdEntry {
                    name,
                    typechar,
                    flags,
                    name_raw,
                    l4proto: L4_NA,
                    ..Default::default()
                };
                self.state.with_fds(ev.tid, |fds| fd_insert(fds, fd, e));
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
                let sock_type = get("type").and_then(int_of).unwrap_or(0) as u64;
                let l4proto = if matches!(typechar, '4' | '6') {
                    let proto = get("proto").and_then(int_of).unwrap_or(0) as u64;
                    socket_l4proto(sock_type, proto)
                } else {
                    L4_UNKNOWN
                };
                let e = FdEntry {
                    typechar,
                    l4proto,
                    flags: cloexec_flags(sock_type & SOCK_CLOEXEC != 0),
                    ..Default::default()
                };
                self.state.with_fds(ev.tid, |fds| fd_insert(fds, fd, e));
                Some(fd)
            }
            "accept" | "accept4" => {
                let fd = own_fd?;
                let (name, typechar) = match get("tuple") {
                    Some(Value::SockTuple(t)) => sockaddr_name(t).unwrap_or_default(),
                    _ => (String::new(), 'o'),
                };
                // An accepted inet socket is a TCP server end (libsinsp `parse_accept_exit`).
                let l4proto = if matches!(typechar, '4' | '6') {
                    L4_TCP
                } else {
                    L4_NA
                };
                // accept4's raw flags may carry SOCK_CLOEXEC.
                let cloexec = ev.name == "accept4"
                    && get("flags")
                        .and_then(int_of)
                        .is_some_and(|f| f as u64 & SOCK_CLOEXEC != 0);
                let e = FdEntry {
                    name,
                    typechar,
                    l4proto,
                    role: SockRole::Server,
                    flags: cloexec_flags(cloexec),
                    ..Default::default()
                };
                self.state.with_fds(ev.tid, |fds| fd_insert(fds, fd, e));
                Some(fd)
            }
            "connect" => {
                let fd = enter_fd.or(own_fd)?;
                // A failed connect (other than one in progress) leaves the fd as it was
                // (libsinsp `parse_connect_exit`); its `fd.name` is then the event's tuple.
                if res.is_some_and(|r| r < 0 && r != -EINPROGRESS) {
                    return Some(fd);
                }
                if let Some(Value::SockTuple(tu)) = get("tuple")
                    && let Some((name, tc)) = sockaddr_name(tu)
                {
                    self.state.with_fds(ev.tid, |fds| {
                        if fds.len() >= MAX_FDS && !fds.contains_key(&fd) {
                            return;
                        }
                        let e = fds.entry(fd).or_insert_with(|| FdEntry {
                            typechar: tc,
                            ..Default::default()
                        });
                        let mut name = name;
                        if matches!(tc, '4' | '6') {
                            // `fill_client_socket_info`: the fd becomes a connected IPv4/IPv6
                            // socket (a bound server socket too); "connect done by a udp server,
                            // swap the addresses" when the tuple changed (`is_udp_socket`: IPv4).
                            let was_server = std::mem::take(&mut e.server_socket);
                            let old = (!was_server && e.typechar == tc)
                                .then(|| InetTuple::of_name(&e.name, tc == '4'))
                                .flatten();
                            if let Some(new) = InetTuple::of_name(&name, tc == '4')
                                && e.role == SockRole::Server
                                && tc == '4'
                                && e.l4proto == L4_UDP
                                && old != Some(new)
                                && old != Some(new.swapped())
                            {
                                name = new.swapped().name();
                            }
                            e.typechar = tc;
                        } else if e.typechar == 'o' {
                            e.typechar = tc;
                        }
                        e.name = name;
                        if e.role == SockRole::None {
                            e.role = SockRole::Client;
                        }
                    });
                } else if let Some(Value::SockAddr(SockAddr::Inet { ip, port })) = get("addr")
                    && let Some(e) = self.state.fd_mut(ev.tid, fd)
                {
                    e.name = format!("{ip}:{port}");
                    if e.role == SockRole::None {
                        e.role = SockRole::Client;
                    }
                }
                Some(fd)
            }
            "bind" => {
                let fd = enter_fd.or(own_fd)?;
                if res.is_some_and(|r| r >= 0)
                    && let Some(Value::SockAddr(addr)) = get("addr")
                    && let Some(e) = self.state.fd_mut(ev.tid, fd)
                {
                    bind_socket(e, addr);
                }
                Some(fd)
            }
            // I/O calls that carry an address: the tuple of the exit (recvfrom, recvmsg) or of
            // the enter event (sendto, sendmsg; send and recv only in newer layouts).
            "sendto" | "sendmsg" | "recvfrom" | "recvmsg" | "send" | "recv" => {
                let fd = enter_fd.or(own_fd);
                if let Some(fd) = fd
                    && res.is_some_and(|r| r >= 0)
                    && let Some(Value::SockTuple(tu)) = get("tuple")
                {
                    let incoming = matches!(ev.name, "recvfrom" | "recvmsg" | "recv");
                    self.update_socket_tuple(ev.tid, fd, tu, incoming);
                }
                fd
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
                    // The copy is close-on-exec only when dup3 asks for it (O_CLOEXEC); dup and
                    // dup2 clear the flag, as the kernel does.
                    let cloexec = ev.name == "dup3"
                        && get("flags")
                            .and_then(int_of)
                            .is_some_and(|f| f as u64 & PPM_O_CLOEXEC != 0);
                    self.state.with_fds(ev.tid, |fds| {
                        if let Some(mut e) = fds.get(&old).cloned() {
                            e.flags = match (e.flags, cloexec) {
                                (Some(f), _) => Some(f & !PPM_O_CLOEXEC | cloexec_bit(cloexec)),
                                (None, c) => cloexec_flags(c),
                            };
                            fd_insert(fds, new, e);
                        }
                    });
                }
                new.or(old)
            }
            "pipe" | "pipe2" => {
                // The event's fd is the last one added (libsinsp `add_pipe`: fd2).
                let mut last = None;
                if res.is_some_and(|r| r >= 0) {
                    // pipe2's flags are open flags (PPM_O_CLOEXEC for O_CLOEXEC).
                    let flags = param_int(ev, "flags").map(|f| f as u64);
                    for k in ["fd1", "fd2"] {
                        if let Some(fd) = param_int(ev, k) {
                            let e = FdEntry {
                                typechar: 'p',
                                l4proto: L4_NA,
                                flags,
                                ..Default::default()
                            };
                            self.state.with_fds(ev.tid, |fds| fd_insert(fds, fd, e));
                            last = Some(fd);
                        }
                    }
                }
                last
            }
            "chdir" => {
                // The process's cwd (libsinsp `set_cwd`/`update_cwd`: the main thread's).
                if res == Some(0)
                    && let Some(p) = get("path").and_then(str_of)
                    && let Some(cwd) = self.state.cwd_mut(ev.tid)
                {
                    *cwd = join_path(cwd, &p);
                }
                None
            }
            "fchdir" => {
                let fd = enter_fd.or(own_fd);
                if res == Some(0)
                    && let Some(fd) = fd
                    && let Some(dir) = self
                        .state
                        .fds_of(ev.tid)
                        .and_then(|fds| fds.get(&fd))
                        .map(|e| e.name.clone())
                    && let Some(cwd) = self.state.cwd_mut(ev.tid)
                {
                    *cwd = dir;
                }
                fd
            }
            "clone" | "fork" | "vfork" | "clone3" => {
                self.parse_clone(ev, res);
                None
            }
            "execve" | "execveat" => {
                if res == Some(0) {
                    self.parse_execve(ev, enter_ev.as_ref());
                }
                None
            }
            _ => enter_fd.or(own_fd),
        }
    }

    /// A clone/fork/vfork/clone3 exit (libsinsp `parse_clone_exit_caller` / `_child`). The
    /// caller's exit creates the child unless the child lives in another pid namespace (its tid
    /// would be namespace-local); the child's own exit creates it when the caller's has not. A
    /// caller or lookup thread the capture never described is a placeholder: the event's pid,
    /// ptid, exe, comm and args patch it, and the child copies nothing else from it.
    fn parse_clone(&mut self, ev: &Event, res: Option<i64>) {
        let Some(res) = res else { return };
        if res < 0 {
            return;
        }
        let flags = param_int(ev, "flags").unwrap_or(0) as u64;
        let is_thread = flags & PPM_CL_CLONE_THREAD != 0;
        let boot_ts = self.state.boot_ts_epoch;
        let exe = param_str(ev, "exe").unwrap_or_default();
        let args = ev
            .param("args")
            .map(|p| str_list(&p.value))
            .unwrap_or_default();
        let comm = param_str(ev, "comm")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| exe.clone());
        let ev_pid = param_int(ev, "pid");
        let ev_ptid = param_int(ev, "ptid");
        let ev_vids = param_int(ev, "vtid").zip(param_int(ev, "vpid"));
        let mut child = Thread {
            tid: ev.tid,
            exe,
            args,
            comm,
            clone_ts: ev.ts,
            // Current libsinsp flags every new thread so (threads always share the main
            // thread's table), whatever the clone flags; a new process has its own table.
            clone_files: flags & PPM_CL_CLONE_FILES != 0 || is_thread,
            vpid: -1,
            sid: -1,
            vpgid: -1,
            loginuid: INVALID_ID,
            ..Default::default()
        };
        // The thread whose state the child inherits: the caller, or for a child-side exit its
        // parent (a new process) or its thread group leader (a new thread).
        let mut valid = true;
        let lookup_tid = if res > 0 {
            let caller = self.thread_mut(ev.tid);
            if caller.is_invalid() {
                valid = false;
                caller.pid = ev_pid.unwrap_or(-1) as u64;
                caller.ptid = ev_ptid.unwrap_or(-1) as u64;
                (caller.vtid, caller.vpid) = ev_vids.unwrap_or((ev.tid as i64, -1));
            }
            // A child in another pid namespace (or of an old runc, CLONE_PARENT) is left to its
            // own exit: the caller only sees its namespace-local tid.
            let in_pidns =
                flags & (PPM_CL_CHILD_IN_PIDNS | PPM_CL_CLONE_NEWPID | PPM_CL_CLONE_PARENT) != 0
                    || caller.tid as i64 != caller.vtid;
            if !valid {
                self.state.regroup(ev.tid);
            }
            let child_tid = res as u64;
            if in_pidns || self.state.threads.contains_key(&child_tid) {
                return;
            }
            let caller = &self.state.threads[&ev.tid];
            child.tid = child_tid;
            if is_thread {
                child.pid = caller.pid;
                child.ptid = caller.ptid;
            } else {
                child.pid = child_tid;
                child.ptid = ev.tid;
            }
            child.vtid = child.tid as i64;
            child.vpid = child.pid as i64;
            child.pidns_init_start_ts = boot_ts;
            ev.tid
        } else {
            // Child side: nothing to do when the caller's exit already created the thread.
            if self
                .state
                .threads
                .get(&ev.tid)
                .is_some_and(|t| t.clone_ts != 0)
            {
                return;
            }
            child.pid = ev_pid.unwrap_or(-1) as u64;
            child.ptid = ev_ptid.unwrap_or(-1) as u64;
            (child.vtid, child.vpid) = ev_vids.unwrap_or((ev.tid as i64, -1));
            let in_pidns = flags & (PPM_CL_CHILD_IN_PIDNS | PPM_CL_CLONE_NEWPID) != 0
                || child.in_pid_namespace();
            child.pidns_init_start_ts = if in_pidns {
                param_int(ev, "pidns_init_start_ts").map_or(0, |t| (t as u64).wrapping_add(boot_ts))
            } else {
                boot_ts
            };
            if is_thread { child.pid } else { child.ptid }
        };
        let lookup = self.thread_mut(lookup_tid);
        valid &= !lookup.is_invalid();
        if valid {
            child.exepath.clone_from(&lookup.exepath);
            child.exe_upper_layer = lookup.exe_upper_layer;
            child.exe_from_memfd = lookup.exe_from_memfd;
            child.exe_writable = lookup.exe_writable;
            child.sid = lookup.sid;
            child.vpgid = lookup.vpgid;
            child.tty = lookup.tty;
            child.loginuid = lookup.loginuid;
            child.cap_permitted = lookup.cap_permitted;
            child.cap_effective = lookup.cap_effective;
            child.exe_ino = lookup.exe_ino;
            child.exe_ino_ctime = lookup.exe_ino_ctime;
            child.exe_ino_mtime = lookup.exe_ino_mtime;
            child.exe_ino_ctime_duration_clone_ts = lookup.exe_ino_ctime_duration_clone_ts;
            child.container_id.clone_from(&lookup.container_id);
            // A thread uses its main thread's environment (and fd table and cwd, see below).
            if !is_thread {
                child.env.clone_from(&lookup.env);
            }
        } else if res > 0 || is_thread {
            // An unknown caller (or thread group leader) is patched from the event.
            lookup.exe.clone_from(&child.exe);
            lookup.comm.clone_from(&child.comm);
            lookup.args.clone_from(&child.args);
            if res == 0 {
                lookup.pid = child.pid;
                lookup.ptid = child.ptid;
                lookup.vpid = child.vpid;
                lookup.vtid = lookup.vpid;
                self.state.regroup(lookup_tid);
            }
        }
        if valid {
            // A new process gets a copy of the fd table the caller uses (libsinsp
            // `parse_clone_exit_caller`/`_child`: "if the child is NOT a thread, we copy all the
            // parent fds"); a new thread keeps an empty one of its own and uses its main
            // thread's ([`State::fd_table`]). The cwd is the caller's (the process's).
            let lookup = &self.state.threads[&lookup_tid];
            if !is_thread {
                child.fds = self.state.fd_table(lookup).cloned().unwrap_or_default();
            }
            child.cwd = self.state.cwd_of(lookup).to_string();
        }
        // libsinsp gives the child the caller's cwd and ignores the event's; the replay takes the
        // event's (the same path, and known even when the caller is not).
        if let Some(c) = param_str(ev, "cwd") {
            child.cwd = c;
        }
        child.uid = param_int(ev, "uid").map(|u| u as u32);
        child.gid = param_int(ev, "gid").map(|g| g as u32);
        if let Some(cg) = ev.param("cgroups").map(|p| str_list(&p.value))
            && !cg.is_empty()
        {
            child.container_id = container_from_cgroups(&cg);
        }
        self.state.insert_thread(child);
    }

    /// A successful execve/execveat exit (libsinsp `parse_execve_exit`): the thread (a
    /// placeholder when the capture never described it) takes the new program's exe, comm,
    /// args, pid and the newer exits' terminal, exe flags, capabilities, exe inode, loginuid,
    /// process group and environment; an unknown parent is patched from the event; the fds
    /// opened close-on-exec are closed; the other threads of the process are gone.
    fn parse_execve(&mut self, ev: &Event, enter: Option<&Event>) {
        self.thread_mut(ev.tid);
        // exepath: the trusted one of newer exits, else the enter event's path resolved
        // against the cwd (or the dirfd of execveat) the thread had; unchanged when neither is
        // known.
        let exepath = param_str(ev, "trusted_exepath")
            .filter(|p| !p.is_empty())
            .or_else(|| self.exec_path(ev.tid, enter?));
        let t = self.state.threads.get_mut(&ev.tid).expect("added above");
        // A main thread kept after its procexit runs again (libsinsp `resurrect_thread`: a
        // secondary thread's execve when the main thread is already dead).
        t.dead = false;
        if let Some(e) = param_str(ev, "exe") {
            t.exe = e;
        }
        if let Some(a) = ev.param("args") {
            t.args = str_list(&a.value);
        }
        // Old trace files had no comm: libsinsp then uses the exe.
        t.comm = param_str(ev, "comm").unwrap_or_else(|| t.exe.clone());
        if let Some(pid) = param_int(ev, "pid") {
            t.pid = pid as u64;
        }
        if t.is_invalid() {
            if let Some(ptid) = param_int(ev, "ptid") {
                t.ptid = ptid as u64;
            }
            t.vtid = t.tid as i64;
            t.vpid = t.pid as i64;
        }
        if let Some(p) = exepath {
            t.exepath = p;
        }
        if let Some(u) = param_int(ev, "uid") {
            t.uid = Some(u as u32);
        }
        if let Some(g) = param_int(ev, "gid") {
            t.gid = Some(g as u32);
        }
        if let Some(cg) = ev.param("cgroups").map(|p| str_list(&p.value))
            && !cg.is_empty()
        {
            t.container_id = container_from_cgroups(&cg);
        }
        if let Some(Value::Bytes(env)) = ev.param("env").map(|p| &p.value) {
            t.env = env_list(env);
        }
        // Newer execve exits carry the terminal, the exe flags, the capability sets, the
        // process group, the loginuid and the executable's inode (libsinsp
        // `parse_execve_exit`); older ones leave the thread's values as they were.
        if let Some(tty) = param_int(ev, "tty") {
            t.tty = tty as u32;
        }
        // Parameter 17 (`vpgid` in libsinsp, named `pgid` in the event table).
        if let Some(vpgid) = param_int(ev, "pgid") {
            t.vpgid = vpgid;
        }
        if let Some(l) = param_int(ev, "loginuid") {
            t.loginuid = l as u32;
        }
        if let Some(flags) = param_int(ev, "flags") {
            let flags = flags as u64;
            t.exe_upper_layer = flags & PPM_EXE_UPPER_LAYER != 0;
            t.exe_from_memfd = flags & PPM_EXE_FROM_MEMFD != 0;
            t.exe_writable = flags & PPM_EXE_WRITABLE != 0;
        }
        if let Some(caps) = param_int(ev, "cap_effective") {
            t.cap_effective = caps as u64;
            t.cap_permitted = param_int(ev, "cap_permitted").unwrap_or(0) as u64;
        }
        if let Some(mtime) = param_int(ev, "exe_ino_mtime") {
            t.exe_ino = param_int(ev, "exe_ino").unwrap_or(0) as u64;
            t.exe_ino_ctime = param_int(ev, "exe_ino_ctime").unwrap_or(0) as u64;
            t.exe_ino_mtime = mtime as u64;
            if t.clone_ts != 0 {
                // Unsigned, as libsinsp computes it.
                t.exe_ino_ctime_duration_clone_ts = t.clone_ts.wrapping_sub(t.exe_ino_ctime);
            }
        }
        // The thread's flags are reset (`m_flags = PPM_CL_ACTIVE`): no PPM_CL_CLONE_FILES.
        t.clone_files = false;
        let pid = t.pid;
        self.state.regroup(ev.tid);
        if let Some(c) = param_str(ev, "cwd")
            && let Some(cwd) = self.state.cwd_mut(ev.tid)
        {
            *cwd = c;
        }
        // Close-on-exec: the new program does not have the fds opened with O_CLOEXEC
        // (libsinsp removes them since libs PR #2958; earlier versions kept them).
        self.state
            .with_fds(ev.tid, |fds| fds.retain(|_, e| !e.is_close_on_exec()));
        self.state.exec_clears_group(pid, ev.tid);
    }

    /// The executable path of an execve/execveat enter event, resolved against the cwd (or the
    /// dirfd) of thread `tid` (the libsinsp reconstruction for exits without
    /// `trusted_exepath`).
    fn exec_path(&self, tid: u64, enter: &Event) -> Option<String> {
        let state = &self.state;
        let t = state.threads.get(&tid)?;
        let cwd = state.cwd_of(t);
        match enter.name {
            "execve" => {
                param_str(enter, "filename").map(|f| if f == NA { f } else { join_path(cwd, &f) })
            }
            "execveat" => {
                let dirfd = param_int(enter, "dirfd").unwrap_or(AT_FDCWD);
                let path = param_str(enter, "pathname").unwrap_or_default();
                let empty_path =
                    param_int(enter, "flags").is_some_and(|f| f & PPM_EXVAT_AT_EMPTY_PATH != 0);
                let dir = if path.starts_with('/') {
                    Some(String::new())
                } else if dirfd == AT_FDCWD {
                    Some(cwd.to_string())
                } else {
                    state
                        .fd_table(t)
                        .and_then(|fds| fds.get(&dirfd))
                        .map(|f| f.name.clone())
                };
                Some(match dir {
                    None => NA.to_string(),
                    Some(_) if path == NA && !empty_path => NA.to_string(),
                    Some(d) if empty_path => normalize(&d),
                    Some(d) => join_path(&d, &path),
                })
            }
            _ => None,
        }
    }
}

/// libsinsp `infer_sendto_fdinfo` (parsers.cpp, on the sendto enter event of Falco 0.34-era
/// libs; current libs do it on send/sendto/sendmsg exits): a sendto on an fd the thread does
/// not have, to an IPv4/IPv6 address, is taken for a UDP socket created before the capture
/// (`add_socket(fd, domain, SOCK_DGRAM, IPPROTO_UDP)`: no name, no role yet).
/// The bytes of an event's parameters (as its payload on file, near enough).
fn payload_len(ev: &Event) -> usize {
    ev.params
        .iter()
        .map(|p| match &p.value {
            Value::Str(s) => s.len(),
            Value::Bytes(b) | Value::Raw(b) => b.len(),
            Value::StrList(l) => l.iter().map(|s| s.len() + 1).sum(),
            Value::FdList(l) => l.len() * 10,
            Value::SockTuple(SockTuple::Unix { path, .. }) => path.len() + 17,
            Value::SockAddr(SockAddr::Unix(path)) => path.len() + 1,
            _ => 8,
        })
        .sum()
}

fn infer_sendto_socket(fds: &mut Map<i64, FdEntry>, fd: i64, ev: &Event) {
    let Some(Value::SockTuple(SockTuple::Inet { sip, .. })) = ev.param("tuple").map(|p| &p.value)
    else {
        return;
    };
    fd_insert(
        fds,
        fd,
        FdEntry {
            // The address family decides (AF_INET6 even for IPv4-mapped addresses).
            typechar: if sip.is_ipv4() { '4' } else { '6' },
            l4proto: L4_UDP,
            ..Default::default()
        },
    );
}

/// libsinsp `parse_bind_exit` after a successful bind: an IPv4/IPv6 address with a port makes
/// the fd a server socket (`SCAP_FD_IPV4_SERVSOCK`/`IPV6_SERVSOCK` — an IPv4-mapped address an
/// IPv4 one — keeping the socket's protocol, role server); whatever the address, the fd is then
/// named after it (`get_param_as_str`: `ip:port`, a unix path, ...).
fn bind_socket(e: &mut FdEntry, addr: &SockAddr) {
    match *addr {
        SockAddr::Inet { ip, port } => {
            let ip = unmap(ip);
            if port > 0 {
                e.typechar = if ip.is_ipv4() { '4' } else { '6' };
                e.server_socket = true;
                e.role = SockRole::Server;
            }
            e.name = format!("{ip}:{port}");
        }
        _ => e.name = Value::SockAddr(addr.clone()).to_string(),
    }
}

/// libsinsp `sinsp_fdinfo::set_net_role_by_guessing` for socket `fd` whose tuple is now `cur`:
/// client unless the thread "is bound to" the port (an IPv4 socket with that destination port
/// or an IPv4 server socket on it), server unless it "uses" the client port (an IPv4 socket
/// with that source port), else by direction (reads: server, writes: client). The ports are
/// read through the IPv4 view of the union (see [`InetTuple::ipv4_view_ports`]), so an IPv4
/// socket always falls through to the direction (it matches itself), and an IPv6 one is a
/// client unless an IPv4 socket of the thread happens to have such a port.
fn guess_role(fds: &Map<i64, FdEntry>, fd: i64, cur: &InetTuple, incoming: bool) -> SockRole {
    let (sport, dport) = cur.ipv4_view_ports();
    // (is a server socket, source port, destination port) of the thread's IPv4 sockets.
    let ipv4 = || {
        fds.iter().filter_map(move |(n, e)| {
            if *n == fd {
                return cur.sip.is_ipv4().then_some((false, cur.sport, cur.dport));
            }
            if e.typechar != '4' {
                return None;
            }
            if e.server_socket {
                let port = e.name.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
                return Some((true, 0, port.unwrap_or(0)));
            }
            // A socket no event named has libsinsp's zeroed tuple; so has a socket bound to
            // port 0 (named `ip:0`).
            let t = InetTuple::of_name(&e.name, true);
            Some((false, t.map_or(0, |t| t.sport), t.map_or(0, |t| t.dport)))
        })
    };
    let bound = ipv4().any(|(_, _, d)| d == dport);
    let uses_client_port = ipv4().any(|(server, s, _)| !server && s == sport);
    // "We just assume that a server usually starts with a read and a client with a write."
    if !bound || (uses_client_port && !incoming) {
        SockRole::Client
    } else {
        SockRole::Server
    }
}

impl Inspector {
    /// A successful read or write that carries a socket address, on a socket not named yet or
    /// not an IPv4 TCP one (`is_tcp_socket`): libsinsp `parse_rw_exit` with `update_fd`
    /// (parsers.cpp) and `sinsp_network_interfaces::update_fd` (ifinfo.cpp). The tuple (an IPv4
    /// one makes the fd an IPv4 socket; an IPv6 one of two IPv4-mapped addresses too) replaces
    /// the socket's unless it is the same one in either direction; the protocol becomes UDP if
    /// unknown, an unspecified address gets the interface address inferred from the other end;
    /// a socket without a role gets a guessed one ([`guess_role`]); a client's received tuple
    /// and a server's sent tuple are swapped, so that the name stays `client->server`. A unix
    /// tuple makes the fd a unix socket named after it.
    fn update_socket_tuple(&mut self, tid: u64, fd: i64, tuple: &SockTuple, incoming: bool) {
        let Some(fds) = self.state.fds_of(tid) else {
            return;
        };
        let Some(e) = fds.get(&fd) else {
            return;
        };
        let is_tcp = e.typechar == '4' && !e.server_socket && e.l4proto == L4_TCP;
        if !e.name.is_empty() && is_tcp {
            return;
        }
        let Some(mut new) = inet_tuple(tuple) else {
            if let SockTuple::Unix { .. } = tuple {
                let e = self.fd_mut(tid, fd);
                e.typechar = 'u';
                e.server_socket = false;
                e.name = tuple.to_string();
            }
            // Other families leave the addresses as they were (libsinsp then renames an
            // IPv4/IPv6 socket after its unchanged tuple; not reproduced).
            return;
        };
        let v4 = new.sip.is_ipv4();
        let is_sock = |c: char| matches!(c, '4' | '6') && !e.server_socket;
        // `set_ipv4_addresses_and_ports` / `set_ipv6_addresses_and_ports`: no change when the
        // fd (of that type: an IPv4 tuple makes it IPv4 first) already has the tuple, in either
        // direction; a server socket's union holds other data.
        let same_type = is_sock(e.typechar) && (e.typechar == '4') == v4;
        let old = if same_type {
            InetTuple::of_name(&e.name, v4)
        } else if !v4 && !e.server_socket {
            InetTuple::of_name(&e.name, v4).filter(|o| o.sip.is_ipv4() == v4)
        } else {
            None
        };
        if old == Some(new) || (same_type && old == Some(new.swapped())) {
            return;
        }
        // An IPv6 tuple leaves the fd's type as it was (`update_fd` only sets it for IPv4).
        let typechar = if v4 { '4' } else { e.typechar };
        let socket = matches!(typechar, '4' | '6') && (v4 || !e.server_socket);
        let role = if socket {
            self.state.complete_tuple(&mut new);
            match e.role {
                SockRole::None => guess_role(fds, fd, &new, incoming),
                r => r,
            }
        } else {
            e.role
        };
        let name = if !socket {
            // Not an IPv4/IPv6 socket: `get_param_as_str` of the tuple.
            tuple.to_string()
        } else if (incoming && role == SockRole::Client) || (!incoming && role == SockRole::Server)
        {
            new.swapped().name()
        } else {
            new.name()
        };
        let e = self.fd_mut(tid, fd);
        if socket {
            e.typechar = typechar;
            e.server_socket = false;
            e.role = role;
            // "If we reach this point and the protocol is not set yet, we assume this
            // connection is UDP".
            if matches!(e.l4proto, L4_UNKNOWN | L4_NA) {
                e.l4proto = L4_UDP;
            }
        }
        e.name = name;
    }

    /// An fd known to exist.
    fn fd_mut(&mut self, tid: u64, fd: i64) -> &mut FdEntry {
        self.state.fd_mut(tid, fd).expect("fd looked up before")
    }
}
