//! The process's memory ceiling and what happens when an allocation fails.
//!
//! Every reader is bounded by its own limits (docs/security.md), so a scan should never come near
//! the ceiling. The ceiling is the last line: `RLIMIT_AS` is set at start (default: the smaller of
//! 8 GiB and the machine's memory; `BULKHEAD_MEMORY_LIMIT=4GiB`, `=0` to leave the limit alone), so a
//! bug ends in an error of this process instead of the OOM killer taking a CI runner or a node; and
//! a failed allocation prints what happened and exits 2, instead of Rust's default abort.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, with a clear error instead of an abort when memory runs out.
pub struct Guarded;

// SAFETY: every method forwards to `System` with the same arguments; a null result never returns.
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// Say that memory ran out, without allocating, and exit 2.
fn out_of_memory(size: usize) -> ! {
    let mut buf = [0u8; 320];
    let mut n = 0;
    let mut put = |b: &[u8]| {
        let k = b.len().min(buf.len() - n);
        buf[n..n + k].copy_from_slice(&b[..k]);
        n += k;
    };
    put(b"bulkhead: error: out of memory: an allocation of ");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = size;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put(&digits[i..]);
    put(b" bytes failed under the process memory limit (BULKHEAD_MEMORY_LIMIT); an input limit should have stopped this first: please report it\n");
    // SAFETY: write(2) and _exit(2) are async-signal-safe and allocate nothing.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), n);
        libc::_exit(2);
    }
}

/// Parse `4GiB`, `512MiB`, `1G`, `1073741824` (bytes); `0` or `off` mean no limit.
fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("off") {
        return Some(0);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The machine's memory in bytes (`/proc/meminfo`), when it can be read.
fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The lowest ceiling accepted.
const MIN_CEILING: u64 = 256 << 20;

/// Default ceiling: 8 GiB, or the machine's memory when it has less.
const DEFAULT_CEILING: u64 = 8 << 30;

/// Set `RLIMIT_AS` from `BULKHEAD_MEMORY_LIMIT` (or the default); never raises an existing lower
/// limit. Returns an error text for a value that does not parse.
pub fn set_ceiling() -> Result<(), String> {
    let wanted = match std::env::var("BULKHEAD_MEMORY_LIMIT") {
        Ok(v) => parse_size(&v).ok_or_else(|| {
            format!("BULKHEAD_MEMORY_LIMIT={v:?}: expected a size such as 4GiB or 512MiB, or 0/off")
        })?,
        Err(_) => total_memory().map_or(DEFAULT_CEILING, |m| m.min(DEFAULT_CEILING)),
    };
    if wanted == 0 {
        return Ok(());
    }
    // Below this, threads and the binary's own mappings no longer fit: a ceiling that low would
    // fail in ways no message can explain.
    if wanted < MIN_CEILING {
        return Err(format!(
            "BULKHEAD_MEMORY_LIMIT: {wanted} bytes is below the minimum of 256MiB"
        ));
    }
    let mut cur = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut cur) } != 0 {
        return Ok(());
    }
    let new = wanted.min(cur.rlim_cur).min(cur.rlim_max);
    let lim = libc::rlimit {
        rlim_cur: new,
        rlim_max: cur.rlim_max,
    };
    // SAFETY: setrlimit reads the struct we pass; lowering the soft limit is always allowed.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4GiB"), Some(4 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("off"), Some(0));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("4XB"), None);
    }
}
