/* proxy.c — shared state, listeners, connection registry, reload and
 * shutdown of the managed proxy. See proxy.h and proxy_int.h. */
#include "proxy/proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/listen.h"
#include "proxy/admin_token.h"
#include "proxy/approval.h"
#include "net/synth.h"
#include "policy/netpolicy.h"
#include "proxy/dns_stub.h"

/* --- state ----------------------------------------------------------------- */

/* The upstream hop is read from config and, as the reference does, from
 * the proxy process's own environment (HTTPS_PROXY and friends). */
static void
build_upstream(struct proxy_state *s, struct errbuf *warn)
{
	const char *const *np;
	size_t n = conf_strv(s->conf, "network.no_proxy", &np);

	upstream_cfg_build(&s->upstream, s->allow_upstream_proxy,
			   conf_str(s->conf, "network.proxy"), np, n,
			   (const char *const *)environ, warn);
}

struct proxy_state *
proxy_state_new(struct conf *c, const char *mode, struct errbuf *warn,
		struct errbuf *err)
{
	return proxy_state_new_extra(c, NULL, mode, warn, err);
}

struct proxy_state *
proxy_state_new_extra(struct conf *c, const struct netpolicy_extra *x,
		      const char *mode, struct errbuf *warn, struct errbuf *err)
{
	struct netpolicy_extra extra = {0};
	struct proxy_state *s;
	struct policy *pol;

	if (x != NULL)
		extra = *x;
	if (mode != NULL)
		extra.mode = mode;
	mode = extra.mode;
	pol = netpolicy_build(c, &extra, warn, err);
	if (pol == NULL) {
		conf_free(c);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->conf = c;
	s->policy = pol;
	s->enabled = conf_bool(c, "permissions.network.enabled");
	s->limited = strcmp(mode ? mode : conf_str(c, "permissions.network.mode"),
			    "limited") == 0;
	s->enable_socks5_udp = conf_bool(c, "permissions.network.enable_socks5_udp");
	s->allow_upstream_proxy =
		conf_bool(c, "permissions.network.allow_upstream_proxy");
	s->allow_local_binding =
		conf_bool(c, "permissions.network.allow_local_binding");
	s->require_sni_match =
		conf_bool(c, "permissions.network.require_sni_match");
	s->header_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.header_timeout_ms");
	s->keepalive_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.keepalive_timeout_ms");
	s->connect_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.connect_timeout_ms");
	s->idle_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.idle_timeout_ms");
	s->approval_timeout_ms = (uint64_t)conf_int(c, "approval_timeout_ms");
	build_upstream(s, warn);
	return s;
}

struct proxy_state *
proxy_state_ref(struct proxy *p)
{
	p->state->refs++;
	return p->state;
}

void
proxy_state_unref(struct proxy_state *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	upstream_cfg_release(&s->upstream);
	policy_free(s->policy);
	conf_free(s->conf);
	free(s);
}

void
proxy_set_state(struct proxy *p, struct proxy_state *s)
{
	struct proxy_state *old = p->state;

	p->state = s;
	proxy_state_unref(old);
}

static struct proxy_state *
load_state(const struct conf_opts *o, const struct netpolicy_extra *extra,
	   struct errbuf *err)
{
	struct errbuf warn;
	struct conf *c;
	struct proxy_state *s = NULL;

	errbuf_init(&warn);
	c = conf_load(o, &warn, err);
	if (c != NULL)
		s = proxy_state_new_extra(c, extra, NULL, &warn, err);
	if (warn.count > 0)
		log_warn("%s", errbuf_str(&warn));
	errbuf_release(&warn);
	return s;
}

/* --- connections -------------------------------------------------------------- */

bool
proxy_conn_admit(struct proxy *p, struct proxy_conn *c)
{
	c->prev = c->next = c;
	if (p->stopping || p->nconns >= p->max_conns) {
		p->m.conns_refused++;
		return false;
	}
	c->next = p->conns.next;
	c->prev = &p->conns;
	p->conns.next->prev = c;
	p->conns.next = c;
	p->nconns++;
	p->m.conns_accepted++;
	p->m.conns_open = p->nconns;
	return true;
}

static void maybe_done(struct proxy *p);

void
proxy_conn_release(struct proxy *p, struct proxy_conn *c)
{
	if (c->next == c)
		return;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = c->next = c;
	p->nconns--;
	p->m.conns_open = p->nconns;
	if (p->stopping)
		maybe_done(p);
}

/* The fd limit bounds connections: each may hold two sockets (client and
 * upstream), and a few fds stay free for listeners and the audit log. */
static size_t
max_conns_for_fd_limit(void)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n <= PROXY_FD_RESERVE * 2)
		return 8;
	return (size_t)((n - PROXY_FD_RESERVE) / 2);
}

/* --- recording ------------------------------------------------------------------ */

static void
report_log_failures(struct proxy *p)
{
	uint64_t f = audit_log_failures(p->log);

	if (f > p->m.log_failures_seen) {
		log_error("audit log: %llu line(s) lost: %s",
			  (unsigned long long)(f - p->m.log_failures_seen),
			  audit_log_last_error(p->log));
		p->m.log_failures_seen = f;
	}
}

void
proxy_record_event(struct proxy *p, const struct audit_event *ev)
{
	bool ask = ev->decision != NULL && strcmp(ev->decision, "ask") == 0;
	bool denied = !ask && (ev->decision == NULL ||
			       strcmp(ev->decision, "allow") != 0);

	/* An ask is no decision yet: its answer is counted and, when it
	 * denies, remembered as a block. */
	if (!ask)
		audit_metrics_count(&p->decisions, ev->reason);
	if (denied)
		audit_ring_record(&p->ring, ev);
	if (denied && p->on_blocked != NULL)
		p->on_blocked(p->on_blocked_arg, ev);
	if (!ask && p->on_decision != NULL)
		p->on_decision(p->on_decision_arg, ev);
	if (p->log != NULL) {
		audit_log_decision(p->log, ev);
		report_log_failures(p);
	}
}

void
proxy_observe_blocked(struct proxy *p, proxy_blocked_fn *fn, void *arg)
{
	p->on_blocked = fn;
	p->on_blocked_arg = arg;
}

void
proxy_observe_decisions(struct proxy *p, proxy_blocked_fn *fn, void *arg)
{
	p->on_decision = fn;
	p->on_decision_arg = arg;
}

void
proxy_record(struct proxy *p, const struct policy_decision *d,
	     const char *client, const char *mode)
{
	proxy_record_noted(p, d, client, mode, NULL);
}

void
proxy_record_noted(struct proxy *p, const struct policy_decision *d,
		   const char *client, const char *mode,
		   const struct proxy_approval_note *n)
{
	char text[POLICY_ADDRS_MAX][POLICY_ADDR_TEXT];
	const char *addrs[POLICY_ADDRS_MAX];
	struct audit_event ev = {0};
	bool allowed = policy_allowed(d) || d->verdict == POLICY_VERDICT_RESOLVE;
	struct buf detail;
	size_t i;

	for (i = 0; i < d->n_addrs && i < POLICY_ADDRS_MAX; i++) {
		ipaddr_format(&d->addrs[i], text[i], sizeof(text[i]));
		addrs[i] = text[i];
	}
	ev.addresses = addrs;
	ev.n_addresses = i;
	buf_init(&detail, 4096);
	policy_local_detail(d, &detail);
	ev.detail = detail.len > 0 ? detail.p : NULL;
	ev.decision = d->verdict == POLICY_VERDICT_ASK ? "ask"
		      : allowed			 ? "allow"
							 : "deny";
	if (n != NULL) {
		ev.approval = n->approval;
		ev.answered_by = n->answered_by;
		ev.latency_ms = n->latency_ms;
	}
	ev.reason = policy_reason_str(d->reason);
	ev.host = d->host.text;
	ev.port = (uint16_t)d->port;
	ev.protocol = policy_protocol_str(d->protocol);
	ev.method = d->method;
	ev.client = client;
	ev.source = policy_source_str(d->source);
	ev.matched = d->matched;
	ev.mode = mode;
	proxy_record_event(p, &ev);
	buf_release(&detail);
}

void
proxy_record_disabled(struct proxy *p, const char *host, uint16_t port,
		      const char *protocol, const char *method,
		      const char *client)
{
	struct audit_event ev = {0};

	ev.decision = "deny";
	ev.reason = "proxy_disabled";
	ev.host = host;
	ev.port = port;
	ev.protocol = protocol;
	ev.method = method;
	ev.client = client;
	ev.source = "proxy_state";
	proxy_record_event(p, &ev);
}

void
proxy_record_tunnel(struct proxy *p, const char *host, uint16_t port,
		    const char *protocol, const char *client, uint64_t up,
		    uint64_t down, uint64_t duration_ms)
{
	struct audit_tunnel t = {0};

	p->m.bytes_up += up;
	p->m.bytes_down += down;
	if (p->log == NULL)
		return;
	t.host = host;
	t.port = port;
	t.protocol = protocol;
	t.client = client;
	t.bytes_up = up;
	t.bytes_down = down;
	t.duration_ms = duration_ms;
	audit_log_tunnel_close(p->log, &t);
	report_log_failures(p);
}

/* --- listeners -------------------------------------------------------------------- */

/* Binds one listener from config key (unless fd is given). Non-loopback
 * addresses need the dangerous flag, and never pass while unix sockets are
 * allowed: that setting forces loopback (reference §3). */
static uv_tcp_t *
bind_one(struct proxy *p, const char *key, const char *danger_key, int fd,
	 uv_connection_cb cb, char *bound, size_t boundsz, struct errbuf *err)
{
	const struct conf *c = p->state->conf;
	struct sockaddr_storage ss;
	uv_tcp_t *t;

	memset(&ss, 0, sizeof(ss));
	if (fd < 0) {
		if (listen_parse(conf_str(c, key), key, &ss, err) == -1)
			return NULL;
		if (!listen_is_loopback(&ss) &&
		    (!conf_bool(c, danger_key) ||
		     conf_bool(c, "permissions.network."
				  "dangerously_allow_all_unix_sockets"))) {
			errbuf_add(err,
				   "%s: %s: refusing a non-loopback listener "
				   "(set %s = true to allow it%s)",
				   key, conf_str(c, key), danger_key,
				   conf_bool(c, "permissions.network."
						"dangerously_allow_all_unix_sockets")
					   ? "; unix-socket access forces "
					     "loopback"
					   : "");
			return NULL;
		}
	}
	t = listen_tcp(p->loop, &ss, fd, key, cb, p, err);
	if (t == NULL)
		return NULL;
	listen_bound(t, bound, boundsz);
	if (!listen_is_loopback(&ss) && fd < 0)
		log_warn("DANGEROUS: %s listening on non-loopback address %s",
			 key, bound);
	return t;
}

static int
bind_all(struct proxy *p, const struct proxy_opts *o, struct errbuf *err)
{
	const struct conf *c = p->state->conf;
	const char *dp = "permissions.network.dangerously_allow_non_loopback_proxy";

	p->http_listener = bind_one(p, "permissions.network.proxy_url", dp,
				    o->http_fd, http_proxy_accept, p->http_addr,
				    sizeof(p->http_addr), err);
	if (conf_bool(c, "permissions.network.enable_socks5") || o->socks_fd >= 0)
		p->socks_listener = bind_one(
			p, "permissions.network.socks_url", dp, o->socks_fd,
			socks5_server_accept, p->socks_addr,
			sizeof(p->socks_addr), err);
	if (!o->no_admin)
		p->admin_listener = bind_one(
			p, "permissions.network.admin_url",
			"permissions.network.dangerously_allow_non_loopback_admin",
			-1, admin_accept, p->admin_addr, sizeof(p->admin_addr),
			err);
	return err != NULL && err->count > 0 ? -1 : 0;
}

static void
json_addr(struct buf *b, const char *key, const uv_tcp_t *t, const char *addr)
{
	buf_printf(b, "\"%s\":", key);
	if (t == NULL)
		buf_addstr(b, "null");
	else
		buf_add_json_string(b, addr, strlen(addr));
}

static int
write_ready_file(struct proxy *p, const char *path, struct errbuf *err)
{
	struct buf b;
	int rc;

	buf_init(&b, 4096);
	buf_addch(&b, '{');
	json_addr(&b, "http", p->http_listener, p->http_addr);
	buf_addch(&b, ',');
	json_addr(&b, "socks", p->socks_listener, p->socks_addr);
	buf_addch(&b, ',');
	json_addr(&b, "admin", p->admin_listener, p->admin_addr);
	buf_addstr(&b, "}\n");
	rc = write_file_atomic(path, b.p, b.len, 0644, err);
	buf_release(&b);
	return rc;
}

/* --- admin token and audit log ------------------------------------------------------- */

static void
set_admin_token(struct proxy *p, char *tok, size_t len)
{
	if (p->admin_token != NULL) {
		explicit_bzero(p->admin_token, p->admin_token_len);
		free(p->admin_token);
	}
	p->admin_token = tok;
	p->admin_token_len = len;
}

/* The token c names; with none named, the one generated at start (made
 * now if there is none yet). Nothing changes on failure. */
static int
load_admin_token(struct proxy *p, const struct conf *c, struct errbuf *err)
{
	bool generated = false;
	char *tok, *path;
	size_t len;

	if (admin_token_read(c, &tok, &len, err) == -1)
		return -1;
	if (tok == NULL && !p->no_admin) {
		if (p->admin_token_generated)
			return 0;
		if (admin_token_generate(p->conf_opts->home, &tok, &len, &path,
					 err) == -1)
			return -1;
		log_info("admin API: bearer token in %s", path);
		free(path);
		generated = true;
	}
	set_admin_token(p, tok, len);
	p->admin_token_generated = generated;
	return 0;
}

static int
open_audit_log(struct proxy *p, struct errbuf *err)
{
	const char *path = conf_str(p->state->conf, "permissions.network.audit_log");

	if (*path == '\0')
		return 0;
	p->log = audit_log_open(path, err);
	return p->log == NULL ? -1 : 0;
}

/* --- life cycle --------------------------------------------------------------------- */

/* The stub resolver on fd (taken over), with a fresh name map. */
static int
start_dns(struct proxy *p, int fd, struct errbuf *err)
{
	if (fd < 0)
		return 0;
	p->synth = synth_new();
	p->dns = dns_stub_new(p, fd, err);
	return p->dns == NULL ? -1 : 0;
}

struct proxy *
proxy_new(uv_loop_t *loop, const struct proxy_opts *o, struct errbuf *err)
{
	struct proxy *p = xcalloc(1, sizeof(*p));

	p->loop = loop;
	p->conf_opts = o->conf;
	p->conns.next = p->conns.prev = &p->conns;
	p->max_conns = max_conns_for_fd_limit();
	audit_ring_init(&p->ring);
	audit_metrics_init(&p->decisions);
	p->extra = o->extra;
	p->approvals = approval_broker_ref(o->approvals);
	p->approval_command = o->command ? xstrdup(o->command) : NULL;
	p->approval_process_id = o->process_id ? xstrdup(o->process_id) : NULL;
	p->state = load_state(o->conf, p->extra, err);
	if (p->state != NULL &&
	    conf_int(p->state->conf, "permissions.network.max_connections") > 0)
		p->max_conns = (size_t)conf_int(p->state->conf,
						"permissions.network.max_connections");
	p->no_admin = o->no_admin;
	if (p->state == NULL || load_admin_token(p, p->state->conf, err) == -1 ||
	    open_audit_log(p, err) == -1 || bind_all(p, o, err) == -1 ||
	    start_dns(p, o->dns_fd, err) == -1 ||
	    (o->ready_file != NULL &&
	     write_ready_file(p, o->ready_file, err) == -1)) {
		if (p->synth == NULL && o->dns_fd >= 0)
			close(o->dns_fd); /* start_dns never ran */
		proxy_free(p);
		return NULL;
	}
	return p;
}

int
proxy_reload(struct proxy *p, struct errbuf *err)
{
	struct proxy_state *s = load_state(p->conf_opts, p->extra, err);

	if (s == NULL)
		return -1;
	/* The token file is part of the config: a bad one fails the reload. */
	if (load_admin_token(p, s->conf, err) == -1) {
		proxy_state_unref(s);
		return -1;
	}
	proxy_set_state(p, s);
	if (p->log != NULL && audit_log_reopen(p->log, err) == -1)
		log_warn("audit log: %s", errbuf_first(err));
	return 0;
}

static void
close_listeners(struct proxy *p)
{
	listen_close(p->http_listener);
	listen_close(p->socks_listener);
	listen_close(p->admin_listener);
	p->http_listener = p->socks_listener = p->admin_listener = NULL;
	dns_stub_close(p->dns);
	p->dns = NULL;
}

static void
free_timer(uv_handle_t *h)
{
	free(h);
}

static void
maybe_done(struct proxy *p)
{
	proxy_done_fn *done = p->done;

	if (p->nconns > 0 || done == NULL)
		return;
	p->done = NULL;
	if (p->grace_timer != NULL) {
		uv_close((uv_handle_t *)p->grace_timer, free_timer);
		p->grace_timer = NULL;
	}
	done(p->done_arg);
}

static void
on_grace_over(uv_timer_t *t)
{
	struct proxy *p = t->data;
	struct proxy_conn *c, *next;

	for (c = p->conns.next; c != &p->conns; c = next) {
		next = c->next;
		c->kill(c);
	}
}

void
proxy_shutdown(struct proxy *p, int grace_ms, proxy_done_fn *done, void *arg)
{
	struct proxy_conn *c, *next;

	p->stopping = true;
	p->done = done;
	p->done_arg = arg;
	close_listeners(p);
	for (c = p->conns.next; c != &p->conns; c = next) {
		next = c->next;
		c->drain(c);
	}
	if (p->nconns > 0) {
		p->grace_timer = xcalloc(1, sizeof(*p->grace_timer));
		uv_timer_init(p->loop, p->grace_timer);
		p->grace_timer->data = p;
		uv_timer_start(p->grace_timer, on_grace_over, (uint64_t)grace_ms, 0);
	}
	maybe_done(p);
}

const struct audit_ring *
proxy_blocked(const struct proxy *p)
{
	return &p->ring;
}

void
proxy_free(struct proxy *p)
{
	if (p == NULL)
		return;
	close_listeners(p);
	if (p->grace_timer != NULL)
		uv_close((uv_handle_t *)p->grace_timer, free_timer);
	proxy_state_unref(p->state);
	audit_ring_release(&p->ring);
	audit_metrics_release(&p->decisions);
	audit_log_free(p->log);
	synth_free(p->synth);
	set_admin_token(p, NULL, 0);
	approval_broker_unref(p->approvals);
	free(p->approval_command);
	free(p->approval_process_id);
	free(p);
}
