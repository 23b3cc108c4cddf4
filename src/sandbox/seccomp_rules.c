/* seccomp_rules.c — the command's system-call filter as libseccomp
 * rules, and the program libseccomp exports from them. See seccomp.h.
 *
 * Only tools/gen-seccomp.c (at build time) and the unit tests build the
 * filter this way; the airlock binary copies the program gen-seccomp
 * wrote, and does not link libseccomp. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/xalloc.h"

/* System calls newer than some libseccomp releases: when the installed
 * one cannot name them, the number is used directly. From 424 on, the
 * numbers are the same on every architecture airlock is built for; on
 * others the call is left out (and the kernel there may not have it). */
#if defined(__x86_64__) || defined(__aarch64__)
#define RAW_NR(n) (n)
#else
#define RAW_NR(n) (-1)
#endif

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

struct named_call {
	const char *name;
	int raw;         /* number when libseccomp cannot name it; -1 none */
};

static const struct named_call openat2 = {"openat2", RAW_NR(437)};

/* Every call that sets or removes an extended attribute fails with
 * EOPNOTSUPP, the answer of a file system without xattrs, which copying
 * and archiving tools already accept. The filter cannot read the name
 * (it is in memory), so it cannot let `user.*` through while refusing
 * `security.*` (file capabilities) and `system.posix_acl_*` (ACLs). */
static const struct named_call xattr_writes[] = {
	{"setxattr", -1},      {"lsetxattr", -1},
	{"fsetxattr", -1},     {"setxattrat", RAW_NR(463)},
	{"removexattr", -1},   {"lremovexattr", -1},
	{"fremovexattr", -1},  {"removexattrat", RAW_NR(466)},
};

/* Calls whose mode argument can ask for S_ISUID or S_ISGID. mode is the
 * argument's index; flags, when >= 0, the index of open flags, and the
 * mode only counts with O_CREAT or O_TMPFILE there (otherwise the kernel
 * ignores it, and callers may leave garbage in it). mkdir's mode cannot
 * carry the bits into the file system (the kernel masks them; a setgid
 * parent's bit is inherited by the kernel itself), but asking for them is
 * refused all the same: no call that asks for setuid or setgid succeeds. */
struct mode_call {
	struct named_call call;
	unsigned mode;
	int flags;
};

static const struct mode_call mode_calls[] = {
	{{"chmod", -1}, 1, -1},        {{"fchmod", -1}, 1, -1},
	{{"fchmodat", -1}, 2, -1},     {{"fchmodat2", RAW_NR(452)}, 2, -1},
	{{"mknod", -1}, 1, -1},        {{"mknodat", -1}, 2, -1},
	{{"mkdir", -1}, 1, -1},        {{"mkdirat", -1}, 2, -1},
	{{"creat", -1}, 1, -1},        {{"open", -1}, 2, 1},
	{{"openat", -1}, 3, 2},
};

/* The sockets a command may create, by family: any listed type (the low
 * four bits of the type argument; SOCK_NONBLOCK and SOCK_CLOEXEC are
 * free) with any listed protocol. Everything else fails with EPERM: other
 * families (netlink, packet...), raw types, and protocols such as MPTCP,
 * SCTP, UDP-Lite and ICMP "ping" sockets. A listed type with a listed
 * protocol that do not go together (stream + UDP) is refused by the
 * kernel itself. The same table serves both network settings: the
 * network namespace, which holds only lo (and, with the network granted,
 * airlock's listeners), is what bounds where these sockets reach. */
#define SOCK_LIST_MAX 4

struct sock_family {
	int family;
	int types[SOCK_LIST_MAX];   /* -1 ends the list */
	int protos[SOCK_LIST_MAX];  /* -1 ends the list */
};

#define INET_TYPES {SOCK_STREAM, SOCK_DGRAM, -1}
#define INET_PROTOS {0, IPPROTO_TCP, IPPROTO_UDP, -1}

static const struct sock_family sockets_allowed[] = {
	{AF_UNIX, {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, -1}, {0, -1}},
	{AF_INET, INET_TYPES, INET_PROTOS},
	{AF_INET6, INET_TYPES, INET_PROTOS},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define FAMILY_MAX 64 /* families at or above are denied by one rule */
#define TYPE_MAX 16   /* the type field is four bits */

#define ADD(ctx, nr, ...)                                                    \
	seccomp_rule_add((ctx), SCMP_ACT_ERRNO(EPERM), (nr), __VA_ARGS__)

/* The native number of a call, or -1 when this build cannot name it. */
static int
call_nr(const struct named_call *c)
{
	int nr = seccomp_syscall_resolve_name(c->name);

	if (nr == __NR_SCMP_ERROR)
		return c->raw;
	return nr < 0 ? -1 : nr; /* < 0: not a call of this architecture */
}

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
	 * ENOSYS makes libc fall back to clone, whose flags are checked.
	 * openat2 likewise passes its mode in memory; libc and programs fall
	 * back to openat. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
			     0) < 0)
		return -1;
	nr = call_nr(&openat2);
	if (nr >= 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) < 0)
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
	if (ADD(ctx, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)) <
	    0)
		return -1;
	/* A filter of the command's own with a listener would take over the
	 * calls this one hands to airlock's supervisor (the most recent
	 * user-notification filter gets them) and could let them continue
	 * unchecked. The kernel already refuses a second listener while
	 * airlock's is open (EBUSY); this refuses it in any case. Without a
	 * listener, a filter's user notifications fail. */
	return ADD(ctx, SCMP_SYS(seccomp), 2,
		   SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
		   SCMP_A1(SCMP_CMP_MASKED_EQ,
			   SECCOMP_FILTER_FLAG_NEW_LISTENER,
			   SECCOMP_FILTER_FLAG_NEW_LISTENER)) < 0
		       ? -1
		       : 0;
}

static int
deny_xattr_writes(scmp_filter_ctx ctx)
{
	size_t i;
	int nr;

	for (i = 0; i < N_OF(xattr_writes); i++) {
		nr = call_nr(&xattr_writes[i]);
		if (nr >= 0 && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP),
						nr, 0) < 0)
			return -1;
	}
	return 0;
}

/* One rule per (mode bit, creating flag): a rule cannot test two bits
 * for "either is set". */
static int
deny_special_mode(scmp_filter_ctx ctx, const struct mode_call *c, int nr)
{
	static const unsigned bits[] = {S_ISUID, S_ISGID};
	static const unsigned creating[] = {O_CREAT, O_TMPFILE & ~O_DIRECTORY};
	size_t b, f;

	for (b = 0; b < N_OF(bits); b++) {
		struct scmp_arg_cmp mode = {c->mode, SCMP_CMP_MASKED_EQ,
					    bits[b], bits[b]};

		if (c->flags < 0) {
			if (ADD(ctx, nr, 1, mode) < 0)
				return -1;
			continue;
		}
		for (f = 0; f < N_OF(creating); f++) {
			struct scmp_arg_cmp flags = {(unsigned)c->flags,
						     SCMP_CMP_MASKED_EQ,
						     creating[f], creating[f]};

			if (ADD(ctx, nr, 2, flags, mode) < 0)
				return -1;
		}
	}
	return 0;
}

static int
deny_setuid_modes(scmp_filter_ctx ctx)
{
	size_t i;
	int nr;

	for (i = 0; i < N_OF(mode_calls); i++) {
		nr = call_nr(&mode_calls[i].call);
		if (nr >= 0 && deny_special_mode(ctx, &mode_calls[i], nr) < 0)
			return -1;
	}
	return 0;
}

static bool
listed(const int *v, int x)
{
	size_t i;

	for (i = 0; i < SOCK_LIST_MAX && v[i] >= 0; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int
list_max(const int *v)
{
	int m = 0;
	size_t i;

	for (i = 0; i < SOCK_LIST_MAX && v[i] >= 0; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* Within one allowed family: every unlisted type, every unlisted
 * protocol up to the largest listed one, and everything above it (which
 * also catches values with high bits set). */
static int
deny_in_family(scmp_filter_ctx ctx, const struct sock_family *f)
{
	struct scmp_arg_cmp fam = SCMP_A0(SCMP_CMP_EQ, (unsigned)f->family);
	int t, p, top = list_max(f->protos);

	for (t = 0; t < TYPE_MAX; t++)
		if (!listed(f->types, t) &&
		    ADD(ctx, SCMP_SYS(socket), 2, fam,
			SCMP_A1(SCMP_CMP_MASKED_EQ, TYPE_MAX - 1, t)) < 0)
			return -1;
	for (p = 0; p <= top; p++)
		if (!listed(f->protos, p) &&
		    ADD(ctx, SCMP_SYS(socket), 2, fam,
			SCMP_A2(SCMP_CMP_EQ, (unsigned)p)) < 0)
			return -1;
	return ADD(ctx, SCMP_SYS(socket), 2, fam,
		   SCMP_A2(SCMP_CMP_GE, (unsigned)top + 1));
}

/* socket() allows exactly what the table lists. Families, types and
 * protocols are enumerated because one libseccomp rule cannot hold two
 * comparisons of the same argument; any value past the enumeration is
 * denied by a GE rule. An empty table denies every socket(). */
static int
deny_sockets(scmp_filter_ctx ctx, const struct sock_family *tab, size_t n)
{
	bool known;
	size_t i;
	int fam;

	if (n == 0)
		return ADD(ctx, SCMP_SYS(socket), 0);
	for (fam = 0; fam < FAMILY_MAX; fam++) {
		for (known = false, i = 0; i < n; i++)
			known = known || tab[i].family == fam;
		if (!known && ADD(ctx, SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, (unsigned)fam)) < 0)
			return -1;
	}
	if (ADD(ctx, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_GE, FAMILY_MAX)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (deny_in_family(ctx, &tab[i]) < 0)
			return -1;
	return 0;
}

/* Calls whose destination is out of the filter's sight go to the
 * supervisor (unotify.h), which performs them itself: connect() (the
 * filter cannot tell the socket's family, nor read the address), sendto()
 * with an address, and sendmsg()/sendmmsg(), whose address is inside a
 * structure in memory. sendto() without one (what send() is) is left
 * alone: it can only reach a socket's connected peer. */
static int
notify_sends(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 1,
			     SCMP_A4(SCMP_CMP_NE, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmsg), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmmsg), 0) < 0)
		return -1;
	return 0;
}

static int
build_rules(scmp_filter_ctx ctx)
{
	/* A binary tree of the system call numbers rather than a chain:
	 * the kernel emulates the filter for every number when it loads
	 * it (the action cache), and a tree is shorter to walk. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 ||
	    deny_names(ctx) == -1 || deny_xattr_writes(ctx) == -1 ||
	    deny_setuid_modes(ctx) == -1 ||
	    deny_sockets(ctx, sockets_allowed, N_OF(sockets_allowed)) < 0 ||
	    notify_sends(ctx) == -1)
		return -1;
	return 0;
}

/* libseccomp 2.5 writes the program to a descriptor only: a memfd takes
 * it whatever its size (a pipe could fill up). */
static int
export_prog(scmp_filter_ctx ctx, struct seccomp_prog *out)
{
	struct stat st;
	int fd = memfd_create("airlock-seccomp", MFD_CLOEXEC);
	int rc = -1;

	if (fd == -1)
		return -1;
	if (seccomp_export_bpf(ctx, fd) < 0 || fstat(fd, &st) == -1 ||
	    st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		goto out;
	out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	out->insns = xcalloc(out->len, sizeof(struct sock_filter));
	if (pread(fd, out->insns, (size_t)st.st_size, 0) != st.st_size) {
		seccomp_prog_release(out);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
seccomp_build_runtime(struct seccomp_prog *out, struct errbuf *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ctx == NULL) {
		errbuf_add(err, "seccomp: cannot create a filter");
		return -1;
	}
	if (build_rules(ctx) == -1 || export_prog(ctx, out) == -1)
		errbuf_add(err, "seccomp: cannot build the filter");
	else
		rc = 0;
	seccomp_release(ctx);
	return rc;
}

