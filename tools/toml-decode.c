/* toml-decode — a toml-test decoder for airlock's TOML reader.
 *
 * Reads a TOML document on stdin and writes toml-test's tagged JSON on
 * stdout (exit 0), or prints `line:col: problem` on stderr (exit 1). Every
 * leaf becomes {"type": ..., "value": "<text>"}; tables are JSON objects
 * and arrays JSON arrays. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "lib/errbuf.h"

/* The shortest %g text that reads back as the same double. */
static void
float_text(double f, char *out, size_t n)
{
	int prec;

	if (isnan(f)) {
		snprintf(out, n, "nan");
		return;
	}
	if (isinf(f)) {
		snprintf(out, n, "%s", f < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, f);
		if (strtod(out, NULL) == f)
			return;
	}
}

static json_t *
leaf(const char *type, const char *text, size_t len)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "value", json_stringn(text, len));
	return o;
}

/* Depth is bounded by TOML_MAX_DEPTH, so the recursion is too. */
static json_t *
tagged(const struct toml_value *v)
{
	json_t *o;
	char num[64];
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		o = json_object();
		for (i = 0; i < v->u.tab.n; i++)
			json_object_setn_new(o, v->u.tab.items[i].key,
				v->u.tab.items[i].keylen,
				tagged(v->u.tab.items[i].val));
		return o;
	case TOML_ARRAY:
		o = json_array();
		for (i = 0; i < v->u.arr.n; i++)
			json_array_append_new(o, tagged(v->u.arr.items[i]));
		return o;
	case TOML_INTEGER:
		snprintf(num, sizeof(num), "%" PRId64, v->u.i);
		return leaf("integer", num, strlen(num));
	case TOML_FLOAT:
		float_text(v->u.f, num, sizeof(num));
		return leaf("float", num, strlen(num));
	case TOML_BOOL:
		return leaf("bool", v->u.b ? "true" : "false",
			v->u.b ? 4 : 5);
	case TOML_STRING:
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		break;
	}
	return leaf(toml_type_name(v->type), v->u.str.s, v->u.str.len);
}

/* Reads stdin up to one byte past the limit, so the parser sees (and
 * refuses) oversized input itself. */
static char *
read_stdin(size_t *n)
{
	size_t cap = TOML_MAX_BYTES + 1, got = 0, r;
	char *p = malloc(cap);

	if (p == NULL)
		return NULL;
	while (got < cap && (r = fread(p + got, 1, cap - got, stdin)) > 0)
		got += r;
	if (ferror(stdin)) {
		free(p);
		return NULL;
	}
	*n = got;
	return p;
}

int
main(void)
{
	struct errbuf err;
	struct toml_value *doc = NULL;
	json_t *out = NULL;
	char *text;
	size_t n = 0;
	int rc = 1;

	errbuf_init(&err);
	text = read_stdin(&n);
	if (text == NULL) {
		fprintf(stderr, "toml-decode: cannot read stdin\n");
		goto out;
	}
	doc = toml_parse(text, n, &err);
	if (doc == NULL) {
		fprintf(stderr, "%s\n", errbuf_first(&err));
		goto out;
	}
	out = tagged(doc);
	if (json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == -1 ||
		fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
		fprintf(stderr, "toml-decode: cannot write stdout\n");
		goto out;
	}
	rc = 0;
out:
	json_decref(out);
	toml_free(doc);
	errbuf_release(&err);
	free(text);
	return rc;
}
