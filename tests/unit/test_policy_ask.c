/* test_policy_ask.c — the pure decision (policy/policy.h):
 * the stub resolver's question (policy_resolvable), protocol names, and
 * asking, where a person may lift an allowlist miss. */
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
