/* fuzz_ws.c — the WebSocket frame path: arbitrary client bytes through
 * the wslay engine in two pieces (the first byte chooses the cut), every
 * text message echoed back, with a small message cap so the 1009 close
 * path is reached. The output must stay within WS_MAX_OUTPUT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
echo(void *arg, const char *p, size_t n)
{
	struct ws **self = arg;

	ws_send_text(*self, p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws *w = NULL;
	size_t cut, n;

	if (size < 1)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	w = ws_new(echo, &w, 4096);
	if (ws_feed(w, (const char *)data, cut) == 0)
		ws_feed(w, (const char *)data + cut, size - cut);
	ws_output(w, &n);
	if (n > WS_MAX_OUTPUT)
		abort();
	ws_consume(w, n);
	(void)ws_finished(w);
	ws_free(w);
	return 0;
}
