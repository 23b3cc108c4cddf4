/* policy.h — the pure network decision (DESIGN §4.4).
 *
 * A policy is built once from plain options (pattern lists, mode, flags,
 * preset), is immutable afterwards and may be shared read-only by every
 * connection. Deciding is pure: no DNS, no sockets, no logging.
 *
 * policy_decide() runs steps 1–5 of §4.4 for one request:
 *   1 normalize the host (empty or invalid → not_allowed)
 *   2 deny list match → denied (deny always wins); an IPv6 literal is
 *     also matched by the IPv4 addresses it embeds (NAT64, 6to4,
 *     Teredo, compatible: ipclass_embedded_v4) against IP and CIDR
 *     entries — deny entries only, allow entries are not widened
 *   3 allowlist + preset miss → not_allowed (empty allowlist = deny all)
 *   4 limited mode: http or https method not GET/HEAD/OPTIONS, or a
 *     request with a body (whatever its method) → method_not_allowed,
 *     unless a request rule lets it through (rule_method_ok) or it is
 *     the one git-fetch exception below; https_connect, socks5_tcp or
 *     tcp to port 443 →
 *     allowed with `mitm` set when the options enable interception
 *     (the caller must terminate TLS and check every inner request as
 *     protocol https), else mitm_required; https_connect to another port
 *     → mitm_required; other socks5_tcp and tcp ports and socks5_udp →
 *     method_not_allowed (source mode_guard)
 *   5 IP literal or `localhost`: non-public → not_allowed_local unless
 *     allow_local_binding or explicitly allowlisted (an exact or CIDR
 *     entry, not a wildcard). A host name ends in POLICY_RESOLVE: the
 *     caller resolves it once and calls policy_finish() with the addresses
 *     it will dial.
 * policy_finish() judges the resolved addresses: an IP-literal or CIDR
 * entry of the deny list matching any of them, or any IPv4 address one of
 * them embeds (a DNS64-synthesised AAAA), → denied; any non-public
 * address → not_allowed_local unless allow_local_binding or that address
 * is explicitly allowlisted (exact IP or CIDR). No addresses → not_allowed_
 * local (fail closed).
 *
 * The one exception to step 4, when the options set git_fetch (config
 * permissions.network.limited_allow_git_fetch): the POST of a git
 * smart-HTTP fetch or clone — method exactly POST, a path (no query)
 * ending in `/git-upload-pack`, and Content-Type exactly
 * `application/x-git-upload-pack-request` (letters in any case). Its body
 * says which objects the client wants; `git-receive-pack` (push) stays
 * refused.
 *
 * `matched` is the pattern that decided: the deny entry for `denied`, the
 * allow entry for everything past step 3, NULL for `not_allowed`. It
 * points into the policy and lives as long as it.
 *
 * Asking. With the `ask` option (the approval policy lets a person be
 * asked, see netpolicy.h), an allowlist miss that nothing else would
 * refuse is the verdict ASK instead of a denial: steps 4 and 5 run as if
 * the host were allowlisted by a wildcard entry (so a local IP literal is
 * still refused, as no exact entry names it), and only when they would
 * let the request on (ALLOW or RESOLVE) is the miss askable. Anything
 * else — a deny entry, a local literal, a method limited mode refuses, a
 * bad host — stays a plain not_allowed (or its own reason) that no
 * answer can lift. ASK keeps reason not_allowed and matched NULL. A request a person already
 * approved (policy_request.approved) is judged the same way, and where
 * ASK would be the verdict it goes on as ALLOW or RESOLVE with
 * `approved` set; without the `ask` option `approved` changes nothing
 * (switching the approval policy to never also retires session
 * answers). */
#ifndef AIRLOCK_POLICY_H
#define AIRLOCK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/slice.h"
#include "policy/host.h"
#include "policy/ipclass.h"
#include "policy/preset.h"

enum policy_mode { POLICY_MODE_LIMITED, POLICY_MODE_FULL };

struct reqrule;

/* Addresses a decision remembers (net/resolve.h keeps as many), and the
 * room one of them takes as text. */
#define POLICY_ADDRS_MAX 16
#define POLICY_ADDR_TEXT 48

enum policy_protocol {
	POLICY_PROTO_HTTP,
	POLICY_PROTO_HTTPS_CONNECT,
	POLICY_PROTO_SOCKS5_TCP,
	POLICY_PROTO_SOCKS5_UDP,
	POLICY_PROTO_HTTPS, /* a request inside an intercepted tunnel */
	POLICY_PROTO_DNS,   /* a name looked up by the sandbox's stub resolver */
	/* A connection routed to the proxy by the sandbox's rules
	 * (transparent routing): judged like a SOCKS5 connect. */
	POLICY_PROTO_TCP,
};

enum policy_verdict {
	POLICY_VERDICT_ALLOW,
	POLICY_VERDICT_DENY,
	POLICY_VERDICT_RESOLVE, /* allowed so far; call policy_finish() */
	POLICY_VERDICT_ASK,     /* an allowlist miss a person may lift */
};

enum policy_reason {
	POLICY_ALLOW,
	POLICY_DENIED,
	POLICY_NOT_ALLOWED,
	POLICY_NOT_ALLOWED_LOCAL,
	POLICY_METHOD_NOT_ALLOWED,
	POLICY_MITM_REQUIRED,
	/* Not the pure policy's: the proxy's refusal of a destination that
	 * is one of airlock's own listeners (net/ownlisten.h). */
	POLICY_AIRLOCK_LISTENER,
	/* A request to a host with request rules that none of them matches
	 * (policy/reqpolicy.h); x-proxy-error blocked-by-request-rule. */
	POLICY_REQUEST_RULE_NOT_MATCHED,
};

enum policy_source {
	POLICY_SRC_BASELINE,
	POLICY_SRC_MODE_GUARD,
	POLICY_SRC_REQUEST_RULE, /* "request_rule": policy/reqpolicy.h */
};

struct policy_entry {
	const char *pattern;
	const char *origin; /* message prefix, e.g. `/x/config.toml:12: key[3]` */
};

struct policy_options {
	const struct policy_entry *allow;
	size_t n_allow;
	const struct policy_entry *deny;
	size_t n_deny;
	enum policy_mode mode;
	bool allow_local_binding;
	enum preset_id preset;
	bool allow_global; /* `*` permitted in allow (the user allowlist) */
	bool mitm;         /* limited mode may intercept TLS to port 443 */
	bool ask;          /* askable allowlist misses are ASK, not deny */
	bool git_fetch;    /* limited mode lets a git fetch POST through */
};

struct policy_request {
	const char *host; /* as received; may carry brackets */
	int port;         /* 1..65535: the port the caller will dial */
	enum policy_protocol protocol;
	const char *method; /* HTTP method, "CONNECT", or NULL for SOCKS */
	/* host may end in `:port`, which then replaces port. Only for a
	 * target a person typed (`airlock policy check`): a proxy judges
	 * exactly the port it dials, so for it (false) a host carrying a
	 * port is a bad host → not_allowed. */
	bool port_in_host;
	/* The request carries a body (Content-Length > 0, or chunked). */
	bool has_body;
	/* A person approved this request's (protocol, host, port): an
	 * askable allowlist miss goes on as if allowlisted. */
	bool approved;
	/* The request-target's path and query, origin-form
	 * ("/r.git/git-upload-pack"), and the Content-Type header's value;
	 * empty when unknown. Read only by the git-fetch exception above,
	 * during policy_decide(). */
	struct slice path;
	struct slice content_type;
	/* A request rule matched this request (policy/reqpolicy.h): its
	 * method passes the limited-mode check of step 4. */
	bool rule_method_ok;
};

struct policy_decision {
	enum policy_verdict verdict;
	enum policy_reason reason;
	enum policy_source source;
	const char *matched;
	struct host host; /* normalized; on a bad host, the trimmed input */
	int port;
	enum policy_protocol protocol;
	const char *method; /* borrowed from the request */
	bool has_body;      /* from the request */
	bool mitm;          /* allowed only through TLS interception */
	bool approved;      /* allowed past the allowlist by a person */
	/* The request rule that matched (set by reqpolicy_decide_request(),
	 * policy/reqpolicy.h; NULL otherwise): its actions must run. Points
	 * into the reqpolicy and lives as long as it. */
	const struct reqrule *rule;
	/* The addresses step 5 judged: those policy_finish() was given (the
	 * first POLICY_ADDRS_MAX), or an IP literal's own; n_addrs is 0 when
	 * nothing was resolved. Bit i of local is set for each addrs[i] that
	 * made the decision not_allowed_local. */
	struct ipaddr addrs[POLICY_ADDRS_MAX];
	size_t n_addrs;
	uint32_t local;
};

struct policy;

/* Builds a policy. Every bad pattern adds `<origin>: <problem>` to err and
 * the build fails (NULL) after all are reported. The preset's entries join
 * the allowlist (`all` adds `*` whatever allow_global says). Pattern texts
 * are copied. */
struct policy *policy_new(const struct policy_options *o, struct errbuf *err);
void policy_free(struct policy *p);

/* Steps 1–5 for r; see above. */
void policy_decide(const struct policy *p, const struct policy_request *r,
		   struct policy_decision *d);
/* May name be resolved? The one question the sandbox's stub resolver
 * asks for every lookup (and policy_decide() for protocol
 * POLICY_PROTO_DNS). A name resolves when the proxy would allow some
 * request to it:
 *   1 normalize; invalid, empty or an IP literal → not_allowed (a `:port`
 *     in the text is ignored: the question is about the name)
 *   2 a deny entry without a port matching it → denied; a port-scoped deny
 *     entry refuses that port only, so the name still resolves
 *   3 an allow entry matching it on any port (port-scoped entries count)
 *     → allow, else not_allowed (ASK with the `ask` option: the
 *     connection that follows may be asked about, so the name resolves)
 * The mode does not matter (limited mode lets GET through to every
 * allowed host), nor do addresses: the stub never resolves anything, and
 * the proxy judges the destination when something connects. The verdict
 * is ALLOW, ASK or DENY, port 0, protocol POLICY_PROTO_DNS, method NULL. */
void policy_resolvable(const struct policy *p, const char *name,
		       struct policy_decision *d);
/* Finishes a POLICY_VERDICT_RESOLVE decision with the n addresses the host
 * resolved to. Other decisions are left alone. */
void policy_finish(const struct policy *p, struct policy_decision *d,
		   const struct sockaddr_storage *addrs, size_t n);

/* True when d lets the request through. */
bool policy_allowed(const struct policy_decision *d);
const char *policy_reason_str(enum policy_reason r);
const char *policy_protocol_str(enum policy_protocol p);
/* Parses `http`, `https_connect`, `socks5_tcp`, `socks5_udp`, `https`,
 * `dns`, `tcp`; 0 or -1. */
int policy_protocol_parse(const char *s, enum policy_protocol *out);
const char *policy_source_str(enum policy_source s);

/* What a person is told about a refusal (reason as policy_reason_str()
 * or a proxy reason such as "proxy_disabled"), appended to b:
 * `Network access to "<host>" was blocked: <detail>.` with the details
 * domain is explicitly denied by policy and cannot be approved from this
 * prompt (denied), domain is not on the allowlist for the current sandbox
 * mode (not_allowed), local/private network addresses are blocked by the
 * sandbox policy (not_allowed_local), request method is blocked by the
 * current network mode (method_not_allowed, mitm_required), network proxy
 * is disabled (proxy_disabled), else request is blocked by network
 * policy. 0, or -1 when b is full. */
int policy_denied_message(const char *reason, const char *host,
			  struct buf *b);

/* For a not_allowed_local decision, appends which address was local, what
 * kind of address it is, and how to allow it:
 *   `registry.example resolved to 10.1.2.3, a private address: allow it
 *    with --allow 10.1.2.3`
 *   `10.1.2.3 is a private address: allow it with --allow 10.1.2.3`
 * (every local address is named when there are several). Appends nothing
 * for any other decision. 0, or -1 when b is full. */
int policy_local_detail(const struct policy_decision *d, struct buf *b);

/* Appends the §4.5 object for d to b, keys in this order: decision, reason,
 * host, port, protocol, method, source, matched (method and matched null
 * when absent), then addresses (the texts of d->addrs, [] when nothing was
 * resolved) and, for not_allowed_local only, detail
 * (policy_local_detail()). A pending (RESOLVE) decision is written as
 * allow: it is the pre-DNS view `policy check --no-dns` shows; ASK as
 * "ask". 0, or -1 when b is full. */
int policy_decision_json(const struct policy_decision *d, struct buf *b);

#endif
