/* mitm_leaf.h — leaf certificates for intercepted hosts, minted by the
 * managed CA and kept in a bounded LRU cache **[ours]** (reference §8.2
 * mints one per tunnel; we mint one per host and reuse it).
 *
 * A leaf: new EC P-256 key; subject CN and one SAN for the host (an IP SAN
 * for an IPv4/IPv6 literal, else a DNS SAN); basicConstraints CA:FALSE;
 * KU digitalSignature+keyEncipherment; EKU serverAuth; valid from an hour
 * ago for MITM_LEAF_DAYS days; random serial; signed by the CA.
 *
 * Ownership. The cache borrows the CA (which must outlive it) and owns its
 * leaves. mitm_leaf_get() lends a leaf until the next call that may evict
 * (the next mitm_leaf_get or mitm_leaf_cache_free): callers that keep it
 * longer take references (SSL_use_certificate does). The cache is for one
 * thread. */
#ifndef AIRLOCK_MITM_LEAF_H
#define AIRLOCK_MITM_LEAF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/errbuf.h"
#include "proxy/ca.h"

#define MITM_LEAF_CACHE_MAX 256
#define MITM_LEAF_DAYS 30

struct mitm_leaf_cache;

/* max 0 means MITM_LEAF_CACHE_MAX. */
struct mitm_leaf_cache *mitm_leaf_cache_new(const struct ca *ca, size_t max);
void mitm_leaf_cache_free(struct mitm_leaf_cache *lc);

/* The leaf for host (normalized: lower case, no brackets, no port), from
 * the cache or freshly minted (which may evict the least recently used
 * one). 0, or -1 with the reason in err. */
int mitm_leaf_get(struct mitm_leaf_cache *lc, const char *host, X509 **cert,
		  EVP_PKEY **key, struct errbuf *err);

/* Mints a leaf for host without caching (the caller owns both). */
int mitm_leaf_mint(const struct ca *ca, const char *host, X509 **cert,
		   EVP_PKEY **key, struct errbuf *err);

/* Counters: leaves minted and cache hits since the cache was made. */
uint64_t mitm_leaf_minted(const struct mitm_leaf_cache *lc);
uint64_t mitm_leaf_hits(const struct mitm_leaf_cache *lc);
size_t mitm_leaf_count(const struct mitm_leaf_cache *lc);

#endif
