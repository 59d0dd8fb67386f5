//! Importer for the Debian security tracker's advisory lists (`data/DSA/list`, `data/DLA/list`).
//!
//! The format, one advisory per block (the indented lines start with a tab):
//!
//! ```text
//! [12 Apr 2023] DSA-5386-1 chromium - security update
//!     {CVE-2023-1810 CVE-2023-1811}
//!     [bullseye] - chromium 112.0.5615.49-2~deb11u1
//!     [buster] - foo <not-affected> (Vulnerable code not present)
//!     NOTE: free text
//! ```
//!
//! Each advisory becomes one OSV [`Record`]: the CVEs are its aliases, the date its `published` and
//! `modified`, and every `[release] - package version` line one `affected[]` element for the source
//! package in `Debian:<release number>` with the range `introduced: 0, fixed: version`.
//! `<not-affected>` lines produce nothing; `<no-dsa>` and `<ignored>` produce an element without a
//! fix marked `database_specific.status = "will_not_fix"`, `<postponed>` one marked `"fix_deferred"`,
//! `<end-of-life>` one marked `"end_of_life"`, and `<unfixed>` one marked `"unfixed"`. Lines that fit no form are
//! counted as errors and skipped; they never stop the import.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::json;

use crate::osv::{Affected, Event, Package, Range, RangeType, Record, Reference};

/// `database_specific.status` of a release the distribution will not fix.
pub const STATUS_WILL_NOT_FIX: &str = "will_not_fix";
/// `database_specific.status` of a fix the distribution postponed.
pub const STATUS_FIX_DEFERRED: &str = "fix_deferred";
/// `database_specific.status` of a package whose release support ended.
pub const STATUS_END_OF_LIFE: &str = "end_of_life";
/// `database_specific.status` of a release left vulnerable without a decision.
pub const STATUS_UNFIXED: &str = "unfixed";

/// Which list a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ListKind {
    /// Debian Security Advisories (`data/DSA/list`).
    Dsa,
    /// Debian LTS Advisories (`data/DLA/list`).
    Dla,
}

impl ListKind {
    /// The `database_specific.source` written on every record.
    pub fn source_tag(self) -> &'static str {
        match self {
            ListKind::Dsa => "debian-dsa-list",
            ListKind::Dla => "debian-dla-list",
        }
    }
}

/// One line the converter could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// Why it was refused.
    pub reason: String,
    /// The line as written.
    pub text: String,
}

/// What the converter saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListStats {
    /// Advisory headers read (`[date] DSA-…`).
    pub advisories: u64,
    /// Advisories emitted as records (those with at least one `affected[]` element).
    pub records: u64,
    /// Advisories with no affected element (announcements, only `<not-affected>` lines): not emitted.
    pub advisories_without_entries: u64,
    /// `affected[]` elements emitted.
    pub entries: u64,
    /// … of which with a fixed version.
    pub entries_fixed: u64,
    /// … of which `<no-dsa>`/`<ignored>` (`will_not_fix`) or `<postponed>` (`fix_deferred`).
    pub entries_will_not_fix: u64,
    /// … of which `<end-of-life>`.
    pub entries_end_of_life: u64,
    /// … of which `<unfixed>`.
    pub entries_unfixed: u64,
    /// `<not-affected>` lines (no element emitted).
    pub not_affected: u64,
    /// Package lines of releases without a Debian release number (`sid`, unknown names), by name.
    pub unknown_release: BTreeMap<String, u64>,
    /// `NOTE:` lines (ignored).
    pub notes: u64,
    /// Lines that fit no form: the first [`MAX_LINE_ERRORS_KEPT`] (`errors_total` counts all).
    pub errors: Vec<LineError>,
    /// How many lines fit no form (or were over a limit).
    pub errors_total: u64,
}

/// Most line errors kept per list (the rest are counted).
pub const MAX_LINE_ERRORS_KEPT: usize = 1_000;
/// Most ids (CVEs) one advisory may list; a real DSA lists at most a few hundred.
pub const MAX_IDS_PER_ADVISORY: usize = 5_000;
/// Most package lines one advisory may have.
pub const MAX_ENTRIES_PER_ADVISORY: usize = 10_000;
/// Most distinct unknown release names counted by name (the rest count under `…`).
pub const MAX_UNKNOWN_RELEASES: usize = 100;
/// Longest line text quoted in an error.
const MAX_QUOTED: usize = 200;

impl ListStats {
    /// Package lines skipped because of their release.
    pub fn unknown_release_lines(&self) -> u64 {
        self.unknown_release.values().sum()
    }
}

/// What importing one list file did, as [`crate::ImportReport::debian_lists`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebianListImport {
    /// The file.
    pub source: String,
    /// Which list.
    pub kind: ListKind,
    /// What the converter saw.
    pub stats: ListStats,
}

/// The result of converting one list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedList {
    /// One record per advisory with affected elements, in file order.
    pub records: Vec<Record>,
    /// Counts and errors.
    pub stats: ListStats,
}

/// The Debian release number of a codename (`bullseye` → `11`); `None` for `sid` and unknown names.
pub fn release_number(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "buzz" => "1.1",
        "rex" => "1.2",
        "bo" => "1.3",
        "hamm" => "2.0",
        "slink" => "2.1",
        "potato" => "2.2",
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4",
        "lenny" => "5",
        "squeeze" => "6",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        _ => return None,
    })
}

/// Whether a file is a tracker advisory list: named `DSA-list`, `DLA-list` or `list`, with a first
/// non-empty line like `[12 Apr 2023] DSA-…` or `[…] DLA-…`. Returns its kind.
pub fn detect(file_name: &str, bytes: &[u8]) -> Option<ListKind> {
    if !matches!(file_name, "DSA-list" | "DLA-list" | "list") {
        return None;
    }
    let first = bytes
        .split(|b| *b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty())?;
    let first = std::str::from_utf8(first).ok()?;
    let (_, id) = parse_header_start(first)?;
    if id.starts_with("DSA-") {
        Some(ListKind::Dsa)
    } else {
        Some(ListKind::Dla)
    }
}

/// `[DD Mon YYYY] DSA-…` → (the date as RFC 3339, the rest from the id on). `None` when the line is
/// not a header.
fn parse_header_start(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('[')?;
    let (date, rest) = rest.split_once(']')?;
    let rest = rest.trim_start();
    if !(rest.starts_with("DSA-") || rest.starts_with("DLA-")) || rest.len() < 5 {
        return None;
    }
    let mut parts = date.split(' ');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.is_empty() || y.len() != 4 {
        return None;
    }
    let day: u8 = d.parse().ok()?;
    let year: i32 = y.parse().ok()?;
    let month = match m {
        "Jan" => time::Month::January,
        "Feb" => time::Month::February,
        "Mar" => time::Month::March,
        "Apr" => time::Month::April,
        "May" => time::Month::May,
        "Jun" => time::Month::June,
        "Jul" => time::Month::July,
        "Aug" => time::Month::August,
        "Sep" => time::Month::September,
        "Oct" => time::Month::October,
        "Nov" => time::Month::November,
        "Dec" => time::Month::December,
        _ => return None,
    };
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some((
        format!(
            "{:04}-{:02}-{:02}T00:00:00Z",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        rest,
    ))
}

/// Convert a whole list. Never fails: unreadable lines are in [`ListStats::errors`].
pub fn parse_list(text: &str, kind: ListKind) -> ParsedList {
    let mut records = Vec::new();
    let stats = parse_list_each(text, kind, &mut |r| records.push(r));
    ParsedList { records, stats }
}

/// Convert a list, handing each record to `emit` as soon as its advisory ends (a list is never
/// held as records whole). Linear in the lines; ids and entries per advisory are bounded
/// ([`MAX_IDS_PER_ADVISORY`], [`MAX_ENTRIES_PER_ADVISORY`]).
pub fn parse_list_each(text: &str, kind: ListKind, emit: &mut dyn FnMut(Record)) -> ListStats {
    let mut stats = ListStats::default();
    let mut current: Option<Record> = None;
    // The ids of the current advisory, for linear de-duplication.
    let mut ids: HashSet<String> = HashSet::new();
    let mut flush = |current: &mut Option<Record>, stats: &mut ListStats| {
        if let Some(rec) = current.take() {
            if rec.affected.is_empty() {
                stats.advisories_without_entries += 1;
            } else {
                stats.records += 1;
                emit(rec);
            }
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let error = |stats: &mut ListStats, reason: &str| {
            stats.errors_total += 1;
            if stats.errors.len() < MAX_LINE_ERRORS_KEPT {
                let mut text: String = raw.chars().take(MAX_QUOTED).collect();
                if text.len() < raw.len() {
                    text.push('…');
                }
                stats.errors.push(LineError {
                    line: line_no,
                    reason: reason.to_string(),
                    text,
                })
            }
        };
        if line.starts_with('[') && !raw.starts_with(char::is_whitespace) {
            match parse_header_start(line) {
                Some((date, rest)) => {
                    flush(&mut current, &mut stats);
                    ids.clear();
                    stats.advisories += 1;
                    current = Some(new_record(date, rest, kind));
                }
                None => {
                    // Lines up to the next good header belong to no advisory and are errors too.
                    error(
                        &mut stats,
                        "unreadable advisory header (expected `[DD Mon YYYY] DSA-…`)",
                    );
                    flush(&mut current, &mut stats);
                }
            }
            continue;
        }
        let Some(rec) = current.as_mut() else {
            error(&mut stats, "line outside any advisory");
            continue;
        };
        if line.starts_with("NOTE:") {
            stats.notes += 1;
        } else if let Some(body) = line.strip_prefix('{') {
            match body.strip_suffix('}') {
                Some(list) => {
                    for id in list.split_whitespace() {
                        if ids.len() == MAX_IDS_PER_ADVISORY {
                            error(
                                &mut stats,
                                "more ids than an advisory may list (5000); the rest ignored",
                            );
                            break;
                        }
                        if ids.insert(id.to_string()) {
                            rec.aliases.push(id.to_string());
                        }
                    }
                }
                None => error(&mut stats, "unterminated `{` id list"),
            }
        } else if line.starts_with('[') {
            if rec.affected.len() == MAX_ENTRIES_PER_ADVISORY {
                error(
                    &mut stats,
                    "more package lines than an advisory may have (10000); ignored",
                );
                continue;
            }
            match parse_package_line(line) {
                Err(reason) => error(&mut stats, reason),
                Ok((release, package, state)) => {
                    let Some(number) = release_number(release) else {
                        let known = stats.unknown_release.len() < MAX_UNKNOWN_RELEASES
                            || stats.unknown_release.contains_key(release);
                        let key = if known { release } else { "…" };
                        *stats.unknown_release.entry(key.to_string()).or_default() += 1;
                        continue;
                    };
                    let ecosystem = format!("Debian:{number}");
                    let affected = match state {
                        State::NotAffected => {
                            stats.not_affected += 1;
                            continue;
                        }
                        State::Fixed(version) => {
                            stats.entries_fixed += 1;
                            entry(&ecosystem, package, Some(version), None)
                        }
                        State::NoFix(status) => {
                            match status {
                                STATUS_WILL_NOT_FIX | STATUS_FIX_DEFERRED => {
                                    stats.entries_will_not_fix += 1
                                }
                                STATUS_END_OF_LIFE => stats.entries_end_of_life += 1,
                                _ => stats.entries_unfixed += 1,
                            }
                            entry(&ecosystem, package, None, Some(status))
                        }
                    };
                    stats.entries += 1;
                    rec.affected.push(affected);
                }
            }
        } else {
            error(&mut stats, "unrecognised line");
        }
    }
    flush(&mut current, &mut stats);
    stats
}

fn new_record(date: String, rest: &str, kind: ListKind) -> Record {
    let mut words = rest.split_whitespace();
    let id = words.next().unwrap_or_default().to_string();
    let summary = words.collect::<Vec<_>>().join(" ");
    Record {
        id: id.clone(),
        modified: Some(date.clone()),
        published: Some(date),
        summary: (!summary.is_empty()).then_some(summary),
        references: vec![Reference {
            kind: "ADVISORY".into(),
            url: format!("https://security-tracker.debian.org/tracker/{id}"),
        }],
        database_specific: Some(json!({ "source": kind.source_tag() })),
        ..Default::default()
    }
}

enum State<'a> {
    Fixed(&'a str),
    NotAffected,
    NoFix(&'static str),
}

/// `[release] - package version-or-<state> [(comment)]` → its parts.
fn parse_package_line(line: &str) -> Result<(&str, &str, State<'_>), &'static str> {
    let rest = line.strip_prefix('[').ok_or("expected `[release]`")?;
    let (release, rest) = rest.split_once(']').ok_or("unterminated `[release`")?;
    let release = release.trim();
    if release.is_empty() || release.contains(char::is_whitespace) {
        return Err("bad release name");
    }
    let rest = rest
        .trim_start()
        .strip_prefix('-')
        .ok_or("expected `[release] - package …`")?;
    let mut words = rest.split_whitespace();
    let package = words.next().ok_or("missing package name")?;
    let version = words.next().ok_or("missing version or <state>")?;
    if let Some(after) = words.next()
        && !after.starts_with('(')
    {
        return Err("unexpected text after the version (expected a `(comment)`)");
    }
    let state = match version {
        "<not-affected>" => State::NotAffected,
        "<no-dsa>" | "<ignored>" => State::NoFix(STATUS_WILL_NOT_FIX),
        "<postponed>" => State::NoFix(STATUS_FIX_DEFERRED),
        "<end-of-life>" => State::NoFix(STATUS_END_OF_LIFE),
        "<unfixed>" => State::NoFix(STATUS_UNFIXED),
        v if v.starts_with('<') => return Err("unknown <state>"),
        v if v.starts_with('(') => return Err("comment where the version belongs"),
        v => State::Fixed(v),
    };
    Ok((release, package, state))
}

fn entry(ecosystem: &str, package: &str, fixed: Option<&str>, status: Option<&str>) -> Affected {
    let mut events = vec![Event::Introduced("0".into())];
    if let Some(f) = fixed {
        events.push(Event::Fixed(f.into()));
    }
    Affected {
        package: Some(Package {
            ecosystem: ecosystem.to_string(),
            name: package.to_string(),
            purl: None,
        }),
        ranges: vec![Range {
            kind: RangeType::Ecosystem,
            repo: None,
            events,
            database_specific: None,
        }],
        database_specific: status.map(|s| json!({ "status": s })),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_detection() {
        assert_eq!(
            parse_header_start("[12 Apr 2023] DSA-5386-1 chromium - security update"),
            Some((
                "2023-04-12T00:00:00Z".into(),
                "DSA-5386-1 chromium - security update"
            ))
        );
        assert!(parse_header_start("[31 Feb 2023] DSA-1-1 x").is_none());
        assert!(parse_header_start("[12 Foo 2023] DSA-1-1 x").is_none());
        assert!(parse_header_start("[12 Apr 2023] CVE-1").is_none());
        assert_eq!(
            detect("list", b"\n[01 Apr 2023] DLA-3380-1 x - y\n"),
            Some(ListKind::Dla)
        );
        assert_eq!(
            detect("DSA-list", b"[1 Jan 2000] DSA-1 x\n"),
            Some(ListKind::Dsa)
        );
        assert_eq!(detect("other", b"[1 Jan 2000] DSA-1 x\n"), None);
        assert_eq!(detect("list", b"CVE-2023-1 (foo)\n"), None);
    }

    #[test]
    fn package_lines() {
        assert!(matches!(
            parse_package_line("[sarge] - awstats 6.4-1sarge1 (bug #322591; medium)"),
            Ok(("sarge", "awstats", State::Fixed("6.4-1sarge1")))
        ));
        assert!(matches!(
            parse_package_line("[wheezy] - curl  7.26.0-1+wheezy5"),
            Ok(("wheezy", "curl", State::Fixed("7.26.0-1+wheezy5")))
        ));
        assert!(matches!(
            parse_package_line("[lenny] - vlc <not-affected> (Vulnerable code not present)"),
            Ok((_, _, State::NotAffected))
        ));
        assert!(parse_package_line("[lenny] - vlc").is_err());
        assert!(parse_package_line("[lenny] - vlc <weird>").is_err());
        assert!(parse_package_line("[lenny] vlc 1.0").is_err());
        assert!(parse_package_line("[lenny] - vlc 1.0 junk").is_err());
    }
}
