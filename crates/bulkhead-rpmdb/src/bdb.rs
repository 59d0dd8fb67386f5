//! Berkeley DB hash databases (rpm's `Packages` before rpm 4.16).
//!
//! Page 0 is the hash metadata page; data lives on hash pages (type 13, or 2
//! for the unsorted pages of RHEL/CentOS 5) as key/value item pairs. rpm's
//! values are header blobs, almost always stored off-page on a chain of
//! overflow pages (type 7). Integers are in the byte order of the machine
//! that wrote the file, which the metadata magic tells.
//!
//! Layouts (Berkeley DB `dbinc/db_page.h`):
//!
//! ```text
//! metadata: 8 lsn | 4 pgno | 4 magic | 4 version | 4 pagesize | 1 encrypt_alg
//!           | 1 type | 1 metaflags | 1 unused | 4 free | 4 last_pgno | ...
//! page:     8 lsn | 4 pgno | 4 prev_pgno | 4 next_pgno | 2 entries
//!           | 2 hf_offset | 1 level | 1 type | entries × 2 item offsets
//! H_OFFPAGE item: 1 type(3) | 3 unused | 4 pgno | 4 tlen
//! H_KEYDATA item: 1 type(1) | data up to the previous item
//! overflow page: data is bytes [26, 26 + hf_offset)
//! ```

use crate::{BDB_HASH_MAGIC, Error, Location, Sink};

const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
const HOFFPAGE_SIZE: usize = 12;

#[derive(Clone, Copy)]
struct Meta {
    page_size: usize,
    last_pgno: u32,
    big_endian: bool,
}

impl Meta {
    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    }
    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        }
    }
}

fn meta_err(reason: impl Into<String>) -> Error {
    Error::Bdb {
        page: 0,
        reason: reason.into(),
    }
}

fn parse_meta(bytes: &[u8]) -> Result<Meta, Error> {
    if bytes.len() < 72 {
        return Err(Error::Truncated {
            what: "Berkeley DB metadata page",
            offset: 0,
            needed: 72,
            available: bytes.len(),
        });
    }
    let m = [bytes[12], bytes[13], bytes[14], bytes[15]];
    let big_endian = if u32::from_le_bytes(m) == BDB_HASH_MAGIC {
        false
    } else if u32::from_be_bytes(m) == BDB_HASH_MAGIC {
        true
    } else {
        return Err(meta_err("no hash magic 0x00061561 at offset 12"));
    };
    let probe = Meta {
        page_size: 0,
        last_pgno: 0,
        big_endian,
    };
    let page_size = probe.u32_at(bytes, 20);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(meta_err(format!("invalid page size {page_size}")));
    }
    if bytes[24] != 0 {
        return Err(meta_err(format!(
            "encrypted database (algorithm {}) is not supported",
            bytes[24]
        )));
    }
    if bytes[25] != P_HASHMETA {
        return Err(meta_err(format!(
            "page type {} is not a hash metadata page ({P_HASHMETA})",
            bytes[25]
        )));
    }
    let last_pgno = probe.u32_at(bytes, 32);
    let page_size = page_size as usize;
    let pages_in_file = bytes.len() / page_size;
    if last_pgno as usize >= pages_in_file {
        return Err(meta_err(format!(
            "last page number {last_pgno} but the file holds only {pages_in_file} pages of {page_size} bytes (truncated?)"
        )));
    }
    Ok(Meta {
        page_size,
        last_pgno,
        big_endian,
    })
}

/// Calls `sink` once per package value in the database.
pub(crate) fn visit(bytes: &[u8], sink: &mut Sink<'_>) -> Result<(), Error> {
    let meta = parse_meta(bytes)?;
    // Every overflow page may belong to one chain only; remembering which
    // pages were consumed stops cycles and shared chains (which would make
    // the work quadratic) alike.
    let mut used = vec![false; meta.last_pgno as usize + 1];
    used[0] = true;
    for pgno in 1..=meta.last_pgno {
        let start = pgno as usize * meta.page_size;
        let page = &bytes[start..start + meta.page_size];
        let ptype = page[25];
        if ptype != P_HASH && ptype != P_HASH_UNSORTED {
            continue;
        }
        let entries = meta.u16_at(page, 20) as usize;
        let page_err = |reason: String| Error::Bdb { page: pgno, reason };
        if !entries.is_multiple_of(2) {
            let e = page_err(format!("odd number of hash items ({entries})"));
            sink(Location::BdbPage { page: pgno }, Err(e));
            continue;
        }
        let inp_end = PAGE_HEADER + 2 * entries;
        if inp_end > meta.page_size {
            let e = page_err(format!(
                "{entries} items do not fit in a {}-byte page",
                meta.page_size
            ));
            sink(Location::BdbPage { page: pgno }, Err(e));
            continue;
        }
        let inp = |i: usize| meta.u16_at(page, PAGE_HEADER + 2 * i) as usize;
        // Byte range of item `i`: items are packed from the end of the page
        // downwards, each ending where the previous one starts.
        let item = |i: usize| -> Result<(usize, usize), String> {
            let off = inp(i);
            let end = if i == 0 { meta.page_size } else { inp(i - 1) };
            if off < inp_end || off >= end || end > meta.page_size {
                return Err(format!(
                    "item {i} offset {off} invalid (item array ends at {inp_end}, item ends at {end})"
                ));
            }
            Ok((off, end))
        };
        for pair in 0..entries / 2 {
            let (ki, vi) = (2 * pair, 2 * pair + 1);
            let location = Location::BdbItem {
                page: pgno,
                item: vi as u16,
            };
            let bad = |reason: String| Error::Bdb { page: pgno, reason };
            let (voff, vend) = match item(vi) {
                Ok(r) => r,
                Err(reason) => {
                    sink(location, Err(bad(reason)));
                    continue;
                }
            };
            match page[voff] {
                H_OFFPAGE => {
                    if voff + HOFFPAGE_SIZE > meta.page_size {
                        sink(location, Err(bad(format!("off-page item {vi} truncated"))));
                        continue;
                    }
                    let first = meta.u32_at(page, voff + 4);
                    let tlen = meta.u32_at(page, voff + 8) as usize;
                    match overflow_chain(bytes, &meta, first, tlen, &mut used) {
                        Ok(value) => sink(location, Ok(&value)),
                        Err(e) => sink(location, Err(e)),
                    }
                }
                H_KEYDATA => {
                    // rpm keeps a bookkeeping record under header number 0
                    // (the highest instance number); it is not a package.
                    if let Ok((koff, kend)) = item(ki)
                        && page[koff] == H_KEYDATA
                        && kend - koff == 5
                        && page[koff + 1..kend].iter().all(|&b| b == 0)
                    {
                        continue;
                    }
                    sink(location, Ok(&page[voff + 1..vend]));
                }
                t @ (H_DUPLICATE | H_OFFDUP) => {
                    sink(
                        location,
                        Err(bad(format!(
                            "duplicate-key item type {t} is not used by rpm and not supported"
                        ))),
                    );
                }
                t => sink(location, Err(bad(format!("unknown item type {t}")))),
            }
        }
    }
    Ok(())
}

/// Concatenates the data of the overflow chain starting at `first`, which
/// must hold exactly `tlen` bytes.
fn overflow_chain(
    bytes: &[u8],
    meta: &Meta,
    first: u32,
    tlen: usize,
    used: &mut [bool],
) -> Result<Vec<u8>, Error> {
    let chain_err = |page: u32, reason: String| Error::Bdb { page, reason };
    if tlen > bytes.len() {
        return Err(chain_err(
            first,
            format!(
                "off-page item claims {tlen} bytes, more than the whole file ({})",
                bytes.len()
            ),
        ));
    }
    // Grow as pages are actually read rather than trusting `tlen` up front.
    let mut out = Vec::with_capacity(tlen.min(16 * meta.page_size));
    let mut pgno = first;
    let mut prev = 0u32;
    while pgno != 0 {
        if pgno > meta.last_pgno {
            return Err(chain_err(
                prev,
                format!(
                    "overflow chain points to page {pgno} beyond the last page {}",
                    meta.last_pgno
                ),
            ));
        }
        if std::mem::replace(&mut used[pgno as usize], true) {
            return Err(chain_err(
                pgno,
                "overflow page reached a second time (cycle or shared chain)".into(),
            ));
        }
        let start = pgno as usize * meta.page_size;
        let page = &bytes[start..start + meta.page_size];
        if page[25] != P_OVERFLOW {
            return Err(chain_err(
                pgno,
                format!(
                    "page type {} in an overflow chain (want {P_OVERFLOW})",
                    page[25]
                ),
            ));
        }
        let len = meta.u16_at(page, 22) as usize;
        if PAGE_HEADER + len > meta.page_size {
            return Err(chain_err(
                pgno,
                format!("overflow data length {len} exceeds the page"),
            ));
        }
        if out.len() + len > tlen {
            return Err(chain_err(
                pgno,
                format!("overflow chain holds more than the {tlen} bytes of its item"),
            ));
        }
        out.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + len]);
        prev = pgno;
        pgno = meta.u32_at(page, 16);
    }
    if out.len() != tlen {
        return Err(chain_err(
            prev,
            format!("overflow chain ends after {} of {tlen} bytes", out.len()),
        ));
    }
    Ok(out)
}
