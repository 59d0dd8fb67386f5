//! Rules loader: items, append/override, visibility, list substitution, exceptions, errors and
//! warnings with codes and lines, and the text/JSON renderings.

mod common;

use bulkhead_rules::result::{ErrorCode, WarningCode};
use bulkhead_rules::{LoadResult, Priority, RulesEngine, validation_json, validation_summary};

fn load(docs: &[&str]) -> (RulesEngine, Vec<LoadResult>) {
    let mut e = RulesEngine::default();
    let results = docs
        .iter()
        .enumerate()
        .map(|(i, d)| e.load_rules(d, &format!("f{i}.yaml")))
        .collect();
    (e, results)
}

fn load_ok(docs: &[&str]) -> RulesEngine {
    let (e, results) = load(docs);
    for r in &results {
        assert!(r.successful(), "{}", r.as_verbose_string(e.contents()));
    }
    e
}

fn first_error(doc: &str) -> (ErrorCode, String, String, usize) {
    let (_, results) = load(&[doc]);
    let err = results[0]
        .errors
        .first()
        .unwrap_or_else(|| panic!("no error for {doc}"));
    let last = err.ctx.locations.last().unwrap();
    (
        err.code,
        err.message.clone(),
        last.item_type.as_str().to_string(),
        last.pos.line,
    )
}

const RULE: &str = "- rule: r\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: \"x %proc.name\"\n  priority: WARNING\n";

#[test]
fn basic_rule_fields() {
    let e = load_ok(&[&format!("{RULE}  tags: [a, b]\n  enabled: false\n")]);
    let r = e.rule("r").unwrap();
    assert_eq!(r.priority, Priority::Warning);
    assert_eq!(r.source, "syscall");
    assert!(!r.enabled);
    assert_eq!(r.tags.iter().cloned().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(r.evttypes.as_ref().unwrap().names(), Some(vec!["open"]));
    for (p, want) in [
        ("info", Priority::Informational),
        ("INFORMATIONAL", Priority::Informational),
        ("Emergency", Priority::Emergency),
        ("debug", Priority::Debug),
    ] {
        let e = load_ok(&[&RULE.replace("WARNING", p)]);
        assert_eq!(e.rule("r").unwrap().priority, want);
    }
    let (code, msg, t, line) = first_error(&RULE.replace("WARNING", "loud"));
    assert_eq!(
        (code, msg.as_str(), t.as_str(), line),
        (
            ErrorCode::YamlValidate,
            "Invalid priority",
            "rule priority",
            4
        )
    );
}

#[test]
fn lists_macros_visibility_and_substitution() {
    // nested list references expand one level, lists are substituted textually (not only in
    // `in (...)`), macros see earlier macros, rules see all macros
    let e = load_ok(&[
        "- list: a\n  items: [cat, \"my prog\"]\n- list: b\n  items: [a, ls]\n- macro: m1\n  condition: proc.name in (b)\n- macro: m2\n  condition: m1 and fd.name in (a)\n- rule: r\n  desc: d\n  condition: evt.type=open and m2 and m3\n  output: o\n  priority: INFO\n- macro: m3\n  condition: proc.pname in (a)\n",
    ]);
    let r = e.rule("r").unwrap();
    assert_eq!(
        r.condition.to_string(),
        "(evt.type = open and (proc.name in (cat, \"my prog\", ls) and fd.name in (cat, \"my prog\")) and proc.pname in (cat, \"my prog\"))"
    );
    assert!(e.lists().iter().all(|l| l.used));
    assert!(e.macros().iter().all(|m| m.used));

    // a macro cannot see a macro defined after it
    let (code, msg, t, _) = first_error(
        "- macro: m1\n  condition: m2\n- macro: m2\n  condition: evt.type=open\n- rule: r\n  desc: d\n  condition: m1\n  output: o\n  priority: INFO\n",
    );
    assert_eq!(
        (code, msg.as_str(), t.as_str()),
        (
            ErrorCode::Validate,
            "Undefined macro 'm2' used in filter.",
            "condition expression"
        )
    );

    // a list item naming a list defined later is not expanded in the list, but the literal is
    // then substituted textually into the condition anyway
    let e = load_ok(&[
        "- list: b\n  items: [a, ls]\n- list: a\n  items: [cat]\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.name in (b)\n  output: o\n  priority: INFO\n",
    ]);
    assert_eq!(
        e.rule("r").unwrap().condition_text,
        "evt.type=open and proc.name in ( cat , ls )"
    );

    // the list name must be delimited; substrings are untouched
    let e = load_ok(&[
        "- list: cat\n  items: [x]\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.name in (cats, cat)\n  output: o\n  priority: INFO\n",
    ]);
    assert_eq!(
        e.rule("r").unwrap().condition_text,
        "evt.type=open and proc.name in (cats, x )"
    );
}

#[test]
fn append_and_override() {
    let e = load_ok(&[
        "- list: l\n  items: [a]\n- macro: m\n  condition: proc.name in (l)\n- rule: r\n  desc: d\n  condition: evt.type=open and m\n  output: o\n  priority: INFO\n  tags: [t1]\n",
        "- list: l\n  items: [b]\n  append: true\n- macro: m\n  condition: or proc.name=c\n  override:\n    condition: append\n- rule: r\n  condition: and fd.name=x\n  append: true\n- rule: r\n  priority: ERROR\n  tags: [t2]\n  override:\n    priority: replace\n    tags: append\n",
    ]);
    let r = e.rule("r").unwrap();
    assert_eq!(r.condition_text, "evt.type=open and m and fd.name=x");
    assert_eq!(
        r.condition.to_string(),
        "(evt.type = open and (proc.name in (a, b) or proc.name = c) and fd.name = x)"
    );
    assert_eq!(r.priority, Priority::Error);
    assert_eq!(r.tags.len(), 2);

    let (_, results) = load(&[
        "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.name in (l)\n  output: o\n  priority: INFO\n",
    ]);
    assert!(
        results[0]
            .warnings
            .iter()
            .any(|w| w.code == WarningCode::DeprecatedItem)
    );

    // replace, and enabled-only (deprecated) toggling
    let e = load_ok(&[
        RULE,
        "- rule: r\n  condition: evt.type=connect\n  override:\n    condition: replace\n- rule: r\n  enabled: false\n",
    ]);
    let r = e.rule("r").unwrap();
    assert_eq!(r.condition_text, "evt.type=connect");
    assert!(!r.enabled);

    // errors
    let cases: &[(&str, ErrorCode, &str)] = &[
        (
            "- rule: r\n  condition: and x\n  append: true\n",
            ErrorCode::Validate,
            "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
        ),
        (
            "- macro: m\n  condition: x\n  append: true\n",
            ErrorCode::Validate,
            "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
        ),
        (
            "- list: l\n  items: [x]\n  override:\n    items: append\n",
            ErrorCode::Validate,
            "List uses 'append' or 'override.items: append' but no list by that name already exists",
        ),
        (
            "- rule: r\n  priority: INFO\n  override:\n    priority: replace\n",
            ErrorCode::Validate,
            "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
        ),
        (
            "- macro: m\n  condition: x\n  append: true\n  override:\n    condition: append\n",
            ErrorCode::Validate,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
        ),
        (
            "- rule: r\n  priority: INFO\n  override:\n    priority: append\n",
            ErrorCode::YamlValidate,
            "Key 'priority' cannot be appended to, use 'replace' instead",
        ),
        (
            "- rule: r\n  priority: INFO\n  override:\n    priority: remove\n",
            ErrorCode::YamlValidate,
            "Invalid override operation for key 'priority': 'remove'. Allowed values are: replace ",
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n- rule: r\n  priority: INFO\n  desc: x\n  override:\n    priority: replace\n",
            ErrorCode::YamlValidate,
            "Unexpected key 'desc': no corresponding entry under 'override' is defined.",
        ),
        (
            "- rule: r\n  override:\n    desc: replace\n",
            ErrorCode::YamlValidate,
            "An replace override for 'desc' was specified but 'desc' is not defined",
        ),
    ];
    for (doc, code, msg) in cases {
        let (c, m, _, _) = first_error(doc);
        assert_eq!((c, m.as_str()), (*code, *msg), "{doc}");
    }
}

#[test]
fn exceptions_compile_like_falco() {
    let e = load_ok(&[
        "- list: cat_cmdlines\n  items: [cat /dev/zero, \"cat /dev/null\"]\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: o\n  priority: INFO\n  exceptions:\n    - name: ex1\n      fields: [proc.name, proc.cmdline]\n      comps: [=, in]\n      values:\n        - [cat, (cat_cmdlines)]\n        - [ls, [a b, c]]\n    - name: ex2\n      fields: proc.pname\n      values: [bash, my shell]\n    - name: ex3\n      fields: [fd.name]\n",
    ]);
    let r = e.rule("r").unwrap();
    assert_eq!(
        r.condition_text,
        "(evt.type=open and proc.name=cat) and not (( proc.name = cat and  proc.cmdline in ( \"cat /dev/zero\", \"cat /dev/null\" )) or ( proc.name = ls and  proc.cmdline in (\"a b\", c))) and not (proc.pname in (bash, \"my shell\"))"
    );
    assert_eq!(
        r.exception_fields.iter().cloned().collect::<Vec<_>>(),
        ["proc.cmdline", "proc.name", "proc.pname"]
    );

    // appending values to an existing exception
    let ex = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  exceptions:\n    - name: ex1\n      fields: [proc.name, proc.cmdline]\n";
    let e = load_ok(&[
        ex,
        "- rule: r\n  exceptions:\n    - name: ex1\n      values:\n        - [cat, '\"cat /dev/null\"']\n  override:\n    exceptions: append\n",
    ]);
    assert_eq!(
        e.rule("r").unwrap().condition_text,
        "(evt.type=open) and not (( proc.name = cat and  proc.cmdline = \"cat /dev/null\"))"
    );

    let cases: &[(&str, ErrorCode, &str)] = &[
        (
            "      comps: [=]\n",
            ErrorCode::Validate,
            "Fields and comps lists must have equal length",
        ),
        (
            "      comps: [=, no-comp]\n",
            ErrorCode::Validate,
            "'no-comp' is not a supported comparison operator",
        ),
        (
            "      values:\n        - [a]\n",
            ErrorCode::Validate,
            "Fields and values lists must have equal length",
        ),
    ];
    for (tail, code, msg) in cases {
        let (c, m, t, _) = first_error(&format!("{ex}{tail}"));
        assert_eq!(
            (c, m.as_str(), t.as_str()),
            (*code, *msg, "exception"),
            "{tail}"
        );
    }
    let (c, m, _, _) =
        first_error(&ex.replace("[proc.name, proc.cmdline]", "[proc.name, proc.nobody]"));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::Validate,
            "'proc.nobody' is not a supported filter field"
        )
    );
    let (c, m, _, _) = first_error(&ex.replace(
        "fields: [proc.name, proc.cmdline]",
        "fields: proc.name\n      comps: =",
    ));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::Validate,
            "When fields is a single value, comps must be one of (in, pmatch, intersects)"
        )
    );
}

#[test]
fn errors_have_codes_and_lines() {
    // condition parse error: position inside the condition, added to the YAML mark
    let doc =
        "- rule: r\n  desc: d\n  condition: evt.type=open foo\n  output: o\n  priority: INFO\n";
    let (_, results) = load(&[doc]);
    let err = &results[0].errors[0];
    assert_eq!(err.code, ErrorCode::CompileCondition);
    assert_eq!(
        err.message,
        "unexpected token after 'open', expecting 'or', 'and'"
    );
    let types: Vec<&str> = err
        .ctx
        .locations
        .iter()
        .map(|l| l.item_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "rules content",
            "rule",
            "rule condition",
            "condition expression"
        ]
    );
    assert_eq!(err.ctx.locations[1].pos.line, 0);
    assert_eq!(err.ctx.locations[2].pos.line, 2);
    assert_eq!(err.ctx.locations[2].pos.column, 13);
    assert_eq!(err.ctx.locations[3].name, "\"evt.type=open foo\"");
    assert_eq!(err.ctx.locations[3].pos.column, 13 + 15);

    let cases: &[(&str, ErrorCode, &str, usize)] = &[
        (
            "- macro:\n  condition: x\n",
            ErrorCode::YamlValidate,
            "Mapping for key 'macro' is empty",
            0,
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  priority: INFO\n",
            ErrorCode::YamlValidate,
            "Item has no mapping for key 'output'",
            0,
        ),
        (
            "- list: l\n  items: x\n",
            ErrorCode::YamlValidate,
            "Value is not a sequence",
            1,
        ),
        (
            "- list: l\n  items: [[a]]\n",
            ErrorCode::YamlValidate,
            "sequence value is not scalar",
            1,
        ),
        (
            "foo: bar\n",
            ErrorCode::YamlValidate,
            "Rules content is not yaml array of objects",
            0,
        ),
        (
            "- [a]\n",
            ErrorCode::YamlValidate,
            "Unexpected element type. Each element should be a yaml associative array.",
            0,
        ),
        (
            "- required_engine_version: not-a-number\n",
            ErrorCode::YamlValidate,
            "Unable to parse engine version 'not-a-number' as a semver string. Expected \"x.y.z\" semver format.",
            0,
        ),
        (
            "- required_engine_version: 0.99.0\n",
            ErrorCode::Validate,
            "Rules require engine version 0.99.0, but engine version is 0.62.0",
            0,
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=open and proc.nobody=cat\n  output: o\n  priority: INFO\n",
            ErrorCode::CompileCondition,
            "filter_check called with nonexistent field proc.nobody",
            3,
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=some_invalid_event\n  output: o\n  priority: INFO\n",
            ErrorCode::CompileCondition,
            "unknown event type some_invalid_event",
            3,
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: \"%proc.nobody\"\n  priority: INFO\n",
            ErrorCode::CompileOutput,
            "invalid formatting token proc.nobody",
            3,
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=open and proc.duration contains 3\n  output: o\n  priority: INFO\n",
            ErrorCode::CompileCondition,
            "filter error: operator 'contains' is not supported by field 'proc.duration' of type relative time",
            3,
        ),
        (
            "- rule: r\n  desc: d\n  condition: evt.type=open and fd.num > abc\n  output: o\n  priority: INFO\n",
            ErrorCode::CompileCondition,
            "expected a number value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'",
            3,
        ),
        (
            "a: b: c\n",
            ErrorCode::YamlParse,
            "yaml-cpp: error at line 1, column 5: illegal map value",
            0,
        ),
    ];
    // condition-expression lines are Falco's sum of the 0-based YAML line and the 1-based
    // condition line
    for (doc, code, msg, line) in cases {
        let (c, m, _, l) = first_error(doc);
        assert_eq!((c, m.as_str(), l), (*code, *msg, *line), "{doc}");
    }

    // skip-if-unknown-filter turns unknown fields/event types into LOAD_UNKNOWN_FILTER warnings
    let (e, results) = load(&[
        "- rule: r\n  desc: d\n  condition: evt.type=open and proc.nobody=cat\n  output: o\n  priority: INFO\n  skip-if-unknown-filter: true\n",
    ]);
    assert!(results[0].successful());
    assert_eq!(results[0].warnings[0].code, WarningCode::UnknownFilter);
    assert!(e.rules().is_empty());
}

#[test]
fn warnings() {
    let (_, results) = load(&[
        "- list: unused_l\n  items: [a]\n- macro: unused_m\n  condition: evt.type=open\n- rule: r\n  desc: d\n  condition: proc.name=x\n  output: o\n  priority: INFO\n- rule: k\n  desc: d\n  condition: x\n  output: o\n  priority: INFO\n  source: mysource\n- foo: bar\n",
    ]);
    let codes: Vec<&str> = results[0].warnings.iter().map(|w| w.code.code()).collect();
    assert_eq!(
        codes,
        [
            "LOAD_UNKNOWN_SOURCE",
            "LOAD_UNKNOWN_ITEM",
            "LOAD_NO_EVTTYPE",
            "LOAD_UNUSED_MACRO",
            "LOAD_UNUSED_LIST"
        ]
    );
    assert_eq!(
        results[0].warnings[0].message,
        "Unknown source mysource, skipping"
    );
    // warn_evttypes: false silences LOAD_NO_EVTTYPE
    let (_, results) = load(&[
        "- rule: r\n  desc: d\n  condition: proc.name=x\n  output: o\n  priority: INFO\n  warn_evttypes: false\n",
    ]);
    assert!(results[0].warnings.is_empty());
}

#[test]
fn renderings() {
    let (e, results) = load(&[
        RULE,
        "- rule: r\n  desc: d\n  condition: evt.type=open foo\n  output: o\n  priority: INFO\n",
    ]);
    let v = results[1].as_verbose_string(e.contents());
    assert!(v.starts_with("f1.yaml: Invalid\n1 Errors:\nIn rules content: (f1.yaml:0:0)\n    rule 'r': (f1.yaml:0:2)\n    rule condition: (f1.yaml:2:13)\n    condition expression: (\"evt.type=open foo\":3:28)\n------\nevt.type=open foo\n                ^\n------\nLOAD_ERR_COMPILE_CONDITION (Error compiling condition): unexpected token after 'open', expecting 'or', 'and'\n"), "{v}");
    assert_eq!(results[0].as_summary_string(), "f0.yaml: Ok");
    let (summary, _) = validation_summary(&results, e.contents());
    assert!(summary.starts_with("f0.yaml: Ok\nf1.yaml: Invalid"));
    let j = validation_json(&results, e.contents());
    let s = serde_json::to_string(&j).unwrap();
    assert!(s.starts_with("{\"falco_load_results\":[{\"errors\":[],\"name\":\"f0.yaml\",\"successful\":true,\"warnings\":[]},{\"errors\":[{\"code\":\"LOAD_ERR_COMPILE_CONDITION\",\"codedesc\":\"Error compiling condition\",\"context\":{\"locations\":[{\"item_name\":\"\",\"item_type\":\"rules content\",\"position\":{\"column\":0,\"line\":0,\"name\":\"f1.yaml\",\"offset\":0}}"), "{s}");
}

#[test]
fn fixtures_from_falco_tests() {
    let mut e = RulesEngine::default();
    let r = e.load_file(&common::fixture("rule_exception_values_listref.yaml"));
    assert!(r.successful(), "{}", r.as_verbose_string(e.contents()));
    assert!(
        e.rule("Open From Cat")
            .unwrap()
            .condition_text
            .contains("proc.cmdline in ( \"cat /dev/zero\", \"cat /dev/null\" )")
    );
    let mut e = RulesEngine::default();
    let r = e.load_file(&common::fixture("rule_exception_quoted.yaml"));
    assert!(r.successful(), "{}", r.as_verbose_string(e.contents()));
    let mut e = RulesEngine::default();
    assert!(
        e.load_file(&common::fixture("single_rule.yaml"))
            .successful()
    );
    let r = e.load_file(&common::fixture("override_list.yaml"));
    assert!(r.successful());
    assert!(
        e.rules()[0]
            .condition
            .to_string()
            .contains("proc.name in (not-cat)")
    );
    // macro loop
    let mut e = RulesEngine::default();
    let r = e.load_file(&common::fixture("invalid_macro_loop.yaml"));
    assert!(!r.successful());
    assert!(
        r.errors[0].message.starts_with("reference loop in macro"),
        "{}",
        r.errors[0].message
    );
    // list loop: list_a redefined as [list_b] expands to list_b's raw items ([list_a]), which
    // stays a literal: the condition becomes `evt.type in ( list_a )`
    let mut e = RulesEngine::default();
    let r = e.load_file(&common::fixture("invalid_list_loop.yaml"));
    assert_eq!(r.errors[0].code, ErrorCode::CompileCondition);
    assert_eq!(r.errors[0].message, "unknown event type list_a");
    let missing = e.load_file(&common::fixture("no_such_file.yaml"));
    assert_eq!(missing.errors[0].code, ErrorCode::FileRead);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let mut e = RulesEngine::default();
    let deep = format!(
        "- rule: r\n  desc: d\n  condition: {}evt.type=open{}\n  output: o\n  priority: INFO\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let r = e.load_rules(&deep, "deep.yaml");
    assert_eq!(r.errors[0].message, "exceeded max depth limit of 1000");
    // macro chains that double at every level are bounded
    let mut doc = String::from("- macro: m0\n  condition: proc.name=a\n");
    for i in 1..40 {
        doc += &format!("- macro: m{i}\n  condition: m{} and m{}\n", i - 1, i - 1);
    }
    doc +=
        "- rule: r\n  desc: d\n  condition: evt.type=open and m39\n  output: o\n  priority: INFO\n";
    let r = e.load_rules(&doc, "bomb.yaml");
    assert!(!r.successful());
    // list substitution blowup is bounded
    let items: Vec<String> = (0..2000).map(|i| format!("item{i}")).collect();
    let mut doc = format!("- list: big\n  items: [{}]\n", items.join(", "));
    doc += &format!(
        "- rule: r\n  desc: d\n  condition: evt.type=open and ({})\n  output: o\n  priority: INFO\n",
        vec!["proc.name in (big)"; 400].join(" or ")
    );
    let r = RulesEngine::default().load_rules(&doc, "lists.yaml");
    assert!(!r.successful());
    for junk in [
        "",
        "---\n...\n",
        "- ~\n",
        "- rule:\n",
        "[",
        "- rule: r\n  exceptions: [[[[[]]]]]\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
        "\u{0}\u{1}",
    ] {
        let _ = RulesEngine::default().load_rules(junk, "junk.yaml");
    }
}
