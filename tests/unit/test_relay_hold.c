/* test_relay_hold.c — holding the client's first bytes until a judge
 * decides, and which path (splice or copy) a relay takes, over real
 * loopback sockets (relay_fixture.h).
 *
 * The hold tests run twice, on the splice and on the copy path; a group of
 * its own checks which path is taken. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "net/relay.h"
#include "net/relay_int.h"	/* relay_splice_pool_flush */

#include "relay_fixture.h"

/* --- holding the client's first bytes ------------------------------------ */

struct judge {
	size_t pass_at;		/* PASS once this many bytes are held */
	size_t refuse_at;	/* REFUSE once this many are held */
	int calls;
	size_t last_n;
	char first[8];
};

static int
judge_fn(void *arg, const char *p, size_t n)
{
	struct judge *j = arg;

	j->calls++;
	j->last_n = n;
	memcpy(j->first, p, n < sizeof(j->first) ? n : sizeof(j->first));
	if (j->refuse_at != 0 && n >= j->refuse_at)
		return RELAY_HOLD_REFUSE;
	if (j->pass_at != 0 && n >= j->pass_at)
		return RELAY_HOLD_PASS;
	return RELAY_HOLD_MORE;
}

static void
test_relay_hold_passed_relays_everything_in_order(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 4u * 1024 * 1024;
	struct judge j = { .pass_at = 100 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	f->hold = &h;
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, "GET ", NULL, 5000);
	run_bounded(&f->loop);
	assert_true(j.calls >= 1);
	assert_memory_equal(j.first, "GET ", 4);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->backend.received, total + 4);
	assert_memory_equal(f->backend.head, "GET ", 4);
	assert_int_equal(f->client.received, total + 4);
	assert_int_equal(f->st.up, total + 4);
}

static void
test_relay_hold_refused_sends_nothing_on(void **state)
{
	struct fix *f = *state;
	struct judge j = { .refuse_at = 3 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	f->hold = &h;
	f->client.to_send = 1000;
	fix_start(f, NULL, "HTTP/1.1 200 OK\r\n\r\n", 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_EACCES);
	assert_int_equal(f->backend.received, 0);
	assert_int_equal(f->st.up, 0);
	assert_true(f->client.eof || f->client.closed);
}

/* The server's bytes are not held: a protocol where the server speaks
 * first goes on while the client's first bytes wait for a verdict; the
 * hold's own deadline then ends a client that never completes them. */
static void
test_relay_hold_lets_the_server_speak_and_has_a_deadline(void **state)
{
	struct fix *f = *state;
	struct judge j = { 0 };
	struct relay_hold h = { judge_fn, &j, 4096, 50 };

	f->hold = &h;
	f->backend.to_send = 5;
	f->client.to_send = 2;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_ETIMEDOUT);
	assert_int_equal(f->client.received, 5);
	assert_int_equal(f->backend.received, 0);
	assert_int_equal(j.last_n, 2);
}

static void
test_relay_hold_full_and_undecided_is_refused(void **state)
{
	struct fix *f = *state;
	struct judge j = { 0 };
	struct relay_hold h = { judge_fn, &j, 16, 5000 };

	f->hold = &h;
	f->client.to_send = 100;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_EACCES);
	assert_int_equal(j.last_n, 16);
	assert_int_equal(f->backend.received, 0);
}

/* A client that closes without sending is not judged: the server's
 * answer to that EOF still arrives. */
static void
test_relay_hold_client_sending_nothing_is_not_judged(void **state)
{
	struct fix *f = *state;
	struct judge j = { 0 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	f->hold = &h;
	f->client.shut_after_send = 1;
	f->backend.reply_on_eof = "pong";
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(j.calls, 0);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_memory_equal(f->client.head, "pong", 4);
}

/* --- which path ---------------------------------------------------------- */

static void
test_relay_splices_between_tcp_sockets(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 1024 * 1024;

	relay_force_copy(false);
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, "GET ", "HTTP/1.1 200 OK\r\n", 5000);
	run_bounded(&f->loop);
	assert_true(f->backend.saw_splice);
	assert_true(f->client.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total + 4);
	assert_int_equal(f->st.down, total + 4 + 17);
}

static void
test_relay_force_copy_keeps_tcp_sockets_on_the_copy_path(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 1024 * 1024;

	relay_force_copy(true);
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	relay_force_copy(false);
	assert_false(f->backend.saw_splice);
	assert_false(f->client.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total);
	assert_int_equal(f->st.down, total);
}

static void
test_relay_hold_passed_moves_to_splice(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 1024 * 1024;
	struct judge j = { .pass_at = 4 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	relay_force_copy(false);
	f->hold = &h;
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, "GET ", "HTTP/1.1 200 OK\r\n", 5000);
	run_bounded(&f->loop);
	assert_true(f->backend.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total + 4);
	assert_int_equal(f->st.down, total + 4 + 17);
	assert_true(f->client.h_recv != FNV_INIT);
}

/* With the fd table full, a spliced relay gets no pipe: each direction
 * falls back to a buffer (recv/send) and still delivers everything. */
static void
test_relay_without_pipes_still_relays_everything(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 4u * 1024 * 1024;
	struct rlimit old, low;
	int next;

	relay_force_copy(false);
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, NULL, NULL, 5000);
	relay_splice_pool_flush();
	next = dup(0);
	assert_true(next >= 0);
	close(next);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)next;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	run_bounded(&f->loop);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(f->backend.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total);
	assert_int_equal(f->st.down, total);
	assert_true(f->client.h_recv == f->client.h_sent);
}

int
main(void)
{
	const struct CMUnitTest paths[] = {
		T(test_relay_splices_between_tcp_sockets),
		T(test_relay_force_copy_keeps_tcp_sockets_on_the_copy_path),
		T(test_relay_without_pipes_still_relays_everything),
		T(test_relay_hold_passed_moves_to_splice),
	};
	const struct CMUnitTest tests[] = {
		T(test_relay_hold_passed_relays_everything_in_order),
		T(test_relay_hold_refused_sends_nothing_on),
		T(test_relay_hold_lets_the_server_speak_and_has_a_deadline),
		T(test_relay_hold_full_and_undecided_is_refused),
		T(test_relay_hold_client_sending_nothing_is_not_judged),
	};

	int failed = 0;

	/* As in the proxy: a write to a reset peer must fail, not kill. */
	signal(SIGPIPE, SIG_IGN);
	failed += cmocka_run_group_tests_name("relay paths", paths, NULL,
					      group_end);
	failed += cmocka_run_group_tests_name("relay hold splice", tests,
					      group_splice, group_end);
	failed += cmocka_run_group_tests_name("relay hold copy", tests,
					      group_copy, group_end);
	return failed;
}
