//! The OSV data model (schema 1.x, <https://ossf.github.io/osv-schema/>), read from JSON or YAML.
//!
//! The model is tolerant: unknown fields are ignored, `null` is accepted wherever a list or string is
//! optional, and version strings written as bare YAML numbers (`fixed: 2`) are read as strings. The
//! store keeps each record's original JSON besides this typed view, so nothing is lost.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a document could not be read as an OSV record.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Not valid YAML (or over the YAML parser's safety budget).
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// Valid JSON/YAML, but not an OSV record (wrong shape or wrong field types).
    #[error("not an OSV record: {0}")]
    Shape(String),
    /// Over one of the record limits ([`MAX_RECORD_NODES`], [`MAX_RECORDS_PER_DOCUMENT`], …).
    #[error("{0}")]
    Limit(String),
}

/// Most JSON values (objects, arrays, strings, numbers…) one record may hold: the parsed form of a
/// record costs about 80 bytes a value, so this bounds one record's memory to about 80 MiB. The
/// largest records of osv.dev (Ubuntu kernel CVEs) hold tens of thousands.
pub const MAX_RECORD_NODES: usize = 1_000_000;
/// Most records one document (a JSON array) may hold.
pub const MAX_RECORDS_PER_DOCUMENT: usize = 1_000_000;
/// Most `affected[]` elements one record may hold.
pub const MAX_AFFECTED: usize = 50_000;
/// Most aliases (and `upstream`/`related` ids) one record may name: a record naming more would make
/// as many findings per package (a bundled distribution advisory gives one finding per CVE).
pub const MAX_ALIASES: usize = 5_000;

/// One OSV vulnerability record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// OSV schema version the record claims, e.g. `1.6.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Record id, e.g. `GO-2022-0274`, `PYSEC-2020-148`, `DSA-3029-1`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: String,
    /// Last modification time (RFC 3339).
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub modified: Option<String>,
    /// Publication time (RFC 3339).
    #[serde(
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<String>,
    /// Withdrawal time (RFC 3339); a withdrawn record must not be matched.
    #[serde(
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub withdrawn: Option<String>,
    /// Ids of the same vulnerability in other databases (CVE, GHSA, …).
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    /// Ids of related but different vulnerabilities.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related: Vec<String>,
    /// Ids of the upstream records this one derives from (e.g. a Debian record's CVE).
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub upstream: Vec<String>,
    /// One-line summary.
    #[serde(
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub summary: Option<String>,
    /// Longer description (CommonMark).
    #[serde(
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub details: Option<String>,
    /// Record-level severities (CVSS vectors, Ubuntu priorities, …).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Affected packages with their ranges and versions.
    #[serde(default, deserialize_with = "null_default")]
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    /// People and organisations credited.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub credits: Vec<Credit>,
    /// Database-specific data, kept as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A severity: `type` (`CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, …) and its score (a vector or a
/// rating, depending on the type).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// The severity type as written, e.g. `CVSS_V3`.
    #[serde(rename = "type", default, deserialize_with = "lenient_string")]
    pub kind: String,
    /// The score: a CVSS vector string or an ecosystem rating.
    #[serde(default, deserialize_with = "lenient_string")]
    pub score: String,
}

/// One `affected[]` element.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package; absent for GIT-only entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Severities specific to this package.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Affected version ranges.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub versions: Vec<String>,
    /// Ecosystem-specific data (e.g. Go `imports`, Ubuntu `priority`), kept as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    /// Database-specific data (e.g. Debian/Alpine `source`, GHSA `last_known_affected_version_range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A package: ecosystem (with optional release suffix, `Debian:12`), name, optional purl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The full ecosystem string, e.g. `PyPI`, `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub ecosystem: String,
    /// The package name as written in the record.
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// Package URL, when given.
    #[serde(
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub purl: Option<String>,
}

/// One affected range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// How the event versions are ordered.
    #[serde(rename = "type", default)]
    pub kind: RangeType,
    /// Repository URL (GIT ranges).
    #[serde(
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub repo: Option<String>,
    /// Events in the order written.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
    /// Database-specific data, kept as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// Range type. Unknown types are kept as [`RangeType::Other`] (a matcher should skip them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RangeType {
    /// SemVer 2.0 ordering.
    Semver,
    /// The ecosystem's own version ordering.
    #[default]
    Ecosystem,
    /// Git commit hashes.
    Git,
    /// Any other type, as written.
    Other(String),
}

impl From<String> for RangeType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "SEMVER" => RangeType::Semver,
            "ECOSYSTEM" => RangeType::Ecosystem,
            "GIT" => RangeType::Git,
            _ => RangeType::Other(s),
        }
    }
}

impl From<RangeType> for String {
    fn from(t: RangeType) -> Self {
        match t {
            RangeType::Semver => "SEMVER".into(),
            RangeType::Ecosystem => "ECOSYSTEM".into(),
            RangeType::Git => "GIT".into(),
            RangeType::Other(s) => s,
        }
    }
}

/// A range event. Written in OSV as a one-key object, e.g. `{"fixed": "1.2.3"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// The first affected version (`"0"` means every version before the next event).
    Introduced(String),
    /// The first version that is no longer affected.
    Fixed(String),
    /// The last affected version (inclusive).
    LastAffected(String),
    /// Upper bound (exclusive) of the range; used with GIT ranges.
    Limit(String),
    /// An event kind this model does not know, kept as written.
    Other {
        /// The object's key.
        kind: String,
        /// Its value.
        value: Value,
    },
}

impl Event {
    /// The version (or commit) of a known event kind.
    pub fn version(&self) -> Option<&str> {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => {
                Some(v)
            }
            Event::Other { .. } => None,
        }
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        match self {
            Event::Introduced(v) => m.serialize_entry("introduced", v)?,
            Event::Fixed(v) => m.serialize_entry("fixed", v)?,
            Event::LastAffected(v) => m.serialize_entry("last_affected", v)?,
            Event::Limit(v) => m.serialize_entry("limit", v)?,
            Event::Other { kind, value } => m.serialize_entry(kind, value)?,
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(d)?;
        // A well-formed event has exactly one key; take the first known one when there are more.
        for (key, ctor) in [
            ("introduced", Event::Introduced as fn(String) -> Event),
            ("fixed", Event::Fixed),
            ("last_affected", Event::LastAffected),
            ("limit", Event::Limit),
        ] {
            if let Some(v) = map.get(key) {
                let s = value_to_string(v).ok_or_else(|| {
                    de::Error::custom(format!("event `{key}` must be a version string"))
                })?;
                return Ok(ctor(s));
            }
        }
        match map.into_iter().next() {
            Some((kind, value)) => Ok(Event::Other { kind, value }),
            None => Err(de::Error::custom("empty range event")),
        }
    }
}

/// A reference link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `ARTICLE`, `FIX`, `WEB`, …
    #[serde(rename = "type", default, deserialize_with = "lenient_string")]
    pub kind: String,
    /// The URL.
    #[serde(default, deserialize_with = "lenient_string")]
    pub url: String,
}

/// A credit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Name of the person or organisation.
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// Contact URLs.
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contact: Vec<String>,
    /// `FINDER`, `REPORTER`, …
    #[serde(
        rename = "type",
        default,
        deserialize_with = "opt_lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<String>,
}

/// The input format of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// YAML (1.2; the pypa/advisory-database layout).
    Yaml,
}

impl Format {
    /// Format from a file name's extension (`.json`, `.yaml`, `.yml`), if it names one.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Format::Json)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else {
            None
        }
    }

    /// Guess the format from the content: JSON starts with `{` or `[` after whitespace.
    pub fn sniff(bytes: &[u8]) -> Format {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | Some(b'[') => Format::Json,
            _ => Format::Yaml,
        }
    }
}

impl Record {
    /// Parse one record from JSON bytes.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Record, ParseError> {
        let v = bounded_json_value(bytes)?;
        Record::from_value(&v)
    }

    /// Parse one record from YAML bytes.
    pub fn from_yaml_slice(bytes: &[u8]) -> Result<Record, ParseError> {
        let v = parse_yaml_value(bytes)?;
        Record::from_value(&v)
    }

    /// The record as compact JSON (fields outside this model are not included: the store keeps
    /// those, see `Store::raw_record`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a record serialises to JSON")
    }

    /// Read a record from an already parsed JSON value. Records over [`MAX_AFFECTED`] or
    /// [`MAX_ALIASES`] are refused.
    pub fn from_value(v: &Value) -> Result<Record, ParseError> {
        if !v.is_object() {
            return Err(ParseError::Shape(format!(
                "expected an object, found {}",
                json_kind(v)
            )));
        }
        let len = |k: &str| v.get(k).and_then(Value::as_array).map_or(0, Vec::len);
        if len("affected") > MAX_AFFECTED {
            return Err(ParseError::Limit(format!(
                "{} `affected` entries, more than the {MAX_AFFECTED} a record may hold",
                len("affected")
            )));
        }
        let ids = len("aliases") + len("upstream") + len("related");
        if ids > MAX_ALIASES {
            return Err(ParseError::Limit(format!(
                "{ids} aliases/upstream/related ids, more than the {MAX_ALIASES} a record may name"
            )));
        }
        Record::deserialize(v).map_err(|e| ParseError::Shape(e.to_string()))
    }
}

/// Parse a document into the JSON values of the records it holds: one object is one record; a
/// top-level array holds several. Bounded: every record at most [`MAX_RECORD_NODES`] values, at most
/// [`MAX_RECORDS_PER_DOCUMENT`] records.
pub fn parse_document(bytes: &[u8], format: Format) -> Result<Vec<Value>, ParseError> {
    let mut out = Vec::new();
    for_each_record(bytes, format, &mut |v| {
        out.push(v);
        Ok(())
    })?;
    Ok(out)
}

/// Parse a document and hand each record's JSON value to `f` as soon as it is read (a JSON array
/// is streamed: its records are never all in memory at once). The first element that is not an
/// object ends the document with [`ParseError::Shape`]; `f`'s error ends it too.
pub fn for_each_record(
    bytes: &[u8],
    format: Format,
    f: &mut dyn FnMut(Value) -> Result<(), ParseError>,
) -> Result<usize, ParseError> {
    match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let n =
                de::DeserializeSeed::deserialize(TopLevel { f }, &mut de).map_err(limit_or_json)?;
            de.end()?;
            Ok(n)
        }
        Format::Yaml => {
            let v = parse_yaml_value(bytes)?;
            match v {
                Value::Object(_) => {
                    f(v)?;
                    Ok(1)
                }
                Value::Array(items) => {
                    if items.len() > MAX_RECORDS_PER_DOCUMENT {
                        return Err(ParseError::Limit(format!(
                            "more than {MAX_RECORDS_PER_DOCUMENT} records in one document"
                        )));
                    }
                    let n = items.len();
                    for (i, v) in items.into_iter().enumerate() {
                        if !v.is_object() {
                            return Err(not_a_record(i, &v));
                        }
                        f(v)?;
                    }
                    Ok(n)
                }
                other => Err(ParseError::Shape(format!(
                    "expected an object or an array of objects, found {}",
                    json_kind(&other)
                ))),
            }
        }
    }
}

fn not_a_record(i: usize, v: &Value) -> ParseError {
    ParseError::Shape(format!(
        "element {} of the array is {}, not an object",
        i + 1,
        json_kind(v)
    ))
}

/// A JSON value of at most [`MAX_RECORD_NODES`] values.
fn bounded_json_value(bytes: &[u8]) -> Result<Value, ParseError> {
    bounded_json(bytes, MAX_RECORD_NODES)
}

/// A JSON value of at most `max_nodes` values (objects, arrays, strings, numbers, …).
pub(crate) fn bounded_json(bytes: &[u8], max_nodes: usize) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let budget = std::cell::Cell::new(max_nodes);
    let v = de::DeserializeSeed::deserialize(Bounded(&budget, max_nodes), &mut de)
        .map_err(limit_or_json)?;
    de.end()?;
    Ok(v)
}

/// The marker of a budget error inside serde_json's error type.
const BUDGET_MARK: &str = "\u{1}budget:";

fn limit_or_json(e: serde_json::Error) -> ParseError {
    let s = e.to_string();
    match s.strip_prefix(BUDGET_MARK) {
        Some(rest) => ParseError::Limit(rest.split(" at line").next().unwrap_or(rest).to_string()),
        None => ParseError::Json(e),
    }
}

/// The top level of a JSON document: an object (one record) or an array of objects, each read with
/// a fresh budget and handed to `f` at once.
struct TopLevel<'a> {
    f: &'a mut dyn FnMut(Value) -> Result<(), ParseError>,
}

impl<'de> de::DeserializeSeed<'de> for TopLevel<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for TopLevel<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an OSV record object or an array of them")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        let budget = std::cell::Cell::new(MAX_RECORD_NODES);
        let v = de::Visitor::visit_map(Bounded(&budget, MAX_RECORD_NODES), map)?;
        (self.f)(v).map_err(|e| de::Error::custom(format!("{BUDGET_MARK}{e}")))?;
        Ok(1)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        loop {
            if n == MAX_RECORDS_PER_DOCUMENT {
                return Err(de::Error::custom(format!(
                    "{BUDGET_MARK}more than {MAX_RECORDS_PER_DOCUMENT} records in one document"
                )));
            }
            let budget = std::cell::Cell::new(MAX_RECORD_NODES);
            let Some(v) = seq.next_element_seed(Bounded(&budget, MAX_RECORD_NODES))? else {
                break;
            };
            if !v.is_object() {
                return Err(de::Error::custom(format!(
                    "{BUDGET_MARK}{}",
                    not_a_record(n, &v)
                )));
            }
            (self.f)(v).map_err(|e| de::Error::custom(format!("{BUDGET_MARK}{e}")))?;
            n += 1;
        }
        Ok(n)
    }
}

/// A JSON value built while counting its values against a budget (serde_json's own `Value`
/// deserializer has no bound: a 60 MiB array of zeros becomes 2 GB).
struct Bounded<'a>(&'a std::cell::Cell<usize>, usize);

impl Bounded<'_> {
    fn take<E: de::Error>(&self) -> Result<(), E> {
        let left = self.0.get();
        if left == 0 {
            return Err(E::custom(format!(
                "{BUDGET_MARK}a record of more than {} JSON values",
                self.1
            )));
        }
        self.0.set(left - 1);
        Ok(())
    }
}

impl<'de> de::DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> de::Visitor<'de> for Bounded<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.take()?;
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.take()?;
        // No `with_capacity` from the input's size hint: the budget grows the vector.
        let mut v = Vec::new();
        while let Some(x) = seq.next_element_seed(Bounded(self.0, self.1))? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.take()?;
        let mut m = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            self.take()?;
            let v = map.next_value_seed(Bounded(self.0, self.1))?;
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

/// YAML → JSON value, with serde-saphyr's default budgets (bounded aliases, nesting and events).
fn parse_yaml_value(bytes: &[u8]) -> Result<Value, ParseError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| ParseError::Yaml(e.to_string()))?;
    serde_saphyr::from_str::<Value>(text).map_err(|e| ParseError::Yaml(one_line(&e.to_string())))
}

/// The first line of a (multi-line, snippet-decorated) parser message, bounded in length.
fn one_line(s: &str) -> String {
    let first = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if out.len() > 300 {
        let mut cut = 300;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A scalar as a string: strings as is, numbers and booleans in their shortest form.
fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_lenient_string(d)?.unwrap_or_default())
}

fn opt_lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        other => value_to_string(&other).map(Some).ok_or_else(|| {
            de::Error::custom(format!("expected a string, found {}", json_kind(&other)))
        }),
    }
}

fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                value_to_string(i).ok_or_else(|| {
                    de::Error::custom(format!(
                        "expected a list of strings, found {}",
                        json_kind(i)
                    ))
                })
            })
            .collect(),
        other => Err(de::Error::custom(format!(
            "expected a list of strings, found {}",
            json_kind(&other)
        ))),
    }
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_and_unknown_fields() {
        let r = Record::from_json_slice(
            br#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","future_field":{"a":1},
                "aliases":null,
                "affected":[{"package":{"ecosystem":"npm","name":"a"},
                  "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"},
                  {"last_affected":"2"},{"limit":"3"},{"weird":"x"}]},{"type":"NEW_KIND","events":[]}],
                  "versions":["1.0.0"]}]}"#,
        )
        .unwrap();
        assert_eq!(r.id, "X-1");
        assert!(r.aliases.is_empty());
        let a = &r.affected[0];
        assert_eq!(a.ranges[0].kind, RangeType::Semver);
        assert_eq!(
            a.ranges[0].events[..4],
            [
                Event::Introduced("0".into()),
                Event::Fixed("1.2.3".into()),
                Event::LastAffected("2".into()),
                Event::Limit("3".into())
            ]
        );
        assert!(matches!(&a.ranges[0].events[4], Event::Other { kind, .. } if kind == "weird"));
        assert_eq!(a.ranges[1].kind, RangeType::Other("NEW_KIND".into()));
        // Round trip through serde keeps the events' shape.
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(
            back["affected"][0]["ranges"][0]["events"][1]["fixed"],
            "1.2.3"
        );
        assert_eq!(back["affected"][0]["ranges"][1]["type"], "NEW_KIND");
    }

    #[test]
    fn yaml_bare_numbers_become_strings() {
        let r = Record::from_yaml_slice(
            b"id: PYSEC-0\nmodified: 2021-01-01T00:00:00Z\naffected:\n- package:\n    ecosystem: PyPI\n    name: x\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 2\n  versions:\n  - 1.5\n",
        )
        .unwrap();
        assert_eq!(r.modified.as_deref(), Some("2021-01-01T00:00:00Z"));
        let a = &r.affected[0];
        assert_eq!(
            a.ranges[0].events,
            [Event::Introduced("0".into()), Event::Fixed("2".into())]
        );
        assert_eq!(a.versions, ["1.5"]);
    }

    #[test]
    fn rejects_non_records() {
        assert!(matches!(
            Record::from_json_slice(b"[1]"),
            Err(ParseError::Shape(_))
        ));
        assert!(matches!(
            Record::from_json_slice(b"{"),
            Err(ParseError::Json(_))
        ));
        assert!(matches!(
            Record::from_yaml_slice(b"a: [b"),
            Err(ParseError::Yaml(_))
        ));
        assert!(matches!(
            Record::from_json_slice(
                br#"{"id":"x","affected":[{"ranges":[{"events":[{"fixed":{}}]}]}]}"#
            ),
            Err(ParseError::Shape(_))
        ));
        assert_eq!(Format::sniff(b"  \n{"), Format::Json);
        assert_eq!(Format::sniff(b"id: x"), Format::Yaml);
    }
}
