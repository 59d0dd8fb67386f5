//! Bulkhead's own capture format (JSON Lines): read arbitrary bytes, evaluate a field on each event.
#![no_main]
use bulkhead_rules::eval::FieldSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bulkhead_rules::capture::read(std::io::Cursor::new(data), &mut |ev| {
        let _ = ev.extract("proc.aname", Some("3"));
        let _ = ev.extract("evt.arg", Some("0"));
        let _ = ev.extract("ka.req.pod.containers.image", None);
    });
});
