/* fuzz_sockdiag.c — the sock_diag answer parsers (unix and TCP): never
 * crash, never read past their input, every name reported lies inside it
 * and every TCP socket reported is of an inet family. The first four
 * bytes pick the sequence number of the answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sandbox/sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const uint8_t *p;
	size_t n;
};

static void
check(void *arg, const struct sockdiag_entry *e)
{
	const struct span *s = arg;

	if (e->name != NULL &&
	    ((const uint8_t *)e->name < s->p ||
	     (const uint8_t *)e->name + e->name_len > s->p + s->n))
		abort();
}

static void
check_tcp(void *arg, const struct sockdiag_tcp *t)
{
	(void)arg;
	if (t->family != AF_INET && t->family != AF_INET6)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span s;
	uint32_t seq = 0;
	int r;

	if (size < sizeof(seq))
		return 0;
	memcpy(&seq, data, sizeof(seq));
	/* The parser reads netlink headers through memcpy, so any
	 * alignment will do; copy anyway to let ASan see the exact end. */
	s.n = size - sizeof(seq);
	s.p = malloc(s.n + 1);
	memcpy((void *)s.p, data + sizeof(seq), s.n);
	r = sockdiag_parse(s.p, s.n, seq, check, &s);
	if (r != SOCKDIAG_MORE && r != SOCKDIAG_DONE && r != SOCKDIAG_BAD)
		abort();
	/* The same bytes as the answer to a TCP dump. */
	r = sockdiag_parse_tcp(s.p, s.n, seq, check_tcp, NULL);
	if (r != SOCKDIAG_MORE && r != SOCKDIAG_DONE && r != SOCKDIAG_BAD)
		abort();
	free((void *)s.p);
	return 0;
}
