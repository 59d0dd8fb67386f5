//! Print the blocks and events of a `.scap` capture.
//!
//! Usage: `scapdump [--summary] [--raw] FILE...`
//!   default: one line per block / event (events after old-event conversion);
//!   `--raw`: events as stored (no conversion);
//!   `--summary`: block and event-type counts only.

use bulkhead_scap::{Block, Capture, Converter, decode, fd_type_name, summarize, table};

fn main() {
    let mut summary = false;
    let mut raw = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--summary" | "-s" => summary = true,
            "--raw" => raw = true,
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("usage: scapdump [--summary] [--raw] FILE...");
        std::process::exit(2);
    }
    let mut failed = false;
    for f in &files {
        let res = if summary {
            print_summary(f, !raw)
        } else {
            dump(f, !raw)
        };
        if let Err(e) = res {
            eprintln!("{f}: {e}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}

fn print_summary(path: &str, convert: bool) -> Result<(), Box<dyn std::error::Error>> {
    let s = summarize(std::fs::File::open(path)?, convert)?;
    println!("== {path}");
    if let Some((ma, mi)) = s.version {
        println!(
            "  version {ma}.{mi} gzip={} host={:?}",
            s.gzip,
            s.hostname.unwrap_or_default()
        );
    }
    let blocks: Vec<String> = s
        .blocks
        .iter()
        .map(|(k, v)| format!("{k:#x}:{v}"))
        .collect();
    println!("  blocks {}", blocks.join(" "));
    println!(
        "  threads {} (proclist v{}) fds {} users {} groups {} interfaces {}",
        s.threads,
        s.proclist_version.unwrap_or(0),
        s.fds,
        s.users,
        s.groups,
        s.interfaces
    );
    println!(
        "  raw events {}, events {} ({})",
        s.raw_events,
        s.events,
        if convert { "converted" } else { "raw" }
    );
    let types: Vec<String> = s.by_type.iter().map(|(k, v)| format!("{k}{v}")).collect();
    println!("  types {}", types.join(" "));
    Ok(())
}

fn dump(path: &str, convert: bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut cap = Capture::open(path)?;
    let mut conv = Converter::new();
    while let Some(b) = cap.next_block()? {
        match b {
            Block::SectionHeader(s) => println!(
                "SHB version {}.{} len {}",
                s.major, s.minor, s.section_length
            ),
            Block::MachineInfo(m) => println!(
                "MI cpus {} mem {} max_pid {} host {}",
                m.num_cpus, m.memory_size_bytes, m.max_pid, m.hostname
            ),
            Block::Interfaces(l) => {
                println!("IL {} interfaces", l.len());
                for i in l {
                    println!("  {} {:?}", i.name, i.addr);
                }
            }
            Block::Users { users, groups } => {
                println!("UL {} users {} groups", users.len(), groups.len())
            }
            Block::Processes { version, threads } => {
                println!("PL v{version} {} threads", threads.len());
                for t in threads {
                    println!(
                        "  tid {} pid {} ptid {} comm {} exe {} args {:?} cwd {} uid {} gid {} container {:?}",
                        t.tid,
                        t.pid,
                        t.ptid,
                        t.comm,
                        t.exe,
                        t.args_list(),
                        t.cwd,
                        t.uid,
                        t.gid,
                        t.container_id()
                    );
                }
            }
            Block::Fds { tid, fds } => {
                println!("FDL tid {tid} {} fds", fds.len());
                for fd in fds {
                    println!(
                        "  fd {} {} {:?}",
                        fd.fd,
                        fd_type_name(fd.fd_type),
                        fd.detail
                    );
                }
            }
            Block::Event(raw) => {
                if table::event_info(raw.code).is_none() {
                    println!("EV unknown code {}", raw.code);
                    continue;
                }
                let ev = decode(&raw);
                if convert {
                    if let (Some(ev), o) = conv.convert(ev) {
                        let mark = if o == bulkhead_scap::Outcome::Converted {
                            "  [converted]"
                        } else {
                            ""
                        };
                        println!("{ev}{mark}");
                    }
                } else {
                    println!("{ev}");
                }
            }
            Block::Unknown { block_type, len } => {
                println!("?? block {block_type:#x} ({len} bytes)")
            }
        }
    }
    Ok(())
}
