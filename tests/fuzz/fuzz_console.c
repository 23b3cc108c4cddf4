/* fuzz_console.c — the web console's judging of one request head
 * (server/console.h): arbitrary bytes parsed as an HTTP request, then
 * judged by a console that has a login code and one session, so that the
 * Host, Origin, Cookie and Sec-WebSocket-Protocol readers and the login
 * and upgrade paths are all reached. An answer must fit its cap and start
 * with a status line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"
#include "server/auth.h"
#include "server/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct judged {
	struct console *c;
	struct buf out;
};

static int
on_head(void *arg, const struct http_head *h)
{
	struct judged *j = arg;
	struct console_note note;
	enum console_verdict v;
	unsigned scope;

	buf_reset(&j->out);
	v = console_judge(j->c, h, 0, &j->out, &scope, &note);
	if (v != CONSOLE_PASS &&
	    (j->out.len < 12 || memcmp(j->out.p, "HTTP/1.1 ", 9) != 0))
		abort();
	if (v == CONSOLE_UPGRADE && scope != AUTH_SCOPE_APPROVE)
		abort();
	return HTTP1_PAUSE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http1_callbacks cb = {.on_head = on_head};
	struct judged j;
	struct http1 *p;
	char url[256];

	j.c = console_new(AUTH_SCOPE_APPROVE);
	buf_init(&j.out, CONSOLE_MAX_REPLY);
	console_new_code(j.c, "127.0.0.1:8765", 0, url, sizeof(url));
	p = http1_new(HTTP1_REQUEST, &cb, &j, 0);
	http1_feed(p, (const char *)data, size);
	http1_free(p);
	buf_release(&j.out);
	console_free(j.c);
	return 0;
}
