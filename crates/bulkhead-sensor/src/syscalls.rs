//! The system calls the sensor captures, one table: what user memory the kernel side reads at
//! exit (pushed into the BPF `interest` map) and how the record becomes the enter and exit
//! events of the libs event table (parameters named as the table names them).

use crate::record::{ARG_BUF, ARG_DATA, ARG_DATA_RET, ARG_FIXED, ARG_NONE, ARG_STR, SysRecord};

/// One captured system call.
pub struct SyscallSpec {
    /// The x86_64 name, which is also the libs event name.
    pub name: &'static str,
    /// User memory read at exit: (how, argument index, length argument index or fixed length).
    pub mem: [(u8, u8, u8); 2],
    /// Needed to keep the state (threads, fds, cwd) right whatever the rules ask for.
    pub state: bool,
    /// The socket whose ends the kernel side reads (`TUPLE_*`).
    pub tuple: u8,
}

/// No socket; the socket of the fd in argument 0; the socket of the returned fd.
pub const TUPLE_NONE: u8 = 0;
pub const TUPLE_ARG0: u8 = 1;
pub const TUPLE_RET: u8 = 2;

const NO: (u8, u8, u8) = (ARG_NONE, 0, 0);
const fn s(arg: u8) -> (u8, u8, u8) {
    (ARG_STR, arg, 0)
}

/// Every system call the sensor can capture. Process creation, exec and exit come from the
/// sched tracepoints, not from here (`clone`/`fork`/`execve` events are made from those).
pub const SYSCALLS: &[SyscallSpec] = &[
    SyscallSpec {
        name: "open",
        mem: [s(0), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "openat",
        mem: [s(1), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    // struct open_how { u64 flags, mode, resolve } of length argument 3.
    SyscallSpec {
        name: "openat2",
        mem: [s(1), (ARG_BUF, 2, 3)],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "creat",
        mem: [s(0), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "close",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "chdir",
        mem: [s(0), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "fchdir",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "dup",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "dup2",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "dup3",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    // int fds[2].
    SyscallSpec {
        name: "pipe",
        mem: [(ARG_FIXED, 0, 8), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "pipe2",
        mem: [(ARG_FIXED, 0, 8), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "unlink",
        mem: [s(0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "unlinkat",
        mem: [s(1), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "rmdir",
        mem: [s(0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "mkdir",
        mem: [s(0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "mkdirat",
        mem: [s(1), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "rename",
        mem: [s(0), s(1)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "renameat",
        mem: [s(1), s(3)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "renameat2",
        mem: [s(1), s(3)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "symlink",
        mem: [s(0), s(1)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "symlinkat",
        mem: [s(0), s(2)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "link",
        mem: [s(0), s(1)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "linkat",
        mem: [s(1), s(3)],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "chmod",
        mem: [s(0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "fchmodat",
        mem: [s(1), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "setuid",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "setgid",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "memfd_create",
        mem: [s(0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "socket",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    // struct sockaddr of length argument 2.
    SyscallSpec {
        name: "bind",
        mem: [(ARG_BUF, 1, 2), NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "connect",
        mem: [(ARG_BUF, 1, 2), NO],
        state: true,
        tuple: TUPLE_ARG0,
    },
    SyscallSpec {
        name: "listen",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "accept",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_RET,
    },
    SyscallSpec {
        name: "accept4",
        mem: [NO, NO],
        state: true,
        tuple: TUPLE_RET,
    },
    // I/O: the data (at most snaplen bytes) as the libs drivers read it.
    SyscallSpec {
        name: "read",
        mem: [(ARG_DATA_RET, 1, 0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "write",
        mem: [(ARG_DATA, 1, 2), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "pread64",
        mem: [(ARG_DATA_RET, 1, 0), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "pwrite64",
        mem: [(ARG_DATA, 1, 2), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "sendto",
        mem: [(ARG_DATA, 1, 2), NO],
        state: false,
        tuple: TUPLE_ARG0,
    },
    SyscallSpec {
        name: "sendmsg",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_ARG0,
    },
    SyscallSpec {
        name: "recvfrom",
        mem: [(ARG_DATA_RET, 1, 0), NO],
        state: false,
        tuple: TUPLE_ARG0,
    },
    SyscallSpec {
        name: "recvmsg",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_ARG0,
    },
    SyscallSpec {
        name: "fchmod",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "setns",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "unshare",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "userfaultfd",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "bpf",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "ptrace",
        mem: [NO, NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "init_module",
        mem: [s(2), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
    SyscallSpec {
        name: "finit_module",
        mem: [s(1), NO],
        state: false,
        tuple: TUPLE_NONE,
    },
];

impl SyscallSpec {
    /// The libs event name (the x86_64 name but for `pread64`/`pwrite64`).
    pub fn event(&self) -> &'static str {
        match self.name {
            "pread64" => "pread",
            "pwrite64" => "pwrite",
            n => n,
        }
    }
}

/// The table entry of a system call.
pub fn spec(name: &str) -> Option<&'static SyscallSpec> {
    SYSCALLS.iter().find(|s| s.name == name)
}

/// x86_64 number of a system call.
pub fn number(name: &str) -> Option<u64> {
    bulkhead_scap::syscalls::x86_64_syscalls()
        .find(|&(_, n)| n == name)
        .map(|(nr, _)| nr)
}

/// A parameter value before encoding (its width comes from the table's parameter type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Int(i64),
    /// A string (encoded NUL-terminated).
    Str(Vec<u8>),
    /// Raw bytes (bytebuf).
    Bytes(Vec<u8>),
}

type Params = Vec<(&'static str, Val)>;

const AT_FDCWD: i64 = -100;
// libs PPM_* flag values (ppm_events_public.h).
const PPM_O_RDONLY: i64 = 1;
const PPM_O_WRONLY: i64 = 2;
const PPM_O_CREAT: i64 = 1 << 2;
const PPM_O_APPEND: i64 = 1 << 3;
const PPM_O_DSYNC: i64 = 1 << 4;
const PPM_O_EXCL: i64 = 1 << 5;
const PPM_O_NONBLOCK: i64 = 1 << 6;
const PPM_O_SYNC: i64 = 1 << 7;
const PPM_O_TRUNC: i64 = 1 << 8;
const PPM_O_DIRECT: i64 = 1 << 9;
const PPM_O_DIRECTORY: i64 = 1 << 10;
const PPM_O_LARGEFILE: i64 = 1 << 11;
const PPM_O_CLOEXEC: i64 = 1 << 12;
const PPM_O_TMPFILE: i64 = 1 << 13;

/// Linux open(2) flags as libs' `open_flags_to_scap` writes them.
pub fn open_flags(f: u64) -> i64 {
    let mut r = match f & 3 {
        0 => PPM_O_RDONLY,
        1 => PPM_O_WRONLY,
        2 => PPM_O_RDONLY | PPM_O_WRONLY,
        _ => 0,
    };
    const MAP: [(u64, i64); 12] = [
        (0o100, PPM_O_CREAT),
        (0o2000, PPM_O_APPEND),
        (0o10000, PPM_O_DSYNC),
        (0o200, PPM_O_EXCL),
        (0o4000, PPM_O_NONBLOCK),
        (0o4010000, PPM_O_SYNC),
        (0o1000, PPM_O_TRUNC),
        (0o40000, PPM_O_DIRECT),
        (0o200000, PPM_O_DIRECTORY),
        (0o100000, PPM_O_LARGEFILE),
        (0o2000000, PPM_O_CLOEXEC),
        (0o20200000, PPM_O_TMPFILE),
    ];
    for (linux, ppm) in MAP {
        if f & linux == linux {
            r |= ppm;
        }
    }
    r
}

/// libs writes the mode of an open only when it creates (O_CREAT or O_TMPFILE).
fn open_mode(flags: u64, mode: u64) -> i64 {
    if flags & 0o100 != 0 || flags & 0o20200000 == 0o20200000 {
        (mode & 0o7777) as i64
    } else {
        0
    }
}

fn fd(v: u64) -> Val {
    // 32-bit fds in 64-bit registers; AT_FDCWD is -100.
    Val::Int(v as i32 as i64)
}

fn mem_str(r: &SysRecord, i: usize) -> Val {
    let b = r.mem[i].as_deref().unwrap_or(b"");
    Val::Str(b.split(|&c| c == 0).next().unwrap_or(b).to_vec())
}

fn u64_at(b: Option<&[u8]>, at: usize) -> Option<u64> {
    b.and_then(|b| b.get(at..at + 8))
        .map(|s| u64::from_le_bytes(s.try_into().expect("8")))
}

fn i32_at(b: Option<&[u8]>, at: usize) -> Option<i64> {
    b.and_then(|b| b.get(at..at + 4))
        .map(|s| i32::from_le_bytes(s.try_into().expect("4")) as i64)
}

const PPM_AT_REMOVEDIR: i64 = 0x200;
const PPM_AT_SYMLINK_FOLLOW: i64 = 0x400;
const PPM_AT_EMPTY_PATH: i64 = 0x1000;

/// The enter and exit parameters of a captured system call.
pub fn params(name: &str, r: &SysRecord) -> Option<(Params, Params)> {
    let a = r.args;
    let ret = Val::Int(r.ret);
    let res = || ("res", Val::Int(r.ret));
    Some(match name {
        "open" => {
            let (n, f, m) = (mem_str(r, 0), open_flags(a[1]), open_mode(a[1], a[2]));
            (
                vec![
                    ("name", n.clone()),
                    ("flags", Val::Int(f)),
                    ("mode", Val::Int(m)),
                ],
                vec![
                    ("fd", ret),
                    ("name", n),
                    ("flags", Val::Int(f)),
                    ("mode", Val::Int(m)),
                ],
            )
        }
        "openat" => {
            let (n, f, m) = (mem_str(r, 0), open_flags(a[2]), open_mode(a[2], a[3]));
            (
                vec![
                    ("dirfd", fd(a[0])),
                    ("name", n.clone()),
                    ("flags", Val::Int(f)),
                    ("mode", Val::Int(m)),
                ],
                vec![
                    ("fd", ret),
                    ("dirfd", fd(a[0])),
                    ("name", n),
                    ("flags", Val::Int(f)),
                    ("mode", Val::Int(m)),
                ],
            )
        }
        "openat2" => {
            let how = r.mem[1].as_deref();
            let raw = u64_at(how, 0).unwrap_or(0);
            let (f, m) = (open_flags(raw), open_mode(raw, u64_at(how, 8).unwrap_or(0)));
            let resolve = Val::Int(u64_at(how, 16).unwrap_or(0) as i64);
            let n = mem_str(r, 0);
            let p = vec![
                ("dirfd", fd(a[0])),
                ("name", n),
                ("flags", Val::Int(f)),
                ("mode", Val::Int(m)),
                ("resolve", resolve),
            ];
            let mut x = vec![("fd", ret)];
            x.extend(p.iter().cloned());
            (p, x)
        }
        "creat" => {
            let n = mem_str(r, 0);
            let m = Val::Int((a[1] & 0o7777) as i64);
            (
                vec![("name", n.clone()), ("mode", m.clone())],
                vec![("fd", ret), ("name", n), ("mode", m)],
            )
        }
        "close" => (vec![("fd", fd(a[0]))], vec![res()]),
        "chdir" => (vec![], vec![res(), ("path", mem_str(r, 0))]),
        "fchdir" => (vec![("fd", fd(a[0]))], vec![res()]),
        "dup" => (
            vec![("fd", fd(a[0]))],
            vec![("res", ret), ("oldfd", fd(a[0]))],
        ),
        "dup2" => (
            vec![("fd", fd(a[0]))],
            vec![("res", ret), ("oldfd", fd(a[0])), ("newfd", fd(a[1]))],
        ),
        "dup3" => (
            vec![("fd", fd(a[0]))],
            vec![
                ("res", ret),
                ("oldfd", fd(a[0])),
                ("newfd", fd(a[1])),
                ("flags", Val::Int(open_flags(a[2]) & PPM_O_CLOEXEC)),
            ],
        ),
        "pipe" | "pipe2" => {
            let m = r.mem[0].as_deref();
            let mut x = vec![
                res(),
                ("fd1", Val::Int(i32_at(m, 0).unwrap_or(-1))),
                ("fd2", Val::Int(i32_at(m, 4).unwrap_or(-1))),
            ];
            if name == "pipe2" {
                // pipe2's flags are open flags; the rdonly bit open_flags adds is not one.
                x.push(("ino", Val::Int(0)));
                x.push(("flags", Val::Int(open_flags(a[0]) & !PPM_O_RDONLY)));
            }
            (vec![], x)
        }
        "unlink" | "rmdir" => (vec![], vec![res(), ("path", mem_str(r, 0))]),
        "unlinkat" => (
            vec![],
            vec![
                res(),
                ("dirfd", fd(a[0])),
                ("name", mem_str(r, 0)),
                ("flags", Val::Int((a[2] as i64) & PPM_AT_REMOVEDIR)),
            ],
        ),
        "mkdir" => (
            vec![("mode", Val::Int((a[1] & 0o7777) as i64))],
            vec![res(), ("path", mem_str(r, 0))],
        ),
        "mkdirat" => (
            vec![],
            vec![
                res(),
                ("dirfd", fd(a[0])),
                ("path", mem_str(r, 0)),
                ("mode", Val::Int((a[2] & 0o7777) as i64)),
            ],
        ),
        "rename" | "link" => (
            vec![],
            vec![
                res(),
                ("oldpath", mem_str(r, 0)),
                ("newpath", mem_str(r, 1)),
            ],
        ),
        "renameat" | "renameat2" | "linkat" => {
            let (od, nd) = if name == "linkat" {
                ("olddir", "newdir")
            } else {
                ("olddirfd", "newdirfd")
            };
            let mut x = vec![
                res(),
                (od, fd(a[0])),
                ("oldpath", mem_str(r, 0)),
                (nd, fd(a[2])),
                ("newpath", mem_str(r, 1)),
            ];
            if name == "renameat2" {
                x.push(("flags", Val::Int(a[4] as i64)));
            } else if name == "linkat" {
                let f = a[4] as i64;
                x.push((
                    "flags",
                    Val::Int(f & (PPM_AT_SYMLINK_FOLLOW | PPM_AT_EMPTY_PATH)),
                ));
            }
            (vec![], x)
        }
        "symlink" => (
            vec![],
            vec![
                res(),
                ("target", mem_str(r, 0)),
                ("linkpath", mem_str(r, 1)),
            ],
        ),
        "symlinkat" => (
            vec![],
            vec![
                res(),
                ("target", mem_str(r, 0)),
                ("linkdirfd", fd(a[1])),
                ("linkpath", mem_str(r, 1)),
            ],
        ),
        "chmod" => (
            vec![],
            vec![
                res(),
                ("filename", mem_str(r, 0)),
                ("mode", Val::Int((a[1] & 0o7777) as i64)),
            ],
        ),
        "fchmodat" => (
            vec![],
            vec![
                res(),
                ("dirfd", fd(a[0])),
                ("filename", mem_str(r, 0)),
                ("mode", Val::Int((a[2] & 0o7777) as i64)),
            ],
        ),
        "setuid" => (vec![("uid", Val::Int(a[0] as u32 as i64))], vec![res()]),
        "setgid" => (vec![("gid", Val::Int(a[0] as u32 as i64))], vec![res()]),
        "memfd_create" => (
            vec![],
            vec![
                ("fd", ret),
                ("name", mem_str(r, 0)),
                ("flags", Val::Int(a[1] as i64 & 0x7)),
            ],
        ),
        "socket" => (
            vec![
                ("domain", Val::Int(a[0] as i64)),
                ("type", Val::Int(a[1] as u32 as i64)),
                ("proto", Val::Int(a[2] as u32 as i64)),
            ],
            vec![("fd", ret)],
        ),
        "bind" => (
            vec![("fd", fd(a[0]))],
            vec![res(), ("addr", sockaddr(r.mem[0].as_deref()))],
        ),
        "connect" => (
            vec![("fd", fd(a[0])), ("addr", sockaddr(r.mem[0].as_deref()))],
            vec![
                res(),
                ("tuple", tuple(r, Ends::LocalRemote)),
                ("fd", fd(a[0])),
            ],
        ),
        "listen" => (
            vec![("fd", fd(a[0])), ("backlog", Val::Int(a[1] as i32 as i64))],
            vec![res()],
        ),
        "accept" | "accept4" => {
            let enter = if name == "accept4" {
                vec![("flags", Val::Int(a[3] as i32 as i64))]
            } else {
                vec![]
            };
            (
                enter,
                vec![("fd", ret), ("tuple", tuple(r, Ends::RemoteLocal))],
            )
        }
        "read" | "write" => (
            vec![("fd", fd(a[0])), ("size", Val::Int(a[2] as u32 as i64))],
            vec![res(), ("data", data(r))],
        ),
        "pread64" | "pwrite64" => (
            vec![
                ("fd", fd(a[0])),
                ("size", Val::Int(a[2] as u32 as i64)),
                ("pos", Val::Int(a[3] as i64)),
            ],
            vec![res(), ("data", data(r))],
        ),
        "sendto" | "sendmsg" => (
            vec![
                ("fd", fd(a[0])),
                (
                    "size",
                    Val::Int(if name == "sendto" {
                        a[2] as u32 as i64
                    } else {
                        0
                    }),
                ),
                ("tuple", tuple(r, Ends::LocalRemote)),
            ],
            vec![res(), ("data", data(r))],
        ),
        "recvfrom" => (
            vec![("fd", fd(a[0])), ("size", Val::Int(a[2] as u32 as i64))],
            vec![
                res(),
                ("data", data(r)),
                ("tuple", tuple(r, Ends::RemoteLocal)),
            ],
        ),
        "recvmsg" => (
            vec![("fd", fd(a[0]))],
            vec![res(), ("tuple", tuple(r, Ends::RemoteLocal))],
        ),
        "fchmod" => (
            vec![],
            vec![
                res(),
                ("fd", fd(a[0])),
                ("mode", Val::Int((a[1] & 0o7777) as i64)),
            ],
        ),
        "setns" => (
            vec![("fd", fd(a[0])), ("nstype", Val::Int(clone_flags(a[1])))],
            vec![res()],
        ),
        "unshare" => (vec![("flags", Val::Int(clone_flags(a[0])))], vec![res()]),
        "userfaultfd" => (vec![], vec![res(), ("flags", Val::Int(open_flags(a[0])))]),
        "bpf" => (
            vec![("cmd", Val::Int(a[0] as i32 as i64))],
            vec![("fd", ret), ("cmd", Val::Int(a[0] as i32 as i64))],
        ),
        "ptrace" => (
            vec![
                ("request", Val::Int(ptrace_request(a[0]))),
                ("pid", Val::Int(a[1] as i32 as i64)),
            ],
            vec![res()],
        ),
        "init_module" => (
            vec![],
            vec![
                res(),
                ("length", Val::Int(a[1] as i64)),
                ("uargs", mem_str(r, 0)),
            ],
        ),
        "finit_module" => (
            vec![],
            vec![
                res(),
                ("fd", fd(a[0])),
                ("uargs", mem_str(r, 0)),
                ("flags", Val::Int(a[2] as u32 as i64)),
            ],
        ),
        _ => return None,
    })
}

/// Linux `CLONE_*` flags as libs' `PPM_CL_*` values (`clone_flags_to_scap`).
pub fn clone_flags(f: u64) -> i64 {
    const MAP: [(u64, i64); 22] = [
        (0x400, 1),             // CLONE_FILES
        (0x200, 1 << 1),        // CLONE_FS
        (0x8000_0000, 1 << 2),  // CLONE_IO
        (0x0800_0000, 1 << 3),  // CLONE_NEWIPC
        (0x4000_0000, 1 << 4),  // CLONE_NEWNET
        (0x2_0000, 1 << 5),     // CLONE_NEWNS
        (0x2000_0000, 1 << 6),  // CLONE_NEWPID
        (0x0400_0000, 1 << 7),  // CLONE_NEWUTS
        (0x8000, 1 << 8),       // CLONE_PARENT
        (0x10_0000, 1 << 9),    // CLONE_PARENT_SETTID
        (0x2000, 1 << 10),      // CLONE_PTRACE
        (0x800, 1 << 11),       // CLONE_SIGHAND
        (0x4_0000, 1 << 12),    // CLONE_SYSVSEM
        (0x1_0000, 1 << 13),    // CLONE_THREAD
        (0x80_0000, 1 << 14),   // CLONE_UNTRACED
        (0x100, 1 << 15),       // CLONE_VM
        (0x1000_0000, 1 << 20), // CLONE_NEWUSER
        (0x20_0000, 1 << 23),   // CLONE_CHILD_CLEARTID
        (0x0100_0000, 1 << 24), // CLONE_CHILD_SETTID
        (0x8_0000, 1 << 25),    // CLONE_SETTLS
        (0x4000, 1 << 27),      // CLONE_VFORK
        (0x0200_0000, 1 << 28), // CLONE_NEWCGROUP
    ];
    MAP.iter()
        .filter(|(linux, _)| f & linux != 0)
        .fold(0, |acc, (_, ppm)| acc | ppm)
}

/// Linux `PTRACE_*` requests as libs' `PPM_PTRACE_*` values (`ptrace_requests_to_scap`).
pub fn ptrace_request(req: u64) -> i64 {
    match req {
        0 => 1,
        1 => 2,
        2 => 3,
        3 => 4,
        4 => 5,
        5 => 6,
        6 => 7,
        7 => 8,
        8 => 9,
        9 => 10,
        12 => 26,
        13 => 27,
        14 => 28,
        15 => 29,
        16 => 11,
        17 => 12,
        18 => 30,
        19 => 31,
        21 => 32,
        24 => 13,
        25 => 33,
        26 => 34,
        30 => 35,
        31 => 36,
        32 => 37,
        33 => 38,
        0x4200 => 14,
        0x4201 => 15,
        0x4202 => 16,
        0x4203 => 17,
        0x4204 => 18,
        0x4205 => 19,
        0x4206 => 20,
        0x4207 => 21,
        0x4208 => 22,
        0x4209 => 23,
        0x420a => 24,
        0x420b => 25,
        _ => 0,
    }
}

/// The order of a tuple's ends: the local end first (connect, send), or the peer first
/// (accept, receive), as libs writes them.
#[derive(Clone, Copy)]
enum Ends {
    LocalRemote,
    RemoteLocal,
}

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// The I/O data the kernel side read (argument memory 0), as the `data` bytebuf.
fn data(r: &SysRecord) -> Val {
    Val::Bytes(r.mem[0].clone().unwrap_or_default())
}

/// The kernel socket's ends as the libs `socktuple` parameter (empty when none was read).
fn tuple(r: &SysRecord, ends: Ends) -> Val {
    let Some(t) = &r.tuple else {
        return Val::Bytes(Vec::new());
    };
    let ((ip1, p1), (ip2, p2)) = match ends {
        Ends::LocalRemote => ((&t.local, t.lport), (&t.remote, t.rport)),
        Ends::RemoteLocal => ((&t.remote, t.rport), (&t.local, t.lport)),
    };
    let mut b = Vec::with_capacity(40);
    match t.family {
        AF_INET | AF_INET6 => {
            let n = if t.family == AF_INET { 4 } else { 16 };
            b.push(t.family as u8);
            b.extend(&ip1[..n]);
            b.extend(p1.to_le_bytes());
            b.extend(&ip2[..n]);
            b.extend(p2.to_le_bytes());
        }
        AF_UNIX => {
            b.push(AF_UNIX as u8);
            b.extend(t.sk.to_le_bytes());
            b.extend(t.peer.to_le_bytes());
            b.extend(&t.path);
            b.push(0);
        }
        f => b.push(f as u8),
    }
    Val::Bytes(b)
}

/// A `struct sockaddr` from user memory as the libs `sockaddr` parameter.
fn sockaddr(m: Option<&[u8]>) -> Val {
    let Some(m) = m.filter(|m| m.len() >= 2) else {
        return Val::Bytes(Vec::new());
    };
    let family = u16::from_le_bytes([m[0], m[1]]);
    let mut b = vec![family as u8];
    match family {
        AF_INET if m.len() >= 8 => {
            b.extend(&m[4..8]);
            b.extend(u16::from_be_bytes([m[2], m[3]]).to_le_bytes());
        }
        AF_INET6 if m.len() >= 24 => {
            b.extend(&m[8..24]);
            b.extend(u16::from_be_bytes([m[2], m[3]]).to_le_bytes());
        }
        AF_UNIX => {
            let path = &m[2..];
            b.extend(path.split(|&c| c == 0).next().unwrap_or(path));
            b.push(0);
        }
        _ => {}
    }
    Val::Bytes(b)
}

/// AT_FDCWD as the events carry it.
pub const FDCWD: i64 = AT_FDCWD;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_a_number_an_event_and_params() {
        for s in SYSCALLS {
            assert!(number(s.name).is_some(), "{} has no x86_64 number", s.name);
            assert!(
                bulkhead_scap::event_table()
                    .iter()
                    .any(|e| e.name == s.event() && !e.old_version),
                "{} has no current libs event",
                s.name
            );
            let r = SysRecord {
                h: Default::default(),
                ts_enter: 0,
                ret: 0,
                args: [0; 6],
                nr: 0,
                mem: [None, None],
                tuple: None,
            };
            let (enter, exit) = params(s.name, &r).expect(s.name);
            // Every parameter named is one the table has for that direction.
            for (dir, ps) in [(0u16, enter), (1, exit)] {
                let info = bulkhead_scap::event_table()
                    .iter()
                    .rev()
                    .find(|e| e.name == s.event() && !e.old_version && (e.code & 1) == dir)
                    .expect("event");
                for (p, _) in ps {
                    assert!(
                        info.params.iter().any(|i| i.name == p),
                        "{} {} has no parameter {p}",
                        s.name,
                        if dir == 0 { '>' } else { '<' }
                    );
                }
            }
        }
    }

    #[test]
    fn clone_flags_as_libs_writes_them() {
        // CLONE_NEWUSER | CLONE_NEWNS, as `unshare -Urm` asks.
        assert_eq!(clone_flags(0x1000_0000 | 0x2_0000), (1 << 20) | (1 << 5));
        assert_eq!(clone_flags(0x4000_0000), 1 << 4);
        assert_eq!(clone_flags(0), 0);
    }

    #[test]
    fn open_flags_as_libs_writes_them() {
        assert_eq!(open_flags(0), PPM_O_RDONLY);
        assert_eq!(
            open_flags(1 | 0o100 | 0o1000),
            PPM_O_WRONLY | PPM_O_CREAT | PPM_O_TRUNC
        );
        assert_eq!(
            open_flags(2 | 0o2000000),
            PPM_O_RDONLY | PPM_O_WRONLY | PPM_O_CLOEXEC
        );
        // O_SYNC includes O_DSYNC's bit.
        assert_eq!(
            open_flags(0o4010000),
            PPM_O_RDONLY | PPM_O_SYNC | PPM_O_DSYNC
        );
        assert_eq!(open_mode(0, 0o644), 0);
        assert_eq!(open_mode(0o100, 0o100644), 0o644);
        assert_eq!(FDCWD, -100);
        // PTRACE_ATTACH, PTRACE_SEIZE, PTRACE_POKEDATA as libs names them.
        let name = |r| bulkhead_scap::table::flag_names("ptrace", ptrace_request(r) as u64);
        assert_eq!(name(16), ["PTRACE_ATTACH"]);
        assert_eq!(name(0x4206), ["PTRACE_SEIZE"]);
        assert_eq!(name(5), ["PTRACE_POKEDATA"]);
        assert_eq!(name(0), ["PTRACE_TRACEME"]);
        assert!(name(0x9999).is_empty());
        assert_eq!(fd(0xffffff9c), Val::Int(-100));
    }
}
