//! Replay throughput (run by `bench/replay.sh`): load rules files, build one long `.scap` stream
//! per capture (its metadata blocks once, then its event blocks looped with shifted timestamps
//! until the stream holds about EVENTS events: a valid capture Falco could read too), then replay
//! the streams through the syscall rules on one thread, printing events per second and memory
//! (RSS at start, after the first quarter of the events, at the end: flat means no growth).
//!
//! The streams are replayed twice: uncompressed, then gzip-compressed (as Falco writes captures),
//! so the cost of decompression shows separately.
//!
//! Usage: `replay_bench EVENTS RULES.yaml[,RULES.yaml...] CAPTURE...`

use bulkhead_rules::RulesEngine;
use bulkhead_rules::detect::{Detector, RunOptions};
use bulkhead_rules::pipeline::{FnSink, Pipeline};
use bulkhead_rules::source::{Counters, EventSource, ScapSource, SourceError, SourceEvent};
use bulkhead_scap::{BlockReader, Limits, RawBlock};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Write `out`: the capture's blocks up to its first event, then its event blocks repeated until
/// about `events` events were written, each round shifted by the capture's time span.
fn looped(capture: &Path, events: u64, out: &Path) -> u64 {
    let f = std::fs::File::open(capture).expect("capture");
    let mut r = BlockReader::new(f, Limits::default()).expect("capture header");
    let (mut head, mut evs): (Vec<RawBlock>, Vec<RawBlock>) = (Vec::new(), Vec::new());
    while let Some(b) = r.next_block().expect("block") {
        if b.is_event() {
            evs.push(b);
        } else if evs.is_empty() {
            head.push(b);
        }
    }
    let first = evs.iter().find_map(|b| b.event_ts()).unwrap_or(0);
    let last = evs.iter().filter_map(|b| b.event_ts()).max().unwrap_or(0);
    let span = last - first + 1_000_000;
    let mut w = BufWriter::new(std::fs::File::create(out).expect("stream file"));
    for b in &head {
        b.write_to(&mut w).expect("write");
    }
    let mut written = 0u64;
    let mut round = 0u64;
    while written < events && !evs.is_empty() {
        for b in &evs {
            let mut b = b.clone();
            if let Some(ts) = b.event_ts() {
                b.set_event_ts(ts + round * span);
            }
            b.write_to(&mut w).expect("write");
            written += 1;
        }
        round += 1;
    }
    w.flush().expect("flush");
    written
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: replay_bench EVENTS RULES[,RULES...] CAPTURE...");
        std::process::exit(2);
    }
    let target: u64 = args[1].parse().expect("EVENTS");
    let mut engine = RulesEngine::default();
    for r in args[2].split(',') {
        let res = engine.load_file(&PathBuf::from(r));
        assert!(res.successful(), "{r} failed to load");
    }
    let detector = Detector::new(&engine, "syscall", &RunOptions::default());
    println!(
        "{} syscall rules enabled ({} not evaluable)",
        detector.rules.len(),
        detector.skipped.len()
    );
    let captures: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let per = target / captures.len() as u64;
    let mut streams = Vec::new();
    for (i, c) in captures.iter().enumerate() {
        let out = dir.path().join(format!("stream{i}.scap"));
        let n = looped(c, per, &out);
        println!(
            "{}: looped to {n} event blocks ({} MiB)",
            c.display(),
            std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) >> 20
        );
        streams.push(out);
    }
    // The machine's speed varies between runs (a shared VM): each kind runs REPEAT times and the
    // median is the figure.
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for (kind, files) in [("plain", streams.clone()), ("gzip", gzipped(&streams))] {
        let mut rates: Vec<f64> = (0..repeat)
            .map(|_| run(kind, &files, &detector, target))
            .collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "RESULT kind={kind} median_events_per_sec={:.0} min={:.0} max={:.0} runs={repeat}",
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1]
        );
    }
}

/// Gzip copies of the streams (fast level, as a sensor would write them).
fn gzipped(streams: &[PathBuf]) -> Vec<PathBuf> {
    streams
        .iter()
        .map(|s| {
            let out = s.with_extension("scap.gz");
            let mut enc = flate2::write::GzEncoder::new(
                BufWriter::new(std::fs::File::create(&out).expect("gzip file")),
                flate2::Compression::fast(),
            );
            std::io::copy(&mut std::fs::File::open(s).expect("stream"), &mut enc).expect("gzip");
            enc.finish().expect("gzip").flush().expect("flush");
            out
        })
        .collect()
}

/// A source that samples the RSS once `at` events went through it.
struct Sampled<S> {
    inner: S,
    events: u64,
    at: u64,
    rss: u64,
}

impl<S: EventSource> EventSource for Sampled<S> {
    fn next_event(&mut self) -> Result<Option<SourceEvent>, SourceError> {
        let ev = self.inner.next_event()?;
        if matches!(ev, Some(SourceEvent::Syscall(_))) {
            self.events += 1;
            if self.events == self.at {
                self.rss = rss_kib();
            }
        }
        Ok(ev)
    }

    fn rules_sources(&self) -> &'static [&'static str] {
        self.inner.rules_sources()
    }

    fn counters(&self) -> Option<Counters> {
        self.inner.counters()
    }
}

/// The streams through the library's runtime pipeline (the loop `bulkhead runtime replay` runs:
/// source → state → detector → sink), one pipeline per stream.
fn run(kind: &str, streams: &[PathBuf], detector: &Detector, target: u64) -> f64 {
    let start_rss = rss_kib();
    let (mut events, mut alerts) = (0u64, 0u64);
    let mut quarter_rss = 0;
    let t = Instant::now();
    for s in streams {
        let mut source = Sampled {
            inner: ScapSource::open(s).expect("stream"),
            // Counting on from the streams before: the RSS after a quarter of all events.
            events,
            at: target / 4,
            rss: 0,
        };
        let mut sink = FnSink(|_: &bulkhead_rules::output::Alert| {});
        let mut p = Pipeline::with_detectors(vec![detector]);
        let summary = p.run(&mut source, &mut [&mut sink]).expect("replay");
        events += summary.events;
        alerts += summary.alerts;
        if source.rss != 0 {
            quarter_rss = source.rss;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{kind}: {} streams: {events} events, {alerts} alerts in {secs:.2} s",
        streams.len()
    );
    println!(
        "RSS: {start_rss} KiB at start, {quarter_rss} KiB after a quarter of the events, {} KiB at the end",
        rss_kib()
    );
    println!(
        "run kind={kind} events_per_sec={:.0} events={events} secs={secs:.3} rss_quarter_kib={quarter_rss} rss_end_kib={}",
        events as f64 / secs,
        rss_kib()
    );
    events as f64 / secs
}
