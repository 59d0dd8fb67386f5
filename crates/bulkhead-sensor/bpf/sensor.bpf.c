// SPDX-License-Identifier: GPL-2.0
// Bulkhead's kernel sensor: compact records of the system calls the loaded rules need, and of
// process exec/fork/exit, into one ring buffer. Userspace (src/decode.rs) turns each record into
// the events of the libs event table that the replay path already consumes.
//
// Hooks: tp_btf sys_enter/sys_exit (arguments saved at enter, strings read at exit so that pages
// the call itself faulted in are resident) and tp_btf sched_process_exec/fork/exit. No tracefs,
// kprobes, fentry or LSM (not available on every kernel this runs on; see docs/runtime.md).
// Everything is CO-RE: struct layouts come from the running kernel's BTF.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "sensor.h"

char LICENSE[] SEC("license") = "GPL";

// Set by userspace before load.
const volatile __u32 self_tgid = 0;
// Wake the reader once this many bytes are waiting (batched wakeups: a wakeup per event costs
// more than the event on a VM).
const volatile __u64 wakeup_bytes = 256 * 1024;
// Most bytes of I/O data read per event (libs' snaplen; Falco's -S).
const volatile __u32 snaplen = 80;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} events SEC(".maps");

// Per syscall number: what to capture (SYS_* flags and the argument specs of sensor.h).
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BH_MAX_SYSCALL);
	__type(key, __u32);
	__type(value, struct bh_sysspec);
} interest SEC(".maps");

// Counters per CPU, BH_CNT_* of sensor.h.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

// The ring's fill as each CPU sees it when submitting.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_fill);
} fill SEC(".maps");

// Arguments saved at sys_enter, by thread id.
struct pending {
	__u64 ts;
	__u64 args[6];
	__u32 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

// One scratch record per CPU (the BPF stack is 512 bytes).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[BH_SCRATCH]);
} scratch SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
}

static __always_inline void set_fill(__u64 avail)
{
	__u32 zero = 0;
	struct bh_fill *f = bpf_map_lookup_elem(&fill, &zero);
	if (!f)
		return;
	f->last = avail;
	if (f->max < avail)
		f->max = avail;
}

static __always_inline void *scratch_buf(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void fill_header(struct bh_hdr *h, __u32 kind, struct task_struct *t)
{
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->tid = BPF_CORE_READ(t, pid);
	h->pid = BPF_CORE_READ(t, tgid);
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->uid = BPF_CORE_READ(t, cred, euid.val);
	h->gid = BPF_CORE_READ(t, cred, egid.val);
	h->loginuid = BPF_CORE_READ(t, loginuid.val);
	h->cgroup_v2 = bpf_get_current_cgroup_id();
	int mem = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	h->cgroup_v1 = BPF_CORE_READ(t, cgroups, subsys[mem], cgroup, kn, id);
	bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), BPF_CORE_READ(t, comm));
	// vtid/vpid: the ids in the task's own pid namespace (its thread's struct pid and its
	// thread group's).
	struct pid *tp = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level);
	h->vtid = BPF_CORE_READ(tp, numbers[level].nr);
	struct pid *gp = BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]);
	unsigned int glevel = BPF_CORE_READ(gp, level);
	h->vpid = BPF_CORE_READ(gp, numbers[glevel].nr);
}

// The name of the task's cgroup directory: the memory controller's (v1, hybrid hosts), else the
// default hierarchy's (v2).
static __always_inline void cg_leaf(struct task_struct *t, char *dst)
{
	int mem = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, subsys[mem], cgroup, kn);
	dst[0] = 0;
	if (kn && BPF_CORE_READ(kn, __parent))
		bpf_probe_read_kernel_str(dst, 72, BPF_CORE_READ(kn, name));
	if (dst[0] == 0) {
		kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);
		if (kn && BPF_CORE_READ(kn, __parent))
			bpf_probe_read_kernel_str(dst, 72, BPF_CORE_READ(kn, name));
	}
}

static __always_inline void submit(void *buf, __u64 len)
{
	// Batched wakeups: the reader is woken only by the record that makes the backlog cross
	// wakeup_bytes (a wakeup per record above it would cost an IPI each while the reader is
	// behind); it also drains after every poll timeout.
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail < wakeup_bytes && avail + len >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	set_fill(avail);
	// len is bounded by the callers (masked below BH_SCRATCH).
	if (len > BH_SCRATCH)
		return;
	if (bpf_ringbuf_output(&events, buf, len, flags) == 0)
		count(BH_CNT_SUBMITTED);
	else
		count(BH_CNT_DROP_BUFFER);
}

static __always_inline bool ignored(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (id < 0 || id >= BH_MAX_SYSCALL || ignored())
		return 0;
	__u32 nr = id;
	struct bh_sysspec *spec = bpf_map_lookup_elem(&interest, &nr);
	if (!spec || !spec->capture)
		return 0;
	struct pending p = {};
	p.ts = bpf_ktime_get_boot_ns();
	p.nr = nr;
	p.args[0] = BPF_CORE_READ(regs, di);
	p.args[1] = BPF_CORE_READ(regs, si);
	p.args[2] = BPF_CORE_READ(regs, dx);
	p.args[3] = BPF_CORE_READ(regs, r10);
	p.args[4] = BPF_CORE_READ(regs, r8);
	p.args[5] = BPF_CORE_READ(regs, r9);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

// Reads argument `i`'s user memory as the spec says into buf at off; returns the bytes written.
static __always_inline __u32 read_arg(void *buf, __u32 off, __u8 how, __u8 lenarg, struct pending *p,
				      __u32 argi, long ret)
{
	if (off > BH_SCRATCH - BH_STR_MAX)
		return 0;
	if (argi > 5 || (how != BH_ARG_FIXED && lenarg > 5))
		return 0;
	const void *ptr = (const void *)p->args[argi & 7];
	if (!ptr)
		return 0;
	long n = 0;
	if (how == BH_ARG_STR) {
		n = bpf_probe_read_user_str(buf + off, BH_STR_MAX, ptr);
		if (n < 0) {
			count(BH_CNT_DROP_PAGEFAULT);
			return 0;
		}
	} else if (how == BH_ARG_BUF) {
		__u64 len = p->args[lenarg & 7];
		if (len > BH_BUF_MAX)
			len = BH_BUF_MAX;
		if (bpf_probe_read_user(buf + off, len & (BH_STR_MAX - 1), ptr) < 0) {
			count(BH_CNT_DROP_PAGEFAULT);
			return 0;
		}
		n = len & (BH_STR_MAX - 1);
	} else if (how == BH_ARG_FIXED) {
		if (bpf_probe_read_user(buf + off, lenarg & 0xff, ptr) < 0) {
			count(BH_CNT_DROP_PAGEFAULT);
			return 0;
		}
		n = lenarg & 0xff;
	} else if (how == BH_ARG_DATA_RET || how == BH_ARG_DATA) {
		__u64 len = 0;
		if (ret > 0)
			len = ret;
		else if (how == BH_ARG_DATA)
			len = p->args[lenarg & 7];
		if (len > snaplen)
			len = snaplen;
		if (len > BH_BUF_MAX)
			len = BH_BUF_MAX;
		if (len == 0)
			return 0;
		if (bpf_probe_read_user(buf + off, len & (BH_STR_MAX - 1), ptr) < 0) {
			count(BH_CNT_DROP_PAGEFAULT);
			return 0;
		}
		n = len & (BH_STR_MAX - 1);
	} else if (how == BH_ARG_BUF_LENPTR) {
		int len = 0;
		const void *lp = (const void *)p->args[lenarg & 7];
		if (!lp || bpf_probe_read_user(&len, sizeof(len), lp) < 0)
			return 0;
		if (len < 0)
			return 0;
		if (len > BH_BUF_MAX)
			len = BH_BUF_MAX;
		if (bpf_probe_read_user(buf + off, len & (BH_STR_MAX - 1), ptr) < 0) {
			count(BH_CNT_DROP_PAGEFAULT);
			return 0;
		}
		n = len & (BH_STR_MAX - 1);
	}
	return n;
}

// The kernel socket of fd `fd` of task `t`, NULL when it is not a socket.
static __always_inline struct sock *sock_of_fd(struct task_struct *t, long fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max)
		return NULL;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) < 0 || !f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & 00170000) != 0140000)
		return NULL;
	struct socket *so = (struct socket *)BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk);
}

static __always_inline void fill_tuple(struct bh_tuple *tu, struct sock *sk)
{
	__builtin_memset(tu, 0, sizeof(*tu));
	tu->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	tu->sk = (__u64)sk;
	if (tu->family == 2) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(tu->local, &l, 4);
		__builtin_memcpy(tu->remote, &r, 4);
	} else if (tu->family == 10) {
		BPF_CORE_READ_INTO(&tu->local, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&tu->remote, sk, __sk_common.skc_v6_daddr);
	}
	if (tu->family == 2 || tu->family == 10) {
		tu->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		tu->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else if (tu->family == 1) {
		struct unix_sock *u = (struct unix_sock *)sk;
		tu->peer = (__u64)BPF_CORE_READ(u, peer);
		struct unix_address *a = BPF_CORE_READ(u, addr);
		if (a)
			bpf_probe_read_kernel(tu->path, sizeof(tu->path), &a->name[0].sun_path);
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	__u32 nr = p->nr;
	struct bh_sysspec *spec = bpf_map_lookup_elem(&interest, &nr);
	struct bh_sys *r = scratch_buf();
	if (!spec || !r) {
		bpf_map_delete_elem(&pending, &tid);
		return 0;
	}
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	fill_header(&r->h, BH_KIND_SYSCALL, t);
	r->ts_enter = p->ts;
	r->ret = ret;
	r->nr = nr;
	for (int i = 0; i < 6; i++)
		r->args[i] = p->args[i];
	__u32 off = sizeof(*r);
	r->len0 = 0;
	r->len1 = 0;
	// Strings are read only for calls that succeeded or whose failure the rules care about
	// (open failures are rule inputs too), so always.
	if (spec->how0) {
		__u32 n = read_arg(r, off, spec->how0, spec->len0, p, spec->arg0, ret);
		r->len0 = n;
		off += n & (BH_STR_MAX - 1);
	}
	if (spec->how1) {
		__u32 n = read_arg(r, off & (BH_SCRATCH - 1), spec->how1, spec->len1, p, spec->arg1, ret);
		r->len1 = n;
		off += n & (BH_STR_MAX - 1);
	}
	r->tuple_len = 0;
	if (spec->tuple) {
		long fd = spec->tuple == BH_TUPLE_RET ? ret : (long)p->args[0];
		struct sock *sk = sock_of_fd(t, fd);
		// The argument memory before it is at most 2 * BH_STR_MAX: the offset stays in the
		// first half of the scratch record.
		if (sk && off < BH_SCRATCH / 2) {
			fill_tuple((void *)r + (off & (BH_SCRATCH / 2 - 1)), sk);
			r->tuple_len = sizeof(struct bh_tuple);
			off += sizeof(struct bh_tuple);
		}
	}
	bpf_map_delete_elem(&pending, &tid);
	r->h.len = off;
	submit(r, off & (BH_SCRATCH - 1));
	return 0;
}

// Whether the task may write inode `ino`, as the kernel's generic_permission decides it (and as
// libs' drivers compute PPM_EXE_WRITABLE): not on a read-only mount or an immutable file; by the
// owner, group or other write bit that applies to the task's fsuid/fsgid; or with
// CAP_DAC_OVERRIDE. (Supplementary groups and ACLs are not consulted.)
static __always_inline bool exe_writable(struct task_struct *t, struct inode *ino)
{
	umode_t mode = BPF_CORE_READ(ino, i_mode);
	if (BPF_CORE_READ(ino, i_sb, s_flags) & 1 /* SB_RDONLY */)
		return false;
	if (BPF_CORE_READ(ino, i_flags) & 8 /* S_IMMUTABLE */)
		return false;
	__u32 fsuid = BPF_CORE_READ(t, cred, fsuid.val);
	__u32 fsgid = BPF_CORE_READ(t, cred, fsgid.val);
	bool w;
	if (fsuid == BPF_CORE_READ(ino, i_uid.val))
		w = mode & 0200;
	else if (fsgid == BPF_CORE_READ(ino, i_gid.val))
		w = mode & 0020;
	else
		w = mode & 0002;
	if (w)
		return true;
	__u64 caps = BPF_CORE_READ(t, cred, cap_effective.val);
	return caps & (1ULL << 1 /* CAP_DAC_OVERRIDE */);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *t, pid_t old_pid, struct linux_binprm *bprm)
{
	if (ignored())
		return 0;
	struct bh_exec *r = scratch_buf();
	if (!r)
		return 0;
	fill_header(&r->h, BH_KIND_EXEC, t);
	r->cap_inheritable = BPF_CORE_READ(t, cred, cap_inheritable.val);
	r->cap_permitted = BPF_CORE_READ(t, cred, cap_permitted.val);
	r->cap_effective = BPF_CORE_READ(t, cred, cap_effective.val);
	struct inode *ino = BPF_CORE_READ(bprm, file, f_inode);
	r->exe_ino = BPF_CORE_READ(ino, i_ino);
	r->exe_ctime = BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_ctime_nsec);
	r->exe_mtime = BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_mtime_nsec);
	r->flags = 0;
	// An executable in the upper (writable) layer of an overlay: written after the image was
	// built (libs PPM_EXE_UPPER_LAYER).
	if (BPF_CORE_READ(ino, i_sb, s_magic) == 0x794c7630) {
		struct ovl_inode *ovl = container_of(ino, struct ovl_inode, vfs_inode);
		if (BPF_CORE_READ(ovl, __upperdentry))
			r->flags |= BH_EXE_UPPER_LAYER;
	}
	if (exe_writable(t, ino))
		r->flags |= BH_EXE_WRITABLE;
	__u32 nlink = BPF_CORE_READ(ino, __i_nlink);
	if (nlink == 0)
		r->flags |= BH_EXE_FROM_MEMFD_OR_DELETED;
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	r->tty = 0;
	if (tty) {
		int index = BPF_CORE_READ(tty, index);
		int major = BPF_CORE_READ(tty, driver, major);
		int minor = BPF_CORE_READ(tty, driver, minor_start) + index;
		r->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
	}
	cg_leaf(t, r->cgleaf);
	struct pid *pg = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	unsigned int pglevel = BPF_CORE_READ(pg, level);
	r->pgid = BPF_CORE_READ(pg, numbers[pglevel].nr);
	struct pid *sid = BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]);
	unsigned int sidlevel = BPF_CORE_READ(sid, level);
	r->sid = BPF_CORE_READ(sid, numbers[sidlevel].nr);

	__u32 off = sizeof(*r);
	long n = bpf_probe_read_kernel_str((void *)r + off, BH_STR_MAX, BPF_CORE_READ(bprm, filename));
	r->filename_len = n > 0 ? n : 0;
	off += r->filename_len & (BH_STR_MAX - 1);

	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	__u64 a0 = BPF_CORE_READ(mm, arg_start), a1 = BPF_CORE_READ(mm, arg_end);
	__u64 alen = a1 > a0 ? a1 - a0 : 0;
	if (alen > BH_BUF_MAX)
		alen = BH_BUF_MAX;
	r->args_len = 0;
	if (off <= BH_SCRATCH - BH_STR_MAX &&
	    bpf_probe_read_user((void *)r + off, alen & (BH_STR_MAX - 1), (void *)a0) == 0) {
		r->args_len = alen & (BH_STR_MAX - 1);
		off += r->args_len;
	}
	__u64 e0 = BPF_CORE_READ(mm, env_start), e1 = BPF_CORE_READ(mm, env_end);
	__u64 elen = e1 > e0 ? e1 - e0 : 0;
	if (elen > BH_BUF_MAX)
		elen = BH_BUF_MAX;
	r->env_len = 0;
	if (off <= BH_SCRATCH - BH_STR_MAX &&
	    bpf_probe_read_user((void *)r + off, elen & (BH_STR_MAX - 1), (void *)e0) == 0) {
		r->env_len = elen & (BH_STR_MAX - 1);
		off += r->env_len;
	}
	r->h.len = off;
	submit(r, off & (BH_SCRATCH - 1));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	// The child decides: a process Bulkhead forks is watched, Bulkhead's own threads are not.
	if (BPF_CORE_READ(child, tgid) == self_tgid)
		return 0;
	struct bh_fork *r = scratch_buf();
	if (!r)
		return 0;
	// The header describes the child (its ids, its credentials: copies of the parent's).
	fill_header(&r->h, BH_KIND_FORK, child);
	r->h.cgroup_v2 = bpf_get_current_cgroup_id();
	r->parent_tid = BPF_CORE_READ(parent, pid);
	r->parent_pid = BPF_CORE_READ(parent, tgid);
	r->flags = 0;
	if (r->h.pid == r->parent_pid)
		r->flags |= BH_FORK_THREAD;
	if (BPF_CORE_READ(child, files) == BPF_CORE_READ(parent, files))
		r->flags |= BH_FORK_FILES;
	cg_leaf(child, r->cgleaf);
	// The child's memory is the parent's (copied or shared), and the parent is the current
	// task: its arguments are the child's.
	__u32 off = sizeof(*r);
	struct mm_struct *mm = BPF_CORE_READ(parent, mm);
	__u64 a0 = BPF_CORE_READ(mm, arg_start), a1 = BPF_CORE_READ(mm, arg_end);
	__u64 alen = a1 > a0 ? a1 - a0 : 0;
	if (alen > BH_BUF_MAX)
		alen = BH_BUF_MAX;
	r->args_len = 0;
	if (mm && bpf_probe_read_user((void *)r + off, alen & (BH_STR_MAX - 1), (void *)a0) == 0) {
		r->args_len = alen & (BH_STR_MAX - 1);
		off += r->args_len;
	}
	r->h.len = off;
	submit(r, off & (BH_SCRATCH - 1));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *t)
{
	if (ignored())
		return 0;
	struct bh_exit *r = scratch_buf();
	if (!r)
		return 0;
	fill_header(&r->h, BH_KIND_EXIT, t);
	r->exit_code = BPF_CORE_READ(t, exit_code);
	r->h.len = sizeof(*r);
	submit(r, sizeof(*r));
	return 0;
}
