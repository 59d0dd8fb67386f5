//! Hostile rules files (issue 11): macro expansion that multiplies or chains, many macros, lists
//! and rules, regular expressions that cannot compile or are too large, list amplification,
//! files that are not regular files. Each ends in a load error with Falco's code and a message
//! naming the limit, or loads, in time linear in its size.

use bulkhead_rules::loader::{LoadLimits, MAX_CONTENT_LEN};
use bulkhead_rules::{Config, ErrorCode, LoadResult, RulesEngine};
use std::time::{Duration, Instant};

fn load(doc: &str) -> (RulesEngine, LoadResult, Duration) {
    let mut e = RulesEngine::default();
    let t = Instant::now();
    let r = e.load_rules(doc, "hostile.yaml");
    (e, r, t.elapsed())
}

fn rule(name: &str, cond: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: o %proc.name\n  priority: INFO\n"
    )
}

fn first_error(r: &LoadResult) -> (ErrorCode, String) {
    let e = r.errors.first().expect("a load error");
    (e.code, e.message.clone())
}

/// `time(big) <= ratio × slack × max(time(small), floor)`: linear growth (a quadratic path at
/// ratio 10 is 100× slower). The floor absorbs timer noise on tiny runs.
fn assert_linear(what: &str, small: Duration, big: Duration, ratio: u32) {
    let floor = Duration::from_millis(20);
    let bound = small.max(floor) * ratio * 3;
    eprintln!("{what}: {small:?} -> {big:?} (×{ratio} input, bound {bound:?})");
    assert!(
        big <= bound,
        "{what}: {small:?} for the small input, {big:?} for {ratio}× more (bound {bound:?}): not linear"
    );
}

#[test]
fn macros_that_double_at_every_level_are_a_load_error_not_an_abort() {
    // 2^18 expansions of one check × 30 rules: Falco clones every reference; the loader refuses
    // once a condition passes LoadLimits::max_condition_nodes, before making it.
    let mut doc = String::from("- macro: m0\n  condition: proc.name=a\n");
    for k in 1..=18 {
        doc += &format!("- macro: m{k}\n  condition: m{} or m{}\n", k - 1, k - 1);
    }
    for r in 0..30 {
        doc += &rule(&format!("r{r}"), "evt.type=open and m18");
    }
    let (e, r, took) = load(&doc);
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::Validate, "{msg}");
    assert!(
        msg.contains("more than 100000 nodes once its macros are expanded")
            && msg.contains("LoadLimits::max_condition_nodes"),
        "{msg}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(e.rules().is_empty());
    // The error points at the macro that went over, with Falco's location lines.
    let text = r.as_verbose_string(e.contents());
    assert!(
        text.contains("LOAD_ERR_VALIDATE") && text.contains("macro 'm"),
        "{text}"
    );
}

#[test]
fn long_macro_chains_end_at_the_total_budget_quickly() {
    // 20,000 macros each using the previous one and a check: conditions grow by one check per
    // level, so all of them together pass LoadLimits::max_total_nodes.
    let mut doc = String::from("- macro: m0\n  condition: proc.name=a\n");
    for k in 1..20_000 {
        doc += &format!("- macro: m{k}\n  condition: m{} and proc.name=b\n", k - 1);
    }
    doc += &rule("r", "evt.type=open and m19999");
    let (_, r, took) = load(&doc);
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::Validate);
    assert!(
        msg.contains("LoadLimits::max_total_nodes") || msg.contains("max_expansion_depth"),
        "{msg}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_lower_limit_is_honoured() {
    let limits = LoadLimits {
        max_condition_nodes: 10,
        ..LoadLimits::default()
    };
    let mut e = RulesEngine::new(Config {
        limits,
        ..Config::default()
    });
    let doc = format!(
        "- macro: m\n  condition: proc.name in (a, b, c, d)\n{}",
        rule("r", "evt.type=open and m and m")
    );
    let r = e.load_rules(&doc, "x.yaml");
    let (_, msg) = first_error(&r);
    assert!(
        msg.contains("more than 10 nodes") && msg.contains("macro 'm' alone expands to"),
        "{msg}"
    );
    let r = RulesEngine::default().load_rules(&doc, "x.yaml");
    assert!(r.successful());
}

/// Load time of `make(n)` (a successful load).
fn time_ok(make: &dyn Fn(usize) -> String, n: usize) -> Duration {
    let doc = make(n);
    let (_, r, took) = load(&doc);
    assert!(r.successful(), "{}", r.as_summary_string());
    took
}

/// The fastest of `runs` loads (the machine is shared: the least disturbed run counts).
fn best(make: &dyn Fn(usize) -> String, n: usize, runs: usize) -> Duration {
    (0..runs).map(|_| time_ok(make, n)).min().unwrap()
}

fn linear(what: &str, make: &dyn Fn(usize) -> String) {
    // Warm up (lazy tables), then 1,000 against 10,000 of the thing.
    time_ok(make, 100);
    let small = best(make, 1_000, 3);
    let big = best(make, 10_000, 2);
    assert_linear(what, small, big, 10);
}

#[test]
fn loading_is_linear_in_independent_macros() {
    linear("independent macros", &|n| {
        let mut doc = String::new();
        for k in 0..n {
            doc += &format!("- macro: m{k}\n  condition: proc.name=a{k}\n");
        }
        for k in 0..n {
            doc += &rule(&format!("r{k}"), &format!("evt.type=open and m{k}"));
        }
        doc
    });
}

#[test]
fn loading_is_linear_in_chained_macros() {
    // Each macro is the previous one (resolved once, reused by size).
    linear("chained macros", &|n| {
        let mut doc = String::from("- macro: m0\n  condition: proc.name=a\n");
        for k in 1..n {
            doc += &format!("- macro: m{k}\n  condition: m{}\n", k - 1);
        }
        doc += &rule("r", &format!("evt.type=open and m{}", n - 1));
        doc
    });
}

#[test]
fn loading_is_linear_in_rules_and_lists() {
    linear("rules with their lists", &|n| {
        let mut doc = String::new();
        for k in 0..n {
            doc += &format!("- list: l{k}\n  items: [a{k}, b{k}]\n");
        }
        for k in 0..n {
            doc += &rule(
                &format!("r{k}"),
                &format!("evt.type=open and proc.name in (l{k})"),
            );
        }
        doc
    });
    linear("lists naming lists", &|n| {
        let mut doc = String::from("- list: base\n  items: [x, y]\n");
        for k in 0..n {
            doc += &format!("- list: l{k}\n  items: [base, a{k}]\n");
        }
        doc += &rule("r", &format!("evt.type=open and proc.name in (l{})", n - 1));
        doc
    });
}

#[test]
fn appending_exceptions_is_linear() {
    linear("appended exceptions", &|n| {
        let mut doc = rule("r", "evt.type=open");
        for k in 0..n {
            doc += &format!(
                "- rule: r\n  exceptions:\n    - name: e{k}\n      fields: proc.name\n      comps: in\n      values: [a{k}]\n  override:\n    exceptions: append\n"
            );
        }
        doc
    });
}

#[test]
fn event_type_sets_of_big_conditions_are_cheap() {
    // 30,000 event-type checks folded into one rule's event-type set.
    let names: Vec<&str> = bulkhead_rules::evttypes::EVENT_NAMES
        .iter()
        .copied()
        .take(300)
        .collect();
    let cond = |n: usize| -> String {
        (0..n)
            .map(|k| format!("evt.type={}", names[k % names.len()]))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let make = |n: usize| {
        format!(
            "- rule: r\n  desc: d\n  condition: {}\n  output: o\n  priority: INFO\n  warn_evttypes: false\n",
            cond(n)
        )
    };
    time_ok(&make, 100);
    let small = best(&make, 3_000, 3);
    let big = best(&make, 30_000, 2);
    assert_linear("event-type checks in one rule", small, big, 10);
}

#[test]
fn an_invalid_regex_is_a_validation_error_as_in_falco() {
    // libsinsp compiles the pattern when the filter is built and throws "invalid regex
    // pattern: ..." (RE2): the rule does not load.
    let (_, r, _) = load(&rule("r", "evt.type=open and proc.name regex '(('"));
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::CompileCondition);
    assert!(
        msg.starts_with("invalid regex pattern: ") && msg.contains("(("),
        "{msg}"
    );
    // Inside a macro too, where the rule uses it.
    let doc = format!(
        "- macro: m\n  condition: fd.name regex 'a[b'\n{}",
        rule("r", "evt.type=open and m")
    );
    let (_, r, _) = load(&doc);
    assert_eq!(first_error(&r).0, ErrorCode::CompileCondition);
    // A valid one loads and matches in full.
    let (e, r, _) = load(&rule("r", "evt.type=open and proc.name regex 'ca.'"));
    assert!(r.successful());
    assert!(e.regexes().memory() > 0);
}

#[test]
fn a_regex_over_the_size_limit_is_a_validation_error() {
    // A pattern whose program is larger than 8 MiB compiled (RE2's default max_mem in Falco).
    let (_, r, took) = load(&rule(
        "r",
        "evt.type=open and proc.name regex '(.{1000}){100}'",
    ));
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::CompileCondition);
    assert!(msg.contains("pattern too large"), "{msg}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn the_same_regex_everywhere_is_compiled_once_and_many_distinct_ones_meet_the_budget() {
    // One pattern used through a macro 1,000 times: one program.
    let mut doc = String::from("- macro: m\n  condition: proc.name regex '[a-z]+[0-9]{1,3}'\n");
    let uses = vec!["m"; 1000].join(" or ");
    doc += &rule("r", &format!("evt.type=open and ({uses})"));
    let (e, r, _) = load(&doc);
    assert!(r.successful(), "{}", r.as_summary_string());
    let one = e.regexes().memory();
    assert!(one < 4 << 20, "{one}");
    // Distinct patterns add up until the budget (64 MiB by default) refuses one.
    let mut doc = String::new();
    for k in 0..400 {
        doc += &rule(
            &format!("r{k}"),
            &format!("evt.type=open and proc.name regex '.{{40}}x{k}'"),
        );
    }
    let (_, r, took) = load(&doc);
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::CompileCondition);
    assert!(msg.contains("LoadLimits::max_regex_bytes"), "{msg}");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn lists_that_multiply_lists_meet_the_list_budget() {
    // 64 items × each of 2,000 lists naming the previous big list: refused at 64 MiB.
    let mut doc = String::from("- list: big\n  items: [");
    doc += &(0..2000)
        .map(|k| format!("item-with-a-long-name-{k:06}"))
        .collect::<Vec<_>>()
        .join(", ");
    doc += "]\n";
    for k in 0..2000 {
        doc += &format!("- list: l{k}\n  items: [big, big, big, big]\n");
    }
    doc += &rule("r", "evt.type=open and proc.name in (l0)");
    let (_, r, took) = load(&doc);
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::Validate);
    assert!(msg.contains("LoadLimits::max_list_bytes"), "{msg}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn the_item_count_is_bounded() {
    let limits = LoadLimits {
        max_items: 100,
        ..LoadLimits::default()
    };
    let mut e = RulesEngine::new(Config {
        limits,
        ..Config::default()
    });
    let mut doc = String::new();
    for k in 0..150 {
        doc += &format!("- list: l{k}\n  items: [a]\n");
    }
    let r = e.load_rules(&doc, "many.yaml");
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::Validate);
    assert!(
        msg.contains("more than 100 lists, macros and rules"),
        "{msg}"
    );
}

#[test]
fn rules_files_must_be_regular_and_bounded() {
    // A character device is refused at once (it used to be read up to 2 GB).
    let t = Instant::now();
    let mut e = RulesEngine::default();
    let r = e.load_file(std::path::Path::new("/dev/zero"));
    assert!(t.elapsed() < Duration::from_secs(2));
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::FileRead);
    assert!(
        msg.contains("a character device, not a regular file"),
        "{msg}"
    );
    // A FIFO is refused without waiting for a writer.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("rules.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let r = e.load_file(&fifo);
    assert!(first_error(&r).1.contains("a FIFO"), "{:?}", r.errors);
    // A file over the limit is refused by its size.
    let big = dir.path().join("big.yaml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_CONTENT_LEN as u64 + 1).unwrap();
    let r = e.load_file(&big);
    let (code, msg) = first_error(&r);
    assert_eq!(code, ErrorCode::FileRead);
    assert!(msg.contains("larger than 33554432 bytes"), "{msg}");
    // Bytes that are not UTF-8 (in a comment, a description) do not drop the file.
    let latin1 = dir.path().join("latin1.yaml");
    let mut bytes = b"# caf\xe9\n".to_vec();
    bytes.extend_from_slice(rule("r", "evt.type=open").as_bytes());
    std::fs::write(&latin1, bytes).unwrap();
    let r = e.load_file(&latin1);
    assert!(r.successful(), "{}", r.as_summary_string());
}
