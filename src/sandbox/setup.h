/* setup.h — the setup phase of a run: shell command lines that prepare
 * the workspace (install dependencies, say) before the command, each in a
 * sandbox of its own whose network follows the setup policy, while the
 * command that follows gets the normal one.
 *
 * Which commands: the caller's own list when it has one (`airlock run
 * --setup`, command/exec's `setup` param), else the config's
 * setup.commands. Each runs as `sh -c COMMAND` in the same workspace,
 * sandboxed as setup.sandbox_mode says (workspace-write by default), with
 * setup.network_access (on by default) through an embedded proxy whose
 * policy is netpolicy_extra.setup: setup.allowed_domains plus
 * setup.preset (common-dependencies by default) in setup.mode (full by
 * default), the deny lists as for every request; the files that hold
 * request-rule secrets are hidden from it as from the command (the
 * caller strips the secret variables from the environment it gives).
 * Requirements bound all
 * of it ([setup] in requirements.toml, requirements.h) before it gets
 * here. The first command that fails stops the run: its exit status is
 * the run's, and the command does not run.
 *
 * Ownership: a struct setup_phase owns its strings and plan; it borrows
 * deny (the caller's extra deny patterns) for its life. */
#ifndef AIRLOCK_SANDBOX_SETUP_H
#define AIRLOCK_SANDBOX_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "lib/errbuf.h"
#include "policy/netpolicy.h"
#include "sandbox/plan.h"

struct setup_phase {
	char *command;             /* the shell command line */
	char *argv[4];             /* sh -c command */
	struct sandbox_plan plan;
	struct netpolicy_extra extra; /* for its embedded proxy */
	char *mode;                /* setup.mode; extra.mode points here */
	char *ca_bundle;           /* setup.mode limited, or request rules:
				    * the trust bundle */
	bool allow_local_binding;
};

/* Where the phases run: the workspace and airlock's own paths, as in
 * struct sandbox_input. */
struct setup_where {
	const char *cwd;
	const char *home, *system_dir, *config_file;
};

/* The commands to run: v[0..n) when n > 0, else setup.commands of c.
 * *out is borrowed from either. Returns their count. */
size_t setup_commands(const struct conf *c, const char *const *v, size_t n,
		      const char *const **out);

/* Builds the phase of one command, with deny[0..n_deny) as extra deny
 * patterns (borrowed). -1 with `what: why` lines in err (a bad listener
 * URL, the interception CA that cannot be had). */
int setup_phase_build(struct setup_phase *ph, const struct conf *c,
		      const char *command, const struct setup_where *w,
		      const char *const *deny, size_t n_deny,
		      struct errbuf *err);
void setup_phase_release(struct setup_phase *ph);

#endif
