/* exchange_int.h — what exchange.c (the state machine, checks, decision,
 * refusals) and exchange_body.c (the origin side: request head and body
 * up, response down) share. Not for use outside them. */
#ifndef AIRLOCK_PROXY_EXCHANGE_INT_H
#define AIRLOCK_PROXY_EXCHANGE_INT_H

#include "proxy/exchange.h"

#include "lib/buf.h"
#include "net/splice_body.h"
#include "net/upstream.h"
#include "policy/policy.h"
#include "policy/reqrule.h"
#include "proxy/reach.h"

#define X_IN_MAX (64 * 1024)	     /* origin bytes held while paused */
#define X_WRITE_HIGH (256 * 1024)    /* stop feeding a side above this */
#define X_WRITE_LOW (X_WRITE_HIGH / 4) /* and go on below this */
/* Bodies from this size on move by splice when both sides are TCP and
 * the framing passes through (Content-Length). */
#define X_SPLICE_MIN (64 * 1024)

enum x_verdict { V_NONE, V_ALLOW, V_DENY, V_ERROR };

struct exchange {
	enum exchange_state state;
	enum exchange_outcome outcome;
	int busy;		/* exchange functions on the stack */
	bool freed;		/* exchange_free ran: gone once busy is 0 */
	bool advancing, again;	/* exchange_advance is running / rerun it */
	bool told;		/* owner->done ran */
	struct proxy *px;
	struct proxy_state *st;	/* taken when the head passed */
	const struct exchange_owner *owner;
	void *arg;
	struct stream *client;
	struct deadline *dl;
	struct origin_pool *pool;
	const struct intercept *mitm;
	char peer[64];
	bool draining;

	/* the request */
	const struct http_head *head;
	const char *rest;	/* bytes after the head (exchange_start only) */
	size_t n_rest;
	struct http_target target;
	char host[HTTP_MSG_MAX_HOST + 1];
	char method[32];
	bool is_connect;
	bool req_is_head, req_keepalive;
	int req_minor;
	bool req_done;		/* read whole from the client */
	bool body_paused;	/* the parser waits for the origin to drain */
	bool chunk_up;		/* the body goes up re-chunked */

	/* request rules (policy/reqpolicy.h): what they match, and the
	 * headers a matched rule's actions leave to send (values of the
	 * injected ones point into the state's secret store) */
	struct reqrule_request q;
	struct reqrule_hdr *q_hdrs;
	struct http_header *up_hdrs;
	size_t n_up_hdrs;

	/* the decision */
	struct proxy_decide *decide;
	enum x_verdict verdict;
	struct policy_decision d;
	struct resolve_result addrs;
	char why[HTTP_MSG_MAX_HOST + 400];

	/* reaching the origin */
	struct reach *reach;
	bool reached;		/* reach called back (origin or why) */

	/* the origin */
	struct stream *origin;
	struct sockaddr_storage origin_addr;
	bool origin_direct;	/* dialled straight to origin_addr */
	bool origin_reused;	/* taken from the pool for this request */
	bool origin_reusable;	/* its response left it fit for another */
	const struct upstream *via; /* HTTP upstream taking absolute form */
	char *pre;		/* tunnel: bytes the upstream sent already */
	size_t n_pre;
	struct http1 *resp;
	struct buf oin;		/* origin bytes the response parser left */
	bool resp_started;	/* some of the response reached the client */
	bool resp_done;
	bool resp_interim;	/* the response in progress is a 1xx */
	bool resp_paused;	/* the response parser waits for the client */
	bool chunk_down;	/* the body goes down re-chunked */
	bool splice_down;	/* the response body goes by splice... */
	uint64_t down_left;	/* ...this many bytes of it still */
	struct splice_body *splice; /* the body moving now */
	bool up_spliced;	/* the request body was spliced once already */
	bool close_after;	/* the client connection ends with this */

	/* what the transfer side asks the state machine to do */
	bool abort;		/* end now: the answer is broken or cut short */
	int fail_status;	/* answer fail_status fail_text (0: nothing) */
	const char *fail_text;	/* static */
};

/* True when the client side is TLS the proxy terminates (interception):
 * the origin is reached over TLS too. */
static inline bool
x_tls(const struct exchange *x)
{
	return x->mitm != NULL && !x->mitm->plain;
}

/* exchange_head.c: saves what the exchange needs from the head and
 * checks where it goes (x->target, x->host). NULL, or the text of the
 * error to answer with *status (400, 405 inside a tunnel, 501). */
const char *xh_check(struct exchange *x, int *status);
/* Fills x->q, what the request rules match, from the head (x->st
 * taken). */
void xh_rule_request(struct exchange *x);
/* A rule matched (x->d.rule): the headers to send, its actions run, in
 * x->up_hdrs. NULL, or the error (and *status). */
const char *xh_rule_rewrite(struct exchange *x, int *status);

/* exchange_body.c: the mechanics of the transfer. They never call back
 * into exchange.c: a failure is left in x->abort (end now) or
 * x->fail_status/fail_text (answer that error), which exchange_advance()
 * acts on. */

/* Sends the request head to the reached origin (its callbacks already
 * set) and starts reading it. -1 with fail set. */
int xb_send_head(struct exchange *x);
/* Feeds origin bytes to the response parser; what it leaves waits in
 * x->oin. -1 with abort or fail set. */
int xb_feed(struct exchange *x, const char *p, size_t n);
/* The origin ended: true when that completes the response. */
bool xb_response_eof(struct exchange *x);
/* True when a request whose reused origin went away before answering may
 * be sent once more on a fresh connection (bodiless, idempotent). */
bool xb_retryable(const struct exchange *x);
/* The client drained: feed what waits in x->oin, read on. */
void xb_resume_response(struct exchange *x);
/* Moves the rest of a response body marked splice_down by splice(2),
 * once nothing is queued to the client; done(arg) is told how it went
 * (splice_body.h). */
void xb_splice_down(struct exchange *x, splice_body_fn *done,
		    splice_body_progress_fn *progress);
/* Request body bytes and end, for the origin. */
int xb_body_up(struct exchange *x, const char *p, size_t n);
void xb_body_end(struct exchange *x);
/* Closes the origin and forgets its response (the response parser is
 * kept until replaced or freed: this may run inside its callbacks). */
void xb_close_origin(struct exchange *x);
/* At DONE: parks the origin when it is fit for another request (see
 * origin_pool.h), else closes it. */
void xb_end_origin(struct exchange *x);

#endif
