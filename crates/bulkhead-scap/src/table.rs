//! Event table: event code -> name, direction, flags and parameter schema.
//!
//! The data in `table_data.txt` was transcribed (as data, one line per enter/exit pair)
//! from `driver/event_table.c` of falcosecurity/libs at commit
//! 2450f8ee19b23a63841c5996c4a8023075f616b6 (420 events). Line format:
//! `name[/exit_name]|flags|enter params|exit params`, flags `o` = EF_OLD_VERSION,
//! `m` = meta/tracepoint/plugin event (not a syscall), `l` = EF_LARGE_PAYLOAD;
//! params `name:type[=flagset]`.

use std::sync::OnceLock;

/// Parameter types (the `PT_*` of `ppm_events_public.h` that occur in the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Errno,
    Fd,
    Pid,
    Charbuf,
    Bytebuf,
    FsPath,
    FsRelPath,
    SockAddr,
    SockTuple,
    FdList,
    Flags8,
    Flags16,
    Flags32,
    EnumFlags8,
    EnumFlags16,
    EnumFlags32,
    Uid,
    Gid,
    Mode,
    SigType,
    SigSet,
    RelTime,
    AbsTime,
    SyscallId,
    Dyn,
    CharbufArray,
    CharbufPairArray,
}

impl ParamType {
    fn parse(s: &str) -> ParamType {
        use ParamType::*;
        match s {
            "i8" => Int8,
            "i16" => Int16,
            "i32" => Int32,
            "i64" => Int64,
            "u8" => Uint8,
            "u16" => Uint16,
            "u32" => Uint32,
            "u64" => Uint64,
            "errno" => Errno,
            "fd" => Fd,
            "pid" => Pid,
            "charbuf" => Charbuf,
            "bytebuf" => Bytebuf,
            "fspath" => FsPath,
            "fsrelpath" => FsRelPath,
            "sockaddr" => SockAddr,
            "socktuple" => SockTuple,
            "fdlist" => FdList,
            "flags8" => Flags8,
            "flags16" => Flags16,
            "flags32" => Flags32,
            "enumflags8" => EnumFlags8,
            "enumflags16" => EnumFlags16,
            "enumflags32" => EnumFlags32,
            "uid" => Uid,
            "gid" => Gid,
            "mode" => Mode,
            "sigtype" => SigType,
            "sigset" => SigSet,
            "reltime" => RelTime,
            "abstime" => AbsTime,
            "syscallid" => SyscallId,
            "dyn" => Dyn,
            "charbufarray" => CharbufArray,
            "charbufpairarray" => CharbufPairArray,
            other => panic!("event table: unknown param type {other}"),
        }
    }

    /// The libs name of the type (`param_type_to_string`: `FD`, `FSPATH`, `FLAGS32`, …).
    pub fn pt_name(self) -> &'static str {
        use ParamType::*;
        match self {
            Int8 => "INT8",
            Int16 => "INT16",
            Int32 => "INT32",
            Int64 => "INT64",
            Uint8 => "UINT8",
            Uint16 => "UINT16",
            Uint32 => "UINT32",
            Uint64 => "UINT64",
            Errno => "ERRNO",
            Fd => "FD",
            Pid => "PID",
            Charbuf => "CHARBUF",
            Bytebuf => "BYTEBUF",
            FsPath => "FSPATH",
            FsRelPath => "FSRELPATH",
            SockAddr => "SOCKADDR",
            SockTuple => "SOCKTUPLE",
            FdList => "FDLIST",
            Flags8 => "FLAGS8",
            Flags16 => "FLAGS16",
            Flags32 => "FLAGS32",
            EnumFlags8 => "ENUMFLAGS8",
            EnumFlags16 => "ENUMFLAGS16",
            EnumFlags32 => "ENUMFLAGS32",
            Uid => "UID",
            Gid => "GID",
            Mode => "MODE",
            SigType => "SIGTYPE",
            SigSet => "SIGSET",
            RelTime => "RELTIME",
            AbsTime => "ABSTIME",
            SyscallId => "SYSCALLID",
            Dyn => "DYN",
            CharbufArray => "CHARBUFARRAY",
            CharbufPairArray => "CHARBUF_PAIR_ARRAY",
        }
    }

    /// Fixed encoded size of the type, `None` for variable-length types.
    pub fn fixed_size(self) -> Option<usize> {
        use ParamType::*;
        match self {
            Int8 | Uint8 | Flags8 | EnumFlags8 | SigType => Some(1),
            Int16 | Uint16 | Flags16 | EnumFlags16 | SyscallId => Some(2),
            Int32 | Uint32 | Flags32 | EnumFlags32 | Uid | Gid | Mode | SigSet => Some(4),
            Int64 | Uint64 | RelTime | AbsTime | Errno | Fd | Pid => Some(8),
            _ => None,
        }
    }
}

/// Enter (`>`) or exit (`<`) event; even codes are enter events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Enter,
    Exit,
}

impl Direction {
    pub fn of(code: u16) -> Direction {
        if code & 1 == 0 {
            Direction::Enter
        } else {
            Direction::Exit
        }
    }
    pub fn as_char(self) -> char {
        match self {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }
}

#[derive(Debug, Clone)]
pub struct ParamInfo {
    pub name: &'static str,
    pub ty: ParamType,
    /// Name of the flag/enum value set (`file`, `af`), where the reader can name values.
    pub flagset: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct EventInfo {
    pub code: u16,
    pub name: &'static str,
    pub direction: Direction,
    /// `EF_OLD_VERSION`.
    pub old_version: bool,
    /// Meta / tracepoint / plugin event (not a syscall enter/exit pair).
    pub meta: bool,
    /// `EF_LARGE_PAYLOAD` (u32 parameter lengths).
    pub large_payload: bool,
    /// `EF_UNUSED` ("NA" exit halves of meta events).
    pub unused: bool,
    pub params: Vec<ParamInfo>,
}

const DATA: &str = include_str!("table_data.txt");

fn parse_params(s: &'static str) -> Vec<ParamInfo> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, rest) = p.split_once(':').expect("param name:type");
            let (ty, flagset) = match rest.split_once('=') {
                Some((t, f)) => (t, Some(f)),
                None => (rest, None),
            };
            ParamInfo {
                name,
                ty: ParamType::parse(ty),
                flagset,
            }
        })
        .collect()
}

fn build() -> Vec<EventInfo> {
    let mut out = Vec::new();
    for line in DATA.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split('|');
        let names = parts.next().unwrap_or("");
        let flags = parts.next().unwrap_or("");
        let enter = parts.next().unwrap_or("");
        let exit = parts.next().unwrap_or("");
        let (ename, xname) = match names.split_once('/') {
            Some((e, x)) => (e, x),
            None => (names, names),
        };
        let old = flags.contains('o');
        let meta = flags.contains('m');
        let large = flags.contains('l');
        let code = out.len() as u16;
        out.push(EventInfo {
            code,
            name: ename,
            direction: Direction::Enter,
            old_version: old,
            meta,
            large_payload: large,
            unused: false,
            params: parse_params(enter),
        });
        out.push(EventInfo {
            code: code + 1,
            name: xname,
            direction: Direction::Exit,
            old_version: old,
            meta,
            large_payload: large,
            unused: xname == "NA",
            params: parse_params(exit),
        });
    }
    out
}

/// The whole table, indexed by event code.
pub fn event_table() -> &'static [EventInfo] {
    static T: OnceLock<Vec<EventInfo>> = OnceLock::new();
    T.get_or_init(build)
}

/// Information about one event code, `None` past the end of the table.
pub fn event_info(code: u16) -> Option<&'static EventInfo> {
    event_table().get(code as usize)
}

/// Number of event codes known (`PPM_EVENT_MAX` of the transcribed table).
pub fn event_max() -> u16 {
    event_table().len() as u16
}

/// The newest (non-old) event code with the same name and direction, for old versions.
pub fn newest_version(code: u16) -> Option<u16> {
    let info = event_info(code)?;
    event_table()
        .iter()
        .rev()
        .find(|e| {
            e.name == info.name && e.direction == info.direction && !e.old_version && !e.unused
        })
        .map(|e| e.code)
}

/// PPM_PTRACE_* names by value (0 is PPM_PTRACE_UNKNOWN, which libs does not name).
pub const PTRACE_REQUESTS: [&str; 39] = [
    "",
    "PTRACE_TRACEME",
    "PTRACE_PEEKTEXT",
    "PTRACE_PEEKDATA",
    "PTRACE_PEEKUSR",
    "PTRACE_POKETEXT",
    "PTRACE_POKEDATA",
    "PTRACE_POKEUSR",
    "PTRACE_CONT",
    "PTRACE_KILL",
    "PTRACE_SINGLESTEP",
    "PTRACE_ATTACH",
    "PTRACE_DETACH",
    "PTRACE_SYSCALL",
    "PTRACE_SETOPTIONS",
    "PTRACE_GETEVENTMSG",
    "PTRACE_GETSIGINFO",
    "PTRACE_SETSIGINFO",
    "PTRACE_GETREGSET",
    "PTRACE_SETREGSET",
    "PTRACE_SEIZE",
    "PTRACE_INTERRUPT",
    "PTRACE_LISTEN",
    "PTRACE_PEEKSIGINFO",
    "PTRACE_GETSIGMASK",
    "PTRACE_SETSIGMASK",
    "PTRACE_GETREGS",
    "PTRACE_SETREGS",
    "PTRACE_GETFPREGS",
    "PTRACE_SETFPREGS",
    "PTRACE_GETFPXREGS",
    "PTRACE_SETFPXREGS",
    "PTRACE_OLDSETOPTIONS",
    "PTRACE_GET_THREAD_AREA",
    "PTRACE_SET_THREAD_AREA",
    "PTRACE_ARCH_PRCTL",
    "PTRACE_SYSEMU",
    "PTRACE_SYSEMU_SINGLESTEP",
    "PTRACE_SINGLEBLOCK",
];

/// Names of set bits for a flag set (only the simple ones are known).
pub fn flag_names(flagset: &str, value: u64) -> Vec<&'static str> {
    match flagset {
        "file" => {
            let mut v = Vec::new();
            match value & 3 {
                1 => v.push("O_RDONLY"),
                2 => v.push("O_WRONLY"),
                3 => v.push("O_RDWR"),
                _ => {}
            }
            const BITS: [(u64, &str); 12] = [
                (1 << 2, "O_CREAT"),
                (1 << 3, "O_APPEND"),
                (1 << 4, "O_DSYNC"),
                (1 << 5, "O_EXCL"),
                (1 << 6, "O_NONBLOCK"),
                (1 << 7, "O_SYNC"),
                (1 << 8, "O_TRUNC"),
                (1 << 9, "O_DIRECT"),
                (1 << 10, "O_DIRECTORY"),
                (1 << 11, "O_LARGEFILE"),
                (1 << 12, "O_CLOEXEC"),
                (1 << 13, "O_TMPFILE"),
            ];
            for (bit, name) in BITS {
                if value & bit != 0 {
                    v.push(name);
                }
            }
            v
        }
        // libs' `chmod_mode` (PPM_S_* values, the octal mode bits), in its order.
        "chmod" => {
            const BITS: [(u64, &str); 12] = [
                (1, "S_IXOTH"),
                (1 << 1, "S_IWOTH"),
                (1 << 2, "S_IROTH"),
                (1 << 3, "S_IXGRP"),
                (1 << 4, "S_IWGRP"),
                (1 << 5, "S_IRGRP"),
                (1 << 6, "S_IXUSR"),
                (1 << 7, "S_IWUSR"),
                (1 << 8, "S_IRUSR"),
                (1 << 9, "S_ISVTX"),
                (1 << 10, "S_ISGID"),
                (1 << 11, "S_ISUID"),
            ];
            BITS.iter()
                .filter(|(bit, _)| value & bit != 0)
                .map(|(_, n)| *n)
                .collect()
        }
        "af" => match value {
            0 => vec!["AF_UNSPEC"],
            1 => vec!["AF_UNIX"],
            2 => vec!["AF_INET"],
            10 => vec!["AF_INET6"],
            16 => vec!["AF_NETLINK"],
            17 => vec!["AF_PACKET"],
            _ => vec![],
        },
        // libs' `ptrace_requests` (PPM_PTRACE_* values of ppm_events_public.h).
        "ptrace" => PTRACE_REQUESTS
            .get(value as usize)
            .filter(|n| !n.is_empty())
            .map(|n| vec![*n])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chmod_modes_are_named_as_libs_names_them() {
        assert_eq!(
            flag_names("chmod", 0o4755),
            [
                "S_IXOTH", "S_IROTH", "S_IXGRP", "S_IRGRP", "S_IXUSR", "S_IWUSR", "S_IRUSR",
                "S_ISUID"
            ]
        );
        assert_eq!(flag_names("chmod", 0o2000), ["S_ISGID"]);
        let chmod = event_table()
            .iter()
            .find(|e| e.name == "fchmod" && !e.old_version && e.direction == crate::Direction::Exit)
            .expect("fchmod exit");
        let mode = chmod.params.iter().find(|p| p.name == "mode").unwrap();
        assert_eq!(mode.flagset, Some("chmod"));
    }
}
