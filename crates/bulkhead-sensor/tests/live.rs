//! The sensor on this machine's kernel: loads, captures real processes, decodes them into libs
//! events, counts, and detaches. Needs root (or CAP_BPF+CAP_PERFMON) and a kernel with BTF:
//! without them the test says so and passes, unless BULKHEAD_STRICT=1 (CI), where it fails.

use bulkhead_scap::Direction;
use bulkhead_sensor::cgroups::CgroupResolver;
use bulkhead_sensor::decode::Decoder;
use bulkhead_sensor::{Sensor, SensorConfig, SensorError};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// One sensor at a time in this process (the fd count below is process-wide).
static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start(syscalls: Vec<&'static str>) -> Option<Sensor> {
    match Sensor::start(SensorConfig::new(syscalls)) {
        Ok(s) => Some(s),
        Err(e @ (SensorError::Privileges(_) | SensorError::NoBtf | SensorError::Lockdown)) => {
            let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
            assert!(!strict, "BULKHEAD_STRICT=1 and the sensor cannot run: {e}");
            eprintln!("SKIP: the eBPF sensor cannot run here: {e}");
            None
        }
        Err(e) => panic!("sensor: {e}"),
    }
}

/// Events until `until` holds for one of them or the deadline passes.
fn collect(
    s: &Sensor,
    d: &mut Decoder,
    secs: u64,
    mut until: impl FnMut(&bulkhead_scap::Event) -> bool,
) -> Vec<bulkhead_scap::Event> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut out = Vec::new();
    while Instant::now() < deadline {
        if let Some(r) = s.next(Duration::from_millis(50)).unwrap() {
            for e in d.events(&r) {
                let hit = until(&e);
                out.push(e);
                if hit {
                    return out;
                }
            }
        }
    }
    out
}

fn int(e: &bulkhead_scap::Event, name: &str) -> Option<i64> {
    use bulkhead_scap::Value::*;
    match e.param(name)?.value {
        Int(i) | Errno(i) | Fd(i) | Pid(i) => Some(i),
        UInt(u) => Some(u as i64),
        Flags { value, .. } => Some(value as i64),
        _ => None,
    }
}

#[test]
fn exec_fork_open_and_exit_of_a_real_process() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(s) = start(vec!["openat", "close"]) else {
        return;
    };
    let mut d = Decoder::new(CgroupResolver::host());
    let marker = format!("/tmp/bulkhead-sensor-test-{}", std::process::id());
    std::fs::write(&marker, "x").unwrap();
    let mut child = Command::new("/bin/cat").arg(&marker).spawn().unwrap();
    let pid = child.id() as u64;
    assert!(child.wait().unwrap().success());
    let events = collect(&s, &mut d, 10, |e| e.name == "procexit" && e.tid == pid);
    std::fs::remove_file(&marker).ok();
    let mine: Vec<_> = events.iter().filter(|e| e.tid == pid).collect();
    let names: Vec<String> = mine
        .iter()
        .map(|e| format!("{}{}", e.direction.as_char(), e.name))
        .collect();
    // The child's clone exit (made from the fork), its execve pair, the open of the marker,
    // its close, and its exit, in that order.
    let pos = |n: &str| names.iter().position(|x| x == n);
    let (clone, exec, exit) = (pos("<clone"), pos("<execve"), pos(">procexit"));
    assert!(
        clone.is_some() && exec.is_some() && exit.is_some(),
        "{names:?}"
    );
    assert!(clone < exec && exec < exit, "{names:?}");
    let x = mine
        .iter()
        .find(|e| e.name == "execve" && e.direction == Direction::Exit)
        .unwrap();
    assert_eq!(x.str_param("trusted_exepath"), Some("/bin/cat"));
    assert_eq!(x.str_param("exe"), Some("/bin/cat"));
    assert_eq!(x.str_param("comm"), Some("cat"));
    assert_eq!(int(x, "pid"), Some(pid as i64));
    assert_eq!(int(x, "ptid"), Some(std::process::id() as i64));
    match &x.param("args").unwrap().value {
        bulkhead_scap::Value::Bytes(b) => assert_eq!(b, format!("{marker}\0").as_bytes()),
        v => panic!("args {v:?}"),
    }
    let open = mine
        .iter()
        .find(|e| {
            e.name == "openat"
                && e.direction == Direction::Exit
                && e.str_param("name") == Some(marker.as_str())
        })
        .unwrap_or_else(|| panic!("no openat of {marker}: {names:?}"));
    let fd = int(open, "fd").unwrap();
    assert!(fd >= 0, "{open}");
    assert!(
        mine.iter().any(|e| e.name == "close"
            && e.direction == Direction::Enter
            && int(e, "fd") == Some(fd)),
        "no close of fd {fd}: {names:?}"
    );
    // Wall-clock timestamps, in order.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    assert!(
        mine.iter()
            .all(|e| e.ts <= now && now - e.ts < 60_000_000_000),
        "timestamps"
    );
    assert!(mine.windows(2).all(|w| w[0].ts <= w[1].ts), "order");
    let c = &s.counters;
    assert!(c.received.load(Ordering::Relaxed) > 0);
    assert_eq!(c.malformed.load(Ordering::Relaxed), 0);
}

#[test]
fn nothing_stays_attached_after_the_sensor_is_dropped() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(s) = start(vec!["openat"]) else {
        return;
    };
    let ours = || {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .filter(|e| {
                std::fs::read_link(e.path())
                    .is_ok_and(|l| l.to_string_lossy().starts_with("anon_inode:bpf"))
            })
            .count()
    };
    assert!(ours() > 0, "the sensor holds BPF objects while it runs");
    drop(s);
    assert_eq!(ours(), 0, "every BPF program, link and map is released");
}

#[test]
fn a_tcp_connect_carries_both_ends_of_the_socket() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(s) = start(vec!["socket", "connect", "close"]) else {
        return;
    };
    let mut d = Decoder::new(CgroupResolver::host());
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut child = Command::new("bash")
        .args(["-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{port}")])
        .spawn()
        .unwrap();
    let pid = child.id() as u64;
    let (conn, peer) = l.accept().unwrap();
    assert!(child.wait().unwrap().success());
    drop(conn);
    // bash may open and connect other sockets first (an AF_UNIX one to nscd or the journal,
    // depending on the machine's nsswitch), so look for the AF_INET ones rather than the first.
    let inet_exit = |e: &bulkhead_scap::Event| {
        e.tid == pid
            && e.name == "connect"
            && e.direction == Direction::Exit
            && matches!(
                e.param("tuple").map(|p| &p.value),
                Some(bulkhead_scap::Value::SockTuple(
                    bulkhead_scap::SockTuple::Inet { .. }
                ))
            )
    };
    let events = collect(&s, &mut d, 10, inet_exit);
    let seen: Vec<String> = events
        .iter()
        .filter(|e| e.tid == pid && (e.name == "socket" || e.name == "connect"))
        .map(|e| format!("{} {:?} {:?}", e.name, e.direction, e.params))
        .collect();
    let domains: Vec<Option<i64>> = events
        .iter()
        .filter(|e| e.tid == pid && e.name == "socket" && e.direction == Direction::Enter)
        .map(|e| int(e, "domain"))
        .collect();
    assert!(
        domains.contains(&Some(2)),
        "an AF_INET socket enter among the child's sockets: {seen:#?}"
    );
    let c = events
        .iter()
        .find(|e| inet_exit(e))
        .unwrap_or_else(|| panic!("an AF_INET connect exit: {seen:#?}"));
    assert_eq!(int(c, "res"), Some(0));
    match &c.param("tuple").unwrap().value {
        bulkhead_scap::Value::SockTuple(bulkhead_scap::SockTuple::Inet {
            sip,
            sport,
            dip,
            dport,
        }) => {
            assert_eq!(dip.to_string(), "127.0.0.1");
            assert_eq!(*dport, port);
            assert_eq!(sip.to_string(), "127.0.0.1");
            assert_eq!(
                *sport,
                peer.port(),
                "the client's port, as the listener saw it"
            );
        }
        v => panic!("tuple {v:?}"),
    }
    let enter = events
        .iter()
        .find(|e| {
            e.tid == pid
                && e.name == "connect"
                && e.direction == Direction::Enter
                && matches!(
                    e.param("addr").map(|p| &p.value),
                    Some(bulkhead_scap::Value::SockAddr(
                        bulkhead_scap::SockAddr::Inet { .. }
                    ))
                )
        })
        .unwrap_or_else(|| panic!("an AF_INET connect enter: {seen:#?}"));
    match &enter.param("addr").unwrap().value {
        bulkhead_scap::Value::SockAddr(bulkhead_scap::SockAddr::Inet { ip, port: p }) => {
            assert_eq!(ip.to_string(), "127.0.0.1");
            assert_eq!(*p, port);
        }
        v => panic!("addr {v:?}"),
    }
}

/// I/O data as the libs drivers read it: `write`'s bytes given, `read`'s bytes returned, at most
/// snaplen of them (80 here, as Falco's default); `pwrite64`/`pread64` as the libs `pwrite`/`pread`
/// events; a UDP `sendto`'s data and the `recvfrom` data with the socket's ends.
#[test]
fn io_data_is_read_up_to_snaplen() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(s) = start(vec![
        "openat", "close", "read", "write", "pread64", "pwrite64", "socket", "sendto", "recvfrom",
    ]) else {
        return;
    };
    let mut d = Decoder::new(CgroupResolver::host());
    let path = format!("/tmp/bulkhead-io-test-{}", std::process::id());
    let long = "L".repeat(100);
    let script = format!(
        r#"
import os, socket
fd = os.open("{path}", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"bulkhead-marker-write")
os.pwrite(fd, b"{long}", 64)
os.lseek(fd, 0, 0)
os.read(fd, 21)
os.pread(fd, 100, 64)
os.close(fd)
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
w.sendto(b"bulkhead-udp-payload", r.getsockname())
r.recvfrom(64)
"#
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .spawn()
        .unwrap();
    let pid = child.id() as u64;
    assert!(child.wait().unwrap().success());
    std::fs::remove_file(&path).ok();
    let events = collect(&s, &mut d, 10, |e| {
        e.tid == pid && e.name == "recvfrom" && e.direction == Direction::Exit
    });
    // Every `data` of the process's `name` exits (the interpreter's own reads come too).
    let data = |name: &str| -> Vec<Vec<u8>> {
        events
            .iter()
            .filter(|e| e.tid == pid && e.name == name && e.direction == Direction::Exit)
            .filter_map(|e| match &e.param("data")?.value {
                bulkhead_scap::Value::Bytes(b) => Some(b.clone()),
                _ => None,
            })
            .collect()
    };
    let has = |name: &str, want: &[u8]| {
        let got = data(name);
        assert!(
            got.iter().any(|d| d == want),
            "{name}: no data {:?} in {:?}",
            String::from_utf8_lossy(want),
            got.iter()
                .map(|d| String::from_utf8_lossy(d))
                .collect::<Vec<_>>()
        );
    };
    let l80 = "L".repeat(80);
    has("write", b"bulkhead-marker-write");
    has("pwrite", l80.as_bytes()); // 100 bytes written, snaplen 80
    has("read", b"bulkhead-marker-write");
    has("pread", l80.as_bytes());
    has("sendto", b"bulkhead-udp-payload");
    has("recvfrom", b"bulkhead-udp-payload");
    let rf = events
        .iter()
        .find(|e| e.tid == pid && e.name == "recvfrom" && e.direction == Direction::Exit)
        .unwrap();
    assert!(matches!(
        rf.param("tuple").unwrap().value,
        bulkhead_scap::Value::SockTuple(_)
    ));
}

/// `PPM_EXE_WRITABLE` as the kernel's permission check decides it: root (CAP_DAC_OVERRIDE) may
/// write /bin/true, `nobody` may not, but may write its own copy.
#[test]
fn exec_flags_say_whether_the_user_may_write_the_executable() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    if unsafe { libc::geteuid() } != 0 || Command::new("setpriv").arg("--help").output().is_err() {
        let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
        assert!(!strict, "BULKHEAD_STRICT=1: needs root and setpriv");
        eprintln!("SKIP: needs root and setpriv");
        return;
    }
    let Some(s) = start(vec!["openat"]) else {
        return;
    };
    let mut d = Decoder::new(CgroupResolver::host());
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let own = dir.path().join("mytrue");
    std::fs::copy("/bin/true", &own).unwrap();
    std::os::unix::fs::chown(&own, Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).unwrap();
    let nobody = [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ];
    let runs: [(Vec<&str>, &str, bool); 3] = [
        (vec![], "/bin/true", true),
        (nobody.to_vec(), "/bin/true", false),
        (nobody.to_vec(), own.to_str().unwrap(), true),
    ];
    for (opts, exe, writable) in runs {
        let mut child = Command::new("setpriv")
            .args(&opts)
            .arg(exe)
            .spawn()
            .unwrap();
        let pid = child.id() as u64;
        assert!(child.wait().unwrap().success());
        let events = collect(&s, &mut d, 10, |e| {
            e.tid == pid
                && e.name == "execve"
                && e.direction == Direction::Exit
                && e.param("exe")
                    .is_some_and(|p| p.value.to_string().ends_with("true"))
        });
        let ex = events
            .iter()
            .rfind(|e| e.tid == pid && e.name == "execve" && e.direction == Direction::Exit)
            .unwrap_or_else(|| panic!("no execve of {exe}"));
        let flags = int(ex, "flags").unwrap();
        assert_eq!(
            flags & 1 != 0,
            writable,
            "{exe} as {opts:?}: flags {flags:#x}"
        );
    }
}

/// Under a flood the sensor drops and counts, never stalls: a ring of 64 KiB and a consumer that
/// reads nothing while 50,000 opens happen. Every open of the flood is either delivered or
/// counted as dropped, some are dropped, and the sensor delivers again once the consumer reads.
#[test]
fn a_flood_is_dropped_and_counted_never_stalled() {
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let mut cfg = SensorConfig::new(vec!["openat"]);
    cfg.ring_bytes = 64 << 10;
    let s = match Sensor::start(cfg) {
        Ok(s) => s,
        Err(e @ (SensorError::Privileges(_) | SensorError::NoBtf | SensorError::Lockdown)) => {
            let strict = std::env::var("BULKHEAD_STRICT").is_ok_and(|v| v == "1");
            assert!(!strict, "BULKHEAD_STRICT=1 and the sensor cannot run: {e}");
            eprintln!("SKIP: the eBPF sensor cannot run here: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    const N: u64 = 50_000;
    let child = Command::new("sh")
        .args([
            "-c",
            &format!("i=0; while [ $i -lt {N} ]; do : < /dev/null; i=$((i+1)); done"),
        ])
        .spawn()
        .unwrap();
    let pid = child.id() as u32;
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    // Now read everything that was kept.
    let mut theirs = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = Instant::now();
    // Until a second passes without a record of the flood (other processes go on meanwhile).
    while last.elapsed() < Duration::from_secs(1) && Instant::now() < deadline {
        if let Some(bulkhead_sensor::record::Record::Sys(r)) =
            s.next(Duration::from_millis(100)).unwrap()
            && r.h.pid == pid
        {
            last = Instant::now();
            if r.mem[0]
                .as_deref()
                .is_some_and(|m| m.starts_with(b"/dev/null"))
            {
                theirs += 1;
            }
        }
    }
    let c = &s.counters;
    let dropped = c.drop_buffer.load(Ordering::Relaxed);
    let submitted = c.submitted.load(Ordering::Relaxed);
    let received = c.received.load(Ordering::Relaxed);
    println!(
        "flood: {N} opens, {theirs} delivered, {dropped} dropped (ring full), {submitted} submitted, {received} received"
    );
    assert!(
        dropped > 0,
        "a 64 KiB ring unread during {N} opens must drop"
    );
    assert!(theirs < N);
    assert!(
        theirs + dropped >= N,
        "every open delivered or counted: {theirs} + {dropped} < {N}"
    );
    assert!(
        received <= submitted && submitted - received < 8192 + 1024,
        "received {received} of {submitted}"
    );
    assert_eq!(c.malformed.load(Ordering::Relaxed), 0);
    // And it still delivers.
    let mut d = Decoder::new(CgroupResolver::host());
    let mut probe = Command::new("/bin/cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let ppid = probe.id() as u64;
    probe.wait().unwrap();
    let ev = collect(&s, &mut d, 10, |e| e.tid == ppid && e.name == "openat");
    assert!(ev.iter().any(|e| e.tid == ppid), "no event after the flood");
}
