//! Falco's output channels besides stdout, as its configuration describes them:
//! `file_output`, `program_output`, `http_output` (a falcosidekick-compatible POST) and
//! `syslog_output`, behind `outputs_queue` (a bounded queue drained by one output thread, so a
//! slow channel never stalls event processing) with `buffered_outputs`.
//!
//! The alert lines are the ones stdout gets ([`crate::output::OutputFormat`]): text, or JSON
//! with `json_output`. A channel that fails is reported on stderr (once per kind of failure,
//! then counted) and the others go on, as in Falco.

use crate::output::Alert;
use crate::output::OutputFormat;
use crate::pipeline::{InternalAlert, Sink};
use bulkhead_core::Priority;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// `outputs_queue.capacity` when the configuration gives 0 (Falco: unbounded; Bulkhead keeps a
/// bound, as every queue of it has one).
pub const DEFAULT_QUEUE: usize = 8192;
/// Timeout of one HTTP POST.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// `file_output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutput {
    pub filename: PathBuf,
    /// Keep the file open between alerts (else opened and closed for each, as Falco does).
    pub keep_alive: bool,
}

/// `program_output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramOutput {
    /// A shell command line (`sh -c`), fed the alert lines on its standard input.
    pub program: String,
    /// One program for every alert (else one run per alert, as Falco does).
    pub keep_alive: bool,
}

/// `http_output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOutput {
    pub url: String,
    pub user_agent: String,
    /// Do not verify the server's certificate.
    pub insecure: bool,
    /// PEM file of the certificate authorities to trust instead of the built-in roots.
    pub ca_cert: Option<PathBuf>,
    /// Print the server's answers on stdout.
    pub echo: bool,
}

/// `syslog_output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogOutput {
    /// The local syslog socket (`/dev/log`).
    pub socket: PathBuf,
}

/// Every output channel besides stdout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputsConfig {
    pub file: Option<FileOutput>,
    pub program: Option<ProgramOutput>,
    pub http: Option<HttpOutput>,
    pub syslog: Option<SyslogOutput>,
    /// `buffered_outputs`: flush the channels only now and then instead of after each alert.
    pub buffered: bool,
    /// `outputs_queue.capacity` (0: [`DEFAULT_QUEUE`]).
    pub queue_capacity: usize,
}

impl OutputsConfig {
    pub fn any(&self) -> bool {
        self.file.is_some()
            || self.program.is_some()
            || self.http.is_some()
            || self.syslog.is_some()
    }
}

enum Msg {
    Line { priority: Priority, line: String },
    Flush(SyncSender<()>),
}

/// Counters of the output thread.
#[derive(Debug, Default)]
pub struct OutputStats {
    /// Alerts dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Deliveries that failed (each channel counts its own).
    pub failed: AtomicU64,
    /// Alerts delivered to every channel.
    pub delivered: AtomicU64,
}

/// The channels as a [`Sink`]: alerts are formatted here and queued for the output thread.
pub struct OutputsSink {
    format: OutputFormat,
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<()>>,
    pub stats: Arc<OutputStats>,
}

impl OutputsSink {
    /// Starts the output thread with the enabled channels. Fails when a channel cannot be set
    /// up at all (an unreadable CA file, an invalid URL).
    pub fn start(cfg: &OutputsConfig, format: OutputFormat) -> Result<OutputsSink, String> {
        let mut channels: Vec<Box<dyn Channel>> = Vec::new();
        if let Some(f) = &cfg.file {
            channels.push(Box::new(FileChannel {
                cfg: f.clone(),
                open: None,
            }));
        }
        if let Some(p) = &cfg.program {
            channels.push(Box::new(ProgramChannel {
                cfg: p.clone(),
                child: None,
            }));
        }
        if let Some(h) = &cfg.http {
            channels.push(Box::new(HttpChannel::new(h, format.json)?));
        }
        if let Some(s) = &cfg.syslog {
            channels.push(Box::new(SyslogChannel::new(s.socket.clone())));
        }
        let cap = if cfg.queue_capacity == 0 {
            DEFAULT_QUEUE
        } else {
            cfg.queue_capacity
        };
        let (tx, rx) = sync_channel(cap);
        let stats = Arc::new(OutputStats::default());
        let buffered = cfg.buffered;
        let st = stats.clone();
        let thread = std::thread::Builder::new()
            .name("bulkhead-outputs".into())
            .spawn(move || run(rx, channels, buffered, &st))
            .map_err(|e| format!("starting the output thread: {e}"))?;
        Ok(OutputsSink {
            format,
            tx: Some(tx),
            thread: Some(thread),
            stats,
        })
    }

    fn queue(&mut self, priority: Priority, line: String) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(Msg::Line { priority, line }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                // Falco drops the alert and counts it when its queue is full.
                if self.stats.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                    eprintln!(
                        "bulkhead: warning: the outputs queue is full (outputs_queue.capacity): alerts are dropped and counted"
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

impl Sink for OutputsSink {
    fn alert(&mut self, alert: &Alert) -> std::io::Result<()> {
        let line = self.format.line(alert);
        self.queue(alert.priority, line);
        Ok(())
    }

    fn internal(&mut self, a: &InternalAlert) -> std::io::Result<()> {
        let fields: Vec<(&str, String)> = a.fields.iter().map(|(k, v)| (*k, v.clone())).collect();
        let line = self
            .format
            .internal_line(a.ts_ns, a.priority, a.rule, &a.message, &fields);
        self.queue(a.priority, line);
        Ok(())
    }

    /// Waits until every queued alert went out.
    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(tx) = &self.tx {
            let (done_tx, done_rx) = sync_channel(1);
            if tx.send(Msg::Flush(done_tx)).is_ok() {
                let _ = done_rx.recv();
            }
        }
        Ok(())
    }
}

impl Drop for OutputsSink {
    fn drop(&mut self) {
        let _ = self.flush();
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

trait Channel: Send {
    fn name(&self) -> &'static str;
    fn send(&mut self, priority: Priority, line: &str) -> Result<(), String>;
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fn run(
    rx: Receiver<Msg>,
    mut channels: Vec<Box<dyn Channel>>,
    buffered: bool,
    stats: &OutputStats,
) {
    let mut reported: std::collections::HashSet<&'static str> = Default::default();
    let mut fail = |name: &'static str, e: String, stats: &OutputStats| {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        if reported.insert(name) {
            eprintln!("bulkhead: error: {name}: {e} (further failures are counted, not printed)");
        }
    };
    for msg in rx {
        match msg {
            Msg::Line { priority, line } => {
                let mut ok = true;
                for c in channels.iter_mut() {
                    let r = c
                        .send(priority, &line)
                        .and_then(|()| if buffered { Ok(()) } else { c.flush() });
                    if let Err(e) = r {
                        ok = false;
                        fail(c.name(), e, stats);
                    }
                }
                if ok {
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            Msg::Flush(done) => {
                for c in channels.iter_mut() {
                    if let Err(e) = c.flush() {
                        fail(c.name(), e, stats);
                    }
                }
                let _ = done.send(());
            }
        }
    }
    for c in channels.iter_mut() {
        let _ = c.flush();
    }
}

struct FileChannel {
    cfg: FileOutput,
    open: Option<std::io::BufWriter<std::fs::File>>,
}

impl Channel for FileChannel {
    fn name(&self) -> &'static str {
        "file_output"
    }
    fn send(&mut self, _: Priority, line: &str) -> Result<(), String> {
        let path = &self.cfg.filename;
        if self.open.is_none() {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            self.open = Some(std::io::BufWriter::new(f));
        }
        let w = self.open.as_mut().expect("opened above");
        writeln!(w, "{line}").map_err(|e| format!("{}: {e}", path.display()))?;
        if !self.cfg.keep_alive {
            self.flush()?;
            self.open = None;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<(), String> {
        if let Some(w) = &mut self.open {
            w.flush()
                .map_err(|e| format!("{}: {e}", self.cfg.filename.display()))?;
        }
        Ok(())
    }
}

struct ProgramChannel {
    cfg: ProgramOutput,
    child: Option<(Child, ChildStdin)>,
}

impl ProgramChannel {
    fn spawn(&self) -> Result<(Child, ChildStdin), String> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.cfg.program)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("running {:?}: {e}", self.cfg.program))?;
        let stdin = child.stdin.take().expect("piped");
        Ok((child, stdin))
    }
}

impl Channel for ProgramChannel {
    fn name(&self) -> &'static str {
        "program_output"
    }
    fn send(&mut self, _: Priority, line: &str) -> Result<(), String> {
        if self.child.is_none() {
            self.child = Some(self.spawn()?);
        }
        let (_, stdin) = self.child.as_mut().expect("spawned above");
        let r = writeln!(stdin, "{line}").map_err(|e| format!("{:?}: {e}", self.cfg.program));
        if !self.cfg.keep_alive || r.is_err() {
            // One run per alert: close its input and wait for it, as Falco's popen/pclose.
            if let Some((mut child, stdin)) = self.child.take() {
                drop(stdin);
                let _ = child.wait();
            }
        }
        r
    }
    fn flush(&mut self) -> Result<(), String> {
        if let Some((_, stdin)) = &mut self.child {
            stdin
                .flush()
                .map_err(|e| format!("{:?}: {e}", self.cfg.program))?;
        }
        Ok(())
    }
}

impl Drop for ProgramChannel {
    fn drop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

struct HttpChannel {
    agent: ureq::Agent,
    url: String,
    json: bool,
    echo: bool,
}

impl HttpChannel {
    fn new(cfg: &HttpOutput, json: bool) -> Result<HttpChannel, String> {
        if !cfg.url.starts_with("http://") && !cfg.url.starts_with("https://") {
            return Err(format!(
                "http_output.url {:?}: not an http:// or https:// URL",
                cfg.url
            ));
        }
        let mut tls = ureq::tls::TlsConfig::builder().disable_verification(cfg.insecure);
        if let Some(f) = &cfg.ca_cert {
            let pem = bulkhead_core::input::read_regular(
                f,
                4 << 20,
                "a CA bundle is well under 4 MiB; fixed limit",
            )
            .map_err(|e| format!("http_output.ca_cert: {e}"))?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!(
                    "http_output.ca_cert {}: no PEM certificate found",
                    f.display()
                ));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(cfg.user_agent.as_str())
            .timeout_global(Some(HTTP_TIMEOUT))
            .tls_config(tls.build())
            .build();
        Ok(HttpChannel {
            agent: ureq::Agent::new_with_config(config),
            url: cfg.url.clone(),
            json,
            echo: cfg.echo,
        })
    }
}

impl Channel for HttpChannel {
    fn name(&self) -> &'static str {
        "http_output"
    }
    fn send(&mut self, _: Priority, line: &str) -> Result<(), String> {
        let ctype = if self.json {
            "application/json"
        } else {
            "text/plain"
        };
        let mut resp = self
            .agent
            .post(&self.url)
            .header("Content-Type", ctype)
            .send(line)
            .map_err(|e| format!("POST {}: {e}", self.url))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 10)
            .read_to_string()
            .unwrap_or_default();
        if self.echo {
            println!("{body}");
        }
        if !(200..300).contains(&status) {
            return Err(format!("POST {}: HTTP {status}", self.url));
        }
        Ok(())
    }
}

/// Syslog over the local datagram socket (RFC 3164 framing, facility user), written by hand:
/// libc's `syslog(3)` is process-global state with a fixed socket, which a library should not
/// take over and a test cannot point elsewhere.
struct SyslogChannel {
    socket: PathBuf,
    sock: Option<std::os::unix::net::UnixDatagram>,
}

impl SyslogChannel {
    fn new(socket: PathBuf) -> SyslogChannel {
        SyslogChannel { socket, sock: None }
    }
}

/// Falco's priority as a syslog severity (they share the numbering).
fn severity(p: Priority) -> u8 {
    match p {
        Priority::Emergency => 0,
        Priority::Alert => 1,
        Priority::Critical => 2,
        Priority::Error => 3,
        Priority::Warning => 4,
        Priority::Notice => 5,
        Priority::Informational => 6,
        Priority::Debug => 7,
    }
}

impl Channel for SyslogChannel {
    fn name(&self) -> &'static str {
        "syslog_output"
    }
    fn send(&mut self, priority: Priority, line: &str) -> Result<(), String> {
        if self.sock.is_none() {
            let s = std::os::unix::net::UnixDatagram::unbound()
                .map_err(|e| format!("syslog socket: {e}"))?;
            s.connect(&self.socket)
                .map_err(|e| format!("{}: {e}", self.socket.display()))?;
            self.sock = Some(s);
        }
        // Facility user (1) * 8 + severity.
        let pri = 8 + severity(priority);
        let msg = format!("<{pri}>bulkhead[{}]: {line}", std::process::id());
        let s = self.sock.as_ref().expect("connected above");
        if let Err(e) = s.send(msg.as_bytes()) {
            self.sock = None;
            return Err(format!("{}: {e}", self.socket.display()));
        }
        Ok(())
    }
}
