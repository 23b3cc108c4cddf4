/* test_resolve.c — the event-loop resolver: results, failures, deadlines
 * and cancellation, each on a real loop bounded by a guard timer.
 *
 * Deadlines are made deterministic without timing luck: this binary
 * interposes getaddrinfo (the resolver's pool threads call ours), and the
 * name `gate.test` blocks inside it until the test opens the gate. With
 * the pool cut to one thread (resolve_pool_limits), a gated lookup is
 * "running, cannot be cancelled", and any lookup started after it is
 * "queued, can be cancelled". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/resolve.h"

#define GUARD_MS 5000
#define GATE_HOST "gate.test"

/* --- the gate ------------------------------------------------------------ */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int gate_inside;		/* lookups currently held at the gate */
static int gate_calls;		/* getaddrinfo calls for the gated name */

typedef int gai_fn(const char *, const char *, const struct addrinfo *,
		   struct addrinfo **);

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res);

int
getaddrinfo(const char *node, const char *service,
	    const struct addrinfo *hints, struct addrinfo **res)
{
	static gai_fn *real;

	if (node != NULL && strcmp(node, GATE_HOST) == 0) {
		pthread_mutex_lock(&gate_mu);
		gate_inside++;
		gate_calls++;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		gate_inside--;
		pthread_mutex_unlock(&gate_mu);
		return EAI_NONAME;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	return real(node, service, hints, res);
}

static void
gate_close(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = 0;
	pthread_mutex_unlock(&gate_mu);
}

static void
gate_release(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* Waits (bounded) until a lookup sits at the gate. */
static int
gate_wait_entered(void)
{
	struct timespec ts;
	int rc = 0;

	/* The monotonic clock: a step of the wall clock must not end the
	 * wait early. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += GUARD_MS / 1000;
	pthread_mutex_lock(&gate_mu);
	while (gate_inside == 0 && rc == 0)
		rc = pthread_cond_clockwait(&gate_cv, &gate_mu,
					    CLOCK_MONOTONIC, &ts);
	rc = gate_inside > 0;
	pthread_mutex_unlock(&gate_mu);
	return rc;
}

/* --- harness ------------------------------------------------------------- */

struct seen {
	int calls;
	int status;
	struct resolve_result res;
	char why[512];
	struct resolve_req *self;	/* to cancel from inside cb */
	int cancel_inside;
	int release_gate;		/* open the gate from inside cb */
};

static void
on_resolved(void *arg, int status, const struct resolve_result *res,
	    const char *why)
{
	struct seen *s = arg;

	s->calls++;
	s->status = status;
	if (res != NULL)
		s->res = *res;
	if (why != NULL)
		snprintf(s->why, sizeof(s->why), "%s", why);
	if (s->cancel_inside)
		resolve_cancel(s->self);
	if (s->release_gate)
		gate_release();
}

static void
guard_fired(uv_timer_t *t)
{
	*(int *)t->data = 1;
	gate_release();		/* let a stuck pool thread go */
	uv_stop(t->loop);
}

/* Runs the loop until nothing is left, failing after GUARD_MS. */
static void
run_bounded(uv_loop_t *loop)
{
	uv_timer_t guard;
	int fired = 0;

	uv_timer_init(loop, &guard);
	guard.data = &fired;
	uv_timer_start(&guard, guard_fired, GUARD_MS, 0);
	uv_unref((uv_handle_t *)&guard);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_false(fired);
}

static int
setup(void **state)
{
	uv_loop_t *loop = malloc(sizeof(*loop));

	if (loop == NULL || uv_loop_init(loop) != 0)
		return -1;
	gate_close();
	pthread_mutex_lock(&gate_mu);
	gate_calls = 0;
	pthread_mutex_unlock(&gate_mu);
	resolve_pool_limits(0, 0, -1);
	*state = loop;
	return 0;
}

/* Every test must leave the loop empty: nothing leaked on it. */
static int
teardown(void **state)
{
	uv_loop_t *loop = *state;
	int rc = uv_loop_close(loop);

	free(loop);
	return rc == 0 ? 0 : -1;
}

static int
is_loopback(const struct sockaddr_storage *a)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;

	if (a->ss_family == AF_INET)
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	return a->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
}

static uint16_t
port_of(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

/* --- tests --------------------------------------------------------------- */

static void
test_resolve_localhost_gives_loopback_addresses_with_port(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };
	size_t i;

	resolve_start(loop, "localhost", 8080, 2000, on_resolved, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 0);
	assert_true(s.res.n >= 1 && s.res.n <= RESOLVE_MAX_ADDRS);
	for (i = 0; i < s.res.n; i++) {
		assert_true(is_loopback(&s.res.addrs[i]));
		assert_int_equal(port_of(&s.res.addrs[i]), 8080);
	}
}

static void
test_resolve_ip_literal_gives_that_address_once(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };
	char text[64];

	resolve_start(loop, "::1", 443, 2000, on_resolved, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 0);
	assert_int_equal(s.res.n, 1);
	assert_string_equal(resolve_addr_str(&s.res.addrs[0], text,
					     sizeof(text)), "::1");
}

static void
test_resolve_nonexistent_name_fails_with_could_not_resolve(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };
	const char *want = "could not resolve host nonexistent.invalid: ";

	resolve_start(loop, "nonexistent.invalid", 80, 2000, on_resolved, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, -1);
	assert_memory_equal(s.why, want, strlen(want));
	assert_true(strlen(s.why) > strlen(want));
}

static void
test_resolve_deadline_passes_while_lookup_runs(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };

	/* The lookup is stuck in getaddrinfo, so uv_cancel cannot take it
	 * back; cb reports the timeout and opens the gate, and the late
	 * completion must free the request without calling cb again. */
	s.release_gate = 1;
	resolve_start(loop, GATE_HOST, 80, 20, on_resolved, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, -1);
	assert_string_equal(s.why, "could not resolve host gate.test: "
				   "timed out after 20 ms");
}

static void
test_resolve_deadline_cancels_a_queued_lookup(void **state)
{
	uv_loop_t *loop = *state;
	struct seen blocker = { 0 };
	struct seen queued = { 0 };

	resolve_pool_limits(1, 0, -1);

	/* The gated lookup holds the only pool thread; the second one waits
	 * in the queue, where its deadline's uv_cancel does take it back. */
	blocker.self = resolve_start(loop, GATE_HOST, 80, GUARD_MS,
				     on_resolved, &blocker);
	assert_true(gate_wait_entered());
	queued.release_gate = 1;
	resolve_start(loop, "localhost", 80, 10, on_resolved, &queued);
	run_bounded(loop);
	assert_int_equal(queued.calls, 1);
	assert_int_equal(queued.status, -1);
	assert_string_equal(queued.why, "could not resolve host localhost: "
					"timed out after 10 ms");
	/* The blocker, let go by the gate, fails normally. */
	assert_int_equal(blocker.calls, 1);
	assert_int_equal(blocker.status, -1);
}

static void
test_resolve_cancel_before_completion_never_calls_back(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };
	struct resolve_req *r;

	r = resolve_start(loop, "localhost", 80, 2000, on_resolved, &s);
	resolve_cancel(r);
	run_bounded(loop);
	assert_int_equal(s.calls, 0);
}

static void
test_resolve_cancel_while_lookup_runs_never_calls_back(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };
	struct resolve_req *r;

	r = resolve_start(loop, GATE_HOST, 80, 2000, on_resolved, &s);
	assert_true(gate_wait_entered());
	resolve_cancel(r);
	gate_release();
	run_bounded(loop);
	assert_int_equal(s.calls, 0);
}

static void
test_resolve_cancel_queued_lookup_never_calls_back(void **state)
{
	uv_loop_t *loop = *state;
	struct seen blocker = { 0 };
	struct seen s = { 0 };
	struct resolve_req *r;

	resolve_pool_limits(1, 0, -1);

	resolve_start(loop, GATE_HOST, 80, GUARD_MS, on_resolved, &blocker);
	assert_true(gate_wait_entered());
	r = resolve_start(loop, "localhost", 80, 2000, on_resolved, &s);
	resolve_cancel(r);
	gate_release();
	run_bounded(loop);
	assert_int_equal(s.calls, 0);
	assert_int_equal(blocker.calls, 1);
}

static void
test_resolve_cancel_inside_callback_is_harmless(void **state)
{
	uv_loop_t *loop = *state;
	struct seen ok = { 0 };
	struct seen late = { 0 };

	ok.cancel_inside = 1;
	ok.self = resolve_start(loop, "localhost", 80, 2000, on_resolved, &ok);
	late.cancel_inside = 1;
	late.release_gate = 1;
	late.self = resolve_start(loop, GATE_HOST, 80, 20, on_resolved, &late);
	run_bounded(loop);
	assert_int_equal(ok.calls, 1);
	assert_int_equal(ok.status, 0);
	assert_int_equal(late.calls, 1);
	assert_int_equal(late.status, -1);
}

static void
test_resolve_negative_timeout_uses_the_default(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };

	resolve_start(loop, "127.0.0.1", 80, -1, on_resolved, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 0);
}

/* Issue 9 item 15: a name that never answers must not delay the others
 * (libuv's four shared threads let eight of them starve every lookup). */
static void
test_resolve_stuck_lookups_do_not_delay_another(void **state)
{
	uv_loop_t *loop = *state;
	struct seen stuck[8];
	struct seen ok = { 0 }, warm = { 0 };
	size_t i;

	/* One thread idle in the pool first: a woken idle thread must not
	 * be counted on for more than one of the lookups that follow. */
	resolve_start(loop, "localhost", 80, 2000, on_resolved, &warm);
	run_bounded(loop);
	assert_int_equal(warm.status, 0);
	memset(stuck, 0, sizeof(stuck));
	for (i = 0; i < 8; i++)
		resolve_start_for(loop, GATE_HOST, (uint16_t)(1 + i), GUARD_MS,
				  "10.0.0.1", on_resolved, &stuck[i]);
	assert_true(gate_wait_entered());
	ok.release_gate = 1;
	resolve_start_for(loop, "localhost", 80, 2000, "10.0.0.1", on_resolved,
			  &ok);
	run_bounded(loop);
	assert_int_equal(ok.calls, 1);
	assert_int_equal(ok.status, 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(stuck[i].calls, 1);
}

static void
test_resolve_identical_lookups_share_one_call(void **state)
{
	uv_loop_t *loop = *state;
	struct seen a = { 0 }, b = { 0 };

	resolve_start_for(loop, GATE_HOST, 80, GUARD_MS, "x", on_resolved, &a);
	assert_true(gate_wait_entered());
	resolve_start_for(loop, GATE_HOST, 80, GUARD_MS, "y", on_resolved, &b);
	gate_release();
	run_bounded(loop);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.status, -1);
	assert_int_equal(b.status, -1);
	assert_int_equal(gate_calls, 1);
}

static void
test_resolve_client_cap_refuses_at_once(void **state)
{
	uv_loop_t *loop = *state;
	struct seen held[2], over = { 0 }, other = { 0 };

	memset(held, 0, sizeof(held));
	resolve_pool_limits(8, 2, -1);
	resolve_start_for(loop, GATE_HOST, 1, GUARD_MS, "a", on_resolved,
			  &held[0]);
	resolve_start_for(loop, GATE_HOST, 2, GUARD_MS, "a", on_resolved,
			  &held[1]);
	resolve_start_for(loop, "localhost", 80, GUARD_MS, "a", on_resolved,
			  &over);
	other.release_gate = 1;
	resolve_start_for(loop, "localhost", 80, GUARD_MS, "b", on_resolved,
			  &other);
	run_bounded(loop);
	assert_int_equal(over.calls, 1);
	assert_int_equal(over.status, -1);
	assert_string_equal(over.why, "could not resolve host localhost: "
				      "too many lookups in flight (2 for this "
				      "client)");
	assert_int_equal(other.calls, 1);
	assert_int_equal(other.status, 0);
}

static void
test_resolve_abandoned_lookup_stops_counting_against_its_client(void **state)
{
	uv_loop_t *loop = *state;
	struct seen gone = { 0 }, next = { 0 };

	/* Two threads, one lookup per client, write-off at once: the stuck
	 * lookup times out, and the client may look up another name while
	 * the first still holds its thread. */
	resolve_pool_limits(2, 1, 0);
	resolve_start_for(loop, GATE_HOST, 80, 20, "a", on_resolved, &gone);
	assert_true(gate_wait_entered());
	run_bounded(loop);
	assert_int_equal(gone.calls, 1);
	assert_string_equal(gone.why, "could not resolve host gate.test: "
				      "timed out after 20 ms");
	next.release_gate = 1;
	resolve_start_for(loop, "localhost", 80, 2000, "a", on_resolved, &next);
	run_bounded(loop);
	assert_int_equal(next.calls, 1);
	assert_int_equal(next.status, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_resolve_localhost_gives_loopback_addresses_with_port),
		T(test_resolve_ip_literal_gives_that_address_once),
		T(test_resolve_nonexistent_name_fails_with_could_not_resolve),
		T(test_resolve_deadline_passes_while_lookup_runs),
		T(test_resolve_deadline_cancels_a_queued_lookup),
		T(test_resolve_cancel_before_completion_never_calls_back),
		T(test_resolve_cancel_while_lookup_runs_never_calls_back),
		T(test_resolve_cancel_queued_lookup_never_calls_back),
		T(test_resolve_cancel_inside_callback_is_harmless),
		T(test_resolve_negative_timeout_uses_the_default),
		T(test_resolve_stuck_lookups_do_not_delay_another),
		T(test_resolve_identical_lookups_share_one_call),
		T(test_resolve_client_cap_refuses_at_once),
		T(test_resolve_abandoned_lookup_stops_counting_against_its_client),
	};

	/* nonexistent.invalid goes to the real resolver; with no reachable
	 * name server a lookup could outlive the guard (glibc's default is
	 * 5 s a try), so bound it. */
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
