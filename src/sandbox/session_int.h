/* session_int.h — what session.c and session_prep.c share. Not for use
 * outside src/sandbox/.
 *
 * struct session_prep is everything the cloned child would need memory or
 * a library for, made by the parent before the clone (apply.h says why):
 * the command's final environment (the proxy variables name the plan's
 * ports, which are known before the sandbox exists), the seccomp filter
 * as a BPF program, the mount preparations and the id-map lines. */
#ifndef AIRLOCK_SANDBOX_SESSION_INT_H
#define AIRLOCK_SANDBOX_SESSION_INT_H

#include "lib/errbuf.h"
#include "sandbox/mounts.h"
#include "sandbox/netrules.h"
#include "sandbox/seccomp.h"
#include "sandbox/session.h"

struct session_prep {
	char **env;                  /* NULL-terminated, heap */
	struct seccomp_prog seccomp; /* sandboxed modes only */
	struct mounts_prep mounts;
	char uid_map[48], gid_map[48];
	struct netrules rules;       /* network granted */
};

/* Fills p for o's plan. -1 with `what: why` in err. */
int session_prep_build(struct session_prep *p,
		       const struct sandbox_session_opts *o, struct errbuf *err);
void session_prep_release(struct session_prep *p);

/* The message when the kernel refuses the namespaces; one %s for why. */
#define SESSION_NAMESPACES_HINT                                                \
	"cannot create the sandbox's user, mount, pid and network "           \
	"namespaces: %s; refusing to run without a sandbox. User "            \
	"namespaces must be enabled: `sysctl -w "                             \
	"user.max_user_namespaces=15000`, `sysctl -w "                        \
	"kernel.unprivileged_userns_clone=1` (Debian kernels), or `sysctl "   \
	"-w kernel.apparmor_restrict_unprivileged_userns=0` (AppArmor); in "  \
	"a container, allow unshare/clone in its seccomp profile"

#endif
