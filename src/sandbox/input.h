/* input.h — what a sandboxed command is run with, read from the config.
 *
 * `airlock run` and the app-server's command/exec both build their
 * struct sandbox_input (plan.h) here, so a config key means the same in
 * both. Not pure: it reads $TMPDIR, $HOME, the password database, the
 * caller's uid/gid and the kernel's Landlock ABI. The password
 * database's home is kept in a static buffer (one thread builds plans),
 * valid until the next call. */
#ifndef AIRLOCK_SANDBOX_INPUT_H
#define AIRLOCK_SANDBOX_INPUT_H

#include "config/conf.h"
#include "lib/errbuf.h"
#include "sandbox/plan.h"

/* Fills in from c. mode overrides sandbox_mode when not NULL; network is
 * -1 for the config's sandbox_workspace_write.network_access, else 0 or
 * 1. cwd (absolute) and argv are borrowed. A bad listener URL adds a line
 * to err. */
void sandbox_input_from_conf(struct sandbox_input *in, const struct conf *c,
			     const char *mode, int network, const char *cwd,
			     char *const *argv, struct errbuf *err);

/* The loopback ports of the host that the allow entries of c and extra
 * (may be NULL) name (netpolicy_forwards()), at most PROXY_FORWARDS_MAX:
 * the sandbox forwards them to the host through the proxy. */
struct netpolicy_extra;
void sandbox_input_forwards(struct sandbox_input *in, const struct conf *c,
			    const struct netpolicy_extra *extra);

/* Hides the n files at paths (absolute; borrowed, they must outlive the
 * plan) in the run in describes, on top of what the config hides: the
 * hook for the secret files request actions name (secret_file), which
 * the command must never read. */
void sandbox_input_hide_files(struct sandbox_input *in,
			      const char *const *paths, size_t n);

#endif
