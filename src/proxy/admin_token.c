/* admin_token.c — the admin API's bearer token (see admin_token.h). */
#include "proxy/admin_token.h"

#include <stdlib.h>
#include <string.h>

#include "lib/fdutil.h"
#include "lib/tokenfile.h"
#include "lib/xalloc.h"

#define KEY "permissions.network.admin_token_file"

int
admin_token_read(const struct conf *c, char **tok, size_t *len,
		 struct errbuf *err)
{
	const char *path = conf_str(c, KEY);
	size_t n = 0;
	char *t;

	*tok = NULL;
	*len = 0;
	if (*path == '\0')
		return 0;
	t = read_file_capped(path, 4096, &n, err);
	if (t == NULL)
		return -1;
	while (n > 0 && strchr(" \t\r\n", t[n - 1]) != NULL)
		t[--n] = '\0';
	if (n == 0) {
		errbuf_add(err, KEY ": %s: empty token", path);
		free(t);
		return -1;
	}
	*tok = t;
	*len = n;
	return 0;
}

int
admin_token_generate(const char *home, char **tok, size_t *len, char **path,
		     struct errbuf *err)
{
	char t[TOKENFILE_LEN + 1];

	*path = xasprintf("%s/%s", home, ADMIN_TOKEN_FILE);
	if (tokenfile_create(*path, t, err) == -1) {
		free(*path);
		*path = NULL;
		return -1;
	}
	*tok = xstrndup(t, TOKENFILE_LEN);
	*len = TOKENFILE_LEN;
	explicit_bzero(t, sizeof(t));
	return 0;
}
