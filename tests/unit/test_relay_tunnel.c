/* test_relay_tunnel.c — the tunnel copy over real loopback sockets
 * (relay_fixture.h): 10 MB both ways, half close, bytes read earlier,
 * idle timeout, stop, reset and backpressure.
 *
 * The suite runs twice: as the proxy runs it (TCP pairs take the splice
 * path) and with relay_force_copy(true) (the libuv read/write path that
 * non-TCP streams take). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/relay.h"

#include "relay_fixture.h"

/* --- tests --------------------------------------------------------------- */

static void
test_relay_echoes_10mb_both_ways_intact(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 10u * 1024 * 1024;

	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total);
	assert_int_equal(f->st.down, total);
	assert_int_equal(f->backend.received, total);
	assert_int_equal(f->client.received, total);
	assert_true(f->client.h_recv == f->client.h_sent);
	assert_true(f->backend.h_recv == f->client.h_sent);
	assert_true(f->client.closed && f->backend.closed);
}

static void
test_relay_half_close_still_delivers_the_reply(void **state)
{
	struct fix *f = *state;

	/* The client sends 4 bytes and shuts down its write side at once;
	 * the backend answers only after it has seen that EOF. */
	f->client.to_send = 4;
	f->client.shut_after_send = 1;
	f->backend.reply_on_eof = "pong";
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->backend.received, 4);
	assert_true(f->backend.eof);
	assert_int_equal(f->client.received, 4);
	assert_memory_equal(f->client.head, "pong", 4);
	assert_true(f->client.eof);
	assert_int_equal(f->st.up, 4);
	assert_int_equal(f->st.down, 4);
}

static void
test_relay_sends_bytes_read_earlier_first(void **state)
{
	struct fix *f = *state;

	f->client.shut_after_send = 1;
	f->client.to_send = 3;
	fix_start(f, "GET ", "HTTP/1.1 200 OK\r\n", 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->backend.received, 7);
	assert_memory_equal(f->backend.head, "GET ", 4);
	assert_memory_equal(f->client.head, "HTTP/1.1 200 OK\r\n", 17);
	assert_int_equal(f->st.up, 7);
	assert_int_equal(f->st.down, 17);
}

static void
test_relay_idle_timeout_closes_both_sides(void **state)
{
	struct fix *f = *state;

	fix_start(f, NULL, NULL, 30);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_ETIMEDOUT);
	assert_true(f->client.eof && f->backend.eof);
	assert_int_equal(f->st.up, 0);
	assert_int_equal(f->st.down, 0);
}

static void
test_relay_stop_closes_both_sides_and_reports_once(void **state)
{
	struct fix *f = *state;

	/* The client stops the relay from its read callback as soon as the
	 * backend's greeting arrived; the tunnel is otherwise idle. */
	f->backend.to_send = 100;
	f->client.stop_at = 100;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->client.received, 100);
	assert_int_equal(f->st.down, 100);
	assert_true(f->client.eof && f->backend.eof);
}

static void
test_relay_peer_reset_ends_the_tunnel_with_an_error(void **state)
{
	struct fix *f = *state;

	f->client.to_send = 10;
	f->backend.reset_on_read = 1;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->st.error < 0);
	assert_true(f->st.error != UV_ETIMEDOUT);
	assert_true(f->client.closed);
}

/* Backpressure: the backend does not read. Once the kernel buffers are
 * full, the relay's queue towards the backend passes the high-water mark
 * and the relay must stop reading the client, so the client's own writes
 * stall. A sampler notices the stall (no progress for a while: a trigger,
 * not an assertion), then lets the backend read everything. */
struct bp {
	struct fix *f;
	uv_timer_t t;
	uint64_t last_acked;
	int quiet_ticks;
	int stalled;
	uint64_t acked_at_stall;
};

static void
bp_tick(uv_timer_t *t)
{
	struct bp *b = t->data;
	struct fix *f = b->f;

	note_queue(&f->client);
	if (f->client.acked != b->last_acked) {
		b->last_acked = f->client.acked;
		b->quiet_ticks = 0;
		return;
	}
	if (++b->quiet_ticks < 20)
		return;
	b->stalled = 1;
	b->acked_at_stall = f->client.acked;
	f->backend.no_read = 0;
	uv_read_start((uv_stream_t *)&f->backend.tcp, peer_alloc, peer_read);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_relay_stops_reading_a_sender_whose_receiver_does_not_read(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 16u * 1024 * 1024;
	struct bp b = { 0 };

	f->small_buffers = 1;
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.no_read = 1;
	fix_start(f, NULL, NULL, 5000);
	b.f = f;
	b.t.data = &b;
	uv_timer_init(&f->loop, &b.t);
	uv_timer_start(&b.t, bp_tick, 5, 5);
	run_bounded(&f->loop);
	assert_true(b.stalled);
	assert_true(b.acked_at_stall < total / 2);
	assert_true(f->max_queued > 0);
	/* What the relay holds: in the copy path one read beyond the
	 * high-water mark; in the splice path the one pipe of this
	 * direction (it reads only into an empty pipe). Either way the
	 * sockets' kernel buffers hold the rest, outside the relay. */
	if (f->backend.saw_splice)
		assert_true(f->max_queued <= RELAY_PIPE_SIZE);
	else
		assert_true(f->max_queued <= RELAY_HIGH_WATER + RELAY_READ_SIZE);
	/* After the receiver woke up, everything arrived, in order. */
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->backend.received, total);
	assert_true(f->backend.h_recv == f->client.h_sent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_relay_echoes_10mb_both_ways_intact),
		T(test_relay_half_close_still_delivers_the_reply),
		T(test_relay_sends_bytes_read_earlier_first),
		T(test_relay_idle_timeout_closes_both_sides),
		T(test_relay_stop_closes_both_sides_and_reports_once),
		T(test_relay_peer_reset_ends_the_tunnel_with_an_error),
		T(test_relay_stops_reading_a_sender_whose_receiver_does_not_read),
	};

	int failed = 0;

	/* As in the proxy: a write to a reset peer must fail, not kill. */
	signal(SIGPIPE, SIG_IGN);
	failed += cmocka_run_group_tests_name("relay splice", tests,
					      group_splice, group_end);
	failed += cmocka_run_group_tests_name("relay copy", tests, group_copy,
					      group_end);
	return failed;
}
