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
//!   execve/execveat exits (comm, exe, args, cwd, uid, container, environment, loginuid,
//!   capabilities, exe inode; fds opened close-on-exec are closed), `procexit` (removed before
//!   the next event). A syscall event of a thread none of these described gets libsinsp's
//!   placeholder entry (comm/exe `<NA>`, pid/ptid -1, uid/gid/loginuid 0xffffffff, see
//!   [`Thread::placeholder`]), which execve and clone exits then patch;
//! * fd tables come from the fd lists, then open/openat/openat2/creat/open_by_handle_at exits
//!   (path resolved against the cwd or dirfd), socket/accept/connect, dup*, pipe*, close (removed
//!   before the next event, so the close exit still sees the fd);
//! * an event's fd is its `fd` parameter for enter events; for exit events the fd the matching
//!   enter event used, or the exit's own `fd` parameter (new-style events, creating syscalls);
//! * container metadata (name, image repository, privileged, labels, ip, mounts) comes from the
//!   capture's container events; capabilities, terminal, exe flags, session and group ids,
//!   loginuid, environment and exe inode from the process list and execve exits; the hostname,
//!   boot time and interface addresses (local vs remote socket ends) from the machine info and
//!   interface blocks.
//!
//! Missing values are `None` (a false check for the engine).

use crate::detect::Detector;
use crate::eval::FieldSource;
use crate::output::Alert;
use bulkhead_scap::{
    Block, Capture, Converter, Direction, Event, FdDetail, FdInfo, InterfaceAddr, ParamType,
    SockAddr, SockTuple, ThreadInfo, Value, decode, table,
};
use std::collections::HashMap;
use std::path::Path;

const PPM_O_RDONLY: u64 = 1;
const PPM_O_WRONLY: u64 = 2;
const PPM_O_CREAT: u64 = 1 << 2;
const PPM_O_DIRECTORY: u64 = 1 << 10;
const PPM_O_CLOEXEC: u64 = 1 << 12;
const PPM_O_TMPFILE: u64 = 1 << 13;
/// `PPM_S_IXUSR | PPM_S_IXGRP | PPM_S_IXOTH`: the exec bits of an open mode.
const PPM_S_IXANY: u64 = (1 << 6) | (1 << 3) | 1;
/// `SOCK_CLOEXEC`, or-ed into the raw `type` of socket() (and accept4's raw flags).
const SOCK_CLOEXEC: u64 = 0o2000000;
const AT_FDCWD: i64 = -100;
/// Clone flags in the driver's encoding (`PPM_CL_*`, driver/ppm_events_public.h).
const PPM_CL_CLONE_NEWPID: u64 = 1 << 6;
const PPM_CL_CLONE_PARENT: u64 = 1 << 8;
const PPM_CL_CLONE_THREAD: u64 = 1 << 13;
const PPM_CL_CHILD_IN_PIDNS: u64 = 1 << 29;
/// What libsinsp stores for an unknown comm/exe and an unknown uid/gid/loginuid.
const NA: &str = "<NA>";
const INVALID_ID: u32 = u32::MAX;

/// `SCAP_L4_*` transport protocols of socket fds.
const L4_UNKNOWN: u8 = 0;
const L4_NA: u8 = 1;
const L4_TCP: u8 = 2;
const L4_UDP: u8 = 3;
const L4_ICMP: u8 = 4;
const L4_RAW: u8 = 5;
/// Execve exit flags (`PPM_EXE_*`).
const PPM_EXE_UPPER_LAYER: u64 = 1 << 1;
const PPM_EXE_FROM_MEMFD: u64 = 1 << 2;
/// `PPM_EXVAT_AT_EMPTY_PATH`: execveat on the dirfd itself.
const PPM_EXVAT_AT_EMPTY_PATH: i64 = 1;
/// `-EINPROGRESS`: a non-blocking connect that is under way still connects the fd.
const EINPROGRESS: i64 = 115;

/// The role libsinsp gives a socket fd (`FLAGS_ROLE_CLIENT` / `FLAGS_ROLE_SERVER`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SockRole {
    /// Not known yet (a socket that was only created, an IPv6 socket of the fd list).
    #[default]
    None,
    Client,
    Server,
}

/// What an fd refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FdEntry {
    /// `fd.name`: path for files, `sip:sport->dip:dport` for connected sockets, ...
    pub name: String,
    /// `fd.typechar`.
    pub typechar: char,
    /// Open flags (PPM encoding) when known.
    pub flags: Option<u64>,
    /// `fd.nameraw`: the path as the open/openat/creat call passed it (libsinsp `m_name_raw`,
    /// empty for every other fd, including those of the fd list).
    pub name_raw: String,
    /// Transport protocol of a socket (`SCAP_L4_*`).
    pub l4proto: u8,
    /// Socket role.
    pub role: SockRole,
    /// An IPv4/IPv6 listening socket of the fd list (`SCAP_FD_IPV*_SERVSOCK`, named `ip:port`).
    pub server_socket: bool,
    /// The name when the current event looked the fd up (libsinsp `m_oldname`, snapshot in
    /// `get_fd()`); a new fd starts with an empty one. `fd.name_changed` compares the two.
    oldname: String,
}

impl FdEntry {
    /// libsinsp `sinsp_fdinfo::get_typestring` (`<NA>` for unknown/unsupported fds).
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
            'P' => "pidfd",
            _ => NA,
        }
    }

    /// libsinsp `sinsp_fdinfo::is_close_on_exec` for the fds the replay tracks flags of (the
    /// open family, pipe2, dup3, socket/accept4 with `SOCK_CLOEXEC`, files of the fd list).
    fn is_close_on_exec(&self) -> bool {
        self.flags.is_some_and(|f| f & PPM_O_CLOEXEC != 0)
    }
}

/// A thread as the replay knows it.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub tid: u64,
    /// Process id; `u64::MAX` (-1) for a placeholder thread (see [`Thread::placeholder`]).
    pub pid: u64,
    /// Parent thread id; `u64::MAX` (-1) when unknown.
    pub ptid: u64,
    /// Ids as seen from the thread's pid namespace, session id and process group id as seen from
    /// it (libsinsp `m_vtid`, `m_vpid`, `m_sid`, `m_vpgid`; -1 when unknown).
    pub vtid: i64,
    pub vpid: i64,
    pub sid: i64,
    pub vpgid: i64,
    /// Audit user id (`u32::MAX` when unset, as libsinsp).
    pub loginuid: u32,
    /// Environment (`NAME=value` entries), for the main thread of a process.
    pub env: Vec<String>,
    /// Permitted capabilities (kernel bit order).
    pub cap_permitted: u64,
    /// Inode and ctime/mtime (epoch ns) of the executable, 0 when unknown.
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    /// libsinsp `m_exe_ino_ctime_duration_clone_ts`: clone time minus the executable's ctime,
    /// set by execve exits of threads whose clone was seen (0 otherwise).
    pub exe_ino_ctime_duration_clone_ts: u64,
    /// Start of the thread's pid namespace (epoch ns, 0 when unknown).
    pub pidns_init_start_ts: u64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub cwd: String,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub container_id: Option<String>,
    /// `proc.tty`: controlling terminal (0 for none).
    pub tty: u32,
    /// Effective capabilities (kernel bit order, as libsinsp stores them).
    pub cap_effective: u64,
    /// `proc.is_exe_upper_layer` / `proc.is_exe_from_memfd` (execve flags).
    pub exe_upper_layer: bool,
    pub exe_from_memfd: bool,
    /// Time the thread was created by a clone/fork seen in the capture (0: unknown, as for the
    /// threads of the process list, whose files do not record it).
    pub clone_ts: u64,
    pub fds: HashMap<i64, FdEntry>,
    /// (code, fd) of the last enter event of this thread.
    last_enter: Option<(u16, Option<i64>)>,
    /// The last enter event (for exits of old captures that lack enter-only parameters).
    last_enter_event: Option<Event>,
}

impl Thread {
    /// The entry libsinsp adds for an event of a thread it does not know when it cannot read
    /// `/proc` (a capture): `sinsp_thread_manager::get_thread_ref`'s "fake entry" — comm and exe
    /// `<NA>`, pid and ptid -1, uid, gid and loginuid 0xffffffff, as current libsinsp sets it
    /// (older sources — sysdig's, libs of 2021 — set the pid to the tid and left the loginuid;
    /// see `docs/runtime.md`). execve and clone exits then fill it (`is_invalid` callers and
    /// lookup threads).
    pub fn placeholder(tid: u64) -> Thread {
        Thread {
            tid,
            pid: u64::MAX,
            ptid: u64::MAX,
            vtid: -1,
            vpid: -1,
            sid: -1,
            vpgid: -1,
            comm: NA.into(),
            exe: NA.into(),
            uid: Some(INVALID_ID),
            gid: Some(INVALID_ID),
            loginuid: INVALID_ID,
            ..Default::default()
        }
    }

    /// libsinsp `sinsp_threadinfo::is_invalid`: tid, pid or ptid unknown (negative).
    pub fn is_invalid(&self) -> bool {
        (self.tid as i64) < 0 || (self.pid as i64) < 0 || (self.ptid as i64) < 0
    }

    /// libsinsp `is_in_pid_namespace`: the thread's tid differs from its namespace tid.
    fn in_pid_namespace(&self) -> bool {
        self.tid as i64 != self.vtid
    }
}

/// libsinsp `sinsp_threadinfo::set_env`: NUL-separated entries, stopping where the rest of the
/// buffer is only NULs (empty entries before that are kept).
fn env_list(b: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        if rest[0] == 0 && rest.iter().all(|&c| c == 0) {
            break;
        }
        let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out
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
        21 => 'P',
        _ => 'o',
    };
    let mut e = FdEntry {
        typechar,
        l4proto: L4_NA,
        ..Default::default()
    };
    match &fd.detail {
        FdDetail::Name(n) => e.name = n.clone(),
        FdDetail::File {
            open_flags, name, ..
        } => {
            e.name = name.clone();
            e.flags = Some(*open_flags as u64);
        }
        FdDetail::Ipv4Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            e.name = format!("{sip}:{sport}->{dip}:{dport}");
            e.l4proto = *l4proto;
            // libsinsp's `fix_sockets_coming_from_proc` makes every IPv4 socket of the process
            // list a client (or a server when its port is a listening one); IPv6 ones keep no
            // role.
            e.role = SockRole::Client;
        }
        FdDetail::Ipv6Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            e.name = format!("{sip}:{sport}->{dip}:{dport}");
            e.l4proto = *l4proto;
        }
        FdDetail::Ipv4Server { ip, port, l4proto } => {
            e.name = format!("{ip}:{port}");
            e.l4proto = *l4proto;
            e.server_socket = true;
        }
        FdDetail::Ipv6Server { ip, port, l4proto } => {
            e.name = format!("{ip}:{port}");
            e.l4proto = *l4proto;
            e.server_socket = true;
        }
        FdDetail::Unix {
            source,
            destination,
            name,
        } => e.name = format!("{source:x}->{destination:x} {name}"),
        FdDetail::Unknown => {}
    }
    e
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
        tty: t.tty.unwrap_or(0),
        cap_effective: t.cap_effective.unwrap_or(0),
        exe_upper_layer: t.exe_upper_layer.unwrap_or(false),
        exe_from_memfd: t.exe_from_memfd.unwrap_or(false),
        // Entries older than a field get libscap's savefile defaults (-1, 0xffffffff, 0).
        vtid: t.vtid.unwrap_or(-1),
        vpid: t.vpid.unwrap_or(-1),
        sid: t.sid.map_or(-1, |s| s as i64),
        vpgid: t.vpgid.map_or(-1, |g| g as i64),
        loginuid: t.loginuid.map_or(INVALID_ID, |l| l as u32),
        env: env_list(&t.env),
        cap_permitted: t.cap_permitted.unwrap_or(0),
        exe_ino: t.exe_ino.unwrap_or(0),
        exe_ino_ctime: t.exe_ino_ctime.unwrap_or(0),
        exe_ino_mtime: t.exe_ino_mtime.unwrap_or(0),
        pidns_init_start_ts: t.pidns_init_start_ts.unwrap_or(0),
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
        cgroups: cgroups.join("\0").into_bytes(),
        ..Default::default()
    };
    t.container_id()
}

/// Capability names in bit order (`sinsp_utils::caps_to_string`'s table, the kernel's
/// `CAP_*` numbering that both the process list and the execve `cap_*` parameters use).
const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability set as libsinsp prints it: the names of the set bits in bit order, separated
/// by one space (empty for no capability; bits past the table are ignored).
fn caps_to_string(caps: u64) -> String {
    CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(i, _)| caps & (1u64 << i) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `PPM_O_CLOEXEC` when `on`.
fn cloexec_bit(on: bool) -> u64 {
    if on { PPM_O_CLOEXEC } else { 0 }
}

/// Open flags of an fd whose only known flag is close-on-exec.
fn cloexec_flags(on: bool) -> Option<u64> {
    on.then_some(PPM_O_CLOEXEC)
}

/// `SCAP_L4_*` of a new socket (libsinsp `sinsp_parser::add_socket`).
fn socket_l4proto(sock_type: u64, protocol: u64) -> u8 {
    const SOCK_STREAM: u64 = 1;
    const SOCK_DGRAM: u64 = 2;
    const SOCK_RAW: u64 = 3;
    let raw_or = |p| if sock_type == SOCK_RAW { L4_RAW } else { p };
    match protocol {
        6 => raw_or(L4_TCP),  // IPPROTO_TCP
        17 => raw_or(L4_UDP), // IPPROTO_UDP
        0 => match sock_type & 0xff {
            // IPPROTO_IP: the type decides (masked: SOCK_NONBLOCK/SOCK_CLOEXEC are or-ed in)
            SOCK_STREAM => L4_TCP,
            SOCK_DGRAM => L4_UDP,
            _ => L4_UNKNOWN,
        },
        1 => raw_or(L4_ICMP), // IPPROTO_ICMP
        255 => L4_RAW,        // IPPROTO_RAW
        _ => L4_UNKNOWN,
    }
}

/// libsinsp `remove_duplicate_path_separators` (applied to `fd.nameraw`).
fn dedup_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Container metadata as the container events of a capture carry it (libsinsp
/// `parse_container_json_evt`; the container engines that fill it live are not part of a replay).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    /// `sinsp_container_type`: 0 docker, 1 lxc, 2 libvirt-lxc, 3 mesos, 4 rkt, 5 custom, 6 cri,
    /// 7 containerd, 8 cri-o, ...
    pub ctype: u64,
    pub name: String,
    pub image: String,
    /// `imagerepo` (`container.image.repository`).
    pub image_repository: String,
    pub privileged: bool,
    pub labels: HashMap<String, String>,
    /// `ip` (IPv4), used to tell local from remote socket ends of containerized threads.
    pub ip: Option<std::net::Ipv4Addr>,
    /// `Mounts` (docker inspect form), in order.
    pub mounts: Vec<ContainerMount>,
}

/// One mount of a container (libsinsp `container_mount_info`, parsed from the `Mounts` array of a
/// container event: `Source`, `Destination`, `Mode`, `RW`, `Propagation`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerMount {
    pub source: String,
    pub dest: String,
    pub mode: String,
    pub rdwr: bool,
    pub propagation: String,
}

impl ContainerMount {
    /// `container_mount_info::to_string`: `source:dest:mode:rdwr:propagation`.
    fn to_field(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source, self.dest, self.mode, self.rdwr, self.propagation
        )
    }
}

impl ContainerInfo {
    /// `sinsp_container_info::mount_by_idx` / `mount_by_source` (glob on the source, first
    /// match), as `container.mount.*[arg]` select a mount: by number, else by source path.
    fn mount_by_arg(&self, arg: &str) -> Option<&ContainerMount> {
        match arg.trim().parse::<i32>() {
            Ok(i) => usize::try_from(i).ok().and_then(|i| self.mounts.get(i)),
            Err(_) => self
                .mounts
                .iter()
                .find(|m| crate::eval::fnmatch(arg, &m.source, false)),
        }
    }
    /// libsinsp `is_docker_compatible`: the types whose privileged status is known.
    fn docker_compatible(&self) -> bool {
        matches!(self.ctype, 0 | 6 | 7 | 8)
    }

    /// From a container event: the JSON form (`{"container":{...}}`) or the oldest one
    /// (`id`, `type`, `name`, `image` parameters).
    fn from_event(ev: &Event) -> Option<ContainerInfo> {
        if let Some(json) = param_str(ev, "json") {
            let v: serde_json::Value = serde_json::from_str(json.trim_end_matches('\0')).ok()?;
            let c = v.get("container")?;
            let s = |k: &str| {
                c.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let labels = c
                .get("labels")
                .and_then(|l| l.as_object())
                .map(|l| {
                    l.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            return Some(ContainerInfo {
                id: c.get("id")?.as_str()?.to_string(),
                ctype: c.get("type").and_then(|t| t.as_u64()).unwrap_or(0),
                name: s("name"),
                image: s("image"),
                image_repository: s("imagerepo"),
                privileged: c
                    .get("privileged")
                    .and_then(|p| p.as_bool())
                    .unwrap_or(false),
                labels,
                ip: c
                    .get("ip")
                    .and_then(|i| i.as_str())
                    .and_then(|i| i.parse().ok()),
                mounts: c
                    .get("Mounts")
                    .and_then(|m| m.as_array())
                    .into_iter()
                    .flatten()
                    .map(|m| {
                        let s = |k: &str| {
                            m.get(k)
                                .and_then(|x| x.as_str())
                                .unwrap_or_default()
                                .to_string()
                        };
                        ContainerMount {
                            source: s("Source"),
                            dest: s("Destination"),
                            mode: s("Mode"),
                            rdwr: m.get("RW").and_then(|x| x.as_bool()).unwrap_or(false),
                            propagation: s("Propagation"),
                        }
                    })
                    .collect(),
            });
        }
        Some(ContainerInfo {
            id: param_str(ev, "id")?,
            ctype: param_int(ev, "type").unwrap_or(0) as u64,
            name: param_str(ev, "name").unwrap_or_default(),
            image: param_str(ev, "image").unwrap_or_default(),
            ..Default::default()
        })
    }
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
    /// Containers by (short) id, from the capture's container events.
    pub containers: HashMap<String, ContainerInfo>,
    /// The capture's machine info: hostname (`evt.hostname`) and boot time (epoch ns, 0 in
    /// captures older than libs 0.10, whose field was reserved).
    pub hostname: Option<String>,
    pub boot_ts_epoch: u64,
    /// Addresses of the capture's network interfaces (libsinsp `sinsp_network_interfaces`),
    /// which tell the local end of a socket from the remote one.
    pub ipv4_interfaces: Vec<std::net::Ipv4Addr>,
    pub ipv6_interfaces: Vec<std::net::Ipv6Addr>,
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
    /// The enter event matching the current exit event (for parameters only enter events have).
    current_enter: Option<Event>,
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
            current_enter: None,
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
        Ok(self.current_event())
    }

    /// The event last processed, with the state after its parsing.
    fn current_event(&self) -> Option<SyscallEvent<'_>> {
        Some(SyscallEvent {
            event: self.current.as_ref()?,
            num: self.events_read,
            state: &self.state,
            fd: self.current_fd,
            enter: self.current_enter.as_ref(),
        })
    }

    /// Count one (decoded, converted) event and parse it into the state.
    fn process(&mut self, ev: Event) {
        self.events_read += 1;
        self.flush_pending();
        self.current_fd = self.parse(&ev);
        self.current = Some(ev);
    }

    /// Read up to the next event and parse it; false at the end of the capture.
    fn advance(&mut self) -> Result<bool, String> {
        loop {
            let block = self.cap.next_block().map_err(|e| e.to_string())?;
            let Some(block) = block else {
                return Ok(false);
            };
            match block {
                Block::MachineInfo(mi) => {
                    self.state.hostname = Some(mi.hostname);
                    self.state.boot_ts_epoch = mi.boot_ts_epoch;
                }
                Block::Interfaces(ifs) => {
                    for i in ifs {
                        match i.addr {
                            InterfaceAddr::V4 { addr, .. } => self.state.ipv4_interfaces.push(addr),
                            InterfaceAddr::V6 { addr, .. } => self.state.ipv6_interfaces.push(addr),
                        }
                    }
                }
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
                    let th = self
                        .state
                        .threads
                        .entry(tid)
                        .or_insert_with(|| Thread::placeholder(tid));
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
                    self.process(ev);
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

    /// The event thread, a placeholder when the capture never described it (libsinsp
    /// `sinsp_parser::reset` looks every syscall event's thread up with `query_os`).
    fn thread_mut(&mut self, tid: u64) -> &mut Thread {
        self.state
            .threads
            .entry(tid)
            .or_insert_with(|| Thread::placeholder(tid))
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
                if let Some(c) = ContainerInfo::from_event(ev) {
                    self.state.containers.insert(c.id.clone(), c);
                }
                return None;
            }
            if info.meta {
                return None;
            }
            let t = self.thread_mut(ev.tid);
            t.last_enter = Some((ev.code, fd));
            t.last_enter_event = Some(ev.clone());
            if let Some(e) = fd.and_then(|fd| t.fds.get_mut(&fd)) {
                e.oldname.clone_from(&e.name);
            }
            return fd;
        }
        // Exit event. Its thread gets a placeholder unless the event is a meta event or a
        // clone/fork exit (libsinsp looks those up without creating an entry; the clone parser
        // creates the threads it needs).
        if !info.meta && !matches!(ev.name, "clone" | "fork" | "vfork" | "clone3") {
            self.thread_mut(ev.tid);
        }
        // The fd of the matching enter event, or the event's own.
        let enter = self.state.threads.get_mut(&ev.tid).and_then(|t| {
            let e = t.last_enter.take();
            let ee = t.last_enter_event.take();
            match e {
                // A successful execveat returns as an execve exit.
                Some((code, fd))
                    if table::event_info(code).is_some_and(|i| {
                        i.name == ev.name || (i.name == "execveat" && ev.name == "execve")
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
        if let Some(e) = enter_fd.or(own_fd).and_then(|fd| {
            self.state
                .threads
                .get_mut(&ev.tid)
                .and_then(|t| t.fds.get_mut(&fd))
        }) {
            e.oldname.clone_from(&e.name);
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
                let name_raw = name.clone();
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
                        name_raw,
                        l4proto: L4_NA,
                        ..Default::default()
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
                let sock_type = get("type").and_then(int_of).unwrap_or(0) as u64;
                let l4proto = if matches!(typechar, '4' | '6') {
                    let proto = get("proto").and_then(int_of).unwrap_or(0) as u64;
                    socket_l4proto(sock_type, proto)
                } else {
                    L4_UNKNOWN
                };
                self.thread_mut(ev.tid).fds.insert(
                    fd,
                    FdEntry {
                        typechar,
                        l4proto,
                        flags: cloexec_flags(sock_type & SOCK_CLOEXEC != 0),
                        ..Default::default()
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
                self.thread_mut(ev.tid).fds.insert(
                    fd,
                    FdEntry {
                        name,
                        typechar,
                        l4proto,
                        role: SockRole::Server,
                        flags: cloexec_flags(cloexec),
                        ..Default::default()
                    },
                );
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
                    let t = self.thread_mut(ev.tid);
                    let e = t.fds.entry(fd).or_insert_with(|| FdEntry {
                        typechar: tc,
                        ..Default::default()
                    });
                    e.name = name;
                    if e.typechar == 'o' {
                        e.typechar = tc;
                    }
                    if e.role == SockRole::None {
                        e.role = SockRole::Client;
                    }
                } else if let Some(Value::SockAddr(SockAddr::Inet { ip, port })) = get("addr") {
                    let t = self.thread_mut(ev.tid);
                    if let Some(e) = t.fds.get_mut(&fd) {
                        e.name = format!("{ip}:{port}");
                        if e.role == SockRole::None {
                            e.role = SockRole::Client;
                        }
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
                    // The copy is close-on-exec only when dup3 asks for it (O_CLOEXEC); dup and
                    // dup2 clear the flag, as the kernel does.
                    let cloexec = ev.name == "dup3"
                        && get("flags")
                            .and_then(int_of)
                            .is_some_and(|f| f as u64 & PPM_O_CLOEXEC != 0);
                    let t = self.thread_mut(ev.tid);
                    if let Some(mut e) = t.fds.get(&old).cloned() {
                        e.flags = match (e.flags, cloexec) {
                            (Some(f), _) => Some(f & !PPM_O_CLOEXEC | cloexec_bit(cloexec)),
                            (None, c) => cloexec_flags(c),
                        };
                        t.fds.insert(new, e);
                    }
                }
                new.or(old)
            }
            "pipe" | "pipe2" => {
                if res.is_some_and(|r| r >= 0) {
                    // pipe2's flags are open flags (PPM_O_CLOEXEC for O_CLOEXEC).
                    let flags = param_int(ev, "flags").map(|f| f as u64);
                    let t = self.thread_mut(ev.tid);
                    for k in ["fd1", "fd2"] {
                        if let Some(fd) = param_int(ev, k) {
                            t.fds.insert(
                                fd,
                                FdEntry {
                                    typechar: 'p',
                                    l4proto: L4_NA,
                                    flags,
                                    ..Default::default()
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
            // Threads share the leader's fd table, cwd and environment (Bulkhead gives them a
            // copy of the fds).
            child.fds = lookup.fds.clone();
            child.cwd.clone_from(&lookup.cwd);
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
            }
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
        self.state.threads.insert(child.tid, child);
    }

    /// A successful execve/execveat exit (libsinsp `parse_execve_exit`): the thread (a
    /// placeholder when the capture never described it) takes the new program's exe, comm,
    /// args, pid and the newer exits' terminal, exe flags, capabilities, exe inode, loginuid,
    /// process group and environment; an unknown parent is patched from the event; the fds
    /// opened close-on-exec are closed.
    fn parse_execve(&mut self, ev: &Event, enter: Option<&Event>) {
        let t = self.thread_mut(ev.tid);
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
        // exepath: the trusted one of newer exits, else the enter event's path resolved
        // against the cwd (or the dirfd of execveat); unchanged when neither is known.
        if let Some(p) = param_str(ev, "trusted_exepath").filter(|p| !p.is_empty()) {
            t.exepath = p;
        } else if let Some(enter) = enter {
            let resolved = match enter.name {
                "execve" => param_str(enter, "filename")
                    .map(|f| if f == NA { f } else { join_path(&t.cwd, &f) }),
                "execveat" => {
                    let dirfd = param_int(enter, "dirfd").unwrap_or(AT_FDCWD);
                    let path = param_str(enter, "pathname").unwrap_or_default();
                    let empty_path =
                        param_int(enter, "flags").is_some_and(|f| f & PPM_EXVAT_AT_EMPTY_PATH != 0);
                    let dir = if path.starts_with('/') {
                        Some(String::new())
                    } else if dirfd == AT_FDCWD {
                        Some(t.cwd.clone())
                    } else {
                        t.fds.get(&dirfd).map(|f| f.name.clone())
                    };
                    Some(match dir {
                        None => NA.to_string(),
                        Some(_) if path == NA && !empty_path => NA.to_string(),
                        Some(d) if empty_path => normalize(&d),
                        Some(d) => join_path(&d, &path),
                    })
                }
                _ => None,
            };
            if let Some(p) = resolved {
                t.exepath = p;
            }
        }
        if let Some(c) = param_str(ev, "cwd") {
            t.cwd = c;
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
        // Close-on-exec: the new program does not have the fds opened with O_CLOEXEC
        // (libsinsp removes them since libs PR #2958; earlier versions kept them).
        t.fds.retain(|_, e| !e.is_close_on_exec());
    }
}

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

    fn thread(&self) -> Option<&Thread> {
        self.state.threads.get(&self.event.tid)
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
            self.state.threads.get(&t.pid).or(Some(t))
        }
    }

    /// The thread's parent (libsinsp `get_parent_thread`: the entry of its `ptid`).
    fn parent_of<'s>(&'s self, t: &Thread) -> Option<&'s Thread> {
        self.state.threads.get(&t.ptid).filter(|p| p.tid != t.tid)
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

    fn fd_entry(&self) -> Option<&FdEntry> {
        self.thread()?.fds.get(&self.fd?)
    }

    /// Metadata of the container the event's thread runs in; `None` for a host process and for
    /// a container the capture has no container event for.
    fn container_info(&self) -> Option<&ContainerInfo> {
        let id = self.thread()?.container_id.as_ref()?;
        self.state.containers.get(id)
    }

    /// The name an fd-creating exit event gives when the event has no fd in the table (a failed
    /// call): libsinsp `extract_fdname_from_creator` with `fd_nameraw`. `open`/`creat` give
    /// their path parameter resolved against the cwd when relative, `openat`/`openat2` the path
    /// as passed, `accept`/`connect` the tuple; other events that use an fd give an empty name,
    /// events that do not use one no value.
    fn fdname_from_creator(&self) -> Option<String> {
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
                    join_path(&self.thread()?.cwd, &name)
                }
            }
            "openat" | "openat2" => get("name").and_then(str_of).unwrap_or_default(),
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

fn socket_tuple(name: &str) -> Option<(SocketEnd<'_>, SocketEnd<'_>)> {
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

/// A value of an id field that libsinsp prints as a signed number (-1 for unknown).
fn signed(v: u64) -> String {
    (v as i64).to_string()
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
            "proc.pid" => one(signed(self.thread()?.pid)),
            "proc.ppid" => one(signed(self.main_thread()?.ptid)),
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
            "fd.num" => one(self.fd?.to_string()),
            "fd.connected" | "fd.cip" | "fd.cport" | "fd.sip" | "fd.sport" | "fd.ip"
            | "fd.port" => {
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
                let t = self.thread()?;
                if let Some(a) = arg {
                    let fd: i64 = a.trim().parse().ok()?;
                    return one(t.fds.get(&fd)?.type_name());
                }
                let mut fds: Vec<_> = t.fds.iter().collect();
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
                // A failed connect did not name the fd: libsinsp gives the event's tuple.
                if ev.name == "connect" && self.res().is_some_and(|r| r < 0) {
                    return nonempty(&self.fdname_from_creator()?);
                }
                nonempty(&self.fd_entry()?.name)
            }
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
            "container.name" => match self.thread()?.container_id {
                None => one("host"),
                Some(_) => nonempty(&self.container_info()?.name),
            },
            // Container metadata comes from the capture's container events (the container
            // engines, or since Falco 0.41 the container plugin, that fill it live do not run in
            // a replay): no value for host processes, nor for a container the capture describes
            // without it, as libsinsp.
            "container.image.repository" => nonempty(&self.container_info()?.image_repository),
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
            "thread.cap_effective" => one(caps_to_string(self.thread()?.cap_effective)),
            "fd.nameraw" => match self.fd_entry() {
                Some(e) => one(dedup_slashes(&e.name_raw)),
                None => one(dedup_slashes(&self.fdname_from_creator()?)),
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

/// The fields the upstream rules need beyond the basic process/fd ones: capabilities, terminal,
/// exe flags, process age, raw fd names, socket protocol/network/role fields, container and
/// Kubernetes metadata. Values from the shared captures where they carry them, else from
/// constructed events fed through the replay state.
#[cfg(test)]
mod rule_field_tests {
    use super::*;
    use bulkhead_scap::RawEvent;
    use std::path::PathBuf;

    fn capture(name: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/falco/captures")
            .join(name);
        p.is_file().then_some(p)
    }

    /// Replay a shared capture, calling `f` on every event; false when the capture is absent.
    fn each(name: &str, mut f: impl FnMut(&SyscallEvent)) -> bool {
        let Some(p) = capture(name) else {
            return false;
        };
        let mut r = Replayer::open(&p).unwrap();
        while let Some(ev) = r.next_event().unwrap() {
            f(&ev);
        }
        true
    }

    fn get(ev: &dyn FieldSource, field: &str) -> Option<String> {
        ev.extract(field, None).map(|v| v.join(","))
    }

    fn cond(ev: &dyn FieldSource, c: &str) -> bool {
        let expr = crate::parser::parse_condition(c).unwrap();
        crate::eval::compile(&expr).unwrap().eval(ev)
    }

    /// A parameter value of a constructed event.
    enum P<'a> {
        I(i64),
        S(&'a str),
        /// Raw bytes (buffers, NUL-separated lists), stored as given.
        B(&'a [u8]),
    }

    /// An event of the newest layout of `name`, encoded and decoded like a captured one.
    fn mk(name: &str, dir: Direction, ts: u64, tid: u64, args: &[(&str, P)]) -> Event {
        let code = table::event_table()
            .iter()
            .rposition(|e| e.name == name && e.direction == dir && !e.old_version && !e.unused)
            .unwrap() as u16;
        let params = table::event_info(code)
            .unwrap()
            .params
            .iter()
            .map(|pi| match args.iter().find(|(n, _)| *n == pi.name) {
                None => Vec::new(),
                Some((_, P::I(x))) => x.to_le_bytes()[..pi.ty.fixed_size().unwrap()].to_vec(),
                Some((_, P::S(s))) => {
                    let mut b = s.as_bytes().to_vec();
                    b.push(0);
                    b
                }
                Some((_, P::B(b))) => b.to_vec(),
            })
            .collect();
        decode(&RawEvent {
            offset: 0,
            block_type: 0,
            cpu: 0,
            flags: 0,
            ts,
            tid,
            code,
            params,
        })
    }

    /// A replayer with an empty state, to feed constructed events to.
    fn replayer() -> Replayer {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
        Replayer::open(&p).unwrap()
    }

    fn feed(r: &mut Replayer, ev: Event) -> SyscallEvent<'_> {
        r.process(ev);
        r.current_event().unwrap()
    }

    #[test]
    fn capabilities_terminal_and_exe_flags_from_the_process_list() {
        // libs/sample.scap: a V9 process list written by libs >= 0.10 (pidns_init_start_ts and
        // tty before loginuid, capability sets, exe_upper_layer).
        let mut seen = 0;
        let ran = each("libs/sample.scap", |ev| match ev.num {
            96 => {
                seen += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("sysdig"));
                assert_eq!(get(ev, "proc.tty").as_deref(), Some("34817")); // pts/1
                let caps = get(ev, "thread.cap_effective").unwrap();
                assert_eq!(caps, caps_to_string(0x1ff_ffff_ffff));
                assert_eq!(caps.split(' ').count(), 41);
                assert!(caps.starts_with("CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH "));
                assert!(caps.ends_with(" CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"));
                assert!(cond(ev, "thread.cap_effective contains CAP_SYS_ADMIN"));
                assert!(cond(ev, "thread.cap_effective icontains sys_module"));
                assert!(cond(ev, "proc.tty != 0"));
                assert_eq!(get(ev, "proc.is_exe_upper_layer").as_deref(), Some("false"));
                assert_eq!(get(ev, "proc.is_exe_from_memfd").as_deref(), Some("false"));
                assert!(!cond(ev, "proc.is_exe_upper_layer=true"));
            }
            212 => {
                seen += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("systemd-network"));
                assert_eq!(
                    get(ev, "thread.cap_effective").as_deref(),
                    Some("CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW")
                );
                assert_eq!(get(ev, "proc.tty").as_deref(), Some("0"));
                assert!(cond(ev, "proc.tty=0"));
            }
            213 => {
                seen += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("systemd-timesyn"));
                assert_eq!(
                    get(ev, "thread.cap_effective").as_deref(),
                    Some("CAP_SYS_TIME")
                );
                assert!(!cond(ev, "thread.cap_effective icontains sys_module"));
            }
            260 => {
                seen += 1;
                // An unprivileged shell: no capability is an empty value, not an absent one.
                assert_eq!(get(ev, "proc.name").as_deref(), Some("bash"));
                assert_eq!(get(ev, "thread.cap_effective").as_deref(), Some(""));
                assert_eq!(get(ev, "proc.tty").as_deref(), Some("34818"));
            }
            _ => {}
        });
        if ran {
            assert_eq!(seen, 4);
        }
        // Older process lists (cat_write.scap, V6) have no capabilities nor terminal: libsinsp's
        // defaults (0) apply.
        let mut cat = 0;
        each("cat_write.scap", |ev| {
            if get(ev, "proc.name").as_deref() == Some("cat") {
                cat += 1;
                assert_eq!(get(ev, "thread.cap_effective").as_deref(), Some(""));
                assert_eq!(get(ev, "proc.tty").as_deref(), Some("0"));
                assert_eq!(get(ev, "proc.is_exe_from_memfd").as_deref(), Some("false"));
            }
        });
        assert!(cat > 0 || capture("cat_write.scap").is_none());
    }

    #[test]
    fn proc_duration_counts_from_the_clone_seen_in_the_capture() {
        // libs/curl_google.scap: curl (17497, from the process list) clones 17498 at
        // 1534527348518881735; the child's own clone exit comes 25396 ns later.
        let (mut child, mut parent) = (0, 0);
        each("libs/curl_google.scap", |ev| {
            if ev.event.tid == 17498 && ev.event.name == "clone" {
                child += 1;
                assert_eq!(ev.event.ts, 1534527348518907131);
                assert_eq!(get(ev, "proc.duration").as_deref(), Some("25396"));
                assert!(cond(ev, "proc.duration <= 5000000000"));
            }
            if ev.event.tid == 17497 && ev.thread().is_some() {
                parent += 1;
                // The process list does not record start times: no value, as libsinsp.
                assert_eq!(get(ev, "proc.duration"), None);
                assert!(!cond(ev, "proc.duration <= 5000000000"));
            }
        });
        if capture("libs/curl_google.scap").is_some() {
            assert_eq!(child, 1);
            assert!(parent > 100);
        }
    }

    #[test]
    fn socket_protocol_network_and_name_change_from_a_capture() {
        let rfc1918 = r#"fd.snet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")"#;
        let mut seen = 0;
        each("libs/curl_google.scap", |ev| match ev.num {
            1010 => {
                // socket(AF_INET6, SOCK_DGRAM, 0): UDP, but no role before connect/send.
                seen += 1;
                assert_eq!(ev.event.name, "socket");
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("<NA>"));
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
                assert_eq!(get(ev, "fd.net"), None);
                assert_eq!(get(ev, "fd.snet"), None);
                assert_eq!(get(ev, "fd.nameraw").as_deref(), Some(""));
            }
            1057 => {
                // A failed connect (ENOENT) to nscd: the fd keeps its (empty) name.
                seen += 1;
                assert_eq!(get(ev, "evt.res").as_deref(), Some("ENOENT"));
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
                assert_eq!(
                    get(ev, "fd.name").as_deref(),
                    Some("0->ffff88003c420800 /var/run/nscd/socket")
                );
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("<NA>"));
            }
            1189 => {
                // connect() of the UDP socket to the DNS server.
                seen += 1;
                assert_eq!(ev.event.name, "connect");
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("udp"));
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
                assert_eq!(
                    get(ev, "fd.net").as_deref(),
                    Some("2600:1f18:262c:6542:9aa6:df7a:9a47:d29e,2001:4860:4860::8888")
                );
                assert_eq!(get(ev, "fd.snet").as_deref(), Some("2001:4860:4860::8888"));
                assert!(cond(ev, r#"fd.snet in ("2001:4860::/32")"#));
                assert!(cond(ev, r#"fd.net = "2600:1f18::/32""#));
                assert!(!cond(ev, rfc1918));
                assert!(cond(ev, "fd.l4proto != tcp"));
                // No DNS manager offline: no name, so the k8s_api_server macro is false.
                assert_eq!(get(ev, "fd.sip.name"), None);
                assert!(!cond(
                    ev,
                    r#"fd.sip.name="kubernetes.default.svc.cluster.local""#
                ));
            }
            1194 => {
                // The next event on the fd (sendto enter) does not rename it.
                seen += 1;
                assert_eq!(ev.event.name, "sendto");
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("udp"));
            }
            1273 => {
                // connect() of the TCP socket (EINPROGRESS) to the web server.
                seen += 1;
                assert_eq!(get(ev, "evt.res").as_deref(), Some("EINPROGRESS"));
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("tcp"));
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
                assert_eq!(
                    get(ev, "fd.snet").as_deref(),
                    Some("2607:f8b0:4004:802::2004")
                );
                assert!(cond(
                    ev,
                    &format!(
                        r#"evt.type = connect and (fd.typechar = 4 or fd.typechar = 6) and fd.ip != "0.0.0.0" and not {rfc1918} and (evt.rawres >= 0 or evt.res = EINPROGRESS)"#
                    )
                ));
            }
            _ => {}
        });
        if capture("libs/curl_google.scap").is_some() {
            assert_eq!(seen, 5);
        }
        // The server side of an IPv6 TCP connection (accept).
        let mut accepted = 0;
        each("libs/single_ipv6_conn.scap", |ev| {
            if ev.event.name == "accept" && ev.event.direction == Direction::Exit {
                accepted += 1;
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("tcp"));
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
                assert_eq!(get(ev, "fd.snet").as_deref(), Some("2001:db8::3"));
                assert!(cond(ev, r#"fd.net = "2001:db8::/32""#));
            }
        });
        assert!(accepted == 1 || capture("libs/single_ipv6_conn.scap").is_none());
        // A raw ICMP socket is "raw" from its creation (libsinsp `get_l4proto`).
        let mut r = replayer();
        feed(
            &mut r,
            mk(
                "socket",
                Direction::Enter,
                1,
                7,
                &[("domain", P::I(2)), ("type", P::I(3)), ("proto", P::I(1))],
            ),
        );
        let ev = feed(
            &mut r,
            mk("socket", Direction::Exit, 2, 7, &[("fd", P::I(3))]),
        );
        assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("4"));
        assert_eq!(get(&ev, "fd.l4proto").as_deref(), Some("raw"));
        assert_eq!(socket_l4proto(2 | 0x80000, 0), L4_UDP);
        assert_eq!(socket_l4proto(1, 6), L4_TCP);
        assert_eq!(socket_l4proto(2, 1), L4_ICMP);
        assert_eq!(socket_l4proto(3, 255), L4_RAW);
    }

    #[test]
    fn fd_nameraw_is_the_path_as_passed() {
        // cat_write.scap: `cat /dev/null` opens an absolute path.
        let mut opens = 0;
        each("cat_write.scap", |ev| {
            if ev.event.name == "open"
                && ev.event.direction == Direction::Exit
                && get(ev, "fd.name").as_deref() == Some("/dev/null")
            {
                opens += 1;
                assert_eq!(get(ev, "fd.nameraw").as_deref(), Some("/dev/null"));
                assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
            }
        });
        assert!(opens == 1 || capture("cat_write.scap").is_none());
        // A relative openat: fd.name is resolved against the cwd, fd.nameraw is as passed
        // (duplicate separators removed).
        let mut r = replayer();
        r.state.threads.insert(
            9,
            Thread {
                tid: 9,
                pid: 9,
                comm: "cat".into(),
                cwd: "/home/u/app/".into(),
                ..Default::default()
            },
        );
        let name = "..//..//..//etc/passwd";
        let open = |r: &mut Replayer, ts, fd: i64, name| {
            feed(
                r,
                mk(
                    "openat",
                    Direction::Enter,
                    ts,
                    9,
                    &[
                        ("dirfd", P::I(-100)),
                        ("name", P::S(name)),
                        ("flags", P::I(1)),
                    ],
                ),
            );
            r.process(mk(
                "openat",
                Direction::Exit,
                ts + 1,
                9,
                &[
                    ("fd", P::I(fd)),
                    ("dirfd", P::I(-100)),
                    ("name", P::S(name)),
                    ("flags", P::I(1)),
                ],
            ));
        };
        open(&mut r, 10, 3, name);
        let ev = r.current_event().unwrap();
        assert_eq!(get(&ev, "fd.name").as_deref(), Some("/etc/passwd"));
        assert_eq!(
            get(&ev, "fd.nameraw").as_deref(),
            Some("../../../etc/passwd")
        );
        let traversal = "fd.nameraw contains '../' and fd.nameraw glob '*../*../*'";
        assert!(cond(&ev, traversal));
        assert!(!cond(&ev, "fd.name contains '../'"));
        // A failed openat has no fd: the name comes from the event (as passed).
        open(&mut r, 20, -2, "../../etc/shadow");
        let ev = r.current_event().unwrap();
        assert_eq!(get(&ev, "evt.res").as_deref(), Some("ENOENT"));
        assert_eq!(get(&ev, "fd.nameraw").as_deref(), Some("../../etc/shadow"));
        assert!(cond(&ev, traversal));
        // A failed open gives its path resolved against the cwd (libsinsp reads the parameter's
        // resolved form for open/creat).
        feed(
            &mut r,
            mk("open", Direction::Enter, 30, 9, &[("name", P::S("../x"))]),
        );
        let ev = feed(
            &mut r,
            mk(
                "open",
                Direction::Exit,
                31,
                9,
                &[("fd", P::I(-13)), ("name", P::S("../x"))],
            ),
        );
        assert_eq!(get(&ev, "fd.nameraw").as_deref(), Some("/home/u/x"));
        // An event that uses no fd has no fd.nameraw.
        let ev = feed(
            &mut r,
            mk("getcwd", Direction::Exit, 40, 9, &[("res", P::I(0))]),
        );
        assert_eq!(get(&ev, "fd.nameraw"), None);
        assert_eq!(dedup_slashes("//a///b/"), "/a/b/");
    }

    #[test]
    fn container_metadata_from_container_events() {
        // open-multiple-files.scap describes its containers with JSON container events that
        // carry no image repository, privileged flag nor labels.
        let mut seen = 0;
        each("open-multiple-files.scap", |ev| match ev.num {
            4 => {
                seen += 1;
                assert_eq!(get(ev, "container.id").as_deref(), Some("host"));
                assert_eq!(get(ev, "container.privileged"), None);
                assert_eq!(get(ev, "container.image.repository"), None);
                assert_eq!(get(ev, "k8s.ns.name"), None);
            }
            88 => {
                seen += 1;
                assert_eq!(ev.event.tid, 15778);
                assert_eq!(get(ev, "container.id").as_deref(), Some("ad64969c62e5"));
                assert_eq!(get(ev, "container.name").as_deref(), Some("express_server"));
                // docker container, "privileged" absent from its JSON: false.
                assert_eq!(get(ev, "container.privileged").as_deref(), Some("false"));
                assert!(!cond(ev, "container.privileged=true"));
                assert_eq!(get(ev, "container.image.repository"), None);
                assert_eq!(get(ev, "k8s.ns.name"), None);
            }
            _ => {}
        });
        if capture("open-multiple-files.scap").is_some() {
            assert_eq!(seen, 2);
        }
        // A CRI container event with the image repository, the privileged flag and the pod's
        // labels, and an LXC one (whose privileged status libsinsp does not report).
        let mut r = replayer();
        for (tid, id) in [(20, "0123456789ab"), (21, "ba9876543210")] {
            r.state.threads.insert(
                tid,
                Thread {
                    tid,
                    pid: tid,
                    container_id: Some(id.into()),
                    ..Default::default()
                },
            );
        }
        let json = r#"{"container":{"id":"0123456789ab","type":6,"name":"kube-proxy","image":"registry.k8s.io/kube-proxy:v1.28.2","imagerepo":"registry.k8s.io/kube-proxy","imagetag":"v1.28.2","privileged":true,"labels":{"io.kubernetes.pod.namespace":"kube-system","io.kubernetes.pod.name":"kube-proxy-abcde"}}}"#;
        feed(
            &mut r,
            mk("container", Direction::Enter, 0, 0, &[("json", P::S(json))]),
        );
        let lxc = r#"{"container":{"id":"ba9876543210","type":1,"name":"c1","image":"ubuntu","privileged":true}}"#;
        feed(
            &mut r,
            mk("container", Direction::Enter, 0, 0, &[("json", P::S(lxc))]),
        );
        let ev = feed(
            &mut r,
            mk("close", Direction::Enter, 5, 20, &[("fd", P::I(1))]),
        );
        assert_eq!(get(&ev, "container.id").as_deref(), Some("0123456789ab"));
        assert_eq!(get(&ev, "container.name").as_deref(), Some("kube-proxy"));
        assert_eq!(
            get(&ev, "container.image.repository").as_deref(),
            Some("registry.k8s.io/kube-proxy")
        );
        assert_eq!(get(&ev, "container.privileged").as_deref(), Some("true"));
        assert_eq!(get(&ev, "k8s.ns.name").as_deref(), Some("kube-system"));
        assert!(cond(
            &ev,
            r#"k8s.ns.name = kube-system and container.image.repository = "registry.k8s.io/kube-proxy" and container.privileged=true"#
        ));
        let ev = feed(
            &mut r,
            mk("close", Direction::Enter, 6, 21, &[("fd", P::I(1))]),
        );
        assert_eq!(get(&ev, "container.image.repository"), None);
        assert_eq!(get(&ev, "container.privileged"), None);
        assert_eq!(get(&ev, "k8s.ns.name"), None);
    }

    #[test]
    fn execve_and_clone_carry_exe_flags_terminal_and_capabilities() {
        let mut r = replayer();
        let cap_sys_module = 1i64 << 16;
        let cap_sys_admin = 1i64 << 21;
        // execve of a memfd-backed binary from the upper layer, on pts/0, with two capabilities.
        let ev = feed(
            &mut r,
            mk(
                "execve",
                Direction::Exit,
                1_000,
                50,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("/proc/self/fd/3")),
                    ("tid", P::I(50)),
                    ("pid", P::I(50)),
                    ("ptid", P::I(1)),
                    ("comm", P::S("3")),
                    ("tty", P::I(34816)),
                    ("flags", P::I(6)), // PPM_EXE_UPPER_LAYER | PPM_EXE_FROM_MEMFD
                    ("cap_effective", P::I(cap_sys_module | cap_sys_admin)),
                ],
            ),
        );
        assert_eq!(get(&ev, "proc.is_exe_from_memfd").as_deref(), Some("true"));
        assert_eq!(get(&ev, "proc.is_exe_upper_layer").as_deref(), Some("true"));
        assert_eq!(get(&ev, "proc.tty").as_deref(), Some("34816"));
        assert_eq!(
            get(&ev, "thread.cap_effective").as_deref(),
            Some("CAP_SYS_MODULE CAP_SYS_ADMIN")
        );
        assert!(cond(&ev, "proc.is_exe_from_memfd=true"));
        assert!(cond(&ev, "thread.cap_effective icontains sys_module"));
        // The release_agent escape rule's capability test: CAP_SYS_ADMIN, but neither root (the
        // uid is unknown here) nor CAP_DAC_OVERRIDE.
        let escape = "(user.uid=0 or thread.cap_effective contains CAP_DAC_OVERRIDE) and thread.cap_effective contains CAP_SYS_ADMIN";
        assert!(!cond(&ev, escape));
        // No clone was seen for it: no duration.
        assert_eq!(get(&ev, "proc.duration"), None);
        // A fork: the child takes the parent's values and starts its clock at the clone.
        r.process(mk(
            "clone",
            Direction::Exit,
            2_000,
            50,
            &[
                ("res", P::I(51)),
                ("exe", P::S("/proc/self/fd/3")),
                ("tid", P::I(50)),
                ("pid", P::I(50)),
                ("ptid", P::I(1)),
                ("flags", P::I(0)),
            ],
        ));
        let ev = feed(
            &mut r,
            mk("close", Direction::Enter, 7_002_000, 51, &[("fd", P::I(0))]),
        );
        assert_eq!(get(&ev, "proc.duration").as_deref(), Some("7000000"));
        assert!(cond(&ev, "proc.duration <= 5000000000"));
        assert_eq!(get(&ev, "proc.is_exe_from_memfd").as_deref(), Some("true"));
        assert_eq!(get(&ev, "proc.tty").as_deref(), Some("34816"));
        assert_eq!(
            get(&ev, "thread.cap_effective").as_deref(),
            Some("CAP_SYS_MODULE CAP_SYS_ADMIN")
        );
        // The child then executes a regular binary: the flags and capabilities are the new
        // ones, the clone time stays.
        let ev = feed(
            &mut r,
            mk(
                "execve",
                Direction::Exit,
                6_000_002_000,
                51,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("/bin/sh")),
                    ("tid", P::I(51)),
                    ("pid", P::I(51)),
                    ("ptid", P::I(50)),
                    ("comm", P::S("sh")),
                    ("tty", P::I(0)),
                    ("flags", P::I(0)),
                    ("cap_effective", P::I(0)),
                ],
            ),
        );
        assert_eq!(get(&ev, "proc.is_exe_from_memfd").as_deref(), Some("false"));
        assert_eq!(
            get(&ev, "proc.is_exe_upper_layer").as_deref(),
            Some("false")
        );
        assert_eq!(get(&ev, "thread.cap_effective").as_deref(), Some(""));
        assert_eq!(get(&ev, "proc.tty").as_deref(), Some("0"));
        assert_eq!(get(&ev, "proc.duration").as_deref(), Some("6000000000"));
        assert!(!cond(&ev, "proc.duration <= 5000000000"));
    }

    #[test]
    fn process_session_group_login_and_exe_inode_from_the_process_list() {
        // libs/sample.scap: a V9 process list (libs >= 0.10) with sid, vpgid, vpid, loginuid,
        // the capability sets and the executable's inode times; its user list names uid 1000.
        let mut seen = 0;
        let ran = each("libs/sample.scap", |ev| match ev.num {
            96 => {
                // `sudo timeout ... sysdig` run from a login shell of vagrant.
                seen += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("sysdig"));
                assert_eq!(get(ev, "proc.vpid").as_deref(), Some("2987"));
                assert_eq!(get(ev, "proc.sname").as_deref(), Some("sudo"));
                assert_eq!(get(ev, "proc.vpgid.name").as_deref(), Some("timeout"));
                assert_eq!(get(ev, "proc.vpgid.exe").as_deref(), Some("timeout"));
                assert_eq!(get(ev, "proc.is_vpgid_leader").as_deref(), Some("false"));
                assert_eq!(
                    get(ev, "proc.exe_ino.ctime").as_deref(),
                    Some("1690556973053128604")
                );
                assert_eq!(
                    get(ev, "proc.exe_ino.mtime").as_deref(),
                    Some("1681205762000000000")
                );
                // Not set from a process list (no clone time): no value.
                assert_eq!(get(ev, "proc.exe_ino.ctime_duration_proc_start"), None);
                assert_eq!(
                    get(ev, "thread.cap_permitted"),
                    get(ev, "thread.cap_effective")
                );
                assert!(cond(ev, "thread.cap_permitted contains CAP_SYS_ADMIN"));
                assert_eq!(get(ev, "user.uid").as_deref(), Some("0"));
                assert_eq!(get(ev, "user.loginuid").as_deref(), Some("1000"));
                assert_eq!(get(ev, "user.loginname").as_deref(), Some("vagrant"));
                assert!(cond(ev, "user.loginuid != 0 and user.loginuid >= 1000"));
                assert_eq!(get(ev, "proc.exepath").as_deref(), Some("/usr/bin/sysdig"));
                assert_eq!(
                    get(ev, "proc.pexepath").as_deref(),
                    Some("/usr/bin/timeout")
                );
                assert_eq!(
                    ev.extract("proc.aexepath", Some("2")),
                    Some(vec!["/usr/bin/bash".to_string()])
                );
                assert_eq!(
                    ev.extract("proc.aexe", Some("2")),
                    Some(vec!["-bash".to_string()])
                );
                assert_eq!(
                    ev.extract("proc.aexe", Some("0")),
                    Some(vec!["sysdig".to_string()])
                );
                // Without an index: every ancestor (a filter matches any of them).
                assert!(cond(ev, "proc.aexepath = /usr/sbin/sshd"));
                assert!(cond(ev, r#"proc.aexe startswith "sshd:""#));
                assert!(!cond(ev, "proc.aexe endswith java"));
                assert_eq!(
                    get(ev, "evt.hostname").as_deref(),
                    Some("ubuntu2204.localdomain")
                );
                assert_eq!(get(ev, "container.start_ts"), None, "host process");
            }
            124 => {
                // A daemon: no login session.
                seen += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("ifplugd"));
                assert_eq!(get(ev, "user.loginuid").as_deref(), Some("-1"));
                assert_eq!(get(ev, "user.loginname"), None);
                assert_eq!(
                    get(ev, "proc.pexepath").as_deref(),
                    Some("/usr/lib/systemd/systemd")
                );
            }
            125 => {
                // ioctl on a unix socket: the fd table holds files, unix sockets and pipes.
                seen += 1;
                assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("unix"));
                assert_eq!(get(ev, "fd.types").as_deref(), Some("file,unix,pipe"));
                assert!(cond(ev, "fd.types intersects (pipe)"));
                assert_eq!(ev.extract("fd.types", Some("0")), Some(vec!["file".into()]));
                assert_eq!(ev.extract("fd.types", Some("999")), None);
            }
            140 => {
                // A containerd thread: vpid is the process's, and the process leads its group.
                seen += 1;
                assert_eq!(ev.event.tid, 762);
                assert_eq!(get(ev, "proc.vpid").as_deref(), Some("722"));
                assert_eq!(get(ev, "proc.is_vpgid_leader").as_deref(), Some("true"));
                assert_eq!(get(ev, "proc.vpgid.name").as_deref(), Some("containerd"));
            }
            _ => {}
        });
        if ran {
            assert_eq!(seen, 4);
        }
    }

    #[test]
    fn environment_buffer_and_placeholder_threads_from_cat_write() {
        // cat_write.scap: `cat /dev/null` starts with its execve exit; the capture's process list
        // does not have it, so its thread is a placeholder the execve fills (pid, ptid, comm,
        // exe, args, environment) — uid and loginuid stay unknown, as in Falco.
        let mut seen = 0;
        let ran = each("cat_write.scap", |ev| {
            if ev.event.tid != 20072 {
                return;
            }
            if ev.event.name == "execve" {
                seen += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("cat"));
                assert_eq!(get(ev, "proc.pid").as_deref(), Some("20072"));
                assert_eq!(get(ev, "proc.ppid").as_deref(), Some("11310"));
                assert_eq!(get(ev, "proc.pname").as_deref(), Some("bash"));
                assert_eq!(get(ev, "proc.vpid").as_deref(), Some("20072"));
                assert_eq!(get(ev, "user.uid").as_deref(), Some("4294967295"));
                assert_eq!(get(ev, "group.gid").as_deref(), Some("4294967295"));
                assert_eq!(get(ev, "user.name"), None);
                assert_eq!(get(ev, "user.loginuid").as_deref(), Some("-1"));
                // No execve enter event in the file: the exe path is not known.
                assert_eq!(get(ev, "proc.exepath"), None);
                assert_eq!(
                    ev.extract("proc.env", Some("SHELL")),
                    Some(vec!["/bin/bash".to_string()])
                );
                assert_eq!(
                    ev.extract("proc.env", Some("NOT_SET")),
                    Some(vec![String::new()])
                );
                let env = get(ev, "proc.env").unwrap();
                assert!(env.starts_with("XDG_SESSION_ID=1 SHELL=/bin/bash TERM=dumb "));
                assert!(cond(ev, r#"proc.env contains "TERM=dumb""#));
                assert!(!cond(ev, "proc.env icontains GLIBC_TUNABLES"));
                assert_eq!(
                    ev.extract("proc.aexe", Some("1")),
                    Some(vec!["/bin/bash".to_string()])
                );
                // Process list V6: no session or group ids (-1), so the session leader is the
                // process itself and the "group leader" the eldest ancestor sharing -1.
                assert_eq!(get(ev, "proc.sname").as_deref(), Some("cat"));
                assert_eq!(get(ev, "proc.vpgid.name").as_deref(), Some("systemd"));
                assert_eq!(get(ev, "evt.hostname").as_deref(), Some("ubuntu"));
                assert_eq!(get(ev, "evt.buffer"), None, "no data parameter");
            }
            if ev.event.name == "read" && ev.event.direction == Direction::Exit && seen == 1 {
                // The first read: the ELF header of a shared library.
                seen += 1;
                let bytes = ev.buffer_bytes().unwrap();
                assert_eq!(&bytes[..4], b"\x7fELF");
                let buf = get(ev, "evt.buffer").unwrap();
                assert!(buf.starts_with("\u{7f}ELF\u{2}\u{1}\u{1}"));
                assert!(cond(ev, "evt.buffer bcontains 454c46"), "hex of 'ELF'");
                assert!(cond(ev, "evt.buffer contains ELF"));
            }
        });
        if ran {
            assert_eq!(seen, 2);
        }
        // ping_sendto.scap: ping's thread 738 is not in the process list and only sends: its
        // events show libsinsp's placeholder values (and no fd, its table being empty).
        let mut pings = 0;
        each("ping_sendto.scap", |ev| {
            if ev.event.tid == 738 && ev.event.name == "sendmsg" {
                pings += 1;
                assert_eq!(get(ev, "proc.name").as_deref(), Some("<NA>"));
                assert_eq!(get(ev, "proc.exe").as_deref(), Some("<NA>"));
                assert_eq!(get(ev, "proc.cmdline").as_deref(), Some("<NA>"));
                assert_eq!(get(ev, "proc.pid").as_deref(), Some("-1"));
                assert_eq!(get(ev, "proc.ppid"), None);
                assert_eq!(get(ev, "proc.pname"), None);
                assert_eq!(get(ev, "user.uid").as_deref(), Some("4294967295"));
                assert_eq!(get(ev, "user.loginuid").as_deref(), Some("-1"));
                assert_eq!(get(ev, "proc.vpid"), None);
                assert_eq!(get(ev, "fd.name"), None);
                assert!(cond(ev, "proc.name = <NA> and user.uid = 4294967295"));
                if ev.event.direction == Direction::Exit {
                    // ICMP echo payload: the timestamp, then bytes 0x10.. counting up.
                    assert!(
                        get(ev, "evt.buffer")
                            .unwrap()
                            .ends_with(" !\"#$%&'()*+,-./01234567")
                    );
                }
            }
        });
        assert!(
            pings == 20 || capture("ping_sendto.scap").is_none(),
            "{pings}"
        );
    }

    #[test]
    fn placeholder_threads_are_filled_by_execve_and_clone() {
        let mut r = replayer();
        // An event of a thread the capture never described.
        let ev = feed(
            &mut r,
            mk("close", Direction::Enter, 1, 70, &[("fd", P::I(3))]),
        );
        for (f, v) in [
            ("proc.name", "<NA>"),
            ("proc.exe", "<NA>"),
            ("proc.pid", "-1"),
            ("user.uid", "4294967295"),
            ("group.gid", "4294967295"),
            ("user.loginuid", "-1"),
            ("thread.tid", "70"),
        ] {
            assert_eq!(get(&ev, f).as_deref(), Some(v), "{f}");
        }
        assert_eq!(get(&ev, "proc.ppid"), None);
        assert!(r.state.threads[&70].is_invalid());
        // A fork of it: the caller is patched from the event (pid, ptid, exe, comm, args) and
        // the child takes the event's values, nothing from the unknown caller.
        r.process(mk(
            "clone",
            Direction::Exit,
            2,
            70,
            &[
                ("res", P::I(71)),
                ("exe", P::S("/usr/sbin/cron")),
                ("args", P::B(b"-f\0")),
                ("tid", P::I(70)),
                ("pid", P::I(70)),
                ("ptid", P::I(1)),
                ("comm", P::S("cron")),
                ("flags", P::I(0)),
                ("uid", P::I(0)),
                ("gid", P::I(0)),
                ("vtid", P::I(70)),
                ("vpid", P::I(70)),
            ],
        ));
        let caller = &r.state.threads[&70];
        assert_eq!(
            (caller.pid, caller.ptid, caller.comm.as_str()),
            (70, 1, "cron")
        );
        assert_eq!(caller.uid, Some(INVALID_ID), "the uid stays unknown");
        let ev = feed(
            &mut r,
            mk("close", Direction::Enter, 3, 71, &[("fd", P::I(3))]),
        );
        assert_eq!(get(&ev, "proc.cmdline").as_deref(), Some("cron -f"));
        assert_eq!(get(&ev, "proc.pid").as_deref(), Some("71"));
        assert_eq!(get(&ev, "proc.ppid").as_deref(), Some("70"));
        assert_eq!(get(&ev, "proc.pname").as_deref(), Some("cron"));
        assert_eq!(get(&ev, "user.uid").as_deref(), Some("0"));
        assert_eq!(get(&ev, "user.loginuid").as_deref(), Some("-1"));
        // The child execs: its thread takes the new program; an execve of another unknown
        // thread patches its parent from the event too.
        let ev = feed(
            &mut r,
            mk(
                "execve",
                Direction::Exit,
                4,
                72,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("/bin/sh")),
                    ("args", P::B(b"-c\0id\0")),
                    ("tid", P::I(72)),
                    ("pid", P::I(72)),
                    ("ptid", P::I(71)),
                    ("comm", P::S("sh")),
                    ("loginuid", P::I(1000)),
                    ("uid", P::I(1000)),
                ],
            ),
        );
        assert_eq!(get(&ev, "proc.cmdline").as_deref(), Some("sh -c id"));
        assert_eq!(get(&ev, "proc.ppid").as_deref(), Some("71"));
        assert_eq!(get(&ev, "proc.aname[2]"), None);
        assert_eq!(
            ev.extract("proc.aname", Some("2")),
            Some(vec!["cron".to_string()])
        );
        assert_eq!(get(&ev, "user.uid").as_deref(), Some("1000"));
        assert_eq!(get(&ev, "user.loginuid").as_deref(), Some("1000"));
        assert_eq!(get(&ev, "group.gid").as_deref(), Some("4294967295"));
        assert!(!r.state.threads[&72].is_invalid());
    }

    #[test]
    fn clone_thread_flag_makes_a_thread_of_the_process() {
        // libs/curl_google.scap: curl's resolver thread 17498 is created by a clone with
        // PPM_CL_CLONE_THREAD (flags 0xba03): it belongs to process 17497.
        let mut seen = 0;
        each("libs/curl_google.scap", |ev| {
            if ev.event.tid == 17498 && ev.event.name == "clone" {
                seen += 1;
                assert_eq!(get(ev, "proc.pid").as_deref(), Some("17497"));
                assert_eq!(get(ev, "proc.ppid").as_deref(), Some("3200"));
                assert_eq!(get(ev, "proc.vpid").as_deref(), Some("17497"));
                assert_eq!(get(ev, "thread.tid").as_deref(), Some("17498"));
                assert_eq!(get(ev, "user.uid").as_deref(), Some("1000"));
            }
        });
        assert!(seen == 1 || capture("libs/curl_google.scap").is_none());
    }

    #[test]
    fn socket_family_client_and_remote_networks_from_captures() {
        let mut seen = 0;
        each("libs/curl_google.scap", |ev| match ev.num {
            1189 => {
                // UDP connect to the DNS server; the client address is the machine's (an
                // interface of the capture), so it is the local end.
                seen += 1;
                assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("ip"));
                assert_eq!(
                    get(ev, "fd.cnet").as_deref(),
                    Some("2600:1f18:262c:6542:9aa6:df7a:9a47:d29e")
                );
                assert_eq!(get(ev, "fd.rnet").as_deref(), Some("2001:4860:4860::8888"));
                assert_eq!(get(ev, "fd.rip"), get(ev, "fd.rnet"));
                assert_eq!(get(ev, "fd.lip"), get(ev, "fd.cnet"));
                assert_eq!(get(ev, "fd.lport").as_deref(), Some("40251"));
                assert_eq!(get(ev, "fd.rport").as_deref(), Some("53"));
                assert!(cond(ev, r#"fd.rnet in ("2001:4860::/32")"#));
                assert!(cond(ev, r#"fd.cnet = "2600:1f18::/32""#));
                assert!(!cond(ev, r#"fd.cnet in ("10.0.0.0/8", "172.16.0.0/12")"#));
                // No DNS manager offline: no names.
                for f in ["fd.cip.name", "fd.lip.name", "fd.rip.name", "fd.sip.name"] {
                    assert_eq!(get(ev, f), None, "{f}");
                }
            }
            1010 => {
                // The socket before connect: no role yet, so no network.
                seen += 1;
                assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("ip"));
                assert_eq!(get(ev, "fd.cnet"), None);
                assert_eq!(get(ev, "fd.rnet"), None);
            }
            1057 => {
                // The nscd unix socket.
                seen += 1;
                assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("unix"));
                assert_eq!(get(ev, "fd.cnet"), None);
            }
            _ => {}
        });
        if capture("libs/curl_google.scap").is_some() {
            assert_eq!(seen, 3);
        }
        // The server side of a connection between two addresses of the machine (the same /64):
        // libsinsp takes the client end as the local one.
        let mut accepted = 0;
        each("libs/single_ipv6_conn.scap", |ev| {
            if ev.event.name == "accept" && ev.event.direction == Direction::Exit {
                accepted += 1;
                assert_eq!(get(ev, "fd.cnet").as_deref(), Some("2001:db8::4"));
                assert_eq!(get(ev, "fd.rnet").as_deref(), Some("2001:db8::3"));
                assert_eq!(get(ev, "fd.lport").as_deref(), Some("54405"));
                assert_eq!(get(ev, "fd.rport").as_deref(), Some("1234"));
            }
        });
        assert!(accepted == 1 || capture("libs/single_ipv6_conn.scap").is_none());
        // IPv4 on a host whose interface is 10.0.0.5: an accepted connection from outside has
        // its client end remote.
        let mut r = replayer();
        r.state.ipv4_interfaces.push("10.0.0.5".parse().unwrap());
        let tuple = |c: [u8; 4], cp: u16, s: [u8; 4], sp: u16| {
            let mut b = vec![2u8];
            b.extend(c);
            b.extend(cp.to_le_bytes());
            b.extend(s);
            b.extend(sp.to_le_bytes());
            b
        };
        let t = tuple([203, 0, 113, 9], 51000, [10, 0, 0, 5], 443);
        let ev = feed(
            &mut r,
            mk(
                "accept",
                Direction::Exit,
                1,
                80,
                &[("fd", P::I(5)), ("tuple", P::B(&t))],
            ),
        );
        assert_eq!(
            get(&ev, "fd.name").as_deref(),
            Some("203.0.113.9:51000->10.0.0.5:443")
        );
        assert_eq!(get(&ev, "fd.lip").as_deref(), Some("10.0.0.5"));
        assert_eq!(get(&ev, "fd.lport").as_deref(), Some("443"));
        assert_eq!(get(&ev, "fd.rip").as_deref(), Some("203.0.113.9"));
        assert_eq!(get(&ev, "fd.rnet").as_deref(), Some("203.0.113.9"));
        assert_eq!(get(&ev, "fd.cnet").as_deref(), Some("203.0.113.9"));
        assert!(!cond(
            &ev,
            r#"fd.rnet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")"#
        ));
        assert!(cond(&ev, r#"fd.cnet in ("203.0.113.0/24")"#));
        // The same connection seen from a client on this host: its own end is local.
        let t = tuple([10, 0, 0, 5], 40000, [93, 184, 216, 34], 80);
        feed(
            &mut r,
            mk("connect", Direction::Enter, 2, 80, &[("fd", P::I(6))]),
        );
        let ev = feed(
            &mut r,
            mk(
                "connect",
                Direction::Exit,
                3,
                80,
                &[("res", P::I(0)), ("tuple", P::B(&t)), ("fd", P::I(6))],
            ),
        );
        assert_eq!(get(&ev, "fd.lip").as_deref(), Some("10.0.0.5"));
        assert_eq!(get(&ev, "fd.rip").as_deref(), Some("93.184.216.34"));
        assert_eq!(get(&ev, "fd.rport").as_deref(), Some("80"));
        // fd.types of the thread: two IPv4 sockets.
        assert_eq!(get(&ev, "fd.types").as_deref(), Some("ipv4"));
    }

    #[test]
    fn open_with_exec_mode() {
        let mut r = replayer();
        let o_creat = 1 << 2 | 2; // O_CREAT | O_WRONLY
        let openat = |r: &mut Replayer, ts, flags: i64, mode: i64| {
            feed(
                r,
                mk(
                    "openat",
                    Direction::Exit,
                    ts,
                    90,
                    &[
                        ("fd", P::I(3)),
                        ("dirfd", P::I(-100)),
                        ("name", P::S("/tmp/x")),
                        ("flags", P::I(flags)),
                        ("mode", P::I(mode)),
                    ],
                ),
            );
            get(&r.current_event().unwrap(), "evt.is_open_exec").unwrap()
        };
        // Modes are PPM_S_* bits, which follow the octal permission bits.
        assert_eq!(openat(&mut r, 1, o_creat, 0o755), "true");
        assert_eq!(openat(&mut r, 2, o_creat, 0o644), "false");
        assert_eq!(openat(&mut r, 3, 1 << 13 | 2, 0o700), "true", "O_TMPFILE");
        // Without O_CREAT the mode is not looked at.
        assert_eq!(openat(&mut r, 4, 2, 0o755), "false");
        let ev = feed(
            &mut r,
            mk(
                "creat",
                Direction::Exit,
                5,
                90,
                &[
                    ("fd", P::I(4)),
                    ("name", P::S("/tmp/y")),
                    ("mode", P::I(0o711)),
                ],
            ),
        );
        assert_eq!(get(&ev, "evt.is_open_exec").as_deref(), Some("true"));
        assert!(cond(&ev, "evt.is_open_exec=true"));
        // The new openat's enter event is not one libsinsp checks; other events are false.
        let ev = feed(
            &mut r,
            mk(
                "openat",
                Direction::Enter,
                6,
                90,
                &[
                    ("dirfd", P::I(-100)),
                    ("name", P::S("/tmp/z")),
                    ("flags", P::I(o_creat)),
                    ("mode", P::I(0o755)),
                ],
            ),
        );
        assert_eq!(get(&ev, "evt.is_open_exec").as_deref(), Some("false"));
        // From a capture: cat's opens are read-only.
        let mut opens = 0;
        each("cat_write.scap", |ev| {
            if ev.event.name == "open" && ev.event.direction == Direction::Exit {
                opens += 1;
                assert_eq!(get(ev, "evt.is_open_exec").as_deref(), Some("false"));
            }
        });
        assert!(opens == 4 || capture("cat_write.scap").is_none());
    }

    #[test]
    fn container_mounts_start_time_and_pod_name() {
        let mut r = replayer();
        r.state.boot_ts_epoch = 1_700_000_000_000_000_000;
        let json = r#"{"container":{"id":"0123456789ab","type":6,"name":"web","image":"nginx","ip":"172.17.0.2","labels":{"io.kubernetes.pod.namespace":"default","io.kubernetes.pod.name":"web-7d9c"},"Mounts":[{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","Mode":"","RW":true,"Propagation":"rprivate"},{"Source":"/etc","Destination":"/host/etc","Mode":"ro","RW":false,"Propagation":"rprivate"}]}}"#;
        feed(
            &mut r,
            mk("container", Direction::Enter, 0, 0, &[("json", P::S(json))]),
        );
        // The container's init, created by its own clone exit (in a new pid namespace whose
        // start the event gives relative to boot).
        let cg =
            b"cpuset=/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0";
        let ev = feed(
            &mut r,
            mk(
                "clone",
                Direction::Exit,
                10,
                500,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("nginx")),
                    ("tid", P::I(500)),
                    ("pid", P::I(500)),
                    ("ptid", P::I(400)),
                    ("comm", P::S("nginx")),
                    ("cgroups", P::B(cg)),
                    ("flags", P::I(1 << 29)), // PPM_CL_CHILD_IN_PIDNS
                    ("uid", P::I(0)),
                    ("gid", P::I(0)),
                    ("vtid", P::I(1)),
                    ("vpid", P::I(1)),
                    ("pidns_init_start_ts", P::I(5_000_000_000)),
                ],
            ),
        );
        assert_eq!(get(&ev, "container.id").as_deref(), Some("0123456789ab"));
        assert_eq!(get(&ev, "proc.vpid").as_deref(), Some("1"));
        assert!(cond(&ev, "proc.vpid=1 and container.id != host"));
        assert_eq!(
            get(&ev, "container.start_ts").as_deref(),
            Some("1700000005000000000")
        );
        assert_eq!(get(&ev, "k8s.pod.name").as_deref(), Some("web-7d9c"));
        assert!(cond(&ev, "k8s.pod.name startswith web"));
        assert_eq!(
            get(&ev, "container.mounts").as_deref(),
            Some(
                "/var/run/docker.sock:/var/run/docker.sock::true:rprivate,/etc:/host/etc:ro:false:rprivate"
            )
        );
        assert_eq!(
            ev.extract("container.mount.dest", Some("/etc")),
            Some(vec!["/host/etc".to_string()])
        );
        assert_eq!(
            ev.extract("container.mount.dest", Some("0")),
            Some(vec!["/var/run/docker.sock".to_string()])
        );
        assert_eq!(
            ev.extract("container.mount.dest", Some("/var/run/*")),
            Some(vec!["/var/run/docker.sock".to_string()])
        );
        assert_eq!(ev.extract("container.mount.dest", Some("/home")), None);
        assert_eq!(ev.extract("container.mount.dest", Some("2")), None);
        // A socket of the container: its own address (the container's ip) is the local end.
        let mut t = vec![2u8];
        t.extend([172, 17, 0, 2]);
        t.extend(33000u16.to_le_bytes());
        t.extend([10, 1, 2, 3]);
        t.extend(5432u16.to_le_bytes());
        feed(
            &mut r,
            mk("connect", Direction::Enter, 20, 500, &[("fd", P::I(7))]),
        );
        let ev = feed(
            &mut r,
            mk(
                "connect",
                Direction::Exit,
                21,
                500,
                &[("res", P::I(0)), ("tuple", P::B(&t)), ("fd", P::I(7))],
            ),
        );
        assert_eq!(get(&ev, "fd.lip").as_deref(), Some("172.17.0.2"));
        assert_eq!(get(&ev, "fd.rnet").as_deref(), Some("10.1.2.3"));
        assert!(cond(&ev, r#"fd.rnet in ("10.0.0.0/8")"#));
        // Host processes have none of these.
        let ev = feed(
            &mut r,
            mk("close", Direction::Enter, 30, 1, &[("fd", P::I(1))]),
        );
        for f in ["container.mounts", "container.start_ts", "k8s.pod.name"] {
            assert_eq!(get(&ev, f), None, "{f}");
        }
    }

    #[test]
    fn parent_duration_and_exe_ctime_to_process_start() {
        let mut r = replayer();
        // A shell (from an execve) forks at t=1s; the child forks at t=3s; the grandchild then
        // runs a binary whose inode changed 500ms before the grandchild was cloned.
        feed(
            &mut r,
            mk(
                "execve",
                Direction::Exit,
                1,
                100,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("sh")),
                    ("pid", P::I(100)),
                    ("ptid", P::I(1)),
                    ("comm", P::S("sh")),
                ],
            ),
        );
        let fork = |r: &mut Replayer, ts, caller: i64, child: i64| {
            r.process(mk(
                "clone",
                Direction::Exit,
                ts,
                caller as u64,
                &[
                    ("res", P::I(child)),
                    ("exe", P::S("sh")),
                    ("pid", P::I(caller)),
                    ("ptid", P::I(1)),
                    ("comm", P::S("sh")),
                    ("flags", P::I(0)),
                    ("uid", P::I(0)),
                    ("gid", P::I(0)),
                ],
            ));
        };
        fork(&mut r, 1_000_000_000, 100, 101);
        fork(&mut r, 3_000_000_000, 101, 102);
        let ev = feed(
            &mut r,
            mk(
                "execve",
                Direction::Exit,
                4_000_000_000,
                102,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("/tmp/x")),
                    ("pid", P::I(102)),
                    ("ptid", P::I(101)),
                    ("comm", P::S("x")),
                    ("exe_ino", P::I(4242)),
                    ("exe_ino_ctime", P::I(2_500_000_000)),
                    ("exe_ino_mtime", P::I(2_400_000_000)),
                ],
            ),
        );
        assert_eq!(
            get(&ev, "proc.ppid.duration").as_deref(),
            Some("3000000000")
        );
        assert_eq!(get(&ev, "proc.duration").as_deref(), Some("1000000000"));
        assert_eq!(
            get(&ev, "proc.exe_ino.ctime").as_deref(),
            Some("2500000000")
        );
        assert_eq!(
            get(&ev, "proc.exe_ino.mtime").as_deref(),
            Some("2400000000")
        );
        assert_eq!(
            get(&ev, "proc.exe_ino.ctime_duration_proc_start").as_deref(),
            Some("500000000")
        );
        assert!(cond(
            &ev,
            "proc.exe_ino.ctime_duration_proc_start <= 1000000000 and proc.ppid.duration > 0"
        ));
        // The shell's parent (pid 1, not cloned in the capture): no duration.
        let ev = feed(
            &mut r,
            mk(
                "close",
                Direction::Enter,
                5_000_000_000,
                100,
                &[("fd", P::I(1))],
            ),
        );
        assert_eq!(get(&ev, "proc.ppid.duration"), None);
        // The child inherits the exe inode values on fork.
        fork(&mut r, 6_000_000_000, 102, 103);
        let ev = feed(
            &mut r,
            mk(
                "close",
                Direction::Enter,
                6_000_000_100,
                103,
                &[("fd", P::I(1))],
            ),
        );
        assert_eq!(
            get(&ev, "proc.exe_ino.ctime_duration_proc_start").as_deref(),
            Some("500000000")
        );
        assert_eq!(
            get(&ev, "proc.ppid.duration").as_deref(),
            Some("3000000100")
        );
    }

    #[test]
    fn execve_closes_the_close_on_exec_fds() {
        let mut r = replayer();
        let o_cloexec = 1 << 12;
        let open = |r: &mut Replayer, ts, fd: i64, name, flags: i64| {
            r.process(mk(
                "openat",
                Direction::Exit,
                ts,
                60,
                &[
                    ("fd", P::I(fd)),
                    ("dirfd", P::I(-100)),
                    ("name", P::S(name)),
                    ("flags", P::I(flags)),
                ],
            ));
        };
        open(&mut r, 1, 3, "/etc/ld.so.cache", 1 | o_cloexec);
        open(&mut r, 2, 4, "/var/log/app.log", 2);
        r.process(mk(
            "pipe2",
            Direction::Exit,
            3,
            60,
            &[
                ("res", P::I(0)),
                ("fd1", P::I(5)),
                ("fd2", P::I(6)),
                ("flags", P::I(o_cloexec)),
            ],
        ));
        // socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
        feed(
            &mut r,
            mk(
                "socket",
                Direction::Enter,
                4,
                60,
                &[
                    ("domain", P::I(2)),
                    ("type", P::I(1 | 0o2000000)),
                    ("proto", P::I(0)),
                ],
            ),
        );
        r.process(mk("socket", Direction::Exit, 5, 60, &[("fd", P::I(7))]));
        // dup2 of the close-on-exec library fd: the copy survives exec; dup3 with O_CLOEXEC
        // of the log fd: the copy does not.
        r.process(mk(
            "dup2",
            Direction::Exit,
            6,
            60,
            &[("res", P::I(8)), ("oldfd", P::I(3)), ("newfd", P::I(8))],
        ));
        r.process(mk(
            "dup3",
            Direction::Exit,
            7,
            60,
            &[
                ("res", P::I(9)),
                ("oldfd", P::I(4)),
                ("newfd", P::I(9)),
                ("flags", P::I(o_cloexec)),
            ],
        ));
        let fds = |r: &Replayer| {
            let mut v: Vec<i64> = r.state.threads[&60].fds.keys().copied().collect();
            v.sort_unstable();
            v
        };
        assert_eq!(fds(&r), [3, 4, 5, 6, 7, 8, 9]);
        // A failed execve changes nothing.
        r.process(mk(
            "execve",
            Direction::Exit,
            8,
            60,
            &[("res", P::I(-2)), ("exe", P::S("/nonexistent"))],
        ));
        assert_eq!(fds(&r), [3, 4, 5, 6, 7, 8, 9]);
        let ev = feed(
            &mut r,
            mk(
                "execve",
                Direction::Exit,
                9,
                60,
                &[
                    ("res", P::I(0)),
                    ("exe", P::S("/bin/true")),
                    ("pid", P::I(60)),
                    ("ptid", P::I(1)),
                    ("comm", P::S("true")),
                ],
            ),
        );
        assert_eq!(get(&ev, "proc.name").as_deref(), Some("true"));
        assert_eq!(fds(&r), [4, 8]);
        let ev = feed(
            &mut r,
            mk(
                "read",
                Direction::Enter,
                10,
                60,
                &[("fd", P::I(8)), ("size", P::I(10))],
            ),
        );
        assert_eq!(get(&ev, "fd.name").as_deref(), Some("/etc/ld.so.cache"));
        let ev = feed(
            &mut r,
            mk(
                "read",
                Direction::Enter,
                11,
                60,
                &[("fd", P::I(3)), ("size", P::I(10))],
            ),
        );
        assert_eq!(get(&ev, "fd.name"), None);
        // Files of the fd list (SCAP_FD_FILE_V2 entries carry the open flags, O_CLOEXEC
        // included) are closed the same way.
        let file = |fd, open_flags| {
            fd_entry(&FdInfo {
                fd,
                ino: 0,
                fd_type: 16,
                detail: FdDetail::File {
                    open_flags,
                    name: format!("/f{fd}"),
                    dev: None,
                },
            })
        };
        let mut t = Thread::placeholder(61);
        t.fds.insert(0, file(0, 2));
        t.fds.insert(3, file(3, 1 | 1 << 12));
        r.state.threads.insert(61, t);
        r.process(mk(
            "execve",
            Direction::Exit,
            12,
            61,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/bin/true")),
                ("pid", P::I(61)),
                ("ptid", P::I(1)),
            ],
        ));
        assert_eq!(r.state.threads[&61].fds.keys().collect::<Vec<_>>(), [&0]);
    }
}
