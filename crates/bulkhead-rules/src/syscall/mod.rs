//! The `syscall` source's state: an [`Inspector`] takes events (from a `.scap` capture, the
//! live sensor, …) and keeps the thread and fd state libsinsp keeps for the fields rules use,
//! without I/O ([`Inspector::apply`]); each event is then a [`FieldSource`] ([`SyscallEvent`]).
//! [`Replayer`] is a `.scap` file read into an inspector.
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
//!   (path resolved against the cwd or dirfd; a failed open adds none), socket/bind/accept/
//!   connect, the addresses of sendto/sendmsg/recvfrom/recvmsg (UDP tuples, libsinsp
//!   `parse_rw_exit`), dup*, pipe*, close (removed before the next event, so the close exit
//!   still sees the fd);
//! * the threads of a process share its fd table and cwd, the main thread's (libsinsp
//!   `get_fd_table`/`get_cwd`, see [`State::fd_table`] and [`State::cwd_of`]); a main thread
//!   that exits before its other threads stays (dead) until the last of them exits, and an
//!   execve exit removes the process's other threads;
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
    Direction, Event, FdDetail, FdInfo, InterfaceAddr, ParamType, SockAddr, SockTuple, ThreadInfo,
    Value, table,
};
use std::collections::HashMap;

/// The hash maps of the replay state (keyed by tid, fd), looked up for every event: foldhash's
/// fast hasher, seeded per process (`RandomState`) so a crafted capture cannot choose colliding
/// keys in advance.
pub type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::net::IpAddr;
use std::path::Path;

mod fields;
mod replayer;
#[cfg(test)]
mod rule_field_tests;
#[cfg(test)]
mod socket_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod thread_tests;

pub use fields::SyscallEvent;

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
const PPM_CL_CLONE_FILES: u64 = 1;
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
const PPM_EXE_WRITABLE: u64 = 1;
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
    /// `proc.is_exe_writable` (execve flags, process list): the executable is writable by the
    /// process's user.
    pub exe_writable: bool,
    /// Time the thread was created by a clone/fork seen in the capture (0: unknown, as for the
    /// threads of the process list, whose files do not record it).
    pub clone_ts: u64,
    /// The thread's own fd table. A thread that shares its process's table
    /// ([`Thread::uses_main_fds`]) uses the main thread's instead: see [`State::fd_table`].
    pub fds: Map<i64, FdEntry>,
    /// libsinsp `m_flags & PPM_CL_CLONE_FILES`: from the process list (libscap sets it, with
    /// `PPM_CL_CLONE_THREAD`, on every thread that is not its process's main thread) or the
    /// clone exit (a new thread always gets it, as current libsinsp forces it); an execve exit
    /// clears it (`m_flags = PPM_CL_ACTIVE`).
    pub clone_files: bool,
    /// A main thread whose `procexit` came while other threads of its process live: libsinsp
    /// keeps it (dead) until the last of them is removed, so that they keep its fd table and
    /// cwd; an execve exit of its tid brings it back (`resurrect_thread`).
    pub dead: bool,
    /// The process this thread is counted in as a secondary thread ([`State::thread_groups`]).
    group: Option<u64>,
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

    /// libsinsp `get_fd_table`: a thread flagged `PPM_CL_CLONE_FILES` that is not the main
    /// thread of its process (`is_main_thread`: tid == pid) uses the main thread's fd table.
    fn uses_main_fds(&self) -> bool {
        self.clone_files && self.tid != self.pid
    }

    /// A thread of a known process other than its main thread: counted in [`State::thread_groups`].
    fn secondary_of(&self) -> Option<u64> {
        (self.tid != self.pid && (self.pid as i64) >= 0).then_some(self.pid)
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
        clone_files: t.flags as u64 & PPM_CL_CLONE_FILES != 0,
        uid: Some(t.uid),
        gid: Some(t.gid),
        container_id: t.container_id(),
        tty: t.tty.unwrap_or(0),
        cap_effective: t.cap_effective.unwrap_or(0),
        exe_upper_layer: t.exe_upper_layer.unwrap_or(false),
        exe_from_memfd: t.exe_from_memfd.unwrap_or(false),
        exe_writable: t.exe_writable.unwrap_or(false),
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
    bulkhead_scap::container_id_of_cgroups(cgroups.join("\0").as_bytes())
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
    /// `full_id` (`container.full_id`: the 64-character id).
    pub full_id: String,
    /// `sinsp_container_type`: 0 docker, 1 lxc, 2 libvirt-lxc, 3 mesos, 4 rkt, 5 custom, 6 cri,
    /// 7 containerd, 8 cri-o, ...
    pub ctype: u64,
    pub name: String,
    pub image: String,
    /// `imagerepo` (`container.image.repository`).
    pub image_repository: String,
    /// `imagetag`, `imageid` and `imagedigest` (`container.image.tag`, `.image.id`,
    /// `.image.digest`), as libsinsp's container manager writes them in the container event.
    pub image_tag: String,
    pub image_id: String,
    pub image_digest: String,
    pub privileged: bool,
    pub labels: HashMap<String, String>,
    /// `ip` (IPv4), used to tell local from remote socket ends of containerized threads.
    pub ip: Option<std::net::Ipv4Addr>,
    /// `Mounts` (docker inspect form), in order.
    pub mounts: Vec<ContainerMount>,
    /// `host_pid`, `host_network`, `host_ipc`: the container shares the host's namespace.
    pub host_pid: bool,
    pub host_network: bool,
    pub host_ipc: bool,
    /// `pod_sandbox_id`: the CRI pod sandbox (64 characters), for containers of a pod.
    pub pod_sandbox_id: String,
    /// `pod_sandbox_labels`: the pod's labels (CRI `PodSandboxStatus`).
    pub pod_sandbox_labels: std::collections::BTreeMap<String, String>,
    /// `cni_json`: the pod's CNI result as the runtime reports it.
    pub cni_json: String,
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
    /// libsinsp's name of the container type (`container.type`).
    fn type_name(&self) -> Option<&'static str> {
        Some(match self.ctype {
            0 => "docker",
            1 => "lxc",
            2 => "libvirt-lxc",
            3 => "mesos",
            4 => "rkt",
            5 => "custom",
            6 => "cri",
            7 => "containerd",
            8 => "cri-o",
            9 => "bpm",
            10 => "static",
            11 => "podman",
            _ => return None,
        })
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
            // Older writers put `null` where a map is empty.
            let pairs = |k: &str| -> Vec<(String, String)> {
                c.get(k)
                    .and_then(|l| l.as_object())
                    .map(|l| {
                        l.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let flag = |k: &str| c.get(k).and_then(|p| p.as_bool()).unwrap_or(false);
            let labels = pairs("labels").into_iter().collect();
            return Some(ContainerInfo {
                id: c.get("id")?.as_str()?.to_string(),
                full_id: s("full_id"),
                ctype: c.get("type").and_then(|t| t.as_u64()).unwrap_or(0),
                name: s("name"),
                image: s("image"),
                image_repository: s("imagerepo"),
                image_tag: s("imagetag"),
                image_id: s("imageid"),
                image_digest: s("imagedigest"),
                privileged: flag("privileged"),
                host_pid: flag("host_pid"),
                host_network: flag("host_network"),
                host_ipc: flag("host_ipc"),
                pod_sandbox_id: s("pod_sandbox_id"),
                pod_sandbox_labels: pairs("pod_sandbox_labels").into_iter().collect(),
                cni_json: s("cni_json"),
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

/// The name and type a socket tuple gives an fd (an IPv6 tuple of two IPv4-mapped addresses is
/// an IPv4 one, as libsinsp's connect/accept/update_fd parsers take it).
fn sockaddr_name(t: &SockTuple) -> Option<(String, char)> {
    match t {
        SockTuple::Inet { .. } => {
            let t = inet_tuple(t)?;
            Some((t.name(), if t.sip.is_ipv4() { '4' } else { '6' }))
        }
        SockTuple::Unix { source, dest, path } => {
            Some((format!("{source:x}->{dest:x} {path}"), 'u'))
        }
        SockTuple::Family(_) => None,
    }
}

/// The addresses of an inet socket tuple; both IPv4-mapped IPv6 addresses make an IPv4 tuple.
fn inet_tuple(t: &SockTuple) -> Option<InetTuple> {
    let SockTuple::Inet {
        sip,
        sport,
        dip,
        dport,
    } = *t
    else {
        return None;
    };
    let (sip, dip) = match (unmap(sip), unmap(dip)) {
        (s @ IpAddr::V4(_), d @ IpAddr::V4(_)) if sip.is_ipv6() == dip.is_ipv6() => (s, d),
        _ => (sip, dip),
    };
    Some(InetTuple {
        sip,
        sport,
        dip,
        dport,
    })
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address libsinsp uses for it
/// (`sinsp_utils::is_ipv4_mapped_ipv6`); other addresses unchanged.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses of an IPv4/IPv6 socket as libsinsp keeps them (`ipv4tuple`/`ipv6tuple` of
/// `sinsp_fdinfo::m_sockinfo`: source then destination, which `fd.name` prints as
/// `sip:sport->dip:dport`). The replay keeps only the name and reads the tuple back from it when
/// an event may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InetTuple {
    sip: IpAddr,
    sport: u16,
    dip: IpAddr,
    dport: u16,
}

impl InetTuple {
    /// The tuple of a socket named `sip:sport->dip:dport`; the all-zero tuple libsinsp gives a
    /// socket no event named yet (`add_socket` zeroes it) for an empty name.
    fn of_name(name: &str, v4: bool) -> Option<InetTuple> {
        if name.is_empty() {
            let any = if v4 {
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
            };
            return Some(InetTuple {
                sip: any,
                sport: 0,
                dip: any,
                dport: 0,
            });
        }
        let ((sip, sport), (dip, dport)) = fields::socket_tuple(name)?;
        Some(InetTuple {
            sip: sip.parse().ok()?,
            sport: sport.parse().ok()?,
            dip: dip.parse().ok()?,
            dport: dport.parse().ok()?,
        })
    }

    /// libsinsp `swap_addresses`.
    fn swapped(self) -> InetTuple {
        InetTuple {
            sip: self.dip,
            sport: self.dport,
            dip: self.sip,
            dport: self.sport,
        }
    }

    /// `sinsp_utils::sockinfo_to_str` without port resolution (Falco's setting).
    fn name(&self) -> String {
        format!("{}:{}->{}:{}", self.sip, self.sport, self.dip, self.dport)
    }

    /// The source and destination ports libsinsp reads through the IPv4 view of the socket's
    /// `m_sockinfo` union (`m_ipv4info.m_fields.m_sport`/`m_dport`): the real ports of an IPv4
    /// socket, bytes 8..10 and 10..12 of the source address of an IPv6 one (host order, little
    /// endian here). `set_net_role_by_guessing` uses these for both families.
    fn ipv4_view_ports(&self) -> (u16, u16) {
        match self.sip {
            IpAddr::V4(_) => (self.sport, self.dport),
            IpAddr::V6(a) => {
                let o = a.octets();
                (
                    u16::from_le_bytes([o[8], o[9]]),
                    u16::from_le_bytes([o[10], o[11]]),
                )
            }
        }
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

/// Most threads the state keeps by default (libsinsp's thread table, Falco's
/// `falco_libs.thread_table_size`).
pub const DEFAULT_MAX_THREADS: usize = 262_144;
/// Most fds one fd table keeps (libsinsp's `MAX_FD_TABLE_SIZE`: "table size is over the limit,
/// discard the fd").
pub const MAX_FDS: usize = 4_096;
/// Most containers the state keeps (container events past it are not recorded).
pub const MAX_CONTAINERS: usize = 65_536;
/// Largest enter event kept for its exit (libsinsp's `SP_EVT_BUF_SIZE`: a larger one is not
/// stored), in bytes of its parameters.
pub const MAX_ENTER_EVENT: usize = 4_096;

/// Default of [`StateLimits::max_bytes`].
pub const DEFAULT_MAX_STATE_BYTES: usize = 512 << 20;

/// Bounds of the replay state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLimits {
    /// Most threads kept; past it, the thread added the longest ago is dropped (the current
    /// event's thread never is). libsinsp drops the new thread instead; either way a thread
    /// table never grows past its size.
    pub max_threads: usize,
    /// Most memory the state (threads with their strings, fd tables, kept enter events,
    /// containers) may take, estimated from its contents. It is measured again whenever the
    /// events applied since the last measure could have added what was left (each event's
    /// possible growth is counted as it is applied), so the check costs a constant per event;
    /// past it the replay stops with [`StateTooLarge`].
    pub max_bytes: usize,
}

impl Default for StateLimits {
    fn default() -> Self {
        StateLimits {
            max_threads: DEFAULT_MAX_THREADS,
            max_bytes: DEFAULT_MAX_STATE_BYTES,
        }
    }
}

/// The replay state grew past [`StateLimits::max_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the replay state (threads, fds, containers) takes more than {limit} bytes (about {bytes}): the capture holds more processes or larger ones than a host has (the replay's limit, --max-state-size)"
)]
pub struct StateTooLarge {
    pub bytes: usize,
    pub limit: usize,
}

/// What a string takes in the state, its allocation included.
fn str_bytes(s: &str) -> usize {
    if s.is_empty() { 0 } else { s.len() + 16 }
}

fn strs_bytes(v: &[String]) -> usize {
    v.iter()
        .map(|s| str_bytes(s) + std::mem::size_of::<String>())
        .sum()
}

/// The memory an event takes when kept (its parameters, near enough).
pub(crate) fn event_bytes(ev: &Event) -> usize {
    std::mem::size_of::<Event>()
        + ev.params.len() * std::mem::size_of::<bulkhead_scap::Param>()
        + ev.params
            .iter()
            .map(|p| match &p.value {
                Value::Str(s) => s.len(),
                Value::Bytes(b) | Value::Raw(b) => b.len(),
                Value::StrList(l) => strs_bytes(l),
                Value::FdList(l) => l.len() * 16,
                Value::SockTuple(SockTuple::Unix { path, .. }) => path.len(),
                Value::SockAddr(SockAddr::Unix(path)) => path.len(),
                Value::Flags { names, .. } => names.len() * 16,
                _ => 0,
            })
            .sum::<usize>()
}

fn container_bytes(c: &ContainerInfo) -> usize {
    std::mem::size_of::<ContainerInfo>()
        + [
            &c.id,
            &c.full_id,
            &c.name,
            &c.image,
            &c.image_repository,
            &c.image_tag,
            &c.image_id,
            &c.image_digest,
        ]
        .iter()
        .map(|s| str_bytes(s))
        .sum::<usize>()
        + c.labels
            .iter()
            .map(|(k, v)| 64 + k.len() + v.len())
            .sum::<usize>()
        + c.mounts
            .iter()
            .map(|m| 128 + m.source.len() + m.dest.len() + m.mode.len() + m.propagation.len())
            .sum::<usize>()
}

fn fd_bytes(e: &FdEntry) -> usize {
    8 + std::mem::size_of::<FdEntry>()
        + str_bytes(&e.name)
        + str_bytes(&e.name_raw)
        + str_bytes(&e.oldname)
}

/// The memory a thread takes (its own fd table included).
fn thread_bytes(t: &Thread) -> usize {
    8 + std::mem::size_of::<Thread>()
        + str_bytes(&t.comm)
        + str_bytes(&t.exe)
        + str_bytes(&t.exepath)
        + str_bytes(&t.cwd)
        + t.container_id.as_deref().map_or(0, str_bytes)
        + strs_bytes(&t.args)
        + strs_bytes(&t.env)
        + t.fds.capacity() * 8
        + t.fds.values().map(fd_bytes).sum::<usize>()
        + t.last_enter_event.as_ref().map_or(0, event_bytes)
}

/// Add an fd to a table unless the table is full ([`MAX_FDS`]; replacing an fd always works).
fn fd_insert(fds: &mut Map<i64, FdEntry>, fd: i64, e: FdEntry) {
    if fds.len() < MAX_FDS || fds.contains_key(&fd) {
        fds.insert(fd, e);
    }
}

/// State shared by all events of a replay.
#[derive(Debug, Default)]
pub struct State {
    pub threads: Map<u64, Box<Thread>>,
    /// Bounds of the state.
    pub limits: StateLimits,
    /// Thread ids in the order they were added (may hold ids since removed), for dropping the
    /// oldest when the table is full.
    order: std::collections::VecDeque<u64>,
    /// The thread of the event being applied (never dropped).
    pinned: Option<u64>,
    /// Threads dropped because the table was full.
    pub dropped_threads: u64,
    /// The state's size when last measured, and what it may have grown by since.
    measured: usize,
    growth: usize,
    /// Set once the state was measured over [`StateLimits::max_bytes`].
    pub too_large: Option<StateTooLarge>,
    /// Live secondary threads (tid != pid) per process id: whether a main thread that exits is
    /// kept (libsinsp `thread_group_info::get_thread_count`), and which processes an execve may
    /// have to clear of other threads.
    thread_groups: Map<u64, std::collections::HashSet<u64, foldhash::fast::RandomState>>,
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
    /// Netmasks of `ipv4_interfaces` (same order; an address without one is taken as a /32),
    /// for libsinsp's `infer_ipv4_address`.
    pub ipv4_netmasks: Vec<std::net::Ipv4Addr>,
}

impl State {
    /// The fd table thread `t` uses (libsinsp `sinsp_threadinfo::get_fd_table`, threadinfo.h):
    /// its own, unless it shares its process's ([`Thread::uses_main_fds`]); then the main
    /// thread's (the entry of its pid, itself a main thread), or none when the capture does not
    /// have that thread (`get_main_thread` returns null: lookups find nothing and new fds are
    /// dropped, as in libsinsp).
    pub fn fd_table<'a>(&'a self, t: &'a Thread) -> Option<&'a Map<i64, FdEntry>> {
        if t.uses_main_fds() {
            self.main_fds(t.pid)
        } else {
            Some(&t.fds)
        }
    }

    /// The fd table thread `tid` uses ([`State::fd_table`]).
    pub fn fds_of(&self, tid: u64) -> Option<&Map<i64, FdEntry>> {
        self.fd_table(self.threads.get(&tid)?)
    }

    /// The fd table of the main thread of process `pid` (none when it is not in the table).
    fn main_fds(&self, pid: u64) -> Option<&Map<i64, FdEntry>> {
        self.threads
            .get(&pid)
            .filter(|m| m.pid == pid)
            .map(|m| &m.fds)
    }

    fn main_fds_mut(&mut self, pid: u64) -> Option<&mut Map<i64, FdEntry>> {
        self.threads
            .get_mut(&pid)
            .filter(|m| m.pid == pid)
            .map(|m| &mut m.fds)
    }

    /// Run `f` on the fd table thread `tid` uses ([`State::fd_table`]); `None` when there is
    /// none. One map lookup for a thread with its own table, two for one that shares.
    fn with_fds<R>(&mut self, tid: u64, f: impl FnOnce(&mut Map<i64, FdEntry>) -> R) -> Option<R> {
        let t = self.threads.get_mut(&tid)?;
        if !t.uses_main_fds() {
            return Some(f(&mut t.fds));
        }
        let pid = t.pid;
        self.main_fds_mut(pid).map(f)
    }

    /// An fd of the table thread `tid` uses.
    fn fd_mut(&mut self, tid: u64, fd: i64) -> Option<&mut FdEntry> {
        let t = self.threads.get(&tid)?;
        let fds = if t.uses_main_fds() {
            let pid = t.pid;
            self.main_fds_mut(pid)?
        } else {
            &mut self.threads.get_mut(&tid)?.fds
        };
        fds.get_mut(&fd)
    }

    /// The working directory of thread `t` (libsinsp `get_cwd`, threadinfo.cpp): its main
    /// thread's whatever the clone flags ("glibc and muslc use always CLONE_THREAD|CLONE_FS"),
    /// its own for a main thread, a placeholder or a thread whose main thread the capture does
    /// not have (libsinsp then answers `./`; see docs/runtime.md).
    pub fn cwd_of<'a>(&'a self, t: &'a Thread) -> &'a str {
        match t.secondary_of() {
            Some(pid) => self
                .threads
                .get(&pid)
                .filter(|m| m.pid == pid)
                .map_or(&t.cwd, |m| &m.cwd),
            None => &t.cwd,
        }
    }

    /// The working directory a chdir/fchdir/execve of thread `tid` sets ([`State::cwd_of`]).
    fn cwd_mut(&mut self, tid: u64) -> Option<&mut String> {
        let owner = match self.threads.get(&tid)?.secondary_of() {
            Some(pid) if self.threads.get(&pid).is_some_and(|m| m.pid == pid) => pid,
            _ => tid,
        };
        self.threads.get_mut(&owner).map(|t| &mut t.cwd)
    }

    /// Make room for a new thread `tid` ([`StateLimits::max_threads`]): drop the threads added
    /// the longest ago, never `tid` itself nor the current event's thread.
    fn make_room(&mut self, tid: u64) {
        let max = self.limits.max_threads.max(1);
        while self.threads.len() >= max {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if Some(old) == self.pinned {
                self.order.push_back(old);
                if self.order.len() <= 1 {
                    break;
                }
                continue;
            }
            if old == tid || !self.threads.contains_key(&old) {
                continue;
            }
            if let Some(pid) = self.threads.remove(&old).and_then(|t| t.group) {
                self.leave_group(pid, old);
            }
            self.dropped_threads += 1;
        }
        // Ids of threads gone since: compact once they are as many as the live ones.
        if self.order.len() > 2 * self.threads.len().max(1024) {
            let threads = &self.threads;
            self.order.retain(|t| threads.contains_key(t));
        }
    }

    /// Before adding thread `tid`: room in the table, and its place in the order.
    fn admit(&mut self, tid: u64) {
        if self.threads.contains_key(&tid) {
            return;
        }
        if self.threads.len() >= self.limits.max_threads.max(1)
            || self.order.len() > 2 * self.threads.len().max(1024)
        {
            self.make_room(tid);
        }
        self.order.push_back(tid);
    }

    /// The thread `tid`, a placeholder added when absent (within the table's limit).
    fn thread_entry(&mut self, tid: u64) -> &mut Thread {
        if (self.threads.len() >= self.limits.max_threads.max(1)
            || self.order.len() > 2 * self.threads.len().max(1024))
            && !self.threads.contains_key(&tid)
        {
            self.make_room(tid);
        }
        let order = &mut self.order;
        self.threads.entry(tid).or_insert_with(|| {
            order.push_back(tid);
            Box::new(Thread::placeholder(tid))
        })
    }

    /// The memory the state takes, estimated from its contents (a walk over all of it).
    pub fn memory(&self) -> usize {
        self.threads.capacity() * 16
            + self
                .threads
                .values()
                .map(|t| thread_bytes(t))
                .sum::<usize>()
            + self.containers.values().map(container_bytes).sum::<usize>()
            + self.order.capacity() * 8
            + self
                .thread_groups
                .values()
                .map(|g| 32 + g.capacity() * 16)
                .sum::<usize>()
    }

    /// Count what the state may have grown by; measure it when that could have used up what was
    /// left under [`StateLimits::max_bytes`] (so a measure, which walks the state, happens once
    /// per that much growth: a constant cost per event).
    pub(crate) fn grew(&mut self, bytes: usize) {
        self.growth = self.growth.saturating_add(bytes);
        let limit = self.limits.max_bytes;
        if self.too_large.is_some() || self.measured.saturating_add(self.growth) <= limit {
            return;
        }
        self.measured = self.memory();
        self.growth = 0;
        if self.measured > limit {
            self.too_large = Some(StateTooLarge {
                bytes: self.measured,
                limit,
            });
        } else if self.measured > limit - limit / 10 {
            // Under 10% left: measuring again after each little growth would cost a walk per
            // event; stop here instead.
            self.too_large = Some(StateTooLarge {
                bytes: self.measured,
                limit,
            });
        }
    }

    /// Add (or replace) a thread, keeping [`State::thread_groups`] right.
    fn insert_thread(&mut self, t: Thread) -> Option<Thread> {
        let tid = t.tid;
        self.grew(thread_bytes(&t));
        self.admit(tid);
        let old = self.threads.insert(tid, Box::new(t));
        if let Some(pid) = old.as_ref().and_then(|o| o.group) {
            self.leave_group(pid, tid);
        }
        self.regroup(tid);
        old.map(|o| *o)
    }

    /// Count thread `tid` in the group of its process if it is a secondary thread (after its pid
    /// changed, or when it was added).
    fn regroup(&mut self, tid: u64) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        let want = t.secondary_of();
        if t.group == want {
            return;
        }
        let old = std::mem::replace(&mut t.group, want);
        if let Some(pid) = want {
            self.thread_groups.entry(pid).or_default().insert(tid);
        }
        if let Some(pid) = old {
            self.leave_group(pid, tid);
        }
    }

    /// One secondary thread of process `pid` less; the last one takes a dead main thread with it
    /// (libsinsp `remove_thread`: "We remove the main thread if there are no other threads in
    /// the group").
    fn leave_group(&mut self, pid: u64, tid: u64) {
        let Some(members) = self.thread_groups.get_mut(&pid) else {
            return;
        };
        members.remove(&tid);
        if members.is_empty() {
            self.thread_groups.remove(&pid);
            if self.threads.get(&pid).is_some_and(|m| m.dead) {
                self.threads.remove(&pid);
            }
        }
    }

    /// Remove thread `tid` after its `procexit` (libsinsp `remove_thread`): a main thread with
    /// live secondary threads stays, dead.
    fn remove_thread(&mut self, tid: u64) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        if t.tid == t.pid && self.thread_groups.contains_key(&tid) {
            t.dead = true;
            return;
        }
        if let Some(pid) = self.threads.remove(&tid).and_then(|t| t.group) {
            self.leave_group(pid, tid);
        }
    }

    /// libsinsp `parse_execve_exit`: "If any of the threads in a thread group performs an
    /// execve, then all threads other than the thread group leader are terminated": the threads
    /// of process `pid` other than its main thread and `tid` (the event's) are removed.
    fn exec_clears_group(&mut self, pid: u64, tid: u64) {
        // The members of the group, not a scan of every thread.
        let Some(members) = self.thread_groups.get(&pid) else {
            return;
        };
        let others: Vec<u64> = members.iter().copied().filter(|&t| t != tid).collect();
        for o in others {
            self.remove_thread(o);
        }
    }

    /// libsinsp `sinsp_network_interfaces::infer_ipv4_address` (userspace/libsinsp/ifinfo.cpp,
    /// as `update_fd` there and `infer_ipv6_address`): the interface address equal to
    /// `dest`, else the first one on its subnet, else the first that is not 127.0.0.1, else
    /// 0.0.0.0.
    fn infer_ipv4_address(&self, dest: std::net::Ipv4Addr) -> std::net::Ipv4Addr {
        let ifs = &self.ipv4_interfaces;
        if ifs.contains(&dest) {
            return dest;
        }
        let mask = |i: usize| {
            self.ipv4_netmasks
                .get(i)
                .map_or(u32::MAX, |m| u32::from(*m))
        };
        ifs.iter()
            .enumerate()
            .find(|(i, a)| u32::from(**a) & mask(*i) == u32::from(dest) & mask(*i))
            .map(|(_, a)| *a)
            .or_else(|| ifs.iter().find(|a| a.octets() != [127, 0, 0, 1]).copied())
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED)
    }

    /// libsinsp `infer_ipv6_address`: the interface address equal to `dest`, else the first on
    /// its /64 (`ipv6addr::in_subnet`), else the first that is not ::1, else ::.
    fn infer_ipv6_address(&self, dest: std::net::Ipv6Addr) -> std::net::Ipv6Addr {
        let ifs = &self.ipv6_interfaces;
        if ifs.contains(&dest) {
            return dest;
        }
        ifs.iter()
            .find(|a| a.octets()[..8] == dest.octets()[..8])
            .or_else(|| ifs.iter().find(|a| **a != std::net::Ipv6Addr::LOCALHOST))
            .copied()
            .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED)
    }

    /// libsinsp `sinsp_network_interfaces::update_fd`: a tuple with an unspecified source
    /// (destination) address gets the interface address inferred from the other end, unless
    /// that is the other end itself and both ports are equal.
    fn complete_tuple(&self, t: &mut InetTuple) {
        let same_ports = t.sport == t.dport;
        let (src_missing, known) = match (t.sip, t.dip) {
            (s, d) if !s.is_unspecified() && !d.is_unspecified() => return,
            (s, d) if s.is_unspecified() => (true, d),
            (s, _) => (false, s),
        };
        let new = match known {
            IpAddr::V4(k) => IpAddr::V4(self.infer_ipv4_address(k)),
            IpAddr::V6(k) => IpAddr::V6(self.infer_ipv6_address(k)),
        };
        if new == known && same_ports {
            return;
        }
        if src_missing {
            t.sip = new;
        } else {
            t.dip = new;
        }
    }
}

/// A record of the state around the events: what a capture's metadata blocks say (machine,
/// interfaces, users and groups, the process list, fd lists), and what a live sensor's `/proc`
/// scan will say at its start. [`Inspector::apply_state`] takes them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateRecord {
    Machine(bulkhead_scap::MachineInfo),
    Interfaces(Vec<bulkhead_scap::Interface>),
    Users {
        users: Vec<bulkhead_scap::User>,
        groups: Vec<bulkhead_scap::Group>,
    },
    /// Processes and threads (a process list).
    Threads(Vec<ThreadInfo>),
    /// The open fds of a thread.
    Fds {
        tid: u64,
        fds: Vec<FdInfo>,
    },
}

/// libsinsp's inspector state without its I/O: the threads, fds, users, containers and machine
/// that events update ([`Inspector::apply`]), and the last event as the rules see it. It reads
/// nothing itself; a `.scap` reader, Bulkhead's capture reader or the live sensor feed it.
#[derive(Debug, Default)]
pub struct Inspector {
    pub state: State,
    /// Events applied (`evt.num` of the last one).
    events: u64,
    current: Option<Event>,
    current_fd: Option<i64>,
    /// The enter event matching the current exit event (for parameters only enter events have).
    current_enter: Option<Event>,
    pending_fd_removals: Vec<(u64, i64)>,
    pending_thread_removals: Vec<u64>,
}

/// A `.scap` capture replayed into an [`Inspector`]: the capture's events one by one, each
/// applied to the state (a convenience over [`crate::source::ScapSource`] for tests and tools;
/// the runtime pipeline, [`crate::pipeline`], does the same for any source).
pub struct Replayer {
    source: crate::source::ScapSource,
    pub inspector: Inspector,
}

impl Replayer {
    pub fn open(path: &Path) -> Result<Replayer, crate::source::SourceError> {
        Ok(Replayer {
            source: crate::source::ScapSource::open(path)?,
            inspector: Inspector::new(),
        })
    }

    /// Apply libscap's old-event converter (newer libsinsp semantics) before parsing.
    pub fn with_conversion(mut self, on: bool) -> Self {
        self.source = self.source.with_conversion(on);
        self
    }

    /// The next event, applied to the state, ready for evaluation.
    pub fn next_event(&mut self) -> Result<Option<SyscallEvent<'_>>, crate::source::SourceError> {
        use crate::source::{EventSource, SourceEvent};
        loop {
            match self.source.next_event()? {
                None => return Ok(None),
                Some(SourceEvent::State(r)) => self.inspector.apply_state(&r),
                Some(SourceEvent::Syscall(ev)) => {
                    if let Some(e) = self.inspector.too_large() {
                        return Err(crate::source::SourceError::State(e));
                    }
                    return Ok(Some(self.inspector.apply(ev)));
                }
                // A .scap source yields nothing else.
                Some(_) => {}
            }
        }
    }

    /// Events read so far.
    pub fn events_read(&self) -> u64 {
        self.inspector.events()
    }

    pub fn state(&self) -> &State {
        &self.inspector.state
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

/// Replay a `.scap` capture through a `syscall` detector, calling `on_alert` for every alert
/// (the runtime pipeline, [`crate::pipeline::Pipeline`], with one sink). A capture that cannot be
/// read (or is corrupt mid-way) is an error; alerts raised before the error have been delivered.
pub fn replay_scap(
    path: &Path,
    detector: &Detector,
    on_alert: &mut dyn FnMut(&Alert),
) -> Result<ReplayStats, crate::pipeline::RuntimeError> {
    let mut source = crate::source::ScapSource::open(path)?;
    let mut sink = crate::pipeline::FnSink(|a: &Alert| on_alert(a));
    let mut p = crate::pipeline::Pipeline::with_detectors(vec![detector]);
    let s = p.run(&mut source, &mut [&mut sink])?;
    Ok(ReplayStats {
        events_read: s.events,
        events_evaluated: s.evaluated,
        alerts: s.alerts,
    })
}

#[cfg(test)]
mod table_tests;
