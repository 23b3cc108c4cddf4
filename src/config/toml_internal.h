/* toml_internal.h — shared between the files of the TOML reader only.
 *
 * Every node of a parsed tree is a struct toml_node whose first member is
 * the public struct toml_value, so a value pointer and its node pointer are
 * the same address and toml_free() can free either. The node adds what the
 * parser needs to enforce TOML's definition rules (how a table came to be)
 * and a hash index for tables that grow large.
 *
 * The parser reads from a buffer already checked to be UTF-8 without NUL
 * bytes (toml_check_encoding), so the scanners need not re-check that.
 * Errors: the first toml_fail() call wins and sets failed; every parse
 * function returns -1 or NULL after it and callers just unwind. */
#ifndef AIRLOCK_TOML_INTERNAL_H
#define AIRLOCK_TOML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/toml.h"

/* How a table came to exist; decides what may later add to it. */
enum {
	TN_HEADER = 1 << 0, /* [header] or an element of [[header]] */
	TN_DOTTED = 1 << 1, /* opened by dotted keys in section `section` */
	TN_INLINE = 1 << 2, /* { inline } table: closed for good */
	TN_AOT = 1 << 3,    /* array made by [[header]], may be appended to */
};

struct toml_node {
	struct toml_value v; /* must stay first */
	unsigned flags;
	unsigned section; /* TN_DOTTED: section whose keys opened it */
	int depth;        /* root is 0 */
	size_t cap;       /* capacity of v.u.arr.items / v.u.tab.items */
	uint32_t *hidx;   /* tables above TOML_HASH_MIN keys: slot -> i+1 */
	size_t hcap;      /* slots in hidx, a power of two */
};

/* One part of a (possibly dotted) key, decoded. */
struct toml_keypart {
	char *s;
	size_t len;
	size_t pos; /* byte offset where it was written */
	int line, col;
};

/* Parts are heap-grown, at most TOML_MAX_DEPTH of them. */
struct toml_key {
	struct toml_keypart *part;
	size_t n, cap;
};

struct toml_parser {
	const char *p;
	size_t n;
	size_t pos;
	struct errbuf *err;
	bool failed;
	unsigned section; /* bumped by each header and each inline table */
	unsigned next_section;
	struct toml_node *root;
	struct toml_node *cur; /* table the current section writes into */
	/* location cursor: line/col of byte `lpos`, moved forward lazily */
	size_t lpos;
	int lline, lcol;
};

/* --- toml_lex.c: locations, errors, encoding, whitespace, keys, strings */
void toml_locate(struct toml_parser *P, size_t pos, int *line, int *col);
void toml_fail(struct toml_parser *P, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int toml_check_encoding(struct toml_parser *P);
/* Skips spaces and tabs. */
void toml_skip_ws(struct toml_parser *P);
/* Skips a comment if one starts here; -1 on a bad character in it. */
int toml_skip_comment(struct toml_parser *P);
/* True at "\n" or "\r\n"; toml_eat_newline consumes it. */
bool toml_at_newline(const struct toml_parser *P);
void toml_eat_newline(struct toml_parser *P);
/* Skips whitespace, comments and newlines (inside arrays). */
int toml_skip_blank(struct toml_parser *P);
/* Parses a simple or dotted key; parts are heap strings the caller frees
 * with toml_key_release (also after failure). */
int toml_parse_key(struct toml_parser *P, struct toml_key *k);
void toml_key_release(struct toml_key *k);
/* Parses any of the four string forms at P->pos into a heap string. */
int toml_parse_string(struct toml_parser *P, char **out, size_t *len);
/* Describes the character at pos for messages ("'x'", "end of input"). */
const char *toml_describe(struct toml_parser *P, size_t pos, char *tmp,
	size_t tmpn);

/* --- toml_scalar.c: numbers, booleans, date-times */
/* Parses a non-string scalar starting at P->pos into v (type and payload;
 * strings for the date-time kinds are heap-allocated). */
int toml_parse_scalar(struct toml_parser *P, struct toml_value *v);

/* --- toml_tree.c: nodes and tables */
struct toml_node *toml_node_new(enum toml_type type, int depth, int line,
	int col);
void toml_node_free(struct toml_node *n);
/* Index of key in table t or -1. */
long toml_table_find(const struct toml_node *t, const char *key, size_t len);
/* Appends key -> val; takes ownership of key and val. */
void toml_table_add(struct toml_node *t, char *key, size_t len, int line,
	int col, struct toml_node *val);
void toml_array_add(struct toml_node *a, struct toml_node *val);

/* --- toml_value.c: values, arrays, inline tables */
/* Parses one value at P->pos for a slot at the given depth. */
struct toml_node *toml_parse_value(struct toml_parser *P, int depth);
/* Resolves all but the last part of k below t the way a key/value line
 * does, creating tables as needed; returns the table to insert into. */
struct toml_node *toml_dotted_target(struct toml_parser *P,
	struct toml_node *t, struct toml_key *k);
/* Adds an empty table under kp in t (stealing kp->s), or NULL when it
 * would nest deeper than TOML_MAX_DEPTH. */
struct toml_node *toml_child_table(struct toml_parser *P, struct toml_node *t,
	struct toml_keypart *kp, unsigned flags);
/* Parses `key = value` into t (the current table or an inline table). */
int toml_parse_keyval(struct toml_parser *P, struct toml_node *t);

#endif
