//! SemVer orders: crates.io (SemVer 2.0 as Cargo reads it), npm (node-semver) and Go modules
//! (`golang.org/x/mod/semver`).
//!
//! **crates.io** uses the `semver` crate (dtolnay), the parser Cargo itself uses, so "valid" means
//! exactly what Cargo accepts (no `v` prefix, no leading zeros, numbers up to `u64::MAX`, no blanks).
//! Precedence is [`semver::Version::cmp_precedence`]: build metadata is ignored (`1.0.0+a` ==
//! `1.0.0+b`), unlike `semver::Version`'s `Ord`, which breaks ties on it.
//!
//! **npm** is hand-written: the `node-semver` crate (2.2.0) is not used because its
//! `MAX_SAFE_INTEGER` is `900_719_925_474_099` (a digit short of JavaScript's
//! `9_007_199_254_740_991`), so it rejects versions npm accepts, and it pulls in `nom` and `miette`.
//! This module transcribes node-semver 7.x `classes/semver.js` with the `loose` option (a superset of
//! strict parsing that orders strict-valid versions identically; npm normalises `package.json`
//! versions with it):
//! - the input (at most 256 UTF-16 units, like `MAX_LENGTH`) is trimmed of ECMAScript white space and
//!   matched against node-semver's `LOOSE` regular expression (`[v=\s]*` prefix, leading zeros
//!   allowed, `1.2.3beta` and `1.2.3-beta` alike, build metadata). The same pattern runs in the
//!   `regex` crate, whose leftmost-first semantics give the captures a backtracking engine gives
//!   (e.g. `1.2.34.5` is `1.2.3-4.5`);
//! - major, minor and patch above `Number.MAX_SAFE_INTEGER` are errors;
//! - pre-release identifiers made only of digits compare as JavaScript numbers (IEEE doubles, so
//!   two 20-digit identifiers may compare equal exactly as in node), numeric ones sort before
//!   alphanumeric ones, alphanumeric ones compare by code unit; build metadata is ignored.
//!
//! **Go** transcribes `golang.org/x/mod/semver` (`parse`, `compareInt`, `comparePrerelease`). The
//! `v` prefix is optional here (OSV records for Go omit it; it is added before parsing), `v1` and
//! `v1.2` are shorthands for `v1.0.0` and `v1.2.0` (only without pre-release or build), numbers have
//! no size limit and no leading zeros, and build metadata is ignored, so `v2.0.0+incompatible` ==
//! `v2.0.0`. Pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//! `v1.2.4-0.20191109021931-daa7c04131f5`) are ordinary pre-releases and order as Go orders them:
//! by base version, then timestamp. Where `semver.Compare` sorts an invalid version below every
//! valid one, this module returns an error.

use crate::Error;
use regex::Regex;
use std::cmp::Ordering;
use std::sync::LazyLock;

/// SemVer 2.0 (crates.io): `semver` crate parsing, precedence ignoring build metadata.
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    let pa = parse_cargo(a)?;
    let pb = parse_cargo(b)?;
    Ok(pa.cmp_precedence(&pb))
}

fn parse_cargo(v: &str) -> Result<::semver::Version, Error> {
    ::semver::Version::parse(v).map_err(|e| Error::new("crates.io", v, e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// npm (node-semver, loose)
// ---------------------------------------------------------------------------------------------

/// node-semver `MAX_LENGTH`, in UTF-16 code units (JavaScript `string.length`).
const NPM_MAX_LENGTH: usize = 256;
/// JavaScript `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// ECMAScript `WhiteSpace` and `LineTerminator` (what `String.prototype.trim` removes and `\s`
/// matches); node-semver lists the same set in `WHITESPACE_CHARACTERS`.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// node-semver's `re[t.LOOSE]` (src/internal/re.js), with `\d` spelled `[0-9]` (JavaScript's `\d` is
/// ASCII-only) and `\s` spelled out as the ECMAScript white-space set.
static NPM_LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    let ws = r"\t\n\x0B\x0C\r \u{A0}\u{1680}\u{2000}-\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}\u{FEFF}";
    let num_loose = r"[0-9]+";
    let non_numeric = r"[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
    let pre_id = format!("(?:{non_numeric}|{num_loose})");
    let build_id = r"[a-zA-Z0-9-]+";
    let pat = format!(
        r"^[v={ws}]*({num_loose})\.({num_loose})\.({num_loose})(?:-?({pre_id}(?:\.{pre_id})*))?(?:\+({build_id}(?:\.{build_id})*))?$"
    );
    Regex::new(&pat).expect("node-semver LOOSE pattern")
});

#[derive(Debug, Clone)]
enum NpmId {
    /// A digit-only identifier below `MAX_SAFE_INTEGER` (node turns it into a number).
    Num(u64),
    /// Anything else, digit-only ones included (node keeps them as strings).
    Str(String),
}

#[derive(Debug, Clone)]
struct NpmVersion {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<NpmId>,
}

fn npm_err(v: &str, reason: &str) -> Error {
    Error::new("npm", v, reason)
}

/// `+m[i]` for a main-version capture, rejected above `MAX_SAFE_INTEGER` like node-semver.
fn npm_main_number(v: &str, digits: &str, what: &str) -> Result<u64, Error> {
    let t = digits.trim_start_matches('0');
    if t.len() > 16 {
        return Err(npm_err(v, &format!("invalid {what} version")));
    }
    let n: u64 = if t.is_empty() {
        0
    } else {
        t.parse().map_err(|_| npm_err(v, "bad number"))?
    };
    if n > MAX_SAFE_INTEGER {
        return Err(npm_err(v, &format!("invalid {what} version")));
    }
    Ok(n)
}

fn parse_npm(v: &str) -> Result<NpmVersion, Error> {
    if v.encode_utf16().count() > NPM_MAX_LENGTH {
        return Err(npm_err(v, "version is longer than 256 characters"));
    }
    let t = v.trim_matches(is_js_space);
    let m = NPM_LOOSE
        .captures(t)
        .ok_or_else(|| npm_err(v, "invalid version"))?;
    let major = npm_main_number(v, &m[1], "major")?;
    let minor = npm_main_number(v, &m[2], "minor")?;
    let patch = npm_main_number(v, &m[3], "patch")?;
    let pre = match m.get(4) {
        None => Vec::new(),
        Some(p) if p.as_str().is_empty() => Vec::new(),
        Some(p) => p
            .as_str()
            .split('.')
            .map(|id| {
                if !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()) {
                    let t = id.trim_start_matches('0');
                    if t.len() <= 16 {
                        let n: u64 = if t.is_empty() {
                            0
                        } else {
                            t.parse().unwrap_or(u64::MAX)
                        };
                        if n < MAX_SAFE_INTEGER {
                            return NpmId::Num(n);
                        }
                    }
                }
                NpmId::Str(id.to_string())
            })
            .collect(),
    };
    Ok(NpmVersion {
        major,
        minor,
        patch,
        pre,
    })
}

/// JavaScript `+s` for a digit-only string: the nearest double.
fn js_number(s: &str) -> f64 {
    s.parse::<f64>().unwrap_or(f64::INFINITY)
}

/// node-semver `compareIdentifiers` (src/internal/identifiers.js).
fn npm_compare_ids(a: &NpmId, b: &NpmId) -> Ordering {
    fn as_numeric(x: &NpmId) -> Option<f64> {
        match x {
            NpmId::Num(n) => Some(*n as f64),
            NpmId::Str(s) if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) => {
                Some(js_number(s))
            }
            NpmId::Str(_) => None,
        }
    }
    if let (NpmId::Num(x), NpmId::Num(y)) = (a, b) {
        return x.cmp(y);
    }
    match (as_numeric(a), as_numeric(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => match (a, b) {
            // Identifiers are ASCII, so UTF-16 order is byte order.
            (NpmId::Str(x), NpmId::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => Ordering::Equal,
        },
    }
}

fn npm_ids_identical(a: &NpmId, b: &NpmId) -> bool {
    match (a, b) {
        (NpmId::Num(x), NpmId::Num(y)) => x == y,
        (NpmId::Str(x), NpmId::Str(y)) => x == y,
        _ => false,
    }
}

fn npm_cmp(a: &NpmVersion, b: &NpmVersion) -> Ordering {
    let main = (a.major, a.minor, a.patch).cmp(&(b.major, b.minor, b.patch));
    if main != Ordering::Equal {
        return main;
    }
    match (a.pre.is_empty(), b.pre.is_empty()) {
        (true, true) => return Ordering::Equal,
        (false, true) => return Ordering::Less,
        (true, false) => return Ordering::Greater,
        (false, false) => {}
    }
    let mut i = 0;
    loop {
        match (a.pre.get(i), b.pre.get(i)) {
            (None, None) => return Ordering::Equal,
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (Some(x), Some(y)) => {
                if !npm_ids_identical(x, y) {
                    return npm_compare_ids(x, y);
                }
            }
        }
        i += 1;
    }
}

/// npm (node-semver 7.x `compare(a, b, { loose: true })`).
pub fn compare_npm(a: &str, b: &str) -> Result<Ordering, Error> {
    let pa = parse_npm(a)?;
    let pb = parse_npm(b)?;
    Ok(npm_cmp(&pa, &pb))
}

// ---------------------------------------------------------------------------------------------
// Go modules (golang.org/x/mod/semver)
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct GoVersion<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    /// Including the leading `-`; empty when absent.
    prerelease: &'a str,
}

fn go_parse_int(v: &str) -> Option<(&str, &str)> {
    let b = v.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return None;
    }
    let mut i = 1;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if b[0] == b'0' && i != 1 {
        return None;
    }
    Some((&v[..i], &v[i..]))
}

fn go_is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn go_is_bad_num(v: &[u8]) -> bool {
    let mut i = 0;
    while i < v.len() && v[i].is_ascii_digit() {
        i += 1;
    }
    i == v.len() && i > 1 && v[0] == b'0'
}

fn go_parse_prerelease(v: &str) -> Option<(&str, &str)> {
    let b = v.as_bytes();
    if b.is_empty() || b[0] != b'-' {
        return None;
    }
    let (mut i, mut start) = (1, 1);
    while i < b.len() && b[i] != b'+' {
        if !go_is_ident_char(b[i]) && b[i] != b'.' {
            return None;
        }
        if b[i] == b'.' {
            if start == i || go_is_bad_num(&b[start..i]) {
                return None;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start == i || go_is_bad_num(&b[start..i]) {
        return None;
    }
    Some((&v[..i], &v[i..]))
}

fn go_parse_build(v: &str) -> Option<(&str, &str)> {
    let b = v.as_bytes();
    if b.is_empty() || b[0] != b'+' {
        return None;
    }
    let (mut i, mut start) = (1, 1);
    while i < b.len() {
        if !go_is_ident_char(b[i]) && b[i] != b'.' {
            return None;
        }
        if b[i] == b'.' {
            if start == i {
                return None;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start == i {
        return None;
    }
    Some((&v[..i], &v[i..]))
}

/// `semver.parse` on a string that starts with `v`.
fn go_parse(v: &str) -> Option<GoVersion<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = go_parse_int(rest)?;
    if rest.is_empty() {
        return Some(GoVersion {
            major,
            minor: "0",
            patch: "0",
            prerelease: "",
        });
    }
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = go_parse_int(rest)?;
    if rest.is_empty() {
        return Some(GoVersion {
            major,
            minor,
            patch: "0",
            prerelease: "",
        });
    }
    let rest = rest.strip_prefix('.')?;
    let (patch, mut rest) = go_parse_int(rest)?;
    let mut prerelease = "";
    if rest.starts_with('-') {
        let (p, r) = go_parse_prerelease(rest)?;
        prerelease = p;
        rest = r;
    }
    if rest.starts_with('+') {
        let (_, r) = go_parse_build(rest)?;
        rest = r;
    }
    if !rest.is_empty() {
        return None;
    }
    Some(GoVersion {
        major,
        minor,
        patch,
        prerelease,
    })
}

/// `compareInt`: numbers without leading zeros, any length.
fn go_compare_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

fn go_next_ident(x: &str) -> (&str, &str) {
    let i = x.bytes().position(|c| c == b'.').unwrap_or(x.len());
    (&x[..i], &x[i..])
}

fn go_is_num(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit())
}

/// `comparePrerelease` (both arguments include their leading `-`, or are empty).
fn go_compare_prerelease(mut x: &str, mut y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    if x.is_empty() {
        return Ordering::Greater;
    }
    if y.is_empty() {
        return Ordering::Less;
    }
    while !x.is_empty() && !y.is_empty() {
        x = &x[1..];
        y = &y[1..];
        let (dx, rx) = go_next_ident(x);
        let (dy, ry) = go_next_ident(y);
        x = rx;
        y = ry;
        if dx != dy {
            let (ix, iy) = (go_is_num(dx), go_is_num(dy));
            if ix != iy {
                return if ix {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            if ix && dx.len() != dy.len() {
                return dx.len().cmp(&dy.len());
            }
            return dx.cmp(dy);
        }
    }
    if x.is_empty() {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

fn go_with_v(v: &str) -> String {
    if v.starts_with('v') {
        v.to_string()
    } else {
        format!("v{v}")
    }
}

/// Go modules (`golang.org/x/mod/semver.Compare`), `v` prefix optional.
pub fn compare_go(a: &str, b: &str) -> Result<Ordering, Error> {
    let (sa, sb) = (go_with_v(a), go_with_v(b));
    let pa = go_parse(&sa).ok_or_else(|| Error::new("go", a, "invalid semantic version"))?;
    let pb = go_parse(&sb).ok_or_else(|| Error::new("go", b, "invalid semantic version"))?;
    Ok(go_compare_int(pa.major, pb.major)
        .then_with(|| go_compare_int(pa.minor, pb.minor))
        .then_with(|| go_compare_int(pa.patch, pb.patch))
        .then_with(|| go_compare_prerelease(pa.prerelease, pb.prerelease)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn npm_loose_backtracking_and_numbers() {
        assert_eq!(compare_npm("1.2.34.5", "1.2.3-4.5").unwrap(), Equal);
        assert_eq!(compare_npm("v1.2.3", "=1.2.3").unwrap(), Equal);
        assert_eq!(compare_npm("1.2.3beta", "1.2.3-beta").unwrap(), Equal);
        assert_eq!(compare_npm("1.2.3-", "1.2.3").unwrap(), Less);
        assert!(compare_npm("9007199254740992.0.0", "1.0.0").is_err());
        assert!(compare_npm("9007199254740991.0.0", "1.0.0").is_ok());
        // Both identifiers become the double 1e20.
        assert_eq!(
            compare_npm("1.0.0-99999999999999999999", "1.0.0-100000000000000000000").unwrap(),
            Equal
        );
        assert!(compare_npm("1.2", "1.2.0").is_err());
    }

    #[test]
    fn go_rules() {
        assert_eq!(compare_go("v2.0.0+incompatible", "2.0.0").unwrap(), Equal);
        assert_eq!(compare_go("v1", "1.0.0").unwrap(), Equal);
        assert_eq!(compare_go("1.2", "v1.2.0").unwrap(), Equal);
        assert!(compare_go("v1.2-pre", "v1.2.0").is_err());
        assert!(compare_go("v01.2.3", "v1.2.3").is_err());
        assert_eq!(
            compare_go("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3").unwrap(),
            Greater
        );
        assert_eq!(
            compare_go("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4").unwrap(),
            Less
        );
    }

    #[test]
    fn cargo_ignores_build() {
        assert_eq!(compare("1.0.0+a", "1.0.0+b").unwrap(), Equal);
        assert!(compare("v1.0.0", "1.0.0").is_err());
    }
}
