/* policy_rules.h — the request-rule part of `airlock policy check`
 * (--path, --header): which rule a request would match and which actions
 * would run (doc/secrets.md). Private to src/cmd/policy*.c. */
#ifndef AIRLOCK_CMD_POLICY_RULES_H
#define AIRLOCK_CMD_POLICY_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "policy/policy.h"
#include "policy/reqpolicy.h"

struct policy_rules_args {
	const char *path;      /* --path, or the TARGET URL's, or NULL */
	bool path_given;       /* --path or --header was given */
	const char **headers;  /* --header "Name: value", in order */
	size_t nheaders;
	const char *method;    /* --method, or NULL */
};

/* Checks --header values: 0, or -1 after printing what is wrong. */
int policy_rules_check_headers(const struct policy_rules_args *a);

/* Decides r as the proxy would with request rules rp. A tunnel target
 * (https_connect, socks5_*) without a path is one CONNECT decision; with
 * a path (or --header) it is the CONNECT, then — if that passes — the
 * request inside the intercepted tunnel (protocol https, method --method
 * or GET). A plain http target is one request. *rule gets the rule that
 * matched (or NULL); *show whether the rule fields belong in the output
 * (the host has rules, or --path/--header was given). r may be changed
 * (protocol, method). */
void policy_rules_decide(const struct policy *p, const struct reqpolicy *rp,
			 struct policy_request *r,
			 const struct policy_rules_args *a,
			 struct policy_decision *d,
			 const struct reqrule **rule, bool *show);

/* Appends the decision JSON of d with the rule fields (reqpolicy.h's
 * audit view) before its closing brace when show. */
int policy_rules_json(const struct policy_decision *d,
		      const struct reqpolicy *rp, const struct reqrule *rule,
		      bool show, struct buf *out);

#endif
