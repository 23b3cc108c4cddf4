/* tokenfile.h — generated bearer tokens for airlock's control planes.
 *
 * When the user names no token, the app-server and the admin API make
 * their own: TOKENFILE_BYTES random bytes from the kernel, written as
 * unpadded base64url (TOKENFILE_LEN characters and a newline) to a file
 * only its owner may read or write (0600). The file is written beside its
 * final name and renamed over it, so a reader sees the old token or the
 * new one, never half of one; a symlink at that name is replaced, not
 * followed. Missing parent directories are created 0700. A fresh token is
 * made at every start: a token that leaked from an earlier run is
 * worthless. The caller owns the token: wipe it with explicit_bzero. */
#ifndef AIRLOCK_TOKENFILE_H
#define AIRLOCK_TOKENFILE_H

#include <stddef.h>

#include "lib/errbuf.h"

#define TOKENFILE_BYTES 32
#define TOKENFILE_LEN 43 /* base64url of TOKENFILE_BYTES, no padding */

/* Generates a token into tok (TOKENFILE_LEN + 1 bytes, NUL-terminated)
 * and writes it to path. 0, or -1 with `path: problem` in err (tok is
 * then wiped). */
int tokenfile_create(const char *path, char tok[TOKENFILE_LEN + 1],
		     struct errbuf *err);

#endif
