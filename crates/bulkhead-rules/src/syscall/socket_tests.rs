//! Socket state of the replay: tuples, UDP send/receive, bind (libsinsp parsers.cpp semantics).

use super::fields::socket_tuple;
use super::rule_field_tests::{P, capture, cond, each, feed, get, mk, replayer};
use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

#[test]
fn tuples() {
    assert_eq!(
        socket_tuple("10.0.0.1:34567->93.184.216.34:443"),
        Some((("10.0.0.1", "34567"), ("93.184.216.34", "443")))
    );
    assert_eq!(
        socket_tuple("::1:5000->::1:80"),
        Some((("::1", "5000"), ("::1", "80")))
    );
    assert_eq!(socket_tuple("0.0.0.0:80"), None);
}

/// A `PT_SOCKTUPLE` as the driver packs it (family, source, source port, destination, ...).
fn tuple4(s: [u8; 4], sp: u16, d: [u8; 4], dp: u16) -> Vec<u8> {
    let mut b = vec![2u8];
    b.extend(s);
    b.extend(sp.to_le_bytes());
    b.extend(d);
    b.extend(dp.to_le_bytes());
    b
}

/// A `PT_SOCKADDR` (family, address, port; a unix path).
fn addr4(ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut b = vec![2u8];
    b.extend(ip);
    b.extend(port.to_le_bytes());
    b
}

fn addr6(ip: Ipv6Addr, port: u16) -> Vec<u8> {
    let mut b = vec![10u8];
    b.extend(ip.octets());
    b.extend(port.to_le_bytes());
    b
}

/// A host with a loopback and one interface, 10.0.0.5/24 (interfaces in capture order).
fn host() -> Inspector {
    let mut r = replayer();
    for (a, m) in [
        ([127, 0, 0, 1], [255, 0, 0, 0]),
        ([10, 0, 0, 5], [255, 255, 255, 0]),
    ] {
        r.state.ipv4_interfaces.push(Ipv4Addr::from(a));
        r.state.ipv4_netmasks.push(Ipv4Addr::from(m));
    }
    r
}

/// socket(domain, type, 0) = fd by thread `tid`.
fn socket(r: &mut Inspector, ts: u64, tid: u64, domain: i64, ty: i64, fd: i64) {
    r.apply(mk(
        "socket",
        Direction::Enter,
        ts,
        tid,
        &[
            ("domain", P::I(domain)),
            ("type", P::I(ty)),
            ("proto", P::I(0)),
        ],
    ));
    r.apply(mk(
        "socket",
        Direction::Exit,
        ts + 1,
        tid,
        &[("fd", P::I(fd))],
    ));
}

/// sendto(fd, tuple) = res: the tuple is in the enter event (old layouts).
fn sendto<'r>(
    r: &'r mut Inspector,
    ts: u64,
    tid: u64,
    fd: i64,
    t: &[u8],
    res: i64,
) -> SyscallEvent<'r> {
    r.apply(mk(
        "sendto",
        Direction::Enter,
        ts,
        tid,
        &[("fd", P::I(fd)), ("size", P::I(5)), ("tuple", P::B(t))],
    ));
    feed(
        r,
        mk(
            "sendto",
            Direction::Exit,
            ts + 1,
            tid,
            &[("res", P::I(res)), ("data", P::B(b"hello"))],
        ),
    )
}

/// recvfrom(fd) = res with the tuple of the exit event.
fn recvfrom<'r>(r: &'r mut Inspector, ts: u64, tid: u64, fd: i64, t: &[u8]) -> SyscallEvent<'r> {
    r.apply(mk(
        "recvfrom",
        Direction::Enter,
        ts,
        tid,
        &[("fd", P::I(fd)), ("size", P::I(512))],
    ));
    feed(
        r,
        mk(
            "recvfrom",
            Direction::Exit,
            ts + 1,
            tid,
            &[
                ("res", P::I(5)),
                ("data", P::B(b"hello")),
                ("tuple", P::B(t)),
            ],
        ),
    )
}

/// The socket fields of an event, as `name|cip:cport|sip:sport|lip:lport|rip:rport|l4proto`.
fn ends(ev: &SyscallEvent) -> String {
    let f = |n: &str| get(ev, n).unwrap_or_else(|| "-".into());
    format!(
        "{}|{}:{}|{}:{}|{}:{}|{}:{}|{}",
        f("fd.name"),
        f("fd.cip"),
        f("fd.cport"),
        f("fd.sip"),
        f("fd.sport"),
        f("fd.lip"),
        f("fd.lport"),
        f("fd.rip"),
        f("fd.rport"),
        f("fd.l4proto")
    )
}

#[test]
fn udp_tuples_of_sendto_and_recvfrom_from_test_ipv6_client() {
    // libs/test_ipv6_client.scap (test_ipv6_client.cpp): an IPv6 UDP socket (fd 3) that 1. sends
    // to ::1:2345 unconnected, 2. connects to ::1:2345, 3. sends, 4. connects to
    // [2001:4860:4860::8888]:53, 5. sends (ECONNREFUSED), 6. sends to ::1:2345 again. The names
    // at the send exits are those libs' own test asserts on this capture (test/libsinsp_e2e/
    // ipv6.cpp, `ipv6_filtercheck_test.test_ipv6_client`, ports unresolved as Falco prints them):
    // `::1:0->::1:2345`, `::1:38255->::1:2345`, `::1:38255->2001:4860:4860::8888:53` (the failed
    // send changes nothing), `::1:38255->::1:2345`. Derivation for 1.: the enter event's tuple is
    // `:::0->::1:2345`; `update_fd` stores it and `sinsp_network_interfaces::update_fd` replaces
    // the unspecified source with the interface address inferred from ::1 (the capture's lo,
    // an exact match); the socket has no role, `set_net_role_by_guessing` finds no IPv4 socket
    // "bound to" the port it reads (the IPv4 view of an IPv6 tuple) and makes it a client, which
    // keeps a sent tuple as it is. 6. differs from the tuple of 4. in either direction, so it
    // replaces it (destination overwritten); a client's sent tuple is not swapped.
    let mut seen = Vec::new();
    let ran = each("libs/test_ipv6_client.scap", |ev| {
        if ev.event.tid != 19747 || get(ev, "fd.num").as_deref() != Some("3") {
            return;
        }
        let exit = ev.event.direction == Direction::Exit;
        match (ev.event.name, exit) {
            ("sendto", false) if seen.is_empty() => {
                // The socket before its first send: unnamed, no role.
                assert_eq!(get(ev, "fd.name"), None);
                assert_eq!(get(ev, "fd.l4proto").as_deref(), Some("<NA>"));
                assert_eq!(get(ev, "fd.cip"), None);
            }
            ("sendto" | "connect", true) => {
                seen.push(format!(
                    "{} {}",
                    ends(ev),
                    get(ev, "fd.name_changed").unwrap()
                ));
                assert_eq!(get(ev, "fd.typechar").as_deref(), Some("6"));
                assert_eq!(get(ev, "fd.type").as_deref(), Some("ipv6"));
                assert_eq!(get(ev, "fd.sockfamily").as_deref(), Some("ip"));
                assert_eq!(get(ev, "fd.connected").as_deref(), Some("true"));
            }
            _ => {}
        }
    });
    if !ran {
        return;
    }
    let g = "2001:4860:4860::8888";
    assert_eq!(
        seen,
        [
            // 1. sendto, unconnected: the lo address inferred for the source.
            "::1:0->::1:2345|::1:0|::1:2345|::1:0|::1:2345|udp true".to_string(),
            // 2. connect.
            "::1:38255->::1:2345|::1:38255|::1:2345|::1:38255|::1:2345|udp true".into(),
            // 3. sendto without an address: unchanged.
            "::1:38255->::1:2345|::1:38255|::1:2345|::1:38255|::1:2345|udp false".into(),
            // 4. connect to the DNS server (::1 is the machine's: the local end).
            format!("::1:38255->{g}:53|::1:38255|{g}:53|::1:38255|{g}:53|udp true"),
            // 5. sendto failed: unchanged.
            format!("::1:38255->{g}:53|::1:38255|{g}:53|::1:38255|{g}:53|udp false"),
            // 6. sendto to ::1:2345 again.
            "::1:38255->::1:2345|::1:38255|::1:2345|::1:38255|::1:2345|udp true".into(),
        ]
    );
}

#[test]
fn udp_reply_on_a_connected_socket_keeps_its_name_in_curl_google() {
    // libs/curl_google.scap: thread 17498 resolves www.google.com over an IPv6 UDP socket (fd
    // 4) it connected (`...:d29e:40251->2001:4860:4860::8888:53`, a client); its sendto has no
    // address (`tuple=<NA>`: `update_fd` returns false) and its recvfrom's tuple is the
    // connected one reversed (`8888:53->...:d29e:40251`), which `set_ipv6_addresses_and_ports`
    // takes for the same tuple: nothing changes. libs' test/libsinsp_e2e/ipv6.cpp
    // (`curl_google_dnsreq`) asserts these values on every exit event of the socket after
    // connect: client 2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:40251, server
    // 2001:4860:4860::8888:53 (`domain`), udp, local = client.
    let c = "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e";
    let g = "2001:4860:4860::8888";
    let want = format!("{c}:40251->{g}:53|{c}:40251|{g}:53|{c}:40251|{g}:53|udp");
    let mut seen = Vec::new();
    each("libs/curl_google.scap", |ev| {
        if ev.event.tid == 17498
            && ev.event.direction == Direction::Exit
            && matches!(ev.event.name, "sendto" | "recvfrom" | "close")
            && get(ev, "fd.num").as_deref() == Some("4")
            && get(ev, "fd.type").as_deref() == Some("ipv6")
        {
            assert_eq!(ends(ev), want, "{}", ev.event.name);
            assert_eq!(get(ev, "fd.name_changed").as_deref(), Some("false"));
            seen.push(ev.event.name);
        }
    });
    assert!(
        seen == ["sendto", "recvfrom", "close"] || capture("libs/curl_google.scap").is_none(),
        "{seen:?}"
    );
}

#[test]
fn udp_client_and_server_tuples_roles_and_inferred_addresses() {
    // Constructed after libs' test/libsinsp_e2e/udp_client_server.cpp: the sent tuple of an
    // unbound client has source 0.0.0.0, the received tuple of a server bound to INADDR_ANY
    // destination 0.0.0.0; `sinsp_network_interfaces::update_fd` fills the unspecified end
    // (`infer_ipv4_address`: exact, same subnet, else the first interface that is not
    // 127.0.0.1 — 10.0.0.5 here); the server's echo and the client's receipt of it do not
    // rename the fds (that test counts 6 `fd.name_changed` events: the binds, the sends and the
    // receipts of the requests, not the replies).
    let mut r = host();
    // Client, thread 200: socket(AF_INET, SOCK_DGRAM) = 4.
    socket(&mut r, 1, 200, 2, 2, 4);
    let ev = sendto(
        &mut r,
        10,
        200,
        4,
        &tuple4([0, 0, 0, 0], 40000, [192, 0, 2, 10], 53),
        5,
    );
    // No role: IPv4 sockets always end up guessed by direction (the socket is "bound to" and
    // "uses" its own ports), a send makes a client. No swap for a client's send.
    assert_eq!(
        ends(&ev),
        "10.0.0.5:40000->192.0.2.10:53|10.0.0.5:40000|192.0.2.10:53|10.0.0.5:40000|192.0.2.10:53|udp"
    );
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("true"));
    assert!(cond(
        &ev,
        "fd.l4proto = udp and fd.sport = 53 and fd.rip = 192.0.2.10"
    ));
    let ev = recvfrom(
        &mut r,
        20,
        200,
        4,
        &tuple4([192, 0, 2, 10], 53, [0, 0, 0, 0], 40000),
    );
    // The reply's tuple (server -> 0.0.0.0:40000) is new; completed and swapped (a client's
    // received tuple) it gives the same name.
    assert_eq!(
        get(&ev, "fd.name").as_deref(),
        Some("10.0.0.5:40000->192.0.2.10:53")
    );
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("false"));
    // Server, thread 100: socket = 3, bind 0.0.0.0:53 (a server socket, role server).
    socket(&mut r, 30, 100, 2, 2, 3);
    r.apply(mk("bind", Direction::Enter, 32, 100, &[("fd", P::I(3))]));
    let ev = feed(
        &mut r,
        mk(
            "bind",
            Direction::Exit,
            33,
            100,
            &[("res", P::I(0)), ("addr", P::B(&addr4([0, 0, 0, 0], 53)))],
        ),
    );
    assert_eq!(ends(&ev), "0.0.0.0:53|-:-|0.0.0.0:53|-:-|-:-|udp");
    let ev = recvfrom(
        &mut r,
        40,
        100,
        3,
        &tuple4([198, 51, 100, 7], 33333, [0, 0, 0, 0], 53),
    );
    // Now a connected IPv4 socket; the server keeps the received tuple (client -> server), its
    // unspecified destination inferred from the client's address; the client end is remote.
    assert_eq!(
        ends(&ev),
        "198.51.100.7:33333->10.0.0.5:53|198.51.100.7:33333|10.0.0.5:53|10.0.0.5:53|198.51.100.7:33333|udp"
    );
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("true"));
    assert!(cond(
        &ev,
        r#"fd.rnet in ("198.51.100.0/24") and fd.lport = 53"#
    ));
    let ev = sendto(
        &mut r,
        50,
        100,
        3,
        &tuple4([0, 0, 0, 0], 53, [198, 51, 100, 7], 33333),
        5,
    );
    // The echo: a server's sent tuple is swapped; same name.
    assert_eq!(
        get(&ev, "fd.name").as_deref(),
        Some("198.51.100.7:33333->10.0.0.5:53")
    );
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("false"));
    // A socket without a role whose first call is a receive: a server (mDNS-like, equal ports:
    // the inferred address differs from the other end, so it is set).
    socket(&mut r, 60, 100, 2, 2, 5);
    let ev = recvfrom(
        &mut r,
        62,
        100,
        5,
        &tuple4([203, 0, 113, 1], 5353, [0, 0, 0, 0], 5353),
    );
    assert_eq!(
        ends(&ev),
        "203.0.113.1:5353->10.0.0.5:5353|203.0.113.1:5353|10.0.0.5:5353|10.0.0.5:5353|203.0.113.1:5353|udp"
    );
    // A failed send changes nothing.
    let ev = sendto(
        &mut r,
        70,
        100,
        5,
        &tuple4([0, 0, 0, 0], 5353, [8, 8, 8, 8], 53),
        -111,
    );
    assert_eq!(
        get(&ev, "fd.name").as_deref(),
        Some("203.0.113.1:5353->10.0.0.5:5353")
    );
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("false"));
    // A TCP socket keeps its name (`is_tcp_socket`); an unnamed one takes the tuple.
    socket(&mut r, 80, 100, 2, 1, 6);
    let ev = sendto(
        &mut r,
        82,
        100,
        6,
        &tuple4([10, 0, 0, 5], 41000, [192, 0, 2, 1], 80),
        5,
    );
    assert_eq!(
        get(&ev, "fd.name").as_deref(),
        Some("10.0.0.5:41000->192.0.2.1:80")
    );
    assert_eq!(get(&ev, "fd.l4proto").as_deref(), Some("tcp"));
    let ev = sendto(
        &mut r,
        84,
        100,
        6,
        &tuple4([10, 0, 0, 5], 41000, [192, 0, 2, 2], 80),
        5,
    );
    assert_eq!(
        get(&ev, "fd.name").as_deref(),
        Some("10.0.0.5:41000->192.0.2.1:80")
    );
}

#[test]
fn sendto_on_an_unknown_fd_infers_a_udp_socket() {
    // libsinsp `infer_sendto_fdinfo` (sendto enter of Falco 0.34-era libs): an fd the thread
    // does not have, sent to an IPv4 address, becomes an IPv4 UDP socket; the exit then names
    // it like any unconnected UDP send. sendmsg has no such inference (ping_sendto.scap's
    // ICMP sendmsgs stay without an fd, see rule_field_tests.rs).
    let mut r = host();
    let t = tuple4([0, 0, 0, 0], 0, [8, 8, 8, 8], 53);
    let ev = feed(
        &mut r,
        mk(
            "sendto",
            Direction::Enter,
            1,
            300,
            &[("fd", P::I(7)), ("size", P::I(5)), ("tuple", P::B(&t))],
        ),
    );
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("4"));
    assert_eq!(get(&ev, "fd.name"), None);
    assert_eq!(get(&ev, "fd.l4proto").as_deref(), Some("<NA>"));
    let ev = feed(
        &mut r,
        mk("sendto", Direction::Exit, 2, 300, &[("res", P::I(5))]),
    );
    assert_eq!(
        ends(&ev),
        "10.0.0.5:0->8.8.8.8:53|10.0.0.5:0|8.8.8.8:53|10.0.0.5:0|8.8.8.8:53|udp"
    );
    // A unix tuple names the fd after it.
    socket(&mut r, 10, 300, 1, 2, 8);
    let mut u = vec![1u8];
    u.extend(0x10u64.to_le_bytes());
    u.extend(0x20u64.to_le_bytes());
    u.extend(b"/dev/log\0");
    let ev = sendto(&mut r, 12, 300, 8, &u, 5);
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("10->20 /dev/log"));
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("u"));
}

#[test]
fn bind_makes_a_server_socket() {
    // libsinsp `parse_bind_exit`: a successful bind to an address with a port makes the fd a
    // server socket (SCAP_FD_IPV4_SERVSOCK/IPV6_SERVSOCK, role server, the socket's protocol);
    // any bind names the fd after the address. Then listen, and accept creates the connection
    // fd (role server, TCP).
    let mut r = host();
    socket(&mut r, 1, 400, 2, 1, 3);
    r.apply(mk("bind", Direction::Enter, 3, 400, &[("fd", P::I(3))]));
    let ev = feed(
        &mut r,
        mk(
            "bind",
            Direction::Exit,
            4,
            400,
            &[("res", P::I(0)), ("addr", P::B(&addr4([0, 0, 0, 0], 8080)))],
        ),
    );
    assert_eq!(ends(&ev), "0.0.0.0:8080|-:-|0.0.0.0:8080|-:-|-:-|tcp");
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("true"));
    assert_eq!(get(&ev, "fd.typechar").as_deref(), Some("4"));
    assert_eq!(get(&ev, "fd.type").as_deref(), Some("ipv4"));
    assert_eq!(get(&ev, "fd.sockfamily").as_deref(), Some("ip"));
    assert_eq!(get(&ev, "fd.connected").as_deref(), Some("false"));
    assert!(cond(
        &ev,
        "fd.ip = 0.0.0.0 and fd.port = 8080 and fd.sport = 8080"
    ));
    assert!(cond(&ev, r#"fd.snet in ("0.0.0.0/8")"#));
    r.apply(mk(
        "listen",
        Direction::Enter,
        5,
        400,
        &[("fd", P::I(3)), ("backlog", P::I(128))],
    ));
    let ev = feed(
        &mut r,
        mk("listen", Direction::Exit, 6, 400, &[("res", P::I(0))]),
    );
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("0.0.0.0:8080"));
    assert_eq!(get(&ev, "fd.name_changed").as_deref(), Some("false"));
    assert_eq!(get(&ev, "fd.l4proto").as_deref(), Some("tcp"));
    let t = tuple4([198, 51, 100, 7], 51000, [10, 0, 0, 5], 8080);
    let ev = feed(
        &mut r,
        mk(
            "accept",
            Direction::Exit,
            7,
            400,
            &[("fd", P::I(4)), ("tuple", P::B(&t))],
        ),
    );
    assert_eq!(
        ends(&ev),
        "198.51.100.7:51000->10.0.0.5:8080|198.51.100.7:51000|10.0.0.5:8080|10.0.0.5:8080|198.51.100.7:51000|tcp"
    );
    let fds = &r.state.threads[&400].fds;
    assert_eq!(fds[&3].name, "0.0.0.0:8080");
    assert!(fds[&3].server_socket && fds[&3].role == SockRole::Server);
    assert_eq!(fds[&4].role, SockRole::Server);
    // IPv6, an IPv4-mapped address (an IPv4 server socket), port 0 (named, nothing else), a
    // failed bind (nothing), a unix socket (its path).
    let binds: [(i64, i64, Vec<u8>, i64); 5] = [
        (10, 1, addr6(Ipv6Addr::UNSPECIFIED, 443), 0),
        (
            10,
            1,
            addr6(Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped(), 9090),
            0,
        ),
        (2, 2, addr4([0, 0, 0, 0], 0), 0),
        (2, 1, addr4([10, 0, 0, 5], 80), -98),
        (1, 1, b"\x01/run/app.sock\0".to_vec(), 0),
    ];
    let mut got = Vec::new();
    for (i, (domain, ty, addr, res)) in binds.iter().enumerate() {
        let fd = 10 + i as i64;
        let ts = 100 + 10 * i as u64;
        socket(&mut r, ts, 400, *domain, *ty, fd);
        r.apply(mk(
            "bind",
            Direction::Enter,
            ts + 2,
            400,
            &[("fd", P::I(fd))],
        ));
        let ev = feed(
            &mut r,
            mk(
                "bind",
                Direction::Exit,
                ts + 3,
                400,
                &[("res", P::I(*res)), ("addr", P::B(addr))],
            ),
        );
        got.push(format!(
            "{} {} {}",
            ends(&ev),
            get(&ev, "fd.typechar").unwrap(),
            get(&ev, "fd.name_changed").unwrap()
        ));
    }
    assert_eq!(
        got,
        [
            ":::443|-:-|:::443|-:-|-:-|tcp 6 true",
            "127.0.0.1:9090|-:-|127.0.0.1:9090|-:-|-:-|tcp 4 true",
            "0.0.0.0:0|-:-|-:-|-:-|-:-|<NA> 4 true",
            "-|-:-|-:-|-:-|-:-|<NA> 4 false",
            "/run/app.sock|-:-|-:-|-:-|-:-|<NA> u true",
        ]
    );
    // A UDP server socket that connects: "connect done by a udp server, swap the addresses"
    // (`fill_client_socket_info`), so the name stays client -> server.
    socket(&mut r, 200, 400, 2, 2, 20);
    r.apply(mk("bind", Direction::Enter, 202, 400, &[("fd", P::I(20))]));
    r.apply(mk(
        "bind",
        Direction::Exit,
        203,
        400,
        &[("res", P::I(0)), ("addr", P::B(&addr4([0, 0, 0, 0], 5000)))],
    ));
    r.apply(mk(
        "connect",
        Direction::Enter,
        204,
        400,
        &[("fd", P::I(20))],
    ));
    let t = tuple4([10, 0, 0, 5], 5000, [192, 0, 2, 1], 6000);
    let ev = feed(
        &mut r,
        mk(
            "connect",
            Direction::Exit,
            205,
            400,
            &[("res", P::I(0)), ("tuple", P::B(&t)), ("fd", P::I(20))],
        ),
    );
    assert_eq!(
        ends(&ev),
        "192.0.2.1:6000->10.0.0.5:5000|192.0.2.1:6000|10.0.0.5:5000|10.0.0.5:5000|192.0.2.1:6000|udp"
    );
}
