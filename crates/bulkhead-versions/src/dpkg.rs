//! dpkg version order: `[epoch:]upstream[-revision]`, exactly as dpkg 1.21's `parseversion` and
//! `dpkg_version_compare`/`verrevcmp` (lib/dpkg/parsehelp.c, lib/dpkg/version.c).
//!
//! Hand-written rather than taken from a crate: the `debversion` crate (Jelmer Vernooĳ, maintained)
//! orders policy-conforming versions the way dpkg does, but its parser is a policy regex, not
//! `parseversion`. It accepts strings dpkg rejects (`a:1`, `1.0-`, epochs above `i32::MAX`) and rejects
//! strings dpkg orders (surrounding blanks, `_`, `:` in the revision, non-ASCII), and it brings in
//! `lazy-regex`, `num-bigint` and `chrono`. The comparison itself is ~40 lines, so dpkg's own
//! algorithm is transcribed here and checked against `dpkg --compare-versions` and libdpkg-perl in
//! `tests/os_versions.rs`.
//!
//! Semantics:
//! - Leading and trailing blanks (space, tab) are ignored; an embedded blank is an error.
//! - The epoch is everything before the *first* `:`, read like C `strtol` (optional sign); it must be
//!   a number in `0..=i32::MAX`. The revision is everything after the *last* `-` and must not be
//!   empty; a missing revision compares like an empty one, so `1.0` = `1.0-0` (digit runs are
//!   numeric) but `1.0` > `1.0-0~`.
//! - The upstream part must not be empty. dpkg only *warns* when it does not start with a digit or
//!   holds characters outside `[A-Za-z0-9.+~:-]` (revision: `[A-Za-z0-9.+~]`) and still compares,
//!   so such versions are accepted and ordered as dpkg orders them.
//! - Comparison alternates non-digit and digit runs. In a non-digit run `~` sorts before everything,
//!   even the end of the string; then the end of the string; then ASCII letters; then every other
//!   byte. Digit runs compare as numbers of any length (leading zeros ignored, no overflow).
//! - Bytes >= 0x80 (non-ASCII) order as dpkg built with a signed `char` (amd64, i386) orders them:
//!   after letters, before ASCII punctuation. On unsigned-`char` targets dpkg puts them after the
//!   punctuation; the difference can only show for versions dpkg warns about.
//!
//! Errors (dpkg exits 2 for these): empty string, embedded blank, NUL byte, bad epoch, nothing
//! after the epoch colon, empty upstream part, empty revision after a trailing `-`.
//! `dpkg --compare-versions` treats an empty version (and `<unknown>`) as a special "no version";
//! this module reports an empty string as an error instead.

use crate::Error;
use std::cmp::Ordering;

const ECO: &str = "dpkg";

/// A parsed dpkg version. Equality and order follow dpkg (so `1.0` == `0:1.0` == `1.0-0`), not the
/// spelling; use the fields to tell spellings apart.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    /// Epoch; 0 when absent.
    pub epoch: u32,
    /// Upstream part (between the epoch colon and the last `-`); never empty.
    pub upstream: String,
    /// Debian revision (after the last `-`); empty when the version has none.
    pub revision: String,
}

impl DpkgVersion {
    /// Whether the version has no Debian revision (a native package version).
    pub fn is_native(&self) -> bool {
        self.revision.is_empty()
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl std::str::FromStr for DpkgVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        parse(s)
    }
}

/// Order two dpkg versions (`dpkg --compare-versions` semantics).
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// Compare two upstream or revision strings with dpkg's `verrevcmp` (no parsing, never fails).
pub fn verrevcmp_str(a: &str, b: &str) -> Ordering {
    verrevcmp(a.as_bytes(), b.as_bytes())
}

/// C `isblank` in the "C" locale.
fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// C `isspace` in the "C" locale (what `strtol` skips).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Parse a dpkg version as `parseversion` does (hard errors only; warnings are accepted).
pub fn parse(s: &str) -> Result<DpkgVersion, Error> {
    let err = |reason: &str| Error::new(ECO, s, reason);
    let bytes = s.as_bytes();
    if bytes.contains(&0) {
        return Err(err("version string contains a NUL byte"));
    }
    // Trim leading blanks; the version ends at the first blank after that.
    let start = bytes
        .iter()
        .position(|&c| !is_blank(c))
        .unwrap_or(bytes.len());
    if start == bytes.len() {
        return Err(err("version string is empty"));
    }
    let end = bytes[start..]
        .iter()
        .position(|&c| is_blank(c))
        .map_or(bytes.len(), |p| start + p);
    if bytes[end..].iter().any(|&c| !is_blank(c)) {
        return Err(err("version string has embedded spaces"));
    }
    // Only ASCII bytes are ever split on, so these slices stay on char boundaries.
    let v = &s[start..end];
    let vb = v.as_bytes();

    let (epoch, rest) = match vb.iter().position(|&c| c == b':') {
        Some(colon) => {
            let epoch = strtol_epoch(&vb[..colon]).map_err(err)?;
            if colon + 1 == vb.len() {
                return Err(err("nothing after colon in version number"));
            }
            (epoch, &v[colon + 1..])
        }
        None => (0, v),
    };
    let (upstream, revision) = match rest.rfind('-') {
        Some(h) => {
            if h + 1 == rest.len() {
                return Err(err("revision number is empty"));
            }
            (&rest[..h], &rest[h + 1..])
        }
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err("upstream version is empty"));
    }
    Ok(DpkgVersion {
        epoch,
        upstream: upstream.to_string(),
        revision: revision.to_string(),
    })
}

/// The epoch text before the first colon, read as `strtol(…, 10)` must read all of it: optional
/// whitespace, optional sign, at least one digit; 0..=INT_MAX.
fn strtol_epoch(t: &[u8]) -> Result<u32, &'static str> {
    let mut i = 0;
    while i < t.len() && is_space(t[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < t.len() && (t[i] == b'+' || t[i] == b'-') {
        negative = t[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    while i < t.len() && t[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        // strtol converted nothing: its end pointer is the start of the string.
        return Err("epoch in version is empty");
    }
    if i != t.len() {
        return Err("epoch in version is not number");
    }
    let digits = &t[digits_start..];
    let significant = &digits[digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len())..];
    if significant.is_empty() {
        return Ok(0); // "0", "-0", "+000"
    }
    if negative {
        return Err("epoch in version is negative");
    }
    if significant.len() > 10 {
        return Err("epoch in version is too big");
    }
    let value = significant
        .iter()
        .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));
    if value > i32::MAX as u64 {
        return Err("epoch in version is too big");
    }
    Ok(value as u32)
}

/// dpkg's `order()`: the weight of one byte of a non-digit run (`None` = end of string).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        // `(signed char)c + 256` for bytes >= 0x80 on signed-char targets is the byte value itself.
        Some(c) if c >= 0x80 => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` over bytes; digit runs compare by value without converting to an integer.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let digit_at = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    let nondigit_at = |s: &[u8], k: usize| s.get(k).is_some_and(|c| !c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        while nondigit_at(a, i) || nondigit_at(b, j) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            // Equal weights here mean the same non-digit byte on both sides.
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit_at(a, i) && digit_at(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit_at(a, i) {
            return Ordering::Greater;
        }
        if digit_at(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn basics() {
        assert_eq!(c("1.0", "1.0-0"), Equal);
        assert_eq!(c("1.0", "0:1.0"), Equal);
        assert_eq!(c("1.0", "1.0-0~"), Greater);
        assert_eq!(c("1.0~rc1", "1.0"), Less);
        assert_eq!(c("1.0~~", "1.0~"), Less);
        assert_eq!(c("1.0a", "1.0+"), Less);
        assert_eq!(c("1:0.1", "2.0"), Greater);
        assert_eq!(c("1.001", "1.1"), Equal);
        assert_eq!(c("1.2.3-1~deb7u1", "1.2.3-1"), Less);
        assert_eq!(c(" 1.0 ", "1.0"), Equal);
        assert_eq!(c("1:2:3", "1:2:3"), Equal);
        assert_eq!(c("1.0-1-2", "1.0-1-10"), Less);
    }

    #[test]
    fn long_digit_runs() {
        let a = format!("1.{}", "9".repeat(100));
        let b = format!("1.1{}", "0".repeat(100));
        assert_eq!(c(&a, &b), Less);
        assert_eq!(c(&format!("1.{}5", "0".repeat(200)), "1.5"), Equal);
    }

    #[test]
    fn parse_parts() {
        let v = parse("2:1.2-3-4").unwrap();
        assert_eq!(
            (v.epoch, v.upstream.as_str(), v.revision.as_str()),
            (2, "1.2-3", "4")
        );
        let v = parse("1.2").unwrap();
        assert!(v.is_native());
        assert_eq!(parse("+1:2").unwrap().epoch, 1);
        assert_eq!(parse("-0:2").unwrap().epoch, 0);
        assert_eq!(parse("2147483647:1").unwrap().epoch, i32::MAX as u32);
    }

    #[test]
    fn errors() {
        for bad in [
            "",
            "  ",
            "1 2",
            "a:1",
            ":1",
            "1.0-a:b",
            "1a:1",
            "-1:1",
            "2147483648:1",
            "1:",
            "1.0-",
            "-1",
            "1:-1",
            "1\u{0}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
        // dpkg only warns about these.
        for warn in ["abc", "1_2", "1:1.0-a:b", "1.0é"] {
            assert!(parse(warn).is_ok(), "{warn:?} should be accepted");
        }
    }
}
