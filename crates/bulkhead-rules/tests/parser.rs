//! Condition parser: precedence, every operator, operands, lexing quirks, errors and positions.

use bulkhead_rules::ast::{Expr, Pos};
use bulkhead_rules::parser::{Parser, parse_condition, supported_operators};

fn p(s: &str) -> Expr {
    parse_condition(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn show(s: &str) -> String {
    p(s).to_string()
}

fn err(s: &str) -> (String, Pos) {
    let e = parse_condition(s).expect_err(s);
    (e.message, e.pos)
}

#[test]
fn precedence_and_binds_tighter_than_or() {
    assert_eq!(show("a and b or c"), "((a and b) or c)");
    assert_eq!(show("a or b and c"), "(a or (b and c))");
    assert_eq!(
        show("a or b or c and d and e"),
        "(a or b or (c and d and e))"
    );
    assert_eq!(show("not a and b"), "(not a and b)");
    assert_eq!(show("not a or not b"), "(not a or not b)");
    assert_eq!(show("not (a or b) and c"), "(not (a or b) and c)");
    assert_eq!(show("(a or b) and c"), "((a or b) and c)");
    // repeated `not` toggles
    assert_eq!(show("not not a"), "a");
    assert_eq!(show("not not not a"), "not a");
    assert_eq!(show("not(a)"), "not a");
    assert_eq!(show("not not(a)"), "a");
    // `and(`/`or(` need no blank
    assert_eq!(show("a and(b or c)"), "(a and (b or c))");
    assert_eq!(show("a or(b)"), "(a or b)");
    // newlines and tabs are blanks
    assert_eq!(show("a\n  and\tb\r\nor c"), "((a and b) or c)");
}

#[test]
fn checks_with_every_operator() {
    for op in supported_operators() {
        let cond = match op {
            "exists" => "proc.name exists".to_string(),
            "in" | "intersects" | "pmatch" => format!("proc.name {op} (a, b)"),
            "<" | "<=" | ">" | ">=" => format!("proc.pid {op} 5"),
            _ => format!("proc.name {op} abc"),
        };
        let e = p(&cond);
        match &e {
            Expr::UnaryCheck { op: o, .. } | Expr::BinaryCheck { op: o, .. } => {
                assert_eq!(o, op, "{cond}")
            }
            other => panic!("{cond}: {other:?}"),
        }
        // and with no blanks around symbolic operators
        if matches!(op, "=" | "==" | "!=" | "<" | "<=" | ">" | ">=") {
            let tight = format!("proc.pid{op}5");
            assert!(parse_condition(&tight).is_ok(), "{tight}");
        }
    }
    assert_eq!(supported_operators().len(), 20);
    // `==` before `=`, `<=` before `<`, `intersects` before `in`
    assert_eq!(show("a.b==c"), "a.b == c");
    assert_eq!(show("a.b<=1"), "a.b <= 1");
    assert_eq!(show("a.b intersects (x)"), "a.b intersects (x)");
    // list operators need no blank; word string operators need a space after them
    assert_eq!(show("a.b in(x,y)"), "a.b in (x, y)");
    assert!(parse_condition("a.b contains\tx").is_err());
    // hex and signed/float numbers
    assert_eq!(show("evt.arg.flags > 0x1F"), "evt.arg.flags > 0x1F");
    assert_eq!(show("x.y >= -1.5e+3"), "x.y >= -1.5e+3");
    // identifier as a list (an unresolved list name)
    assert_eq!(
        show("proc.name in shell_binaries"),
        "proc.name in shell_binaries"
    );
    // empty list
    assert_eq!(show("proc.name in ()"), "proc.name in ()");
    // string operator modifiers
    let e = p("proc.name startswith oneof (a, b)");
    assert!(matches!(e, Expr::BinaryCheck { modifier: Some(ref m), .. } if m == "oneof"));
    // a modifier word not followed by a list is a plain value
    let e = p("proc.name = oneof and a");
    assert_eq!(e.to_string(), "(proc.name = oneof and a)");
}

#[test]
fn operands() {
    let e = p("proc.aname[3] = bash");
    assert!(matches!(e, Expr::BinaryCheck { ref left, .. }
        if **left == Expr::Field { name: "proc.aname".into(), arg: Some("3".into()), pos: Pos::START }));
    assert_eq!(show("evt.arg.path = /tmp"), "evt.arg.path = /tmp");
    assert_eq!(show("evt.arg[0] = x"), "evt.arg[0] = x");
    assert_eq!(
        show("ka.req.pod.containers.image[0] startswith docker.io/"),
        "ka.req.pod.containers.image[0] startswith docker.io/"
    );
    assert_eq!(
        show("jevt.value[/requestObject/spec/hostNetwork] = true"),
        "jevt.value[/requestObject/spec/hostNetwork] = true"
    );
    assert_eq!(
        show(r#"k8s.pod.label["app.kubernetes.io/name"] = x"#),
        "k8s.pod.label[app.kubernetes.io/name] = x"
    );
    assert_eq!(
        show("container.mount.dest[/var/run/docker.sock] exists"),
        "container.mount.dest[/var/run/docker.sock] exists"
    );
    // transformers, nested, on both sides, val()
    assert_eq!(
        show("tolower(proc.name) = bash"),
        "tolower(proc.name) = bash"
    );
    assert_eq!(
        show("toupper( basename(proc.exe) ) = BASH"),
        "toupper(basename(proc.exe)) = BASH"
    );
    assert_eq!(show("len(proc.args) > 10"), "len(proc.args) > 10");
    assert_eq!(
        show("b64(evt.buffer) contains abc"),
        "b64(evt.buffer) contains abc"
    );
    assert_eq!(
        show("proc.name = val(proc.pname)"),
        "proc.name = val(proc.pname)"
    );
    assert_eq!(
        show("proc.pid < len(proc.args)"),
        "proc.pid < len(proc.args)"
    );
    assert_eq!(
        show("fd.name in val(fd.directory)"),
        "fd.name in val(fd.directory)"
    );
    assert_eq!(
        show(r#"join(",", (a, b)) = "a,b""#),
        r#"join(",", (a, b)) = "a,b""#
    );
    assert_eq!(
        show("concat(proc.name, fd.name) = x"),
        "concat(proc.name, fd.name) = x"
    );
    assert_eq!(
        show(r#"getopt(proc.args, "f:")[f] = x"#),
        r#"getopt(proc.args, "f:")[f] = x"#
    );
    // a lone identifier is a macro reference; `not` alone is an identifier too
    assert!(
        matches!(p("spawned_process"), Expr::Identifier { ref name, .. } if name == "spawned_process")
    );
    assert!(matches!(p("not"), Expr::Identifier { ref name, .. } if name == "not"));
    assert!(matches!(p("notx"), Expr::Identifier { ref name, .. } if name == "notx"));
}

#[test]
fn strings_and_escapes() {
    let v = |s: &str| match p(s) {
        Expr::BinaryCheck { right, .. } => match *right {
            Expr::Value { value, .. } => value,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(v(r#"a.b = "x y""#), "x y");
    assert_eq!(v(r#"a.b = 'x "y"'"#), "x \"y\"");
    assert_eq!(v(r#"a.b = "a\"b""#), "a\"b");
    assert_eq!(v(r#"a.b = "a\nb\tc\\d\/e""#), "a\nb\tc\\d/e");
    assert_eq!(v(r#"a.b = "C:\ x""#), "C:\\x");
    assert_eq!(v("a.b = /usr/bin/*"), "/usr/bin/*");
    assert_eq!(v("a.b contains ''"), "");
    let (m, _) = err(r#"a.b = "\q""#);
    assert_eq!(m, "unsupported string escape sequence: \\q");
    let (m, _) = err(r#"a.b = '\"'"#);
    assert_eq!(m, "invalid \\\" escape in '-quoted string");
    // list elements: quoted with commas inside, bare with dots and slashes
    match p(r#"a.b in ("x, y", /bin/sh, 'z', 22)"#) {
        Expr::BinaryCheck { right, .. } => match *right {
            Expr::List { values, .. } => assert_eq!(values, ["x, y", "/bin/sh", "z", "22"]),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_with_messages_and_positions() {
    let (m, pos) = err("evt.type=execve foo");
    assert_eq!(m, "unexpected token after 'execve', expecting 'or', 'and'");
    assert_eq!(
        pos,
        Pos {
            idx: 16,
            line: 1,
            col: 17
        }
    );
    let (m, _) = err("");
    assert_eq!(m, "filter input string is empty");
    let (m, pos) = err("   ");
    assert_eq!(m, "expected a '(' token, a field check, or an identifier");
    assert_eq!(pos.idx, 3);
    let (m, _) = err("a orb");
    assert_eq!(m, "expected blank or '(' after 'or'");
    let (m, _) = err("a andb");
    assert_eq!(m, "expected blank or '(' after 'and'");
    let (m, pos) = err("(a and b");
    assert_eq!(m, "expected a ')' token");
    assert_eq!(pos.idx, 8);
    let (m, _) = err("proc.name");
    assert!(m.starts_with("expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!='"), "{m}");
    let (m, _) = err("proc.pid > abc");
    assert!(
        m.starts_with(
            "expected a number value or a field with a valid transformer: 'val', 'tolower'"
        ),
        "{m}"
    );
    let (m, _) = err("proc.name in (a, b");
    assert_eq!(m, "expected a ')' token");
    let (m, _) = err("proc.name in 5");
    assert!(m.starts_with("expected a list, an identifier, or a field with a valid transformer"));
    let (m, _) = err("proc.aname[ = 1");
    assert_eq!(
        m,
        "expected a valid field argument: a quoted string or a bare string"
    );
    let (m, _) = err("proc.aname[1 = 1");
    assert_eq!(m, "expected a ']' token");
    let (m, _) = err("tolower(1) = a");
    assert!(
        m.starts_with("expected a field or a nested valid transformer"),
        "{m}"
    );
    let (m, _) = err("tolower(proc.name = a");
    assert_eq!(m, "expected a ')' token closing the transformer");
    let (m, _) = err("proc.name = val(x)");
    assert_eq!(m, "expected a field within 'val' transformer");
    // multi-line positions (1-based line and column)
    let (_, pos) = err("evt.type = open and\n  proc.name = a b");
    assert_eq!(
        pos,
        Pos {
            idx: 36,
            line: 2,
            col: 17
        }
    );
}

#[test]
fn depth_is_bounded() {
    for n in [10usize, 100, 10_000, 200_000] {
        let s = format!("{}a{}", "(".repeat(n), ")".repeat(n));
        let r = parse_condition(&s);
        // five nested parse functions per parenthesis
        if n <= 100 {
            assert!(r.is_ok());
        } else {
            assert_eq!(r.unwrap_err().message, "exceeded max depth limit of 1000");
        }
        let s = format!("{}a", "not(".repeat(n));
        assert!(parse_condition(&s).is_err());
        let s = "tolower(".repeat(n) + "proc.name" + &")".repeat(n) + " = a";
        let r = parse_condition(&s);
        assert_eq!(r.is_ok(), n <= 100, "{n}");
    }
    let mut parser = Parser::new("((a))");
    parser.set_max_depth(5);
    assert!(parser.parse().is_err());
    // long flat conditions are fine (no recursion per operand)
    let s = vec!["proc.name = a"; 20_000].join(" or ");
    assert!(matches!(p(&s), Expr::Or { ref children, .. } if children.len() == 20_000));
}

#[test]
fn positions_of_nodes() {
    let e = p("a and  proc.name = x");
    let Expr::And { children, pos } = e else {
        panic!()
    };
    assert_eq!(pos, Pos::START);
    assert_eq!(children[0].pos(), Pos::START);
    // blanks after `and` are consumed before the operand's parse starts
    assert_eq!(children[1].pos().idx, 7);
    let Expr::BinaryCheck { left, right, .. } = &children[1] else {
        panic!()
    };
    assert_eq!(left.pos().idx, 7);
    assert_eq!(right.pos().idx, 19);
}
