//! Fuzz the OSV record readers (JSON and YAML): no panics and bounded work on any input, and
//! whenever a record is accepted, writing it back as JSON and reading that again gives the same
//! record. Also: package-name normalisation is idempotent for every ecosystem family named.
#![no_main]
use libfuzzer_sys::fuzz_target;

use bulkhead_advisories::osv::{Format, Record, parse_document};
use bulkhead_advisories::{ecosystem_base, normalise_package};

fn check(record: &Record) {
    let json = record.to_json();
    let back = Record::from_json_slice(json.as_bytes()).expect("a serialised record reads back");
    assert_eq!(&back, record, "JSON round trip");
    for a in &record.affected {
        if let Some(p) = &a.package {
            let base = ecosystem_base(&p.ecosystem);
            let once = normalise_package(base, &p.name);
            assert_eq!(
                normalise_package(base, &once),
                once,
                "normalisation is idempotent"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Record::from_json_slice(data) {
        check(&r);
    }
    if let Ok(r) = Record::from_yaml_slice(data) {
        check(&r);
    }
    for format in [Format::Json, Format::Yaml] {
        if let Ok(values) = parse_document(data, format) {
            for v in &values {
                if let Ok(r) = Record::from_value(v) {
                    check(&r);
                }
            }
        }
    }
});
