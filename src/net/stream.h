/* stream.h — one byte stream the proxy's HTTP code reads and writes
 * through, whatever carries it.
 *
 * Two kinds behind one table of operations (the shape of redis's
 * ConnectionType):
 *   - TCP: a connected libuv uv_tcp_t;
 *   - TLS: OpenSSL over memory BIOs, layered on another stream, which it
 *     owns. Interception uses it directly: the client's TCP stream is
 *     wrapped in a TLS server stream, the origin's in a TLS client one, so
 *     an intercepted tunnel costs one client fd and one origin fd.
 *
 * Events go to the owner through the callbacks it sets (stream_set_owner),
 * each with the owner's arg:
 *   - read(arg, n, p): n > 0 bytes p[0..n) arrived (valid during the call
 *     only); n < 0 the peer is done (UV_EOF: FIN, or a TLS close_notify;
 *     a TLS peer that closes TCP without close_notify also reads as
 *     UV_EOF, the HTTP framing judges truncation) or the stream failed
 *     (a libuv error; UV_EPROTO for a TLS error). Only while reading
 *     (stream_read_start); stream_read_stop inside the callback is
 *     honoured at once: no further read callback until restarted.
 *   - write(arg, status): a write the kernel could not take at once has
 *     finished (status 0: stream_write_queued() shrank) or failed. Writes
 *     the kernel took at once get no callback. May be NULL.
 *
 * Ownership and death: one owner. stream_close() is the one death path,
 * allowed in any state and from inside any of the stream's callbacks; it
 * cancels everything, no callback of the owner runs after it, and the
 * struct is freed once libuv is done with it (the caller just drops its
 * pointer). A TLS stream closes the stream beneath it too. */
#ifndef AIRLOCK_NET_STREAM_H
#define AIRLOCK_NET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <uv.h>

#include <openssl/ssl.h>

struct stream;

typedef void stream_read_fn(void *arg, ssize_t n, const char *p);
typedef void stream_write_fn(void *arg, int status);
/* A TLS handshake ended: status 0, or a libuv error with why a one-line
 * reason ("tls handshake timed out", "certificate verification failed:
 * <OpenSSL's reason>", "tls handshake failed: <reason>"), valid during
 * the call. The owner closes the stream after a failure. */
typedef void stream_handshake_fn(void *arg, int status, const char *why);

/* Takes tcp (malloc'd, connected, on loop, not closing), even on error
 * (never fails). TCP_NODELAY is the caller's choice. */
struct stream *stream_tcp_new(uv_loop_t *loop, uv_tcp_t *tcp);

/* Runs TLS over lower (taken over, even on error) with ssl (taken over;
 * SSL_set_accept_state or SSL_set_connect_state done by the caller, SNI
 * and verification too). pre_in[0..n_in) are bytes already read from
 * lower (the start of the peer's TLS), copied. The handshake starts on
 * the next loop turn (never inside this call) and must end within
 * handshake_ms; done(arg, ...) says how it went, exactly once unless
 * the stream is closed first. Bytes written before it ends are held and
 * sent after it. */
struct stream *stream_tls_new(struct stream *lower, SSL *ssl,
			      const char *pre_in, size_t n_in,
			      int handshake_ms, stream_handshake_fn *done,
			      void *arg);

/* Sets who gets the events (see above). */
void stream_set_owner(struct stream *s, void *arg, stream_read_fn *read,
		      stream_write_fn *write);

/* Starts delivering reads; 0 or a libuv error. Restarting after a stop
 * delivers what a TLS stream holds already before reading more. */
int stream_read_start(struct stream *s);
void stream_read_stop(struct stream *s);

/* Queues p[0..n) (copied where the kernel does not take it at once).
 * 0, or a libuv error (the owner closes the stream). */
int stream_write(struct stream *s, const char *p, size_t n);
/* Bytes written but not yet taken by the kernel (backpressure). */
size_t stream_write_queued(const struct stream *s);
/* Once everything queued is out, ends our side (TCP FIN; TLS sends
 * close_notify first), then cb(arg, status). 0 or a libuv error. */
int stream_shutdown(struct stream *s, stream_write_fn *cb);
/* See above. NULL is ignored. */
void stream_close(struct stream *s);

/* The raw socket of a TCP stream (for splice(2)), -1 for TLS. Only for
 * moving bytes while the stream is neither reading nor writing. */
int stream_fd(const struct stream *s);
/* True when nothing has arrived on the bottom socket since it was last
 * read: no byte, no EOF, no error (a kept-alive connection is still
 * fit). It peeks, it does not read. */
bool stream_quiet(const struct stream *s);
/* The remote address of the bottom TCP stream; 0 or -1. */
int stream_peer(const struct stream *s, struct sockaddr_storage *ss);
/* True for the TLS kind. */
bool stream_is_tls(const struct stream *s);

/* Hands the uv_tcp_t of a TCP stream to a new owner (the relay) and
 * ends the stream (its pending writes still complete; no callback of the
 * old owner runs any more). The caller owns the handle: its data field is
 * free. NULL for a TLS stream (left as it was). */
uv_tcp_t *stream_tcp_detach(struct stream *s);

#endif
