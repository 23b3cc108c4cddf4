/* pattab.c — see pattab.h. */
#include "policy/pattab.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

uint64_t
pattab_hash(const char *key, size_t n)
{
	uint64_t h = PATTAB_HASH_INIT;

	while (n-- > 0)
		h = pattab_hash_step(h, key[n]);
	return h;
}

void
pattab_init(struct pattab *t)
{
	t->mask = 15;
	t->count = 0;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
	t->hashes = xcalloc(t->mask + 1, sizeof(*t->hashes));
}

void
pattab_release(struct pattab *t)
{
	size_t i;
	uint32_t k;

	if (t->slots == NULL)
		return;
	for (i = 0; i <= t->mask; i++) {
		struct pattab_node *n = &t->slots[i];

		for (k = 0; k < n->nitems; k++) {
			free(n->items[k].prefix);
			free(n->items[k].glob);
		}
		free(n->items);
		free(n->heapkey);
	}
	free(t->slots);
	free(t->hashes);
	t->slots = NULL;
	t->hashes = NULL;
}

static void
grow(struct pattab *t)
{
	struct pattab_node *old = t->slots;
	uint64_t *oldh = t->hashes;
	size_t oldcap = t->mask + 1, i;

	t->mask = oldcap * 2 - 1;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
	t->hashes = xcalloc(t->mask + 1, sizeof(*t->hashes));
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (oldh[i] == 0)
			continue;
		j = pattab_slot(oldh[i], t->mask);
		while (t->hashes[j] != 0)
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
		t->hashes[j] = oldh[i];
	}
	free(old);
	free(oldh);
}

const struct pattab_node *
pattab_find(const struct pattab *t, const char *key, size_t n, uint64_t hash)
{
	size_t j;

	hash = pattab_nonzero(hash);
	for (j = pattab_slot(hash, t->mask); t->hashes[j] != 0;
	     j = (j + 1) & t->mask) {
		const struct pattab_node *nd = &t->slots[j];

		if (t->hashes[j] == hash && nd->klen == n &&
		    memcmp(pattab_key(nd), key, n) == 0)
			return nd;
	}
	return NULL;
}

struct pattab_node *
pattab_get(struct pattab *t, const char *key, size_t n)
{
	uint64_t hash = pattab_nonzero(pattab_hash(key, n));
	struct pattab_node *nd;
	size_t j;

	nd = (struct pattab_node *)pattab_find(t, key, n, hash);
	if (nd != NULL)
		return nd;
	if ((t->count + 1) * 2 > t->mask + 1)
		grow(t);
	j = pattab_slot(hash, t->mask);
	while (t->hashes[j] != 0)
		j = (j + 1) & t->mask;
	t->hashes[j] = hash;
	nd = &t->slots[j];
	nd->klen = (uint32_t)n;
	if (n < PATTAB_INLINE) {
		memcpy(nd->inl, key, n);
		nd->inl[n] = '\0';
	} else {
		nd->heapkey = xstrndup(key, n);
	}
	t->count++;
	return nd;
}

void
pattab_add_item(struct pattab_node *n, const struct pattab_item *it)
{
	struct pattab_item *d;

	if (n->nitems == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 2;
		n->items = xreallocarray(n->items, n->cap, sizeof(*n->items));
	}
	d = &n->items[n->nitems++];
	*d = *it;
	d->prefix = xstrndup(it->prefix ? it->prefix : "", it->prefix_len);
	d->glob = xstrndup(it->glob ? it->glob : "", it->glob_len);
}
