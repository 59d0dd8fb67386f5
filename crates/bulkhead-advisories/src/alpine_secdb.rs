//! Importer for Alpine's security database ("secdb"), in both of its encodings: the YAML of the
//! alpine-secdb repository (`v3.11/main.yaml`) and the JSON of secdb.alpinelinux.org
//! (`v3.11/main.json`), which Wolfi and Chainguard publish too (`security.json`).
//!
//! The format, one file per release and repository:
//!
//! ```yaml
//! distroversion: v3.11
//! reponame: main
//! urlprefix: http://dl-cdn.alpinelinux.org/alpine
//! apkurl: "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk"
//! packages:
//!   - pkg:
//!       name: openssl            # the origin (source) package
//!       secfixes:
//!         1.1.1d-r2:             # the first fixed version …
//!           - CVE-2019-1547      # … of these flaws
//!           - CVE-2017-8904 XSA-214
//!         "0":                   # never affected
//!           - CVE-2019-0001
//! ```
//!
//! Converted as osv.dev's Alpine records are (`ALPINE-CVE-…`: package = the secdb name, ecosystem
//! `Alpine:v3.11`, purl `pkg:apk/alpine/NAME?arch=source`, range `ECOSYSTEM` `introduced: 0,
//! fixed: VERSION`, `upstream: [CVE]`), with one difference: import reads one file at a time, so a
//! record covers one flaw in one file and its id names the release and repository too:
//! `ALPINE-v3.11-main-CVE-2019-1547` (`WOLFI-os-…`, `CHAINGUARD-chainguard-…` for the others). The
//! matcher merges records sharing an upstream id, so osv.dev's `ALPINE-CVE-…` and these meet.
//!
//! Rules:
//! - Ecosystem: a `urlprefix`/`apkurl` naming Wolfi (`wolfi`) or Chainguard (`chainguard`, `cgr.dev`)
//!   gives `Wolfi` or `Chainguard` (no release, as osv.dev writes them); otherwise `distroversion`
//!   gives `Alpine:<distroversion>` (`v` added when missing). Neither: the file is refused.
//! - Fixed version `"0"` means "not affected" (apk-tools, Trivy and Grype read it so): its ids produce
//!   nothing and are counted in [`SecdbStats::not_affected`].
//! - One secfix line may name several ids (`CVE-2017-8904 XSA-214`, `CVE-2018-3620 CVE-2018-3646
//!   XSA-273`) and comments (`CVE-2018-16452 (SMB)`). Every CVE on the line gets its own record; ids
//!   of other databases (XSA, TALOS, GHSA, …) get records only on lines without a CVE; the other ids
//!   of the line are the record's `related` (not `aliases`: `XSA-224` covers three CVEs, which must
//!   stay three findings). Text after a CVE number (`CVE-2017-8073.patch`, `CVE-2017-17434-1`) is
//!   ignored, `CVE_2019-2426` and `CVE 2018-16859` are read as CVEs; a line with no id (such as
//!   Wireshark's `wnpa-sec-2017-18`) is an error.
//! - A flaw fixed in several versions of one package (re-fixes) gets one `affected[]` element per
//!   version, so the union of the ranges is affected, as in osv.dev's records.
//! - Fixed versions apk-tools would refuse (`1.11-20-r0`) are kept (apk orders every string) and counted
//!   in [`SecdbStats::invalid_versions`]; empty, blank-containing or overlong ones are errors.
//!
//! Problems with single packages or lines never stop the conversion: they are in
//! [`SecdbStats::errors`] (at most [`MAX_ERRORS_KEPT`], the rest counted).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

use crate::osv::{
    self, Affected, Event, Format, Package, ParseError, Range, RangeType, Record, Reference,
};

/// Most ids read from one secfix line; the rest of the line is ignored (and reported).
pub const MAX_IDS_PER_ENTRY: usize = 64;
/// Most per-entry errors kept in [`SecdbStats::errors`]; the others are only counted.
pub const MAX_ERRORS_KEPT: usize = 1000;
/// Longest package name, fixed version or release name accepted.
const MAX_NAME_LEN: usize = 256;
/// How much of a file [`detect`] looks at.
pub const SNIFF_BYTES: usize = 8192;

/// The distribution a secdb file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Distro {
    /// Alpine Linux (`Alpine:vX.Y`).
    Alpine,
    /// Wolfi (`Wolfi`).
    Wolfi,
    /// Chainguard OS (`Chainguard`).
    Chainguard,
}

impl Distro {
    /// Prefix of the record ids.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Distro::Alpine => "ALPINE",
            Distro::Wolfi => "WOLFI",
            Distro::Chainguard => "CHAINGUARD",
        }
    }

    /// The purl namespace (`pkg:apk/<namespace>/…`).
    pub fn purl_namespace(self) -> &'static str {
        match self {
            Distro::Alpine => "alpine",
            Distro::Wolfi => "wolfi",
            Distro::Chainguard => "chainguard",
        }
    }

    /// The `database_specific.source` written on every record.
    pub fn source_tag(self) -> &'static str {
        match self {
            Distro::Alpine => "alpine-secdb",
            Distro::Wolfi => "wolfi-secdb",
            Distro::Chainguard => "chainguard-secdb",
        }
    }
}

/// One package or secfix line the converter could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryError {
    /// The package name (`#N` for the N-th package when it has none).
    pub package: String,
    /// The fixed version the line is under (empty for package-level errors).
    pub version: String,
    /// Why it was refused.
    pub reason: String,
    /// The offending text (bounded).
    pub text: String,
}

/// What the converter saw in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SecdbStats {
    /// Packages read (with a name).
    pub packages: u64,
    /// Fixed versions read (secfixes keys other than `"0"`).
    pub fixed_versions: u64,
    /// … of which apk-tools would refuse (kept all the same).
    pub invalid_versions: u64,
    /// (id, fixed version, package) mentions converted: one per record id per line.
    pub fixes: u64,
    /// Id mentions under `"0"` (not affected): nothing emitted for them.
    pub not_affected: u64,
    /// Records emitted (one per id).
    pub records: u64,
    /// `affected[]` elements emitted (one per id, package and fixed version).
    pub entries: u64,
    /// Packages and lines that could not be used.
    pub errors: Vec<EntryError>,
    /// Errors past [`MAX_ERRORS_KEPT`], counted only.
    pub errors_omitted: u64,
}

impl SecdbStats {
    fn error(&mut self, package: &str, version: &str, reason: &str, text: &str) {
        if self.errors.len() >= MAX_ERRORS_KEPT {
            self.errors_omitted += 1;
            return;
        }
        self.errors.push(EntryError {
            package: bounded(package, 200),
            version: bounded(version, 200),
            reason: reason.to_string(),
            text: bounded(text, 300),
        });
    }
}

/// What importing one secdb file did, as [`crate::ImportReport::alpine_secdbs`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecdbImport {
    /// The file.
    pub source: String,
    /// The ecosystem of its records (`Alpine:v3.11`, `Wolfi`, `Chainguard`).
    pub ecosystem: String,
    /// What the converter saw.
    pub stats: SecdbStats,
}

/// The result of converting one secdb file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSecdb {
    /// Which distribution.
    pub distro: Distro,
    /// The ecosystem of every record (`Alpine:v3.11`, `Wolfi`, `Chainguard`).
    pub ecosystem: String,
    /// One record per id, ordered by id.
    pub records: Vec<Record>,
    /// Counts and errors.
    pub stats: SecdbStats,
}

/// Whether the start of a JSON or YAML file looks like a secdb: a top-level `packages` key and a
/// secdb key (`secfixes`, `distroversion`, `apkurl`, `urlprefix`, `reponame`). Looks at the first
/// [`SNIFF_BYTES`] bytes at most. A false positive costs nothing: the importer checks the parsed shape
/// ([`is_secdb`]) and reads anything else as OSV.
pub fn detect(head: &[u8]) -> bool {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(body);
    const KEYS: [&str; 5] = [
        "secfixes",
        "distroversion",
        "apkurl",
        "urlprefix",
        "reponame",
    ];
    match Format::sniff(body) {
        Format::Json => {
            has_json_key(&text, "packages") && KEYS.iter().any(|k| has_json_key(&text, k))
        }
        Format::Yaml => {
            let top = |key: &str| {
                text.lines().any(|l| {
                    l.strip_prefix(key)
                        .and_then(|r| r.strip_prefix(':'))
                        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\r']))
                })
            };
            top("packages")
                && (KEYS[1..].iter().any(|k| top(k))
                    || text
                        .lines()
                        .any(|l| l.trim_start().starts_with("secfixes:")))
        }
    }
}

/// `"key"` followed by optional blanks and `:` somewhere in the text.
fn has_json_key(text: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    text.match_indices(&quoted).any(|(i, _)| {
        text[i + quoted.len()..]
            .trim_start_matches([' ', '\t', '\r', '\n'])
            .starts_with(':')
    })
}

/// Whether a parsed document has the secdb shape: an object with `packages` (a list, an object as PHP
/// writes an empty list, or empty next to a secdb key such as `distroversion`) and none of the OSV
/// keys `id`, `affected`, `schema_version`, `modified`.
pub fn is_secdb(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    if ["id", "affected", "schema_version", "modified"]
        .iter()
        .any(|k| o.contains_key(*k))
    {
        return false;
    }
    match o.get("packages") {
        Some(Value::Array(_) | Value::Object(_)) => true,
        Some(Value::Null) => ["distroversion", "apkurl", "urlprefix", "reponame"]
            .iter()
            .any(|k| o.contains_key(*k)),
        _ => false,
    }
}

/// Parse and convert one secdb document. `modified` is written as every record's `modified` (the
/// importer passes the file's modification time, so a newer copy of the file replaces the records).
pub fn parse(
    bytes: &[u8],
    format: Format,
    modified: Option<&str>,
) -> Result<ParsedSecdb, ParseError> {
    let mut values = osv::parse_document(bytes, format)?;
    if values.len() != 1 || !is_secdb(&values[0]) {
        return Err(ParseError::Shape(
            "not an Alpine secdb (expected an object with `packages`)".into(),
        ));
    }
    let v = values.pop().expect("one value");
    convert(&v, modified)
}

/// Convert a parsed secdb document. Fails only when the ecosystem cannot be told (or `packages` is
/// missing); problems with single packages and lines are in the stats.
pub fn convert(v: &Value, modified: Option<&str>) -> Result<ParsedSecdb, ParseError> {
    convert_inner(v, modified).map_err(ParseError::Shape)
}

fn convert_inner(v: &Value, modified: Option<&str>) -> Result<ParsedSecdb, String> {
    let (distro, release) = distro_of(v)?;
    let ecosystem = match &release {
        Some(r) => format!("Alpine:{r}"),
        None => match distro {
            Distro::Wolfi => "Wolfi".to_string(),
            _ => "Chainguard".to_string(),
        },
    };
    let repo = v
        .get("reponame")
        .and_then(Value::as_str)
        .map(id_component)
        .filter(|r| !r.is_empty());
    let packages: Vec<&Value> = match v.get("packages") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => map.values().collect(),
        Some(Value::Null) => Vec::new(),
        None => return Err("no `packages` list".into()),
        Some(_) => return Err("`packages` is not a list".into()),
    };
    let mut stats = SecdbStats::default();
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        let Some(pkg) = p.get("pkg").filter(|p| p.is_object()) else {
            stats.error(
                &format!("#{i}"),
                "",
                "package without a `pkg` object",
                &snippet(p),
            );
            continue;
        };
        let name = match pkg.get("name").and_then(scalar) {
            Some(n) if valid_token(n.trim()) => n.trim().to_string(),
            _ => {
                let shown = pkg.get("name").map(snippet).unwrap_or_default();
                stats.error(
                    &format!("#{i}"),
                    "",
                    "missing or invalid package name",
                    &shown,
                );
                continue;
            }
        };
        stats.packages += 1;
        let secfixes = match pkg.get("secfixes") {
            None | Some(Value::Null) => continue,
            Some(Value::Object(m)) => m,
            Some(other) => {
                stats.error(&name, "", "`secfixes` is not a mapping", &snippet(other));
                continue;
            }
        };
        for (version, lines) in secfixes {
            let version = version.trim();
            let lines: Vec<&Value> = match lines {
                Value::Null => Vec::new(),
                // PHP writes an empty list as `{}` (secdb.alpinelinux.org does).
                Value::Object(m) if m.is_empty() => Vec::new(),
                Value::Array(items) => items.iter().collect(),
                Value::String(_) => vec![lines],
                other => {
                    stats.error(
                        &name,
                        version,
                        "fixes are not a list of ids",
                        &snippet(other),
                    );
                    continue;
                }
            };
            if version == "0" {
                for line in &lines {
                    if let Some(text) = scalar(line) {
                        stats.not_affected += entry_ids(&text).len() as u64;
                    }
                }
                continue;
            }
            if !valid_token(version) || !version.bytes().any(|b| b.is_ascii_digit()) {
                stats.error(&name, version, "invalid fixed version", version);
                continue;
            }
            stats.fixed_versions += 1;
            if !bulkhead_versions::apk::is_valid(version) {
                stats.invalid_versions += 1;
            }
            for line in lines {
                let Some(text) = scalar(line) else {
                    stats.error(&name, version, "fix is not a string", &snippet(line));
                    continue;
                };
                let ids = entry_ids(&text);
                if ids.is_empty() {
                    stats.error(&name, version, "no vulnerability id in the line", &text);
                    continue;
                }
                if ids.len() >= MAX_IDS_PER_ENTRY {
                    stats.error(
                        &name,
                        version,
                        "too many ids in one line; the rest of the line is ignored",
                        &text,
                    );
                }
                let has_cve = ids.iter().any(|id| id.starts_with("CVE-"));
                for id in ids.iter().filter(|id| !has_cve || id.starts_with("CVE-")) {
                    stats.fixes += 1;
                    let f = found.entry(id.clone()).or_default();
                    f.related.extend(ids.iter().filter(|o| *o != id).cloned());
                    f.fixes.insert((name.clone(), version.to_string()));
                }
            }
        }
    }
    let mut records = Vec::with_capacity(found.len());
    for (id, Found { related, fixes }) in found {
        let mut record_id = format!("{}-", distro.id_prefix());
        if let Some(r) = &release {
            record_id.push_str(&id_component(r));
            record_id.push('-');
        }
        if let Some(r) = &repo {
            record_id.push_str(r);
            record_id.push('-');
        }
        record_id.push_str(&id);
        let affected: Vec<Affected> = fixes
            .into_iter()
            .map(|(name, version)| entry(distro, &ecosystem, &name, &version))
            .collect();
        stats.entries += affected.len() as u64;
        let references = if distro == Distro::Alpine && id.starts_with("CVE-") {
            vec![Reference {
                kind: "ADVISORY".into(),
                url: format!("https://security.alpinelinux.org/vuln/{id}"),
            }]
        } else {
            Vec::new()
        };
        let mut db = json!({ "source": distro.source_tag() });
        if let Some(r) = &repo {
            db["reponame"] = json!(r);
        }
        records.push(Record {
            id: record_id,
            modified: modified.map(str::to_string),
            upstream: vec![id],
            related: related.into_iter().collect(),
            affected,
            references,
            database_specific: Some(db),
            ..Default::default()
        });
    }
    stats.records = records.len() as u64;
    Ok(ParsedSecdb {
        distro,
        ecosystem,
        records,
        stats,
    })
}

/// What one file says about one id.
#[derive(Default)]
struct Found {
    /// The other ids on its lines.
    related: BTreeSet<String>,
    /// (package, fixed version).
    fixes: BTreeSet<(String, String)>,
}

/// The distribution and, for Alpine, the release (`v3.11`).
fn distro_of(v: &Value) -> Result<(Distro, Option<String>), String> {
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let urls = format!("{} {}", field("urlprefix"), field("apkurl"));
    if urls.contains("wolfi") {
        return Ok((Distro::Wolfi, None));
    }
    if urls.contains("chainguard") || urls.contains("cgr.dev") {
        return Ok((Distro::Chainguard, None));
    }
    let release = match v.get("distroversion") {
        None | Some(Value::Null) => String::new(),
        Some(r) => scalar(r)
            .map(|s| s.trim().to_string())
            .ok_or("`distroversion` is not a string")?,
    };
    if release.is_empty() {
        return Err(
            "no `distroversion`, and `urlprefix`/`apkurl` name neither Wolfi nor Chainguard: \
             the ecosystem is unknown"
                .into(),
        );
    }
    if release.len() > 32
        || !release
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err(format!(
            "invalid `distroversion` {:?}",
            bounded(&release, 64)
        ));
    }
    let release = if release.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{release}")
    } else {
        release
    };
    Ok((Distro::Alpine, Some(release)))
}

fn entry(distro: Distro, ecosystem: &str, name: &str, fixed: &str) -> Affected {
    let purl = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
        .then(|| format!("pkg:apk/{}/{name}?arch=source", distro.purl_namespace()));
    Affected {
        package: Some(Package {
            ecosystem: ecosystem.to_string(),
            name: name.to_string(),
            purl,
        }),
        ranges: vec![Range {
            kind: RangeType::Ecosystem,
            repo: None,
            events: vec![Event::Introduced("0".into()), Event::Fixed(fixed.into())],
            database_specific: None,
        }],
        ..Default::default()
    }
}

/// The vulnerability ids of one secfix line, in order, without duplicates (at most
/// [`MAX_IDS_PER_ENTRY`]). Parenthesised comments are skipped; see the module docs for the forms read.
pub fn entry_ids(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => cleaned.push(c),
            _ => {}
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut tokens = cleaned
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/'))
        .filter(|t| !t.is_empty())
        .peekable();
    while let Some(token) = tokens.next() {
        if out.len() >= MAX_IDS_PER_ENTRY {
            break;
        }
        let mut token = token
            .trim_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_string();
        // `CVE 2018-16859`
        if token.eq_ignore_ascii_case("CVE")
            && let Some(next) = tokens.next_if(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        {
            token = format!("CVE-{next}");
        }
        if let Some(id) = id_of(&token)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

/// A token as a vulnerability id: `CVE-YYYY-N…` (anything after the number ignored; `CVE_` and
/// lower case accepted), or `PREFIX-REST` with a prefix of 2–16 letters or digits starting with a
/// letter, all upper or all lower case, and a rest of letters, digits and `-` holding a digit
/// (XSA-207, TALOS-2017-0499, GHSA-…, Wireshark's `wnpa-sec-2017-18`).
fn id_of(token: &str) -> Option<String> {
    let b = token.as_bytes();
    if b.len() >= 4 && b[..3].eq_ignore_ascii_case(b"CVE") && matches!(b[3], b'-' | b'_') {
        let rest = &token[4..];
        let year: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let rest = &rest[year.len()..];
        if year.len() != 4 || !rest.starts_with('-') {
            return None;
        }
        let number: String = rest[1..].chars().take_while(char::is_ascii_digit).collect();
        if !(4..=19).contains(&number.len()) {
            return None;
        }
        return Some(format!("CVE-{year}-{number}"));
    }
    let (prefix, rest) = token.split_once('-')?;
    let prefix_ok = (2..=16).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && (prefix
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            || prefix
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    let rest_ok = !rest.is_empty()
        && token.len() <= 64
        && rest.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && rest.bytes().any(|c| c.is_ascii_digit());
    (prefix_ok && rest_ok).then(|| token.to_string())
}

/// A string, or a number or boolean in its shortest form (YAML may read `1.0` as a number).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Non-empty, bounded, no blanks or control characters.
fn valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A release or repository name as a part of a record id: ASCII letters, digits, `.`, `_`; anything
/// else becomes `_`. At most 32 characters.
fn id_component(s: &str) -> String {
    s.trim()
        .chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn snippet(v: &Value) -> String {
    bounded(&v.to_string(), 300)
}

fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_lines() {
        assert_eq!(entry_ids("CVE-2019-1549"), ["CVE-2019-1549"]);
        assert_eq!(entry_ids(" CVE-2016-6263"), ["CVE-2016-6263"]);
        assert_eq!(
            entry_ids("CVE-2017-8904 XSA-214"),
            ["CVE-2017-8904", "XSA-214"]
        );
        assert_eq!(
            entry_ids("CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI"),
            ["CVE-2017-5753", "CVE-2017-5715", "CVE-2017-5754", "XSA-254"]
        );
        assert_eq!(
            entry_ids("CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)"),
            ["CVE-2018-10103"]
        );
        assert_eq!(entry_ids("CVE-2017-8073.patch"), ["CVE-2017-8073"]);
        assert_eq!(entry_ids("CVE-2017-17434-1"), ["CVE-2017-17434"]);
        assert_eq!(entry_ids("CVE_2019-2426"), ["CVE-2019-2426"]);
        assert_eq!(entry_ids("CVE 2018-16859"), ["CVE-2018-16859"]);
        assert!(entry_ids("CVE fixed").is_empty());
        assert_eq!(entry_ids("CVE-????-?????  XSA-295"), ["XSA-295"]);
        assert_eq!(
            entry_ids("CVE-2017-14450 TALOS-2017-0499"),
            ["CVE-2017-14450", "TALOS-2017-0499"]
        );
        assert_eq!(entry_ids("GHSA-abcd-1234-wxyz"), ["GHSA-abcd-1234-wxyz"]);
        assert_eq!(
            entry_ids("CVE-2020-0001, CVE-2020-0001;cve-2020-0002 CVE-2020-1"),
            ["CVE-2020-0001", "CVE-2020-0002"]
        );
        assert!(entry_ids("was fixed in libpcap").is_empty());
        assert!(entry_ids("").is_empty());
        assert!(entry_ids("((((").is_empty());
        let many: String = (0..200).map(|i| format!("CVE-2020-{:05} ", i)).collect();
        assert_eq!(entry_ids(&many).len(), MAX_IDS_PER_ENTRY);
    }

    #[test]
    fn sniffing() {
        assert!(detect(
            b"---\ndistroversion: v3.11\nreponame: main\npackages:\n  - pkg:\n"
        ));
        assert!(detect(b"packages:\n- pkg:\n    name: a\n    secfixes:\n"));
        assert!(detect(
            br#"{"apkurl": "x", "packages" : [{"pkg": {"name": "a"}}]}"#
        ));
        assert!(detect(br#"{"packages": {}, "distroversion": "v3.3"}"#));
        // OSV records are not secdb files.
        assert!(!detect(br#"{"id": "ALPINE-CVE-1", "affected": [{"package": {"ecosystem": "Alpine:v3.11"}}], "details": "packages secfixes"}"#));
        assert!(!detect(
            b"id: PYSEC-1\naffected:\n- package:\n    name: packages\n"
        ));
        assert!(!detect(b"id: X\ndetails: |\n  packages: secfixes\n"));
        assert!(is_secdb(&json!({"packages": []})));
        assert!(is_secdb(&json!({"packages": {}})));
        assert!(!is_secdb(&json!({"id": "X", "packages": []})));
        assert!(!is_secdb(&json!({"packages": "x"})));
        assert!(!is_secdb(&json!({"packages": null})));
        assert!(is_secdb(
            &json!({"packages": null, "reponame": "community"})
        ));
        assert!(!is_secdb(&json!([])));
    }

    fn doc(v: Value) -> ParsedSecdb {
        convert(&v, Some("2024-01-01T00:00:00Z")).unwrap()
    }

    #[test]
    fn converts_alpine() {
        let p = doc(json!({
            "distroversion": "v3.11", "reponame": "main",
            "urlprefix": "http://dl-cdn.alpinelinux.org/alpine",
            "packages": [
                {"pkg": {"name": "xen", "secfixes": {
                    "4.9.0-r1": ["CVE-2017-8904 XSA-214", "XSA-207"],
                    "4.10.0-r2": ["CVE-2018-3620 CVE-2018-3646 XSA-273"],
                    "0": ["CVE-2000-0001"],
                }}},
                {"pkg": {"name": "openssl", "secfixes": {
                    "1.1.1d-r2": ["CVE-2019-1547"], "1.1.1d-r3": ["CVE-2019-1547"],
                    "1.11-20-r0": ["CVE-2019-9999"], "bad version": ["CVE-2019-0002"],
                    "1.0-r0": ["no id here", 5, {"x": 1}], "2.0-r0": null
                }}},
                {"pkg": {"secfixes": {}}},
                {"nopkg": 1},
                {"pkg": {"name": "zlib", "secfixes": {"1.2.12-r0": "CVE-2018-25032"}}}
            ]
        }));
        assert_eq!(p.distro, Distro::Alpine);
        assert_eq!(p.ecosystem, "Alpine:v3.11");
        let ids: Vec<&str> = p.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ALPINE-v3.11-main-CVE-2017-8904",
                "ALPINE-v3.11-main-CVE-2018-25032",
                "ALPINE-v3.11-main-CVE-2018-3620",
                "ALPINE-v3.11-main-CVE-2018-3646",
                "ALPINE-v3.11-main-CVE-2019-1547",
                "ALPINE-v3.11-main-CVE-2019-9999",
                "ALPINE-v3.11-main-XSA-207",
            ]
        );
        let r = &p.records[0];
        assert_eq!(r.upstream, ["CVE-2017-8904"]);
        assert_eq!(r.related, ["XSA-214"]);
        assert!(r.aliases.is_empty());
        assert_eq!(r.modified.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(
            r.references[0].url,
            "https://security.alpinelinux.org/vuln/CVE-2017-8904"
        );
        let a = &r.affected[0];
        let pkg = a.package.as_ref().unwrap();
        assert_eq!(
            (
                pkg.ecosystem.as_str(),
                pkg.name.as_str(),
                pkg.purl.as_deref()
            ),
            (
                "Alpine:v3.11",
                "xen",
                Some("pkg:apk/alpine/xen?arch=source")
            )
        );
        assert_eq!(a.ranges[0].kind, RangeType::Ecosystem);
        assert_eq!(
            a.ranges[0].events,
            [
                Event::Introduced("0".into()),
                Event::Fixed("4.9.0-r1".into())
            ]
        );
        assert_eq!(p.records[2].related, ["CVE-2018-3646", "XSA-273"]);
        // A re-fix: one element per fixed version.
        let refix: Vec<_> = p.records[4]
            .affected
            .iter()
            .map(|a| a.ranges[0].events[1].clone())
            .collect();
        assert_eq!(
            refix,
            [
                Event::Fixed("1.1.1d-r2".into()),
                Event::Fixed("1.1.1d-r3".into())
            ]
        );
        assert!(p.records[6].references.is_empty());
        let s = &p.stats;
        assert_eq!(s.packages, 3);
        assert_eq!(s.not_affected, 1);
        assert_eq!(s.fixed_versions, 8);
        assert_eq!(s.invalid_versions, 1);
        assert_eq!(s.fixes, 8);
        assert_eq!(s.records, 7);
        assert_eq!(s.entries, 8);
        let mut reasons: Vec<&str> = s.errors.iter().map(|e| e.reason.as_str()).collect();
        reasons.sort();
        assert_eq!(
            reasons,
            [
                "fix is not a string",
                "invalid fixed version",
                "missing or invalid package name",
                "no vulnerability id in the line",
                "no vulnerability id in the line",
                "package without a `pkg` object",
            ],
            "{:?}",
            s.errors
        );
    }

    #[test]
    fn converts_wolfi_and_chainguard() {
        let w = doc(
            json!({"apkurl": "{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk",
            "reponame": "os", "urlprefix": "https://packages.wolfi.dev",
            "packages": [{"pkg": {"name": "busybox", "secfixes": {"1.35.0-r3": ["CVE-2022-28391"], "0": ["CVE-2016-2781"]}}}]}),
        );
        assert_eq!(w.ecosystem, "Wolfi");
        assert_eq!(w.records.len(), 1);
        assert_eq!(w.records[0].id, "WOLFI-os-CVE-2022-28391");
        assert_eq!(
            w.records[0].affected[0]
                .package
                .as_ref()
                .unwrap()
                .purl
                .as_deref(),
            Some("pkg:apk/wolfi/busybox?arch=source")
        );
        let c = doc(
            json!({"reponame": "chainguard", "urlprefix": "https://packages.cgr.dev",
            "packages": [{"pkg": {"name": "bind", "secfixes": {"9.18.10-r0": ["CVE-2022-2795"]}}}]}),
        );
        assert_eq!(c.ecosystem, "Chainguard");
        assert_eq!(c.records[0].id, "CHAINGUARD-chainguard-CVE-2022-2795");
        // Release names: `v` added, odd ones refused.
        assert_eq!(
            doc(json!({"distroversion": "3.15", "packages": []})).ecosystem,
            "Alpine:v3.15"
        );
        assert_eq!(
            doc(json!({"distroversion": "edge", "packages": {}})).ecosystem,
            "Alpine:edge"
        );
        assert!(convert(&json!({"packages": []}), None).is_err());
        assert!(convert(&json!({"distroversion": "v3:1", "packages": []}), None).is_err());
        assert!(convert(&json!({"distroversion": "v3.1"}), None).is_err());
    }

    #[test]
    fn yaml_keys_stay_as_written() {
        let y = b"distroversion: v3.9\nreponame: community\npackages:\n  - pkg:\n      name: a\n      secfixes:\n        1.10:\n          - CVE-2019-0001\n        0:\n          - CVE-2019-0003\n  - pkg:\n      name: b\n      secfixes:\n        \"0\":\n          - CVE-2019-0002\n";
        assert!(detect(y));
        let p = parse(y, Format::Yaml, None).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(
            p.records[0].affected[0].ranges[0].events[1],
            Event::Fixed("1.10".into())
        );
        assert_eq!(p.stats.not_affected, 2);
        assert!(p.records[0].modified.is_none());
        assert!(matches!(
            parse(b"packages: [", Format::Yaml, None),
            Err(ParseError::Yaml(_))
        ));
        assert!(matches!(
            parse(b"{\"id\": \"X\"}", Format::Json, None),
            Err(ParseError::Shape(_))
        ));
    }
}
