//! Condition AST, shaped like libsinsp's `filter/ast.h`: boolean nodes (and/or/not), checks
//! (unary `exists`, binary with an operator), and the operands of checks (fields, transformers,
//! values, lists). Identifiers are macro references until macros are resolved.

use std::fmt;

/// Position in a condition string. `idx` is a byte offset (0-based); `line` and `col` are 1-based,
/// like libsinsp's `pos_info` (a `\n` or `\r` starts a new line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    pub idx: usize,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    /// The position of the first byte of a condition.
    pub const START: Pos = Pos {
        idx: 0,
        line: 1,
        col: 1,
    };

    pub(crate) fn advance(&mut self, c: u8) {
        self.col = self.col.saturating_add(1);
        if c == b'\r' || c == b'\n' {
            self.col = 1;
            self.line = self.line.saturating_add(1);
        }
        self.idx += 1;
    }
}

/// A node of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a and b and ...` (at least two children).
    And { children: Vec<Expr>, pos: Pos },
    /// `a or b or ...` (at least two children).
    Or { children: Vec<Expr>, pos: Pos },
    /// `not a`.
    Not { child: Box<Expr>, pos: Pos },
    /// A bare identifier: a macro reference.
    Identifier { name: String, pos: Pos },
    /// A single value (right-hand side of a check, unescaped if it was quoted).
    Value { value: String, pos: Pos },
    /// A list of values `(a, b, "c")`.
    List { values: Vec<String>, pos: Pos },
    /// A field, with an optional argument (`proc.aname[2]`, `jevt.value[/a/b]`).
    Field {
        name: String,
        arg: Option<String>,
        pos: Pos,
    },
    /// A transformer applied to fields or values: `tolower(proc.name)`, `val(fd.name)`,
    /// `join(",", (a, b))`, with an optional index argument after the closing parenthesis.
    Transformer {
        name: String,
        args: Vec<Expr>,
        index: Option<String>,
        pos: Pos,
    },
    /// `left exists`.
    UnaryCheck {
        left: Box<Expr>,
        op: String,
        pos: Pos,
    },
    /// `left op right`, `left op modifier (list)`.
    BinaryCheck {
        left: Box<Expr>,
        op: String,
        modifier: Option<String>,
        right: Box<Expr>,
        pos: Pos,
    },
}

impl Expr {
    pub fn pos(&self) -> Pos {
        match self {
            Expr::And { pos, .. }
            | Expr::Or { pos, .. }
            | Expr::Not { pos, .. }
            | Expr::Identifier { pos, .. }
            | Expr::Value { pos, .. }
            | Expr::List { pos, .. }
            | Expr::Field { pos, .. }
            | Expr::Transformer { pos, .. }
            | Expr::UnaryCheck { pos, .. }
            | Expr::BinaryCheck { pos, .. } => *pos,
        }
    }

    /// Visits every node depth-first (parents before children), with an explicit stack so deep
    /// trees cannot overflow the call stack.
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        let mut stack: Vec<&'a Expr> = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            match e {
                Expr::And { children, .. } | Expr::Or { children, .. } => {
                    stack.extend(children.iter().rev())
                }
                Expr::Not { child, .. } => stack.push(child),
                Expr::Transformer { args, .. } => stack.extend(args.iter().rev()),
                Expr::UnaryCheck { left, .. } => stack.push(left),
                Expr::BinaryCheck { left, right, .. } => {
                    stack.push(right);
                    stack.push(left);
                }
                Expr::Identifier { .. }
                | Expr::Value { .. }
                | Expr::List { .. }
                | Expr::Field { .. } => {}
            }
        }
    }

    /// Names of the fields used (with `[arg]` dropped), in order of appearance, with duplicates.
    pub fn fields(&self) -> Vec<(&str, Option<&str>)> {
        let mut out = Vec::new();
        self.walk(|e| {
            if let Expr::Field { name, arg, .. } = e {
                out.push((name.as_str(), arg.as_deref()));
            }
        });
        out
    }

    /// Identifiers (macro references) left in the tree.
    pub fn identifiers(&self) -> Vec<(&str, Pos)> {
        let mut out = Vec::new();
        self.walk(|e| {
            if let Expr::Identifier { name, pos } = e {
                out.push((name.as_str(), *pos));
            }
        });
        out
    }
}

fn quote(s: &str) -> String {
    let needs = s.is_empty()
        || s.bytes().any(|b| {
            matches!(
                b,
                b' ' | b'\t'
                    | b'\n'
                    | 0x0b
                    | 0x0c
                    | 0x08
                    | b'\r'
                    | b'('
                    | b')'
                    | b','
                    | b'='
                    | b'"'
                    | b'\''
                    | b'['
                    | b']'
            )
        });
    if !needs {
        return s.to_string();
    }
    quote_always(s)
}

fn quote_always(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            // libsinsp ends a quoted string at a quote not preceded by a backslash, so a
            // backslash is written as `\ ` (which it unescapes to a backslash)
            '\\' => out.push_str("\\ "),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Prints a condition back in the language (fully parenthesized for boolean nodes), so that
/// parsing the printed form gives the same tree (positions aside).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And { children, .. } | Expr::Or { children, .. } => {
                let sep = if matches!(self, Expr::And { .. }) {
                    " and "
                } else {
                    " or "
                };
                f.write_str("(")?;
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str(")")
            }
            // Consecutive `not`s cancel out when parsed (libsinsp toggles them), so a negated
            // negation (`not (not a)`) keeps its parentheses.
            Expr::Not { child, .. } if matches!(**child, Expr::Not { .. }) => {
                write!(f, "not ({child})")
            }
            Expr::Not { child, .. } => write!(f, "not {child}"),
            // a macro named `not` followed by a blank would read as a negation
            Expr::Identifier { name, .. } if name == "not" => f.write_str("(not)"),
            Expr::Identifier { name, .. } => f.write_str(name),
            Expr::Value { value, .. } => f.write_str(&quote(value)),
            Expr::List { values, .. } => {
                f.write_str("(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&quote(v))?;
                }
                f.write_str(")")
            }
            Expr::Field { name, arg, .. } => match arg {
                Some(a) => write!(f, "{name}[{}]", quote(a)),
                None => f.write_str(name),
            },
            Expr::Transformer {
                name, args, index, ..
            } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match a {
                        // transformer arguments take quoted strings or numbers, not bare strings
                        Expr::Value { value, .. } => f.write_str(&quote_always(value))?,
                        _ => write!(f, "{a}")?,
                    }
                }
                f.write_str(")")?;
                if let Some(i) = index {
                    write!(f, "[{}]", quote(i))?;
                }
                Ok(())
            }
            Expr::UnaryCheck { left, op, .. } => write!(f, "{left} {op}"),
            Expr::BinaryCheck {
                left,
                op,
                modifier,
                right,
                ..
            } => match modifier {
                Some(m) => write!(f, "{left} {op} {m} {right}"),
                None => write!(f, "{left} {op} {right}"),
            },
        }
    }
}
