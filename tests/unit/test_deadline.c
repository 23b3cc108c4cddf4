/* test_deadline.c — the one table of connection deadlines
 * (proxy/deadline.h): what each wait allows, and that a wait without a
 * deadline (a decision, a question to a person) stops the timer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <uv.h>

#include "proxy/deadline.h"

static struct proxy_state
state(void)
{
	struct proxy_state s;

	memset(&s, 0, sizeof(s));
	s.header_timeout_ms = 30000;
	s.keepalive_timeout_ms = 60000;
	s.connect_timeout_ms = 10000;
	s.idle_timeout_ms = 300000;
	return s;
}

static void
test_deadline_table(void **st)
{
	struct proxy_state s = state();

	(void)st;
	assert_int_equal(deadline_ms(DL_HEAD, &s), 30000);
	assert_int_equal(deadline_ms(DL_KEEPALIVE, &s), 60000);
	assert_int_equal(deadline_ms(DL_CONNECT, &s), 21000);
	assert_int_equal(deadline_ms(DL_TRANSFER, &s), 300000);
	/* The decision bounds itself: nothing of ours may cut it short. */
	assert_int_equal(deadline_ms(DL_DECIDE, &s), 0);
	assert_int_equal(deadline_ms(DL_APPROVAL, &s), 0);
	assert_int_equal(deadline_ms(DL_CLIENT_TLS, &s), 0);
	assert_int_equal(deadline_ms(DL_NONE, &s), 0);
}

static int fired;

static void
fire(void *arg)
{
	(void)arg;
	fired++;
}

static void
released(void *arg)
{
	*(int *)arg = 1;
}

static void
test_deadline_decide_stops_the_timer_and_head_fires(void **st)
{
	struct proxy_state s = state();
	struct deadline d;
	uv_loop_t loop;
	int gone = 0;

	(void)st;
	uv_loop_init(&loop);
	deadline_init(&d, &loop);
	s.header_timeout_ms = 1;
	deadline_set(&d, DL_HEAD, &s, fire, NULL);
	assert_true(uv_is_active((uv_handle_t *)d.timer));
	deadline_set(&d, DL_DECIDE, &s, fire, NULL);
	assert_false(uv_is_active((uv_handle_t *)d.timer));
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(fired, 0);
	deadline_set(&d, DL_HEAD, &s, fire, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(fired, 1);
	deadline_release(&d, released, &gone);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(gone, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_table),
		cmocka_unit_test(test_deadline_decide_stops_the_timer_and_head_fires),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
