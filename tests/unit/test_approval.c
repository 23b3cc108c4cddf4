/* test_approval.c — the approval broker (proxy/approval.h) on a real
 * loop, and the approvals file it writes (config/approvals.h): one ask
 * per key however many requests wait on it, the first answer winning,
 * timeouts, session memory, persistence, askers coming and going. No test
 * depends on timing: timeouts are short and nobody answers them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "config/approvals.h"
#include "lib/errbuf.h"
#include "lib/fdutil.h"
#include "proxy/approval.h"

#define MAX_SEEN 64

/* --- a recording asker and waiters --------------------------------------- */

struct asker_log {
	uint64_t asked[MAX_SEEN];
	char hosts[MAX_SEEN][64];
	size_t nasked;
	uint64_t resolved[MAX_SEEN];
	enum approval_answer how[MAX_SEEN];
	size_t nresolved;
};

static void
rec_ask(void *arg, const struct approval_request *rq)
{
	struct asker_log *l = arg;

	assert_true(l->nasked < MAX_SEEN);
	snprintf(l->hosts[l->nasked], sizeof(l->hosts[0]), "%s", rq->host);
	l->asked[l->nasked++] = rq->id;
}

static void
rec_resolved(void *arg, uint64_t id, enum approval_answer a, const char *by)
{
	struct asker_log *l = arg;

	assert_non_null(by);
	assert_true(l->nresolved < MAX_SEEN);
	l->how[l->nresolved] = a;
	l->resolved[l->nresolved++] = id;
}

static const struct approval_asker_ops rec_ops = {rec_ask, rec_resolved};

struct waiter {
	bool done;
	enum approval_answer answer;
	char by[128];
	bool remembered;
};

static void
on_done(void *arg, const struct approval_outcome *o)
{
	struct waiter *w = arg;

	assert_false(w->done);
	w->done = true;
	w->answer = o->answer;
	w->remembered = o->remembered;
	snprintf(w->by, sizeof(w->by), "%s", o->answered_by);
}

/* --- fixture -------------------------------------------------------------- */

struct fx {
	uv_loop_t loop;
	char home[64];
	struct approval_broker *b;
	struct asker_log log;
	struct approval_asker *asker;
};

static struct approval_request
req(const char *protocol, const char *host, int port, uint64_t timeout_ms)
{
	struct approval_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.protocol = protocol;
	rq.host = host;
	rq.port = port;
	rq.method = "GET";
	rq.reason = "not_allowed";
	rq.timeout_ms = timeout_ms;
	return rq;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct approval_broker_opts o = {0};

	uv_loop_init(&f->loop);
	snprintf(f->home, sizeof(f->home), "/tmp/airlock-approval-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	o.home = f->home;
	o.wait_for_asker = true;
	f->b = approval_broker_new(&f->loop, &o);
	f->asker = approval_asker_add(f->b, &rec_ops, &f->log);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char path[128];

	approval_asker_remove(f->b, f->asker);
	approval_broker_close(f->b);
	approval_broker_unref(f->b);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	snprintf(path, sizeof(path), "%s/approvals.toml", f->home);
	unlink(path);
	snprintf(path, sizeof(path), "%s/approvals.lock", f->home);
	unlink(path);
	rmdir(f->home);
	free(f);
	return 0;
}

/* Asks and expects to wait. */
static struct approval_wait *
ask_wait(struct fx *f, const struct approval_request *rq, struct waiter *w)
{
	struct approval_outcome o;
	struct approval_wait *aw = NULL;

	assert_int_equal(approval_ask(f->b, rq, on_done, w, &aw, &o), 0);
	assert_non_null(aw);
	return aw;
}

/* Asks and expects an answer at once. */
static struct approval_outcome
ask_now(struct fx *f, const struct approval_request *rq)
{
	struct approval_outcome o;
	struct approval_wait *aw = NULL;
	struct waiter w = {0};

	assert_int_equal(approval_ask(f->b, rq, on_done, &w, &aw, &o), 1);
	assert_null(aw);
	assert_false(w.done);
	return o;
}

/* --- tests ---------------------------------------------------------------- */

static void
test_approval_requests_for_one_key_share_one_ask(void **state)
{
	struct fx *f = *state;
	struct approval_request rq = req("http", "a.example", 80, 60000);
	struct waiter w1 = {0}, w2 = {0}, w3 = {0};

	ask_wait(f, &rq, &w1);
	ask_wait(f, &rq, &w2);
	rq.port = 8080; /* another key */
	ask_wait(f, &rq, &w3);
	assert_int_equal(f->log.nasked, 2);
	assert_int_equal(approval_answer(f->b, f->log.asked[0],
					 APPROVAL_ALLOW_ONCE, "tester"), 0);
	assert_true(w1.done && w2.done);
	assert_false(w3.done);
	assert_int_equal(w1.answer, APPROVAL_ALLOW_ONCE);
	assert_int_equal(w2.answer, APPROVAL_ALLOW_ONCE);
	assert_string_equal(w1.by, "tester");
	assert_int_equal(f->log.nresolved, 1);
	assert_int_equal(f->log.resolved[0], f->log.asked[0]);
	approval_broker_close(f->b); /* w3 lives on this stack */
	assert_true(w3.done);
}

static void
test_approval_first_answer_wins(void **state)
{
	struct fx *f = *state;
	struct approval_request rq = req("https", "b.example", 443, 60000);
	struct waiter w = {0};

	ask_wait(f, &rq, &w);
	assert_int_equal(approval_answer(f->b, f->log.asked[0], APPROVAL_DENY,
					 "first"), 0);
	assert_int_equal(approval_answer(f->b, f->log.asked[0],
					 APPROVAL_ALLOW_SESSION, "second"),
			 -1);
	assert_int_equal(w.answer, APPROVAL_DENY);
	assert_string_equal(w.by, "first");
	/* Not a person's answer, and an unknown id: refused too. */
	assert_int_equal(approval_answer(f->b, 999, APPROVAL_DENY, "x"), -1);
}

static void
test_approval_unanswered_ask_times_out_and_is_not_remembered(void **state)
{
	struct fx *f = *state;
	struct approval_request rq = req("http", "c.example", 80, 5);
	struct waiter w = {0}, w2 = {0};

	ask_wait(f, &rq, &w);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_true(w.done);
	assert_int_equal(w.answer, APPROVAL_TIMEOUT);
	assert_int_equal(f->log.nresolved, 1);
	assert_int_equal(f->log.how[0], APPROVAL_TIMEOUT);
	ask_wait(f, &rq, &w2); /* asked again */
	assert_int_equal(f->log.nasked, 2);
	approval_answer(f->b, f->log.asked[1], APPROVAL_DENY, "t");
}

static void
test_approval_session_answers_are_remembered_once_is_not(void **state)
{
	struct fx *f = *state;
	struct approval_request a = req("http", "d.example", 80, 60000);
	struct approval_request d = req("http", "e.example", 80, 60000);
	struct approval_request o = req("http", "f.example", 80, 60000);
	struct approval_outcome out;
	struct waiter w[5] = {{0}};

	ask_wait(f, &a, &w[0]);
	ask_wait(f, &d, &w[1]);
	ask_wait(f, &o, &w[2]);
	approval_answer(f->b, f->log.asked[0], APPROVAL_ALLOW_SESSION, "p");
	approval_answer(f->b, f->log.asked[1], APPROVAL_DENY, "p");
	approval_answer(f->b, f->log.asked[2], APPROVAL_ALLOW_ONCE, "p");
	out = ask_now(f, &a);
	assert_int_equal(out.answer, APPROVAL_ALLOW_SESSION);
	assert_true(out.remembered);
	out = ask_now(f, &d);
	assert_int_equal(out.answer, APPROVAL_DENY);
	ask_wait(f, &o, &w[3]); /* once: asked again */
	assert_int_equal(f->log.nasked, 4);
	/* The key includes the protocol and the port. */
	a.protocol = "socks5_tcp";
	ask_wait(f, &a, &w[4]);
	assert_int_equal(f->log.nasked, 5);
	approval_broker_close(f->b);
}

static void
test_approval_always_is_written_and_covers_every_protocol(void **state)
{
	struct fx *f = *state;
	struct approval_request rq = req("https", "g.example", 443, 60000);
	struct approval_request v6 = req("http", "::1", 8080, 60000);
	struct approval_outcome out;
	struct approvals file;
	struct errbuf err;
	struct waiter w = {0}, w2 = {0};
	char *path = approvals_path(f->home);

	ask_wait(f, &rq, &w);
	approval_answer(f->b, f->log.asked[0], APPROVAL_ALLOW_ALWAYS, "p");
	ask_wait(f, &v6, &w2);
	approval_answer(f->b, f->log.asked[1], APPROVAL_DENY_ALWAYS, "p");
	rq.protocol = "socks5_tcp";
	out = ask_now(f, &rq);
	assert_int_equal(out.answer, APPROVAL_ALLOW_ALWAYS);
	errbuf_init(&err);
	assert_int_equal(approvals_load(path, &file, &err), 0);
	assert_int_equal(file.n_allow, 1);
	assert_string_equal(file.allow[0], "g.example:443");
	assert_int_equal(file.n_deny, 1);
	assert_string_equal(file.deny[0], "[::1]:8080");
	approvals_release(&file);
	errbuf_release(&err);
	free(path);
}

static void
test_approval_without_askers_is_not_asked_or_waits(void **state)
{
	struct fx *f = *state;
	struct approval_broker_opts o = {0};
	struct approval_request rq = req("http", "h.example", 80, 60000);
	struct approval_broker *b;
	struct approval_outcome out;
	struct approval_wait *aw;
	struct asker_log late = {0};
	struct approval_asker *k;
	struct waiter w = {0};

	o.no_asker_why = "no terminal";
	b = approval_broker_new(&f->loop, &o);
	assert_false(approval_can_ask(b));
	assert_int_equal(approval_ask(b, &rq, on_done, &w, &aw, &out), 1);
	assert_int_equal(out.answer, APPROVAL_NOT_ASKED);
	assert_string_equal(out.answered_by, "no terminal");
	approval_broker_unref(b);
	/* The fixture's broker waits for askers: one that comes late sees
	 * what is pending. */
	approval_asker_remove(f->b, f->asker);
	f->asker = NULL;
	ask_wait(f, &rq, &w);
	k = approval_asker_add(f->b, &rec_ops, &late);
	assert_int_equal(late.nasked, 1);
	assert_string_equal(late.hosts[0], "h.example");
	assert_int_equal(approval_answer(f->b, late.asked[0],
					 APPROVAL_ALLOW_ONCE, "late"), 0);
	assert_true(w.done);
	approval_asker_remove(f->b, k);
}

static void
test_approval_last_waiter_gone_cancels_the_ask(void **state)
{
	struct fx *f = *state;
	struct approval_request rq = req("http", "i.example", 80, 60000);
	struct approval_wait *a1, *a2;
	struct waiter w1 = {0}, w2 = {0};

	a1 = ask_wait(f, &rq, &w1);
	a2 = ask_wait(f, &rq, &w2);
	approval_wait_cancel(a1);
	assert_int_equal(f->log.nresolved, 0);
	approval_wait_cancel(a2);
	assert_int_equal(f->log.nresolved, 1);
	assert_int_equal(f->log.how[0], APPROVAL_CANCELLED);
	assert_false(w1.done || w2.done);
	assert_int_equal(approval_answer(f->b, f->log.asked[0],
					 APPROVAL_ALLOW_ONCE, "late"), -1);
}

static void
test_approval_pending_keys_are_capped(void **state)
{
	struct fx *f = *state;
	struct waiter w[APPROVAL_MAX_PENDING + 1] = {{0}};
	struct approval_outcome out;
	struct approval_request rq;
	char host[32];
	int i;

	for (i = 0; i < APPROVAL_MAX_PENDING; i++) {
		snprintf(host, sizeof(host), "h%d.example", i);
		rq = req("http", host, 80, 60000);
		ask_wait(f, &rq, &w[i]);
	}
	rq = req("http", "one-too-many.example", 80, 60000);
	out = ask_now(f, &rq);
	assert_int_equal(out.answer, APPROVAL_NOT_ASKED);
	assert_int_equal(f->log.nasked, APPROVAL_MAX_PENDING);
	/* A key already pending still takes waiters. */
	rq = req("http", "h0.example", 80, 60000);
	ask_wait(f, &rq, &w[APPROVAL_MAX_PENDING]);
	assert_int_equal(f->log.nasked, APPROVAL_MAX_PENDING);
	approval_broker_close(f->b);
}

static void
test_approval_close_cancels_waiters_and_refuses_new_asks(void **state)
{
	struct fx *f = *state;
	struct approval_request rq = req("http", "j.example", 80, 60000);
	struct approval_outcome out;
	struct waiter w = {0};

	ask_wait(f, &rq, &w);
	approval_broker_close(f->b);
	assert_true(w.done);
	assert_int_equal(w.answer, APPROVAL_CANCELLED);
	out = ask_now(f, &rq);
	assert_int_equal(out.answer, APPROVAL_NOT_ASKED);
	assert_false(approval_can_ask(f->b));
}

static void
test_approval_answer_names(void **state)
{
	enum approval_answer a;

	(void)state;
	assert_int_equal(approval_answer_parse("allow_session", &a), 0);
	assert_int_equal(a, APPROVAL_ALLOW_SESSION);
	assert_int_equal(approval_answer_parse("timeout", &a), -1);
	assert_int_equal(approval_answer_parse("ALLOW_ONCE", &a), -1);
	assert_string_equal(approval_answer_str(APPROVAL_DENY_ALWAYS),
			    "deny_always");
	assert_string_equal(approval_key_protocol("https_connect"), "https");
	assert_string_equal(approval_key_protocol("socks5_udp"), "socks5_udp");
	assert_true(approval_answer_allows(APPROVAL_ALLOW_ALWAYS));
	assert_false(approval_answer_allows(APPROVAL_TIMEOUT));
}

/* --- the approvals file --------------------------------------------------- */

#define K "k.example:443"

static void
test_approvals_file_add_moves_and_remove_counts(void **state)
{
	struct fx *f = *state;
	struct approvals a;
	struct errbuf err;
	struct stat st;
	size_t removed;
	char *path = approvals_path(f->home);

	errbuf_init(&err);
	assert_int_equal(approvals_add(f->home, false, K, &err), 0);
	assert_int_equal(approvals_add(f->home, false, K, &err), 0);
	assert_int_equal(approvals_add(f->home, true, "l.example:80", &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Denied now: it leaves the allow list. */
	assert_int_equal(approvals_add(f->home, true, K, &err), 0);
	assert_int_equal(approvals_load(path, &a, &err), 0);
	assert_int_equal(a.n_allow, 0);
	assert_int_equal(a.n_deny, 2);
	approvals_release(&a);
	assert_int_equal(approvals_remove(f->home, K, &removed, &err), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(approvals_remove(f->home, "nothing:1", &removed, &err),
			 0);
	assert_int_equal(removed, 0);
	assert_int_equal(approvals_load(path, &a, &err), 0);
	assert_int_equal(a.n_deny, 1);
	assert_string_equal(a.deny[0], "l.example:80");
	assert_int_equal(a.deny_line[0], 7);
	approvals_release(&a);
	assert_int_equal(err.count, 0);
	errbuf_release(&err);
	free(path);
}

static void
test_approvals_file_of_the_wrong_shape_is_refused(void **state)
{
	struct fx *f = *state;
	static const char bad[] =
		"[permissions.network]\nallowed_domains = [1]\n";
	struct approvals a;
	struct errbuf err;
	char *path = approvals_path(f->home);

	errbuf_init(&err);
	assert_int_equal(write_file_atomic(path, bad, strlen(bad), 0600, &err),
			 0);
	assert_int_equal(approvals_load(path, &a, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "allowed_domains[0]"));
	assert_int_equal(approvals_add(f->home, false, "x:1", &err), -1);
	errbuf_release(&err);
	free(path);
}

static void
test_approvals_entry_brackets_ipv6(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(approvals_entry("api.github.com", 443, out,
					 sizeof(out)), 0);
	assert_string_equal(out, "api.github.com:443");
	assert_int_equal(approvals_entry("fe80::1%eth0", 80, out, sizeof(out)),
			 0);
	assert_string_equal(out, "[fe80::1%eth0]:80");
	assert_int_equal(approvals_entry("a.example", 80, out, 4), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_approval_requests_for_one_key_share_one_ask),
		T(test_approval_first_answer_wins),
		T(test_approval_unanswered_ask_times_out_and_is_not_remembered),
		T(test_approval_session_answers_are_remembered_once_is_not),
		T(test_approval_always_is_written_and_covers_every_protocol),
		T(test_approval_without_askers_is_not_asked_or_waits),
		T(test_approval_last_waiter_gone_cancels_the_ask),
		T(test_approval_pending_keys_are_capped),
		T(test_approval_close_cancels_waiters_and_refuses_new_asks),
		cmocka_unit_test(test_approval_answer_names),
		T(test_approvals_file_add_moves_and_remove_counts),
		T(test_approvals_file_of_the_wrong_shape_is_refused),
		cmocka_unit_test(test_approvals_entry_brackets_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
