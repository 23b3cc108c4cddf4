/* synth.c — name ↔ synthetic address map. See synth.h. */
#include "net/synth.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/xalloc.h"

struct synth_entry {
	char *name;
	size_t len;
};

struct synth {
	struct synth_entry *entries; /* entries[i] has address NET + 1 + i */
	size_t count, cap;
	uint32_t *slots;             /* entry index + 1, or 0 = empty */
	size_t mask;                 /* slots - 1, a power of two minus 1 */
	uint64_t k0, k1;             /* hash key */
};

/* --- SipHash-1-3 (Aumasson and Bernstein), keyed per map ------------- */

static uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static uint64_t
sip_hash(const struct synth *m, const char *p, size_t n)
{
	uint64_t v[4] = {m->k0 ^ 0x736f6d6570736575ull,
			 m->k1 ^ 0x646f72616e646f6dull,
			 m->k0 ^ 0x6c7967656e657261ull,
			 m->k1 ^ 0x7465646279746573ull};
	uint64_t w;
	size_t i, j;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		v[3] ^= w;
		sip_round(v);
		v[0] ^= w;
	}
	w = (uint64_t)n << 56;
	for (j = 0; i + j < n; j++)
		w |= (uint64_t)(unsigned char)p[i + j] << (8 * j);
	v[3] ^= w;
	sip_round(v);
	v[0] ^= w;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* --- the map ------------------------------------------------------------ */

static void
seed(struct synth *m)
{
	uint64_t k[2];

	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k)) {
		/* Only reachable on kernels without getrandom; the key then
		 * merely stops being secret. */
		k[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)m;
		k[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
	}
	m->k0 = k[0];
	m->k1 = k[1];
}

struct synth *
synth_new(void)
{
	struct synth *m = xcalloc(1, sizeof(*m));

	m->mask = 63;
	m->slots = xcalloc(m->mask + 1, sizeof(*m->slots));
	seed(m);
	return m;
}

void
synth_free(struct synth *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->count; i++)
		free(m->entries[i].name);
	free(m->entries);
	free(m->slots);
	free(m);
}

/* The slot holding name, or the empty slot where it would go. */
static size_t
probe(const struct synth *m, const char *name, size_t n)
{
	size_t i = (size_t)sip_hash(m, name, n) & m->mask;

	for (;;) {
		uint32_t s = m->slots[i];
		const struct synth_entry *e;

		if (s == 0)
			return i;
		e = &m->entries[s - 1];
		if (e->len == n && memcmp(e->name, name, n) == 0)
			return i;
		i = (i + 1) & m->mask;
	}
}

/* Doubles the table once it is half full, so probes stay short. */
static void
grow(struct synth *m)
{
	uint32_t *old = m->slots;
	size_t oldn = m->mask + 1, i;

	m->mask = oldn * 2 - 1;
	m->slots = xcalloc(m->mask + 1, sizeof(*m->slots));
	for (i = 0; i < oldn; i++) {
		const struct synth_entry *e;

		if (old[i] == 0)
			continue;
		e = &m->entries[old[i] - 1];
		m->slots[probe(m, e->name, e->len)] = old[i];
	}
	free(old);
}

static bool
valid_len(size_t n)
{
	return n > 0 && n <= 253;
}

uint32_t
synth_find(const struct synth *m, const char *name, size_t n)
{
	uint32_t s;

	if (!valid_len(n))
		return 0;
	s = m->slots[probe(m, name, n)];
	return s == 0 ? 0 : SYNTH_NET + s;
}

uint32_t
synth_assign(struct synth *m, const char *name, size_t n)
{
	size_t slot;
	struct synth_entry *e;

	if (!valid_len(n))
		return 0;
	slot = probe(m, name, n);
	if (m->slots[slot] != 0)
		return SYNTH_NET + m->slots[slot];
	if (m->count >= SYNTH_MAX)
		return 0;
	if (m->count == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->entries = xreallocarray(m->entries, m->cap,
					   sizeof(*m->entries));
	}
	e = &m->entries[m->count++];
	e->name = xstrndup(name, n);
	e->len = n;
	m->slots[slot] = (uint32_t)m->count;
	if (m->count * 2 > m->mask + 1)
		grow(m);
	return SYNTH_NET + (uint32_t)m->count;
}

const char *
synth_name(const struct synth *m, uint32_t addr)
{
	uint32_t i;

	if (!synth_in_range(addr) || addr <= SYNTH_NET)
		return NULL;
	i = addr - SYNTH_NET - 1;
	return i < m->count ? m->entries[i].name : NULL;
}

bool
synth_in_range(uint32_t addr)
{
	return (addr & SYNTH_MASK) == SYNTH_NET;
}

size_t
synth_count(const struct synth *m)
{
	return m->count;
}
