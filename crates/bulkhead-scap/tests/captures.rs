use bulkhead_scap::{Block, Capture, Direction, ErrorKind, Value, summarize};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cat_write.scap")
}

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/falco/captures");
    if p.is_dir() {
        Some(p)
    } else {
        if std::env::var("BULKHEAD_STRICT").as_deref() == Ok("1") {
            panic!("../shared absent and BULKHEAD_STRICT=1");
        }
        println!("SKIP: ../shared absent");
        None
    }
}

/// Raw event-block counts from the reference's table 4.2.
const EXPECTED: &[(&str, u64)] = &[
    ("cat_write.scap", 345),
    ("open-multiple-files.scap", 1272),
    ("ping_sendto.scap", 1526),
    ("libs/curl_google.scap", 1536),
    ("libs/curl_google_comments.scap", 1536),
    ("libs/sample.scap", 572),
    ("libs/single_ipv6_conn.scap", 1728),
    ("libs/test_ipv6_client.scap", 326),
];

#[test]
fn every_shared_capture_reads_to_the_end() {
    let Some(dir) = shared() else { return };
    let mut agree = 0;
    for (name, expected) in EXPECTED {
        let path = dir.join(name);
        let raw = summarize(std::fs::File::open(&path).unwrap(), false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let conv = summarize(std::fs::File::open(&path).unwrap(), true).unwrap();
        println!(
            "{name}: raw events {} (reference {expected}) {} ; converted {} ; threads {} fds {} types {}",
            raw.raw_events,
            if raw.raw_events == *expected {
                "AGREE"
            } else {
                "DIFFER"
            },
            conv.events,
            raw.threads,
            raw.fds,
            raw.by_type.len()
        );
        assert_eq!(raw.raw_events, *expected, "{name}");
        assert_eq!(raw.events, raw.raw_events, "{name}: no event skipped");
        assert!(raw.threads > 0 && raw.fds > 0, "{name}");
        agree += 1;
    }
    println!(
        "event counts agree with the reference for {agree}/{} captures",
        EXPECTED.len()
    );
    // every .scap in the directories is covered
    for sub in ["", "libs"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "scap") {
                let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().to_string();
                assert!(EXPECTED.iter().any(|(n, _)| *n == rel), "{rel} not covered");
            }
        }
    }
}

const OPEN_TS: [u64; 8] = [
    1470327477881781397,
    1470327477881785348,
    1470327477881796705,
    1470327477881799840,
    1470327477882003104,
    1470327477882008208,
    1470327477882045694,
    1470327477882054739,
];

#[test]
fn cat_write_open_pairs_and_process() {
    let mut cap = Capture::open(fixture()).unwrap().with_conversion(true);
    let mut opens = Vec::new();
    let mut execve_comm = None;
    let mut n = 0;
    while let Some(ev) = cap.next_event().unwrap() {
        n += 1;
        if ev.name == "open" {
            opens.push(ev.clone());
        }
        if ev.name == "execve" && ev.direction == Direction::Exit {
            execve_comm = ev.str_param("comm").map(str::to_string);
            assert_eq!(ev.str_param("exe"), Some("cat"));
        }
    }
    assert_eq!(n, 307, "converted event count");
    assert_eq!(opens.len(), 8, "4 open enter/exit pairs pass the converter");
    let ts: Vec<u64> = opens.iter().map(|e| e.ts).collect();
    assert_eq!(ts, OPEN_TS);
    let names: Vec<&str> = opens
        .iter()
        .filter(|e| e.direction == Direction::Exit)
        .map(|e| e.str_param("name").unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "/etc/ld.so.cache",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/locale/locale-archive",
            "/dev/null"
        ]
    );
    let last = opens.last().unwrap();
    assert_eq!(last.param("fd").unwrap().value, Value::Fd(3));
    assert_eq!(execve_comm.as_deref(), Some("cat"));
    // process list: cat (tid 20072) is born during the capture; its parent shell is listed
    assert_eq!(cap.proclist_version, Some(6));
    assert_eq!(cap.threads.len(), 73);
    let parent = cap
        .threads
        .get(&11310)
        .expect("parent of cat in the process list");
    assert!(!parent.comm.is_empty());
    assert!(cap.fds.values().flatten().any(|f| f.fd == 0));
}

#[test]
fn cat_write_raw_blocks() {
    let mut cap = Capture::open(fixture()).unwrap();
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    while let Some(b) = cap.next_block().unwrap() {
        let k = match b {
            Block::SectionHeader(s) => {
                assert_eq!((s.major, s.minor), (1, 0));
                "shb"
            }
            Block::MachineInfo(m) => {
                assert_eq!(m.hostname, "ubuntu");
                "mi"
            }
            Block::Interfaces(_) => "il",
            Block::Users { .. } => "ul",
            Block::Processes { .. } => "pl",
            Block::Fds { .. } => "fdl",
            Block::Event(_) => "ev",
            Block::Unknown { .. } => "unknown",
        };
        *kinds.entry(k).or_default() += 1;
    }
    assert_eq!(kinds["ev"], 345);
    assert_eq!(kinds["fdl"], 73);
    assert!(cap.is_gzip());
}

fn decompressed() -> Vec<u8> {
    use std::io::Read;
    let mut v = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture()).unwrap())
        .read_to_end(&mut v)
        .unwrap();
    v
}

fn read_all(bytes: Vec<u8>) -> Result<u64, bulkhead_scap::ScapError> {
    let mut cap = Capture::new(std::io::Cursor::new(bytes))?;
    let mut n = 0;
    while cap.next_block()?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn plain_input_reads_like_gzip() {
    assert_eq!(
        read_all(decompressed()).unwrap(),
        1 + 1 + 1 + 1 + 1 + 73 + 345
    );
}

#[test]
fn truncated_inputs_are_errors_with_offsets() {
    let full = decompressed();
    for cut in [1usize, 7, 20, 500, 5000, full.len() / 2, full.len() - 1] {
        let e = read_all(full[..cut].to_vec()).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Truncated | ErrorKind::Corrupt),
            "{cut}: {e}"
        );
        assert!(e.to_string().contains("offset"), "{e}");
    }
    assert!(read_all(Vec::new()).is_err());
}

#[test]
fn huge_block_length_is_refused() {
    let mut full = decompressed();
    // second block (machine info) length field
    let shb_len = u32::from_le_bytes(full[4..8].try_into().unwrap()) as usize;
    full[shb_len + 4..shb_len + 8].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
    let e = read_all(full).unwrap_err();
    assert!(e.message.contains("exceeds limit"), "{e}");
    assert_eq!(e.offset, shb_len as u64);
}

#[test]
fn random_bytes_and_mutations_never_panic() {
    let full = decompressed();
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let len = (rnd() % 4096) as usize;
        let v: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        let _ = read_all(v);
        let mut m = full.clone();
        for _ in 0..(1 + rnd() % 8) {
            let i = (rnd() as usize) % m.len();
            m[i] = rnd() as u8;
        }
        if let Ok(cap) = Capture::new(std::io::Cursor::new(m)) {
            let mut cap = cap.with_conversion(true);
            for r in cap.events() {
                if r.is_err() {
                    break;
                }
            }
        }
    }
}

#[test]
fn gzip_bomb_is_bounded() {
    use std::io::Write;
    // 256 MiB of zeros compresses to ~250 KiB; the reader must stop at the first block.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..256 {
        enc.write_all(&chunk).unwrap();
    }
    let gz = enc.finish().unwrap();
    let e = read_all(gz).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Corrupt);
    // a bomb that looks like a valid SHB followed by one giant block
    let mut plain = decompressed()[..28].to_vec();
    plain.extend_from_slice(&0x204u32.to_le_bytes());
    plain.extend_from_slice(&(60u32 << 20).to_le_bytes());
    plain.extend(std::iter::repeat_n(0u8, 8 << 20));
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&plain).unwrap();
    let e = read_all(enc.finish().unwrap()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Truncated, "{e}");
}

/// Raw blocks written back (`RawBlock::write_to`) give the same file, byte for byte, and an event
/// block's timestamp can be read and shifted (how bench/replay.sh builds long streams).
#[test]
fn raw_blocks_write_back_identically_and_shift_timestamps() {
    let original = decompressed();
    let mut r = bulkhead_scap::BlockReader::new(
        std::io::Cursor::new(original.clone()),
        bulkhead_scap::Limits::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    let mut shifted = Vec::new();
    let mut events = 0;
    while let Some(mut b) = r.next_block().unwrap() {
        b.write_to(&mut out).unwrap();
        if let Some(ts) = b.event_ts() {
            events += 1;
            assert!(b.is_event());
            assert!(b.set_event_ts(ts + 1_000));
            assert_eq!(b.event_ts(), Some(ts + 1_000));
        } else {
            assert!(!b.is_event());
            assert!(!b.set_event_ts(1));
        }
        b.write_to(&mut shifted).unwrap();
    }
    assert_eq!(events, 345);
    assert_eq!(out, original);
    let mut a = Capture::new(std::io::Cursor::new(original)).unwrap();
    let mut b = Capture::new(std::io::Cursor::new(shifted)).unwrap();
    while let Some(x) = a.next_event().unwrap() {
        let y = b.next_event().unwrap().unwrap();
        assert_eq!(y.ts, x.ts + 1_000);
        assert_eq!((y.tid, y.code, &y.params), (x.tid, x.code, &x.params));
    }
    assert!(b.next_event().unwrap().is_none());
}
