/* test_rpc.c — the app-server's JSON-RPC codec (reference §19.4–19.5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "server/rpc.h"

static void
parse(const char *s, struct rpc_msg *m)
{
	rpc_parse(s, strlen(s), m);
}

static void
test_rpc_request_without_jsonrpc_member_is_a_request(void **state)
{
	struct rpc_msg m;

	(void)state;
	parse("{\"id\":7,\"method\":\"initialize\",\"params\":{}}", &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	assert_string_equal(m.method, "initialize");
	assert_true(json_is_object(m.params));
	rpc_msg_release(&m);
}

static void
test_rpc_method_without_id_is_a_notification(void **state)
{
	struct rpc_msg m;

	(void)state;
	parse("{\"method\":\"initialized\"}", &m);
	assert_int_equal(m.kind, RPC_NOTIFICATION);
	assert_null(m.params);
	rpc_msg_release(&m);
}

static void
test_rpc_result_or_error_with_id_is_a_response(void **state)
{
	struct rpc_msg m;

	(void)state;
	parse("{\"id\":\"a\",\"result\":{}}", &m);
	assert_int_equal(m.kind, RPC_RESPONSE);
	rpc_msg_release(&m);
	parse("{\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}}", &m);
	assert_int_equal(m.kind, RPC_RESPONSE);
	rpc_msg_release(&m);
}

static void
test_rpc_unusable_messages_are_bad(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[1,2]", "42", "{}", "{\"id\":1}",
		"{\"id\":1.5,\"method\":\"x\"}", "{\"id\":null,\"method\":\"x\"}",
		"{\"id\":[1],\"method\":\"x\"}", "{\"method\":5}",
		"{\"id\":1,\"id\":2,\"method\":\"x\"}",
		"{\"id\":1,\"method\":\"a\\u0000b\"}",
	};
	struct rpc_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], &m);
		assert_int_equal(m.kind, RPC_BAD);
		rpc_msg_release(&m);
	}
}

static void
test_rpc_int64_ids_are_echoed_exactly(void **state)
{
	struct rpc_msg m;
	char *s;

	(void)state;
	parse("{\"id\":9223372036854775807,\"method\":\"x\"}", &m);
	assert_int_equal(m.kind, RPC_REQUEST);
	s = rpc_result(m.id, json_object());
	assert_string_equal(s, "{\"id\":9223372036854775807,\"result\":{}}");
	free(s);
	rpc_msg_release(&m);
	parse("{\"id\":-9223372036854775808,\"method\":\"x\"}", &m);
	s = rpc_error(m.id, RPC_OVERLOADED, RPC_MSG_OVERLOADED);
	assert_string_equal(s, "{\"id\":-9223372036854775808,\"error\":"
			       "{\"code\":-32001,\"message\":\"Server "
			       "overloaded; retry later.\"}}");
	free(s);
	rpc_msg_release(&m);
}

static void
test_rpc_string_ids_are_echoed(void **state)
{
	struct rpc_msg m;
	char *s;

	(void)state;
	parse("{\"id\":\"req-1\",\"method\":\"x\"}", &m);
	s = rpc_error(m.id, RPC_INVALID_REQUEST, RPC_MSG_NOT_INITIALIZED);
	assert_string_equal(s, "{\"id\":\"req-1\",\"error\":{\"code\":-32600,"
			       "\"message\":\"Not initialized\"}}");
	free(s);
	rpc_msg_release(&m);
}

static void
test_rpc_notification_has_no_jsonrpc_member(void **state)
{
	char *s;

	(void)state;
	s = rpc_notification("network/blocked", json_pack("{s:s}", "host",
							    "a.example"));
	assert_string_equal(s, "{\"method\":\"network/blocked\",\"params\":"
			       "{\"host\":\"a.example\"}}");
	free(s);
	s = rpc_notification("x", NULL);
	assert_string_equal(s, "{\"method\":\"x\"}");
	free(s);
}

static void
test_rpc_server_request_and_its_response(void **state)
{
	json_t *id = json_string("net-1");
	struct rpc_msg m;
	char *s;

	(void)state;
	s = rpc_request(id, "network/approval",
			json_pack("{s:s}", "host", "a.example"));
	assert_string_equal(s, "{\"id\":\"net-1\",\"method\":"
			       "\"network/approval\",\"params\":{\"host\":"
			       "\"a.example\"}}");
	free(s);
	json_decref(id);
	/* The client's answer parses as a response to that id. */
	s = "{\"id\":\"net-1\",\"result\":{\"decision\":\"deny\"}}";
	rpc_parse(s, strlen(s), &m);
	assert_int_equal(m.kind, RPC_RESPONSE);
	assert_string_equal(json_string_value(m.id), "net-1");
	rpc_msg_release(&m);
}

static void
test_rpc_client_name_must_be_a_header_value(void **state)
{
	char *s;

	(void)state;
	assert_true(rpc_header_value_ok("codex-tui"));
	assert_true(rpc_header_value_ok("My Client\t2"));
	assert_false(rpc_header_value_ok(""));
	assert_false(rpc_header_value_ok(" lead"));
	assert_false(rpc_header_value_ok("trail "));
	assert_false(rpc_header_value_ok("new\nline"));
	assert_false(rpc_header_value_ok("caf\xc3\xa9"));
	s = rpc_bad_client_name("a\nb");
	assert_string_equal(s, "Invalid clientInfo.name: 'a\nb'. Must be a "
			       "valid HTTP header value.");
	free(s);
}

static void
test_rpc_params_helpers_check_types_and_ranges(void **state)
{
	json_t *p = json_pack("{s:s,s:i,s:b,s:[s,i],s:n}", "s", "v", "i", 5,
			      "b", 1, "a", "x", 2, "z");
	const char *s = NULL;
	json_int_t i = 0;
	bool b = false;
	json_t *a = NULL;
	char why[RPC_WHY_MAX];

	(void)state;
	assert_int_equal(rpc_param_str(p, "s", &s, why), 0);
	assert_string_equal(s, "v");
	assert_int_equal(rpc_param_int(p, "i", 0, 10, &i, why), 0);
	assert_int_equal(i, 5);
	assert_int_equal(rpc_param_int(p, "i", 6, 10, &i, why), -1);
	assert_string_equal(why, "i must be between 6 and 10");
	assert_int_equal(rpc_param_bool(p, "b", &b, why), 0);
	assert_true(b);
	assert_int_equal(rpc_param_str(p, "i", &s, why), -1);
	assert_string_equal(why, "i must be a string");
	assert_int_equal(rpc_param_strv(p, "a", &a, why), -1);
	assert_int_equal(rpc_param_str(p, "z", &s, why), 0); /* null = absent */
	assert_int_equal(rpc_param_str(NULL, "s", &s, why), 0);
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc_request_without_jsonrpc_member_is_a_request),
		cmocka_unit_test(test_rpc_method_without_id_is_a_notification),
		cmocka_unit_test(test_rpc_result_or_error_with_id_is_a_response),
		cmocka_unit_test(test_rpc_unusable_messages_are_bad),
		cmocka_unit_test(test_rpc_int64_ids_are_echoed_exactly),
		cmocka_unit_test(test_rpc_string_ids_are_echoed),
		cmocka_unit_test(test_rpc_notification_has_no_jsonrpc_member),
		cmocka_unit_test(test_rpc_server_request_and_its_response),
		cmocka_unit_test(test_rpc_client_name_must_be_a_header_value),
		cmocka_unit_test(test_rpc_params_helpers_check_types_and_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
