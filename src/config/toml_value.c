/* toml_value.c — the TOML reader's values (strings, scalars, arrays and
 * inline tables) and key/value lines with their dotted-key rules. See
 * toml_internal.h. */
#include "config/toml_internal.h"

#include <stdlib.h>
#include <string.h>

/* Key text shortened for messages. */
#define KEYFMT "\"%.*s\""
#define KEYARG(kp) (int)((kp)->len > 64 ? 64 : (kp)->len), (kp)->s

struct toml_node *
toml_child_table(struct toml_parser *P, struct toml_node *t,
	struct toml_keypart *kp, unsigned flags)
{
	struct toml_node *c;

	if (t->depth + 1 > TOML_MAX_DEPTH) {
		toml_fail(P, kp->pos, "tables nested deeper than %d levels",
			TOML_MAX_DEPTH);
		return NULL;
	}
	c = toml_node_new(TOML_TABLE, t->depth + 1, kp->line, kp->col);
	c->flags = flags;
	c->section = P->section;
	toml_table_add(t, kp->s, kp->len, kp->line, kp->col, c);
	kp->s = NULL; /* the table owns the key text now */
	return c;
}

/* One step of a dotted key/value key through an existing value. */
static struct toml_node *
dotted_step(struct toml_parser *P, struct toml_node *c,
	const struct toml_keypart *kp)
{
	size_t at = kp->pos;

	if (c->v.type == TOML_ARRAY) {
		toml_fail(P, at, "cannot add to array " KEYFMT " with a dotted key",
			KEYARG(kp));
		return NULL;
	}
	if (c->v.type != TOML_TABLE) {
		toml_fail(P, at, "key " KEYFMT " already has a value and cannot "
			"be a table", KEYARG(kp));
		return NULL;
	}
	if (c->flags & TN_INLINE) {
		toml_fail(P, at, "cannot extend inline table " KEYFMT,
			KEYARG(kp));
		return NULL;
	}
	if ((c->flags & TN_HEADER) ||
		((c->flags & TN_DOTTED) && c->section != P->section)) {
		toml_fail(P, at, "cannot add to table " KEYFMT " with dotted "
			"keys: it was defined elsewhere", KEYARG(kp));
		return NULL;
	}
	c->flags |= TN_DOTTED;
	c->section = P->section;
	return c;
}

struct toml_node *
toml_dotted_target(struct toml_parser *P, struct toml_node *t,
	struct toml_key *k)
{
	size_t i;

	for (i = 0; i + 1 < k->n && t != NULL; i++) {
		long idx = toml_table_find(t, k->part[i].s, k->part[i].len);
		if (idx < 0)
			t = toml_child_table(P, t, &k->part[i], TN_DOTTED);
		else
			t = dotted_step(P, (struct toml_node *)
				t->v.u.tab.items[idx].val, &k->part[i]);
	}
	return t;
}

static int
expect_equals(struct toml_parser *P)
{
	char tmp[48];

	toml_skip_ws(P);
	if (P->pos >= P->n || P->p[P->pos] != '=') {
		toml_fail(P, P->pos, "expected '=' after key but found %s",
			toml_describe(P, P->pos, tmp, sizeof(tmp)));
		return -1;
	}
	P->pos++;
	toml_skip_ws(P);
	return 0;
}

int
toml_parse_keyval(struct toml_parser *P, struct toml_node *t)
{
	struct toml_key k = {0};
	struct toml_keypart *last;
	struct toml_node *val;
	int rc = -1;

	if (toml_parse_key(P, &k) == -1 || expect_equals(P) == -1)
		goto out;
	t = toml_dotted_target(P, t, &k);
	if (t == NULL)
		goto out;
	last = &k.part[k.n - 1];
	if (toml_table_find(t, last->s, last->len) >= 0) {
		toml_fail(P, last->pos, "duplicate key " KEYFMT, KEYARG(last));
		goto out;
	}
	val = toml_parse_value(P, t->depth + 1);
	if (val == NULL)
		goto out;
	toml_table_add(t, last->s, last->len, last->line, last->col, val);
	last->s = NULL;
	rc = 0;
out:
	toml_key_release(&k);
	return rc;
}

/* --- arrays and inline tables ------------------------------------------- */

static int
array_items(struct toml_parser *P, struct toml_node *a)
{
	char tmp[48];

	for (;;) {
		struct toml_node *item;
		if (toml_skip_blank(P) == -1)
			return -1;
		if (P->pos < P->n && P->p[P->pos] == ']')
			break;
		if (P->pos >= P->n) {
			toml_fail(P, P->pos, "unterminated array");
			return -1;
		}
		item = toml_parse_value(P, a->depth + 1);
		if (item == NULL)
			return -1;
		toml_array_add(a, item);
		if (toml_skip_blank(P) == -1)
			return -1;
		if (P->pos < P->n && P->p[P->pos] == ',') {
			P->pos++;
			continue;
		}
		if (P->pos < P->n && P->p[P->pos] == ']')
			break;
		toml_fail(P, P->pos, "expected ',' or ']' in array but found %s",
			toml_describe(P, P->pos, tmp, sizeof(tmp)));
		return -1;
	}
	P->pos++;
	return 0;
}

static bool
at(const struct toml_parser *P, char c)
{
	return P->pos < P->n && P->p[P->pos] == c;
}

static int
inline_items(struct toml_parser *P, struct toml_node *t)
{
	char tmp[48];

	toml_skip_ws(P);
	if (at(P, '}'))
		goto done;
	for (;;) {
		toml_skip_ws(P);
		if (at(P, '}')) {
			toml_fail(P, P->pos, "trailing comma in inline table");
			return -1;
		}
		if (P->pos >= P->n || toml_at_newline(P) || at(P, '#'))
			goto bad;
		if (toml_parse_keyval(P, t) == -1)
			return -1;
		toml_skip_ws(P);
		if (at(P, '}'))
			goto done;
		if (!at(P, ','))
			goto bad;
		P->pos++;
	}
done:
	P->pos++;
	return 0;
bad:
	if (P->pos >= P->n)
		toml_fail(P, P->pos, "unterminated inline table");
	else if (toml_at_newline(P) || at(P, '#'))
		toml_fail(P, P->pos, "newline in inline table");
	else
		toml_fail(P, P->pos, "expected ',' or '}' in inline table but "
			"found %s", toml_describe(P, P->pos, tmp, sizeof(tmp)));
	return -1;
}

/* Each inline table is a section of its own, so tables its dotted keys
 * open cannot be reopened from outside it. */
static int
inline_table(struct toml_parser *P, struct toml_node *t)
{
	unsigned saved = P->section;
	int rc;

	P->section = ++P->next_section;
	P->pos++;
	rc = inline_items(P, t);
	P->section = saved;
	return rc;
}

struct toml_node *
toml_parse_value(struct toml_parser *P, int depth)
{
	struct toml_node *v;
	int line, col, rc;
	char c = P->pos < P->n ? P->p[P->pos] : 0;

	if (depth > TOML_MAX_DEPTH) {
		toml_fail(P, P->pos, "values nested deeper than %d levels",
			TOML_MAX_DEPTH);
		return NULL;
	}
	toml_locate(P, P->pos, &line, &col);
	v = toml_node_new(TOML_BOOL, depth, line, col);
	if (c == '"' || c == '\'') {
		v->v.type = TOML_STRING;
		rc = toml_parse_string(P, &v->v.u.str.s, &v->v.u.str.len);
	} else if (c == '[') {
		v->v.type = TOML_ARRAY;
		P->pos++;
		rc = array_items(P, v);
	} else if (c == '{') {
		v->v.type = TOML_TABLE;
		v->flags = TN_INLINE;
		rc = inline_table(P, v);
	} else {
		rc = toml_parse_scalar(P, &v->v);
	}
	if (rc == -1) {
		toml_node_free(v);
		return NULL;
	}
	return v;
}
