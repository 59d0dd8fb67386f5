//! Event blocks: header, parameter lengths, typed parameter values.

use crate::block::*;
use crate::error::ScapError;
use crate::table::{self, Direction, ParamType};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An event as stored in the file (after v1 -> v2 header conversion), parameters still raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// File offset of the event block.
    pub offset: u64,
    pub block_type: u32,
    pub cpu: u16,
    /// Dump flags of EVF blocks (0 otherwise).
    pub flags: u32,
    pub ts: u64,
    pub tid: u64,
    pub code: u16,
    /// The bytes the parameters are in (the event block's body, kept as read: no copy per
    /// parameter) and each parameter's (start, end) in it.
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl RawEvent {
    /// An event from separate parameter payloads (for events built rather than read).
    #[allow(clippy::too_many_arguments)]
    pub fn from_params(
        offset: u64,
        block_type: u32,
        cpu: u16,
        flags: u32,
        ts: u64,
        tid: u64,
        code: u16,
        params: Vec<Vec<u8>>,
    ) -> RawEvent {
        let mut data = Vec::new();
        let mut spans = Vec::with_capacity(params.len());
        for p in params {
            spans.push((data.len(), data.len() + p.len()));
            data.extend(p);
        }
        RawEvent {
            offset,
            block_type,
            cpu,
            flags,
            ts,
            tid,
            code,
            data,
            spans,
        }
    }

    /// The parameter payloads in order.
    pub fn params(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.spans.iter().map(|&(a, b)| &self.data[a..b])
    }

    /// Parameter `i`'s payload.
    pub fn param(&self, i: usize) -> Option<&[u8]> {
        self.spans.get(i).map(|&(a, b)| &self.data[a..b])
    }

    pub fn nparams(&self) -> usize {
        self.spans.len()
    }
}

pub(crate) fn is_event_block(bt: u32) -> bool {
    matches!(
        bt,
        EV_BLOCK_TYPE
            | EV_BLOCK_TYPE_INT
            | EV_BLOCK_TYPE_V2
            | EV_BLOCK_TYPE_V2_LARGE
            | EVF_BLOCK_TYPE
            | EVF_BLOCK_TYPE_V2
            | EVF_BLOCK_TYPE_V2_LARGE
    )
}

const NOTIFICATION_E: u16 = 280;
const INFRASTRUCTURE_EVENT_E: u16 = 286;

/// Parse an event block. Old (v1) blocks have no `nparams` in the header: it is derived
/// like libscap does, from the table's parameter count downwards until the lengths fit.
pub(crate) fn parse_event(b: RawBlock) -> Result<RawEvent, ScapError> {
    let bt = b.block_type;
    let v2 = matches!(
        bt,
        EV_BLOCK_TYPE_V2 | EV_BLOCK_TYPE_V2_LARGE | EVF_BLOCK_TYPE_V2 | EVF_BLOCK_TYPE_V2_LARGE
    );
    let large = matches!(bt, EV_BLOCK_TYPE_V2_LARGE | EVF_BLOCK_TYPE_V2_LARGE);
    let with_flags = matches!(
        bt,
        EVF_BLOCK_TYPE | EVF_BLOCK_TYPE_V2 | EVF_BLOCK_TYPE_V2_LARGE
    );
    let mut c = Cur::new(&b.body, b.offset + 8);
    let cpu = c.u16("event cpu id")?;
    let flags = if with_flags {
        c.u32("event dump flags")?
    } else {
        0
    };
    let hdr_start = c.pos;
    let hoff = c.off();
    let ts = c.u64("event ts")?;
    let tid = c.u64("event tid")?;
    let len = c.u32("event len")? as usize;
    let code = c.u16("event type")?;
    let hdr_len = if v2 { 26 } else { 22 };
    let nparams_hdr = if v2 {
        Some(c.u32("event nparams")?)
    } else {
        None
    };
    let mut len = len;
    if !v2 && (code == NOTIFICATION_E || code == INFRASTRUCTURE_EVENT_E) {
        len = len.saturating_sub(3);
    }
    if len < hdr_len {
        return Err(ScapError::corrupt(
            hoff,
            format!("event length {len} shorter than its header"),
        ));
    }
    let avail = b.body.len() - hdr_start;
    if len > avail {
        return Err(ScapError::corrupt(
            hoff,
            format!("event length {len} exceeds its block ({avail} bytes)"),
        ));
    }
    let data = &b.body[c.pos..hdr_start + len];
    let lsz = if large { 4 } else { 2 };
    let rd_len = |i: usize| -> usize {
        if lsz == 4 {
            u32::from_le_bytes([
                data[i * 4],
                data[i * 4 + 1],
                data[i * 4 + 2],
                data[i * 4 + 3],
            ]) as usize
        } else {
            u16::from_le_bytes([data[i * 2], data[i * 2 + 1]]) as usize
        }
    };
    let nparams = match nparams_hdr {
        Some(n) => {
            let n = n as usize;
            if n > PPM_MAX_EVENT_PARAMS {
                return Err(ScapError::corrupt(
                    hoff,
                    format!("event nparams {n} over the maximum of {PPM_MAX_EVENT_PARAMS}"),
                ));
            }
            if n.saturating_mul(lsz) > data.len() {
                return Err(ScapError::corrupt(
                    hoff,
                    format!("event nparams {n} do not fit in {} bytes", data.len()),
                ));
            }
            n
        }
        None => {
            let start = table::event_info(code).map(|i| i.params.len()).unwrap_or(0);
            let mut found = None;
            for n in (0..=start).rev() {
                if n * 2 > data.len() {
                    continue;
                }
                let total: usize = n * 2 + (0..n).map(rd_len).sum::<usize>();
                if total < data.len() {
                    return Err(ScapError::corrupt(
                        hoff,
                        "cannot convert v1 event to v2: parameter lengths shorter than the event"
                            .into(),
                    ));
                }
                if total == data.len() {
                    found = Some(n);
                    break;
                }
            }
            match found {
                Some(n) => n,
                None => {
                    return Err(ScapError::corrupt(
                        hoff,
                        "cannot convert v1 event to v2: cannot compute nparams".into(),
                    ));
                }
            }
        }
    };
    let mut pos = nparams * lsz;
    // Spans are kept relative to the block body, which the event takes over.
    let base = data.as_ptr() as usize - b.body.as_ptr() as usize;
    let mut spans = Vec::with_capacity(nparams);
    for i in 0..nparams {
        let l = rd_len(i);
        if pos + l > data.len() {
            return Err(ScapError::corrupt(
                hoff,
                format!(
                    "event param {i} of length {l} exceeds the event ({} bytes)",
                    data.len()
                ),
            ));
        }
        spans.push((base + pos, base + pos + l));
        pos += l;
    }
    Ok(RawEvent {
        offset: b.offset,
        block_type: bt,
        cpu,
        flags,
        ts,
        tid,
        code,
        data: b.body,
        spans,
    })
}

/// Most parameters an event has (libs `PPM_MAX_EVENT_PARAMS`): the parameter count of an event
/// header is checked against it before anything is sized by it.
pub const PPM_MAX_EVENT_PARAMS: usize = 32;

/// Socket address (`PT_SOCKADDR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddr {
    Inet { ip: IpAddr, port: u16 },
    Unix(String),
    Family(u8),
}

/// Socket tuple (`PT_SOCKTUPLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockTuple {
    Inet {
        sip: IpAddr,
        sport: u16,
        dip: IpAddr,
        dport: u16,
    },
    Unix {
        source: u64,
        dest: u64,
        path: String,
    },
    Family(u8),
}

impl std::fmt::Display for SockTuple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SockTuple::Inet {
                sip,
                sport,
                dip,
                dport,
            } => write!(f, "{sip}:{sport}->{dip}:{dport}"),
            SockTuple::Unix { source, dest, path } => write!(f, "{source:x}->{dest:x} {path}"),
            SockTuple::Family(fam) => write!(f, "family {fam}"),
        }
    }
}

/// Decoded parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Zero-length parameter (absent / filled as empty by the converter).
    Empty,
    Int(i64),
    UInt(u64),
    /// Return value: negative = -errno.
    Errno(i64),
    Fd(i64),
    Pid(i64),
    Str(String),
    Bytes(Vec<u8>),
    Flags {
        value: u64,
        names: Vec<&'static str>,
    },
    SockAddr(SockAddr),
    SockTuple(SockTuple),
    /// (fd, poll flags)
    FdList(Vec<(i64, u16)>),
    StrList(Vec<String>),
    /// Payload whose length does not match its type.
    Raw(Vec<u8>),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Empty => write!(f, "<NA>"),
            Value::Int(v) | Value::Errno(v) | Value::Fd(v) | Value::Pid(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Str(s) => write!(f, "{s}"),
            Value::Bytes(b) | Value::Raw(b) => {
                let shown: String = b
                    .iter()
                    .take(64)
                    .map(|&c| {
                        if c.is_ascii_graphic() || c == b' ' {
                            c as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                write!(f, "{shown}")?;
                if b.len() > 64 {
                    write!(f, "...({} bytes)", b.len())?;
                }
                Ok(())
            }
            Value::Flags { value, names } => {
                write!(f, "{value:#x}")?;
                if !names.is_empty() {
                    write!(f, "({})", names.join("|"))?;
                }
                Ok(())
            }
            Value::SockAddr(SockAddr::Inet { ip, port }) => write!(f, "{ip}:{port}"),
            Value::SockAddr(SockAddr::Unix(p)) => write!(f, "{p}"),
            Value::SockAddr(SockAddr::Family(x)) => write!(f, "family {x}"),
            Value::SockTuple(t) => write!(f, "{t}"),
            Value::FdList(l) => {
                let parts: Vec<String> = l.iter().map(|(fd, fl)| format!("{fd}:{fl:#x}")).collect();
                write!(f, "{}", parts.join(" "))
            }
            Value::StrList(l) => write!(f, "{}", l.join(",")),
        }
    }
}

/// One decoded parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    pub value: Value,
}

/// A typed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub ts: u64,
    pub tid: u64,
    pub cpu: u16,
    pub flags: u32,
    pub code: u16,
    pub name: &'static str,
    pub direction: Direction,
    pub params: Vec<Param>,
}

impl Event {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
    /// The parameter's value as a string (strings and paths), if present.
    pub fn str_param(&self, name: &str) -> Option<&str> {
        match &self.param(name)?.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.ts,
            self.cpu,
            self.tid,
            self.direction.as_char(),
            self.name
        )?;
        for p in &self.params {
            write!(f, " {}={}", p.name, p.value)?;
        }
        Ok(())
    }
}

fn le_u(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(a)
}

fn le_i(b: &[u8]) -> i64 {
    let u = le_u(b);
    let bits = b.len() * 8;
    if bits == 64 {
        u as i64
    } else {
        ((u << (64 - bits)) as i64) >> (64 - bits)
    }
}

fn ipv4(b: &[u8]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

fn ipv6(b: &[u8]) -> IpAddr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    let v6 = Ipv6Addr::from(a);
    IpAddr::V6(v6)
}

// PPM_AF_* values
const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

fn decode_sockaddr(b: &[u8]) -> Value {
    let fam = b[0];
    let r = &b[1..];
    match fam {
        AF_INET if r.len() >= 6 => Value::SockAddr(SockAddr::Inet {
            ip: ipv4(r),
            port: u16::from_le_bytes([r[4], r[5]]),
        }),
        AF_INET6 if r.len() >= 18 => Value::SockAddr(SockAddr::Inet {
            ip: ipv6(r),
            port: u16::from_le_bytes([r[16], r[17]]),
        }),
        AF_UNIX => Value::SockAddr(SockAddr::Unix(crate::block::lossy(r))),
        _ => Value::SockAddr(SockAddr::Family(fam)),
    }
}

fn decode_socktuple(b: &[u8]) -> Value {
    let fam = b[0];
    let r = &b[1..];
    match fam {
        AF_INET if r.len() >= 12 => Value::SockTuple(SockTuple::Inet {
            sip: ipv4(r),
            sport: u16::from_le_bytes([r[4], r[5]]),
            dip: ipv4(&r[6..]),
            dport: u16::from_le_bytes([r[10], r[11]]),
        }),
        AF_INET6 if r.len() >= 36 => Value::SockTuple(SockTuple::Inet {
            sip: ipv6(r),
            sport: u16::from_le_bytes([r[16], r[17]]),
            dip: ipv6(&r[18..]),
            dport: u16::from_le_bytes([r[34], r[35]]),
        }),
        AF_UNIX if r.len() >= 16 => Value::SockTuple(SockTuple::Unix {
            source: le_u(&r[..8]),
            dest: le_u(&r[8..16]),
            path: crate::block::lossy(&r[16..]),
        }),
        _ => Value::SockTuple(SockTuple::Family(fam)),
    }
}

fn decode_fdlist(b: &[u8]) -> Value {
    if b.len() < 2 {
        return Value::Raw(b.to_vec());
    }
    let n = u16::from_le_bytes([b[0], b[1]]) as usize;
    if b.len() < 2 + n * 10 {
        return Value::Raw(b.to_vec());
    }
    let l = (0..n)
        .map(|i| {
            let e = &b[2 + i * 10..];
            (le_i(&e[..8]), u16::from_le_bytes([e[8], e[9]]))
        })
        .collect();
    Value::FdList(l)
}

/// Decode one payload according to its parameter type.
pub fn decode_value(ty: ParamType, flagset: Option<&str>, b: &[u8]) -> Value {
    use ParamType::*;
    if b.is_empty() {
        return Value::Empty;
    }
    if let Some(sz) = ty.fixed_size()
        && b.len() != sz
    {
        return Value::Raw(b.to_vec());
    }
    match ty {
        Int8 | Int16 | Int32 | Int64 => Value::Int(le_i(b)),
        Uint8 | Uint16 | Uint32 | Uint64 | RelTime | AbsTime | SigType | SigSet | SyscallId => {
            Value::UInt(le_u(b))
        }
        Uid | Gid => Value::UInt(le_u(b)),
        // chmod's `mode` names its bits (libs' `chmod_mode`); other modes are plain numbers.
        Mode => match flagset {
            Some(f) => {
                let v = le_u(b);
                Value::Flags {
                    value: v,
                    names: table::flag_names(f, v),
                }
            }
            None => Value::UInt(le_u(b)),
        },
        Errno => Value::Errno(le_i(b)),
        Fd => Value::Fd(le_i(b)),
        Pid => Value::Pid(le_i(b)),
        Flags8 | Flags16 | Flags32 | EnumFlags8 | EnumFlags16 | EnumFlags32 => {
            let v = le_u(b);
            Value::Flags {
                value: v,
                names: flagset.map(|f| table::flag_names(f, v)).unwrap_or_default(),
            }
        }
        Charbuf | FsPath | FsRelPath => Value::Str(crate::block::lossy(b)),
        Bytebuf | Dyn => Value::Bytes(b.to_vec()),
        SockAddr => decode_sockaddr(b),
        SockTuple => decode_socktuple(b),
        FdList => decode_fdlist(b),
        CharbufArray | CharbufPairArray => Value::StrList(crate::meta::split_nul(b)),
    }
}

/// Decode a raw event with the event table. Unknown codes get the name `unknown`.
pub fn decode(raw: &RawEvent) -> Event {
    let info = table::event_info(raw.code);
    let params = raw
        .params()
        .enumerate()
        .map(|(i, p)| {
            let pi = info.and_then(|e| e.params.get(i));
            match pi {
                Some(pi) => Param {
                    name: pi.name,
                    ty: pi.ty,
                    value: decode_value(pi.ty, pi.flagset, p),
                },
                None => Param {
                    name: "?",
                    ty: ParamType::Bytebuf,
                    value: if p.is_empty() {
                        Value::Empty
                    } else {
                        Value::Raw(p.to_vec())
                    },
                },
            }
        })
        .collect();
    Event {
        ts: raw.ts,
        tid: raw.tid,
        cpu: raw.cpu,
        flags: raw.flags,
        code: raw.code,
        name: info.map(|i| i.name).unwrap_or("unknown"),
        direction: Direction::of(raw.code),
        params,
    }
}
