/* approval.h — the approval broker: allowlist misses put to a person.
 *
 * The policy says ASK (policy.h) for an allowlist miss a person may lift.
 * The proxy's decision (decide.c) then asks the broker about the request's
 * key, (protocol, host, port), and holds the request until the answer:
 *
 *   allow_once     this request (this connection: a tunnel, an intercepted
 *                  tunnel's requests, a SOCKS5 UDP association)
 *   allow_session  every request with this key while the broker lives
 *   allow_always   allow_session, and `host:port` is added to
 *                  $AIRLOCK_HOME/approvals.toml (config/approvals.h), which
 *                  later runs load as allowlist entries
 *   deny           this request, and every one with this key while the
 *                  broker lives (no second prompt)
 *   deny_always    deny, and `host:port` joins the file's denied_domains
 *
 * Outcomes no person gave: timeout (no answer within the request's
 * timeout_ms; denied), cancelled (every request waiting on the key went
 * away, or the broker closed), not_asked (no asker could be reached, or
 * too many keys were already waiting; denied, and answered_by says why —
 * e.g. "no terminal"). Only the five answers above are remembered, each
 * in the broker's session memory; an "always" answer is remembered for
 * every protocol, as the file's pattern is.
 *
 * Keys. Requests with one key that arrive while it is pending join it and
 * all get its answer: a person is asked once. The protocol of a key is
 * "http", "https" (CONNECT and the requests inside an intercepted tunnel),
 * "socks5_tcp" or "socks5_udp". At most APPROVAL_MAX_PENDING keys wait at
 * once; further ones are not asked (a sandboxed program cannot bury a
 * person under prompts).
 *
 * Askers (front-ends: the app-server's approver clients, the terminal
 * prompt of `airlock run`) register a struct approval_asker_ops. Every
 * pending key is shown to every asker (ask), including keys already
 * pending when the asker registers; a person answers through
 * approval_answer(), and the first valid answer wins; then every asker,
 * the one that answered included, is told the key is settled (resolved)
 * and takes its prompt down. A broker without askers either makes
 * requests wait for one to register (wait_for_asker: the app-server,
 * where an approver may connect later) or answers not_asked at once.
 *
 * Ownership and lifetime. One loop, one thread. The broker is reference
 * counted: its owner holds one reference, and every proxy it serves takes
 * one (approval_broker_ref) so that requests still in flight when the
 * owner goes keep a valid broker. approval_broker_close() (by the owner,
 * before its last unref) settles every pending key as cancelled, forgets
 * the askers and answers later asks with not_asked. Strings passed in are
 * copied; strings passed out are borrowed for the call only. Askers must
 * not call approval_answer(), approval_asker_add() or _remove() from
 * inside ask(); they may call them at any later time from the loop. */
#ifndef AIRLOCK_APPROVAL_H
#define AIRLOCK_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define APPROVAL_MAX_PENDING 32
#define APPROVAL_MAX_MEMOS 4096

enum approval_answer {
	APPROVAL_ALLOW_ONCE,
	APPROVAL_ALLOW_SESSION,
	APPROVAL_ALLOW_ALWAYS,
	APPROVAL_DENY,
	APPROVAL_DENY_ALWAYS,
	APPROVAL_TIMEOUT,
	APPROVAL_CANCELLED,
	APPROVAL_NOT_ASKED,
};

/* "allow_once" ... "deny_always", "timeout", "cancelled", "not_asked". */
const char *approval_answer_str(enum approval_answer a);
/* Parses one of the five answers a person gives; 0 or -1. */
int approval_answer_parse(const char *s, enum approval_answer *out);
/* True for the three allow answers. */
bool approval_answer_allows(enum approval_answer a);

/* One request to put to a person. The proxy fills everything but id;
 * askers get it with id set (pass that id to approval_answer()). */
struct approval_request {
	uint64_t id;
	const char *protocol;   /* http, https, socks5_tcp, socks5_udp */
	const char *host;       /* normalized */
	int port;
	const char *method;     /* "GET", "CONNECT", ...; NULL for SOCKS5 */
	const char *reason;     /* why it would be blocked: "not_allowed" */
	const char *message;    /* `Network access to "h" was blocked: ...` */
	const char *command;    /* what runs behind the proxy, or NULL */
	const char *process_id; /* the app-server's processId, or NULL */
	const char *client;     /* the proxy client's `ip:port`, or NULL */
	uint64_t timeout_ms;    /* unanswered after this long: timeout */
	/* Asked once, when the request is first put to askers: the process
	 * behind client ("pid N: CMDLINE"; heap, or NULL). NULL: none. */
	char *(*who)(void *who_arg, const char *client);
	void *who_arg;
	/* What who() said, for askers (set by the broker); NULL: unknown. */
	const char *process;
};

/* A front-end. ask() shows rq to a person (answer later, through
 * approval_answer()); resolved() says id is settled — by this asker,
 * another one, the timeout, or a cancellation — with the outcome and who
 * gave it. */
struct approval_asker_ops {
	void (*ask)(void *arg, const struct approval_request *rq);
	void (*resolved)(void *arg, uint64_t id, enum approval_answer a,
			 const char *answered_by);
};

struct approval_broker_opts {
	/* $AIRLOCK_HOME, where "always" answers are written; NULL keeps them
	 * for the session only. Copied. */
	const char *home;
	/* With no asker registered: wait for one (true), or answer
	 * not_asked at once, saying no_asker_why (copied; NULL: "no one to
	 * ask"). */
	bool wait_for_asker;
	const char *no_asker_why;
};

struct approval_broker;
struct approval_asker;
struct approval_wait;

struct approval_broker *
approval_broker_new(uv_loop_t *loop, const struct approval_broker_opts *o);
struct approval_broker *approval_broker_ref(struct approval_broker *b);
/* Drops one reference; the last one frees the broker once its timers
 * have closed. NULL is ignored. */
void approval_broker_unref(struct approval_broker *b);
/* See the top of this file. Idempotent. */
void approval_broker_close(struct approval_broker *b);
/* Changes the reason given when no asker can be reached (copied). */
void approval_broker_set_no_asker_why(struct approval_broker *b,
				      const char *why);

/* Registers a front-end; every key already pending is shown to it at
 * once. The handle is valid until approval_asker_remove(). */
struct approval_asker *approval_asker_add(struct approval_broker *b,
					  const struct approval_asker_ops *ops,
					  void *arg);
void approval_asker_remove(struct approval_broker *b,
			   struct approval_asker *k);
/* Whether an ask now would reach (or wait for) a person; b may be NULL. */
bool approval_can_ask(const struct approval_broker *b);
/* Why not, when it would not: the no_asker_why text, or "shut down". */
const char *approval_no_asker_why(const struct approval_broker *b);

/* A person's answer to id (one of the five; answered_by names who, e.g.
 * "terminal", copied). 0 when it settled id; -1 when id is not pending
 * (unknown, or settled already: the first answer won) or a is not a
 * person's answer. */
int approval_answer(struct approval_broker *b, uint64_t id,
		    enum approval_answer a, const char *answered_by);

/* How one request's ask ended. answered_by is borrowed for the call. */
struct approval_outcome {
	enum approval_answer answer;
	const char *answered_by;
	uint64_t latency_ms; /* from approval_ask() to the answer */
	bool remembered;     /* from session memory: no one was asked now */
};
typedef void approval_done_fn(void *arg, const struct approval_outcome *o);

/* Asks about rq (id ignored). Returns 1 when it is settled at once — a
 * remembered answer, or not_asked — with *out filled (cb is not called);
 * else 0 with *w set, and cb is called exactly once, from the loop, unless
 * approval_wait_cancel(*w) comes first. */
int approval_ask(struct approval_broker *b, const struct approval_request *rq,
		 approval_done_fn *cb, void *arg, struct approval_wait **w,
		 struct approval_outcome *out);
/* Stops waiting (the request went away). When it was the key's last
 * waiter, the key is settled as cancelled. NULL is ignored. */
void approval_wait_cancel(struct approval_wait *w);

/* The key protocol of a policy protocol name: "https_connect" and
 * "https" → "https"; others unchanged. */
const char *approval_key_protocol(const char *policy_protocol);

#endif
