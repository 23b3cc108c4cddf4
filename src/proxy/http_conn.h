/* http_conn.h — one client connection of the HTTP proxy listener, shared
 * by http_proxy.c (client side: heads, decisions, replies, CONNECT) and
 * http_forward.c (origin side of plain requests). Not for use outside
 * src/proxy/.
 *
 * Life of a request: HC_HEAD (parser reads a head; header deadline) →
 * HC_DECIDING (policy, one DNS lookup) → HC_CONNECTING (dial the vetted
 * addresses) → HC_FORWARD (plain request: body up, response down) or
 * HC_TUNNEL (CONNECT: the relay owns both sockets). A refusal goes through
 * HC_REPLY. After a response the connection returns to HC_HEAD for the
 * next (possibly pipelined) request, unless it must close.
 *
 * Origin keep-alive: when an exchange ends cleanly (response framed by
 * length or chunks, origin willing to keep the connection, request sent
 * whole, no byte left over, dialled directly rather than through an
 * upstream proxy) its origin connection is parked in c->park instead of
 * closed — at most one per client connection. The next request still
 * gets its whole decision (policy and DNS); only when it is allowed, goes
 * to the same normalized host, port and scheme, and the parked peer
 * address is among the freshly vetted addresses does hr_reach hand the
 * parked socket to hf_start (no dial, no upstream, no TLS handshake).
 * Anything else drops it. A parked origin is read: any byte or EOF from
 * it drops it. hc_close drops it too, so the client connection's own
 * deadlines (keep-alive, header) bound how long it stays parked.
 *
 * One owner, one death path: hc_close() cancels whatever is pending and
 * closes every handle; the struct is freed when the last close callback
 * has run. */
#ifndef AIRLOCK_HTTP_CONN_H
#define AIRLOCK_HTTP_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "lib/buf.h"
#include "policy/host.h"
#include "net/http1.h"
#include "net/upstream.h"
#include "net/http_msg.h"
#include "proxy/proxy_int.h"
#include "proxy/sni_check.h"

#define HC_IN_MAX (64 * 1024)
#define HC_WRITE_HIGH (256 * 1024)

enum hc_state {
	HC_HEAD,
	HC_DECIDING,
	HC_CONNECTING,
	HC_FORWARD,
	HC_REPLY,
	HC_TUNNEL,
	HC_CLOSING,
};

struct hconn;

/* The origin connection of a finished exchange, kept for the next one. */
struct hc_park {
	uv_tcp_t *tcp;             /* counted in handles; NULL when none */
	char host[HOST_TEXT_MAX];  /* normalized host it was reached as */
	uint16_t port;
	bool tls;                  /* the upstream TLS of a MITM tunnel */
	struct sockaddr_storage addr; /* the origin's address */
	uint64_t since;            /* uv_now() when parked */
};

/* Called once the destination is reached: tcp is connected to it (or
 * through an upstream proxy to it); pre[0..n_pre) are bytes the upstream
 * already sent from it. */
typedef void hc_reached_fn(struct hconn *c, uv_tcp_t *tcp, const char *pre,
			   size_t n_pre);

struct hconn {
	struct proxy_conn base; /* first: a proxy_conn * is an hconn * */
	struct proxy *px;
	struct proxy_state *st; /* for the request in progress */
	enum hc_state state;
	uv_tcp_t *client;
	uv_tcp_t *origin;
	uv_timer_t *timer;
	char peer[64];
	struct http1 *req;
	struct http1 *resp;
	struct buf in;             /* client bytes not yet parsed */
	const struct http_head *head; /* the request head in progress */
	struct http_target target;
	char host[HTTP_MSG_MAX_HOST + 1];
	char method[32];
	bool is_connect;
	bool paused;               /* the request parser stopped on an event */
	bool kick;                 /* feed the parser once even with no input */
	bool pumping;              /* inside hc_pump (no re-entry) */
	bool exchange_end;         /* request and answer are both done */
	bool head_ready;           /* on_head fired; start the request */
	bool head_armed;           /* the head in progress has its deadline */
	bool req_done, resp_done;  /* the two halves of an exchange */
	bool replying;             /* the current request was answered by us */
	bool close_after;          /* close once the current answer is out */
	bool draining;             /* shutdown: no further requests */
	bool resp_started;         /* some of the response reached the client */
	bool chunk_up, chunk_down; /* re-chunk the body we send on */
	bool resp_paused;          /* response parser waits for the client */
	bool resp_interim;         /* the response in progress is a 1xx */
	bool req_is_head;          /* saved from the request head, which */
	bool req_keepalive;        /* dies when its message completes */
	int req_minor;
	struct buf oin;            /* origin bytes the response parser left */
	struct proxy_decide *decide;
	struct dial *dial;
	struct upstream_connect *up;
	hc_reached_fn *reached;     /* what hr_reach does once connected */
	const struct upstream *via; /* HTTP upstream taking absolute-form */
	struct relay *relay;
	struct sni_check sni;      /* the tunnel's SNI check (sni_check.h) */
	struct mitm_tunnel *mitm;  /* inside an intercepted tunnel (mitm.h) */
	struct hc_park park;       /* a parked origin, or park.tcp == NULL */
	struct sockaddr_storage origin_addr; /* peer of the origin in use */
	bool origin_direct;        /* origin dialled straight to origin_addr */
	bool origin_reusable;      /* its response left it fit for another */
	bool origin_reused;        /* taken from the park for this request */
	int handles;               /* open handles; freed at zero */
};

/* Serves HTTP on an already connected stream (malloc'd, initialised):
 * the plaintext of an intercepted tunnel. peer names the client. NULL
 * when over the connection cap (client is closed then). */
struct hconn *hc_adopt(struct proxy *px, uv_tcp_t *client, const char *peer);
/* Closes one handle of c (NULL or closing handles are ignored). */
void hc_close_handle(struct hconn *c, uv_handle_t *h);
/* Closes the connection (any state); why is for debugging. */
void hc_close(struct hconn *c, const char *why);
/* Writes n bytes of p (copied) to s. */
void hc_write(struct hconn *c, uv_stream_t *s, const char *p, size_t n);
/* Sends a response the proxy made, then goes on or closes. */
void hc_reply(struct hconn *c, struct buf *resp, bool close);
/* Sends a text/plain error response and closes afterwards. */
void hc_error(struct hconn *c, int status, const char *text);
/* Parses buffered client input until an event needs attention. */
void hc_pump(struct hconn *c);
/* Reading from the client: on unless paused or between states. */
void hc_client_read(struct hconn *c, bool on);
/* (Re)arms the single deadline timer of the connection. */
void hc_deadline(struct hconn *c, uint64_t ms);

/* http_route.c: reaches c->host:c->target.port through the upstream proxy
 * the state selects for it (a tunnel when tunnel is set, else plain-HTTP
 * forwarding) or straight to the vetted addrs, then calls reached; a
 * failure is answered with a 502 naming what failed. */
void hr_reach(struct hconn *c, const struct resolve_result *addrs, bool tunnel,
	      hc_reached_fn *reached);

/* http_proxy.c: saves what the exchange needs from the request head,
 * then decides (policy + one DNS lookup) with proto; cb gets the outcome.
 * A disabled proxy answers 503 here, recorded like a decision. */
void hc_decide(struct hconn *c, enum policy_protocol proto, proxy_decide_cb *cb);
/* http_route.c: answers a refused request with its block response (text
 * for CONNECT and inside interception, JSON otherwise). */
void hr_refuse(struct hconn *c, const struct policy_decision *d, bool text);

/* http_route.c: the decision's outcome — refuse, or reach the destination
 * directly or through an upstream proxy, then tunnel or forward. */
void hr_decided(void *arg, const struct policy_decision *d,
		const struct resolve_result *addrs, const char *why);

/* http_forward.c: the origin side of a plain request. */
void hf_start(struct hconn *c, uv_tcp_t *origin);
int hf_request_body(struct hconn *c, const char *p, size_t n);
void hf_request_complete(struct hconn *c);
void hf_client_drained(struct hconn *c);
void hf_origin_drained(struct hconn *c);
void hf_close_origin(struct hconn *c);
/* Ends the origin side of a finished exchange: parks the origin when it
 * is safe to reuse (see the top of this file), else closes it. */
void hf_end_origin(struct hconn *c);
/* The parked origin, taken out of the park, when it fits the current
 * request (c->host, c->target.port, tls) and its address is one of
 * addrs; NULL otherwise (the parked one, if any, is then closed). */
uv_tcp_t *hf_take_parked(struct hconn *c, const struct resolve_result *addrs,
			 bool tls);
/* Closes the parked origin, if any. */
void hf_drop_parked(struct hconn *c);
/* Origin connections reused since the process started (all proxies). */
uint64_t hf_origin_reuses(void);

#endif
