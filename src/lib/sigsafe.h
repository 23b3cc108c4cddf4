/* sigsafe.h — text formatting that is safe where almost nothing is.
 *
 * A sandbox's first process is cloned from a parent whose other threads
 * (libuv's and the resolver's) may hold any lock at that instant — malloc's
 * arenas, stdio's, the locale's. Until it execs, the child may only make
 * system calls and run code that takes no lock and allocates nothing: no
 * malloc, no stdio, no strerror (which looks messages up through the
 * locale). sigsafe_vfmt() is the printf the child may use: it writes into
 * the caller's fixed buffer, takes no lock, allocates nothing and is
 * async-signal-safe.
 *
 * It knows %s, %c, %d, %i, %u, %x with the l and z length modifiers, %%,
 * and %m: the description of errno as it was when the call began
 * (strerrordesc_np: untranslated, a table lookup). No widths, precisions
 * or flags. Text that does not fit is cut, and the buffer is always
 * NUL-terminated. */
#ifndef AIRLOCK_SIGSAFE_H
#define AIRLOCK_SIGSAFE_H

#include <stdarg.h>
#include <stddef.h>

/* Appends to buf[*len..cap) and keeps buf NUL-terminated; *len is the
 * length after the call (never more than cap - 1). cap must be > 0. */
void sigsafe_vfmt(char *buf, size_t cap, size_t *len, const char *fmt,
		  va_list ap);
void sigsafe_fmt(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The description of errno value e ("No such file or directory"), or
 * "unknown error" (never NULL, never translated). */
const char *sigsafe_strerror(int e);

/* Formats and writes the line to fd in one write(2); for the messages a
 * cloned child prints before it execs. */
void sigsafe_dprintf(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
