//! Bulkhead's own capture format: the events the future eBPF sensor will produce, in the same event
//! model as replayed `.scap` events, as JSON Lines (versioned, self-describing, greppable).
//!
//! ```text
//! {"bulkhead_capture":1,"producer":"bulkhead runtime convert","source_file":"cat_write.scap"}
//! {"ts":1470327477881781397,"source":"syscall","fields":{"evt.type":"open","evt.dir":">","proc.name":"cat",…},"args":[["name","/dev/null"],…],"ancestors":["bash","sshd"]}
//! {"ts":1540476552581541000,"source":"k8s_audit","audit":{…the audit event…}}
//! ```
//!
//! - Line 1 is the header: `bulkhead_capture` is the format version (1).
//! - Every other line is one event: `ts` (nanoseconds since the epoch), `source` (`syscall` or
//!   `k8s_audit`). Syscall events carry `fields` (every field without an argument, as strings, the
//!   values the sensor resolved at capture time: process, fd, user, container), `args` (the event
//!   parameters in order as `[name, value]`, for `evt.arg.NAME` and `evt.arg[N]`) and `ancestors`
//!   (names of the parent, grandparent, …, for `proc.aname[N]`). Audit events carry the audit
//!   event under `audit`.
//! - Readers skip unknown keys, so later versions can add fields.

use crate::eval::FieldSource;
use crate::k8saudit::AuditEvent;
use serde_json::{Map, Value, json};
use std::io::{BufRead, Write};

/// The format version written and read.
pub const VERSION: u64 = 1;

/// Fields a syscall event records (those without arguments that the syscall source provides).
pub const SYSCALL_FIELDS: &[&str] = &[
    "evt.type",
    "evt.dir",
    "evt.num",
    "evt.time",
    "evt.time.iso8601",
    "evt.datetime",
    "evt.rawtime",
    "evt.res",
    "evt.rawres",
    "evt.failed",
    "evt.cpu",
    "evt.args",
    "evt.is_open_read",
    "evt.is_open_write",
    "syscall.type",
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.args",
    "proc.pid",
    "proc.ppid",
    "proc.pname",
    "proc.pcmdline",
    "proc.pexe",
    "proc.cwd",
    "proc.tid",
    "thread.tid",
    "user.uid",
    "user.name",
    "group.gid",
    "group.name",
    "fd.num",
    "fd.name",
    "fd.directory",
    "fd.filename",
    "fd.type",
    "fd.typechar",
    "fd.connected",
    "fd.cip",
    "fd.cport",
    "fd.sip",
    "fd.sport",
    "fd.lip",
    "fd.lport",
    "fd.rip",
    "fd.rport",
    "fd.ip",
    "fd.port",
    "fd.nameraw",
    "fd.name_changed",
    "fd.l4proto",
    "fd.net",
    "fd.snet",
    "fd.sip.name",
    "proc.tty",
    "proc.duration",
    "proc.is_exe_upper_layer",
    "proc.is_exe_from_memfd",
    "thread.cap_effective",
    "container.id",
    "container.name",
    "container.image.repository",
    "container.privileged",
    "k8s.ns.name",
    "evt.buffer",
    "evt.is_open_exec",
    "evt.hostname",
    "proc.aexe",
    "proc.pexepath",
    "proc.aexepath",
    "proc.env",
    "proc.vpid",
    "proc.sname",
    "proc.vpgid.name",
    "proc.vpgid.exe",
    "proc.ppid.duration",
    "proc.is_vpgid_leader",
    "proc.exe_ino.ctime",
    "proc.exe_ino.mtime",
    "proc.exe_ino.ctime_duration_proc_start",
    "thread.cap_permitted",
    "user.loginuid",
    "user.loginname",
    "fd.sockfamily",
    "fd.cnet",
    "fd.rnet",
    "fd.cip.name",
    "fd.lip.name",
    "fd.rip.name",
    "fd.types",
    "container.mounts",
    "container.start_ts",
    "k8s.pod.name",
];

/// One event of the format.
#[derive(Debug, Clone)]
pub enum CapturedEvent {
    Syscall {
        ts: i128,
        fields: Map<String, Value>,
        args: Vec<(String, String)>,
        ancestors: Vec<String>,
    },
    Audit(AuditEvent),
}

impl CapturedEvent {
    pub fn ts(&self) -> i128 {
        match self {
            CapturedEvent::Syscall { ts, .. } => *ts,
            CapturedEvent::Audit(a) => a.ts_ns,
        }
    }

    pub fn source(&self) -> &'static str {
        match self {
            CapturedEvent::Syscall { .. } => "syscall",
            CapturedEvent::Audit(_) => "k8s_audit",
        }
    }

    /// Record any syscall event (a replayed `.scap` event, or a sensor's) in this format.
    pub fn from_syscall(ev: &dyn FieldSource, ts: i128, arg_names: &[&str]) -> CapturedEvent {
        let mut fields = Map::new();
        for f in SYSCALL_FIELDS {
            if let Some(v) = ev.extract(f, None) {
                let v = if v.len() == 1 {
                    Value::String(v[0].clone())
                } else {
                    Value::Array(v.into_iter().map(Value::String).collect())
                };
                fields.insert(f.to_string(), v);
            }
        }
        let args = arg_names
            .iter()
            .filter_map(|n| {
                ev.extract("evt.arg", Some(n))
                    .and_then(|v| v.into_iter().next())
                    .map(|v| (n.to_string(), v))
            })
            .collect();
        let ancestors = (1..=7)
            .map_while(|i| {
                ev.extract("proc.aname", Some(&i.to_string()))
                    .and_then(|v| v.into_iter().next())
            })
            .collect();
        CapturedEvent::Syscall {
            ts,
            fields,
            args,
            ancestors,
        }
    }

    /// The event as one JSON line.
    pub fn to_json(&self) -> Value {
        match self {
            CapturedEvent::Syscall {
                ts,
                fields,
                args,
                ancestors,
            } => json!({
                "ts": *ts as i64,
                "source": "syscall",
                "fields": fields,
                "args": args.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                "ancestors": ancestors,
            }),
            CapturedEvent::Audit(a) => {
                json!({"ts": a.ts_ns as i64, "source": "k8s_audit", "audit": a.json})
            }
        }
    }

    fn from_json(v: Value, line: usize) -> Result<CapturedEvent, String> {
        let ts = v
            .get("ts")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("line {line}: missing or invalid `ts`"))?
            as i128;
        match v.get("source").and_then(Value::as_str) {
            Some("syscall") => {
                let fields = v
                    .get("fields")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let args = v
                    .get("args")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        let p = p.as_array()?;
                        Some((
                            p.first()?.as_str()?.to_string(),
                            p.get(1)?.as_str()?.to_string(),
                        ))
                    })
                    .collect();
                let ancestors = v
                    .get("ancestors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect();
                Ok(CapturedEvent::Syscall {
                    ts,
                    fields,
                    args,
                    ancestors,
                })
            }
            Some("k8s_audit") => {
                let json = v
                    .get("audit")
                    .cloned()
                    .ok_or_else(|| format!("line {line}: k8s_audit event without `audit`"))?;
                Ok(CapturedEvent::Audit(AuditEvent {
                    json,
                    ts_ns: ts,
                    num: 0,
                }))
            }
            other => Err(format!("line {line}: unknown source {other:?}")),
        }
    }
}

impl FieldSource for CapturedEvent {
    fn extract(&self, field: &str, arg: Option<&str>) -> Option<Vec<String>> {
        match self {
            CapturedEvent::Audit(a) => a.extract(field, arg),
            CapturedEvent::Syscall {
                fields,
                args,
                ancestors,
                ..
            } => match (field, arg) {
                ("evt.arg" | "evt.rawarg", Some(a)) => match a.trim().parse::<usize>() {
                    Ok(i) => args.get(i).map(|(_, v)| vec![v.clone()]),
                    Err(_) => args
                        .iter()
                        .find(|(k, _)| k == a)
                        .map(|(_, v)| vec![v.clone()]),
                },
                ("proc.aname", Some(n)) => {
                    let i: usize = n.trim().parse().ok()?;
                    if i == 0 {
                        return fields.get("proc.name").and_then(value_strings);
                    }
                    ancestors.get(i - 1).map(|a| vec![a.clone()])
                }
                (f, None) => fields.get(f).and_then(value_strings),
                _ => None,
            },
        }
    }
}

fn value_strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        ),
        Value::Null => None,
        other => Some(vec![other.to_string()]),
    }
}

/// Whether `head` (the first bytes of a file) starts a Bulkhead capture.
pub fn is_capture(head: &[u8]) -> bool {
    let s = String::from_utf8_lossy(head);
    s.trim_start().starts_with("{\"bulkhead_capture\"")
}

/// Largest line accepted (bytes).
pub const MAX_LINE: usize = 16 << 20;

/// Read a capture: the header, then every event, calling `on_event` for each (streaming).
pub fn read(reader: impl BufRead, on_event: &mut dyn FnMut(CapturedEvent)) -> Result<u64, String> {
    let mut n = 0u64;
    let mut header_seen = false;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
        if line.len() > MAX_LINE {
            return Err(format!("line {}: longer than {MAX_LINE} bytes", i + 1));
        }
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| format!("line {}: invalid JSON: {e}", i + 1))?;
        if !header_seen {
            let version = v
                .get("bulkhead_capture")
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("line {}: not a Bulkhead capture header", i + 1))?;
            if version > VERSION {
                return Err(format!(
                    "capture format version {version} is newer than this Bulkhead reads ({VERSION})"
                ));
            }
            header_seen = true;
            continue;
        }
        on_event(CapturedEvent::from_json(v, i + 1)?);
        n += 1;
    }
    if !header_seen {
        return Err("empty file: no Bulkhead capture header".into());
    }
    Ok(n)
}

/// Write the header line.
pub fn write_header(out: &mut dyn Write, source_file: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        json!({"bulkhead_capture": VERSION, "producer": "bulkhead", "source_file": source_file})
    )
}

/// Convert a `.scap` capture into this format (every event, replayed with process and fd state as
/// `bulkhead runtime replay` sees it). Returns the number of events written.
pub fn convert_scap(path: &std::path::Path, out: &mut dyn Write) -> Result<u64, String> {
    let mut r = crate::syscall::Replayer::open(path)?;
    write_header(out, &path.display().to_string()).map_err(|e| e.to_string())?;
    let mut n = 0;
    while let Some(ev) = r.next_event()? {
        let names: Vec<&str> = ev.event.params.iter().map(|p| p.name).collect();
        let c = CapturedEvent::from_syscall(&ev, ev.ts_ns(), &names);
        writeln!(out, "{}", c.to_json()).map_err(|e| e.to_string())?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RulesEngine;
    use crate::detect::{Detector, RunOptions};

    #[test]
    fn scap_round_trip_gives_the_same_alerts() {
        let scap = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../bulkhead-scap/tests/fixtures/cat_write.scap");
        let mut engine = RulesEngine::default();
        let rules = "- list: cat_binaries\n  items: [cat]\n- rule: open_from_cat\n  desc: x\n  condition: evt.type=open and proc.name in (cat_binaries) and proc.aname[1] exists\n  output: \"An open was seen (command=%proc.cmdline file=%fd.name flags=%evt.arg.flags parent=%proc.aname[1])\"\n  priority: WARNING\n- rule: any_close\n  desc: x\n  condition: evt.type=close and evt.dir=<\n  output: \"close %fd.num %evt.arg[0]\"\n  priority: INFO\n";
        assert!(engine.load_rules(rules, "test.yaml").successful());
        let det = Detector::new(&engine, "syscall", &RunOptions::default());
        let mut direct = Vec::new();
        crate::syscall::replay_scap(&scap, &det, &mut |a| direct.push(a.text(false))).unwrap();
        let mut buf = Vec::new();
        let n = convert_scap(&scap, &mut buf).unwrap();
        assert!(n > 300, "{n} events");
        let mut replayed = Vec::new();
        let mut alerts = Vec::new();
        let read_n = read(std::io::Cursor::new(&buf), &mut |ev| {
            alerts.clear();
            det.process(ev.ts(), &ev, &mut alerts);
            replayed.extend(alerts.iter().map(|a| a.text(false)));
        })
        .unwrap();
        assert_eq!(read_n, n);
        assert!(direct.len() >= 8, "{direct:?}");
        assert_eq!(replayed, direct);
    }

    #[test]
    fn syscall_fields_hold_every_field_the_syscall_source_extracts() {
        use crate::fields::{ArgRule, FIELDS};
        let mut names: Vec<&str> = SYSCALL_FIELDS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SYSCALL_FIELDS.len(), "duplicates");
        for f in SYSCALL_FIELDS {
            assert!(
                crate::fields::field("syscall", f).is_none_or(|i| i.arg != ArgRule::Required),
                "{f} requires an argument"
            );
        }
        // Every field taking no argument that a replayed event has a value for is recorded
        // (fields with an optional argument, `proc.aname`, are recorded through `ancestors`).
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = fixtures.join("../../../shared/data/falco/captures");
        let mut extracted = std::collections::BTreeSet::new();
        for p in [
            fixtures.join("../bulkhead-scap/tests/fixtures/cat_write.scap"),
            shared.join("libs/curl_google.scap"),
            shared.join("libs/sample.scap"),
            shared.join("open-multiple-files.scap"),
        ] {
            if !p.is_file() {
                continue;
            }
            let mut r = crate::syscall::Replayer::open(&p).unwrap();
            while let Some(ev) = r.next_event().unwrap() {
                for f in FIELDS
                    .iter()
                    .filter(|f| f.source == "syscall" && f.arg == ArgRule::None)
                {
                    if ev.extract(f.name, None).is_some() {
                        extracted.insert(f.name);
                    }
                }
                // Fields whose argument is optional are recorded in their argument-less form.
                for f in ["proc.env", "proc.aexe", "proc.aexepath", "fd.types"] {
                    if ev.extract(f, None).is_some() {
                        extracted.insert(f);
                    }
                }
            }
        }
        let missing: Vec<_> = extracted
            .iter()
            .filter(|f| !SYSCALL_FIELDS.contains(f))
            .collect();
        assert!(
            missing.is_empty(),
            "extracted but not recorded: {missing:?}"
        );
        for f in [
            "thread.cap_effective",
            "proc.tty",
            "proc.is_exe_upper_layer",
            "proc.is_exe_from_memfd",
            "fd.nameraw",
            "fd.name_changed",
            "container.id",
            "evt.buffer",
            "evt.hostname",
            "evt.is_open_exec",
            "proc.pexepath",
            "proc.vpid",
            "proc.sname",
            "proc.vpgid.name",
            "proc.vpgid.exe",
            "proc.is_vpgid_leader",
            "proc.exe_ino.ctime",
            "proc.exe_ino.mtime",
            "thread.cap_permitted",
            "user.loginuid",
            "user.loginname",
            "fd.sockfamily",
            "fd.cnet",
            "fd.rnet",
            "container.mounts",
            "proc.env",
            "proc.aexe",
            "proc.aexepath",
            "fd.types",
        ] {
            assert!(extracted.contains(f), "{f} never extracted");
            assert!(SYSCALL_FIELDS.contains(&f), "{f} not recorded");
        }
    }

    #[test]
    fn bad_captures_are_errors() {
        let r = |s: &str| read(std::io::Cursor::new(s.as_bytes()), &mut |_| {});
        assert!(r("").unwrap_err().contains("header"));
        assert!(r("{\"x\":1}\n").unwrap_err().contains("header"));
        assert!(
            r("{\"bulkhead_capture\":99}\n")
                .unwrap_err()
                .contains("newer")
        );
        assert!(
            r("{\"bulkhead_capture\":1}\n{\"source\":\"syscall\"}\n")
                .unwrap_err()
                .contains("ts")
        );
        assert!(
            r("{\"bulkhead_capture\":1}\n{\"ts\":1,\"source\":\"x\"}\n")
                .unwrap_err()
                .contains("unknown source")
        );
        assert_eq!(
            r("{\"bulkhead_capture\":1}\n{\"ts\":1,\"source\":\"syscall\",\"fields\":{}}\n")
                .unwrap(),
            1
        );
    }
}
