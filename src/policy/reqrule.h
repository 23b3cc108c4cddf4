/* reqrule.h — request rules: which HTTPS requests to a host may pass, and
 * which actions run on them (doc/secrets.md). The pure matcher: compiled
 * once from the config's rules, immutable afterwards, shared read-only;
 * matching does no I/O, no allocation and never logs.
 *
 * Rules are grouped by their normalised host (a sorted table searched by
 * bisection). For a request to a host that has rules, the rules are tried
 * in config order and the first that matches wins. A rule matches when:
 *
 *   - the method equals one of its methods (byte for byte: the config's
 *     are upper-cased, and HTTP methods are case-sensitive);
 *   - the path is safe and matches one of its path prefixes. The path is
 *     the request-target up to the first `?`. Safe: it starts with `/`,
 *     holds only visible ASCII, no `\` or `#`, only well-formed %XX
 *     escapes and none that decodes to `/`, `\`, `%` or NUL, and no
 *     segment that is `.` or `..` once decoded and cut at its first `;`
 *     (`/a/%2e%2e/`, `/a/..;/`). A server that resolves such a path
 *     could otherwise reach what the prefix did not allow. Prefixes are
 *     matched against the raw (undecoded) path: a plain prefix or
 *     `literal:<s>` is a byte prefix; `pattern:<glob>` is a glob whose
 *     `*` matches any run of bytes except `/` and which must match some
 *     prefix of the path. `?` and `[` are ordinary bytes in a glob.
 *   - every query constraint holds. The query is what follows the first
 *     `?`; it is split into name=value pairs, names and values are
 *     %-decoded (a malformed escape or an encoded NUL matches nothing).
 *     Every occurrence of a constrained parameter — any letter case, with
 *     or without a `[...]` suffix — must match one of its values, and
 *     there must be at least one (`[]`: present, any value). Because
 *     servers read queries differently, this must hold for all four
 *     readings: `;` a separator or not, `+` a space or not.
 *   - every header constraint holds: every header of that name (any case)
 *     must match one of the values, at least one must exist (`[]`: it
 *     exists).
 * Values (query and headers) match exactly, or as `pattern:<glob>` (`*`
 * matches any run of bytes) or `literal:<s>` (exactly s).
 *
 * Plain HTTP requests never match (a secret is never sent in clear text);
 * that is the caller's business (policy/reqpolicy.h). */
#ifndef AIRLOCK_REQRULE_H
#define AIRLOCK_REQRULE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf_rules.h"
#include "lib/errbuf.h"
#include "lib/slice.h"

/* A request header as the proxy's parser hands it out (the same shape as
 * struct http_header). */
struct reqrule_hdr {
	struct slice name;
	struct slice value;
};

struct reqrule_request {
	const char *host;    /* normalised (host_normalize; no port) */
	struct slice method;
	struct slice target; /* origin-form request-target "/path?query" */
	const struct reqrule_hdr *headers;
	size_t nheaders;
};

struct reqrule;
struct reqrule_set;

/* Compiles n config rules. Every problem (a host that does not normalise,
 * has a port or a wildcard) adds `file:line: key: problem` to err and the
 * build fails (NULL) after all are reported. Texts are copied. */
struct reqrule_set *reqrule_set_new(const struct conf_reqrule *rules,
				    size_t n, struct errbuf *err);
void reqrule_set_free(struct reqrule_set *s);

/* True when host (normalised) has at least one rule. */
bool reqrule_host_has_rules(const struct reqrule_set *s, const char *host);
/* The first rule of r->host that matches r, or NULL. */
const struct reqrule *reqrule_match(const struct reqrule_set *s,
				    const struct reqrule_request *r);
/* Number of rules, and rule i in config order (for listings). */
size_t reqrule_count(const struct reqrule_set *s);
const struct reqrule *reqrule_at(const struct reqrule_set *s, size_t i);

const char *reqrule_name(const struct reqrule *r);
const char *reqrule_host(const struct reqrule *r);
/* The names of the actions the rule runs, in order. */
size_t reqrule_actions(const struct reqrule *r, const char *const **out);

/* The parts of matching, exposed for tests and fuzzing. */
bool reqrule_path_safe(struct slice path);
/* `pattern:`/`literal:`/plain prefix text p against path (see above). */
bool reqrule_path_match(const char *p, struct slice path);
/* Value matcher text p against v. */
bool reqrule_value_match(const char *p, struct slice v);

#endif
