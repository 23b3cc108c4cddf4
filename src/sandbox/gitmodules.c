/* gitmodules.c — submodule paths out of `.gitmodules`. See
 * gitmodules.h. */
#include "sandbox/gitmodules.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

struct line {
	const char *p, *end;
};

static void
skip_space(struct line *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t'))
		l->p++;
}

static bool
is_comment_or_end(const struct line *l)
{
	return l->p == l->end || *l->p == '#' || *l->p == ';';
}

/* `[submodule "..."]` (any subsection) or another section. */
static bool
submodule_header(struct line *l)
{
	static const char kw[] = "submodule";
	size_t n = sizeof(kw) - 1;

	l->p++;
	skip_space(l);
	if ((size_t)(l->end - l->p) < n || strncasecmp(l->p, kw, n) != 0)
		return false;
	l->p += n;
	return l->p < l->end && (*l->p == ' ' || *l->p == '\t' ||
				 *l->p == '"' || *l->p == ']' || *l->p == '.');
}

/* The value after `=`, unquoted and unescaped into out; false when it is
 * malformed or too long. */
static bool
read_value(struct line *l, char *out, size_t cap)
{
	bool quoted = false;
	size_t n = 0;
	char c;

	skip_space(l);
	while (l->p < l->end) {
		c = *l->p++;
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (c == '#' || c == ';'))
			break;
		if (c == '\\') {
			if (l->p == l->end)
				return false;
			c = *l->p++;
			if (c == 't')
				c = '\t';
			else if (c == 'n')
				c = '\n';
			else if (c != '"' && c != '\\')
				return false;
		}
		if (c == '\0' || n + 1 >= cap)
			return false;
		out[n++] = c;
	}
	if (quoted)
		return false;
	while (n > 0 && !quoted && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
	return true;
}

/* A relative path without empty, `.` or `..` names (trailing `/` is
 * dropped); false otherwise. */
static bool
clean_path(char *s)
{
	size_t n = strlen(s);
	const char *p;

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (n == 0 || s[0] == '/' || strchr(s, '\n') != NULL)
		return false;
	for (p = s; *p != '\0';) {
		size_t k = strcspn(p, "/");

		if (k == 0 || (k == 1 && p[0] == '.') ||
		    (k == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += k;
		if (*p == '/')
			p++;
	}
	return true;
}

static void
add(char ***v, size_t *count, const char *path)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp((*v)[i], path) == 0)
			return;
	*v = xreallocarray(*v, *count + 1, sizeof(**v));
	(*v)[(*count)++] = xstrdup(path);
}

/* One `key = value` line in a submodule section. */
static void
key_line(struct line *l, char ***v, size_t *count)
{
	char value[GITMODULES_MAX_PATH];

	if ((size_t)(l->end - l->p) < 4 || strncasecmp(l->p, "path", 4) != 0)
		return;
	l->p += 4;
	skip_space(l);
	if (l->p == l->end || *l->p != '=')
		return;
	l->p++;
	if (read_value(l, value, sizeof(value)) && clean_path(value) &&
	    *count < GITMODULES_MAX_PATHS)
		add(v, count, value);
}

char **
gitmodules_paths(const char *text, size_t n, size_t *count)
{
	const char *p = text, *end = text + n, *nl;
	bool in_sub = false;
	char **v = NULL;
	struct line l;

	*count = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l.p = p;
		l.end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		skip_space(&l);
		if (is_comment_or_end(&l))
			continue;
		if (*l.p == '[')
			in_sub = submodule_header(&l);
		else if (in_sub)
			key_line(&l, &v, count);
	}
	return v;
}
