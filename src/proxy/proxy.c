/* proxy.c — the managed proxy's life: listeners, ready file, audit log,
 * stub resolver, shutdown (proxy.h). The state, the connection registry
 * and the records it shares with everything below it live in
 * proxy_state.c, proxy_conns.c and proxy_record.c, so that nothing a
 * listener calls calls back into this file. */
#include "proxy/proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/listen.h"
#include "proxy/approval.h"
#include "net/synth.h"
#include "proxy/dns_stub.h"

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

/* The transparent listeners: sockets of the sandbox's namespace, all
 * taken over (one that cannot be adopted is closed). -1 with err. */
static int
bind_transparent(struct proxy *p, const struct proxy_opts *o,
		 struct errbuf *err)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < o->n_transparent_fds; i++) {
		if (i >= PROXY_TRANSPARENT_MAX || rc == -1) {
			close(o->transparent_fds[i]);
			continue;
		}
		p->transparent[i] = listen_tcp(p->loop, NULL,
					       o->transparent_fds[i],
					       "transparent listener",
					       transparent_accept, p, err);
		if (p->transparent[i] == NULL)
			rc = -1;
	}
	return rc;
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
	size_t i;

	p->loop = loop;
	p->conf_opts = o->conf;
	p->conns.next = p->conns.prev = &p->conns;
	p->max_conns = proxy_conns_max_for_fd_limit();
	audit_ring_init(&p->ring);
	audit_metrics_init(&p->decisions);
	p->extra = o->extra;
	p->approvals = approval_broker_ref(o->approvals);
	p->approval_command = o->command ? xstrdup(o->command) : NULL;
	p->approval_process_id = o->process_id ? xstrdup(o->process_id) : NULL;
	p->whois = o->whois;
	p->whois_arg = o->whois_arg;
	p->state = proxy_state_first(o->conf, p->extra, err);
	if (p->state != NULL)
		p->started = proxy_state_ref(p);
	if (p->state != NULL &&
	    conf_int(p->state->conf, "permissions.network.max_connections") > 0)
		p->max_conns = (size_t)conf_int(p->state->conf,
						"permissions.network.max_connections");
	p->no_admin = o->no_admin;
	for (i = 0; i < o->n_forwards && i < PROXY_FORWARDS_MAX; i++)
		p->forwards[p->n_forwards++] = o->forwards[i];
	for (i = 0; i < o->n_udp_fds; i++) {
		if (i < PROXY_UDP_POOL_MAX)
			p->udp_pool[p->n_udp_pool++] = o->udp_fds[i];
		else
			close(o->udp_fds[i]);
	}
	if (bind_transparent(p, o, err) == -1 || p->state == NULL || proxy_load_admin_token(p, p->state->conf, err) == -1 ||
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


static void
close_listeners(struct proxy *p)
{
	size_t i;

	listen_close(p->http_listener);
	listen_close(p->socks_listener);
	listen_close(p->admin_listener);
	p->http_listener = p->socks_listener = p->admin_listener = NULL;
	for (i = 0; i < PROXY_TRANSPARENT_MAX; i++) {
		listen_close(p->transparent[i]);
		p->transparent[i] = NULL;
	}
	dns_stub_close(p->dns);
	p->dns = NULL;
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
	proxy_conns_maybe_done(p);
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
		uv_close((uv_handle_t *)p->grace_timer, (uv_close_cb)free);
	proxy_state_unref(p->state);
	proxy_state_unref(p->started);
	audit_ring_release(&p->ring);
	audit_metrics_release(&p->decisions);
	audit_log_free(p->log);
	synth_free(p->synth);
	while (p->n_udp_pool > 0)
		close(p->udp_pool[--p->n_udp_pool]);
	proxy_set_admin_token(p, NULL, 0);
	approval_broker_unref(p->approvals);
	free(p->approval_command);
	free(p->approval_process_id);
	free(p);
}
