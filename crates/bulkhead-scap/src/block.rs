//! Streaming block reader (pcapng-like layout of `.scap` files).

use crate::error::ScapError;
use std::io::{BufRead, BufReader, Read};

pub const SHB_BLOCK_TYPE: u32 = 0x0A0D_0D0A;
pub const SHB_MAGIC: u32 = 0x1A2B_3C4D;
pub const MI_BLOCK_TYPE: u32 = 0x201;
pub const MI_BLOCK_TYPE_INT: u32 = 0x8002_ABCD;
pub const PL_BLOCK_TYPE_V1: u32 = 0x202;
pub const PL_BLOCK_TYPE_V1_INT: u32 = 0x8000_ABCD;
pub const PL_BLOCK_TYPE_V2: u32 = 0x207;
pub const PL_BLOCK_TYPE_V2_INT: u32 = 0x8013_ABCD;
pub const PL_BLOCK_TYPE_V3: u32 = 0x209;
pub const PL_BLOCK_TYPE_V3_INT: u32 = 0x8014_ABCD;
pub const PL_BLOCK_TYPE_V4: u32 = 0x210;
pub const PL_BLOCK_TYPE_V5: u32 = 0x211;
pub const PL_BLOCK_TYPE_V6: u32 = 0x212;
pub const PL_BLOCK_TYPE_V7: u32 = 0x213;
pub const PL_BLOCK_TYPE_V8: u32 = 0x214;
pub const PL_BLOCK_TYPE_V9: u32 = 0x215;
pub const FDL_BLOCK_TYPE: u32 = 0x203;
pub const FDL_BLOCK_TYPE_INT: u32 = 0x8001_ABCD;
pub const FDL_BLOCK_TYPE_V2: u32 = 0x218;
pub const EV_BLOCK_TYPE: u32 = 0x204;
pub const EV_BLOCK_TYPE_INT: u32 = 0x8010_ABCD;
pub const EV_BLOCK_TYPE_V2: u32 = 0x216;
pub const EV_BLOCK_TYPE_V2_LARGE: u32 = 0x221;
pub const EVF_BLOCK_TYPE: u32 = 0x208;
pub const EVF_BLOCK_TYPE_V2: u32 = 0x217;
pub const EVF_BLOCK_TYPE_V2_LARGE: u32 = 0x222;
pub const IL_BLOCK_TYPE: u32 = 0x205;
pub const IL_BLOCK_TYPE_INT: u32 = 0x8011_ABCD;
pub const IL_BLOCK_TYPE_V2: u32 = 0x219;
pub const UL_BLOCK_TYPE: u32 = 0x206;
pub const UL_BLOCK_TYPE_INT: u32 = 0x8012_ABCD;
pub const UL_BLOCK_TYPE_V2: u32 = 0x220;

/// Default refusal limit for one block.
pub const DEFAULT_MAX_BLOCK: u32 = 64 * 1024 * 1024;
/// Default most threads of one process list block (libsinsp's thread table size, 262,144).
pub const DEFAULT_MAX_THREADS: usize = 262_144;
/// Default most fds of one fd list block (libsinsp's `MAX_FD_TABLE_SIZE`, 4,096).
pub const DEFAULT_MAX_FDS: usize = 4_096;
/// Default most bytes read from a capture (after gzip decompression): 8 GiB.
pub const DEFAULT_MAX_TOTAL: u64 = 8 * 1024 * 1024 * 1024;

/// Little-endian cursor over one block body; every read is bounds-checked.
pub(crate) struct Cur<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    /// File offset of `buf[0]` (for error messages).
    pub base: u64,
}

impl<'a> Cur<'a> {
    pub fn new(buf: &'a [u8], base: u64) -> Self {
        Cur { buf, pos: 0, base }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub fn off(&self) -> u64 {
        self.base + self.pos as u64
    }
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], ScapError> {
        if n > self.remaining() {
            return Err(ScapError::corrupt(
                self.off(),
                format!("{what}: need {n} bytes, {} left in block", self.remaining()),
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn u8(&mut self, w: &str) -> Result<u8, ScapError> {
        Ok(self.bytes(1, w)?[0])
    }
    pub fn u16(&mut self, w: &str) -> Result<u16, ScapError> {
        let b = self.bytes(2, w)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self, w: &str) -> Result<u32, ScapError> {
        let b = self.bytes(4, w)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self, w: &str) -> Result<u64, ScapError> {
        let b = self.bytes(8, w)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// u16 length + bytes (not NUL-terminated on file), lossy UTF-8.
    pub fn str16(&mut self, w: &str, max: usize) -> Result<String, ScapError> {
        let off = self.off();
        let n = self.u16(w)? as usize;
        if n > max {
            return Err(ScapError::corrupt(
                off,
                format!("invalid {w} length {n} (max {max})"),
            ));
        }
        Ok(lossy(self.bytes(n, w)?))
    }
}

pub(crate) fn lossy(b: &[u8]) -> String {
    let b = match b.iter().position(|&c| c == 0) {
        Some(p) if p + 1 == b.len() => &b[..p],
        _ => b,
    };
    String::from_utf8_lossy(b).into_owned()
}

/// Counts bytes read from the (decompressed) stream.
struct Counting<R> {
    inner: R,
    n: u64,
    limit: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.n >= self.limit {
            return Err(std::io::Error::other(format!(
                "larger than {} bytes (decompressed; the reader's limit)",
                self.limit
            )));
        }
        let max = ((self.limit - self.n) as usize).min(buf.len());
        let k = self.inner.read(&mut buf[..max])?;
        self.n += k as u64;
        Ok(k)
    }
}

/// One raw block: type, file offset of its header and body (without header/trailer).
#[derive(Debug, Clone)]
pub struct RawBlock {
    pub block_type: u32,
    pub offset: u64,
    pub body: Vec<u8>,
}

impl RawBlock {
    /// Whether this is an event block (any of the event block types).
    pub fn is_event(&self) -> bool {
        crate::event::is_event_block(self.block_type)
    }

    /// Offset of an event block's timestamp in its body (after the cpu id and, in EVF blocks,
    /// the dump flags); `None` for other blocks or a body too short to hold one.
    fn ts_offset(&self) -> Option<usize> {
        if !self.is_event() {
            return None;
        }
        let off = if matches!(
            self.block_type,
            EVF_BLOCK_TYPE | EVF_BLOCK_TYPE_V2 | EVF_BLOCK_TYPE_V2_LARGE
        ) {
            6
        } else {
            2
        };
        (self.body.len() >= off + 8).then_some(off)
    }

    /// An event block's timestamp (ns since the epoch).
    pub fn event_ts(&self) -> Option<u64> {
        let o = self.ts_offset()?;
        Some(u64::from_le_bytes(self.body[o..o + 8].try_into().ok()?))
    }

    /// Change an event block's timestamp (used to build long streams from short captures).
    pub fn set_event_ts(&mut self, ts: u64) -> bool {
        match self.ts_offset() {
            Some(o) => {
                self.body[o..o + 8].copy_from_slice(&ts.to_le_bytes());
                true
            }
            None => false,
        }
    }

    /// Write the block back in the file layout: type, total length, body, total length.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let total = u32::try_from(self.body.len() + 12)
            .map_err(|_| std::io::Error::other("block too large"))?;
        w.write_all(&self.block_type.to_le_bytes())?;
        w.write_all(&total.to_le_bytes())?;
        w.write_all(&self.body)?;
        w.write_all(&total.to_le_bytes())
    }
}

/// Limits applied while reading: what a capture can make the reader allocate. A block is read
/// whole (its length is checked against `max_block` before anything is allocated); what it is
/// parsed into is bounded by the counts below, checked while parsing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Refuse blocks whose total length exceeds this.
    pub max_block: u32,
    /// Refuse inputs that decompress to more than this many bytes (an absolute budget: a
    /// decompression bomb is stopped by the amount it produces, not by its ratio).
    pub max_total: u64,
    /// Refuse process list blocks of more threads, and keep at most this many threads in
    /// [`crate::Capture::threads`].
    pub max_threads: usize,
    /// Refuse fd list blocks of more fds, and keep at most this many fds per thread in
    /// [`crate::Capture::fds`].
    pub max_fds: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_block: DEFAULT_MAX_BLOCK,
            max_total: DEFAULT_MAX_TOTAL,
            max_threads: DEFAULT_MAX_THREADS,
            max_fds: DEFAULT_MAX_FDS,
        }
    }
}

/// Reads raw blocks one at a time; gzip input is detected by its magic.
pub struct BlockReader {
    inner: Counting<Box<dyn Read>>,
    limits: Limits,
    pub(crate) gzip: bool,
}

impl BlockReader {
    pub fn new<R: Read + 'static>(r: R, limits: Limits) -> Result<Self, ScapError> {
        let mut br = BufReader::new(r);
        let head = br.fill_buf().map_err(|e| ScapError::io(0, e))?;
        let gzip = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
        let inner: Box<dyn Read> = if gzip {
            // Buffered on the decompressed side too: blocks are read in small pieces (8-byte
            // headers), and each read straight from the decoder would pay its per-call cost.
            Box::new(BufReader::with_capacity(
                64 * 1024,
                flate2::read::MultiGzDecoder::new(br),
            ))
        } else {
            Box::new(br)
        };
        Ok(BlockReader {
            inner: Counting {
                inner,
                n: 0,
                limit: limits.max_total,
            },
            limits,
            gzip,
        })
    }

    /// The limits the reader applies.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Offset in the decompressed stream.
    pub fn offset(&self) -> u64 {
        self.inner.n
    }

    fn read_full(&mut self, buf: &mut [u8]) -> Result<usize, ScapError> {
        let mut got = 0;
        while got < buf.len() {
            match self.inner.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ScapError::io(self.inner.n, e)),
            }
        }
        Ok(got)
    }

    /// Next block, `Ok(None)` at a clean end of file.
    pub fn next_block(&mut self) -> Result<Option<RawBlock>, ScapError> {
        let offset = self.offset();
        let mut hdr = [0u8; 8];
        let got = self.read_full(&mut hdr)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 8 {
            return Err(ScapError::truncated(offset, "block header"));
        }
        let block_type = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let total = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
        if total < 12 {
            return Err(ScapError::corrupt(
                offset,
                format!("block type {block_type:#x}: total length {total} < 12"),
            ));
        }
        if total > self.limits.max_block {
            return Err(ScapError::corrupt(
                offset,
                format!(
                    "block type {block_type:#x}: length {total} exceeds limit {}",
                    self.limits.max_block
                ),
            ));
        }
        let body_len = (total - 12) as usize;
        // Sized up front (the length is bounded by `max_block` above) and filled in place,
        // rather than grown by `read_to_end`.
        let mut body = vec![0u8; body_len + 4];
        let got = self.read_full(&mut body)?;
        if got < body_len + 4 {
            return Err(ScapError::truncated(
                offset,
                &format!("block type {block_type:#x} of length {total}"),
            ));
        }
        let tb = &body[body_len..];
        let trailer = u32::from_le_bytes([tb[0], tb[1], tb[2], tb[3]]);
        if trailer != total {
            return Err(ScapError::corrupt(
                offset,
                format!(
                    "block type {block_type:#x}: trailer length {trailer} != header length {total}"
                ),
            ));
        }
        body.truncate(body_len);
        Ok(Some(RawBlock {
            block_type,
            offset,
            body,
        }))
    }
}
