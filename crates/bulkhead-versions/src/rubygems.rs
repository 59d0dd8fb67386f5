//! RubyGems version order: `Gem::Version#<=>` (rubygems 3.3, `lib/rubygems/version.rb`).
//!
//! Hand-written (no maintained crate implements `Gem::Version`); checked against Ruby's own
//! `Gem::Version` in `tests/lang_versions.rs`.
//!
//! - Valid versions match `\A\s*([0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z`
//!   (`\s` is ASCII white space); a blank string means `0`.
//! - After stripping, every `-` becomes `.pre.`, and the segments are the runs of ASCII digits
//!   (numbers of any size) and ASCII letters (case kept); everything else separates.
//! - Trailing zeros are dropped separately from the numeric prefix and from the part that starts at
//!   the first letter segment (`1.0.a.0` == `1.a`).
//! - Segments compare pairwise, a missing one counting as `0`: numbers numerically, strings
//!   byte-wise, and a string sorts before a number (`1.a` < `1` < `1.0.1`).

use crate::Error;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Digits without leading zeros (`""` is zero).
    Num(String),
    Str(String),
}

impl Seg {
    fn is_zero(&self) -> bool {
        matches!(self, Seg::Num(d) if d.is_empty())
    }
}

fn is_ruby_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// `Gem::Version.correct?` on the stripped string (ASCII only by construction).
fn well_formed(s: &[u8]) -> bool {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    while i < s.len() && s[i] == b'.' {
        let start = i + 1;
        let mut j = start;
        while j < s.len() && s[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == start {
            break;
        }
        i = j;
    }
    if i < s.len() && s[i] == b'-' {
        // -[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*
        let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
        let mut j = i + 1;
        loop {
            let start = j;
            while j < s.len() && ident(s[j]) {
                j += 1;
            }
            if j == start {
                return false;
            }
            if j < s.len() && s[j] == b'.' {
                j += 1;
            } else {
                break;
            }
        }
        i = j;
    }
    i == s.len()
}

/// `canonical_segments`, plus the stripped `@version` string.
fn parse(v: &str) -> Result<(String, Vec<Seg>), Error> {
    let b = v.as_bytes();
    let start = b.iter().position(|&c| !is_ruby_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_ruby_space(c))
        .map_or(start, |e| e + 1);
    let core = &v[start..end];
    if core.is_empty() {
        return Ok(("0".to_string(), vec![]));
    }
    if !well_formed(core.as_bytes()) {
        return Err(Error::new("rubygems", v, "malformed version number string"));
    }
    let version = core.replace('-', ".pre.");
    let mut segs = Vec::new();
    let vb = version.as_bytes();
    let mut i = 0;
    while i < vb.len() {
        let c = vb[i];
        if c.is_ascii_digit() || c.is_ascii_alphabetic() {
            let digit = c.is_ascii_digit();
            let s = i;
            while i < vb.len()
                && (if digit {
                    vb[i].is_ascii_digit()
                } else {
                    vb[i].is_ascii_alphabetic()
                })
            {
                i += 1;
            }
            let run = &version[s..i];
            segs.push(if digit {
                Seg::Num(run.trim_start_matches('0').to_string())
            } else {
                Seg::Str(run.to_string())
            });
        } else {
            i += 1;
        }
    }
    // _split_segments, then drop trailing zeros of each part.
    let split = segs
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(segs.len());
    let mut strings = segs.split_off(split);
    while segs.last().is_some_and(Seg::is_zero) {
        segs.pop();
    }
    while strings.last().is_some_and(Seg::is_zero) {
        strings.pop();
    }
    segs.extend(strings);
    Ok((version, segs))
}

fn cmp_seg(a: &Seg, b: &Seg) -> Ordering {
    match (a, b) {
        (Seg::Num(x), Seg::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Seg::Str(x), Seg::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
        (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
    }
}

/// Order two RubyGems versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    let (va, sa) = parse(a)?;
    let (vb, sb) = parse(b)?;
    if va == vb || sa == sb {
        return Ok(Ordering::Equal);
    }
    let zero = Seg::Num(String::new());
    for i in 0..sa.len().max(sb.len()) {
        let l = sa.get(i).unwrap_or(&zero);
        let r = sb.get(i).unwrap_or(&zero);
        if l == r {
            continue;
        }
        return Ok(cmp_seg(l, r));
    }
    Ok(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn basics() {
        assert_eq!(compare("1.0.a.0", "1.a").unwrap(), Equal);
        assert_eq!(compare("1.a", "1").unwrap(), Less);
        assert_eq!(compare("1-1", "1.pre.1").unwrap(), Equal);
        assert_eq!(compare("1.0-rc1", "1.0").unwrap(), Less);
        assert_eq!(compare(" ", "0").unwrap(), Equal);
        assert_eq!(compare("1.0.B", "1.0.a").unwrap(), Less);
        assert_eq!(
            compare("99999999999999999999999", "99999999999999999999998").unwrap(),
            Greater
        );
        for bad in ["1.", "a", "1..2", "1-", "1 2", "1.0-a..b", "1.0\0"] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
        }
    }
}
