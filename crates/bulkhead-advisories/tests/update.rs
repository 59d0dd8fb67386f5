//! `db update` against a local HTTP mirror: conditional GET, atomic replacement, failures.

use bulkhead_advisories::Store;
use bulkhead_advisories::update::{Outcome, UpdateError, UpdateOptions, state_path, update};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv")
}

/// A zip of every file under `fixtures/osv/<eco>`, entries named by file name.
fn zip_of(eco: &str) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![fixtures().join(eco)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        zw.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

#[derive(Clone)]
struct Resource {
    status: u16,
    body: Vec<u8>,
    etag: String,
}

#[derive(Default)]
struct Server {
    resources: HashMap<String, Resource>,
    /// (path, If-None-Match) of every request.
    log: Vec<(String, Option<String>)>,
}

/// Serve `state` on 127.0.0.1; one request per connection. Returns the base URL.
fn serve(state: Arc<Mutex<Server>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut inm = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.trim().eq_ignore_ascii_case("if-none-match")
                {
                    inm = Some(v.trim().to_string());
                }
            }
            let mut s = state.lock().unwrap();
            s.log.push((path.clone(), inm.clone()));
            let res = s.resources.get(&path).cloned();
            drop(s);
            let (status, body, etag) = match res {
                Some(r) if r.status == 200 && inm.as_deref() == Some(r.etag.as_str()) => {
                    (304, Vec::new(), Some(r.etag))
                }
                Some(r) if r.status == 200 => (200, r.body, Some(r.etag)),
                Some(r) => (r.status, b"server error".to_vec(), None),
                None => (404, b"not found".to_vec(), None),
            };
            let reason = match status {
                200 => "OK",
                304 => "Not Modified",
                404 => "Not Found",
                _ => "Error",
            };
            let mut head = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
            if let Some(e) = etag {
                head.push_str(&format!("ETag: {e}\r\n"));
            }
            if status != 304 {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            head.push_str("\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
            let _ = conn.flush();
        }
    });
    format!("http://{addr}")
}

fn opts(mirror: &str) -> UpdateOptions {
    UpdateOptions {
        mirror: mirror.to_string(),
        ecosystems: vec!["PyPI".into(), "Go".into()],
    }
}

fn counts(db: &Path) -> (u64, Vec<(String, u64)>) {
    let info = Store::open_read_only(db).unwrap().info().unwrap();
    let ecos = info
        .ecosystems
        .iter()
        .map(|e| (e.name.clone(), e.records))
        .collect();
    (info.total_records, ecos)
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".bulkhead-update"))
        .collect()
}

#[test]
fn conditional_update_and_atomic_failure() {
    let state = Arc::new(Mutex::new(Server::default()));
    {
        let mut s = state.lock().unwrap();
        for (eco, tag) in [("PyPI", "\"pypi-1\""), ("Go", "\"go-1\"")] {
            s.resources.insert(
                format!("/{eco}/all.zip"),
                Resource {
                    status: 200,
                    body: zip_of(eco),
                    etag: tag.into(),
                },
            );
        }
    }
    let mirror = serve(state.clone());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").join("adv.db");

    // 1. First update: both archives downloaded and imported.
    let report = update(&db, &opts(&mirror), &mut |_| {}).unwrap();
    assert!(
        report
            .ecosystems
            .iter()
            .all(|e| matches!(e.outcome, Outcome::Downloaded { bytes, .. } if bytes > 0))
    );
    let import = report.import.as_ref().unwrap();
    assert_eq!(import.archives_read, 2);
    assert!(import.errors.is_empty(), "{:?}", import.errors);
    let (total, ecos) = counts(&db);
    assert_eq!(total, 5, "{ecos:?}");
    assert!(ecos.contains(&("PyPI".into(), 3)), "{ecos:?}");
    // Same counts as importing the fixture directories directly.
    let reference = dir.path().join("reference.db");
    Store::create_or_open(&reference)
        .unwrap()
        .import_paths(
            &[fixtures().join("PyPI"), fixtures().join("Go")],
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(counts(&reference), (total, ecos));
    let sidecar = std::fs::read_to_string(state_path(&db)).unwrap();
    assert!(
        sidecar.contains("pypi-1") && sidecar.contains("go-1"),
        "{sidecar}"
    );
    assert!(
        state
            .lock()
            .unwrap()
            .log
            .iter()
            .all(|(_, inm)| inm.is_none())
    );
    assert!(leftovers(db.parent().unwrap()).is_empty());

    // 2. Second update: conditional requests, 304s, database untouched.
    let before = std::fs::read(&db).unwrap();
    let mtime = std::fs::metadata(&db).unwrap().modified().unwrap();
    state.lock().unwrap().log.clear();
    let report = update(&db, &opts(&mirror), &mut |_| {}).unwrap();
    assert!(report.import.is_none());
    assert!(
        report
            .ecosystems
            .iter()
            .all(|e| e.outcome == Outcome::NotModified)
    );
    {
        let s = state.lock().unwrap();
        let mut log = s.log.clone();
        log.sort();
        assert_eq!(
            log,
            vec![
                ("/Go/all.zip".to_string(), Some("\"go-1\"".to_string())),
                ("/PyPI/all.zip".to_string(), Some("\"pypi-1\"".to_string())),
            ]
        );
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), mtime);

    // 3. Go changed on the mirror, PyPI answers 500: error names PyPI, database byte-identical.
    {
        let mut s = state.lock().unwrap();
        s.resources.get_mut("/Go/all.zip").unwrap().etag = "\"go-2\"".into();
        s.resources.get_mut("/PyPI/all.zip").unwrap().status = 500;
    }
    let err = update(&db, &opts(&mirror), &mut |_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, UpdateError::Download { ref ecosystem, .. } if ecosystem == "PyPI"));
    assert!(
        msg.contains("PyPI") && msg.contains("/PyPI/all.zip") && msg.contains("500"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(
        std::fs::read_to_string(state_path(&db))
            .unwrap()
            .contains("go-1")
    );
    assert!(leftovers(db.parent().unwrap()).is_empty());

    // 4. PyPI serves a corrupt zip (new ETag): error names PyPI, database byte-identical.
    {
        let mut s = state.lock().unwrap();
        let r = s.resources.get_mut("/PyPI/all.zip").unwrap();
        r.status = 200;
        r.etag = "\"pypi-2\"".into();
        r.body = b"this is not a zip archive".to_vec();
    }
    let err = update(&db, &opts(&mirror), &mut |_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, UpdateError::Archive { ref ecosystem, .. } if ecosystem == "PyPI"),
        "{msg}"
    );
    assert!(msg.contains("/PyPI/all.zip"), "{msg}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let sidecar = std::fs::read_to_string(state_path(&db)).unwrap();
    assert!(
        sidecar.contains("pypi-1") && sidecar.contains("go-1"),
        "{sidecar}"
    );
    assert!(leftovers(db.parent().unwrap()).is_empty());
    assert_eq!(counts(&db).0, 5);
}

#[test]
fn archive_url_encodes_the_ecosystem() {
    assert_eq!(
        bulkhead_advisories::update::archive_url("https://m.example/", "Rocky Linux"),
        "https://m.example/Rocky%20Linux/all.zip"
    );
    assert_eq!(
        bulkhead_advisories::update::archive_url("https://m.example", "crates.io"),
        "https://m.example/crates.io/all.zip"
    );
}
