//! Fuzz the Alpine/Wolfi/Chainguard secdb converter (JSON and YAML) and its sniffer: no panics and
//! bounded work on any input; whenever a document converts, the record ids are unique, every record
//! has an affected element with `introduced: 0, fixed: VERSION`, its counts add up, and writing a
//! record as JSON and reading it back gives the same record. Secfix lines alone (`entry_ids`) yield
//! bounded, well-formed ids.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

use bulkhead_advisories::alpine_secdb::{self, MAX_IDS_PER_ENTRY};
use bulkhead_advisories::osv::{Event, Format, Record};

fuzz_target!(|data: &[u8]| {
    let _ = alpine_secdb::detect(data);
    let line = String::from_utf8_lossy(data);
    let ids = alpine_secdb::entry_ids(&line);
    assert!(ids.len() <= MAX_IDS_PER_ENTRY);
    for id in &ids {
        assert!(
            !id.is_empty() && id.len() <= 64 && id.contains('-'),
            "{id:?}"
        );
        assert!(!id.chars().any(char::is_whitespace), "{id:?}");
    }
    for format in [Format::Json, Format::Yaml] {
        let Ok(parsed) = alpine_secdb::parse(data, format, Some("2024-01-01T00:00:00Z")) else {
            continue;
        };
        assert_eq!(parsed.stats.records as usize, parsed.records.len());
        let mut seen = HashSet::new();
        let mut entries = 0;
        for r in &parsed.records {
            assert!(seen.insert(r.id.clone()), "duplicate id {}", r.id);
            assert!(!r.affected.is_empty(), "{}", r.id);
            assert_eq!(r.upstream.len(), 1);
            for a in &r.affected {
                assert_eq!(a.package.as_ref().unwrap().ecosystem, parsed.ecosystem);
                let events = &a.ranges[0].events;
                assert_eq!(events.len(), 2);
                assert_eq!(events[0], Event::Introduced("0".into()));
                assert!(matches!(&events[1], Event::Fixed(v) if !v.is_empty() && v != "0"));
            }
            entries += r.affected.len() as u64;
            let back = Record::from_json_slice(r.to_json().as_bytes()).expect("reads back");
            assert_eq!(&back, r, "JSON round trip");
        }
        assert_eq!(parsed.stats.entries, entries);
    }
});
