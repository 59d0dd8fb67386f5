//! Bounded handling of tar extension records. The `tar` crate, in its default mode, reads GNU long-name
//! / long-link and PAX records whole into memory whatever size they declare; a hostile layer can make
//! that gigabytes from a few KiB of zstd. We read archives in raw mode and apply these records here,
//! each bounded.

use std::io::Read;

/// Largest extension record accepted (a path is at most 4 KiB on Linux; PAX headers carry a few keys).
pub const MAX_EXTENSION: u64 = 1 << 20;

/// Extended values that apply to the next real entry.
#[derive(Debug, Default)]
pub struct Pending {
    pub name: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub size: Option<u64>,
}

impl Pending {
    /// The entry's name: the extension's when one preceded it, else the header's.
    pub fn path_of<R: Read>(&self, entry: &tar::Entry<'_, R>) -> String {
        match &self.name {
            Some(n) => String::from_utf8_lossy(n).into_owned(),
            None => String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
        }
    }

    /// The entry's link target: the extension's when one preceded it, else the header's.
    pub fn link_of<R: Read>(&self, entry: &tar::Entry<'_, R>) -> String {
        match &self.link {
            Some(l) => String::from_utf8_lossy(l).into_owned(),
            None => entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
        }
    }
}

fn read_bounded<R: Read>(entry: &mut tar::Entry<'_, R>, what: &str) -> Result<Vec<u8>, String> {
    let size = entry.size();
    if size > MAX_EXTENSION {
        return Err(format!(
            "{what} record of {size} bytes exceeds the {MAX_EXTENSION} byte limit"
        ));
    }
    let mut buf = Vec::with_capacity(size as usize);
    entry
        .take(size)
        .read_to_end(&mut buf)
        .map_err(|e| format!("reading {what} record: {e}"))?;
    while buf.last() == Some(&0) {
        buf.pop();
    }
    Ok(buf)
}

/// If `entry` is an extension record, fold it into `pending` and return `Ok(true)`.
pub fn absorb<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    pending: &mut Pending,
) -> Result<bool, String> {
    match entry.header().entry_type() {
        tar::EntryType::GNULongName => {
            pending.name = Some(read_bounded(entry, "GNU long name")?);
            Ok(true)
        }
        tar::EntryType::GNULongLink => {
            pending.link = Some(read_bounded(entry, "GNU long link")?);
            Ok(true)
        }
        tar::EntryType::XHeader => {
            let data = read_bounded(entry, "PAX header")?;
            for ext in tar::PaxExtensions::new(&data) {
                let ext = ext.map_err(|e| format!("malformed PAX header: {e}"))?;
                match ext.key_bytes() {
                    b"path" => pending.name = Some(ext.value_bytes().to_vec()),
                    b"linkpath" => pending.link = Some(ext.value_bytes().to_vec()),
                    b"size" => {
                        let v = std::str::from_utf8(ext.value_bytes())
                            .ok()
                            .and_then(|s| s.trim().parse().ok())
                            .ok_or_else(|| "malformed PAX size".to_string())?;
                        pending.size = Some(v);
                    }
                    _ => {}
                }
            }
            Ok(true)
        }
        tar::EntryType::XGlobalHeader => {
            read_bounded(entry, "PAX global header")?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Check a PAX size override against the header size. In raw mode the data is framed by the header
/// size, so a differing override (only needed for members over 8 GiB) cannot be honoured safely.
pub fn check_size(pending: &Pending, header_size: u64) -> Result<(), String> {
    match pending.size {
        Some(s) if s != header_size => Err(format!(
            "PAX size {s} differs from the header size {header_size}; members over 8 GiB are not supported"
        )),
        _ => Ok(()),
    }
}
