/* toml.c — TOML 1.0 reader: the document loop, table headers and the
 * public lookups. See toml.h for the contract and toml_internal.h for how
 * the work is split between files.
 *
 * Definition rules, as the spec and toml-test have them: a [header] may
 * define a table once, and may not define one that dotted keys opened; a
 * table a header only passed through ([a] in [a.b]) may still be defined
 * later. Dotted keys may open new tables and extend the tables they opened
 * themselves within the same section, never a table a header defined, an
 * inline table or an array. Inline tables and static arrays are closed
 * once written. */
#include "config/toml.h"

#include <stdlib.h>
#include <string.h>

#include "config/toml_internal.h"

#define KEYFMT "\"%.*s\""
#define KEYARG(kp) (int)((kp)->len > 64 ? 64 : (kp)->len), (kp)->s

/* The header's own text, for messages: `[a.b]`. */
struct header {
	size_t pos, text_pos, text_len;
	int line, col;
	bool aot;
};

#define HDRFMT "%s%.*s%s"
#define HDRARG(h) (h)->aot ? "[[" : "[", (int)((h)->text_len > 64 ? 64 : \
	(h)->text_len), P->p + (h)->text_pos, (h)->aot ? "]]" : "]"

/* One step of a header through an existing value: tables are entered,
 * arrays of tables lead into their last element. */
static struct toml_node *
header_step(struct toml_parser *P, struct toml_node *c,
	const struct toml_keypart *kp)
{
	if (c->v.type == TOML_TABLE && !(c->flags & TN_INLINE))
		return c;
	if (c->v.type == TOML_TABLE)
		toml_fail(P, kp->pos, "cannot extend inline table " KEYFMT,
			KEYARG(kp));
	else if (c->v.type == TOML_ARRAY && (c->flags & TN_AOT))
		return (struct toml_node *)c->v.u.arr.items[c->v.u.arr.n - 1];
	else if (c->v.type == TOML_ARRAY)
		toml_fail(P, kp->pos, "cannot extend static array " KEYFMT
			" with a table header", KEYARG(kp));
	else
		toml_fail(P, kp->pos, "key " KEYFMT " already has a value and "
			"cannot be a table", KEYARG(kp));
	return NULL;
}

static struct toml_node *
header_parent(struct toml_parser *P, struct toml_key *k)
{
	struct toml_node *t = P->root;
	size_t i;

	for (i = 0; i + 1 < k->n && t != NULL; i++) {
		long idx = toml_table_find(t, k->part[i].s, k->part[i].len);
		if (idx < 0)
			t = toml_child_table(P, t, &k->part[i], 0);
		else
			t = header_step(P, (struct toml_node *)
				t->v.u.tab.items[idx].val, &k->part[i]);
	}
	return t;
}

static struct toml_node *
define_table(struct toml_parser *P, struct toml_node *t,
	struct toml_keypart *kp, const struct header *h)
{
	long idx = toml_table_find(t, kp->s, kp->len);
	struct toml_node *c;

	if (idx < 0) {
		c = toml_child_table(P, t, kp, TN_HEADER);
		if (c != NULL) {
			c->v.line = h->line;
			c->v.col = h->col;
		}
		return c;
	}
	c = (struct toml_node *)t->v.u.tab.items[idx].val;
	if (c->v.type == TOML_ARRAY && (c->flags & TN_AOT))
		toml_fail(P, h->pos, "table " HDRFMT " conflicts with an "
			"array of tables of the same name", HDRARG(h));
	else if (c->v.type == TOML_TABLE && (c->flags & TN_INLINE))
		toml_fail(P, h->pos, "table " HDRFMT " redefines inline "
			"table " KEYFMT, HDRARG(h), KEYARG(kp));
	else if (c->v.type != TOML_TABLE)
		toml_fail(P, h->pos, "table " HDRFMT " redefines key " KEYFMT
			" which already has a value", HDRARG(h), KEYARG(kp));
	else if (c->flags & TN_HEADER)
		toml_fail(P, h->pos, "table " HDRFMT " defined twice",
			HDRARG(h));
	else if (c->flags & TN_DOTTED)
		toml_fail(P, h->pos, "table " HDRFMT " already defined by "
			"dotted keys", HDRARG(h));
	else {
		c->flags |= TN_HEADER;
		c->v.line = h->line;
		c->v.col = h->col;
		return c;
	}
	return NULL;
}

static struct toml_node *
append_table(struct toml_parser *P, struct toml_node *t,
	struct toml_keypart *kp, const struct header *h)
{
	long idx = toml_table_find(t, kp->s, kp->len);
	struct toml_node *a, *c;

	if (idx < 0) {
		a = toml_child_table(P, t, kp, TN_AOT);
		if (a == NULL)
			return NULL;
		a->v.type = TOML_ARRAY; /* born as an empty table node */
	} else {
		a = (struct toml_node *)t->v.u.tab.items[idx].val;
		if (a->v.type == TOML_ARRAY && !(a->flags & TN_AOT)) {
			toml_fail(P, h->pos, "cannot append to static array "
				KEYFMT, KEYARG(kp));
			return NULL;
		}
		if (a->v.type != TOML_ARRAY) {
			toml_fail(P, h->pos, "array of tables " HDRFMT
				" redefines key " KEYFMT " which is a %s",
				HDRARG(h), KEYARG(kp),
				toml_type_name(a->v.type));
			return NULL;
		}
	}
	if (a->depth + 1 > TOML_MAX_DEPTH) {
		toml_fail(P, h->pos, "tables nested deeper than %d levels",
			TOML_MAX_DEPTH);
		return NULL;
	}
	c = toml_node_new(TOML_TABLE, a->depth + 1, h->line, h->col);
	c->flags = TN_HEADER;
	toml_array_add(a, c);
	return c;
}

static int
header_close(struct toml_parser *P, const struct header *h)
{
	char tmp[48];
	size_t need = h->aot ? 2 : 1;

	if (P->pos + need > P->n || memcmp(P->p + P->pos, "]]", need) != 0) {
		toml_fail(P, P->pos, "expected '%s' to close table header but "
			"found %s", h->aot ? "]]" : "]",
			toml_describe(P, P->pos, tmp, sizeof(tmp)));
		return -1;
	}
	P->pos += need;
	return 0;
}

static int
header(struct toml_parser *P)
{
	struct toml_key k = {0};
	struct header h = {0};
	struct toml_node *t;
	int rc = -1;

	h.pos = P->pos;
	toml_locate(P, P->pos, &h.line, &h.col);
	h.aot = P->pos + 1 < P->n && P->p[P->pos + 1] == '[';
	P->pos += h.aot ? 2 : 1;
	toml_skip_ws(P);
	h.text_pos = P->pos;
	if (toml_parse_key(P, &k) == -1)
		goto out;
	h.text_len = P->pos - h.text_pos;
	while (h.text_len > 0 && (P->p[h.text_pos + h.text_len - 1] == ' ' ||
		P->p[h.text_pos + h.text_len - 1] == '\t'))
		h.text_len--;
	if (header_close(P, &h) == -1)
		goto out;
	P->section = ++P->next_section;
	t = header_parent(P, &k);
	if (t != NULL && h.aot)
		t = append_table(P, t, &k.part[k.n - 1], &h);
	else if (t != NULL)
		t = define_table(P, t, &k.part[k.n - 1], &h);
	if (t == NULL)
		goto out;
	P->cur = t;
	rc = 0;
out:
	toml_key_release(&k);
	return rc;
}

/* Whatever follows a header or key/value on its line. */
static int
line_end(struct toml_parser *P)
{
	char tmp[48];

	toml_skip_ws(P);
	if (toml_skip_comment(P) == -1)
		return -1;
	if (P->pos >= P->n)
		return 0;
	if (toml_at_newline(P)) {
		toml_eat_newline(P);
		return 0;
	}
	toml_fail(P, P->pos, "expected end of line but found %s",
		toml_describe(P, P->pos, tmp, sizeof(tmp)));
	return -1;
}

static int
document(struct toml_parser *P)
{
	while (!P->failed) {
		toml_skip_ws(P);
		if (toml_skip_comment(P) == -1)
			return -1;
		if (P->pos >= P->n)
			return 0;
		if (toml_at_newline(P)) {
			toml_eat_newline(P);
			continue;
		}
		if (P->p[P->pos] == '[') {
			if (header(P) == -1)
				return -1;
		} else if (toml_parse_keyval(P, P->cur) == -1) {
			return -1;
		}
		if (line_end(P) == -1)
			return -1;
	}
	return -1;
}

struct toml_value *
toml_parse(const char *text, size_t n, struct errbuf *err)
{
	struct toml_parser P = {0};

	if (n > TOML_MAX_BYTES) {
		errbuf_add(err, "1:1: input larger than %d bytes",
			TOML_MAX_BYTES);
		return NULL;
	}
	P.p = text;
	P.n = n;
	P.err = err;
	if (toml_check_encoding(&P) == -1)
		return NULL;
	if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		P.pos = 3; /* a byte order mark may open the document */
	P.root = toml_node_new(TOML_TABLE, 0, 1, 1);
	P.cur = P.root;
	if (document(&P) == -1) {
		if (!P.failed)
			errbuf_add(err, "1:1: invalid document");
		toml_node_free(P.root);
		return NULL;
	}
	return &P.root->v;
}

void
toml_free(struct toml_value *v)
{
	toml_node_free((struct toml_node *)v);
}

const struct toml_kv *
toml_get_kv(const struct toml_value *t, const char *key)
{
	long idx;

	if (t == NULL || t->type != TOML_TABLE || key == NULL)
		return NULL;
	idx = toml_table_find((const struct toml_node *)t, key, strlen(key));
	return idx < 0 ? NULL : &t->u.tab.items[idx];
}

const struct toml_value *
toml_get(const struct toml_value *t, const char *key)
{
	const struct toml_kv *kv = toml_get_kv(t, key);

	return kv ? kv->val : NULL;
}

const char *
toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING:
		return "string";
	case TOML_INTEGER:
		return "integer";
	case TOML_FLOAT:
		return "float";
	case TOML_BOOL:
		return "bool";
	case TOML_DATETIME:
		return "datetime";
	case TOML_DATETIME_LOCAL:
		return "datetime-local";
	case TOML_DATE_LOCAL:
		return "date-local";
	case TOML_TIME_LOCAL:
		return "time-local";
	case TOML_ARRAY:
		return "array";
	case TOML_TABLE:
		return "table";
	}
	return "unknown";
}
