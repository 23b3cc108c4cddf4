/* netpolicy.h — builds the network policy from the effective config.
 *
 * This is the one place where config meets policy: it reads the
 * permissions.network keys of a loaded struct conf, applies the domain-list
 * requirements (managed allowlist coverage, managed denylist, managed-only),
 * compiles the patterns, and reports every bad pattern as
 * `file:line: key: problem`. */
#ifndef AIRLOCK_NETPOLICY_H
#define AIRLOCK_NETPOLICY_H

#include "config/conf.h"
#include "lib/errbuf.h"

/* Validates the network policy of c: adds one line to err per problem and
 * returns -1, or returns 0. Warnings (requirement fallbacks) go to warn. */
int netpolicy_check(const struct conf *c, struct errbuf *warn,
		    struct errbuf *err);

#endif
