//! Loading the BPF programs, choosing what they capture, and reading their ring buffer.
//!
//! One thread owns the loaded programs and the ring buffer: it polls the ring (wakeups are
//! batched kernel-side, so it also drains after every poll timeout), parses each record and
//! hands it over a bounded channel. When the consumer is slow the thread waits, the ring fills
//! and the kernel drops and counts — memory here stays bounded by the channel. Dropping the
//! [`Sensor`] stops the thread, which detaches and unloads every program.

use crate::record::{self, Record};
use crate::syscalls::{self, SyscallSpec};
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, RingBufferBuilder};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

mod skel {
    #![allow(unused_imports, clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}
use skel::SensorSkelBuilder;

/// Records between the ring-reading thread and the consumer.
pub const CHANNEL_RECORDS: usize = 8192;
/// Most container ids the reading thread remembers having asked about.
pub const MAX_CONTAINERS: usize = 65_536;
/// How long the ring is polled before it is drained anyway (batched wakeups).
pub const POLL: Duration = Duration::from_millis(20);

/// Why the sensor could not start, naming what is missing.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    #[error(
        "the eBPF sensor needs root, or CAP_BPF and CAP_PERFMON (and CAP_SYS_ADMIN on older kernels): {0}"
    )]
    Privileges(String),
    #[error(
        "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing): the sensor's CO-RE programs cannot be relocated on it"
    )]
    NoBtf,
    #[error(
        "the kernel is locked down in confidentiality mode (/sys/kernel/security/lockdown): eBPF programs may not read kernel memory, so the sensor cannot run"
    )]
    Lockdown,
    #[error("loading the eBPF sensor failed: {0}")]
    Load(String),
    #[error("attaching the eBPF sensor failed: {0}")]
    Attach(String),
    #[error("the eBPF sensor stopped: {0}")]
    Stopped(String),
}

/// What to capture.
#[derive(Debug, Clone, Default)]
pub struct SensorConfig {
    /// System calls to capture (names of [`syscalls::SYSCALLS`]); the others return at once in
    /// the kernel.
    pub syscalls: Vec<&'static str>,
    /// Ring buffer size in bytes (a power of two, at least a page).
    pub ring_bytes: u32,
    /// Wake the reader once this many bytes wait.
    pub wakeup_bytes: u64,
    /// Most bytes of I/O data (`read`/`write`/`sendto`/`recvfrom` … `data`) read per event:
    /// libs' snaplen, Falco's `-S` (default 80).
    pub snaplen: u32,
    /// Resolve the cgroups of exec and fork records on the reading thread (as early as
    /// possible: the task may be gone when the consumer gets to it).
    pub resolve_cgroups: bool,
    /// Where the reading thread asks for the metadata of each new container id.
    pub container_requests: Option<SyncSender<String>>,
}

impl SensorConfig {
    pub fn new(syscalls: Vec<&'static str>) -> SensorConfig {
        SensorConfig {
            syscalls,
            ring_bytes: 16 << 20,
            wakeup_bytes: 256 << 10,
            snaplen: 80,
            resolve_cgroups: true,
            container_requests: None,
        }
    }
}

/// Kernel-side counters (summed over CPUs) and what userspace saw.
#[derive(Debug, Default)]
pub struct SensorCounters {
    pub submitted: AtomicU64,
    pub drop_buffer: AtomicU64,
    pub drop_pagefault: AtomicU64,
    /// Records userspace received.
    pub received: AtomicU64,
    /// Records that did not parse (never expected: a kernel/userspace mismatch).
    pub malformed: AtomicU64,
    /// The same per CPU, with the ring's fill as each CPU saw it (read at each poll).
    pub per_cpu: Mutex<Vec<CpuCounters>>,
    /// The ring buffer's size in bytes.
    pub ring_bytes: AtomicU64,
}

/// One CPU's kernel counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuCounters {
    pub submitted: u64,
    pub drop_buffer: u64,
    pub drop_pagefault: u64,
    /// Bytes waiting in the (shared) ring when this CPU last submitted a record.
    pub ring_fill: u64,
    /// The most bytes this CPU ever saw waiting.
    pub ring_fill_max: u64,
}

impl SensorCounters {
    /// The kernel's counters as the runtime pipeline's drop monitor reads them: events produced
    /// (delivered and dropped) and drops by cause.
    pub fn snapshot(&self) -> bulkhead_rules::source::Counters {
        let drops_buffer = self.drop_buffer.load(Ordering::Relaxed);
        bulkhead_rules::source::Counters {
            events: self.submitted.load(Ordering::Relaxed) + drops_buffer,
            drops_buffer,
            drops_page_faults: self.drop_pagefault.load(Ordering::Relaxed),
            drops_bug: self.malformed.load(Ordering::Relaxed),
        }
    }
}

/// The running sensor.
pub struct Sensor {
    /// A new set of system calls to capture, taken by the reading thread at its next poll.
    interest: Arc<Mutex<Option<Vec<&'static str>>>>,
    rx: Receiver<Record>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    error: Arc<Mutex<Option<String>>>,
    pub counters: Arc<SensorCounters>,
}

impl Sensor {
    /// Loads and attaches the programs; returns once they are attached (or failed).
    pub fn start(cfg: SensorConfig) -> Result<Sensor, SensorError> {
        if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
            return Err(SensorError::NoBtf);
        }
        if lockdown_confidentiality(
            &std::fs::read_to_string("/sys/kernel/security/lockdown").unwrap_or_default(),
        ) {
            return Err(SensorError::Lockdown);
        }
        let (tx, rx) = sync_channel(CHANNEL_RECORDS);
        let (ready_tx, ready_rx) = sync_channel::<Result<(), SensorError>>(1);
        let stop = Arc::new(AtomicBool::new(false));
        let interest: Arc<Mutex<Option<Vec<&'static str>>>> = Arc::default();
        let counters = Arc::new(SensorCounters::default());
        let error = Arc::new(Mutex::new(None));
        let thread = {
            let (stop, counters, error) = (stop.clone(), counters.clone(), error.clone());
            let interest = interest.clone();
            std::thread::Builder::new()
                .name("bulkhead-sensor".into())
                .spawn(move || {
                    if let Err(e) = run(cfg, tx, &ready_tx, &stop, &counters, &interest) {
                        let msg = e.to_string();
                        // Before the programs were attached, start() reports it; after, the
                        // consumer finds it when the channel closes.
                        if ready_tx.try_send(Err(e)).is_err() {
                            *error.lock().expect("sensor error lock") = Some(msg);
                        }
                    }
                })
                .map_err(|e| SensorError::Load(format!("starting the sensor thread: {e}")))?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Sensor {
                interest,
                rx,
                stop,
                thread: Some(thread),
                error,
                counters,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(SensorError::Load(
                    "the sensor thread ended while loading".into(),
                ))
            }
        }
    }

    /// Capture these system calls from now on (the others return at once in the kernel).
    pub fn set_syscalls(&self, syscalls: Vec<&'static str>) -> Result<(), SensorError> {
        for name in &syscalls {
            if syscalls::spec(name).is_none() || syscalls::number(name).is_none() {
                return Err(SensorError::Load(format!(
                    "no capture spec for system call {name}"
                )));
            }
        }
        *self.interest.lock().expect("interest lock") = Some(syscalls);
        Ok(())
    }

    /// The next record, waiting at most `timeout`; `Ok(None)` when none came in time.
    pub fn next(&self, timeout: Duration) -> Result<Option<Record>, SensorError> {
        match self.rx.recv_timeout(timeout) {
            Ok(r) => Ok(Some(r)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(SensorError::Stopped(
                self.error
                    .lock()
                    .expect("sensor error lock")
                    .clone()
                    .unwrap_or_else(|| "its thread ended".into()),
            )),
        }
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Unblock a thread waiting on a full channel: drain it.
        while self.rx.try_recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            while !t.is_finished() {
                while self.rx.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = t.join();
        }
    }
}

/// Whether `/sys/kernel/security/lockdown` (`none integrity [confidentiality]`) selects the mode
/// that forbids eBPF reads of kernel memory.
fn lockdown_confidentiality(lockdown: &str) -> bool {
    lockdown.contains("[confidentiality]")
}

fn classify_load_error(e: libbpf_rs::Error) -> SensorError {
    let msg = format!("{e:#}");
    let lower = msg.to_lowercase();
    if lower.contains("operation not permitted") || lower.contains("permission denied") {
        SensorError::Privileges(msg)
    } else {
        SensorError::Load(msg)
    }
}

fn spec_value(s: &SyscallSpec) -> [u8; 8] {
    let [(h0, a0, l0), (h1, a1, l1)] = s.mem;
    [1, h0, a0, l0, h1, a1, l1, s.tuple]
}

fn run(
    cfg: SensorConfig,
    tx: SyncSender<Record>,
    ready: &SyncSender<Result<(), SensorError>>,
    stop: &AtomicBool,
    counters: &SensorCounters,
    interest: &Mutex<Option<Vec<&'static str>>>,
) -> Result<(), SensorError> {
    let mut storage = MaybeUninit::uninit();
    let mut open = SensorSkelBuilder::default()
        .open(&mut storage)
        .map_err(classify_load_error)?;
    {
        let ro =
            open.maps.rodata_data.as_deref_mut().ok_or_else(|| {
                SensorError::Load("the sensor's read-only data is not mapped".into())
            })?;
        ro.self_tgid = std::process::id();
        ro.wakeup_bytes = cfg.wakeup_bytes;
        ro.snaplen = cfg.snaplen.min(4095);
    }
    open.maps
        .events
        .set_max_entries(cfg.ring_bytes)
        .map_err(|e| SensorError::Load(format!("ring buffer size {}: {e}", cfg.ring_bytes)))?;
    let skel = open.load().map_err(classify_load_error)?;
    counters
        .ring_bytes
        .store(u64::from(cfg.ring_bytes), Ordering::Relaxed);
    for name in &cfg.syscalls {
        let spec = syscalls::spec(name)
            .ok_or_else(|| SensorError::Load(format!("no capture spec for system call {name}")))?;
        let nr = syscalls::number(name)
            .ok_or_else(|| SensorError::Load(format!("no x86_64 number for {name}")))?
            as u32;
        skel.maps
            .interest
            .update(&nr.to_ne_bytes(), &spec_value(spec), MapFlags::ANY)
            .map_err(|e| SensorError::Load(format!("interest map ({name}): {e}")))?;
    }
    let mut skel = skel;
    skel.attach().map_err(|e| {
        let msg = format!("{e:#}");
        if msg.to_lowercase().contains("permission") || msg.contains("not permitted") {
            SensorError::Privileges(msg)
        } else {
            SensorError::Attach(msg)
        }
    })?;
    let pending: Arc<Mutex<Vec<Record>>> = Arc::new(Mutex::new(Vec::new()));
    let mut rb = RingBufferBuilder::new();
    {
        let pending = pending.clone();
        let received = &counters.received;
        let malformed = &counters.malformed;
        rb.add(&skel.maps.events, move |data: &[u8]| {
            received.fetch_add(1, Ordering::Relaxed);
            match record::parse(data) {
                Ok(r) => pending.lock().expect("pending").push(r),
                Err(_) => {
                    malformed.fetch_add(1, Ordering::Relaxed);
                }
            }
            0
        })
        .map_err(|e| SensorError::Load(format!("ring buffer: {e}")))?;
    }
    let rb = rb
        .build()
        .map_err(|e| SensorError::Load(format!("ring buffer: {e}")))?;
    let _ = ready.send(Ok(()));
    let mut cgroups = cfg
        .resolve_cgroups
        .then(crate::cgroups::CgroupResolver::host);
    let mut seen: std::collections::HashSet<String> = Default::default();
    while !stop.load(Ordering::SeqCst) {
        if let Some(new) = interest.lock().expect("interest lock").take() {
            for s in syscalls::SYSCALLS {
                let Some(nr) = syscalls::number(s.name) else {
                    continue;
                };
                let value = if new.contains(&s.name) {
                    spec_value(s)
                } else {
                    [0; 8]
                };
                skel.maps
                    .interest
                    .update(&(nr as u32).to_ne_bytes(), &value, MapFlags::ANY)
                    .map_err(|e| SensorError::Stopped(format!("interest map ({}): {e}", s.name)))?;
            }
        }
        rb.poll(POLL)
            .map_err(|e| SensorError::Stopped(format!("polling the ring buffer: {e}")))?;
        rb.consume()
            .map_err(|e| SensorError::Stopped(format!("draining the ring buffer: {e}")))?;
        // The kernel's counts as of what was just read.
        read_counters(&skel.maps.counters, &skel.maps.fill, counters);
        let mut batch = std::mem::take(&mut *pending.lock().expect("pending"));
        if let Some(cg) = cgroups.as_mut() {
            for r in batch.iter_mut() {
                let (h, leaf) = match r {
                    Record::Exec(e) => (&mut e.h, e.cgleaf.as_str()),
                    Record::Fork(f) => (&mut f.h, f.cgleaf.as_str()),
                    _ => continue,
                };
                h.cgroups = cg.param(h.tid, h.cgroup_v2, h.cgroup_v1);
                let mut id = bulkhead_scap::container_id_of_cgroups(&h.cgroups);
                // The cgroup may be gone already (a short-lived container, a reader behind):
                // the directory name the kernel gave still names the container.
                if id.is_none() && !leaf.is_empty() {
                    let p = format!("memory=/{leaf}\0").into_bytes();
                    id = bulkhead_scap::container_id_of_cgroups(&p);
                    if id.is_some() {
                        h.cgroups = p;
                    }
                }
                if let Some(tx) = &cfg.container_requests
                    && let Some(id) = id
                    && seen.len() < MAX_CONTAINERS
                    && seen.insert(id.clone())
                {
                    let _ = tx.try_send(id);
                }
            }
        }
        for r in batch {
            if !send_until_stop(&tx, r, stop) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Hands a record to the consumer, waiting while it is behind (the kernel ring then fills and
/// counts its drops); `false` when the sensor is stopping or the consumer is gone.
fn send_until_stop(tx: &SyncSender<Record>, mut r: Record, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        match tx.try_send(r) {
            Ok(()) => return true,
            Err(TrySendError::Full(back)) => {
                r = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(TrySendError::Disconnected(_)) => return false,
        }
    }
}

fn read_counters(map: &impl MapCore, fill: &impl MapCore, out: &SensorCounters) {
    let mut cpus: Vec<CpuCounters> = Vec::new();
    let u64_at = |v: &[u8], at: usize| {
        v.get(at..at + 8)
            .map(|b| u64::from_ne_bytes(b.try_into().expect("8")))
    };
    for key in 0u32..3 {
        let Ok(Some(per_cpu)) = map.lookup_percpu(&key.to_ne_bytes(), MapFlags::ANY) else {
            continue;
        };
        cpus.resize(cpus.len().max(per_cpu.len()), CpuCounters::default());
        for (cpu, v) in per_cpu.iter().enumerate() {
            let Some(n) = u64_at(v, 0) else { continue };
            let c = &mut cpus[cpu];
            match key {
                0 => c.submitted = n,
                1 => c.drop_buffer = n,
                _ => c.drop_pagefault = n,
            }
        }
    }
    // `struct bh_fill { last, max }` per CPU.
    if let Ok(Some(per_cpu)) = fill.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY) {
        cpus.resize(cpus.len().max(per_cpu.len()), CpuCounters::default());
        for (cpu, v) in per_cpu.iter().enumerate() {
            cpus[cpu].ring_fill = u64_at(v, 0).unwrap_or(0);
            cpus[cpu].ring_fill_max = u64_at(v, 8).unwrap_or(0);
        }
    }
    let sum = |f: fn(&CpuCounters) -> u64| cpus.iter().map(f).sum::<u64>();
    out.submitted.store(sum(|c| c.submitted), Ordering::Relaxed);
    out.drop_buffer
        .store(sum(|c| c.drop_buffer), Ordering::Relaxed);
    out.drop_pagefault
        .store(sum(|c| c.drop_pagefault), Ordering::Relaxed);
    *out.per_cpu.lock().unwrap_or_else(|e| e.into_inner()) = cpus;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockdown_in_confidentiality_mode_is_refused() {
        assert!(lockdown_confidentiality(
            "none integrity [confidentiality]\n"
        ));
        assert!(!lockdown_confidentiality(
            "[none] integrity confidentiality\n"
        ));
        assert!(!lockdown_confidentiality(
            "none [integrity] confidentiality\n"
        ));
        assert!(!lockdown_confidentiality(""));
        assert!(SensorError::Lockdown.to_string().contains("lockdown"));
    }
}
