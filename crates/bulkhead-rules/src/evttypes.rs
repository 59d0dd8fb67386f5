//! The event types a condition can match, computed like libsinsp's `filter/ppm_codes.cpp`:
//! `and` intersects, `or` unites, `evt.type` checks with `=`, `==`, `in` give their names, `!=`
//! complements, `not` is pushed down to the leaves (De Morgan) and only complements event-type
//! checks; every other check is neutral (all types). Sets are kept symbolically (a finite set of
//! names, or "all but" a finite set), over the event names in [`EVENT_NAMES`].

use crate::ast::Expr;
use std::collections::BTreeSet;

/// Event names known to the engine (Linux syscalls libsinsp has events for, plus libsinsp's
/// own event names). Unknown names in an `evt.type` check match nothing here and are reported by
/// the loader as `unknown event type`.
pub static EVENT_NAMES: &[&str] = &[
    // process
    "execve",
    "execveat",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "exit",
    "exit_group",
    "procexit",
    "kill",
    "tkill",
    "tgkill",
    "prctl",
    "setsid",
    "setpgid",
    "getpgid",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setreuid",
    "setregid",
    "setfsuid",
    "setfsgid",
    "setuid32",
    "setgid32",
    "setresuid32",
    "setresgid32",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "capset",
    "capget",
    "chdir",
    "fchdir",
    "chroot",
    "pivot_root",
    "setns",
    "unshare",
    "ptrace",
    "seccomp",
    "personality",
    "setrlimit",
    "getrlimit",
    "prlimit",
    "nice",
    "setpriority",
    "getpriority",
    "sched_yield",
    "sched_setaffinity",
    "sched_getaffinity",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_setparam",
    "sched_getparam",
    "sched_setattr",
    "sched_getattr",
    "wait4",
    "waitid",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "process_vm_readv",
    "process_vm_writev",
    "getpid",
    "getppid",
    "gettid",
    "getsid",
    "set_tid_address",
    "arch_prctl",
    "uname",
    "sysinfo",
    "times",
    "signaldeliver",
    "switch",
    "pause",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "alarm",
    "setitimer",
    "getitimer",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_delete",
    "timer_getoverrun",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_settime",
    "clock_getres",
    "clock_adjtime",
    "gettimeofday",
    "settimeofday",
    "adjtimex",
    "time",
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "membarrier",
    "restart_syscall",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "acct",
    "vhangup",
    "syslog",
    "iopl",
    "ioperm",
    "quotactl",
    "sethostname",
    "setdomainname",
    "init_module",
    "finit_module",
    "delete_module",
    "create_module",
    "query_module",
    "get_kernel_syms",
    "lookup_dcookie",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "mlock",
    "mlock2",
    "munlock",
    "mlockall",
    "munlockall",
    "mmap",
    "mmap2",
    "munmap",
    "mprotect",
    "mremap",
    "msync",
    "madvise",
    "mincore",
    "brk",
    "remap_file_pages",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "migrate_pages",
    "move_pages",
    "memfd_create",
    "memfd_secret",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "swapon",
    "swapoff",
    "modify_ldt",
    "io_setup",
    "io_destroy",
    "io_submit",
    "io_cancel",
    "io_getevents",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "getrandom",
    "vmsplice",
    "splice",
    "tee",
    "copy_file_range",
    "sendfile",
    "sendfile64",
    "ioctl",
    "fcntl",
    "fcntl64",
    "flock",
    "fsync",
    "fdatasync",
    "sync",
    "syncfs",
    "sync_file_range",
    "fallocate",
    "fadvise64",
    "readahead",
    // files
    "open",
    "openat",
    "openat2",
    "open_by_handle_at",
    "name_to_handle_at",
    "creat",
    "close",
    "close_range",
    "read",
    "write",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "lseek",
    "llseek",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "readlink",
    "readlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "fchownat",
    "lchown",
    "chown32",
    "fchown32",
    "lchown32",
    "truncate",
    "ftruncate",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "stat64",
    "fstat64",
    "lstat64",
    "fstatat64",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "mknod",
    "mknodat",
    "getdents",
    "getdents64",
    "getcwd",
    "umask",
    "mount",
    "umount",
    "umount2",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "inotify_init",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    "fanotify_init",
    "fanotify_mark",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "eventfd",
    "eventfd2",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "_newselect",
    // network
    "socket",
    "socketpair",
    "bind",
    "connect",
    "listen",
    "accept",
    "accept4",
    "send",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "recv",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "shutdown",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "socketcall",
    // ipc
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    // libsinsp events
    "container",
    "notification",
    "infra",
    "sysdigevent",
    "page_fault",
    "cpu_hotplug",
    "drop",
    "scapevent",
    "procinfo",
    "asyncevent",
    "pluginevent",
    "tracer",
    "k8s",
    "mesos",
    "syscall",
    "sched_process_exit",
    "sched_process_fork",
    "sched_process_exec",
    "sched_switch",
];

/// Each name stands for an enter and an exit event code; Falco warns when a rule matches more
/// than 100 codes.
pub const CODES_PER_NAME: usize = 2;
/// Falco's threshold for `LOAD_NO_EVTTYPE`.
pub const MAX_CODES: usize = 100;

pub fn is_event_name(name: &str) -> bool {
    static NAMES: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| EVENT_NAMES.iter().copied().collect());
    NAMES.contains(name)
}

/// `a ∪ b`, inserting the smaller into the larger.
fn merge(a: BTreeSet<String>, b: BTreeSet<String>) -> BTreeSet<String> {
    let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    big.extend(small);
    big
}

/// `a ∩ b`, scanning the smaller.
fn keep_common(a: BTreeSet<String>, b: BTreeSet<String>) -> BTreeSet<String> {
    let (mut small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small.retain(|x| big.contains(x));
    small
}

/// `a ∖ b`, scanning the smaller.
fn remove_all(mut a: BTreeSet<String>, b: BTreeSet<String>) -> BTreeSet<String> {
    if b.len() < a.len() {
        for x in &b {
            a.remove(x);
        }
    } else {
        a.retain(|x| !b.contains(x));
    }
    a
}

/// A set of event types: finite, or everything except a finite set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvtTypes {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

impl EvtTypes {
    pub fn all() -> Self {
        EvtTypes::AllBut(BTreeSet::new())
    }
    pub fn none() -> Self {
        EvtTypes::Only(BTreeSet::new())
    }
    fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        EvtTypes::Only(
            names
                .into_iter()
                .filter(|n| is_event_name(n))
                .map(str::to_string)
                .collect(),
        )
    }
    pub fn complement(self) -> Self {
        match self {
            EvtTypes::Only(s) => EvtTypes::AllBut(s),
            EvtTypes::AllBut(s) => EvtTypes::Only(s),
        }
    }
    // Set operations reuse their larger operand (conditions with thousands of event-type
    // checks fold one check at a time into the result: each step costs the small side).
    pub fn intersect(self, other: Self) -> Self {
        use EvtTypes::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(keep_common(a, b)),
            (Only(a), AllBut(b)) | (AllBut(b), Only(a)) => Only(remove_all(a, b)),
            (AllBut(a), AllBut(b)) => AllBut(merge(a, b)),
        }
    }
    pub fn union(self, other: Self) -> Self {
        use EvtTypes::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(merge(a, b)),
            (Only(a), AllBut(b)) | (AllBut(b), Only(a)) => AllBut(remove_all(b, a)),
            (AllBut(a), AllBut(b)) => AllBut(keep_common(a, b)),
        }
    }
    /// The names, when the set is finite.
    pub fn names(&self) -> Option<Vec<&str>> {
        match self {
            EvtTypes::Only(s) => Some(s.iter().map(String::as_str).collect()),
            EvtTypes::AllBut(_) => None,
        }
    }
    /// Approximate number of event codes (enter + exit per name).
    pub fn code_count(&self) -> usize {
        match self {
            EvtTypes::Only(s) => s.len() * CODES_PER_NAME,
            EvtTypes::AllBut(s) => {
                let excluded = s.iter().filter(|n| is_event_name(n)).count();
                (EVENT_NAMES.len() - excluded.min(EVENT_NAMES.len())) * CODES_PER_NAME
            }
        }
    }
    /// Falco's `LOAD_NO_EVTTYPE` condition: no types at all, or more than 100 codes.
    pub fn too_many(&self) -> bool {
        match self {
            EvtTypes::Only(s) => s.is_empty() || self.code_count() > MAX_CODES,
            EvtTypes::AllBut(_) => true,
        }
    }
}

#[derive(Default)]
struct Visitor {
    last_is_evttype_field: bool,
    last_is_field_or_transformer: bool,
    inside_negation: bool,
    last_has_codes: bool,
    codes: Option<EvtTypes>,
}

impl Visitor {
    fn take(&mut self) -> EvtTypes {
        self.codes.take().unwrap_or_else(EvtTypes::none)
    }
    fn inversion(&mut self, t: EvtTypes) -> EvtTypes {
        if self.last_has_codes {
            t.complement()
        } else {
            t
        }
    }
    fn try_inversion(&mut self, t: EvtTypes) -> EvtTypes {
        if self.inside_negation {
            self.inversion(t)
        } else {
            t
        }
    }
    fn conjunction(&mut self, children: &[Expr]) {
        let mut types = EvtTypes::all();
        for c in children {
            self.visit(c);
            let t = self.take();
            types = types.intersect(t);
        }
        self.codes = Some(types);
        self.last_is_evttype_field = false;
    }
    fn disjunction(&mut self, children: &[Expr]) {
        let mut types = EvtTypes::none();
        for c in children {
            self.visit(c);
            let t = self.take();
            types = types.union(t);
        }
        self.codes = Some(types);
        self.last_is_evttype_field = false;
    }

    // Recursion depth is bounded by the parser's depth limit (macro expansion can nest
    // conditions further, but macros cannot refer to themselves).
    fn visit(&mut self, e: &Expr) {
        match e {
            Expr::And { children, .. } => {
                if self.inside_negation {
                    self.disjunction(children)
                } else {
                    self.conjunction(children)
                }
            }
            Expr::Or { children, .. } => {
                if self.inside_negation {
                    self.conjunction(children)
                } else {
                    self.disjunction(children)
                }
            }
            Expr::Not { child, .. } => {
                self.codes = None;
                let saved = self.inside_negation;
                self.inside_negation = !saved;
                self.visit(child);
                self.inside_negation = saved;
                self.last_is_evttype_field = false;
            }
            Expr::BinaryCheck {
                left, op, right, ..
            } => {
                self.last_has_codes = false;
                if matches!(op.as_str(), "==" | "=" | "!=" | "in") {
                    self.visit(left);
                    if self.last_is_evttype_field {
                        self.last_is_field_or_transformer = false;
                        self.visit(right);
                        if self.last_is_field_or_transformer {
                            // libsinsp refuses field comparisons on evt.type; be neutral
                            self.codes = Some(EvtTypes::all());
                            self.last_is_evttype_field = false;
                            return;
                        }
                        if op == "!=" {
                            let t = self.take();
                            let t = self.inversion(t);
                            self.codes = Some(t);
                        }
                        self.last_is_evttype_field = false;
                        return;
                    }
                }
                let t = self.try_inversion(EvtTypes::all());
                self.codes = Some(t);
                self.last_is_evttype_field = false;
            }
            Expr::UnaryCheck { left, op, .. } => {
                self.visit(left);
                self.last_has_codes = self.last_is_evttype_field && op == "exists";
                let t = self.try_inversion(EvtTypes::all());
                self.codes = Some(t);
                self.last_is_evttype_field = false;
            }
            Expr::Identifier { .. } => {
                self.last_has_codes = false;
                let t = self.try_inversion(EvtTypes::all());
                self.codes = Some(t);
                self.last_is_evttype_field = false;
            }
            Expr::Value { value, .. } => {
                self.last_has_codes = true;
                let t = self.try_inversion(EvtTypes::of([value.as_str()]));
                self.codes = Some(t);
                self.last_is_evttype_field = false;
            }
            Expr::List { values, .. } => {
                self.last_has_codes = true;
                let t = self.try_inversion(EvtTypes::of(values.iter().map(String::as_str)));
                self.codes = Some(t);
                self.last_is_evttype_field = false;
            }
            Expr::Field { name, arg, .. } => {
                self.last_has_codes = false;
                self.last_is_field_or_transformer = true;
                self.last_is_evttype_field = name == "evt.type" && arg.is_none();
                let t = self.try_inversion(EvtTypes::all());
                self.codes = Some(t);
            }
            Expr::Transformer { args, .. } => {
                if let Some(a) = args.first() {
                    self.visit(a);
                }
                self.last_is_evttype_field = false;
                self.last_is_field_or_transformer = true;
            }
        }
    }
}

/// The event types a (macro-resolved) condition can match.
pub fn evttypes(e: &Expr) -> EvtTypes {
    let mut v = Visitor::default();
    v.visit(e);
    v.take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_condition;

    fn names(c: &str) -> Option<Vec<String>> {
        evttypes(&parse_condition(c).unwrap())
            .names()
            .map(|v| v.into_iter().map(str::to_string).collect())
    }

    #[test]
    fn semantics() {
        assert_eq!(names("evt.type=open"), Some(vec!["open".into()]));
        assert_eq!(
            names("evt.type in (open, execve) and proc.name=a"),
            Some(vec!["execve".into(), "open".into()])
        );
        assert_eq!(
            names("evt.type=execve and proc.name=foo or evt.type=open"),
            Some(vec!["execve".into(), "open".into()])
        );
        assert_eq!(names("proc.name=foo"), None);
        assert_eq!(names("evt.type!=execve"), None);
        assert_eq!(names("not evt.type=execve"), None);
        assert_eq!(
            names("not not evt.type=execve"),
            Some(vec!["execve".into()])
        );
        assert_eq!(
            names("evt.type in (open, connect) and not evt.type=open"),
            Some(vec!["connect".into()])
        );
        assert_eq!(
            names("evt.type=execve and not proc.name=foo"),
            Some(vec!["execve".into()])
        );
        assert_eq!(names("not (evt.type != open)"), Some(vec!["open".into()]));
        assert_eq!(names("not (evt.type=open or proc.name=a)"), None);
        assert_eq!(
            names("evt.type=open and evt.num=0"),
            Some(vec!["open".into()])
        );
        assert_eq!(names("evt.type exists"), None);
        assert!(evttypes(&parse_condition("not evt.type exists").unwrap()).too_many());
        assert!(evttypes(&parse_condition("evt.type=nosuchevent").unwrap()).too_many());
    }
}
