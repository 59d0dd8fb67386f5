//! PEP 440 version order, as Python's `packaging.version.Version` (packaging 26.x) parses and orders.
//!
//! Hand-written rather than taken from `pep440_rs` (0.7, Astral): that crate stores every number in a
//! `u64` and rejects versions such as `1.18446744073709551616` that `packaging` (Python integers)
//! accepts and orders, and it brings in `serde`, `unscanny`, `unicode-width` and `once_cell`. The
//! grammar is small, so `packaging`'s `VERSION_PATTERN` is transcribed as a deterministic parser
//! (packaging 26 uses possessive quantifiers, so the regex never backtracks into a matched group)
//! and checked against `packaging` in `tests/lang_versions.rs`.
//!
//! Accepted spellings (all normalised the way `packaging` does):
//! - surrounding white space (Python's `str.isspace` set, which includes U+001C..U+001F and U+0085);
//! - an optional `v`/`V` prefix; an epoch `N!`;
//! - a release `N(.N)*`;
//! - a pre-release `[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?N?` (ASCII, any case;
//!   `alpha`→`a`, `beta`→`b`, `c`/`pre`/`preview`→`rc`, missing number = 0);
//! - a post-release `-N` or `[._-]?(post|rev|r)[._-]?N?`;
//! - a dev release `[._-]?dev[._-]?N?`;
//! - a local version `+label([._-]label)*` with ASCII alphanumeric labels.
//!
//! Order (`packaging._cmpkey`): epoch, then the release with trailing zeros removed (`1.0` == `1`),
//! then dev-only releases < `a` < `b` < `rc` < final, post releases after their base, `.devN`
//! before the release it qualifies, then no local < local; local labels compare element-wise with
//! numbers numerically, strings (lower-cased) lexically, and strings before numbers.
//!
//! Numbers have no size limit (they compare as digit strings), except that, like CPython's
//! `int()`, a digit run longer than 4300 digits (leading zeros included) is an error.

use crate::Error;
use std::cmp::Ordering;

const ECO: &str = "pypi";

/// CPython's default `sys.get_int_max_str_digits()`.
const MAX_STR_DIGITS: usize = 4300;

/// A non-negative integer as a digit string without leading zeros (`""` is zero).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num(String);

impl Num {
    fn parse(v: &str, digits: &str) -> Result<Num, Error> {
        if digits.len() > MAX_STR_DIGITS {
            return Err(Error::new(
                ECO,
                v,
                "number exceeds the 4300-digit limit of Python int()",
            ));
        }
        Ok(Num(digits.trim_start_matches('0').to_string()))
    }
    fn zero() -> Num {
        Num(String::new())
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    A = 0,
    B = 1,
    Rc = 2,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LocalPart {
    Num(Num),
    Str(String),
}

impl Ord for LocalPart {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (LocalPart::Num(a), LocalPart::Num(b)) => a.cmp(b),
            (LocalPart::Str(a), LocalPart::Str(b)) => a.cmp(b),
            (LocalPart::Str(_), LocalPart::Num(_)) => Ordering::Less,
            (LocalPart::Num(_), LocalPart::Str(_)) => Ordering::Greater,
        }
    }
}
impl PartialOrd for LocalPart {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed PEP 440 version; `Ord` is `packaging`'s order.
#[derive(Debug, Clone)]
struct Version {
    epoch: Num,
    release: Vec<Num>,
    pre: Option<(Pre, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Option<Vec<LocalPart>>,
}

/// Python's `\s` for `str` patterns (`str.isspace`).
fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1C}'..=' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// A cursor over the ASCII core of the version.
struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn digits(&mut self) -> Option<(usize, usize)> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then_some((start, self.i))
    }
    fn sep(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'_' | b'-')) {
            self.i += 1;
        }
    }
    /// Case-insensitive (ASCII) literal.
    fn word(&mut self, w: &str) -> bool {
        let end = self.i + w.len();
        if end <= self.s.len() && self.s[self.i..end].eq_ignore_ascii_case(w.as_bytes()) {
            self.i = end;
            true
        } else {
            false
        }
    }
    /// First matching alternative, in order (regex alternation).
    fn alt(&mut self, words: &[&'static str]) -> Option<&'static str> {
        words.iter().copied().find(|w| self.word(w))
    }
}

fn parse(v: &str) -> Result<Version, Error> {
    let bad = || Error::new(ECO, v, "invalid version");
    // packaging's fast path: only digits and dots.
    if v.bytes().all(|c| c == b'.' || c.is_ascii_digit()) {
        let mut release = Vec::new();
        for part in v.split('.') {
            if part.is_empty() {
                return Err(bad());
            }
            release.push(Num::parse(v, part)?);
        }
        return Ok(Version {
            epoch: Num::zero(),
            release,
            pre: None,
            post: None,
            dev: None,
            local: None,
        });
    }
    let core = v.trim_start_matches(is_py_space);
    let mut c = Cur {
        s: core.as_bytes(),
        i: 0,
    };
    let text = |(a, b): (usize, usize)| &core[a..b];
    if matches!(c.peek(), Some(b'v' | b'V')) {
        c.i += 1;
    }
    // Epoch.
    let save = c.i;
    let mut epoch = Num::zero();
    match c.digits() {
        Some(d) if c.peek() == Some(b'!') => {
            c.i += 1;
            epoch = Num::parse(v, text(d))?;
        }
        _ => c.i = save,
    }
    // Release.
    let first = c.digits().ok_or_else(bad)?;
    let mut release = vec![Num::parse(v, text(first))?];
    while c.peek() == Some(b'.') && c.s.get(c.i + 1).is_some_and(|d| d.is_ascii_digit()) {
        c.i += 1;
        let d = c.digits().ok_or_else(bad)?;
        release.push(Num::parse(v, text(d))?);
    }
    // Pre-release.
    let save = c.i;
    c.sep();
    let pre = match c.alt(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
        Some(l) => {
            c.sep();
            let n = match c.digits() {
                Some(d) => Num::parse(v, text(d))?,
                None => Num::zero(),
            };
            let kind = match l {
                "alpha" | "a" => Pre::A,
                "beta" | "b" => Pre::B,
                _ => Pre::Rc,
            };
            Some((kind, n))
        }
        None => {
            c.i = save;
            None
        }
    };
    // Post-release: `-N`, else `[._-]?(post|rev|r)[._-]?N?`.
    let save = c.i;
    let mut post = None;
    if c.peek() == Some(b'-') {
        c.i += 1;
        match c.digits() {
            Some(d) => post = Some(Num::parse(v, text(d))?),
            None => c.i = save,
        }
    }
    if post.is_none() {
        c.sep();
        if c.alt(&["post", "rev", "r"]).is_some() {
            c.sep();
            post = Some(match c.digits() {
                Some(d) => Num::parse(v, text(d))?,
                None => Num::zero(),
            });
        } else {
            c.i = save;
        }
    }
    // Dev release.
    let save = c.i;
    c.sep();
    let dev = if c.word("dev") {
        c.sep();
        Some(match c.digits() {
            Some(d) => Num::parse(v, text(d))?,
            None => Num::zero(),
        })
    } else {
        c.i = save;
        None
    };
    // Local version.
    let mut local = None;
    if c.peek() == Some(b'+') {
        let save = c.i;
        c.i += 1;
        let label = |c: &mut Cur| {
            let start = c.i;
            while c.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
                c.i += 1;
            }
            (c.i > start).then_some((start, c.i))
        };
        match label(&mut c) {
            Some(first) => {
                let mut parts = vec![first];
                loop {
                    let before = c.i;
                    if !matches!(c.peek(), Some(b'.' | b'_' | b'-')) {
                        break;
                    }
                    c.i += 1;
                    match label(&mut c) {
                        Some(p) => parts.push(p),
                        None => {
                            c.i = before;
                            break;
                        }
                    }
                }
                let mut out = Vec::with_capacity(parts.len());
                for p in parts {
                    let t = text(p);
                    out.push(if t.bytes().all(|b| b.is_ascii_digit()) {
                        LocalPart::Num(Num::parse(v, t)?)
                    } else {
                        LocalPart::Str(t.to_ascii_lowercase())
                    });
                }
                local = Some(out);
            }
            None => c.i = save,
        }
    }
    // Trailing white space, then the end.
    if !core[c.i..].chars().all(is_py_space) {
        return Err(bad());
    }
    Ok(Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// `packaging._cmpkey` suffix: `(pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)`.
fn suffix(v: &Version) -> (i8, Num, u8, Num, u8, Num) {
    let (pre_rank, pre_n) = match (&v.pre, &v.post, &v.dev) {
        (None, None, Some(_)) => (-1, Num::zero()),
        (None, _, _) => (3, Num::zero()),
        (Some((k, n)), _, _) => (*k as i8, n.clone()),
    };
    let (post_rank, post_n) = match &v.post {
        None => (0, Num::zero()),
        Some(n) => (1, n.clone()),
    };
    let (dev_rank, dev_n) = match &v.dev {
        None => (1, Num::zero()),
        Some(n) => (0, n.clone()),
    };
    (pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)
}

fn trimmed(release: &[Num]) -> &[Num] {
    let mut i = release.len();
    while i > 0 && release[i - 1].is_zero() {
        i -= 1;
    }
    &release[..i]
}

fn cmp_versions(a: &Version, b: &Version) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| trimmed(&a.release).cmp(trimmed(&b.release)))
        .then_with(|| suffix(a).cmp(&suffix(b)))
        .then_with(|| a.local.cmp(&b.local))
}

/// Order two PEP 440 versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    let pa = parse(a)?;
    let pb = parse(b)?;
    Ok(cmp_versions(&pa, &pb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn normalisation() {
        assert_eq!(compare("v1.0", "1.0.0").unwrap(), Equal);
        assert_eq!(compare("1.0alpha1", "1.0a1").unwrap(), Equal);
        assert_eq!(compare("1.0c1", "1.0rc1").unwrap(), Equal);
        assert_eq!(compare("1.0-preview.1", "1.0rc1").unwrap(), Equal);
        assert_eq!(compare("1.0-1", "1.0.post1").unwrap(), Equal);
        assert_eq!(compare("1.0.rev", "1.0.post0").unwrap(), Equal);
        assert_eq!(compare(" 1!2.0.DEV3 ", "1!2.0.dev3").unwrap(), Equal);
        assert_eq!(compare("1.0+Ubuntu-1", "1.0+ubuntu.1").unwrap(), Equal);
    }

    #[test]
    fn order() {
        let chain = [
            "1.0.dev0",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1.dev1",
            "1.0a1.post1",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+abc",
            "1.0+abc.1",
            "1.0+1",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.1",
            "1!0.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(
            compare("1.18446744073709551616", "1.18446744073709551615").unwrap(),
            Greater
        );
    }

    #[test]
    fn invalid() {
        for v in [
            "",
            "1.",
            ".1",
            "1..2",
            "1.0+",
            "1.0-",
            "a",
            "1.0 x",
            "1.0.post.dev.x",
            "1,0",
        ] {
            assert!(compare(v, "1").is_err(), "{v:?}");
        }
    }
}
