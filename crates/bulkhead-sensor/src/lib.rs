//! Bulkhead's live eBPF sensor: CO-RE programs on the raw syscall and sched tracepoints
//! (`bpf/sensor.bpf.c`), their ring buffer, and the decoding of their records into the events of
//! the libs event table, so that live events go through the same state, fields and rules as
//! recorded captures ([`bulkhead_rules::source::EventSource`]).

pub mod cgroups;
pub mod decode;
pub mod record;
pub mod sensor;
pub mod syscalls;

pub use sensor::{Sensor, SensorConfig, SensorError};
pub mod containers;
pub mod cri;
pub mod procfs;
pub mod source;

pub use source::LiveSource;
