/* exchange.c — the exchange's state machine (exchange.h): the checks of
 * the head, the decision, refusals and errors, reaching the origin, the
 * deadline, and the life cycle. The origin side of the transfer is
 * exchange_body.c's.
 *
 * Every event (a callback of the decision, of reach, of the origin
 * stream, of the timer, or a call from the owner) enters through a
 * function that holds the exchange (busy > 0), records what happened in
 * fields and runs exchange_advance(), whose one switch moves the state
 * on. exchange_free() while held only marks the exchange; the last
 * release frees it, so no frame ever runs on freed memory. */
#include "proxy/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "proxy/block.h"
#include "proxy/mitm.h"

static void exchange_advance(struct exchange *x);
static void x_reach(struct exchange *x, const struct resolve_result *addrs,
		    bool use_pool);

/* --- life cycle ---------------------------------------------------------- */

static void
x_hold(struct exchange *x)
{
	x->busy++;
}

static void
really_free(struct exchange *x)
{
	free(x->q_hdrs);
	free(x->up_hdrs);
	proxy_state_unref(x->st); /* last: x->d.rule and up_hdrs point in */
	http1_free(x->resp);
	buf_release(&x->oin);
	free(x->pre);
	free(x);
}

static void
x_release(struct exchange *x)
{
	if (--x->busy == 0 && x->freed)
		really_free(x);
}

static void x_deadline(void *arg);

struct exchange *
exchange_new(const struct exchange_opts *o)
{
	struct exchange *x = xcalloc(1, sizeof(*x));

	x->state = X_HEAD;
	x->px = o->px;
	x->owner = o->owner;
	x->arg = o->arg;
	x->client = o->client;
	x->dl = o->dl;
	x->pool = o->pool;
	x->mitm = o->mitm;
	x->draining = o->draining;
	snprintf(x->peer, sizeof(x->peer), "%s", o->peer);
	buf_init(&x->oin, X_IN_MAX);
	return x;
}

void
exchange_free(struct exchange *x)
{
	if (x == NULL || x->freed)
		return;
	x->freed = true;
	proxy_decide_cancel(x->decide);
	x->decide = NULL;
	reach_cancel(x->reach);
	x->reach = NULL;
	xb_close_origin(x);
	if (x->dl->fire == x_deadline && x->dl->arg == x)
		deadline_set(x->dl, DL_NONE, x->st, NULL, NULL);
	if (x->busy == 0)
		really_free(x);
}

enum exchange_state
exchange_state(const struct exchange *x)
{
	return x->state;
}

enum exchange_outcome
exchange_outcome(const struct exchange *x)
{
	return x->outcome;
}

void
exchange_tunnel(struct exchange *x, struct exchange_tunnel *out)
{
	memset(out, 0, sizeof(*out));
	if (x->state == X_TUNNEL) {
		out->origin = x->origin;
		x->origin = NULL;
		out->pre = x->pre;
		out->n_pre = x->n_pre;
	}
	out->host = x->host;
	out->port = x->target.port;
	out->st = x->st;
	out->approved = x->d.approved;
}

/* --- outcomes ------------------------------------------------------------ */

static void
x_finish(struct exchange *x, enum exchange_outcome outcome)
{
	if (x->told)
		return;
	x->outcome = outcome;
	if (outcome == EXCHANGE_TUNNEL)
		x->state = X_TUNNEL;
	else if (outcome == EXCHANGE_UPGRADE)
		x->state = X_UPGRADE;
	else
		x->state = X_DONE;
	if (outcome == EXCHANGE_NEXT)
		xb_end_origin(x);
	else if (outcome != EXCHANGE_TUNNEL)
		xb_close_origin(x);
	if (x->dl->fire == x_deadline)
		deadline_set(x->dl, DL_NONE, x->st, NULL, NULL);
	x->told = true;
	x->owner->done(x->arg);
}

static int
x_to_client(struct exchange *x, const char *p, size_t n)
{
	if (stream_write(x->client, p, n) == 0)
		return 0;
	x_finish(x, EXCHANGE_ABORT);
	return -1;
}

/* Our own answer to the request; close ends the connection after it. */
static void
reply(struct exchange *x, struct buf *resp, bool close)
{
	/* A refused request's body is never read: close rather than skip it. */
	if (x->head != NULL && x->head->framing != HTTP_FRAMING_NONE)
		close = true;
	if (x_to_client(x, resp->p, resp->len) == -1)
		return;
	x->close_after |= close;
	if (x->close_after) {
		x_finish(x, EXCHANGE_CLOSE);
		return;
	}
	/* Let the parser deliver this request's end, then go on. */
	x->state = X_REFUSING;
	x->again = true;
	x->owner->want_body(x->arg);
}

static void
x_error(struct exchange *x, int status, const char *text)
{
	struct buf b;

	if (x->resp_started) {
		log_debug("http %s: %s", x->peer, text);
		x_finish(x, EXCHANGE_ABORT);
		return;
	}
	xb_close_origin(x);
	buf_init(&b, 8192);
	block_error(&b, status, text, true);
	x->head = NULL;
	reply(x, &b, true);
	buf_release(&b);
}

/* A policy refusal: text for CONNECT and inside interception, JSON
 * otherwise. A client that asked to close gets its close. */
static void
refuse(struct exchange *x)
{
	const struct policy_decision *d = &x->d;
	bool close = x->is_connect || !x->req_keepalive;
	struct buf b;

	origin_pool_drop(x->pool);
	buf_init(&b, 8192);
	block_for_decision(&b, d, x->is_connect || x_tls(x), close);
	reply(x, &b, close);
	buf_release(&b);
}

/* --- the deadline -------------------------------------------------------- */

static void
x_deadline(void *arg)
{
	struct exchange *x = arg;

	x_hold(x);
	if (x->state == X_CONNECTING ||
	    ((x->state == X_SENDING || x->state == X_RECEIVING) &&
	     !x->resp_started))
		x_error(x, 504, "upstream timed out");
	else
		x_finish(x, EXCHANGE_ABORT);
	exchange_advance(x);
	x_release(x);
}

static void
wait_for(struct exchange *x, enum deadline_wait w)
{
	deadline_set(x->dl, w, x->st, x_deadline, x);
}

/* --- HEAD: checking the request ------------------------------------------ */

static void on_decided(void *arg, const struct policy_decision *d,
		       const struct resolve_result *addrs, const char *why);

static void
step_head(struct exchange *x)
{
	const struct http_header *ct;
	enum policy_protocol proto;
	struct policy_request r = {0};
	const char *bad;
	int status;

	bad = xh_check(x, &status);
	if (bad != NULL) {
		x_error(x, status, bad);
		return;
	}
	proto = x_tls(x)	 ? POLICY_PROTO_HTTPS
		: x->is_connect ? POLICY_PROTO_HTTPS_CONNECT
				: POLICY_PROTO_HTTP;
	x->st = proxy_state_ref(x->px);
	if (!x->st->enabled) {
		/* 503, recorded like a decision (reference §7.2 step 5). */
		proxy_record_disabled(x->px, x->host, x->target.port,
				      policy_protocol_str(proto), x->method,
				      x->peer);
		x_error(x, 503, "network proxy is disabled");
		return;
	}
	r.host = x->host;
	r.port = x->target.port;
	r.protocol = proto;
	r.method = x->method;
	r.approved = x->mitm != NULL && x->mitm->approved;
	r.has_body = x->head->framing == HTTP_FRAMING_CHUNKED ||
		     (x->head->framing == HTTP_FRAMING_LENGTH &&
		      x->head->content_length > 0);
	/* For limited mode's git-fetch exception (policy.h). */
	r.path = x->target.path;
	ct = http_msg_find(x->head, "content-type");
	if (ct != NULL)
		r.content_type = ct->value;
	x->state = X_DECIDING;
	wait_for(x, DL_DECIDE);
	if (x->is_connect) {
		x->decide = proxy_decide_start(x->px, x->st, &r, x->peer,
					       on_decided, x);
	} else {
		/* x->q points into the head, which outlives the decision. */
		xh_rule_request(x);
		x->decide = proxy_decide_request(x->px, x->st, &r, &x->q,
						 x->peer, on_decided, x);
	}
	/* A person is asked: as long as that takes (the broker answers
	 * within approval_timeout_ms), still no deadline of ours. */
	if (x->state == X_DECIDING && proxy_decide_wait_ms(x->decide) > 0) {
		x->state = X_WAITING;
		wait_for(x, DL_APPROVAL);
	}
}

/* --- DECIDING and WAITING ------------------------------------------------ */

static void
on_decided(void *arg, const struct policy_decision *d,
	   const struct resolve_result *addrs, const char *why)
{
	struct exchange *x = arg;

	x_hold(x);
	x->decide = NULL;
	if (d == NULL) {
		x->verdict = V_ERROR;
		snprintf(x->why, sizeof(x->why), "%s", why);
	} else {
		x->d = *d;
		x->d.method = NULL; /* it points into the decision */
		x->verdict = policy_allowed(d) ? V_ALLOW : V_DENY;
		if (addrs != NULL)
			x->addrs = *addrs;
	}
	exchange_advance(x);
	x_release(x);
}

/* After the decision allowed the request, before anything is dialled:
 * a request a rule matched (the decision judged the rules) gets the
 * headers its actions leave, sent in place of the head's. */
static bool
check_head_after_decision(struct exchange *x)
{
	const char *bad;
	int status;

	bad = xh_rule_rewrite(x, &status);
	if (bad == NULL)
		return true;
	x_error(x, status, bad);
	return false;
}

/* Limited mode: CONNECT to 443 is intercepted instead of tunnelled. */
static void
upgrade(struct exchange *x)
{
	struct errbuf err;

	errbuf_init(&err);
	if (mitm_prepare(x->px, &err) == -1)
		x_error(x, 502, errbuf_first(&err));
	else
		x_finish(x, EXCHANGE_UPGRADE);
	errbuf_release(&err);
}

static void
step_deciding(struct exchange *x)
{
	switch (x->verdict) {
	case V_NONE:
		return; /* the decision (or a person) has not answered */
	case V_ERROR:
		x_error(x, 502, x->why);
		return;
	case V_DENY:
		refuse(x);
		return;
	case V_ALLOW:
		break;
	}
	if (x->is_connect && x->d.mitm) {
		upgrade(x);
		return;
	}
	if (!check_head_after_decision(x))
		return;
	if (x->is_connect)
		origin_pool_drop(x->pool);
	x_reach(x, &x->addrs, !x->is_connect);
}

/* --- CONNECTING ---------------------------------------------------------- */

static void
on_reached(void *arg, const struct reach_result *r)
{
	struct exchange *x = arg;

	x_hold(x);
	x->reach = NULL;
	x->reached = true;
	x->origin = r->s;
	if (r->s == NULL) {
		snprintf(x->why, sizeof(x->why), "%s", r->why);
	} else {
		x->origin_direct = r->direct;
		x->origin_reused = r->reused;
		x->origin_addr = r->addr;
		x->via = r->via;
		if (r->n_pre > 0) {
			x->pre = xmalloc(r->n_pre);
			memcpy(x->pre, r->pre, r->n_pre);
			x->n_pre = r->n_pre;
		}
	}
	exchange_advance(x);
	x_release(x);
}

static void
x_reach(struct exchange *x, const struct resolve_result *addrs,
	bool use_pool)
{
	struct reach_opts o = {0};

	x->state = X_CONNECTING;
	x->reached = false;
	wait_for(x, DL_CONNECT);
	o.px = x->px;
	o.st = x->st;
	o.host = x->host;
	o.port = x->target.port;
	o.addrs = addrs;
	o.tunnel = x->is_connect || x_tls(x);
	o.tls = x_tls(x);
	o.tls_host = x_tls(x) ? x->mitm->host : NULL;
	o.tls_is_ip = x_tls(x) && x->mitm->is_ip;
	o.pool = use_pool ? x->pool : NULL;
	o.peer = x->peer;
	x->reach = reach_start(&o, on_reached, x);
}

/* --- SENDING and RECEIVING: the origin's events -------------------------- */

static void
origin_eof(struct exchange *x)
{
	struct resolve_result one;

	stream_read_stop(x->origin);
	if (xb_response_eof(x))
		return;
	if (xb_retryable(x)) {
		one.n = 1;
		one.addrs[0] = x->origin_addr;
		xb_close_origin(x);
		x_reach(x, &one, false);
		return;
	}
	if (x->resp_started) {
		log_debug("http %s: origin cut the response short", x->peer);
		x->abort = true;
	} else {
		x->fail_status = 502;
		x->fail_text = "upstream failure: connection closed before a "
			       "response";
	}
}

static uint64_t spliced_bytes;

uint64_t
exchange_spliced_bytes(void)
{
	return spliced_bytes;
}

/* A spliced response body (exchange_body.c) has moved. */
static void
on_down_spliced(void *arg, int status, uint64_t moved, const char *left,
		size_t n_left)
{
	struct exchange *x = arg;

	(void)left;
	(void)n_left;
	x_hold(x);
	x->splice = NULL;
	spliced_bytes += moved;
	x->owner->hold_client(x->arg, false);
	if (status == 0) {
		x->down_left = 0;
		x->resp_done = true;
	} else {
		log_debug("http %s: spliced response ended after %llu of %llu "
			  "bytes: %s", x->peer, (unsigned long long)moved,
			  (unsigned long long)x->down_left,
			  uv_strerror(status));
		x->abort = true;
	}
	exchange_advance(x);
	x_release(x);
}

/* A spliced request body has moved, all of it or, when the origin spoke
 * first, up to then (left[0..n_left) read but not yet sent). */
static void
on_up_spliced(void *arg, int status, uint64_t moved, const char *left,
	      size_t n_left)
{
	struct exchange *x = arg;

	x_hold(x);
	x->splice = NULL;
	spliced_bytes += moved;
	if (n_left > 0 && stream_write(x->origin, left, n_left) != 0)
		x->abort = true;
	moved += n_left;
	if (status != 0 && status != UV_ECANCELED) {
		log_debug("http %s: spliced request body ended after %llu "
			  "bytes: %s", x->peer, (unsigned long long)moved,
			  uv_strerror(status));
		x->abort = true;
	}
	if (!x->abort && stream_read_start(x->origin) != 0)
		x->abort = true;
	x->owner->body_moved(x->arg, x->abort ? 0 : moved);
	exchange_advance(x);
	x_release(x);
}

static void
on_spliced_progress(void *arg)
{
	struct exchange *x = arg;

	deadline_touch(x->dl);
}

static void
on_origin_read(void *arg, ssize_t n, const char *p)
{
	struct exchange *x = arg;

	x_hold(x);
	if (n < 0) {
		origin_eof(x);
	} else {
		deadline_touch(x->dl);
		if (xb_feed(x, p, (size_t)n) == 0 &&
		    (x->resp_paused || x->resp_done || x->splice_down))
			stream_read_stop(x->origin);
		xb_splice_down(x, on_down_spliced, on_spliced_progress);
	}
	exchange_advance(x);
	x_release(x);
}

/* The origin took what was queued: the body may go on. */
static void
on_origin_written(void *arg, int status)
{
	struct exchange *x = arg;

	x_hold(x);
	if (status < 0) {
		log_debug("http %s: write to the origin failed: %s", x->peer,
			  uv_strerror(status));
		x->abort = true;
		exchange_advance(x);
	} else if (x->body_paused && x->origin != NULL &&
		   stream_write_queued(x->origin) < X_WRITE_LOW) {
		x->body_paused = false;
		x->owner->want_body(x->arg);
	}
	x_release(x);
}

static void
step_connecting(struct exchange *x)
{
	if (!x->reached)
		return;
	if (x->origin == NULL) {
		x_error(x, 502, x->why);
		return;
	}
	if (x->is_connect) {
		x_finish(x, EXCHANGE_TUNNEL);
		return;
	}
	stream_set_owner(x->origin, x, on_origin_read, on_origin_written);
	if (xb_send_head(x) == -1)
		return; /* fail is set: the switch answers it */
	wait_for(x, DL_TRANSFER);
	x->state = X_SENDING;
	x->again = true;
	if (!x->req_done)
		x->owner->want_body(x->arg);
}

/* --- the switch ---------------------------------------------------------- */

static void
exchange_advance(struct exchange *x)
{
	if (x->advancing) {
		x->again = true;
		return;
	}
	x->advancing = true;
	do {
		x->again = false;
		if (x->freed || x->told)
			break;
		if (x->abort) {
			x_finish(x, EXCHANGE_ABORT);
			break;
		}
		if (x->fail_status != 0) {
			int status = x->fail_status;

			x->fail_status = 0;
			x_error(x, status, x->fail_text);
			x->again = true;
			continue;
		}
		switch (x->state) {
		case X_HEAD:
			step_head(x);
			break;
		case X_DECIDING:
		case X_WAITING:
			step_deciding(x);
			break;
		case X_CONNECTING:
			step_connecting(x);
			break;
		case X_SENDING:
			/* An answer before the whole request: close after it,
			 * the rest of the body is never read. */
			if (x->resp_done)
				x->close_after |= !x->req_done;
			if (x->resp_done)
				x_finish(x, x->close_after ? EXCHANGE_CLOSE
							   : EXCHANGE_NEXT);
			else if (x->req_done)
				x->state = X_RECEIVING;
			break;
		case X_RECEIVING:
			if (x->resp_done)
				x_finish(x, x->close_after ? EXCHANGE_CLOSE
							   : EXCHANGE_NEXT);
			break;
		case X_REFUSING:
			if (x->req_done)
				x_finish(x, EXCHANGE_NEXT);
			break;
		case X_TUNNEL:
		case X_UPGRADE:
		case X_DONE:
			break;
		}
	} while (x->again);
	x->advancing = false;
}

/* --- the owner's calls --------------------------------------------------- */

void
exchange_start(struct exchange *x, const struct http_head *h,
	       const char *rest, size_t n_rest)
{
	x_hold(x);
	x->head = h;
	x->rest = n_rest > 0 ? rest : "";
	x->n_rest = n_rest;
	exchange_advance(x);
	x->rest = NULL;
	x->n_rest = 0;
	x_release(x);
}

int
exchange_request_body(struct exchange *x, const char *p, size_t n)
{
	int rc = 0;

	x_hold(x);
	if (!x->freed && x->state == X_SENDING) {
		rc = xb_body_up(x, p, n);
		if (x->abort)
			exchange_advance(x);
	}
	x_release(x);
	return rc;
}

bool
exchange_splice_body(struct exchange *x, uint64_t left)
{
	struct splice_body_opts o = {0};
	bool took = false;

	x_hold(x);
	if (!x->freed && !x->told && x->state == X_SENDING && !x->chunk_up &&
	    left >= X_SPLICE_MIN && x->splice == NULL && !x->splice_down &&
	    !x->up_spliced &&
	    !x->resp_started && x->oin.len == 0 && x->origin != NULL &&
	    stream_fd(x->origin) >= 0 && stream_fd(x->client) >= 0 &&
	    stream_write_queued(x->origin) == 0) {
		stream_read_stop(x->origin);
		o.loop = x->px->loop;
		o.src = stream_fd(x->client);
		o.dst = stream_fd(x->origin);
		o.n = left;
		o.stop_on_dst_readable = true;
		o.done = on_up_spliced;
		o.progress = on_spliced_progress;
		o.arg = x;
		x->splice = splice_body_start(&o);
		x->up_spliced = true; /* once: an origin that spoke is read */
		took = true;
	}
	x_release(x);
	return took;
}

void
exchange_request_end(struct exchange *x)
{
	x_hold(x);
	if (!x->freed && !x->req_done) {
		x->req_done = true;
		if (x->state == X_SENDING)
			xb_body_end(x);
		exchange_advance(x);
	}
	x_release(x);
}

void
exchange_client_drained(struct exchange *x)
{
	x_hold(x);
	if (!x->freed && (x->state == X_SENDING || x->state == X_RECEIVING)) {
		xb_resume_response(x);
		xb_splice_down(x, on_down_spliced, on_spliced_progress);
		exchange_advance(x);
	}
	x_release(x);
}

void
exchange_drain(struct exchange *x)
{
	x->draining = true;
}

void
exchange_error(struct exchange *x, int status, const char *text)
{
	x_hold(x);
	if (!x->freed && !x->told) {
		x_error(x, status, text);
		exchange_advance(x);
	}
	x_release(x);
}
