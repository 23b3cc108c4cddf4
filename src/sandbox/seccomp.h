/* seccomp.h — the sandboxed command's system-call filter (libseccomp).
 *
 * Default allow; each rule below makes the call fail with EPERM (fast and
 * visible, never a kill), for the native architecture only — a call made
 * through another ABI (i386 int 0x80, x32) kills the process, so the
 * socketcall(2) multiplexer cannot be used to get around the rules.
 *
 * Always denied: ptrace, process_vm_readv/writev, io_uring_*, mount and
 * the new mount API, umount2, pivot_root, chroot, unshare, setns, bpf,
 * perf_event_open, kexec_*, init/finit/delete_module, keyctl/add_key/
 * request_key, userfaultfd, ioctl(TIOCSTI / TIOCLINUX) (no typing into the
 * caller's terminal), socketpair() for anything but AF_UNIX; any mode with
 * S_ISUID or S_ISGID given to chmod, fchmod, fchmodat, fchmodat2, mknod(at),
 * mkdir(at), creat, or open(at) with O_CREAT or O_TMPFILE (no setuid or
 * setgid file left behind). openat2 fails with ENOSYS (its mode is in
 * memory; callers fall back to openat), every xattr write or removal with
 * EOPNOTSUPP (the name is in memory: file capabilities and ACLs cannot be
 * told from user.* attributes).
 * Network off: every socket(). Network granted: socket() except AF_INET
 * and AF_INET6 with SOCK_STREAM or SOCK_DGRAM and protocol 0, TCP or UDP
 * (so no raw, packet, netlink, unix, MPTCP, SCTP, UDP-Lite or ICMP
 * sockets; socketpair still gives unix pairs). The allowed sockets are one
 * table per setting in seccomp.c. */
#ifndef AIRLOCK_SANDBOX_SECCOMP_H
#define AIRLOCK_SANDBOX_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "lib/errbuf.h"

/* The filter as a classic BPF program, built in a sandbox's parent
 * (libseccomp allocates) and loaded by its child (seccomp_prog_load). */
struct seccomp_prog {
	struct sock_filter *insns; /* heap */
	unsigned short len;        /* instructions */
};

/* Builds the filter for network granted or not into p. -1 with
 * `seccomp: problem` in err. */
int seccomp_prog_build(bool network, struct seccomp_prog *p,
		       struct errbuf *err);
void seccomp_prog_release(struct seccomp_prog *p);

/* Loads p into the calling thread (no_new_privs must be set) with
 * seccomp(2)'s flags: 0, or SECCOMP_FILTER_FLAG_NEW_LISTENER to get a
 * user-notification descriptor back. Returns what seccomp(2) returns
 * (0 or that descriptor; -1 with errno). Nothing but the system call:
 * safe in a cloned child. */
int seccomp_prog_load(const struct seccomp_prog *p, unsigned flags);

/* Builds and loads in one go (tests, and any caller free to allocate).
 * -1 with `seccomp: problem` in err. */
int seccomp_apply(bool network, struct errbuf *err);

#endif
