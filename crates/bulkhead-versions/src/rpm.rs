//! rpm version order: `[epoch:]version[-release]` as rpm 4.18's `rpm.vercmp()` (Lua) /
//! `rpmverCmp(rpmverParse(a), rpmverParse(b))` (lib/rpmver.c), with `rpmvercmp` (rpmio/rpmvercmp.c)
//! for each part.
//!
//! Hand-written: the algorithm is ~60 lines of C, and no crate on crates.io both implements the
//! 4.18 EVR rules (caret `^`, `compare_values` treating a missing release as lower) and is checked
//! against rpm itself; `tests/os_versions.rs` checks this one against the real `rpm` binary.
//!
//! Semantics:
//! - Parsing (`parseEVR`): the epoch is the run of ASCII digits at the start when a `:` follows it
//!   (an empty epoch, as in `:1`, reads as `0`); the release is everything after the *last* `-`
//!   after that digit run; the version is what is left. Anything else (`a:1`, `1.m+e2:1`) is just
//!   part of the version string. Nothing is ever rejected except the empty string (rpm raises
//!   "invalid version") and strings with a NUL byte (which C would silently truncate).
//! - A missing epoch compares as `0`. A missing release sorts *before* any release, even an empty
//!   one: `1.0` < `1.0-0` and `1` < `1-` (rpm 4.18; older rpm ignored the release in that case).
//! - `rpmvercmp`: bytes other than ASCII letters, digits, `~` and `^` are separators, and all
//!   separators are equivalent (`2_0` = `2.0`; non-ASCII bytes too). `~` sorts before everything,
//!   including the end of the string. `^` sorts after the end of the string but before anything
//!   else. Segments are maximal runs of digits or of letters; a numeric segment beats an alphabetic
//!   one; numeric segments compare as numbers of any length (leading zeros ignored, no overflow);
//!   alphabetic ones byte-wise (`A` < `a`). If all segments agree, the string with segments left over
//!   is newer, and strings differing only in separators are equal.

use crate::Error;
use std::cmp::Ordering;

const ECO: &str = "rpm";

/// A parsed `[epoch:]version[-release]`. Equality and order follow rpm, not spelling.
#[derive(Debug, Clone)]
pub struct Evr {
    /// Epoch digits (`Some("0")` for an explicit empty epoch `:v`); `None` when absent, which
    /// compares as `0`.
    pub epoch: Option<String>,
    /// Version (may be empty, e.g. in `1:` or `-1`).
    pub version: String,
    /// Release; `None` when there is no `-`.
    pub release: Option<String>,
}

impl Evr {
    /// Build from separate parts, as read from an rpm header (epoch absent = `None`).
    pub fn new(epoch: Option<&str>, version: &str, release: Option<&str>) -> Evr {
        Evr {
            epoch: epoch.map(str::to_string),
            version: version.to_string(),
            release: release.map(str::to_string),
        }
    }

    /// Numeric epoch (0 when absent; saturates at `u64::MAX` for absurdly long epochs).
    pub fn epoch_value(&self) -> u64 {
        self.epoch.as_deref().map_or(0, |e| {
            e.bytes().fold(0u64, |acc, c| {
                acc.saturating_mul(10)
                    .saturating_add(u64::from(c.wrapping_sub(b'0')))
            })
        })
    }
}

impl PartialEq for Evr {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Evr {}

impl PartialOrd for Evr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Evr {
    /// `rpmverCmp`.
    fn cmp(&self, other: &Self) -> Ordering {
        let e1 = self.epoch.as_deref().unwrap_or("0");
        let e2 = other.epoch.as_deref().unwrap_or("0");
        vercmp(e1, e2)
            .then_with(|| vercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (None, None) => Ordering::Equal,
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (Some(a), Some(b)) => vercmp(a, b),
            })
    }
}

impl std::str::FromStr for Evr {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        parse(s)
    }
}

/// Order two rpm `[epoch:]version[-release]` strings (`rpm.vercmp` semantics).
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// Parse `[epoch:]version[-release]` as rpm's `rpmverParse`/`parseEVR` does.
pub fn parse(s: &str) -> Result<Evr, Error> {
    if s.is_empty() {
        return Err(Error::new(ECO, s, "invalid version (empty)"));
    }
    if s.contains('\0') {
        return Err(Error::new(ECO, s, "version contains a NUL byte"));
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    // The release separator is searched from the end of the leading digit run.
    let hyphen = s[digits..].rfind('-').map(|p| digits + p);
    let (epoch, version_start) = if s.as_bytes().get(digits) == Some(&b':') {
        let e = if digits == 0 { "0" } else { &s[..digits] };
        (Some(e.to_string()), digits + 1)
    } else {
        (None, 0)
    };
    let (version, release) = match hyphen {
        Some(h) => (&s[version_start..h], Some(s[h + 1..].to_string())),
        None => (&s[version_start..], None),
    };
    Ok(Evr {
        epoch,
        version: version.to_string(),
        release,
    })
}

/// rpm's `rpmvercmp`: compare two version (or release, or epoch) strings segment by segment.
/// Never fails; the whole byte string takes part (no parsing of `:` or `-`).
pub fn vercmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return Ordering::Equal;
    }
    let is_sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut one, mut two) = (0usize, 0usize);
    while one < a.len() || two < b.len() {
        while one < a.len() && is_sep(a[one]) {
            one += 1;
        }
        while two < b.len() && is_sep(b[two]) {
            two += 1;
        }
        let (c1, c2) = (a.get(one).copied(), b.get(two).copied());

        // Tilde sorts before everything else, even the end of the string.
        if c1 == Some(b'~') || c2 == Some(b'~') {
            if c1 != Some(b'~') {
                return Ordering::Greater;
            }
            if c2 != Some(b'~') {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }
        // Caret sorts like tilde, except that the end of the string sorts before it.
        if c1 == Some(b'^') || c2 == Some(b'^') {
            if c1.is_none() {
                return Ordering::Less;
            }
            if c2.is_none() {
                return Ordering::Greater;
            }
            if c1 != Some(b'^') {
                return Ordering::Greater;
            }
            if c2 != Some(b'^') {
                return Ordering::Less;
            }
            one += 1;
            two += 1;
            continue;
        }
        let (Some(c1), Some(_)) = (c1, c2) else {
            break;
        };

        let isnum = c1.is_ascii_digit();
        let in_seg = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let end1 = one + a[one..].iter().take_while(|c| in_seg(c)).count();
        let end2 = two + b[two..].iter().take_while(|c| in_seg(c)).count();
        // `one` starts an alphanumeric segment, so end1 > one. A segment of the other kind on the
        // second side leaves it empty: numeric beats alphabetic.
        if end2 == two {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut s1, mut s2) = (&a[one..end1], &b[two..end2]);
        if isnum {
            while let [b'0', rest @ ..] = s1 {
                s1 = rest;
            }
            while let [b'0', rest @ ..] = s2 {
                s2 = rest;
            }
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            other => return other,
        }
        one = end1;
        two = end2;
    }
    match (one >= a.len(), two >= b.len()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn segments() {
        assert_eq!(vercmp("1.0", "1.0"), Equal);
        assert_eq!(vercmp("2_0", "2.0"), Equal);
        assert_eq!(vercmp("1.0a", "1.0"), Greater);
        assert_eq!(vercmp("1.0", "1.0.a"), Less);
        assert_eq!(vercmp("10.0001", "10.1"), Equal);
        assert_eq!(vercmp("1.0~rc1", "1.0"), Less);
        assert_eq!(vercmp("1.0^", "1.0"), Greater);
        assert_eq!(vercmp("1.0^git1", "1.01"), Less);
        assert_eq!(vercmp("1a", "1.1"), Less);
        assert_eq!(vercmp("1.1.α", "1.1.β"), Equal);
        let big = format!("1.{}", "9".repeat(80));
        assert_eq!(vercmp(&big, &format!("1.1{}", "0".repeat(80))), Less);
    }

    #[test]
    fn evr() {
        assert_eq!(c("1:1.0", "2.0"), Greater);
        assert_eq!(c("0:1.0-1", "1.0-1"), Equal);
        assert_eq!(c(":1", "0:1"), Equal);
        assert_eq!(c("1.0", "1.0-0"), Less);
        assert_eq!(c("1", "1-"), Less);
        assert_eq!(c("1.0-1", "1.0-1.el7"), Less);
        assert_eq!(c("a:1", "b:1"), Less);
        let v = parse("3:1.2-3-4").unwrap();
        assert_eq!(v.epoch.as_deref(), Some("3"));
        assert_eq!(v.version, "1.2-3");
        assert_eq!(v.release.as_deref(), Some("4"));
        assert_eq!(v.epoch_value(), 3);
        let v = parse("1.m+e2:1").unwrap();
        assert_eq!(
            (v.epoch, v.version.as_str(), v.release),
            (None, "1.m+e2:1", None)
        );
        assert!(parse("").is_err());
        assert_eq!(Evr::new(None, "1.0", Some("1")), parse("0:1.0-1").unwrap());
    }
}
