/* mountinfo.c — mount points out of /proc/self/mountinfo. See
 * mountinfo.h. */
#include "sandbox/mountinfo.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* The start of field i (0-based) of the line [p, end), or NULL. */
static const char *
field(const char *p, const char *end, int i)
{
	for (; i > 0; i--) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (p == NULL)
			return NULL;
		p++;
	}
	return p < end ? p : NULL;
}

static int
octal(const char *p, const char *end)
{
	int v = 0, i;

	if (end - p < 3)
		return -1;
	for (i = 0; i < 3; i++) {
		if (p[i] < '0' || p[i] > '7')
			return -1;
		v = v * 8 + (p[i] - '0');
	}
	return v >= 1 && v <= 255 ? v : -1;
}

/* Field [p, end) unescaped; NULL when malformed or not absolute. */
static char *
unescape(const char *p, const char *end)
{
	char *out = xmalloc((size_t)(end - p) + 1);
	size_t n = 0;
	int c;

	while (p < end) {
		if (*p == '\\') {
			c = octal(p + 1, end);
			if (c < 0)
				break;
			out[n++] = (char)c;
			p += 4;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	if (p < end || n == 0 || out[0] != '/' || strlen(out) != n) {
		free(out);
		return NULL;
	}
	return out;
}

char **
mountinfo_points(const char *text, size_t n, size_t *count)
{
	const char *p = text, *end = text + n, *nl, *f, *fe;
	char **v = NULL, *s;

	*count = 0;
	while (p < end && *count < MOUNTINFO_MAX_POINTS) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		f = field(p, nl, 4);
		fe = f ? memchr(f, ' ', (size_t)(nl - f)) : NULL;
		s = fe ? unescape(f, fe) : NULL;
		if (s != NULL) {
			v = xreallocarray(v, *count + 1, sizeof(*v));
			v[(*count)++] = s;
		}
		p = nl + (nl < end);
	}
	return v;
}

/* A decimal number at [p, end) up to stop; p moves past it. -1 when
 * malformed or above max. */
static int
number(const char **p, const char *end, char stop, uint64_t max,
       uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == *p || s >= end || *s != stop)
		return -1;
	*p = s + 1;
	*out = v;
	return 0;
}

int
mountinfo_dev(const char *text, size_t n, uint64_t mnt_id, uint32_t *dev)
{
	const char *p = text, *end = text + n, *nl, *f;
	uint64_t id, major, minor;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		f = p;
		if (number(&f, nl, ' ', UINT64_MAX, &id) == 0 && id == mnt_id) {
			f = field(p, nl, 2);
			if (f == NULL ||
			    number(&f, nl, ':', 0xfff, &major) == -1 ||
			    number(&f, nl, ' ', 0xfffff, &minor) == -1)
				return -1;
			*dev = (uint32_t)(major << 20 | minor);
			return 0;
		}
		p = nl + (nl < end);
	}
	return -1;
}
