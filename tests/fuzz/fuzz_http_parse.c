/* fuzz_http_parse.c — the small HTTP parsers of net/http_parse.h and the
 * hop-by-hop marks of http_msg.h on arbitrary bytes. The first byte picks
 * the parser; the rest is its input. Checks: a Content-Length accepted is
 * all digits, list elements lie inside the input and carry no OWS at
 * their ends, the chunked-prefix check reads nothing past its input
 * (ASan says so), and the marks agree with the one-name test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_msg.h"
#include "net/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_list(const char *p, size_t n)
{
	struct http_list it;
	struct slice item;
	size_t count = 0;

	http_list_init(&it, slice_of(p, n));
	while (http_list_next(&it, &item)) {
		if (item.n > 0 && (item.p < p || item.p + item.n > p + n ||
				   item.p[0] == ' ' || item.p[0] == '\t' ||
				   item.p[item.n - 1] == ' ' ||
				   item.p[item.n - 1] == '\t'))
			abort();
		if (++count > n + 1)
			abort();
	}
}

/* Headers `name:value` split at NUL bytes, then marked. */
static void
check_marks(const char *p, size_t n)
{
	struct http_header hdr[HTTP_MSG_MAX_HEADERS];
	bool hop[HTTP_MSG_MAX_HEADERS];
	struct http_head h;
	const char *end = p + n, *nul, *colon;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.is_request = (n & 1) != 0;
	h.headers = hdr;
	while (p < end && h.nheaders < HTTP_MSG_MAX_HEADERS) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL)
			nul = end;
		colon = memchr(p, ':', (size_t)(nul - p));
		if (colon == NULL)
			colon = nul;
		hdr[h.nheaders].name = slice_of(p, (size_t)(colon - p));
		hdr[h.nheaders].value = colon < nul ?
		    slice_of(colon + 1, (size_t)(nul - colon - 1)) :
		    slice_of(nul, 0);
		h.nheaders++;
		p = nul + (nul < end);
	}
	if (http_msg_hop_marks(&h, hop) != 0)
		abort();
	for (i = 0; i < h.nheaders; i++)
		if (hop[i] != http_msg_is_hop_by_hop(&h, hdr[i].name))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size > 0 ? size - 1 : 0, i;
	uint64_t v;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (http_parse_content_length(slice_of(p, n), &v) == 0)
			for (i = 0; i < n; i++)
				if (p[i] < '0' || p[i] > '9')
					abort();
		break;
	case 1:
		check_list(p, n);
		break;
	case 2:
		(void)http_parse_chunked_prefix_ok(p, n);
		break;
	default:
		check_marks(p, n);
		break;
	}
	return 0;
}
