//! The state that predates the sensor, read from `/proc` as libscap's `scap_proc_scan` does:
//! machine, users and groups, every thread, and the open files of every process, as the
//! [`StateRecord`]s a capture's metadata blocks carry.
//!
//! Bounded: at most [`ScanLimits::max_threads`] threads and [`ScanLimits::max_fds`] fds per
//! process are kept; every file read is capped (a process controls its own command line and
//! environment).

use bulkhead_rules::syscall::StateRecord;
use bulkhead_scap::{FdDetail, FdInfo, Group, MachineInfo, ThreadInfo, User};
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    pub max_threads: usize,
    pub max_fds: usize,
    /// Bytes read of one `/proc` file (cmdline, environ, status, …).
    pub max_file: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_threads: 131_072,
            max_fds: 4096,
            max_file: 64 * 1024,
        }
    }
}

fn read(p: &Path, max: u64) -> Option<Vec<u8>> {
    let mut b = Vec::new();
    std::fs::File::open(p)
        .ok()?
        .take(max)
        .read_to_end(&mut b)
        .ok()?;
    Some(b)
}

fn read_str(p: &Path, max: u64) -> Option<String> {
    read(p, max).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn link(p: &Path) -> Option<String> {
    std::fs::read_link(p)
        .ok()
        .map(|l| l.to_string_lossy().into_owned())
}

/// The lines `Key:\tvalue` of a status file.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

fn hex(v: Option<&str>) -> Option<u64> {
    u64::from_str_radix(v?, 16).ok()
}

/// What the scan could not read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanGaps {
    /// Processes whose open files were not readable (`/proc/<pid>/fd` denied: another user's
    /// process without CAP_SYS_PTRACE/CAP_DAC_READ_SEARCH): their earlier fds are unknown.
    pub fds_denied: usize,
}

/// Machine, users/groups, threads and fds: the records in the order a capture has them, and
/// what could not be read.
pub fn scan(limits: ScanLimits) -> (Vec<StateRecord>, ScanGaps) {
    let mut out = vec![StateRecord::Machine(machine())];
    let (users, groups) = users_groups();
    out.push(StateRecord::Users { users, groups });
    let (threads, fds) = threads(Path::new("/proc"), limits);
    out.push(StateRecord::Threads(threads));
    let mut gaps = ScanGaps::default();
    for (tid, fds) in fds {
        match fds {
            Some(fds) => out.push(StateRecord::Fds { tid, fds }),
            None => gaps.fds_denied += 1,
        }
    }
    (out, gaps)
}

fn machine() -> MachineInfo {
    let hostname = read_str(Path::new("/proc/sys/kernel/hostname"), 256)
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    // boot_ts_epoch: now − uptime, in nanoseconds.
    let boot = {
        let mut rt = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let mut bt = rt;
        // SAFETY: clock_gettime writes the timespecs it is given.
        unsafe {
            libc::clock_gettime(libc::CLOCK_REALTIME, &mut rt);
            libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut bt);
        }
        let ns = |t: libc::timespec| t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64;
        ns(rt).saturating_sub(ns(bt))
    };
    MachineInfo {
        num_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        memory_size_bytes: 0,
        max_pid: read_str(Path::new("/proc/sys/kernel/pid_max"), 64)
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        hostname,
        boot_ts_epoch: boot,
        flags: 0,
    }
}

fn users_groups() -> (Vec<User>, Vec<Group>) {
    let users = read_str(Path::new("/etc/passwd"), 4 << 20)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(User {
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                name: f[0].to_string(),
                homedir: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect();
    let groups = read_str(Path::new("/etc/group"), 4 << 20)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 3 {
                return None;
            }
            Some(Group {
                gid: f[2].parse().ok()?,
                name: f[0].to_string(),
            })
        })
        .collect();
    (users, groups)
}

/// Per process, its fds (`None`: not readable, permission denied).
type FdLists = Vec<(u64, Option<Vec<FdInfo>>)>;

/// Every thread under `proc` (a procfs mount) and the fds of every process.
pub fn threads(proc: &Path, limits: ScanLimits) -> (Vec<ThreadInfo>, FdLists) {
    let mut threads = Vec::new();
    let mut fds = Vec::new();
    let Ok(rd) = std::fs::read_dir(proc) else {
        return (threads, fds);
    };
    let mut pids: Vec<u64> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    'outer: for pid in pids {
        let pdir = proc.join(pid.to_string());
        let Ok(tasks) = std::fs::read_dir(pdir.join("task")) else {
            continue;
        };
        let mut tids: Vec<u64> = tasks
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect();
        tids.sort_unstable();
        for tid in tids {
            if threads.len() >= limits.max_threads {
                break 'outer;
            }
            if let Some(t) = thread(&pdir, pid, tid, limits) {
                threads.push(t);
            }
        }
        fds.push((pid, process_fds(&pdir, limits.max_fds)));
    }
    (threads, fds)
}

fn thread(pdir: &Path, pid: u64, tid: u64, limits: ScanLimits) -> Option<ThreadInfo> {
    let tdir = pdir.join("task").join(tid.to_string());
    let stat = read_str(&tdir.join("stat"), limits.max_file)?;
    // comm is in parentheses and may hold spaces or parentheses: the fields follow the last ')'.
    let close = stat.rfind(')')?;
    let comm = stat.get(stat.find('(')? + 1..close)?.to_string();
    let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    // Fields after ')': 0 state, 1 ppid, 2 pgrp, 3 session, 4 tty_nr, ... 7 minflt, 9 majflt.
    let ppid = num(1).unwrap_or(0) as u64;
    let status = read_str(&tdir.join("status"), limits.max_file).unwrap_or_default();
    let ids = |k: &str| {
        status_field(&status, k)
            .and_then(|v| v.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u32>().ok())
    };
    let nspid = |k: &str| {
        status_field(&status, k)
            .and_then(|v| v.split_whitespace().last())
            .and_then(|v| v.parse::<i64>().ok())
    };
    let cmdline = read(&pdir.join("cmdline"), limits.max_file).unwrap_or_default();
    let mut parts = cmdline.split(|&c| c == 0);
    let exe = parts
        .next()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    let rest = cmdline
        .iter()
        .position(|&c| c == 0)
        .map(|i| cmdline[i + 1..].to_vec())
        .unwrap_or_default();
    let cgroups = read_str(&pdir.join("cgroup"), limits.max_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut p = l.splitn(3, ':');
            let (_, ctrl, path) = (p.next()?, p.next()?, p.next()?);
            let ctrl = if ctrl.is_empty() { "unified" } else { ctrl };
            Some(
                ctrl.split(',')
                    .filter(|c| !c.starts_with("name="))
                    .map(|c| format!("{c}={path}"))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .fold(Vec::new(), |mut b, e| {
            b.extend(e.into_bytes());
            b.push(0);
            b
        });
    Some(ThreadInfo {
        tid,
        pid,
        ptid: ppid,
        sid: num(3).map(|v| v as u64),
        vpgid: num(2).map(|v| v as u64),
        comm,
        exe,
        exepath: link(&pdir.join("exe")),
        args: rest,
        cwd: link(&pdir.join("cwd")).unwrap_or_default(),
        fdlimit: 0,
        flags: 0,
        uid: ids("Uid").unwrap_or(0),
        gid: ids("Gid").unwrap_or(0),
        vmsize_kb: 0,
        vmrss_kb: 0,
        vmswap_kb: 0,
        pfmajor: num(9).unwrap_or(0) as u64,
        pfminor: num(7).unwrap_or(0) as u64,
        env: read(&pdir.join("environ"), limits.max_file).unwrap_or_default(),
        vtid: nspid("NSpid"),
        vpid: nspid("NSpid")
            .filter(|_| tid == pid)
            .or_else(|| nspid("NStgid")),
        cgroups,
        root: link(&pdir.join("root")),
        loginuid: read_str(&pdir.join("loginuid"), 64)
            .and_then(|s| s.trim().parse::<u32>().ok().map(|v| v as i32)),
        exe_writable: None,
        cap_inheritable: hex(status_field(&status, "CapInh")),
        cap_permitted: hex(status_field(&status, "CapPrm")),
        cap_effective: hex(status_field(&status, "CapEff")),
        pidns_init_start_ts: None,
        tty: num(4).map(|v| v as u32),
        exe_upper_layer: None,
        exe_ino: None,
        exe_ino_ctime: None,
        exe_ino_mtime: None,
        exe_from_memfd: None,
        exe_lower_layer: None,
        pgid: num(2),
        unknown_tail: 0,
    })
}

/// The open fds of a process: files (with their open flags), directories, pipes, sockets and
/// the anonymous kinds by the name the kernel gives them.
fn process_fds(pdir: &Path, max: usize) -> Option<Vec<FdInfo>> {
    let rd = match std::fs::read_dir(pdir.join("fd")) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return None,
        // Gone meanwhile (or a kernel thread): nothing to know.
        Err(_) => return Some(Vec::new()),
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        if out.len() >= max {
            break;
        }
        let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Some(target) = link(&e.path()) else {
            continue;
        };
        let ino = std::fs::metadata(e.path())
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap_or(0);
        let (fd_type, detail) = if target.starts_with('/') {
            let flags = read_str(&pdir.join("fdinfo").join(fd.to_string()), 4096)
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("flags:"))
                        .and_then(|v| u64::from_str_radix(v.trim(), 8).ok())
                })
                .unwrap_or(0);
            let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            if is_dir {
                (2u8, FdDetail::Name(target))
            } else {
                (
                    16u8,
                    FdDetail::File {
                        open_flags: crate::syscalls::open_flags(flags) as u32,
                        name: target,
                        dev: None,
                    },
                )
            }
        } else if target.starts_with("pipe:") {
            (7, FdDetail::Name(String::new()))
        } else if target.starts_with("anon_inode:[eventfd]") {
            (9, FdDetail::Name(String::new()))
        } else if target.starts_with("anon_inode:[eventpoll]") {
            (12, FdDetail::Name(String::new()))
        } else if target.starts_with("anon_inode:inotify") {
            (13, FdDetail::Name(String::new()))
        } else if target.starts_with("anon_inode:[timerfd]") {
            (14, FdDetail::Name(String::new()))
        } else if target.starts_with("anon_inode:[signalfd]") {
            (11, FdDetail::Name(String::new()))
        } else if target.starts_with("anon_inode:bpf") {
            (17, FdDetail::Name(String::new()))
        } else {
            // Sockets are listed as unknown until the socket tables are read (their tuples come
            // from /proc/net, not from the fd).
            (0, FdDetail::Unknown)
        };
        out.push(FdInfo {
            fd,
            ino,
            fd_type,
            detail,
        });
    }
    out.sort_by_key(|f| f.fd);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_in_the_scan_with_its_open_file() {
        let path = std::env::temp_dir().join(format!("bh-procfs-{}", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        let (threads, fds) = threads(Path::new("/proc"), ScanLimits::default());
        let me = std::process::id() as u64;
        let t = threads.iter().find(|t| t.tid == me).expect("this process");
        assert_eq!(t.pid, me);
        assert_eq!(t.ptid, std::os::unix::process::parent_id() as u64);
        assert!(!t.comm.is_empty());
        assert_eq!(
            t.exepath.as_deref(),
            std::env::current_exe()
                .ok()
                .as_deref()
                .and_then(|p| p.to_str())
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(t.cwd, cwd.to_string_lossy());
        let mine = fds
            .iter()
            .find(|(p, _)| *p == me)
            .and_then(|(_, f)| f.as_ref())
            .expect("fds");
        assert!(mine.iter().any(|fd| matches!(&fd.detail,
            FdDetail::File { name, .. } if *name == path.to_string_lossy())));
        drop(f);
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn limits_bound_the_scan() {
        let (threads, _) = threads(
            Path::new("/proc"),
            ScanLimits {
                max_threads: 3,
                max_fds: 1,
                max_file: 16,
            },
        );
        assert_eq!(threads.len(), 3);
        assert!(threads.iter().all(|t| t.exe.len() <= 16));
    }
}
