/* admin_routes.c — the admin API's endpoints. See admin_routes.h. */
#include "proxy/admin_routes.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "policy/netpolicy.h"
#include "proxy/block.h"
#include "proxy/exchange.h"
#include "proxy/origin_pool.h"

#define PN "permissions.network."
#define ADMIN_MAX_DOC (4 * 1024 * 1024)

/* --- responses and auth ------------------------------------------------------ */

int
admin_respond(struct buf *out, int status, const char *ctype,
	      const char *extra, const char *body, size_t n, bool close)
{
	const char *text = status == 401 ? "Unauthorized"
					 : block_status_text(status);

	if (buf_printf(out, "HTTP/1.1 %d %s\r\ncontent-type: %s\r\n%s"
			    "content-length: %zu\r\n%s\r\n",
		       status, text, ctype, extra != NULL ? extra : "", n,
		       close ? "connection: close\r\n" : "") == -1)
		return -1;
	return buf_add(out, body, n);
}

int
admin_unauthorized(struct buf *out, bool close)
{
	static const char text[] = "unauthorized";

	return admin_respond(out, 401, "text/plain",
			     "www-authenticate: Bearer\r\n", text,
			     sizeof(text) - 1, close);
}

static void
sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		memset(out, 0xff, 32); /* never equal to a real digest pair */
}

bool
admin_authorized(const struct proxy *p, const struct http_head *h)
{
	const struct http_header *a;
	unsigned char want[32], got[32];
	const char *v;
	size_t n;

	if (p->admin_token == NULL)
		return true;
	a = http_msg_find(h, "authorization");
	if (a == NULL || a->value.n < 7 ||
	    strncasecmp(a->value.p, "bearer ", 7) != 0)
		return false;
	v = a->value.p + 7;
	n = a->value.n - 7;
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	/* Digests first: equal-length inputs to CRYPTO_memcmp, whatever
	 * the lengths of the token and of what the client sent. */
	sha256(p->admin_token, p->admin_token_len, want);
	sha256(v, n, got);
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}

static void
respond_text(struct buf *out, int status, const char *text, bool close)
{
	if (block_error(out, status, text, close) == -1)
		log_error("admin: response did not fit");
}

static void
respond_json(struct buf *out, const char *json, size_t n, bool close)
{
	if (admin_respond(out, 200, "application/json", NULL, json, n,
			  close) == -1)
		log_error("admin: response did not fit");
}

/* Serializes doc (stolen) as the 200 answer, or 500 `error`. */
static void
respond_doc(struct buf *out, json_t *doc, bool close)
{
	char *s = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;

	if (s == NULL)
		respond_text(out, 500, "error", close);
	else
		respond_json(out, s, strlen(s), close);
	free(s);
	json_decref(doc);
}

/* --- GET /config ----------------------------------------------------------- */

static json_t *
json_strv(const struct conf *c, const char *key)
{
	const char *const *items;
	size_t i, n = conf_strv(c, key, &items);
	json_t *a = json_array();

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

/* The reference's /config keys, in its order. Kinds: b bool, s string,
 * a string array from config, m the mode in force, u the paths of
 * unix_sockets (the reference's allow_unix_sockets), i whether
 * HTTPS is intercepted (the reference derives mitm = mode == limited). */
static const struct config_key {
	const char *name;
	char kind;
} config_keys[] = {
	{"enabled", 'b'},
	{"proxy_url", 's'},
	{"admin_url", 's'},
	{"enable_socks5", 'b'},
	{"socks_url", 's'},
	{"enable_socks5_udp", 'b'},
	{"allow_upstream_proxy", 'b'},
	{"dangerously_allow_non_loopback_proxy", 'b'},
	{"dangerously_allow_non_loopback_admin", 'b'},
	{"dangerously_allow_all_unix_sockets", 'b'},
	{"mode", 'm'},
	{"allowed_domains", 'a'},
	{"denied_domains", 'a'},
	{"allow_unix_sockets", 'u'},
	{"allow_local_binding", 'b'},
	{"mitm", 'i'},
};

/* What is in force: the current state's, except for the keys only a
 * restart applies, which keep the values the proxy started with. */
static json_t *
config_value(const struct proxy *p, const struct config_key *k)
{
	const struct proxy_state *s = p->state;
	const struct conf *c;
	char key[128];

	snprintf(key, sizeof(key), PN "%s", k->name);
	c = proxy_restart_key(key) ? p->started->conf : s->conf;
	switch (k->kind) {
	case 'b':
		return json_boolean(conf_bool(c, key));
	case 's':
		return json_string(conf_str(c, key));
	case 'a':
		return json_strv(s->conf, key);
	case 'm':
		return json_string(s->limited ? "limited" : "full");
	case 'u': /* the sandbox's listed host sockets (unix_sockets) */
		return json_strv(s->conf, PN "unix_sockets");
	case 'i':
		return json_boolean(s->limited);
	default:
		return json_false();
	}
}

static void
route_config(struct proxy *p, const struct admin_request *rq,
	     struct buf *out)
{
	json_t *net = json_object(), *doc = json_object();
	size_t i;

	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		json_object_set_new(net, config_keys[i].name,
				    config_value(p, &config_keys[i]));
	json_object_set_new(doc, "network", net);
	respond_doc(out, doc, rq->close);
}

/* --- GET /patterns ----------------------------------------------------------- */

/* Appends pat unless a holds it already. Quadratic, but the lists are
 * config-sized (a preset adds at most a few hundred entries). */
static void
add_unique(json_t *a, const char *pat)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (strcmp(json_string_value(v), pat) == 0)
			return;
	}
	json_array_append_new(a, json_string(pat));
}

struct patterns {
	json_t *allowed, *denied;
};

static void
add_pattern(void *arg, const char *pattern, bool deny)
{
	struct patterns *ps = arg;

	add_unique(deny ? ps->denied : ps->allowed, pattern);
}

static void
route_patterns(struct proxy *p, const struct admin_request *rq,
	       struct buf *out)
{
	struct patterns ps = {json_array(), json_array()};
	json_t *doc = json_object();

	/* The lists the policy in force was compiled from (netpolicy.h):
	 * managed entries first, requirements applied. */
	netpolicy_patterns(p->state->conf, p->extra, add_pattern, &ps);
	json_object_set_new(doc, "allowed", ps.allowed);
	json_object_set_new(doc, "denied", ps.denied);
	respond_doc(out, doc, rq->close);
}

/* --- GET /health, /blocked, /metrics ------------------------------------------ */

static void
route_health(struct proxy *p, const struct admin_request *rq,
	     struct buf *out)
{
	(void)p;
	respond_text(out, 200, "ok", rq->close);
}

static void
route_blocked(struct proxy *p, const struct admin_request *rq,
	      struct buf *out)
{
	struct buf b;

	buf_init(&b, ADMIN_MAX_DOC);
	if (audit_ring_render_json(&p->ring, &b) == -1)
		respond_text(out, 500, "error", rq->close);
	else
		respond_json(out, b.p, b.len, rq->close);
	buf_release(&b);
}

static int
metric(struct buf *b, const char *name, const char *type, const char *help,
       uint64_t v)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
			  name, help, name, type, name, v);
}

static int
render_metrics(const struct proxy *p, struct buf *b)
{
	const struct proxy_metrics *m = &p->m;

	if (metric(b, "airlock_connections_accepted_total", "counter",
		   "Connections accepted on every listener.",
		   m->conns_accepted) == -1 ||
	    metric(b, "airlock_connections_refused_total", "counter",
		   "Connections refused over the connection cap.",
		   m->conns_refused) == -1 ||
	    metric(b, "airlock_connections_open", "gauge",
		   "Connections open now.", m->conns_open) == -1 ||
	    audit_metrics_render(&p->decisions, &p->ring, b) == -1 ||
	    metric(b, "airlock_bytes_up_total", "counter",
		   "Tunnel bytes sent from clients to targets.",
		   m->bytes_up) == -1 ||
	    metric(b, "airlock_bytes_down_total", "counter",
		   "Tunnel bytes sent from targets to clients.",
		   m->bytes_down) == -1 ||
	    metric(b, "airlock_upstream_errors_total", "counter",
		   "Resolve or connect failures towards targets.",
		   m->upstream_errors) == -1 ||
	    metric(b, "airlock_origin_reuses_total", "counter",
		   "Requests sent on a kept-alive origin connection.",
		   origin_pool_reuses()) == -1 ||
	    metric(b, "airlock_spliced_body_bytes_total", "counter",
		   "HTTP body bytes moved by splice(2), never copied.",
		   exchange_spliced_bytes()) == -1)
		return -1;
	if (p->log == NULL)
		return 0;
	if (metric(b, "airlock_audit_log_lines_total", "counter",
		   "Audit log lines written whole.", p->log->lines) == -1)
		return -1;
	return audit_log_render_metrics(p->log, b);
}

static void
route_metrics(struct proxy *p, const struct admin_request *rq,
	      struct buf *out)
{
	struct buf b;

	buf_init(&b, ADMIN_MAX_DOC);
	if (render_metrics(p, &b) == -1)
		respond_text(out, 500, "error", rq->close);
	else if (admin_respond(out, 200, "text/plain; version=0.0.4", NULL,
			       b.p, b.len, rq->close) == -1)
		log_error("admin: response did not fit");
	buf_release(&b);
}

/* --- POST /mode, /reload ---------------------------------------------------------- */

/* The mode named by a {"mode":"full"|"limited"} body, or NULL. */
static const char *
parse_mode(const char *body, size_t n)
{
	json_error_t e;
	json_t *doc = json_loadb(body, n, JSON_REJECT_DUPLICATES, &e);
	const char *v, *mode = NULL;

	if (doc == NULL)
		return NULL;
	v = json_string_value(json_object_get(doc, "mode"));
	if (v != NULL && strcmp(v, "full") == 0)
		mode = "full";
	else if (v != NULL && strcmp(v, "limited") == 0)
		mode = "limited";
	json_decref(doc);
	return mode;
}

/* Re-reads the config and builds a state with the mode override. 0, or
 * -1 with the reason in err (a requirement refusal among them). */
static int
set_mode(struct proxy *p, const char *mode, struct errbuf *err)
{
	struct errbuf warn;
	struct proxy_state *s = NULL;
	struct conf *c;

	errbuf_init(&warn);
	c = conf_load(p->conf_opts, &warn, err);
	if (c == NULL)
		goto out;
	if (requirements_check_change(conf_requirements(c), PN "mode", mode,
				      err) == -1) {
		conf_free(c);
		goto out;
	}
	s = proxy_state_new(c, mode, &warn, err);
	if (s != NULL)
		proxy_set_state(p, s);
out:
	if (warn.count > 0)
		log_warn("%s", errbuf_str(&warn));
	errbuf_release(&warn);
	return s != NULL ? 0 : -1;
}

static void
route_mode(struct proxy *p, const struct admin_request *rq, struct buf *out)
{
	struct errbuf err;
	const char *mode;
	char json[64];
	int n;

	if (rq->body_len == 0) {
		respond_text(out, 400, "missing body", rq->close);
		return;
	}
	mode = parse_mode(rq->body, rq->body_len);
	if (mode == NULL) {
		respond_text(out, 400, "invalid json", rq->close);
		return;
	}
	errbuf_init(&err);
	if (set_mode(p, mode, &err) == -1) {
		log_error("admin: mode update to %s failed: %s", mode,
			  errbuf_str(&err));
		respond_text(out, 500, "mode update failed", rq->close);
	} else {
		log_info("admin: mode set to %s", mode);
		n = snprintf(json, sizeof(json),
			     "{\"status\":\"ok\",\"mode\":\"%s\"}", mode);
		respond_json(out, json, (size_t)n, rq->close);
	}
	errbuf_release(&err);
}

static void
route_reload(struct proxy *p, const struct admin_request *rq,
	     struct buf *out)
{
	struct proxy_reload_report rep;
	json_t *doc, *keys;
	struct errbuf err;
	struct buf b;
	size_t i;

	errbuf_init(&err);
	if (proxy_reload_report(p, &rep, &err) == 0) {
		log_info("admin: config reloaded");
		doc = json_pack("{s:s}", "status", "reloaded");
		if (rep.n > 0) {
			keys = json_array();
			for (i = 0; i < rep.n; i++)
				json_array_append_new(
					keys, json_string(rep.needs_restart[i]));
			json_object_set_new(doc, "needs_restart", keys);
		}
		respond_doc(out, doc, rq->close);
	} else {
		log_error("admin: reload failed, keeping the old config: %s",
			  errbuf_str(&err));
		buf_init(&b, ERRBUF_MAX + 64);
		buf_printf(&b, "reload failed: %s", errbuf_str(&err));
		respond_text(out, 500, b.p, rq->close);
		buf_release(&b);
	}
	errbuf_release(&err);
}

/* --- routing -------------------------------------------------------------------------- */

typedef void admin_route_fn(struct proxy *p, const struct admin_request *rq,
			    struct buf *out);

static const struct route {
	const char *method, *path;
	admin_route_fn *fn;
} routes[] = {
	{"GET", "/health", route_health},
	{"GET", "/config", route_config},
	{"GET", "/patterns", route_patterns},
	{"GET", "/blocked", route_blocked},
	{"GET", "/metrics", route_metrics},
	{"POST", "/mode", route_mode},
	{"POST", "/reload", route_reload},
};

void
admin_route(struct proxy *p, const struct admin_request *rq, struct buf *out)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(rq->method, routes[i].method) == 0 &&
		    strcmp(rq->path, routes[i].path) == 0) {
			routes[i].fn(p, rq, out);
			return;
		}
	}
	respond_text(out, 404, "not found", rq->close);
}
