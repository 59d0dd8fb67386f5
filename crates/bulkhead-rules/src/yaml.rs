//! A small YAML document tree with source marks, built from `granit-parser` events, with the
//! node model the rules loader needs (yaml-cpp's: every scalar is a string, plain `~`/`null`/empty
//! scalars are null). Aliases are expanded within a node budget; nesting depth is bounded.

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use std::collections::HashMap;

/// A source position, 0-based like yaml-cpp's `Mark` (byte offset, line, column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    pub pos: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub mark: Mark,
}

/// A YAML syntax error: message in yaml-cpp's shape and where it happened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {}, column {}: {message}", mark.line + 1, mark.column + 1)]
pub struct YamlError {
    pub message: String,
    pub mark: Mark,
}

/// Maximum number of nodes a file may expand to (aliases included): about 200 MiB parsed, 200×
/// the upstream rules files.
pub const MAX_NODES: usize = 1_000_000;
/// Maximum nesting of collections.
pub const MAX_DEPTH: usize = 256;

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    pub fn is_scalar(&self) -> bool {
        matches!(self.kind, Kind::Scalar(_))
    }
    pub fn is_seq(&self) -> bool {
        matches!(self.kind, Kind::Seq(_))
    }
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }
    /// The value for a key of a mapping (first match), like yaml-cpp's `node[key]`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn seq(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(v) => v,
            _ => &[],
        }
    }
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Map(v) => v,
            _ => &[],
        }
    }
    /// yaml-cpp's `as<std::string>()` of a scalar, or the empty string for a null.
    pub fn as_string(&self) -> Option<String> {
        match &self.kind {
            Kind::Scalar(s) => Some(s.clone()),
            Kind::Null => Some(String::new()),
            _ => None,
        }
    }
}

/// yaml-cpp's `convert<bool>`: y/n, yes/no, true/false, on/off in lower, UPPER or Capitalized.
pub fn decode_bool(s: &str) -> Option<bool> {
    const PAIRS: [(&str, &str); 4] = [("y", "n"), ("yes", "no"), ("true", "false"), ("on", "off")];
    let variants = |w: &str| -> [String; 3] {
        let mut cap = w.to_string();
        if let Some(f) = cap.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        [w.to_string(), w.to_ascii_uppercase(), cap]
    };
    for (t, f) in PAIRS {
        if variants(t).iter().any(|v| v == s) {
            return Some(true);
        }
        if variants(f).iter().any(|v| v == s) {
            return Some(false);
        }
    }
    None
}

/// yaml-cpp's `convert<uint32_t>`: decimal digits (or 0x/0o forms), no sign, no trailing text.
pub fn decode_u32(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x") {
        return u32::from_str_radix(h, 16).ok();
    }
    if let Some(o) = s.strip_prefix("0o") {
        return u32::from_str_radix(o, 8).ok();
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn mark_of(span: &Span) -> Mark {
    let m = span.start;
    Mark {
        pos: m.byte_offset().unwrap_or(m.index()),
        line: m.line().saturating_sub(1),
        column: m.col(),
    }
}

/// yaml-cpp-like wording for the most common syntax errors.
fn yaml_cpp_message(msg: &str) -> String {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("mapping values are not allowed") {
        "illegal map value".into()
    } else if lower.contains("did not find expected key") {
        "end of map not found".into()
    } else if lower.contains("did not find expected '-'") {
        "end of sequence not found".into()
    } else if lower.contains("did not find expected ',' or ']'") {
        "end of sequence flow not found".into()
    } else if lower.contains("did not find expected ',' or '}'") {
        "end of map flow not found".into()
    } else {
        msg.to_string()
    }
}

fn scan_error(e: &ScanError) -> YamlError {
    let m = e.marker();
    let mark = Mark {
        pos: m.byte_offset().unwrap_or(m.index()),
        line: m.line().saturating_sub(1),
        column: m.col(),
    };
    YamlError {
        message: format!(
            "yaml-cpp: error at line {}, column {}: {}",
            mark.line + 1,
            mark.column + 1,
            yaml_cpp_message(&e.info())
        ),
        mark,
    }
}

enum Frame {
    Seq(Vec<Node>, Mark, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Mark, usize),
}

/// Parses every document of a YAML stream. Empty documents are `Null` nodes.
pub fn load_all(content: &str) -> Result<Vec<Node>, YamlError> {
    let mut options = granit_parser::Options::default();
    options.flow_nesting_limit = options.flow_nesting_limit.min(MAX_DEPTH);
    options.block_nesting_limit = options.block_nesting_limit.min(MAX_DEPTH);
    let parser = Parser::new_from_str_with_options(content, options);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut budget = MAX_NODES;
    let mut root: Option<Node> = None;
    let mut in_doc = false;

    let too_big = |mark: Mark| YamlError {
        message: format!("yaml-cpp: document too large (over {MAX_NODES} nodes)"),
        mark,
    };

    for ev in parser {
        let (event, span) = ev.map_err(|e| scan_error(&e))?;
        let mark = mark_of(&span);
        let mut complete: Option<(Node, usize)> = None;
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                in_doc = true;
                root = None;
                anchors.clear();
            }
            Event::DocumentEnd => {
                if in_doc {
                    docs.push(root.take().unwrap_or(Node {
                        kind: Kind::Null,
                        mark,
                    }));
                }
                in_doc = false;
            }
            Event::Scalar(value, style, anchor, _tag) => {
                let null = style == ScalarStyle::Plain
                    && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                let kind = if null {
                    Kind::Null
                } else {
                    Kind::Scalar(value.into_owned())
                };
                budget = budget.checked_sub(1).ok_or_else(|| too_big(mark))?;
                complete = Some((Node { kind, mark }, anchor));
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().unwrap_or(Node {
                    kind: Kind::Null,
                    mark,
                });
                let size = count_nodes(&node);
                budget = budget.checked_sub(size).ok_or_else(|| too_big(mark))?;
                complete = Some((node, 0));
            }
            Event::SequenceStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: "yaml-cpp: nesting too deep".into(),
                        mark,
                    });
                }
                stack.push(Frame::Seq(Vec::new(), mark, anchor));
            }
            Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: "yaml-cpp: nesting too deep".into(),
                        mark,
                    });
                }
                stack.push(Frame::Map(Vec::new(), None, mark, anchor));
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, m, anchor)) = stack.pop() {
                    budget = budget.checked_sub(1).ok_or_else(|| too_big(m))?;
                    complete = Some((
                        Node {
                            kind: Kind::Seq(items),
                            mark: m,
                        },
                        anchor,
                    ));
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _, m, anchor)) = stack.pop() {
                    budget = budget.checked_sub(1).ok_or_else(|| too_big(m))?;
                    complete = Some((
                        Node {
                            kind: Kind::Map(entries),
                            mark: m,
                        },
                        anchor,
                    ));
                }
            }
            _ => {}
        }
        if let Some((node, anchor)) = complete {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                Some(Frame::Seq(items, ..)) => items.push(node),
                Some(Frame::Map(entries, pending, ..)) => match pending.take() {
                    Some(k) => entries.push((k, node)),
                    None => *pending = Some(node),
                },
                None => root = Some(node),
            }
        }
    }
    Ok(docs)
}

fn count_nodes(n: &Node) -> usize {
    let mut count = 0usize;
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.kind {
            Kind::Seq(v) => stack.extend(v.iter()),
            Kind::Map(v) => {
                for (k, val) in v {
                    stack.push(k);
                    stack.push(val);
                }
            }
            _ => {}
        }
        if count > MAX_NODES {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_and_marks() {
        let docs =
            load_all("- rule: a\n  enabled: false\n- list: l\n  items: [x, \"y\", ~]\n").unwrap();
        assert_eq!(docs.len(), 1);
        let items = docs[0].seq();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].mark.line, 0);
        assert_eq!(items[0].mark.column, 2);
        assert_eq!(items[1].mark.line, 2);
        assert_eq!(items[0].get("enabled").unwrap().scalar(), Some("false"));
        let l = items[1].get("items").unwrap().seq();
        assert!(l[2].is_null());
        assert_eq!(l[1].scalar(), Some("y"));
    }

    #[test]
    fn errors_and_bombs() {
        let e = load_all("this : is : not : yaml").unwrap_err();
        assert!(
            e.message.starts_with("yaml-cpp: error at line 1"),
            "{}",
            e.message
        );
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb += &format!(
                "b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            );
        }
        assert!(load_all(&bomb).is_err());
        let deep = "[".repeat(100_000);
        assert!(load_all(&deep).is_err());
    }

    #[test]
    fn bools_and_ints() {
        assert_eq!(decode_bool("True"), Some(true));
        assert_eq!(decode_bool("OFF"), Some(false));
        assert_eq!(decode_bool("tRue"), None);
        assert_eq!(decode_u32("15"), Some(15));
        assert_eq!(decode_u32("0.57.0"), None);
        assert_eq!(decode_u32("-1"), None);
    }
}
