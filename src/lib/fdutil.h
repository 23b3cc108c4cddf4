/* fdutil.h — whole-file reads and writes with limits.
 *
 * read_file_capped refuses files larger than max bytes, so a config path
 * pointed at /dev/zero or a huge file fails with a message instead of
 * eating memory. write_file_atomic writes a sibling temporary file, fsyncs
 * and renames it into place: a reader sees the old file or the new one,
 * never half of one. */
#ifndef AIRLOCK_FDUTIL_H
#define AIRLOCK_FDUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "errbuf.h"

/* Reads path (or stdin when path is "-") into a NUL-terminated heap buffer.
 * Returns NULL and adds `path: problem` to err when it cannot, including
 * when the file exceeds max bytes. *len gets the byte count. */
char *read_file_capped(const char *path, size_t max, size_t *len,
		       struct errbuf *err);
/* Reads all of fd up to max bytes; NULL on error or when larger. */
char *read_fd_capped(int fd, size_t max, size_t *len, int *too_big);
/* Atomically replaces path with p[0..n) created with mode. */
int write_file_atomic(const char *path, const void *p, size_t n, mode_t mode,
		      struct errbuf *err);
/* write(2) until done or error; -1 on error. */
int write_all(int fd, const void *p, size_t n);

#endif
