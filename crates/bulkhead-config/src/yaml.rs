//! YAML (and JSON, a subset) documents as `serde_json::Value`s with the line of every node, so that a
//! finding at `spec.containers[0].securityContext` can name its line. Parsed by serde-saphyr (bounded
//! alias expansion, YAML 1.1 booleans accepted as go-yaml v2 — and so kubectl — reads them).

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::fmt;

/// Upper bound of one manifest file (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 32 << 20;

/// One parsed document: its value and the 1-based line of each node by JSON pointer (`/spec/containers/0`).
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub lines: HashMap<String, u32>,
    /// Line of the document's first node.
    pub line: u32,
}

impl Document {
    /// A document without line information (an object given in memory); `line_of` gives 0.
    pub fn from_value(value: Value) -> Document {
        Document {
            value,
            lines: HashMap::new(),
            line: 0,
        }
    }

    /// The line of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> u32 {
        let mut p = pointer;
        loop {
            if let Some(l) = self.lines.get(p) {
                return *l;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.line,
            }
        }
    }
}

enum Node {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Spanned<Node>>()? {
            out.push(v);
        }
        Ok(Node::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<KeyString>()? {
            let v = map.next_value::<Spanned<Node>>()?;
            out.push((k.0, v));
        }
        Ok(Node::Map(out))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
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
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyString, E> {
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

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn convert(node: Spanned<Node>, pointer: &mut String, lines: &mut HashMap<String, u32>) -> Value {
    lines.insert(pointer.clone(), node.referenced.line() as u32);
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::I64(i) => Value::from(i),
        Node::U64(u) => Value::from(u),
        Node::F64(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                out.push(convert(item, pointer, lines));
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(&k));
                let value = convert(v, pointer, lines);
                pointer.truncate(len);
                out.insert(k, value);
            }
            Value::Object(out)
        }
    }
}

/// Text that is not valid YAML (or JSON): where and what, in words meant for the user (the parser's
/// own wording with its location suffix and developer hints removed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location_prefix(*line, *column))]
pub struct YamlError {
    /// 1-based line, when the parser knows it.
    pub line: Option<u32>,
    /// 1-based column, when the parser knows it.
    pub column: Option<u32>,
    pub message: String,
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
        let loc = e.location().filter(|l| l.line() > 0);
        let line = loc.map(|l| u32::try_from(l.line()).unwrap_or(u32::MAX));
        let column = loc.map(|l| u32::try_from(l.column()).unwrap_or(u32::MAX));
        let rendered = e.render_with_options(serde_saphyr::render_options! {
            formatter: &serde_saphyr::UserMessageFormatter,
            snippets: serde_saphyr::SnippetMode::Off,
        });
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
        }
    }
}

/// Parse every document of a YAML (or JSON) stream. Empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(YamlError {
            line: None,
            column: None,
            message: format!(
                "refused: {} bytes, more than the limit of {MAX_DOCUMENT_BYTES}",
                text.len()
            ),
        });
    }
    // A repeated key keeps its last value, as go-yaml v2 (and so kubectl) reads it.
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
    };
    let docs: Vec<Option<Spanned<Node>>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| YamlError::from_saphyr(&e, text))?;
    let mut out = Vec::new();
    for d in docs.into_iter().flatten() {
        let line = d.referenced.line() as u32;
        let mut lines = HashMap::new();
        let value = convert(d, &mut String::new(), &mut lines);
        if value.is_null() {
            continue;
        }
        out.push(Document { value, lines, line });
    }
    Ok(out)
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
