/* mitm_inner.c — requests inside an intercepted tunnel: the checks, the
 * decision, and the verified TLS connection upstream (mitm.h steps 1–4).
 * The response side is http_forward.c's, unchanged. */
#include "proxy/mitm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/log.h"
#include "policy/host.h"
#include "proxy/http_conn.h"
#include "proxy/mitm_int.h"
#include "proxy/tls_pipe.h"

/* --- step 4: upstream TLS ------------------------------------------------- */

static void
on_origin_tls(void *arg, uv_tcp_t *plain, const char *why)
{
	struct hconn *c = arg;
	char msg[HTTP_MSG_MAX_HOST + 400];

	c->mitm->pending = NULL;
	if (plain == NULL) {
		c->px->m.upstream_errors++;
		snprintf(msg, sizeof(msg), "mitm upstream error: %s:%u: %s",
			 c->host, c->target.port, why);
		log_info("mitm %s: %s", c->peer, msg);
		hc_error(c, 502, msg);
	} else {
		hf_start(c, plain);
	}
	hc_pump(c);
}

static SSL *
client_ssl(struct hconn *c)
{
	SSL_CTX *ctx = mitm_client_ctx(c->st);
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
	X509_VERIFY_PARAM *vp;

	if (ssl == NULL)
		return NULL;
	vp = SSL_get0_param(ssl);
	if (c->mitm->is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, c->mitm->host) != 1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(ssl, c->mitm->host) != 1 ||
		   SSL_set1_host(ssl, c->mitm->host) != 1) {
		goto fail;
	}
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

static void
start_tls(struct hconn *c, uv_tcp_t *tcp, const char *pre, size_t n_pre)
{
	SSL *ssl = client_ssl(c);

	if (ssl == NULL) {
		uv_close((uv_handle_t *)tcp, mitm_free_handle);
		hc_error(c, 502, "mitm upstream error: cannot set up tls");
		return;
	}
	c->mitm->pending = tls_pipe_start(c->px->loop, tcp, ssl, pre, n_pre,
					  NULL, 0, (int)c->st->connect_timeout_ms,
					  on_origin_tls, c);
}

static void
inner_decided(void *arg, const struct policy_decision *d,
	      const struct resolve_result *addrs, const char *why)
{
	struct hconn *c = arg;

	c->decide = NULL;
	if (d == NULL) {
		hc_error(c, 502, why);
	} else if (!policy_allowed(d)) {
		hr_refuse(c, d, true);
	} else {
		hc_deadline(c, c->st->connect_timeout_ms * 2 + 1000);
		hr_reach(c, addrs, true, start_tls);
		return;
	}
	hc_pump(c);
}

/* --- steps 1–3 --------------------------------------------------------------- */

/* True when the request names the tunnel's host (port aside, as the
 * reference compares). */
static bool
same_host(const struct mitm_tunnel *t, struct slice host)
{
	struct host a, b;
	const char *why;

	if (host_normalize(host.p, host.n, HOST_NO_PORT, &a, &why) == -1 ||
	    host_normalize(t->host, strlen(t->host), HOST_NO_PORT, &b, &why) ==
		    -1)
		return false;
	return a.len > 0 && strcmp(a.text, b.text) == 0;
}

void
mitm_inner_start(struct hconn *c)
{
	const struct http_head *h = c->head;
	const char *bad;

	c->is_connect = false;
	if (slice_eq_cstr(h->method, "CONNECT")) {
		hc_error(c, 405, "CONNECT not supported inside MITM");
		return;
	}
	bad = http_msg_request_target(h, &c->target);
	if (bad != NULL) {
		hc_error(c, 400, bad);
		return;
	}
	if (!same_host(c->mitm, c->target.host)) {
		hc_error(c, 400, "host mismatch");
		return;
	}
	snprintf(c->host, sizeof(c->host), "%s", c->mitm->host);
	c->target.port = c->mitm->port;
	c->target.ipv6 = c->mitm->is_ip && strchr(c->host, ':') != NULL;
	hc_decide(c, POLICY_PROTO_HTTPS, inner_decided);
}

void
mitm_inner_close(struct hconn *c)
{
	if (c->mitm == NULL)
		return;
	tls_pipe_cancel(c->mitm->pending);
	c->mitm->pending = NULL;
}
