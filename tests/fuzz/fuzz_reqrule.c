/* fuzz_reqrule.c — request-rule matching on arbitrary paths, queries and
 * prefixes (policy/reqrule.h). Input: lines. Lines before the first "--"
 * are path prefixes of one rule (any bytes: plain, `pattern:`,
 * `literal:`); lines before the second "--" are query constraints
 * `name=v1,v2` (`name=` for "present"); every other line is a
 * request-target, matched with GET. Checked on the way:
 *   - a matched request's path is safe: no `/../`, `/./`, `/..;`, `\`,
 *     encoded slash, backslash, `%` or NUL, no trailing `/.` or `/..`;
 *   - a `pattern:` prefix without `*` behaves as the plain prefix;
 *   - a plain prefix matches exactly when it is a byte prefix;
 *   - `pattern:*` matches every value; matching is deterministic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf_rules.h"
#include "lib/xalloc.h"
#include "policy/reqrule.h"

#define MAX_LINES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	char *lines[3][MAX_LINES];
	size_t n[3];
};

static void
split(const char *text, size_t n, struct input *in)
{
	size_t i = 0, part = 0;

	memset(in, 0, sizeof(*in));
	while (i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - text - i) : n - i;
		char *line = xstrndup(text + i, len);

		i += len + 1;
		if (part < 2 && strcmp(line, "--") == 0) {
			part++;
			free(line);
		} else if (in->n[part] < MAX_LINES && strlen(line) == len) {
			in->lines[part][in->n[part]++] = line;
		} else {
			free(line);
		}
	}
}

static void
input_free(struct input *in)
{
	size_t p, i;

	for (p = 0; p < 3; p++)
		for (i = 0; i < in->n[p]; i++)
			free(in->lines[p][i]);
}

/* `name=v1,v2` → a constraint (values borrowed from a strdup'd copy). */
static void
constraint(const char *line, struct conf_rule_match *m)
{
	char *eq = strchr(line, '='), *v, *comma;

	memset(m, 0, sizeof(*m));
	m->name = xstrndup(line, eq ? (size_t)(eq - line) : strlen(line));
	m->values = xcalloc(8, sizeof(char *));
	for (v = eq ? eq + 1 : NULL; v != NULL && *v && m->n < 8; v = comma) {
		comma = strchr(v, ',');
		m->values[m->n++] =
			xstrndup(v, comma ? (size_t)(comma - v) : strlen(v));
		if (comma)
			comma++;
	}
}

static bool
contains_ci(struct slice s, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= s.n; i++)
		if (strncasecmp(s.p + i, needle, n) == 0)
			return true;
	return false;
}

/* What a matched path must never hold. */
static void
check_safe(struct slice path)
{
	static const char *const bad[] = {"/../", "/./", "\\",  "%2f", "%5c",
					  "%00",  "%25", "/..;", "/.;"};
	size_t i;

	if (!reqrule_path_safe(path))
		abort();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (contains_ci(path, bad[i]))
			abort();
	if ((path.n >= 3 && memcmp(path.p + path.n - 3, "/..", 3) == 0) ||
	    (path.n >= 2 && memcmp(path.p + path.n - 2, "/.", 2) == 0))
		abort();
}

static void
check_prefix_laws(const char *pre, struct slice path)
{
	size_t n = strlen(pre);
	char *pat;
	bool plain;

	if (strncmp(pre, "pattern:", 8) == 0 ||
	    strncmp(pre, "literal:", 8) == 0)
		return;
	plain = reqrule_path_match(pre, path);
	if (plain != (path.n >= n && memcmp(path.p, pre, n) == 0))
		abort();
	if (strchr(pre, '*') != NULL)
		return;
	pat = xasprintf("pattern:%s", pre);
	if (reqrule_path_match(pat, path) != plain)
		abort();
	free(pat);
}

static void
run(const struct reqrule_set *set, struct input *in)
{
	struct reqrule_request q;
	const struct reqrule *r, *again;
	size_t i, j;

	for (i = 0; i < in->n[2]; i++) {
		const char *t = in->lines[2][i];
		const char *mark = strchr(t, '?');
		struct slice path = slice_of(t, mark ? (size_t)(mark - t)
						     : strlen(t));

		memset(&q, 0, sizeof(q));
		q.host = "fuzz.example";
		q.method = slice_cstr("GET");
		q.target = slice_cstr(t);
		r = reqrule_match(set, &q);
		again = reqrule_match(set, &q);
		if (r != again)
			abort();
		if (r != NULL)
			check_safe(path);
		for (j = 0; j < in->n[0]; j++)
			check_prefix_laws(in->lines[0][j], path);
		if (!reqrule_value_match("pattern:*", slice_cstr(t)))
			abort();
		(void)reqrule_value_match(in->n[0] ? in->lines[0][0] : "",
					  slice_cstr(t));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_rule_match q[MAX_LINES];
	struct conf_reqrule rule;
	struct reqrule_set *set;
	struct input in;
	char *method = "GET", *action = "a";
	size_t i, j;

	split((const char *)data, size, &in);
	for (i = 0; i < in.n[1]; i++)
		constraint(in.lines[1][i], &q[i]);
	memset(&rule, 0, sizeof(rule));
	rule.name = "fuzz";
	rule.host = "fuzz.example";
	rule.host_where = "fuzz: host";
	rule.where = "fuzz";
	rule.methods = &method;
	rule.n_methods = 1;
	rule.paths = in.lines[0];
	rule.n_paths = in.n[0];
	rule.query = q;
	rule.n_query = in.n[1];
	rule.actions = &action;
	rule.n_actions = 1;
	set = reqrule_set_new(&rule, 1, NULL);
	if (set != NULL)
		run(set, &in);
	reqrule_set_free(set);
	for (i = 0; i < in.n[1]; i++) {
		for (j = 0; j < q[i].n; j++)
			free(q[i].values[j]);
		free(q[i].values);
		free(q[i].name);
	}
	input_free(&in);
	return 0;
}
