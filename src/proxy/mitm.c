/* mitm.c — TLS interception of limited-mode tunnels (mitm.h). */
#include "proxy/mitm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "proxy/ca.h"
#include "proxy/mitm_leaf.h"

/* Upstream contexts kept, by key (see mitm.h). A few: one per distinct
 * trust configuration in use at once. */
#define MITM_CLIENT_CTX_MAX 4

struct client_ctx {
	char *key;
	SSL_CTX *ctx;
	uint64_t used; /* a counter, for eviction of the least used lately */
};

static struct {
	char *dir;
	struct ca *ca;
	struct mitm_leaf_cache *leaves;
	SSL_CTX *server;
	struct client_ctx clients[MITM_CLIENT_CTX_MAX];
	uint64_t tick;
	uint64_t built;
} g;

/* --- contexts ------------------------------------------------------------ */

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

/* What a context for st is built from: each extra CA file with what
 * identifies its content on disk (a file replaced or rewritten gives a
 * new key, so a reload after that rebuilds). */
static char *
client_ctx_key(const struct proxy_state *st)
{
	const char *const *files;
	size_t i, n = conf_strv(st->conf,
				"permissions.network.extra_ca_certificates",
				&files);
	struct stat sb;
	struct buf b;

	buf_init(&b, 1 << 20);
	for (i = 0; i < n; i++) {
		memset(&sb, 0, sizeof(sb));
		(void)stat(files[i], &sb);
		buf_printf(&b, "%s\n%llu:%llu:%lld.%ld:%lld\n", files[i],
			   (unsigned long long)sb.st_dev,
			   (unsigned long long)sb.st_ino,
			   (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
			   (long long)sb.st_size);
	}
	return buf_detach(&b, NULL);
}

/* The upstream context for st (borrowed, cached). NULL when OpenSSL
 * fails. */
static SSL_CTX *
client_ctx(const struct proxy_state *st)
{
	char *key = client_ctx_key(st);
	struct client_ctx *slot = &g.clients[0];
	size_t i;

	for (i = 0; i < MITM_CLIENT_CTX_MAX; i++) {
		struct client_ctx *k = &g.clients[i];

		if (k->key != NULL && strcmp(k->key, key) == 0) {
			free(key);
			k->used = ++g.tick;
			return k->ctx;
		}
		if (k->key == NULL ||
		    (slot->key != NULL && k->used < slot->used))
			slot = k;
	}
	free(slot->key);
	SSL_CTX_free(slot->ctx);
	slot->key = key;
	slot->ctx = client_ctx_new(st);
	slot->used = ++g.tick;
	g.built++;
	return slot->ctx;
}

uint64_t
mitm_origin_contexts_built(void)
{
	return g.built;
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
	size_t i;

	for (i = 0; i < MITM_CLIENT_CTX_MAX; i++) {
		free(g.clients[i].key);
		SSL_CTX_free(g.clients[i].ctx);
	}
	SSL_CTX_free(g.server);
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

SSL *
mitm_server_ssl(const char *host)
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

bool
mitm_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

SSL *
mitm_origin_ssl(const struct proxy_state *st, const char *host, bool is_ip)
{
	SSL_CTX *ctx = client_ctx(st);
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
	X509_VERIFY_PARAM *vp;

	if (ssl == NULL)
		return NULL;
	vp = SSL_get0_param(ssl);
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
		   SSL_set1_host(ssl, host) != 1) {
		goto fail;
	}
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}
