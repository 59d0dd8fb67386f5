//! Printed conditions parse back to themselves (what the `rules_condition` fuzz target checks).

use bulkhead_rules::parse_condition;

/// Found by the fuzz target: a negated negation printed as `not not x` re-parsed as `x`
/// (consecutive `not`s cancel out, as in libsinsp); it now prints as `not (not x)`.
#[test]
fn a_negated_negation_prints_so_that_it_parses_back() {
    for src in [
        "not (not a)",
        "a and not (not (b or c))",
        "not (not (not a))",
    ] {
        let printed = parse_condition(src).unwrap().to_string();
        assert_eq!(
            parse_condition(&printed).unwrap().to_string(),
            printed,
            "{src}"
        );
    }
    assert_eq!(parse_condition("not not a").unwrap().to_string(), "a");
    // The fuzzer's input itself (also kept in fuzz/corpus/rules_condition).
    let crash = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/condition-not-not.bin"
    );
    let s = String::from_utf8(std::fs::read(crash).unwrap()).unwrap();
    let printed = parse_condition(&s).unwrap().to_string();
    assert_eq!(parse_condition(&printed).unwrap().to_string(), printed);
}
