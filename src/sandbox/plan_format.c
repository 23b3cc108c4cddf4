/* plan_format.c — `airlock run --print-plan`: the plan as numbered lines.
 * See plan.h. */
#include "sandbox/plan.h"

#include <stdbool.h>
#include <string.h>

#include "sandbox/protect.h"

static const char *
fs_name(enum sandbox_fs fs)
{
	switch (fs) {
	case SANDBOX_FS_READ_ONLY:
		return "read-only";
	case SANDBOX_FS_WORKSPACE_WRITE:
		return "workspace-write";
	case SANDBOX_FS_FULL_ACCESS:
		break;
	}
	return "danger-full-access";
}

static const char *
net_name(enum sandbox_net net)
{
	switch (net) {
	case SANDBOX_NET_OFF:
		return "off (namespace with only lo, the command's own)";
	case SANDBOX_NET_PROXY:
		return "proxy only (namespace with only lo, the command's own; "
		       "the embedded proxy listens inside it)";
	case SANDBOX_NET_HOST:
		break;
	}
	return "host network, no proxy (no sandbox)";
}

static void
format_list(struct buf *out, char *const *v, size_t n, const char *none)
{
	size_t i;

	if (n == 0)
		buf_addstr(out, none);
	for (i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", v[i]);
}

static void
format_landlock(const struct sandbox_plan *p, struct buf *out)
{
	buf_printf(out, "landlock (ABI %d): read and execute anywhere; write "
			"only ",
		   p->landlock_abi);
	format_list(out, p->writable, p->n_writable, "/dev/null-style devices");
	if (p->n_writable > 0)
		buf_addstr(out, " and /dev/null-style devices");
}

/* What keeps signals inside: Landlock's scope from ABI 6, else only the
 * sandbox's own process group (kill(0)) and pid namespace (kill(-1)). */
static void
format_scope(const struct sandbox_plan *p, struct buf *out)
{
	if (p->landlock_abi >= 6)
		buf_addstr(out, "; signals and abstract unix sockets scoped to "
				"the sandbox");
	else
		buf_addstr(out, "; no signal scope (ABI < 6): the sandbox's "
				"own process group and pid namespace keep "
				"kill() inside");
}

static void
format_seccomp(struct buf *out)
{
	buf_addstr(out, "seccomp: EPERM for socket() but TCP/UDP over "
			"AF_INET/AF_INET6 and AF_UNIX (no raw, packet or "
			"netlink sockets, no MPTCP, SCTP or ICMP), "
			"socketpair() but AF_UNIX, io_uring, ptrace, "
			"process_vm_*, mount and namespace calls, TIOCSTI, "
			"setuid/setgid modes (chmod, open, mknod, mkdir), "
			"user-notification filters of its own; EOPNOTSUPP for "
			"xattr writes; ENOSYS "
			"for openat2; connect(), sendto() with an address, "
			"sendmsg() and sendmmsg() performed by airlock's "
			"supervisor (unix sockets bound outside the sandbox "
			"unreachable");
}

static void
format_exec(const struct sandbox_plan *p, struct buf *out)
{
	size_t i;

	buf_addstr(out, "exec");
	for (i = 0; p->argv[i] != NULL; i++)
		buf_printf(out, " %s", p->argv[i]);
}

/* The mount steps; false for any other kind. */
static bool
format_mount(const struct sandbox_step *s, struct buf *out)
{
	switch (s->kind) {
	case SANDBOX_STEP_MOUNT_PRIVATE:
		buf_addstr(out, "make every mount private");
		break;
	case SANDBOX_STEP_MKDIR:
		buf_printf(out, "create %s (mode 0700; kept)", s->path);
		break;
	case SANDBOX_STEP_PLACEHOLDER:
		buf_printf(out, "create an empty placeholder at %s, missing "
				"(removed after the run)",
			   s->path);
		break;
	case SANDBOX_STEP_ROOT_RO:
		buf_addstr(out, "make every mount read-only");
		break;
	case SANDBOX_STEP_BIND_RW:
		buf_printf(out, "bind %s back read-write, nosuid, nodev",
			   s->path);
		break;
	case SANDBOX_STEP_BIND_SELF:
		buf_printf(out, "bind %s onto itself (cannot be renamed)",
			   s->path);
		break;
	case SANDBOX_STEP_BIND_RO:
		buf_printf(out, "bind %s read-only", s->path);
		break;
	case SANDBOX_STEP_MOUNT_PROC:
		buf_addstr(out, "mount a fresh /proc");
		break;
	case SANDBOX_STEP_MOUNT_SHM:
		buf_addstr(out, "mount a private tmpfs on /dev/shm");
		break;
	case SANDBOX_STEP_MOUNT_DEVPTS:
		buf_addstr(out, "mount a new devpts instance on /dev/pts (no "
				"terminal of the host) with /dev/ptmx into it");
		break;
	default:
		return false;
	}
	return true;
}

/* "hide PATH (why)", and what comes back inside it. */
static void
format_hide(const struct sandbox_plan *p, const struct sandbox_step *s,
	    struct buf *out)
{
	const char *why = NULL;
	size_t i, n = 0;

	for (i = 0; i < p->n_hidden; i++)
		if (p->hidden[i] == s->path)
			why = p->hidden_why[i];
	buf_printf(out, "hide %s", s->path);
	if (why != NULL)
		buf_printf(out, " (%s)", why);
	buf_addstr(out, ", if present: unreadable");
	for (i = 0; i < p->n_reveal; i++) {
		if (!protect_under(s->path, p->reveal[i]))
			continue;
		buf_printf(out, "%s%s", n++ ? ", " : "; but for ",
			   p->reveal[i]);
	}
	if (n > 0)
		buf_addstr(out, " (read-only)");
}

/* The rules of transparent routing (netrules.h), in a line. */
static void
format_rules(const struct sandbox_plan *p, const struct sandbox_step *s,
	     struct buf *out)
{
	size_t i;

	buf_printf(out, "nf_tables rules and a default route over lo: every "
			"TCP connection to an address outside the loopback "
			"goes to :%u",
		   (unsigned)s->port);
	if (p->n_forwards > 0) {
		buf_addstr(out, ", and so do those to 127.0.0.1 and [::1] on "
				"the host's forwarded port");
		buf_addstr(out, p->n_forwards > 1 ? "s" : "");
		for (i = 0; i < p->n_forwards; i++)
			buf_printf(out, "%s %u (%s)", i ? "," : "",
				   (unsigned)p->forwards[i].port,
				   p->forwards[i].host);
	}
	buf_addstr(out, "; UDP to anything but the loopback is refused");
}

static void
format_step(const struct sandbox_plan *p, const struct sandbox_step *s,
	    struct buf *out)
{
	if (s->kind == SANDBOX_STEP_HIDE) {
		format_hide(p, s, out);
		return;
	}
	if (format_mount(s, out))
		return;
	switch (s->kind) {
	case SANDBOX_STEP_UNSHARE:
		buf_addstr(out, "unshare user, mount, pid and network "
				"namespaces");
		break;
	case SANDBOX_STEP_MAP_IDS:
		buf_printf(out, "map uid %u and gid %u to themselves",
			   (unsigned)p->uid, (unsigned)p->gid);
		break;
	case SANDBOX_STEP_LO_UP:
		buf_addstr(out, "bring up lo");
		break;
	case SANDBOX_STEP_LISTEN:
		buf_printf(out, "listen on 127.0.0.1:%u inside the namespace "
				"and hand it to the embedded %s proxy",
			   (unsigned)s->port, s->what);
		break;
	case SANDBOX_STEP_UNIX_DIAG:
		buf_addstr(out, "open a sock_diag socket inside the namespace "
				"and hand it to the supervisor (which unix "
				"sockets were bound inside)");
		break;
	case SANDBOX_STEP_DNS:
		buf_printf(out, "bind 127.0.0.1:%u/udp inside the namespace "
				"and hand it to the embedded stub resolver",
			   (unsigned)s->port);
		break;
	case SANDBOX_STEP_TRANSPARENT:
		buf_printf(out, "listen on 127.0.0.1:%u and [::1]:%u inside "
				"the namespace and hand them to the embedded "
				"proxy (connections routed to it)",
			   (unsigned)s->port, (unsigned)s->port);
		break;
	case SANDBOX_STEP_UDP_POOL:
		buf_printf(out, "bind %u UDP sockets on 127.0.0.1 inside the "
				"namespace and hand them to the embedded proxy "
				"(SOCKS5 UDP relays)",
			   (unsigned)s->port);
		break;
	case SANDBOX_STEP_NET_RULES:
		format_rules(p, s, out);
		break;
	case SANDBOX_STEP_RESOLV_CONF:
		buf_printf(out, "bind a read-only resolv.conf naming 127.0.0.1 "
				"over %s%s",
			   s->path,
			   p->net == SANDBOX_NET_PROXY
				   ? " (the stub resolver)"
				   : " (no resolver there: lookups fail at "
				     "once)");
		break;
	case SANDBOX_STEP_NO_NEW_PRIVS:
		buf_addstr(out, "set no_new_privs");
		break;
	case SANDBOX_STEP_LANDLOCK:
		format_landlock(p, out);
		format_scope(p, out);
		break;
	case SANDBOX_STEP_DROP_CAPS:
		buf_addstr(out, "drop every capability");
		break;
	case SANDBOX_STEP_SECCOMP:
		format_seccomp(out);
		if (p->unix_sockets_all)
			buf_addstr(out, "; dangerously_allow_all_unix_sockets: "
					"every host socket reachable)");
		else if (p->n_unix_sockets > 0)
			buf_printf(out, " but %zu listed in unix_sockets)",
				   p->n_unix_sockets);
		else
			buf_addch(out, ')');
		break;
	case SANDBOX_STEP_ENV:
		buf_addstr(out, p->net == SANDBOX_NET_PROXY
					? "environment: proxy variables point "
					  "at the listeners, "
					  "AIRLOCK_NETWORK_PROXY_ACTIVE=1"
					: "environment: proxy variables removed, "
					  "AIRLOCK_SANDBOX_NETWORK_DISABLED=1");
		break;
	case SANDBOX_STEP_CHDIR:
		buf_printf(out, "chdir %s", s->path);
		break;
	case SANDBOX_STEP_EXEC:
		format_exec(p, out);
		break;
	default:
		break;
	}
}

/* What the walk for repositories did, so that a user can tell whether
 * every repository under the writable roots was protected. */
static void
format_scan(const struct sandbox_plan *p, struct buf *out)
{
	if (p->fs != SANDBOX_FS_WORKSPACE_WRITE)
		return;
	buf_printf(out, "repositories: %zu found in %zu directories under the "
			"writable roots (%u ms",
		   p->scan.found, p->scan.dirs, p->scan.ms);
	if (p->scan.cached > 0)
		buf_printf(out, "; %zu unchanged since an earlier run, from "
				"the walk cache",
			   p->scan.cached);
	if (p->scan.tmp_depth > 0)
		buf_printf(out, "; /tmp and $TMPDIR %u levels deep",
			   p->scan.tmp_depth);
	buf_printf(out, "); %zu paths protected", p->n_protected);
	if (p->scan.stopped != NULL)
		buf_printf(out, "; the walk stopped early (%s): repositories "
				"beyond it are not protected",
			   p->scan.stopped);
	else
		buf_addstr(out, "; the walk was complete");
	buf_addch(out, '\n');
}

void
sandbox_plan_format(const struct sandbox_plan *p, struct buf *out)
{
	size_t i;

	buf_printf(out, "sandbox: %s\n", fs_name(p->fs));
	buf_printf(out, "network: %s\n", net_name(p->net));
	format_scan(p, out);
	for (i = 0; i < p->n_steps; i++) {
		buf_printf(out, "%2zu. ", i + 1);
		format_step(p, &p->steps[i], out);
		buf_addch(out, '\n');
	}
}
