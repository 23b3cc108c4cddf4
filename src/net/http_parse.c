/* http_parse.c — see http_parse.h. */
#include "net/http_parse.h"

#include <string.h>

#include "lib/hex.h"

int
http_parse_content_length(struct slice v, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (v.n == 0 || v.n > HTTP_PARSE_CL_DIGITS)
		return -1;
	for (i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return 0;
}

void
http_list_init(struct http_list *it, struct slice v)
{
	it->rest = v;
	it->done = v.n == 0;
}

bool
http_list_next(struct http_list *it, struct slice *item)
{
	const char *comma;
	size_t len;

	if (it->done)
		return false;
	comma = memchr(it->rest.p, ',', it->rest.n);
	len = comma != NULL ? (size_t)(comma - it->rest.p) : it->rest.n;
	*item = slice_trim_ows(slice_of(it->rest.p, len));
	if (comma == NULL)
		it->done = true;
	else
		it->rest = slice_of(comma + 1, it->rest.n - len - 1);
	return true;
}

/* One chunk-size line at p[*i..n): the size in *size. 1 when the line is
 * complete (*i past its CRLF), 0 when the bytes end first, -1 when it is
 * broken. */
static int
size_line(const char *p, size_t n, size_t *i, uint64_t *size)
{
	size_t j = *i, digits = 0;

	for (*size = 0; j < n && hex_digit(p[j]) >= 0; j++) {
		if (++digits > 15)
			return -1; /* a size past any sane body */
		*size = *size * 16 + (uint64_t)hex_digit(p[j]);
	}
	if (j == n)
		return 0;
	if (digits == 0)
		return -1;
	while (j < n && p[j] != '\r' && p[j] != '\n')
		j++; /* chunk extensions: the message parser judges them */
	if (j < n && p[j] == '\n')
		return -1;
	if (j + 1 >= n)
		return 0;
	if (p[j + 1] != '\n')
		return -1;
	*i = j + 2;
	return 1;
}

bool
http_parse_chunked_prefix_ok(const char *p, size_t n)
{
	size_t i = 0;
	uint64_t size;
	int rc;

	while (i < n) {
		rc = size_line(p, n, &i, &size);
		if (rc <= 0)
			return rc == 0;
		/* Trailers are the message parser's business. */
		if (size == 0)
			return true;
		if (size >= n - i)
			return true;
		i += (size_t)size;
		if (p[i] != '\r' || (i + 1 < n && p[i + 1] != '\n'))
			return false;
		i += 2;
	}
	return true;
}
