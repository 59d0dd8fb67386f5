//! Variable substitution is bounded (issue 11): values that double per line, `${A//…/…}` that
//! squares them, FROM lines built from such ARGs, stage chains and fan-outs — every one finishes in
//! time linear in the file, never builds a word over the per-word limit, and records where it
//! stopped.

use bulkhead_dockerfile::{
    Command, ExpandBudget, ExpandLimits, Lexer, ParseOptions, VarSource, parse, parse_with,
};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Walk a whole file with a fresh budget: the longest value seen at a USER instruction (the
/// environment's and the USER word's) and the budget.
fn walk(df: &bulkhead_dockerfile::Dockerfile, limits: ExpandLimits) -> (usize, Rc<ExpandBudget>) {
    let budget = Rc::new(ExpandBudget::new(limits));
    let mut longest = 0;
    df.walk_env(budget.clone(), |_, i, t| {
        if let Command::User(u) = &i.command {
            for v in t.env().iter() {
                longest = longest.max(v.value.as_ref().map_or(0, String::len));
            }
            longest = longest.max(t.expand(&u.word.raw).len());
        }
    });
    (longest, budget)
}

fn doubling(lines: usize) -> String {
    let mut s = String::from("FROM alpine:3.20\nENV A=x\n");
    for _ in 0..lines {
        s.push_str("ENV A=$A$A\n");
    }
    s.push_str("USER $A\n");
    s
}

#[test]
fn doubling_env_stops_at_the_word_limit() {
    let df = parse(&doubling(40)).unwrap();
    let limits = ExpandLimits::DEFAULT;
    let (longest, budget) = walk(&df, limits);
    assert!(
        longest <= limits.max_word_bytes,
        "a value of {longest} bytes was built"
    );
    let b = budget.breach().expect("the breach is recorded");
    // x doubles to 2^20 bytes on the 20th ENV A=$A$A (line 22); the 21st would pass 1 MiB.
    assert_eq!(b.line, 23, "{b:?}");
    assert!(
        b.message.contains("expand to more than 1048576 bytes"),
        "{b:?}"
    );
    // From there on A is unknown, and so is everything built from it: references stay as written.
    let env = df.env_before(0, df.stages[0].instructions.len());
    assert_eq!(env.var("A").unwrap().source, VarSource::Unexpanded);
    assert_eq!(env.get("A"), None);
}

#[test]
fn replacement_that_squares_a_value_is_bounded() {
    // Each line replaces every character of A with A itself: 2, 4, 16, 256, 65536, 2^32 …
    let mut s = String::from("FROM alpine:3.20\nENV A=xx\n");
    for _ in 0..8 {
        s.push_str("ENV A=${A//?/$A}\n");
    }
    s.push_str("USER $A\n");
    let df = parse(&s).unwrap();
    let start = Instant::now();
    let (longest, budget) = walk(&df, ExpandLimits::DEFAULT);
    assert!(longest <= 1 << 20, "{longest}");
    assert!(budget.breach().is_some());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn global_args_and_from_lines_are_bounded_in_the_parser() {
    let mut s = String::from("ARG A=x\n");
    for _ in 0..40 {
        s.push_str("ARG A=$A$A\n");
    }
    s.push_str("FROM $A\nRUN true\n");
    let df = parse(&s).unwrap();
    let b = df.expansion.clone().expect("the parser records the breach");
    assert_eq!(b.line, 22, "{b:?}");
    assert_eq!(df.stages[0].base_expanded, "$A", "left as written");
    // Small limits show the file budget: a FROM line repeated past it.
    let mut s = String::from("ARG A=0123456789\n");
    for i in 0..100 {
        s.push_str(&format!("FROM $A AS s{i}\n"));
    }
    let opts = ParseOptions {
        expand: ExpandLimits {
            max_word_bytes: 100,
            max_file_bytes: 500,
        },
        ..ParseOptions::default()
    };
    let df = parse_with(&s, &opts).unwrap();
    let b = df.expansion.clone().unwrap();
    assert!(
        b.exhausted && b.message.contains("more than 500 bytes"),
        "{b:?}"
    );
    assert_eq!(df.stages[10].base_expanded, "0123456789");
    assert_eq!(df.stages[99].base_expanded, "$A");
}

#[test]
fn discarded_values_are_charged_too() {
    // `${A:+x}` copies nothing into the word, but each reference still reads A.
    let big = "y".repeat(60_000);
    let refs = "${A:+x}".repeat(5_000);
    let s = format!("FROM alpine:3.20\nENV A={big}\nENV B={refs}\n");
    let df = parse(&s).unwrap();
    let limits = ExpandLimits {
        max_word_bytes: 1 << 30,
        max_file_bytes: 16 << 20,
    };
    let (_, budget) = walk(&df, limits);
    let b = budget.breach().unwrap();
    assert!(b.exhausted && b.line == 3, "{b:?}");
    assert!(budget.used() <= (16 << 20) + 60_000);
}

#[test]
fn replace_matches_the_regex_crate() {
    // The budgeted `${A/…/…}` gives what an unbounded replace gives.
    let env = [("A", "a.b.c..d"), ("E", "")];
    for (word, want) in [
        ("${A//./-}", "a-b-c--d"),
        ("${A/./-}", "a-b.c..d"),
        ("${A//*/x}", "x"),
        ("${A//?/x}", "xxxxxxxx"),
        ("${A//z/x}", "a.b.c..d"),
        ("${E//?/x}", ""),
        ("${A//../_}", "a.b.c_d"),
        ("${A//$E/x}", "xax.xbx.xcx.x.xdx"),
    ] {
        let got = Lexer::new('\\').process(word, &env).unwrap().value;
        assert_eq!(got, want, "{word}");
    }
}

/// Time `f(n)` for growing `n`; each step may take at most `factor` × the size ratio × the
/// previous time (with a floor for timer noise).
fn assert_linear(what: &str, sizes: &[usize], factor: f64, mut f: impl FnMut(usize)) {
    let mut prev: Option<(usize, Duration)> = None;
    for &n in sizes {
        let start = Instant::now();
        f(n);
        let took = start.elapsed();
        eprintln!("{what}: n={n} took {took:?}");
        if let Some((pn, pt)) = prev {
            let floor = Duration::from_millis(20);
            let allowed = pt.max(floor).as_secs_f64() * (n as f64 / pn as f64) * factor;
            assert!(
                took.as_secs_f64() <= allowed,
                "{what}: n={n} took {took:?}, more than {factor}× linear from n={pn} ({pt:?})"
            );
        }
        prev = Some((n, took));
    }
}

#[test]
fn linear_in_lines_of_doubling() {
    assert_linear("ENV A=$A$A lines", &[1_000, 10_000], 4.0, |n| {
        let df = parse(&doubling(n)).unwrap();
        let (_, budget) = walk(&df, ExpandLimits::DEFAULT);
        assert!(budget.breach().is_some());
    });
}

#[test]
fn linear_in_chained_stages() {
    // FROM s0 AS s1, FROM s1 AS s2, …: each stage starts from its parent's final environment.
    let chain = |n: usize| {
        let mut s = String::from("FROM alpine:3.20 AS s0\nENV V0=x\n");
        for i in 1..n {
            s.push_str(&format!("FROM s{} AS s{i}\nENV V{i}=$V{}\n", i - 1, i - 1));
        }
        s
    };
    // Correctness on a small chain: every variable inherited, values resolved.
    let df = parse(&chain(5)).unwrap();
    let (_, budget) = walk(&df, ExpandLimits::DEFAULT);
    assert!(budget.breach().is_none());
    let env = df.env_before(4, 1);
    assert_eq!(env.get("V3"), Some("x"));
    assert_eq!(env.var("V0").unwrap().source, VarSource::Inherited);
    assert_linear("chained stages", &[500, 5_000], 4.0, |n| {
        let df = parse(&chain(n)).unwrap();
        walk(&df, ExpandLimits::DEFAULT);
    });
}

#[test]
fn linear_in_stages_built_on_one_stage() {
    let fanout = |n: usize| {
        let mut s = String::from("FROM alpine:3.20 AS base\n");
        for i in 0..n {
            s.push_str(&format!("ENV V{i}=x\n"));
        }
        for i in 0..n {
            s.push_str(&format!("FROM base AS t{i}\nRUN true\n"));
        }
        s
    };
    assert_linear("stages built on one stage", &[1_000, 5_000], 4.0, |n| {
        let df = parse(&fanout(n)).unwrap();
        let (_, budget) = walk(&df, ExpandLimits::DEFAULT);
        // 5000 copies of 5000 variables are more than the budget allows: recorded, not done.
        if n == 5_000 {
            assert!(budget.breach().is_some_and(|b| b.exhausted));
        }
    });
}

#[test]
fn linear_in_from_lines_with_global_args() {
    let froms = |n: usize| {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&format!("ARG A{i}=alpine\n"));
        }
        for i in 0..n {
            s.push_str(&format!("FROM $A{i}:3.20 AS s{i}\n"));
        }
        s
    };
    assert_linear("FROM $VAR lines", &[1_000, 10_000], 4.0, |n| {
        let df = parse(&froms(n)).unwrap();
        assert_eq!(df.stages[n - 1].base_expanded, "alpine:3.20");
        walk(&df, ExpandLimits::DEFAULT);
    });
}
