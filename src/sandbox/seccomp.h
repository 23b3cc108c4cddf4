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
 * caller's terminal), socketpair() for anything but AF_UNIX, seccomp()
 * filters with a listener of their own (SECCOMP_FILTER_FLAG_NEW_LISTENER:
 * the newest listener would get, and could let through, the calls
 * handed to airlock's supervisor below); any mode with
 * S_ISUID or S_ISGID given to chmod, fchmod, fchmodat, fchmodat2, mknod(at),
 * mkdir(at), creat, or open(at) with O_CREAT or O_TMPFILE (no setuid or
 * setgid file left behind). openat2 fails with ENOSYS (its mode is in
 * memory; callers fall back to openat), every xattr write or removal with
 * EOPNOTSUPP (the name is in memory: file capabilities and ACLs cannot be
 * told from user.* attributes).
 * socket(): AF_UNIX (stream, datagram, seqpacket; protocol 0) and
 * AF_INET/AF_INET6 stream and datagram sockets with protocol 0, TCP or
 * UDP, with the network on or off — no raw, packet or netlink sockets, no
 * MPTCP, SCTP, UDP-Lite or ICMP. The network namespace bounds where they
 * reach. The allowed sockets are one table in seccomp.c.
 *
 * connect(), sendto() with an address, sendmsg() and sendmmsg() are
 * SECCOMP_RET_USER_NOTIF: the command blocks in the call until the
 * supervisor (unotify.h), outside the sandbox, has performed it on the
 * command's behalf. The filter is loaded with
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so once the supervisor holds a
 * notification only a fatal signal interrupts the call: a call done by the
 * supervisor is never restarted behind its back. Its listener must leave
 * the command's process before exec (apply.c hands it to the init).
 *
 * The program is made in a sandbox's parent (seccomp_build: a copy of the
 * one tools/gen-seccomp.c had libseccomp build at build time, or, in the
 * unit tests, built now from the rules in seccomp_rules.c) and loaded by
 * the cloned child (seccomp_prog_load: the system call only, no
 * allocation, no lock). The airlock binary does not link libseccomp. */
#ifndef AIRLOCK_SANDBOX_SECCOMP_H
#define AIRLOCK_SANDBOX_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>

#include "lib/errbuf.h"

/* A built filter: insns[0..len) is owned (seccomp_prog_release). */
struct seccomp_prog {
	struct sock_filter *insns; /* heap */
	unsigned short len;        /* instructions */
};

/* The filter: the program generated at build time when the binary was
 * linked with it (tools/gen-seccomp.c; it saves libseccomp's work on
 * every start), else seccomp_build_runtime() when the binary links it
 * (a weak reference). -1 with `seccomp: problem` in err. */
int seccomp_build(struct seccomp_prog *out, struct errbuf *err);
/* Builds the filter with libseccomp, now (seccomp_rules.c). */
int seccomp_build_runtime(struct seccomp_prog *out, struct errbuf *err);
/* True when this binary carries the prebuilt program. */
bool seccomp_prebuilt(void);
void seccomp_prog_release(struct seccomp_prog *p);
/* Loads p into the calling thread (no_new_privs must be set) with a
 * user-notification listener. Returns the listener (close-on-exec), or
 * -1 with `seccomp: problem` in err. Safe in a cloned child given a fixed
 * errbuf (errbuf.h). */
int seccomp_prog_load(const struct seccomp_prog *p, struct errbuf *err);
/* seccomp_build() then seccomp_prog_load() (tests, and any caller free
 * to allocate). */
int seccomp_apply(struct errbuf *err);

#endif
