/* test_policy_match.c — the pure decision (policy/policy.h):
 * allow and deny lists, local and embedded addresses, ports, presets,
 * bad patterns, the decision JSON and what a local refusal says. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "policy/policy.h"

#include "policy_fixture.h"

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
		cmocka_unit_test(test_policy_port_scoped_allow_entry),
		cmocka_unit_test(test_policy_port_inside_a_proxy_host_is_refused),
		cmocka_unit_test(test_policy_ip_deny_entry_covers_ipv6_that_embeds_it),
		cmocka_unit_test(test_policy_preset_joins_the_allowlist),
		cmocka_unit_test(test_policy_build_reports_every_bad_pattern_with_origin),
		cmocka_unit_test(test_policy_global_allow_needs_permission),
		cmocka_unit_test(test_policy_decision_json_has_exact_key_order),
		cmocka_unit_test(
			test_policy_local_detail_names_the_address_and_its_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
