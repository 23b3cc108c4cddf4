/* workspace.h — which directories may be a command's workspace.
 *
 * Under workspace-write the workspace (the working directory of `airlock
 * run`, or the `cwd` of the app-server's command/exec) is writable with
 * everything below it, so some directories must never be one. Both
 * callers use workspace_check(), so the rule is the same for both:
 *
 *   - `/`, the caller's home directory ($HOME and the password database's
 *     entry for the real uid) and every directory above it (`/home`): they
 *     hold everything, ~/.ssh and the shell's start-up files included.
 *     `airlock run --allow-broad-workspace` lets these through
 *     (allow_broad); command/exec never does;
 *   - system directories, with no override: exactly `/usr`, `/usr/local`,
 *     `/usr/src`, `/var`, `/var/lib`, `/opt`, `/srv`, `/mnt`, `/media`,
 *     `/snap`; and with everything below them `/bin`, `/sbin`,
 *     `/lib*`, `/usr/bin`, `/usr/sbin`, `/usr/lib*`, `/usr/libexec`,
 *     `/usr/include`, `/usr/share`, `/usr/local/bin`, `/usr/local/sbin`,
 *     `/usr/local/lib`, `/boot`, `/dev`, `/etc`, `/proc`, `/run`, `/sys`.
 *     Projects under `/usr/src`, `/opt`, `/srv`, `/var/lib` (CI runners'
 *     workspaces) stay possible;
 *   - `$AIRLOCK_HOME` and everything below it (airlock's config, CA key
 *     and tokens), with no override;
 *   - when requirements set `allowed_workspace_roots`, a directory that is
 *     not one of those roots or below one, whatever the flags say.
 * The first three apply only when the workspace is writable (workspace-
 * write); the requirement applies in every mode. Paths are compared in
 * canonical form (realpath: symlinks resolved) on both sides, so a
 * symlink to `/` is `/`. */
#ifndef AIRLOCK_SANDBOX_WORKSPACE_H
#define AIRLOCK_SANDBOX_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/requirements.h"
#include "lib/errbuf.h"

enum workspace_verdict {
	WORKSPACE_OK,
	WORKSPACE_ROOT,          /* `/` */
	WORKSPACE_HOME,          /* a home directory */
	WORKSPACE_ABOVE_HOME,    /* a directory holding a home directory */
	WORKSPACE_SYSTEM,        /* a system directory */
	WORKSPACE_AIRLOCK_HOME,  /* $AIRLOCK_HOME or below */
	WORKSPACE_NOT_IN_ROOTS,  /* outside allowed_workspace_roots */
};

/* The pure rule. Every path is canonical and absolute. */
struct workspace_rules {
	const char *homes[2];      /* home directories, NULL when unknown */
	const char *airlock_home;  /* or NULL */
	const char *const *roots;  /* allowed_workspace_roots, or NULL */
	size_t n_roots;
	bool writable;             /* workspace-write */
	bool allow_broad;          /* `/` and homes pass */
};

/* Judges dir; on a home-related verdict, *which gets the home in
 * question (may be NULL). */
enum workspace_verdict workspace_judge(const char *dir,
				       const struct workspace_rules *r,
				       const char **which);

/* What the caller knows; workspace_check() finds the rest. */
struct workspace_opts {
	const char *airlock_home;         /* conf_opts.home */
	const struct requirements *req;   /* allowed_workspace_roots */
	bool writable;
	bool allow_broad;
	/* How to pick another workspace, ending the refusal: "use -C DIR"
	 * for run, "pass a project directory as cwd" for command/exec. */
	const char *hint;
	bool broad_flag;  /* mention --allow-broad-workspace in the hint */
};

/* Canonicalises dir and judges it. 0, or -1 with one line in err saying
 * which directory was refused, why, and what to do (naming the
 * requirement file for allowed_workspace_roots). */
int workspace_check(const char *dir, const struct workspace_opts *o,
		    struct errbuf *err);

#endif
