/* fuzz_tls_hello.c — the ClientHello reader on arbitrary bytes: it must
 * never claim more bytes than it was given, a name it reports must be
 * 1..255 bytes without NUL, and a hello it reads whole must read the same
 * when the input is cut right after it (nothing past the hello counts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct tls_hello h, again;
	int rc;

	rc = tls_hello_parse(p, size, &h);
	if (rc > 0 && (size_t)rc > size)
		abort();
	if (rc <= 0) {
		if (h.has_sni)
			abort();
		return 0;
	}
	if (h.has_sni && (h.sni_len == 0 || h.sni_len > TLS_HELLO_NAME_MAX ||
			  strlen(h.sni) != h.sni_len))
		abort();
	if (tls_hello_parse(p, (size_t)rc, &again) != rc ||
	    again.has_sni != h.has_sni || strcmp(again.sni, h.sni) != 0)
		abort();
	return 0;
}
