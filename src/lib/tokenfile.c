/* tokenfile.c — generate a token and store it 0600 (see tokenfile.h). */
#include "lib/tokenfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "lib/b64url.h"
#include "lib/fdutil.h"
#include "lib/xalloc.h"

/* mkdir -p of path's directory, 0700 for what it creates. */
static int
make_parents(const char *path, struct errbuf *err)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; rc == 0 && (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			errbuf_add(err, "%s: %s", p, strerror(errno));
			rc = -1;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* n random bytes from the kernel (getrandom blocks only before the pool
 * is first seeded, at early boot). */
static int
random_bytes(unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
tokenfile_create(const char *path, char tok[TOKENFILE_LEN + 1],
		 struct errbuf *err)
{
	unsigned char raw[TOKENFILE_BYTES];
	char line[TOKENFILE_LEN + 2];
	int rc = -1;

	if (random_bytes(raw, sizeof(raw)) == -1) {
		errbuf_add(err, "%s: no random bytes: %s", path,
			   strerror(errno));
		goto out;
	}
	b64url_encode(raw, sizeof(raw), tok);
	memcpy(line, tok, TOKENFILE_LEN);
	line[TOKENFILE_LEN] = '\n';
	if (make_parents(path, err) == -1 ||
	    write_file_atomic(path, line, TOKENFILE_LEN + 1, 0600, err) == -1)
		goto out;
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(line, sizeof(line));
	if (rc == -1)
		explicit_bzero(tok, TOKENFILE_LEN + 1);
	return rc;
}
