//! NuGet version order: `NuGet.Versioning` (`NuGetVersion.TryParse` + `VersionComparer.Default`).
//!
//! Hand-written (no Rust crate implements NuGet.Versioning). There is no .NET on the build machines,
//! so the transcription is checked only against osv-scalibr's NuGet list and the module's own
//! table (`tests/fixtures/lang/nuget-extra.txt`).
//!
//! Parsing, as `NuGetVersion.TryParse` (`ParseSections`, `IsValidPart`):
//! - the string is trimmed (Unicode white space); the version part runs to the first `-` or `+`,
//!   the release labels from that `-` to the next `+`, the metadata after it;
//! - the version part has 1 to 4 dot-separated numbers (`System.Version`; a missing part is 0);
//!   each may carry leading zeros and surrounding ASCII blanks (`int.Parse` allows them);
//! - release labels and metadata parts are non-empty `[0-9A-Za-z-]+`; a digit-only release label
//!   must not have a leading zero.
//!
//! Order: the four numbers, then a release after its pre-releases, then the labels pairwise
//! (numeric labels numerically and before alphanumeric ones, alphanumeric ones ASCII
//! case-insensitively), a longer label list winning a tie; metadata is ignored
//! (`1.0.0+a` == `1.0.0+b`). Labels that `int.TryParse` reads as numbers (`-1`, or digits within
//! `i32`) compare as numbers, like NuGet.
//!
//! One deliberate leniency: version numbers above `i32::MAX`, which NuGet rejects, are accepted and
//! compare numerically (digit strings), as osv-scalibr and the OSV tooling do; NuGet itself never
//! publishes such versions.

use crate::Error;
use std::cmp::Ordering;

const ECO: &str = "nuget";

#[derive(Debug, Clone)]
struct Version {
    /// Four numbers as digit strings without leading zeros.
    nums: [String; 4],
    labels: Vec<String>,
}

fn is_dotnet_blank(c: char) -> bool {
    // NumberStyles.AllowLeadingWhite / AllowTrailingWhite: U+0009..U+000D and U+0020.
    matches!(c, '\t'..='\r' | ' ')
}

fn valid_part(s: &str, allow_leading_zeros: bool) -> bool {
    if s.is_empty() {
        return false;
    }
    let b = s.as_bytes();
    if !allow_leading_zeros && b.len() > 1 && b[0] == b'0' && b[1..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
}

/// `ParseSections`: (version part, release labels, metadata).
fn sections(value: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let b = value.as_bytes();
    let (mut version, mut labels, mut meta) = (None, None, None);
    let (mut dash, mut plus): (Option<usize>, Option<usize>) = (None, None);
    for i in 0..b.len() {
        let end = i == b.len() - 1;
        match (dash, plus) {
            (None, _) => {
                if end || b[i] == b'-' || b[i] == b'+' {
                    let end_pos = i + usize::from(end);
                    version = Some(&value[..end_pos]);
                    dash = Some(i);
                    if b[i] == b'+' {
                        plus = Some(i);
                    }
                }
            }
            (Some(d), None) => {
                if end || b[i] == b'+' {
                    let end_pos = i + usize::from(end);
                    labels = Some(&value[d + 1..end_pos]);
                    plus = Some(i);
                }
            }
            (Some(_), Some(p)) => {
                if end {
                    meta = Some(&value[p + 1..]);
                }
            }
        }
    }
    (version, labels, meta)
}

fn parse(v: &str) -> Result<Version, Error> {
    let bad = || Error::new(ECO, v, "invalid NuGet version");
    let value = v.trim();
    let (version, labels, meta) = sections(value);
    let version = version.filter(|s| !s.is_empty()).ok_or_else(bad)?;
    let parts: Vec<&str> = version.split('.').collect();
    // `System.Version` needs 2..=4 parts; NuGet appends ".0" to a single number.
    if parts.len() > 4 {
        return Err(bad());
    }
    let mut nums: [String; 4] = Default::default();
    for (i, p) in parts.iter().enumerate() {
        let t = p.trim_matches(is_dotnet_blank);
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        nums[i] = t.trim_start_matches('0').to_string();
    }
    let labels: Vec<String> = match labels {
        None => Vec::new(),
        Some(l) => {
            let ls: Vec<&str> = l.split('.').collect();
            if !ls.iter().all(|s| valid_part(s, false)) {
                return Err(bad());
            }
            ls.into_iter().map(str::to_string).collect()
        }
    };
    if let Some(m) = meta
        && !m.split('.').all(|s| valid_part(s, true))
    {
        return Err(bad());
    }
    Ok(Version { nums, labels })
}

/// `int.TryParse` (NumberStyles.Integer, invariant culture) on a label of `[0-9A-Za-z-]`.
fn label_number(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = digits.trim_start_matches('0');
    if t.len() > 10 {
        return None;
    }
    let n: i64 = if t.is_empty() { 0 } else { t.parse().ok()? };
    let n = if neg { -n } else { n };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&n)
        .then_some(n)
}

/// `VersionComparer.CompareRelease`.
fn cmp_label(a: &str, b: &str) -> Ordering {
    match (label_number(a), label_number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

fn cmp_versions(a: &Version, b: &Version) -> Ordering {
    for i in 0..4 {
        let (x, y) = (&a.nums[i], &b.nums[i]);
        let r = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if r != Ordering::Equal {
            return r;
        }
    }
    match (a.labels.is_empty(), b.labels.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (x, y) in a.labels.iter().zip(&b.labels) {
        let r = cmp_label(x, y);
        if r != Ordering::Equal {
            return r;
        }
    }
    a.labels.len().cmp(&b.labels.len())
}

/// Order two NuGet versions.
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
    fn basics() {
        assert_eq!(compare("1", "1.0.0.0").unwrap(), Equal);
        assert_eq!(compare("1.0.01", "1.0.1").unwrap(), Equal);
        assert_eq!(compare("1.0.0-BETA", "1.0.0-beta+x").unwrap(), Equal);
        assert_eq!(compare("1.0.0-2", "1.0.0-10").unwrap(), Less);
        assert_eq!(compare("1.0.0-10", "1.0.0-a").unwrap(), Less);
        assert_eq!(compare("1.0.0-a.-1", "1.0.0-a.0").unwrap(), Less);
        assert_eq!(compare("1.0.0-a", "1.0.0-a.0").unwrap(), Less);
        assert_eq!(compare("1.0.0", "1.0.0-zzz").unwrap(), Greater);
        for bad in [
            "",
            "1.0.0.0.0",
            "1.0-",
            "1.0.0-01",
            "1.0.0-a..b",
            "1.0.0+",
            "a",
            "1.0.0+a+b",
            "-1",
        ] {
            assert!(compare(bad, "1").is_err(), "{bad:?}");
        }
    }
}
