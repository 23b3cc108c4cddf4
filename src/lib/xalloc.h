/* xalloc.h — allocation that cannot return NULL. Out of memory is not a
 * condition airlock can serve through, so these abort with a message. */
#ifndef AIRLOCK_XALLOC_H
#define AIRLOCK_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
/* Grows or shrinks p; aborts on overflow of nmemb * size. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Copies n bytes of p and appends a NUL. */
char *xstrndup(const char *p, size_t n);
/* printf into a fresh heap string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
