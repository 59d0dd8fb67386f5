//! Corrupt and malicious input: every case must return an error (naming what
//! is wrong), never panic, hang or allocate according to an unchecked count.

mod common;

use std::time::{Duration, Instant};

use bulkhead_rpmdb::{Error, Location, parse_header_blob, read_packages, read_packages_lenient};
use common::*;

fn set_be32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Offset of field `field` (0 tag, 1 type, 2 offset, 3 count) of index entry `i`.
fn entry_field(i: usize, field: usize) -> usize {
    8 + 16 * i + 4 * field
}

/// Index of the entry with `tag` in a built header.
fn entry_index(blob: &[u8], tag: i32) -> usize {
    let il = u32::from_be_bytes(blob[0..4].try_into().unwrap()) as usize;
    (0..il)
        .find(|&i| blob[entry_field(i, 0)..][..4] == tag.to_be_bytes())
        .unwrap()
}

fn header_err(blob: &[u8]) -> String {
    match parse_header_blob(blob) {
        Ok(p) => panic!("expected an error, parsed {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_truncation_of_a_header_fails() {
    let blob = sample_header("acme");
    for len in 0..blob.len() {
        let msg = header_err(&blob[..len]);
        assert!(
            msg.contains("needs") || msg.contains("bad header"),
            "{len}: {msg}"
        );
    }
    let real = libuuid_header_blob();
    for len in (0..real.len()).step_by(97) {
        assert!(
            parse_header_blob(&real[..len]).is_err(),
            "libuuid prefix {len}"
        );
    }
}

#[test]
fn huge_il_and_dl_are_rejected_without_allocating() {
    let blob = sample_header("acme");
    for (il, dl) in [
        (u32::MAX, 0),
        (0x1_0000, 10),
        (1, u32::MAX),
        (1, 0x1000_0000),
        (0x7fff, 0x0fff_ffff),
        (0, 100),
    ] {
        let mut b = blob.clone();
        set_be32(&mut b, 0, il);
        set_be32(&mut b, 4, dl);
        let msg = header_err(&b);
        assert!(
            msg.contains("il") || msg.contains("dl") || msg.contains("needs"),
            "il={il} dl={dl}: {msg}"
        );
    }
}

#[test]
fn out_of_range_offsets_counts_and_types() {
    let blob = sample_header("acme");
    let dl = u32::from_be_bytes(blob[4..8].try_into().unwrap());
    let (name, dirindexes, basenames) = (
        entry_index(&blob, 1000),
        entry_index(&blob, 1116),
        entry_index(&blob, 1117),
    );
    let cases: Vec<(usize, usize, u32, &str)> = vec![
        (name, 2, dl, "offset"),                     // offset = dl: nothing there
        (name, 2, dl + 4096, "offset"),              // past the data store
        (name, 2, 0x8000_0000, "offset"),            // negative
        (name, 1, 42, "type"),                       // invalid type
        (name, 0, 7, "reserved tag"),                // tag < 100
        (name, 3, 2, "fit"),                         // STRING with count 2
        (dirindexes, 3, 0x0fff_ffff, "fit"),         // INT32 count far beyond dl
        (dirindexes, 3, u32::MAX, "fit"),            // count overflow
        (dirindexes, 2, (dl - 4) | 2, "misaligned"), // INT32 at offset ≡ 2 mod 4
        (basenames, 3, 1_000_000, "fit"),            // STRING_ARRAY count beyond the strings
        (0, 2, dl, "region"),                        // region trailer offset out of range
        (0, 3, 17, "region"),                        // region tag count != 16
    ];
    for (i, field, value, want) in cases {
        let mut b = blob.clone();
        set_be32(&mut b, entry_field(i, field), value);
        let msg = header_err(&b);
        assert!(
            msg.contains(want),
            "entry {i} field {field} = {value}: {msg}"
        );
    }
}

#[test]
fn bad_region_trailers() {
    let blob = sample_header("acme");
    let il = u32::from_be_bytes(blob[0..4].try_into().unwrap()) as usize;
    let trailer_off = u32::from_be_bytes(blob[entry_field(0, 2)..][..4].try_into().unwrap());
    let trailer = 8 + 16 * il + trailer_off as usize;
    for (field, value) in [
        (0usize, 62u32),             // wrong tag
        (1, 6),                      // wrong type
        (2, (-(17i32 * 16)) as u32), // claims more entries than il
        (2, (-15i32) as u32),        // not a multiple of 16
        (2, 16),                     // positive
    ] {
        let mut b = blob.clone();
        set_be32(&mut b, trailer + 4 * field, value);
        let msg = header_err(&b);
        assert!(msg.contains("region"), "trailer field {field}: {msg}");
    }
}

#[test]
fn overlapping_entries_and_length_mismatch() {
    let blob = sample_header("acme");
    // VERSION pointing at NAME's data.
    let name_off = u32::from_be_bytes(
        blob[entry_field(entry_index(&blob, 1000), 2)..][..4]
            .try_into()
            .unwrap(),
    );
    let mut b = blob.clone();
    set_be32(&mut b, entry_field(entry_index(&blob, 1001), 2), name_off);
    assert!(header_err(&b).contains("overlaps"));
    // One byte more of dl than the entries account for (and one byte of data).
    let mut b = blob.clone();
    let dl = u32::from_be_bytes(b[4..8].try_into().unwrap());
    set_be32(&mut b, 4, dl + 1);
    b.push(0);
    assert!(header_err(&b).contains("computed data length"));
}

#[test]
fn file_list_errors() {
    let bad_index = build_header(
        &[
            (1000, s("x")),
            (1116, Val::I32(vec![0, 5])),
            (1117, sa(&["a", "b"])),
            (1118, sa(&["/d/"])),
        ],
        &[],
    );
    assert!(header_err(&bad_index).contains("DIRINDEXES value 5 out of range"));
    let short = build_header(
        &[
            (1000, s("x")),
            (1116, Val::I32(vec![0])),
            (1117, sa(&["a", "b"])),
            (1118, sa(&["/d/"])),
        ],
        &[],
    );
    assert!(header_err(&short).contains("2 BASENAMES but 1 DIRINDEXES"));
    let no_dirs = build_header(&[(1000, s("x")), (1117, sa(&["a"]))], &[]);
    assert!(header_err(&no_dirs).contains("without DIRNAMES"));
}

#[test]
fn file_path_amplification_is_capped() {
    // One 60 KB directory name shared by 20 000 files would expand to 1.2 GB.
    let dir = format!("/{}/", "d".repeat(60_000));
    let bases: Vec<String> = (0..20_000).map(|i| format!("{}", i % 10)).collect();
    let blob = build_header(
        &[
            (1000, s("bomb")),
            (1116, Val::I32(vec![0; 20_000])),
            (1117, Val::StrArray(bases)),
            (1118, Val::StrArray(vec![dir])),
        ],
        &[],
    );
    let start = Instant::now();
    let msg = header_err(&blob);
    assert!(msg.contains("file paths expand"), "{msg}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

// --- Berkeley DB ----------------------------------------------------------

fn two_record_bdb(be: bool) -> (Vec<u8>, Vec<Vec<u32>>) {
    build_bdb(
        &[
            BdbRecord {
                key: 1,
                value: sample_header("one"),
                inline: false,
            },
            BdbRecord {
                key: 2,
                value: sample_header("two"),
                inline: false,
            },
        ],
        be,
    )
}

fn set_u32(b: &mut [u8], at: usize, v: u32, be: bool) {
    let x = if be { v.to_be_bytes() } else { v.to_le_bytes() };
    b[at..at + 4].copy_from_slice(&x);
}

#[test]
fn bdb_overflow_cycle_is_detected() {
    for be in [false, true] {
        let (mut db, chains) = two_record_bdb(be);
        let chain = &chains[0];
        assert!(chain.len() >= 3);
        // Last page of the first chain points back to its first page.
        let last = *chain.last().unwrap();
        set_u32(&mut db, bdb_page_offset(last) + 16, chain[0], be);
        let start = Instant::now();
        let report = read_packages_lenient(&db).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(report.packages.len(), 1, "the intact record is still read");
        assert_eq!(report.packages[0].name, "two");
        assert_eq!(report.skipped.len(), 1);
        let msg = report.skipped[0].to_string();
        assert!(
            msg.contains("second time") || msg.contains("more than"),
            "{msg}"
        );
        // The strict reader fails and names the record.
        match read_packages(&db) {
            Err(Error::Record {
                location: Location::BdbItem { page: 1, .. },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn bdb_self_loop_and_shared_chain() {
    let (mut db, chains) = two_record_bdb(false);
    // Self loop on the first overflow page with a huge claimed length.
    let first = chains[0][0];
    set_u32(&mut db, bdb_page_offset(first) + 16, first, false);
    assert!(read_packages(&db).is_err());

    // Second item's value pointing at the first item's chain.
    let (mut db, chains) = two_record_bdb(false);
    let hash_page = bdb_page_offset(1);
    let inp3 = u16::from_le_bytes(db[hash_page + 26 + 6..][..2].try_into().unwrap()) as usize;
    set_u32(&mut db, hash_page + inp3 + 4, chains[0][0], false);
    let report = read_packages_lenient(&db).unwrap();
    assert_eq!(report.packages.len(), 1);
    assert!(
        report.skipped[0].to_string().contains("second time"),
        "{}",
        report.skipped[0]
    );
}

#[test]
fn bdb_bad_pointers_and_lengths() {
    let base = two_record_bdb(false);
    let hash_page = bdb_page_offset(1);
    let inp1 = u16::from_le_bytes(base.0[hash_page + 28..][..2].try_into().unwrap()) as usize;
    let value = hash_page + inp1;
    let cases: Vec<(usize, u32, &str)> = vec![
        (value + 4, 9999, "beyond the last page"), // first overflow page out of range
        (value + 4, 1, "page type 13"),            // points at the hash page
        (value + 8, u32::MAX, "more than the whole file"), // tlen
        (value + 8, 10, "more than the 10 bytes"), // chain longer than tlen
        (value + 8, 5000, "ends after"),           // chain shorter than tlen
    ];
    for (at, v, want) in cases {
        let mut db = base.0.clone();
        set_u32(&mut db, at, v, false);
        let err = read_packages(&db).unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    // Overflow page claiming more data than a page holds.
    let mut db = base.0.clone();
    let p = bdb_page_offset(base.1[0][0]);
    db[p + 22..p + 24].copy_from_slice(&600u16.to_le_bytes());
    assert!(
        read_packages(&db)
            .unwrap_err()
            .to_string()
            .contains("exceeds the page")
    );
    // Item offsets inside the item array / odd item count.
    let mut db = base.0.clone();
    db[hash_page + 26..hash_page + 28].copy_from_slice(&4u16.to_le_bytes());
    db[hash_page + 28..hash_page + 30].copy_from_slice(&4u16.to_le_bytes());
    assert!(read_packages(&db).is_err());
    let mut db = base.0.clone();
    db[hash_page + 20..hash_page + 22].copy_from_slice(&3u16.to_le_bytes());
    assert!(
        read_packages(&db)
            .unwrap_err()
            .to_string()
            .contains("odd number")
    );
    let mut db = base.0.clone();
    db[hash_page + 20..hash_page + 22].copy_from_slice(&0xfffeu16.to_le_bytes());
    assert!(
        read_packages(&db)
            .unwrap_err()
            .to_string()
            .contains("do not fit")
    );
}

#[test]
fn bdb_bad_metadata() {
    let (db, _) = two_record_bdb(false);
    let meta_cases: Vec<(usize, u32, &str)> = vec![
        (32, u32::MAX, "last page number"),
        (32, 1000, "last page number"),
        (20, 0, "page size"),
        (20, 1000, "page size"),
        (20, 1 << 20, "page size"),
    ];
    for (at, v, want) in meta_cases {
        let mut b = db.clone();
        set_u32(&mut b, at, v, false);
        let err = read_packages(&b).unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    let mut b = db.clone();
    b[24] = 1;
    assert!(
        read_packages(&b)
            .unwrap_err()
            .to_string()
            .contains("encrypted")
    );
    let mut b = db.clone();
    b[25] = 9;
    assert!(
        read_packages(&b)
            .unwrap_err()
            .to_string()
            .contains("metadata page")
    );
    assert!(read_packages(&db[..40]).is_err());
}

// --- NDB ------------------------------------------------------------------

#[test]
fn ndb_corruptions() {
    let (db, offs) = build_ndb(&[sample_header("a"), sample_header("b")]);
    let slot = |n: usize| n * 16;
    let le = |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let blob_a = offs[0] as usize * 16;
    let cases: Vec<(usize, u32, &str)> = vec![
        (12, 0, "zero slot pages"),
        (12, 0x10_0000, "do not fit"),
        (12, u32::MAX, "do not fit"),
        (4, 1, "version"),
        (slot(2) + 8, u32::MAX - 1, "does not fit"), // blkoff
        (slot(2) + 12, u32::MAX, "does not fit"),    // blkcnt
        (slot(2) + 8, 3, "inside the slot pages"),
        (slot(3) + 8, offs[0], "overlaps"), // b's slot points at a's blob
        (slot(2) + 4, 0, "package index 0"),
        (blob_a + 4, 9, "belongs to package index 9"),
        (blob_a + 12, 100_000, "does not match"),
        (blob_a, 0, "head magic"),
        (slot(2), 0, "bad slot magic"),
    ];
    for (at, v, want) in cases {
        let mut b = db.clone();
        le(&mut b, at, v);
        let err = read_packages(&b).unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    // Tail magic and length.
    let end_a = blob_a + (16 + sample_header("a").len() + 12).div_ceil(16) * 16;
    let mut b = db.clone();
    b[end_a - 4..end_a].copy_from_slice(b"XXXX");
    assert!(read_packages(&b).unwrap_err().to_string().contains("tail"));
    // Truncated file.
    assert!(read_packages(&db[..db.len() - 20]).is_err());
    assert!(read_packages(&db[..20]).is_err());
}

// --- SQLite ---------------------------------------------------------------

fn sqlite_file(sql: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(sql).unwrap();
    drop(c);
    std::fs::read(&path).unwrap()
}

#[test]
fn sqlite_hostile_schemas() {
    // An endless recursive view must be refused, not run.
    let db = sqlite_file(
        "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
         SELECT x AS hnum, x AS blob FROM c;",
    );
    let start = Instant::now();
    let err = read_packages(&db).unwrap_err().to_string();
    assert!(err.contains("not an ordinary table"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));

    // A generated column producing a 300 MB blob hits the length limit.
    let db = sqlite_file(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, seed INTEGER,
           blob BLOB AS (zeroblob(300000000)) VIRTUAL);
         INSERT INTO Packages (seed) VALUES (1);",
    );
    let err = read_packages(&db).unwrap_err().to_string();
    assert!(err.contains("too big") || err.contains("SQLite"), "{err}");

    let db = sqlite_file("CREATE TABLE Other (x);");
    assert!(
        read_packages(&db)
            .unwrap_err()
            .to_string()
            .contains("no table named Packages")
    );

    let db = sqlite_file(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);
         INSERT INTO Packages VALUES (5, 'text, not a blob');
         INSERT INTO Packages VALUES (6, x'00000001');",
    );
    let report = read_packages_lenient(&db).unwrap();
    assert!(report.packages.is_empty());
    assert_eq!(report.skipped.len(), 2);
    let msg = report.skipped[0].to_string();
    assert!(msg.contains("hnum=5") && msg.contains("not BLOB"), "{msg}");
    let msg = report.skipped[1].to_string();
    assert!(msg.contains("hnum=6"), "{msg}");

    let mut garbage = b"SQLite format 3\0".to_vec();
    garbage.extend_from_slice(&[0x5a; 4000]);
    assert!(read_packages(&garbage).is_err());
    assert!(read_packages(b"SQLite format 3\0").is_err());
}

// --- Random and mutated input --------------------------------------------

#[test]
fn random_bytes_are_rejected() {
    let mut rng = Rng::new(0x5eed);
    for i in 0..300 {
        let len = rng.below(5000);
        let mut v: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(parse_header_blob(&v).is_err(), "random header {i}");
        // Give some of them a database magic so the format readers run.
        match i % 4 {
            0 if v.len() >= 4 => v[..4].copy_from_slice(b"RpmP"),
            1 if v.len() >= 16 => v[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes()),
            2 if v.len() >= 16 => v[12..16].copy_from_slice(&0x0006_1561u32.to_be_bytes()),
            _ => {}
        }
        assert!(read_packages(&v).is_err(), "random db {i}");
    }
}

/// Runs `f` on `n` mutations of `base`; a panic names the seed and iteration.
fn fuzz(name: &str, base: &[u8], n: usize, seed: u64, f: impl Fn(&[u8])) {
    let mut rng = Rng::new(seed);
    for i in 0..n {
        let input = mutate(&mut rng, base);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&input)));
        if r.is_err() {
            panic!(
                "{name}: panic on mutation {i} (seed {seed:#x}, {} bytes)",
                input.len()
            );
        }
    }
}

fn check_db(input: &[u8]) {
    let strict = read_packages(input);
    if let Ok(report) = read_packages_lenient(input) {
        // Strict succeeds exactly when lenient skipped nothing.
        assert_eq!(strict.is_ok(), report.skipped.is_empty());
        if let Ok(pkgs) = strict {
            assert_eq!(pkgs, report.packages);
        }
    } else {
        assert!(strict.is_err());
    }
}

#[test]
fn mutated_headers_never_panic() {
    fuzz("libuuid header", &libuuid_header_blob(), 1500, 1, |b| {
        let _ = parse_header_blob(b);
    });
    fuzz("sample header", &sample_header("acme"), 3000, 2, |b| {
        let _ = parse_header_blob(b);
    });
}

#[test]
fn mutated_berkeley_dbs_never_panic() {
    fuzz(
        "libuuid Packages",
        &read_fixture("go-rpmdb/libuuid/Packages"),
        800,
        3,
        check_db,
    );
    fuzz(
        "syft Packages",
        &read_fixture("syft/Packages"),
        1500,
        4,
        check_db,
    );
    fuzz(
        "synthetic BE bdb",
        &two_record_bdb(true).0,
        1500,
        5,
        check_db,
    );
}

#[test]
fn mutated_ndb_never_panics() {
    let (db, _) = build_ndb(&[sample_header("a"), sample_header("b"), sample_header("c")]);
    fuzz("synthetic ndb", &db, 2000, 6, check_db);
}

#[test]
fn mutated_sqlite_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for n in ["x", "y", "z"] {
            c.execute(
                "INSERT INTO Packages (blob) VALUES (?1)",
                [sample_header(n)],
            )
            .unwrap();
        }
    }
    let db = std::fs::read(&path).unwrap();
    assert_eq!(read_packages(&db).unwrap().len(), 3);
    fuzz("synthetic sqlite", &db, 300, 7, check_db);
}

#[test]
fn file_lists_across_packages_share_one_budget() {
    // Each header stays under the per-header expansion cap (4x its size + 1 MiB), but 250 of them
    // naming a 900-byte directory for 1000 one-byte files each would build 225 MB of paths from a
    // 2 MB database. The read's budget bounds what is kept; every package is still reported.
    let dir = format!("/{}/", "d".repeat(900));
    let bases: Vec<String> = (0..1000).map(|i| format!("{}", i % 10)).collect();
    let blobs: Vec<Vec<u8>> = (0..250)
        .map(|i| {
            build_header(
                &[
                    (1000, s(&format!("pkg{i}"))),
                    (1116, Val::I32(vec![0; 1000])),
                    (1117, Val::StrArray(bases.clone())),
                    (1118, Val::StrArray(vec![dir.clone()])),
                ],
                &[],
            )
        })
        .collect();
    let (db, _) = build_ndb(&blobs);
    assert!(db.len() < 3 << 20, "{}", db.len());
    let budget: u64 = 16 << 20;
    let opts = bulkhead_rpmdb::ReadOptions {
        max_file_bytes: budget,
        ..Default::default()
    };
    let start = Instant::now();
    let report = bulkhead_rpmdb::read_packages_lenient_with(&db, &opts).unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(report.packages.len(), 250);
    assert!(report.skipped.is_empty());
    let kept: u64 = report
        .packages
        .iter()
        .flat_map(|p| &p.files)
        .map(|f| f.len() as u64 + 48)
        .sum();
    let files: u64 = report.packages.iter().map(|p| p.files.len() as u64).sum();
    assert!(kept <= budget, "{kept}");
    assert!(kept > budget - 2000, "the budget is used up: {kept}");
    assert_eq!(files + report.files_dropped, 250_000);
    // Over-long paths are dropped and counted too.
    let opts = bulkhead_rpmdb::ReadOptions {
        max_path_len: 100,
        ..Default::default()
    };
    let report = bulkhead_rpmdb::read_packages_lenient_with(&db, &opts).unwrap();
    assert_eq!(report.files_dropped, 250_000);
    assert!(report.packages.iter().all(|p| p.files.is_empty()));
    // More directories than files is a corrupt header, refused before anything is built.
    let blob = build_header(
        &[
            (1000, s("dirs")),
            (1116, Val::I32(vec![0])),
            (1117, sa(&["a"])),
            (1118, sa(&["/a/", "/b/"])),
        ],
        &[],
    );
    assert!(header_err(&blob).contains("2 DIRNAMES for 1 files"));
}
