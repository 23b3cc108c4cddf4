/* test_block.c — block and error responses, compared byte for byte with
 * the texts of reference §7.4. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "proxy/block.h"

static struct buf out;

static int
setup(void **state)
{
	(void)state;
	buf_init(&out, 1 << 16);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	buf_release(&out);
	return 0;
}

static void
assert_out(const char *expect)
{
	assert_string_equal(out.p, expect);
}

static void
test_block_plain_http_not_allowed_matches_reference_example(void **state)
{
	(void)state;
	assert_int_equal(block_for_reason(&out, "not_allowed", "www.google.com",
	    80, "baseline_policy", false, false), 0);
	assert_out("HTTP/1.1 403 Forbidden\r\n"
	    "content-type: application/json\r\n"
	    "x-proxy-error: blocked-by-allowlist\r\n"
	    "content-length: 177\r\n"
	    "\r\n"
	    "{\"status\":\"blocked\",\"host\":\"www.google.com\","
	    "\"reason\":\"not_allowed\",\"decision\":\"deny\","
	    "\"source\":\"baseline_policy\",\"protocol\":\"http\",\"port\":80,"
	    "\"message\":\"Domain not in allowlist.\"}");
}

static void
test_block_connect_not_allowed_matches_reference_example(void **state)
{
	(void)state;
	assert_int_equal(block_for_reason(&out, "not_allowed", "www.google.com",
	    443, "baseline_policy", true, false), 0);
	assert_out("HTTP/1.1 403 Forbidden\r\n"
	    "content-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-allowlist\r\n"
	    "content-length: 24\r\n"
	    "\r\n"
	    "Domain not in allowlist.");
}

static void
test_block_connect_denied(void **state)
{
	(void)state;
	block_connect(&out, "denied", false);
	assert_out("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-denylist\r\ncontent-length: 36\r\n\r\n"
	    "Domain denied by the sandbox policy.");
}

static void
test_block_connect_not_allowed_local(void **state)
{
	(void)state;
	block_connect(&out, "not_allowed_local", false);
	assert_out("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-allowlist\r\ncontent-length: 54\r\n\r\n"
	    "Sandbox policy blocks local/private network addresses.");
}

static void
test_block_connect_mitm_required(void **state)
{
	(void)state;
	block_connect(&out, "mitm_required", false);
	assert_out("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-mitm-required\r\ncontent-length: 32\r\n"
	    "\r\nMITM required for limited HTTPS.");
}

static void
test_block_connect_mitm_hook_denied(void **state)
{
	(void)state;
	block_connect(&out, "mitm_hook_denied", false);
	assert_out("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-mitm-hook\r\ncontent-length: 41\r\n"
	    "\r\nHTTPS request denied by MITM hook policy.");
}

static void
test_block_connect_request_rule_not_matched(void **state)
{
	(void)state;
	block_connect(&out, "request_rule_not_matched", false);
	assert_out("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-request-rule\r\ncontent-length: 53\r\n"
	    "\r\nRequest does not match any request rule of this host.");
}

static void
test_block_unknown_reason_is_blocked_by_policy(void **state)
{
	(void)state;
	block_connect(&out, "policy_denied", false);
	assert_out("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n"
	    "x-proxy-error: blocked-by-policy\r\ncontent-length: 34\r\n"
	    "\r\nRequest blocked by network policy.");
}

static void
test_block_plain_http_method_not_allowed_from_mode_guard(void **state)
{
	(void)state;
	block_for_reason(&out, "method_not_allowed", "example.com", 80,
	    "mode_guard", false, true);
	assert_out("HTTP/1.1 403 Forbidden\r\n"
	    "content-type: application/json\r\n"
	    "x-proxy-error: blocked-by-method-policy\r\n"
	    "content-length: 187\r\n"
	    "connection: close\r\n"
	    "\r\n"
	    "{\"status\":\"blocked\",\"host\":\"example.com\","
	    "\"reason\":\"method_not_allowed\",\"decision\":\"deny\","
	    "\"source\":\"mode_guard\",\"protocol\":\"http\",\"port\":80,"
	    "\"message\":\"Method not allowed in limited mode.\"}");
}

static void
test_block_plain_http_denied_ask_decision(void **state)
{
	struct block_details d = {
		.host = "api.openai.com", .reason = "denied", .decision = "ask",
		.source = "decider", .protocol = "http", .port = 8080,
	};

	(void)state;
	block_http(&out, &d, false);
	assert_out("HTTP/1.1 403 Forbidden\r\n"
	    "content-type: application/json\r\n"
	    "x-proxy-error: blocked-by-denylist\r\n"
	    "content-length: 177\r\n"
	    "\r\n"
	    "{\"status\":\"blocked\",\"host\":\"api.openai.com\","
	    "\"reason\":\"denied\",\"decision\":\"ask\",\"source\":\"decider\","
	    "\"protocol\":\"http\",\"port\":8080,"
	    "\"message\":\"Domain denied by the sandbox policy.\"}");
}

static void
test_block_without_details_has_short_body(void **state)
{
	struct block_details d = {
		.host = "unix-socket", .reason = "method_not_allowed",
	};

	(void)state;
	block_http(&out, &d, false);
	assert_out("HTTP/1.1 403 Forbidden\r\n"
	    "content-type: application/json\r\n"
	    "x-proxy-error: blocked-by-method-policy\r\n"
	    "content-length: 71\r\n"
	    "\r\n"
	    "{\"status\":\"blocked\",\"host\":\"unix-socket\","
	    "\"reason\":\"method_not_allowed\"}");
}

static void
test_block_json_escapes_host(void **state)
{
	struct block_details d = { .host = "a\"b\\", .reason = "denied" };

	(void)state;
	block_http(&out, &d, false);
	assert_non_null(strstr(out.p, "\"host\":\"a\\\"b\\\\\""));
}

static void
test_block_error_missing_host(void **state)
{
	(void)state;
	block_error(&out, 400, "missing host", false);
	assert_out("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n"
	    "content-length: 12\r\n\r\nmissing host");
}

static void
test_block_error_host_mismatch(void **state)
{
	(void)state;
	block_error(&out, 400, "Host header does not match request target",
	    true);
	assert_out("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n"
	    "content-length: 41\r\nconnection: close\r\n\r\n"
	    "Host header does not match request target");
}

static void
test_block_error_proxy_disabled(void **state)
{
	(void)state;
	block_error(&out, 503, "network proxy is disabled", false);
	assert_out("HTTP/1.1 503 Service Unavailable\r\n"
	    "content-type: text/plain\r\ncontent-length: 25\r\n\r\n"
	    "network proxy is disabled");
}

static void
test_block_error_upstream_failure(void **state)
{
	(void)state;
	block_error(&out, 502, "upstream failure", true);
	assert_out("HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n"
	    "content-length: 16\r\nconnection: close\r\n\r\nupstream failure");
}

static void
test_block_error_header_too_large(void **state)
{
	(void)state;
	block_error(&out, 431, "request header fields too large", true);
	assert_out("HTTP/1.1 431 Request Header Fields Too Large\r\n"
	    "content-type: text/plain\r\ncontent-length: 31\r\n"
	    "connection: close\r\n\r\nrequest header fields too large");
}

static void
test_block_error_method_not_allowed_405(void **state)
{
	(void)state;
	block_error(&out, 405, "method not allowed", false);
	assert_out("HTTP/1.1 405 Method Not Allowed\r\n"
	    "content-type: text/plain\r\ncontent-length: 18\r\n\r\n"
	    "method not allowed");
}

static void
test_block_connect_ok_is_bare_200(void **state)
{
	(void)state;
	block_connect_ok(&out);
	assert_out("HTTP/1.1 200 OK\r\n\r\n");
}

static void
test_block_header_values_per_reason(void **state)
{
	(void)state;
	assert_string_equal(block_header_value("not_allowed"),
	    "blocked-by-allowlist");
	assert_string_equal(block_header_value("not_allowed_local"),
	    "blocked-by-allowlist");
	assert_string_equal(block_header_value("denied"),
	    "blocked-by-denylist");
	assert_string_equal(block_header_value("method_not_allowed"),
	    "blocked-by-method-policy");
	assert_string_equal(block_header_value("mitm_required"),
	    "blocked-by-mitm-required");
	assert_string_equal(block_header_value(NULL), "blocked-by-policy");
	assert_string_equal(block_message("not_allowed"),
	    "Domain not in allowlist.");
}

static void
test_block_full_buffer_fails(void **state)
{
	struct buf small;

	(void)state;
	buf_init(&small, 20);
	assert_int_equal(block_connect(&small, "denied", false), -1);
	buf_release(&small);
}

static void
test_block_plain_http_not_allowed_local_adds_the_detail(void **state)
{
	struct block_details d = {
		.host = "registry.example", .reason = "not_allowed_local",
		.decision = "deny", .source = "baseline_policy",
		.protocol = "http", .port = 80,
		.detail = "registry.example resolved to 10.1.2.3, a private "
			  "address: allow it with --allow 10.1.2.3",
	};
	const char *body;

	(void)state;
	assert_int_equal(block_http(&out, &d, false), 0);
	body = strstr(out.p, "\r\n\r\n") + 4;
	assert_string_equal(body,
	    "{\"status\":\"blocked\",\"host\":\"registry.example\","
	    "\"reason\":\"not_allowed_local\",\"decision\":\"deny\","
	    "\"source\":\"baseline_policy\",\"protocol\":\"http\",\"port\":80,"
	    "\"message\":\"Sandbox policy blocks local/private network "
	    "addresses.\",\"detail\":\"registry.example resolved to 10.1.2.3, "
	    "a private address: allow it with --allow 10.1.2.3\"}");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_block_plain_http_not_allowed_matches_reference_example),
		T(test_block_connect_not_allowed_matches_reference_example),
		T(test_block_connect_denied),
		T(test_block_connect_not_allowed_local),
		T(test_block_plain_http_not_allowed_local_adds_the_detail),
		T(test_block_connect_mitm_required),
		T(test_block_connect_mitm_hook_denied),
		T(test_block_connect_request_rule_not_matched),
		T(test_block_unknown_reason_is_blocked_by_policy),
		T(test_block_plain_http_method_not_allowed_from_mode_guard),
		T(test_block_plain_http_denied_ask_decision),
		T(test_block_without_details_has_short_body),
		T(test_block_json_escapes_host),
		T(test_block_error_missing_host),
		T(test_block_error_host_mismatch),
		T(test_block_error_proxy_disabled),
		T(test_block_error_upstream_failure),
		T(test_block_error_header_too_large),
		T(test_block_error_method_not_allowed_405),
		T(test_block_connect_ok_is_bare_200),
		T(test_block_header_values_per_reason),
		T(test_block_full_buffer_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
