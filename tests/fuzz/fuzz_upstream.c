/* fuzz_upstream.c — the pure half of net/upstream on arbitrary bytes.
 *
 * The first byte picks a target: the CONNECT reply parser (which must
 * never claim more bytes than it got, nor a status outside 100..599), the
 * proxy URL parser (a parsed URL must have a host and a port, and its
 * label must re-parse to the same host and port), or a whole
 * configuration built from NUL-separated environment entries and
 * no_proxy items, then queried with the last item as a host. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "lib/xalloc.h"
#include "net/upstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_reply(const char *p, size_t n)
{
	size_t line = 0;
	int status = 0;
	int rc = upstream_parse_connect_reply(p, n, &status, &line);

	if (rc > 0 && ((size_t)rc > n || status < 100 || status > 599 ||
		       line + 4 > (size_t)rc))
		abort();
}

static void
fuzz_url(const char *p, size_t n)
{
	struct upstream u, v;
	const char *why;
	char label[400];

	if (upstream_parse_url(p, n, n % 2 == 0, &u, &why) == -1)
		return;
	if (u.host == NULL || u.host[0] == '\0' || u.port == 0)
		abort();
	upstream_label(&u, label, sizeof(label));
	if (upstream_parse_url(label, strlen(label), false, &v, &why) == -1 ||
	    strcmp(u.host, v.host) != 0 || u.port != v.port)
		abort();
	free(upstream_proxy_authorization(&u));
	upstream_release(&v);
	upstream_release(&u);
}

/* Splits p[0..n) on NUL bytes into heap strings. */
static size_t
split(const char *p, size_t n, char **out, size_t max)
{
	size_t k = 0, len;

	while (n > 0 && k < max) {
		len = strnlen(p, n);
		out[k++] = xstrndup(p, len);
		p += len;
		n -= len;
		if (n > 0) {
			p++;
			n--;
		}
	}
	return k;
}

static void
fuzz_cfg(const char *p, size_t n)
{
	char *items[32];
	const char *envp[33];
	size_t k = split(p, n, items, 32), i, half = k / 2;
	struct upstream_cfg cfg;
	struct errbuf warn;

	for (i = 0; i < half; i++)
		envp[i] = items[i];
	envp[half] = NULL;
	errbuf_init(&warn);
	upstream_cfg_build(&cfg, true, NULL, (const char *const *)items + half,
			   k - half, envp, &warn);
	if (k > 0) {
		upstream_select(&cfg, items[k - 1], true);
		upstream_select(&cfg, items[k - 1], false);
	}
	upstream_cfg_release(&cfg);
	errbuf_release(&warn);
	for (i = 0; i < k; i++)
		free(items[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_reply(p, size - 1); break;
	case 1: fuzz_url(p, size - 1); break;
	default: fuzz_cfg(p, size - 1); break;
	}
	return 0;
}
