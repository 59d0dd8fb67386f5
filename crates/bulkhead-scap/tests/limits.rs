//! Hostile captures (issue 11): counts in headers checked before anything is sized by them,
//! metadata blocks with more threads or fds than the tables hold, devices instead of files.

use bulkhead_scap::{Block, Capture, Limits};

fn block(out: &mut Vec<u8>, t: u32, body: &[u8]) {
    let l = (body.len() + 12) as u32;
    out.extend(t.to_le_bytes());
    out.extend(l.to_le_bytes());
    out.extend(body);
    out.extend(l.to_le_bytes());
}

fn shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(0x1A2B_3C4Du32.to_le_bytes());
    body.extend(1u16.to_le_bytes());
    body.extend(2u16.to_le_bytes());
    body.extend((-1i64).to_le_bytes());
    let mut out = Vec::new();
    block(&mut out, 0x0A0D_0D0A, &body);
    out
}

/// A version 1 process list entry with empty strings.
fn thread(tid: u64) -> Vec<u8> {
    let mut e = Vec::new();
    for v in [tid, tid, 1] {
        e.extend(v.to_le_bytes());
    }
    for _ in 0..4 {
        e.extend(0u16.to_le_bytes()); // comm, exe, args, cwd
    }
    e.extend(1024u64.to_le_bytes()); // fdlimit
    e.extend([0u8; 12]); // flags, uid, gid
    e
}

#[test]
fn an_event_header_counting_more_parameters_than_events_have_is_an_error() {
    let mut cap = shb();
    let mut body = Vec::new();
    body.extend(0u16.to_le_bytes()); // cpu
    body.extend(1u64.to_le_bytes()); // ts
    body.extend(7u64.to_le_bytes()); // tid
    let nparams = 1000u32;
    let len = 26 + nparams as usize * 2;
    body.extend((len as u32).to_le_bytes());
    body.extend(2u16.to_le_bytes()); // open enter
    body.extend(nparams.to_le_bytes());
    body.extend(vec![0u8; nparams as usize * 2]);
    block(&mut cap, 0x216, &body);
    let mut c = Capture::new(std::io::Cursor::new(cap)).unwrap();
    let e = c.next_event().unwrap_err();
    assert!(
        e.message.contains("nparams 1000 over the maximum of 32"),
        "{e}"
    );
}

#[test]
fn process_and_fd_lists_past_the_tables_are_read_but_not_kept() {
    let mut cap = shb();
    let mut body = Vec::new();
    for t in 0..1000 {
        body.extend(thread(t));
    }
    block(&mut cap, 0x202, &body);
    // An fd list of 300 plain file fds (type 1, empty name) for thread 5.
    let mut fds = Vec::new();
    fds.extend(5u64.to_le_bytes());
    for fd in 0..300u64 {
        fds.extend(fd.to_le_bytes());
        fds.extend(0u64.to_le_bytes()); // ino
        fds.push(1);
        fds.extend(0u16.to_le_bytes());
    }
    block(&mut cap, 0x203, &fds);
    let limits = Limits {
        max_threads: 100,
        max_fds: 50,
        ..Limits::default()
    };
    let mut c = Capture::with_limits(std::io::Cursor::new(cap), limits).unwrap();
    let mut got = (0, 0);
    while let Some(b) = c.next_block().unwrap() {
        match b {
            Block::Processes { threads, .. } => got.0 = threads.len(),
            Block::Fds { fds, .. } => got.1 = fds.len(),
            _ => {}
        }
    }
    assert_eq!(got, (100, 50));
    assert_eq!((c.dropped_threads, c.dropped_fds), (900, 250));
    assert_eq!(c.threads.len(), 100);
}

#[test]
fn a_decompressed_stream_stops_at_its_budget() {
    use std::io::Write;
    let mut plain = shb();
    for _ in 0..2000 {
        block(&mut plain, 0x999, &[0u8; 1000]);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let limits = Limits {
        max_total: 500_000,
        ..Limits::default()
    };
    let mut c = Capture::with_limits(std::io::Cursor::new(gz), limits).unwrap();
    let e = loop {
        match c.next_block() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("read past the budget"),
            Err(e) => break e,
        }
    };
    assert!(e.message.contains("larger than 500000 bytes"), "{e}");
}

#[test]
fn devices_are_not_opened_as_captures() {
    let e = Capture::open("/dev/zero").err().unwrap();
    assert!(e.message.contains("not a regular file"), "{e}");
}
