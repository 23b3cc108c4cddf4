/* mitm_leaf.c — leaf minting and the LRU cache (mitm_leaf.h). */
#include "proxy/mitm_leaf.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "lib/xalloc.h"

struct leaf {
	struct leaf *prev, *next; /* most recently used first */
	char *host;
	X509 *cert;
	EVP_PKEY *key;
};

struct mitm_leaf_cache {
	const struct ca *ca;
	struct leaf head; /* list head */
	size_t n, max;
	uint64_t minted, hits;
};

static bool
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

int
mitm_leaf_mint(const struct ca *ca, const char *host, X509 **cert,
	       EVP_PKEY **key, struct errbuf *err)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *c = X509_new();
	char san[300], cn[65];

	*cert = NULL;
	*key = NULL;
	if (strlen(host) == 0 || strlen(host) > 255 ||
	    (strpbrk(host, ",:\n\r") != NULL && !is_ip_literal(host))) {
		errbuf_add(err, "%s: cannot mint a certificate for this host",
			   host);
		goto fail_quiet;
	}
	snprintf(san, sizeof(san), "%s:%s", is_ip_literal(host) ? "IP" : "DNS",
		 host);
	snprintf(cn, sizeof(cn), "%s", host); /* CN is capped at 64 */
	if (k == NULL || c == NULL || X509_set_version(c, 2) != 1 ||
	    ca_random_serial(c) == -1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c),
			    (long)MITM_LEAF_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN",
				       MBSTRING_ASC, (const unsigned char *)cn,
				       -1, -1, 0) != 1 ||
	    X509_set_pubkey(c, k) != 1 ||
	    ca_add_ext(c, ca_cert(ca), NID_basic_constraints, "critical,CA:FALSE") ==
		    -1 ||
	    ca_add_ext(c, ca_cert(ca), NID_key_usage,
		    "critical,digitalSignature,keyEncipherment") == -1 ||
	    ca_add_ext(c, ca_cert(ca), NID_ext_key_usage, "serverAuth") == -1 ||
	    ca_add_ext(c, ca_cert(ca), NID_subject_alt_name, san) == -1 ||
	    ca_sign(ca, c) == -1) {
		errbuf_add(err, "%s: minting a certificate: %s", host,
			   ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
		goto fail_quiet;
	}
	*cert = c;
	*key = k;
	return 0;
fail_quiet:
	X509_free(c);
	EVP_PKEY_free(k);
	return -1;
}

struct mitm_leaf_cache *
mitm_leaf_cache_new(const struct ca *ca, size_t max)
{
	struct mitm_leaf_cache *lc = xcalloc(1, sizeof(*lc));

	lc->ca = ca;
	lc->max = max ? max : MITM_LEAF_CACHE_MAX;
	lc->head.next = lc->head.prev = &lc->head;
	return lc;
}

static void
unlink_leaf(struct leaf *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static void
push_front(struct mitm_leaf_cache *lc, struct leaf *l)
{
	l->next = lc->head.next;
	l->prev = &lc->head;
	lc->head.next->prev = l;
	lc->head.next = l;
}

static void
leaf_free(struct leaf *l)
{
	X509_free(l->cert);
	EVP_PKEY_free(l->key);
	free(l->host);
	free(l);
}

void
mitm_leaf_cache_free(struct mitm_leaf_cache *lc)
{
	struct leaf *l, *next;

	if (lc == NULL)
		return;
	for (l = lc->head.next; l != &lc->head; l = next) {
		next = l->next;
		leaf_free(l);
	}
	free(lc);
}

/* A linear scan: at most MITM_LEAF_CACHE_MAX string compares, which is
 * nothing next to the TLS handshake each lookup precedes. A hash would
 * be the fix if the cache ever grows to thousands. */
int
mitm_leaf_get(struct mitm_leaf_cache *lc, const char *host, X509 **cert,
	      EVP_PKEY **key, struct errbuf *err)
{
	struct leaf *l;

	for (l = lc->head.next; l != &lc->head; l = l->next) {
		if (strcmp(l->host, host) == 0) {
			unlink_leaf(l);
			push_front(lc, l);
			lc->hits++;
			*cert = l->cert;
			*key = l->key;
			return 0;
		}
	}
	l = xcalloc(1, sizeof(*l));
	if (mitm_leaf_mint(lc->ca, host, &l->cert, &l->key, err) == -1) {
		free(l);
		return -1;
	}
	lc->minted++;
	l->host = xstrdup(host);
	if (lc->n == lc->max) {
		struct leaf *old = lc->head.prev;

		unlink_leaf(old);
		leaf_free(old);
		lc->n--;
	}
	push_front(lc, l);
	lc->n++;
	*cert = l->cert;
	*key = l->key;
	return 0;
}

uint64_t
mitm_leaf_minted(const struct mitm_leaf_cache *lc)
{
	return lc->minted;
}

uint64_t
mitm_leaf_hits(const struct mitm_leaf_cache *lc)
{
	return lc->hits;
}

size_t
mitm_leaf_count(const struct mitm_leaf_cache *lc)
{
	return lc->n;
}
