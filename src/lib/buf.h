/* buf.h — a growable byte buffer with a hard maximum (curl's dynbuf).
 *
 * The maximum is fixed at init; an append that would pass it fails with -1
 * and leaves the buffer unchanged, so remote input alone can never grow
 * memory without bound. The bytes are always followed by a NUL that is not
 * counted in len, so text can be handed to C string functions. */
#ifndef AIRLOCK_BUF_H
#define AIRLOCK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Makes room for n more bytes at once, so that appends up to that size
 * never move the bytes (a buffer that will hold a secret is reserved
 * whole, then wiped before release: no copy is left behind in freed
 * memory). 0, or -1 when max would be exceeded. */
int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes; 0 on success, -1 when max would be exceeded. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
int buf_add_json_string(struct buf *b, const char *s, size_t n);
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Hands the heap string to the caller (never NULL) and resets b. */
char *buf_detach(struct buf *b, size_t *len);

#endif
