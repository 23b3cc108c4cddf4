/* http_proxy.c — the HTTP proxy listener: accept, or refuse past the
 * connection cap. Each accepted connection is a struct client
 * (client.h). */
#include "proxy/proxy_int.h"

#include <stdlib.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "net/listen.h"
#include "net/stream.h"
#include "proxy/block.h"
#include "proxy/client.h"

/* Past the cap: a 503 if the kernel takes it at once, then close. */
static void
refuse_over_cap(struct stream *s)
{
	struct buf resp;

	buf_init(&resp, 1024);
	block_error(&resp, 503, "proxy is at its connection limit", true);
	(void)stream_write(s, resp.p, resp.len);
	stream_close(s);
	buf_release(&resp);
}

void
http_proxy_accept(uv_stream_t *listener, int status)
{
	struct proxy *px = listener->data;
	uv_tcp_t *tcp;
	struct stream *s;
	char peer[64];

	if (status < 0)
		return;
	tcp = xcalloc(1, sizeof(*tcp));
	uv_tcp_init(px->loop, tcp);
	s = stream_tcp_new(px->loop, tcp);
	if (uv_accept(listener, (uv_stream_t *)tcp) != 0) {
		stream_close(s);
		return;
	}
	uv_tcp_nodelay(tcp, 1);
	listen_peer(tcp, peer, sizeof(peer));
	if (client_serve(px, s, peer) == -1)
		refuse_over_cap(s);
}
