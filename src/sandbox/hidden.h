/* hidden.h — what a sandboxed run keeps the command from reading,
 * decided before anything is done (plan.h).
 *
 * In every sandboxed mode (not danger-full-access, which has no sandbox)
 * these paths are masked (mounts.h): a directory by an empty read-only
 * tmpfs the command may not open (mode 0), a file by a read-only
 * /dev/null, so that it reads as empty:
 *   - AIRLOCK_HOME: the user config, the CA key, app-server.token,
 *     admin.token; when the network is granted the CA bundle the command
 *     trusts is bound back read-only at its path (reveal), and nothing
 *     else. The CA key and the tokens are also hidden where they really
 *     are when a symbolic link puts them outside AIRLOCK_HOME;
 *   - the credential locations of hidden_defaults[] under each of the
 *     caller's homes, unless sandbox.hidden_paths_defaults is false;
 *   - sandbox.hidden_paths (`~` and `~/...` under each home);
 *   - the secret files of request actions (sandbox_input.secret_files).
 * Symbolic links are resolved first: the mask lands on what a link
 * points at, so no link, in the workspace or anywhere, leads around it.
 * A path that does not exist is skipped, save AIRLOCK_HOME and its
 * secrets, which airlock itself may create between the plan and the run
 * (they are masked when present by then). A path inside another hidden
 * one is dropped: the outer mask covers it.
 *
 * A workspace that lies inside a hidden path (a run started in ~/.ssh,
 * or in a directory under AIRLOCK_HOME) is refused: the command could
 * not even enter it, and exposing the path instead would expose what it
 * holds.
 *
 * Pure: the file system is asked through struct sandbox_probe. */
#ifndef AIRLOCK_SANDBOX_HIDDEN_H
#define AIRLOCK_SANDBOX_HIDDEN_H

#include "lib/errbuf.h"
#include "sandbox/plan.h"

/* Paths hidden in one run, at most; more is a configuration mistake. */
#define HIDDEN_MAX 1024

/* The default credential locations, relative to a home, NULL-terminated:
 * .ssh, .aws, .azure, .config/gcloud, .kube, .docker/config.json, .gnupg,
 * .netrc, .git-credentials, .config/gh/hosts.yml, .pypirc, .npmrc,
 * .cargo/credentials.toml, .terraform.d/credentials.tfrc.json. */
extern const char *const hidden_defaults[];

/* Fills hidden, hidden_why and reveal of a sandboxed plan whose writable
 * list is final. -1 with `run: ...` in err when the workspace lies inside
 * a hidden path or there are more than HIDDEN_MAX of them. */
int hidden_collect(struct sandbox_plan *p, const struct sandbox_input *in,
		   const struct sandbox_probe *pr, struct errbuf *err);

#endif
