//! Rule evaluation: a compiled condition ([`Expr`] with macros resolved and lists substituted) turned
//! once into a tree of typed checks, evaluated against any event that can extract fields
//! ([`FieldSource`]). Semantics follow libsinsp's filter checks: a check whose field has no value is
//! false (and `not` of it true); multi-valued fields match `in` when every value is in the set,
//! `intersects` when any is; `glob` is `fnmatch` without `FNM_PATHNAME`; `regex` is a full match.

use crate::ast::Expr;
use regex::Regex;
use std::collections::HashSet;

/// What an event offers to conditions and output formats: the values of a field (with its
/// argument, e.g. `jevt.value[/stage]` → arg `/stage`), or `None` when the event has no value for
/// it. Single-valued fields return one element.
pub trait FieldSource {
    fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>>;
}

/// An operand: a field (with transformers) or a constant.
#[derive(Debug, Clone)]
pub enum Operand {
    Field {
        name: String,
        arg: Option<String>,
        /// Transformers applied innermost first (`tolower(basename(x))` → [basename, tolower]).
        transforms: Vec<String>,
    },
}

/// The right-hand side of a check.
#[derive(Debug)]
pub enum Rhs {
    None,
    Value(String),
    List(Vec<String>, HashSet<String>),
    Field(Operand),
    Regex(Regex),
}

/// A compiled condition.
#[derive(Debug)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check {
        left: Operand,
        op: String,
        modifier: Option<String>,
        rhs: Rhs,
    },
    /// A constant (an unresolved identifier compiles to false).
    Const(bool),
}

/// Compile a condition for evaluation. Errors name what cannot be evaluated (bad regex, an operand
/// that is not a field).
pub fn compile(expr: &Expr) -> Result<Node, String> {
    Ok(match expr {
        Expr::And { children, .. } => {
            Node::And(children.iter().map(compile).collect::<Result<_, _>>()?)
        }
        Expr::Or { children, .. } => {
            Node::Or(children.iter().map(compile).collect::<Result<_, _>>()?)
        }
        Expr::Not { child, .. } => Node::Not(Box::new(compile(child)?)),
        Expr::Identifier { name, .. } => {
            return Err(format!("undefined macro '{name}' at evaluation"));
        }
        Expr::UnaryCheck { left, op, .. } => Node::Check {
            left: operand(left)?,
            op: op.clone(),
            modifier: None,
            rhs: Rhs::None,
        },
        Expr::BinaryCheck {
            left,
            op,
            modifier,
            right,
            ..
        } => {
            let rhs = match right.as_ref() {
                Expr::Value { value, .. } if op == "regex" => Rhs::Regex(
                    Regex::new(&format!("^(?:{value})$"))
                        .map_err(|e| format!("invalid regex {value:?}: {e}"))?,
                ),
                Expr::Value { value, .. } => Rhs::Value(value.clone()),
                Expr::List { values, .. } => {
                    Rhs::List(values.clone(), values.iter().cloned().collect())
                }
                Expr::Transformer { name, args, .. } if name == "val" => {
                    Rhs::Field(operand(args.first().ok_or("val() needs a field")?)?)
                }
                other => Rhs::Field(operand(other)?),
            };
            Node::Check {
                left: operand(left)?,
                op: op.clone(),
                modifier: modifier.clone(),
                rhs,
            }
        }
        other => return Err(format!("not a condition: {other:?}")),
    })
}

fn operand(e: &Expr) -> Result<Operand, String> {
    match e {
        Expr::Field { name, arg, .. } => Ok(Operand::Field {
            name: name.clone(),
            arg: arg.clone(),
            transforms: Vec::new(),
        }),
        Expr::Transformer { name, args, .. } => {
            let inner = operand(args.first().ok_or("transformer without argument")?)?;
            let Operand::Field {
                name: f,
                arg,
                mut transforms,
            } = inner;
            transforms.push(name.clone());
            Ok(Operand::Field {
                name: f,
                arg,
                transforms,
            })
        }
        other => Err(format!("not a field: {other:?}")),
    }
}

fn values(op: &Operand, ev: &dyn FieldSource) -> Option<Vec<String>> {
    let Operand::Field {
        name,
        arg,
        transforms,
    } = op;
    let mut v = ev.extract(name, arg.as_deref())?;
    for t in transforms {
        v = v
            .into_iter()
            .map(|s| match t.as_str() {
                "tolower" => s.to_lowercase(),
                "toupper" => s.to_uppercase(),
                "basename" => s.rsplit('/').next().unwrap_or("").to_string(),
                "len" => s.len().to_string(),
                "b64" => b64decode(&s).unwrap_or(s),
                _ => s,
            })
            .collect();
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
/// fnmatch's flags exactly.
pub fn fnmatch(pattern: &str, s: &str, casefold: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if casefold {
        (
            pattern.to_lowercase().chars().collect(),
            s.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), s.chars().collect())
    };
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some(pi);
                    mark = ti;
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() && p[pi + 1] == t[ti] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
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
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A `[...]` class at `p[start]`: (matches `c`, index after the class), or `None` if unterminated.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (first || p[i] != ']') {
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if lo <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
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
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn cmp_num(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y),
        _ => Some(a.cmp(b)),
    }
}

/// `v` is an IP address inside the network `r` (`10.0.0.0/8`, `fe80::/10`), as Falco compares
/// address fields with network values.
fn ip_in_net(v: &str, r: &str) -> bool {
    let Some((net, bits)) = r.split_once('/') else {
        return false;
    };
    let (Ok(ip), Ok(net), Ok(bits)) = (
        v.parse::<std::net::IpAddr>(),
        net.parse::<std::net::IpAddr>(),
        bits.parse::<u32>(),
    ) else {
        return false;
    };
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(n)) if bits <= 128 => {
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

/// One value against one right-hand value.
fn compare(op: &str, v: &str, r: &str) -> bool {
    match op {
        "=" | "==" => v == r || (r.contains('/') && ip_in_net(v, r)),
        "!=" => v != r,
        "contains" => v.contains(r),
        "icontains" => v.to_lowercase().contains(&r.to_lowercase()),
        "startswith" => v.starts_with(r),
        "endswith" => v.ends_with(r),
        "glob" => fnmatch(r, v, false),
        "iglob" => fnmatch(r, v, true),
        "bcontains" => hex_bytes(r).is_some_and(|n| {
            n.is_empty() || v.as_bytes().windows(n.len()).any(|w| w == n.as_slice())
        }),
        "bstartswith" => hex_bytes(r).is_some_and(|n| v.as_bytes().starts_with(&n)),
        "<" => cmp_num(v, r) == Some(std::cmp::Ordering::Less),
        "<=" => cmp_num(v, r).is_some_and(|o| o != std::cmp::Ordering::Greater),
        ">" => cmp_num(v, r) == Some(std::cmp::Ordering::Greater),
        ">=" => cmp_num(v, r).is_some_and(|o| o != std::cmp::Ordering::Less),
        _ => false,
    }
}

/// Fields whose values are a socket's two ends (`fd.ip`, `fd.port`, `fd.net`, `fd.proto`): `=`
/// and `in` hold when either end matches, `!=` when both differ.
fn either_end(op: &Operand) -> bool {
    let Operand::Field {
        name, transforms, ..
    } = op;
    transforms.is_empty() && matches!(name.as_str(), "fd.ip" | "fd.port" | "fd.net" | "fd.proto")
}

/// `pmatch`: the value is one of the paths or below one of them.
fn path_prefix(v: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| {
        let p = p.trim_end_matches('/');
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
            Node::Check {
                left,
                op,
                modifier,
                rhs,
            } => {
                let Some(vals) = values(left, ev) else {
                    return false;
                };
                if op == "exists" {
                    return !vals.is_empty();
                }
                if vals.is_empty() {
                    return false;
                }
                let in_list = |v: &String, list: &[String], set: &HashSet<String>| {
                    set.contains(v) || list.iter().any(|r| r.contains('/') && ip_in_net(v, r))
                };
                match (op.as_str(), rhs) {
                    // The either-end socket fields (libsinsp `compare_ip`/`compare_port`/
                    // `compare_net`/`compare_proto`): `in` matches when one end is in the list.
                    ("in", Rhs::List(list, set)) if either_end(left) => {
                        vals.iter().any(|v| in_list(v, list, set))
                    }
                    ("in", Rhs::List(list, set)) => vals.iter().all(|v| in_list(v, list, set)),
                    ("in", Rhs::Value(x)) => vals.iter().all(|v| v == x),
                    ("intersects", Rhs::List(_, set)) => vals.iter().any(|v| set.contains(v)),
                    ("pmatch", Rhs::List(list, _)) => vals.iter().all(|v| path_prefix(v, list)),
                    ("regex", Rhs::Regex(re)) => vals.iter().any(|v| re.is_match(v)),
                    (_, Rhs::List(list, _)) => {
                        // Modifier forms: `startswith oneof (a, b)`.
                        let all = modifier.as_deref() == Some("allof");
                        vals.iter().any(|v| {
                            if all {
                                list.iter().all(|r| compare(op, v, r))
                            } else {
                                list.iter().any(|r| compare(op, v, r))
                            }
                        })
                    }
                    // Every value differs (for the either-end fields: both ends); a network
                    // value (`a.b.c.d/n`) differs from the addresses outside it.
                    ("!=", Rhs::Value(r)) => vals
                        .iter()
                        .all(|v| v != r && !(r.contains('/') && ip_in_net(v, r))),
                    (_, Rhs::Value(r)) => vals.iter().any(|v| compare(op, v, r)),
                    (_, Rhs::Field(f)) => {
                        let Some(rv) = values(f, ev) else {
                            return false;
                        };
                        match op.as_str() {
                            "in" => vals.iter().all(|v| rv.contains(v)),
                            "intersects" => vals.iter().any(|v| rv.contains(v)),
                            _ => vals.iter().any(|v| rv.iter().any(|r| compare(op, v, r))),
                        }
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Expand an output format: `%field` and `%field[arg]` (and `%(field)`) replaced by the event's
/// value (lists as `(a,b)`), `<NA>` when it has none, as Falco formats outputs. Returns the text and
/// the (field, value) pairs for JSON `output_fields`.
pub fn format_output(fmt: &str, ev: &dyn FieldSource) -> (String, Vec<(String, Option<String>)>) {
    let b = fmt.as_bytes();
    let mut out = String::with_capacity(fmt.len());
    let mut fields = Vec::new();
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
        let value = ev.extract(name, arg.as_deref()).map(|v| {
            if v.len() == 1 {
                v[0].clone()
            } else {
                format!("({})", v.join(","))
            }
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
        assert!(t("fd.name bcontains 736861"), "hex of 'sha'");
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
    fn glob_cases() {
        assert!(fnmatch("a*c", "a/b/c", false));
        assert!(fnmatch("[!x]b", "ab", false));
        assert!(!fnmatch("[!a]b", "ab", false));
        assert!(fnmatch("A*", "abc", true));
        assert!(fnmatch("\\*", "*", false));
        assert!(!fnmatch("?", "", false));
    }
}
