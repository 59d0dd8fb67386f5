//! The fields the upstream rules need beyond the basic process/fd ones: capabilities, terminal,
//! exe flags, process age, raw fd names, socket protocol/network/role fields, container and
//! Kubernetes metadata. Values from the shared captures where they carry them, else from
//! constructed events fed through the replay state.

use super::*;
use bulkhead_scap::{RawEvent, decode};
use std::path::PathBuf;

pub(super) fn capture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/falco/captures")
        .join(name);
    p.is_file().then_some(p)
}

/// Replay a shared capture, calling `f` on every event; false when the capture is absent.
pub(super) fn each(name: &str, mut f: impl FnMut(&SyscallEvent)) -> bool {
    let Some(p) = capture(name) else {
        return false;
    };
    let mut r = Replayer::open(&p).unwrap();
    while let Some(ev) = r.next_event().unwrap() {
        f(&ev);
    }
    true
}

pub(super) fn get(ev: &dyn FieldSource, field: &str) -> Option<String> {
    ev.extract(field, None).map(|v| v.join(","))
}

pub(super) fn cond(ev: &dyn FieldSource, c: &str) -> bool {
    let expr = crate::parser::parse_condition(c).unwrap();
    crate::eval::compile(&expr).unwrap().eval(ev)
}

/// A parameter value of a constructed event.
pub(super) enum P<'a> {
    I(i64),
    S(&'a str),
    /// Raw bytes (buffers, NUL-separated lists), stored as given.
    B(&'a [u8]),
}

/// An event of the newest layout of `name`, encoded and decoded like a captured one.
pub(super) fn mk(name: &str, dir: Direction, ts: u64, tid: u64, args: &[(&str, P)]) -> Event {
    let code = table::event_table()
        .iter()
        .rposition(|e| e.name == name && e.direction == dir && !e.old_version && !e.unused)
        .unwrap() as u16;
    let params = table::event_info(code)
        .unwrap()
        .params
        .iter()
        .map(|pi| match args.iter().find(|(n, _)| *n == pi.name) {
            None => Vec::new(),
            Some((_, P::I(x))) => x.to_le_bytes()[..pi.ty.fixed_size().unwrap()].to_vec(),
            Some((_, P::S(s))) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                b
            }
            Some((_, P::B(b))) => b.to_vec(),
        })
        .collect();
    decode(&RawEvent::from_params(0, 0, 0, 0, ts, tid, code, params))
}

/// An inspector with an empty state, to feed constructed events to.
pub(super) fn replayer() -> Inspector {
    Inspector::new()
}

pub(super) fn feed(r: &mut Inspector, ev: Event) -> SyscallEvent<'_> {
    r.apply(ev)
}

#[test]
fn capabilities_terminal_and_exe_flags_from_the_process_list() {
    // libs/sample.scap: a V9 process list written by libs >= 0.10 (pidns_init_start_ts and
    // tty before loginuid, capability sets, exe_upper_layer).
    let mut seen = 0;
    let ran = each("libs/sample.scap", |ev| match ev.num {
        96 => {
            seen += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("sysdig"));
            assert_eq!(get(ev, "proc.tty").as_deref(), Some("34817")); // pts/1
            let caps = get(ev, "thread.cap_effective").unwrap();
            assert_eq!(caps, caps_to_string(0x1ff_ffff_ffff));
            assert_eq!(caps.split(' ').count(), 41);
            assert!(caps.starts_with("CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH "));
            assert!(caps.ends_with(" CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE"));
            assert!(cond(ev, "thread.cap_effective contains CAP_SYS_ADMIN"));
            assert!(cond(ev, "thread.cap_effective icontains sys_module"));
            assert!(cond(ev, "proc.tty != 0"));
            assert_eq!(get(ev, "proc.is_exe_upper_layer").as_deref(), Some("false"));
            assert_eq!(get(ev, "proc.is_exe_from_memfd").as_deref(), Some("false"));
            assert!(!cond(ev, "proc.is_exe_upper_layer=true"));
        }
        212 => {
            seen += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("systemd-network"));
            assert_eq!(
                get(ev, "thread.cap_effective").as_deref(),
                Some("CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW")
            );
            assert_eq!(get(ev, "proc.tty").as_deref(), Some("0"));
            assert!(cond(ev, "proc.tty=0"));
        }
        213 => {
            seen += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("systemd-timesyn"));
            assert_eq!(
                get(ev, "thread.cap_effective").as_deref(),
                Some("CAP_SYS_TIME")
            );
            assert!(!cond(ev, "thread.cap_effective icontains sys_module"));
        }
        260 => {
            seen += 1;
            // An unprivileged shell: no capability is an empty value, not an absent one.
            assert_eq!(get(ev, "proc.name").as_deref(), Some("bash"));
            assert_eq!(get(ev, "thread.cap_effective").as_deref(), Some(""));
            assert_eq!(get(ev, "proc.tty").as_deref(), Some("34818"));
        }
        _ => {}
    });
    if ran {
        assert_eq!(seen, 4);
    }
    // Older process lists (cat_write.scap, V6) have no capabilities nor terminal: libsinsp's
    // defaults (0) apply.
    let mut cat = 0;
    each("cat_write.scap", |ev| {
        if get(ev, "proc.name").as_deref() == Some("cat") {
            cat += 1;
            assert_eq!(get(ev, "thread.cap_effective").as_deref(), Some(""));
            assert_eq!(get(ev, "proc.tty").as_deref(), Some("0"));
            assert_eq!(get(ev, "proc.is_exe_from_memfd").as_deref(), Some("false"));
        }
    });
    assert!(cat > 0 || capture("cat_write.scap").is_none());
}

#[test]
fn proc_duration_counts_from_the_clone_seen_in_the_capture() {
    // libs/curl_google.scap: curl (17497, from the process list) clones 17498 at
    // 1534527348518881735; the child's own clone exit comes 25396 ns later.
    let (mut child, mut parent) = (0, 0);
    each("libs/curl_google.scap", |ev| {
        if ev.event.tid == 17498 && ev.event.name == "clone" {
            child += 1;
            assert_eq!(ev.event.ts, 1534527348518907131);
            assert_eq!(get(ev, "proc.duration").as_deref(), Some("25396"));
            assert!(cond(ev, "proc.duration <= 5000000000"));
        }
        if ev.event.tid == 17497 && ev.thread().is_some() {
            parent += 1;
            // The process list does not record start times: no value, as libsinsp.
            assert_eq!(get(ev, "proc.duration"), None);
            assert!(!cond(ev, "proc.duration <= 5000000000"));
        }
    });
    if capture("libs/curl_google.scap").is_some() {
        assert_eq!(child, 1);
        assert!(parent > 100);
    }
}

#[test]
fn socket_protocol_network_and_name_change_from_a_capture() {
    let rfc1918 = r#"fd.snet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")"#;
    let mut seen = 0;
    each("libs/curl_google.scap", |ev| match ev.num {
        1010 => {
            // socket(AF_INET6, SOCK_DGRAM, 0): UDP, but no role before connect/send.
            seen += 1;
            assert_eq!(ev.event.name, "socket");
            assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("<NA>"));
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
            assert_eq!(get(ev, "fd.net"), None);
            assert_eq!(get(ev, "fd.snet"), None);
            assert_eq!(get(ev, "fd.nameraw").as_deref(), Some(""));
        }
        1057 => {
            // A failed connect (ENOENT) to nscd: the fd keeps its (empty) name.
            seen += 1;
            assert_eq!(get(ev, "evt.res").as_deref(), Some("ENOENT"));
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
            assert_eq!(
                get(ev, "fd.name").as_deref(),
                Some("0->ffff88003c420800 /var/run/nscd/socket")
            );
            assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("<NA>"));
        }
        1189 => {
            // connect() of the UDP socket to the DNS server.
            seen += 1;
            assert_eq!(ev.event.name, "connect");
            assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("udp"));
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
            assert_eq!(
                get(ev, "fd.net").as_deref(),
                Some("2600:1f18:262c:6542:9aa6:df7a:9a47:d29e,2001:4860:4860::8888")
            );
            assert_eq!(get(ev, "fd.snet").as_deref(), Some("2001:4860:4860::8888"));
            assert!(cond(ev, r#"fd.snet in ("2001:4860::/32")"#));
            assert!(cond(ev, r#"fd.net = "2600:1f18::/32""#));
            assert!(!cond(ev, rfc1918));
            assert!(cond(ev, "fd.l4proto != tcp"));
            // No DNS manager offline: no name, so the k8s_api_server macro is false.
            assert_eq!(get(ev, "fd.sip.name"), None);
            assert!(!cond(
                ev,
                r#"fd.sip.name="kubernetes.default.svc.cluster.local""#
            ));
        }
        1194 => {
            // The next event on the fd (sendto enter) does not rename it.
            seen += 1;
            assert_eq!(ev.event.name, "sendto");
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
            assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("udp"));
        }
        1273 => {
            // connect() of the TCP socket (EINPROGRESS) to the web server.
            seen += 1;
            assert_eq!(get(ev, "evt.res").as_deref(), Some("EINPROGRESS"));
            assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("tcp"));
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
            assert_eq!(
                get(ev, "fd.snet").as_deref(),
                Some("2607:f8b0:4004:802::2004")
            );
            assert!(cond(
                ev,
                &format!(
                    r#"evt.type = connect and (fd.typechar = 4 or fd.typechar = 6) and fd.ip != "0.0.0.0" and not {rfc1918} and (evt.rawres >= 0 or evt.res = EINPROGRESS)"#
                )
            ));
        }
        _ => {}
    });
    if capture("libs/curl_google.scap").is_some() {
        assert_eq!(seen, 5);
    }
    // The server side of an IPv6 TCP connection (accept).
    let mut accepted = 0;
    each("libs/single_ipv6_conn.scap", |ev| {
        if ev.event.name == "accept" && ev.event.direction == Direction::Exit {
            accepted += 1;
            assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("tcp"));
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
            assert_eq!(get(ev, "fd.snet").as_deref(), Some("2001:db8::3"));
            assert!(cond(ev, r#"fd.net = "2001:db8::/32""#));
        }
    });
    assert!(accepted == 1 || capture("libs/single_ipv6_conn.scap").is_none());
    // A raw ICMP socket is "raw" from its creation (libsinsp `get_l4proto`).
    let mut r = replayer();
    feed(
        &mut r,
        mk(
            "socket",
            Direction::Enter,
            1,
            7,
            &[("domain", P::I(2)), ("type", P::I(3)), ("proto", P::I(1))],
        ),
    );
    let ev = feed(
        &mut r,
        mk("socket", Direction::Exit, 2, 7, &[("fd", P::I(3))]),
    );
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("4"));
    assert_eq!(get(&ev, "fd.l4proto").as_deref(), Some("raw"));
    assert_eq!(socket_l4proto(2 | 0x80000, 0), L4_UDP);
    assert_eq!(socket_l4proto(1, 6), L4_TCP);
    assert_eq!(socket_l4proto(2, 1), L4_ICMP);
    assert_eq!(socket_l4proto(3, 255), L4_RAW);
}

#[test]
fn fd_nameraw_is_the_path_as_passed() {
    // cat_write.scap: `cat /dev/null` opens an absolute path.
    let mut opens = 0;
    each("cat_write.scap", |ev| {
        if ev.event.name == "open"
            && ev.event.direction == Direction::Exit
            && get(ev, "fd.name").as_deref() == Some("/dev/null")
        {
            opens += 1;
            assert_eq!(get(ev, "fd.nameraw").as_deref(), Some("/dev/null"));
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("true"));
        }
    });
    assert!(opens == 1 || capture("cat_write.scap").is_none());
    // A relative openat: fd.name is resolved against the cwd, fd.nameraw is as passed
    // (duplicate separators removed).
    let mut r = replayer();
    r.state.threads.insert(
        9,
        Box::new(Thread {
            tid: 9,
            pid: 9,
            comm: "cat".into(),
            cwd: "/home/u/app/".into(),
            ..Default::default()
        }),
    );
    let name = "..//..//..//etc/passwd";
    let open = |r: &mut Inspector, ts, fd: i64, name| {
        feed(
            r,
            mk(
                "openat",
                Direction::Enter,
                ts,
                9,
                &[
                    ("dirfd", P::I(-100)),
                    ("name", P::S(name)),
                    ("flags", P::I(1)),
                ],
            ),
        );
        r.apply(mk(
            "openat",
            Direction::Exit,
            ts + 1,
            9,
            &[
                ("fd", P::I(fd)),
                ("dirfd", P::I(-100)),
                ("name", P::S(name)),
                ("flags", P::I(1)),
            ],
        ));
    };
    open(&mut r, 10, 3, name);
    let ev = r.current().unwrap();
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/etc/passwd"));
    assert_eq!(
        get(&ev, "fd.nameraw").as_deref(),
        Some("../../../etc/passwd")
    );
    let traversal = "fd.nameraw contains '../' and fd.nameraw glob '*../*../*'";
    assert!(cond(&ev, traversal));
    assert!(!cond(&ev, "fd.name contains '../'"));
    // A failed openat has no fd: the name comes from the event (as passed).
    open(&mut r, 20, -2, "../../etc/shadow");
    let ev = r.current().unwrap();
    assert_eq!(get(&ev, "evt.res").as_deref(), Some("ENOENT"));
    assert_eq!(get(&ev, "fd.nameraw").as_deref(), Some("../../etc/shadow"));
    assert!(cond(&ev, traversal));
    // A failed open gives its path resolved against the cwd (libsinsp reads the parameter's
    // resolved form for open/creat).
    feed(
        &mut r,
        mk("open", Direction::Enter, 30, 9, &[("name", P::S("../x"))]),
    );
    let ev = feed(
        &mut r,
        mk(
            "open",
            Direction::Exit,
            31,
            9,
            &[("fd", P::I(-13)), ("name", P::S("../x"))],
        ),
    );
    assert_eq!(get(&ev, "fd.nameraw").as_deref(), Some("/home/u/x"));
    // An event that uses no fd has no fd.nameraw.
    let ev = feed(
        &mut r,
        mk("getcwd", Direction::Exit, 40, 9, &[("res", P::I(0))]),
    );
    assert_eq!(get(&ev, "fd.nameraw"), None);
    assert_eq!(dedup_slashes("//a///b/"), "/a/b/");
}

#[test]
fn container_metadata_from_container_events() {
    // open-multiple-files.scap describes its containers with JSON container events that
    // carry no image repository, privileged flag nor labels.
    let mut seen = 0;
    each("open-multiple-files.scap", |ev| match ev.num {
        4 => {
            seen += 1;
            assert_eq!(get(ev, "container.id").as_deref(), Some("host"));
            assert_eq!(get(ev, "container.privileged"), None);
            assert_eq!(get(ev, "container.image.repository"), None);
            assert_eq!(get(ev, "k8s.ns.name"), None);
        }
        88 => {
            seen += 1;
            assert_eq!(ev.event.tid, 15778);
            assert_eq!(get(ev, "container.id").as_deref(), Some("ad64969c62e5"));
            assert_eq!(get(ev, "container.name").as_deref(), Some("express_server"));
            // docker container, "privileged" absent from its JSON: false.
            assert_eq!(get(ev, "container.privileged").as_deref(), Some("false"));
            assert!(!cond(ev, "container.privileged=true"));
            assert_eq!(get(ev, "container.image.repository"), None);
            assert_eq!(get(ev, "k8s.ns.name"), None);
        }
        _ => {}
    });
    if capture("open-multiple-files.scap").is_some() {
        assert_eq!(seen, 2);
    }
    // A CRI container event with the image repository, the privileged flag and the pod's
    // labels, and an LXC one (whose privileged status libsinsp does not report).
    let mut r = replayer();
    for (tid, id) in [(20, "0123456789ab"), (21, "ba9876543210")] {
        r.state.threads.insert(
            tid,
            Box::new(Thread {
                tid,
                pid: tid,
                container_id: Some(id.into()),
                ..Default::default()
            }),
        );
    }
    let json = r#"{"container":{"id":"0123456789ab","type":6,"name":"kube-proxy","image":"registry.k8s.io/kube-proxy:v1.28.2","imagerepo":"registry.k8s.io/kube-proxy","imagetag":"v1.28.2","privileged":true,"labels":{"io.kubernetes.pod.namespace":"kube-system","io.kubernetes.pod.name":"kube-proxy-abcde"}}}"#;
    feed(
        &mut r,
        mk("container", Direction::Enter, 0, 0, &[("json", P::S(json))]),
    );
    let lxc = r#"{"container":{"id":"ba9876543210","type":1,"name":"c1","image":"ubuntu","privileged":true}}"#;
    feed(
        &mut r,
        mk("container", Direction::Enter, 0, 0, &[("json", P::S(lxc))]),
    );
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 5, 20, &[("fd", P::I(1))]),
    );
    assert_eq!(get(&ev, "container.id").as_deref(), Some("0123456789ab"));
    assert_eq!(get(&ev, "container.name").as_deref(), Some("kube-proxy"));
    assert_eq!(
        get(&ev, "container.image.repository").as_deref(),
        Some("registry.k8s.io/kube-proxy")
    );
    assert_eq!(get(&ev, "container.privileged").as_deref(), Some("true"));
    assert_eq!(get(&ev, "k8s.ns.name").as_deref(), Some("kube-system"));
    assert!(cond(
        &ev,
        r#"k8s.ns.name = kube-system and container.image.repository = "registry.k8s.io/kube-proxy" and container.privileged=true"#
    ));
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 6, 21, &[("fd", P::I(1))]),
    );
    assert_eq!(get(&ev, "container.image.repository"), None);
    assert_eq!(get(&ev, "container.privileged"), None);
    assert_eq!(get(&ev, "k8s.ns.name"), None);
}

#[test]
fn execve_and_clone_carry_exe_flags_terminal_and_capabilities() {
    let mut r = replayer();
    let cap_sys_module = 1i64 << 16;
    let cap_sys_admin = 1i64 << 21;
    // execve of a memfd-backed binary from the upper layer, on pts/0, with two capabilities.
    let ev = feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            1_000,
            50,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/proc/self/fd/3")),
                ("tid", P::I(50)),
                ("pid", P::I(50)),
                ("ptid", P::I(1)),
                ("comm", P::S("3")),
                ("tty", P::I(34816)),
                ("flags", P::I(6)), // PPM_EXE_UPPER_LAYER | PPM_EXE_FROM_MEMFD
                ("cap_effective", P::I(cap_sys_module | cap_sys_admin)),
            ],
        ),
    );
    assert_eq!(get(&ev, "proc.is_exe_from_memfd").as_deref(), Some("true"));
    assert_eq!(get(&ev, "proc.is_exe_upper_layer").as_deref(), Some("true"));
    assert_eq!(get(&ev, "proc.tty").as_deref(), Some("34816"));
    assert_eq!(
        get(&ev, "thread.cap_effective").as_deref(),
        Some("CAP_SYS_MODULE CAP_SYS_ADMIN")
    );
    assert!(cond(&ev, "proc.is_exe_from_memfd=true"));
    assert!(cond(&ev, "thread.cap_effective icontains sys_module"));
    // The release_agent escape rule's capability test: CAP_SYS_ADMIN, but neither root (the
    // uid is unknown here) nor CAP_DAC_OVERRIDE.
    let escape = "(user.uid=0 or thread.cap_effective contains CAP_DAC_OVERRIDE) and thread.cap_effective contains CAP_SYS_ADMIN";
    assert!(!cond(&ev, escape));
    // No clone was seen for it: no duration.
    assert_eq!(get(&ev, "proc.duration"), None);
    // A fork: the child takes the parent's values and starts its clock at the clone.
    r.apply(mk(
        "clone",
        Direction::Exit,
        2_000,
        50,
        &[
            ("res", P::I(51)),
            ("exe", P::S("/proc/self/fd/3")),
            ("tid", P::I(50)),
            ("pid", P::I(50)),
            ("ptid", P::I(1)),
            ("flags", P::I(0)),
        ],
    ));
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 7_002_000, 51, &[("fd", P::I(0))]),
    );
    assert_eq!(get(&ev, "proc.duration").as_deref(), Some("7000000"));
    assert!(cond(&ev, "proc.duration <= 5000000000"));
    assert_eq!(get(&ev, "proc.is_exe_from_memfd").as_deref(), Some("true"));
    assert_eq!(get(&ev, "proc.tty").as_deref(), Some("34816"));
    assert_eq!(
        get(&ev, "thread.cap_effective").as_deref(),
        Some("CAP_SYS_MODULE CAP_SYS_ADMIN")
    );
    // The child then executes a regular binary: the flags and capabilities are the new
    // ones, the clone time stays.
    let ev = feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            6_000_002_000,
            51,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/bin/sh")),
                ("tid", P::I(51)),
                ("pid", P::I(51)),
                ("ptid", P::I(50)),
                ("comm", P::S("sh")),
                ("tty", P::I(0)),
                ("flags", P::I(0)),
                ("cap_effective", P::I(0)),
            ],
        ),
    );
    assert_eq!(get(&ev, "proc.is_exe_from_memfd").as_deref(), Some("false"));
    assert_eq!(
        get(&ev, "proc.is_exe_upper_layer").as_deref(),
        Some("false")
    );
    assert_eq!(get(&ev, "thread.cap_effective").as_deref(), Some(""));
    assert_eq!(get(&ev, "proc.tty").as_deref(), Some("0"));
    assert_eq!(get(&ev, "proc.duration").as_deref(), Some("6000000000"));
    assert!(!cond(&ev, "proc.duration <= 5000000000"));
}

#[test]
fn process_session_group_login_and_exe_inode_from_the_process_list() {
    // libs/sample.scap: a V9 process list (libs >= 0.10) with sid, vpgid, vpid, loginuid,
    // the capability sets and the executable's inode times; its user list names uid 1000.
    let mut seen = 0;
    let ran = each("libs/sample.scap", |ev| match ev.num {
        96 => {
            // `sudo timeout ... sysdig` run from a login shell of vagrant.
            seen += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("sysdig"));
            assert_eq!(get(ev, "proc.vpid").as_deref(), Some("2987"));
            assert_eq!(get(ev, "proc.sname").as_deref(), Some("sudo"));
            assert_eq!(get(ev, "proc.vpgid.name").as_deref(), Some("timeout"));
            assert_eq!(get(ev, "proc.vpgid.exe").as_deref(), Some("timeout"));
            assert_eq!(get(ev, "proc.is_vpgid_leader").as_deref(), Some("false"));
            assert_eq!(
                get(ev, "proc.exe_ino.ctime").as_deref(),
                Some("1690556973053128604")
            );
            assert_eq!(
                get(ev, "proc.exe_ino.mtime").as_deref(),
                Some("1681205762000000000")
            );
            // Not set from a process list (no clone time): no value.
            assert_eq!(get(ev, "proc.exe_ino.ctime_duration_proc_start"), None);
            assert_eq!(
                get(ev, "thread.cap_permitted"),
                get(ev, "thread.cap_effective")
            );
            assert!(cond(ev, "thread.cap_permitted contains CAP_SYS_ADMIN"));
            assert_eq!(get(ev, "user.uid").as_deref(), Some("0"));
            assert_eq!(get(ev, "user.loginuid").as_deref(), Some("1000"));
            assert_eq!(get(ev, "user.loginname").as_deref(), Some("vagrant"));
            assert!(cond(ev, "user.loginuid != 0 and user.loginuid >= 1000"));
            assert_eq!(get(ev, "proc.exepath").as_deref(), Some("/usr/bin/sysdig"));
            assert_eq!(
                get(ev, "proc.pexepath").as_deref(),
                Some("/usr/bin/timeout")
            );
            assert_eq!(
                ev.extract("proc.aexepath", Some("2")),
                Some(vec!["/usr/bin/bash".to_string()])
            );
            assert_eq!(
                ev.extract("proc.aexe", Some("2")),
                Some(vec!["-bash".to_string()])
            );
            assert_eq!(
                ev.extract("proc.aexe", Some("0")),
                Some(vec!["sysdig".to_string()])
            );
            // Without an index: every ancestor (a filter matches any of them).
            assert!(cond(ev, "proc.aexepath = /usr/sbin/sshd"));
            assert!(cond(ev, r#"proc.aexe startswith "sshd:""#));
            assert!(!cond(ev, "proc.aexe endswith java"));
            assert_eq!(
                get(ev, "evt.hostname").as_deref(),
                Some("ubuntu2204.localdomain")
            );
            assert_eq!(get(ev, "container.start_ts"), None, "host process");
        }
        124 => {
            // A daemon: no login session.
            seen += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("ifplugd"));
            assert_eq!(get(ev, "user.loginuid").as_deref(), Some("-1"));
            assert_eq!(get(ev, "user.loginname"), None);
            assert_eq!(
                get(ev, "proc.pexepath").as_deref(),
                Some("/usr/lib/systemd/systemd")
            );
        }
        125 => {
            // ioctl on a unix socket: the fd table holds files, unix sockets and pipes.
            seen += 1;
            assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("unix"));
            assert_eq!(get(ev, "fd.types").as_deref(), Some("file,unix,pipe"));
            assert!(cond(ev, "fd.types intersects (pipe)"));
            assert_eq!(ev.extract("fd.types", Some("0")), Some(vec!["file".into()]));
            assert_eq!(ev.extract("fd.types", Some("999")), None);
        }
        140 => {
            // A containerd thread: vpid is the process's, and the process leads its group.
            seen += 1;
            assert_eq!(ev.event.tid, 762);
            assert_eq!(get(ev, "proc.vpid").as_deref(), Some("722"));
            assert_eq!(get(ev, "proc.is_vpgid_leader").as_deref(), Some("true"));
            assert_eq!(get(ev, "proc.vpgid.name").as_deref(), Some("containerd"));
        }
        _ => {}
    });
    if ran {
        assert_eq!(seen, 4);
    }
}

#[test]
fn environment_buffer_and_placeholder_threads_from_cat_write() {
    // cat_write.scap: `cat /dev/null` starts with its execve exit; the capture's process list
    // does not have it, so its thread is a placeholder the execve fills (pid, ptid, comm,
    // exe, args, environment) — uid and loginuid stay unknown, as in Falco.
    let mut seen = 0;
    let ran = each("cat_write.scap", |ev| {
        if ev.event.tid != 20072 {
            return;
        }
        if ev.event.name == "execve" {
            seen += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("cat"));
            assert_eq!(get(ev, "proc.pid").as_deref(), Some("20072"));
            assert_eq!(get(ev, "proc.ppid").as_deref(), Some("11310"));
            assert_eq!(get(ev, "proc.pname").as_deref(), Some("bash"));
            assert_eq!(get(ev, "proc.vpid").as_deref(), Some("20072"));
            assert_eq!(get(ev, "user.uid").as_deref(), Some("4294967295"));
            assert_eq!(get(ev, "group.gid").as_deref(), Some("4294967295"));
            assert_eq!(get(ev, "user.name"), None);
            assert_eq!(get(ev, "user.loginuid").as_deref(), Some("-1"));
            // No execve enter event in the file: the exe path is not known.
            assert_eq!(get(ev, "proc.exepath"), None);
            assert_eq!(
                ev.extract("proc.env", Some("SHELL")),
                Some(vec!["/bin/bash".to_string()])
            );
            assert_eq!(
                ev.extract("proc.env", Some("NOT_SET")),
                Some(vec![String::new()])
            );
            let env = get(ev, "proc.env").unwrap();
            assert!(env.starts_with("XDG_SESSION_ID=1 SHELL=/bin/bash TERM=dumb "));
            assert!(cond(ev, r#"proc.env contains "TERM=dumb""#));
            assert!(!cond(ev, "proc.env icontains GLIBC_TUNABLES"));
            assert_eq!(
                ev.extract("proc.aexe", Some("1")),
                Some(vec!["/bin/bash".to_string()])
            );
            // Process list V6: no session or group ids (-1), so the session leader is the
            // process itself and the "group leader" the eldest ancestor sharing -1.
            assert_eq!(get(ev, "proc.sname").as_deref(), Some("cat"));
            assert_eq!(get(ev, "proc.vpgid.name").as_deref(), Some("systemd"));
            assert_eq!(get(ev, "evt.hostname").as_deref(), Some("ubuntu"));
            assert_eq!(get(ev, "evt.buffer"), None, "no data parameter");
        }
        if ev.event.name == "read" && ev.event.direction == Direction::Exit && seen == 1 {
            // The first read: the ELF header of a shared library.
            seen += 1;
            let bytes = ev.buffer_bytes().unwrap();
            assert_eq!(&bytes[..4], b"\x7fELF");
            let buf = get(ev, "evt.buffer").unwrap();
            assert!(buf.starts_with("\u{7f}ELF\u{2}\u{1}\u{1}"));
            assert!(cond(ev, "evt.buffer bcontains 454c46"), "hex of 'ELF'");
            assert!(cond(ev, "evt.buffer contains ELF"));
        }
    });
    if ran {
        assert_eq!(seen, 2);
    }
    // ping_sendto.scap: ping's thread 738 is not in the process list and only sends: its
    // events show libsinsp's placeholder values (and no fd, its table being empty).
    let mut pings = 0;
    each("ping_sendto.scap", |ev| {
        if ev.event.tid == 738 && ev.event.name == "sendmsg" {
            pings += 1;
            assert_eq!(get(ev, "proc.name").as_deref(), Some("<NA>"));
            assert_eq!(get(ev, "proc.exe").as_deref(), Some("<NA>"));
            assert_eq!(get(ev, "proc.cmdline").as_deref(), Some("<NA>"));
            assert_eq!(get(ev, "proc.pid").as_deref(), Some("-1"));
            assert_eq!(get(ev, "proc.ppid"), None);
            assert_eq!(get(ev, "proc.pname"), None);
            assert_eq!(get(ev, "user.uid").as_deref(), Some("4294967295"));
            assert_eq!(get(ev, "user.loginuid").as_deref(), Some("-1"));
            assert_eq!(get(ev, "proc.vpid"), None);
            assert_eq!(get(ev, "fd.name"), None);
            assert!(cond(ev, "proc.name = <NA> and user.uid = 4294967295"));
            if ev.event.direction == Direction::Exit {
                // ICMP echo payload: the timestamp, then bytes 0x10.. counting up.
                assert!(
                    get(ev, "evt.buffer")
                        .unwrap()
                        .ends_with(" !\"#$%&'()*+,-./01234567")
                );
            }
        }
    });
    assert!(
        pings == 20 || capture("ping_sendto.scap").is_none(),
        "{pings}"
    );
}

#[test]
fn placeholder_threads_are_filled_by_execve_and_clone() {
    let mut r = replayer();
    // An event of a thread the capture never described.
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 1, 70, &[("fd", P::I(3))]),
    );
    for (f, v) in [
        ("proc.name", "<NA>"),
        ("proc.exe", "<NA>"),
        ("proc.pid", "-1"),
        ("user.uid", "4294967295"),
        ("group.gid", "4294967295"),
        ("user.loginuid", "-1"),
        ("thread.tid", "70"),
    ] {
        assert_eq!(get(&ev, f).as_deref(), Some(v), "{f}");
    }
    assert_eq!(get(&ev, "proc.ppid"), None);
    assert!(r.state.threads[&70].is_invalid());
    // A fork of it: the caller is patched from the event (pid, ptid, exe, comm, args) and
    // the child takes the event's values, nothing from the unknown caller.
    r.apply(mk(
        "clone",
        Direction::Exit,
        2,
        70,
        &[
            ("res", P::I(71)),
            ("exe", P::S("/usr/sbin/cron")),
            ("args", P::B(b"-f\0")),
            ("tid", P::I(70)),
            ("pid", P::I(70)),
            ("ptid", P::I(1)),
            ("comm", P::S("cron")),
            ("flags", P::I(0)),
            ("uid", P::I(0)),
            ("gid", P::I(0)),
            ("vtid", P::I(70)),
            ("vpid", P::I(70)),
        ],
    ));
    let caller = &r.state.threads[&70];
    assert_eq!(
        (caller.pid, caller.ptid, caller.comm.as_str()),
        (70, 1, "cron")
    );
    assert_eq!(caller.uid, Some(INVALID_ID), "the uid stays unknown");
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 3, 71, &[("fd", P::I(3))]),
    );
    assert_eq!(get(&ev, "proc.cmdline").as_deref(), Some("cron -f"));
    assert_eq!(get(&ev, "proc.pid").as_deref(), Some("71"));
    assert_eq!(get(&ev, "proc.ppid").as_deref(), Some("70"));
    assert_eq!(get(&ev, "proc.pname").as_deref(), Some("cron"));
    assert_eq!(get(&ev, "user.uid").as_deref(), Some("0"));
    assert_eq!(get(&ev, "user.loginuid").as_deref(), Some("-1"));
    // The child execs: its thread takes the new program; an execve of another unknown
    // thread patches its parent from the event too.
    let ev = feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            4,
            72,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/bin/sh")),
                ("args", P::B(b"-c\0id\0")),
                ("tid", P::I(72)),
                ("pid", P::I(72)),
                ("ptid", P::I(71)),
                ("comm", P::S("sh")),
                ("loginuid", P::I(1000)),
                ("uid", P::I(1000)),
            ],
        ),
    );
    assert_eq!(get(&ev, "proc.cmdline").as_deref(), Some("sh -c id"));
    assert_eq!(get(&ev, "proc.ppid").as_deref(), Some("71"));
    assert_eq!(get(&ev, "proc.aname[2]"), None);
    assert_eq!(
        ev.extract("proc.aname", Some("2")),
        Some(vec!["cron".to_string()])
    );
    assert_eq!(get(&ev, "user.uid").as_deref(), Some("1000"));
    assert_eq!(get(&ev, "user.loginuid").as_deref(), Some("1000"));
    assert_eq!(get(&ev, "group.gid").as_deref(), Some("4294967295"));
    assert!(!r.state.threads[&72].is_invalid());
}

#[test]
fn clone_thread_flag_makes_a_thread_of_the_process() {
    // libs/curl_google.scap: curl's resolver thread 17498 is created by a clone with
    // PPM_CL_CLONE_THREAD (flags 0xba03): it belongs to process 17497.
    let mut seen = 0;
    each("libs/curl_google.scap", |ev| {
        if ev.event.tid == 17498 && ev.event.name == "clone" {
            seen += 1;
            assert_eq!(get(ev, "proc.pid").as_deref(), Some("17497"));
            assert_eq!(get(ev, "proc.ppid").as_deref(), Some("3200"));
            assert_eq!(get(ev, "proc.vpid").as_deref(), Some("17497"));
            assert_eq!(get(ev, "thread.tid").as_deref(), Some("17498"));
            assert_eq!(get(ev, "user.uid").as_deref(), Some("1000"));
        }
    });
    assert!(seen == 1 || capture("libs/curl_google.scap").is_none());
}

#[test]
fn socket_family_client_and_remote_networks_from_captures() {
    let mut seen = 0;
    each("libs/curl_google.scap", |ev| match ev.num {
        1189 => {
            // UDP connect to the DNS server; the client address is the machine's (an
            // interface of the capture), so it is the local end.
            seen += 1;
            assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("ip"));
            assert_eq!(
                get(ev, "fd.cnet").as_deref(),
                Some("2600:1f18:262c:6542:9aa6:df7a:9a47:d29e")
            );
            assert_eq!(get(ev, "fd.rnet").as_deref(), Some("2001:4860:4860::8888"));
            assert_eq!(get(ev, "fd.rip"), get(ev, "fd.rnet"));
            assert_eq!(get(ev, "fd.lip"), get(ev, "fd.cnet"));
            assert_eq!(get(ev, "fd.lport").as_deref(), Some("40251"));
            assert_eq!(get(ev, "fd.rport").as_deref(), Some("53"));
            assert!(cond(ev, r#"fd.rnet in ("2001:4860::/32")"#));
            assert!(cond(ev, r#"fd.cnet = "2600:1f18::/32""#));
            assert!(!cond(ev, r#"fd.cnet in ("10.0.0.0/8", "172.16.0.0/12")"#));
            // No DNS manager offline: no names.
            for f in ["fd.cip.name", "fd.lip.name", "fd.rip.name", "fd.sip.name"] {
                assert_eq!(get(ev, f), None, "{f}");
            }
        }
        1010 => {
            // The socket before connect: no role yet, so no network.
            seen += 1;
            assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("ip"));
            assert_eq!(get(ev, "fd.cnet"), None);
            assert_eq!(get(ev, "fd.rnet"), None);
        }
        1057 => {
            // The nscd unix socket.
            seen += 1;
            assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("unix"));
            assert_eq!(get(ev, "fd.cnet"), None);
        }
        _ => {}
    });
    if capture("libs/curl_google.scap").is_some() {
        assert_eq!(seen, 3);
    }
    // The server side of a connection between two addresses of the machine (the same /64):
    // libsinsp takes the client end as the local one.
    let mut accepted = 0;
    each("libs/single_ipv6_conn.scap", |ev| {
        if ev.event.name == "accept" && ev.event.direction == Direction::Exit {
            accepted += 1;
            assert_eq!(get(ev, "fd.cnet").as_deref(), Some("2001:db8::4"));
            assert_eq!(get(ev, "fd.rnet").as_deref(), Some("2001:db8::3"));
            assert_eq!(get(ev, "fd.lport").as_deref(), Some("54405"));
            assert_eq!(get(ev, "fd.rport").as_deref(), Some("1234"));
        }
    });
    assert!(accepted == 1 || capture("libs/single_ipv6_conn.scap").is_none());
    // IPv4 on a host whose interface is 10.0.0.5: an accepted connection from outside has
    // its client end remote.
    let mut r = replayer();
    r.state.ipv4_interfaces.push("10.0.0.5".parse().unwrap());
    let tuple = |c: [u8; 4], cp: u16, s: [u8; 4], sp: u16| {
        let mut b = vec![2u8];
        b.extend(c);
        b.extend(cp.to_le_bytes());
        b.extend(s);
        b.extend(sp.to_le_bytes());
        b
    };
    let t = tuple([203, 0, 113, 9], 51000, [10, 0, 0, 5], 443);
    let ev = feed(
        &mut r,
        mk(
            "accept",
            Direction::Exit,
            1,
            80,
            &[("fd", P::I(5)), ("tuple", P::B(&t))],
        ),
    );
    assert_eq!(
        get(&ev, "fd.name").as_deref(),
        Some("203.0.113.9:51000->10.0.0.5:443")
    );
    assert_eq!(get(&ev, "fd.lip").as_deref(), Some("10.0.0.5"));
    assert_eq!(get(&ev, "fd.lport").as_deref(), Some("443"));
    assert_eq!(get(&ev, "fd.rip").as_deref(), Some("203.0.113.9"));
    assert_eq!(get(&ev, "fd.rnet").as_deref(), Some("203.0.113.9"));
    assert_eq!(get(&ev, "fd.cnet").as_deref(), Some("203.0.113.9"));
    assert!(!cond(
        &ev,
        r#"fd.rnet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")"#
    ));
    assert!(cond(&ev, r#"fd.cnet in ("203.0.113.0/24")"#));
    // The same connection seen from a client on this host: its own end is local.
    let t = tuple([10, 0, 0, 5], 40000, [93, 184, 216, 34], 80);
    feed(
        &mut r,
        mk("connect", Direction::Enter, 2, 80, &[("fd", P::I(6))]),
    );
    let ev = feed(
        &mut r,
        mk(
            "connect",
            Direction::Exit,
            3,
            80,
            &[("res", P::I(0)), ("tuple", P::B(&t)), ("fd", P::I(6))],
        ),
    );
    assert_eq!(get(&ev, "fd.lip").as_deref(), Some("10.0.0.5"));
    assert_eq!(get(&ev, "fd.rip").as_deref(), Some("93.184.216.34"));
    assert_eq!(get(&ev, "fd.rport").as_deref(), Some("80"));
    // fd.types of the thread: two IPv4 sockets.
    assert_eq!(get(&ev, "fd.types").as_deref(), Some("ipv4"));
}

#[test]
fn open_with_exec_mode() {
    let mut r = replayer();
    let o_creat = 1 << 2 | 2; // O_CREAT | O_WRONLY
    let openat = |r: &mut Inspector, ts, flags: i64, mode: i64| {
        feed(
            r,
            mk(
                "openat",
                Direction::Exit,
                ts,
                90,
                &[
                    ("fd", P::I(3)),
                    ("dirfd", P::I(-100)),
                    ("name", P::S("/tmp/x")),
                    ("flags", P::I(flags)),
                    ("mode", P::I(mode)),
                ],
            ),
        );
        get(&r.current().unwrap(), "evt.is_open_exec").unwrap()
    };
    // Modes are PPM_S_* bits, which follow the octal permission bits.
    assert_eq!(openat(&mut r, 1, o_creat, 0o755), "true");
    assert_eq!(openat(&mut r, 2, o_creat, 0o644), "false");
    assert_eq!(openat(&mut r, 3, 1 << 13 | 2, 0o700), "true", "O_TMPFILE");
    // Without O_CREAT the mode is not looked at.
    assert_eq!(openat(&mut r, 4, 2, 0o755), "false");
    let ev = feed(
        &mut r,
        mk(
            "creat",
            Direction::Exit,
            5,
            90,
            &[
                ("fd", P::I(4)),
                ("name", P::S("/tmp/y")),
                ("mode", P::I(0o711)),
            ],
        ),
    );
    assert_eq!(get(&ev, "evt.is_open_exec").as_deref(), Some("true"));
    assert!(cond(&ev, "evt.is_open_exec=true"));
    // The new openat's enter event is not one libsinsp checks; other events are false.
    let ev = feed(
        &mut r,
        mk(
            "openat",
            Direction::Enter,
            6,
            90,
            &[
                ("dirfd", P::I(-100)),
                ("name", P::S("/tmp/z")),
                ("flags", P::I(o_creat)),
                ("mode", P::I(0o755)),
            ],
        ),
    );
    assert_eq!(get(&ev, "evt.is_open_exec").as_deref(), Some("false"));
    // From a capture: cat's opens are read-only.
    let mut opens = 0;
    each("cat_write.scap", |ev| {
        if ev.event.name == "open" && ev.event.direction == Direction::Exit {
            opens += 1;
            assert_eq!(get(ev, "evt.is_open_exec").as_deref(), Some("false"));
        }
    });
    assert!(opens == 4 || capture("cat_write.scap").is_none());
}

#[test]
fn container_mounts_start_time_and_pod_name() {
    let mut r = replayer();
    r.state.boot_ts_epoch = 1_700_000_000_000_000_000;
    let json = r#"{"container":{"id":"0123456789ab","type":6,"name":"web","image":"nginx","ip":"172.17.0.2","labels":{"io.kubernetes.pod.namespace":"default","io.kubernetes.pod.name":"web-7d9c"},"Mounts":[{"Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","Mode":"","RW":true,"Propagation":"rprivate"},{"Source":"/etc","Destination":"/host/etc","Mode":"ro","RW":false,"Propagation":"rprivate"}]}}"#;
    feed(
        &mut r,
        mk("container", Direction::Enter, 0, 0, &[("json", P::S(json))]),
    );
    // The container's init, created by its own clone exit (in a new pid namespace whose
    // start the event gives relative to boot).
    let cg = b"cpuset=/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0";
    let ev = feed(
        &mut r,
        mk(
            "clone",
            Direction::Exit,
            10,
            500,
            &[
                ("res", P::I(0)),
                ("exe", P::S("nginx")),
                ("tid", P::I(500)),
                ("pid", P::I(500)),
                ("ptid", P::I(400)),
                ("comm", P::S("nginx")),
                ("cgroups", P::B(cg)),
                ("flags", P::I(1 << 29)), // PPM_CL_CHILD_IN_PIDNS
                ("uid", P::I(0)),
                ("gid", P::I(0)),
                ("vtid", P::I(1)),
                ("vpid", P::I(1)),
                ("pidns_init_start_ts", P::I(5_000_000_000)),
            ],
        ),
    );
    assert_eq!(get(&ev, "container.id").as_deref(), Some("0123456789ab"));
    assert_eq!(get(&ev, "proc.vpid").as_deref(), Some("1"));
    assert!(cond(&ev, "proc.vpid=1 and container.id != host"));
    assert_eq!(
        get(&ev, "container.start_ts").as_deref(),
        Some("1700000005000000000")
    );
    assert_eq!(get(&ev, "k8s.pod.name").as_deref(), Some("web-7d9c"));
    assert!(cond(&ev, "k8s.pod.name startswith web"));
    assert_eq!(
        get(&ev, "container.mounts").as_deref(),
        Some(
            "/var/run/docker.sock:/var/run/docker.sock::true:rprivate,/etc:/host/etc:ro:false:rprivate"
        )
    );
    assert_eq!(
        ev.extract("container.mount.dest", Some("/etc")),
        Some(vec!["/host/etc".to_string()])
    );
    assert_eq!(
        ev.extract("container.mount.dest", Some("0")),
        Some(vec!["/var/run/docker.sock".to_string()])
    );
    assert_eq!(
        ev.extract("container.mount.dest", Some("/var/run/*")),
        Some(vec!["/var/run/docker.sock".to_string()])
    );
    assert_eq!(ev.extract("container.mount.dest", Some("/home")), None);
    assert_eq!(ev.extract("container.mount.dest", Some("2")), None);
    // A socket of the container: its own address (the container's ip) is the local end.
    let mut t = vec![2u8];
    t.extend([172, 17, 0, 2]);
    t.extend(33000u16.to_le_bytes());
    t.extend([10, 1, 2, 3]);
    t.extend(5432u16.to_le_bytes());
    feed(
        &mut r,
        mk("connect", Direction::Enter, 20, 500, &[("fd", P::I(7))]),
    );
    let ev = feed(
        &mut r,
        mk(
            "connect",
            Direction::Exit,
            21,
            500,
            &[("res", P::I(0)), ("tuple", P::B(&t)), ("fd", P::I(7))],
        ),
    );
    assert_eq!(get(&ev, "fd.lip").as_deref(), Some("172.17.0.2"));
    assert_eq!(get(&ev, "fd.rnet").as_deref(), Some("10.1.2.3"));
    assert!(cond(&ev, r#"fd.rnet in ("10.0.0.0/8")"#));
    // Host processes have none of these.
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 30, 1, &[("fd", P::I(1))]),
    );
    for f in ["container.mounts", "container.start_ts", "k8s.pod.name"] {
        assert_eq!(get(&ev, f), None, "{f}");
    }
}

#[test]
fn parent_duration_and_exe_ctime_to_process_start() {
    let mut r = replayer();
    // A shell (from an execve) forks at t=1s; the child forks at t=3s; the grandchild then
    // runs a binary whose inode changed 500ms before the grandchild was cloned.
    feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            1,
            100,
            &[
                ("res", P::I(0)),
                ("exe", P::S("sh")),
                ("pid", P::I(100)),
                ("ptid", P::I(1)),
                ("comm", P::S("sh")),
            ],
        ),
    );
    let fork = |r: &mut Inspector, ts, caller: i64, child: i64| {
        r.apply(mk(
            "clone",
            Direction::Exit,
            ts,
            caller as u64,
            &[
                ("res", P::I(child)),
                ("exe", P::S("sh")),
                ("pid", P::I(caller)),
                ("ptid", P::I(1)),
                ("comm", P::S("sh")),
                ("flags", P::I(0)),
                ("uid", P::I(0)),
                ("gid", P::I(0)),
            ],
        ));
    };
    fork(&mut r, 1_000_000_000, 100, 101);
    fork(&mut r, 3_000_000_000, 101, 102);
    let ev = feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            4_000_000_000,
            102,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/tmp/x")),
                ("pid", P::I(102)),
                ("ptid", P::I(101)),
                ("comm", P::S("x")),
                ("exe_ino", P::I(4242)),
                ("exe_ino_ctime", P::I(2_500_000_000)),
                ("exe_ino_mtime", P::I(2_400_000_000)),
            ],
        ),
    );
    assert_eq!(
        get(&ev, "proc.ppid.duration").as_deref(),
        Some("3000000000")
    );
    assert_eq!(get(&ev, "proc.duration").as_deref(), Some("1000000000"));
    assert_eq!(
        get(&ev, "proc.exe_ino.ctime").as_deref(),
        Some("2500000000")
    );
    assert_eq!(
        get(&ev, "proc.exe_ino.mtime").as_deref(),
        Some("2400000000")
    );
    assert_eq!(
        get(&ev, "proc.exe_ino.ctime_duration_proc_start").as_deref(),
        Some("500000000")
    );
    assert!(cond(
        &ev,
        "proc.exe_ino.ctime_duration_proc_start <= 1000000000 and proc.ppid.duration > 0"
    ));
    // The shell's parent (pid 1, not cloned in the capture): no duration.
    let ev = feed(
        &mut r,
        mk(
            "close",
            Direction::Enter,
            5_000_000_000,
            100,
            &[("fd", P::I(1))],
        ),
    );
    assert_eq!(get(&ev, "proc.ppid.duration"), None);
    // The child inherits the exe inode values on fork.
    fork(&mut r, 6_000_000_000, 102, 103);
    let ev = feed(
        &mut r,
        mk(
            "close",
            Direction::Enter,
            6_000_000_100,
            103,
            &[("fd", P::I(1))],
        ),
    );
    assert_eq!(
        get(&ev, "proc.exe_ino.ctime_duration_proc_start").as_deref(),
        Some("500000000")
    );
    assert_eq!(
        get(&ev, "proc.ppid.duration").as_deref(),
        Some("3000000100")
    );
}

#[test]
fn execve_closes_the_close_on_exec_fds() {
    let mut r = replayer();
    let o_cloexec = 1 << 12;
    let open = |r: &mut Inspector, ts, fd: i64, name, flags: i64| {
        r.apply(mk(
            "openat",
            Direction::Exit,
            ts,
            60,
            &[
                ("fd", P::I(fd)),
                ("dirfd", P::I(-100)),
                ("name", P::S(name)),
                ("flags", P::I(flags)),
            ],
        ));
    };
    open(&mut r, 1, 3, "/etc/ld.so.cache", 1 | o_cloexec);
    open(&mut r, 2, 4, "/var/log/app.log", 2);
    r.apply(mk(
        "pipe2",
        Direction::Exit,
        3,
        60,
        &[
            ("res", P::I(0)),
            ("fd1", P::I(5)),
            ("fd2", P::I(6)),
            ("flags", P::I(o_cloexec)),
        ],
    ));
    // socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
    feed(
        &mut r,
        mk(
            "socket",
            Direction::Enter,
            4,
            60,
            &[
                ("domain", P::I(2)),
                ("type", P::I(1 | 0o2000000)),
                ("proto", P::I(0)),
            ],
        ),
    );
    r.apply(mk("socket", Direction::Exit, 5, 60, &[("fd", P::I(7))]));
    // dup2 of the close-on-exec library fd: the copy survives exec; dup3 with O_CLOEXEC
    // of the log fd: the copy does not.
    r.apply(mk(
        "dup2",
        Direction::Exit,
        6,
        60,
        &[("res", P::I(8)), ("oldfd", P::I(3)), ("newfd", P::I(8))],
    ));
    r.apply(mk(
        "dup3",
        Direction::Exit,
        7,
        60,
        &[
            ("res", P::I(9)),
            ("oldfd", P::I(4)),
            ("newfd", P::I(9)),
            ("flags", P::I(o_cloexec)),
        ],
    ));
    let fds = |r: &Inspector| {
        let mut v: Vec<i64> = r.state.threads[&60].fds.keys().copied().collect();
        v.sort_unstable();
        v
    };
    assert_eq!(fds(&r), [3, 4, 5, 6, 7, 8, 9]);
    // A failed execve changes nothing.
    r.apply(mk(
        "execve",
        Direction::Exit,
        8,
        60,
        &[("res", P::I(-2)), ("exe", P::S("/nonexistent"))],
    ));
    assert_eq!(fds(&r), [3, 4, 5, 6, 7, 8, 9]);
    let ev = feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            9,
            60,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/bin/true")),
                ("pid", P::I(60)),
                ("ptid", P::I(1)),
                ("comm", P::S("true")),
            ],
        ),
    );
    assert_eq!(get(&ev, "proc.name").as_deref(), Some("true"));
    assert_eq!(fds(&r), [4, 8]);
    let ev = feed(
        &mut r,
        mk(
            "read",
            Direction::Enter,
            10,
            60,
            &[("fd", P::I(8)), ("size", P::I(10))],
        ),
    );
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/etc/ld.so.cache"));
    let ev = feed(
        &mut r,
        mk(
            "read",
            Direction::Enter,
            11,
            60,
            &[("fd", P::I(3)), ("size", P::I(10))],
        ),
    );
    assert_eq!(get(&ev, "fd.name"), None);
    // Files of the fd list (SCAP_FD_FILE_V2 entries carry the open flags, O_CLOEXEC
    // included) are closed the same way.
    let file = |fd, open_flags| {
        fd_entry(&FdInfo {
            fd,
            ino: 0,
            fd_type: 16,
            detail: FdDetail::File {
                open_flags,
                name: format!("/f{fd}"),
                dev: None,
            },
        })
    };
    let mut t = Thread::placeholder(61);
    t.fds.insert(0, file(0, 2));
    t.fds.insert(3, file(3, 1 | 1 << 12));
    r.state.threads.insert(61, Box::new(t));
    r.apply(mk(
        "execve",
        Direction::Exit,
        12,
        61,
        &[
            ("res", P::I(0)),
            ("exe", P::S("/bin/true")),
            ("pid", P::I(61)),
            ("ptid", P::I(1)),
        ],
    ));
    assert_eq!(r.state.threads[&61].fds.keys().collect::<Vec<_>>(), [&0]);
}

/// A web application (`php-fpm` under `nginx`) in `/var/www/html/` for the failed-open tests.
fn web_app(r: &mut Inspector, parent: &str) {
    for (tid, ptid, comm, cwd) in [(30, 1, parent, "/"), (31, 30, "php-fpm", "/var/www/html/")] {
        r.state.threads.insert(
            tid,
            Box::new(Thread {
                tid,
                pid: tid,
                ptid,
                vtid: tid as i64,
                vpid: tid as i64,
                comm: comm.into(),
                exe: comm.into(),
                cwd: cwd.into(),
                uid: Some(33),
                ..Default::default()
            }),
        );
    }
}

/// An openat of `name` relative to the cwd (or `dirfd`) by thread 31, enter and exit.
fn openat_pair(ts: u64, dirfd: i64, name: &str, res: i64) -> [Event; 2] {
    let args = |fd: Option<i64>| {
        let mut a = vec![
            ("dirfd", P::I(dirfd)),
            ("name", P::S(name)),
            ("flags", P::I(1)), // O_RDONLY
        ];
        if let Some(fd) = fd {
            a.insert(0, ("fd", P::I(fd)));
        }
        a
    };
    [
        mk("openat", Direction::Enter, ts, 31, &args(None)),
        mk("openat", Direction::Exit, ts + 1, 31, &args(Some(res))),
    ]
}

#[test]
fn failed_opens_have_libsinsp_fd_fields_without_an_fd() {
    // libsinsp gives a failed open no fd info: `extract_from_null_fd` (sinsp_filtercheck_fd.cpp)
    // answers fd.name/fd.directory from the event (`extract_fdname_from_creator`: openat's path
    // resolved with `parse_dirfd` + `concatenate_paths`), fd.nameraw the path as passed,
    // fd.typechar 'f' for the open family; fd.num is `m_lastevent_fd`, -1 (libs test
    // `parse_open_failure`: fd.num -1, fd.name and fd.directory from the syscall, no
    // fd.filename, typechar f); fd.type and fd.filename have no value; no fd is added.
    let mut r = replayer();
    web_app(&mut r, "nginx");
    let [enter, exit] = openat_pair(10, -100, "../../../etc/shadow", -2);
    let ev = feed(&mut r, enter);
    // The enter event: no name yet (`extract_fdname_from_creator` answers exits only), but the
    // open family's fd.num (-1) and fd.typechar.
    assert_eq!(get(&ev, "fd.num").as_deref(), Some("-1"));
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("f"));
    assert_eq!(get(&ev, "fd.name"), None);
    assert_eq!(get(&ev, "fd.nameraw"), None);
    assert_eq!(get(&ev, "evt.res"), None);
    let ev = feed(&mut r, exit);
    assert_eq!(get(&ev, "evt.res").as_deref(), Some("ENOENT"));
    assert_eq!(get(&ev, "fd.num").as_deref(), Some("-1"));
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("f"));
    assert_eq!(get(&ev, "fd.type"), None);
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/etc/shadow"));
    assert_eq!(
        get(&ev, "fd.nameraw").as_deref(),
        Some("../../../etc/shadow")
    );
    assert_eq!(get(&ev, "fd.directory").as_deref(), Some("/etc"));
    assert_eq!(get(&ev, "fd.filename"), None);
    assert_eq!(get(&ev, "fd.l4proto"), None);
    let open_file_failed = "evt.type in (open,openat,openat2) and fd.typechar='f' and fd.num=-1 and evt.res startswith E";
    assert!(cond(&ev, open_file_failed));
    assert!(!cond(
        &ev,
        "evt.type in (open,openat,openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0"
    ));
    assert!(cond(&ev, "fd.name startswith /etc/"));
    assert!(r.state.threads[&31].fds.is_empty(), "no fd added");
    // Relative to a directory fd; EACCES.
    let [enter, exit] = openat_pair(20, -100, "/srv/app", 5);
    r.apply(enter);
    r.apply(exit);
    let ev = feed(
        &mut r,
        mk("close", Direction::Enter, 22, 31, &[("fd", P::I(9))]),
    );
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("o"), "unknown fd");
    let [enter, exit] = openat_pair(30, 5, "../../root/.ssh//id_rsa", -13);
    r.apply(enter);
    let ev = feed(&mut r, exit);
    assert_eq!(get(&ev, "evt.res").as_deref(), Some("EACCES"));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/root/.ssh/id_rsa"));
    assert_eq!(
        get(&ev, "fd.nameraw").as_deref(),
        Some("../../root/.ssh/id_rsa")
    );
    assert_eq!(get(&ev, "fd.directory").as_deref(), Some("/root/.ssh"));
    assert!(cond(&ev, open_file_failed));
    assert_eq!(
        r.state.threads[&31].fds.keys().collect::<Vec<_>>(),
        [&5],
        "only the directory fd"
    );
    // A failed open/creat: their path resolved against the cwd, also -1 and 'f'.
    feed(
        &mut r,
        mk(
            "creat",
            Direction::Enter,
            40,
            31,
            &[("name", P::S("x.php"))],
        ),
    );
    let ev = feed(
        &mut r,
        mk(
            "creat",
            Direction::Exit,
            41,
            31,
            &[("fd", P::I(-30)), ("name", P::S("x.php"))],
        ),
    );
    assert_eq!(get(&ev, "evt.res").as_deref(), Some("EROFS"));
    assert_eq!(get(&ev, "fd.num").as_deref(), Some("-1"));
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("f"));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/var/www/html/x.php"));
    assert_eq!(get(&ev, "fd.directory").as_deref(), Some("/var/www/html"));
    // Other events without an fd: libsinsp's typechar by syscall ("not accurate" IPv4 for
    // socket), and the directory of an empty name ("/") on exits.
    feed(
        &mut r,
        mk(
            "socket",
            Direction::Enter,
            50,
            31,
            &[("domain", P::I(10)), ("type", P::I(2)), ("proto", P::I(0))],
        ),
    );
    let ev = feed(
        &mut r,
        mk("socket", Direction::Exit, 51, 31, &[("fd", P::I(-24))]),
    );
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("4"));
    assert_eq!(get(&ev, "fd.num").as_deref(), Some("-1"));
    let ev = feed(
        &mut r,
        mk("read", Direction::Exit, 52, 31, &[("res", P::I(-9))]),
    );
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("o"));
    assert_eq!(get(&ev, "fd.directory").as_deref(), Some("/"));
    assert_eq!(get(&ev, "fd.name"), None);
    // Events that use no fd have none of these.
    let ev = feed(
        &mut r,
        mk("getcwd", Direction::Exit, 53, 31, &[("res", P::I(0))]),
    );
    for f in ["fd.typechar", "fd.directory", "fd.num", "fd.name"] {
        assert_eq!(get(&ev, f), None, "{f}");
    }
    assert_eq!(path_dir_of("/etc/"), "/etc/");
    assert_eq!(path_dir_of("shadow"), "/");
}

fn path_dir_of(name: &str) -> &str {
    super::fields::path_dir(name)
}

#[test]
fn directory_traversal_rule_fires_on_a_failed_open() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/falco/rules/falcosecurity-rules/falco_rules.yaml");
    if !rules.is_file() {
        eprintln!(
            "skipped: {} is absent (the fields are tested without it)",
            rules.display()
        );
        return;
    }
    let mut engine = crate::RulesEngine::default();
    assert!(engine.load_file(&rules).successful());
    let d = Detector::new(&engine, "syscall", &crate::detect::RunOptions::default());
    let run = |parent: &str, name: &str, res: i64| {
        let mut r = replayer();
        web_app(&mut r, parent);
        let mut alerts = Vec::new();
        for ev in openat_pair(100, -100, name, res) {
            r.apply(ev);
            let ev = r.current().unwrap();
            d.process(ev.ts_ns(), &ev, &mut alerts);
        }
        alerts
    };
    // `(open_read or open_file_failed) and etc_dir and directory_traversal and not proc.pname in
    // (shell_binaries)`: a failed openat of ../../../etc/shadow by php-fpm under nginx.
    for res in [-2, -13] {
        let alerts = run("nginx", "../../../etc/shadow", res);
        assert_eq!(alerts.len(), 1, "{res}: {alerts:?}");
        let a = &alerts[0];
        assert_eq!(a.rule, "Directory traversal monitored file read");
        assert_eq!(a.ts_ns, 101, "the exit event");
        assert!(
            a.output.starts_with(
                "Read monitored file via directory traversal | file=/etc/shadow fileraw=../../../etc/shadow "
            ),
            "{}",
            a.output
        );
        assert!(a.output.contains(" evt_type=openat "), "{}", a.output);
        assert!(a.output.contains(" process=php-fpm "), "{}", a.output);
        assert!(a.output.contains(" parent=nginx "), "{}", a.output);
    }
    // The exceptions and non-matches: a shell parent, an absolute path, a successful open
    // (open_read with the traversal still fires).
    assert!(run("bash", "../../../etc/shadow", -2).is_empty());
    assert!(run("nginx", "/etc/shadow", -2).is_empty());
    assert!(run("nginx", "../../../tmp/x", -2).is_empty());
    let ok = run("nginx", "../../../etc/shadow", 7);
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].rule, "Directory traversal monitored file read");
}

/// The pod identity a CRI runtime gives (libsinsp's CRI engine / container plugin): uid label,
/// sandbox, pod labels (without `io.kubernetes.*`), pod IP; container labels and namespace sharing.
#[test]
fn cri_pod_identity_fields() {
    let mut r = replayer();
    let sandbox = "5639be937200".to_string() + &"ab".repeat(26);
    let json = format!(
        r#"{{"container":{{"id":"0123456789ab","type":7,"name":"api","image":"app:1","ip":"10.88.0.7","host_network":true,"labels":{{"io.kubernetes.pod.namespace":"payments","io.kubernetes.pod.name":"checkout-5d8f","io.kubernetes.pod.uid":"7c0ffee0","zone":"b","team":""}},"pod_sandbox_id":"{sandbox}","pod_sandbox_labels":{{"app":"checkout","io.kubernetes.pod.uid":"7c0ffee0","tier":""}},"cni_json":"{{}}"}}}}"#
    );
    feed(
        &mut r,
        mk(
            "container",
            Direction::Enter,
            0,
            0,
            &[("json", P::S(&json))],
        ),
    );
    let cg = b"cpuset=/kubepods/besteffort/pod7c0ffee0/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0";
    let ev = feed(
        &mut r,
        mk(
            "clone",
            Direction::Exit,
            10,
            500,
            &[
                ("res", P::I(0)),
                ("exe", P::S("app")),
                ("tid", P::I(500)),
                ("pid", P::I(500)),
                ("ptid", P::I(400)),
                ("comm", P::S("app")),
                ("cgroups", P::B(cg)),
                ("flags", P::I(0)),
                ("uid", P::I(0)),
                ("gid", P::I(0)),
            ],
        ),
    );
    let g = |f: &str| get(&ev, f);
    assert_eq!(g("container.type").as_deref(), Some("containerd"));
    assert_eq!(g("k8s.pod.uid").as_deref(), Some("7c0ffee0"));
    assert_eq!(g("k8s.pod.id").as_deref(), Some("7c0ffee0"));
    assert_eq!(g("k8s.pod.sandbox_id").as_deref(), Some("5639be937200"));
    assert_eq!(g("k8s.pod.full_sandbox_id"), Some(sandbox));
    assert_eq!(g("k8s.pod.labels").as_deref(), Some("app:checkout, tier"));
    let arg = |f: &str, a: &str| ev.extract(f, Some(a)).map(|v| v.join(","));
    assert_eq!(arg("k8s.pod.label", "app").as_deref(), Some("checkout"));
    assert!(cond(&ev, "k8s.pod.label.app = checkout"));
    assert_eq!(arg("k8s.pod.label", "nope"), None);
    assert_eq!(g("k8s.pod.ip").as_deref(), Some("10.88.0.7"));
    assert_eq!(g("k8s.pod.cni.json").as_deref(), Some("{}"));
    assert_eq!(g("container.labels").as_deref(), Some("team, zone:b"));
    assert_eq!(arg("container.label", "zone").as_deref(), Some("b"));
    assert_eq!(g("container.host_network").as_deref(), Some("true"));
    assert_eq!(g("container.host_pid").as_deref(), Some("false"));
    assert!(cond(
        &ev,
        "k8s.pod.label[app] = checkout and k8s.ns.name = payments"
    ));
}
