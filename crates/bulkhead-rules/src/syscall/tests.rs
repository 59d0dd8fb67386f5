use super::*;
use crate::RulesEngine;
use crate::detect::RunOptions;
use std::path::PathBuf;

fn capture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/falco/captures")
        .join(name);
    p.is_file().then_some(p)
}

fn fields_of_open_exits(path: &Path) -> Vec<(String, String, String, String)> {
    let mut r = Replayer::open(path).unwrap();
    let mut out = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        if ev.event.name == "open" && ev.event.direction == Direction::Exit {
            let f = |n: &str| {
                ev.extract(n, None)
                    .map(|v| v.join(","))
                    .unwrap_or_else(|| "<NA>".into())
            };
            out.push((
                f("proc.cmdline"),
                f("fd.name"),
                f("fd.typechar"),
                f("evt.is_open_read"),
            ));
        }
    }
    out
}

#[test]
fn cat_write_state() {
    let Some(p) = capture("cat_write.scap") else {
        return;
    };
    let opens = fields_of_open_exits(&p);
    assert_eq!(opens.len(), 4);
    assert_eq!(
        opens[3],
        (
            "cat /dev/null".to_string(),
            "/dev/null".to_string(),
            "f".to_string(),
            "true".to_string()
        )
    );
    // The /dev/null fd is seen by fstat/read/close enter and exit events (close exit too).
    let mut r = Replayer::open(&p).unwrap();
    let mut seen = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        if ev.extract("fd.name", None) == Some(vec!["/dev/null".into()]) {
            seen.push(format!("{}{}", ev.event.name, ev.event.direction.as_char()));
            assert_eq!(ev.extract("container.id", None), Some(vec!["host".into()]));
            assert_eq!(ev.extract("proc.pname", None), Some(vec!["bash".into()]));
        }
    }
    assert_eq!(
        seen,
        [
            "open<", "fstat>", "fstat<", "read>", "read<", "close>", "close<"
        ]
    );
}

#[test]
fn single_rule_eight_alerts() {
    let Some(p) = capture("cat_write.scap") else {
        return;
    };
    let rules = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/falco/rules/testing-embedded/single_rule.yaml");
    let mut engine = RulesEngine::default();
    assert!(engine.load_file(&rules).successful());
    let d = Detector::new(&engine, "syscall", &RunOptions::default());
    let mut n = 0;
    let stats = replay_scap(&p, &d, &mut |a| {
        assert_eq!(a.output, "An open was seen (command=cat /dev/null)");
        n += 1;
    })
    .unwrap();
    assert_eq!(n, 8);
    assert_eq!(stats.alerts, 8);
    assert_eq!(stats.events_read, stats.events_evaluated);
}

#[test]
fn captures_replay_with_and_without_conversion() {
    for name in [
        "cat_write.scap",
        "open-multiple-files.scap",
        "ping_sendto.scap",
    ] {
        let Some(p) = capture(name) else { continue };
        for convert in [false, true] {
            let mut r = Replayer::open(&p).unwrap().with_conversion(convert);
            let mut n = 0;
            while let Some(ev) = r.next_event().unwrap() {
                for f in [
                    "proc.cmdline",
                    "fd.name",
                    "evt.args",
                    "user.name",
                    "evt.res",
                ] {
                    let _ = ev.extract(f, None);
                }
                n += 1;
            }
            assert!(n > 0 && n == r.events_read(), "{name}");
        }
    }
}

#[test]
fn bad_captures_are_errors() {
    let Some(p) = capture("cat_write.scap") else {
        return;
    };
    let bytes = std::fs::read(&p).unwrap();
    let dir = std::env::temp_dir().join(format!("bulkhead-syscall-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let engine = RulesEngine::default();
    let d = Detector::new(&engine, "syscall", &RunOptions::default());
    for (i, cut) in [0, 10, bytes.len() / 2, bytes.len() - 3]
        .into_iter()
        .enumerate()
    {
        let f = dir.join(format!("cut{i}.scap"));
        std::fs::write(&f, &bytes[..cut]).unwrap();
        assert!(replay_scap(&f, &d, &mut |_| {}).is_err(), "cut at {cut}");
    }
    let f = dir.join("garbage.scap");
    std::fs::write(&f, b"not a capture at all, just text").unwrap();
    assert!(replay_scap(&f, &d, &mut |_| {}).is_err());
    assert!(replay_scap(&dir.join("absent.scap"), &d, &mut |_| {}).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Generic events (libs' `syscall` event for syscalls without an event of their own) are named
/// after their syscall, as libsinsp names them: the enter event by its `nativeID` (x86_64
/// table), the exit event as its enter. curl_google.scap records curl's `madvise` (nativeID 28)
/// this way; Falco's `Syscalls` test rules (`evt.type=madvise and evt.dir=<`) fire on it.
#[test]
fn generic_events_take_their_syscall_names() {
    let Some(p) = capture("libs/curl_google.scap") else {
        return;
    };
    let mut r = Replayer::open(&p).unwrap();
    let mut by_type: std::collections::BTreeMap<String, usize> = Default::default();
    let mut madvise = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        if ev.event.code <= 1 {
            *by_type.entry(ev.event.name.to_string()).or_default() += 1;
        }
        if ev.extract("evt.type", None) == Some(vec!["madvise".into()]) {
            madvise.push((
                ev.event.direction.as_char(),
                ev.extract("syscall.type", None),
                ev.extract("proc.name", None),
            ));
        }
    }
    let some = |s: &str| Some(vec![s.to_string()]);
    assert_eq!(
        madvise,
        vec![
            ('>', some("madvise"), some("curl")),
            ('<', some("madvise"), some("curl"))
        ]
    );
    // Every generic event of the capture has a name (enter and exit), the most frequent ones
    // being curl's clock_gettime and mprotect.
    assert!(!by_type.contains_key("syscall"), "{by_type:?}");
    assert_eq!(by_type.get("clock_gettime"), Some(&188));
    assert_eq!(by_type.get("mprotect"), Some(&156));
    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/falco/rules/testing-embedded/syscalls.yaml"),
    )
    .unwrap();
    let mut e = RulesEngine::default();
    assert!(e.load_rules(&rules, "syscalls.yaml").successful());
    let d = Detector::new(&e, "syscall", &RunOptions::default());
    let mut alerts = Vec::new();
    replay_scap(&p, &d, &mut |a| alerts.push(a.text(false))).unwrap();
    let madvise: Vec<&String> = alerts.iter().filter(|a| a.contains("madvise")).collect();
    assert_eq!(madvise.len(), 1, "{alerts:?}");
    assert!(
        madvise[0].ends_with("Informational A madvise syscall was seen (command=curl -6 http://www.google.com evt=madvise)"),
        "{}",
        madvise[0]
    );
}

/// A generic exit event without its enter keeps the generic name; an unknown number too. The
/// fadvise64 of cat_write.scap (syscall id 0 — unknown to the driver of 2016 — nativeID 221)
/// gets its name from the native number.
#[test]
fn generic_events_without_a_name() {
    use super::rule_field_tests::{P, mk};
    let mut r = Inspector::new();
    let ev = r.apply(mk("syscall", Direction::Exit, 1, 7, &[("ID", P::I(139))]));
    assert_eq!(ev.extract("evt.type", None), Some(vec!["syscall".into()]));
    let ev = r.apply(mk(
        "syscall",
        Direction::Enter,
        2,
        7,
        &[("ID", P::I(0)), ("nativeID", P::I(999))],
    ));
    assert_eq!(ev.event.name, "syscall");
    let ev = r.apply(mk("syscall", Direction::Exit, 3, 7, &[("ID", P::I(0))]));
    assert_eq!(ev.event.name, "syscall");
    let Some(p) = capture("cat_write.scap") else {
        return;
    };
    let mut r = Replayer::open(&p).unwrap();
    let mut names = Vec::new();
    while let Some(ev) = r.next_event().unwrap() {
        if ev.event.code <= 1 {
            names.push(format!("{}{}", ev.event.name, ev.event.direction.as_char()));
        }
    }
    assert!(names.contains(&"fadvise64>".to_string()), "{names:?}");
    assert!(names.contains(&"fadvise64<".to_string()), "{names:?}");
    assert!(names.contains(&"exit_group>".to_string()), "{names:?}");
}
