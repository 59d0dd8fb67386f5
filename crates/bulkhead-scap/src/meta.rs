//! Metadata blocks: section header, machine info, interfaces, users, processes, fds.

use crate::block::*;
use crate::error::ScapError;
use std::net::{Ipv4Addr, Ipv6Addr};

const MAX_PATH: usize = 1024;
const MAX_ARGS: usize = 4096;
const MAX_ENV: usize = 4096;
const MAX_CGROUPS: usize = 4096;
const MAX_CRED: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    pub major: u16,
    pub minor: u16,
    pub section_length: i64,
}

pub(crate) fn parse_shb(b: &RawBlock) -> Result<SectionHeader, ScapError> {
    let mut c = Cur::new(&b.body, b.offset + 8);
    let magic = c.u32("section header magic")?;
    if magic == SHB_MAGIC.swap_bytes() {
        return Err(ScapError::unsupported(
            b.offset,
            "big-endian section (byte-order magic 0x4d3c2b1a) is not supported".into(),
        ));
    }
    if magic != SHB_MAGIC {
        return Err(ScapError::corrupt(
            b.offset,
            format!("invalid section magic {magic:#x}"),
        ));
    }
    let major = c.u16("major version")?;
    let minor = c.u16("minor version")?;
    let section_length = c.u64("section length")? as i64;
    if major > 1 {
        return Err(ScapError::unsupported(
            b.offset,
            format!("scap format version {major}.{minor} is newer than 1.x"),
        ));
    }
    Ok(SectionHeader {
        major,
        minor,
        section_length,
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineInfo {
    pub num_cpus: u32,
    pub memory_size_bytes: u64,
    pub max_pid: u64,
    pub hostname: String,
    /// `boot_ts_epoch` in newer libs, `reserved1` before.
    pub boot_ts_epoch: u64,
    pub flags: u64,
}

pub(crate) fn parse_machine_info(b: &RawBlock) -> Result<MachineInfo, ScapError> {
    let mut c = Cur::new(&b.body, b.offset + 8);
    let num_cpus = c.u32("num_cpus")?;
    // The struct is written packed (180 bytes) by every libs version seen; a
    // naturally aligned layout (184 bytes) has 4 padding bytes after num_cpus.
    if b.body.len() == 184 {
        c.bytes(4, "padding")?;
    }
    let memory_size_bytes = c.u64("memory_size_bytes")?;
    let max_pid = c.u64("max_pid")?;
    let hostname = crate::block::lossy(
        c.bytes(128, "hostname")?
            .split(|&x| x == 0)
            .next()
            .unwrap_or(&[]),
    );
    let boot_ts_epoch = if c.remaining() >= 8 {
        c.u64("boot_ts")?
    } else {
        0
    };
    let flags = if c.remaining() >= 8 {
        c.u64("flags")?
    } else {
        0
    };
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
        boot_ts_epoch,
        flags,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceAddr {
    V4 {
        addr: Ipv4Addr,
        netmask: Ipv4Addr,
        bcast: Ipv4Addr,
    },
    V6 {
        addr: Ipv6Addr,
        netmask: Ipv6Addr,
        bcast: Ipv6Addr,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub addr: InterfaceAddr,
    pub linkspeed: u64,
}

fn ip4(b: &[u8]) -> Ipv4Addr {
    // stored in network byte order as a u32 read from memory
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn ip6(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

pub(crate) fn parse_iflist(b: &RawBlock) -> Result<Vec<Interface>, ScapError> {
    let mut c = Cur::new(&b.body, b.offset + 8);
    let mut out = Vec::new();
    let v2 = b.block_type == IL_BLOCK_TYPE_V2;
    while c.remaining() >= 4 {
        let start = c.pos;
        let entry_len = if v2 {
            Some(c.u32("interface entry length")? as usize)
        } else {
            None
        };
        let entry_start = c.pos;
        let off = c.off();
        let iftype = c.u16("interface type")?;
        let namelen = c.u16("interface name length")? as usize;
        if namelen >= MAX_PATH {
            return Err(ScapError::corrupt(
                off,
                format!("interface name length {namelen}"),
            ));
        }
        let (addr, linkspeed) = match iftype {
            // SCAP_II_IPV4 = 1, SCAP_II_IPV6 = 2, *_NOLINKSPEED = 3 / 4
            1 | 3 => {
                let a = ip4(c.bytes(4, "if addr")?);
                let m = ip4(c.bytes(4, "if netmask")?);
                let bc = ip4(c.bytes(4, "if bcast")?);
                let ls = if iftype == 1 { c.u64("linkspeed")? } else { 0 };
                (
                    InterfaceAddr::V4 {
                        addr: a,
                        netmask: m,
                        bcast: bc,
                    },
                    ls,
                )
            }
            2 | 4 => {
                let a = ip6(c.bytes(16, "if addr")?);
                let m = ip6(c.bytes(16, "if netmask")?);
                let bc = ip6(c.bytes(16, "if bcast")?);
                let ls = if iftype == 2 { c.u64("linkspeed")? } else { 0 };
                (
                    InterfaceAddr::V6 {
                        addr: a,
                        netmask: m,
                        bcast: bc,
                    },
                    ls,
                )
            }
            t => {
                return Err(ScapError::corrupt(
                    off,
                    format!("unknown interface type {t}"),
                ));
            }
        };
        let name = lossy(c.bytes(namelen, "interface name")?);
        if let Some(len) = entry_len {
            let used = c.pos - entry_start;
            if used > len {
                return Err(ScapError::corrupt(
                    off,
                    format!("interface entry longer ({used}) than its length {len}"),
                ));
            }
            c.bytes(len - used, "interface entry tail")?;
        }
        debug_assert!(c.pos > start);
        out.push(Interface {
            name,
            addr,
            linkspeed,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub homedir: String,
    pub shell: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub gid: u32,
    pub name: String,
}

pub(crate) fn parse_userlist(b: &RawBlock) -> Result<(Vec<User>, Vec<Group>), ScapError> {
    let mut c = Cur::new(&b.body, b.offset + 8);
    let v2 = b.block_type == UL_BLOCK_TYPE_V2;
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    while c.remaining() >= 4 {
        let off = c.off();
        let sub_len = if v2 {
            c.u32("user entry length")? as usize
        } else {
            0
        };
        let start = c.pos;
        let ty = c.u8("user entry type")?;
        if ty == 0 {
            let uid = c.u32("uid")?;
            let gid = c.u32("gid")?;
            let name = c.str16("user name", MAX_CRED - 1)?;
            let homedir = c.str16("user homedir", MAX_CRED - 1)?;
            let shell = c.str16("user shell", MAX_CRED - 1)?;
            users.push(User {
                uid,
                gid,
                name,
                homedir,
                shell,
            });
        } else {
            let gid = c.u32("gid")?;
            let name = c.str16("group name", MAX_CRED - 1)?;
            groups.push(Group { gid, name });
        }
        if v2 {
            skip_to(&mut c, start - 4, sub_len, off, "user entry")?;
        }
    }
    Ok((users, groups))
}

/// After an entry with a u32 length prefix starting at `entry_start`, skip the unread tail.
fn skip_to(
    c: &mut Cur,
    entry_start: usize,
    sub_len: usize,
    off: u64,
    what: &str,
) -> Result<(), ScapError> {
    if sub_len == 0 {
        return Ok(());
    }
    let used = c.pos - entry_start;
    if used > sub_len {
        return Err(ScapError::corrupt(
            off,
            format!("read {used} bytes, but {what} has length {sub_len}"),
        ));
    }
    c.bytes(sub_len - used, what)?;
    Ok(())
}

/// One thread of the process list block (`scap_threadinfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadInfo {
    pub tid: u64,
    pub pid: u64,
    pub ptid: u64,
    pub sid: Option<u64>,
    pub vpgid: Option<u64>,
    pub comm: String,
    pub exe: String,
    pub exepath: Option<String>,
    /// NUL-separated argument list as on file (without argv[0]).
    pub args: Vec<u8>,
    pub cwd: String,
    pub fdlimit: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub env: Vec<u8>,
    pub vtid: Option<i64>,
    pub vpid: Option<i64>,
    /// NUL-separated `subsys=path` entries.
    pub cgroups: Vec<u8>,
    pub root: Option<String>,
    pub loginuid: Option<i32>,
    pub exe_writable: Option<bool>,
    pub cap_inheritable: Option<u64>,
    pub cap_permitted: Option<u64>,
    pub cap_effective: Option<u64>,
    /// Fields written by libs >= 0.10 (V9 entries; `pidns_init_start_ts` and `tty` come right
    /// after `root`, before `loginuid`, in those files), each present when the entry holds it.
    pub pidns_init_start_ts: Option<u64>,
    /// Controlling terminal (`tty_nr` of /proc/PID/stat; 0 for none).
    pub tty: Option<u32>,
    pub exe_upper_layer: Option<bool>,
    pub exe_ino: Option<u64>,
    pub exe_ino_ctime: Option<u64>,
    pub exe_ino_mtime: Option<u64>,
    pub exe_from_memfd: Option<bool>,
    pub exe_lower_layer: Option<bool>,
    pub pgid: Option<i64>,
    /// Bytes of a V9 entry past the fields known here (newer libs append fields).
    pub unknown_tail: usize,
}

impl ThreadInfo {
    /// Arguments split at NUL.
    pub fn args_list(&self) -> Vec<String> {
        split_nul(&self.args)
    }
    pub fn cgroups_list(&self) -> Vec<String> {
        split_nul(&self.cgroups)
    }
    /// Container id guessed from the cgroup paths (docker/cri-o/containerd 64-hex ids), short 12 chars.
    pub fn container_id(&self) -> Option<String> {
        container_id_of_cgroups(&self.cgroups)
    }
}

/// The container id (12 characters) of NUL-separated `subsys=path` cgroup entries, from the last
/// path component that is a 64-hex id, bare or in the `docker-`, `crio-`, `cri-containerd-`,
/// `libpod-` (and `.scope`) shapes.
pub fn container_id_of_cgroups(cgroups: &[u8]) -> Option<String> {
    for cg in split_nul(cgroups) {
        let path = cg.split_once('=').map(|x| x.1).unwrap_or(&cg);
        for part in path.split('/').rev() {
            let part = part
                .trim_start_matches("docker-")
                .trim_start_matches("crio-")
                .trim_start_matches("cri-containerd-")
                .trim_start_matches("libpod-")
                .trim_end_matches(".scope");
            if part.len() == 64 && part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Some(part[..12].to_string());
            }
        }
    }
    None
}

pub(crate) fn split_nul(b: &[u8]) -> Vec<String> {
    b.split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Process list version 1..=9 from its block type.
pub fn proclist_version(bt: u32) -> Option<u8> {
    Some(match bt {
        PL_BLOCK_TYPE_V1 | PL_BLOCK_TYPE_V1_INT => 1,
        PL_BLOCK_TYPE_V2 | PL_BLOCK_TYPE_V2_INT => 2,
        PL_BLOCK_TYPE_V3 | PL_BLOCK_TYPE_V3_INT => 3,
        PL_BLOCK_TYPE_V4 => 4,
        PL_BLOCK_TYPE_V5 => 5,
        PL_BLOCK_TYPE_V6 => 6,
        PL_BLOCK_TYPE_V7 => 7,
        PL_BLOCK_TYPE_V8 => 8,
        PL_BLOCK_TYPE_V9 => 9,
        _ => return None,
    })
}

/// The threads of a process list block: at most `max_threads` kept (the rest are read, checked
/// and counted in the second value, as libsinsp drops threads past its table's size).
pub(crate) fn parse_proclist(
    b: &RawBlock,
    max_threads: usize,
) -> Result<(Vec<ThreadInfo>, u64), ScapError> {
    let v = proclist_version(b.block_type).unwrap_or(1);
    let mut c = Cur::new(&b.body, b.offset + 8);
    let mut out = Vec::new();
    let mut dropped = 0u64;
    while c.remaining() >= 4 {
        let off = c.off();
        let start = c.pos;
        let sub_len = if v >= 9 {
            c.u32("proclist entry length")? as usize
        } else {
            0
        };
        let mut t = ThreadInfo {
            tid: c.u64("tid")?,
            pid: c.u64("pid")?,
            ptid: c.u64("ptid")?,
            ..Default::default()
        };
        if v >= 6 {
            t.sid = Some(c.u64("sid")?);
        }
        if v >= 8 {
            t.vpgid = Some(c.u64("vpgid")?);
        }
        t.comm = c.str16("comm", MAX_PATH)?;
        t.exe = c.str16("exe", MAX_PATH)?;
        if v >= 7 {
            t.exepath = Some(c.str16("exepath", MAX_PATH)?);
        }
        let n = c.u16("args length")? as usize;
        if n > MAX_ARGS {
            return Err(ScapError::corrupt(
                c.off(),
                format!("invalid args length {n}"),
            ));
        }
        t.args = c.bytes(n, "args")?.to_vec();
        t.cwd = c.str16("cwd", MAX_PATH)?;
        t.fdlimit = c.u64("fdlimit")?;
        t.flags = c.u32("flags")?;
        t.uid = c.u32("uid")?;
        t.gid = c.u32("gid")?;
        if v >= 2 {
            t.vmsize_kb = c.u32("vmsize_kb")?;
            t.vmrss_kb = c.u32("vmrss_kb")?;
            t.vmswap_kb = c.u32("vmswap_kb")?;
            t.pfmajor = c.u64("pfmajor")?;
            t.pfminor = c.u64("pfminor")?;
            if v >= 3 {
                let n = c.u16("env length")? as usize;
                if n > MAX_ENV {
                    return Err(ScapError::corrupt(
                        c.off(),
                        format!("invalid env length {n}"),
                    ));
                }
                t.env = c.bytes(n, "env")?.to_vec();
            }
            if v >= 4 {
                t.vtid = Some(c.u64("vtid")? as i64);
                t.vpid = Some(c.u64("vpid")? as i64);
                let n = c.u16("cgroups length")? as usize;
                if n > MAX_CGROUPS {
                    return Err(ScapError::corrupt(
                        c.off(),
                        format!("invalid cgroups length {n}"),
                    ));
                }
                t.cgroups = c.bytes(n, "cgroups")?.to_vec();
                if v >= 5 {
                    t.root = Some(c.str16("root", MAX_PATH)?);
                }
            }
        }
        if sub_len > 0 {
            let end = start + sub_len;
            let room = |c: &Cur, n: usize| c.pos + n <= end;
            // libs 0.10 inserted `pidns_init_start_ts` and `tty` before `loginuid`; entries
            // written before that have at most loginuid + exe_writable + 3 capability sets
            // (29 bytes) left here, which is how libscap tells the two layouts apart.
            let pre_0_10 = end.saturating_sub(c.pos) <= 29;
            if !pre_0_10 {
                if room(&c, 8) {
                    t.pidns_init_start_ts = Some(c.u64("pidns_init_start_ts")?);
                }
                if room(&c, 4) {
                    t.tty = Some(c.u32("tty")?);
                }
            }
            if room(&c, 4) {
                t.loginuid = Some(c.u32("loginuid")? as i32);
            }
            if room(&c, 1) {
                t.exe_writable = Some(c.u8("exe_writable")? != 0);
            }
            if room(&c, 8) {
                t.cap_inheritable = Some(c.u64("cap_inheritable")?);
            }
            if room(&c, 8) {
                t.cap_permitted = Some(c.u64("cap_permitted")?);
            }
            if room(&c, 8) {
                t.cap_effective = Some(c.u64("cap_effective")?);
            }
            if room(&c, 1) {
                t.exe_upper_layer = Some(c.u8("exe_upper_layer")? != 0);
            }
            if room(&c, 8) {
                t.exe_ino = Some(c.u64("exe_ino")?);
            }
            if room(&c, 8) {
                t.exe_ino_ctime = Some(c.u64("exe_ino_ctime")?);
            }
            if room(&c, 8) {
                t.exe_ino_mtime = Some(c.u64("exe_ino_mtime")?);
            }
            if room(&c, 1) {
                t.exe_from_memfd = Some(c.u8("exe_from_memfd")? != 0);
            }
            if room(&c, 1) {
                t.exe_lower_layer = Some(c.u8("exe_lower_layer")? != 0);
            }
            if room(&c, 8) {
                t.pgid = Some(c.u64("pgid")? as i64);
            }
            if c.pos > end {
                return Err(ScapError::corrupt(
                    off,
                    format!(
                        "proclist entry read {} bytes past its length {sub_len}",
                        c.pos - end
                    ),
                ));
            }
            t.unknown_tail = end - c.pos;
            c.bytes(end - c.pos, "proclist entry tail")?;
        }
        if out.len() < max_threads {
            out.push(t);
        } else {
            dropped += 1;
        }
    }
    Ok((out, dropped))
}

/// Type-specific information of an fd table entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdDetail {
    /// Name / path (files, directories, fifos, event fds, ...).
    Name(String),
    /// `SCAP_FD_FILE_V2`.
    File {
        open_flags: u32,
        name: String,
        dev: Option<u32>,
    },
    Ipv4Socket {
        sip: Ipv4Addr,
        dip: Ipv4Addr,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv4Server {
        ip: Ipv4Addr,
        port: u16,
        l4proto: u8,
    },
    Ipv6Socket {
        sip: Ipv6Addr,
        dip: Ipv6Addr,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv6Server {
        ip: Ipv6Addr,
        port: u16,
        l4proto: u8,
    },
    Unix {
        source: u64,
        destination: u64,
        name: String,
    },
    Unknown,
}

/// `scap_fd_type` values.
pub fn fd_type_name(t: u8) -> &'static str {
    match t {
        0 => "unknown",
        1 => "file",
        2 => "directory",
        3 => "ipv4",
        4 => "ipv6",
        5 => "ipv4_server",
        6 => "ipv6_server",
        7 => "fifo",
        8 => "unix",
        9 => "event",
        10 => "unsupported",
        11 => "signalfd",
        12 => "eventpoll",
        13 => "inotify",
        14 => "timerfd",
        15 => "netlink",
        16 => "file",
        17 => "bpf",
        18 => "userfaultfd",
        19 => "io_uring",
        20 => "memfd",
        21 => "pidfd",
        _ => "?",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    pub fd: i64,
    pub ino: u64,
    pub fd_type: u8,
    pub detail: FdDetail,
}

/// The fds of an fd list block: at most `max_fds` kept (the rest are read, checked and counted
/// in the third value, as libsinsp's fd table of a process drops fds past its size).
pub(crate) fn parse_fdlist(
    b: &RawBlock,
    max_fds: usize,
) -> Result<(u64, Vec<FdInfo>, u64), ScapError> {
    let mut c = Cur::new(&b.body, b.offset + 8);
    let v2 = b.block_type == FDL_BLOCK_TYPE_V2;
    let tid = c.u64("fdlist tid")?;
    let mut out = Vec::new();
    let mut dropped = 0u64;
    while c.remaining() >= 4 {
        let off = c.off();
        let start = c.pos;
        let sub_len = if v2 {
            c.u32("fd entry length")? as usize
        } else {
            0
        };
        let fd = c.u64("fd")? as i64;
        let ino = c.u64("ino")?;
        let ty = c.u8("fd type")?;
        let name = |c: &mut Cur| -> Result<String, ScapError> {
            let off = c.off();
            let n = c.u16("fd name length")? as usize;
            if n >= MAX_PATH {
                return Err(ScapError::corrupt(
                    off,
                    format!("invalid filename length {n}"),
                ));
            }
            Ok(lossy(c.bytes(n, "fd name")?))
        };
        let detail = match ty {
            3 => FdDetail::Ipv4Socket {
                sip: ip4(c.bytes(4, "sip")?),
                dip: ip4(c.bytes(4, "dip")?),
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            5 => FdDetail::Ipv4Server {
                ip: ip4(c.bytes(4, "ip")?),
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            4 => FdDetail::Ipv6Socket {
                sip: ip6(c.bytes(16, "sip")?),
                dip: ip6(c.bytes(16, "dip")?),
                sport: c.u16("sport")?,
                dport: c.u16("dport")?,
                l4proto: c.u8("l4proto")?,
            },
            6 => FdDetail::Ipv6Server {
                ip: ip6(c.bytes(16, "ip")?),
                port: c.u16("port")?,
                l4proto: c.u8("l4proto")?,
            },
            8 => FdDetail::Unix {
                source: c.u64("unix source")?,
                destination: c.u64("unix destination")?,
                name: name(&mut c)?,
            },
            16 => {
                let open_flags = c.u32("open flags")?;
                let n = name(&mut c)?;
                let dev = if sub_len > 0 && c.pos - start + 4 <= sub_len {
                    Some(c.u32("dev")?)
                } else {
                    None
                };
                FdDetail::File {
                    open_flags,
                    name: n,
                    dev,
                }
            }
            1 | 2 | 7 | 9..=15 | 17..=19 => FdDetail::Name(name(&mut c)?),
            0 => FdDetail::Unknown,
            t => return Err(ScapError::corrupt(off, format!("wrong fd type {t}"))),
        };
        if v2 {
            skip_to(&mut c, start, sub_len, off, "fdlist entry")?;
        }
        if out.len() < max_fds {
            out.push(FdInfo {
                fd,
                ino,
                fd_type: ty,
                detail,
            });
        } else {
            dropped += 1;
        }
    }
    Ok((tid, out, dropped))
}
