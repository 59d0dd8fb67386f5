//! YAML (and JSON, a subset) documents as `serde_json::Value`s with the line of every node, so that a
//! finding at `spec.containers[0].securityContext` can name its line. Parsed by serde-saphyr (YAML
//! 1.1 booleans accepted as go-yaml v2 — and so kubectl — reads them).
//!
//! # One document at a time, each with its own budget
//! A file is cut into documents at the lines that start with `---` (as kubectl's YAML reader
//! cuts them; YAML forbids such a line inside a document's content, so the cut is exact), and each
//! document is parsed on its own ([`documents`]): a document that is invalid or over a limit is one
//! error at its line, and every other document — those before it included — is still read. Empty
//! documents (a lone `---`, comments) cost nothing and do not count. The limits ([`YamlLimits`]):
//! nesting depth, nodes and alias references per document; documents and nodes (alias expansions
//! included) per file. Memory is bounded by one document (the caller judges a document and drops
//! it before the next is read) and time is linear in the file.
//!
//! The line of each node is kept in a tree shaped like the value (not as one JSON-pointer string
//! per node, which would make deep documents with long keys quadratic in memory).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

/// Limits of the YAML reader (see the module docs). Going over one is a [`YamlError`] of kind
/// [`YamlErrorKind::Limit`] for the document (or, for the per-file limits, for the rest of the
/// file); the documents before it are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct YamlLimits {
    /// Most documents read from one file; empty ones are not counted (default 10,000).
    pub max_documents: usize,
    /// Deepest nesting of mappings and sequences in one document (default 256, at most
    /// [`MAX_DEPTH`]; a Kubernetes object nests about 12 deep, a large CRD schema about 40).
    pub max_depth: usize,
    /// Most nodes (scalars, sequences, mappings; alias expansions included) in one document
    /// (default 500,000, about 100 MiB of memory: a ConfigMap with 65,536 keys has 131,000 nodes;
    /// the API server refuses objects over 1.5 MiB).
    pub max_nodes: usize,
    /// Most nodes in one file, all documents together (default 16,000,000: bounds what aliases
    /// can multiply; without aliases a node takes at least 2 bytes of text).
    pub max_file_nodes: usize,
    /// Most alias references (`*name`) in one document (default 50,000).
    pub max_aliases: usize,
}

/// The largest [`YamlLimits::max_depth`] honoured: values are built on a growing stack, but
/// dropping and cloning them recurses on the thread's own.
pub const MAX_DEPTH: usize = 1024;

impl YamlLimits {
    /// The defaults.
    pub const DEFAULT: YamlLimits = YamlLimits {
        max_documents: 10_000,
        max_depth: 256,
        max_nodes: 500_000,
        max_file_nodes: 16_000_000,
        max_aliases: 50_000,
    };
}

impl Default for YamlLimits {
    fn default() -> Self {
        YamlLimits::DEFAULT
    }
}

/// The line of a node and of its children, shaped like the node's value (24 bytes a node: the
/// keys of a mapping are not copied, only hashed).
#[derive(Debug, Clone, Default)]
struct Lines {
    line: u32,
    kids: Kids,
}

#[derive(Debug, Clone, Default)]
enum Kids {
    #[default]
    Leaf,
    Seq(Box<[Lines]>),
    /// By the hash of the key ([`Document::hasher`]), sorted.
    Map(Box<[(u64, Lines)]>),
}

/// One parsed document: its value and the 1-based line of each node.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    lines: Lines,
    /// Hashes the mapping keys of `lines`.
    hasher: RandomState,
    /// Added to every line of `lines` (the document's place in its file).
    offset: u32,
    /// Line of the document's first node.
    pub line: u32,
}

impl Document {
    /// A document without line information (an object given in memory); `line_of` gives 0.
    pub fn from_value(value: Value) -> Document {
        Document {
            value,
            lines: Lines::default(),
            hasher: RandomState::new(),
            offset: 0,
            line: 0,
        }
    }

    /// The line of the node at `pointer` (`/spec/containers/0`), or of its nearest ancestor that
    /// has one.
    pub fn line_of(&self, pointer: &str) -> u32 {
        let mut node = &self.lines;
        let mut best = node.line;
        if !pointer.is_empty() {
            for token in pointer.strip_prefix('/').unwrap_or(pointer).split('/') {
                let next = match &node.kids {
                    Kids::Leaf => None,
                    Kids::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                    Kids::Map(m) => {
                        let h = self.hasher.hash_one(unescape(token).as_str());
                        m.binary_search_by_key(&h, |(k, _)| *k)
                            .ok()
                            .map(|i| &m[i].1)
                    }
                };
                match next {
                    Some(n) => {
                        node = n;
                        if n.line > 0 {
                            best = n.line;
                        }
                    }
                    None => break,
                }
            }
        }
        if best == 0 {
            return self.line;
        }
        best + self.offset
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

thread_local! {
    /// Nodes the file may still have (the per-file budget), counted by the visitor as it builds
    /// values, alias expansions included.
    static NODES_LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
    /// The hasher of mapping keys in [`Lines`] (random keys: no one can choose colliding keys).
    static HASHER: RandomState = RandomState::new();
}

fn key_hash(key: &str) -> u64 {
    HASHER.with(|h| h.hash_one(key))
}

/// Run `f` (which descends one level into the document) with enough stack: a new segment is
/// allocated when less than 256 KiB is left, so the nesting depth is bounded by
/// [`YamlLimits::max_depth`], not by the thread's stack.
fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 << 10, 4 << 20, f)
}

/// A value and its lines, built in one pass.
struct Built {
    value: Value,
    lines: Lines,
}

fn count_node<E: de::Error>() -> Result<(), E> {
    NODES_LEFT.with(|n| {
        let left = n.get();
        if left == 0 {
            return Err(E::custom(FILE_NODES_SPENT));
        }
        n.set(left - 1);
        Ok(())
    })
}

const FILE_NODES_SPENT: &str = "bulkhead: the file's node budget is spent";

fn leaf<E: de::Error>(value: Value) -> Result<Built, E> {
    count_node::<E>()?;
    Ok(Built {
        value,
        lines: Lines::default(),
    })
}

struct BuiltVisitor;

impl<'de> Visitor<'de> for BuiltVisitor {
    type Value = Built;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Built, E> {
        leaf(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Built, E> {
        leaf(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Built, D::Error> {
        Built::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Built, E> {
        leaf(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Built, E> {
        leaf(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Built, E> {
        leaf(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Built, E> {
        leaf(
            serde_json::Number::from_f64(v)
                .map(Value::Number)
                .unwrap_or(Value::Null),
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Built, E> {
        leaf(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Built, E> {
        leaf(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Built, A::Error> {
        count_node::<A::Error>()?;
        let mut values = Vec::new();
        let mut lines = Vec::new();
        while let Some(v) = grow(|| seq.next_element::<Spanned<Built>>())? {
            let line = v.referenced.line() as u32;
            values.push(v.value.value);
            lines.push(Lines {
                line,
                kids: v.value.lines.kids,
            });
        }
        Ok(Built {
            value: Value::Array(values),
            lines: Lines {
                line: 0,
                kids: Kids::Seq(lines.into_boxed_slice()),
            },
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Built, A::Error> {
        count_node::<A::Error>()?;
        let mut values = Map::new();
        let mut lines: Vec<(u64, Lines)> = Vec::new();
        while let Some(k) = map.next_key::<KeyString>()? {
            let v = grow(|| map.next_value::<Spanned<Built>>())?;
            let line = v.referenced.line() as u32;
            lines.push((
                key_hash(&k.0),
                Lines {
                    line,
                    kids: v.value.lines.kids,
                },
            ));
            values.insert(k.0, v.value.value);
        }
        // A repeated key keeps its last value (and line), as go-yaml v2 reads it: the sort is
        // stable, so the last of equal hashes is the key's last occurrence.
        lines.sort_by_key(|(h, _)| *h);
        let mut kept: Vec<(u64, Lines)> = Vec::with_capacity(lines.len());
        for (h, l) in lines {
            match kept.last_mut() {
                Some(last) if last.0 == h => *last = (h, l),
                _ => kept.push((h, l)),
            }
        }
        Ok(Built {
            value: Value::Object(values),
            lines: Lines {
                line: 0,
                kids: Kids::Map(kept.into_boxed_slice()),
            },
        })
    }
}

impl<'de> Deserialize<'de> for Built {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Built, D::Error> {
        d.deserialize_any(BuiltVisitor)
    }
}

/// A mapping key as text (`1: x` and `true: x` keys become "1" and "true", as in JSON conversion).
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyString, D::Error> {
        struct V;
        impl<'v> Visitor<'v> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyString, E> {
                count_node::<E>()?;
                Ok(KeyString("null".into()))
            }
            fn visit_seq<A: SeqAccess<'v>>(self, _: A) -> Result<KeyString, A::Error> {
                Err(de::Error::custom("a sequence as a mapping key"))
            }
            fn visit_map<A: MapAccess<'v>>(self, _: A) -> Result<KeyString, A::Error> {
                Err(de::Error::custom("a mapping as a mapping key"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether a [`YamlError`] is bad syntax or a limit, and what was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// Not valid YAML (or JSON): the document was not read.
    Syntax,
    /// Over a limit of one document ([`YamlLimits`]; valid YAML, perhaps, but too large or too
    /// deep): the document was not read.
    Limit,
    /// Over a limit of the whole file (documents, nodes): the rest of the file was not read.
    FileLimit,
}

/// Text that is not valid YAML (or JSON), or a document over a limit: where and what, in words
/// meant for the user (the parser's own wording with its location suffix and developer hints
/// removed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location_prefix(*line, *column))]
pub struct YamlError {
    /// 1-based line, when the parser knows it.
    pub line: Option<u32>,
    /// 1-based column, when the parser knows it.
    pub column: Option<u32>,
    pub message: String,
    pub kind: YamlErrorKind,
}

fn location_prefix(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl YamlError {
    /// The user-facing form of a serde-saphyr error.
    pub(crate) fn from_saphyr(e: &serde_saphyr::Error, text: &str) -> YamlError {
        YamlError::from_saphyr_in(e, text, &YamlLimits::DEFAULT, 0)
    }

    /// The user-facing form of a serde-saphyr error in a document whose first line is `offset`
    /// lines into its file, read with `limits` (named in the message of a limit).
    fn from_saphyr_in(
        e: &serde_saphyr::Error,
        text: &str,
        limits: &YamlLimits,
        offset: u32,
    ) -> YamlError {
        let loc = e.location().filter(|l| l.line() > 0);
        let line = loc.map(|l| {
            u32::try_from(l.line())
                .unwrap_or(u32::MAX)
                .saturating_add(offset)
        });
        let column = loc.map(|l| u32::try_from(l.column()).unwrap_or(u32::MAX));
        // The error itself, without the wrappers that add snippets or alias locations.
        let mut inner = e;
        while let serde_saphyr::Error::WithSnippet { error, .. }
        | serde_saphyr::Error::AliasError { error, .. } = inner
        {
            inner = error;
        }
        let limit = |message: String| YamlError {
            line,
            column,
            message,
            kind: YamlErrorKind::Limit,
        };
        match inner {
            serde_saphyr::Error::Budget { breach, .. } => {
                return limit(breach_words(breach, limits));
            }
            serde_saphyr::Error::AliasReplayLimitExceeded { .. }
            | serde_saphyr::Error::AliasReplayCounterOverflow { .. }
            | serde_saphyr::Error::AliasExpansionLimitExceeded { .. } => {
                return limit(format!(
                    "aliases expand to more than {} nodes in one document (an alias bomb)",
                    limits.max_nodes
                ));
            }
            serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => {
                return limit("aliases nested more than 64 deep".to_string());
            }
            _ => {}
        }
        let rendered = e.render_with_options(serde_saphyr::render_options! {
            formatter: &serde_saphyr::UserMessageFormatter,
            snippets: serde_saphyr::SnippetMode::Off,
        });
        if rendered.contains(FILE_NODES_SPENT) {
            return YamlError {
                line,
                column,
                message: format!(
                    "the file has more than {} YAML nodes (alias expansions included), the limit of one file",
                    limits.max_file_nodes
                ),
                kind: YamlErrorKind::Limit,
            };
        }
        // "… at line 3, column 4" → "…" (the location is kept apart).
        let mut message = match rendered.rfind(" at line ") {
            Some(i) if loc.is_some() => rendered[..i].to_string(),
            _ => rendered,
        };
        if message.trim().is_empty() {
            message = "not valid YAML".to_string();
        }
        if text.contains("{{") && text.contains("}}") {
            message.push_str(
                " (the file holds {{ }} template expressions: render it first, e.g. `helm template … | bulkhead config -`)",
            );
        }
        YamlError {
            line,
            column,
            message,
            kind: YamlErrorKind::Syntax,
        }
    }
}

/// A budget breach in words, with the limit it went over.
fn breach_words(b: &serde_saphyr::budget::BudgetBreach, l: &YamlLimits) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match b {
        B::Depth { .. } => format!(
            "nested more than {} levels deep",
            l.max_depth.min(MAX_DEPTH)
        ),
        B::Nodes { .. } | B::Events { .. } => format!(
            "more than {} nodes (scalars, sequences, mappings) in one document",
            l.max_nodes
        ),
        B::Aliases { .. } => format!(
            "more than {} alias references in one document",
            l.max_aliases
        ),
        B::AliasAnchorRatio { aliases, anchors } => {
            format!("{aliases} alias references to {anchors} anchors (an alias bomb)")
        }
        B::ScalarBytes { .. } => "more than 64 MiB of scalar text in one document".to_string(),
        B::RecordedAnchorEvents { .. } | B::RecordedAnchorBytes { .. } => {
            "anchors that record more than an alias may replay (an alias bomb)".to_string()
        }
        other => format!("over the YAML reader's limits ({other:?})"),
    }
}

/// Whether a chunk of text holds no document content: blank lines, comments, directives and
/// document markers only.
fn is_blank_chunk(chunk: &str) -> bool {
    chunk.lines().all(|l| {
        let t = l.trim();
        t.is_empty()
            || t.starts_with('#')
            || l.starts_with('%')
            || ((l.starts_with("---") || l.starts_with("...")) && {
                let rest = l[3..].trim();
                rest.is_empty() || rest.starts_with('#')
            })
    })
}

/// Whether a line starts a document (`---` at column 0, then nothing, a blank or a comment: what
/// kubectl's reader splits on; `--- |` and the like start a document too).
fn is_separator(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// The documents of a YAML (or JSON) stream, read one at a time (see the module docs). Each item
/// is a document, or the error of one document (its line in the file; the next item is the next
/// document). Over [`YamlLimits::max_documents`] or [`YamlLimits::max_file_nodes`], one last
/// error says from which line on the file was not read. Empty documents are skipped.
pub fn documents<'a>(text: &'a str, limits: &YamlLimits) -> Documents<'a> {
    Documents {
        text,
        pos: 0,
        line: 1,
        limits: *limits,
        read: 0,
        nodes_left: limits.max_file_nodes,
        pending: Vec::new(),
        done: false,
    }
}

/// The iterator of [`documents`].
pub struct Documents<'a> {
    text: &'a str,
    /// Byte offset of the next chunk.
    pos: usize,
    /// 1-based line of `pos`.
    line: u32,
    limits: YamlLimits,
    /// Non-empty documents read.
    read: usize,
    nodes_left: usize,
    /// Documents of the last chunk not yet handed out (a chunk holds more than one when a
    /// document ends with `...` and another follows without `---`).
    pending: Vec<Document>,
    done: bool,
}

impl Documents<'_> {
    /// The next chunk: from `pos` to the next separator line after the first content line (a chunk
    /// of comments and directives runs on into the document after it). Returns (start, end, first
    /// line, last line).
    fn next_chunk(&mut self) -> Option<(usize, usize, u32, u32)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let first = self.line;
        let mut at = start;
        let mut line = first;
        let mut content = false;
        while at < self.text.len() {
            let rest = &self.text[at..];
            let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let l = &rest[..len];
            if at > start && is_separator(l) && content {
                break;
            }
            if !is_blank_chunk(l) {
                content = true;
            }
            at += len;
            line += 1;
        }
        self.pos = at;
        self.line = line;
        Some((start, at, first, line.saturating_sub(1).max(first)))
    }
}

impl Iterator for Documents<'_> {
    type Item = Result<Document, YamlError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(d) = self.pending.pop() {
                return Some(Ok(d));
            }
            if self.done {
                return None;
            }
            let (start, end, first, _last) = self.next_chunk()?;
            let chunk = &self.text[start..end];
            if is_blank_chunk(chunk) {
                continue;
            }
            if self.read >= self.limits.max_documents {
                self.done = true;
                return Some(Err(YamlError {
                    line: Some(first),
                    column: None,
                    message: format!(
                        "more than {} documents in one file: the documents from this line on were not read",
                        self.limits.max_documents
                    ),
                    kind: YamlErrorKind::FileLimit,
                }));
            }
            self.read += 1;
            match parse_chunk(chunk, first - 1, &self.limits, &mut self.nodes_left) {
                Ok(mut docs) => {
                    docs.reverse();
                    self.pending = docs;
                }
                Err(e) => {
                    if self.nodes_left == 0 {
                        // The file's node budget is spent: nothing after this is read.
                        self.done = true;
                        return Some(Err(YamlError {
                            message: format!(
                                "{}: the documents from line {first} on were not read",
                                e.message
                            ),
                            kind: YamlErrorKind::FileLimit,
                            ..e
                        }));
                    }
                    let e = YamlError {
                        line: e.line.or(Some(first)),
                        ..e
                    };
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Parse one chunk (usually one document) whose first line is line `offset + 1` of its file,
/// charging its nodes to `nodes_left`.
fn parse_chunk(
    chunk: &str,
    offset: u32,
    limits: &YamlLimits,
    nodes_left: &mut usize,
) -> Result<Vec<Document>, YamlError> {
    // A repeated key keeps its last value, as go-yaml v2 (and so kubectl) reads it. The ratio
    // heuristic of aliases to anchors is off: alias expansion is bounded by the node limits (a
    // legitimate file may use one anchor many times).
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        budget: serde_saphyr::budget! {
            max_depth: limits.max_depth.min(MAX_DEPTH),
            max_nodes: limits.max_nodes,
            max_events: limits.max_nodes.saturating_mul(3).saturating_add(64),
            max_aliases: limits.max_aliases,
            max_anchors: limits.max_aliases.max(50_000),
            max_documents: usize::MAX,
            max_reader_input_bytes: None,
            enforce_alias_anchor_ratio: false,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.max_nodes,
        },
    };
    // The visitor counts what it builds (alias expansions included) against the file's budget.
    NODES_LEFT.with(|n| n.set(*nodes_left));
    let parsed: Result<Vec<Option<Spanned<Built>>>, _> =
        serde_saphyr::from_multiple_with_options(chunk, options);
    *nodes_left = NODES_LEFT.with(|n| n.replace(usize::MAX));
    let docs = parsed.map_err(|e| YamlError::from_saphyr_in(&e, chunk, limits, offset))?;
    let mut out = Vec::new();
    for d in docs.into_iter().flatten() {
        let line = (d.referenced.line() as u32).saturating_add(offset);
        if d.value.value.is_null() {
            continue;
        }
        out.push(Document {
            value: d.value.value,
            lines: Lines {
                line: d.referenced.line() as u32,
                kids: d.value.lines.kids,
            },
            hasher: HASHER.with(RandomState::clone),
            offset,
            line,
        });
    }
    Ok(out)
}

/// Parse every document of a YAML (or JSON) stream with the default limits; the first error
/// (invalid syntax or a limit) fails the whole stream. Empty documents are skipped. (The
/// pipeline reads documents one at a time with [`documents`] instead.)
pub fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    documents(text, &YamlLimits::DEFAULT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_by_pointer() {
        let docs = parse_documents(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  hostNetwork: yes\n  containers:\n  - name: c\n    image: x\n---\n---\n{\"kind\": \"List\",\n \"items\": []}\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let d = &docs[0];
        assert_eq!(
            d.value["spec"]["hostNetwork"],
            Value::Bool(true),
            "YAML 1.1 yes"
        );
        assert_eq!(d.line_of("/spec/hostNetwork"), 6);
        assert_eq!(d.line_of("/spec/containers/0/image"), 9);
        assert_eq!(
            d.line_of("/spec/containers/0/securityContext/privileged"),
            8
        );
        assert_eq!(docs[1].value["kind"], "List");
        assert_eq!(docs[1].line_of("/items"), 13);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let d = parse_documents("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(d[0].value["a"], 3);
    }

    #[test]
    fn bad_yaml_is_an_error_with_its_place() {
        let e = parse_documents("a: [1, 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(1), Some(4)));
        assert_eq!(e.to_string(), "line 1, column 4: unclosed bracket '['");
        let e = parse_documents("a: b\n c: d\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(!e.message.contains(" at line "), "{e}");
        let e = parse_documents("x: {{ .Values.image }}\n").unwrap_err();
        assert!(e.message.contains("helm template"), "{e}");
        let e = parse_documents("kind: Pod\nmetadata:\n\tname: x\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("tab"), "{e}");
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut y = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            y.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        assert!(parse_documents(&y).is_err(), "10^11 nodes must be refused");
    }
}
