/* fuzz_mountinfo.c — the mountinfo reader: never crashes, returns only
 * absolute, NUL-free paths, never more than its cap; devices fit the
 * kernel's 12+20-bit encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, n;
	char **v = mountinfo_points((const char *)data, size, &n);

	if (n > MOUNTINFO_MAX_POINTS)
		abort();
	for (i = 0; i < n; i++) {
		if (v[i][0] != '/' || strlen(v[i]) > size)
			abort();
		free(v[i]);
	}
	free(v);
	for (i = 0; i < 4; i++) {
		uint32_t dev = 0;

		if (mountinfo_dev((const char *)data, size, i * 7 + 1, &dev) ==
			    0 &&
		    (dev >> 20) > 0xfff)
			abort();
	}
	return 0;
}
