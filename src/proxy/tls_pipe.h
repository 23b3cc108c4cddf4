/* tls_pipe.h — OpenSSL on a libuv TCP stream, handed on as plaintext.
 *
 * A tls_pipe takes a connected TCP socket and an SSL object (server side:
 * SSL_set_accept_state; client side: SSL_set_connect_state with SNI and
 * verification set up by the caller) and runs the TLS handshake through
 * memory BIOs driven by libuv reads and writes. When the handshake is
 * done it makes a socketpair, bridges one end to the TLS session and
 * gives the caller the other end as a uv_tcp_t: from then on the caller
 * speaks plaintext on an ordinary stream (this is what lets the proxy's
 * HTTP code serve intercepted requests unchanged).
 *
 * Ownership: tls_pipe_start() takes tcp (malloc'd, initialised, not
 * closing) and ssl, even on failure. The ready callback runs exactly once
 * unless tls_pipe_cancel() came first: with plain != NULL the caller owns
 * plain (malloc'd uv_tcp_t on the same loop; close it with uv_close and
 * free it) and the pipe lives on by itself; with plain == NULL the
 * handshake failed, why says how (for a client-side pipe whose peer
 * certificate failed verification: "certificate verification failed:
 * <OpenSSL's reason>"), and the pipe is closing. After ready
 * the caller must drop its tls_pipe pointer.
 *
 * Life after the handshake: bytes flow both ways with backpressure (a
 * side is not read while the other's write queue is above
 * TLS_PIPE_HIGH_WATER). The TLS peer closing (close_notify or EOF) shuts
 * down the write side of the plaintext end; the plaintext end closing
 * sends close_notify and closes the TCP socket once it is written. Any
 * error closes both. The handshake has a deadline; afterwards the user of
 * the plaintext end owns the deadlines. */
#ifndef AIRLOCK_TLS_PIPE_H
#define AIRLOCK_TLS_PIPE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include <openssl/ssl.h>

#define TLS_PIPE_HIGH_WATER (256 * 1024)

struct tls_pipe;

typedef void tls_pipe_ready_fn(void *arg, uv_tcp_t *plain, const char *why);

/* Starts the handshake. pre_in[0..n_in) are bytes already read from tcp
 * (the start of the peer's TLS stream); pre_out[0..n_out) are written to
 * tcp as they are before any TLS byte (a CONNECT or SOCKS5 reply). Both
 * are copied. */
struct tls_pipe *tls_pipe_start(uv_loop_t *loop, uv_tcp_t *tcp, SSL *ssl,
				const char *pre_in, size_t n_in,
				const char *pre_out, size_t n_out,
				int handshake_ms, tls_pipe_ready_fn *ready,
				void *arg);

/* Abandons a pipe whose ready callback has not run: it will not run, and
 * everything is closed. NULL is ignored. */
void tls_pipe_cancel(struct tls_pipe *tp);

#endif
