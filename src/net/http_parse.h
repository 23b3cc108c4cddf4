/* http_parse.h — small pure HTTP/1.1 parsers that the proxy's I/O code
 * needs outside the message parser (http1.h): a Content-Length value, a
 * comma-separated header list, and a first look at chunked framing.
 *
 * None of them allocates, logs or does I/O; each reads only p[0..n). */
#ifndef AIRLOCK_NET_HTTP_PARSE_H
#define AIRLOCK_NET_HTTP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/slice.h"

/* Longest Content-Length accepted: 18 digits cannot overflow 64 bits. */
#define HTTP_PARSE_CL_DIGITS 18

/* Parses a Content-Length value: 1*DIGIT, at most HTTP_PARSE_CL_DIGITS of
 * them, nothing else (no sign, no space, no list). 0 and *out, or -1. */
int http_parse_content_length(struct slice v, uint64_t *out);

/* Steps through a comma-separated header list (`a, b ,c`): start with
 * http_list_init(), then each http_list_next() puts the next element,
 * without OWS, in *item (it may be empty: `a,,b`) and returns true, or
 * returns false once the list is used up. An empty value has no element;
 * `a,` has two (`a` and an empty one). */
struct http_list {
	struct slice rest;
	bool done;
};
void http_list_init(struct http_list *it, struct slice v);
bool http_list_next(struct http_list *it, struct slice *item);

/* Checks the chunk framing of the body bytes that came with a head
 * (p[0..n), possibly cut anywhere), so that a smuggling payload sent in
 * one piece can be refused before anything is dialled. false only for
 * framing that is certainly broken (a size that is no hex number or has
 * more than 15 digits, a bare LF, chunk data not followed by CRLF); a
 * prefix that is fine so far is true, and the message parser stays the
 * authority for whatever arrives later. */
bool http_parse_chunked_prefix_ok(const char *p, size_t n);

#endif
