//! The records of the sensor's ring buffer (layouts of `bpf/sensor.h`), parsed with their
//! lengths checked: a record the kernel wrote is still only trusted as far as its bytes go.

use std::fmt;

pub const KIND_SYSCALL: u32 = 1;
pub const KIND_EXEC: u32 = 2;
pub const KIND_FORK: u32 = 3;
pub const KIND_EXIT: u32 = 4;

pub const ARG_NONE: u8 = 0;
pub const ARG_STR: u8 = 1;
pub const ARG_BUF: u8 = 2;
pub const ARG_BUF_LENPTR: u8 = 3;
pub const ARG_FIXED: u8 = 4;
/// I/O data the call returned (`ret` bytes, at most snaplen).
pub const ARG_DATA_RET: u8 = 5;
/// I/O data the call was given (`ret` bytes if it succeeded, else its length argument; at most
/// snaplen).
pub const ARG_DATA: u8 = 6;

pub const EXE_UPPER_LAYER: u32 = 1;
pub const EXE_FROM_MEMFD_OR_DELETED: u32 = 2;
pub const EXE_WRITABLE: u32 = 4;

/// `struct bh_hdr`.
pub const HDR_LEN: usize = 8 * 3 + 4 * 10 + 16;
/// `struct bh_sys` without the argument memory.
pub const SYS_LEN: usize = HDR_LEN + 8 + 8 + 6 * 8 + 4 + 2 + 2 + 4 + 4;
/// `struct bh_tuple`.
pub const TUPLE_LEN: usize = 8 + 32 + 16 + 108 + 4;
/// `struct bh_exec` without the strings.
pub const EXEC_LEN: usize = HDR_LEN + 6 * 8 + 4 * 4 + 4 * 2 + 72;
pub const FORK_LEN: usize = HDR_LEN + 4 * 3 + 2 * 2 + 72;
pub const FORK_THREAD: u32 = 1;
pub const FORK_FILES: u32 = 2;
pub const EXIT_LEN: usize = HDR_LEN + 8;

/// `struct bh_hdr`: who and when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// CLOCK_BOOTTIME nanoseconds.
    pub ts: u64,
    pub cgroup_v2: u64,
    pub cgroup_v1: u64,
    pub kind: u32,
    pub tid: u32,
    pub pid: u32,
    pub ppid: u32,
    pub vtid: u32,
    pub vpid: u32,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub comm: String,
    /// The libs `cgroups` parameter, resolved from the cgroup ids by the sensor's thread as soon
    /// as the record is read (while the task still lives); not part of the kernel's bytes.
    pub cgroups: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysRecord {
    pub h: Header,
    pub ts_enter: u64,
    pub ret: i64,
    pub args: [u64; 6],
    pub nr: u32,
    /// The argument memory read at exit, as the syscall's spec asked (path or buffer).
    pub mem: [Option<Vec<u8>>; 2],
    /// The socket's ends, for calls on sockets.
    pub tuple: Option<Tuple>,
}

/// `struct bh_tuple`: a socket's ends as the kernel socket has them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tuple {
    /// AF_UNIX 1, AF_INET 2, AF_INET6 10, …
    pub family: u16,
    pub lport: u16,
    pub rport: u16,
    /// Network order; the first 4 bytes for IPv4.
    pub local: [u8; 16],
    pub remote: [u8; 16],
    pub sk: u64,
    pub peer: u64,
    /// A unix socket's bound path (abstract ones start with NUL).
    pub path: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRecord {
    pub h: Header,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_ino: u64,
    pub exe_ctime: u64,
    pub exe_mtime: u64,
    pub tty: u32,
    pub flags: u32,
    pub pgid: u32,
    pub sid: u32,
    pub filename: Vec<u8>,
    /// NUL-separated, argv[0] first.
    pub args: Vec<u8>,
    pub env: Vec<u8>,
    /// The task's cgroup directory name, read in the kernel.
    pub cgleaf: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkRecord {
    /// The child.
    pub h: Header,
    pub parent_tid: u32,
    pub parent_pid: u32,
    /// `FORK_THREAD`, `FORK_FILES`.
    pub flags: u32,
    /// The child's arguments (its parent's), NUL-separated, argv[0] first.
    pub args: Vec<u8>,
    /// The child's cgroup directory name, read in the kernel.
    pub cgleaf: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitRecord {
    pub h: Header,
    pub exit_code: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Sys(SysRecord),
    Exec(ExecRecord),
    Fork(ForkRecord),
    Exit(ExitRecord),
}

impl Record {
    pub fn header(&self) -> &Header {
        match self {
            Record::Sys(r) => &r.h,
            Record::Exec(r) => &r.h,
            Record::Fork(r) => &r.h,
            Record::Exit(r) => &r.h,
        }
    }
}

/// A record that does not parse (a sensor/userspace mismatch: counted, never trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord(pub String);

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed sensor record: {}", self.0)
    }
}

struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadRecord> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| {
                BadRecord(format!(
                    "{} bytes wanted at {} of {}",
                    n,
                    self.pos,
                    self.b.len()
                ))
            })?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64, BadRecord> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    fn u32(&mut self) -> Result<u32, BadRecord> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }
    fn u16(&mut self) -> Result<u16, BadRecord> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2")))
    }
}

fn cstr(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or(b)
}

fn header(c: &mut Cur) -> Result<Header, BadRecord> {
    let ts = c.u64()?;
    let cgroup_v2 = c.u64()?;
    let cgroup_v1 = c.u64()?;
    let kind = c.u32()?;
    let _len = c.u32()?;
    let tid = c.u32()?;
    let pid = c.u32()?;
    let ppid = c.u32()?;
    let vtid = c.u32()?;
    let vpid = c.u32()?;
    let uid = c.u32()?;
    let gid = c.u32()?;
    let loginuid = c.u32()?;
    let comm = String::from_utf8_lossy(cstr(c.take(16)?)).into_owned();
    Ok(Header {
        ts,
        cgroup_v2,
        cgroup_v1,
        kind,
        tid,
        pid,
        ppid,
        vtid,
        vpid,
        uid,
        gid,
        loginuid,
        comm,
        cgroups: Vec::new(),
    })
}

fn tuple(c: &mut Cur) -> Result<Tuple, BadRecord> {
    let family = c.u16()?;
    let lport = c.u16()?;
    let rport = c.u16()?;
    let _pad = c.u16()?;
    let local = c.take(16)?.try_into().expect("16");
    let remote = c.take(16)?.try_into().expect("16");
    let sk = c.u64()?;
    let peer = c.u64()?;
    let raw = c.take(108)?;
    // An abstract unix name starts with NUL: keep it, cut at the next NUL.
    let path = match raw.first() {
        Some(0) => {
            let rest = &raw[1..];
            let mut p = vec![0];
            p.extend(cstr(rest));
            if p.len() == 1 { Vec::new() } else { p }
        }
        _ => cstr(raw).to_vec(),
    };
    let _pad2 = c.u32()?;
    Ok(Tuple {
        family,
        lport,
        rport,
        local,
        remote,
        sk,
        peer,
        path,
    })
}

/// Parses one ring-buffer record.
pub fn parse(b: &[u8]) -> Result<Record, BadRecord> {
    let mut c = Cur { b, pos: 0 };
    let h = header(&mut c)?;
    match h.kind {
        KIND_SYSCALL => {
            let ts_enter = c.u64()?;
            let ret = c.u64()? as i64;
            let mut args = [0u64; 6];
            for a in &mut args {
                *a = c.u64()?;
            }
            let nr = c.u32()?;
            let l0 = c.u16()? as usize;
            let l1 = c.u16()? as usize;
            let tl = c.u32()? as usize;
            let _pad = c.u32()?;
            let m0 = (l0 > 0)
                .then(|| c.take(l0).map(<[u8]>::to_vec))
                .transpose()?;
            let m1 = (l1 > 0)
                .then(|| c.take(l1).map(<[u8]>::to_vec))
                .transpose()?;
            let tuple = match tl {
                0 => None,
                TUPLE_LEN => Some(tuple(&mut c)?),
                n => return Err(BadRecord(format!("socket tuple of {n} bytes"))),
            };
            Ok(Record::Sys(SysRecord {
                h,
                ts_enter,
                ret,
                args,
                nr,
                mem: [m0, m1],
                tuple,
            }))
        }
        KIND_EXEC => {
            let cap_inheritable = c.u64()?;
            let cap_permitted = c.u64()?;
            let cap_effective = c.u64()?;
            let exe_ino = c.u64()?;
            let exe_ctime = c.u64()?;
            let exe_mtime = c.u64()?;
            let tty = c.u32()?;
            let flags = c.u32()?;
            let pgid = c.u32()?;
            let sid = c.u32()?;
            let fl = c.u16()? as usize;
            let al = c.u16()? as usize;
            let el = c.u16()? as usize;
            let _pad = c.u16()?;
            let cgleaf = String::from_utf8_lossy(cstr(c.take(72)?)).into_owned();
            let filename = cstr(c.take(fl)?).to_vec();
            let args = c.take(al)?.to_vec();
            let env = c.take(el)?.to_vec();
            Ok(Record::Exec(ExecRecord {
                h,
                cap_inheritable,
                cap_permitted,
                cap_effective,
                exe_ino,
                exe_ctime,
                exe_mtime,
                tty,
                flags,
                pgid,
                sid,
                filename,
                args,
                env,
                cgleaf,
            }))
        }
        KIND_FORK => {
            let parent_tid = c.u32()?;
            let parent_pid = c.u32()?;
            let flags = c.u32()?;
            let al = c.u16()? as usize;
            let _pad = c.u16()?;
            let cgleaf = String::from_utf8_lossy(cstr(c.take(72)?)).into_owned();
            let args = c.take(al)?.to_vec();
            Ok(Record::Fork(ForkRecord {
                h,
                parent_tid,
                parent_pid,
                flags,
                args,
                cgleaf,
            }))
        }
        KIND_EXIT => {
            let exit_code = c.u32()? as i32;
            Ok(Record::Exit(ExitRecord { h, exit_code }))
        }
        k => Err(BadRecord(format!("unknown record kind {k}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(kind: u32) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [10u64, 20, 30] {
            b.extend(v.to_le_bytes());
        }
        for v in [kind, 0, 7, 7, 1, 7, 7, 0, 0, 1000] {
            b.extend(v.to_le_bytes());
        }
        let mut comm = [0u8; 16];
        comm[..3].copy_from_slice(b"cat");
        b.extend(comm);
        b
    }

    #[test]
    fn sizes_match_the_c_layouts() {
        assert_eq!(hdr(1).len(), HDR_LEN);
        assert_eq!(HDR_LEN, 80);
        assert_eq!(SYS_LEN, 160);
        assert_eq!(TUPLE_LEN, 168);
        assert_eq!(EXEC_LEN, 224);
        assert_eq!(FORK_LEN, 168);
    }

    #[test]
    fn syscall_record_with_a_path() {
        let mut b = hdr(KIND_SYSCALL);
        b.extend(5u64.to_le_bytes());
        b.extend((-2i64).to_le_bytes());
        for a in [0xffffff9cu64, 1, 0, 0, 0, 0] {
            b.extend(a.to_le_bytes());
        }
        b.extend(257u32.to_le_bytes());
        b.extend(12u16.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend(b"/etc/shadow\0");
        let Record::Sys(r) = parse(&b).unwrap() else {
            panic!()
        };
        assert_eq!(r.nr, 257);
        assert_eq!(r.ret, -2);
        assert_eq!(r.h.comm, "cat");
        assert_eq!(r.h.loginuid, 1000);
        assert_eq!(r.mem[0].as_deref(), Some(&b"/etc/shadow\0"[..]));
        assert_eq!(r.mem[1], None);
    }

    #[test]
    fn truncated_and_unknown_records_are_errors() {
        let mut b = hdr(KIND_SYSCALL);
        b.extend([0u8; 40]);
        assert!(parse(&b).unwrap_err().0.contains("wanted"));
        assert!(parse(&hdr(99)).unwrap_err().0.contains("kind 99"));
        assert!(parse(&[1, 2, 3]).is_err());
        // A length field pointing past the record.
        let mut b = hdr(KIND_SYSCALL);
        b.extend([0u8; 8 + 8 + 48 + 4]);
        b.extend(500u16.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend([0u8; 8]);
        b.extend(b"short");
        assert!(parse(&b).is_err());
        // A tuple of the wrong size.
        let mut b = hdr(KIND_SYSCALL);
        b.extend([0u8; 8 + 8 + 48 + 4 + 4]);
        b.extend(7u32.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend([0u8; 7]);
        assert!(parse(&b).is_err());
    }
}
