/* exchange.h — one request/response exchange of the HTTP proxy, from a
 * parsed request head to its outcome. Not for use outside src/proxy/.
 *
 * The client connection (client.h) owns the socket, the input buffer and
 * the request parser; for each request head it creates an exchange,
 * feeds it the body, and is told when it is over. The exchange owns
 * everything on the destination's side. Its life is one explicit state
 * and one switch (exchange_advance in exchange.c):
 *
 *  HEAD ─> DECIDING ─(allow)──────────────> CONNECTING ─> SENDING
 *   │         │  └─(ask)─> WAITING ─(yes)─┘                   │
 *   │         │               └─(no)─┐                        v
 *   │         └─(deny, error)──> REFUSING ─> DONE         RECEIVING
 *   ├─(bad head: 400, 405, 501, 503)──────> DONE (close)     │
 *   │                                         DONE <─────────┘
 *   │                                  (origin parked when it may be)
 *   └─(CONNECT allowed)─> TUNNEL (the owner relays)
 *                       | UPGRADE (the owner goes TLS)
 *
 *   HEAD       the head is checked (target, Host, tunnel host, framing);
 *   DECIDING   proxy_decide: policy, one lookup, the address check; it
 *              calls back in bounded time on its own, so no deadline of
 *              ours runs (and the owner's are stopped): a decision may
 *              take as long as it takes and is cancelled with the exchange;
 *   WAITING    the decision asks a person (approvals); same rules;
 *   CONNECTING reach.h: a parked origin, an upstream proxy or a dial, and
 *              for interception a verified TLS client stream;
 *   SENDING    the request head is sent, then its body as the owner feeds
 *              it; the response may start meanwhile;
 *   RECEIVING  the request is sent whole; the response streams down;
 *   REFUSING   we answered (block page, 502...) and wait for the end of a
 *              bodiless request before the next one;
 *   DONE       the outcome is known and the owner has been told.
 *
 * Between the decision and CONNECTING the request head may still be
 * judged and rewritten (exchange.c, check_head_after_decision): request
 * rules go there.
 *
 * Deadlines come from the one table of deadline.h, on the owner's timer
 * (borrowed while the exchange lives): CONNECT while connecting, TRANSFER
 * (idle, lazy) while sending and receiving, none while deciding or
 * waiting.
 *
 * Callbacks to the owner (struct exchange_owner) may run from inside any
 * exchange function, exchange_start included. exchange_free() may be
 * called at any time, from inside those callbacks too: it cancels what is
 * pending (the decision, the reach, the origin) and the memory goes once
 * no exchange function is on the stack. */
#ifndef AIRLOCK_PROXY_EXCHANGE_H
#define AIRLOCK_PROXY_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http1.h"
#include "net/http_msg.h"
#include "net/stream.h"
#include "proxy/deadline.h"
#include "proxy/origin_pool.h"
#include "proxy/proxy_int.h"

enum exchange_state {
	X_HEAD,
	X_DECIDING,
	X_WAITING,
	X_CONNECTING,
	X_SENDING,
	X_RECEIVING,
	X_REFUSING,
	X_TUNNEL,
	X_UPGRADE,
	X_DONE,
};

enum exchange_outcome {
	EXCHANGE_NEXT,	  /* answered: go on with the next request */
	EXCHANGE_CLOSE,	  /* answered: close once the answer is written */
	EXCHANGE_ABORT,	  /* close now: the answer is broken or cut short */
	EXCHANGE_TUNNEL,  /* CONNECT allowed: relay (exchange_tunnel) */
	EXCHANGE_UPGRADE, /* CONNECT allowed and intercepted: answer 200
			   * and go TLS (exchange_tunnel names the host) */
};

/* The one destination an intercepted client connection serves: the
 * tunnel's, inside TLS (CONNECT or SOCKS5 to 443 in limited mode, or a
 * transparent connection to 443), or, with plain set, in clear (a
 * transparent connection to another port in limited mode: its requests
 * are judged as protocol http). Either way each request must name that
 * host and goes nowhere else. */
struct intercept {
	char host[HTTP_MSG_MAX_HOST + 1]; /* the CONNECT host, no brackets */
	uint16_t port;
	bool is_ip;			  /* an IPv4 or IPv6 literal */
	bool approved;			  /* a person allowed the tunnel */
	bool plain;			  /* no TLS: plain HTTP */
};

struct exchange_owner {
	/* The outcome is known (exchange_outcome): once per exchange. */
	void (*done)(void *arg);
	/* Feed the request parser: the exchange takes the body now (or, for
	 * a request it answered itself, waits for its end). */
	void (*want_body)(void *arg);
	/* Stop (held) or go back to reading the client's stream: its socket
	 * is moving a body by splice meanwhile. */
	void (*hold_client)(void *arg, bool held);
	/* A request body taken by exchange_splice_body has moved, n bytes of
	 * it: the owner counts them in its parser (http1_skip_body), reads
	 * the client again, and feeds whatever is left of the body. */
	void (*body_moved)(void *arg, uint64_t n);
};

struct exchange_opts {
	struct proxy *px;
	const struct exchange_owner *owner;
	void *arg;
	struct stream *client;	  /* borrowed; written to, never read */
	struct deadline *dl;	  /* the connection's one timer, borrowed */
	struct origin_pool *pool; /* the connection's parked origin */
	const struct intercept *mitm; /* borrowed; NULL unless intercepted */
	const char *peer;	  /* the client `ip:port` */
	bool draining;
};

/* What a TUNNEL or UPGRADE outcome leads to. */
struct exchange_tunnel {
	struct stream *origin;	/* TUNNEL: the destination (the caller owns
				 * it after exchange_tunnel) */
	const char *pre;	/* TUNNEL: bytes it sent already */
	size_t n_pre;
	const char *host;	/* as judged */
	uint16_t port;
	struct proxy_state *st;	/* the request's state (borrowed) */
	bool approved;		/* UPGRADE: a person allowed it */
};

struct exchange;

struct exchange *exchange_new(const struct exchange_opts *o);
/* Starts on a request head (valid until the exchange is freed: the
 * owner does not feed its parser past this message meanwhile). rest[0..n)
 * are the bytes that followed the head so far (the chunk framing of a
 * body sent in one piece is checked before anything is dialled). */
void exchange_start(struct exchange *x, const struct http_head *h,
		    const char *rest, size_t n_rest);
/* Request body bytes (decoded) for the origin. 0, or HTTP1_PAUSE to stop
 * the parser until want_body. */
int exchange_request_body(struct exchange *x, const char *p, size_t n);
/* The request parser waits for left more bytes of a Content-Length body
 * and the owner holds none of them: the exchange may move them from the
 * client's socket to the origin's by splice(2). true when it does: the
 * owner stops reading the client until body_moved. */
bool exchange_splice_body(struct exchange *x, uint64_t left);
/* The request (its body included) has been read whole. */
void exchange_request_end(struct exchange *x);
/* The client's write queue fell below the low-water mark. */
void exchange_client_drained(struct exchange *x);
/* The request could not be read (the parser said status, text): answer
 * that, or end the exchange when its response has begun. */
void exchange_error(struct exchange *x, int status, const char *text);
/* The proxy is shutting down: no keep-alive after this exchange. */
void exchange_drain(struct exchange *x);

enum exchange_state exchange_state(const struct exchange *x);
enum exchange_outcome exchange_outcome(const struct exchange *x);
/* For TUNNEL and UPGRADE: where to. Takes the origin stream out. */
void exchange_tunnel(struct exchange *x, struct exchange_tunnel *out);

/* HTTP body bytes moved by splice(2) since the process started (all
 * proxies): they never entered the proxy's memory. */
uint64_t exchange_spliced_bytes(void);

/* Cancels whatever is pending and frees (see above). NULL is ignored. */
void exchange_free(struct exchange *x);

#endif
