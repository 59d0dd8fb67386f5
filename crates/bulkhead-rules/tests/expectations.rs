//! falcosecurity/testing expectations (shared half) that validate rules files: every expected
//! error/warning (code, item type, item name, message) must be reported, files expected to load
//! must load, and runs expected to fail must fail. Prints the agreement.

mod common;

use bulkhead_rules::{LoadResult, RulesEngine, validation_json};
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

#[test]
fn validation_expectations() {
    let Some(root) = common::falco_data() else {
        return;
    };
    let text = std::fs::read_to_string(root.join("expectations.yaml")).unwrap();
    let tests: Vec<Value> = serde_saphyr::from_str(&text).unwrap();
    let (mut total, mut exact, mut code_only) = (0, 0, 0);
    let mut status_ok = 0;
    let mut n_tests = 0;
    for t in &tests {
        let Some(files) = t.get("rules_validation_files").and_then(Value::as_array) else {
            continue;
        };
        n_tests += 1;
        let name = s(t, "test").unwrap();
        let mut engine = RulesEngine::default();
        let results: Vec<LoadResult> = files
            .iter()
            .map(|f| {
                let rel = f.as_str().unwrap().trim_start_matches("shared/data/falco/");
                let content = std::fs::read_to_string(root.join(rel)).unwrap();
                engine.load_rules(&content, rel)
            })
            .collect();
        let expect = &t["expect"];
        // a JSON round trip, as falco -V --json prints it
        let json = validation_json(&results, engine.contents());
        assert_eq!(
            json["falco_load_results"].as_array().unwrap().len(),
            results.len()
        );

        let falco_error = expect
            .get("falco_error")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut ok = falco_error == results.iter().any(|r| !r.successful());
        if let Some(at) = expect
            .get("rules_validation_successful_at")
            .and_then(Value::as_array)
        {
            for i in at {
                ok &= results[i.as_u64().unwrap() as usize].successful();
            }
        }
        if ok {
            status_ok += 1;
        } else {
            println!("STATUS MISMATCH {name}: expected falco_error={falco_error}");
            for r in &results {
                println!("{}", r.as_verbose_string(engine.contents()));
            }
        }
        for e in expect
            .get("rules_validation_must_contain")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            total += 1;
            let kind = s(e, "kind").unwrap();
            let code = s(e, "code").unwrap();
            let item_type = s(e, "itemType");
            let item_name = s(e, "itemName");
            let message = s(e, "message");
            let found: Vec<(&str, &bulkhead_rules::result::Context, &str)> = results
                .iter()
                .flat_map(|r| {
                    if kind == "error" {
                        r.errors
                            .iter()
                            .map(|x| (x.code.code(), &x.ctx, x.message.as_str()))
                            .collect::<Vec<_>>()
                    } else {
                        r.warnings
                            .iter()
                            .map(|x| (x.code.code(), &x.ctx, x.message.as_str()))
                            .collect()
                    }
                })
                .collect();
            let by_code: Vec<_> = found
                .iter()
                .filter(|(c, ctx, _)| *c == code && ctx.has_item(item_type, item_name))
                .collect();
            if by_code
                .iter()
                .any(|(_, _, m)| message.is_none_or(|x| x == *m))
            {
                exact += 1;
            } else if !by_code.is_empty() {
                code_only += 1;
                println!(
                    "MESSAGE DIFF {name}: {code} expected {message:?}, got {:?}",
                    by_code.iter().map(|x| x.2).collect::<Vec<_>>()
                );
            } else {
                println!(
                    "MISSING {name}: {kind} {code} {item_type:?} {item_name:?} {message:?}; got {:?}",
                    found.iter().map(|x| (x.0, x.2)).collect::<Vec<_>>()
                );
            }
        }
    }
    println!(
        "validation expectations: {n_tests} tests, status agreement {status_ok}/{n_tests}; \
         {total} expected messages: {exact} exact, {code_only} same code/item but other text, {} missing",
        total - exact - code_only
    );
    assert_eq!(status_ok, n_tests);
    assert_eq!(exact + code_only, total);
}
