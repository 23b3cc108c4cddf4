/* approvals.h — `$AIRLOCK_HOME/approvals.toml`, the network approvals a
 * person answered "always" (doc/approvals.md).
 *
 * The file is one config layer of its own (conf.h): loaded above the user
 * layer and below -c flags and managed config, and *additive*: its two
 * arrays join the allow and deny lists the lower layers built instead of
 * replacing them. Nothing else may be set in it. Requirements bound its
 * entries like any user entry (netpolicy.h).
 *
 *   # Network approvals answered "always" (airlock approvals list|revoke).
 *   [permissions.network]
 *   allowed_domains = [
 *     "api.github.com:443",
 *   ]
 *   denied_domains = [
 *     "tracker.example.com:80",
 *   ]
 *
 * One entry per approved (host, port), port-scoped, never a wildcard; the
 * protocol is not kept (a pattern has none), so an entry answers for
 * every protocol to that host and port.
 *
 * Writes read the file, change the lists and replace it atomically (mode
 * 0600, $AIRLOCK_HOME made 0700 when missing), holding an exclusive lock
 * on `approvals.lock` beside it so that two airlock processes answering at
 * once do not lose each other's entries. Everything reports `path:
 * problem` into err. */
#ifndef AIRLOCK_APPROVALS_H
#define AIRLOCK_APPROVALS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/errbuf.h"

#define APPROVALS_FILE "approvals.toml"
#define APPROVALS_MAX_ENTRIES 4096

/* The two lists of the file, each item with the line it was written on. */
struct approvals {
	char **allow, **deny;
	int *allow_line, *deny_line;
	size_t n_allow, n_deny;
};

/* `home/approvals.toml` (heap). */
char *approvals_path(const char *home);
/* Reads path into a (zeroed first). A missing file is empty. -1 with err
 * when it cannot be read or does not have the shape above. */
int approvals_load(const char *path, struct approvals *a, struct errbuf *err);
void approvals_release(struct approvals *a);
/* The file text for a (heap). Pure. */
char *approvals_format(const struct approvals *a);

/* The entry for one key: `host:port`, an IPv6 host bracketed. host is a
 * normalized host (policy/host.h). Returns 0, or -1 when it does not fit
 * in cap. */
int approvals_entry(const char *host, int port, char *out, size_t cap);
/* Records entry as allowed (deny false) or denied in home's file; the
 * entry leaves the other list if it was there. 0 (also when it was
 * already there), or -1 with err. */
int approvals_add(const char *home, bool deny, const char *entry,
		  struct errbuf *err);
/* Removes entry from both lists of home's file; *removed gets how many
 * items went (0 when it was in neither, and the file is then left
 * alone). 0, or -1 with err. */
int approvals_remove(const char *home, const char *entry, size_t *removed,
		     struct errbuf *err);

/* Whether entry is pattern, or pattern is a bare host (no ':') and entry
 * is that host on some port. Pure. */
bool approvals_matches(const char *entry, const char *pattern);
typedef void approvals_revoked_fn(void *arg, const char *entry);
/* Removes from both lists of home's file every entry pattern matches
 * (approvals_matches), calling fn(arg, entry) for each one removed. 0, or
 * -1 with err (what was removed before stays removed). */
int approvals_revoke(const char *home, const char *pattern,
		     approvals_revoked_fn *fn, void *arg, struct errbuf *err);

#endif
