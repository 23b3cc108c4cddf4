/* secret.h — credentials held in memory that is kept out of core dumps,
 * swap and forked children, and wiped when it is let go.
 *
 * A struct secret is a byte string in its own anonymous mapping, rounded
 * up to whole pages, marked MADV_DONTDUMP (not in a core dump),
 * MADV_WIPEONFORK (a forked child sees zeros: the sandbox's setup child
 * never holds it) and, where RLIMIT_MEMLOCK allows, mlock'd (never written
 * to swap). secret_free() wipes it with explicit_bzero before unmapping.
 * The bytes are followed by a NUL that is not counted.
 *
 * Loading: a secret file must be named by an absolute path whose last
 * component is not a symlink (it is opened O_NOFOLLOW, so the file the
 * config names is the file that is checked), be a regular file owned by
 * the effective uid, with no group or other permission bits, and at most
 * SECRET_MAX bytes. An environment variable must be set and non-empty.
 * Surrounding whitespace (space, tab, CR, LF) is trimmed; what remains
 * must be non-empty and free of control characters other than tab, since
 * it becomes an HTTP header value (a line break would be a second
 * header). Errors name the file or the variable and what is wrong, never
 * a byte of the value.
 *
 * secret_protect_process() makes the whole process non-dumpable
 * (PR_SET_DUMPABLE 0): no core dump, and /proc/PID/{mem,environ,maps} of
 * the process are closed to other processes of the same user. Call it in
 * the process that holds secrets once they are loaded. It is NOT done
 * implicitly by loading: a non-dumpable flag is inherited across fork and
 * clone, and a child that is not dumpable cannot write its own
 * /proc/self/uid_map, so an unprivileged sandbox set up by a child forked
 * after the call fails; such a child must call prctl(PR_SET_DUMPABLE, 1)
 * first (its exec resets the flag anyway). */
#ifndef AIRLOCK_SECRET_H
#define AIRLOCK_SECRET_H

#include <stddef.h>

#include "lib/errbuf.h"

#define SECRET_MAX (16 * 1024)

struct secret;

/* A zeroed secret of n bytes (n <= SECRET_MAX) to fill through
 * secret_bytes(). Aborts when memory cannot be mapped, as xmalloc does. */
struct secret *secret_new(size_t n);
/* Loads and checks a secret file (see above). NULL with
 * `secret file PATH: problem` in err. */
struct secret *secret_from_file(const char *path, struct errbuf *err);
/* Copies the value of environment variable name (see above). NULL with
 * `secret variable NAME: problem` in err. */
struct secret *secret_from_env(const char *name, struct errbuf *err);
/* A new secret holding prefix followed by s (an HTTP header value
 * `Bearer <token>`). NULL when the result would exceed SECRET_MAX. */
struct secret *secret_concat(const char *prefix, const struct secret *s);
/* Wipes and unmaps s; NULL is fine. */
void secret_free(struct secret *s);

const char *secret_data(const struct secret *s);
char *secret_bytes(struct secret *s);
size_t secret_len(const struct secret *s);

/* Checks s[0..n) the way loaded secrets are checked after trimming:
 * NULL when it may stand in a header value, else a static reason. */
const char *secret_check_value(const char *s, size_t n);

/* prctl(PR_SET_DUMPABLE, 0) for this process; 0, or -1 with errno. */
int secret_protect_process(void);

#endif
