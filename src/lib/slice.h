/* slice.h — borrowed views of bytes. A slice never owns its memory and is
 * never assumed to be NUL-terminated. */
#ifndef AIRLOCK_SLICE_H
#define AIRLOCK_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct slice {
	const char *p;
	size_t n;
};

static inline struct slice
slice_of(const char *p, size_t n)
{
	struct slice s = {p, n};
	return s;
}

static inline struct slice
slice_cstr(const char *s)
{
	return slice_of(s, strlen(s));
}

/* True when a and b hold the same bytes. */
static inline bool
slice_eq(struct slice a, struct slice b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool
slice_eq_cstr(struct slice a, const char *s)
{
	return slice_eq(a, slice_cstr(s));
}

/* True when a and b hold the same bytes, ASCII letters compared without
 * case (HTTP header names, host names). */
static inline bool
slice_caseeq(struct slice a, struct slice b)
{
	size_t i;

	if (a.n != b.n)
		return false;
	for (i = 0; i < a.n; i++) {
		unsigned char x = (unsigned char)a.p[i];
		unsigned char y = (unsigned char)b.p[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

static inline bool
slice_caseeq_cstr(struct slice a, const char *s)
{
	return slice_caseeq(a, slice_cstr(s));
}

/* s without leading and trailing spaces and tabs (HTTP's OWS). */
static inline struct slice
slice_trim_ows(struct slice s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

#endif
