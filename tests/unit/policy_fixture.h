/* policy_fixture.h — building a policy from a short table and asking it
 * one question, for the policy unit tests (test_policy_*.c). Header-only:
 * each test program includes it once. */
#ifndef AIRLOCK_TEST_POLICY_FIXTURE_H
#define AIRLOCK_TEST_POLICY_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "policy/policy.h"

#define MAXP 16

struct cfg {
	const char *allow[MAXP];
	const char *deny[MAXP];
	enum policy_mode mode;
	bool local;
	enum preset_id preset;
};

/* Interception, and asking, on for the policies build() makes next. */
static bool build_mitm;
static bool build_ask;
/* limited_allow_git_fetch for the policies build() makes next. */
static bool build_git_fetch;

static inline struct policy *
build(const struct cfg *c)
{
	struct policy_entry a[MAXP], d[MAXP];
	struct policy_options o;
	struct errbuf err;
	struct policy *p;
	size_t na = 0, nd = 0;

	for (; c->allow[na] != NULL; na++)
		a[na] = (struct policy_entry){c->allow[na], "test:allow"};
	for (; c->deny[nd] != NULL; nd++)
		d[nd] = (struct policy_entry){c->deny[nd], "test:deny"};
	memset(&o, 0, sizeof(o));
	o.allow = a;
	o.n_allow = na;
	o.deny = d;
	o.n_deny = nd;
	o.mode = c->mode;
	o.allow_local_binding = c->local;
	o.preset = c->preset;
	o.allow_global = true;
	o.mitm = build_mitm;
	o.ask = build_ask;
	o.git_fetch = build_git_fetch;
	errbuf_init(&err);
	p = policy_new(&o, &err);
	if (p == NULL)
		fail_msg("policy_new: %s", errbuf_str(&err));
	errbuf_release(&err);
	return p;
}

static inline struct policy_decision
decide(const struct policy *p, const char *host, int port,
       enum policy_protocol proto, const char *method)
{
	struct policy_request r = {0};
	struct policy_decision d;

	r.host = host;
	r.port = port;
	r.protocol = proto;
	r.method = method;
	policy_decide(p, &r, &d);
	return d;
}

static inline void
finish(const struct policy *p, struct policy_decision *d, const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	policy_finish(p, d, &ss, 1);
}

#endif /* AIRLOCK_TEST_POLICY_FIXTURE_H */
