//! Fuzz the Falco condition parser: no panic; on success the printed form parses back to the
//! same tree (positions aside), and the event-type computation runs; errors stay inside the input.
#![no_main]
use bulkhead_rules::{evttypes, parse_condition};
use libfuzzer_sys::fuzz_target;

fn strip(e: &bulkhead_rules::Expr) -> String {
    e.to_string()
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_condition(s) {
        Ok(e) => {
            let printed = strip(&e);
            let again = parse_condition(&printed)
                .unwrap_or_else(|err| panic!("printed form {printed:?} does not parse: {err}"));
            assert_eq!(strip(&again), printed);
            let _ = evttypes(&e).too_many();
        }
        Err(err) => assert!(err.pos.idx <= s.len()),
    }
});
