/* http_msg.h — HTTP/1.1 message model and pure helpers for the proxy.
 *
 * A struct http_head is what the http1 parser hands out once a request or
 * response head has passed every strict check. All slices in it point into
 * memory owned by the parser and stay valid until the parser is fed again
 * (see http1.h); nothing here allocates except into a caller's struct buf.
 *
 * The helpers below implement reference §7.2 steps 3–4 (target and Host
 * resolution, the exact 400 texts), §7.3 step 1 (CONNECT authority) and
 * §7.5 (hop-by-hop stripping), and serialise the head the proxy sends on.
 * None of them does I/O or logs. */
#ifndef AIRLOCK_NET_HTTP_MSG_H
#define AIRLOCK_NET_HTTP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/slice.h"

/* A hostname or address may be at most this long (DNS limit is 253). */
#define HTTP_MSG_MAX_HOST 255
/* Header fields in one head (http1 answers more with 431). */
#define HTTP_MSG_MAX_HEADERS 100

struct http_header {
	struct slice name;	/* token chars only, case as received */
	struct slice value;	/* leading and trailing OWS removed */
};

/* How the body of a message is delimited on the wire. */
enum http_framing {
	HTTP_FRAMING_NONE,	/* no body (or HEAD/1xx/204/304 response) */
	HTTP_FRAMING_LENGTH,	/* Content-Length: content_length bytes */
	HTTP_FRAMING_CHUNKED,	/* Transfer-Encoding: chunked */
	HTTP_FRAMING_EOF,	/* response read until the origin closes */
};

struct http_head {
	bool is_request;
	struct slice method;	/* requests: as received, case-sensitive */
	struct slice target;	/* requests: the request-target */
	int status;		/* responses: 100..999 */
	struct slice reason;	/* responses: reason phrase, may be empty */
	int version_minor;	/* HTTP/1.<minor>; only 1.0 and 1.1 pass */
	struct http_header *headers;
	size_t nheaders;
	enum http_framing framing;
	uint64_t content_length;	/* valid when framing is LENGTH */
	bool keep_alive;	/* llhttp's view, Connection and version */
	bool upgrade;		/* CONNECT request, or 2xx answer to one */
};

/* The four request-target forms of RFC 9112 §3.2. */
enum http_target_form {
	HTTP_TARGET_INVALID,
	HTTP_TARGET_ORIGIN,	/* /path?query */
	HTTP_TARGET_ABSOLUTE,	/* scheme://authority/path */
	HTTP_TARGET_AUTHORITY,	/* host:port, CONNECT only */
	HTTP_TARGET_ASTERISK,	/* *, OPTIONS only */
};

/* Where a request goes. host points into the request (brackets of an IPv6
 * literal removed); path is the origin-form target to send upstream. */
struct http_target {
	struct slice host;
	uint16_t port;		/* explicit, else the scheme's default */
	bool port_explicit;
	bool https;		/* absolute-form https:// (caller decides) */
	bool ipv6;		/* host was a bracketed IPv6 literal */
	struct slice path;	/* "/..." or "*"; "/" when the URI had none */
};

/* Classifies target by shape alone; `method` decides whether the
 * authority and asterisk forms are acceptable (CONNECT must use the
 * authority form and nothing else may; only OPTIONS may use "*"). */
enum http_target_form http_msg_target_form(struct slice method,
    struct slice target);

/* Parses an authority `host:port`, `[v6]:port` or, when port_required is
 * false, a bare host. Rejects userinfo, empty hosts, bad or zero ports,
 * and bytes that cannot appear in a host. Returns 0 or -1. out->path is
 * left empty. */
int http_msg_parse_authority(struct slice s, bool port_required,
    uint16_t default_port, struct http_target *out);

/* Parses an absolute-form target with scheme http or https (any case).
 * Userinfo is refused. Returns 0 or -1. */
int http_msg_parse_absolute(struct slice target, struct http_target *out);

/* Finds the first header called name (case-insensitive); NULL if none. */
const struct http_header *http_msg_find(const struct http_head *h,
    const char *name);

/* Works out where a non-CONNECT request goes (reference §7.2 steps 3–4).
 * Returns NULL and fills out, or returns the exact text of the 400 the
 * proxy must answer: "missing host", "invalid Host header" or
 * "Host header does not match request target". */
const char *http_msg_request_target(const struct http_head *h,
    struct http_target *out);

/* CONNECT (reference §7.3 step 1): NULL and out filled, or the 400 text
 * "missing authority" / "invalid host". */
const char *http_msg_connect_target(const struct http_head *h,
    struct http_target *out);

/* The value of h's Content-Length header in *out; -1 when there is none
 * or it is not a plain number (a HEAD answer keeps it: it describes the
 * body a GET would have had). */
int http_msg_content_length(const struct http_head *h, uint64_t *out);

/* True when header name must not be forwarded (reference §7.5): the
 * fixed hop-by-hop list, Content-Length (the proxy writes its own
 * framing), and any header named in a Connection header of h. For
 * responses Proxy-Authenticate is hop-by-hop too. [ours] Connection
 * cannot name Host or Content-Length away: Host is always sent and the
 * framing is always ours. */
bool http_msg_is_hop_by_hop(const struct http_head *h, struct slice name);

/* The same test for every header of h at once: hop[i] tells whether
 * h->headers[i] must not be forwarded. The Connection tokens are collected
 * once and matched through a hash of the header names, so the cost grows
 * with the size of the head, not with the product of header count and
 * token count. -1 when h has more than HTTP_MSG_MAX_HEADERS headers. */
int http_msg_hop_marks(const struct http_head *h,
    bool hop[HTTP_MSG_MAX_HEADERS]);

/* Appends the head to send upstream: `METHOD path HTTP/1.1`, Host (kept
 * as received when present, else built from t), every end-to-end header
 * in received order, then the framing for the body the caller streams
 * (`Content-Length: N` for LENGTH, `Transfer-Encoding: chunked` for
 * CHUNKED, nothing for NONE), then `Connection: close` when close is set,
 * then the blank line. Returns 0, or -1 when out's cap is hit. */
int http_msg_write_request(struct buf *out, const struct http_head *h,
    const struct http_target *t, enum http_framing framing,
    uint64_t content_length, bool close);

/* Appends a response head to relay to the client: `HTTP/1.1 status
 * reason`, the end-to-end headers, framing as above (EOF framing writes no
 * header and implies close), Connection: close when close is set. */
int http_msg_write_response(struct buf *out, const struct http_head *h,
    enum http_framing framing, uint64_t content_length, bool close);

#endif
