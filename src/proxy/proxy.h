/* proxy.h — the managed proxy as an embeddable module.
 *
 * One struct proxy serves the HTTP listener, the optional SOCKS5 listener
 * (with UDP ASSOCIATE) and the admin API on one libuv loop. `airlock proxy`
 * runs it as a foreground daemon; `airlock run` and the app-server embed it
 * with listening sockets they created themselves (http_fd / socks_fd),
 * and `airlock run` with the UDP socket of the sandbox's stub resolver
 * (dns_fd), whose synthetic name map lives as long as the proxy.
 *
 * The effective config is loaded from the conf_opts given at creation (or
 * taken, with a reference, from the one they already hold: conf_opts.loaded),
 * and again from the files on every reload: a reload builds a whole new state (config, policy,
 * upstream settings), validates it and swaps it in; connections keep the
 * state they started with until they end. A failed reload keeps the old
 * state and says why.
 *
 * Ownership: proxy_new() borrows loop and opts->conf for the proxy's whole
 * life. proxy_shutdown() stops accepting, lets connections in flight finish
 * for up to grace_ms, then closes the rest and calls done; proxy_free() may
 * be called after done (or instead of shutdown, once the loop has no more
 * work for the proxy). */
#ifndef AIRLOCK_PROXY_H
#define AIRLOCK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/conf.h"
#include "lib/errbuf.h"

struct netpolicy_extra;
struct audit_ring;
struct approval_broker;

/* A loopback port of the host that the sandbox reaches through its rules
 * (transparent.h): an allow entry naming a loopback host with a port. A
 * connection inside the sandbox to 127.0.0.1:port or [::1]:port is judged
 * as host:port and, when allowed, reaches the host's own loopback. */
#define PROXY_FORWARDS_MAX 32
struct proxy_forward {
	uint16_t port;
	char host[16]; /* "127.0.0.1", "::1" or "localhost", as the entry */
};

/* UDP sockets bound in the sandbox's namespace for SOCKS5 UDP ASSOCIATE
 * relays (socks5_udp.h). */
#define PROXY_UDP_POOL_MAX 8
#define PROXY_TRANSPARENT_MAX 2

struct proxy_opts {
	const struct conf_opts *conf; /* how to load (and reload) config */
	const char *ready_file;       /* JSON of the bound addresses, or NULL */
	int http_fd;                  /* pre-bound listening socket, or -1 */
	int socks_fd;                 /* pre-bound listening socket, or -1 */
	/* A bound UDP socket to serve as the sandbox's stub resolver
	 * (dns_stub.h), or -1. Taken over by proxy_new(), even on error. */
	int dns_fd;
	/* Listening sockets in the sandbox's namespace that the rules there
	 * redirect every outgoing TCP connection to (transparent routing:
	 * IPv4, IPv6), at most PROXY_TRANSPARENT_MAX; taken over by
	 * proxy_new(), even on error. */
	const int *transparent_fds;
	size_t n_transparent_fds;
	/* The loopback ports those rules forward (copied). */
	const struct proxy_forward *forwards;
	size_t n_forwards;
	/* UDP sockets bound on the sandbox's loopback, one per SOCKS5 UDP
	 * association at a time; taken over, even on error. */
	const int *udp_fds;
	size_t n_udp_fds;
	bool no_admin;                /* embedded: no admin listener */
	/* `airlock run --allow/--deny/--mode`, applied on every (re)load;
	 * borrowed for the proxy's life; NULL when none. */
	const struct netpolicy_extra *extra;
	/* Who may be asked about allowlist misses (proxy/approval.h): the
	 * proxy takes a reference. NULL: misses are denied, no one asked.
	 * command and process_id (copied, may be NULL) tell the person what
	 * is asking; whois (may be NULL), called with whois_arg and the
	 * client's `ip:port` when a person is about to be asked, names the
	 * process behind the connection (sandbox/whois.h). */
	struct approval_broker *approvals;
	const char *command;
	const char *process_id;
	char *(*whois)(void *whois_arg, const char *client);
	void *whois_arg;
};

struct proxy;

/* Loads config, builds the policy, binds the listeners and writes the
 * ready file. NULL with every problem in err. Warnings go to the log. */
struct proxy *proxy_new(uv_loop_t *loop, const struct proxy_opts *o,
			struct errbuf *err);
/* What a reload could not apply: keys read only when the proxy starts
 * (listener addresses and their loopback overrides, the audit log path,
 * max_connections) whose value in the new config differs from the one in
 * force. They keep the value the proxy started with until it restarts;
 * each is logged as needing a restart. Key names are static. */
#define PROXY_RESTART_KEYS_MAX 16
struct proxy_reload_report {
	const char *needs_restart[PROXY_RESTART_KEYS_MAX];
	size_t n;
};

/* Reloads config atomically; -1 with the reason (old config kept). The
 * app-server calls it on its running commands' proxies when the runtime
 * policy changes (their conf opts carry the change). */
int proxy_reload(struct proxy *p, struct errbuf *err);
/* The same, saying in report (may be NULL) what needs a restart. */
int proxy_reload_report(struct proxy *p, struct proxy_reload_report *report,
			struct errbuf *err);
typedef void proxy_done_fn(void *arg);
void proxy_shutdown(struct proxy *p, int grace_ms, proxy_done_fn *done,
		    void *arg);
void proxy_free(struct proxy *p);
/* The ring of the last blocked requests (for `airlock run`'s summary);
 * valid until proxy_free(). */
const struct audit_ring *proxy_blocked(const struct proxy *p);
/* Records a refusal made outside the proxy on its behalf (the sandbox's
 * supervisor refusing UDP to anything but the sandbox's loopback: protocol
 * "udp", reason "udp_not_proxied"): audit log, blocked ring, observer. */
void proxy_note_refusal(struct proxy *p, const char *host, uint16_t port,
			const char *protocol, const char *reason,
			const char *client);
/* Calls fn(arg, ev) for every blocked request the proxy records (the
 * app-server's `network/blocked` notification); ev is borrowed for the
 * call only. fn NULL removes the observer. */
struct audit_event;
typedef void proxy_blocked_fn(void *arg, const struct audit_event *ev);
void proxy_observe_blocked(struct proxy *p, proxy_blocked_fn *fn, void *arg);
/* Calls fn(arg, ev) for every decision the proxy records, allowed and
 * refused (not an "ask", which is no decision yet): the app-server's
 * `network/decision` notification. ev is borrowed for the call only. fn
 * NULL removes the observer. */
void proxy_observe_decisions(struct proxy *p, proxy_blocked_fn *fn,
			     void *arg);

#endif
