/* toml.h — TOML 1.0 reader. Pure: bytes in, tree or error out; no I/O.
 *
 * toml_parse() reads a whole document and returns its root table, or NULL
 * with one message `line:col: problem` added to err. The caller owns the
 * tree and frees it with toml_free(). Every value and every key remembers
 * the 1-based line and column where it was written (for a table, where its
 * header or first dotted key was; for the root, 1:1).
 *
 * Limits (refused with a clear error): input over TOML_MAX_BYTES, bytes that
 * are not UTF-8, NUL bytes, arrays/inline tables/dotted keys nested deeper
 * than TOML_MAX_DEPTH.
 *
 * Strings are stored decoded, NUL-terminated, with their byte length (a
 * string may hold U+0000 written as an escape, so use len). Date-times are
 * kept as their normalised RFC 3339 text (`T` separator, upper-case `Z`),
 * with the kind telling which of the four TOML forms it is. Tables keep
 * their keys in document order. */
#ifndef AIRLOCK_TOML_H
#define AIRLOCK_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/errbuf.h"

#define TOML_MAX_BYTES (1024 * 1024)
#define TOML_MAX_DEPTH 128

enum toml_type {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,     /* 1979-05-27 */
	TOML_TIME_LOCAL,     /* 07:32:00 */
	TOML_ARRAY,
	TOML_TABLE,
};

struct toml_value;

struct toml_kv {
	char *key; /* decoded, NUL-terminated */
	size_t keylen;
	int line, col; /* where the key was written */
	struct toml_value *val;
};

struct toml_value {
	enum toml_type type;
	int line, col;
	union {
		struct {
			char *s; /* decoded text, NUL-terminated */
			size_t len;
		} str; /* TOML_STRING and the four date-time kinds */
		int64_t i;
		double f;
		bool b;
		struct {
			struct toml_value **items;
			size_t n;
		} arr;
		struct {
			struct toml_kv *items;
			size_t n;
		} tab;
	} u;
};

/* Parses text[0..n). Returns the root table or NULL with err set. */
struct toml_value *toml_parse(const char *text, size_t n, struct errbuf *err);
void toml_free(struct toml_value *v);

/* The value under key in table t, or NULL (also when t is not a table). */
const struct toml_value *toml_get(const struct toml_value *t, const char *key);
/* The key/value entry under key, or NULL. */
const struct toml_kv *toml_get_kv(const struct toml_value *t, const char *key);

/* "string", "integer", "float", "bool", "datetime", "datetime-local",
 * "date-local", "time-local", "array", "table". */
const char *toml_type_name(enum toml_type t);

#endif
