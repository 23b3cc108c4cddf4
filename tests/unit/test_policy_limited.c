/* test_policy_limited.c — the pure decision (policy/policy.h) in
 * limited mode: safe methods, bodies, interception, raw TCP and the git
 * fetch exception; and full mode for contrast. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_limited_mode_allows_only_safe_methods),
		cmocka_unit_test(test_policy_limited_mode_needs_mitm_for_connect_and_socks_443),
		cmocka_unit_test(test_policy_limited_mode_with_mitm_intercepts_443_only),
		cmocka_unit_test(test_policy_tcp_is_judged_like_a_socks5_connect),
		cmocka_unit_test(test_policy_mitm_flag_is_ignored_in_full_mode),
		cmocka_unit_test(test_policy_inner_https_requests_are_method_checked),
		cmocka_unit_test(test_policy_full_mode_allows_every_protocol_and_method),
		cmocka_unit_test(test_policy_limited_mode_refuses_a_body_on_any_method),
		cmocka_unit_test(
			test_policy_limited_mode_lets_a_git_fetch_post_through),
		cmocka_unit_test(
			test_policy_limited_mode_refuses_what_only_looks_like_a_git_fetch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
