/* mitm.c — TLS interception of limited-mode tunnels (mitm.h). */
#include "proxy/mitm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/dial.h"
#include "proxy/block.h"
#include "proxy/ca.h"
#include "proxy/http_conn.h"
#include "proxy/mitm_int.h"
#include "proxy/mitm_leaf.h"
#include "proxy/tls_pipe.h"

#define MITM_HANDSHAKE_MS 10000

/* Waits for the client's handshake; becomes an hconn after it. */
struct mitm_accept {
	struct proxy *px;
	struct mitm_tunnel *t;
	char peer[64];
};

static struct {
	char *dir;
	struct ca *ca;
	struct mitm_leaf_cache *leaves;
	SSL_CTX *server;
	SSL_CTX *client;
	struct proxy_state *client_for; /* the state client was built from */
} g;

/* --- contexts ------------------------------------------------------------- */

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *
server_ctx_new(struct errbuf *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		errbuf_add(err, "mitm: tls server context: %s",
			   ERR_reason_error_string(ERR_get_error()));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	/* One tunnel, one session: tickets would only cost bytes. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	return ctx;
}

/* The upstream trust: system roots plus extra_ca_certificates. Never
 * without verification. */
static SSL_CTX *
client_ctx_new(const struct proxy_state *st)
{
	static const unsigned char h11[] = "\x08http/1.1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	const char *const *files;
	size_t i, n;

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_alpn_protos(ctx, h11, sizeof(h11) - 1);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		log_warn("mitm: cannot load the system trust store");
	n = conf_strv(st->conf, "permissions.network.extra_ca_certificates",
		      &files);
	for (i = 0; i < n; i++)
		if (SSL_CTX_load_verify_locations(ctx, files[i], NULL) != 1)
			log_warn("mitm: extra_ca_certificates: %s: %s", files[i],
				 ERR_reason_error_string(ERR_get_error()));
	ERR_clear_error();
	return ctx;
}

SSL_CTX *
mitm_client_ctx(struct proxy_state *st)
{
	if (g.client != NULL && g.client_for == st)
		return g.client;
	SSL_CTX_free(g.client);
	proxy_state_unref(g.client_for);
	g.client = client_ctx_new(st);
	g.client_for = st;
	st->refs++;
	return g.client;
}

int
mitm_prepare(struct proxy *px, struct errbuf *err)
{
	char *bundle;

	if (g.ca != NULL)
		return 0;
	free(g.dir);
	g.dir = ca_dir_for_home(px->conf_opts->home);
	g.ca = ca_load_or_create(g.dir, err);
	if (g.ca == NULL)
		return -1;
	bundle = ca_write_bundle(g.ca, g.dir, err);
	if (bundle == NULL) {
		ca_free(g.ca);
		g.ca = NULL;
		return -1;
	}
	log_debug("mitm: CA %s/%s, trust bundle %s", g.dir, CA_CERT_FILE,
		  bundle);
	free(bundle);
	g.leaves = mitm_leaf_cache_new(g.ca, 0);
	g.server = server_ctx_new(err);
	if (g.server == NULL) {
		mitm_shutdown();
		return -1;
	}
	return 0;
}

void
mitm_shutdown(void)
{
	SSL_CTX_free(g.server);
	SSL_CTX_free(g.client);
	proxy_state_unref(g.client_for);
	mitm_leaf_cache_free(g.leaves);
	ca_free(g.ca);
	free(g.dir);
	memset(&g, 0, sizeof(g));
}

uint64_t
mitm_leaves_minted(void)
{
	return g.leaves ? mitm_leaf_minted(g.leaves) : 0;
}

void
mitm_tunnel_free(struct mitm_tunnel *t)
{
	if (t == NULL)
		return;
	tls_pipe_cancel(t->pending);
	free(t);
}

/* --- the client side ----------------------------------------------------- */

static void
on_client_tls(void *arg, uv_tcp_t *plain, const char *why)
{
	struct mitm_accept *a = arg;
	struct hconn *c;

	if (plain == NULL) {
		log_info("mitm %s: %s:%u: client did not complete TLS: %s",
			 a->peer, a->t->host, a->t->port, why);
		mitm_tunnel_free(a->t);
	} else {
		c = hc_adopt(a->px, plain, a->peer);
		if (c != NULL)
			c->mitm = a->t;
		else
			mitm_tunnel_free(a->t);
	}
	free(a);
}

static SSL *
server_ssl(const char *host)
{
	struct errbuf err;
	X509 *cert;
	EVP_PKEY *key;
	SSL *ssl = NULL;

	errbuf_init(&err);
	if (mitm_leaf_get(g.leaves, host, &cert, &key, &err) == -1) {
		log_warn("mitm: %s", errbuf_str(&err));
		goto out;
	}
	ssl = SSL_new(g.server);
	if (ssl == NULL || SSL_use_certificate(ssl, cert) != 1 ||
	    SSL_use_PrivateKey(ssl, key) != 1 ||
	    SSL_add1_chain_cert(ssl, ca_cert(g.ca)) != 1) {
		SSL_free(ssl);
		ssl = NULL;
		ERR_clear_error();
		goto out;
	}
	SSL_set_accept_state(ssl);
out:
	errbuf_release(&err);
	return ssl;
}

void
mitm_free_handle(uv_handle_t *h)
{
	free(h);
}

static bool
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

void
mitm_start(struct proxy *px, uv_tcp_t *client, const char *host,
	   uint16_t port, const char *pre_in, size_t n_in, const char *pre_out,
	   size_t n_out, const char *peer, bool approved)
{
	struct mitm_accept *a;
	const char *h = host;
	size_t n;
	SSL *ssl;

	uv_read_stop((uv_stream_t *)client);
	if (*h == '[')
		h++;
	n = strcspn(h, "]");
	a = xcalloc(1, sizeof(*a));
	a->px = px;
	a->t = xcalloc(1, sizeof(*a->t));
	snprintf(a->t->host, sizeof(a->t->host), "%.*s", (int)n, h);
	a->t->port = port;
	a->t->is_ip = is_ip_literal(a->t->host);
	a->t->approved = approved;
	snprintf(a->peer, sizeof(a->peer), "%s", peer);
	ssl = server_ssl(a->t->host);
	if (ssl == NULL) {
		uv_close((uv_handle_t *)client, mitm_free_handle);
		mitm_tunnel_free(a->t);
		free(a);
		return;
	}
	tls_pipe_start(px->loop, client, ssl, pre_in, n_in, pre_out, n_out,
		       MITM_HANDSHAKE_MS, on_client_tls, a);
}
