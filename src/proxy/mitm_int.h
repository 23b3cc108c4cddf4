/* mitm_int.h — what mitm.c and mitm_inner.c share. Not for use outside
 * them. */
#ifndef AIRLOCK_MITM_INT_H
#define AIRLOCK_MITM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include <openssl/ssl.h>

#include "net/http_msg.h"
#include "proxy/proxy_int.h"

/* What an intercepted tunnel leads to; owned by its inner hconn. */
struct mitm_tunnel {
	char host[HTTP_MSG_MAX_HOST + 1]; /* CONNECT host, no brackets */
	uint16_t port;
	bool is_ip;                       /* an IPv4 or IPv6 literal */
	struct tls_pipe *pending;         /* upstream handshake, or NULL */
};

/* The upstream TLS context for the config of st (borrowed; rebuilt when
 * the state changes). NULL when OpenSSL fails. */
SSL_CTX *mitm_client_ctx(struct proxy_state *st);

/* uv_close callback that frees a malloc'd handle. */
void mitm_free_handle(uv_handle_t *h);

#endif
