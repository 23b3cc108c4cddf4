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

#endif
