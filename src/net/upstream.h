/* upstream.h — chaining the proxy's outbound hop through an upstream proxy.
 *
 * Corporate users reach the internet through their own HTTP or SOCKS5
 * proxy (DESIGN §4.1 `[network] proxy`, §5 [ours]). This module has two
 * halves:
 *
 * Selection (upstream.c, pure: no I/O, no logging). upstream_cfg_build()
 * turns the effective settings into a struct upstream_cfg once per proxy
 * state; upstream_select() then says, per request, which upstream to use
 * or NULL for a direct connection. Rules:
 *   - allow_upstream_proxy false → always direct; when `[network] proxy`
 *     or a proxy variable is set all the same, one warning says so.
 *   - `[network] proxy` set → it serves every target.
 *   - else the proxy process's environment (reference §10): TLS-ish
 *     targets (CONNECT tunnels, SOCKS5 TCP streams) use HTTPS_PROXY →
 *     HTTP_PROXY → ALL_PROXY, plain http:// uses HTTP_PROXY → ALL_PROXY;
 *     each name is tried upper case first, then lower case. Values are
 *     trimmed; an empty value counts as unset; a value that does not parse
 *     or has a scheme other than http, socks5 or socks5h (`https://` too:
 *     we do not speak TLS to the upstream) is ignored with one warning and
 *     the next name is tried. A value without a scheme is http (curl).
 *   - no_proxy: the config list always applies; NO_PROXY / no_proxy from
 *     the environment applies too when the upstream came from the
 *     environment. Entries: `*` (everything bypasses), an IP literal
 *     (exact), a CIDR range (IP-literal targets inside it), or a name:
 *     `example.com`, `.example.com` and `*.example.com` all match
 *     example.com and any subdomain of it (curl). A `:port` on an entry is
 *     ignored. Bad entries are dropped with a warning.
 * Default ports: 80 for http, 1080 for socks5/socks5h. User and password
 * in the URL are percent-decoded; they are never put into messages.
 *
 * Connecting (upstream_conn.c, libuv): upstream_connect_start() dials the
 * upstream proxy (resolving its name once; this hop is exempt from the
 * local/private destination check, DESIGN §4.4 step 6) and performs the
 * handshake that makes the connection reach host:port, all under one
 * deadline. See upstream_connect_start() for the per-scheme behaviour.
 *
 * Ownership: a struct upstream_cfg owns every string in it; upstreams
 * returned by upstream_select() live as long as the cfg. A connect copies
 * what it needs from its upstream at start, so the cfg may go away while
 * a connect is in flight. */
#ifndef AIRLOCK_UPSTREAM_H
#define AIRLOCK_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "lib/errbuf.h"
#include "policy/ipclass.h"

#define UPSTREAM_HEAD_MAX (16 * 1024) /* CONNECT response head cap */

enum upstream_scheme {
	UPSTREAM_HTTP,
	UPSTREAM_SOCKS5,  /* we send the vetted IP */
	UPSTREAM_SOCKS5H, /* we send the host name */
};

struct upstream {
	enum upstream_scheme scheme;
	char *host;   /* normalized name or IP text, no brackets */
	uint16_t port;
	char *user;   /* percent-decoded, or NULL when the URL has none */
	char *pass;   /* percent-decoded ("" when only a user is given) */
	char *source; /* where it came from: "network.proxy", "HTTPS_PROXY"... */
};

enum upstream_np_kind { UPSTREAM_NP_NAME, UPSTREAM_NP_IP, UPSTREAM_NP_CIDR };

struct upstream_np_entry {
	enum upstream_np_kind kind;
	char *name;        /* UPSTREAM_NP_NAME: normalized, no leading dot */
	struct cidr range; /* UPSTREAM_NP_IP (plen = full) and _CIDR */
};

struct upstream_cfg {
	bool enabled;            /* allow_upstream_proxy and some upstream */
	struct upstream *tls;    /* for tunnels; NULL = direct */
	struct upstream *plain;  /* for plain http://; NULL = direct */
	bool bypass_all;         /* a `*` entry in no_proxy */
	struct upstream_np_entry *np;
	size_t n_np;
};

/* Parses a proxy URL s[0..n): `scheme://[user[:pass]@]host[:port][/]`.
 * Returns 0, or -1 with *why set to a static description. With
 * scheme_optional a missing scheme means http. The caller releases out
 * with upstream_release(). */
int upstream_parse_url(const char *s, size_t n, bool scheme_optional,
		       struct upstream *out, const char **why);
void upstream_release(struct upstream *u);

/* Builds cfg. proxy is `[network] proxy` ("" or NULL = unset); no_proxy
 * the config list; envp an environ-style array (NULL-terminated, may be
 * NULL) standing for the proxy process's environment. Problems with
 * environment values and no_proxy entries go to warn as one line each;
 * a bad proxy URL from config too (config validation normally catches
 * it). Never fails. */
void upstream_cfg_build(struct upstream_cfg *cfg, bool allow, const char *proxy,
			const char *const *no_proxy, size_t n_no_proxy,
			const char *const *envp, struct errbuf *warn);
void upstream_cfg_release(struct upstream_cfg *cfg);

/* The upstream to use for host (any spelling host_normalize accepts), or
 * NULL for a direct connection. is_tls: true for CONNECT tunnels and
 * SOCKS5 TCP streams, false for plain http:// requests. */
const struct upstream *upstream_select(const struct upstream_cfg *cfg,
				       const char *host, bool is_tls);
/* True when host matches cfg's no_proxy rules. */
bool upstream_bypassed(const struct upstream_cfg *cfg, const char *host);

/* The Proxy-Authorization header value (`Basic base64(user:pass)`) for u,
 * as a heap string the caller wipes and frees; NULL when u has no user. */
char *upstream_proxy_authorization(const struct upstream *u);
/* "http://host:port" and the like, without credentials, into out. */
const char *upstream_label(const struct upstream *u, char *out, size_t outsz);

/* Parses the head of an upstream's answer to CONNECT in p[0..n): returns
 * the length of the head including its blank line (> 0), 0 when more bytes
 * are needed, -1 when it is not an HTTP/1.x response. *status gets the
 * code; *line_len the length of the status line (without CRLF). Pure. */
int upstream_parse_connect_reply(const char *p, size_t n, int *status,
				 size_t *line_len);

/* --- connecting (upstream_conn.c) ----------------------------------------- */

enum upstream_kind {
	UPSTREAM_TUNNEL,       /* a byte stream to host:port */
	UPSTREAM_HTTP_FORWARD, /* plain HTTP requests for host:port */
};

/* True when the caller must send absolute-form requests (with
 * upstream_proxy_authorization()) over the connection: an HTTP upstream
 * used for UPSTREAM_HTTP_FORWARD. Otherwise the connection behaves like a
 * direct one to host:port. */
bool upstream_absolute_form(const struct upstream *u, enum upstream_kind kind);

struct upstream_connect;

/* Called exactly once unless upstream_connect_cancel() came first. On
 * success status is 0, tcp a connected handle the callee now owns
 * (malloc'ed, its data field free for use, not reading; close it with
 * uv_close and free it in the close callback, or give it to relay_start),
 * and pre[0..n_pre) bytes the upstream already sent past its handshake
 * (they belong to the target; valid only during the call). On failure tcp
 * is NULL and status a libuv error: UV_ETIMEDOUT (deadline), the dial's
 * error (upstream down), UV_EACCES (authentication refused, SOCKS5 0x02,
 * HTTP 407/401), UV_ECONNREFUSED / UV_ENETUNREACH / UV_EHOSTUNREACH (SOCKS5
 * 0x05 / 0x03 / 0x04), UV_EPROTO (a bad or other refusal: why says
 * which); why is a one-line message such as `upstream proxy
 * http://127.0.0.1:3128: CONNECT example.com:443 refused: HTTP/1.1 502 Bad
 * Gateway`, valid during the call. The connect is gone once cb returns. */
typedef void upstream_connect_cb(void *arg, uv_tcp_t *tcp, const char *pre,
				 size_t n_pre, int status, const char *why);

/* Starts reaching host:port through u:
 *   - HTTP + UPSTREAM_TUNNEL: `CONNECT host:port HTTP/1.1` (with
 *     Proxy-Authorization when u has a user); a 2xx answer is success,
 *     bytes after its head are pre-read data; anything else fails with the
 *     status line in why. Heads over UPSTREAM_HEAD_MAX fail.
 *   - HTTP + UPSTREAM_HTTP_FORWARD: success as soon as the upstream is
 *     connected (see upstream_absolute_form()).
 *   - SOCKS5/SOCKS5H: greeting (no-auth, plus user/pass when u has a
 *     user), RFC 1929 login when chosen, CONNECT with the host name
 *     (socks5h) or vetted[0] (socks5; n_vetted must be > 0), reply.
 * vetted[0..n_vetted) are the addresses the policy approved for host
 * (copied). timeout_ms bounds everything from start to cb. Returns NULL
 * only on a programming error (socks5 without a vetted address, a host
 * too long to send); cb is not called then. */
struct upstream_connect *
upstream_connect_start(uv_loop_t *loop, const struct upstream *u,
		       const char *host, uint16_t port,
		       const struct sockaddr_storage *vetted, size_t n_vetted,
		       enum upstream_kind kind, int timeout_ms,
		       upstream_connect_cb *cb, void *arg);
/* Abandons a connect in progress: cb will not be called and every handle
 * is closed and freed. Must not be called from inside cb or after it. */
void upstream_connect_cancel(struct upstream_connect *uc);

#endif
