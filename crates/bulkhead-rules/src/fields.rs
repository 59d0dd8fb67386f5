//! The field table, the one source of truth about fields: every field the upstream rules files
//! use in conditions and outputs (falco_rules, incubating, sandbox, k8s_audit), plus the common
//! libsinsp/plugin fields around them, with type, argument rules, a one-line description and
//! whether Bulkhead extracts it ([`Ex`]: by the source's extractor — `SyscallEvent::extract` in
//! `syscall/fields.rs`, `AuditEvent::extract` in `k8saudit.rs` — or not, with the reason). From it
//! derive: the loader's validation (unknown fields, `LOAD_UNKNOWN_FILTER` semantics, operator/type
//! mismatches), the fields Bulkhead's capture format records
//! ([`crate::capture::syscall_fields`]), `bulkhead runtime fields`, and the JSON typing of output
//! fields. A test replays the shared captures and audit events and proves that every field marked
//! extracted gets a value from its extractor and no field marked not extracted does.
//!
//! Field names follow libsinsp: `evt.arg.path` is the field `evt.arg` with the argument `path`
//! (the "dot key" form), `proc.aname[2]` is `proc.aname` with the argument `2`.

/// Value types (libsinsp `ppm_param_type` families).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// character buffer (strings, paths)
    Charbuf,
    /// raw bytes (compared with `bcontains`/`bstartswith` hex strings too)
    ByteBuf,
    Uint64,
    Uint32,
    Int64,
    Int32,
    Int16,
    Double,
    Bool,
    /// IPv4/IPv6 address
    IpAddr,
    /// IPv4/IPv6 network (`a.b.c.d/n`)
    IpNet,
    /// TCP/UDP port number
    Port,
    /// relative time (nanoseconds)
    RelTime,
    /// absolute time (epoch nanoseconds)
    AbsTime,
    /// type depends on the argument (`evt.rawarg.*`)
    Dynamic,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Charbuf => "string",
            FieldType::ByteBuf => "bytebuf",
            FieldType::Uint64 => "uint64",
            FieldType::Uint32 => "uint32",
            FieldType::Int64 => "int64",
            FieldType::Int32 => "int32",
            FieldType::Int16 => "int16",
            FieldType::Double => "double",
            FieldType::Bool => "bool",
            FieldType::IpAddr => "ipaddr",
            FieldType::IpNet => "ipnet",
            FieldType::Port => "port",
            FieldType::RelTime => "relative time",
            FieldType::AbsTime => "absolute time",
            FieldType::Dynamic => "dynamic",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Uint64
                | FieldType::Uint32
                | FieldType::Int64
                | FieldType::Int32
                | FieldType::Int16
                | FieldType::Double
                | FieldType::Port
                | FieldType::RelTime
                | FieldType::AbsTime
        )
    }

    pub fn is_string(self) -> bool {
        matches!(self, FieldType::Charbuf | FieldType::ByteBuf)
    }
}

/// Whether a field takes an argument (`[arg]` or `.key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgRule {
    None,
    Allowed,
    Required,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// Event source the field belongs to (`syscall`, `k8s_audit`).
    pub source: &'static str,
    pub name: &'static str,
    pub ty: FieldType,
    pub arg: ArgRule,
    /// The argument may be given as `name.key` (`evt.arg.path`, `k8s.pod.label.app`).
    pub dot_key: bool,
    /// Multi-valued field (compared with `in`/`intersects` element-wise).
    pub list: bool,
    pub desc: &'static str,
    /// Whether Bulkhead's source extracts it.
    pub ex: Ex,
}

/// Whether a field of the table gets values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ex {
    /// The source's extractor gives it a value (when the event has one).
    Yes,
    /// Declared (Falco knows it: rules using it load) but Bulkhead gives it no value, so its checks
    /// are false, as for a field an event does not have; the reason.
    No(&'static str),
}

impl FieldInfo {
    /// Whether Bulkhead extracts the field.
    pub fn extracted(&self) -> bool {
        self.ex == Ex::Yes
    }

    /// Why Bulkhead does not extract the field (`None` when it does).
    pub fn not_extracted(&self) -> Option<&'static str> {
        match self.ex {
            Ex::Yes => None,
            Ex::No(why) => Some(why),
        }
    }
}

/// The table, grouped by source.
#[rustfmt::skip]
pub static FIELDS: &[FieldInfo] = &[
    FieldInfo { source: "syscall", name: "evt.num", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "event number", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.time", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a time string with nanoseconds", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.time.s", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a time string with no nanoseconds", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.time.iso8601", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp in ISO 8601 format", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.datetime", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a date and time string", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.datetime.s", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a date and time string with no nanoseconds", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.rawtime", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "absolute event timestamp (nanoseconds from epoch)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.rawtime.s", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "integer part of the event timestamp (seconds)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.rawtime.ns", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "fractional part of the event timestamp (nanoseconds)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.reltime", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "time from the start of the capture", ex: Ex::No("times relative to the capture start or the previous event are not tracked") },
    FieldInfo { source: "syscall", name: "evt.deltatime", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "delta between this event and the previous one", ex: Ex::No("times relative to the capture start or the previous event are not tracked") },
    FieldInfo { source: "syscall", name: "evt.dir", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event direction: > for enter, < for exit (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the event (e.g. open)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.type.is", ty: FieldType::Uint32, arg: ArgRule::Required, dot_key: false, list: false, desc: "1 if the event type equals the argument", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "syscall.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "for system call events, the name of the system call", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.category", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event category (file, net, process...)", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.cpu", ty: FieldType::Int16, arg: ArgRule::None, dot_key: false, list: false, desc: "number of the CPU where the event occurred", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.args", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "all the event arguments, aggregated into a single string", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.arg", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: true, list: false, desc: "one of the event arguments, by name (evt.arg.fd) or index (evt.arg[0])", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.rawarg", ty: FieldType::Dynamic, arg: ArgRule::Required, dot_key: true, list: false, desc: "one of the event arguments by name, as its raw (non-string) value", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.info", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event arguments, or a description for events with a known meaning", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.buffer", ty: FieldType::ByteBuf, arg: ArgRule::None, dot_key: false, list: false, desc: "binary data buffer of I/O events (read, recvfrom...)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.buflen", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "length of the binary data buffer of I/O events", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.res", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event return value as a string: SUCCESS or the error code", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.rawres", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "event return value as a number", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.failed", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for events that returned an error status", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.is_io", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for events that read or write to FDs", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.is_io_read", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for events that read from FDs", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.is_io_write", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for events that write to FDs", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.io_dir", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "r for events that read from FDs, w for events that write to FDs", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.is_wait", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for events that make the thread wait", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.wait_latency", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "time spent waiting (deprecated)", ex: Ex::No("enter-to-exit latency is not tracked (deprecated in Falco)") },
    FieldInfo { source: "syscall", name: "evt.is_syslog", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for events that are writes to /dev/log", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.count", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "always 1, for counting", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.count.error", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "1 for events that returned an error", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.count.error.file", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "1 for file events that returned an error", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.count.error.net", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "1 for network events that returned an error", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.count.error.memory", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "1 for memory events that returned an error", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.count.error.other", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "1 for other events that returned an error", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.count.exit", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "1 for exit events", ex: Ex::No("counting fields of sysdig chisels, not used by rules") },
    FieldInfo { source: "syscall", name: "evt.around", ty: FieldType::Uint64, arg: ArgRule::Required, dot_key: false, list: false, desc: "events within a time window around an event number", ex: Ex::No("a sysdig chisel field (events around an event number), not supported") },
    FieldInfo { source: "syscall", name: "evt.abspath", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "absolute path computed from dirfd and name (or src/dst)", ex: Ex::No("path resolution of the *at syscalls' arguments is not implemented yet") },
    FieldInfo { source: "syscall", name: "evt.abspath.src", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "source absolute path of rename/link events", ex: Ex::No("path resolution of the *at syscalls' arguments is not implemented yet") },
    FieldInfo { source: "syscall", name: "evt.abspath.dst", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "destination absolute path of rename/link events", ex: Ex::No("path resolution of the *at syscalls' arguments is not implemented yet") },
    FieldInfo { source: "syscall", name: "evt.is_open_read", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for open/openat/openat2/open_by_handle_at with read access", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.is_open_write", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for open/openat/openat2/open_by_handle_at with write access", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.is_open_exec", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for open/openat/openat2/open_by_handle_at/creat with exec access", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.is_open_create", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for open events that created a file", ex: Ex::No("not implemented yet") },
    FieldInfo { source: "syscall", name: "evt.hostname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "hostname of the underlying host", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.source", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the event source", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "evt.pluginname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the plugin that generated the event", ex: Ex::No("no plugins run") },
    FieldInfo { source: "syscall", name: "evt.plugininfo", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "summary of the event produced by a plugin", ex: Ex::No("no plugins run") },
    FieldInfo { source: "syscall", name: "evt.asynctype", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "type of an async event", ex: Ex::No("needs libs' event categories and flags, not carried by Bulkhead's event table yet") },
    FieldInfo { source: "syscall", name: "evt.latency", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "delta between enter and exit events (deprecated)", ex: Ex::No("enter-to-exit latency is not tracked (deprecated in Falco)") },
    FieldInfo { source: "syscall", name: "evt.latency.s", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "integer part of the event latency (deprecated)", ex: Ex::No("enter-to-exit latency is not tracked (deprecated in Falco)") },
    FieldInfo { source: "syscall", name: "evt.latency.ns", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "fractional part of the event latency (deprecated)", ex: Ex::No("enter-to-exit latency is not tracked (deprecated in Falco)") },
    FieldInfo { source: "syscall", name: "evt.latency.human", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event latency as a human readable string (deprecated)", ex: Ex::No("enter-to-exit latency is not tracked (deprecated in Falco)") },
    FieldInfo { source: "syscall", name: "proc.exe", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "first command-line argument (argv[0])", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pexe", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.exe of the parent process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.aexe", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "proc.exe of an ancestor (by level), or any ancestor in filters", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.exepath", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "full executable path of the process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pexepath", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.exepath of the parent process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.aexepath", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "proc.exepath of an ancestor (by level), or any ancestor in filters", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the executable (comm)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.name of the parent process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.aname", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "proc.name of an ancestor (by level), or any ancestor in filters", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.args", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "command-line arguments (excluding argv[0])", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.cmdline", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.name followed by proc.args", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pcmdline", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.cmdline of the parent process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.acmdline", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "proc.cmdline of an ancestor (by level)", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.cmdnargs", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "number of command-line arguments", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.cmdlenargs", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "total length of the command-line arguments", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.exeline", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "full command line with exe as first argument", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.env", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "environment variables of the process, or one by name (proc.env[NAME])", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.aenv", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "environment variables of ancestors (deprecated)", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.cwd", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "current working directory", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.loginshellid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "pid of the oldest shell among the ancestors", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.tty", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "controlling terminal of the process (0 for none)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "id of the process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.ppid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "pid of the parent process", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.apid", ty: FieldType::Int64, arg: ArgRule::Allowed, dot_key: false, list: false, desc: "pid of an ancestor (by level), or any ancestor in filters", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.vpid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "id of the process as seen from its pid namespace", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pvpid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "vpid of the parent process", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.sid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "session id of the process", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.sname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the session leader", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.sid.exe", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.exe of the session leader", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.sid.exepath", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.exepath of the session leader", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.vpgid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "process group id as seen from its pid namespace", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.vpgid.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the process group leader", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.vpgid.exe", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.exe of the process group leader", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.vpgid.exepath", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "proc.exepath of the process group leader", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pgid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "process group id", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.pgid.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the process group leader", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.duration", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "nanoseconds since the process started", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.ppid.duration", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "nanoseconds since the parent process started", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.pid.ts", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "start of the process as epoch nanoseconds", ex: Ex::No("process start times and inodes beyond those the rules use are not kept") },
    FieldInfo { source: "syscall", name: "proc.ppid.ts", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "start of the parent process as epoch nanoseconds", ex: Ex::No("process start times and inodes beyond those the rules use are not kept") },
    FieldInfo { source: "syscall", name: "proc.is_exe_writable", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the executable is writable by the process user", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.is_exe_upper_layer", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the executable is in the upper layer of an overlayfs", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.is_exe_lower_layer", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the executable is in the lower layer of an overlayfs", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.is_exe_from_memfd", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the executable is a memfd file", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.is_sid_leader", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the process is the session leader", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.is_vpgid_leader", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the process is the process group leader", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.is_pgid_leader", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the process is the process group leader", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "proc.exe_ino", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "inode number of the executable", ex: Ex::No("process start times and inodes beyond those the rules use are not kept") },
    FieldInfo { source: "syscall", name: "proc.exe_ino.ctime", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "last status change time of the executable", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.exe_ino.mtime", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "last modification time of the executable", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.exe_ino.ctime_duration_proc_start", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "time between the executable's ctime and the process start", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "proc.exe_ino.ctime_duration_pidns_start", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "time between the executable's ctime and the pid namespace start", ex: Ex::No("process start times and inodes beyond those the rules use are not kept") },
    FieldInfo { source: "syscall", name: "proc.pidns_init_start_ts", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "start of the pid namespace init process", ex: Ex::No("process start times and inodes beyond those the rules use are not kept") },
    FieldInfo { source: "syscall", name: "proc.nthreads", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "number of alive threads of the process", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.nchilds", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "number of alive non-leader threads", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.fdopencount", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "number of open FDs of the process", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.fdlimit", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "maximum number of FDs the process can open", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.fdusage", ty: FieldType::Double, arg: ArgRule::None, dot_key: false, list: false, desc: "ratio of open FDs to the FD limit", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.vmsize", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "total virtual memory of the process (KB)", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.vmrss", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "resident memory of the process (KB)", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.vmswap", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "swapped memory of the process (KB)", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.pfmajor", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "number of major page faults", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.pfminor", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "number of minor page faults", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "proc.stdin.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "type of the FD of stdin", ex: Ex::No("the types and names of fds 0-2 are not derived yet") },
    FieldInfo { source: "syscall", name: "proc.stdout.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "type of the FD of stdout", ex: Ex::No("the types and names of fds 0-2 are not derived yet") },
    FieldInfo { source: "syscall", name: "proc.stderr.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "type of the FD of stderr", ex: Ex::No("the types and names of fds 0-2 are not derived yet") },
    FieldInfo { source: "syscall", name: "proc.stdin.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the FD of stdin", ex: Ex::No("the types and names of fds 0-2 are not derived yet") },
    FieldInfo { source: "syscall", name: "proc.stdout.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the FD of stdout", ex: Ex::No("the types and names of fds 0-2 are not derived yet") },
    FieldInfo { source: "syscall", name: "proc.stderr.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the FD of stderr", ex: Ex::No("the types and names of fds 0-2 are not derived yet") },
    FieldInfo { source: "syscall", name: "thread.tid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "id of the thread", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "thread.vtid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "id of the thread as seen from its pid namespace", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "thread.ismain", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the thread is the main thread of the process", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "thread.exectime", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "CPU time spent by the last scheduled thread", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "thread.totexectime", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "total CPU time of the thread", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "thread.cgroups", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "all the cgroups the thread belongs to", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "thread.cgroup", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "the cgroup of the thread for a subsystem (thread.cgroup.cpuacct)", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "thread.cap_permitted", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "permitted capabilities set", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "thread.cap_inheritable", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "inheritable capabilities set", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "thread.cap_effective", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "effective capabilities set", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "thread.nametid", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "thread name and id", ex: Ex::No("not derived from the thread state yet") },
    FieldInfo { source: "syscall", name: "thread.vmsize", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "virtual memory of the thread's process (KB)", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "thread.vmrss", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "resident memory of the thread's process (KB)", ex: Ex::No("resource counters (memory, page faults, CPU time, fd usage) are not kept") },
    FieldInfo { source: "syscall", name: "user.uid", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "user id", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "user.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "user name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "user.homedir", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "home directory of the user", ex: Ex::No("captures' user lists carry home and shell but the state keeps names only") },
    FieldInfo { source: "syscall", name: "user.shell", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "shell of the user", ex: Ex::No("captures' user lists carry home and shell but the state keeps names only") },
    FieldInfo { source: "syscall", name: "user.loginuid", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "audit user id (auid)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "user.loginname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "audit user name (auid)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "group.gid", ty: FieldType::Uint32, arg: ArgRule::None, dot_key: false, list: false, desc: "group id", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "group.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "group name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.num", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "FD number", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "type of FD: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, signalfd, memfd...", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.typechar", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "type of FD as a single character", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "FD full name (path for files, tuple for sockets)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.directory", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "directory of a file FD", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.filename", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "file name of a file FD, without the directory", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.ip", ty: FieldType::IpAddr, arg: ArgRule::None, dot_key: false, list: false, desc: "client or server IP address (filter only)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.cip", ty: FieldType::IpAddr, arg: ArgRule::None, dot_key: false, list: false, desc: "client IP address", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.sip", ty: FieldType::IpAddr, arg: ArgRule::None, dot_key: false, list: false, desc: "server IP address", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.lip", ty: FieldType::IpAddr, arg: ArgRule::None, dot_key: false, list: false, desc: "local IP address", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.rip", ty: FieldType::IpAddr, arg: ArgRule::None, dot_key: false, list: false, desc: "remote IP address", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.port", ty: FieldType::Port, arg: ArgRule::None, dot_key: false, list: false, desc: "client or server port (filter only)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.cport", ty: FieldType::Port, arg: ArgRule::None, dot_key: false, list: false, desc: "client port", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.sport", ty: FieldType::Port, arg: ArgRule::None, dot_key: false, list: false, desc: "server port", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.lport", ty: FieldType::Port, arg: ArgRule::None, dot_key: false, list: false, desc: "local port", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.rport", ty: FieldType::Port, arg: ArgRule::None, dot_key: false, list: false, desc: "remote port", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.l4proto", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "IP protocol of a socket: tcp, udp, icmp or raw", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.sockfamily", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "socket family: ip or unix", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.is_server", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the process owning the FD is the server endpoint", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.uid", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "unique identifier of the FD (thread id + FD number)", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.containername", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container id + FD name", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.containerdirectory", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container id + directory name", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.proto", ty: FieldType::Port, arg: ArgRule::None, dot_key: false, list: false, desc: "protocol (filter only)", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.cproto", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "client protocol name", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.sproto", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "server protocol name", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.lproto", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "local protocol name", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.rproto", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "remote protocol name", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.net", ty: FieldType::IpNet, arg: ArgRule::None, dot_key: false, list: false, desc: "client or server IP network (filter only)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.cnet", ty: FieldType::IpNet, arg: ArgRule::None, dot_key: false, list: false, desc: "client IP network", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.snet", ty: FieldType::IpNet, arg: ArgRule::None, dot_key: false, list: false, desc: "server IP network", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.lnet", ty: FieldType::IpNet, arg: ArgRule::None, dot_key: false, list: false, desc: "local IP network", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.rnet", ty: FieldType::IpNet, arg: ArgRule::None, dot_key: false, list: false, desc: "remote IP network", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.connected", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for connected sockets", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.name_changed", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true when an event changes the name of the FD (connect)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.cip.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "domain name of the client IP", ex: Ex::No("DNS names come from libsinsp's DNS manager, which resolves live; a replay has none") },
    FieldInfo { source: "syscall", name: "fd.sip.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "domain name of the server IP", ex: Ex::No("DNS names come from libsinsp's DNS manager, which resolves live; a replay has none") },
    FieldInfo { source: "syscall", name: "fd.lip.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "domain name of the local IP", ex: Ex::No("DNS names come from libsinsp's DNS manager, which resolves live; a replay has none") },
    FieldInfo { source: "syscall", name: "fd.rip.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "domain name of the remote IP", ex: Ex::No("DNS names come from libsinsp's DNS manager, which resolves live; a replay has none") },
    FieldInfo { source: "syscall", name: "fd.dev", ty: FieldType::Int32, arg: ArgRule::None, dot_key: false, list: false, desc: "device number of a file FD", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.dev.major", ty: FieldType::Int32, arg: ArgRule::None, dot_key: false, list: false, desc: "major device number", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.dev.minor", ty: FieldType::Int32, arg: ArgRule::None, dot_key: false, list: false, desc: "minor device number", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.ino", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "inode number of a file FD", ex: Ex::No("not derived from the fd state yet") },
    FieldInfo { source: "syscall", name: "fd.nameraw", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "FD name as passed to the system call, not normalized", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fd.types", ty: FieldType::Charbuf, arg: ArgRule::Allowed, dot_key: false, list: true, desc: "list of FD types in use (with an optional FD argument)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "fs.path.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "path of a filesystem-related operation", ex: Ex::No("fs.path.* (filesystem event paths) are not implemented yet") },
    FieldInfo { source: "syscall", name: "fs.path.nameraw", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "path as passed to the system call", ex: Ex::No("fs.path.* (filesystem event paths) are not implemented yet") },
    FieldInfo { source: "syscall", name: "fs.path.source", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "source path of a rename/link operation", ex: Ex::No("fs.path.* (filesystem event paths) are not implemented yet") },
    FieldInfo { source: "syscall", name: "fs.path.sourceraw", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "source path as passed to the system call", ex: Ex::No("fs.path.* (filesystem event paths) are not implemented yet") },
    FieldInfo { source: "syscall", name: "fs.path.target", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target path of a rename/link operation", ex: Ex::No("fs.path.* (filesystem event paths) are not implemented yet") },
    FieldInfo { source: "syscall", name: "fs.path.targetraw", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target path as passed to the system call", ex: Ex::No("fs.path.* (filesystem event paths) are not implemented yet") },
    FieldInfo { source: "syscall", name: "syslog.facility.str", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "syslog facility as a string", ex: Ex::No("syslog message decoding of /dev/log writes is not implemented") },
    FieldInfo { source: "syscall", name: "syslog.severity.str", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "syslog severity as a string", ex: Ex::No("syslog message decoding of /dev/log writes is not implemented") },
    FieldInfo { source: "syscall", name: "syslog.message", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "syslog message", ex: Ex::No("syslog message decoding of /dev/log writes is not implemented") },
    FieldInfo { source: "syscall", name: "container.id", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container id (12 characters), or host", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.full_id", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "full container id", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.image", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container image name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.image.id", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container image id", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container runtime type", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.privileged", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true for containers running privileged", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.mounts", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "comma-separated list of container mounts", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.mount", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "one mount by index or destination", ex: Ex::No("only container.mount.dest and container.mounts are implemented") },
    FieldInfo { source: "syscall", name: "container.mount.source", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "mount source by index or destination", ex: Ex::No("only container.mount.dest and container.mounts are implemented") },
    FieldInfo { source: "syscall", name: "container.mount.dest", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "mount destination by index or source", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.mount.mode", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "mount mode by index or source", ex: Ex::No("only container.mount.dest and container.mounts are implemented") },
    FieldInfo { source: "syscall", name: "container.mount.rdwr", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "mount rdwr value by index or source", ex: Ex::No("only container.mount.dest and container.mounts are implemented") },
    FieldInfo { source: "syscall", name: "container.mount.propagation", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "mount propagation by index or source", ex: Ex::No("only container.mount.dest and container.mounts are implemented") },
    FieldInfo { source: "syscall", name: "container.image.repository", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container image repository", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.image.tag", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container image tag", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.image.digest", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container image digest", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.healthcheck", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container health check", ex: Ex::No("health probes come from the container engine; captures do not carry them") },
    FieldInfo { source: "syscall", name: "container.liveness_probe", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container liveness probe", ex: Ex::No("health probes come from the container engine; captures do not carry them") },
    FieldInfo { source: "syscall", name: "container.readiness_probe", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container readiness probe", ex: Ex::No("health probes come from the container engine; captures do not carry them") },
    FieldInfo { source: "syscall", name: "container.start_ts", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "container start timestamp (epoch nanoseconds)", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.duration", ty: FieldType::RelTime, arg: ArgRule::None, dot_key: false, list: false, desc: "nanoseconds since the container started", ex: Ex::No("container start times are not kept") },
    FieldInfo { source: "syscall", name: "container.ip", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container IP address", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.cni.json", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container CNI result", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.host_pid", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the container runs in the host pid namespace", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.host_network", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the container runs in the host network namespace", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.host_ipc", ty: FieldType::Bool, arg: ArgRule::None, dot_key: false, list: false, desc: "true if the container runs in the host ipc namespace", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.label", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: true, list: false, desc: "a container label by name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.labels", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "all container labels", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "container.info", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "container id and name (deprecated output placeholder)", ex: Ex::No("container labels are read for Kubernetes fields only; not exposed yet") },
    FieldInfo { source: "syscall", name: "k8s.ns.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes namespace name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.id", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod uid", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.uid", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod uid", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.sandbox_id", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod sandbox id", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.full_sandbox_id", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod full sandbox id", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.label", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: true, list: false, desc: "a Kubernetes pod label by name", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.labels", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "all Kubernetes pod labels", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.ip", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod IP", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.pod.cni.json", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes pod CNI result", ex: Ex::Yes },
    FieldInfo { source: "syscall", name: "k8s.rc.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes replication controller name", ex: Ex::No("Kubernetes metadata beyond what the CRI gives (pod name, namespace, uid, sandbox, labels, IP) needs the API server or the k8smeta plugin") },
    FieldInfo { source: "syscall", name: "k8s.svc.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes service name", ex: Ex::No("Kubernetes metadata beyond what the CRI gives (pod name, namespace, uid, sandbox, labels, IP) needs the API server or the k8smeta plugin") },
    FieldInfo { source: "syscall", name: "k8s.rs.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes replica set name", ex: Ex::No("Kubernetes metadata beyond what the CRI gives (pod name, namespace, uid, sandbox, labels, IP) needs the API server or the k8smeta plugin") },
    FieldInfo { source: "syscall", name: "k8s.deployment.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "Kubernetes deployment name", ex: Ex::No("Kubernetes metadata beyond what the CRI gives (pod name, namespace, uid, sandbox, labels, IP) needs the API server or the k8smeta plugin") },
    FieldInfo { source: "syscall", name: "k8s.ns.label", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: true, list: false, desc: "a Kubernetes namespace label by name", ex: Ex::No("Kubernetes metadata beyond what the CRI gives (pod name, namespace, uid, sandbox, labels, IP) needs the API server or the k8smeta plugin") },
    FieldInfo { source: "syscall", name: "span.id", ty: FieldType::Int64, arg: ArgRule::None, dot_key: false, list: false, desc: "id of the span", ex: Ex::No("tracer spans are not supported (removed from libsinsp)") },
    FieldInfo { source: "syscall", name: "fdlist.nums", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "FD numbers of poll events", ex: Ex::No("poll fd lists are not decoded into fields yet") },
    FieldInfo { source: "syscall", name: "fdlist.names", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "FD names of poll events", ex: Ex::No("poll fd lists are not decoded into fields yet") },
    FieldInfo { source: "k8s_audit", name: "ka.auditid", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "audit event id", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.stage", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "stage of the audit event", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.auth.decision", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "authorization decision", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.auth.reason", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "authorization reason", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.auth.openshift.decision", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "authorization decision (OpenShift)", ex: Ex::No("OpenShift's authorization annotations are not read yet") },
    FieldInfo { source: "k8s_audit", name: "ka.auth.openshift.username", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "user name (OpenShift)", ex: Ex::No("OpenShift's authorization annotations are not read yet") },
    FieldInfo { source: "k8s_audit", name: "ka.user.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "user name performing the request", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.user.groups", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "groups of the user performing the request", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.impuser.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "impersonated user name", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.verb", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "action being performed", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.uri", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "request URI", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.uri.param", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "one request URI parameter by name", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.target.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target object name", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.target.namespace", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target object namespace", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.target.resource", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target object resource", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.target.subresource", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target object subresource", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.target.pod.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "target pod name", ex: Ex::No("not implemented yet") },
    FieldInfo { source: "k8s_audit", name: "ka.req.binding.subjects", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "subjects of a role binding", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.binding.role", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "role of a role binding", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.binding.subject.has_name", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "whether a binding has a subject with the given name (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.configmap.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "configmap name", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.configmap.obj", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "configmap object (JSON)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.image", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "container images of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.container.image", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "image of the first container (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.image.repository", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "container image repositories of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.container.image.repository", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "image repository of the first container (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.host_ipc", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "hostIPC flag of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.host_network", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "hostNetwork flag of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.container.host_network", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "hostNetwork flag (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.host_pid", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "hostPID flag of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.host_port", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "host ports of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.privileged", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "privileged flags of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.container.privileged", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "privileged flags (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.allow_privilege_escalation", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "allowPrivilegeEscalation of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.read_only_fs", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "readOnlyRootFilesystem of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.run_as_user", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "runAsUser of the pod security context", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.run_as_user", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "runAsUser of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.eff_run_as_user", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "effective runAsUser of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.run_as_group", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "runAsGroup of the pod security context", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.run_as_group", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "runAsGroup of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.eff_run_as_group", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "effective runAsGroup of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.proc_mount", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "procMount of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.role.rules", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "rules of a role", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.role.rules.apiGroups", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "API groups of the rules of a role", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.role.rules.nonResourceURLs", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "non-resource URLs of the rules of a role", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.role.rules.verbs", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "verbs of the rules of a role", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.role.rules.resources", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "resources of the rules of a role", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.fs_group", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "fsGroup of the pod security context", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.supplemental_groups", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "supplementalGroups of the pod security context", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.containers.add_capabilities", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "added capabilities of the containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.service.type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "service type", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.service.ports", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "service ports", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.volumes.hostpath", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "hostPath volumes of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.volume.hostpath", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "whether a hostPath volume matches the argument (deprecated)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.volumes.flexvolume_driver", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "flexVolume drivers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.volumes.volume_type", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "volume types of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.ephemeralContainers.image", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "images of the ephemeral containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.ephemeralContainers.privileged", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "privileged flags of the ephemeral containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.initContainers.image", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "images of the init containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.req.pod.initContainers.privileged", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "privileged flags of the init containers of a pod", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.resp.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "response object name", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.response.code", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "response HTTP code", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.response.reason", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "response reason", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.useragent", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "user agent of the client", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.sourceips", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: true, desc: "source IPs of the request", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "ka.cluster.name", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "cluster name", ex: Ex::No("a setting of Falco's k8saudit plugin, not part of the event; Bulkhead has no such setting yet") },
    FieldInfo { source: "k8s_audit", name: "jevt.time", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a time string", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "jevt.time.iso8601", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp in ISO 8601 format", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "jevt.rawtime", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "absolute event timestamp (epoch nanoseconds)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "jevt.value", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "value of a JSON pointer in the event", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "jevt.obj", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "the whole event as JSON", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "json.value", ty: FieldType::Charbuf, arg: ArgRule::Required, dot_key: false, list: false, desc: "value of a JSON pointer in the event (json plugin)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "json.obj", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "the whole event as JSON (json plugin)", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "json.rawtime", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "absolute event timestamp (json plugin)", ex: Ex::No("not implemented yet (jevt.rawtime gives the event time)") },
    FieldInfo { source: "k8s_audit", name: "evt.num", ty: FieldType::Uint64, arg: ArgRule::None, dot_key: false, list: false, desc: "event number", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.time", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a time string", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.time.s", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp with no nanoseconds", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.time.iso8601", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp in ISO 8601 format", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.datetime", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a date and time string", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.datetime.s", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "event timestamp as a date and time string with no nanoseconds", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.rawtime", ty: FieldType::AbsTime, arg: ArgRule::None, dot_key: false, list: false, desc: "absolute event timestamp", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.hostname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "hostname of the underlying host", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.source", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the event source", ex: Ex::Yes },
    FieldInfo { source: "k8s_audit", name: "evt.pluginname", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "name of the plugin that generated the event", ex: Ex::No("no plugins run: the k8s_audit source is built in, not Falco's k8saudit plugin") },
    FieldInfo { source: "k8s_audit", name: "evt.plugininfo", ty: FieldType::Charbuf, arg: ArgRule::None, dot_key: false, list: false, desc: "summary of the event produced by the plugin", ex: Ex::No("no plugins run: the k8s_audit source is built in, not Falco's k8saudit plugin") },
];

/// A field reference resolved against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedField {
    pub info: &'static FieldInfo,
    pub arg: Option<String>,
}

/// Why a field reference is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// No such field for the source.
    Unknown,
    /// The field needs an argument.
    MissingArg,
    /// The field takes no argument.
    UnexpectedArg,
}

/// Sources that have a field table.
pub fn known_sources() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = FIELDS.iter().map(|f| f.source).collect();
    v.dedup();
    v
}

/// Whether Bulkhead's sources give the field a value today (the table's [`Ex`]).
pub fn extracted(f: &FieldInfo) -> bool {
    f.extracted()
}

/// Exact lookup by name.
pub fn field(source: &str, name: &str) -> Option<&'static FieldInfo> {
    // By name (a hash lookup: conditions can hold many fields); the first entry of a source
    // wins, as a scan of the table would find it.
    static BY_NAME: std::sync::LazyLock<
        std::collections::HashMap<(&'static str, &'static str), &'static FieldInfo>,
    > = std::sync::LazyLock::new(|| {
        let mut m = std::collections::HashMap::new();
        for f in FIELDS.iter() {
            m.entry((f.source, f.name)).or_insert(f);
        }
        m
    });
    BY_NAME.get(&(source, name)).copied()
}

/// Resolves `name` (as lexed by the parser, possibly `evt.arg.path`) plus its optional `[arg]`.
pub fn resolve(source: &str, name: &str, arg: Option<&str>) -> Result<ResolvedField, FieldError> {
    if let Some(info) = field(source, name) {
        return match (info.arg, arg) {
            (ArgRule::Required, None) => Err(FieldError::MissingArg),
            (ArgRule::None, Some(_)) => Err(FieldError::UnexpectedArg),
            _ => Ok(ResolvedField {
                info,
                arg: arg.map(str::to_string),
            }),
        };
    }
    // `prefix.key` form: the longest field name that is a dot-prefix and accepts a key
    let mut best: Option<&'static FieldInfo> = None;
    for f in FIELDS.iter().filter(|f| f.source == source && f.dot_key) {
        if name.len() > f.name.len() + 1
            && name.starts_with(f.name)
            && name.as_bytes()[f.name.len()] == b'.'
            && best.is_none_or(|b| b.name.len() < f.name.len())
        {
            best = Some(f);
        }
    }
    match best {
        Some(info) if arg.is_none() => Ok(ResolvedField {
            info,
            arg: Some(name[info.name.len() + 1..].to_string()),
        }),
        Some(_) => Err(FieldError::UnexpectedArg),
        None => Err(FieldError::Unknown),
    }
}

/// A check whose operator or value does not fit its field (libsinsp's filter errors, worded as
/// Falco words them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("filter error: operator '{op}' is not supported by field '{field}' of type {ty}")]
    Operator {
        op: String,
        field: &'static str,
        ty: &'static str,
    },
    #[error("filter error: value '{value}' is not a valid {what} for field '{field}'")]
    Value {
        value: String,
        what: &'static str,
        field: &'static str,
    },
}

/// libsinsp-like operator/type compatibility: an error when the operator cannot be used with the
/// field.
pub fn check_operator(info: &FieldInfo, op: &str) -> Result<(), CheckError> {
    let ok = match op {
        "exists" => true,
        "=" | "==" | "!=" | "in" | "intersects" => true,
        "<" | "<=" | ">" | ">=" => info.ty.is_numeric() || info.ty == FieldType::Dynamic,
        "contains" | "icontains" | "startswith" | "endswith" | "glob" | "iglob" | "pmatch"
        | "regex" => info.ty.is_string() || info.ty == FieldType::Dynamic,
        "bcontains" | "bstartswith" => info.ty.is_string() || info.ty == FieldType::Dynamic,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(CheckError::Operator {
            op: op.to_string(),
            field: info.name,
            ty: info.ty.name(),
        })
    }
}

/// Checks a right-hand value against the field type (numbers, booleans, addresses, networks,
/// hex strings for the byte operators).
pub fn check_value(info: &FieldInfo, op: &str, value: &str) -> Result<(), CheckError> {
    let bad = |what: &'static str| {
        Err(CheckError::Value {
            value: value.to_string(),
            what,
            field: info.name,
        })
    };
    if matches!(op, "bcontains" | "bstartswith") {
        let hex = value.len().is_multiple_of(2) && value.bytes().all(|b| b.is_ascii_hexdigit());
        return if hex { Ok(()) } else { bad("hex string") };
    }
    match info.ty {
        t if t.is_numeric() => {
            let v = value.trim();
            let num = v.parse::<i128>().is_ok()
                || v.parse::<f64>().is_ok()
                || v.strip_prefix("0x")
                    .or_else(|| v.strip_prefix("0X"))
                    .is_some_and(|h| u64::from_str_radix(h, 16).is_ok());
            if num { Ok(()) } else { bad("number") }
        }
        FieldType::Bool => {
            if matches!(value, "true" | "false") {
                Ok(())
            } else {
                bad("boolean")
            }
        }
        FieldType::IpAddr => {
            if value.parse::<std::net::IpAddr>().is_ok() {
                Ok(())
            } else {
                bad("IP address")
            }
        }
        FieldType::IpNet => {
            let (addr, bits) = value.split_once('/').unwrap_or((value, ""));
            let ip_ok = addr.parse::<std::net::IpAddr>().is_ok();
            let bits_ok = bits.is_empty() || bits.parse::<u8>().is_ok_and(|b| b <= 128);
            if ip_ok && bits_ok {
                Ok(())
            } else {
                bad("IP network")
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(
            resolve("syscall", "proc.name", None).unwrap().info.name,
            "proc.name"
        );
        let r = resolve("syscall", "evt.arg.path", None).unwrap();
        assert_eq!((r.info.name, r.arg.as_deref()), ("evt.arg", Some("path")));
        let r = resolve("syscall", "evt.arg", Some("0")).unwrap();
        assert_eq!(r.arg.as_deref(), Some("0"));
        assert_eq!(
            resolve("syscall", "evt.arg", None),
            Err(FieldError::MissingArg)
        );
        assert_eq!(
            resolve("syscall", "proc.nobody", None),
            Err(FieldError::Unknown)
        );
        assert_eq!(
            resolve("syscall", "proc.name", Some("1")),
            Err(FieldError::UnexpectedArg)
        );
        assert!(resolve("syscall", "proc.aname", Some("3")).is_ok());
        assert!(resolve("syscall", "proc.aname", None).is_ok());
        assert!(resolve("k8s_audit", "jevt.value", Some("/a/b")).is_ok());
        assert!(resolve("k8s_audit", "proc.name", None).is_err());
        let r = resolve("syscall", "k8s.pod.label.app.kubernetes.io/name", None).unwrap();
        assert_eq!(r.info.name, "k8s.pod.label");
        // names are unique per source
        let mut seen = std::collections::HashSet::new();
        for f in FIELDS {
            assert!(seen.insert((f.source, f.name)), "{}", f.name);
        }
        assert_eq!(known_sources(), ["syscall", "k8s_audit"]);
    }

    #[test]
    fn types() {
        let f = field("syscall", "proc.duration").unwrap();
        assert!(check_operator(f, "<=").is_ok());
        assert!(check_operator(f, "contains").is_err());
        assert!(check_value(f, "<=", "5000000000").is_ok());
        assert!(check_value(f, "<=", "abc").is_err());
        let f = field("syscall", "fd.snet").unwrap();
        assert!(check_value(f, "in", "10.0.0.0/8").is_ok());
        assert!(check_value(f, "in", "10.0.0.0/x").is_err());
        let f = field("syscall", "container.privileged").unwrap();
        assert!(check_value(f, "=", "true").is_ok());
        assert!(check_value(f, "=", "yes").is_err());
        let f = field("syscall", "evt.buffer").unwrap();
        assert!(check_value(f, "bcontains", "7f454c46").is_ok());
        assert!(check_value(f, "bcontains", "ELF").is_err());
    }
}
