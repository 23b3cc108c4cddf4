/* block.h — the responses the proxy answers with instead of forwarding.
 *
 * Wire format (reference §7.4), byte-exact and shared by all functions:
 *
 *   HTTP/1.1 <code> <reason phrase>\r\n
 *   content-type: <application/json | text/plain>\r\n
 *   x-proxy-error: <value>\r\n          (policy blocks only)
 *   content-length: <body bytes>\r\n
 *   connection: close\r\n               (only when close is set)
 *   \r\n
 *   <body>
 *
 * Header names are lower case and in this order, as the reference's
 * hyper-based server writes them; there is no date header. Plain-HTTP
 * blocks carry the JSON body
 *   {"status":"blocked","host":H,"reason":R,"decision":D,"source":S,
 *    "protocol":P,"port":N,"message":M}
 * (decision..message left out when the details are unknown), and, for
 * not_allowed_local only, one more member after message: "detail", which
 * says which address was local, what kind it is and how to allow it
 * (policy_local_detail()); CONNECT
 * blocks and every error response carry the text alone, no newline.
 * Each function appends to out and returns 0, or -1 when out's cap is hit
 * (out may then hold a partial response). Nothing here does I/O. */
#ifndef AIRLOCK_PROXY_BLOCK_H
#define AIRLOCK_PROXY_BLOCK_H

#include <stdbool.h>

#include "lib/buf.h"
#include "policy/policy.h"

/* The `x-proxy-error` value for a policy reason: blocked-by-allowlist
 * (not_allowed, not_allowed_local), blocked-by-denylist (denied),
 * blocked-by-method-policy (method_not_allowed), blocked-by-mitm-hook
 * (mitm_hook_denied), blocked-by-mitm-required (mitm_required),
 * blocked-by-request-rule (request_rule_not_matched), else
 * blocked-by-policy (airlock_listener among them). */
const char *block_header_value(const char *reason);

/* The human message for a reason, e.g. "Domain not in allowlist.". */
const char *block_message(const char *reason);

/* The standard reason phrase for status ("Forbidden"), "" if unknown. */
const char *block_status_text(int status);

/* What a plain-HTTP block says. decision == NULL leaves out decision,
 * source, protocol, port and message (as for unix-socket blocks). */
struct block_details {
	const char *host;	/* normalised host */
	const char *reason;	/* policy reason string */
	const char *decision;	/* "deny" or "ask", or NULL */
	const char *source;	/* "baseline_policy", "mode_guard", ... */
	const char *protocol;	/* "http" */
	unsigned port;
	const char *detail;	/* written after message when not NULL */
};

/* 403 application/json block for a plain HTTP request. */
int block_http(struct buf *out, const struct block_details *d, bool close);

/* 403 text/plain block for CONNECT (and MITM-stage blocks). */
int block_connect(struct buf *out, const char *reason, bool close);

/* The response for a policy reason: block_http when connect is false
 * (decision "deny", protocol "http"), block_connect otherwise. */
int block_for_reason(struct buf *out, const char *reason, const char *host,
    unsigned port, const char *source, bool connect, bool close);

/* block_for_reason() for a policy decision, the JSON body carrying the
 * detail of a not_allowed_local. */
int block_for_decision(struct buf *out, const struct policy_decision *d,
    bool connect, bool close);

/* A text/plain error without x-proxy-error: 400 "missing host", 431,
 * 502 "upstream failure", 503 "network proxy is disabled", ... */
int block_error(struct buf *out, int status, const char *text, bool close);

/* `HTTP/1.1 200 OK\r\n\r\n`: the CONNECT acceptance (§7.3 step 5). */
int block_connect_ok(struct buf *out);

#endif
