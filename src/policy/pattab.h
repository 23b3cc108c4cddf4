/* pattab.h — the hash table behind pattern sets (internal to policy/).
 *
 * Open addressing with linear probing, keyed by byte strings: host suffixes
 * for names, a fixed binary key (family, prefix length, masked address) for
 * CIDRs. Each node holds the any-port patterns filed under its key directly
 * and port-scoped or mid-label ones in a small item array. Keys are hashed
 * from their last byte to their first so that the hashes of all label
 * suffixes of a host come out of one right-to-left pass (pattab_hash_step).
 * Probing reads a dense array of hashes first (eight slots per cache
 * line) and touches a node only on a full hash match, so a miss in a large
 * table costs about one cache line. The table owns keys and item strings; pattern texts are borrowed from the
 * owning set. Nodes move when the table grows: do not keep node pointers
 * across pattab_get calls. */
#ifndef AIRLOCK_PATTAB_H
#define AIRLOCK_PATTAB_H

#include <stddef.h>
#include <stdint.h>

#define PATTAB_HASH_INIT 0xcbf29ce484222325ull
#define PATTAB_CIDR_KEY 18

struct pattab_item {
	int kind; /* enum pattern_kind */
	int port; /* -1 = any */
	const char *text;
	char *prefix; /* mid-label: labels before the wildcard label */
	char *glob;   /* mid-label: the wildcard label */
	uint16_t prefix_len, glob_len;
};

/* Keys shorter than this live inside the node, so a lookup that finds its
 * hash touches one node and no separate key allocation. */
#define PATTAB_INLINE 40

struct pattab_node {
	char *heapkey; /* the key when klen >= PATTAB_INLINE, else NULL */
	uint32_t klen;
	char inl[PATTAB_INLINE];
	const char *exact, *sub, *both; /* any-port patterns, or NULL */
	struct pattab_item *items;
	uint32_t nitems, cap;
};

struct pattab {
	uint64_t *hashes; /* per slot: node hash (never 0), or 0 = empty */
	struct pattab_node *slots;
	size_t mask; /* capacity - 1; capacity is a power of two */
	size_t count;
};

static inline uint64_t
pattab_hash_step(uint64_t h, char c)
{
	return (h ^ (unsigned char)c) * 0x100000001b3ull;
}

static inline const char *
pattab_key(const struct pattab_node *n)
{
	return n->klen < PATTAB_INLINE ? n->inl : n->heapkey;
}

/* Hash of key[0..n), fed from the last byte to the first. */
uint64_t pattab_hash(const char *key, size_t n);

/* 0 marks an empty slot, so no key may hash to it. */
static inline uint64_t
pattab_nonzero(uint64_t h)
{
	return h ? h : 1;
}

static inline size_t
pattab_slot(uint64_t h, size_t mask)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)h & mask;
}

/* Starts loading the slot a lookup of hash will probe first, so several
 * lookups can wait on memory at the same time. */
static inline void
pattab_prefetch(const struct pattab *t, uint64_t hash)
{
	__builtin_prefetch(&t->hashes[pattab_slot(pattab_nonzero(hash),
						  t->mask)]);
}

void pattab_init(struct pattab *t);
void pattab_release(struct pattab *t);
/* Finds the node for key, inserting an empty one when missing. */
struct pattab_node *pattab_get(struct pattab *t, const char *key, size_t n);
/* Finds the node for key with its precomputed hash, or NULL. */
const struct pattab_node *pattab_find(const struct pattab *t, const char *key,
				      size_t n, uint64_t hash);
/* Appends a copy of it (prefix and glob are copied) to n's items. */
void pattab_add_item(struct pattab_node *n, const struct pattab_item *it);

#endif
