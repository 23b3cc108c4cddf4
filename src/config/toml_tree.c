/* toml_tree.c — nodes of a parsed TOML document: allocation, freeing,
 * table lookup and insertion, array append. See toml_internal.h.
 *
 * Small tables are searched linearly; once a table passes TOML_HASH_MIN
 * keys it gets an open-addressing hash index (kept at most half full), so
 * a table with 50k keys costs O(1) per lookup rather than O(n). */
#include "config/toml_internal.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

#define TOML_HASH_MIN 16

struct toml_node *
toml_node_new(enum toml_type type, int depth, int line, int col)
{
	struct toml_node *n = xcalloc(1, sizeof(*n));

	n->v.type = type;
	n->v.line = line;
	n->v.col = col;
	n->depth = depth;
	return n;
}

/* Depth is bounded by TOML_MAX_DEPTH, so the recursion is too. */
void
toml_node_free(struct toml_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	switch (n->v.type) {
	case TOML_ARRAY:
		for (i = 0; i < n->v.u.arr.n; i++)
			toml_node_free((struct toml_node *)n->v.u.arr.items[i]);
		free(n->v.u.arr.items);
		break;
	case TOML_TABLE:
		for (i = 0; i < n->v.u.tab.n; i++) {
			free(n->v.u.tab.items[i].key);
			toml_node_free((struct toml_node *)n->v.u.tab.items[i].val);
		}
		free(n->v.u.tab.items);
		free(n->hidx);
		break;
	case TOML_STRING:
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		free(n->v.u.str.s);
		break;
	case TOML_INTEGER:
	case TOML_FLOAT:
	case TOML_BOOL:
		break;
	}
	free(n);
}

/* FNV-1a with murmur3's final mix: FNV alone leaves the low bits of
 * look-alike keys (k1, k2, ...) clustered, which linear probing punishes. */
static uint32_t
key_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static bool
key_eq(const struct toml_kv *kv, const char *key, size_t len)
{
	return kv->keylen == len && memcmp(kv->key, key, len) == 0;
}

static void
hash_put(struct toml_node *t, size_t i)
{
	const struct toml_kv *kv = &t->v.u.tab.items[i];
	size_t mask = t->hcap - 1;
	size_t s = key_hash(kv->key, kv->keylen) & mask;

	while (t->hidx[s] != 0)
		s = (s + 1) & mask;
	t->hidx[s] = (uint32_t)(i + 1);
}

static void
hash_rebuild(struct toml_node *t, size_t hcap)
{
	size_t i;

	free(t->hidx);
	t->hidx = xcalloc(hcap, sizeof(*t->hidx));
	t->hcap = hcap;
	for (i = 0; i < t->v.u.tab.n; i++)
		hash_put(t, i);
}

long
toml_table_find(const struct toml_node *t, const char *key, size_t len)
{
	const struct toml_kv *items = t->v.u.tab.items;
	size_t i, s, mask;

	if (t->hidx == NULL) {
		for (i = 0; i < t->v.u.tab.n; i++)
			if (key_eq(&items[i], key, len))
				return (long)i;
		return -1;
	}
	mask = t->hcap - 1;
	for (s = key_hash(key, len) & mask; t->hidx[s] != 0;
		s = (s + 1) & mask) {
		i = t->hidx[s] - 1;
		if (key_eq(&items[i], key, len))
			return (long)i;
	}
	return -1;
}

void
toml_table_add(struct toml_node *t, char *key, size_t len, int line, int col,
	struct toml_node *val)
{
	struct toml_kv *kv;
	size_t n = t->v.u.tab.n;

	if (n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4;
		t->v.u.tab.items = xreallocarray(t->v.u.tab.items, t->cap,
			sizeof(*t->v.u.tab.items));
	}
	kv = &t->v.u.tab.items[n];
	kv->key = key;
	kv->keylen = len;
	kv->line = line;
	kv->col = col;
	kv->val = &val->v;
	t->v.u.tab.n = n + 1;
	if (t->hidx != NULL && (n + 1) * 2 > t->hcap)
		hash_rebuild(t, t->hcap * 2);
	else if (t->hidx != NULL)
		hash_put(t, n);
	else if (n + 1 > TOML_HASH_MIN)
		hash_rebuild(t, 4 * TOML_HASH_MIN);
}

void
toml_array_add(struct toml_node *a, struct toml_node *val)
{
	if (a->v.u.arr.n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->v.u.arr.items = xreallocarray(a->v.u.arr.items, a->cap,
			sizeof(*a->v.u.arr.items));
	}
	a->v.u.arr.items[a->v.u.arr.n++] = &val->v;
}
