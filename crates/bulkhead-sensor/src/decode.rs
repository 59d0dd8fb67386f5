//! Sensor records → the events of the libs event table, the ones a `.scap` capture stores, so
//! that the live path and the replay path share the state, the fields and the rules.
//!
//! A system call record becomes its enter and its exit event; an exec record the `execve` pair;
//! a fork record the child's `clone` exit; an exit record `procexit`.

use crate::cgroups::CgroupResolver;
use crate::record::{self, ExecRecord, ExitRecord, ForkRecord, Header, Record, SysRecord};
use crate::syscalls::{self, Val};
use bulkhead_scap::table::{Direction, EventInfo, ParamType};
use bulkhead_scap::{Event, RawEvent};
use std::collections::HashMap;

// libs PPM_CL_* and PPM_EXE_* (ppm_events_public.h).
const PPM_CL_CLONE_FILES: i64 = 1;
const PPM_CL_CLONE_THREAD: i64 = 1 << 13;
const PPM_CL_CHILD_IN_PIDNS: i64 = 1 << 29;
const PPM_EXE_WRITABLE: i64 = 1;
const PPM_EXE_UPPER_LAYER: i64 = 1 << 1;
const PPM_EXE_FROM_MEMFD: i64 = 1 << 2;

/// Turns records into events: the boot-time clock into wall-clock nanoseconds, cgroup ids into
/// the `cgroups` parameter, syscall numbers into event codes.
pub struct Decoder {
    /// Wall clock minus boot clock, nanoseconds.
    boot_offset: u64,
    cgroups: CgroupResolver,
    codes: HashMap<(&'static str, Direction), &'static EventInfo>,
    names: HashMap<u32, &'static str>,
}

impl Decoder {
    pub fn new(cgroups: CgroupResolver) -> Decoder {
        let mut codes = HashMap::new();
        for e in bulkhead_scap::event_table() {
            if !e.old_version && !e.unused {
                // The newest version wins: the table lists versions oldest first.
                codes.insert((e.name, e.direction), e);
            }
        }
        let names = syscalls::SYSCALLS
            .iter()
            .filter_map(|s| syscalls::number(s.name).map(|n| (n as u32, s.name)))
            .collect();
        Decoder {
            boot_offset: boot_offset(),
            cgroups,
            codes,
            names,
        }
    }

    /// The events of one record (none for a system call the table does not know).
    pub fn events(&mut self, rec: &Record) -> Vec<Event> {
        match rec {
            Record::Sys(r) => self.sys(r),
            Record::Exec(r) => self.exec(r),
            Record::Fork(r) => self.fork(r),
            Record::Exit(r) => self.exit(r),
        }
    }

    /// The libs container event (the JSON form) for container metadata found by the lookup.
    pub fn container_event(&self, json: &str) -> Option<Event> {
        let ts = self.ts(boot_now());
        self.build(
            "container",
            Direction::Enter,
            ts,
            0,
            &[("json", Val::Str(json.as_bytes().to_vec()))],
        )
    }

    fn ts(&self, boot_ns: u64) -> u64 {
        boot_ns.wrapping_add(self.boot_offset)
    }

    /// An event of the table's newest version of `name`/`dir`, the parameters given by name (the
    /// others empty, as libs leaves what a driver did not fill).
    fn build(
        &self,
        name: &str,
        dir: Direction,
        ts: u64,
        tid: u32,
        params: &[(&str, Val)],
    ) -> Option<Event> {
        let info = *self.codes.get(&(name, dir))?;
        let payloads = info
            .params
            .iter()
            .map(|pi| {
                params
                    .iter()
                    .find(|(n, _)| *n == pi.name)
                    .map(|(_, v)| encode(pi.ty, v))
                    .unwrap_or_default()
            })
            .collect();
        let raw = RawEvent::from_params(0, 0, 0, 0, ts, tid as u64, info.code, payloads);
        Some(bulkhead_scap::decode(&raw))
    }

    fn cgroups_param(&mut self, h: &Header) -> Val {
        if !h.cgroups.is_empty() {
            return Val::Bytes(h.cgroups.clone());
        }
        Val::Bytes(self.cgroups.param(h.tid, h.cgroup_v2, h.cgroup_v1))
    }

    fn sys(&mut self, r: &SysRecord) -> Vec<Event> {
        let Some(&name) = self.names.get(&r.nr) else {
            return vec![];
        };
        let Some((enter, exit)) = syscalls::params(name, r) else {
            return vec![];
        };
        let event = syscalls::spec(name).map_or(name, |s| s.event());
        let mut out = Vec::with_capacity(2);
        out.extend(self.build(
            event,
            Direction::Enter,
            self.ts(r.ts_enter),
            r.h.tid,
            &enter,
        ));
        out.extend(self.build(event, Direction::Exit, self.ts(r.h.ts), r.h.tid, &exit));
        out
    }

    fn exec(&mut self, r: &ExecRecord) -> Vec<Event> {
        let ts = self.ts(r.h.ts);
        let (exe, args) = split_argv(&r.args);
        let mut flags = 0;
        if r.flags & record::EXE_UPPER_LAYER != 0 {
            flags |= PPM_EXE_UPPER_LAYER;
        }
        if r.flags & record::EXE_WRITABLE != 0 {
            flags |= PPM_EXE_WRITABLE;
        }
        if r.flags & record::EXE_FROM_MEMFD_OR_DELETED != 0 && r.filename.starts_with(b"/memfd:") {
            flags |= PPM_EXE_FROM_MEMFD;
        }
        let filename = Val::Str(r.filename.clone());
        // The path the kernel ran: trusted when absolute; a relative one is resolved against
        // the cwd by the state, as libs does for drivers without a trusted path.
        let trusted = if r.filename.starts_with(b"/") {
            Val::Str(r.filename.clone())
        } else {
            Val::Str(Vec::new())
        };
        let exit = vec![
            ("res", Val::Int(0)),
            ("exe", Val::Str(exe)),
            ("args", Val::Bytes(args)),
            ("tid", Val::Int(r.h.tid as i64)),
            ("pid", Val::Int(r.h.pid as i64)),
            ("ptid", Val::Int(r.h.ppid as i64)),
            ("comm", Val::Str(r.h.comm.clone().into_bytes())),
            ("cgroups", self.cgroups_param(&r.h)),
            ("env", Val::Bytes(r.env.clone())),
            ("tty", Val::Int(r.tty as i64)),
            ("pgid", Val::Int(r.pgid as i64)),
            ("loginuid", Val::Int(r.h.loginuid as i64)),
            ("flags", Val::Int(flags)),
            ("cap_inheritable", Val::Int(r.cap_inheritable as i64)),
            ("cap_permitted", Val::Int(r.cap_permitted as i64)),
            ("cap_effective", Val::Int(r.cap_effective as i64)),
            ("exe_ino", Val::Int(r.exe_ino as i64)),
            ("exe_ino_ctime", Val::Int(r.exe_ctime as i64)),
            ("exe_ino_mtime", Val::Int(r.exe_mtime as i64)),
            ("uid", Val::Int(r.h.uid as i64)),
            ("trusted_exepath", trusted),
        ];
        let mut out = Vec::with_capacity(2);
        out.extend(self.build(
            "execve",
            Direction::Enter,
            ts,
            r.h.tid,
            &[("filename", filename)],
        ));
        out.extend(self.build("execve", Direction::Exit, ts, r.h.tid, &exit));
        out
    }

    fn fork(&mut self, r: &ForkRecord) -> Vec<Event> {
        let (exe, args) = split_argv(&r.args);
        let mut flags = 0;
        if r.flags & record::FORK_THREAD != 0 {
            flags |= PPM_CL_CLONE_THREAD;
        }
        if r.flags & record::FORK_FILES != 0 {
            flags |= PPM_CL_CLONE_FILES;
        }
        if r.h.vtid != r.h.tid {
            flags |= PPM_CL_CHILD_IN_PIDNS;
        }
        let params = vec![
            ("res", Val::Int(0)),
            ("exe", Val::Str(exe)),
            ("args", Val::Bytes(args)),
            ("tid", Val::Int(r.h.tid as i64)),
            ("pid", Val::Int(r.h.pid as i64)),
            ("ptid", Val::Int(r.h.ppid as i64)),
            ("comm", Val::Str(r.h.comm.clone().into_bytes())),
            ("cgroups", self.cgroups_param(&r.h)),
            ("flags", Val::Int(flags)),
            ("uid", Val::Int(r.h.uid as i64)),
            ("gid", Val::Int(r.h.gid as i64)),
            ("vtid", Val::Int(r.h.vtid as i64)),
            ("vpid", Val::Int(r.h.vpid as i64)),
        ];
        self.build("clone", Direction::Exit, self.ts(r.h.ts), r.h.tid, &params)
            .into_iter()
            .collect()
    }

    fn exit(&mut self, r: &ExitRecord) -> Vec<Event> {
        let code = r.exit_code as i64;
        let params = [
            ("status", Val::Int(code)),
            ("ret", Val::Int((code >> 8) & 0xff)),
            ("sig", Val::Int(code & 0x7f)),
            ("core", Val::Int(i64::from(code & 0x80 != 0))),
            ("reaper_tid", Val::Int(0)),
        ];
        self.build(
            "procexit",
            Direction::Enter,
            self.ts(r.h.ts),
            r.h.tid,
            &params,
        )
        .into_iter()
        .collect()
    }
}

/// argv as libs splits it: `exe` is argv[0], `args` the rest (NUL-separated, NUL-terminated).
fn split_argv(b: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let b = b.strip_suffix(b"\0").unwrap_or(b);
    match b.iter().position(|&c| c == 0) {
        Some(i) => {
            let mut rest = b[i + 1..].to_vec();
            if !rest.is_empty() {
                rest.push(0);
            }
            (b[..i].to_vec(), rest)
        }
        None => (b.to_vec(), Vec::new()),
    }
}

/// A value in the encoding of a parameter type (`.scap` payloads).
fn encode(ty: ParamType, v: &Val) -> Vec<u8> {
    match v {
        Val::Int(i) => match ty.fixed_size() {
            Some(1) => vec![*i as u8],
            Some(2) => (*i as u16).to_le_bytes().to_vec(),
            Some(4) => (*i as u32).to_le_bytes().to_vec(),
            Some(_) => i.to_le_bytes().to_vec(),
            None => i.to_string().into_bytes(),
        },
        Val::Str(s) => {
            let mut b = s.clone();
            b.push(0);
            b
        }
        Val::Bytes(b) => b.clone(),
    }
}

fn clock(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn boot_now() -> u64 {
    clock(libc::CLOCK_BOOTTIME)
}

/// CLOCK_REALTIME − CLOCK_BOOTTIME, in nanoseconds: the sensor stamps events with the boot
/// clock (it does not jump), events carry wall-clock time.
fn boot_offset() -> u64 {
    clock(libc::CLOCK_REALTIME).wrapping_sub(boot_now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkhead_scap::Value;

    fn hdr(kind: u32) -> Header {
        Header {
            ts: 1_000,
            kind,
            tid: 42,
            pid: 42,
            ppid: 1,
            vtid: 42,
            vpid: 42,
            uid: 0,
            gid: 0,
            loginuid: u32::MAX,
            comm: "cat".into(),
            ..Default::default()
        }
    }

    fn decoder() -> Decoder {
        Decoder::new(CgroupResolver::empty())
    }

    #[test]
    fn openat_becomes_its_enter_and_exit_events() {
        let r = SysRecord {
            h: hdr(record::KIND_SYSCALL),
            ts_enter: 900,
            ret: 3,
            args: [0xffffff9c, 0x1000, 0o2000000, 0, 0, 0],
            nr: syscalls::number("openat").unwrap() as u32,
            mem: [Some(b"/etc/shadow\0".to_vec()), None],
            tuple: None,
        };
        let evs = decoder().events(&Record::Sys(r));
        assert_eq!(evs.len(), 2);
        assert_eq!(
            (evs[0].name, evs[0].direction),
            ("openat", Direction::Enter)
        );
        assert_eq!((evs[1].name, evs[1].direction), ("openat", Direction::Exit));
        assert!(evs[0].ts < evs[1].ts);
        assert_eq!(evs[1].tid, 42);
        assert_eq!(evs[1].str_param("name"), Some("/etc/shadow"));
        assert!(matches!(evs[1].param("fd").unwrap().value, Value::Fd(3)));
        assert!(matches!(
            evs[1].param("dirfd").unwrap().value,
            Value::Fd(-100)
        ));
        match &evs[1].param("flags").unwrap().value {
            Value::Flags { value, names } => {
                assert_eq!(*value, (1 | 1 << 12) as u64);
                assert!(names.contains(&"O_RDONLY"), "{names:?}");
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn exec_becomes_execve_with_argv_split_as_libs_does() {
        let r = ExecRecord {
            h: hdr(record::KIND_EXEC),
            cap_inheritable: 0,
            cap_permitted: 0x1ff,
            cap_effective: 0x1ff,
            exe_ino: 77,
            exe_ctime: 5,
            exe_mtime: 6,
            tty: 34816,
            flags: record::EXE_UPPER_LAYER,
            pgid: 42,
            sid: 42,
            filename: b"/bin/cat".to_vec(),
            args: b"cat\0/etc/shadow\0".to_vec(),
            env: b"HOME=/root\0".to_vec(),
            cgleaf: String::new(),
        };
        let evs = decoder().events(&Record::Exec(r));
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].str_param("filename"), Some("/bin/cat"));
        let x = &evs[1];
        assert_eq!(x.name, "execve");
        assert_eq!(x.str_param("exe"), Some("cat"));
        assert_eq!(x.str_param("trusted_exepath"), Some("/bin/cat"));
        assert_eq!(x.str_param("comm"), Some("cat"));
        assert!(
            matches!(&x.param("args").unwrap().value, Value::Bytes(b) if b == b"/etc/shadow\0")
        );
        assert!(matches!(x.param("tty").unwrap().value, Value::UInt(34816)));
        match &x.param("flags").unwrap().value {
            Value::Flags { value, .. } => assert_eq!(*value, PPM_EXE_UPPER_LAYER as u64),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn fork_of_a_thread_and_exit() {
        let mut h = hdr(record::KIND_FORK);
        h.tid = 43;
        h.vtid = 43;
        let r = ForkRecord {
            h,
            parent_tid: 42,
            parent_pid: 42,
            flags: record::FORK_THREAD | record::FORK_FILES,
            args: b"sh\0-c\0true\0".to_vec(),
            cgleaf: String::new(),
        };
        let evs = decoder().events(&Record::Fork(r));
        assert_eq!(evs.len(), 1);
        assert_eq!((evs[0].name, evs[0].tid), ("clone", 43));
        assert!(matches!(evs[0].param("res").unwrap().value, Value::Pid(0)));
        assert_eq!(evs[0].str_param("exe"), Some("sh"));
        match &evs[0].param("flags").unwrap().value {
            Value::Flags { value, .. } => {
                assert_eq!(*value, (PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES) as u64)
            }
            v => panic!("{v:?}"),
        }
        let evs = decoder().events(&Record::Exit(ExitRecord {
            h: hdr(record::KIND_EXIT),
            exit_code: 256,
        }));
        assert_eq!(evs[0].name, "procexit");
        assert!(matches!(
            evs[0].param("ret").unwrap().value,
            Value::Errno(1)
        ));
    }

    #[test]
    fn unknown_syscall_numbers_make_no_events() {
        let r = SysRecord {
            h: hdr(record::KIND_SYSCALL),
            ts_enter: 0,
            ret: 0,
            args: [0; 6],
            nr: 9999,
            mem: [None, None],
            tuple: None,
        };
        assert!(decoder().events(&Record::Sys(r)).is_empty());
    }
}
