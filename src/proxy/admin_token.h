/* admin_token.h — where the admin API's bearer token comes from.
 *
 * With permissions.network.admin_token_file set, the token is that file's
 * content, trailing whitespace trimmed, refused when empty; it is re-read
 * on every reload. With the key empty [ours], `airlock proxy` generates a
 * fresh token at start into $AIRLOCK_HOME/admin.token (0600, see
 * lib/tokenfile.h), says where on stderr, and keeps it across reloads:
 * the admin API is never served without a token. Tokens are heap strings
 * the caller wipes (explicit_bzero) before freeing. */
#ifndef AIRLOCK_ADMIN_TOKEN_H
#define AIRLOCK_ADMIN_TOKEN_H

#include <stddef.h>

#include "config/conf.h"
#include "lib/errbuf.h"

#define ADMIN_TOKEN_FILE "admin.token" /* in $AIRLOCK_HOME */

/* The configured token into *tok / *len; *tok NULL when the key is
 * empty. -1 with `permissions.network.admin_token_file: ...` in err. */
int admin_token_read(const struct conf *c, char **tok, size_t *len,
		     struct errbuf *err);
/* Generates a token into home's ADMIN_TOKEN_FILE. *path gets the file's
 * path (heap). -1 with err. */
int admin_token_generate(const char *home, char **tok, size_t *len,
			 char **path, struct errbuf *err);

#endif
