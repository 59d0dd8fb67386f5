//! The two phases of BuildKit's parser: lines → instruction nodes (`parser/parser.go`,
//! `line_parsers.go`), then nodes → typed instructions and stages (`instructions/parse.go`).
//! As in BuildKit, every phase-one error (directives, heredocs, JSON arrays with non-strings,
//! ENV/LABEL syntax) is reported before any phase-two error (unknown instruction, argument counts,
//! instruction before FROM).

use std::time::Duration;

use crate::ast::*;
use crate::budget::{ExpandBudget, ExpandLimits};
use crate::error::ParseError;
use crate::expand::{Lexer, NoEnv, unquote};
use crate::words::{Json, RawWord, is_split_ws, parse_json, parse_words, split_command, split_ws};

/// Largest input accepted, in bytes.
pub const MAX_INPUT_BYTES: usize = 16 << 20;
/// Most lines accepted.
pub const MAX_LINES: usize = 1_000_000;
/// Most instructions accepted (each costs a few hundred bytes in the tree).
pub const MAX_INSTRUCTIONS: usize = 100_000;
/// Most argument words (list elements, ENV/LABEL pairs, flags) accepted in the whole file.
pub const MAX_WORDS: usize = 100_000;
/// Longest line accepted, in bytes without the line break: BuildKit reads lines with Go's
/// `bufio.Scanner`, whose 64 KiB token limit makes longer lines a build error.
pub const MAX_LINE_BYTES: usize = 65_535;

/// What the parser accepts: the limits a caller may change. (Lines, instructions, words and the
/// line length are fixed: [`MAX_LINES`], [`MAX_INSTRUCTIONS`], [`MAX_WORDS`], [`MAX_LINE_BYTES`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseOptions {
    /// Largest input, in bytes (default [`MAX_INPUT_BYTES`]).
    pub max_bytes: usize,
    /// The budget of the substitution the parser does itself: global ARG defaults and the FROM
    /// lines they expand into ([`Stage::base_expanded`]); a breach is kept in
    /// [`Dockerfile::expansion`].
    pub expand: ExpandLimits,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_bytes: MAX_INPUT_BYTES,
            expand: ExpandLimits::DEFAULT,
        }
    }
}

/// Parse a Dockerfile.
pub fn parse(src: &str) -> Result<Dockerfile, ParseError> {
    parse_with(src, &ParseOptions::default())
}

/// Parse a Dockerfile with the given limits.
pub fn parse_with(src: &str, opts: &ParseOptions) -> Result<Dockerfile, ParseError> {
    if src.len() > opts.max_bytes {
        return Err(too_big(src.len(), opts.max_bytes));
    }
    let phase1 = read_nodes(src)?;
    build(phase1, opts)
}

/// Parse a Dockerfile given as bytes; invalid UTF-8 is replaced with U+FFFD.
pub fn parse_bytes(src: &[u8]) -> Result<Dockerfile, ParseError> {
    if src.len() > MAX_INPUT_BYTES {
        return Err(too_big(src.len(), MAX_INPUT_BYTES));
    }
    parse(&String::from_utf8_lossy(src))
}

fn too_big(len: usize, max: usize) -> ParseError {
    ParseError::new(
        1,
        format!("dockerfile is {len} bytes, more than the {max} bytes this parser accepts"),
    )
}

// ---------------------------------------------------------------------------------------------
// Phase one: lines

struct Reader<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
}

struct PhysLine<'a> {
    number: usize,
    /// Byte offset in the source of `text`.
    start: usize,
    /// The line including its `\n` (BOM removed on line 1).
    text: &'a str,
}

impl<'a> Reader<'a> {
    fn next_line(&mut self) -> Result<Option<PhysLine<'a>>, ParseError> {
        if self.pos >= self.src.len() {
            return Ok(None);
        }
        let rest = &self.src[self.pos..];
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let mut text = &rest[..len];
        let mut start = self.pos;
        self.pos += len;
        self.line += 1;
        if self.line > MAX_LINES {
            return Err(ParseError::new(
                self.line,
                format!("dockerfile has more than {MAX_LINES} lines"),
            ));
        }
        if self.line == 1
            && let Some(t) = text.strip_prefix('\u{feff}')
        {
            text = t;
            start += '\u{feff}'.len_utf8();
        }
        if text.strip_suffix('\n').unwrap_or(text).len() > MAX_LINE_BYTES {
            return Err(ParseError::new(
                self.line,
                format!("dockerfile line greater than max allowed size of {MAX_LINE_BYTES}"),
            ));
        }
        Ok(Some(PhysLine {
            number: self.line,
            start,
            text,
        }))
    }
}

/// Piece of a logical line that comes from one physical line.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// Byte offset in the logical line.
    start: usize,
    line: usize,
    /// 1-based character column of `start` in the physical line.
    col: usize,
}

/// A logical line (continuations joined) and the map back to physical positions.
#[derive(Debug)]
pub(crate) struct Logical {
    text: String,
    segs: Vec<Segment>,
    /// Last answer of `pos` as (segment, byte offset, characters from the segment start): words are
    /// looked up left to right, so counting on from there keeps a long line linear.
    cache: std::cell::Cell<(usize, usize, usize)>,
}

impl Logical {
    fn new(text: String, first: Segment) -> Self {
        Logical {
            text,
            segs: vec![first],
            cache: std::cell::Cell::new((0, 0, 0)),
        }
    }

    fn pos(&self, off: usize) -> Pos {
        let i = self
            .segs
            .partition_point(|s| s.start <= off)
            .saturating_sub(1);
        let Some(s) = self.segs.get(i) else {
            return Pos { line: 1, column: 1 };
        };
        let off = off.min(self.text.len());
        let (ci, coff, cn) = self.cache.get();
        let (from, base) = if ci == i && coff >= s.start && coff <= off {
            (coff, cn)
        } else {
            (s.start, 0)
        };
        let n = base + self.text.get(from..off).map_or(0, |t| t.chars().count());
        self.cache.set((i, off, n));
        Pos {
            line: s.line,
            column: s.col + n,
        }
    }
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(s: &str) -> bool {
    s.trim_start().starts_with('#')
}

/// BuildKit's line-continuation regex `([^E])E[ \t]*$|^E[ \t]*$`: returns the line without the
/// escape character (and the blanks after it) and whether the instruction ends here.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    let Some(before) = t.strip_suffix(escape) else {
        return (line, true);
    };
    match before.chars().next_back() {
        None => (before, false),
        Some(c) if c != escape => (before, false),
        Some(_) => (line, true),
    }
}

/// Go's regexp `\s`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `#\s*name\s*=\s*value` (BuildKit's directive regexp after the `#` prefix).
fn parse_directive_line(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        let ok = if i == 0 {
            c.is_ascii_alphabetic()
        } else {
            c.is_ascii_alphanumeric()
        };
        if !ok {
            break;
        }
        end = i + c.len_utf8();
    }
    if end == 0 {
        return None;
    }
    let name = rest[..end].to_ascii_lowercase();
    let after = rest[end..]
        .trim_start_matches(is_re_space)
        .strip_prefix('=')?;
    let v = after.trim_start_matches(is_re_space);
    let value = if !v.is_empty() {
        v.trim_end_matches(is_re_space).to_string()
    } else {
        after.chars().next()?.to_string()
    };
    Some((name, value))
}

struct DirectiveState {
    done: bool,
    list: Vec<Directive>,
    escape: char,
}

impl DirectiveState {
    /// Feed one line (left-trimmed, no line break); returns whether it was a directive.
    fn feed(&mut self, line_no: usize, line: &str) -> Result<bool, ParseError> {
        if self.done {
            return Ok(false);
        }
        let Some((name, value)) = parse_directive_line(line) else {
            self.done = true;
            return Ok(false);
        };
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(false);
        }
        if self.list.iter().any(|d| d.name == name) {
            return Err(ParseError::new(
                line_no,
                format!("only one {name} parser directive can be used"),
            ));
        }
        if name == "escape" {
            self.escape = match value.as_str() {
                "`" => '`',
                "\\" => '\\',
                _ => {
                    return Err(ParseError::new(
                        line_no,
                        format!("invalid escape token '{value}' does not match ` or \\"),
                    ));
                }
            };
        }
        self.list.push(Directive {
            name,
            value,
            line: line_no,
        });
        Ok(true)
    }
}

/// A heredoc marker word (`<<EOF`, `<<-"EOF"`, `3<<EOF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeredocSpec {
    pub name: String,
    pub expand: bool,
    pub chomp: bool,
    pub fd: u32,
}

/// BuildKit's `ParseHeredoc`: `^(\d*)<<(-?)([^<]*)$`, the rest lexed as one shell word.
fn heredoc_spec_checked(word: &str) -> Result<Option<HeredocSpec>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let fd = word[..digits].parse::<u32>().unwrap_or(0);
    let lex = Lexer {
        skip_unset: true,
        ..Lexer::new('\\')
    };
    let words = lex.process(rest, &NoEnv).map_err(|e| e.to_string())?.words;
    if words.len() != 1 {
        return Ok(None);
    }
    let raw_lex = Lexer {
        raw_quotes: true,
        ..lex
    };
    let raw_words = raw_lex
        .process(rest, &NoEnv)
        .map_err(|e| e.to_string())?
        .words;
    if raw_words.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    Ok(Some(HeredocSpec {
        expand: quotes(&words[0]) == quotes(&raw_words[0]),
        name: words[0].clone(),
        chomp,
        fd,
    }))
}

/// `MustParseHeredoc`: the heredoc marker in `word`, ignoring errors.
pub(crate) fn heredoc_spec(word: &str) -> Option<HeredocSpec> {
    heredoc_spec_checked(word).ok().flatten()
}

/// `heredocsFromLine`: the whole line lexed with raw quotes and escapes (always `\`), each word
/// tested for a heredoc marker. A line that does not lex has no heredocs.
fn heredocs_from_line(line: &str) -> Result<Vec<HeredocSpec>, String> {
    let lex = Lexer {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset: true,
        ..Lexer::new('\\')
    };
    let words = lex
        .process(line, &NoEnv)
        .map(|e| e.words)
        .unwrap_or_default();
    let mut out = Vec::new();
    for w in words {
        if let Some(h) = heredoc_spec_checked(&w)? {
            out.push(h);
        }
    }
    Ok(out)
}

/// Arguments of a node, as BuildKit's line parsers shape them.
#[derive(Debug)]
pub(crate) enum Args {
    /// Nothing after the keyword and flags.
    Empty,
    /// A JSON array of strings.
    Json(Vec<RawWord>),
    /// One string: shell form of RUN/CMD/ENTRYPOINT/SHELL, or the whole rest (USER, WORKDIR, …).
    Text(RawWord),
    /// Separate words.
    Words(Vec<RawWord>),
    /// ENV / LABEL pairs.
    Pairs(Vec<(RawWord, RawWord)>),
    /// HEALTHCHECK: type and the rest.
    Health(RawWord, Box<Args>),
    /// ONBUILD's trigger.
    Sub(Box<Node>),
    /// Unknown instruction (BuildKit's phase one keeps it; phase two rejects it), or a chained
    /// ONBUILD, which is not parsed further.
    Ignored,
}

#[derive(Debug)]
pub(crate) struct Node {
    keyword: String,
    keyword_offset: usize,
    flags: Vec<RawWord>,
    args: Args,
}

type NodeError = (usize, String);

fn maybe_json(rest: &str, off: usize) -> Result<Args, NodeError> {
    if rest.is_empty() {
        return Ok(Args::Empty);
    }
    match parse_json(rest, off) {
        Json::Array(v) => Ok(Args::Json(v)),
        Json::NotStringArray => Err((
            off,
            "when using JSON array syntax, arrays must be comprised of strings only".to_string(),
        )),
        Json::Invalid => Ok(Args::Text(RawWord {
            text: rest.to_string(),
            offset: off,
        })),
    }
}

fn maybe_json_to_list(rest: &str, off: usize) -> Result<Args, NodeError> {
    match parse_json(rest, off) {
        Json::Array(v) => Ok(Args::Json(v)),
        Json::NotStringArray => Err((
            off,
            "when using JSON array syntax, arrays must be comprised of strings only".to_string(),
        )),
        Json::Invalid => Ok(Args::Words(split_ws(rest, off))),
    }
}

fn name_val(rest: &str, off: usize, key: &str, escape: char) -> Result<Args, NodeError> {
    let words = parse_words(rest, off, escape);
    let Some(first) = words.first() else {
        return Ok(Args::Empty);
    };
    if !first.text.contains('=') {
        // old form: KEY name value
        let Some(i) = rest.find(is_split_ws) else {
            return Err((off, format!("{key} must have two arguments")));
        };
        let after = &rest[i..];
        let skip = after.len() - after.trim_start_matches(is_split_ws).len();
        return Ok(Args::Pairs(vec![(
            RawWord {
                text: rest[..i].to_string(),
                offset: off,
            },
            RawWord {
                text: after[skip..].to_string(),
                offset: off + i + skip,
            },
        )]));
    }
    let mut pairs = Vec::with_capacity(words.len());
    for w in words {
        let Some((k, v)) = w.text.split_once('=') else {
            return Err((
                w.offset,
                format!(
                    "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                    w.text
                ),
            ));
        };
        pairs.push((
            RawWord {
                text: k.to_string(),
                offset: w.offset,
            },
            RawWord {
                text: v.to_string(),
                offset: w.offset + k.len() + 1,
            },
        ));
    }
    Ok(Args::Pairs(pairs))
}

fn parse_node(line: &str, base: usize, escape: char, nested: bool) -> Result<Node, NodeError> {
    let s = split_command(line);
    let mut flags = s.flags;
    for f in &mut flags {
        f.offset += base;
    }
    let keyword_offset = base + s.keyword_offset;
    let rest = s.rest.as_str();
    let off = base + s.rest_offset;
    let lower = s.keyword.to_ascii_lowercase();
    let args = match lower.as_str() {
        "add" | "copy" | "volume" => maybe_json_to_list(rest, off)?,
        "arg" => Args::Words(parse_words(rest, off, escape)),
        "cmd" | "entrypoint" | "run" | "shell" => maybe_json(rest, off)?,
        "env" => name_val(rest, off, "ENV", escape)?,
        "label" => name_val(rest, off, "LABEL", escape)?,
        "expose" | "from" => Args::Words(split_ws(rest, off)),
        "healthcheck" => {
            let sep = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if sep == 0 {
                Args::Empty
            } else {
                let after = &rest[sep..];
                let next = sep + (after.len() - after.trim_start().len());
                let typ = RawWord {
                    text: rest[..sep].to_string(),
                    offset: off,
                };
                Args::Health(typ, Box::new(maybe_json(&rest[next..], off + next)?))
            }
        }
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if rest.is_empty() {
                Args::Empty
            } else {
                Args::Text(RawWord {
                    text: rest.to_string(),
                    offset: off,
                })
            }
        }
        "onbuild" => {
            if rest.is_empty() {
                Args::Empty
            } else if nested {
                // ONBUILD ONBUILD …: phase two rejects the chain; do not recurse.
                Args::Ignored
            } else {
                Args::Sub(Box::new(parse_node(rest, off, escape, true)?))
            }
        }
        _ => Args::Ignored,
    };
    Ok(Node {
        keyword: s.keyword,
        keyword_offset,
        flags,
        args,
    })
}

/// How many words a node holds (for [`MAX_WORDS`]).
fn word_count(node: &Node) -> usize {
    let args = match &node.args {
        Args::Json(v) | Args::Words(v) => v.len(),
        Args::Pairs(v) => 2 * v.len(),
        Args::Text(_) => 1,
        Args::Health(_, rest) => 1 + words_of(rest).len(),
        Args::Sub(child) => word_count(child),
        Args::Empty | Args::Ignored => 0,
    };
    args + node.flags.len()
}

fn can_contain_heredoc(node: &Node) -> bool {
    let node = match (&node.args, node.keyword.to_ascii_lowercase().as_str()) {
        (Args::Sub(child), "onbuild") => child.as_ref(),
        _ => node,
    };
    matches!(
        node.keyword.to_ascii_lowercase().as_str(),
        "add" | "copy" | "run"
    ) && !matches!(node.args, Args::Json(_))
}

pub(crate) struct RawInstr {
    logical: Logical,
    node: Node,
    heredocs: Vec<Heredoc>,
    start_line: usize,
    end_line: usize,
    source: String,
    comments: Vec<String>,
}

pub(crate) struct Phase1 {
    instrs: Vec<RawInstr>,
    directives: Vec<Directive>,
    escape: char,
    comments: Vec<Comment>,
    warnings: Vec<Warning>,
    line_count: usize,
}

fn read_nodes(src: &str) -> Result<Phase1, ParseError> {
    let mut rd = Reader {
        src,
        pos: 0,
        line: 0,
    };
    let mut dirs = DirectiveState {
        done: false,
        list: Vec::new(),
        escape: '\\',
    };
    let mut instrs = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut all_comments = Vec::new();
    let mut warnings = Vec::new();
    let mut words = 0usize;

    while let Some(first) = rd.next_line()? {
        let n = first.number;
        let body = trim_newline(first.text);
        let lead = body.len() - body.trim_start().len();
        let trimmed = &body[lead..];
        let directive = dirs.feed(n, trimmed)?;
        let escape = dirs.escape;
        if is_comment(trimmed) {
            if !directive {
                let text = trimmed[1..].trim().to_string();
                all_comments.push(Comment {
                    line: n,
                    text: text.clone(),
                });
                if text.is_empty() {
                    pending.clear();
                } else {
                    pending.push(text);
                }
            }
            continue;
        }
        let (part, mut eol) = trim_continuation(trimmed, escape);
        if eol && part.is_empty() {
            continue;
        }
        if instrs.len() >= MAX_INSTRUCTIONS {
            return Err(ParseError::new(
                n,
                format!("dockerfile has more than {MAX_INSTRUCTIONS} instructions"),
            ));
        }
        let mut logical = Logical::new(
            part.to_string(),
            Segment {
                start: 0,
                line: n,
                col: body[..lead].chars().count() + 1,
            },
        );
        let mut end_line = n;
        let mut end_offset = first.start + first.text.len();
        let mut empty_continuation = false;
        while !eol {
            let Some(l) = rd.next_line()? else {
                break;
            };
            end_line = l.number;
            end_offset = l.start + l.text.len();
            let t = trim_newline(l.text);
            if is_comment(t) {
                all_comments.push(Comment {
                    line: l.number,
                    text: t.trim_start()[1..].trim().to_string(),
                });
                continue;
            }
            if t.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (p, e) = trim_continuation(t, escape);
            eol = e;
            logical.segs.push(Segment {
                start: logical.text.len(),
                line: l.number,
                col: 1,
            });
            logical.text.push_str(p);
        }
        if empty_continuation {
            warnings.push(Warning {
                line: end_line,
                message: format!("Empty continuation line found in: {}", logical.text.trim()),
            });
        }
        let node = parse_node(&logical.text, 0, escape, false).map_err(|(off, msg)| {
            let p = logical.pos(off);
            ParseError::at(p.line, p.column, msg)
        })?;
        words += word_count(&node);
        if words > MAX_WORDS {
            return Err(ParseError::new(
                n,
                format!("dockerfile has more than {MAX_WORDS} arguments"),
            ));
        }

        let mut heredocs = Vec::new();
        if can_contain_heredoc(&node) && logical.text.contains("<<") {
            let specs = heredocs_from_line(&logical.text).map_err(|m| ParseError::new(n, m))?;
            for spec in specs {
                let start_line = end_line + 1;
                let mut body = String::new();
                let mut terminated = false;
                while let Some(l) = rd.next_line()? {
                    end_line = l.number;
                    end_offset = l.start + l.text.len();
                    let t = trim_newline(l.text);
                    let t = if spec.chomp {
                        t.trim_start_matches('\t')
                    } else {
                        t
                    };
                    if t == spec.name {
                        terminated = true;
                        break;
                    }
                    body.push_str(l.text);
                }
                if !terminated {
                    return Err(ParseError::new(
                        n,
                        format!("unterminated heredoc (no line \"{}\" after it)", spec.name),
                    ));
                }
                heredocs.push(Heredoc {
                    name: spec.name,
                    expand: spec.expand,
                    chomp: spec.chomp,
                    fd: spec.fd,
                    body,
                    start_line,
                    end_line,
                });
            }
        }
        let source = src[first.start..end_offset]
            .trim_end_matches(['\r', '\n'])
            .to_string();
        instrs.push(RawInstr {
            logical,
            node,
            heredocs,
            start_line: n,
            end_line,
            source,
            comments: std::mem::take(&mut pending),
        });
    }
    if instrs.is_empty() {
        return Err(ParseError::new(rd.line.max(1), "file with no instructions"));
    }
    Ok(Phase1 {
        instrs,
        directives: dirs.list,
        escape: dirs.escape,
        comments: all_comments,
        warnings,
        line_count: rd.line,
    })
}

// ---------------------------------------------------------------------------------------------
// Phase two: typed instructions and stages

struct Ctx<'a> {
    logical: &'a Logical,
    source: &'a str,
    escape: char,
    start_line: usize,
}

impl Ctx<'_> {
    fn pos(&self, off: usize) -> Pos {
        self.logical.pos(off)
    }
    /// A word whose value is processed like BuildKit's `ProcessWord` (quotes, escapes).
    fn word(&self, w: &RawWord) -> Word {
        Word {
            raw: w.text.clone(),
            value: unquote(&w.text, self.escape),
            pos: self.pos(w.offset),
        }
    }
    /// A word taken literally.
    fn lit(&self, w: &RawWord) -> Word {
        Word {
            raw: w.text.clone(),
            value: w.text.clone(),
            pos: self.pos(w.offset),
        }
    }
    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.start_line, msg)
    }
    fn err_at(&self, off: usize, msg: impl Into<String>) -> ParseError {
        let p = self.pos(off);
        ParseError::at(p.line, p.column, msg)
    }
}

fn words_of(args: &Args) -> Vec<&RawWord> {
    match args {
        Args::Json(v) | Args::Words(v) => v.iter().collect(),
        Args::Text(w) => vec![w],
        _ => Vec::new(),
    }
}

fn at_least_one(kw: &str) -> String {
    format!("{kw} requires at least one argument")
}

fn exactly_one(kw: &str) -> String {
    format!("{kw} requires exactly one argument")
}

fn command_line(cx: &Ctx<'_>, node: &Node) -> CommandLine {
    match &node.args {
        Args::Json(v) => CommandLine::Exec(v.iter().map(|w| cx.lit(w)).collect()),
        Args::Text(w) => CommandLine::Shell(cx.lit(w)),
        _ => CommandLine::Shell(Word {
            raw: String::new(),
            value: String::new(),
            pos: cx.pos(cx.logical.text.len()),
        }),
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn unknown_instruction(kw: &str) -> String {
    let upper = kw.to_ascii_uppercase();
    let best = Kind::ALL
        .iter()
        .map(|k| (distance(&upper, k.keyword()), k.keyword()))
        .min();
    match best {
        Some((d, k)) if d > 0 && d <= (upper.chars().count() / 3).max(1) => {
            format!("unknown instruction: {kw} (did you mean {k}?)")
        }
        _ => format!("unknown instruction: {kw}"),
    }
}

/// Go's `time.ParseDuration`, non-negative results only.
fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("time: invalid duration {s:?}");
    let mut rest = s;
    let neg = if let Some(r) = rest.strip_prefix('-') {
        rest = r;
        true
    } else {
        rest = rest.strip_prefix('+').unwrap_or(rest);
        false
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(bad());
        }
        let v: f64 = num.parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            u => return Err(format!("time: unknown unit {u:?} in duration {s:?}")),
        };
        rest = &rest[unit_len..];
        total += v * scale;
    }
    if !total.is_finite() || total > 9.2e9 {
        return Err(bad());
    }
    if neg && total > 0.0 {
        return Err("negative duration".to_string());
    }
    Ok(Duration::from_secs_f64(total))
}

fn duration_flag(cx: &Ctx<'_>, flags: &[Flag], name: &str) -> Result<Option<Duration>, ParseError> {
    let Some(f) = flags.iter().rev().find(|f| f.name == name) else {
        return Ok(None);
    };
    let v = f.value.as_deref().unwrap_or("");
    if v.is_empty() {
        return Ok(None);
    }
    let d = parse_go_duration(v).map_err(|e| {
        if e == "negative duration" {
            cx.err(format!("Interval {name:?} cannot be less than 1ms"))
        } else {
            cx.err(e)
        }
    })?;
    if !d.is_zero() && d < Duration::from_millis(1) {
        return Err(cx.err(format!("Interval {name:?} cannot be less than 1ms")));
    }
    Ok(Some(d))
}

fn to_flags(cx: &Ctx<'_>, node: &Node) -> Vec<Flag> {
    node.flags
        .iter()
        .map(|f| {
            let body = f.text.strip_prefix("--").unwrap_or(&f.text);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            Flag {
                name,
                value,
                raw: f.text.clone(),
                pos: cx.pos(f.offset),
            }
        })
        .collect()
}

fn is_valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '_' | '.'))
}

/// The typed instruction; `heredocs`, `original`, `source` and `comments` are left empty for the
/// caller to move in (only ONBUILD triggers get copies here).
fn build_instruction(
    cx: &Ctx<'_>,
    node: &Node,
    heredocs: &[Heredoc],
    end_line: usize,
) -> Result<Instruction, ParseError> {
    let Some(kind) = Kind::from_keyword(&node.keyword) else {
        return Err(cx.err_at(node.keyword_offset, unknown_instruction(&node.keyword)));
    };
    let kw = kind.keyword();
    let flags = to_flags(cx, node);
    let args = &node.args;
    let command = match kind {
        Kind::From => {
            let w = words_of(args);
            let alias = match w.len() {
                1 => None,
                3 if w[1].text.eq_ignore_ascii_case("as") => {
                    let lower = w[2].text.to_lowercase();
                    if !is_valid_stage_name(&lower) {
                        return Err(cx.err_at(
                            w[2].offset,
                            format!(
                                "invalid name for build stage: {:?}, name can't start with a number or contain symbols",
                                w[2].text
                            ),
                        ));
                    }
                    Some(cx.lit(w[2]))
                }
                _ => return Err(cx.err("FROM requires either one or three arguments")),
            };
            Command::From(FromArgs {
                image: cx.word(w[0]),
                alias,
            })
        }
        Kind::Run => Command::Run(command_line(cx, node)),
        Kind::Cmd => Command::Cmd(command_line(cx, node)),
        Kind::Entrypoint => Command::Entrypoint(command_line(cx, node)),
        Kind::Shell => match args {
            Args::Json(v) if !v.is_empty() => Command::Shell(v.iter().map(|w| cx.lit(w)).collect()),
            Args::Text(_) => {
                return Err(cx.err("SHELL requires the arguments to be in JSON form"));
            }
            _ => return Err(cx.err(at_least_one(kw))),
        },
        Kind::Healthcheck => {
            let Args::Health(typ, rest) = args else {
                return Err(cx.err(at_least_one(kw)));
            };
            let t = typ.text.to_ascii_uppercase();
            let has_args = !words_of(rest).is_empty();
            if t == "NONE" {
                if has_args {
                    return Err(cx.err("HEALTHCHECK NONE takes no arguments"));
                }
                Command::Healthcheck(Healthcheck::None)
            } else if t == "CMD" {
                if !has_args {
                    return Err(cx.err("Missing command after HEALTHCHECK CMD"));
                }
                let cmd = match rest.as_ref() {
                    Args::Json(v) => CommandLine::Exec(v.iter().map(|w| cx.lit(w)).collect()),
                    Args::Text(w) => CommandLine::Shell(cx.lit(w)),
                    _ => return Err(cx.err("Missing command after HEALTHCHECK CMD")),
                };
                let retries = match flags.iter().rev().find(|f| f.name == "retries") {
                    Some(f) => match f.value.as_deref().unwrap_or("") {
                        "" => None,
                        v => {
                            let n: i64 = v.parse().map_err(|_| {
                                cx.err(format!("strconv.ParseInt: parsing {v:?}: invalid syntax"))
                            })?;
                            if n < 0 {
                                return Err(cx.err(format!("--retries cannot be negative ({n})")));
                            }
                            Some(u32::try_from(n).map_err(|_| {
                                cx.err(format!(
                                    "strconv.ParseInt: parsing {v:?}: value out of range"
                                ))
                            })?)
                        }
                    },
                    None => None,
                };
                Command::Healthcheck(Healthcheck::Cmd {
                    cmd,
                    interval: duration_flag(cx, &flags, "interval")?,
                    timeout: duration_flag(cx, &flags, "timeout")?,
                    start_period: duration_flag(cx, &flags, "start-period")?,
                    start_interval: duration_flag(cx, &flags, "start-interval")?,
                    retries,
                })
            } else {
                return Err(cx.err_at(
                    typ.offset,
                    format!("Unknown type {t:?} in HEALTHCHECK (try CMD)"),
                ));
            }
        }
        Kind::Label | Kind::Env => {
            let Args::Pairs(pairs) = args else {
                return Err(cx.err(at_least_one(kw)));
            };
            let mut out = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                if k.text.is_empty() {
                    return Err(cx.err_at(k.offset, format!("{kw} names can not be blank")));
                }
                out.push(KeyValue {
                    key: cx.word(k),
                    value: cx.word(v),
                });
            }
            if kind == Kind::Env {
                Command::Env(out)
            } else {
                Command::Label(out)
            }
        }
        Kind::Maintainer => match args {
            Args::Text(w) => Command::Maintainer(cx.lit(w)),
            _ => return Err(cx.err(exactly_one(kw))),
        },
        Kind::Expose => {
            let w = words_of(args);
            if w.is_empty() {
                return Err(cx.err(at_least_one(kw)));
            }
            Command::Expose(w.into_iter().map(|w| cx.word(w)).collect())
        }
        Kind::Add | Kind::Copy => {
            let w = words_of(args);
            if w.len() < 2 {
                return Err(cx.err(format!(
                    "{kw} requires at least two arguments, but only one was provided. Destination could not be determined"
                )));
            }
            let (dest, srcs) = w.split_last().expect("two or more");
            if heredoc_spec(&dest.text).is_some() {
                return Err(cx.err_at(
                    dest.offset,
                    format!("{kw} cannot accept a heredoc as a destination"),
                ));
            }
            let sources = srcs
                .iter()
                .map(|s| match heredoc_spec(&s.text) {
                    Some(spec) => CopySource::Heredoc {
                        word: cx.lit(s),
                        index: heredocs.iter().rposition(|h| h.name == spec.name),
                    },
                    None => CopySource::Path(cx.word(s)),
                })
                .collect();
            let ca = CopyArgs {
                sources,
                dest: cx.word(dest),
                json: matches!(args, Args::Json(_)),
            };
            if kind == Kind::Add {
                Command::Add(ca)
            } else {
                Command::Copy(ca)
            }
        }
        Kind::Volume => {
            let w = words_of(args);
            if w.is_empty() {
                return Err(cx.err(at_least_one(kw)));
            }
            let mut out = Vec::with_capacity(w.len());
            for v in w {
                if v.text.trim().is_empty() {
                    return Err(cx.err("VOLUME specified can not be an empty string"));
                }
                out.push(cx.word(v));
            }
            Command::Volume(out, matches!(args, Args::Json(_)))
        }
        Kind::User => match args {
            Args::Text(w) => {
                let word = cx.word(w);
                let (user, group) = match word.value.split_once(':') {
                    Some((u, g)) => (u.to_string(), Some(g.to_string())),
                    None => (word.value.clone(), None),
                };
                Command::User(UserArgs { word, user, group })
            }
            _ => return Err(cx.err(exactly_one(kw))),
        },
        Kind::Workdir => match args {
            Args::Text(w) => Command::Workdir(cx.word(w)),
            _ => return Err(cx.err(exactly_one(kw))),
        },
        Kind::StopSignal => match args {
            Args::Text(w) => Command::StopSignal(cx.word(w)),
            _ => return Err(cx.err(exactly_one(kw))),
        },
        Kind::Arg => {
            let w = words_of(args);
            if w.is_empty() {
                return Err(cx.err(at_least_one(kw)));
            }
            let mut defs = Vec::with_capacity(w.len());
            for a in w {
                let def = match a.text.split_once('=') {
                    Some((k, v)) => {
                        if k.is_empty() {
                            return Err(cx.err_at(a.offset, "ARG names can not be blank"));
                        }
                        ArgDef {
                            name: cx.word(&RawWord {
                                text: k.to_string(),
                                offset: a.offset,
                            }),
                            default: Some(cx.word(&RawWord {
                                text: v.to_string(),
                                offset: a.offset + k.len() + 1,
                            })),
                        }
                    }
                    None => ArgDef {
                        name: cx.word(a),
                        default: None,
                    },
                };
                defs.push(def);
            }
            Command::Arg(defs)
        }
        Kind::Onbuild => {
            let child = match args {
                Args::Sub(c) => c,
                _ => return Err(cx.err(at_least_one(kw))),
            };
            let trig = child.keyword.trim().to_ascii_uppercase();
            match trig.as_str() {
                "ONBUILD" => {
                    return Err(cx.err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"));
                }
                "MAINTAINER" | "FROM" => {
                    return Err(cx.err(format!("{trig} isn't allowed as an ONBUILD trigger")));
                }
                _ => {}
            }
            let mut expression = strip_onbuild(&cx.logical.text).to_string();
            for h in heredocs {
                expression.push('\n');
                expression.push_str(&h.body);
                expression.push_str(&h.name);
            }
            let (trigger, trigger_error) = match build_instruction(cx, child, heredocs, end_line) {
                Ok(mut i) => {
                    i.heredocs = heredocs.to_vec();
                    i.original = cx.logical.text.clone();
                    i.source = cx.source.to_string();
                    (Some(Box::new(i)), None)
                }
                Err(e) => (None, Some(e.message)),
            };
            Command::Onbuild(Onbuild {
                expression,
                trigger,
                trigger_error,
            })
        }
    };
    Ok(Instruction {
        kind,
        command,
        flags,
        heredocs: Vec::new(),
        start_line: cx.start_line,
        end_line,
        pos: cx.pos(node.keyword_offset),
        original: String::new(),
        source: String::new(),
        comments: Vec::new(),
    })
}

/// `(?i)^\s*ONBUILD\s*` removed.
fn strip_onbuild(s: &str) -> &str {
    let t = s.trim_start();
    match t.get(..7) {
        Some(k) if k.eq_ignore_ascii_case("onbuild") => t[7..].trim_start(),
        _ => s,
    }
}

fn build(p: Phase1, opts: &ParseOptions) -> Result<Dockerfile, ParseError> {
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for raw in p.instrs {
        let cx = Ctx {
            logical: &raw.logical,
            source: &raw.source,
            escape: p.escape,
            start_line: raw.start_line,
        };
        let mut instr = build_instruction(&cx, &raw.node, &raw.heredocs, raw.end_line)?;
        instr.heredocs = raw.heredocs;
        instr.original = raw.logical.text;
        instr.source = raw.source;
        instr.comments = raw.comments;
        if instr.kind == Kind::From {
            let Command::From(fa) = &instr.command else {
                unreachable!("FROM has FromArgs")
            };
            stages.push(Stage {
                index: stages.len(),
                name: fa.alias.as_ref().map(|a| a.raw.to_lowercase()),
                base: fa.image.clone(),
                base_expanded: fa.image.value.clone(),
                platform: instr.flag("platform").and_then(|f| f.value.clone()),
                parent: None,
                from: instr,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(instr);
        } else if instr.kind == Kind::Arg {
            global_args.push(instr);
        } else {
            return Err(ParseError::at(
                instr.pos.line,
                instr.pos.column,
                format!(
                    "no build stage in current context: {} before the first FROM (only ARG may precede FROM)",
                    instr.kind.keyword()
                ),
            ));
        }
    }
    if stages.is_empty() {
        let line = global_args
            .first()
            .map_or(1, |i: &Instruction| i.start_line);
        return Err(ParseError::new(
            line,
            "dockerfile contains no stages to build (no FROM instruction)",
        ));
    }
    let mut df = Dockerfile {
        directives: p.directives,
        escape: p.escape,
        global_args,
        stages,
        comments: p.comments,
        warnings: p.warnings,
        line_count: p.line_count,
        expansion: None,
    };
    let budget = ExpandBudget::new(opts.expand);
    let global = df.global_env_in(&budget);
    let lexer = Lexer {
        skip_unset: true,
        ..Lexer::new(df.escape)
    };
    let mut by_name: std::collections::HashMap<String, usize> = Default::default();
    for (i, stage) in df.stages.iter_mut().enumerate() {
        budget.set_line(stage.from.start_line);
        let expanded = match lexer.process_in(&stage.base.raw, &global, &budget) {
            Ok(e) => e.value,
            Err(e) => {
                if e.over_budget {
                    budget.record(e.message);
                }
                stage.base.value.clone()
            }
        };
        stage.parent = by_name.get(&expanded.to_lowercase()).copied();
        stage.base_expanded = expanded;
        if let Some(name) = &stage.name {
            by_name.insert(name.clone(), i);
        }
    }
    df.expansion = budget.breach();
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_regex() {
        assert_eq!(trim_continuation("a \\", '\\'), ("a ", false));
        assert_eq!(trim_continuation("a\\  \t", '\\'), ("a", false));
        assert_eq!(trim_continuation("\\", '\\'), ("", false));
        assert_eq!(trim_continuation("a \\\\", '\\'), ("a \\\\", true));
        assert_eq!(trim_continuation("a `", '`'), ("a ", false));
        assert_eq!(trim_continuation("a \\", '`'), ("a \\", true));
        assert_eq!(trim_continuation("é\\", '\\'), ("é", false));
    }

    #[test]
    fn directive_lines() {
        assert_eq!(
            parse_directive_line("# syntax=docker/dockerfile:1"),
            Some(("syntax".into(), "docker/dockerfile:1".into()))
        );
        assert_eq!(
            parse_directive_line("#Escape = ` "),
            Some(("escape".into(), "`".into()))
        );
        assert_eq!(parse_directive_line("# syntax="), None);
        assert_eq!(parse_directive_line("# not a directive"), None);
        assert_eq!(parse_directive_line("# 1x=y"), None);
    }

    #[test]
    fn heredoc_words() {
        let h = heredoc_spec("<<EOF").unwrap();
        assert_eq!(
            (h.name.as_str(), h.expand, h.chomp, h.fd),
            ("EOF", true, false, 0)
        );
        let h = heredoc_spec("<<-\"EOT\"").unwrap();
        assert_eq!((h.name.as_str(), h.expand, h.chomp), ("EOT", false, true));
        let h = heredoc_spec("3<<'x'y").unwrap();
        assert_eq!((h.name.as_str(), h.expand, h.fd), ("xy", false, 3));
        assert!(heredoc_spec("<<<x").is_none());
        assert!(heredoc_spec("<<").is_none());
        assert!(heredoc_spec("a<<EOF").is_none());
        assert!(heredoc_spec("$((1<<2))").is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_go_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_go_duration("0"), Ok(Duration::ZERO));
        assert!(parse_go_duration("30").is_err());
        assert!(parse_go_duration("abc").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("-1s").is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            unknown_instruction("RUNN"),
            "unknown instruction: RUNN (did you mean RUN?)"
        );
        assert_eq!(unknown_instruction("FOO"), "unknown instruction: FOO");
    }
}
