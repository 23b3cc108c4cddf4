/* proxy_int.h — what the proxy's parts share (http_proxy.c,
 * socks5_server.c, admin.c). Not for use outside src/proxy/.
 *
 * State. A struct proxy_state is an immutable snapshot of everything a
 * decision needs: the loaded config, the compiled policy and the derived
 * settings. The proxy holds the current one; each connection takes a
 * reference when it starts a request (proxy_state_ref) and drops it when
 * done, so a reload never changes the rules under a request in flight.
 *
 * Connections. Every accepted connection registers a struct proxy_conn
 * (proxy_conn_admit) and unregisters it when it is freed. Admission fails
 * past max_conns: the caller answers with a clean refusal (503 / SOCKS5
 * 0x01) and closes. On shutdown the proxy calls each conn's drain hook
 * (stop taking new requests, finish the current one) and, when the grace
 * period ends, its kill hook.
 *
 * Decisions. proxy_decide_start() runs the whole decision for one request:
 * the policy with the request rules (policy/reqpolicy.h: a tunnel to a
 * host with rules is intercepted or refused, a request to it must match
 * a rule), one resolution of a host name when the policy asks for it,
 * policy_finish on the addresses, and records the outcome (audit log,
 * metrics, blocked ring). The callback gets the final decision and the
 * exact addresses the caller must dial.
 *
 * Asking. When the policy says ASK and the proxy has an approval broker,
 * the decision asks it (approval.h) and holds the request until the
 * answer, which the broker guarantees within the state's
 * approval_timeout_ms; an allow answer re-runs the policy with the
 * request approved (so the limited-mode guard and the local-address
 * checks on the resolved addresses still apply), anything else denies as
 * not_allowed. The record carries the answer, who gave it and the wait. A
 * caller that arms a deadline while deciding extends it by
 * proxy_decide_wait_ms() after proxy_decide_start() returns. */
#ifndef AIRLOCK_PROXY_INT_H
#define AIRLOCK_PROXY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/conf.h"
#include "net/resolve.h"
#include "net/upstream.h"
#include "policy/policy.h"
#include "proxy/audit.h"
#include "proxy/audit_log.h"
#include "proxy/proxy.h"

/* Deadlines come from config (permissions.network.*_timeout_ms) and are
 * held in the state (struct proxy_state); these are only the defaults. */
#define PROXY_HEADER_TIMEOUT_MS 30000
#define PROXY_KEEPALIVE_TIMEOUT_MS 60000
#define PROXY_CONNECT_TIMEOUT_MS 10000
#define PROXY_IDLE_TIMEOUT_MS 300000
#define PROXY_SHUTDOWN_GRACE_MS 5000
#define PROXY_FD_RESERVE 64            /* fds kept free for listeners, logs */

struct reqpolicy;
struct reqrule_request;

struct proxy_state {
	int refs;
	struct conf *conf;
	struct policy *policy;
	/* Request rules and their secrets (policy/reqpolicy.h), never NULL;
	 * freed (the secrets wiped) with the state. */
	struct reqpolicy *reqpolicy;
	bool enabled;
	bool limited;              /* mode == limited */
	bool enable_socks5_udp;
	bool allow_upstream_proxy;
	bool allow_local_binding;
	bool require_sni_match;    /* full-mode tunnels (sni_check.h) */
	uint64_t header_timeout_ms;    /* a request head must arrive */
	uint64_t keepalive_timeout_ms; /* idle between requests */
	uint64_t connect_timeout_ms;
	uint64_t idle_timeout_ms;      /* no byte either way */
	uint64_t approval_timeout_ms;  /* a person's answer must come */
	struct upstream_cfg upstream;  /* [network] proxy or env, no_proxy */
};

struct proxy_conn {
	struct proxy_conn *prev, *next;
	void (*drain)(struct proxy_conn *c); /* finish current work, then close */
	void (*kill)(struct proxy_conn *c);  /* close now */
};

struct proxy_metrics {
	uint64_t conns_accepted;
	uint64_t conns_refused;      /* over the cap */
	uint64_t conns_open;
	uint64_t bytes_up;
	uint64_t bytes_down;
	uint64_t upstream_errors;    /* resolve or connect failures */
	uint64_t log_failures_seen;  /* audit log failures already reported */
};

struct proxy {
	uv_loop_t *loop;
	const struct conf_opts *conf_opts;
	const struct netpolicy_extra *extra; /* borrowed from proxy_opts */
	struct proxy_state *state;
	struct proxy_state *started; /* the state it started with: the keys
				      * only a restart applies come from it */
	uv_tcp_t *http_listener;
	uv_tcp_t *socks_listener;
	uv_tcp_t *admin_listener;
	char http_addr[64], socks_addr[64], admin_addr[64];
	struct proxy_conn conns; /* list head */
	size_t nconns, max_conns;
	bool stopping;
	uv_timer_t *grace_timer;
	proxy_done_fn *done;
	void *done_arg;
	struct audit_ring ring;
	proxy_blocked_fn *on_blocked; /* observer, or NULL */
	void *on_blocked_arg;
	proxy_blocked_fn *on_decision; /* observer of every decision */
	void *on_decision_arg;
	struct audit_metrics decisions;
	struct audit_log *log;
	struct proxy_metrics m;
	char *admin_token; /* bearer token, or NULL */
	size_t admin_token_len;
	bool admin_token_generated; /* admin_token.h: kept across reloads */
	bool no_admin;              /* embedded: no admin listener */
	/* The sandbox's stub resolver and the names it handed out (one map
	 * per proxy, so per sandbox run): synth_name() turns a synthetic
	 * address back into its name. Both NULL without proxy_opts.dns_fd. */
	struct dns_stub *dns;
	struct synth *synth;
	/* The transparent listeners (transparent.c) in the sandbox's
	 * namespace, and the loopback ports its rules forward. */
	uv_tcp_t *transparent[PROXY_TRANSPARENT_MAX];
	struct proxy_forward forwards[PROXY_FORWARDS_MAX];
	size_t n_forwards;
	/* UDP sockets on the sandbox's loopback for SOCKS5 UDP relays
	 * (socks5_udp.h), owned; busy while an association uses one. */
	int udp_pool[PROXY_UDP_POOL_MAX];
	bool udp_busy[PROXY_UDP_POOL_MAX];
	size_t n_udp_pool;
	/* The approval broker (a reference) and what the person is told
	 * about the command; NULL when no one is ever asked. */
	struct approval_broker *approvals;
	char *approval_command;
	char *approval_process_id;
	char *(*whois)(void *whois_arg, const char *client);
	void *whois_arg;
};

struct proxy_state *proxy_state_ref(struct proxy *p);
void proxy_state_unref(struct proxy_state *s);
/* Builds a state from a loaded config (with an optional mode override:
 * NULL, "limited" or "full"). NULL with problems in err. Takes ownership of
 * c on success and on failure. */
struct proxy_state *proxy_state_new(struct conf *c, const char *mode,
				    struct errbuf *warn, struct errbuf *err);
/* The same with command-line patterns and mode added (x may be NULL; a
 * non-NULL mode wins over x->mode). x is only read during the call. */
struct proxy_state *proxy_state_new_extra(struct conf *c,
					  const struct netpolicy_extra *x,
					  const char *mode, struct errbuf *warn,
					  struct errbuf *err);
/* Swaps in s as the current state (the proxy takes the reference). */
void proxy_set_state(struct proxy *p, struct proxy_state *s);

/* proxy_state.c: true when key is read only when the proxy starts. */
bool proxy_restart_key(const char *key);
/* proxy_state.c: loads and builds a state from o (NULL with err). */
struct proxy_state *proxy_state_load(const struct conf_opts *o,
				     const struct netpolicy_extra *extra,
				     struct errbuf *err);
/* proxy_state.c: the state a proxy starts with: built from the config o
 * already holds (conf_opts.loaded), else as proxy_state_load(). */
struct proxy_state *proxy_state_first(const struct conf_opts *o,
				      const struct netpolicy_extra *extra,
				      struct errbuf *err);
/* The admin API token c names; with none named, the one generated at
 * start (made now if there is none yet). Nothing changes on failure. */
int proxy_load_admin_token(struct proxy *p, const struct conf *c,
			   struct errbuf *err);
/* Replaces the token (wiping the old one); tok is taken (NULL: none). */
void proxy_set_admin_token(struct proxy *p, char *tok, size_t len);

/* proxy_conns.c: the registry. */
bool proxy_conn_admit(struct proxy *p, struct proxy_conn *c);
void proxy_conn_release(struct proxy *p, struct proxy_conn *c);
/* Connections the fd limit allows: each may hold two sockets. */
size_t proxy_conns_max_for_fd_limit(void);
/* While stopping: calls the done callback once no connection is left. */
void proxy_conns_maybe_done(struct proxy *p);

/* Called with the final decision. When d allows, addrs holds the exact
 * addresses to dial (never empty). When resolution failed, d is NULL and
 * why says so (answer 502). Called exactly once unless cancelled. */
typedef void proxy_decide_cb(void *arg, const struct policy_decision *d,
			     const struct resolve_result *addrs,
			     const char *why);
struct proxy_decide;
/* client is the peer `ip:port` (copied). Returns NULL when the decision
 * was made synchronously (cb already called). */
struct proxy_decide *proxy_decide_start(struct proxy *p, struct proxy_state *s,
					const struct policy_request *r,
					const char *client, proxy_decide_cb *cb,
					void *arg);
/* The same for an HTTP request (protocol http, or https inside an
 * intercepted tunnel): q is what the request rules match (the host in q
 * is ignored). q and everything it points to must stay valid until the
 * callback runs or the decision is cancelled. The decision's rule names
 * the rule that matched; its actions must run. */
struct proxy_decide *proxy_decide_request(struct proxy *p,
					  struct proxy_state *s,
					  const struct policy_request *r,
					  const struct reqrule_request *q,
					  const char *client,
					  proxy_decide_cb *cb, void *arg);
void proxy_decide_cancel(struct proxy_decide *d);
/* How much longer than usual d may take because a person is being asked
 * (0 when not): a caller's deadline adds it. d may be NULL. */
uint64_t proxy_decide_wait_ms(const struct proxy_decide *d);

/* Records a decision made outside proxy_decide_start (e.g. the proxy is
 * disabled): audit log, metrics, and the blocked ring when it denies.
 * protocol is the recorded protocol label. */
void proxy_record(struct proxy *p, const struct policy_decision *d,
		  const char *client, const char *mode);
/* The same, with the outcome of asking a person (audit.h's approval,
 * answered_by, latency_ms). A decision with verdict ASK is recorded as
 * decision "ask": the audit log only (not a block). */
struct proxy_approval_note {
	const char *approval;
	const char *answered_by;
	int64_t latency_ms;
};
void proxy_record_noted(struct proxy *p, const struct policy_decision *d,
			const char *client, const char *mode,
			const struct proxy_approval_note *n);
/* The same, with the request-rule fields of a request to a host with
 * rules (reqpolicy_audit_json(): a JSON fragment that starts with a
 * comma; NULL when none) at the end of the audit line. */
void proxy_record_decision(struct proxy *p, const struct policy_decision *d,
			   const char *client, const char *mode,
			   const struct proxy_approval_note *n,
			   const char *rules);
/* Records any decision event (the ones above go through it). */
void proxy_record_event(struct proxy *p, const struct audit_event *ev);
/* Records a refusal because the proxy is disabled (reason proxy_disabled,
 * source proxy_state, as the reference does). */
void proxy_record_disabled(struct proxy *p, const char *host, uint16_t port,
			   const char *protocol, const char *method,
			   const char *client);
/* Records the refusal of a connection routed to the proxy by the
 * sandbox's rules whose bytes were not what its destination allows in
 * limited mode (not an HTTP request, not TLS on 443): the decision the
 * policy gives host:port as protocol tcp, or, when that would allow it,
 * a refusal from the mode guard: mitm_required when the bytes were TLS
 * (tls: interception covers port 443 only), else method_not_allowed. */
void proxy_record_raw_refusal(struct proxy *p, const struct proxy_state *s,
			      const char *host, uint16_t port, bool tls,
			      const char *client);
/* Records a closed tunnel in the audit log and the byte counters. */
void proxy_record_tunnel(struct proxy *p, const char *host, uint16_t port,
			 const char *protocol, const char *client,
			 uint64_t up, uint64_t down, uint64_t duration_ms);

/* Listener entry points (one file each). */
void http_proxy_accept(uv_stream_t *listener, int status);
void socks5_server_accept(uv_stream_t *listener, int status);
void admin_accept(uv_stream_t *listener, int status);
void transparent_accept(uv_stream_t *listener, int status);

#endif
