/* fuzz_toml.c — libFuzzer target for the TOML reader: any bytes must give
 * either a tree or exactly one `line:col: problem` message, never a crash,
 * a leak or undefined behaviour. The tree is walked so every node's fields
 * are read under the sanitizers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "lib/errbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Depth is bounded by TOML_MAX_DEPTH, so the recursion is too. */
static size_t
walk(const struct toml_value *v)
{
	size_t i, sum = (size_t)v->line + (size_t)v->col;

	switch (v->type) {
	case TOML_TABLE:
		for (i = 0; i < v->u.tab.n; i++) {
			const struct toml_kv *kv = &v->u.tab.items[i];
			if (kv->key[kv->keylen] != '\0' || kv->line < 1 ||
				kv->col < 1)
				abort();
			/* keys with a NUL inside cannot be looked up by name */
			if (strlen(kv->key) == kv->keylen &&
				toml_get_kv(v, kv->key) != kv)
				abort();
			sum += walk(kv->val);
		}
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			sum += walk(v->u.arr.items[i]);
		break;
	case TOML_STRING:
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		if (v->u.str.s[v->u.str.len] != '\0')
			abort();
		break;
	case TOML_INTEGER:
	case TOML_FLOAT:
	case TOML_BOOL:
		break;
	}
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf err;
	struct toml_value *v;

	errbuf_init(&err);
	v = toml_parse((const char *)data, size, &err);
	if (v == NULL && err.count != 1)
		abort();
	if (v != NULL) {
		if (err.count != 0)
			abort();
		(void)walk(v);
	}
	toml_free(v);
	errbuf_release(&err);
	return 0;
}
