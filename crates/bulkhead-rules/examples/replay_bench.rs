//! Replay throughput (run by `bench/replay.sh`): load rules files, then replay captures N times
//! through the syscall rules on one thread, and print events per second and peak memory growth.
//!
//! Usage: `replay_bench ROUNDS RULES.yaml[,RULES.yaml...] CAPTURE...`

use bulkhead_rules::RulesEngine;
use bulkhead_rules::detect::{Detector, RunOptions};
use bulkhead_rules::syscall::replay_scap;
use std::path::PathBuf;
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: replay_bench ROUNDS RULES[,RULES...] CAPTURE...");
        std::process::exit(2);
    }
    let rounds: usize = args[1].parse().expect("ROUNDS");
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
    let start_rss = rss_kib();
    let (mut events, mut alerts) = (0u64, 0u64);
    let t = Instant::now();
    let mut rss_after_first = 0;
    for round in 0..rounds {
        for c in &captures {
            let s = replay_scap(c, &detector, &mut |_| {}).expect("replay");
            events += s.events_evaluated;
            alerts += s.alerts;
        }
        if round == 0 {
            rss_after_first = rss_kib();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{rounds} rounds over {} captures: {events} events, {alerts} alerts in {secs:.2} s",
        captures.len()
    );
    println!(
        "RSS: {start_rss} KiB at start, {rss_after_first} KiB after round 1, {} KiB at the end",
        rss_kib()
    );
    println!(
        "RESULT events_per_sec={:.0} events={events} secs={secs:.3}",
        events as f64 / secs
    );
}
