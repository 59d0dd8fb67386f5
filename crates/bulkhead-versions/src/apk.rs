//! apk version order (Alpine, Wolfi, Chainguard): `digits{.digits}[letter]{_suffix[N]}[~hash][-rN]`.
//!
//! apk-tools has had two comparison algorithms in `src/version.c`, and this module implements both:
//!
//! - [`compare_v2`]: apk-tools 2.x (`get_token`/`next_token`), the tool on Alpine releases up to
//!   3.22 and the default here ([`compare`]). This is what the osv-scalibr oracle
//!   `alpine-versions-generated.txt` was produced with (`apk version -t` in `alpine:3.10`).
//! - [`compare_v3`]: apk-tools 3.x (`token_first`/`token_next`/`token_cmp`), stricter: it adds the
//!   `~hash` token, compares a zero-padded component as a string (`8.2.0` < `8.2.001`), and stops at
//!   the first invalid token.
//!
//! Both agree on well-formed versions without zero-padded components after the first.
//! Hand-written: no crate on crates.io ports apk-tools' tokenizer, and the C is short.
//!
//! Shared semantics: components compare numerically; a letter after the numbers sorts above none;
//! suffix order `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`; `-rN` last.
//! apk orders *every* string (`apk version -t` never refuses), so invalid versions are ordered as
//! apk orders them; [`is_valid`] tells whether apk would accept a version. The only errors are an
//! empty string and a NUL byte.
//!
//! Deviation on purpose: apk-tools keeps numbers in a C `int` (2.x) or `uint64_t` (3.x) and wraps on
//! overflow; here digit runs compare as numbers of any length (leading zeros stripped, then by
//! length, then digit by digit), so results differ from apk only for runs apk itself would
//! overflow (> 9 digits in 2.x builds with 32-bit `int` arithmetic, > 19 digits in 3.x).

use crate::Error;
use std::cmp::Ordering;

const ECO: &str = "apk";

/// Order two apk versions (apk-tools 2.x semantics, see [`compare_v2`]).
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    compare_v2(a, b)
}

/// Whether apk-tools 2.x accepts the version (`apk_version_validate`).
pub fn is_valid(s: &str) -> bool {
    is_valid_v2(s)
}

fn check(s: &str) -> Result<&[u8], Error> {
    if s.is_empty() {
        return Err(Error::new(ECO, s, "version is empty"));
    }
    if s.contains('\0') {
        return Err(Error::new(ECO, s, "version contains a NUL byte"));
    }
    Ok(s.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Numbers of any length, and the signed token values of the 2.x algorithm.
// ---------------------------------------------------------------------------------------------

/// A non-negative number: either a small constant or a run of ASCII digits (leading zeros allowed).
#[derive(Clone, Copy, Debug)]
enum Mag<'a> {
    Small(u64),
    Digits(&'a [u8]),
}

fn strip_zeros(d: &[u8]) -> &[u8] {
    let z = d.iter().take_while(|&&c| c == b'0').count();
    &d[z..]
}

impl Mag<'_> {
    fn cmp(self, other: Mag<'_>) -> Ordering {
        let mut ba = [0u8; 20];
        let mut bb = [0u8; 20];
        let a = self.digits(&mut ba);
        let b = other.digits(&mut bb);
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// Significant digits (no leading zeros; zero is the empty slice).
    fn digits<'s>(&'s self, buf: &'s mut [u8; 20]) -> &'s [u8] {
        match *self {
            Mag::Digits(d) => strip_zeros(d),
            Mag::Small(mut n) => {
                let mut i = buf.len();
                while n > 0 {
                    i -= 1;
                    buf[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                }
                &buf[i..]
            }
        }
    }
}

/// A token value of apk-tools 2.x's `get_token` (a C `int` there).
#[derive(Clone, Copy, Debug)]
enum Val<'a> {
    /// `-n` (leading-zero runs, pre-release suffixes, "invalid").
    Neg(usize),
    /// `n >= 0`.
    Pos(Mag<'a>),
}

impl Val<'_> {
    fn cmp(self, other: Val<'_>) -> Ordering {
        match (self, other) {
            (Val::Neg(a), Val::Neg(b)) => b.cmp(&a),
            (Val::Neg(a), Val::Pos(_)) if a > 0 => Ordering::Less,
            (Val::Pos(_), Val::Neg(b)) if b > 0 => Ordering::Greater,
            (Val::Neg(_), Val::Pos(b)) => Mag::Small(0).cmp(b),
            (Val::Pos(a), Val::Neg(_)) => a.cmp(Mag::Small(0)),
            (Val::Pos(a), Val::Pos(b)) => a.cmp(b),
        }
    }

    fn is_negative(self) -> bool {
        matches!(self, Val::Neg(n) if n > 0)
    }
}

// ---------------------------------------------------------------------------------------------
// apk-tools 2.x
// ---------------------------------------------------------------------------------------------

/// `enum PARTS` of apk-tools 2.x, in its numeric order (`TOKEN_INVALID = -1` first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum T2 {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];

/// `next_token`: classify what follows the token just read (`*ty` is its type).
fn next_token2(ty: &mut T2, s: &[u8], pos: &mut usize) {
    let rem = &s[*pos..];
    let mut n = T2::Invalid;
    if rem.is_empty() {
        n = T2::End;
    } else if matches!(*ty, T2::Digit | T2::DigitOrZero) && rem[0].is_ascii_lowercase() {
        n = T2::Letter;
    } else if *ty == T2::Letter && rem[0].is_ascii_digit() {
        n = T2::Digit;
    } else if *ty == T2::Suffix && rem[0].is_ascii_digit() {
        n = T2::SuffixNo;
    } else {
        match rem[0] {
            b'.' => n = T2::DigitOrZero,
            b'_' => n = T2::Suffix,
            b'-' if rem.get(1) == Some(&b'r') => {
                n = T2::RevisionNo;
                *pos += 1;
            }
            _ => {}
        }
        *pos += 1;
    }
    if n < *ty
        && !((n == T2::DigitOrZero && *ty == T2::Digit)
            || (n == T2::Suffix && *ty == T2::SuffixNo)
            || (n == T2::Digit && *ty == T2::Letter))
    {
        n = T2::Invalid;
    }
    *ty = n;
}

/// `get_token`: read one token of type `*ty`, return its value and advance `*ty` to the next type.
fn get_token2<'a>(ty: &mut T2, s: &'a [u8], pos: &mut usize) -> Val<'a> {
    let rem = &s[*pos..];
    if rem.is_empty() {
        *ty = T2::End;
        return Val::Pos(Mag::Small(0));
    }
    let mut nt = T2::Invalid;
    let (v, i) = match *ty {
        T2::DigitOrZero if rem[0] == b'0' => {
            // Leading zeros: a synthetic token worth minus their count, then the digits.
            let z = rem.iter().take_while(|&&c| c == b'0').count();
            nt = T2::Digit;
            (Val::Neg(z), z)
        }
        T2::DigitOrZero | T2::Digit | T2::SuffixNo | T2::RevisionNo => {
            let d = rem.iter().take_while(|c| c.is_ascii_digit()).count();
            (Val::Pos(Mag::Digits(&rem[..d])), d)
        }
        T2::Letter => (Val::Pos(Mag::Small(u64::from(rem[0]))), 1),
        T2::Suffix => {
            if let Some(k) = PRE_SUFFIXES.iter().position(|p| rem.starts_with(p)) {
                (Val::Neg(PRE_SUFFIXES.len() - k), PRE_SUFFIXES[k].len())
            } else if let Some(k) = POST_SUFFIXES.iter().position(|p| rem.starts_with(p)) {
                (Val::Pos(Mag::Small(k as u64)), POST_SUFFIXES[k].len())
            } else {
                *ty = T2::Invalid;
                return Val::Neg(1);
            }
        }
        T2::Invalid | T2::End => {
            *ty = T2::Invalid;
            return Val::Neg(1);
        }
    };
    *pos += i;
    if *pos == s.len() {
        *ty = T2::End;
    } else if nt != T2::Invalid {
        *ty = nt;
    } else {
        next_token2(ty, s, pos);
    }
    v
}

/// Order two apk versions as apk-tools 2.x `apk_version_compare` does.
pub fn compare_v2(a: &str, b: &str) -> Result<Ordering, Error> {
    let a = check(a)?;
    let b = check(b)?;
    let (mut at, mut bt) = (T2::Digit, T2::Digit);
    let (mut pa, mut pb) = (0usize, 0usize);
    let (mut av, mut bv) = (Val::Pos(Mag::Small(0)), Val::Pos(Mag::Small(0)));
    while at == bt && at != T2::End && at != T2::Invalid && av.cmp(bv) == Ordering::Equal {
        av = get_token2(&mut at, a, &mut pa);
        bv = get_token2(&mut bt, b, &mut pb);
    }
    match av.cmp(bv) {
        Ordering::Equal => {}
        other => return Ok(other),
    }
    if at == bt {
        return Ok(Ordering::Equal);
    }
    // The version that goes on is newer, unless what follows is a pre-release (or bad) suffix.
    if at == T2::Suffix && get_token2(&mut T2::Suffix, a, &mut pa.clone()).is_negative() {
        return Ok(Ordering::Less);
    }
    if bt == T2::Suffix && get_token2(&mut T2::Suffix, b, &mut pb.clone()).is_negative() {
        return Ok(Ordering::Greater);
    }
    Ok(bt.cmp(&at))
}

/// Whether apk-tools 2.x accepts the version.
pub fn is_valid_v2(s: &str) -> bool {
    let Ok(b) = check(s) else {
        return false;
    };
    let (mut t, mut p) = (T2::Digit, 0usize);
    while t != T2::End && t != T2::Invalid {
        get_token2(&mut t, b, &mut p);
    }
    t == T2::End
}

// ---------------------------------------------------------------------------------------------
// apk-tools 3.x
// ---------------------------------------------------------------------------------------------

/// `enum PARTS` of apk-tools 3.x, in its numeric order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum T3 {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix weights of apk-tools 3.x; `NONE` (5) is the pivot.
const SUFFIX_NONE: u8 = 5;

fn suffix_value(s: &[u8]) -> Option<u8> {
    Some(match s {
        b"alpha" => 1,
        b"beta" => 2,
        b"pre" => 3,
        b"rc" => 4,
        b"cvs" => 6,
        b"svn" => 7,
        b"git" => 8,
        b"hg" => 9,
        b"p" => 10,
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug)]
struct Tok<'a> {
    token: T3,
    suffix: u8,
    value: &'a [u8],
}

fn parse_digits3<'a>(t: &mut Tok<'a>, s: &'a [u8], pos: &mut usize) {
    let rem = &s[*pos..];
    let d = rem.iter().take_while(|c| c.is_ascii_digit()).count();
    t.value = &rem[..d];
    *pos += d;
    if d == 0 {
        t.token = T3::Invalid;
    }
}

fn token_first3<'a>(s: &'a [u8], pos: &mut usize) -> Tok<'a> {
    let mut t = Tok {
        token: T3::InitialDigit,
        suffix: 0,
        value: &[],
    };
    parse_digits3(&mut t, s, pos);
    t
}

fn token_next3<'a>(t: &mut Tok<'a>, s: &'a [u8], pos: &mut usize) {
    let rem = &s[*pos..];
    let Some(&c) = rem.first() else {
        t.token = T3::End;
        return;
    };
    let invalid = T3::Invalid;
    match c {
        b'a'..=b'z' => {
            if t.token > T3::Digit {
                t.token = invalid;
                return;
            }
            t.value = &rem[..1];
            t.token = T3::Letter;
            *pos += 1;
        }
        b'.' | b'0'..=b'9' => {
            if c == b'.' {
                if t.token > T3::Digit {
                    t.token = invalid;
                    return;
                }
                *pos += 1;
            }
            t.token = match t.token {
                T3::InitialDigit | T3::Digit => T3::Digit,
                T3::Suffix => T3::SuffixNo,
                _ => {
                    t.token = invalid;
                    return;
                }
            };
            parse_digits3(t, s, pos);
        }
        b'_' => {
            if t.token > T3::SuffixNo {
                t.token = invalid;
                return;
            }
            let rest = &rem[1..];
            let n = rest.iter().take_while(|c| c.is_ascii_lowercase()).count();
            t.value = &rest[..n];
            *pos += 1 + n;
            match suffix_value(t.value) {
                Some(v) => {
                    t.suffix = v;
                    t.token = T3::Suffix;
                }
                None => t.token = invalid,
            }
        }
        b'~' => {
            if t.token >= T3::CommitHash {
                t.token = invalid;
                return;
            }
            let rest = &rem[1..];
            let n = rest
                .iter()
                .take_while(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
                .count();
            *pos += 1 + n;
            t.value = &rest[..n];
            t.token = if n == 0 { invalid } else { T3::CommitHash };
        }
        b'-' => {
            if t.token >= T3::RevisionNo || !rem.starts_with(b"-r") {
                t.token = invalid;
                return;
            }
            *pos += 2;
            t.token = T3::RevisionNo;
            parse_digits3(t, s, pos);
        }
        _ => t.token = invalid,
    }
}

/// `token_cmp` for two tokens of the same type.
fn token_cmp3(a: &Tok<'_>, b: &Tok<'_>) -> Ordering {
    match a.token {
        T3::Digit if a.value[0] == b'0' || b.value[0] == b'0' => a.value.cmp(b.value),
        T3::Digit | T3::InitialDigit | T3::SuffixNo | T3::RevisionNo => {
            Mag::Digits(a.value).cmp(Mag::Digits(b.value))
        }
        T3::Letter => a.value[0].cmp(&b.value[0]),
        T3::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Order two apk versions as apk-tools 3.x `apk_version_compare` does.
pub fn compare_v3(a: &str, b: &str) -> Result<Ordering, Error> {
    let a = check(a)?;
    let b = check(b)?;
    let (mut pa, mut pb) = (0usize, 0usize);
    let mut ta = token_first3(a, &mut pa);
    let mut tb = token_first3(b, &mut pb);
    while ta.token == tb.token && ta.token < T3::End {
        match token_cmp3(&ta, &tb) {
            Ordering::Equal => {}
            other => return Ok(other),
        }
        token_next3(&mut ta, a, &mut pa);
        token_next3(&mut tb, b, &mut pb);
    }
    if ta.token == tb.token {
        return Ok(Ordering::Equal);
    }
    if ta.token == T3::Suffix && ta.suffix < SUFFIX_NONE {
        return Ok(Ordering::Less);
    }
    if tb.token == T3::Suffix && tb.suffix < SUFFIX_NONE {
        return Ok(Ordering::Greater);
    }
    Ok(tb.token.cmp(&ta.token))
}

/// Whether apk-tools 3.x accepts the version.
pub fn is_valid_v3(s: &str) -> bool {
    let Ok(b) = check(s) else {
        return false;
    };
    let mut p = 0usize;
    let mut t = token_first3(b, &mut p);
    while t.token < T3::End {
        token_next3(&mut t, b, &mut p);
    }
    t.token == T3::End
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn both_algorithms_agree_on_plain_versions() {
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.0.1", Less),
            ("1.2_alpha1", "1.2", Less),
            ("1.2_p1", "1.2", Greater),
            ("1.2_rc1", "1.2_beta9", Greater),
            ("1.2a", "1.2", Greater),
            ("1.2-r1", "1.2", Greater),
            ("1.2-r10", "1.2-r9", Greater),
            ("1.2_git20240101", "1.2_svn20250101", Greater),
        ] {
            assert_eq!(compare_v2(a, b).unwrap(), want, "v2 {a} {b}");
            assert_eq!(compare_v3(a, b).unwrap(), want, "v3 {a} {b}");
        }
    }

    #[test]
    fn where_they_differ() {
        // Zero-padded components: 2.x counts the zeros, 3.x compares strings.
        assert_eq!(compare_v2("8.2.0", "8.2.001").unwrap(), Greater);
        assert_eq!(compare_v3("8.2.0", "8.2.001").unwrap(), Less);
        // Commit hashes only exist in 3.x.
        assert_eq!(compare_v3("1.0~abc1", "1.0~abc2").unwrap(), Less);
        assert!(is_valid_v3("1.0_pre2~12ab-r3"));
        assert!(!is_valid_v2("1.0_pre2~12ab-r3"));
        // A digit after the letter is accepted by 2.x only.
        assert!(is_valid_v2("1.0a1"));
        assert!(!is_valid_v3("1.0a1"));
    }

    #[test]
    fn long_numbers_do_not_overflow() {
        let a = format!("1.{}", "9".repeat(50));
        let b = format!("1.1{}", "0".repeat(50));
        assert_eq!(compare_v2(&a, &b).unwrap(), Less);
        assert_eq!(compare_v3(&a, &b).unwrap(), Less);
        assert_eq!(
            compare("1_p99999999999999999999", "1_p100000000000000000000").unwrap(),
            Less
        );
    }

    #[test]
    fn errors_and_validity() {
        assert!(compare("", "1").is_err());
        assert!(compare("1\0", "1").is_err());
        assert!(is_valid("1.2.3_rc1-r0"));
        assert!(!is_valid("1.2.3-foo"));
        assert!(!is_valid("1.2_foo"));
    }
}
