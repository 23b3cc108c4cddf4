/* test_policy.c — the pure decision (policy/policy.h). */
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

static struct policy *
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

static struct policy_decision
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

/* A target a person typed (`airlock policy check`): host may say :port. */
static struct policy_decision
decide_typed(const struct policy *p, const char *host, int port,
	     enum policy_protocol proto, const char *method)
{
	struct policy_request r = {0};
	struct policy_decision d;

	r.host = host;
	r.port = port;
	r.protocol = proto;
	r.method = method;
	r.port_in_host = true;
	policy_decide(p, &r, &d);
	return d;
}

/* Full-mode HTTP GET on port 443; returns the reason string, with
 * "resolve" for a pending decision. */
static const char *
why(const struct policy *p, const char *host)
{
	struct policy_decision d = decide(p, host, 443, POLICY_PROTO_HTTP,
					  "GET");

	if (d.verdict == POLICY_VERDICT_RESOLVE)
		return "resolve";
	return policy_reason_str(d.reason);
}

static void
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

static void
test_policy_deny_wins_over_the_same_allow_entry(void **state)
{
	struct cfg c = {{"example.com"}, {"example.com"}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d = decide(p, "example.com", 443,
					  POLICY_PROTO_HTTP, "GET");

	(void)state;
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_string_equal(policy_reason_str(d.reason), "denied");
	assert_string_equal(d.matched, "example.com");
	policy_free(p);
}

static void
test_policy_allowlist_miss_is_not_allowed(void **state)
{
	struct cfg c = {{"example.com", "*.openai.com"}, {NULL},
			POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);

	(void)state;
	assert_string_equal(why(p, "example.com"), "resolve");
	assert_string_equal(why(p, "8.8.8.8"), "not_allowed");
	assert_string_equal(why(p, "openai.com"), "not_allowed");
	assert_string_equal(why(p, ""), "not_allowed");
	assert_string_equal(why(p, "  "), "not_allowed");
	assert_string_equal(why(p, "bad host!"), "not_allowed");
	policy_free(p);
}

static void
test_policy_empty_allowlist_denies_everything(void **state)
{
	struct cfg c = {{NULL}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);

	(void)state;
	assert_string_equal(why(p, "example.com"), "not_allowed");
	assert_string_equal(why(p, "127.0.0.1"), "not_allowed");
	policy_free(p);
}

static void
test_policy_deny_wins_over_global_allow(void **state)
{
	struct cfg c = {{"*"}, {"evil.example", "8.8.8.8"}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);

	(void)state;
	assert_string_equal(why(p, "example.com"), "resolve");
	assert_string_equal(why(p, "evil.example"), "denied");
	assert_string_equal(why(p, "EVIL.example."), "denied");
	assert_string_equal(why(p, "8.8.8.8"), "denied");
	assert_string_equal(why(p, "1.1.1.1"), "allow");
	policy_free(p);
}

static void
test_policy_legacy_ipv4_forms_hit_an_ip_deny_entry(void **state)
{
	static const char *const forms[] = {"2130706433", "0x7f.1", "127.1",
					    "0177.0.0.1", "0x7f000001",
					    "::ffff:127.0.0.1", NULL};
	struct cfg c = {{"*"}, {"127.0.0.1"}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct cfg c2 = {{"*"}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c), *q = build(&c2);
	size_t i;

	(void)state;
	for (i = 0; forms[i] != NULL; i++) {
		assert_string_equal(why(p, forms[i]), "denied");
		assert_string_equal(why(q, forms[i]), "not_allowed_local");
	}
	policy_free(p);
	policy_free(q);
}

static void
test_policy_local_literals_need_explicit_allow(void **state)
{
	static const char *const local[] = {"127.0.0.1", "localhost",
					    "10.0.0.1", "fe80::1%lo0",
					    "169.254.169.254", "[::1]", NULL};
	struct cfg c = {{"example.com", "*"}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct cfg e = {{"localhost", "10.0.0.1", "fe80::1", "192.168.0.0/16"},
			{NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c), *q = build(&e);
	size_t i;

	(void)state;
	for (i = 0; local[i] != NULL; i++)
		assert_string_equal(why(p, local[i]), "not_allowed_local");
	assert_string_equal(why(q, "localhost"), "allow");
	assert_string_equal(why(q, "10.0.0.1"), "allow");
	assert_string_equal(why(q, "fe80::1%lo0"), "allow");
	assert_string_equal(why(q, "192.168.7.7"), "allow");
	assert_string_equal(why(q, "10.0.0.2"), "not_allowed");
	policy_free(p);
	policy_free(q);
}

static void
test_policy_embedded_private_ipv4_in_ipv6_is_local(void **state)
{
	static const char *const v[] = {"::10.0.0.1", "64:ff9b::7f00:1",
					"2002:c0a8:101::1",
					"2001::f5ff:fffe", NULL};
	struct cfg c = {{"*"}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	size_t i;

	(void)state;
	for (i = 0; v[i] != NULL; i++)
		assert_string_equal(why(p, v[i]), "not_allowed_local");
	policy_free(p);
}

/* Issue 9 item 11: an IP deny entry stops every IPv6 spelling that
 * embeds its address, as a literal and as a resolved address; an IPv4
 * allow entry does not allow them. */
static void
test_policy_ip_deny_entry_covers_ipv6_that_embeds_it(void **state)
{
	static const char *const v[] = {
		"64:ff9b::9.9.9.9", "[64:ff9b::909:909]", "::9.9.9.9",
		"2002:909:909::1", "2001:0:4136:e378:8000:63bf:f6f6:f6f6",
		"64:ff9b::8.8.4.4", "2002:808:404::", NULL};
	struct cfg c = {{"*"}, {"9.9.9.9", "8.8.4.0/24"}, POLICY_MODE_FULL,
			false, PRESET_NONE};
	struct cfg l = {{"*"}, {"9.9.9.9"}, POLICY_MODE_FULL, true,
			PRESET_NONE};
	struct cfg a = {{"9.9.9.9"}, {NULL}, POLICY_MODE_FULL, false,
			PRESET_NONE};
	struct policy *p = build(&c), *q = build(&l), *r = build(&a);
	struct policy_decision d;
	size_t i;

	(void)state;
	for (i = 0; v[i] != NULL; i++)
		if (strcmp(why(p, v[i]), "denied") != 0)
			fail_msg("%s: %s, want denied", v[i], why(p, v[i]));
	/* The local-use prefix: non-public anyway, denied when local
	 * binding is on, at whichever length the network uses. */
	assert_string_equal(why(q, "64:ff9b:1::9.9.9.9"), "denied");
	assert_string_equal(why(q, "64:ff9b:1:909:9:900::"), "denied");
	assert_string_equal(why(p, "64:ff9b::1.1.1.1"), "allow");
	/* Resolved (DNS64 synthesised) addresses too. */
	d = decide(p, "name.test", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	finish(p, &d, "64:ff9b::909:909");
	assert_string_equal(policy_reason_str(d.reason), "denied");
	assert_string_equal(d.matched, "9.9.9.9");
	d = decide(p, "name.test", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	finish(p, &d, "2002:808:4ff::1");
	assert_string_equal(policy_reason_str(d.reason), "denied");
	d = decide(p, "name.test", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	finish(p, &d, "64:ff9b::101:101");
	assert_true(policy_allowed(&d));
	/* Allow entries are not widened. */
	assert_string_equal(why(r, "9.9.9.9"), "allow");
	assert_string_equal(why(r, "64:ff9b::9.9.9.9"), "not_allowed");
	policy_free(p);
	policy_free(q);
	policy_free(r);
}

/* Issue 9 item 12: limited mode refuses any request with a body, as the
 * method guard does; full mode does not care. */
static void
test_policy_limited_mode_refuses_a_body_on_any_method(void **state)
{
	static const char *const m[] = {"GET", "HEAD", "OPTIONS", "POST"};
	struct cfg c = {{"good.test"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct cfg f = {{"good.test"}, {NULL}, POLICY_MODE_FULL, false,
			PRESET_NONE};
	struct policy *p = build(&c), *q = build(&f);
	struct policy_request r = {0};
	struct policy_decision d;
	size_t i;

	(void)state;
	r.host = "good.test";
	r.port = 80;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		r.method = m[i];
		r.has_body = true;
		r.protocol = i % 2 ? POLICY_PROTO_HTTPS : POLICY_PROTO_HTTP;
		policy_decide(p, &r, &d);
		assert_string_equal(policy_reason_str(d.reason),
				    "method_not_allowed");
		assert_string_equal(policy_source_str(d.source), "mode_guard");
		policy_decide(q, &r, &d);
		assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	}
	r.method = "GET";
	r.has_body = false;
	policy_decide(p, &r, &d);
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	policy_free(p);
	policy_free(q);
}

static void
test_policy_allow_local_binding_lets_any_match_through(void **state)
{
	struct cfg c = {{"fe80::1%eth0"}, {NULL}, POLICY_MODE_FULL, true, PRESET_NONE};
	struct cfg g = {{"*"}, {"fd00::1"}, POLICY_MODE_FULL, true, PRESET_NONE};
	struct cfg h = {{"*"}, {"fd00::1%eth0"}, POLICY_MODE_FULL, true, PRESET_NONE};
	struct policy *p = build(&c), *q = build(&g), *r = build(&h);

	(void)state;
	assert_string_equal(why(p, "fe80::1%eth0"), "allow");
	assert_string_equal(why(p, "fe80::1%eth1"), "not_allowed");
	assert_string_equal(why(q, "fd00::1%eth0"), "denied");
	assert_string_equal(why(q, "[fd00::1%eth0]"), "denied");
	assert_string_equal(why(q, "[fd00::1%25eth0]"), "denied");
	assert_string_equal(why(q, "127.0.0.1"), "allow");
	assert_string_equal(why(r, "fd00::1%eth0"), "denied");
	assert_string_equal(why(r, "fd00::1%eth1"), "allow");
	policy_free(p);
	policy_free(q);
	policy_free(r);
}

static void
test_policy_resolved_addresses_are_classified(void **state)
{
	struct cfg c = {{"example.com", "10.1.0.0/16"}, {NULL},
			POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "example.com", 443, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "8.8.8.8");
	assert_true(policy_allowed(&d));
	assert_string_equal(d.matched, "example.com");
	d = decide(p, "example.com", 443, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "127.0.0.1");
	assert_string_equal(policy_reason_str(d.reason), "not_allowed_local");
	d = decide(p, "example.com", 443, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "::ffff:192.168.1.1");
	assert_string_equal(policy_reason_str(d.reason), "not_allowed_local");
	d = decide(p, "example.com", 443, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "10.1.2.3"); /* explicitly allowlisted range */
	assert_true(policy_allowed(&d));
	d = decide(p, "example.com", 443, POLICY_PROTO_HTTP, "GET");
	policy_finish(p, &d, NULL, 0);
	assert_string_equal(policy_reason_str(d.reason), "not_allowed_local");
	policy_free(p);
}

static void
test_policy_deny_cidr_hits_a_resolved_address(void **state)
{
	struct cfg c = {{"**.example.com"}, {"203.0.112.0/24", "1.2.3.4"},
			POLICY_MODE_FULL, true, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "api.example.com", 443, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	finish(p, &d, "203.0.112.9");
	assert_string_equal(policy_reason_str(d.reason), "denied");
	assert_string_equal(d.matched, "203.0.112.0/24");
	d = decide(p, "api.example.com", 443, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "1.2.3.4");
	assert_string_equal(d.matched, "1.2.3.4");
	d = decide(p, "api.example.com", 443, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "1.2.3.5");
	assert_true(policy_allowed(&d));
	policy_free(p);
}

static void
test_policy_limited_mode_allows_only_safe_methods(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_LIMITED, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, "GET");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, "HEAD");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, "OPTIONS");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, "POST");
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	assert_string_equal(policy_source_str(d.source), "mode_guard");
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, "get");
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	policy_free(p);
}

static void
test_policy_limited_mode_needs_mitm_for_connect_and_socks_443(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_LIMITED, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_string_equal(policy_reason_str(d.reason), "mitm_required");
	assert_string_equal(policy_source_str(d.source), "mode_guard");
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "mitm_required");
	d = decide(p, "1.1.1.1", 22, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	d = decide(p, "1.1.1.1", 53, POLICY_PROTO_SOCKS5_UDP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	/* Mode guard comes after the lists: a miss is still not_allowed. */
	d = decide(p, "2.2.2.2", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_string_equal(policy_reason_str(d.reason), "not_allowed");
	policy_free(p);
}

static void
test_policy_limited_mode_with_mitm_intercepts_443_only(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_mitm = true;
	p = build(&c);
	build_mitm = false;
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_true(policy_allowed(&d));
	assert_true(d.mitm);
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_true(policy_allowed(&d));
	assert_true(d.mitm);
	d = decide(p, "1.1.1.1", 8443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_string_equal(policy_reason_str(d.reason), "mitm_required");
	assert_string_equal(policy_source_str(d.source), "mode_guard");
	assert_false(d.mitm);
	d = decide(p, "1.1.1.1", 22, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTP, "GET");
	assert_false(d.mitm);
	policy_free(p);
}

static void
test_policy_tcp_is_judged_like_a_socks5_connect(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct cfg f = {{"1.1.1.1"}, {NULL}, POLICY_MODE_FULL, false,
			PRESET_NONE};
	enum policy_protocol pr;
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_mitm = true;
	p = build(&c);
	build_mitm = false;
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_TCP, NULL);
	assert_true(policy_allowed(&d));
	assert_true(d.mitm);
	d = decide(p, "1.1.1.1", 22, POLICY_PROTO_TCP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	assert_string_equal(policy_source_str(d.source), "mode_guard");
	d = decide(p, "2.2.2.2", 22, POLICY_PROTO_TCP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "not_allowed");
	policy_free(p);
	p = build(&f);
	d = decide(p, "1.1.1.1", 22, POLICY_PROTO_TCP, NULL);
	assert_true(policy_allowed(&d));
	assert_false(d.mitm);
	assert_string_equal(policy_protocol_str(d.protocol), "tcp");
	policy_free(p);
	assert_int_equal(policy_protocol_parse("tcp", &pr), 0);
	assert_int_equal(pr, POLICY_PROTO_TCP);
}

static void
test_policy_mitm_flag_is_ignored_in_full_mode(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_FULL, false,
			PRESET_NONE};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_mitm = true;
	p = build(&c);
	build_mitm = false;
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_true(policy_allowed(&d));
	assert_false(d.mitm);
	policy_free(p);
}

static void
test_policy_inner_https_requests_are_method_checked(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_mitm = true;
	p = build(&c);
	build_mitm = false;
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTPS, "GET");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTPS, "POST");
	assert_string_equal(policy_reason_str(d.reason), "method_not_allowed");
	assert_string_equal(policy_protocol_str(d.protocol), "https");
	/* The local check still applies inside the tunnel. */
	d = decide(p, "10.0.0.1", 443, POLICY_PROTO_HTTPS, "GET");
	assert_false(policy_allowed(&d));
	policy_free(p);
}

static void
test_policy_full_mode_allows_every_protocol_and_method(void **state)
{
	struct cfg c = {{"1.1.1.1"}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 80, POLICY_PROTO_HTTP, "DELETE");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 53, POLICY_PROTO_SOCKS5_UDP, NULL);
	assert_true(policy_allowed(&d));
	policy_free(p);
}

static void
test_policy_port_scoped_allow_entry(void **state)
{
	struct cfg c = {{"1.1.1.1:8443"}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "1.1.1.1", 8443, POLICY_PROTO_HTTP, "GET");
	assert_true(policy_allowed(&d));
	d = decide(p, "1.1.1.1", 443, POLICY_PROTO_HTTP, "GET");
	assert_string_equal(policy_reason_str(d.reason), "not_allowed");
	d = decide_typed(p, "1.1.1.1:8443", 443, POLICY_PROTO_HTTP, "GET");
	assert_true(policy_allowed(&d));
	assert_int_equal(d.port, 8443);
	policy_free(p);
}

/* Issue 9 item 10: a proxy judges the port it dials. A host string that
 * carries a port of its own (a SOCKS5 domain `good.test:443` with
 * DST.PORT 25) must neither open a port-scoped allow entry nor slip past
 * a port-scoped deny entry. */
static void
test_policy_port_inside_a_proxy_host_is_refused(void **state)
{
	struct cfg c = {{"good.test:443", "*"}, {"smtp.test:25"},
			POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	d = decide(p, "good.test:443", 25, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_string_equal(policy_reason_str(d.reason), "not_allowed");
	assert_int_equal(d.port, 25);
	d = decide(p, "smtp.test:80", 25, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_int_equal(d.port, 25);
	d = decide(p, "smtp.test", 25, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_string_equal(policy_reason_str(d.reason), "denied");
	d = decide(p, "[::1]:443", 25, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	/* Brackets alone and bare IPv6 text carry no port. */
	d = decide(p, "[2001:4860::1]", 25, POLICY_PROTO_HTTP, "GET");
	assert_true(policy_allowed(&d));
	assert_int_equal(d.port, 25);
	d = decide(p, "2001:4860::1:25", 80, POLICY_PROTO_HTTP, "GET");
	assert_true(policy_allowed(&d));
	assert_int_equal(d.port, 80);
	policy_free(p);
}

static void
test_policy_preset_joins_the_allowlist(void **state)
{
	struct cfg c = {{NULL}, {"github.com"}, POLICY_MODE_FULL, false,
			PRESET_COMMON_DEPENDENCIES};
	struct cfg a = {{NULL}, {NULL}, POLICY_MODE_FULL, false, PRESET_ALL};
	struct policy *p = build(&c), *q = build(&a);

	(void)state;
	assert_string_equal(why(p, "pypi.org"), "resolve");
	assert_string_equal(why(p, "registry.npmjs.org"), "resolve");
	assert_string_equal(why(p, "github.com"), "denied");
	assert_string_equal(why(p, "evil.com"), "not_allowed");
	assert_string_equal(why(q, "evil.com"), "resolve");
	policy_free(p);
	policy_free(q);
}

static void
test_policy_build_reports_every_bad_pattern_with_origin(void **state)
{
	struct policy_entry a[] = {{"*.*", "/x/config.toml:12: "
					   "permissions.network.allowed_domains[3]"},
				   {"ok.example.com", "/x/config.toml:12: a[4]"}};
	struct policy_entry d[] = {{"*", "/x/config.toml:13: denied_domains[0]"},
				   {"a..b", "/x/config.toml:13: denied_domains[1]"}};
	struct policy_options o;
	struct errbuf err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.allow = a;
	o.n_allow = 2;
	o.deny = d;
	o.n_deny = 2;
	o.allow_global = true;
	errbuf_init(&err);
	assert_null(policy_new(&o, &err));
	assert_int_equal(err.count, 3);
	assert_non_null(strstr(errbuf_str(&err),
			       "/x/config.toml:12: permissions.network."
			       "allowed_domains[3]: invalid domain pattern "
			       "\"*.*\""));
	assert_non_null(strstr(errbuf_str(&err),
			       "/x/config.toml:13: denied_domains[0]: "
			       "unsupported global wildcard domain pattern "
			       "\"*\"; use exact hosts or scoped wildcards like "
			       "*.example.com or **.example.com"));
	errbuf_release(&err);
}

static void
test_policy_global_allow_needs_permission(void **state)
{
	struct policy_entry a[] = {{"*", "managed:1: allowed_domains[0]"}};
	struct policy_options o;
	struct errbuf err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.allow = a;
	o.n_allow = 1;
	errbuf_init(&err);
	assert_null(policy_new(&o, &err));
	assert_non_null(strstr(errbuf_str(&err), "unsupported global"));
	errbuf_release(&err);
}

static void
test_policy_decision_json_has_exact_key_order(void **state)
{
	struct cfg c = {{"example.com", "1.1.1.1"}, {NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	d = decide(p, "Example.COM.", 443, POLICY_PROTO_HTTPS_CONNECT, "GET");
	finish(p, &d, "93.184.216.34");
	assert_int_equal(policy_decision_json(&d, &b), 0);
	assert_string_equal(b.p,
		"{\"decision\":\"allow\",\"reason\":\"allow\",\"host\":"
		"\"example.com\",\"port\":443,\"protocol\":\"https_connect\","
		"\"method\":\"GET\",\"source\":\"baseline_policy\","
		"\"matched\":\"example.com\",\"addresses\":[\"93.184.216.34\"]}");
	buf_reset(&b);
	d = decide(p, "evil.com", 1080, POLICY_PROTO_SOCKS5_TCP, NULL);
	assert_int_equal(policy_decision_json(&d, &b), 0);
	assert_string_equal(b.p,
		"{\"decision\":\"deny\",\"reason\":\"not_allowed\",\"host\":"
		"\"evil.com\",\"port\":1080,\"protocol\":\"socks5_tcp\","
		"\"method\":null,\"source\":\"baseline_policy\","
		"\"matched\":null,\"addresses\":[]}");
	buf_reset(&b);
	d = decide(p, "example.com", 80, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "10.1.2.3");
	assert_int_equal(policy_decision_json(&d, &b), 0);
	assert_non_null(strstr(b.p,
		"\"matched\":\"example.com\",\"addresses\":[\"10.1.2.3\"],"
		"\"detail\":\"example.com resolved to 10.1.2.3, a private "
		"address: allow it with --allow 10.1.2.3\"}"));
	buf_reset(&b);
	d = decide(p, "bad\"host", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(policy_decision_json(&d, &b), 0);
	assert_non_null(strstr(b.p, "\"host\":\"bad\\\"host\""));
	buf_release(&b);
	policy_free(p);
}

/* A git smart-HTTP request in limited mode; "resolve" when let through. */
static const char *
git_req(const struct policy *p, const char *method, const char *path,
	const char *type, enum policy_protocol proto)
{
	struct policy_request r = {0};
	struct policy_decision d;

	r.host = "git.test";
	r.port = proto == POLICY_PROTO_HTTPS ? 443 : 80;
	r.protocol = proto;
	r.method = method;
	r.has_body = strcmp(method, "GET") != 0;
	r.path = slice_cstr(path);
	if (type != NULL)
		r.content_type = slice_cstr(type);
	policy_decide(p, &r, &d);
	if (d.verdict == POLICY_VERDICT_RESOLVE)
		return "resolve";
	return policy_reason_str(d.reason);
}

#define UPLOAD_TYPE "application/x-git-upload-pack-request"

static void
test_policy_limited_mode_lets_a_git_fetch_post_through(void **state)
{
	struct cfg c = {{"git.test"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct policy *p;

	(void)state;
	build_git_fetch = true;
	p = build(&c);
	build_git_fetch = false;
	assert_string_equal(git_req(p, "POST", "/r.git/git-upload-pack",
				    UPLOAD_TYPE, POLICY_PROTO_HTTP),
			    "resolve");
	assert_string_equal(git_req(p, "POST", "/git-upload-pack",
				    " Application/X-Git-Upload-Pack-Request",
				    POLICY_PROTO_HTTPS),
			    "resolve");
	assert_string_equal(git_req(p, "GET",
				    "/r.git/info/refs?service=git-upload-pack",
				    NULL, POLICY_PROTO_HTTPS),
			    "resolve");
	policy_free(p);
}

static void
test_policy_limited_mode_refuses_what_only_looks_like_a_git_fetch(
	void **state)
{
	static const struct {
		const char *method, *path, *type;
	} bad[] = {
		{"POST", "/r.git/git-receive-pack",
		 "application/x-git-receive-pack-request"},
		{"POST", "/r.git/git-receive-pack", UPLOAD_TYPE},
		{"POST", "/r.git/git-upload-pack", NULL},
		{"POST", "/r.git/git-upload-pack", "application/json"},
		{"POST", "/r.git/git-upload-pack", UPLOAD_TYPE "; x=1"},
		{"POST", "/r.git/git-upload-pack?x=1", UPLOAD_TYPE},
		{"POST", "/r.git/git-upload-pack/", UPLOAD_TYPE},
		{"POST", "/r.git/xgit-upload-pack", UPLOAD_TYPE},
		{"POST", "git-upload-pack", UPLOAD_TYPE},
		{"PUT", "/r.git/git-upload-pack", UPLOAD_TYPE},
		{"post", "/r.git/git-upload-pack", UPLOAD_TYPE},
	};
	struct cfg c = {{"git.test"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct policy *p, *off;
	size_t i;

	(void)state;
	build_git_fetch = true;
	p = build(&c);
	build_git_fetch = false;
	off = build(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(git_req(p, bad[i].method, bad[i].path,
					    bad[i].type, POLICY_PROTO_HTTP),
				    "method_not_allowed");
	/* The key off: the fetch itself is refused. */
	assert_string_equal(git_req(off, "POST", "/r.git/git-upload-pack",
				    UPLOAD_TYPE, POLICY_PROTO_HTTPS),
			    "method_not_allowed");
	policy_free(p);
	policy_free(off);
}

/* What a not_allowed_local says. */
static const char *
local_detail(const struct policy *p, const char *host, const char **ips,
	     size_t n, struct buf *b)
{
	struct sockaddr_storage ss[4];
	struct policy_decision d;
	size_t i;

	memset(ss, 0, sizeof(ss));
	for (i = 0; i < n; i++) {
		if (strchr(ips[i], ':') != NULL) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss[i];
			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, ips[i], &s6->sin6_addr);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss[i];
			s4->sin_family = AF_INET;
			inet_pton(AF_INET, ips[i], &s4->sin_addr);
		}
	}
	d = decide(p, host, 80, POLICY_PROTO_HTTP, "GET");
	if (d.verdict == POLICY_VERDICT_RESOLVE)
		policy_finish(p, &d, ss, n);
	buf_reset(b);
	assert_int_equal(policy_local_detail(&d, b), 0);
	return b->p != NULL ? b->p : "";
}

static void
test_policy_local_detail_names_the_address_and_its_kind(void **state)
{
	struct cfg c = {{"registry.example", "**.t.example", "10.9.9.9"},
			{NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	const char *one[] = {"10.1.2.3"};
	const char *meta[] = {"169.254.169.254"};
	const char *mixed[] = {"8.8.8.8", "127.0.0.2", "10.9.9.9", "fd00::1"};
	const char *pub[] = {"8.8.8.8"};
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_string_equal(local_detail(p, "registry.example", one, 1, &b),
			    "registry.example resolved to 10.1.2.3, a private "
			    "address: allow it with --allow 10.1.2.3");
	assert_string_equal(local_detail(p, "m.t.example", meta, 1, &b),
			    "m.t.example resolved to 169.254.169.254, the cloud "
			    "metadata address (link-local): allow it with "
			    "--allow 169.254.169.254");
	/* Every local address that is not allowlisted, none other. */
	assert_string_equal(local_detail(p, "x.t.example", mixed, 4, &b),
			    "x.t.example resolved to 127.0.0.2, a loopback "
			    "address, and fd00::1, a unique local (private) "
			    "address: allow them with --allow 127.0.0.2 "
			    "--allow fd00::1");
	assert_string_equal(local_detail(p, "x.t.example", pub, 1, &b), "");
	policy_free(p);
	c.allow[2] = "*";
	p = build(&c);
	assert_string_equal(local_detail(p, "100.64.0.1", NULL, 0, &b),
			    "100.64.0.1 is a CGNAT address: allow it with "
			    "--allow 100.64.0.1");
	assert_string_equal(local_detail(p, "localhost", NULL, 0, &b),
			    "localhost is a loopback name: allow it with "
			    "--allow localhost");
	policy_free(p);
	buf_release(&b);
}

/* The stub resolver's question; returns the reason, "allow" included. */
static const char *
resolvable(const struct policy *p, const char *name)
{
	struct policy_decision d;

	policy_resolvable(p, name, &d);
	assert_int_equal(d.protocol, POLICY_PROTO_DNS);
	assert_int_equal(d.port, 0);
	assert_true(d.verdict == POLICY_VERDICT_ALLOW ||
		    d.verdict == POLICY_VERDICT_DENY);
	return policy_reason_str(d.reason);
}

static void
test_policy_resolvable_follows_the_allowlist(void **state)
{
	struct cfg c = {{"allowed.test", "*.wild.test", "**.both.test",
			 "region*.mid.example.com"},
			{NULL}, POLICY_MODE_LIMITED, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	assert_string_equal(resolvable(p, "allowed.test"), "allow");
	assert_string_equal(resolvable(p, "ALLOWED.test."), "allow");
	assert_string_equal(resolvable(p, "other.test"), "not_allowed");
	assert_string_equal(resolvable(p, "a.b.wild.test"), "allow");
	assert_string_equal(resolvable(p, "wild.test"), "not_allowed");
	assert_string_equal(resolvable(p, "both.test"), "allow");
	assert_string_equal(resolvable(p, "regionx.mid.example.com"), "allow");
	assert_string_equal(resolvable(p, "other.mid.example.com"),
			    "not_allowed");
	policy_resolvable(p, "x.wild.test", &d);
	assert_string_equal(d.matched, "*.wild.test");
	assert_string_equal(d.host.text, "x.wild.test");
	policy_free(p);
}

static void
test_policy_resolvable_counts_port_scoped_allow_entries(void **state)
{
	struct cfg c = {{"git.test:22", "*.ports.test:8443",
			 "api*.mid.example.com:444"},
			{NULL}, POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);

	(void)state;
	assert_string_equal(resolvable(p, "git.test"), "allow");
	assert_string_equal(resolvable(p, "x.ports.test"), "allow");
	assert_string_equal(resolvable(p, "api1.mid.example.com"), "allow");
	assert_string_equal(resolvable(p, "ports.test"), "not_allowed");
	policy_free(p);
}

static void
test_policy_resolvable_deny_wins_unless_scoped_to_a_port(void **state)
{
	struct cfg c = {{"*"},
			{"denied.test", "**.evil.test", "web.test:80"},
			POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d;

	(void)state;
	assert_string_equal(resolvable(p, "denied.test"), "denied");
	assert_string_equal(resolvable(p, "evil.test"), "denied");
	assert_string_equal(resolvable(p, "a.evil.test"), "denied");
	/* Denied on port 80 only: other ports stay reachable by name. */
	assert_string_equal(resolvable(p, "web.test"), "allow");
	assert_string_equal(resolvable(p, "anything.test"), "allow");
	policy_resolvable(p, "x.evil.test", &d);
	assert_string_equal(d.matched, "**.evil.test");
	policy_free(p);
}

static void
test_policy_resolvable_refuses_literals_and_bad_names(void **state)
{
	struct cfg c = {{"*", "10.0.0.0/8", "1.2.3.4"}, {NULL},
			POLICY_MODE_FULL, false, PRESET_NONE};
	struct policy *p = build(&c);

	(void)state;
	assert_string_equal(resolvable(p, "1.2.3.4"), "not_allowed");
	assert_string_equal(resolvable(p, "::1"), "not_allowed");
	assert_string_equal(resolvable(p, ""), "not_allowed");
	assert_string_equal(resolvable(p, "a..b"), "not_allowed");
	assert_string_equal(resolvable(p, "1.2.3.4.5"), "not_allowed");
	assert_string_equal(resolvable(p, NULL), "not_allowed");
	/* A port in the text is not part of the question. */
	assert_string_equal(resolvable(p, "fine.test:443"), "allow");
	policy_free(p);
}

static void
test_policy_resolvable_ignores_the_mode_and_empty_list_denies(void **state)
{
	struct cfg lim = {{"a.test"}, {NULL}, POLICY_MODE_LIMITED, false,
			  PRESET_NONE};
	struct cfg none = {{NULL}, {NULL}, POLICY_MODE_FULL, false,
			   PRESET_NONE};
	struct policy *p = build(&lim), *q = build(&none);

	(void)state;
	assert_string_equal(resolvable(p, "a.test"), "allow");
	assert_string_equal(resolvable(q, "a.test"), "not_allowed");
	policy_free(p);
	policy_free(q);
}

static void
test_policy_decide_with_dns_protocol_is_the_resolvable_question(void **state)
{
	struct cfg c = {{"git.test:22"}, {NULL}, POLICY_MODE_LIMITED, false,
			PRESET_NONE};
	struct policy *p = build(&c);
	struct policy_decision d = decide(p, "git.test", 443, POLICY_PROTO_DNS,
					  "GET");

	(void)state;
	assert_int_equal(d.verdict, POLICY_VERDICT_ALLOW);
	assert_int_equal(d.port, 0);
	assert_null(d.method);
	assert_string_equal(policy_protocol_str(d.protocol), "dns");
	policy_free(p);
}

static void
test_policy_protocol_names_round_trip(void **state)
{
	enum policy_protocol pr;

	(void)state;
	assert_int_equal(policy_protocol_parse("socks5_udp", &pr), 0);
	assert_int_equal(pr, POLICY_PROTO_SOCKS5_UDP);
	assert_string_equal(policy_protocol_str(pr), "socks5_udp");
	assert_int_equal(policy_protocol_parse("https", &pr), 0);
	assert_int_equal(pr, POLICY_PROTO_HTTPS);
	assert_int_equal(policy_protocol_parse("dns", &pr), 0);
	assert_int_equal(pr, POLICY_PROTO_DNS);
	assert_string_equal(policy_protocol_str(pr), "dns");
	assert_int_equal(policy_protocol_parse("ftp", &pr), -1);
}

/* --- asking (the approval policy lets a person lift a miss) ------------- */

static struct policy_decision
decide_approved(const struct policy *p, const char *host, int port,
		enum policy_protocol proto, const char *method)
{
	struct policy_request r = {.host = host, .port = port,
				   .protocol = proto, .method = method};
	struct policy_decision d;

	r.approved = true;
	policy_decide(p, &r, &d);
	return d;
}

static void
test_policy_ask_only_for_an_allowlist_miss(void **state)
{
	struct cfg c = {.allow = {"a.example"}, .deny = {"d.example"},
			.mode = POLICY_MODE_FULL};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_ask = true;
	p = build(&c);
	d = decide(p, "x.example", 80, POLICY_PROTO_HTTP, "POST");
	assert_int_equal(d.verdict, POLICY_VERDICT_ASK);
	assert_int_equal(d.reason, POLICY_NOT_ALLOWED);
	assert_null(d.matched);
	assert_false(policy_allowed(&d));
	d = decide(p, "d.example", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_DENIED);
	d = decide(p, "a.example", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	d = decide(p, "", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	d = decide(p, "bad host", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	policy_free(p);
	build_ask = false;
	p = build(&c);
	d = decide(p, "x.example", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_NOT_ALLOWED);
	policy_free(p);
}

static void
test_policy_ask_never_for_local_literals(void **state)
{
	struct cfg c = {.allow = {"a.example"}, .mode = POLICY_MODE_FULL};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_ask = true;
	p = build(&c);
	assert_int_equal(decide(p, "10.0.0.1", 80, POLICY_PROTO_HTTP, "GET")
				 .verdict,
			 POLICY_VERDICT_DENY);
	assert_int_equal(decide(p, "[::1]", 80, POLICY_PROTO_HTTP, "GET")
				 .verdict,
			 POLICY_VERDICT_DENY);
	d = decide(p, "localhost", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_NOT_ALLOWED);
	assert_int_equal(decide(p, "8.8.8.8", 80, POLICY_PROTO_HTTP, "GET")
				 .verdict,
			 POLICY_VERDICT_ASK);
	policy_free(p);
	c.local = true; /* allow_local_binding: local is no refusal */
	p = build(&c);
	assert_int_equal(decide(p, "10.0.0.1", 80, POLICY_PROTO_HTTP, "GET")
				 .verdict,
			 POLICY_VERDICT_ASK);
	policy_free(p);
	build_ask = false;
}

static void
test_policy_ask_never_for_limited_refusals(void **state)
{
	struct cfg c = {.allow = {"a.example"}, .mode = POLICY_MODE_LIMITED};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_ask = true;
	build_mitm = true;
	p = build(&c);
	d = decide(p, "x.example", 80, POLICY_PROTO_HTTP, "POST");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_NOT_ALLOWED);
	assert_false(d.mitm);
	assert_int_equal(decide(p, "x.example", 80, POLICY_PROTO_HTTP, "GET")
				 .verdict,
			 POLICY_VERDICT_ASK);
	d = decide(p, "x.example", 443, POLICY_PROTO_HTTPS_CONNECT, "CONNECT");
	assert_int_equal(d.verdict, POLICY_VERDICT_ASK);
	assert_false(d.mitm);
	assert_int_equal(decide(p, "x.example", 8443,
				POLICY_PROTO_HTTPS_CONNECT, "CONNECT")
				 .verdict,
			 POLICY_VERDICT_DENY);
	assert_int_equal(decide(p, "x.example", 53, POLICY_PROTO_SOCKS5_UDP,
				NULL)
				 .verdict,
			 POLICY_VERDICT_DENY);
	policy_free(p);
	build_ask = false;
	build_mitm = false;
}

static void
test_policy_approved_keeps_later_checks(void **state)
{
	struct cfg c = {.allow = {"a.example"}, .deny = {"9.9.9.9"},
			.mode = POLICY_MODE_LIMITED};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_ask = true;
	build_mitm = true;
	p = build(&c);
	d = decide_approved(p, "x.example", 443, POLICY_PROTO_HTTPS_CONNECT,
			    "CONNECT");
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	assert_true(d.approved);
	assert_true(d.mitm);
	assert_null(d.matched);
	finish(p, &d, "127.0.0.1"); /* a name that resolves to loopback */
	assert_int_equal(d.reason, POLICY_NOT_ALLOWED_LOCAL);
	d = decide_approved(p, "x.example", 80, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "9.9.9.9"); /* the deny list still judges addresses */
	assert_int_equal(d.reason, POLICY_DENIED);
	d = decide_approved(p, "x.example", 80, POLICY_PROTO_HTTP, "GET");
	finish(p, &d, "93.184.216.34");
	assert_true(policy_allowed(&d));
	/* Approval lifts the miss only: the method guard still refuses. */
	d = decide_approved(p, "x.example", 80, POLICY_PROTO_HTTPS, "PUT");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_false(d.approved);
	/* A decision an allow entry made is not "approved". */
	d = decide_approved(p, "a.example", 80, POLICY_PROTO_HTTP, "GET");
	assert_false(d.approved);
	policy_free(p);
	build_ask = false; /* asking off: an approval lifts nothing */
	p = build(&c);
	d = decide_approved(p, "x.example", 80, POLICY_PROTO_HTTP, "GET");
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_NOT_ALLOWED);
	policy_free(p);
	build_mitm = false;
}

static void
test_policy_resolvable_askable_name_is_ask(void **state)
{
	struct cfg c = {.allow = {"a.example"}, .deny = {"d.example"}};
	struct policy *p;
	struct policy_decision d;

	(void)state;
	build_ask = true;
	p = build(&c);
	policy_resolvable(p, "x.example", &d);
	assert_int_equal(d.verdict, POLICY_VERDICT_ASK);
	policy_resolvable(p, "d.example", &d);
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	policy_resolvable(p, "10.0.0.1", &d);
	assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
	policy_free(p);
	build_ask = false;
}

static void
test_policy_ask_json_and_denied_messages(void **state)
{
	struct cfg c = {.allow = {"a.example"}, .mode = POLICY_MODE_FULL};
	struct policy *p;
	struct policy_decision d;
	struct buf b;

	(void)state;
	build_ask = true;
	p = build(&c);
	d = decide(p, "x.example", 80, POLICY_PROTO_HTTP, "GET");
	buf_init(&b, 4096);
	assert_int_equal(policy_decision_json(&d, &b), 0);
	assert_non_null(strstr(b.p, "{\"decision\":\"ask\",\"reason\":"
				    "\"not_allowed\""));
	buf_reset(&b);
	policy_denied_message("denied", "evil.example", &b);
	assert_string_equal(b.p, "Network access to \"evil.example\" was "
				 "blocked: domain is explicitly denied by "
				 "policy and cannot be approved from this "
				 "prompt.");
	buf_reset(&b);
	policy_denied_message("not_allowed", "x.example", &b);
	assert_string_equal(b.p, "Network access to \"x.example\" was blocked: "
				 "domain is not on the allowlist for the "
				 "current sandbox mode.");
	buf_reset(&b);
	policy_denied_message("sni_mismatch", "x.example", &b);
	assert_non_null(strstr(b.p, "request is blocked by network policy."));
	buf_release(&b);
	policy_free(p);
	build_ask = false;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_deny_wins_over_the_same_allow_entry),
		cmocka_unit_test(test_policy_allowlist_miss_is_not_allowed),
		cmocka_unit_test(test_policy_empty_allowlist_denies_everything),
		cmocka_unit_test(test_policy_deny_wins_over_global_allow),
		cmocka_unit_test(test_policy_legacy_ipv4_forms_hit_an_ip_deny_entry),
		cmocka_unit_test(test_policy_local_literals_need_explicit_allow),
		cmocka_unit_test(test_policy_embedded_private_ipv4_in_ipv6_is_local),
		cmocka_unit_test(test_policy_allow_local_binding_lets_any_match_through),
		cmocka_unit_test(test_policy_resolved_addresses_are_classified),
		cmocka_unit_test(test_policy_deny_cidr_hits_a_resolved_address),
		cmocka_unit_test(test_policy_limited_mode_allows_only_safe_methods),
		cmocka_unit_test(test_policy_limited_mode_needs_mitm_for_connect_and_socks_443),
		cmocka_unit_test(test_policy_limited_mode_with_mitm_intercepts_443_only),
		cmocka_unit_test(test_policy_tcp_is_judged_like_a_socks5_connect),
		cmocka_unit_test(test_policy_mitm_flag_is_ignored_in_full_mode),
		cmocka_unit_test(test_policy_inner_https_requests_are_method_checked),
		cmocka_unit_test(test_policy_full_mode_allows_every_protocol_and_method),
		cmocka_unit_test(test_policy_port_scoped_allow_entry),
		cmocka_unit_test(test_policy_port_inside_a_proxy_host_is_refused),
		cmocka_unit_test(test_policy_ip_deny_entry_covers_ipv6_that_embeds_it),
		cmocka_unit_test(test_policy_limited_mode_refuses_a_body_on_any_method),
		cmocka_unit_test(test_policy_preset_joins_the_allowlist),
		cmocka_unit_test(test_policy_build_reports_every_bad_pattern_with_origin),
		cmocka_unit_test(test_policy_global_allow_needs_permission),
		cmocka_unit_test(test_policy_decision_json_has_exact_key_order),
		cmocka_unit_test(
			test_policy_limited_mode_lets_a_git_fetch_post_through),
		cmocka_unit_test(
			test_policy_limited_mode_refuses_what_only_looks_like_a_git_fetch),
		cmocka_unit_test(
			test_policy_local_detail_names_the_address_and_its_kind),
		cmocka_unit_test(test_policy_resolvable_follows_the_allowlist),
		cmocka_unit_test(test_policy_resolvable_counts_port_scoped_allow_entries),
		cmocka_unit_test(test_policy_resolvable_deny_wins_unless_scoped_to_a_port),
		cmocka_unit_test(test_policy_resolvable_refuses_literals_and_bad_names),
		cmocka_unit_test(test_policy_resolvable_ignores_the_mode_and_empty_list_denies),
		cmocka_unit_test(test_policy_decide_with_dns_protocol_is_the_resolvable_question),
		cmocka_unit_test(test_policy_protocol_names_round_trip),
		cmocka_unit_test(test_policy_ask_only_for_an_allowlist_miss),
		cmocka_unit_test(test_policy_ask_never_for_local_literals),
		cmocka_unit_test(test_policy_ask_never_for_limited_refusals),
		cmocka_unit_test(test_policy_approved_keeps_later_checks),
		cmocka_unit_test(test_policy_resolvable_askable_name_is_ask),
		cmocka_unit_test(test_policy_ask_json_and_denied_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
