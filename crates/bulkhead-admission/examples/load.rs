//! A bounded open-loop load generator for the webhook (bench/admission-load.sh): `--connections`
//! keep-alive TLS connections (rustls, trusting only `--ca`) send an AdmissionReview body at a
//! fixed total `--rate` for `--seconds`, then stop. Each request has a scheduled send time; its
//! latency is measured from that time (not from when a busy connection got round to it), so a
//! server that falls behind shows it. Prints one JSON line: sent, errors, achieved rate, p50, p99,
//! p99.9 and max in milliseconds.
//!
//! Usage: load --addr 127.0.0.1:8443 --ca ca.crt --name localhost --body review.json
//!             --rate 2000 --seconds 10 --connections 8

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let need = |n: &str| arg(&args, n).unwrap_or_else(|| panic!("{n} is required"));
    let addr = need("--addr");
    let ca = std::fs::read(need("--ca")).expect("--ca");
    let name = arg(&args, "--name").unwrap_or_else(|| "localhost".into());
    let body = std::fs::read(need("--body")).expect("--body");
    let rate: f64 = need("--rate").parse().expect("--rate");
    let seconds: f64 = need("--seconds").parse().expect("--seconds");
    let conns: usize = arg(&args, "--connections")
        .map(|c| c.parse().expect("--connections"))
        .unwrap_or(8);
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&ca) {
        roots
            .add(c.expect("a PEM certificate"))
            .expect("a CA certificate");
    }
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let per_conn = rate / conns as f64;
    let interval = Duration::from_secs_f64(1.0 / per_conn);
    let total_per_conn = (per_conn * seconds).round() as usize;
    let start = Instant::now() + Duration::from_millis(200);
    let body = Arc::new(body);
    let handles: Vec<_> = (0..conns)
        .map(|i| {
            let (config, addr, name, body) = (config.clone(), addr.clone(), name.clone(), body.clone());
            std::thread::spawn(move || {
                let server = ServerName::try_from(name.clone()).unwrap();
                let conn = rustls::ClientConnection::new(config, server).unwrap();
                let tcp = TcpStream::connect(&addr).expect("connect");
                tcp.set_nodelay(true).unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let head = format!(
                    "POST /validate HTTP/1.1\r\nHost: {name}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let mut req = head.into_bytes();
                req.extend_from_slice(&body);
                // Stagger the connections across one interval.
                let offset = interval.mul_f64(i as f64 / conns as f64);
                let mut lat = Vec::with_capacity(total_per_conn);
                let mut errors = 0usize;
                let mut reader_buf = Vec::new();
                for n in 0..total_per_conn {
                    let due = start + offset + interval.mul_f64(n as f64);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    if tls.write_all(&req).is_err() {
                        errors += 1;
                        break;
                    }
                    // Status line and headers, then the body by Content-Length.
                    let mut r = BufReader::new(&mut tls);
                    let mut len = None;
                    let mut ok = false;
                    let mut first = true;
                    loop {
                        reader_buf.clear();
                        match r.read_until(b'\n', &mut reader_buf) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                        let line = String::from_utf8_lossy(&reader_buf);
                        if first {
                            ok = line.starts_with("HTTP/1.1 200");
                            first = false;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse::<usize>().ok();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let Some(len) = len else {
                        errors += 1;
                        break;
                    };
                    let mut b = vec![0u8; len];
                    if r.read_exact(&mut b).is_err() || !ok || !b.starts_with(b"{\"apiVersion\"") {
                        errors += 1;
                    }
                    lat.push(due.elapsed());
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (l, e) = h.join().unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let q = |p: f64| -> f64 {
        if all.is_empty() {
            return f64::NAN;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i].as_secs_f64() * 1000.0
    };
    println!(
        "{{\"rate\":{rate},\"sent\":{},\"errors\":{errors},\"achieved\":{:.0},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"max_ms\":{:.3}}}",
        all.len(),
        all.len() as f64 / elapsed,
        q(0.50),
        q(0.99),
        q(0.999),
        q(1.0)
    );
}
