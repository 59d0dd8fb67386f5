//! Hostile recorded inputs (issue 11): captures and audit files that describe too many threads,
//! fds or bytes, records without an end, files that are not regular. Each is read within its
//! limit — dropped as libsinsp drops, or an error naming the limit — in time linear in its size.

mod common;

use bulkhead_rules::RulesEngine;
use bulkhead_rules::detect::RunOptions;
use bulkhead_rules::k8saudit::{AuditError, AuditReader};
use bulkhead_rules::pipeline::{FnSink, Pipeline, SourceSelection};
use bulkhead_rules::source::{self, SourceError, SourceLimits};
use bulkhead_rules::syscall::StateLimits;
use bulkhead_scap::{BlockReader, Limits, RawBlock};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// A `.scap` stream: the blocks of `capture` before its first event, then `n` copies of its first
/// event of code `code` (an enter event), each with thread id `first_tid + i` (or `first_tid`
/// when `same_tid`).
fn stream(capture: &Path, code: u16, n: u64, first_tid: u64, same_tid: bool) -> Vec<u8> {
    let f = std::fs::File::open(capture).unwrap();
    let mut r = BlockReader::new(f, Limits::default()).unwrap();
    let mut head: Vec<RawBlock> = Vec::new();
    let mut ev: Option<RawBlock> = None;
    while let Some(b) = r.next_block().unwrap() {
        if b.is_event() {
            // EV block bodies: cpu (2), ts (8), tid (8), len (4), code (2), ...
            if ev.is_none() && b.block_type == 0x216 && b.body[22..24] == code.to_le_bytes() {
                ev = Some(b);
            }
        } else if ev.is_none() {
            head.push(b);
        }
    }
    let ev = ev.expect("an event of that code");
    let mut out = Vec::new();
    for b in &head {
        b.write_to(&mut out).unwrap();
    }
    for i in 0..n {
        let mut b = ev.clone();
        let tid = if same_tid { first_tid } else { first_tid + i };
        b.body[10..18].copy_from_slice(&tid.to_le_bytes());
        b.write_to(&mut out).unwrap();
    }
    out
}

fn sample() -> Option<std::path::PathBuf> {
    Some(common::falco_data()?.join("captures/libs/sample.scap"))
}

fn engine() -> RulesEngine {
    let mut e = RulesEngine::default();
    let r = e.load_rules(
        "- rule: any\n  desc: d\n  condition: evt.type=syscall and proc.name=nothing\n  output: o\n  priority: INFO\n  warn_evttypes: false\n",
        "r.yaml",
    );
    assert!(r.successful(), "{}", r.as_summary_string());
    e
}

/// Replay `bytes` as a capture file with `state` limits; the summary's warnings, or the error.
fn replay(bytes: &[u8], state: StateLimits) -> (Result<Vec<String>, String>, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.scap");
    std::fs::write(&p, bytes).unwrap();
    let e = engine();
    let t = Instant::now();
    let mut src = source::open(&p, false).unwrap();
    let mut sink = FnSink(|_: &bulkhead_rules::output::Alert| {});
    let r = Pipeline::new(
        &e,
        &RunOptions::default(),
        &SourceSelection::default(),
        None,
    )
    .with_state_limits(state)
    .run(src.as_mut(), &mut [&mut sink])
    .map(|s| s.warnings)
    .map_err(|e| e.to_string());
    (r, t.elapsed())
}

#[test]
fn the_thread_table_keeps_its_size_and_says_what_it_dropped() {
    let Some(cap) = sample() else { return };
    // Generic enter events (code 0) of 3,000 distinct threads, a table of 1,000.
    let bytes = stream(&cap, 0, 3_000, 1_000_000, false);
    let (r, _) = replay(
        &bytes,
        StateLimits {
            max_threads: 1_000,
            ..StateLimits::default()
        },
    );
    let w = r.unwrap();
    assert!(
        w.iter()
            .any(|w| w.contains("thread(s) dropped") && w.contains("falco_libs.thread_table_size")),
        "{w:?}"
    );
}

#[test]
fn the_state_memory_limit_stops_a_replay_with_an_error() {
    let Some(cap) = sample() else { return };
    let bytes = stream(&cap, 0, 20_000, 1_000_000, false);
    let (r, took) = replay(
        &bytes,
        StateLimits {
            max_bytes: 2 << 20,
            ..StateLimits::default()
        },
    );
    let e = r.unwrap_err();
    assert!(
        e.contains("the replay state") && e.contains("--max-state-size"),
        "{e}"
    );
    assert!(took < Duration::from_secs(10));
    // Within the default limit the same stream replays.
    let (r, _) = replay(&bytes, StateLimits::default());
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn replay_time_is_linear_in_events_and_threads() {
    let Some(cap) = sample() else { return };
    let time = |n: u64, same: bool| {
        let bytes = stream(&cap, 0, n, 1_000_000, same);
        let (r, took) = replay(&bytes, StateLimits::default());
        r.unwrap();
        took
    };
    time(1_000, true);
    for (what, same) in [("events of one thread", true), ("new threads", false)] {
        let small = (0..3).map(|_| time(2_000, same)).min().unwrap();
        let big = (0..2).map(|_| time(20_000, same)).min().unwrap();
        let bound = small.max(Duration::from_millis(20)) * 10 * 3;
        eprintln!("{what}: {small:?} -> {big:?} (bound {bound:?})");
        assert!(big <= bound, "{what}: {small:?} then {big:?}: not linear");
    }
}

#[test]
fn a_decompression_bomb_stops_at_the_input_budget() {
    let Some(cap) = sample() else { return };
    // 200,000 copies of one event compress about 100:1.
    let plain = stream(&cap, 0, 200_000, 7, true);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() * 20 < plain.len());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.scap.gz");
    std::fs::write(&p, &gz).unwrap();
    let limits = SourceLimits {
        max_input_bytes: (plain.len() / 2) as u64,
        ..SourceLimits::default()
    };
    let mut src = source::open_with(&p, false, &limits).unwrap();
    let mut n = 0u64;
    let err = loop {
        match src.next_event() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("read to the end past the budget"),
            Err(e) => break e,
        }
    };
    assert!(n > 1000, "{n}");
    let msg = err.to_string();
    assert!(
        msg.contains("bomb.scap.gz") && msg.contains("larger than"),
        "{msg}"
    );
}

#[test]
fn files_that_are_not_regular_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("capture.scap");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for p in [
        fifo.as_path(),
        Path::new("/dev/zero"),
        Path::new("/dev/urandom"),
    ] {
        let t = Instant::now();
        let e = source::open(p, false).err().expect("refused");
        assert!(t.elapsed() < Duration::from_secs(2));
        assert!(matches!(e, SourceError::Input(_)), "{e}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}

#[test]
fn audit_records_are_bounded_while_read() {
    // A record with no end (zeros): cut at the limit, not read to the end.
    let zeros = std::io::repeat(b'0');
    let mut r = AuditReader::with_limits(std::io::BufReader::new(zeros), 1 << 20, 1_000);
    let t = Instant::now();
    assert!(matches!(
        r.next_event(),
        Err(AuditError::TooLarge { limit: 1048576, .. })
    ));
    assert!(t.elapsed() < Duration::from_secs(5));
    // A JSON array of a million zeros: each element read alone, none is an event.
    let mut text = String::from("[");
    text += &vec!["0"; 1_000_000].join(",");
    text += "]";
    let mut r = AuditReader::new(text.as_bytes());
    assert!(r.next_event().unwrap().is_none());
    assert_eq!(r.skipped(), 1_000_000);
    // An event of too many values.
    let big = format!(
        "{{\"kind\":\"Event\",\"auditID\":\"a\",\"verb\":\"get\",\"x\":[{}]}}",
        vec!["1"; 5000].join(",")
    );
    let mut r = AuditReader::with_limits(big.as_bytes(), 1 << 20, 1_000);
    assert!(matches!(
        r.next_event(),
        Err(AuditError::TooManyValues { line: 1, .. })
    ));
    // EventLists, arrays and JSON lines still read as before.
    let text = "{\"kind\":\"EventList\",\"items\":[{\"kind\":\"Event\",\"auditID\":\"1\",\"verb\":\"get\"},{\"kind\":\"Pod\"}]}\n[{\"kind\":\"Event\",\"auditID\":\"2\",\"verb\":\"list\"}]\n{\"kind\":\"Event\",\"auditID\":\"3\",\"verb\":\"watch\"}\n";
    let mut r = AuditReader::new(text.as_bytes());
    let mut ids = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        ids.push((e.num, e.json["auditID"].as_str().unwrap().to_string()));
    }
    assert_eq!(ids, vec![(1, "1".into()), (2, "2".into()), (3, "3".into())]);
    assert_eq!(r.skipped(), 1);
    // A broken line names its line.
    let mut r = AuditReader::new("{\"kind\":\"Event\"}\n\n{\"a\": nope}\n".as_bytes());
    let _ = r.next_event();
    let e = r.next_event().unwrap_err();
    assert!(matches!(e, AuditError::Json { line: 3, .. }), "{e}");
}

#[test]
fn audit_reading_is_linear_in_events() {
    let make = |n: usize| -> Vec<u8> {
        let mut s = String::new();
        for i in 0..n {
            s += &format!(
                "{{\"kind\":\"Event\",\"auditID\":\"{i}\",\"verb\":\"get\",\"stageTimestamp\":\"2024-01-01T00:00:00Z\"}}\n"
            );
        }
        s.into_bytes()
    };
    let time = |n: usize| {
        let text = make(n);
        let t = Instant::now();
        let mut r = AuditReader::new(text.as_slice());
        let mut k = 0;
        while r.next_event().unwrap().is_some() {
            k += 1;
        }
        assert_eq!(k, n);
        t.elapsed()
    };
    time(100);
    let small = (0..3).map(|_| time(2_000)).min().unwrap();
    let big = (0..2).map(|_| time(20_000)).min().unwrap();
    let bound = small.max(Duration::from_millis(20)) * 10 * 3;
    eprintln!("audit events: {small:?} -> {big:?} (bound {bound:?})");
    assert!(big <= bound, "{small:?} then {big:?}");
}

#[test]
fn capture_lines_and_thread_records_are_bounded() {
    use bulkhead_rules::capture::{CaptureError, Reader, ReaderLimits};
    let limits = ReaderLimits {
        max_line: 1 << 20,
        max_threads: 100,
        max_thread_bytes: 1 << 20,
    };
    // A line with no end: cut at the limit.
    let head = std::io::Cursor::new(b"{\"bulkhead_capture\":2}\n".to_vec());
    let endless = head.chain(std::io::repeat(b'x'));
    let mut r = Reader::with_limits(std::io::BufReader::new(endless), limits);
    let t = Instant::now();
    assert!(matches!(
        r.next_event(),
        Err(CaptureError::LineTooLong { line: 2, .. })
    ));
    assert!(t.elapsed() < Duration::from_secs(5));
    // More live threads than the limit.
    let mut text = String::from("{\"bulkhead_capture\":2}\n");
    for t in 0..200 {
        text += &format!("{{\"thread\":{t},\"fields\":{{\"proc.name\":\"p\"}}}}\n");
    }
    let mut r = Reader::with_limits(text.as_bytes(), limits);
    assert!(matches!(
        r.next_event(),
        Err(CaptureError::TooManyThreads { limit: 100, .. })
    ));
    // Thread records larger than the byte limit together.
    let mut text = String::from("{\"bulkhead_capture\":2}\n");
    let env = "e".repeat(100_000);
    for t in 0..20 {
        text += &format!("{{\"thread\":{t},\"fields\":{{\"proc.env\":\"{env}\"}}}}\n");
    }
    let mut r = Reader::with_limits(text.as_bytes(), limits);
    assert!(matches!(
        r.next_event(),
        Err(CaptureError::ThreadRecordsTooLarge { .. })
    ));
}

use std::io::Read;
