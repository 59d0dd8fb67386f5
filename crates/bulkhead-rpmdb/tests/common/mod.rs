//! Shared test helpers: fixture paths, builders for header blobs and for
//! Berkeley DB / NDB files (written from the format descriptions, independent
//! of the crate's readers), and a small deterministic PRNG.

#![allow(dead_code)]

use std::path::PathBuf;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// `../shared/data/pkgdb/<rel>` seen from the workspace; `None` (with a
/// printed SKIP line) when the shared data directory is absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/pkgdb")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: ../shared absent ({})", p.display());
        None
    }
}

// ---------------------------------------------------------------------------
// Header blob builder
// ---------------------------------------------------------------------------

pub const RPM_STRING: u32 = 6;

#[derive(Clone, Debug)]
pub enum Val {
    Str(String),
    StrArray(Vec<String>),
    I18n(Vec<String>),
    I32(Vec<u32>),
    I64(Vec<u64>),
    I16(Vec<u16>),
    Bin(Vec<u8>),
}

pub fn s(v: &str) -> Val {
    Val::Str(v.to_string())
}

pub fn sa(v: &[&str]) -> Val {
    Val::StrArray(v.iter().map(|x| x.to_string()).collect())
}

impl Val {
    fn ty(&self) -> u32 {
        match self {
            Val::Str(_) => 6,
            Val::StrArray(_) => 8,
            Val::I18n(_) => 9,
            Val::I32(_) => 4,
            Val::I64(_) => 5,
            Val::I16(_) => 3,
            Val::Bin(_) => 7,
        }
    }
    fn align(&self) -> usize {
        match self {
            Val::I16(_) => 2,
            Val::I32(_) => 4,
            Val::I64(_) => 8,
            _ => 1,
        }
    }
    fn count(&self) -> u32 {
        (match self {
            Val::Str(_) => 1,
            Val::StrArray(v) | Val::I18n(v) => v.len(),
            Val::I32(v) => v.len(),
            Val::I64(v) => v.len(),
            Val::I16(v) => v.len(),
            Val::Bin(v) => v.len(),
        }) as u32
    }
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Val::Str(v) => {
                out.extend_from_slice(v.as_bytes());
                out.push(0);
            }
            Val::StrArray(v) | Val::I18n(v) => {
                for x in v {
                    out.extend_from_slice(x.as_bytes());
                    out.push(0);
                }
            }
            Val::I32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Val::I64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Val::I16(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            Val::Bin(v) => out.extend_from_slice(v),
        }
        out
    }
}

fn push_entry(index: &mut Vec<u8>, tag: i32, ty: u32, offset: i32, count: u32) {
    index.extend_from_slice(&tag.to_be_bytes());
    index.extend_from_slice(&ty.to_be_bytes());
    index.extend_from_slice(&offset.to_be_bytes());
    index.extend_from_slice(&count.to_be_bytes());
}

fn place(data: &mut Vec<u8>, v: &Val) -> i32 {
    while !data.len().is_multiple_of(v.align()) {
        data.push(0);
    }
    let off = data.len() as i32;
    data.extend_from_slice(&v.bytes());
    off
}

/// A header blob as rpm stores it in the database: an immutable region
/// (tag 63) holding `region`, followed by `dribble` entries.
pub fn build_header(region: &[(i32, Val)], dribble: &[(i32, Val)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (tag, v) in region {
        let off = place(&mut data, v);
        entries.push((*tag, v.ty(), off, v.count()));
    }
    let trailer_off = data.len() as i32;
    let ril = 1 + region.len() as i32;
    push_entry(&mut data, 63, 7, -(ril * 16), 16);
    for (tag, v) in dribble {
        let off = place(&mut data, v);
        entries.push((*tag, v.ty(), off, v.count()));
    }
    push_entry(&mut index, 63, 7, trailer_off, 16);
    for (tag, ty, off, count) in entries {
        push_entry(&mut index, tag, ty, off, count);
    }
    let il = (index.len() / 16) as u32;
    let mut blob = Vec::new();
    blob.extend_from_slice(&il.to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    blob.extend_from_slice(&index);
    blob.extend_from_slice(&data);
    blob
}

/// A legacy (rpm v3) header without a region.
pub fn build_legacy_header(tags: &[(i32, Val)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, v) in tags {
        let off = place(&mut data, v);
        push_entry(&mut index, *tag, v.ty(), off, v.count());
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&((index.len() / 16) as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    blob.extend_from_slice(&index);
    blob.extend_from_slice(&data);
    blob
}

/// A typical package header with files in two directories (≈ 1.7 KB, so it
/// spans several 512-byte overflow pages).
pub fn sample_header(name: &str) -> Vec<u8> {
    build_header(
        &[
            (1000, s(name)),
            (1001, s("1.0")),
            (1002, s("2.el9")),
            (1003, Val::I32(vec![7])),
            (1005, s(&"A long description. ".repeat(60))),
            (1009, Val::I32(vec![4242])),
            (1011, s("Acme")),
            (1014, s("MIT")),
            (1022, s("x86_64")),
            (1030, Val::I16(vec![0o100755, 0o100644, 0o100644])),
            (1044, s(&format!("{name}-1.0-2.el9.src.rpm"))),
            (1116, Val::I32(vec![0, 1, 1])),
            (1117, sa(&["tool", "a.conf", "b.conf"])),
            (1118, sa(&["/usr/bin/", "/etc/acme/"])),
        ],
        &[],
    )
}

// ---------------------------------------------------------------------------
// Berkeley DB hash builder (page size 512)
// ---------------------------------------------------------------------------

pub const BDB_PAGE: usize = 512;

pub struct BdbRecord {
    pub key: u32,
    pub value: Vec<u8>,
    /// Store the value inline (H_KEYDATA) instead of on overflow pages.
    pub inline: bool,
}

fn put_u32(buf: &mut [u8], at: usize, v: u32, be: bool) {
    let b = if be { v.to_be_bytes() } else { v.to_le_bytes() };
    buf[at..at + 4].copy_from_slice(&b);
}

fn put_u16(buf: &mut [u8], at: usize, v: u16, be: bool) {
    let b = if be { v.to_be_bytes() } else { v.to_le_bytes() };
    buf[at..at + 2].copy_from_slice(&b);
}

/// Builds a hash database with one hash page (page 1) holding all records,
/// followed by their overflow chains. Returns the file and, per record, the
/// overflow page numbers used.
pub fn build_bdb(records: &[BdbRecord], be: bool) -> (Vec<u8>, Vec<Vec<u32>>) {
    let chunk = BDB_PAGE - 26;
    let mut pages: Vec<Vec<u8>> = vec![vec![0; BDB_PAGE], vec![0; BDB_PAGE]];
    let mut chains = Vec::new();
    // Items of page 1, in order: key, value, key, value...
    let mut items: Vec<Vec<u8>> = Vec::new();
    for r in records {
        let mut key = vec![1u8];
        key.extend_from_slice(&if be {
            r.key.to_be_bytes()
        } else {
            r.key.to_le_bytes()
        });
        items.push(key);
        if r.inline {
            let mut v = vec![1u8];
            v.extend_from_slice(&r.value);
            items.push(v);
            chains.push(Vec::new());
        } else {
            let first = pages.len() as u32;
            let n = r.value.len().div_ceil(chunk).max(1);
            let mut chain = Vec::new();
            for i in 0..n {
                let pgno = first + i as u32;
                let mut p = vec![0u8; BDB_PAGE];
                let part = &r.value[i * chunk..((i + 1) * chunk).min(r.value.len())];
                put_u32(&mut p, 8, pgno, be);
                put_u32(&mut p, 12, if i == 0 { 0 } else { pgno - 1 }, be);
                put_u32(&mut p, 16, if i + 1 == n { 0 } else { pgno + 1 }, be);
                put_u16(&mut p, 20, 1, be);
                put_u16(&mut p, 22, part.len() as u16, be);
                p[25] = 7;
                p[26..26 + part.len()].copy_from_slice(part);
                pages.push(p);
                chain.push(pgno);
            }
            let mut v = vec![3u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            put_u32(&mut v, 4, first, be);
            put_u32(&mut v, 8, r.value.len() as u32, be);
            items.push(v);
            chains.push(chain);
        }
    }
    let hp = &mut pages[1];
    put_u32(hp, 8, 1, be);
    put_u16(hp, 20, items.len() as u16, be);
    hp[25] = 13;
    let mut top = BDB_PAGE;
    for (i, it) in items.iter().enumerate() {
        top -= it.len();
        assert!(
            top >= 26 + 2 * items.len(),
            "test records do not fit one hash page"
        );
        hp[top..top + it.len()].copy_from_slice(it);
        put_u16(hp, 26 + 2 * i, top as u16, be);
    }
    put_u16(hp, 22, top as u16, be);
    let last = pages.len() as u32 - 1;
    let meta = &mut pages[0];
    put_u32(meta, 12, 0x0006_1561, be);
    put_u32(meta, 16, 9, be);
    put_u32(meta, 20, BDB_PAGE as u32, be);
    meta[25] = 8;
    put_u32(meta, 32, last, be);
    (pages.concat(), chains)
}

pub fn bdb_page_offset(pgno: u32) -> usize {
    pgno as usize * BDB_PAGE
}

// ---------------------------------------------------------------------------
// NDB builder
// ---------------------------------------------------------------------------

/// Builds an NDB `Packages.db` with one slot page; blob `i` gets package index
/// `i + 1` and slot `2 + i`. Returns the file and each blob's block offset.
pub fn build_ndb(blobs: &[Vec<u8>]) -> (Vec<u8>, Vec<u32>) {
    let mut file = vec![0u8; 4096];
    file[0..4].copy_from_slice(b"RpmP");
    file[8..12].copy_from_slice(&1u32.to_le_bytes()); // generation
    file[12..16].copy_from_slice(&1u32.to_le_bytes()); // slot pages
    file[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
    for slot in 2..256 {
        file[slot * 16..slot * 16 + 4].copy_from_slice(b"Slot");
    }
    let mut offsets = Vec::new();
    for (i, blob) in blobs.iter().enumerate() {
        let pkg = i as u32 + 1;
        let blkoff = (file.len() / 16) as u32;
        let blkcnt = (16 + blob.len() + 12).div_ceil(16) as u32;
        let slot = (2 + i) * 16;
        file[slot + 4..slot + 8].copy_from_slice(&pkg.to_le_bytes());
        file[slot + 8..slot + 12].copy_from_slice(&blkoff.to_le_bytes());
        file[slot + 12..slot + 16].copy_from_slice(&blkcnt.to_le_bytes());
        let mut area = vec![0u8; blkcnt as usize * 16];
        area[0..4].copy_from_slice(b"BlbS");
        area[4..8].copy_from_slice(&pkg.to_le_bytes());
        area[8..12].copy_from_slice(&1_700_000_000u32.to_le_bytes());
        area[12..16].copy_from_slice(&(blob.len() as u32).to_le_bytes());
        area[16..16 + blob.len()].copy_from_slice(blob);
        let t = area.len() - 12;
        area[t + 4..t + 8].copy_from_slice(&(blob.len() as u32).to_le_bytes());
        area[t + 8..t + 12].copy_from_slice(b"BlbE");
        file.extend_from_slice(&area);
        offsets.push(blkoff);
    }
    (file, offsets)
}

// ---------------------------------------------------------------------------
// Extraction of the header blob from the libuuid BDB fixture, written
// independently of the crate (little-endian, 4096-byte pages, one package).
// ---------------------------------------------------------------------------

pub fn libuuid_header_blob() -> Vec<u8> {
    let b = read_fixture("go-rpmdb/libuuid/Packages");
    let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let le16 = |at: usize| u16::from_le_bytes(b[at..at + 2].try_into().unwrap()) as usize;
    let ps = le32(20);
    let last = le32(32);
    for pg in 1..=last {
        let p = pg * ps;
        if b[p + 25] != 13 {
            continue;
        }
        let n = le16(p + 20);
        for i in (1..n).step_by(2) {
            let o = p + le16(p + 26 + 2 * i);
            if b[o] != 3 {
                continue;
            }
            let (mut pgno, tlen) = (le32(o + 4), le32(o + 8));
            let mut out = Vec::new();
            while pgno != 0 {
                let q = pgno * ps;
                let l = le16(q + 22);
                out.extend_from_slice(&b[q + 26..q + 26 + l]);
                pgno = le32(q + 16);
            }
            assert_eq!(out.len(), tlen);
            return out;
        }
    }
    panic!("no off-page value in libuuid/Packages");
}

// ---------------------------------------------------------------------------
// Deterministic PRNG (xorshift64*)
// ---------------------------------------------------------------------------

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random mutation: flip bits, set interesting values, or truncate.
pub fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if v.is_empty() {
            break;
        }
        let at = rng.below(v.len());
        match rng.below(6) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v[at] = [0x00, 0xff, 0x7f, 0x80][rng.below(4)],
            2 => {
                let end = (at + 4).min(v.len());
                let val = [0u32, u32::MAX, 0x7fff_ffff, 0x8000_0000, 16, 1][rng.below(6)];
                let bytes = if rng.below(2) == 0 {
                    val.to_be_bytes()
                } else {
                    val.to_le_bytes()
                };
                v[at..end].copy_from_slice(&bytes[..end - at]);
            }
            3 => v.truncate(at),
            4 => {
                let src = rng.below(v.len());
                v[at] = v[src];
            }
            _ => v[at] = rng.next() as u8,
        }
    }
    v
}
