//! Fuzz the RustSec advisory converter: Markdown with TOML front matter, and the `patched` /
//! `unaffected` requirement lists on their own (input lines, split in two halves). No panics and
//! bounded work on any input; whenever a conversion succeeds, the record reads back from its JSON
//! unchanged, and its SEMVER events alternate `introduced`, `fixed`, … with strictly increasing
//! versions, every `introduced` version affected and every `fixed` version not (as the matcher
//! evaluates them).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

use bulkhead_advisories::matcher::affected_version;
use bulkhead_advisories::osv::{Affected, Event, Range, RangeType, Record};
use bulkhead_advisories::rustsec;
use bulkhead_versions::{Ecosystem, semver};

fn check_events(events: &[Event]) {
    assert!(!events.is_empty());
    let mut prev: Option<&str> = None;
    for (i, e) in events.iter().enumerate() {
        let v = match (i % 2, e) {
            (0, Event::Introduced(v)) | (1, Event::Fixed(v)) => v.as_str(),
            _ => panic!("events do not alternate: {events:?}"),
        };
        if let Some(p) = prev {
            let o = semver::compare(p, v).expect("event versions are SemVer");
            assert_eq!(o, Ordering::Less, "not increasing: {events:?}");
        }
        prev = Some(v);
    }
    let affected = Affected {
        ranges: vec![Range {
            kind: RangeType::Semver,
            repo: None,
            events: events.to_vec(),
            database_specific: None,
        }],
        ..Default::default()
    };
    for e in events {
        let hit = affected_version(&affected, e.version().unwrap(), Ecosystem::CratesIo);
        match e {
            Event::Introduced(v) => assert!(hit.is_some(), "{v} not affected: {events:?}"),
            Event::Fixed(v) => assert!(hit.is_none(), "{v} affected: {events:?}"),
            _ => unreachable!(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = rustsec::parse(data, None) {
        let back = Record::from_json_slice(r.to_json().as_bytes()).expect("reads back");
        assert_eq!(back, r, "JSON round trip");
        check_events(&r.affected[0].ranges[0].events);
    }
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.lines().take(64).map(str::to_string).collect();
    let (patched, unaffected) = lines.split_at(lines.len() / 2);
    if let Ok(events) = rustsec::affected_events(patched, unaffected) {
        check_events(&events);
    }
});
