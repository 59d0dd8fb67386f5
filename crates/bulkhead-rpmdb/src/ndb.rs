//! rpm's NDB format (`Packages.db`, rpm `lib/backend/ndb/rpmpkg.c`).
//!
//! All integers are little-endian. The file starts with a 32-byte header
//! (`"RpmP"`, version 0, generation, number of 4 KiB slot pages, next package
//! index, ...), which takes the place of the first two slots of the first slot
//! page. Each 16-byte slot is `"Slot"`, package index, block offset, block
//! count; a slot with block offset 0 is free. Blocks are 16 bytes. A blob at
//! `blkoff * 16` is a 16-byte head (`"BlbS"`, package index, timestamp, blob
//! length), the header blob, zero padding, and a 12-byte tail (adler32, blob
//! length, `"BlbE"`) ending the `blkcnt` blocks.

use crate::{Error, Location, NDB_MAGIC, Sink};

const HEADER_SIZE: usize = 32;
const SLOT_SIZE: usize = 16;
const BLK_SIZE: u64 = 16;
const PAGE_SIZE: usize = 4096;
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOBHEAD_MAGIC: &[u8; 4] = b"BlbS";
const BLOBTAIL_MAGIC: &[u8; 4] = b"BlbE";
const BLOBHEAD_SIZE: u64 = 16;
const BLOBTAIL_SIZE: u64 = 12;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn ndb_err(offset: u64, reason: impl Into<String>) -> Error {
    Error::Ndb {
        offset,
        reason: reason.into(),
    }
}

/// Calls `sink` once per used slot.
pub(crate) fn visit(bytes: &[u8], sink: &mut Sink<'_>) -> Result<(), Error> {
    if bytes.len() < HEADER_SIZE {
        return Err(Error::Truncated {
            what: "NDB header",
            offset: 0,
            needed: HEADER_SIZE,
            available: bytes.len(),
        });
    }
    if &bytes[0..4] != NDB_MAGIC {
        return Err(ndb_err(0, "no \"RpmP\" magic"));
    }
    let version = le32(bytes, 4);
    if version != 0 {
        return Err(ndb_err(4, format!("unsupported NDB version {version}")));
    }
    let slot_pages = le32(bytes, 12) as usize;
    if slot_pages == 0 {
        return Err(ndb_err(12, "zero slot pages"));
    }
    let slots_end = slot_pages
        .checked_mul(PAGE_SIZE)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            ndb_err(
                12,
                format!(
                    "{slot_pages} slot pages of {PAGE_SIZE} bytes do not fit in a {}-byte file",
                    bytes.len()
                ),
            )
        })?;
    let file_blocks = bytes.len() as u64 / BLK_SIZE;
    // Blobs start after the slot pages.
    let min_blkoff = (slots_end as u64) / BLK_SIZE;
    // One bit per 16-byte block: set once a blob claims it, so overlapping
    // blobs are detected and the total work stays linear in the file size.
    let mut claimed = vec![0u64; (file_blocks as usize).div_ceil(64)];

    for (slot_no, off) in (HEADER_SIZE..slots_end).step_by(SLOT_SIZE).enumerate() {
        let slot_no = (slot_no + HEADER_SIZE / SLOT_SIZE) as u32;
        let s = &bytes[off..off + SLOT_SIZE];
        if &s[0..4] != SLOT_MAGIC {
            return Err(ndb_err(
                off as u64,
                format!("slot {slot_no}: bad slot magic"),
            ));
        }
        let pkg_index = le32(s, 4);
        let blkoff = le32(s, 8) as u64;
        let blkcnt = le32(s, 12) as u64;
        if blkoff == 0 {
            continue; // free slot
        }
        let location = Location::NdbSlot {
            slot: slot_no,
            pkg_index,
        };
        match read_blob(
            bytes,
            pkg_index,
            blkoff,
            blkcnt,
            min_blkoff,
            file_blocks,
            &mut claimed,
        ) {
            Ok(blob) => sink(location, Ok(blob)),
            Err(e) => sink(location, Err(e)),
        }
    }
    Ok(())
}

fn read_blob<'a>(
    bytes: &'a [u8],
    pkg_index: u32,
    blkoff: u64,
    blkcnt: u64,
    min_blkoff: u64,
    file_blocks: u64,
    claimed: &mut [u64],
) -> Result<&'a [u8], Error> {
    let start = blkoff * BLK_SIZE;
    if pkg_index == 0 {
        return Err(ndb_err(start, "used slot with package index 0"));
    }
    if blkoff < min_blkoff {
        return Err(ndb_err(
            start,
            format!("blob at block {blkoff} lies inside the slot pages"),
        ));
    }
    if blkcnt < (BLOBHEAD_SIZE + BLOBTAIL_SIZE).div_ceil(BLK_SIZE) || blkoff + blkcnt > file_blocks
    {
        return Err(ndb_err(
            start,
            format!(
                "blob of {blkcnt} blocks at block {blkoff} does not fit in {file_blocks} blocks"
            ),
        ));
    }
    for b in blkoff..blkoff + blkcnt {
        let (word, bit) = ((b / 64) as usize, b % 64);
        if claimed[word] & (1 << bit) != 0 {
            return Err(ndb_err(
                b * BLK_SIZE,
                format!("blob at block {blkoff} overlaps another blob at block {b}"),
            ));
        }
        claimed[word] |= 1 << bit;
    }
    let start_u = start as usize;
    let end_u = ((blkoff + blkcnt) * BLK_SIZE) as usize;
    let area = &bytes[start_u..end_u];
    if &area[0..4] != BLOBHEAD_MAGIC {
        return Err(ndb_err(start, "bad blob head magic (want \"BlbS\")"));
    }
    let head_idx = le32(area, 4);
    if head_idx != pkg_index {
        return Err(ndb_err(
            start + 4,
            format!("blob belongs to package index {head_idx}, slot says {pkg_index}"),
        ));
    }
    let blob_len = le32(area, 12) as u64;
    if blkcnt != (BLOBHEAD_SIZE + blob_len + BLOBTAIL_SIZE).div_ceil(BLK_SIZE) {
        return Err(ndb_err(
            start + 12,
            format!("blob length {blob_len} does not match {blkcnt} blocks"),
        ));
    }
    let tail = &area[area.len() - BLOBTAIL_SIZE as usize..];
    let tail_len = le32(tail, 4) as u64;
    if tail_len != blob_len || &tail[8..12] != BLOBTAIL_MAGIC {
        return Err(ndb_err(
            end_u as u64 - BLOBTAIL_SIZE,
            format!(
                "bad blob tail (length {tail_len}, head says {blob_len}, or no \"BlbE\" magic)"
            ),
        ));
    }
    let h = BLOBHEAD_SIZE as usize;
    Ok(&area[h..h + blob_len as usize])
}
