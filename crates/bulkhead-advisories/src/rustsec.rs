//! Importer for the RustSec advisory database (github.com/rustsec/advisory-db): files
//! `crates/<crate>/RUSTSEC-YYYY-NNNN.md`, Markdown with TOML front matter in a fenced block:
//!
//! ````text
//! ```toml
//! [advisory]
//! id = "RUSTSEC-2021-0132"
//! package = "compu-brotli-sys"
//! date = "2021-12-20"
//! aliases = ["CVE-2020-8927"]
//! informational = "unmaintained"   # optional: unmaintained, unsound, notice
//! withdrawn = "2022-01-01"          # optional
//!
//! [affected]                        # optional: functions, os, arch
//!
//! [versions]
//! patched = [">= 1.0.9"]
//! unaffected = ["< 0.2"]
//! ```
//!
//! # Title (the summary)
//!
//! Description (the details).
//! ````
//!
//! Converted as the `rustsec` crate's OSV export (`rustsec::osv::OsvAdvisory::from_rustsec`) does,
//! which is what osv.dev serves for crates.io: ecosystem `crates.io`, purl `pkg:cargo/NAME`, one
//! `SEMVER` range, `published` and `withdrawn` at 12:00 UTC of their dates, references (crates.io page,
//! rustsec.org page, `url`, `references`) typed as the export guesses them, `affected[]
//! .ecosystem_specific.affects` (`arch`, `os`, `functions`), `affected[].database_specific`
//! (`categories`, `cvss`, `informational`), severity `CVSS_V3` (or `CVSS_V4`) from `cvss`. Informational
//! advisories are imported like the others (their kind is in `database_specific.informational`, at the
//! record level too, with `keywords`, `license` and `source`).
//!
//! Ranges (`rustsec::osv::ranges_for_advisory`): every `patched` and `unaffected` requirement is a
//! range of *unaffected* versions (`>= 1.2, < 1.3` → [1.2.0, 1.3.0); `^1.2.3` → [1.2.3, 2.0.0-0);
//! `~1.2` → [1.2.0, 1.3.0-0); `=1.2` and `1.2.3`-with-`=` → that single version; a bare `1.2.3` is a
//! caret requirement, as Cargo reads it). They must not overlap; sorted, the gaps between them are the
//! affected ranges: `introduced` = the end of one unaffected range (or `0.0.0-0`), `fixed` = the
//! start of the next. An exclusive bound `v` is moved to the lowest version above it, `v.patch+1-0`
//! (`v-pre.0` for a pre-release, where the rustsec crate has a `todo!()`). No requirement at all:
//! every version is affected (`introduced: 0.0.0-0`). Empty gaps (back-to-back ranges) are dropped.
//! Requirements the rustsec crate refuses (more than two comparators, two lower bounds, `*`-wildcards,
//! overlapping ranges) make the advisory an import error.

use std::fmt::Write as _;

use semver::{BuildMetadata, Comparator, Op, Prerelease, Version, VersionReq};
use serde_json::{Map, Value, json};
use toml::Table;

use crate::osv::{Affected, Event, Package, Range, RangeType, Record, Reference, Severity};

/// Largest advisory file read (the biggest real one is ~20 KiB).
pub const MAX_ADVISORY_BYTES: usize = 1 << 20;
/// Most `patched` + `unaffected` requirements in one advisory (the check for overlaps is quadratic).
pub const MAX_REQUIREMENTS: usize = 256;
/// The `introduced` event of a range open at the bottom (what the rustsec export writes).
pub const LOWEST: &str = "0.0.0-0";
const ECOSYSTEM: &str = "crates.io";

/// Why an advisory could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AdvisoryError(String);

impl AdvisoryError {
    fn new(s: impl Into<String>) -> Self {
        AdvisoryError(s.into())
    }
}

/// Whether a file name is a RustSec advisory: `RUSTSEC-*.md`.
pub fn is_advisory_file_name(name: &str) -> bool {
    name.len() > "RUSTSEC-.md".len() && name.starts_with("RUSTSEC-") && name.ends_with(".md")
}

/// Split an advisory into its TOML front matter and its Markdown body. The file must start (after
/// blank lines) with a line "```toml"; the TOML ends at the next line "```".
pub fn split(text: &str) -> Result<(&str, &str), AdvisoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.trim_start();
    let after = start.strip_prefix("```toml").ok_or_else(|| {
        AdvisoryError::new("no TOML front matter (the file must start with a ```toml line)")
    })?;
    let (first, mut rest) = after.split_once('\n').unwrap_or((after, ""));
    if !first.trim().is_empty() {
        return Err(AdvisoryError::new("text after ```toml on its line"));
    }
    let toml_start = rest;
    let mut offset = 0;
    while !rest.is_empty() {
        let (line, next) = rest.split_once('\n').unwrap_or((rest, ""));
        if line.trim_end() == "```" {
            return Ok((&toml_start[..offset], next));
        }
        offset += rest.len() - next.len();
        rest = next;
    }
    Err(AdvisoryError::new(
        "unterminated TOML front matter (no closing ``` line)",
    ))
}

/// Convert one advisory file. `modified` is the record's `modified` (the importer passes the file's
/// modification time; without it the publication date is used).
pub fn parse(bytes: &[u8], modified: Option<&str>) -> Result<Record, AdvisoryError> {
    if bytes.len() > MAX_ADVISORY_BYTES {
        return Err(AdvisoryError::new(format!(
            "refused: {} bytes, more than the limit of {MAX_ADVISORY_BYTES} for an advisory",
            bytes.len()
        )));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|e| AdvisoryError::new(format!("not UTF-8: {e}")))?;
    let (front, body) = split(text)?;
    let table: Table = toml::from_str(front).map_err(|e| toml_error(front, &e))?;
    convert(&table, body, modified)
}

fn toml_error(front: &str, e: &toml::de::Error) -> AdvisoryError {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let upto = front.get(..span.start.min(front.len())).unwrap_or("");
            // +1 for the ```toml line.
            let line = upto.matches('\n').count() + 2;
            AdvisoryError::new(format!("invalid TOML front matter (line {line}): {msg}"))
        }
        None => AdvisoryError::new(format!("invalid TOML front matter: {msg}")),
    }
}

/// Convert parsed front matter and the Markdown body.
fn convert(table: &Table, body: &str, modified: Option<&str>) -> Result<Record, AdvisoryError> {
    let advisory = match table.get("advisory") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(AdvisoryError::new("`[advisory]` is not a table")),
        None => return Err(AdvisoryError::new("no `[advisory]` table")),
    };
    let field = |key: &str| string(advisory, "advisory", key);
    let list = |key: &str| strings(advisory, "advisory", key);
    let id = field("id")?.ok_or_else(|| AdvisoryError::new("no `advisory.id`"))?;
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(AdvisoryError::new(format!(
            "invalid `advisory.id` {:?}",
            bounded(&id)
        )));
    }
    let package = field("package")?.ok_or_else(|| AdvisoryError::new("no `advisory.package`"))?;
    if package.is_empty()
        || package.len() > 256
        || package.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AdvisoryError::new(format!(
            "invalid `advisory.package` {:?}",
            bounded(&package)
        )));
    }
    let date = field("date")?.ok_or_else(|| AdvisoryError::new("no `advisory.date`"))?;
    let published = noon(&date).ok_or_else(|| {
        AdvisoryError::new(format!("invalid `advisory.date` {:?}", bounded(&date)))
    })?;
    let withdrawn = match field("withdrawn")? {
        None => None,
        Some(d) => Some(noon(&d).ok_or_else(|| {
            AdvisoryError::new(format!("invalid `advisory.withdrawn` {:?}", bounded(&d)))
        })?),
    };
    let informational = field("informational")?;
    let cvss = field("cvss")?;
    let categories = list("categories")?;
    let keywords = list("keywords")?;
    let license = field("license")?.unwrap_or_else(|| "CC0-1.0".to_string());

    // `[versions]`, or the V1 `advisory.patched_versions` / `unaffected_versions`.
    let (patched, unaffected) = match table.get("versions") {
        Some(toml::Value::Table(v)) => (
            strings(v, "versions", "patched")?,
            strings(v, "versions", "unaffected")?,
        ),
        Some(_) => return Err(AdvisoryError::new("`[versions]` is not a table")),
        None => (list("patched_versions")?, list("unaffected_versions")?),
    };
    let events = affected_events(&patched, &unaffected)?;

    let (arch, os, functions) = match table.get("affected") {
        None => (Vec::new(), Vec::new(), Vec::new()),
        Some(toml::Value::Table(a)) => {
            let functions = match a.get("functions") {
                None => Vec::new(),
                Some(toml::Value::Table(f)) => f.keys().cloned().collect(),
                Some(_) => return Err(AdvisoryError::new("`affected.functions` is not a table")),
            };
            (
                strings(a, "affected", "arch")?,
                strings(a, "affected", "os")?,
                functions,
            )
        }
        Some(_) => return Err(AdvisoryError::new("`[affected]` is not a table")),
    };

    let (title, description) = title_and_description(body);
    let summary = title.or(field("title")?).filter(|s| !s.is_empty());
    let details = description
        .or(field("description")?)
        .filter(|s| !s.is_empty());

    let mut urls = vec![
        format!("https://crates.io/crates/{package}"),
        format!("https://rustsec.org/advisories/{id}.html"),
    ];
    urls.extend(field("url")?);
    urls.extend(list("references")?);
    let mut references: Vec<Reference> = Vec::new();
    for url in urls {
        let url = url.trim().to_string();
        if !url.is_empty() && !references.iter().any(|r| r.url == url) {
            references.push(Reference {
                kind: guess_url_kind(&url).into(),
                url,
            });
        }
    }

    let severity = cvss
        .as_deref()
        .and_then(|v| {
            let kind = if v.starts_with("CVSS:3.") {
                "CVSS_V3"
            } else if v.starts_with("CVSS:4.") {
                "CVSS_V4"
            } else {
                return None;
            };
            Some(Severity {
                kind: kind.into(),
                score: v.to_string(),
            })
        })
        .into_iter()
        .collect();

    let purl = package
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        .then(|| format!("pkg:cargo/{package}"));
    let affected = Affected {
        package: Some(Package {
            ecosystem: ECOSYSTEM.into(),
            name: package.clone(),
            purl,
        }),
        ranges: vec![Range {
            kind: RangeType::Semver,
            repo: None,
            events,
            database_specific: None,
        }],
        ecosystem_specific: Some(json!({
            "affects": { "arch": arch, "os": os, "functions": functions }
        })),
        database_specific: Some(json!({
            "categories": categories,
            "cvss": cvss,
            "informational": informational,
        })),
        ..Default::default()
    };
    let mut db = Map::new();
    db.insert("source".into(), json!("rustsec-advisory-db"));
    db.insert("license".into(), json!(license));
    if let Some(i) = &informational {
        db.insert("informational".into(), json!(i));
    }
    if !keywords.is_empty() {
        db.insert("keywords".into(), json!(keywords));
    }
    Ok(Record {
        id,
        modified: Some(
            modified
                .map(str::to_string)
                .unwrap_or_else(|| published.clone()),
        ),
        published: Some(published),
        withdrawn,
        aliases: list("aliases")?,
        related: list("related")?,
        summary,
        details,
        severity,
        affected: vec![affected],
        references,
        database_specific: Some(Value::Object(db)),
        ..Default::default()
    })
}

/// The first `# ` heading of the body and the text after it (each trimmed); `None`s without one.
fn title_and_description(body: &str) -> (Option<String>, Option<String>) {
    let mut rest = body;
    while !rest.is_empty() {
        let (line, next) = rest.split_once('\n').unwrap_or((rest, ""));
        if let Some(title) = line.trim_start().strip_prefix("# ") {
            let details = next.trim();
            return (
                Some(title.trim().to_string()),
                (!details.is_empty()).then(|| details.to_string()),
            );
        }
        rest = next;
    }
    let whole = body.trim();
    (None, (!whole.is_empty()).then(|| whole.to_string()))
}

/// `YYYY-MM-DD` → `YYYY-MM-DDT12:00:00Z` (the rustsec export's time of day).
fn noon(date: &str) -> Option<String> {
    let mut parts = date.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}T12:00:00Z",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

fn string(t: &Table, section: &str, key: &str) -> Result<Option<String>, AdvisoryError> {
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(toml::Value::Datetime(d)) => Ok(Some(d.to_string())),
        Some(_) => Err(AdvisoryError::new(format!(
            "`{section}.{key}` must be a string"
        ))),
    }
}

/// A list of strings (a single string is taken as a list of one).
fn strings(t: &Table, section: &str, key: &str) -> Result<Vec<String>, AdvisoryError> {
    match t.get(key) {
        None => Ok(Vec::new()),
        Some(toml::Value::String(s)) => Ok(vec![s.trim().to_string()]),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                toml::Value::String(s) => Ok(s.trim().to_string()),
                _ => Err(AdvisoryError::new(format!(
                    "`{section}.{key}` must be a list of strings"
                ))),
            })
            .collect(),
        Some(_) => Err(AdvisoryError::new(format!(
            "`{section}.{key}` must be a list of strings"
        ))),
    }
}

/// As the rustsec export guesses a reference's type.
fn guess_url_kind(url: &str) -> &'static str {
    if (url.contains("://github.com/") || url.contains("://gitlab.")) && url.contains("/issues/") {
        "REPORT"
    } else if url.contains("/advisories/") || url.contains("://cve.mitre.org/") {
        "ADVISORY"
    } else if url.contains("://crates.io/crates/") {
        "PACKAGE"
    } else {
        "WEB"
    }
}

fn bounded(s: &str) -> String {
    s.chars().take(80).collect()
}

// ---------------------------------------------------------------------------------------------
// Requirements → OSV events
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Unbounded,
    Exclusive(Version),
    Inclusive(Version),
}

impl Bound {
    fn version(&self) -> Option<&Version> {
        match self {
            Bound::Unbounded => None,
            Bound::Exclusive(v) | Bound::Inclusive(v) => Some(v),
        }
    }
}

/// `start <= end`, `start` being a range's lower bound and `end` a range's upper bound.
fn start_le_end(start: &Bound, end: &Bound) -> bool {
    match (start.version(), end.version()) {
        (None, _) | (_, None) => true,
        (Some(s), Some(e)) => {
            s < e || (s == e && matches!((start, end), (Bound::Inclusive(_), Bound::Inclusive(_))))
        }
    }
}

/// A range of unaffected versions, from one requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unaffected {
    start: Bound,
    end: Bound,
    text: String,
}

impl Unaffected {
    fn overlaps(&self, other: &Unaffected) -> bool {
        start_le_end(&self.start, &other.end) && start_le_end(&other.start, &self.end)
    }
}

fn comparator_version(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: BuildMetadata::EMPTY,
    }
}

fn lowest_pre() -> Prerelease {
    Prerelease::new("0").expect("`0` is a valid pre-release")
}

fn overflow(text: &str) -> AdvisoryError {
    AdvisoryError::new(format!("version requirement {text:?}: number too large"))
}

/// One requirement (`>= 1.2.3, < 1.3`, `^0.9`, …) as a range of unaffected versions.
fn unaffected_range(text: &str) -> Result<Unaffected, AdvisoryError> {
    let bad =
        |why: &str| AdvisoryError::new(format!("version requirement {:?}: {why}", bounded(text)));
    let req = VersionReq::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if req.comparators.len() > 2 {
        return Err(bad("more than two comparators"));
    }
    let alone = req.comparators.len() == 1;
    let mut start = Bound::Unbounded;
    let mut end = Bound::Unbounded;
    for c in &req.comparators {
        let v = comparator_version(c);
        match c.op {
            Op::Greater | Op::GreaterEq => {
                if start != Bound::Unbounded {
                    return Err(bad("more than one lower bound"));
                }
                start = if c.op == Op::Greater {
                    Bound::Exclusive(v)
                } else {
                    Bound::Inclusive(v)
                };
            }
            Op::Less | Op::LessEq => {
                if end != Bound::Unbounded {
                    return Err(bad("more than one upper bound"));
                }
                end = if c.op == Op::Less {
                    Bound::Exclusive(v)
                } else {
                    Bound::Inclusive(v)
                };
            }
            Op::Exact => {
                if !alone {
                    return Err(bad("an exact version must be alone in its requirement"));
                }
                start = Bound::Inclusive(v.clone());
                end = Bound::Inclusive(v);
            }
            Op::Caret => {
                if !alone {
                    return Err(bad("a caret requirement must be alone"));
                }
                let inc = |n: u64| n.checked_add(1).ok_or_else(|| overflow(text));
                let mut upper = if c.major == 0 {
                    match (c.minor, c.patch) {
                        (Some(0), Some(patch)) => Version::new(0, 0, inc(patch)?),
                        (Some(minor), _) => Version::new(0, inc(minor)?, 0),
                        (None, None) => Version::new(1, 0, 0),
                        (None, Some(_)) => return Err(bad("patch without minor")),
                    }
                } else {
                    Version::new(inc(c.major)?, 0, 0)
                };
                upper.pre = lowest_pre();
                start = Bound::Inclusive(v);
                end = Bound::Exclusive(upper);
            }
            Op::Tilde => {
                if !alone {
                    return Err(bad("a tilde requirement must be alone"));
                }
                let inc = |n: u64| n.checked_add(1).ok_or_else(|| overflow(text));
                let mut upper = match (c.minor, c.patch) {
                    (None, None) => Version::new(inc(c.major)?, 0, 0),
                    (Some(minor), _) => Version::new(c.major, inc(minor)?, 0),
                    (None, Some(_)) => return Err(bad("patch without minor")),
                };
                upper.pre = lowest_pre();
                start = Bound::Inclusive(v);
                end = Bound::Exclusive(upper);
            }
            _ => return Err(bad(&format!("unsupported operator in `{c}`"))),
        }
    }
    if !start_le_end(&start, &end) {
        return Err(bad("empty range (lower bound above upper bound)"));
    }
    Ok(Unaffected {
        start,
        end,
        text: text.trim().to_string(),
    })
}

/// The lowest version above `v` in SemVer 2.0 precedence: `1.2.3` → `1.2.4-0`, `1.2.3-rc.1` →
/// `1.2.3-rc.1.0`. Build metadata is dropped.
fn increment(v: &Version) -> Result<Version, AdvisoryError> {
    let mut v = v.clone();
    v.build = BuildMetadata::EMPTY;
    if v.pre.is_empty() {
        v.patch = v
            .patch
            .checked_add(1)
            .ok_or_else(|| overflow(&v.to_string()))?;
        v.pre = lowest_pre();
    } else {
        v.pre = Prerelease::new(&format!("{}.0", v.pre))
            .map_err(|e| AdvisoryError::new(format!("pre-release of {v}: {e}")))?;
    }
    Ok(v)
}

/// The OSV `SEMVER` events of an advisory's `patched` and `unaffected` requirements (see the module
/// docs): pairs `introduced`, `fixed` (the last `fixed` may be missing), in version order.
pub fn affected_events(
    patched: &[String],
    unaffected: &[String],
) -> Result<Vec<Event>, AdvisoryError> {
    if patched.len() + unaffected.len() > MAX_REQUIREMENTS {
        return Err(AdvisoryError::new(format!(
            "more than {MAX_REQUIREMENTS} version requirements"
        )));
    }
    let mut ranges = Vec::with_capacity(patched.len() + unaffected.len());
    for text in unaffected.iter().chain(patched) {
        ranges.push(unaffected_range(text)?);
    }
    if ranges.is_empty() {
        return Ok(vec![Event::Introduced(LOWEST.into())]);
    }
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            if a.overlaps(b) {
                return Err(AdvisoryError::new(format!(
                    "version requirements {:?} and {:?} overlap",
                    bounded(&a.text),
                    bounded(&b.text)
                )));
            }
        }
    }
    // Not overlapping, so ordering by the start orders the ranges; at the same version an inclusive
    // start comes first (`=1.0` before `> 1.0`).
    ranges.sort_by(|a, b| match (&a.start, &b.start) {
        (Bound::Unbounded, Bound::Unbounded) => std::cmp::Ordering::Equal,
        (Bound::Unbounded, _) => std::cmp::Ordering::Less,
        (_, Bound::Unbounded) => std::cmp::Ordering::Greater,
        (x, y) => x
            .version()
            .cmp(&y.version())
            .then_with(|| matches!(y, Bound::Inclusive(_)).cmp(&matches!(x, Bound::Inclusive(_)))),
    });
    // Affected [introduced, fixed) ranges; `None` = open.
    let mut affected: Vec<(Option<Version>, Option<Version>)> = Vec::new();
    let first = &ranges[0];
    match &first.start {
        Bound::Unbounded => {}
        Bound::Exclusive(v) => affected.push((None, Some(increment(v)?))),
        Bound::Inclusive(v) => affected.push((None, Some(v.clone()))),
    }
    for pair in ranges.windows(2) {
        let start = match &pair[0].end {
            Bound::Unbounded => return Err(AdvisoryError::new("unbounded range before another")),
            Bound::Exclusive(v) => v.clone(),
            Bound::Inclusive(v) => increment(v)?,
        };
        let end = match &pair[1].start {
            Bound::Unbounded => return Err(AdvisoryError::new("unbounded range after another")),
            Bound::Exclusive(v) => increment(v)?,
            Bound::Inclusive(v) => v.clone(),
        };
        if start < end {
            affected.push((Some(start), Some(end)));
        }
    }
    match &ranges[ranges.len() - 1].end {
        Bound::Unbounded => {}
        Bound::Exclusive(v) => affected.push((Some(v.clone()), None)),
        Bound::Inclusive(v) => affected.push((Some(increment(v)?), None)),
    }
    let lowest = Version::parse(LOWEST).expect("valid");
    let mut events = Vec::with_capacity(affected.len() * 2);
    for (introduced, fixed) in affected {
        if introduced.is_none() && fixed.as_ref().is_some_and(|f| *f <= lowest) {
            continue; // [0.0.0-0, 0.0.0-0): nothing
        }
        events.push(Event::Introduced(
            introduced.map_or_else(|| LOWEST.to_string(), |v| v.to_string()),
        ));
        if let Some(f) = fixed {
            events.push(Event::Fixed(f.to_string()));
        }
    }
    if events.is_empty() {
        let mut all = String::new();
        for r in &ranges {
            let _ = write!(all, "{:?} ", r.text);
        }
        return Err(AdvisoryError::new(format!(
            "the version requirements leave no version affected: {}",
            bounded(all.trim())
        )));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(patched: &[&str], unaffected: &[&str]) -> Vec<(String, String)> {
        let p: Vec<String> = patched.iter().map(|s| s.to_string()).collect();
        let u: Vec<String> = unaffected.iter().map(|s| s.to_string()).collect();
        affected_events(&p, &u)
            .unwrap()
            .into_iter()
            .map(|e| match e {
                Event::Introduced(v) => ("introduced".into(), v),
                Event::Fixed(v) => ("fixed".into(), v),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn ranges_as_the_rustsec_export() {
        assert_eq!(ev(&[], &[]), pairs(&[("introduced", "0.0.0-0")]));
        assert_eq!(
            ev(&[">= 1.0.9"], &[]),
            pairs(&[("introduced", "0.0.0-0"), ("fixed", "1.0.9")])
        );
        // The template's example.
        assert_eq!(
            ev(&[">= 1.2.3, < 1.3.0", ">= 1.3.4"], &["<= 0.1.2"]),
            pairs(&[
                ("introduced", "0.1.3-0"),
                ("fixed", "1.2.3"),
                ("introduced", "1.3.0"),
                ("fixed", "1.3.4"),
            ])
        );
        // Caret and bare versions (Cargo's default is caret).
        assert_eq!(
            ev(&["^0.9.1", ">= 0.10.2"], &[]),
            pairs(&[
                ("introduced", "0.0.0-0"),
                ("fixed", "0.9.1"),
                ("introduced", "0.10.0-0"),
                ("fixed", "0.10.2"),
            ])
        );
        assert_eq!(
            ev(&["1.2.3", ">= 2.0.1"], &[]),
            pairs(&[
                ("introduced", "0.0.0-0"),
                ("fixed", "1.2.3"),
                ("introduced", "2.0.0-0"),
                ("fixed", "2.0.1"),
            ])
        );
        assert_eq!(
            ev(&["^0.0.3"], &[]),
            pairs(&[
                ("introduced", "0.0.0-0"),
                ("fixed", "0.0.3"),
                ("introduced", "0.0.4-0")
            ])
        );
        assert_eq!(
            ev(&["~1.2", ">= 1.4"], &[]),
            pairs(&[
                ("introduced", "0.0.0-0"),
                ("fixed", "1.2.0"),
                ("introduced", "1.3.0-0"),
                ("fixed", "1.4.0"),
            ])
        );
        // Exclusive lower bound, unaffected above.
        assert_eq!(
            ev(&["> 1.0.0"], &[]),
            pairs(&[("introduced", "0.0.0-0"), ("fixed", "1.0.1-0")])
        );
        assert_eq!(ev(&[], &["< 0.3"]), pairs(&[("introduced", "0.3.0")]));
        // Exact versions; back-to-back ranges leave no gap.
        assert_eq!(
            ev(&["=1.0.0", "> 1.0.0"], &[]),
            pairs(&[("introduced", "0.0.0-0"), ("fixed", "1.0.0")])
        );
        // Pre-releases: the successor of 1.0.0-rc.1 is 1.0.0-rc.1.0 (the rustsec crate panics here).
        assert_eq!(
            ev(&["> 1.0.0-rc.1"], &[]),
            pairs(&[("introduced", "0.0.0-0"), ("fixed", "1.0.0-rc.1.0")])
        );
        assert_eq!(
            ev(&[">= 0.2.0-alpha.3"], &[]),
            pairs(&[("introduced", "0.0.0-0"), ("fixed", "0.2.0-alpha.3")])
        );
    }

    #[test]
    fn refused_requirements() {
        let err = |p: &[&str]| {
            let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
            affected_events(&p, &[]).unwrap_err().to_string()
        };
        assert!(err(&[">= 1.0", ">= 1.5"]).contains("overlap"));
        assert!(err(&[">= 1, < 2, < 3"]).contains("more than two"));
        assert!(err(&[">= 1, > 2"]).contains("lower bound"));
        assert!(err(&["1.*"]).contains("unsupported"));
        assert!(err(&["not a version"]).contains("not a version"));
        assert!(err(&["> 2, < 1"]).contains("empty range"));
        assert!(err(&["*"]).contains("no version affected"));
        assert!(err(&["^18446744073709551615"]).contains("too large"));
        assert!(err(&["> 0.0.18446744073709551615"]).contains("too large"));
        let many: Vec<String> = (0..300).map(|i| format!("={i}.0.0")).collect();
        assert!(affected_events(&many, &[]).is_err());
    }

    const ADVISORY: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "my-crate"
date = "2099-02-03"
url = "https://github.com/x/my-crate/issues/1"
references = ["https://github.com/advisories/GHSA-aaaa-bbbb-cccc"]
categories = ["memory-corruption"]
keywords = ["overflow"]
aliases = ["CVE-2099-0001"]
related = ["RUSTSEC-2099-0002"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
informational = "unsound"
withdrawn = "2099-03-04"

[affected]
arch = ["x86"]
os = ["windows"]
functions = { "my_crate::f" = ["< 1.2.3"] }

[versions]
patched = [">= 1.2.3"]
unaffected = ["< 0.5"]
```

# An overflow in `f`

The details,
over two lines.
"#;

    #[test]
    fn converts_an_advisory() {
        let r = parse(ADVISORY.as_bytes(), Some("2099-05-05T00:00:00Z")).unwrap();
        assert_eq!(r.id, "RUSTSEC-2099-0001");
        assert_eq!(r.modified.as_deref(), Some("2099-05-05T00:00:00Z"));
        assert_eq!(r.published.as_deref(), Some("2099-02-03T12:00:00Z"));
        assert_eq!(r.withdrawn.as_deref(), Some("2099-03-04T12:00:00Z"));
        assert_eq!(r.aliases, ["CVE-2099-0001"]);
        assert_eq!(r.related, ["RUSTSEC-2099-0002"]);
        assert_eq!(r.summary.as_deref(), Some("An overflow in `f`"));
        assert_eq!(r.details.as_deref(), Some("The details,\nover two lines."));
        assert_eq!(r.severity[0].kind, "CVSS_V3");
        let kinds: Vec<(&str, &str)> = r
            .references
            .iter()
            .map(|x| (x.kind.as_str(), x.url.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("PACKAGE", "https://crates.io/crates/my-crate"),
                (
                    "ADVISORY",
                    "https://rustsec.org/advisories/RUSTSEC-2099-0001.html"
                ),
                ("REPORT", "https://github.com/x/my-crate/issues/1"),
                (
                    "ADVISORY",
                    "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"
                ),
            ]
        );
        let a = &r.affected[0];
        let p = a.package.as_ref().unwrap();
        assert_eq!(
            (p.ecosystem.as_str(), p.name.as_str(), p.purl.as_deref()),
            ("crates.io", "my-crate", Some("pkg:cargo/my-crate"))
        );
        assert_eq!(a.ranges[0].kind, RangeType::Semver);
        assert_eq!(
            a.ranges[0].events,
            [
                Event::Introduced("0.5.0".into()),
                Event::Fixed("1.2.3".into())
            ]
        );
        assert_eq!(
            a.ecosystem_specific,
            Some(
                json!({"affects": {"arch": ["x86"], "os": ["windows"], "functions": ["my_crate::f"]}})
            )
        );
        assert_eq!(
            a.database_specific,
            Some(json!({"categories": ["memory-corruption"],
                "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "informational": "unsound"}))
        );
        let db = r.database_specific.as_ref().unwrap();
        assert_eq!(db["informational"], "unsound");
        assert_eq!(db["license"], "CC0-1.0");
        assert_eq!(db["keywords"], json!(["overflow"]));
        // The record reads back as OSV.
        assert_eq!(Record::from_json_slice(r.to_json().as_bytes()).unwrap(), r);
    }

    #[test]
    fn minimal_and_broken_advisories() {
        let minimal = "\n```toml\r\n[advisory]\r\nid = \"RUSTSEC-2000-0001\"\r\npackage = \"a\"\r\ndate = 2000-01-02\r\n```\r\n";
        let r = parse(minimal.as_bytes(), None).unwrap();
        assert_eq!(r.modified.as_deref(), Some("2000-01-02T12:00:00Z"));
        assert_eq!(
            r.affected[0].ranges[0].events,
            [Event::Introduced("0.0.0-0".into())]
        );
        assert!(r.summary.is_none() && r.details.is_none() && r.withdrawn.is_none());
        let broken = |text: &str| parse(text.as_bytes(), None).unwrap_err().to_string();
        assert!(broken("# no front matter").contains("no TOML front matter"));
        assert!(broken("```toml\n[advisory]\n").contains("unterminated"));
        assert!(broken("```toml\n[advisory\n```\n").contains("invalid TOML front matter (line 2)"));
        assert!(broken("```toml\nx = 1\n```\n").contains("no `[advisory]`"));
        assert!(
            broken("```toml\n[advisory]\npackage = \"a\"\ndate = \"2000-01-01\"\n```\n")
                .contains("advisory.id")
        );
        assert!(
            broken(
                "```toml\n[advisory]\nid = \"R\"\npackage = \"a\"\ndate = \"2000-13-01\"\n```\n"
            )
            .contains("advisory.date")
        );
        assert!(
            broken(
                "```toml\n[advisory]\nid = \"R\"\npackage = \"a b\"\ndate = \"2000-01-01\"\n```\n"
            )
            .contains("advisory.package")
        );
        assert!(broken("```toml\n[advisory]\nid = \"R\"\npackage = \"a\"\ndate = \"2000-01-01\"\naliases = [1]\n```\n").contains("advisory.aliases"));
        assert!(broken("```toml\n[advisory]\nid = \"R\"\npackage = \"a\"\ndate = \"2000-01-01\"\n[versions]\npatched = [\">= 1\", \"^1.5\"]\n```\n").contains("overlap"));
        assert!(
            parse(b"\xff\xfe", None)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
        let deep = format!(
            "```toml\nx = {}{}\n```\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse(deep.as_bytes(), None).is_err());
        assert!(is_advisory_file_name("RUSTSEC-2021-0001.md"));
        assert!(!is_advisory_file_name("RUSTSEC-.md"));
        assert!(!is_advisory_file_name("README.md"));
        assert!(!is_advisory_file_name("RUSTSEC-2021-0001.toml"));
    }
}
