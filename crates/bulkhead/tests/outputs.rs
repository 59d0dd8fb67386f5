//! Falco's output channels through `bulkhead runtime replay`: file_output, program_output,
//! http_output (a real HTTP server on loopback, as falcosidekick would receive the POSTs) and
//! syslog_output (a real datagram socket), each receiving exactly the lines stdout gets.

mod common;
use common::bulkhead;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;

fn capture() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bulkhead-scap/tests/fixtures/cat_write.scap")
}

fn rules(dir: &std::path::Path) -> PathBuf {
    let r = dir.join("rules.yaml");
    std::fs::write(
        &r,
        "- rule: open_from_cat\n  desc: cat opens\n  condition: evt.type=open and proc.name=cat\n  output: \"An open was seen (command=%proc.cmdline)\"\n  priority: WARNING\n",
    )
    .unwrap();
    r
}

/// A one-thread HTTP server answering 200 to every POST; returns its URL and the bodies (with
/// their content types) it received, once `n` have come.
fn http_server(n: usize) -> (String, std::thread::JoinHandle<Vec<(String, String)>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let mut got = Vec::new();
        while got.len() < n {
            let (s, _) = l.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            loop {
                // Keep-alive: several requests per connection.
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                assert!(line.starts_with("POST / "), "{line}");
                let (mut len, mut ctype) = (0usize, String::new());
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    match k.to_ascii_lowercase().as_str() {
                        "content-length" => len = v.trim().parse().unwrap(),
                        "content-type" => ctype = v.trim().to_string(),
                        _ => {}
                    }
                }
                let mut body = vec![0; len];
                r.read_exact(&mut body).unwrap();
                got.push((ctype, String::from_utf8(body).unwrap()));
                let mut w = &s;
                w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .unwrap();
                if got.len() == n {
                    break;
                }
            }
        }
        got
    });
    (url, h)
}

#[test]
fn every_channel_gets_the_lines_stdout_gets() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules(dir.path());
    let file = dir.path().join("events.txt");
    let piped = dir.path().join("piped.txt");
    let syslog = dir.path().join("log.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&syslog).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let (url, server) = http_server(8);
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture().to_str().unwrap(),
        "-o",
        "json_output=true",
        "-o",
        "file_output.enabled=true",
        "-o",
        &format!("file_output.filename={}", file.display()),
        "-o",
        "program_output.enabled=true",
        "-o",
        &format!("program_output.program=cat >> {}", piped.display()),
        "-o",
        "http_output.enabled=true",
        "-o",
        &format!("http_output.url={url}"),
        "-o",
        "syslog_output.enabled=true",
        "-o",
        &format!("syslog_output.socket={}", syslog.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(stdout.len(), 8);
    let lines = |p: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(lines(&file), stdout, "file_output");
    assert_eq!(lines(&piped), stdout, "program_output (one run per alert)");
    let posted = server.join().unwrap();
    assert_eq!(
        posted.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(),
        stdout,
        "http_output"
    );
    assert!(posted.iter().all(|(t, _)| t == "application/json"));
    let mut buf = [0u8; 65536];
    for line in &stdout {
        let n = sock.recv(&mut buf).unwrap();
        let msg = std::str::from_utf8(&buf[..n]).unwrap();
        // Facility user, severity warning (4): <12>.
        let (head, body) = msg.split_once(": ").unwrap();
        assert!(head.starts_with("<12>bulkhead["), "{msg}");
        assert_eq!(body, line);
    }
    println!("outputs: 8 alerts delivered identically to stdout, file, program, HTTP and syslog");
}

#[test]
fn a_channel_that_fails_is_reported_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules(dir.path());
    let file = dir.path().join("events.txt");
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture().to_str().unwrap(),
        "-o",
        "file_output.enabled=true",
        "-o",
        &format!("file_output.filename={}", file.display()),
        "-o",
        "http_output.enabled=true",
        "-o",
        "http_output.url=http://127.0.0.1:9/",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("http_output").count(),
        1,
        "reported once: {err}"
    );
    assert!(err.contains("8 delivery failure(s)"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 8);
    // A channel without its required key is a configuration error, not a silent no-op.
    let out = bulkhead(&[
        "runtime",
        "replay",
        "-r",
        rules.to_str().unwrap(),
        "-e",
        capture().to_str().unwrap(),
        "-o",
        "file_output.enabled=true",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("file_output.filename"));
}
