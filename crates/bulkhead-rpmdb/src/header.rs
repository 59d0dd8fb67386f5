//! rpm header blobs, as stored in the rpm database.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! il: u32            number of index entries
//! dl: u32            length of the data store
//! il × { tag: i32, type: u32, offset: i32, count: u32 }
//! dl bytes of data
//! ```
//!
//! A header written by rpm ≥ 4 starts with a *region* entry
//! (`RPMTAG_HEADERIMMUTABLE` = 63 for installed packages). Its offset points at
//! a 16-byte trailer inside the data store whose (negated) offset gives the
//! number of index entries that belong to the region; entries after them are
//! "dribble" entries that rpm added later and that replace region entries with
//! the same tag. The checks below follow rpm's `hdrblobInit` /
//! `hdrblobVerifyRegion` / `hdrblobVerifyInfo` / `hdrblobImport` (lib/header.c)
//! so that we accept exactly what rpm accepts, and every offset and count is
//! bounds-checked before use.

use crate::{Error, RpmPackage};

/// Index entry / region trailer size.
const ENTRY_SIZE: usize = 16;
/// rpm's `headerMaxbytes`.
const HEADER_MAX_BYTES: usize = 256 * 1024 * 1024;
/// rpm's `HEADER_TAGS_MAX`.
const HEADER_TAGS_MAX: u32 = 0xffff;
/// rpm's `HEADER_DATA_MAX`.
const HEADER_DATA_MAX: u32 = 0x0fff_ffff;

pub(crate) const TAG_HEADERIMAGE: i32 = 61;
pub(crate) const TAG_HEADERSIGNATURES: i32 = 62;
pub(crate) const TAG_HEADERIMMUTABLE: i32 = 63;
/// `RPMTAG_HEADERI18NTABLE`; tags below it are reserved for regions.
const TAG_HEADERI18NTABLE: i32 = 100;

pub(crate) const TAG_NAME: i32 = 1000;
pub(crate) const TAG_VERSION: i32 = 1001;
pub(crate) const TAG_RELEASE: i32 = 1002;
pub(crate) const TAG_EPOCH: i32 = 1003;
pub(crate) const TAG_SIZE: i32 = 1009;
pub(crate) const TAG_VENDOR: i32 = 1011;
pub(crate) const TAG_LICENSE: i32 = 1014;
pub(crate) const TAG_ARCH: i32 = 1022;
pub(crate) const TAG_OLDFILENAMES: i32 = 1027;
pub(crate) const TAG_SOURCERPM: i32 = 1044;
pub(crate) const TAG_PROVIDENAME: i32 = 1047;
pub(crate) const TAG_REQUIRENAME: i32 = 1049;
pub(crate) const TAG_DIRINDEXES: i32 = 1116;
pub(crate) const TAG_BASENAMES: i32 = 1117;
pub(crate) const TAG_DIRNAMES: i32 = 1118;
pub(crate) const TAG_LONGSIZE: i32 = 5009;
pub(crate) const TAG_MODULARITYLABEL: i32 = 5096;

const TYPE_NULL: u32 = 0;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;
const TYPE_MAX: u32 = 9;

/// Element size per type; `None` for variable-length (string) types.
fn type_size(ty: u32) -> Option<usize> {
    match ty {
        TYPE_NULL => Some(0),
        1 | 2 | TYPE_BIN => Some(1),
        3 => Some(2),
        TYPE_INT32 => Some(4),
        TYPE_INT64 => Some(8),
        _ => None,
    }
}

fn type_align(ty: u32) -> usize {
    match ty {
        3 => 2,
        TYPE_INT32 => 4,
        TYPE_INT64 => 8,
        _ => 1,
    }
}

fn type_name(ty: u32) -> &'static str {
    match ty {
        0 => "NULL",
        1 => "CHAR",
        2 => "INT8",
        3 => "INT16",
        4 => "INT32",
        5 => "INT64",
        6 => "STRING",
        7 => "BIN",
        8 => "STRING_ARRAY",
        9 => "I18NSTRING",
        _ => "unknown",
    }
}

/// Padding needed before data of type `ty` placed at offset `at` (rpm's `alignDiff`).
fn align_diff(ty: u32, at: usize) -> usize {
    match type_size(ty) {
        Some(size) if size > 1 => (size - at % size) % size,
        _ => 0,
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[derive(Clone, Copy, Debug)]
struct EntryInfo {
    tag: i32,
    ty: u32,
    offset: i32,
    count: u32,
}

impl EntryInfo {
    fn read(b: &[u8], at: usize) -> EntryInfo {
        EntryInfo {
            tag: be32(b, at) as i32,
            ty: be32(b, at + 4),
            offset: be32(b, at + 8) as i32,
            count: be32(b, at + 12),
        }
    }
}

/// One imported tag: its type, element count and exactly its data bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    pub tag: i32,
    pub ty: u32,
    pub count: u32,
    pub data: &'a [u8],
}

/// An imported header: region entries and dribble entries (which win).
#[derive(Debug)]
pub(crate) struct Header<'a> {
    region: Vec<Entry<'a>>,
    dribble: Vec<Entry<'a>>,
}

impl<'a> Header<'a> {
    /// Finds a tag the way rpm's `headerGet` sees it after `hdrblobImport`:
    /// a dribble entry replaces region entries with the same tag.
    pub fn get(&self, tag: i32) -> Option<&Entry<'a>> {
        self.dribble
            .iter()
            .find(|e| e.tag == tag)
            .or_else(|| self.region.iter().find(|e| e.tag == tag))
    }
}

/// Length of the strings starting at `start` (rpm's `strtaglen`): `count`
/// NUL-terminated strings, all inside `data`. `None` when they do not fit.
fn strtaglen(data: &[u8], start: usize, count: u32) -> Option<usize> {
    if start >= data.len() || count == 0 {
        return None;
    }
    let mut pos = start;
    for _ in 0..count {
        // Each string consumes at least one byte, so this loop is bounded by
        // the data length, whatever `count` says.
        let nul = data.get(pos..)?.iter().position(|&c| c == 0)?;
        pos += nul + 1;
    }
    Some(pos - start)
}

/// rpm's `dataLength` for on-disk data: `None` when it does not fit in `data`.
fn data_length(ty: u32, count: u32, start: usize, data: &[u8]) -> Option<usize> {
    match ty {
        TYPE_STRING => {
            if count != 1 {
                return None;
            }
            strtaglen(data, start, 1)
        }
        TYPE_STRING_ARRAY | TYPE_I18NSTRING => strtaglen(data, start, count),
        _ => {
            let size = type_size(ty)?;
            let len = size.checked_mul(count as usize)?;
            if start.checked_add(len)? > data.len() {
                return None;
            }
            Some(len)
        }
    }
}

/// Parses and verifies a header blob, returning its tags.
pub(crate) fn import(blob: &[u8]) -> Result<Header<'_>, Error> {
    if blob.len() < 8 {
        return Err(Error::Truncated {
            what: "header blob intro (il, dl)",
            offset: 0,
            needed: 8,
            available: blob.len(),
        });
    }
    let il = be32(blob, 0);
    let dl = be32(blob, 4);
    if il < 1 {
        return Err(Error::BadHeader("region: no tags (il = 0)".into()));
    }
    if il > HEADER_TAGS_MAX {
        return Err(Error::BadHeader(format!(
            "number of tags il = {il} out of range (max {HEADER_TAGS_MAX})"
        )));
    }
    if dl > HEADER_DATA_MAX {
        return Err(Error::BadHeader(format!(
            "data length dl = {dl} out of range (max {HEADER_DATA_MAX})"
        )));
    }
    let il_n = il as usize;
    let dl_n = dl as usize;
    // Cannot overflow: il ≤ 0xffff, dl ≤ 0x0fffffff.
    let data_start = 8 + il_n * ENTRY_SIZE;
    let pvlen = data_start + dl_n;
    if pvlen >= HEADER_MAX_BYTES {
        return Err(Error::BadHeader(format!(
            "blob size {pvlen} (8 + 16 * il({il}) + dl({dl})) exceeds {HEADER_MAX_BYTES}"
        )));
    }
    if blob.len() < pvlen {
        return Err(Error::Truncated {
            what: "header blob (8 + 16 * il + dl)",
            offset: 0,
            needed: pvlen,
            available: blob.len(),
        });
    }
    let pe = |i: usize| EntryInfo::read(blob, 8 + i * ENTRY_SIZE);
    let data = &blob[data_start..pvlen];

    // --- hdrblobVerifyRegion ---
    let first = pe(0);
    let mut region_tag = 0;
    let mut ril = 0usize;
    if matches!(
        first.tag,
        TAG_HEADERIMAGE | TAG_HEADERSIGNATURES | TAG_HEADERIMMUTABLE
    ) {
        let tag = first.tag;
        if !(first.ty == TYPE_BIN && first.count == ENTRY_SIZE as u32) {
            return Err(Error::BadHeader(format!(
                "region tag {tag}: type {} count {} (want BIN, 16)",
                first.ty, first.count
            )));
        }
        let off = first.offset;
        if off < 0 || (off as usize) + ENTRY_SIZE > dl_n {
            return Err(Error::BadHeader(format!(
                "region tag {tag}: trailer offset {off} outside data (dl {dl})"
            )));
        }
        let off = off as usize;
        let mut trailer = EntryInfo::read(data, off);
        if tag == TAG_HEADERSIGNATURES && trailer.tag == TAG_HEADERIMAGE {
            trailer.tag = TAG_HEADERSIGNATURES;
        }
        if !(trailer.tag == tag && trailer.ty == TYPE_BIN && trailer.count == ENTRY_SIZE as u32) {
            return Err(Error::BadHeader(format!(
                "region {tag} trailer at data offset {off}: tag {} type {} count {}",
                trailer.tag, trailer.ty, trailer.count
            )));
        }
        let neg = -(trailer.offset as i64);
        if neg < 0 || neg % ENTRY_SIZE as i64 != 0 || neg / ENTRY_SIZE as i64 > il as i64 {
            return Err(Error::BadHeader(format!(
                "region {tag} size: trailer offset {} gives no valid entry count (il {il})",
                trailer.offset
            )));
        }
        ril = (neg / ENTRY_SIZE as i64) as usize;
        region_tag = tag;
    }
    // Region data length, i.e. up to and including the trailer.
    let rdl = if region_tag != 0 {
        first.offset as usize + ENTRY_SIZE
    } else {
        0
    };

    // --- hdrblobVerifyInfo ---
    let verify_from = usize::from(region_tag != 0);
    let mut end = 0usize;
    for i in verify_from..il_n {
        let info = pe(i);
        let bad = |reason: &str| {
            Error::BadHeader(format!(
                "index entry {i}: tag {} type {} offset {} count {}: {reason}",
                info.tag, info.ty, info.offset, info.count
            ))
        };
        if info.offset < 0 || info.offset as usize > dl_n {
            return Err(bad("offset outside data store"));
        }
        let offset = info.offset as usize;
        if end > offset {
            return Err(bad("data overlaps the previous entry"));
        }
        if info.tag < TAG_HEADERI18NTABLE {
            return Err(bad("reserved tag number"));
        }
        if info.ty > TYPE_MAX {
            return Err(bad("invalid type"));
        }
        if !offset.is_multiple_of(type_align(info.ty)) {
            return Err(bad("misaligned data"));
        }
        let len = data_length(info.ty, info.count, offset, data)
            .filter(|&l| l > 0)
            .ok_or_else(|| bad("data does not fit in the data store"))?;
        end = offset + len;
        if region_tag != 0 && end > rdl - ENTRY_SIZE && offset < rdl {
            return Err(bad("data overlaps the region trailer"));
        }
    }

    // --- hdrblobImport ---
    if first.tag >= TAG_HEADERI18NTABLE {
        // Legacy (v3) header without a region: everything is one region.
        let (region, rdlen) = swab(blob, data, 0..il_n, 0)?;
        if rdlen != dl_n {
            return Err(Error::BadHeader(format!(
                "legacy header: computed data length {rdlen} != dl {dl}"
            )));
        }
        return Ok(Header {
            region,
            dribble: Vec::new(),
        });
    }
    if region_tag == 0 {
        // First tag is below 100 but not a region tag: rpm rejects it in
        // hdrblobVerifyInfo (reserved tag), so this is unreachable, but stay safe.
        return Err(Error::BadHeader(format!(
            "first tag {} is neither a region tag nor a regular tag",
            first.tag
        )));
    }
    let ril = if first.offset != 0 { ril } else { il_n };
    if ril < 1 {
        return Err(Error::BadHeader(format!(
            "region {region_tag}: trailer claims 0 entries"
        )));
    }
    let (region, rdlen) = swab(blob, data, 1..ril, 0)?;
    let (dribble, rdlen) = swab(blob, data, ril..il_n, rdlen)?;
    let rdlen = rdlen + ENTRY_SIZE;
    if rdlen != dl_n {
        return Err(Error::BadHeader(format!(
            "computed data length {rdlen} (region {region_tag}, {} entries + {} dribble) != dl {dl}",
            ril,
            il_n - ril
        )));
    }
    Ok(Header { region, dribble })
}

/// rpm's `regionSwab`: materialises the entries in `range` and adds their
/// (aligned) data lengths to `dl`.
fn swab<'a>(
    blob: &'a [u8],
    data: &'a [u8],
    range: std::ops::Range<usize>,
    mut dl: usize,
) -> Result<(Vec<Entry<'a>>, usize), Error> {
    // `range` is at most il ≤ 0xffff long and every entry was checked to be in the blob.
    let mut out = Vec::with_capacity(range.len());
    for i in range {
        let info = EntryInfo::read(blob, 8 + i * ENTRY_SIZE);
        let bad = |reason: &str| {
            Error::BadHeader(format!(
                "index entry {i}: tag {} type {} offset {} count {}: {reason}",
                info.tag, info.ty, info.offset, info.count
            ))
        };
        if info.ty > TYPE_MAX {
            return Err(bad("invalid type"));
        }
        if info.offset < 0 || info.offset as usize >= data.len() {
            return Err(bad("offset outside data store"));
        }
        let offset = info.offset as usize;
        if !offset.is_multiple_of(type_align(info.ty)) {
            return Err(bad("misaligned data"));
        }
        let len = data_length(info.ty, info.count, offset, data)
            .ok_or_else(|| bad("data does not fit in the data store"))?;
        out.push(Entry {
            tag: info.tag,
            ty: info.ty,
            count: info.count,
            data: &data[offset..offset + len],
        });
        dl += align_diff(info.ty, dl);
        dl += len;
    }
    Ok((out, dl))
}

// ---------------------------------------------------------------------------
// Typed accessors
// ---------------------------------------------------------------------------

fn type_error(e: &Entry<'_>, expected: &'static str) -> Error {
    Error::TagType {
        tag: e.tag,
        found: type_name(e.ty),
        expected,
    }
}

/// Splits `count` NUL-terminated strings (already verified to be present).
fn split_strings(data: &[u8], count: u32) -> Vec<String> {
    data.split(|&c| c == 0)
        .take(count as usize)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn get_string(h: &Header<'_>, tag: i32) -> Result<Option<String>, Error> {
    let Some(e) = h.get(tag) else {
        return Ok(None);
    };
    match e.ty {
        // An I18N string is an array of translations: the first is the default (C locale).
        TYPE_STRING | TYPE_I18NSTRING => Ok(split_strings(e.data, 1).into_iter().next()),
        _ => Err(type_error(e, "STRING")),
    }
}

fn get_u32_array(h: &Header<'_>, tag: i32) -> Result<Option<Vec<u32>>, Error> {
    let Some(e) = h.get(tag) else {
        return Ok(None);
    };
    match e.ty {
        TYPE_INT32 => Ok(Some(
            e.data
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )),
        _ => Err(type_error(e, "INT32")),
    }
}

fn get_u32(h: &Header<'_>, tag: i32) -> Result<Option<u32>, Error> {
    Ok(get_u32_array(h, tag)?.and_then(|v| v.first().copied()))
}

fn get_u64(h: &Header<'_>, tag: i32) -> Result<Option<u64>, Error> {
    let Some(e) = h.get(tag) else {
        return Ok(None);
    };
    match e.ty {
        TYPE_INT64 => Ok(e
            .data
            .get(..8)
            .map(|c| u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))),
        _ => Err(type_error(e, "INT64")),
    }
}

/// `"(none)"` → `""` for the tags where go-rpmdb does the same.
fn none_to_empty(s: String) -> String {
    if s == "(none)" { String::new() } else { s }
}

/// What is left of a database read's budget for file paths (see [`crate::ReadOptions`]).
#[derive(Debug)]
pub(crate) struct FileBudget {
    /// Bytes left, each path counted as its length plus [`PATH_OVERHEAD`].
    pub left: u64,
    pub max_path_len: usize,
    /// Paths left out (over the budget or too long).
    pub dropped: u64,
}

/// What a `String` in a `Vec` costs beyond its bytes (the `String` itself and allocator overhead).
pub(crate) const PATH_OVERHEAD: u64 = 48;

/// Builds an [`RpmPackage`] from an imported header.
pub(crate) fn to_package(
    h: &Header<'_>,
    blob_len: usize,
    budget: &mut FileBudget,
) -> Result<RpmPackage, Error> {
    let name = get_string(h, TAG_NAME)?.ok_or(Error::MissingTag { tag: TAG_NAME })?;
    let files = file_list(h, blob_len, budget)?;
    let size = match get_u64(h, TAG_LONGSIZE)? {
        Some(v) => v,
        None => get_u32(h, TAG_SIZE)?.map_or(0, u64::from),
    };
    Ok(RpmPackage {
        name,
        epoch: get_u32(h, TAG_EPOCH)?,
        version: get_string(h, TAG_VERSION)?.unwrap_or_default(),
        release: get_string(h, TAG_RELEASE)?.unwrap_or_default(),
        arch: get_string(h, TAG_ARCH)?.unwrap_or_default(),
        source_rpm: none_to_empty(get_string(h, TAG_SOURCERPM)?.unwrap_or_default()),
        license: none_to_empty(get_string(h, TAG_LICENSE)?.unwrap_or_default()),
        vendor: none_to_empty(get_string(h, TAG_VENDOR)?.unwrap_or_default()),
        size,
        modularity_label: get_string(h, TAG_MODULARITYLABEL)?.unwrap_or_default(),
        files,
        requires: relation_names(h, TAG_REQUIRENAME, budget)?,
        provides: relation_names(h, TAG_PROVIDENAME, budget)?,
    })
}

/// The names of a dependency tag (`REQUIRENAME`, `PROVIDENAME`), each once, in header order,
/// charged to the same budget as file paths. rpm's own features (`rpmlib(…)`) and `config(…)`
/// are left out: no installed package answers them.
fn relation_names(h: &Header<'_>, tag: i32, budget: &mut FileBudget) -> Result<Vec<String>, Error> {
    let Some(e) = string_array(h, tag)? else {
        return Ok(Vec::new());
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for n in strings(e) {
        if n.is_empty() || n.starts_with(b"rpmlib(") || n.starts_with(b"config(") || !seen.insert(n)
        {
            continue;
        }
        keep(budget, &[n], &mut out);
    }
    Ok(out)
}

/// The `count` NUL-terminated strings of a string-array entry, as byte slices, without allocating
/// (the entry was verified to hold them).
fn strings<'a>(e: &Entry<'a>) -> impl Iterator<Item = &'a [u8]> + 'a {
    e.data.split(|&c| c == 0).take(e.count as usize)
}

fn string_array<'h, 'a>(h: &'h Header<'a>, tag: i32) -> Result<Option<&'h Entry<'a>>, Error> {
    match h.get(tag) {
        None => Ok(None),
        Some(e) if e.ty == TYPE_STRING_ARRAY => Ok(Some(e)),
        Some(e) => Err(type_error(e, "STRING_ARRAY")),
    }
}

/// Add the path made of `parts` to `files` if the budget allows, else count it as dropped.
fn keep(budget: &mut FileBudget, parts: &[&[u8]], files: &mut Vec<String>) {
    let raw: usize = parts.iter().map(|p| p.len()).sum();
    if raw > budget.max_path_len || raw as u64 + PATH_OVERHEAD > budget.left {
        budget.dropped += 1;
        return;
    }
    let mut s = String::with_capacity(raw);
    for p in parts {
        s.push_str(&String::from_utf8_lossy(p));
    }
    // Invalid UTF-8 grows by the replacement characters: judge the path as kept.
    let cost = s.len() as u64 + PATH_OVERHEAD;
    if s.len() > budget.max_path_len || cost > budget.left {
        budget.dropped += 1;
        return;
    }
    budget.left -= cost;
    files.push(s);
}

/// Absolute file paths: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]` (what rpm's
/// `FILENAMES` extension returns), or the legacy `OLDFILENAMES`. Paths are built one at a time
/// from the blob and charged to `budget`; once it runs out the rest are counted, not kept.
fn file_list(
    h: &Header<'_>,
    blob_len: usize,
    budget: &mut FileBudget,
) -> Result<Vec<String>, Error> {
    let Some(basenames) = string_array(h, TAG_BASENAMES)? else {
        let mut files = Vec::new();
        if let Some(old) = string_array(h, TAG_OLDFILENAMES)? {
            for p in strings(old) {
                keep(budget, &[p], &mut files);
            }
        }
        return Ok(files);
    };
    let dirnames = string_array(h, TAG_DIRNAMES)?
        .ok_or_else(|| Error::BadFileList("BASENAMES without DIRNAMES".into()))?;
    let dirindexes = match h.get(TAG_DIRINDEXES) {
        None => return Err(Error::BadFileList("BASENAMES without DIRINDEXES".into())),
        Some(e) if e.ty == TYPE_INT32 => e,
        Some(e) => return Err(type_error(e, "INT32")),
    };
    let n = basenames.count as usize;
    if dirindexes.count as usize != n {
        return Err(Error::BadFileList(format!(
            "{n} BASENAMES but {} DIRINDEXES",
            dirindexes.count
        )));
    }
    // rpm derives DIRNAMES from the files' paths: never more directories than files. (This also
    // bounds the index of directory slices built below by the file count.)
    if dirnames.count as usize > n {
        return Err(Error::BadFileList(format!(
            "{} DIRNAMES for {n} files",
            dirnames.count
        )));
    }
    // Nothing fits: count the files without building anything.
    if (n as u64).saturating_mul(PATH_OVERHEAD) > budget.left {
        budget.dropped += n as u64;
        return Ok(Vec::new());
    }
    let dirs: Vec<&[u8]> = strings(dirnames).collect();
    // A short header could name one huge directory for many files; cap the
    // expansion relative to the input so it cannot amplify memory use.
    let limit = blob_len.saturating_mul(4).saturating_add(1 << 20);
    let mut used = 0usize;
    let mut files = Vec::new();
    let indexes = dirindexes
        .data
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    for (i, (base, di)) in strings(basenames).zip(indexes).enumerate() {
        let dir = dirs.get(di as usize).ok_or_else(|| {
            Error::BadFileList(format!(
                "file {i}: DIRINDEXES value {di} out of range ({} DIRNAMES)",
                dirs.len()
            ))
        })?;
        used = used.saturating_add(dir.len() + base.len());
        if used > limit {
            return Err(Error::BadFileList(format!(
                "file paths expand to more than {limit} bytes (header blob is {blob_len} bytes)"
            )));
        }
        keep(budget, &[dir, base], &mut files);
    }
    Ok(files)
}
