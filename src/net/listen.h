/* listen.h — listening sockets for the proxy's listeners.
 *
 * A listener address comes from config as `http://HOST:PORT` where HOST is
 * an IP literal (IPv6 in brackets) or `localhost` (validated by the config
 * schema); port 0 asks the kernel for an ephemeral port. Binding to a
 * non-loopback address is refused unless the caller passes allow_public:
 * that is an error, never a silent clamp (DESIGN §5 [ours]). */
#ifndef AIRLOCK_LISTEN_H
#define AIRLOCK_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>
#include <uv.h>

#include "lib/errbuf.h"

/* Parses a listener URL into addr. -1 with `<key>: <url>: problem` added
 * to err (key names the config key for the message). */
int listen_parse(const char *url, const char *key, struct sockaddr_storage *addr,
		 struct errbuf *err);
bool listen_is_loopback(const struct sockaddr_storage *addr);
/* Binds and listens a malloc'ed uv_tcp_t on addr (or adopts fd when fd is
 * not -1, an already listening socket), with handle data set to data and
 * cb called for each connection. A socket it binds itself is registered
 * as one of airlock's own listeners (ownlisten.h) from before it listens
 * until it is closed; an adopted fd is not. NULL with a message on
 * failure (a registration that fails included). Close with
 * listen_close(). */
uv_tcp_t *listen_tcp(uv_loop_t *loop, const struct sockaddr_storage *addr,
		     int fd, const char *key, uv_connection_cb cb, void *data,
		     struct errbuf *err);
/* Closes and frees a listener (NULL is fine). */
void listen_close(uv_tcp_t *t);
/* The bound address as `IP:PORT` (`[v6]:PORT`) into out. */
const char *listen_bound(const uv_tcp_t *t, char *out, size_t outsz);
/* The peer of a connected stream as `IP:PORT`, "unknown" when unknown. */
const char *listen_peer(const uv_tcp_t *t, char *out, size_t outsz);
/* `IP:PORT` for any sockaddr. */
const char *listen_addr_str(const struct sockaddr *sa, char *out,
			    size_t outsz);

#endif
