//! Packagist (Composer) version order: `Composer\Semver\Comparator` (composer/semver 3.x), which is
//! PHP's `version_compare()` plus `dev-` branch handling, after the `v` prefix is dropped as
//! `VersionParser::normalize` drops it.
//!
//! Hand-written: no Rust crate implements PHP's `version_compare`. This is a transcription of
//! php-src `ext/standard/versioning.c` (`php_canonicalize_version`, `compare_special_version_forms`,
//! `php_version_compare`), checked against PHP + composer/semver in `tests/lang_versions.rs`.
//!
//! - One leading `v`/`V` followed by a digit is removed (`v1.2` == `1.2`), as Composer, osv.dev and
//!   osv-scalibr do. No other normalisation: like `version_compare` (and OSV),
//!   `1.0` < `1.0.0`.
//! - Canonicalisation: `-`, `_`, `+` and other non-alphanumeric bytes become `.` (never two in a
//!   row), and a `.` is inserted between a digit and a non-digit; in that case the non-digit byte is
//!   kept even when it is not alphanumeric (`1#` is `1.#`, `1é` keeps the `é` bytes). The first byte
//!   is kept as is, and a version starting with `#` is not canonicalised at all.
//! - Parts compare left to right: two numbers numerically; two words by their special form,
//!   found by prefix and case-sensitively: anything else < `dev` < `alpha` = `a` < `beta` = `b` <
//!   `RC` = `rc` < `#` < `pl` = `p`; a number counts as `#` against a word. When one side runs out,
//!   a further number on the other side wins, and a further word is compared with `#`.
//! - `dev-` branches (case-sensitive prefix): two branches are equal only when identical; two
//!   different branches are not ordered (error), like `Comparator` where neither `<`, `==` nor `>`
//!   holds. A branch against a version is ordered by `version_compare` (`dev-foo` < `1.0`).
//!
//! Deliberate deviations from PHP:
//! - Numbers compare as digit strings of any length (PHP's `strtol` saturates at `i64::MAX`, so it
//!   calls `99999999999999999999` == `99999999999999999998`); osv-scalibr and osv.dev also compare
//!   them exactly.
//! - A trailing separator leaves an empty last part (`1.0-` is `1.0.`), where PHP is not even
//!   reflexive: its tail rule says `1.0.` < `1.0.`, and both `1.0.a` < `1.0.` and `1.0.` < `1.0.a`.
//!   Here an empty last part sorts below everything else at that position (below the end of the
//!   string, too: `1.0-` < `1.0`, as in PHP and osv.dev) and equals itself, which agrees with PHP
//!   on every pair where PHP is antisymmetric.
//! - The empty string is an error (PHP orders it below everything).

use crate::Error;
use std::cmp::Ordering;

const ECO: &str = "packagist";

/// `php_canonicalize_version` (C locale `isdigit`/`isalnum`: ASCII only; `isdig`/`isndig` treat
/// `.` as neither, so a non-ASCII byte right after a digit is kept, after an inserted `.`).
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let mut q = Vec::with_capacity(v.len() * 2);
    if v.is_empty() {
        return q;
    }
    let mut lp = v[0];
    q.push(lp);
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    for &p in &v[1..] {
        let lq = *q.last().expect("non-empty");
        if matches!(p, b'-' | b'_' | b'+') {
            if lq != b'.' {
                q.push(b'.');
            }
        } else if (isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p)) {
            if lq != b'.' {
                q.push(b'.');
            }
            q.push(p);
        } else if !p.is_ascii_alphanumeric() {
            if lq != b'.' {
                q.push(b'.');
            }
        } else {
            q.push(p);
        }
        lp = p;
    }
    q
}

/// `compare_special_version_forms`' rank of a part (prefix match, in the C table's order).
fn special_rank(form: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |&(_, r)| r)
}

/// `strtol(p, NULL, 10)` on a part that starts with a digit, compared exactly.
fn cmp_numbers(a: &[u8], b: &[u8]) -> Ordering {
    fn digits(x: &[u8]) -> &[u8] {
        let end = x
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(x.len());
        let x = &x[..end];
        let nz = x.iter().position(|&c| c != b'0').unwrap_or(x.len());
        &x[nz..]
    }
    let (a, b) = (digits(a), digits(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn cmp_part(a: &[u8], b: &[u8]) -> Ordering {
    let da = a.first().is_some_and(u8::is_ascii_digit);
    let db = b.first().is_some_and(u8::is_ascii_digit);
    match (da, db) {
        (true, true) => cmp_numbers(a, b),
        (false, false) => special_rank(a).cmp(&special_rank(b)),
        (true, false) => special_rank(b"#N#").cmp(&special_rank(b)),
        (false, true) => special_rank(a).cmp(&special_rank(b"#N#")),
    }
}

/// The state of one side of `php_version_compare` after its main loop.
enum Tail<'a> {
    /// Its last part was consumed (`n == NULL`).
    Done,
    /// A trailing separator left an empty part.
    Empty,
    /// More parts follow.
    More(&'a [u8]),
}

/// `php_version_compare`, with the tail recursion unrolled and the deviations described in the
/// module documentation.
fn php_version_compare(orig1: &[u8], orig2: &[u8]) -> Ordering {
    let prep = |v: &[u8]| {
        if v.first() == Some(&b'#') {
            v.to_vec()
        } else {
            canonicalize(v)
        }
    };
    let mut v1 = prep(orig1);
    let mut v2 = prep(orig2);
    // Set when the sides were swapped to compare `"#N#"` with the rest of the right-hand side.
    let mut swapped = false;
    let fin = |r: Ordering, swapped: bool| if swapped { r.reverse() } else { r };
    loop {
        if v1.is_empty() || v2.is_empty() {
            return fin(v1.is_empty().cmp(&v2.is_empty()).reverse(), swapped);
        }
        let (mut p1, mut p2) = (0usize, 0usize);
        let (result, tail1, tail2) = loop {
            let n1 = v1[p1..].iter().position(|&c| c == b'.').map(|i| p1 + i);
            let n2 = v2[p2..].iter().position(|&c| c == b'.').map(|i| p2 + i);
            let s1 = &v1[p1..n1.unwrap_or(v1.len())];
            let s2 = &v2[p2..n2.unwrap_or(v2.len())];
            let r = cmp_part(s1, s2);
            if r != Ordering::Equal {
                break (r, Tail::Done, Tail::Done);
            }
            let t1 = match n1 {
                None => Tail::Done,
                Some(n) if n + 1 == v1.len() => Tail::Empty,
                Some(n) => Tail::More(&v1[n + 1..]),
            };
            let t2 = match n2 {
                None => Tail::Done,
                Some(n) if n + 1 == v2.len() => Tail::Empty,
                Some(n) => Tail::More(&v2[n + 1..]),
            };
            match (t1, t2) {
                (Tail::More(_), Tail::More(_)) => {
                    p1 = n1.map_or(p1, |n| n + 1);
                    p2 = n2.map_or(p2, |n| n + 1);
                }
                (a, b) => break (Ordering::Equal, a, b),
            }
        };
        if result != Ordering::Equal {
            return fin(result, swapped);
        }
        let r = match (tail1, tail2) {
            (Tail::Done, Tail::Done) | (Tail::Empty, Tail::Empty) => Ordering::Equal,
            (Tail::Empty, _) => Ordering::Less,
            (_, Tail::Empty) => Ordering::Greater,
            (Tail::More(rest), Tail::Done) => {
                if rest[0].is_ascii_digit() {
                    Ordering::Greater
                } else {
                    let next = prep(rest);
                    v1 = next;
                    v2 = b"#N#".to_vec();
                    continue;
                }
            }
            (Tail::Done, Tail::More(rest)) => {
                if rest[0].is_ascii_digit() {
                    Ordering::Less
                } else {
                    // php_version_compare("#N#", rest) == -php_version_compare(rest, "#N#")
                    let next = prep(rest);
                    v1 = next;
                    v2 = b"#N#".to_vec();
                    swapped = !swapped;
                    continue;
                }
            }
            (Tail::More(_), Tail::More(_)) => unreachable!("loop only exits with a finished side"),
        };
        return fin(r, swapped);
    }
}

/// Drop one `v`/`V` before a digit (VersionParser::normalize's `^v?`).
fn strip_v(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'v' || b[0] == b'V') && b[1].is_ascii_digit() {
        &v[1..]
    } else {
        v
    }
}

/// Order two Packagist versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    if a.is_empty() {
        return Err(Error::new(ECO, a, "empty version"));
    }
    if b.is_empty() {
        return Err(Error::new(ECO, b, "empty version"));
    }
    let (sa, sb) = (strip_v(a), strip_v(b));
    if sa.starts_with("dev-") && sb.starts_with("dev-") {
        return if sa == sb {
            Ok(Ordering::Equal)
        } else {
            Err(Error::new(
                ECO,
                a,
                format!("dev branches {sa:?} and {sb:?} are not ordered"),
            ))
        };
    }
    // PHP strings are C strings here: a NUL byte ends the version.
    let cut = |s: &str| -> Vec<u8> { s.bytes().take_while(|&c| c != 0).collect() };
    Ok(php_version_compare(&cut(sa), &cut(sb)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn php_table() {
        let chain = ["1.0-dev", "1.0a1", "1.0b1", "1.0RC1", "1.0", "1.0pl1"];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(c("1.0rc1", "1.0RC1"), Equal);
        assert_eq!(c("1.0.0", "1.0"), Greater);
        assert_eq!(c("v1.0pl1", "1.0pl1"), Equal);
        assert_eq!(c("1.25.0-beta2.1", "1.25.0-b.2.1"), Equal);
        assert_eq!(c("dev-foo", "1.26.0"), Less);
        assert!(compare("dev-foo", "dev-bar").is_err());
        assert_eq!(c("dev-foo", "dev-foo"), Equal);
    }

    #[test]
    fn trailing_separators() {
        assert_eq!(c("1.0-", "1.0-"), Equal);
        assert_eq!(c("1.0-", "1.0"), Less);
        assert_eq!(c("1.0.a", "1.0."), Greater);
        assert_eq!(c("1.0.", "1.0.a"), Less);
        assert_eq!(
            c(
                "999999999999999999999999999991",
                "999999999999999999999999999999"
            ),
            Less
        );
    }
}
