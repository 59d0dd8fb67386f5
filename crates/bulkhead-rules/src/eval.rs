//! Rule evaluation: a compiled condition ([`Expr`] with macros resolved and lists substituted) turned
//! once into a tree of typed checks, evaluated against any event that can extract fields
//! ([`FieldSource`]). Semantics follow libsinsp's filter checks: a check whose field has no value is
//! false (and `not` of it true); multi-valued fields match `in` when every value is in the set,
//! `intersects` when any is; `glob` is `fnmatch` without `FNM_PATHNAME`; `regex` is a full match.

use crate::ast::Expr;
use regex_automata::meta::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What an event offers to conditions and output formats: the values of a field (with its
/// argument, e.g. `jevt.value[/stage]` → arg `/stage`), or `None` when the event has no value for
/// it. Single-valued fields return one element.
pub trait FieldSource {
    fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>>;

    /// The event's type (`evt.type`) without building the field's value, for sources that have
    /// it at hand; the engine uses it to pick the rules of that type for every event.
    fn event_type(&self) -> Option<&str> {
        None
    }

    /// The raw bytes of a byte-buffer field (`evt.buffer`), for `bcontains`/`bstartswith`,
    /// which compare bytes that need not be valid UTF-8 (its string value is lossy).
    fn extract_bytes(&self, _field: &str) -> Option<&[u8]> {
        None
    }
}

/// A comparison operator, resolved once at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    Pmatch,
    Exists,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::Pmatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }
}

/// A field transformer, applied to each value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
}

/// An operand: a field with its argument and transformers (innermost first:
/// `tolower(basename(x))` → [Basename, ToLower]).
#[derive(Debug, Clone)]
pub struct FieldRef {
    pub name: String,
    pub arg: Option<String>,
    pub transforms: Vec<Transform>,
    /// A multi-valued (list) field: `len()` of it is its number of values, as in libsinsp.
    pub list: bool,
}

impl FieldRef {
    /// The socket fields whose values are a connection's two ends (`fd.ip`, `fd.port`,
    /// `fd.net`, `fd.proto`; libsinsp `compare_ip`/`compare_port`/`compare_net`/
    /// `compare_proto`): `=` and `in` hold when either end matches, `!=` when both differ.
    fn either_end(&self) -> bool {
        self.transforms.is_empty()
            && matches!(
                self.name.as_str(),
                "fd.ip" | "fd.port" | "fd.net" | "fd.proto"
            )
    }
}

/// A constant, prepared for its operator once: its number (for `<`…`>=`), network
/// (`a.b.c.d/n`), bytes (`bcontains`/`bstartswith` hex) and case-folded form (`icontains`,
/// `iglob`).
#[derive(Debug, Clone)]
pub struct Const {
    pub text: String,
    num: Option<f64>,
    net: Option<(std::net::IpAddr, u32)>,
    bytes: Option<Vec<u8>>,
    folded: String,
}

impl Const {
    fn new(text: &str, op: Op) -> Const {
        Const {
            num: matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge)
                .then(|| text.trim().parse::<f64>().ok())
                .flatten(),
            net: parse_net(text),
            bytes: matches!(op, Op::BContains | Op::BStartsWith)
                .then(|| hex_bytes(text))
                .flatten(),
            folded: if matches!(op, Op::IContains | Op::IGlob) {
                text.to_lowercase()
            } else {
                String::new()
            },
            text: text.to_string(),
        }
    }

    /// `v` equals the constant, or is an address inside its network.
    fn equals(&self, v: &str) -> bool {
        v == self.text || self.net.is_some_and(|n| ip_in(v, n))
    }
}

/// The right-hand side of a check.
#[derive(Debug)]
pub enum Rhs {
    None,
    Value(Const),
    /// A list, with a set of its texts for `in`/`intersects`.
    List(Vec<Const>, HashSet<String>),
    Field(FieldRef),
    /// Shared by every check with the same pattern (one program, one match cache).
    Regex(Arc<Regex>),
}

/// A compiled condition.
#[derive(Debug)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check {
        left: FieldRef,
        op: Op,
        /// The `allof` modifier (`startswith allof (a, b)`); `oneof`/`anyof` are the default.
        all: bool,
        rhs: Rhs,
    },
    /// A constant (an unresolved identifier compiles to false).
    Const(bool),
}

/// Compile a condition for evaluation: operators, constants (numbers, networks, hex bytes,
/// case folding, regexes) and field references are resolved once here, not per event. Errors
/// name what cannot be evaluated (bad regex, an operand that is not a field, a transformer the
/// engine does not implement).
/// Why a condition cannot be evaluated (the loader accepted it; the evaluator lacks something).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("undefined macro '{0}' at evaluation")]
    UndefinedMacro(String),
    #[error("unknown operator {0:?}")]
    UnknownOperator(String),
    #[error("{detail}")]
    Regex { pattern: String, detail: String },
    #[error("transformer {0}() is not implemented")]
    Transformer(String),
    #[error("{0}() needs a field argument")]
    MissingArgument(String),
    /// An operand that is not a field (a constant or list where a field must be).
    #[error("an operand of a check is not a field")]
    NotAField,
    /// A node that is not a condition (a bare value or list).
    #[error("a part of the condition is not a check")]
    NotACondition,
}

pub fn compile(expr: &Expr) -> Result<Node, CompileError> {
    compile_with(expr, &mut RegexCache::default())
}

/// [`compile`], taking compiled regular expressions from (and adding them to) `regexes`.
pub fn compile_with(expr: &Expr, regexes: &mut RegexCache) -> Result<Node, CompileError> {
    Ok(match expr {
        Expr::And { children, .. } => Node::And(
            children
                .iter()
                .map(|c| compile_with(c, regexes))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or { children, .. } => Node::Or(
            children
                .iter()
                .map(|c| compile_with(c, regexes))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not { child, .. } => Node::Not(Box::new(compile_with(child, regexes)?)),
        Expr::Identifier { name, .. } => {
            return Err(CompileError::UndefinedMacro(name.clone()));
        }
        Expr::UnaryCheck { left, op, .. } => Node::Check {
            left: operand(left)?,
            op: Op::parse(op).ok_or_else(|| CompileError::UnknownOperator(op.clone()))?,
            all: false,
            rhs: Rhs::None,
        },
        Expr::BinaryCheck {
            left,
            op,
            modifier,
            right,
            ..
        } => {
            let op_ = Op::parse(op).ok_or_else(|| CompileError::UnknownOperator(op.clone()))?;
            let rhs = match right.as_ref() {
                Expr::Value { value, .. } if op_ == Op::Regex => {
                    Rhs::Regex(regexes.get(value).map_err(|detail| CompileError::Regex {
                        pattern: value.clone(),
                        detail,
                    })?)
                }
                Expr::Value { value, .. } => Rhs::Value(Const::new(value, op_)),
                Expr::List { values, .. } => Rhs::List(
                    values.iter().map(|v| Const::new(v, op_)).collect(),
                    values.iter().cloned().collect(),
                ),
                Expr::Transformer { name, args, .. } if name == "val" => Rhs::Field(operand(
                    args.first()
                        .ok_or_else(|| CompileError::MissingArgument("val".into()))?,
                )?),
                other => Rhs::Field(operand(other)?),
            };
            Node::Check {
                left: operand(left)?,
                op: op_,
                all: modifier.as_deref() == Some("allof"),
                rhs,
            }
        }
        _ => return Err(CompileError::NotACondition),
    })
}

/// Largest compiled program of one regular expression (the NFA; RE2, which libsinsp uses, has
/// the same 8 MiB default `max_mem`). A larger one is an invalid pattern ("pattern too large").
pub const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// The lazy DFA's cache of one regular expression (grown while matching, then reset).
pub const REGEX_CACHE_BYTES: usize = 1 << 20;
/// Largest one-pass DFA built for a regular expression (the regex crate's default).
pub const REGEX_ONEPASS_LIMIT: usize = 1 << 20;
/// Largest full DFA built ahead of time for a small regular expression (the default).
pub const REGEX_DFA_LIMIT: usize = 40 << 10;
/// Deepest nesting of groups and repetitions in a pattern (the regex crate's default).
pub const REGEX_NEST_LIMIT: u32 = 250;
/// Default memory budget of all compiled regular expressions of an engine
/// ([`crate::loader::LoadLimits::max_regex_bytes`]).
pub const DEFAULT_MAX_REGEX_BYTES: usize = 64 << 20;

/// The `regex` patterns of a rules engine compiled once each (a macro used many times shares
/// one program and one match cache), within a memory budget: each pattern counts its compiled
/// size ([`Regex::memory_usage`]) plus its match cache ([`REGEX_CACHE_BYTES`]). Matching is a
/// full match (`^(?:pattern)$`) in linear time.
#[derive(Debug, Clone)]
pub struct RegexCache {
    map: HashMap<String, Arc<Regex>>,
    used: usize,
    budget: usize,
}

impl Default for RegexCache {
    fn default() -> Self {
        RegexCache::new(DEFAULT_MAX_REGEX_BYTES)
    }
}

impl RegexCache {
    pub fn new(budget: usize) -> RegexCache {
        RegexCache {
            map: HashMap::new(),
            used: 0,
            budget,
        }
    }

    /// Bytes the compiled patterns hold (with their caches).
    pub fn memory(&self) -> usize {
        self.used
    }

    /// The compiled pattern, or why it cannot be: Falco's `invalid regex pattern: ...` text.
    pub fn get(&mut self, pattern: &str) -> Result<Arc<Regex>, String> {
        if let Some(r) = self.map.get(pattern) {
            return Ok(r.clone());
        }
        let re = build_regex(pattern)?;
        let cost = re.memory_usage() + REGEX_CACHE_BYTES + pattern.len();
        if self.used.saturating_add(cost) > self.budget {
            return Err(format!(
                "the rules' regular expressions need more than {} bytes compiled (this one {cost}; the loader's limit, LoadLimits::max_regex_bytes)",
                self.budget
            ));
        }
        self.used += cost;
        let re = Arc::new(re);
        self.map.insert(pattern.to_string(), re.clone());
        Ok(re)
    }
}

fn build_regex(pattern: &str) -> Result<Regex, String> {
    use regex_automata::{meta, util::syntax};
    let config = meta::Config::new()
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .onepass_size_limit(Some(REGEX_ONEPASS_LIMIT))
        .dfa_size_limit(Some(REGEX_DFA_LIMIT))
        .hybrid_cache_capacity(REGEX_CACHE_BYTES);
    Regex::builder()
        .configure(config)
        .syntax(syntax::Config::new().nest_limit(REGEX_NEST_LIMIT))
        .build(&format!("^(?:{pattern})$"))
        .map_err(|e| {
            if let Some(limit) = e.size_limit() {
                return format!(
                    "invalid regex pattern: pattern too large - compile failed (over {limit} bytes compiled)"
                );
            }
            let detail = match e.syntax_error() {
                Some(regex_syntax::Error::Parse(p)) => p.kind().to_string(),
                Some(regex_syntax::Error::Translate(t)) => t.kind().to_string(),
                _ => e.to_string(),
            };
            format!("invalid regex pattern: {detail}: {pattern}")
        })
}

/// Whether a field of that name (of any source) is multi-valued.
fn is_list_field(name: &str) -> bool {
    static LISTS: std::sync::LazyLock<HashSet<&'static str>> = std::sync::LazyLock::new(|| {
        crate::fields::FIELDS
            .iter()
            .filter(|f| f.list)
            .map(|f| f.name)
            .collect()
    });
    LISTS.contains(name)
}

fn operand(e: &Expr) -> Result<FieldRef, CompileError> {
    match e {
        Expr::Field { name, arg, .. } => {
            // `evt.arg.target` is `evt.arg` with the key `target` (libsinsp's dotted form).
            let (name, arg) = match (arg, dotted_field(name)) {
                (None, Some((field, key))) => (field.to_string(), key),
                _ => (name.clone(), arg.clone()),
            };
            Ok(FieldRef {
                list: is_list_field(&name),
                name,
                arg,
                transforms: Vec::new(),
            })
        }
        Expr::Transformer { name, args, .. } => {
            let t = match name.as_str() {
                "tolower" => Transform::ToLower,
                "toupper" => Transform::ToUpper,
                "b64" => Transform::B64,
                "basename" => Transform::Basename,
                "len" => Transform::Len,
                other => return Err(CompileError::Transformer(other.to_string())),
            };
            let mut inner = operand(
                args.first()
                    .ok_or_else(|| CompileError::MissingArgument(name.clone()))?,
            )?;
            inner.transforms.push(t);
            Ok(inner)
        }
        _ => Err(CompileError::NotAField),
    }
}

fn values(f: &FieldRef, ev: &dyn FieldSource) -> Option<Vec<String>> {
    let mut v = ev.extract(&f.name, f.arg.as_deref())?;
    for (i, t) in f.transforms.iter().enumerate() {
        if *t == Transform::Len && i == 0 && f.list {
            // libsinsp: `len()` of a list field is its number of values.
            v = vec![v.len().to_string()];
            continue;
        }
        for s in v.iter_mut() {
            *s = match t {
                Transform::ToLower => s.to_lowercase(),
                Transform::ToUpper => s.to_uppercase(),
                Transform::Basename => s.rsplit('/').next().unwrap_or("").to_string(),
                Transform::Len => s.len().to_string(),
                Transform::B64 => match b64decode(s) {
                    Some(d) => d,
                    None => continue,
                },
            };
        }
    }
    Some(v)
}

fn b64decode(s: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// `fnmatch(pattern, s, 0)` (or with `FNM_CASEFOLD`): `*` and `?` cross `/`, `[...]` classes with
/// `!`/`^` negation and ranges, `\` escapes. Written by hand: a dozen lines, no crate matches
/// fnmatch's flags exactly. ASCII inputs are matched as bytes (no allocation), others as chars.
pub fn fnmatch(pattern: &str, s: &str, casefold: bool) -> bool {
    if casefold {
        let (p, t) = (pattern.to_lowercase(), s.to_lowercase());
        return fnmatch(&p, &t, false);
    }
    if pattern.is_ascii() && s.is_ascii() {
        return glob_match(pattern.as_bytes(), s.as_bytes());
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    glob_match(&p, &t)
}

fn glob_match<T: Copy + PartialOrd + From<u8>>(p: &[T], t: &[T]) -> bool {
    let c = |b: u8| T::from(b);
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() {
            let pc = p[pi];
            if pc == c(b'*') {
                star = Some(pi);
                mark = ti;
                pi += 1;
                continue;
            }
            if pc == c(b'?') {
                pi += 1;
                ti += 1;
                continue;
            }
            if pc == c(b'[') {
                if let Some((matched, next)) = class(p, pi, t[ti]) {
                    if matched {
                        pi = next;
                        ti += 1;
                        continue;
                    }
                } else if t[ti] == c(b'[') {
                    pi += 1;
                    ti += 1;
                    continue;
                }
            } else if pc == c(b'\\') && pi + 1 < p.len() && p[pi + 1] == t[ti] {
                pi += 2;
                ti += 1;
                continue;
            } else if pc == t[ti] {
                pi += 1;
                ti += 1;
                continue;
            }
        }
        match star {
            Some(sp) => {
                pi = sp + 1;
                mark += 1;
                ti = mark;
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == c(b'*') {
        pi += 1;
    }
    pi == p.len()
}

/// A `[...]` class at `p[start]`: (matches `ch`, index after the class), or `None` if
/// unterminated.
fn class<T: Copy + PartialOrd + From<u8>>(p: &[T], start: usize, ch: T) -> Option<(bool, usize)> {
    let c = |b: u8| T::from(b);
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == c(b'!') || p[i] == c(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (first || p[i] != c(b']')) {
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == c(b'-') && p[i + 2] != c(b']') {
            if lo <= ch && ch <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if lo == ch {
                matched = true;
            }
            i += 1;
        }
    }
    if i >= p.len() {
        return None;
    }
    Some((matched != negate, i + 1))
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A network value `a.b.c.d/n` or `fe80::/10`.
fn parse_net(r: &str) -> Option<(std::net::IpAddr, u32)> {
    let (net, bits) = r.split_once('/')?;
    let net = net.parse::<std::net::IpAddr>().ok()?;
    let bits = bits.parse::<u32>().ok()?;
    let max = if net.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((net, bits))
}

/// `v` is an IP address inside the network `(net, bits)`.
fn ip_in(v: &str, (net, bits): (std::net::IpAddr, u32)) -> bool {
    let Ok(ip) = v.parse::<std::net::IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// `v` is an IP address inside the network `r` (`10.0.0.0/8`, `fe80::/10`), as Falco compares
/// address fields with network values.
#[cfg(test)]
fn ip_in_net(v: &str, r: &str) -> bool {
    parse_net(r).is_some_and(|n| ip_in(v, n))
}

/// Order of a value and a constant: numeric when the constant is a number and the value parses
/// as one, else textual.
fn order(v: &str, c: &Const) -> Option<std::cmp::Ordering> {
    match (c.num, v.trim().parse::<f64>()) {
        (Some(y), Ok(x)) => x.partial_cmp(&y),
        _ => Some(v.cmp(c.text.as_str())),
    }
}

/// One value against one constant.
fn compare(op: Op, v: &str, c: &Const) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq | Op::In => c.equals(v),
        Op::Ne => !c.equals(v),
        Op::Contains => v.contains(c.text.as_str()),
        Op::IContains => v.to_lowercase().contains(c.folded.as_str()),
        Op::StartsWith => v.starts_with(c.text.as_str()),
        Op::EndsWith => v.ends_with(c.text.as_str()),
        Op::Glob => fnmatch(&c.text, v, false),
        Op::IGlob => fnmatch(&c.folded, &v.to_lowercase(), false),
        Op::BContains => c.bytes.as_ref().is_some_and(|n| {
            n.is_empty() || v.as_bytes().windows(n.len()).any(|w| w == n.as_slice())
        }),
        Op::BStartsWith => c
            .bytes
            .as_ref()
            .is_some_and(|n| v.as_bytes().starts_with(n)),
        Op::Lt => order(v, c) == Some(Less),
        Op::Le => order(v, c).is_some_and(|o| o != Greater),
        Op::Gt => order(v, c) == Some(Greater),
        Op::Ge => order(v, c).is_some_and(|o| o != Less),
        Op::Pmatch => path_prefix(v, std::slice::from_ref(c)),
        Op::Regex | Op::Intersects | Op::Exists => false,
    }
}

/// `pmatch`: the value is one of the paths or below one of them.
fn path_prefix(v: &str, prefixes: &[Const]) -> bool {
    prefixes.iter().any(|p| {
        let p = p.text.trim_end_matches('/');
        v == p || (v.starts_with(p) && v.as_bytes().get(p.len()) == Some(&b'/')) || p.is_empty()
    })
}

impl Node {
    /// Evaluate against an event.
    pub fn eval(&self, ev: &dyn FieldSource) -> bool {
        match self {
            Node::And(c) => c.iter().all(|n| n.eval(ev)),
            Node::Or(c) => c.iter().any(|n| n.eval(ev)),
            Node::Not(c) => !c.eval(ev),
            Node::Const(b) => *b,
            Node::Check { left, op, all, rhs } => {
                if matches!(op, Op::BContains | Op::BStartsWith)
                    && left.transforms.is_empty()
                    && let Some(bytes) = ev.extract_bytes(&left.name)
                {
                    let hit = |c: &Const| {
                        c.bytes.as_ref().is_some_and(|n| {
                            if *op == Op::BStartsWith {
                                bytes.starts_with(n)
                            } else {
                                n.is_empty() || bytes.windows(n.len()).any(|w| w == n.as_slice())
                            }
                        })
                    };
                    return match rhs {
                        Rhs::Value(c) => hit(c),
                        Rhs::List(list, _) if *all => list.iter().all(hit),
                        Rhs::List(list, _) => list.iter().any(hit),
                        _ => false,
                    };
                }
                let Some(vals) = values(left, ev) else {
                    return false;
                };
                if *op == Op::Exists {
                    return !vals.is_empty();
                }
                if vals.is_empty() {
                    return false;
                }
                let in_list = |v: &String, list: &[Const], set: &HashSet<String>| {
                    set.contains(v) || list.iter().any(|c| c.net.is_some_and(|n| ip_in(v, n)))
                };
                match (op, rhs) {
                    // Either-end socket fields: `in` matches when one end is in the list.
                    (Op::In, Rhs::List(list, set)) if left.either_end() => {
                        vals.iter().any(|v| in_list(v, list, set))
                    }
                    (Op::In, Rhs::List(list, set)) => vals.iter().all(|v| in_list(v, list, set)),
                    (Op::In, Rhs::Value(c)) => vals.iter().all(|v| c.equals(v)),
                    (Op::Intersects, Rhs::List(list, set)) => {
                        vals.iter().any(|v| in_list(v, list, set))
                    }
                    (Op::Pmatch, Rhs::List(list, _)) => vals.iter().all(|v| path_prefix(v, list)),
                    (Op::Regex, Rhs::Regex(re)) => vals.iter().any(|v| re.is_match(v.as_str())),
                    // Modifier forms: `startswith oneof (a, b)`, `... allof (...)`.
                    (_, Rhs::List(list, _)) => vals.iter().any(|v| {
                        if *all {
                            list.iter().all(|c| compare(*op, v, c))
                        } else {
                            list.iter().any(|c| compare(*op, v, c))
                        }
                    }),
                    // Every value differs (for the either-end fields: both ends); a network
                    // value differs from the addresses outside it.
                    (Op::Ne, Rhs::Value(c)) => vals.iter().all(|v| !c.equals(v)),
                    (_, Rhs::Value(c)) => vals.iter().any(|v| compare(*op, v, c)),
                    (_, Rhs::Field(f)) => {
                        let Some(rv) = values(f, ev) else {
                            return false;
                        };
                        match op {
                            Op::In => vals.iter().all(|v| rv.contains(v)),
                            Op::Intersects => vals.iter().any(|v| rv.contains(v)),
                            _ => vals
                                .iter()
                                .any(|v| rv.iter().any(|r| compare(*op, v, &Const::new(r, *op)))),
                        }
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Largest value of one field in an alert (bytes); a longer one is cut, ending with `...`.
pub const MAX_OUTPUT_VALUE: usize = 1 << 20;
/// Most bytes of field values in one alert (its text and its `output_fields` each hold them
/// once); past it, values are cut to what is left.
pub const MAX_OUTPUT_VALUES: usize = 8 << 20;

/// Cut `v` to at most `max` bytes (at a character boundary), marked with `...`.
fn cut_value(v: &mut String, max: usize) {
    if v.len() <= max {
        return;
    }
    let mut end = max.saturating_sub(3);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    v.truncate(end);
    v.push_str("...");
}

/// Expand an output format: `%field` and `%field[arg]` (and `%(field)`) replaced by the event's
/// value (lists as `(a,b)`), `<NA>` when it has none, as Falco formats outputs. Returns the text and
/// the (field, value) pairs for JSON `output_fields`.
pub fn format_output(fmt: &str, ev: &dyn FieldSource) -> (String, Vec<(String, Option<String>)>) {
    let b = fmt.as_bytes();
    let mut out = String::with_capacity(fmt.len());
    let mut fields = Vec::new();
    let mut budget = MAX_OUTPUT_VALUES;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            let start = i;
            while i < b.len() && b[i] != b'%' {
                i += 1;
            }
            out.push_str(&fmt[start..i]);
            continue;
        }
        let mut j = i + 1;
        let paren = j < b.len() && b[j] == b'(';
        if paren {
            j += 1;
        }
        let name_start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_') {
            j += 1;
        }
        let name = &fmt[name_start..j];
        if name.is_empty() || !name.contains('.') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut arg = None;
        if j < b.len()
            && b[j] == b'['
            && let Some(end) = fmt[j..].find(']')
        {
            arg = Some(fmt[j + 1..j + end].to_string());
            j += end + 1;
        }
        if paren && j < b.len() && b[j] == b')' {
            j += 1;
        }
        // `%evt.arg.flags` is `evt.arg` with the key `flags` (the dotted form the conditions
        // accept too); the output field keeps the name as written, as Falco's does.
        let (field, field_arg) = match &arg {
            None => dotted_field(name).unwrap_or((name, None)),
            Some(_) => (name, arg.clone()),
        };
        let value = ev.extract(field, field_arg.as_deref()).map(|v| {
            let mut v = if v.len() == 1 {
                v.into_iter().next().unwrap_or_default()
            } else {
                format!("({})", v.join(","))
            };
            // An alert is bounded whatever the event holds: each value, then all of them.
            cut_value(&mut v, MAX_OUTPUT_VALUE.min(budget));
            budget = budget.saturating_sub(v.len());
            v
        });
        out.push_str(value.as_deref().unwrap_or("<NA>"));
        let key = match &arg {
            Some(a) => format!("{name}[{a}]"),
            None => name.to_string(),
        };
        fields.push((key, value));
        i = j;
    }
    (out, fields)
}

/// A dotted field reference (`evt.arg.flags`, `ka.req.pod.labels.app`-style) as its field and
/// key; `None` when `name` is a field of its own or no field takes a dotted key.
fn dotted_field(name: &str) -> Option<(&'static str, Option<String>)> {
    for source in ["syscall", "k8s_audit"] {
        if crate::fields::field(source, name).is_some() {
            return None;
        }
    }
    for source in ["syscall", "k8s_audit"] {
        if let Ok(r) = crate::fields::resolve(source, name, None)
            && r.info.name != name
        {
            return Some((r.info.name, r.arg));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_condition;
    use std::collections::HashMap;

    struct Ev(HashMap<&'static str, Vec<String>>);
    impl FieldSource for Ev {
        fn extract(&self, field: &str, _arg: Option<&str>) -> Option<Vec<String>> {
            self.0.get(field).cloned()
        }
    }

    fn ev() -> Ev {
        let mut m = HashMap::new();
        m.insert("proc.name", vec!["bash".to_string()]);
        m.insert("fd.name", vec!["/etc/shadow".to_string()]);
        m.insert("ka.images", vec!["nginx".to_string(), "redis".to_string()]);
        m.insert("evt.num", vec!["42".to_string()]);
        m.insert(
            "ka.user.groups",
            vec!["system:masters".to_string(), "dev".to_string()],
        );
        m.insert("fd.port", vec!["40251".to_string(), "53".to_string()]);
        m.insert(
            "fd.net",
            vec!["10.1.2.3".to_string(), "8.8.8.8".to_string()],
        );
        Ev(m)
    }

    fn t(cond: &str) -> bool {
        compile(&parse_condition(cond).unwrap())
            .unwrap()
            .eval(&ev())
    }

    #[test]
    fn dotted_arguments_in_outputs_are_the_field_with_its_key() {
        struct Args;
        impl FieldSource for Args {
            fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>> {
                (field == "evt.arg" && arg == Some("flags")).then(|| vec!["O_TRUNC".into()])
            }
        }
        let (text, fields) = format_output("f=%evt.arg.flags g=%evt.arg[flags]", &Args);
        assert_eq!(text, "f=O_TRUNC g=O_TRUNC");
        assert_eq!(fields[0].0, "evt.arg.flags");
        assert_eq!(fields[1].0, "evt.arg[flags]");
        assert_eq!(dotted_field("proc.name"), None);
        // And in conditions.
        let c = compile(&parse_condition("evt.arg.flags contains O_TRUNC").unwrap()).unwrap();
        assert!(c.eval(&Args));
        let c = compile(&parse_condition("evt.arg.flags contains O_APPEND").unwrap()).unwrap();
        assert!(!c.eval(&Args));
    }

    #[test]
    fn operators() {
        assert!(t("proc.name = bash"));
        assert!(!t("proc.name != bash"));
        assert!(t("proc.name in (sh, bash)"));
        assert!(t("fd.name startswith /etc"));
        assert!(t("fd.name pmatch (/etc, /usr)"));
        assert!(!t("fd.name pmatch (/et)"));
        assert!(t("fd.name glob '/etc/*'"));
        assert!(t("fd.name glob '/*/sh[a-z]dow'"));
        assert!(t("fd.name regex '/etc/s.*'"));
        assert!(!t("fd.name regex 'etc'"), "regex is a full match");
        assert!(t("proc.name icontains BA"));
        assert!(t("evt.num > 41 and evt.num <= 42"));
        assert!(t("ka.images intersects (redis)"));
        assert!(!t("ka.images in (redis)"), "in needs every value");
        assert!(t("ka.images in (redis, nginx)"));
        assert!(t("proc.name startswith oneof (x, ba)"));
        assert!(t("not proc.pid exists"));
        assert!(!t("proc.pid = 1"), "missing field is false");
        assert!(t("not proc.pid = 1"));
        assert!(t("toupper(proc.name) = BASH"));
        assert!(
            t("len(ka.user.groups) = 2"),
            "len of a list is its number of values"
        );
        assert!(t("len(proc.name) = 4"));
        assert!(t("fd.name bcontains 736861"), "hex of 'sha'");
        assert!(
            t("evt.num < 100"),
            "numeric, not textual (\"42\" > \"100\")"
        );
        assert!(
            t("proc.name > 100"),
            "textual when the constant is not a number"
        );
        assert!(t("fd.name iglob '/ETC/SH*'"));
        assert!(t("fd.name bstartswith 2f657463"), "hex of '/etc'");
        assert!(!t("fd.name bstartswith zz"), "not hex: no match");
        assert!(t("fd.name endswith allof (dow, adow)"));
        assert!(!t("fd.name endswith allof (dow, x)"));
        assert!(t("fd.port in (53, 8080)"), "either end of a socket");
        assert!(
            !t("ka.images in (nginx, x)"),
            "other lists need every value"
        );
        assert!(!t("fd.port != 53"), "!= needs both ends to differ");
        assert!(t("fd.port != 54"));
        assert!(!t("fd.net != 10.0.0.0/8"), "an end inside the network");
        assert!(t("fd.net != 192.168.0.0/16"));
        assert!(ip_in_net("10.1.2.3", "10.0.0.0/8"));
        assert!(!ip_in_net("11.1.2.3", "10.0.0.0/8"));
        assert!(ip_in_net("::1", "::1/128"));
        assert!(!ip_in_net("10.1.2.3", "::/0"));
    }

    #[test]
    fn outputs() {
        let (s, f) = format_output(
            "shell %proc.name on %fd.name by %user.name %ka.images",
            &ev(),
        );
        assert_eq!(s, "shell bash on /etc/shadow by <NA> (nginx,redis)");
        assert_eq!(f[2], ("user.name".to_string(), None));
    }

    #[test]
    fn compile_resolves_operators_and_refuses_unknown_transformers() {
        let n = compile(&parse_condition("proc.name startswith oneof (a, b)").unwrap()).unwrap();
        let Node::Check { op, all, rhs, .. } = n else {
            panic!("{n:?}")
        };
        assert_eq!((op, all), (Op::StartsWith, false));
        assert!(matches!(rhs, Rhs::List(ref l, _) if l.len() == 2));
        assert!(compile(&parse_condition("proc.name regex '('").unwrap()).is_err());
        let e = parse_condition("concat(proc.name, proc.exe) = x");
        if let Ok(e) = e {
            assert!(
                compile(&e)
                    .unwrap_err()
                    .to_string()
                    .contains("not implemented")
            );
        }
    }

    /// `bcontains` on a byte buffer compares its raw bytes (not valid UTF-8 here).
    #[test]
    fn byte_buffers() {
        struct Buf(Vec<u8>);
        impl FieldSource for Buf {
            fn extract(&self, field: &str, _: Option<&str>) -> Option<Vec<String>> {
                (field == "evt.buffer").then(|| vec![String::from_utf8_lossy(&self.0).into()])
            }
            fn extract_bytes(&self, field: &str) -> Option<&[u8]> {
                (field == "evt.buffer").then_some(self.0.as_slice())
            }
        }
        let ev = Buf(vec![0x00, 0xca, 0xfe, 0xba, 0xbe, 0x01]);
        let t = |c: &str| compile(&parse_condition(c).unwrap()).unwrap().eval(&ev);
        assert!(t("evt.buffer bcontains cafebabe"));
        assert!(t("evt.buffer bstartswith 00ca"));
        assert!(!t("evt.buffer bstartswith cafe"));
        assert!(!t("evt.buffer bcontains cafebabf"));
    }

    #[test]
    fn glob_cases() {
        assert!(fnmatch("é*", "été", false), "non-ASCII matched by chars");
        assert!(fnmatch("[a-c]x", "bx", false));
        assert!(fnmatch("a*c", "a/b/c", false));
        assert!(fnmatch("[!x]b", "ab", false));
        assert!(!fnmatch("[!a]b", "ab", false));
        assert!(fnmatch("A*", "abc", true));
        assert!(fnmatch("\\*", "*", false));
        assert!(!fnmatch("?", "", false));
    }
}
