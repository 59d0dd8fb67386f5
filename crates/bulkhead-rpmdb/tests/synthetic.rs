//! Databases and headers made by the test builders (tests/common), covering
//! format features the real fixtures do not: dribble entries, legacy
//! headers, OLDFILENAMES, LONGSIZE, big-endian Berkeley DB, inline values,
//! free NDB slots, and an rpm-schema SQLite file.

mod common;

use bulkhead_rpmdb::{
    DbFormat, Error, RpmPackage, detect_format, parse_header_blob, read_packages,
    read_packages_lenient,
};
use common::*;

fn sample_package(name: &str) -> RpmPackage {
    RpmPackage {
        name: name.to_string(),
        epoch: Some(7),
        version: "1.0".into(),
        release: "2.el9".into(),
        arch: "x86_64".into(),
        source_rpm: format!("{name}-1.0-2.el9.src.rpm"),
        license: "MIT".into(),
        vendor: "Acme".into(),
        size: 4242,
        modularity_label: String::new(),
        files: vec![
            "/usr/bin/tool".into(),
            "/etc/acme/a.conf".into(),
            "/etc/acme/b.conf".into(),
        ],
        requires: Vec::new(),
        provides: Vec::new(),
    }
}

#[test]
fn sample_header_parses() {
    assert_eq!(
        parse_header_blob(&sample_header("acme")).unwrap(),
        sample_package("acme")
    );
}

#[test]
fn trailing_bytes_after_header_are_ignored() {
    let mut blob = sample_header("acme");
    blob.extend_from_slice(&[0xAA; 13]);
    assert_eq!(parse_header_blob(&blob).unwrap(), sample_package("acme"));
}

#[test]
fn dribble_entries_replace_region_entries() {
    let blob = build_header(
        &[
            (1000, s("drip")),
            (1001, s("1")),
            (1002, s("1")),
            (1014, s("GPL-2.0-only")),
            (1027, sa(&["/old/path"])),
        ],
        &[
            (1014, s("MIT")),
            (1116, Val::I32(vec![0])),
            (1117, sa(&["new"])),
            (1118, sa(&["/usr/"])),
            (5096, s("nodejs:18:8080020230101:abc")),
        ],
    );
    let p = parse_header_blob(&blob).unwrap();
    assert_eq!(p.license, "MIT");
    // BASENAMES (dribble) win over the region's OLDFILENAMES.
    assert_eq!(p.files, vec!["/usr/new".to_string()]);
    assert_eq!(p.modularity_label, "nodejs:18:8080020230101:abc");
}

#[test]
fn legacy_header_with_oldfilenames() {
    let blob = build_legacy_header(&[
        (1000, s("oldpkg")),
        (1001, s("3.0")),
        (1002, s("1")),
        (1022, s("i386")),
        (1027, sa(&["/bin/old", "/etc/old.conf"])),
    ]);
    let p = parse_header_blob(&blob).unwrap();
    assert_eq!(p.name, "oldpkg");
    assert_eq!(p.arch, "i386");
    assert_eq!(p.epoch, None);
    assert_eq!(
        p.files,
        vec!["/bin/old".to_string(), "/etc/old.conf".to_string()]
    );
}

#[test]
fn longsize_none_values_and_i18n_strings() {
    let blob = build_header(
        &[
            (1000, s("gpg-pubkey")),
            (1001, s("fd431d51")),
            (1002, s("4ae0493b")),
            (1009, Val::I32(vec![1])),
            (1011, s("(none)")),
            (1014, Val::I18n(vec!["pubkey".into(), "clé".into()])),
            (1044, s("(none)")),
            (5009, Val::I64(vec![5_000_000_000])),
        ],
        &[],
    );
    let p = parse_header_blob(&blob).unwrap();
    assert_eq!(p.size, 5_000_000_000);
    assert_eq!(p.vendor, "");
    assert_eq!(p.source_rpm, "");
    assert_eq!(p.license, "pubkey");
    assert_eq!(p.arch, "", "gpg-pubkey pseudo packages have no ARCH");
    assert!(p.files.is_empty());
}

#[test]
fn missing_name_and_wrong_types_are_errors() {
    let blob = build_header(&[(1001, s("1")), (1002, s("1"))], &[]);
    assert!(matches!(
        parse_header_blob(&blob),
        Err(Error::MissingTag { tag: 1000 })
    ));
    let blob = build_header(&[(1000, s("x")), (1003, s("1"))], &[]);
    let err = parse_header_blob(&blob).unwrap_err();
    assert!(matches!(err, Error::TagType { tag: 1003, .. }), "{err}");
    assert!(err.to_string().contains("1003"), "{err}");
}

fn bdb_records() -> Vec<BdbRecord> {
    vec![
        // rpm's bookkeeping record under key 0: skipped.
        BdbRecord {
            key: 0,
            value: 3u32.to_le_bytes().to_vec(),
            inline: true,
        },
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
    ]
}

#[test]
fn berkeley_db_little_and_big_endian() {
    for be in [false, true] {
        let (db, chains) = build_bdb(&bdb_records(), be);
        assert!(chains[1].len() > 1, "header spans several overflow pages");
        assert_eq!(detect_format(&db), Some(DbFormat::BerkeleyDb));
        let pkgs = read_packages(&db).unwrap();
        assert_eq!(
            pkgs,
            vec![sample_package("one"), sample_package("two")],
            "be={be}"
        );
    }
}

#[test]
fn berkeley_db_inline_value() {
    let small = build_header(&[(1000, s("tiny")), (1001, s("1")), (1002, s("1"))], &[]);
    assert!(small.len() < 200);
    let (db, _) = build_bdb(
        &[BdbRecord {
            key: 9,
            value: small,
            inline: true,
        }],
        false,
    );
    let pkgs = read_packages(&db).unwrap();
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].name, "tiny");
}

#[test]
fn ndb_slots_in_order_and_free_slots_skipped() {
    let (mut db, _) = build_ndb(&[sample_header("a"), sample_header("b"), sample_header("c")]);
    assert_eq!(detect_format(&db), Some(DbFormat::Ndb));
    let names = |db: &[u8]| -> Vec<String> {
        read_packages(db)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(names(&db), ["a", "b", "c"]);
    // Free slot 3 (package "b"): block offset 0.
    db[3 * 16 + 8..3 * 16 + 12].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(names(&db), ["a", "c"]);
}

#[test]
fn sqlite_rpm_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for n in ["x", "y"] {
            c.execute(
                "INSERT INTO Packages (blob) VALUES (?1)",
                [sample_header(n)],
            )
            .unwrap();
        }
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[18..20], &[2, 2], "file is in WAL mode");
    assert_eq!(detect_format(&bytes), Some(DbFormat::Sqlite));
    let report = read_packages_lenient(&bytes).unwrap();
    assert_eq!(report.format, DbFormat::Sqlite);
    assert!(report.skipped.is_empty());
    assert_eq!(
        report.packages,
        vec![sample_package("x"), sample_package("y")]
    );
}

#[test]
fn detect_format_by_magic_only() {
    assert_eq!(
        detect_format(b"SQLite format 3\0rest"),
        Some(DbFormat::Sqlite)
    );
    assert_eq!(detect_format(b"RpmP\0\0\0\0"), Some(DbFormat::Ndb));
    let mut bdb = vec![0u8; 16];
    bdb[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
    assert_eq!(detect_format(&bdb), Some(DbFormat::BerkeleyDb));
    bdb[12..16].copy_from_slice(&0x0006_1561u32.to_be_bytes());
    assert_eq!(detect_format(&bdb), Some(DbFormat::BerkeleyDb));
    // Btree magic (0x00053162) is not an rpm Packages hash database.
    bdb[12..16].copy_from_slice(&0x0005_3162u32.to_le_bytes());
    assert_eq!(detect_format(&bdb), None);
    assert_eq!(detect_format(b""), None);
    assert_eq!(detect_format(b"SQLite format 3"), None);
    assert!(matches!(read_packages(b"hello"), Err(Error::UnknownFormat)));
}
