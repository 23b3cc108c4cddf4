/* conf_rules_value.c — checks on single values of request rules and
 * actions, and the messages that name what is wrong with them
 * (conf_rules.h says what is accepted). */
#include "config/conf_rules_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

bool
conf_rules_owned_header(const char *n)
{
	static const char *const owned[] = {
		"host", "content-length", "transfer-encoding", "connection",
		"keep-alive", "proxy-connection", "proxy-authorization",
		"proxy-authenticate", "te", "trailer", "upgrade", NULL};
	size_t i;

	for (i = 0; owned[i] != NULL; i++)
		if (strcmp(owned[i], n) == 0)
			return true;
	return false;
}

/* --- small checks ----------------------------------------------------- */

static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool
rules_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

bool
rules_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return true;
	return false;
}

/* Letters, digits, '_' and '-': rule and action names appear in JSON,
 * logs and block reports. */
bool
rules_is_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || strlen(s) != n || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!(is_tchar((unsigned char)s[i]) &&
		      strchr("!#$%&'*+.^`|~", s[i]) == NULL))
			return false;
	return true;
}

bool
rules_is_env_name(const char *s)
{
	size_t i;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

void
rules_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

static char *
quoted(const char *s)
{
	struct buf b;
	size_t n = strlen(s);

	buf_init(&b, 512);
	buf_add_json_string(&b, s, n > 200 ? 200 : n);
	return buf_detach(&b, NULL);
}

/* `label:line: key`, as layer_error() starts its lines: where a value was
 * written, for messages made later (loading its secret). */
char *
rules_where(const struct layer *L, int line, const char *key)
{
	if (line > 0 && L->lines)
		return xasprintf("%s:%d: %s", L->label, line, key);
	return xasprintf("%s: %s", L->label, key);
}

/* Reports `key: <problem> "value"` and returns -1. */
int
rules_bad_value(struct errbuf *err, const struct layer *L, int line,
		const char *key, const char *value, const char *why)
{
	char *q = quoted(value);

	layer_error(err, L, line, key, "%s %s", q, why);
	free(q);
	return -1;
}

int
rules_want_type(struct errbuf *err, const struct layer *L, const char *key,
		const struct toml_value *v, enum toml_type t, const char *want)
{
	if (v->type == t)
		return 0;
	layer_error(err, L, v->line, key, "expected %s, got %s", want,
		    toml_type_name(v->type));
	return -1;
}

/* The string v, or NULL after reporting why it is not one. */
const char *
rules_want_string(struct errbuf *err, const struct layer *L, const char *key,
		  const struct toml_value *v)
{
	if (rules_want_type(err, L, key, v, TOML_STRING, "a string") == -1)
		return NULL;
	if (strlen(v->u.str.s) != v->u.str.len) {
		layer_error(err, L, v->line, key, "string contains a NUL byte");
		return NULL;
	}
	return v->u.str.s;
}

/* An array of strings, each copied and passed through check (which may
 * rewrite it in place). nonempty refuses []. 0, or -1 after reporting. */
int
rules_read_strv(struct errbuf *err, const struct layer *L, const char *key,
		const struct toml_value *v, bool nonempty, item_check_fn *check,
		char ***out, size_t *nout)
{
	size_t i;
	int bad = 0;

	if (rules_want_type(err, L, key, v, TOML_ARRAY, "an array of strings"))
		return -1;
	if (nonempty && v->u.arr.n == 0) {
		layer_error(err, L, v->line, key, "must not be empty");
		return -1;
	}
	*out = xcalloc(v->u.arr.n + 1, sizeof(**out));
	for (i = 0; i < v->u.arr.n; i++) {
		const struct toml_value *it = v->u.arr.items[i];
		char *ikey = xasprintf("%s[%zu]", key, i);
		const char *s = rules_want_string(err, L, ikey, it);
		char *copy = s ? xstrdup(s) : NULL;

		if (copy == NULL ||
		    (check && check(err, L, it->line, ikey, copy) == -1)) {
			free(copy);
			bad = 1;
		} else {
			(*out)[(*nout)++] = copy;
		}
		free(ikey);
	}
	return bad ? -1 : 0;
}

void
rules_unknown(struct errbuf *err, const struct layer *L, int line,
	      const char *key, const char *const *keys)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; keys[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", keys[i]);
	layer_error(err, L, line, key, "unknown key (expected one of %s)", b.p);
	buf_release(&b);
}

/* --- item checks ------------------------------------------------------ */

int
rules_check_method(struct errbuf *err, const struct layer *L, int line,
		   const char *key, char *s)
{
	if (!rules_is_token(s))
		return rules_bad_value(err, L, line, key, s,
				       "is not an HTTP method");
	upper(s);
	if (strcmp(s, "CONNECT") == 0)
		return rules_bad_value(err, L, line, key, s,
				       "cannot be matched: a CONNECT inside an "
				       "intercepted tunnel is always refused");
	return 0;
}

int
rules_check_path(struct errbuf *err, const struct layer *L, int line,
		 const char *key, char *s)
{
	const char *p = s;

	if (strncmp(p, "pattern:", 8) == 0)
		p += 8;
	else if (strncmp(p, "literal:", 8) == 0)
		p += 8;
	if (*p != '/')
		return rules_bad_value(
		    err, L, line, key, s,
		    "must start with /, pattern:/ or literal:/ "
		    "(request paths start with /)");
	if (strpbrk(p, "?#") != NULL)
		return rules_bad_value(
		    err, L, line, key, s,
		    "holds ? or #: a path prefix is matched "
		    "against the path alone (use query = {...})");
	if (strchr(p, ' ') != NULL || rules_has_ctl(p))
		return rules_bad_value(err, L, line, key, s,
				       "holds a space or a control character");
	return 0;
}

int
rules_check_action_name(struct errbuf *err, const struct layer *L, int line,
			const char *key, char *s)
{
	if (!rules_is_name(s, strlen(s)))
		return rules_bad_value(
		    err, L, line, key, s,
		    "is not an action name (letters, digits, _ "
		    "and -)");
	return 0;
}

int
rules_check_header_name(struct errbuf *err, const struct layer *L, int line,
			const char *key, char *s)
{
	if (!rules_is_token(s))
		return rules_bad_value(err, L, line, key, s,
				       "is not a valid header name");
	rules_lower(s);
	if (conf_rules_owned_header(s))
		return rules_bad_value(err, L, line, key, s,
				       "is a header the proxy itself manages");
	return 0;
}

int
rules_check_match_value(struct errbuf *err, const struct layer *L, int line,
			const char *key, char *s)
{
	if (rules_has_ctl(s))
		return rules_bad_value(err, L, line, key, s,
				       "holds a control character");
	return 0;
}
