/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Records the sensor writes to its ring buffer, shared by the BPF program and userspace
 * (src/record.rs mirrors these layouts; a test checks the sizes). All little-endian. */
#ifndef BULKHEAD_SENSOR_H
#define BULKHEAD_SENSOR_H

#define BH_MAX_SYSCALL 512
#define BH_SCRATCH 32768
/* Longest string (path) read from a syscall argument, and longest buffer (sockaddr, exec
 * arguments, environment). Both powers of two: the verifier needs masked lengths. */
#define BH_STR_MAX 4096
#define BH_BUF_MAX 4095

#define BH_KIND_SYSCALL 1
#define BH_KIND_EXEC 2
#define BH_KIND_FORK 3
#define BH_KIND_EXIT 4

/* How a syscall argument's user memory is read at exit. */
#define BH_ARG_NONE 0
#define BH_ARG_STR 1        /* NUL-terminated string (a path) */
#define BH_ARG_BUF 2        /* buffer whose length is argument `len` */
#define BH_ARG_BUF_LENPTR 3 /* buffer whose length is the int argument `len` points to */
#define BH_ARG_FIXED 4      /* buffer of `len` bytes (a length, not an argument index) */
/* I/O data, at most `snaplen` bytes (as the libs drivers read `data` parameters): */
#define BH_ARG_DATA_RET 5   /* the bytes the call returned (read, recvfrom): `ret` of them */
#define BH_ARG_DATA 6       /* the bytes given (write, sendto): `ret` if it succeeded, else argument `len` */

#define BH_CNT_SUBMITTED 0
#define BH_CNT_DROP_BUFFER 1
#define BH_CNT_DROP_PAGEFAULT 2
#define BH_CNT_MAX 3

/* Per CPU: bytes waiting in the shared ring when this CPU last submitted, and the most it saw
 * (one map value, so the submit path does one lookup for both). */
struct bh_fill {
	__u64 last, max;
};

#define BH_EXE_UPPER_LAYER 1
#define BH_EXE_FROM_MEMFD_OR_DELETED 2
#define BH_EXE_WRITABLE 4 /* the task's user may write the executable */

/* Which socket the record describes (its addresses, read from the kernel socket). */
#define BH_TUPLE_NONE 0
#define BH_TUPLE_ARG0 1 /* the fd in argument 0 */
#define BH_TUPLE_RET 2  /* the fd the call returned */

struct bh_sysspec {
	__u8 capture;
	__u8 how0, arg0, len0;
	__u8 how1, arg1, len1;
	__u8 tuple;
};

/* A socket's ends: IPv4 (4 bytes) / IPv6 (16 bytes) addresses in network order, ports in host
 * order; for unix sockets the kernel socket and its peer (as libs identifies them) and the
 * bound path. */
struct bh_tuple {
	__u16 family, lport, rport, pad;
	__u8 local[16];
	__u8 remote[16];
	__u64 sk, peer;
	char path[108];
	__u32 pad2;
};

struct bh_hdr {
	__u64 ts; /* CLOCK_BOOTTIME ns */
	__u64 cgroup_v2;
	__u64 cgroup_v1; /* memory controller */
	__u32 kind;
	__u32 len; /* whole record */
	__u32 tid, pid, ppid;
	__u32 vtid, vpid;
	__u32 uid, gid, loginuid;
	char comm[16];
};

struct bh_sys {
	struct bh_hdr h;
	__u64 ts_enter;
	__s64 ret;
	__u64 args[6];
	__u32 nr;
	__u16 len0, len1; /* bytes of argument memory that follow, in order */
	__u32 tuple_len;  /* sizeof(struct bh_tuple) when one follows the argument memory, else 0 */
	__u32 pad;
};

struct bh_exec {
	struct bh_hdr h;
	__u64 cap_inheritable, cap_permitted, cap_effective;
	__u64 exe_ino, exe_ctime, exe_mtime;
	__u32 tty, flags, pgid, sid;
	__u16 filename_len, args_len, env_len, pad;
	/* The task's cgroup directory name (memory controller, else the v2 one), read in the
	 * kernel: a container's id even when its cgroup is gone by the time userspace reads. */
	char cgleaf[72];
	/* then filename (NUL-terminated), args (NUL-separated), env (NUL-separated) */
};

#define BH_FORK_THREAD 1       /* the child shares the parent's thread group */
#define BH_FORK_FILES 2        /* the child shares the parent's fd table */

struct bh_fork {
	struct bh_hdr h; /* the child */
	__u32 parent_tid, parent_pid;
	__u32 flags;
	__u16 args_len, pad;
	char cgleaf[72];
	/* then the arguments (NUL-separated, argv[0] first): the parent's, which the child has */
};

struct bh_exit {
	struct bh_hdr h;
	__s32 exit_code;
	__u32 pad;
};

#endif
