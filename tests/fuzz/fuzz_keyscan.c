/* fuzz_keyscan.c — the terminal key scanner (sandbox/keyscan.h) on
 * arbitrary bytes. Checks: a byte is either part of a sequence or comes
 * back unchanged as an ASCII key; Enter and Ctrl-C are always keys; and a
 * byte that follows an unfinished ESC is never a key unless it is one of
 * those. */
#include <stdint.h>
#include <stdlib.h>

#include "sandbox/keyscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
always_key(uint8_t c)
{
	return c == '\r' || c == '\n' || c == 0x03;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyscan k;
	size_t i;
	int r, prev = 0;

	keyscan_init(&k);
	for (i = 0; i < size; i++) {
		r = keyscan_byte(&k, data[i]);
		if (r != KEYSCAN_PART && (r != data[i] || r > 0x7f))
			abort();
		if (always_key(data[i]) && r != data[i])
			abort();
		if (prev == 0x1b && r != KEYSCAN_PART && !always_key(data[i]))
			abort();
		prev = data[i];
	}
	return 0;
}
