/* errbuf.h — a place for setup code to say what went wrong.
 *
 * Setup functions take a struct errbuf * and, on failure, add one line per
 * problem in the form `file:line: key: problem`. An errbuf may collect many
 * problems (config check lists them all); its text is capped at
 * ERRBUF_MAX bytes, after which further lines are counted but dropped and a
 * final "... N more" line is reported by errbuf_str(). A NULL errbuf is
 * accepted everywhere and discards messages.
 *
 * A fixed errbuf (errbuf_init_fixed) writes into the caller's buffer
 * instead, keeps the first problem only (later ones are counted), and
 * never allocates or takes a lock: it is what a sandbox's cloned child
 * passes to the set-up code it shares with the parent (sigsafe.h). Its
 * formats may use %m for errno's description, which both kinds print. */
#ifndef AIRLOCK_ERRBUF_H
#define AIRLOCK_ERRBUF_H

#include <stddef.h>

#define ERRBUF_MAX (64 * 1024)

struct errbuf {
	char *text;     /* heap, NUL-terminated lines joined by '\n' */
	size_t len;
	unsigned count;   /* problems added, including dropped ones */
	unsigned dropped; /* problems that did not fit */
	size_t fixed;     /* a fixed errbuf: the size of text; else 0 */
};

void errbuf_init(struct errbuf *e);
/* A fixed errbuf over buf[0..cap) (cap > 0); release is a no-op. */
void errbuf_init_fixed(struct errbuf *e, char *buf, size_t cap);
void errbuf_release(struct errbuf *e);
/* Forgets all problems but keeps the buffer. */
void errbuf_clear(struct errbuf *e);
/* Adds one problem line (no trailing newline needed). */
void errbuf_add(struct errbuf *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* All problems, one per line, without a trailing newline; "" when none. */
const char *errbuf_str(struct errbuf *e);
/* The first problem only (for one-line contexts), or "". Valid until the
 * next call on e. */
const char *errbuf_first(struct errbuf *e);

#endif
