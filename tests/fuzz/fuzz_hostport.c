/* fuzz_hostport.c — the authority parser on arbitrary bytes under every
 * flag combination (the first byte picks the flags). Checks: an accepted
 * authority has a non-empty host inside the input, a port in 0..65535 or
 * -1 (and not -1 when one is required), userinfo only when allowed, and
 * a bracketed host only where the input has a '['. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hostport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size > 0 ? size - 1 : 0;
	struct hostport hp;
	unsigned flags;

	if (size == 0)
		return 0;
	flags = data[0] & 7;
	if (hostport_parse(p, n, flags, &hp) != NULL)
		return 0;
	if (hp.host.n == 0 || hp.host.p < p || hp.host.p + hp.host.n > p + n)
		abort();
	if (hp.port < -1 || hp.port > 65535)
		abort();
	if (hp.port < 0 && (flags & HOSTPORT_PORT_REQUIRED))
		abort();
	if (hp.userinfo.n > 0 && !(flags & HOSTPORT_USERINFO))
		abort();
	if (hp.bracketed && (hp.host.p == p || hp.host.p[-1] != '['))
		abort();
	return 0;
}
