#include "buf.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t extra)
{
	size_t want, cap;

	if (extra > b->max || b->len > b->max - extra)
		return -1;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->p = xreallocarray(b->p, cap, 1);
	b->cap = cap;
	return 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t want;

	if (n > b->max || b->len > b->max - n)
		return -1;
	want = b->len + n + 1;
	if (want > b->cap) {
		b->p = xreallocarray(b->p, want, 1);
		b->cap = want;
		b->p[b->len] = '\0';
	}
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	char *s = NULL;
	int n, rc;

	n = vasprintf(&s, fmt, ap);
	if (n < 0)
		return -1;
	rc = buf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
buf_add_json_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (buf_addch(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
		int rc;

		if (c == '"')
			rc = buf_add(b, "\\\"", 2);
		else if (c == '\\')
			rc = buf_add(b, "\\\\", 2);
		else if (c == '\n')
			rc = buf_add(b, "\\n", 2);
		else if (c == '\t')
			rc = buf_add(b, "\\t", 2);
		else if (c == '\r')
			rc = buf_add(b, "\\r", 2);
		else if (c < 0x20 || c == 0x7f)
			rc = buf_add(b, esc, 6);
		else
			rc = buf_addch(b, (char)c);
		if (rc == -1)
			return -1;
	}
	return buf_addch(b, '"');
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->p ? b->p : xstrdup("");

	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
