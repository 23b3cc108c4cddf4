/* summary.h — what `airlock run` says at exit about blocked requests.
 *
 * Groups the proxy's blocked ring by host, port and reason, and names for
 * each group the flag or config key that would have allowed it:
 *
 *   airlock: 3 request(s) blocked:
 *     example.com:80 not_allowed (2x): allow with --allow example.com or
 *       permissions.network.allowed_domains
 *     pypi.org:80 method_not_allowed POST (1x): limited mode allows GET,
 *       HEAD and OPTIONS only, and refused POST: --mode full or ...
 *
 * Refusals of the sandbox's stub resolver (protocol "dns") have no port
 * and are grouped apart from requests to the same host. A request that a
 * person could have been asked about ends with what became of that:
 * `(not asked: no terminal)`, `(asked; deny by terminal)`, `(asked; no
 * answer within 60000 ms)` (the group's first entry speaks for it).
 *
 * Pure: formats into a buffer; appends nothing when the ring is empty. */
#ifndef AIRLOCK_SANDBOX_SUMMARY_H
#define AIRLOCK_SANDBOX_SUMMARY_H

#include "lib/buf.h"
#include "proxy/audit.h"

void summary_format(const struct audit_ring *r, struct buf *out);
/* The same for the sandbox of a setup command (setup.h): titled
 * `airlock: setup `COMMAND`: N request(s) blocked:`, its advice naming
 * the setup.* keys. */
void summary_format_setup(const struct audit_ring *r, const char *command,
			  struct buf *out);
/* Appends the advice for one blocked request: the flag or key that would
 * allow it; for method_not_allowed the method refused, for mitm_required
 * the port that interception does not cover. */
void summary_advice(const struct audit_blocked *b, struct buf *out);

#endif
