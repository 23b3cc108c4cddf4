/* http1.h — incremental HTTP/1.1 request and response parser for the
 * proxy: llhttp (lenient flags off) plus strict checks of our own.
 *
 * Feed bytes as they arrive; events come back through struct
 * http1_callbacks. The parser buffers a message head (up to max_head
 * bytes, 64 KiB by default) until its blank line has arrived, checks the
 * whole head and only then reports it, so no byte of a request that will
 * be refused is ever seen by on_head. Bodies are never buffered: on_body
 * gets views into the bytes the caller fed, decoded from chunked framing.
 *
 * Strict checks, each answered with 400 unless noted:
 *   - bare CR or LF anywhere in a head; obs-fold (a line starting with SP
 *     or HT); whitespace between a header name and ':'; header names that
 *     are not tokens; CTLs or NUL in a start line or header value;
 *   - Content-Length that is not 1*DIGIT (so no list form `1, 2`);
 *     several Content-Length headers with different values (identical
 *     duplicates are merged into the first: we reject only if different);
 *   - Content-Length together with Transfer-Encoding;
 *   - Transfer-Encoding other than exactly the one coding `chunked`
 *     (`gzip, chunked` → 501, anything not ending in chunked → 400): a
 *     proxy that re-frames bodies cannot keep other codings honest;
 *   - requests: more than one Host header; a request-target whose form
 *     does not suit the method (authority-form only and always with
 *     CONNECT, asterisk-form only with OPTIONS); versions other than
 *     HTTP/1.0 and HTTP/1.1 (→ 505);
 *   - responses: 101 (the proxy strips Upgrade, so 101 is a protocol
 *     violation, → 502); errors found in a response carry status 502;
 *   - a head over max_head bytes, or trailers over max_head (→ 431).
 *
 * Pipelining: after on_complete the parser goes on with the next message
 * in the same input. Any callback may return HTTP1_PAUSE; http1_feed then
 * returns right after that event, reporting how many bytes it consumed,
 * and the caller feeds the rest again when it is ready (backpressure).
 *
 * After a CONNECT request (or a 2xx response to one the caller announced
 * with http1_expect) the stream stops being HTTP: http1_feed returns the
 * bytes used by the head and http1_upgraded() turns true; what follows in
 * the input belongs to the tunnel.
 *
 * Lifetime: struct http_head and every slice in it stay valid until the
 * first byte of the next message is fed (they point into the parser's
 * head buffer), so a caller that does not feed past a message keeps its
 * head for as long as it likes. Trailers of chunked bodies are checked for size
 * and dropped. The parser never does I/O and never logs. */
#ifndef AIRLOCK_NET_HTTP1_H
#define AIRLOCK_NET_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "net/http_msg.h"

#define HTTP1_DEFAULT_MAX_HEAD (64 * 1024)
#define HTTP1_PAUSE 1

enum http1_kind {
	HTTP1_REQUEST,
	HTTP1_RESPONSE,
};

/* What the request a response answers was, for response parsers. */
enum http1_expect {
	HTTP1_EXPECT_OTHER,	/* a response with the usual framing */
	HTTP1_EXPECT_HEAD,	/* never has a body */
	HTTP1_EXPECT_CONNECT,	/* a 2xx answer starts a tunnel */
};

/* Return 0 to go on or HTTP1_PAUSE to stop after this event. Every
 * member may be NULL. */
struct http1_callbacks {
	int (*on_head)(void *arg, const struct http_head *h);
	int (*on_body)(void *arg, const char *p, size_t n);
	int (*on_complete)(void *arg);
};

struct http1;

/* max_head 0 means HTTP1_DEFAULT_MAX_HEAD. cb is copied. */
struct http1 *http1_new(enum http1_kind kind, const struct http1_callbacks *cb,
    void *arg, size_t max_head);
void http1_free(struct http1 *p);

/* Parses data[0..n). Returns the bytes consumed: n unless a callback
 * paused or the stream was upgraded; -1 once the input is invalid (every
 * later call returns -1 too; see http1_error_*). Feeding 0 bytes after a
 * pause delivers events that need no further input (e.g. on_complete of a
 * bodiless message whose on_head paused). */
ssize_t http1_feed(struct http1 *p, const char *data, size_t n);

/* Bytes of the current message's Content-Length body not yet parsed; 0
 * when the parser is not inside such a body. */
uint64_t http1_body_left(const struct http1 *p);

/* The caller moved n (<= http1_body_left) bytes of the current body past
 * the parser itself (splice(2)): the parser counts them as read, without
 * on_body. Returns 1 when that ends the message (no on_complete is
 * called: the caller knows), 0 when body is left, -1 when the parser is
 * not in such a body or n is too large. */
int http1_skip_body(struct http1 *p, uint64_t n);

/* The peer closed. Completes a response framed by connection close.
 * Returns 0 when the stream ended between messages (or the message is
 * now complete), -1 when a message was cut short. */
int http1_finish(struct http1 *p);

/* Response parsers: queue what the next request sent upstream was, in
 * order (up to 64 outstanding; more are taken as OTHER). */
void http1_expect(struct http1 *p, enum http1_expect e);

/* True once a CONNECT request or accepted tunnel has been parsed. */
bool http1_upgraded(const struct http1 *p);

/* True between messages: nothing of a next message has been seen. */
bool http1_idle(const struct http1 *p);

/* After -1: the status to answer with (400, 431, 501, 505 for requests;
 * 502 for responses) and a short lower-case reason for logs. */
int http1_error_status(const struct http1 *p);
const char *http1_error_text(const struct http1 *p);

#endif
