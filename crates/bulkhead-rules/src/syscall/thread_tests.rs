//! The threads of a process share its fd table and working directory: libsinsp's
//! `sinsp_threadinfo::get_fd_table` (threadinfo.h) gives a thread flagged `PPM_CL_CLONE_FILES`
//! that is not the main thread the main thread's table, `get_cwd`/`set_cwd` (threadinfo.cpp)
//! the main thread's cwd; a main thread that exits before its other threads is kept for them,
//! and an execve leaves only the exec'ing thread (`parse_execve_exit`).

use super::rule_field_tests::{P, each, feed, get, mk, replayer};
use super::*;

/// The clone flags of glibc's `pthread_create` as curl_google.scap has them (`CLONE_VM |
/// CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | ...`).
const THREAD_FLAGS: i64 = 0xba03;

/// A successful execve exit: `tid` becomes the main thread of process `tid` (parent 1) in `cwd`.
fn exec(r: &mut Inspector, ts: u64, tid: u64, comm: &str, cwd: &str) {
    r.apply(mk(
        "execve",
        Direction::Exit,
        ts,
        tid,
        &[
            ("res", P::I(0)),
            ("exe", P::S(comm)),
            ("tid", P::I(tid as i64)),
            ("pid", P::I(tid as i64)),
            ("ptid", P::I(1)),
            ("cwd", P::S(cwd)),
            ("comm", P::S(comm)),
            ("uid", P::I(0)),
        ],
    ));
}

/// The caller's exit of a clone by `caller` (of process `pid`) that created `child`.
fn clone(r: &mut Inspector, ts: u64, caller: u64, pid: u64, child: u64, flags: i64) {
    r.apply(mk(
        "clone",
        Direction::Exit,
        ts,
        caller,
        &[
            ("res", P::I(child as i64)),
            ("exe", P::S("app")),
            ("tid", P::I(caller as i64)),
            ("pid", P::I(pid as i64)),
            ("ptid", P::I(1)),
            ("comm", P::S("app")),
            ("flags", P::I(flags)),
            ("uid", P::I(0)),
            ("gid", P::I(0)),
            ("vtid", P::I(caller as i64)),
            ("vpid", P::I(pid as i64)),
        ],
    ));
}

fn openat(ts: u64, tid: u64, fd: i64, name: &str, flags: i64) -> Event {
    mk(
        "openat",
        Direction::Exit,
        ts,
        tid,
        &[
            ("fd", P::I(fd)),
            ("dirfd", P::I(-100)),
            ("name", P::S(name)),
            ("flags", P::I(flags)),
        ],
    )
}

fn enter(name: &str, ts: u64, tid: u64, fd: i64) -> Event {
    mk(name, Direction::Enter, ts, tid, &[("fd", P::I(fd))])
}

fn chdir(ts: u64, tid: u64, path: &str) -> Event {
    mk(
        "chdir",
        Direction::Exit,
        ts,
        tid,
        &[("res", P::I(0)), ("path", P::S(path))],
    )
}

fn procexit(ts: u64, tid: u64) -> Event {
    mk(
        "procexit",
        Direction::Enter,
        ts,
        tid,
        &[("status", P::I(0))],
    )
}

/// The fds of the table thread `tid` uses, sorted.
fn fds(r: &Inspector, tid: u64) -> Vec<i64> {
    let mut v: Vec<i64> = r.state.fds_of(tid).unwrap().keys().copied().collect();
    v.sort_unstable();
    v
}

#[test]
fn threads_of_a_process_share_its_fds_and_cwd() {
    let mut r = replayer();
    // Process 100 (thread A) creates thread B (101), then opens a file.
    exec(&mut r, 1, 100, "app", "/srv");
    clone(&mut r, 2, 100, 100, 101, THREAD_FLAGS);
    let b = &r.state.threads[&101];
    assert_eq!((b.pid, b.ptid, b.clone_files), (100, 1, true));
    r.apply(openat(3, 100, 5, "data.txt", 1));
    // B reads the fd A opened after B was created.
    let ev = feed(&mut r, enter("read", 4, 101, 5));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/srv/data.txt"));
    assert_eq!(get(&ev, "fd.num").as_deref(), Some("5"));
    assert_eq!(get(&ev, "fd.types").as_deref(), Some("file"));
    assert_eq!(get(&ev, "thread.tid").as_deref(), Some("101"));
    assert_eq!(get(&ev, "proc.pid").as_deref(), Some("100"));
    assert_eq!(get(&ev, "proc.cwd").as_deref(), Some("/srv/"));
    let ev = feed(
        &mut r,
        mk("read", Direction::Exit, 5, 101, &[("res", P::I(3))]),
    );
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/srv/data.txt"));
    // No table of its own is filled: the process's is.
    assert!(r.state.threads[&101].fds.is_empty());
    assert_eq!(fds(&r, 101), [5]);
    // B closes it: the close exit still sees it, A's next event no longer does.
    r.apply(enter("close", 6, 101, 5));
    let ev = feed(
        &mut r,
        mk("close", Direction::Exit, 7, 101, &[("res", P::I(0))]),
    );
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/srv/data.txt"));
    let ev = feed(&mut r, enter("fstat", 8, 100, 5));
    assert_eq!(get(&ev, "fd.name"), None);
    assert!(fds(&r, 100).is_empty());
    // A chdir in one thread moves the other (relative to the process's cwd).
    r.apply(chdir(9, 101, "logs"));
    let ev = feed(&mut r, enter("fstat", 10, 100, 0));
    assert_eq!(get(&ev, "proc.cwd").as_deref(), Some("/srv/logs/"));
    r.apply(chdir(11, 100, "/tmp"));
    let ev = feed(&mut r, enter("fstat", 12, 101, 0));
    assert_eq!(get(&ev, "proc.cwd").as_deref(), Some("/tmp/"));
    // B opens a file relative to that cwd; A sees it.
    r.apply(openat(13, 101, 6, "out.txt", 2));
    let ev = feed(&mut r, enter("write", 14, 100, 6));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/tmp/out.txt"));
    // A fork by B copies the process's table and cwd; the child's close is its own.
    clone(&mut r, 15, 101, 100, 102, 0);
    let child = &r.state.threads[&102];
    assert_eq!(
        (child.pid, child.ptid, child.cwd.as_str()),
        (102, 101, "/tmp")
    );
    assert_eq!(fds(&r, 102), [6]);
    r.apply(enter("close", 16, 102, 6));
    r.apply(mk("close", Direction::Exit, 17, 102, &[("res", P::I(0))]));
    let ev = feed(&mut r, enter("write", 18, 101, 6));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/tmp/out.txt"));
    assert!(fds(&r, 102).is_empty());
    // A (the main thread) exits first: it stays, dead, while B lives, and B keeps the table.
    r.apply(procexit(19, 100));
    let ev = feed(&mut r, enter("write", 20, 101, 6));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/tmp/out.txt"));
    assert_eq!(get(&ev, "proc.cwd").as_deref(), Some("/tmp/"));
    assert!(r.state.threads[&100].dead);
    // The last thread takes the dead main thread with it.
    r.apply(procexit(21, 101));
    r.apply(enter("write", 22, 102, 1));
    assert!(!r.state.threads.contains_key(&101));
    assert!(!r.state.threads.contains_key(&100));
    assert!(r.state.thread_groups.is_empty());
}

#[test]
fn an_execve_leaves_only_the_exec_thread() {
    let mut r = replayer();
    exec(&mut r, 1, 200, "app", "/srv");
    clone(&mut r, 2, 200, 200, 201, THREAD_FLAGS);
    clone(&mut r, 3, 201, 200, 202, THREAD_FLAGS);
    assert_eq!(r.state.threads[&202].ptid, 1, "the process's parent");
    r.apply(openat(4, 202, 3, "/etc/ld.so.cache", 1 | 1 << 12));
    r.apply(openat(5, 200, 4, "/var/log/app.log", 2));
    assert_eq!(fds(&r, 201), [3, 4]);
    // Thread 201 execs: the kernel ends the other threads (the main thread included), then
    // the exec'ing thread returns as the main thread (tid 200).
    r.apply(mk(
        "execve",
        Direction::Enter,
        6,
        201,
        &[("filename", P::S("/bin/true"))],
    ));
    r.apply(procexit(7, 202));
    r.apply(procexit(8, 200));
    r.apply(enter("write", 9, 201, 4));
    assert!(r.state.threads[&200].dead, "kept while 201 lives");
    assert!(!r.state.threads.contains_key(&202));
    let ev = feed(
        &mut r,
        mk(
            "execve",
            Direction::Exit,
            10,
            200,
            &[
                ("res", P::I(0)),
                ("exe", P::S("/bin/true")),
                ("tid", P::I(200)),
                ("pid", P::I(200)),
                ("ptid", P::I(1)),
                ("cwd", P::S("/srv")),
                ("comm", P::S("true")),
            ],
        ),
    );
    assert_eq!(get(&ev, "proc.name").as_deref(), Some("true"));
    assert!(!r.state.threads[&200].dead);
    assert!(!r.state.threads.contains_key(&201));
    assert!(r.state.thread_groups.is_empty());
    // The close-on-exec library fd is gone from the process's table, the log stays.
    assert_eq!(fds(&r, 200), [4]);
    let ev = feed(&mut r, enter("write", 11, 200, 4));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/var/log/app.log"));
}

#[test]
fn a_thread_whose_main_thread_is_unknown_has_no_fd_table() {
    // libsinsp: `get_main_thread` finds none, `get_fd_table` returns null: lookups fail, new
    // fds are dropped. The cwd is then the thread's own (libsinsp answers `./`).
    let mut r = replayer();
    r.state.insert_thread(Thread {
        tid: 301,
        pid: 300,
        ptid: 1,
        vtid: 301,
        vpid: 300,
        comm: "worker".into(),
        cwd: "/opt".into(),
        clone_files: true,
        ..Default::default()
    });
    r.apply(openat(1, 301, 7, "x.db", 2));
    assert!(r.state.fds_of(301).is_none());
    let ev = feed(&mut r, enter("read", 2, 301, 7));
    assert_eq!(get(&ev, "fd.name"), None);
    assert_eq!(get(&ev, "fd.types"), None);
    assert_eq!(get(&ev, "proc.cwd").as_deref(), Some("/opt/"));
    // Without PPM_CL_CLONE_FILES a thread keeps a table of its own.
    r.state.threads.get_mut(&301).unwrap().clone_files = false;
    r.apply(openat(3, 301, 7, "x.db", 2));
    let ev = feed(&mut r, enter("read", 4, 301, 7));
    assert_eq!(get(&ev, "fd.name").as_deref(), Some("/opt/x.db"));
}

#[test]
fn threads_of_the_process_list_use_the_main_thread_fds() {
    // libs/sample.scap: containerd's thread 768 (pid 722; the process list flags its threads
    // PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES and lists no fds for them) writes to fd 6, a
    // pipe of the main thread's fd list.
    let mut seen = 0;
    each("libs/sample.scap", |ev| {
        if ev.event.tid == 768 && ev.event.name == "write" {
            seen += 1;
            assert_eq!(get(ev, "fd.name").as_deref(), Some("pipe:[22242]"));
            assert_eq!(get(ev, "fd.typechar").as_deref(), Some("p"));
            assert_eq!(get(ev, "proc.pid").as_deref(), Some("722"));
            assert_eq!(get(ev, "proc.cwd").as_deref(), Some("/"));
            let t = &ev.state.threads[&768];
            assert!(t.clone_files && t.fds.is_empty());
        }
    });
    assert!(seen == 2 || rule_field_tests::capture("libs/sample.scap").is_none());
}

#[test]
fn curl_resolver_thread_shares_the_process_fds() {
    // libs/curl_google.scap: curl (17497, /dev/urandom open on fd 3) clones its resolver
    // thread 17498 (flags 0xba03), which opens /etc/resolv.conf and friends on fd 4 and connects fd 4 to the DNS server
    // while the main thread polls; the main thread opens its own socket on fd 4 once the
    // resolver has closed it and exited.
    const DNS: &str = "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:40251->2001:4860:4860::8888:53";
    let mut resolv = 0;
    let mut main_sees_dns = 0;
    let mut main_socket = 0;
    each("libs/curl_google.scap", |ev| {
        let e = ev.event;
        if e.tid == 17498
            && e.name == "read"
            && e.direction == Direction::Exit
            && get(ev, "fd.name").as_deref() == Some("/etc/resolv.conf")
        {
            resolv += 1;
            assert_eq!(get(ev, "proc.pid").as_deref(), Some("17497"));
            assert_eq!(get(ev, "proc.cwd").as_deref(), Some("/home/ubuntu/"));
            // The fd is in the process's table, not in one of the thread's own; the
            // thread sees curl's fds too.
            assert!(ev.state.threads[&17498].fds.is_empty());
            assert!(ev.state.threads[&17497].fds.contains_key(&4));
            assert_eq!(get(ev, "fd.types").as_deref(), Some("file"));
            let urandom = &ev.state.fds_of(17498).unwrap()[&3];
            assert_eq!(urandom.name, "/dev/urandom");
        }
        if e.tid == 17497 && e.name == "poll" && e.direction == Direction::Exit {
            // While the resolver waits for the answer, curl's table has its socket.
            if let Some(f) = ev.state.fds_of(17497).and_then(|f| f.get(&4))
                && f.name == DNS
            {
                main_sees_dns += 1;
                assert_eq!(f.typechar, '6');
            }
        }
        if e.tid == 17497 && e.name == "socket" && e.direction == Direction::Exit {
            main_socket += 1;
            // The resolver is gone; its socket was closed.
            assert!(!ev.state.threads.contains_key(&17498));
            assert_eq!(get(ev, "fd.num").as_deref(), Some("4"));
            assert_eq!(get(ev, "fd.types").as_deref(), Some("file,ipv6"));
        }
    });
    if rule_field_tests::capture("libs/curl_google.scap").is_some() {
        assert_eq!(resolv, 4);
        assert!(main_sees_dns >= 1, "{main_sees_dns}");
        assert!(main_socket >= 1);
    }
}
