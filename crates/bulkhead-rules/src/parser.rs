//! Recursive-descent parser for Falco conditions, following libsinsp's `filter/parser.cpp`
//! grammar, lexing rules and error messages:
//!
//! ```text
//! Expr      ::= OrExpr
//! OrExpr    ::= AndExpr ('or' (' ' AndExpr | '(' Expr ')'))*
//! AndExpr   ::= NotExpr ('and' (' ' NotExpr | '(' Expr ')'))*
//! NotExpr   ::= ('not' blank)* ('not(' Expr ')' | Check)
//! Check     ::= Field Condition | Transformer Condition | Identifier | '(' Expr ')'
//! Condition ::= 'exists'
//!             | NumOp (Number | Transformer | 'val(' Field ')')
//!             | StrOp (Value | Transformer | 'val(' Field ')')
//!             | StrOp ('oneof' | 'anyof' | 'allof') ListValue
//!             | ListOp (ListValue | Transformer | 'val(' Field ')')
//! ```
//!
//! `and` binds tighter than `or`; `not` applies to the following check or parenthesized
//! expression; a bare identifier is a macro reference. Recursion depth is bounded (Falco's
//! rule loader uses 1000) and the input size is bounded by [`MAX_CONDITION_LEN`].

use crate::ast::{Expr, Pos};
use std::fmt;

/// Falco's rule loader sets this depth limit on the libsinsp parser.
pub const DEFAULT_MAX_DEPTH: u32 = 1000;
/// Conditions longer than this (bytes) are refused before parsing.
pub const MAX_CONDITION_LEN: usize = 4 << 20;

/// A condition that does not parse: libsinsp's message and the position the parser stopped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {}, offset {})",
            self.message, self.pos.line, self.pos.col, self.pos.idx
        )
    }
}

impl std::error::Error for ParseError {}

const UNARY_OPS: &[&str] = &["exists"];
const NUM_OPS: &[&str] = &["<=", "<", ">=", ">"];
/// Word operators need a following space, as in libsinsp's table.
const STR_OPS: &[&str] = &[
    "==",
    "=",
    "!=",
    "glob ",
    "iglob ",
    "contains ",
    "icontains ",
    "bcontains ",
    "startswith ",
    "bstartswith ",
    "endswith ",
    "regex ",
];
const LIST_OPS: &[&str] = &["intersects", "in", "pmatch"];
const STR_OP_MODIFIERS: &[&str] = &["oneof", "anyof", "allof"];
const TRANSFORMERS: &[&str] = &[
    "tolower(",
    "toupper(",
    "b64(",
    "basename(",
    "len(",
    "join(",
    "concat(",
    "getopt(",
];
const VAL: &str = "val(";

/// All comparison operators, trimmed (libsinsp `parser::supported_operators`).
pub fn supported_operators() -> Vec<&'static str> {
    UNARY_OPS
        .iter()
        .chain(NUM_OPS)
        .chain(STR_OPS)
        .chain(LIST_OPS)
        .map(|s| s.trim())
        .collect()
}

/// Operators whose right-hand side is a list (`in`, `intersects`, `pmatch`).
pub fn list_operators() -> &'static [&'static str] {
    LIST_OPS
}

/// Transformer names, optionally with `val`.
pub fn supported_transformers(include_val: bool) -> Vec<&'static str> {
    let mut v = Vec::new();
    if include_val {
        v.push("val");
    }
    v.extend(TRANSFORMERS.iter().map(|s| &s[..s.len() - 1]));
    v
}

fn token_list(vals: &[&str]) -> String {
    vals.iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a condition with Falco's depth limit.
pub fn parse_condition(input: &str) -> Result<Expr, ParseError> {
    Parser::new(input).parse()
}

/// The condition parser. Use [`parse_condition`] unless a different depth limit or partial
/// parsing is needed.
pub struct Parser<'a> {
    input: &'a [u8],
    pos: Pos,
    last_token: String,
    depth: u32,
    max_depth: u32,
    parse_partial: bool,
}

type PResult<T> = Result<T, String>;

fn is_space(c: u8) -> bool {
    // POSIX [[:space:]]
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_blank(c: u8) -> bool {
    // the set libsinsp's lex_blank skips
    matches!(c, b' ' | b'\t' | 0x08 | b'\r' | b'\n')
}

impl<'a> Parser<'a> {
    pub fn new(input: &'a str) -> Self {
        Parser {
            input: input.as_bytes(),
            pos: Pos::START,
            last_token: String::new(),
            depth: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            parse_partial: false,
        }
    }

    pub fn set_max_depth(&mut self, max_depth: u32) {
        self.max_depth = max_depth;
    }

    /// When set, trailing input after a complete expression is not an error.
    pub fn set_parse_partial(&mut self, partial: bool) {
        self.parse_partial = partial;
    }

    /// Where the parser stopped (after a successful partial parse, or at an error).
    pub fn pos(&self) -> Pos {
        self.pos
    }

    pub fn parse(&mut self) -> Result<Expr, ParseError> {
        if self.input.is_empty() {
            return Err(ParseError {
                message: "filter input string is empty".into(),
                pos: Pos::START,
            });
        }
        if self.input.len() > MAX_CONDITION_LEN {
            return Err(ParseError {
                message: format!(
                    "filter input string is too long (over {MAX_CONDITION_LEN} bytes)"
                ),
                pos: Pos::START,
            });
        }
        self.pos = Pos::START;
        self.last_token.clear();
        self.depth = 0;
        let res = self.parse_or();
        let res = res.and_then(|e| {
            if !self.parse_partial && self.pos.idx != self.input.len() {
                Err(format!(
                    "unexpected token after '{}', expecting 'or', 'and'",
                    self.last_token
                ))
            } else {
                Ok(e)
            }
        });
        res.map_err(|message| ParseError {
            message,
            pos: self.pos,
        })
    }

    // ---- depth guard ----

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth >= self.max_depth {
            self.depth -= 1;
            return Err(format!("exceeded max depth limit of {}", self.max_depth));
        }
        Ok(())
    }

    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.enter()?;
        let r = f(self);
        self.depth -= 1;
        r
    }

    // ---- grammar ----

    fn parse_or(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            let mut children = Vec::new();
            p.lex_blank();
            children.push(p.parse_and()?);
            p.lex_blank();
            while p.lex_str("or") {
                let child = if !p.lex_blank() {
                    if p.lex_str("(") {
                        p.parse_embedded_remainder()?
                    } else {
                        return Err("expected blank or '(' after 'or'".into());
                    }
                } else {
                    p.parse_and()?
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::Or { children, pos }
            } else {
                children.pop().expect("one child")
            })
        })
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            let mut children = Vec::new();
            p.lex_blank();
            children.push(p.parse_not()?);
            p.lex_blank();
            while p.lex_str("and") {
                let child = if !p.lex_blank() {
                    if p.lex_str("(") {
                        p.parse_embedded_remainder()?
                    } else {
                        return Err("expected blank or '(' after 'and'".into());
                    }
                } else {
                    p.parse_not()?
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::And { children, pos }
            } else {
                children.pop().expect("one child")
            })
        })
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            let mut is_not = false;
            p.lex_blank();
            while p.lex_not_blank() {
                is_not = !is_not;
            }
            let child = if p.lex_str("not(") {
                is_not = !is_not;
                p.parse_embedded_remainder()?
            } else {
                p.parse_check()?
            };
            Ok(if is_not {
                Expr::Not {
                    child: Box::new(child),
                    pos,
                }
            } else {
                child
            })
        })
    }

    fn parse_embedded_remainder(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let child = p.parse_or()?;
            p.lex_blank();
            if !p.lex_str(")") {
                return Err("expected a ')' token".into());
            }
            Ok(child)
        })
    }

    fn parse_check(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            p.lex_blank();
            if p.lex_str("(") {
                return p.parse_embedded_remainder();
            }
            if p.lex_field_name() {
                let name = p.last_token.clone();
                let left = p.parse_field_remainder(name, pos)?;
                return p.parse_condition(left, pos);
            }
            if p.lex_transformer_type() {
                p.lex_blank();
                let name = p.transformer_name();
                let left = p.parse_transformer_remainder(name, pos)?;
                return p.parse_condition(left, pos);
            }
            if p.lex_identifier() {
                return Ok(Expr::Identifier {
                    name: p.last_token.clone(),
                    pos,
                });
            }
            Err("expected a '(' token, a field check, or an identifier".into())
        })
    }

    fn parse_field_remainder(&mut self, name: String, pos: Pos) -> PResult<Expr> {
        self.guarded(|p| {
            let arg = p.parse_field_arg()?;
            Ok(Expr::Field { name, arg, pos })
        })
    }

    fn parse_field_arg(&mut self) -> PResult<Option<String>> {
        if self.lex_str("[") {
            if !self.lex_quoted_str()? && !self.lex_field_arg_bare_str() {
                return Err(
                    "expected a valid field argument: a quoted string or a bare string".into(),
                );
            }
            let arg = self.last_token.clone();
            if !self.lex_str("]") {
                return Err("expected a ']' token".into());
            }
            return Ok(Some(arg));
        }
        Ok(None)
    }

    fn transformer_name(&self) -> String {
        let t = &self.last_token;
        t[..t.len().saturating_sub(1)].to_string()
    }

    /// After `name(`: the arguments, `)`, and an optional `[index]`.
    fn parse_transformer_remainder(&mut self, name: String, pos: Pos) -> PResult<Expr> {
        self.guarded(|p| {
            let multi = matches!(name.as_str(), "join" | "concat" | "getopt");
            let mut args = Vec::new();
            loop {
                p.lex_blank();
                let arg = if multi {
                    p.parse_transformer_arg()?
                } else {
                    p.parse_transformer_field_arg()?
                };
                args.push(arg);
                p.lex_blank();
                if multi && p.lex_str(",") {
                    continue;
                }
                break;
            }
            p.lex_blank();
            if !p.lex_str(")") {
                return Err("expected a ')' token closing the transformer".into());
            }
            let index = p.parse_field_arg()?;
            Ok(Expr::Transformer {
                name,
                args,
                index,
                pos,
            })
        })
    }

    /// A field or a nested transformer.
    fn parse_transformer_field_arg(&mut self) -> PResult<Expr> {
        let arg_pos = self.pos;
        if self.lex_transformer_type() {
            self.lex_blank();
            let name = self.transformer_name();
            return self.parse_transformer_remainder(name, arg_pos);
        }
        if self.lex_field_name() {
            let name = self.last_token.clone();
            return self.parse_field_remainder(name, arg_pos);
        }
        Err(format!(
            "expected a field or a nested valid transformer: {}",
            token_list(&supported_transformers(true))
        ))
    }

    /// A field, nested transformer, quoted string, number or parenthesized list.
    fn parse_transformer_arg(&mut self) -> PResult<Expr> {
        let arg_pos = self.pos;
        if self.lex_transformer_type() || self.lex_field_name() {
            self.pos = arg_pos;
            return self.parse_transformer_field_arg();
        }
        if self.lex_quoted_str()? || self.lex_hex_num() || self.lex_num() {
            return Ok(Expr::Value {
                value: self.last_token.clone(),
                pos: arg_pos,
            });
        }
        if self.peek() == Some(b'(') {
            return self.parse_list_literal();
        }
        Err(format!(
            "expected a field, a nested valid transformer, a quoted string, a number or a list: {}",
            token_list(&supported_transformers(true))
        ))
    }

    fn parse_condition(&mut self, left: Expr, pos: Pos) -> PResult<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            if p.lex_str_list(UNARY_OPS) {
                return Ok(Expr::UnaryCheck {
                    left: Box::new(left),
                    op: p.last_token.trim().to_string(),
                    pos,
                });
            }
            p.lex_blank();
            let (op, modifier, right);
            if p.lex_str_list(NUM_OPS) {
                op = p.last_token.clone();
                modifier = None;
                right = p.parse_num_value_or_transformer()?;
            } else if p.lex_str_list(STR_OPS) {
                op = p.last_token.clone();
                match p.try_parse_modifier()? {
                    Some((m, list)) => {
                        modifier = Some(m);
                        right = list;
                    }
                    None => {
                        modifier = None;
                        right = p.parse_str_value_or_transformer(false)?;
                    }
                }
            } else if p.lex_str_list(LIST_OPS) {
                op = p.last_token.clone();
                modifier = None;
                right = p.parse_list_value_or_transformer()?;
            } else {
                return Err(format!(
                    "expected a valid check operator: one of {}",
                    token_list(&supported_operators())
                ));
            }
            Ok(Expr::BinaryCheck {
                left: Box::new(left),
                op: op.trim().to_string(),
                modifier,
                right: Box::new(right),
                pos,
            })
        })
    }

    /// `oneof|anyof|allof` followed by a list value; otherwise restores the position.
    fn try_parse_modifier(&mut self) -> PResult<Option<(String, Expr)>> {
        let save = self.pos;
        let save_tok = self.last_token.clone();
        self.lex_blank();
        for m in STR_OP_MODIFIERS {
            if self.lex_str(m) {
                let blank = self.lex_blank();
                let next = self.peek();
                let list_follows = next == Some(b'(')
                    || (blank && {
                        let p0 = self.pos;
                        let ok = self.lex_identifier()
                            && !matches!(self.last_token.as_str(), "and" | "or" | "not");
                        self.pos = p0;
                        ok
                    });
                if list_follows {
                    let list = self.parse_list_value_or_transformer()?;
                    return Ok(Some((m.to_string(), list)));
                }
                break;
            }
        }
        self.pos = save;
        self.last_token = save_tok;
        Ok(None)
    }

    fn parse_num_value_or_transformer(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(t) = p.try_parse_transformer_or_val()? {
                return Ok(t);
            }
            if p.lex_hex_num() || p.lex_num() {
                return Ok(Expr::Value {
                    value: p.last_token.clone(),
                    pos,
                });
            }
            Err(format!(
                "expected a number value or a field with a valid transformer: {}",
                token_list(&supported_transformers(true))
            ))
        })
    }

    fn parse_str_value_or_transformer(&mut self, no_transformer: bool) -> PResult<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if !no_transformer && let Some(t) = p.try_parse_transformer_or_val()? {
                return Ok(t);
            }
            if p.lex_quoted_str()? || p.lex_bare_str() {
                return Ok(Expr::Value {
                    value: p.last_token.clone(),
                    pos,
                });
            }
            if no_transformer {
                return Err("expected a string value".into());
            }
            Err(format!(
                "expected a string value or a field with a valid transformer: {}",
                token_list(&supported_transformers(true))
            ))
        })
    }

    fn parse_list_literal(&mut self) -> PResult<Expr> {
        let pos = self.pos;
        if !self.lex_str("(") {
            return Err("expected a '(' token".into());
        }
        let mut values = Vec::new();
        self.lex_blank();
        match self.parse_str_value_or_transformer(true) {
            Ok(Expr::Value { value, .. }) => {
                values.push(value);
                self.lex_blank();
                while self.lex_str(",") {
                    match self.parse_str_value_or_transformer(true)? {
                        Expr::Value { value, .. } => values.push(value),
                        _ => {
                            return Err(
                                "parser fatal error: null value expr in body of list".into()
                            );
                        }
                    }
                    self.lex_blank();
                }
            }
            Ok(_) => return Err("parser fatal error: null value expr in head of list".into()),
            // libsinsp takes any failure on the first element to mean an empty list, and
            // keeps the cursor where the failure left it
            Err(_) => {}
        }
        if !self.lex_str(")") {
            return Err("expected a ')' token".into());
        }
        Ok(Expr::List { values, pos })
    }

    fn parse_list_value_or_transformer(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if p.peek() == Some(b'(') {
                return p.parse_list_literal();
            }
            if let Some(t) = p.try_parse_transformer_or_val()? {
                return Ok(t);
            }
            if p.lex_identifier() {
                return Ok(Expr::Value {
                    value: p.last_token.clone(),
                    pos,
                });
            }
            Err(format!(
                "expected a list, an identifier, or a field with a valid transformer: {}",
                token_list(&supported_transformers(true))
            ))
        })
    }

    fn try_parse_transformer_or_val(&mut self) -> PResult<Option<Expr>> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if p.lex_str(VAL) {
                p.lex_blank();
                let field_pos = p.pos;
                if !p.lex_field_name() {
                    return Err("expected a field within 'val' transformer".into());
                }
                let name = p.last_token.clone();
                let child = p.parse_field_remainder(name, field_pos)?;
                p.lex_blank();
                if !p.lex_str(")") {
                    return Err("expected a ')' token closing the transformer".into());
                }
                return Ok(Some(Expr::Transformer {
                    name: "val".into(),
                    args: vec![child],
                    index: None,
                    pos,
                }));
            }
            if p.lex_transformer_type() {
                p.lex_blank();
                let name = p.transformer_name();
                return p.parse_transformer_remainder(name, pos).map(Some);
            }
            Ok(None)
        })
    }

    // ---- lexer ----

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos.idx).copied()
    }

    fn rest(&self) -> &'a [u8] {
        &self.input[self.pos.idx.min(self.input.len())..]
    }

    fn consume(&mut self, n: usize) {
        let end = (self.pos.idx + n).min(self.input.len());
        let tok = &self.input[self.pos.idx..end];
        self.last_token = String::from_utf8_lossy(tok).into_owned();
        for &c in tok {
            self.pos.advance(c);
        }
    }

    fn lex_blank(&mut self) -> bool {
        let mut found = false;
        while let Some(c) = self.peek() {
            if !is_blank(c) {
                break;
            }
            found = true;
            self.pos.advance(c);
        }
        found
    }

    fn lex_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) {
            self.consume(s.len());
            return true;
        }
        false
    }

    fn lex_str_list(&mut self, list: &[&str]) -> bool {
        list.iter().any(|s| self.lex_str(s))
    }

    fn lex_not_blank(&mut self) -> bool {
        let r = self.rest();
        if r.starts_with(b"not") {
            let n = r[3..].iter().take_while(|&&c| is_space(c)).count();
            if n > 0 {
                self.consume(3 + n);
                return true;
            }
        }
        false
    }

    fn ident_len(r: &[u8]) -> usize {
        if r.first().is_some_and(|c| c.is_ascii_alphabetic()) {
            1 + r[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        } else {
            0
        }
    }

    fn lex_identifier(&mut self) -> bool {
        let n = Self::ident_len(self.rest());
        if n > 0 {
            self.consume(n);
            return true;
        }
        false
    }

    fn lex_field_name(&mut self) -> bool {
        let r = self.rest();
        let mut n = Self::ident_len(r);
        if n == 0 {
            return false;
        }
        let mut segments = 0;
        while r.get(n) == Some(&b'.') {
            let m = Self::ident_len(&r[n + 1..]);
            if m == 0 {
                break;
            }
            n += 1 + m;
            segments += 1;
        }
        if segments == 0 {
            return false;
        }
        self.consume(n);
        true
    }

    fn lex_field_arg_bare_str(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|&&c| !matches!(c, b'[' | b']' | b'"' | b'\'') && !is_space(c))
            .count();
        if n > 0 {
            self.consume(n);
            return true;
        }
        false
    }

    fn lex_hex_num(&mut self) -> bool {
        let r = self.rest();
        if r.len() > 2 && r[0] == b'0' && (r[1] == b'x' || r[1] == b'X') {
            let m = r[2..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            if m > 0 {
                self.consume(2 + m);
                return true;
            }
        }
        false
    }

    fn lex_num(&mut self) -> bool {
        let r = self.rest();
        let mut n = 0;
        if matches!(r.first(), Some(b'+' | b'-')) {
            n = 1;
        }
        let digits = r[n..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        n += digits;
        if r.get(n) == Some(&b'.') {
            n += 1;
        }
        n += r[n..].iter().take_while(|c| c.is_ascii_digit()).count();
        if matches!(r.get(n), Some(b'e' | b'E')) && matches!(r.get(n + 1), Some(b'+' | b'-')) {
            let e = r[n + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if e > 0 {
                n += 2 + e;
            }
        }
        self.consume(n);
        true
    }

    fn lex_bare_str(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|&&c| {
                !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_space(c)
            })
            .count();
        if n > 0 {
            self.consume(n);
            return true;
        }
        false
    }

    /// A `"..."` or `'...'` string; the token is the unescaped content. An unterminated string
    /// does not match (the position is left unchanged).
    fn lex_quoted_str(&mut self) -> PResult<bool> {
        let r = self.rest();
        let Some(&delim) = r.first() else {
            return Ok(false);
        };
        if delim != b'"' && delim != b'\'' {
            return Ok(false);
        }
        let mut prev = b'\\';
        let mut end = None;
        for (i, &c) in r.iter().enumerate() {
            if c == delim && prev != b'\\' {
                end = Some(i);
                break;
            }
            prev = c;
        }
        // the first byte is the delimiter itself and `prev` starts as a backslash, so the scan
        // above never stops at i == 0
        let Some(end) = end else {
            return Ok(false);
        };
        let raw = &r[..=end];
        // like libsinsp, the cursor is past the string even when unescaping fails
        self.consume(end + 1);
        self.last_token = unescape(raw)?;
        Ok(true)
    }

    fn lex_transformer_type(&mut self) -> bool {
        self.lex_str_list(TRANSFORMERS)
    }
}

/// libsinsp `unescape_str`: strips the surrounding quotes and resolves `\b \f \n \r \t \\ \/`,
/// `\ ` (a backslash) and the escaped delimiter.
fn unescape(raw: &[u8]) -> PResult<String> {
    let mut out = Vec::with_capacity(raw.len());
    let len = raw.len().saturating_sub(1);
    let mut escaped = false;
    for &c in raw.iter().take(len).skip(1) {
        if !escaped {
            if c == b'\\' {
                escaped = true;
            } else {
                out.push(c);
            }
            continue;
        }
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b' ' | b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' => {
                if raw[0] != c {
                    return Err("invalid \\\" escape in '-quoted string".into());
                }
                out.push(c);
            }
            b'\'' => {
                if raw[0] != c {
                    return Err("invalid \\' escape in \"-quoted string".into());
                }
                out.push(c);
            }
            other => {
                return Err(format!(
                    "unsupported string escape sequence: \\{}",
                    String::from_utf8_lossy(&[other])
                ));
            }
        }
        escaped = false;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
