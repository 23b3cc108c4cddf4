/* seccomp.c — the command's system-call filter. See seccomp.h. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Denied outright with EPERM. Names the installed libseccomp does not
 * know are skipped (the kernel may not have them either). */
static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"unshare", "setns", "bpf", "perf_event_open", "kexec_load",
	"kexec_file_load", "init_module", "finit_module", "delete_module",
	"keyctl", "add_key", "request_key", "userfaultfd", "acct", "swapon",
	"swapoff", "reboot", "syslog", "quotactl", "open_by_handle_at",
	"name_to_handle_at", NULL};

#define ADD(ctx, nr, ...)                                                    \
	seccomp_rule_add((ctx), SCMP_ACT_ERRNO(EPERM), (nr), __VA_ARGS__)

static int
deny_names(scmp_filter_ctx ctx)
{
	size_t i;
	int nr;

	for (i = 0; denied[i] != NULL; i++) {
		nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0)
			return -1;
	}
	/* clone3 passes its flags in memory, out of the filter's sight:
	 * ENOSYS makes libc fall back to clone, whose flags are checked. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
			     0) < 0)
		return -1;
	if (ADD(ctx, SCMP_SYS(clone), 1,
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)) < 0 ||
	    ADD(ctx, SCMP_SYS(clone), 1,
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNS, CLONE_NEWNS)) < 0 ||
	    ADD(ctx, SCMP_SYS(clone), 1,
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET)) < 0)
		return -1;
	if (ADD(ctx, SCMP_SYS(ioctl), 1,
		SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI)) < 0 ||
	    ADD(ctx, SCMP_SYS(ioctl), 1,
		SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX)) < 0)
		return -1;
	return ADD(ctx, SCMP_SYS(socketpair), 1,
		   SCMP_A0(SCMP_CMP_NE, AF_UNIX)) < 0 ? -1 : 0;
}

/* Network granted: only TCP and UDP over IPv4 and IPv6. Families and
 * types are enumerated because one libseccomp rule cannot hold two
 * comparisons of the same argument; any value past the table is denied. */
static int
deny_other_sockets(scmp_filter_ctx ctx)
{
	unsigned fam, type;

	for (fam = 0; fam < 64; fam++)
		if (fam != AF_INET && fam != AF_INET6 &&
		    ADD(ctx, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, fam)) < 0)
			return -1;
	if (ADD(ctx, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_GE, 64)) < 0)
		return -1;
	for (type = 0; type < 16; type++) {
		if (type == SOCK_STREAM || type == SOCK_DGRAM)
			continue;
		if (ADD(ctx, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_INET),
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, type)) < 0 ||
		    ADD(ctx, SCMP_SYS(socket), 2,
			SCMP_A0(SCMP_CMP_EQ, AF_INET6),
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, type)) < 0)
			return -1;
	}
	return 0;
}

int
seccomp_apply(bool network, struct errbuf *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = -1, r;

	if (ctx == NULL) {
		errbuf_add(err, "seccomp: cannot create a filter");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) <
		    0 ||
	    deny_names(ctx) == -1)
		goto fail;
	if (network ? deny_other_sockets(ctx)
		    : ADD(ctx, SCMP_SYS(socket), 0))
		goto fail;
	r = seccomp_load(ctx);
	if (r < 0) {
		errbuf_add(err, "seccomp: load: %s", strerror(-r));
		goto out;
	}
	rc = 0;
	goto out;
fail:
	errbuf_add(err, "seccomp: cannot build the filter");
out:
	seccomp_release(ctx);
	return rc;
}
