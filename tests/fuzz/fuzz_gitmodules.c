/* fuzz_gitmodules.c — the `.gitmodules` reader: never crashes, and every
 * path it returns is relative, bounded and free of `.`/`..` names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/gitmodules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= GITMODULES_MAX_PATH || s[0] == '/' ||
	    strcmp(s, "..") == 0 || strncmp(s, "../", 3) == 0 ||
	    strstr(s, "/../") != NULL || strstr(s, "//") != NULL ||
	    (n >= 3 && strcmp(s + n - 3, "/..") == 0) || s[n - 1] == '/')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, n;
	char **v = gitmodules_paths((const char *)data, size, &n);

	if (n > GITMODULES_MAX_PATHS)
		abort();
	for (i = 0; i < n; i++) {
		check(v[i]);
		free(v[i]);
	}
	free(v);
	return 0;
}
