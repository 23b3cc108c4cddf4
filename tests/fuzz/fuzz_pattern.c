/* fuzz_pattern.c — compile arbitrary pattern lists and match arbitrary
 * hosts. Input: first byte = flags (bit 0: allow `*`, bit 1: also build a
 * policy), then lines; lines before a line "--" are patterns, the rest are
 * hosts. Every host is normalized, matched against the set (and its
 * resolved-address form when it is an IP), and compared with every pattern
 * through pattern_covers; normalization must be idempotent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "policy/pattern.h"
#include "policy/policy.h"

#define MAX_LINES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
split(const char *text, size_t n, char **pats, size_t *np, char **hosts,
      size_t *nh)
{
	size_t i = 0, total = 0;
	int in_hosts = 0;

	*np = *nh = 0;
	while (i < n && total < 2 * MAX_LINES) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - text - i) : n - i;
		char *line = xstrndup(text + i, len);

		i += len + 1;
		total++;
		if (!in_hosts && strcmp(line, "--") == 0) {
			in_hosts = 1;
			free(line);
		} else if (!in_hosts && *np < MAX_LINES) {
			pats[(*np)++] = line;
		} else if (in_hosts && *nh < MAX_LINES) {
			hosts[(*nh)++] = line;
		} else {
			free(line);
		}
	}
	return total;
}

/* Normalizing a normalized host must give it back unchanged. */
static void
check_idempotent(const struct host *h)
{
	struct host again;
	const char *why;

	if (h->len == 0)
		return;
	if (host_normalize(h->text, h->len, 0, &again, &why) == -1 ||
	    strcmp(again.text, h->text) != 0 || again.kind != h->kind)
		abort();
}

static void
match_hosts(const struct pattern_set *s, char **hosts, size_t nh)
{
	struct pattern_match m;
	struct pattern_probe p;
	struct host h;
	struct ipaddr ip;
	const char *why;
	size_t i;

	for (i = 0; i < nh; i++) {
		if (host_normalize(hosts[i], strlen(hosts[i]), 0, &h, &why) ==
		    -1)
			continue;
		check_idempotent(&h);
		pattern_probe_init(&p, &h);
		(void)pattern_set_match(s, &p, h.port, &m);
		(void)pattern_set_match(s, &p, 443, &m);
		if (ipaddr_parse(h.text, h.unscoped_len, &ip) == 0)
			(void)pattern_set_match_addr(s, &ip, 443, &m);
	}
}

static void
try_policy(char **pats, size_t np, char **hosts, size_t nh)
{
	struct policy_entry e[MAX_LINES];
	struct policy_options o;
	struct policy *pol;
	struct buf b;
	size_t i;

	for (i = 0; i < np; i++)
		e[i] = (struct policy_entry){pats[i], "fuzz"};
	memset(&o, 0, sizeof(o));
	o.allow = e;
	o.n_allow = np;
	o.deny = e + np / 2;
	o.n_deny = np - np / 2;
	o.allow_global = true;
	pol = policy_new(&o, NULL);
	if (pol == NULL)
		return;
	buf_init(&b, 1 << 16);
	for (i = 0; i < nh; i++) {
		struct policy_request r = {hosts[i], 443, POLICY_PROTO_HTTP,
					   "GET", false};
		struct policy_decision d;

		policy_decide(pol, &r, &d);
		buf_reset(&b);
		(void)policy_decision_json(&d, &b);
	}
	buf_release(&b);
	policy_free(pol);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pats[MAX_LINES], *hosts[MAX_LINES];
	struct pattern_src src[MAX_LINES] = {{NULL, NULL}};
	struct pattern_set *s;
	size_t np, nh, i, j;
	unsigned flags;

	if (size < 1 || size > 16384)
		return 0;
	flags = data[0];
	split((const char *)data + 1, size - 1, pats, &np, hosts, &nh);
	for (i = 0; i < np; i++) {
		src[i].pattern = pats[i];
		src[i].origin = "fuzz";
	}
	s = pattern_set_new(src, np, flags & 1 ? PATTERN_ALLOW_GLOBAL : 0,
			    NULL);
	if (s != NULL) {
		match_hosts(s, hosts, nh);
		pattern_set_free(s);
	}
	for (i = 0; i < np && i < 8; i++)
		for (j = 0; j < nh && j < 8; j++)
			(void)pattern_covers(pats[i], hosts[j]);
	if (flags & 2)
		try_policy(pats, np, hosts, nh);
	for (i = 0; i < np; i++)
		free(pats[i]);
	for (i = 0; i < nh; i++)
		free(hosts[i]);
	return 0;
}
