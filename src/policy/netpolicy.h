/* netpolicy.h — builds the network policy from the effective config.
 *
 * This is the one place where config meets policy. It reads the
 * permissions.network keys of a loaded struct conf, applies the domain-list
 * requirements, compiles the patterns, and reports every bad pattern as
 * `file:line: key: problem`.
 *
 * Domain-list requirements (requirements.toml [permissions.network]):
 *   - denied_domains: always in force, joined to the user's denials;
 *   - allowed_domains with managed_allowed_domains_only = true: the managed
 *     list (empty when none) is the whole allowlist; user entries and the
 *     preset are dropped with a warning;
 *   - allowed_domains with allowlist_expansion = true: managed ∪ user ∪
 *     preset;
 *   - allowed_domains otherwise: managed ∪ the user and preset entries that
 *     some managed pattern covers (pattern_covers); the others are dropped
 *     with a warning naming the requirement file;
 *   - a managed allowlist may not hold `*`.
 * Without requirements the allowlist is the user's plus the preset.
 *
 * Asking (policy.h, `ask`): an allowlist miss may be put to a person when
 * approval_policy is on-request or untrusted, or granular with
 * sandbox_approval = true — and only when requirements leave room for a
 * user's allow entry: not under managed_allowed_domains_only, nor under a
 * managed allowlist without allowlist_expansion (an approved host would be
 * dropped there anyway). never, and granular without sandbox_approval,
 * deny without asking. */
#ifndef AIRLOCK_NETPOLICY_H
#define AIRLOCK_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "lib/errbuf.h"
#include "policy/policy.h"

/* Extra patterns from a command line (`airlock run --allow/--deny`), judged
 * like user config entries. Either list may be empty. */
struct netpolicy_extra {
	const char *const *allow;
	size_t n_allow;
	const char *const *deny;
	size_t n_deny;
	const char *mode; /* "limited" / "full" instead of the config's, or NULL */
	/* The setup phase's policy: the allowlist is setup.allowed_domains
	 * plus setup.preset, bounded by requirements_setup_allowlist(), and
	 * the mode setup.mode (unless mode above says otherwise); the deny
	 * lists are the same as ever. */
	bool setup;
};

/* Builds the policy of c (plus extra, which may be NULL). Returns NULL
 * with every problem in err; requirement fallbacks go to warn. */
struct policy *netpolicy_build(const struct conf *c,
			       const struct netpolicy_extra *extra,
			       struct errbuf *warn, struct errbuf *err);

/* What netpolicy_build() would refuse, found without building the policy
 * for use: the same problems in err and -1, or 0. The built-in preset's
 * names are not compiled again: they are always valid patterns
 * (test_preset), and a requirement only ever drops them. */
int netpolicy_validate(const struct conf *c,
		       const struct netpolicy_extra *extra, struct errbuf *err);

/* The mode ("limited" / "full") the policy of c (+extra) enforces. */
const char *netpolicy_mode(const struct conf *c,
			   const struct netpolicy_extra *extra);

/* Whether allowlist misses may be asked about under c (above). When not
 * and why is not NULL, *why names the reason ("approval_policy never",
 * "managed_allowed_domains_only", ...). */
bool netpolicy_may_ask(const struct conf *c, const char **why);
/* The same with approval_policy in place of the config's (a flag that
 * overrides it for one run, already checked against the requirements);
 * NULL: the config's. */
bool netpolicy_may_ask_as(const struct conf *c, const char *approval_policy,
			  const char **why);

/* True when some pattern of the managed allowlist covers pattern
 * (pattern_covers, reference §2.4). */
bool netpolicy_managed_covers(const struct req_list *managed,
			      const char *pattern);

/* The effective patterns of c (+extra, may be NULL), exactly the lists
 * netpolicy_build() compiles and in its order: every allow entry (managed
 * ones first), then every deny entry; fn is called once per entry.
 * Duplicates are not removed. For display (admin GET /patterns). */
typedef void netpolicy_pattern_fn(void *arg, const char *pattern, bool deny);
void netpolicy_patterns(const struct conf *c, const struct netpolicy_extra *extra,
			netpolicy_pattern_fn *fn, void *arg);

/* Inside the sandbox the loopback is the command's own, so an allow entry
 * that names the loopback without a port — an address in 127.0.0.0/8 or
 * ::1, a CIDR inside them, `localhost` or a name under it — cannot mean a
 * service on the host's loopback; only a port-scoped entry
 * (`127.0.0.1:8765`, `[::1]:8765`, `localhost:8765`) can. Adds one line
 * per such entry of the config's allowed_domains (setup.allowed_domains
 * when extra->setup) and of extra (may be NULL) to err, naming it and
 * the port form, and returns -1; 0 when there is none. The preset and the requirements' managed list are not looked
 * at: the user cannot change them. */
int netpolicy_check_loopback(const struct conf *c,
			     const struct netpolicy_extra *extra,
			     struct errbuf *err);

/* The loopback ports of the host an allow entry names (exactly
 * `127.0.0.1:P`, `[::1]:P` or `localhost:P`, from the managed list, the
 * config's allowed_domains — setup.allowed_domains when extra->setup —
 * or extra): the ports the sandbox forwards to the host (its rules send
 * connections to 127.0.0.1:P and [::1]:P to the proxy, which judges them
 * as the entry's host). fn gets host ("127.0.0.1", "::1", "localhost")
 * and the port, once per entry, in the allowlist's order. */
typedef void netpolicy_forward_fn(void *arg, const char *host, int port);
void netpolicy_forwards(const struct conf *c,
			const struct netpolicy_extra *extra,
			netpolicy_forward_fn *fn, void *arg);

/* Validates the network policy of c, and the setup phase's: adds one
 * line to err per problem and returns -1, or returns 0. Warnings go to
 * warn. */
int netpolicy_check(const struct conf *c, struct errbuf *warn,
		    struct errbuf *err);

#endif
