/* http1.c — llhttp wrapper with strict head checks. See http1.h.
 *
 * How a message flows: head bytes are copied into p->head until the blank
 * line ends it (head_take); scan_head() then checks the raw head; only a
 * clean head is handed to llhttp, from p->head, so the slices llhttp's
 * callbacks produce stay valid. Identical duplicate Content-Length lines
 * are not shown to llhttp at all (it refuses any duplicate), which is how
 * they are merged. Body bytes go to llhttp straight from the caller.
 * Every llhttp callback that ends an event returns HPE_PAUSED so that
 * control comes back to http1_feed, which decides whether to go on. */
#include "net/http1.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "net/http_parse.h"
#include "llhttp.h"

#define EXPECT_MAX 64

enum http1_state {
	ST_HEAD,	/* buffering a head */
	ST_BODY,	/* llhttp owns the stream until message complete */
	ST_UPGRADED,	/* tunnel: nothing more to parse */
	ST_ERROR,
};

struct http1 {
	llhttp_t ll;
	llhttp_settings_t settings;
	enum http1_kind kind;
	struct http1_callbacks cb;
	void *arg;
	size_t max_head;
	enum http1_state state;
	struct buf head;	/* the raw head of the current message */
	bool head_stale;	/* head belongs to a finished message */
	struct http_head h;
	size_t hdr_cap;
	bool in_value;		/* last header callback was a value */
	bool user_pause;	/* a user callback asked to stop */
	bool in_trailers;
	size_t trailer_bytes;
	int err_status;
	const char *err_text;
	unsigned char expect[EXPECT_MAX];
	size_t expect_head, expect_len;
};

static int
fail(struct http1 *p, int status, const char *text)
{
	if (p->state != ST_ERROR) {
		p->state = ST_ERROR;
		p->err_status = p->kind == HTTP1_RESPONSE ? 502 : status;
		p->err_text = text;
	}
	return -1;
}

static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* ---- raw head checks ------------------------------------------------ */

/* What scan_head learns on the way. */
struct scan {
	bool have_cl, have_te, dup_cl;
	uint64_t cl;
	unsigned hosts;
	size_t headers;
	struct slice te_last;	/* last coding named by Transfer-Encoding */
	unsigned te_codings;
	const char *why;
	int status;
};

static int
scan_fail(struct scan *s, int status, const char *why)
{
	s->status = status;
	s->why = why;
	return -1;
}

/* Start line: printable ASCII and SP; a reason phrase may also hold HT
 * and obs-text. */
static int
scan_start_line(struct slice l, bool response, struct scan *s)
{
	size_t i;

	if (l.n == 0)
		return scan_fail(s, 400, "empty start line");
	for (i = 0; i < l.n; i++) {
		unsigned char c = (unsigned char)l.p[i];

		if (c == ' ' || (c > 0x20 && c < 0x7f))
			continue;
		if (response && (c == '\t' || c >= 0x80))
			continue;
		return scan_fail(s, 400, "invalid byte in start line");
	}
	return 0;
}

static int
scan_content_length(struct slice v, struct scan *s)
{
	uint64_t n;

	if (http_parse_content_length(v, &n) == -1)
		return scan_fail(s, 400, "invalid content-length");
	if (s->have_cl && n != s->cl)
		return scan_fail(s, 400, "conflicting content-length");
	s->dup_cl |= s->have_cl;
	s->have_cl = true;
	s->cl = n;
	return 0;
}

/* Remembers the codings of every Transfer-Encoding line in order. */
static int
scan_transfer_encoding(struct slice v, struct scan *s)
{
	struct http_list it;
	struct slice c;

	s->have_te = true;
	http_list_init(&it, v);
	if (it.done)
		return scan_fail(s, 400, "invalid transfer-encoding");
	while (http_list_next(&it, &c)) {
		if (c.n == 0)
			return scan_fail(s, 400, "invalid transfer-encoding");
		s->te_last = c;
		s->te_codings++;
	}
	return 0;
}

static int
scan_header_line(struct slice l, struct scan *s)
{
	size_t i = 0;
	struct slice name, value;

	if (l.p[0] == ' ' || l.p[0] == '\t')
		return scan_fail(s, 400, "obs-fold in header");
	while (i < l.n && is_tchar((unsigned char)l.p[i]))
		i++;
	if (i < l.n && (l.p[i] == ' ' || l.p[i] == '\t'))
		return scan_fail(s, 400, "whitespace before colon in header");
	if (i == 0 || i == l.n || l.p[i] != ':')
		return scan_fail(s, 400, "invalid header name");
	name = slice_of(l.p, i);
	value = slice_of(l.p + i + 1, l.n - i - 1);
	for (i = 0; i < value.n; i++) {
		unsigned char c = (unsigned char)value.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return scan_fail(s, 400, "invalid byte in header value");
	}
	value = slice_trim_ows(value);
	if (slice_caseeq_cstr(name, "content-length"))
		return scan_content_length(value, s);
	if (slice_caseeq_cstr(name, "transfer-encoding"))
		return scan_transfer_encoding(value, s);
	if (slice_caseeq_cstr(name, "host"))
		s->hosts++;
	return 0;
}

static int
scan_framing(struct scan *s)
{
	if (s->have_cl && s->have_te)
		return scan_fail(s, 400, "content-length with transfer-encoding");
	if (!s->have_te)
		return 0;
	if (!slice_caseeq_cstr(s->te_last, "chunked"))
		return scan_fail(s, 400, "transfer-encoding must end in chunked");
	if (s->te_codings != 1)
		return scan_fail(s, 501, "unsupported transfer-encoding");
	return 0;
}

/* Checks a complete head h[0..n), which ends in CRLF CRLF and holds no
 * bare CR or LF (head_take made sure). */
static int
scan_head(const char *h, size_t n, bool response, struct scan *s)
{
	const char *end = h + n - 2;	/* the final CRLF */
	const char *line = h;
	bool first = true;

	memset(s, 0, sizeof(*s));
	while (line < end) {
		const char *cr = memchr(line, '\r', (size_t)(end - line));
		struct slice l = slice_of(line, (size_t)(cr - line));
		int rc;

		if (!first && ++s->headers > HTTP_MSG_MAX_HEADERS)
			return scan_fail(s, 431, "too many header fields");
		rc = first ? scan_start_line(l, response, s) :
		    scan_header_line(l, s);
		if (rc == -1)
			return -1;
		first = false;
		line = cr + 2;
	}
	if (!response && s->hosts > 1)
		return scan_fail(s, 400, "more than one host header");
	return scan_framing(s);
}

/* ---- llhttp callbacks ------------------------------------------------ */

static struct http1 *
self(llhttp_t *ll)
{
	return ll->data;
}

static int
on_method(llhttp_t *ll, const char *at, size_t n)
{
	self(ll)->h.method = slice_of(at, n);
	return 0;
}

static int
on_url(llhttp_t *ll, const char *at, size_t n)
{
	self(ll)->h.target = slice_of(at, n);
	return 0;
}

static int
on_status(llhttp_t *ll, const char *at, size_t n)
{
	self(ll)->h.reason = slice_of(at, n);
	return 0;
}

static int
trailer_bytes(struct http1 *p, size_t n)
{
	p->trailer_bytes += n;
	if (p->trailer_bytes > p->max_head) {
		fail(p, 431, "trailers too large");
		return HPE_USER;
	}
	return 0;
}

static int
on_header_field(llhttp_t *ll, const char *at, size_t n)
{
	struct http1 *p = self(ll);
	struct http_header *x;

	if (p->in_trailers)
		return trailer_bytes(p, n);
	if (p->h.nheaders == 0 || p->in_value) {
		if (p->h.nheaders == p->hdr_cap) {
			p->hdr_cap = p->hdr_cap ? p->hdr_cap * 2 : 16;
			p->h.headers = xreallocarray(p->h.headers, p->hdr_cap,
			    sizeof(*p->h.headers));
		}
		x = &p->h.headers[p->h.nheaders++];
		x->name = slice_of(at, n);
		x->value = slice_of(at + n, 0);
		p->in_value = false;
		return 0;
	}
	/* The head is fed whole, so a name never arrives in two pieces. */
	x = &p->h.headers[p->h.nheaders - 1];
	if (x->name.p + x->name.n != at)
		return HPE_USER;
	x->name.n += n;
	return 0;
}

static int
on_header_value(llhttp_t *ll, const char *at, size_t n)
{
	struct http1 *p = self(ll);
	struct http_header *x;

	if (p->in_trailers)
		return trailer_bytes(p, n);
	if (p->h.nheaders == 0)
		return HPE_USER;
	x = &p->h.headers[p->h.nheaders - 1];
	if (!p->in_value)
		x->value = slice_of(at, n);
	else if (x->value.p + x->value.n == at)
		x->value.n += n;
	else
		return HPE_USER;
	p->in_value = true;
	return 0;
}

static enum http1_expect
expect_peek(const struct http1 *p)
{
	if (p->expect_len == 0)
		return HTTP1_EXPECT_OTHER;
	return (enum http1_expect)p->expect[p->expect_head];
}

static void
expect_pop(struct http1 *p)
{
	if (p->expect_len == 0)
		return;
	p->expect_head = (p->expect_head + 1) % EXPECT_MAX;
	p->expect_len--;
}

/* Decides framing for a request; -1 when the head is unacceptable. */
static int
request_framing(struct http1 *p)
{
	struct http_head *h = &p->h;

	if (http_msg_target_form(h->method, h->target) == HTTP_TARGET_INVALID)
		return fail(p, 400, "invalid request target");
	if (p->ll.method == HTTP_CONNECT) {
		h->upgrade = true;
		h->framing = HTTP_FRAMING_NONE;
		return 0;
	}
	p->ll.upgrade = 0;	/* Upgrade is stripped; parse on as HTTP */
	if (p->ll.flags & F_CHUNKED)
		h->framing = HTTP_FRAMING_CHUNKED;
	else if (p->ll.flags & F_CONTENT_LENGTH)
		h->framing = HTTP_FRAMING_LENGTH;
	else
		h->framing = HTTP_FRAMING_NONE;
	return 0;
}

static int
response_framing(struct http1 *p)
{
	struct http_head *h = &p->h;
	enum http1_expect e = expect_peek(p);

	h->status = p->ll.status_code;
	if (h->status == 101)
		return fail(p, 502, "unexpected 101 response");
	if (h->status >= 200)
		expect_pop(p);
	p->ll.upgrade = 0;
	if (e == HTTP1_EXPECT_CONNECT && h->status / 100 == 2) {
		p->ll.upgrade = 1;
		p->ll.flags |= F_SKIPBODY;
		h->upgrade = true;
	} else if ((e == HTTP1_EXPECT_HEAD && h->status >= 200) ||
	    h->status < 200 || h->status == 204 || h->status == 304) {
		/* llhttp leaves bodiless statuses to its caller */
		p->ll.flags |= F_SKIPBODY;
	}
	if (p->ll.flags & F_SKIPBODY)
		h->framing = HTTP_FRAMING_NONE;
	else if (p->ll.flags & F_CHUNKED)
		h->framing = HTTP_FRAMING_CHUNKED;
	else if (p->ll.flags & F_CONTENT_LENGTH)
		h->framing = HTTP_FRAMING_LENGTH;
	else
		h->framing = HTTP_FRAMING_EOF;
	return 0;
}

static int
on_headers_complete(llhttp_t *ll)
{
	struct http1 *p = self(ll);
	struct http_head *h = &p->h;
	size_t i;
	int rc;

	if (ll->http_major != 1 || ll->http_minor > 1)
		return fail(p, 505, "unsupported http version"), HPE_USER;
	for (i = 0; i < h->nheaders; i++)
		h->headers[i].value = slice_trim_ows(h->headers[i].value);
	h->is_request = p->kind == HTTP1_REQUEST;
	h->version_minor = ll->http_minor;
	rc = h->is_request ? request_framing(p) : response_framing(p);
	if (rc == -1)
		return HPE_USER;
	h->content_length = ll->content_length;
	h->keep_alive = llhttp_should_keep_alive(ll) != 0;
	if (p->cb.on_head != NULL && p->cb.on_head(p->arg, h) == HTTP1_PAUSE)
		p->user_pause = true;
	p->in_trailers = true;	/* any header callbacks from now on */
	return HPE_PAUSED;
}

static int
on_body(llhttp_t *ll, const char *at, size_t n)
{
	struct http1 *p = self(ll);

	if (p->cb.on_body != NULL && p->cb.on_body(p->arg, at, n) ==
	    HTTP1_PAUSE) {
		p->user_pause = true;
		return HPE_PAUSED;
	}
	return 0;
}

static int
on_message_complete(llhttp_t *ll)
{
	struct http1 *p = self(ll);

	if (p->cb.on_complete != NULL && p->cb.on_complete(p->arg) ==
	    HTTP1_PAUSE)
		p->user_pause = true;
	p->state = p->h.upgrade ? ST_UPGRADED : ST_HEAD;
	p->head_stale = true;
	return HPE_PAUSED;
}

/* ---- life cycle ------------------------------------------------------ */

struct http1 *
http1_new(enum http1_kind kind, const struct http1_callbacks *cb, void *arg,
    size_t max_head)
{
	struct http1 *p = xcalloc(1, sizeof(*p));

	p->kind = kind;
	if (cb != NULL)
		p->cb = *cb;
	p->arg = arg;
	p->max_head = max_head ? max_head : HTTP1_DEFAULT_MAX_HEAD;
	buf_init(&p->head, p->max_head);
	llhttp_settings_init(&p->settings);
	p->settings.on_method = on_method;
	p->settings.on_url = on_url;
	p->settings.on_status = on_status;
	p->settings.on_header_field = on_header_field;
	p->settings.on_header_value = on_header_value;
	p->settings.on_headers_complete = on_headers_complete;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	llhttp_init(&p->ll, kind == HTTP1_REQUEST ? HTTP_REQUEST :
	    HTTP_RESPONSE, &p->settings);
	p->ll.data = p;
	p->state = ST_HEAD;
	return p;
}

void
http1_free(struct http1 *p)
{
	if (p == NULL)
		return;
	buf_release(&p->head);
	free(p->h.headers);
	free(p);
}

void
http1_expect(struct http1 *p, enum http1_expect e)
{
	if (p->expect_len == EXPECT_MAX)
		return;
	p->expect[(p->expect_head + p->expect_len) % EXPECT_MAX] =
	    (unsigned char)e;
	p->expect_len++;
}

bool
http1_upgraded(const struct http1 *p)
{
	return p->state == ST_UPGRADED;
}

bool
http1_idle(const struct http1 *p)
{
	return p->state == ST_HEAD && (p->head_stale || p->head.len == 0);
}

int
http1_error_status(const struct http1 *p)
{
	return p->state == ST_ERROR ? p->err_status : 0;
}

const char *
http1_error_text(const struct http1 *p)
{
	return p->state == ST_ERROR ? p->err_text : "";
}

/* ---- feeding --------------------------------------------------------- */

/* Starts a new head: forget the previous message. */
static void
head_reset(struct http1 *p)
{
	struct http_header *keep = p->h.headers;

	buf_reset(&p->head);
	memset(&p->h, 0, sizeof(p->h));
	p->h.headers = keep;
	p->in_value = false;
	p->in_trailers = false;
	p->trailer_bytes = 0;
	p->head_stale = false;
}

/* Copies head bytes from data; sets *done once the blank line is in.
 * Returns bytes used or -1. CR and LF before a head are skipped (RFC
 * 9112 §2.2 lets a server ignore empty lines there; clients send one
 * after a body); they never reach llhttp. */
static ssize_t
head_take(struct http1 *p, const char *data, size_t n, bool *done)
{
	size_t i;

	*done = false;
	for (i = 0; i < n; i++) {
		char c = data[i];
		size_t len = p->head.len;
		char prev = len > 0 ? p->head.p[len - 1] : 0;

		if (len == 0 && (c == '\r' || c == '\n'))
			continue;
		if ((c == '\n') != (prev == '\r'))
			return fail(p, 400, prev == '\r' ? "bare cr in head" :
			    "bare lf in head");
		if (buf_addch(&p->head, c) == -1)
			return fail(p, 431, "head too large");
		if (c == '\n' && len >= 3 && p->head.p[len - 2] == '\n')
			break;
	}
	if (i < n) {
		*done = true;
		i++;
	}
	return (ssize_t)i;
}

/* Hands the checked head to llhttp, leaving out duplicate
 * Content-Length lines (scan_head proved them identical). */
static llhttp_errno_t
head_execute(struct http1 *p, bool dup_cl)
{
	const char *h = p->head.p, *end = h + p->head.len;
	const char *line = h;
	bool seen_cl = false;
	llhttp_errno_t err;

	if (!dup_cl)
		return llhttp_execute(&p->ll, h, p->head.len);
	while (line < end) {
		const char *lf = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)(lf - line) + 1;

		if (line != h && n > 15 && slice_caseeq_cstr(slice_of(line, 15),
		    "content-length:")) {
			if (seen_cl) {
				line = lf + 1;
				continue;
			}
			seen_cl = true;
		}
		err = llhttp_execute(&p->ll, line, n);
		if (err != HPE_OK)
			return err;
		line = lf + 1;
	}
	return HPE_OK;
}

/* Runs llhttp over the buffered head. It stops in on_headers_complete
 * (or in on_message_complete for a bodiless message) and must have used
 * the head exactly. */
static int
head_run(struct http1 *p)
{
	struct scan s;
	llhttp_errno_t err;

	if (scan_head(p->head.p, p->head.len, p->kind == HTTP1_RESPONSE,
	    &s) == -1)
		return fail(p, s.status, s.why);
	p->state = ST_BODY;
	err = head_execute(p, s.dup_cl);
	if (p->state == ST_ERROR)
		return -1;
	if (err != HPE_PAUSED)
		return fail(p, 400, err == HPE_OK ? "incomplete head" :
		    llhttp_get_error_reason(&p->ll));
	if (llhttp_get_error_pos(&p->ll) != p->head.p + p->head.len)
		return fail(p, 400, "trailing bytes after head");
	llhttp_resume(&p->ll);
	return 0;
}

/* One llhttp step over body bytes; returns bytes used or -1. */
static ssize_t
body_run(struct http1 *p, const char *data, size_t n)
{
	llhttp_errno_t err = llhttp_execute(&p->ll, data, n);

	if (err == HPE_OK)
		return (ssize_t)n;
	if (p->state == ST_ERROR)
		return -1;
	if (err == HPE_PAUSED) {
		llhttp_resume(&p->ll);
		return llhttp_get_error_pos(&p->ll) - data;
	}
	if (err == HPE_PAUSED_UPGRADE && p->state == ST_UPGRADED)
		return llhttp_get_error_pos(&p->ll) - data;
	return fail(p, 400, llhttp_get_error_reason(&p->ll));
}

ssize_t
http1_feed(struct http1 *p, const char *data, size_t n)
{
	size_t done = 0;
	ssize_t r;
	bool complete;

	while (p->state != ST_ERROR) {
		if (p->user_pause) {
			p->user_pause = false;
			return (ssize_t)done;
		}
		switch (p->state) {
		case ST_HEAD:
			if (done == n)
				return (ssize_t)done;
			if (p->head_stale)
				head_reset(p);
			r = head_take(p, data + done, n - done, &complete);
			if (r < 0)
				return -1;
			done += (size_t)r;
			if (complete && head_run(p) == -1)
				return -1;
			break;
		case ST_BODY:
			r = body_run(p, data + done, n - done);
			if (r < 0)
				return -1;
			if (r == 0 && done == n && !p->user_pause &&
			    p->state == ST_BODY)
				return (ssize_t)done;
			done += (size_t)r;
			break;
		case ST_UPGRADED:
			return (ssize_t)done;
		case ST_ERROR:
			break;
		}
	}
	return -1;
}

int
http1_finish(struct http1 *p)
{
	llhttp_errno_t err;

	switch (p->state) {
	case ST_HEAD:
		return http1_idle(p) ? 0 : fail(p, 400, "truncated head");
	case ST_BODY:
		if (p->h.framing != HTTP_FRAMING_EOF)
			return fail(p, 400, "truncated body");
		err = llhttp_finish(&p->ll);
		if (err != HPE_OK && err != HPE_PAUSED)
			return fail(p, 400, llhttp_get_error_reason(&p->ll));
		p->user_pause = false;
		return 0;
	case ST_UPGRADED:
		return 0;
	case ST_ERROR:
		break;
	}
	return -1;
}

uint64_t
http1_body_left(const struct http1 *p)
{
	if (p->state != ST_BODY || p->h.framing != HTTP_FRAMING_LENGTH)
		return 0;
	return p->ll.content_length;
}

int
http1_skip_body(struct http1 *p, uint64_t n)
{
	uint64_t left = http1_body_left(p);

	if (left == 0 || n > left)
		return -1;
	if (n < left) {
		/* llhttp counts the body down in content_length. */
		p->ll.content_length -= n;
		return 0;
	}
	llhttp_reset(&p->ll);
	p->state = ST_HEAD;
	p->head_stale = true;
	p->user_pause = false;
	return 1;
}
