//! Maven version order: `org.apache.maven.artifact.versioning.ComparableVersion` as in maven-artifact
//! 3.9.9 (the current 3.x line; Debian's 3.8.7 package orders every version the tests try the same
//! way).
//!
//! Hand-written: the only crate found, `mvn_version` 0.1 (single author; `num-bigint`, `itertools`),
//! is a port of unknown vintage, while 3.9.9's quirks matter here (e.g. `1.0.0.RC1` == `1.0.0-RC1`,
//! `000000000000` is a `long` zero). The class is ~300 lines, so it is transcribed and checked
//! against the real jar in `tests/lang_versions.rs`. Note that it disagrees with the "version order
//! specification" text of the POM reference (which osv-scalibr follows), e.g. `1-ga-1` < `1-1` here.
//!
//! Parsing (after `toLowerCase(Locale.ENGLISH)`, on UTF-16 code units like Java):
//! - `.` and `-` separate items; an empty item before a separator is `0`; `-` (and a
//!   letter→digit or digit→letter transition) opens a nested list, so the version is a chain of
//!   lists `[1, 0, [alpha, [1]]]`;
//! - digit runs (`Character.isDigit`, i.e. Unicode `Nd`) are numbers: after stripping leading ASCII
//!   `0`s, up to 9 units is an `int` item, up to 18 a `long` item, beyond that a `BigInteger` item;
//!   a shorter kind always sorts before a longer one (so `000000000000` keeps its 12 units and is a
//!   `long` zero, as in 3.9.9);
//! - other runs are qualifiers; `a`, `b`, `m` directly followed by a digit mean `alpha`, `beta`,
//!   `milestone`; `ga`, `final`, `release` mean the empty qualifier and `cr` means `rc`;
//! - every list drops trailing "null" items (`0`, the empty qualifier, empty lists), so
//!   `1` == `1.0` == `1-0` == `1.0.0` == `1-ga` == `1.final`.
//!
//! Order: numbers compare numerically within a kind; qualifiers order `alpha` < `beta` <
//! `milestone` < `rc` = `cr` < `snapshot` < `""` = `ga` = `final` = `release` < `sp` < any other
//! qualifier (those lexically, by UTF-16 unit); a number beats a list beats a qualifier
//! (`1.1` > `1-1` > `1-sp`); a missing item compares as "null" (`1-rc` < `1` < `1-sp` < `1.1`).
//!
//! Every string is a valid Maven version, so this never errors. Differences from the JVM that can
//! only show for non-ASCII input: lower-casing uses Rust's Unicode tables (Unicode 17 with Rust
//! 1.95; Java 17 has Unicode 13 and leaves 95 newer code points as they are), and the digit set is
//! Java 17's `Nd` set for the Basic Multilingual Plane. The chain is walked iteratively, so very
//! long versions cannot exhaust the stack (the JVM can throw `StackOverflowError` on them).

use crate::Error;
use std::cmp::Ordering;

/// Java 17 `Character.isDigit(char)` ranges (Unicode 13 `Nd` in the BMP); each starts at digit zero.
const JAVA_DIGITS: &[(u16, u16)] = &[
    (0x0030, 0x0039),
    (0x0660, 0x0669),
    (0x06F0, 0x06F9),
    (0x07C0, 0x07C9),
    (0x0966, 0x096F),
    (0x09E6, 0x09EF),
    (0x0A66, 0x0A6F),
    (0x0AE6, 0x0AEF),
    (0x0B66, 0x0B6F),
    (0x0BE6, 0x0BEF),
    (0x0C66, 0x0C6F),
    (0x0CE6, 0x0CEF),
    (0x0D66, 0x0D6F),
    (0x0DE6, 0x0DEF),
    (0x0E50, 0x0E59),
    (0x0ED0, 0x0ED9),
    (0x0F20, 0x0F29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x17E0, 0x17E9),
    (0x1810, 0x1819),
    (0x1946, 0x194F),
    (0x19D0, 0x19D9),
    (0x1A80, 0x1A89),
    (0x1A90, 0x1A99),
    (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9),
    (0x1C40, 0x1C49),
    (0x1C50, 0x1C59),
    (0xA620, 0xA629),
    (0xA8D0, 0xA8D9),
    (0xA900, 0xA909),
    (0xA9D0, 0xA9D9),
    (0xA9F0, 0xA9F9),
    (0xAA50, 0xAA59),
    (0xABF0, 0xABF9),
    (0xFF10, 0xFF19),
];

/// The decimal value of a Java digit code unit.
fn java_digit(c: u16) -> Option<u8> {
    if (0x30..=0x39).contains(&c) {
        return Some((c - 0x30) as u8);
    }
    JAVA_DIGITS
        .iter()
        .find(|(lo, hi)| (*lo..=*hi).contains(&c))
        .map(|(lo, _)| (c - lo) as u8)
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// Index of `""` in [`QUALIFIERS`].
const RELEASE_INDEX: usize = 5;

#[derive(Debug, Clone)]
enum Item {
    /// `IntItem` (0), `LongItem` (1) or `BigIntegerItem` (2), with the value's decimal digits
    /// (no leading zeros; empty for zero).
    Num { kind: u8, digits: Vec<u8> },
    /// `StringItem`: the qualifier after alias resolution.
    Str(String),
}

impl Item {
    fn number(units: &[u16]) -> Item {
        // stripLeadingZeroes: strip ASCII '0's, but an all-'0' run is kept whole.
        let first = units.iter().position(|&c| c != u16::from(b'0'));
        let kept = match first {
            Some(i) => &units[i..],
            None if units.is_empty() => &[u16::from(b'0')][..],
            None => units,
        };
        let kind = match kept.len() {
            0..=9 => 0,
            10..=18 => 1,
            _ => 2,
        };
        let mut digits: Vec<u8> = kept.iter().map(|&c| java_digit(c).unwrap_or(0)).collect();
        let nz = digits.iter().position(|&d| d != 0).unwrap_or(digits.len());
        digits.drain(..nz);
        Item::Num { kind, digits }
    }

    fn qualifier(units: &[u16], followed_by_digit: bool) -> Item {
        let mut s = String::from_utf16_lossy(units);
        if followed_by_digit && units.len() == 1 {
            match s.as_str() {
                "a" => s = "alpha".into(),
                "b" => s = "beta".into(),
                "m" => s = "milestone".into(),
                _ => {}
            }
        }
        let s = match s.as_str() {
            "ga" | "final" | "release" => String::new(),
            "cr" => "rc".into(),
            _ => s,
        };
        Item::Str(s)
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Num { digits, .. } => digits.is_empty(),
            Item::Str(s) => s.is_empty(),
        }
    }

    /// `compareTo(null)`.
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Num { digits, .. } => {
                if digits.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => match QUALIFIERS.iter().position(|q| q == s) {
                Some(i) => i.cmp(&RELEASE_INDEX),
                None => Ordering::Greater,
            },
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        match (self, other) {
            (
                Item::Num {
                    kind: k1,
                    digits: d1,
                },
                Item::Num {
                    kind: k2,
                    digits: d2,
                },
            ) => k1
                .cmp(k2)
                .then_with(|| d1.len().cmp(&d2.len()))
                .then_with(|| d1.cmp(d2)),
            (Item::Num { .. }, Item::Str(_)) => Ordering::Greater,
            (Item::Str(_), Item::Num { .. }) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => cmp_qualifiers(a, b),
        }
    }

    /// `compareTo(ListItem)`: a number beats a list, a list beats a qualifier.
    fn cmp_list(&self) -> Ordering {
        match self {
            Item::Num { .. } => Ordering::Greater,
            Item::Str(_) => Ordering::Less,
        }
    }
}

/// `comparableQualifier(a).compareTo(comparableQualifier(b))`: known qualifiers by index, then
/// unknown ones (`"7-" + q`) by UTF-16 code unit.
fn cmp_qualifiers(a: &str, b: &str) -> Ordering {
    let ia = QUALIFIERS.iter().position(|q| *q == a);
    let ib = QUALIFIERS.iter().position(|q| *q == b);
    match (ia, ib) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.encode_utf16().cmp(b.encode_utf16()),
    }
}

/// `String.toLowerCase(Locale.ENGLISH)` as Java 17 does it. Rust's `str::to_lowercase` differs on one
/// context-sensitive mapping: GREEK CAPITAL SIGMA becomes final sigma `ς` only when a cased letter
/// precedes it and no cased letter follows it within the same word, where Java's word iterator does
/// not break at `-`, `.`, `'` or digits (measured against Java 17: `AΣ-A` → `aσ-a`, `AΣ-1` → `aς-1`,
/// `AΣ b` → `aς b`); a whitespace ends the word.
fn java_lowercase(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let cased = |c: char| c.is_lowercase() || c.is_uppercase();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c != '\u{03A3}' {
            out.extend(c.to_lowercase());
            continue;
        }
        let before = chars[..i]
            .iter()
            .rev()
            .take_while(|c| !c.is_whitespace())
            .any(|&c| cased(c));
        let after = chars[i + 1..]
            .iter()
            .take_while(|c| !c.is_whitespace())
            .any(|&c| cased(c));
        out.push(if before && !after {
            '\u{03C2}'
        } else {
            '\u{03C3}'
        });
    }
    out
}

/// The parsed version: a chain of lists. List `k` holds `lists[k]` followed, when `k + 1 <
/// lists.len()`, by list `k + 1` as its last element.
#[derive(Debug, Clone)]
struct Version {
    lists: Vec<Vec<Item>>,
}

impl Version {
    fn parse(version: &str) -> Version {
        let lower = java_lowercase(version);
        let v: Vec<u16> = lower.encode_utf16().collect();
        let mut lists: Vec<Vec<Item>> = vec![Vec::new()];
        let mut is_digit = false;
        let mut start = 0usize;
        let is_java_digit = |c: u16| java_digit(c).is_some();
        let parse_item = |is_digit: bool, buf: &[u16]| {
            if is_digit {
                Item::number(buf)
            } else {
                Item::qualifier(buf, false)
            }
        };
        for i in 0..v.len() {
            let c = v[i];
            if c == u16::from(b'.') {
                let item = if i == start {
                    Item::Num {
                        kind: 0,
                        digits: Vec::new(),
                    }
                } else {
                    parse_item(is_digit, &v[start..i])
                };
                lists.last_mut().expect("non-empty").push(item);
                start = i + 1;
            } else if c == u16::from(b'-') {
                let item = if i == start {
                    Item::Num {
                        kind: 0,
                        digits: Vec::new(),
                    }
                } else {
                    parse_item(is_digit, &v[start..i])
                };
                lists.last_mut().expect("non-empty").push(item);
                start = i + 1;
                lists.push(Vec::new());
            } else if is_java_digit(c) {
                if !is_digit && i > start {
                    // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X
                    if !lists.last().expect("non-empty").is_empty() {
                        lists.push(Vec::new());
                    }
                    let q = Item::qualifier(&v[start..i], true);
                    lists.last_mut().expect("non-empty").push(q);
                    start = i;
                    lists.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    let n = parse_item(true, &v[start..i]);
                    lists.last_mut().expect("non-empty").push(n);
                    start = i;
                    lists.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if v.len() > start {
            if !is_digit && !lists.last().expect("non-empty").is_empty() {
                lists.push(Vec::new());
            }
            let item = parse_item(is_digit, &v[start..]);
            lists.last_mut().expect("non-empty").push(item);
        }
        // normalize(), innermost list first: drop an empty child list, then trailing null items.
        // A child list is null (removable) only when it holds nothing, not even a child of its own.
        for k in (0..lists.len()).rev() {
            if k + 2 == lists.len() && lists[k + 1].is_empty() {
                lists.pop();
            }
            let list = &mut lists[k];
            while list.last().is_some_and(Item::is_null) {
                list.pop();
            }
        }
        Version { lists }
    }

    fn len(&self, k: usize) -> usize {
        self.lists[k].len() + usize::from(k + 1 < self.lists.len())
    }

    /// `ListItem.compareTo(null)` for list `k`.
    fn cmp_null(&self, mut k: usize) -> Ordering {
        loop {
            for item in &self.lists[k] {
                let r = item.cmp_null();
                if r != Ordering::Equal {
                    return r;
                }
            }
            if k + 1 < self.lists.len() {
                k += 1;
            } else {
                return Ordering::Equal;
            }
        }
    }
}

/// `ListItem.compareTo(ListItem)` from the roots, walking the chains iteratively.
fn cmp_versions(a: &Version, b: &Version) -> Ordering {
    let (mut ka, mut kb) = (0usize, 0usize);
    'outer: loop {
        let (la, lb) = (a.len(ka), b.len(kb));
        for i in 0..la.max(lb) {
            let ea = (i < la).then(|| a.lists[ka].get(i));
            let eb = (i < lb).then(|| b.lists[kb].get(i));
            // Some(Some(item)) = item, Some(None) = the child list, None = missing.
            let r = match (ea, eb) {
                (Some(Some(x)), Some(Some(y))) => x.cmp_item(y),
                (Some(Some(x)), Some(None)) => x.cmp_list(),
                (Some(None), Some(Some(y))) => y.cmp_list().reverse(),
                (Some(None), Some(None)) => {
                    // Both child lists are the last elements: the result is theirs.
                    ka += 1;
                    kb += 1;
                    continue 'outer;
                }
                (Some(Some(x)), None) => x.cmp_null(),
                (Some(None), None) => a.cmp_null(ka + 1),
                (None, Some(Some(y))) => y.cmp_null().reverse(),
                (None, Some(None)) => b.cmp_null(kb + 1).reverse(),
                (None, None) => Ordering::Equal,
            };
            if r != Ordering::Equal {
                return r;
            }
        }
        return Ordering::Equal;
    }
}

/// Order two Maven versions. Never fails: every string is a Maven version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, Error> {
    Ok(cmp_versions(&Version::parse(a), &Version::parse(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_sigma_as_java() {
        // Expected values printed by Java 17's String.toLowerCase(Locale.ENGLISH).
        for (input, want) in [
            ("AΣ", "aς"),
            ("AΣ-A", "aσ-a"),
            ("AΣ.A", "aσ.a"),
            ("AΣ-", "aς-"),
            ("AΣ1", "aς1"),
            ("Σ", "σ"),
            ("1Σ", "1σ"),
            ("AΣ b", "aς b"),
            ("AΣ-AΣ", "aσ-aς"),
            ("aΣΣ", "aσς"),
            ("xAΣ-1", "xaς-1"),
        ] {
            assert_eq!(java_lowercase(input), want, "{input}");
        }
        assert_eq!(compare("1.0-AΣ-AΣ", "1.0-Aσ").unwrap(), Ordering::Greater);
    }
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn qualifier_order() {
        let chain = [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(c(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        for (x, y) in [
            ("1", "1.0.0"),
            ("1-ga", "1"),
            ("1.final", "1"),
            ("1-release", "1"),
            ("1cr1", "1rc1"),
            ("1a1", "1-alpha-1"),
        ] {
            assert_eq!(c(x, y), Equal, "{x} = {y}");
        }
        assert_eq!(c("1-1", "1-ga-1"), Greater);
        assert_eq!(c("1.000000000000.1", "1.0.1"), Greater);
    }

    #[test]
    fn deep_nesting_is_fine() {
        let v = "1-".repeat(100_000);
        assert_eq!(c(&v, &v), Equal);
    }
}
