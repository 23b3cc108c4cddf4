/* fuzz_passwd.c — the nsswitch.conf and /etc/passwd readers of
 * lib/passwd.h on arbitrary bytes; the first byte is the uid asked for
 * (its top bit picks 4294967295 instead). Checks: a found home lies
 * inside the input, on a line whose third field is that uid, and holds
 * neither ':' nor a newline. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *line;
	size_t n = size > 0 ? size - 1 : 0;
	struct slice h;
	uid_t uid;

	if (size == 0)
		return 0;
	uid = data[0] & 0x80 ? (uid_t)4294967295u : (uid_t)(data[0] & 0x7f);
	(void)passwd_files_first(p, n);
	if (passwd_find_home(p, n, uid, &h) != PASSWD_FOUND)
		return 0;
	if (h.p < p || h.p + h.n > p + n)
		abort();
	if (memchr(h.p, ':', h.n) != NULL || memchr(h.p, '\n', h.n) != NULL)
		abort();
	for (line = h.p; line > p && line[-1] != '\n'; line--)
		;
	if (strtoul(strchr(strchr(line, ':') + 1, ':') + 1, NULL, 10) !=
	    (unsigned long)uid)
		abort();
	return 0;
}
