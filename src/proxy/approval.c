/* approval.c — the approval broker: pending keys and their waiters,
 * session memory, askers, timeouts and the approvals file. See
 * approval.h.
 *
 * Known shortcuts: pending keys (at most APPROVAL_MAX_PENDING) and the
 * session memory (at most APPROVAL_MAX_MEMOS, oldest forgotten first)
 * are searched linearly; both grow only with what a person answered or
 * with the small pending cap, never with a program's requests alone. */
#include "proxy/approval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/approvals.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "policy/host.h"

#define PROTO_MAX 16
#define ANY_PROTOCOL "*"

struct key {
	char protocol[PROTO_MAX];
	char host[HOST_TEXT_MAX];
	int port;
};

struct memo {
	struct key k;
	enum approval_answer answer;
	char *by;
};

struct pending;

struct approval_wait {
	struct approval_wait *prev, *next;
	struct pending *pe;
	approval_done_fn *cb;
	void *arg;
	uint64_t started;
};

struct pending {
	struct pending *prev, *next;
	struct approval_broker *b;
	uint64_t id;
	struct key k;
	char *method, *reason, *message, *command, *process_id, *client;
	char *process;
	uint64_t timeout_ms;
	uv_timer_t *timer;
	bool settling;                /* in settle(): calling its waiters */
	struct approval_wait waiters; /* list head */
};

struct approval_asker {
	struct approval_asker *prev, *next;
	const struct approval_asker_ops *ops;
	void *arg;
};

struct approval_broker {
	uv_loop_t *loop;
	int refs;
	bool closed;
	char *home;
	bool wait_for_asker;
	char *no_asker_why;
	uint64_t next_id;
	struct pending pending; /* list head */
	size_t npending;
	struct approval_asker askers; /* list head */
	size_t naskers;
	struct memo *memos;
	size_t nmemos;
};

/* --- names --------------------------------------------------------------- */

static const char *const answer_names[] = {
	"allow_once", "allow_session", "allow_always", "deny",
	"deny_always", "timeout",       "cancelled",    "not_asked"};

const char *
approval_answer_str(enum approval_answer a)
{
	if ((unsigned)a < sizeof(answer_names) / sizeof(answer_names[0]))
		return answer_names[a];
	return "not_asked";
}

int
approval_answer_parse(const char *s, enum approval_answer *out)
{
	int i;

	for (i = APPROVAL_ALLOW_ONCE; i <= APPROVAL_DENY_ALWAYS; i++) {
		if (s != NULL && strcmp(s, answer_names[i]) == 0) {
			*out = (enum approval_answer)i;
			return 0;
		}
	}
	return -1;
}

bool
approval_answer_allows(enum approval_answer a)
{
	return a == APPROVAL_ALLOW_ONCE || a == APPROVAL_ALLOW_SESSION ||
	       a == APPROVAL_ALLOW_ALWAYS;
}

const char *
approval_key_protocol(const char *p)
{
	if (p != NULL && (strcmp(p, "https_connect") == 0 ||
			  strcmp(p, "https") == 0))
		return "https";
	return p ? p : "http";
}

static void
key_set(struct key *k, const char *protocol, const char *host, int port)
{
	snprintf(k->protocol, sizeof(k->protocol), "%s",
		 approval_key_protocol(protocol));
	snprintf(k->host, sizeof(k->host), "%s", host ? host : "");
	k->port = port;
}

static bool
key_eq(const struct key *a, const struct key *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0 &&
	       strcmp(a->protocol, b->protocol) == 0;
}

/* --- life cycle ---------------------------------------------------------- */

struct approval_broker *
approval_broker_new(uv_loop_t *loop, const struct approval_broker_opts *o)
{
	struct approval_broker *b = xcalloc(1, sizeof(*b));

	b->loop = loop;
	b->refs = 1;
	b->home = o->home ? xstrdup(o->home) : NULL;
	b->wait_for_asker = o->wait_for_asker;
	b->no_asker_why = xstrdup(o->no_asker_why ? o->no_asker_why
						  : "no one to ask");
	b->pending.next = b->pending.prev = &b->pending;
	b->askers.next = b->askers.prev = &b->askers;
	return b;
}

struct approval_broker *
approval_broker_ref(struct approval_broker *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

void
approval_broker_unref(struct approval_broker *b)
{
	size_t i;

	if (b == NULL || --b->refs > 0)
		return;
	for (i = 0; i < b->nmemos; i++)
		free(b->memos[i].by);
	free(b->memos);
	free(b->home);
	free(b->no_asker_why);
	free(b);
}

void
approval_broker_set_no_asker_why(struct approval_broker *b, const char *why)
{
	free(b->no_asker_why);
	b->no_asker_why = xstrdup(why ? why : "no one to ask");
}

/* --- askers --------------------------------------------------------------- */

static void
show(struct approval_asker *k, const struct pending *pe)
{
	struct approval_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.id = pe->id;
	rq.protocol = pe->k.protocol;
	rq.host = pe->k.host;
	rq.port = pe->k.port;
	rq.method = pe->method;
	rq.reason = pe->reason;
	rq.message = pe->message;
	rq.command = pe->command;
	rq.process_id = pe->process_id;
	rq.client = pe->client;
	rq.process = pe->process;
	rq.timeout_ms = pe->timeout_ms;
	k->ops->ask(k->arg, &rq);
}

struct approval_asker *
approval_asker_add(struct approval_broker *b,
		   const struct approval_asker_ops *ops, void *arg)
{
	struct approval_asker *k = xcalloc(1, sizeof(*k));
	struct pending *pe;

	k->ops = ops;
	k->arg = arg;
	if (b->closed) {
		k->prev = k->next = k; /* never listed */
		return k;
	}
	k->prev = b->askers.prev;
	k->next = &b->askers;
	b->askers.prev->next = k;
	b->askers.prev = k;
	b->naskers++;
	for (pe = b->pending.next; pe != &b->pending; pe = pe->next)
		show(k, pe);
	return k;
}

void
approval_asker_remove(struct approval_broker *b, struct approval_asker *k)
{
	if (k == NULL)
		return;
	if (k->next != k) {
		k->prev->next = k->next;
		k->next->prev = k->prev;
		b->naskers--;
	}
	free(k);
}

const char *
approval_no_asker_why(const struct approval_broker *b)
{
	return b->closed ? "shut down" : b->no_asker_why;
}

bool
approval_can_ask(const struct approval_broker *b)
{
	return b != NULL && !b->closed && (b->naskers > 0 || b->wait_for_asker);
}

/* --- session memory ------------------------------------------------------- */

static const struct memo *
memo_find(const struct approval_broker *b, const struct key *k)
{
	struct key any = *k;
	size_t i;

	snprintf(any.protocol, sizeof(any.protocol), ANY_PROTOCOL);
	for (i = b->nmemos; i-- > 0;)
		if (key_eq(&b->memos[i].k, k) || key_eq(&b->memos[i].k, &any))
			return &b->memos[i];
	return NULL;
}

static void
memo_add(struct approval_broker *b, const struct key *k,
	 enum approval_answer a, const char *by)
{
	struct memo *m;

	if (b->nmemos == APPROVAL_MAX_MEMOS) {
		free(b->memos[0].by);
		memmove(b->memos, b->memos + 1,
			(b->nmemos - 1) * sizeof(*b->memos));
		b->nmemos--;
	}
	if (b->memos == NULL)
		b->memos = xcalloc(APPROVAL_MAX_MEMOS, sizeof(*b->memos));
	m = &b->memos[b->nmemos++];
	m->k = *k;
	if (a == APPROVAL_ALLOW_ALWAYS || a == APPROVAL_DENY_ALWAYS)
		snprintf(m->k.protocol, sizeof(m->k.protocol), ANY_PROTOCOL);
	m->answer = a;
	m->by = xasprintf("remembered: %s", by);
}

/* An "always" answer goes to the approvals file; a failure to write it
 * leaves the answer standing for this session. */
static void
persist(struct approval_broker *b, const struct key *k, bool deny)
{
	char entry[HOST_TEXT_MAX + 16];
	struct errbuf err;

	if (b->home == NULL ||
	    approvals_entry(k->host, k->port, entry, sizeof(entry)) == -1)
		return;
	errbuf_init(&err);
	if (approvals_add(b->home, deny, entry, &err) == -1)
		log_warn("approvals: %s not saved: %s", entry,
			 errbuf_first(&err));
	errbuf_release(&err);
}

/* --- settling ------------------------------------------------------------- */

static void
free_timer(uv_handle_t *h)
{
	struct approval_broker *b = h->data;

	free(h);
	approval_broker_unref(b);
}

static void
pending_free(struct pending *pe)
{
	if (pe->timer != NULL) {
		pe->timer->data = pe->b;
		uv_close((uv_handle_t *)pe->timer, free_timer);
	}
	free(pe->method);
	free(pe->reason);
	free(pe->message);
	free(pe->command);
	free(pe->process_id);
	free(pe->client);
	free(pe->process);
	free(pe);
}

/* Ends pe with answer a: remembers it, tells the askers, then calls every
 * waiter (each may call back into the broker). */
static void
settle(struct pending *pe, enum approval_answer a, const char *by)
{
	struct approval_broker *b = pe->b;
	struct approval_asker *k, *knext;
	struct approval_outcome o;
	struct approval_wait *w;
	uint64_t now = uv_now(b->loop);

	pe->settling = true;
	pe->prev->next = pe->next;
	pe->next->prev = pe->prev;
	b->npending--;
	if (a <= APPROVAL_DENY_ALWAYS && a != APPROVAL_ALLOW_ONCE)
		memo_add(b, &pe->k, a, by);
	if (a == APPROVAL_ALLOW_ALWAYS || a == APPROVAL_DENY_ALWAYS)
		persist(b, &pe->k, a == APPROVAL_DENY_ALWAYS);
	for (k = b->askers.next; k != &b->askers; k = knext) {
		knext = k->next;
		if (k->ops->resolved != NULL)
			k->ops->resolved(k->arg, pe->id, a, by);
	}
	approval_broker_ref(b);
	while ((w = pe->waiters.next) != &pe->waiters) {
		w->prev->next = w->next;
		w->next->prev = w->prev;
		memset(&o, 0, sizeof(o));
		o.answer = a;
		o.answered_by = by;
		o.latency_ms = now - w->started;
		w->cb(w->arg, &o);
		free(w);
	}
	pending_free(pe);
	approval_broker_unref(b);
}

static void
on_timeout(uv_timer_t *t)
{
	struct pending *pe = t->data;
	char by[64];

	snprintf(by, sizeof(by), "no answer within %llu ms",
		 (unsigned long long)pe->timeout_ms);
	settle(pe, APPROVAL_TIMEOUT, by);
}

int
approval_answer(struct approval_broker *b, uint64_t id,
		enum approval_answer a, const char *answered_by)
{
	struct pending *pe;

	if (a > APPROVAL_DENY_ALWAYS)
		return -1;
	for (pe = b->pending.next; pe != &b->pending; pe = pe->next) {
		if (pe->id == id) {
			settle(pe, a, answered_by ? answered_by : "unknown");
			return 0;
		}
	}
	return -1;
}

void
approval_broker_close(struct approval_broker *b)
{
	struct approval_asker *k;

	if (b == NULL || b->closed)
		return;
	b->closed = true;
	while ((k = b->askers.next) != &b->askers) {
		k->prev->next = k->next;
		k->next->prev = k->prev;
		k->prev = k->next = k; /* the owner still frees it */
		b->naskers--;
	}
	while (b->pending.next != &b->pending)
		settle(b->pending.next, APPROVAL_CANCELLED, "shut down");
}

/* --- asking --------------------------------------------------------------- */

static struct pending *
pending_find(struct approval_broker *b, const struct key *k)
{
	struct pending *pe;

	for (pe = b->pending.next; pe != &b->pending; pe = pe->next)
		if (key_eq(&pe->k, k))
			return pe;
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct pending *
pending_new(struct approval_broker *b, const struct key *k,
	    const struct approval_request *rq)
{
	struct pending *pe = xcalloc(1, sizeof(*pe));
	struct approval_asker *a, *anext;

	pe->b = b;
	pe->id = ++b->next_id;
	pe->k = *k;
	pe->method = dup_or_null(rq->method);
	pe->reason = dup_or_null(rq->reason);
	pe->message = dup_or_null(rq->message);
	pe->command = dup_or_null(rq->command);
	pe->process_id = dup_or_null(rq->process_id);
	pe->client = dup_or_null(rq->client);
	pe->process = rq->who != NULL && rq->client != NULL
			      ? rq->who(rq->who_arg, rq->client)
			      : NULL;
	pe->timeout_ms = rq->timeout_ms;
	pe->waiters.next = pe->waiters.prev = &pe->waiters;
	pe->timer = xcalloc(1, sizeof(*pe->timer));
	uv_timer_init(b->loop, pe->timer);
	pe->timer->data = pe;
	uv_timer_start(pe->timer, on_timeout, rq->timeout_ms, 0);
	pe->prev = b->pending.prev;
	pe->next = &b->pending;
	b->pending.prev->next = pe;
	b->pending.prev = pe;
	b->npending++;
	for (a = b->askers.next; a != &b->askers; a = anext) {
		anext = a->next;
		show(a, pe);
	}
	return pe;
}

static int
settled_now(struct approval_outcome *out, enum approval_answer a,
	    const char *by, bool remembered)
{
	memset(out, 0, sizeof(*out));
	out->answer = a;
	out->answered_by = by;
	out->remembered = remembered;
	return 1;
}

int
approval_ask(struct approval_broker *b, const struct approval_request *rq,
	     approval_done_fn *cb, void *arg, struct approval_wait **w,
	     struct approval_outcome *out)
{
	const struct memo *m;
	struct pending *pe;
	struct approval_wait *x;
	struct key k;

	*w = NULL;
	key_set(&k, rq->protocol, rq->host, rq->port);
	m = memo_find(b, &k);
	if (m != NULL)
		return settled_now(out, m->answer, m->by, true);
	if (!approval_can_ask(b))
		return settled_now(out, APPROVAL_NOT_ASKED,
				   b->closed ? "shut down" : b->no_asker_why,
				   false);
	pe = pending_find(b, &k);
	if (pe == NULL && b->npending >= APPROVAL_MAX_PENDING)
		return settled_now(out, APPROVAL_NOT_ASKED,
				   "too many requests waiting for an answer",
				   false);
	x = xcalloc(1, sizeof(*x));
	x->cb = cb;
	x->arg = arg;
	x->started = uv_now(b->loop);
	if (pe == NULL) {
		approval_broker_ref(b); /* held by the timer handle */
		pe = pending_new(b, &k, rq);
	}
	x->pe = pe;
	x->prev = pe->waiters.prev;
	x->next = &pe->waiters;
	pe->waiters.prev->next = x;
	pe->waiters.prev = x;
	*w = x;
	return 0;
}

void
approval_wait_cancel(struct approval_wait *w)
{
	struct pending *pe;

	if (w == NULL)
		return;
	pe = w->pe;
	w->prev->next = w->next;
	w->next->prev = w->prev;
	free(w);
	if (pe->waiters.next == &pe->waiters && !pe->settling)
		settle(pe, APPROVAL_CANCELLED,
		       "every waiting request went away");
}
