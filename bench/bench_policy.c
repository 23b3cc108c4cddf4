/* bench_policy.c — pre-DNS decisions per second against policies of 1,000
 * and 100,000 generated patterns (exact, *., **., mid-label, CIDR; one in
 * ten goes to the deny list). Queries are host names of 3–5 labels, half
 * of them hits. The two rates should be within 20% of each other: lookup
 * cost must not grow with the number of patterns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xalloc.h"
#include "policy/policy.h"

#define NQUERIES 4096
#define ITERATIONS 5000000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static char *
make_pattern(size_t i)
{
	unsigned z = (unsigned)(i % 53);

	switch (i % 10) {
	case 0: case 1: case 2: case 3:
		return xasprintf("api.d%zu.zone%u.net", i, z);
	case 4: case 5:
		return xasprintf("*.d%zu.zone%u.net", i, z);
	case 6: case 7:
		return xasprintf("**.d%zu.zone%u.net", i, z);
	case 8:
		return xasprintf("r*.d%zu.zone%u.net", i, z);
	default:
		return xasprintf("10.%zu.%zu.%zu/%d", (i >> 12) & 255,
				 (i >> 4) & 255, (i & 15) << 4,
				 i % 3 == 0 ? 28 : 32);
	}
}

/* A host that the pattern i matches, or a miss of similar shape. */
static char *
make_query(size_t n)
{
	size_t i = next() % n;
	unsigned z = (unsigned)(i % 53);

	if (next() & 1)
		return xasprintf("api.q%u.zone%u.net", next(), z);
	switch (i % 10) {
	case 0: case 1: case 2: case 3:
		return xasprintf("api.d%zu.zone%u.net", i, z);
	case 4: case 5:
		return xasprintf("cdn.eu.d%zu.zone%u.net", i, z);
	case 6: case 7:
		return xasprintf("d%zu.zone%u.net", i, z);
	case 8:
		return xasprintf("r42.d%zu.zone%u.net", i, z);
	default:
		return xasprintf("www.d%zu.zone%u.org", i, z);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
run(size_t n)
{
	struct policy_entry *allow = xcalloc(n, sizeof(*allow));
	struct policy_entry *deny = xcalloc(n / 10 + 1, sizeof(*deny));
	char **pats = xcalloc(n, sizeof(*pats)), *q[NQUERIES];
	struct policy_options o;
	struct policy *p;
	struct errbuf err;
	size_t i, na = 0, nd = 0, allowed = 0;
	double t0, rate;

	for (i = 0; i < n; i++) {
		pats[i] = make_pattern(i);
		if (i % 10 == 7 && i % 20 == 7)
			deny[nd++] = (struct policy_entry){pats[i], "bench"};
		else
			allow[na++] = (struct policy_entry){pats[i], "bench"};
	}
	memset(&o, 0, sizeof(o));
	o.allow = allow;
	o.n_allow = na;
	o.deny = deny;
	o.n_deny = nd;
	o.mode = POLICY_MODE_FULL;
	errbuf_init(&err);
	p = policy_new(&o, &err);
	if (p == NULL) {
		fprintf(stderr, "bench_policy: %s\n", errbuf_str(&err));
		exit(1);
	}
	for (i = 0; i < NQUERIES; i++)
		q[i] = make_query(n);
	t0 = now();
	for (i = 0; i < ITERATIONS; i++) {
		struct policy_request r = {q[i % NQUERIES], 443,
					   POLICY_PROTO_HTTP, "GET", false};
		struct policy_decision d;

		policy_decide(p, &r, &d);
		allowed += d.verdict != POLICY_VERDICT_DENY;
	}
	rate = ITERATIONS / (now() - t0);
	printf("policy: %zu patterns: %.1fM decisions/s (%.0f%% allowed)\n",
	       n, rate / 1e6, 100.0 * (double)allowed / ITERATIONS);
	policy_free(p);
	errbuf_release(&err);
	for (i = 0; i < NQUERIES; i++)
		free(q[i]);
	for (i = 0; i < n; i++)
		free(pats[i]);
	free(pats);
	free(allow);
	free(deny);
	return rate;
}

int
main(void)
{
	double small = run(1000), large = run(100000);

	printf("policy: 100000/1000 ratio: %.2f\n", large / small);
	return 0;
}
