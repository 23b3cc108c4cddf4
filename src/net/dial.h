/* dial.h — connect to vetted addresses, and nothing else.
 *
 * The proxy resolves a host once, lets the policy judge every address, and
 * then dials exactly those addresses (DESIGN §4.4 step 6): dial never looks
 * a name up. Addresses are tried in order; each attempt gets the remaining
 * time of one overall deadline. The caller gets a connected uv_tcp_t it
 * owns (allocated with malloc; close it with uv_close and free it in the
 * close callback, or hand it to relay_start, which takes ownership).
 * TCP_NODELAY is set on the connected socket. */
#ifndef AIRLOCK_DIAL_H
#define AIRLOCK_DIAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct dial;

/* tcp is NULL on failure; status is 0 or a libuv error code (UV_ETIMEDOUT
 * when the deadline passed, else the last attempt's error). Called exactly
 * once unless dial_cancel() came first. */
typedef void dial_cb(void *arg, uv_tcp_t *tcp, int status);

/* Starts connecting to addrs[0..n) with port overriding the port stored in
 * each address. Returns NULL only when n is 0 (cb is not called then). */
struct dial *dial_start(uv_loop_t *loop, const struct sockaddr_storage *addrs,
			size_t n, uint16_t port, int timeout_ms, dial_cb *cb,
			void *arg);
/* Abandons a dial in progress: cb will not be called; any socket is
 * closed and freed. The dial frees itself after cb: calling dial_cancel
 * inside cb is a no-op, after it a use-after-free. */
void dial_cancel(struct dial *d);

#endif
