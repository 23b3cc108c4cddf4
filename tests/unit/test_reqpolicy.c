/* test_reqpolicy.c — request rules in force (policy/reqpolicy.h): the
 * decisions around policy_decide, the strip-then-inject rewrite and the
 * audit view, built from config text with secrets from the environment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "policy/netpolicy.h"
#include "policy/reqpolicy.h"

#define TOKEN "tok-9f8e7d6c5b4a"

#define SL(s) {s, sizeof(s) - 1}

/* Follows a [permissions.network] header and a mode line. */
static const char base[] =
	"allowed_domains = [\"api.example.com\", \"free.example.com\"]\n"
	"denied_domains = [\"denied.example.com\"]\n"
	"[permissions.network.request_rules.issues]\n"
	"host = \"api.example.com\"\n"
	"methods = [\"GET\", \"POST\"]\n"
	"path_prefixes = [\"/repos/acme/\"]\n"
	"actions = [\"auth\", \"tag\"]\n"
	"[permissions.network.request_rules.denied]\n"
	"host = \"denied.example.com\"\nmethods = [\"GET\"]\n"
	"path_prefixes = [\"/\"]\nactions = [\"auth\"]\n"
	"[permissions.network.request_rules.unlisted]\n"
	"host = \"unlisted.example.com\"\nmethods = [\"GET\"]\n"
	"path_prefixes = [\"/\"]\nactions = [\"auth\"]\n"
	"[permissions.network.request_actions.auth]\n"
	"strip_request_headers = [\"Authorization\", \"cookie\"]\n"
	"inject_request_headers = [{ name = \"Authorization\", "
	"prefix = \"Bearer \", secret_env_var = \"AIRLOCK_TEST_TOKEN\" }]\n"
	"[permissions.network.request_actions.tag]\n"
	"inject_request_headers = [{ name = \"x-tag\", "
	"secret_env_var = \"AIRLOCK_TEST_TAG\" }]\n";

struct fix {
	struct conf *c;
	struct policy *p;
	struct reqpolicy *rp;
};

static struct fix F;

static char text[8192];

/* The config text: base in the given mode. */
static const char *
config_text(const char *mode)
{
	snprintf(text, sizeof(text),
		 "[permissions.network]\nmode = \"%s\"\n%s", mode, base);
	return text;
}

/* Loads base in the given mode. */
static void
load_mode(const char *mode)
{
	struct errbuf err;

	config_text(mode);
	setenv("AIRLOCK_TEST_TOKEN", TOKEN, 1);
	setenv("AIRLOCK_TEST_TAG", "t1", 1);
	errbuf_init(&err);
	F.c = conf_load_text(text, strlen(text), NULL, 0, NULL, &err);
	if (F.c == NULL)
		fail_msg("%s", errbuf_str(&err));
	F.p = netpolicy_build(F.c, NULL, NULL, &err);
	F.rp = reqpolicy_build(F.c, &err);
	if (F.p == NULL || F.rp == NULL)
		fail_msg("%s", errbuf_str(&err));
	errbuf_release(&err);
}

static void
load(void)
{
	load_mode("limited");
}

static int
teardown(void **state)
{
	(void)state;
	reqpolicy_free(F.rp);
	policy_free(F.p);
	conf_free(F.c);
	memset(&F, 0, sizeof(F));
	return 0;
}

/* An HTTPS request inside an intercepted tunnel to host:443. */
static const struct reqrule *
request(enum policy_protocol proto, const char *host, int port,
	const char *method, const char *target, struct policy_decision *d)
{
	struct policy_request r = {0};
	struct reqrule_request q;

	memset(&q, 0, sizeof(q));
	r.host = host;
	r.port = port;
	r.protocol = proto;
	r.method = method;
	q.method = slice_cstr(method);
	q.target = slice_cstr(target);
	return reqpolicy_decide_request(F.p, F.rp, &r, &q, d);
}

/* The reason of a refusal, "allow" otherwise. An allowlist miss a person
 * may be asked about (ASK, under the default approval policy) is not
 * allowed: its reason, not_allowed. */
static const char *
reason(const struct policy_decision *d)
{
	return d->verdict == POLICY_VERDICT_DENY ||
			       d->verdict == POLICY_VERDICT_ASK
		       ? policy_reason_str(d->reason)
		       : "allow";
}

/* --- requests ----------------------------------------------------------- */

static void
test_reqpolicy_matching_post_passes_limited_mode(void **state)
{
	struct policy_decision d;
	const struct reqrule *r;

	(void)state;
	load();
	r = request(POLICY_PROTO_HTTPS, "api.example.com", 443, "POST",
		    "/repos/acme/x/issues", &d);
	assert_non_null(r);
	assert_string_equal(reqrule_name(r), "issues");
	assert_ptr_equal(d.rule, r); /* the decision names it too */
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	assert_string_equal(policy_source_str(d.source), "baseline_policy");
}

static void
test_reqpolicy_unmatched_request_is_refused(void **state)
{
	struct policy_decision d;

	(void)state;
	load();
	assert_null(request(POLICY_PROTO_HTTPS, "api.example.com", 443, "GET",
			    "/repos/other/x", &d));
	assert_null(d.rule);
	assert_string_equal(reason(&d), "request_rule_not_matched");
	assert_string_equal(policy_source_str(d.source), "request_rule");
	/* a method no rule lists: refused by the rule, not the mode */
	assert_null(request(POLICY_PROTO_HTTPS, "API.example.com.", 443,
			    "DELETE", "/repos/acme/x", &d));
	assert_string_equal(reason(&d), "request_rule_not_matched");
}

static void
test_reqpolicy_plain_http_never_matches(void **state)
{
	struct policy_decision d;

	(void)state;
	load();
	assert_null(request(POLICY_PROTO_HTTP, "api.example.com", 80, "GET",
			    "/repos/acme/x", &d));
	assert_string_equal(reason(&d), "request_rule_not_matched");
}

static void
test_reqpolicy_lists_still_apply_first(void **state)
{
	struct policy_decision d;

	(void)state;
	load();
	assert_null(request(POLICY_PROTO_HTTPS, "denied.example.com", 443,
			    "GET", "/", &d));
	assert_string_equal(reason(&d), "denied");
	assert_null(request(POLICY_PROTO_HTTPS, "unlisted.example.com", 443,
			    "GET", "/", &d));
	assert_string_equal(reason(&d), "not_allowed");
}

static void
test_reqpolicy_hosts_without_rules_are_left_alone(void **state)
{
	struct policy_decision d;

	(void)state;
	load();
	assert_null(request(POLICY_PROTO_HTTPS, "free.example.com", 443, "POST",
			    "/anything", &d));
	assert_string_equal(reason(&d), "method_not_allowed");
	assert_null(request(POLICY_PROTO_HTTPS, "free.example.com", 443, "GET",
			    "/anything", &d));
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
}

/* --- tunnels -------------------------------------------------------------- */

static void
tunnel(enum policy_protocol proto, const char *host, int port, bool mitm,
       struct policy_decision *d)
{
	struct policy_request r = {0};

	r.host = host;
	r.port = port;
	r.protocol = proto;
	r.method = proto == POLICY_PROTO_HTTPS_CONNECT ? "CONNECT" : NULL;
	reqpolicy_decide_tunnel(F.p, F.rp, &r, mitm, d);
}

static void
test_reqpolicy_host_with_rules_is_intercepted_in_full_mode(void **state)
{
	struct policy_decision d;

	(void)state;
	load_mode("full");
	tunnel(POLICY_PROTO_HTTPS_CONNECT, "api.example.com", 443, true, &d);
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	assert_true(d.mitm);
	tunnel(POLICY_PROTO_SOCKS5_TCP, "api.example.com", 443, true, &d);
	assert_true(d.mitm);
	/* a host without rules keeps its raw tunnel in full mode */
	tunnel(POLICY_PROTO_HTTPS_CONNECT, "free.example.com", 443, true, &d);
	assert_int_equal(d.verdict, POLICY_VERDICT_RESOLVE);
	assert_false(d.mitm);
}

static void
test_reqpolicy_other_ports_and_udp_need_interception(void **state)
{
	struct policy_decision d;

	(void)state;
	load();
	tunnel(POLICY_PROTO_HTTPS_CONNECT, "api.example.com", 8443, true, &d);
	assert_string_equal(reason(&d), "mitm_required");
	assert_string_equal(policy_source_str(d.source), "mode_guard");
	tunnel(POLICY_PROTO_SOCKS5_TCP, "api.example.com", 22, true, &d);
	assert_string_equal(reason(&d), "mitm_required");
	tunnel(POLICY_PROTO_SOCKS5_UDP, "api.example.com", 443, true, &d);
	assert_string_equal(reason(&d), "mitm_required");
	tunnel(POLICY_PROTO_HTTPS_CONNECT, "api.example.com", 443, false, &d);
	assert_string_equal(reason(&d), "mitm_required");
	tunnel(POLICY_PROTO_HTTPS_CONNECT, "unlisted.example.com", 443, true,
	       &d);
	assert_string_equal(reason(&d), "not_allowed");
}

/* --- rewrite and audit ----------------------------------------------------- */

static void
test_reqpolicy_rewrite_strips_then_injects(void **state)
{
	struct reqrule_hdr in[] = {
		{SL("Host"), SL("api.example.com")},
		{SL("authorization"), SL("Basic client-own")},
		{SL("Accept"), SL("*/*")},
		{SL("Cookie"), SL("a=1")},
		{SL("X-Tag"), SL("client-tag")},
	};
	struct reqrule_hdr out[16];
	struct policy_decision d;
	const struct reqrule *r;
	struct buf b;
	long n;

	(void)state;
	load();
	r = request(POLICY_PROTO_HTTPS, "api.example.com", 443, "GET",
		    "/repos/acme/", &d);
	assert_non_null(r);
	assert_int_equal(reqpolicy_rewrite_max(F.rp, r, 5), 7);
	assert_int_equal(reqpolicy_rewrite(F.rp, r, in, 5, out, 6), -1);
	n = reqpolicy_rewrite(F.rp, r, in, 5, out, 16);
	assert_int_equal(n, 4);
	buf_init(&b, 4096);
	assert_int_equal(reqpolicy_write_headers(&b, out, (size_t)n), 0);
	assert_string_equal(b.p, "Host: api.example.com\r\n"
				 "Accept: */*\r\n"
				 "authorization: Bearer " TOKEN "\r\n"
				 "x-tag: t1\r\n");
	buf_release(&b);
}

static void
test_reqpolicy_audit_view_names_headers_never_values(void **state)
{
	struct policy_decision d;
	const struct reqrule *r;
	struct buf b;

	(void)state;
	load();
	r = request(POLICY_PROTO_HTTPS, "api.example.com", 443, "GET",
		    "/repos/acme/", &d);
	buf_init(&b, 4096);
	assert_int_equal(reqpolicy_audit_json(F.rp, r, &b), 0);
	assert_string_equal(b.p,
			    ",\"request_rule\":\"issues\","
			    "\"request_actions\":[\"auth\",\"tag\"],"
			    "\"request_headers_stripped\":[\"authorization\","
			    "\"cookie\"],"
			    "\"request_headers_injected\":{\"authorization\":"
			    "\"[injected]\",\"x-tag\":\"[injected]\"}");
	buf_reset(&b);
	assert_int_equal(reqpolicy_audit_json(F.rp, NULL, &b), 0);
	assert_null(strstr(b.p, TOKEN));
	buf_release(&b);
}

static void
test_reqpolicy_missing_secret_variable_names_it(void **state)
{
	struct errbuf err;
	struct conf *c;

	(void)state;
	load();
	unsetenv("AIRLOCK_TEST_TAG");
	errbuf_init(&err);
	config_text("limited");
	c = conf_load_text(text, strlen(text), NULL, 0, NULL, &err);
	if (c == NULL)
		fail_msg("%s", errbuf_str(&err));
	assert_non_null(c);
	assert_int_equal(reqpolicy_check(c, &err), -1);
	assert_string_equal(errbuf_str(&err),
			    "<config>:24: permissions.network.request_actions"
			    ".tag.inject_request_headers[0]: secret variable "
			    "AIRLOCK_TEST_TAG: is not set in airlock's "
			    "environment");
	errbuf_release(&err);
	conf_free(c);
}

static void
test_reqpolicy_without_rules_is_empty(void **state)
{
	struct errbuf err;
	struct conf *c;
	struct reqpolicy *rp;

	(void)state;
	errbuf_init(&err);
	c = conf_load_text("", 0, NULL, 0, NULL, &err);
	rp = reqpolicy_build(c, &err);
	assert_non_null(rp);
	assert_false(reqpolicy_active(rp));
	assert_false(reqpolicy_host_has_rules(rp, "api.example.com"));
	reqpolicy_free(rp);
	conf_free(c);
	errbuf_release(&err);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reqpolicy_matching_post_passes_limited_mode),
		T(test_reqpolicy_unmatched_request_is_refused),
		T(test_reqpolicy_plain_http_never_matches),
		T(test_reqpolicy_lists_still_apply_first),
		T(test_reqpolicy_hosts_without_rules_are_left_alone),
		T(test_reqpolicy_host_with_rules_is_intercepted_in_full_mode),
		T(test_reqpolicy_other_ports_and_udp_need_interception),
		T(test_reqpolicy_rewrite_strips_then_injects),
		T(test_reqpolicy_audit_view_names_headers_never_values),
		T(test_reqpolicy_missing_secret_variable_names_it),
		T(test_reqpolicy_without_rules_is_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
