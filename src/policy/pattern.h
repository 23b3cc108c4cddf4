/* pattern.h — compiled allow/deny pattern sets (DESIGN §4.3).
 *
 * Forms (host part normalized by host_normalize):
 *   example.com          exactly that host
 *   *.example.com        strict subdomains at any depth, not the apex
 *   **.example.com       the apex and all subdomains
 *   *                    every host; only with PATTERN_ALLOW_GLOBAL
 *   region*.example.com  `*` inside one label, each `*` matching zero or
 *                        more non-dot characters; never crosses a dot
 *   10.0.0.0/8, fd00::/8 CIDR: IP-literal targets and resolved addresses
 *   1.2.3.4, [fe80::1%25lo0]  IP literals; a scoped host also matches an
 *                        unscoped pattern for its IP, a scoped pattern
 *                        matches only that scope
 *   any of the above (but `*`) with `:port` (`[v6]:port` for IPv6):
 *                        that port only
 * Refused: `*.*`, `**.*`, wildcards followed by fewer than two fixed labels
 * (`*.com`, `**.com`, `a*.com`), more than one wildcard label, wildcards on
 * IP addresses, glob syntax (`?`, `[`, `{`, `\`), empty labels, bad ports,
 * malformed CIDR, non-ASCII. Duplicates behave as one.
 *
 * A set is immutable once built and may be shared read-only. Lookup cost
 * does not grow with the number of patterns: exact hosts, `*.`/`**.`
 * suffixes and mid-label patterns live in one hash table keyed by host
 * suffix (a lookup walks the host's label suffixes: O(labels)); mid-label
 * patterns are filed under the suffix after their wildcard label; CIDRs
 * are hashed per prefix length (O(distinct lengths)). Known shortcut: many
 * port-scoped or mid-label patterns under the same suffix are scanned
 * linearly within that suffix's bucket. */
#ifndef AIRLOCK_PATTERN_H
#define AIRLOCK_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"
#include "policy/host.h"
#include "policy/ipclass.h"

#define PATTERN_ALLOW_GLOBAL 1u /* accept `*` (user allowlist only) */

enum pattern_kind {
	PATTERN_EXACT, /* exact host name or IP literal */
	PATTERN_SUB,   /* *.d */
	PATTERN_BOTH,  /* **.d */
	PATTERN_MID,   /* wildcard inside a label */
	PATTERN_CIDR,
	PATTERN_GLOBAL,
};

struct pattern_src {
	const char *pattern;
	const char *origin; /* message prefix, e.g. `file:12: key[3]`; NULL ok */
};

struct pattern_match {
	const char *text; /* original pattern text (owned by the set) */
	enum pattern_kind kind;
};

/* A host prepared once for matching against several sets (hashes of its
 * label suffixes). Borrows h, which must outlive the probe. */
#define PATTERN_MAX_LABELS 128
struct pattern_probe {
	const struct host *h;
	unsigned nlabels;
	uint16_t start[PATTERN_MAX_LABELS]; /* offset of each label */
	uint64_t hash[PATTERN_MAX_LABELS];  /* hash of text[start[i]..] */
	uint64_t unscoped_hash;             /* hash of the IP without scope */
};

/* One parsed pattern. For *.d and **.d, h holds d; for mid-label
 * patterns h holds the whole text with the wildcard label at
 * h.text[glob_off..glob_off+glob_len) and the fixed suffix after it at
 * h.text + key_off. */
struct pattern_parsed {
	enum pattern_kind kind;
	struct host h;
	struct cidr cidr; /* PATTERN_CIDR */
	int port;         /* -1 = any port */
	bool is_ip;       /* PATTERN_EXACT on an IP literal */
	size_t glob_off, glob_len, key_off;
};

/* Parses and normalizes one pattern. Returns 0, or -1 with the problem in
 * why[0..whyn) (without the pattern text). */
int pattern_parse(const char *s, unsigned flags, struct pattern_parsed *out,
		  char *why, size_t whyn);
/* Matches one label against a label glob (`*` = zero or more chars). */
bool pattern_glob_label(const char *g, size_t gn, const char *s, size_t sn);

struct pattern_set;

/* Compiles v[0..n). Every bad pattern adds `<origin>: <problem>` to err;
 * if any was bad, returns NULL after reporting all of them. */
struct pattern_set *pattern_set_new(const struct pattern_src *v, size_t n,
				    unsigned flags, struct errbuf *err);
void pattern_set_free(struct pattern_set *s);
/* Number of distinct patterns in s. */
size_t pattern_set_count(const struct pattern_set *s);

/* Checks one pattern. Returns 0, or -1 with the problem in why. */
int pattern_check(const char *pattern, unsigned flags, char *why,
		  size_t whyn);

void pattern_probe_init(struct pattern_probe *p, const struct host *h);
/* For pattern_set_match: any port at all, so a port-scoped entry matches
 * too ("is this host allowed on some port?"). */
#define PATTERN_PORT_ANY (-2)

/* Finds the best pattern of s matching the probed host on port (-1 = no
 * port: only entries without a port match; PATTERN_PORT_ANY: entries
 * with any port or none match). Preference: exact (port-scoped first),
 * then wildcards by longest suffix, then CIDR by longest prefix, then
 * `*`. */
bool pattern_set_match(const struct pattern_set *s,
		       const struct pattern_probe *p, int port,
		       struct pattern_match *m);
/* Optional: starts fetching the hash slots a match of p will probe, so a
 * caller matching against two sets overlaps their memory waits. */
void pattern_set_prefetch(const struct pattern_set *s,
			  const struct pattern_probe *p);
/* Matches a resolved address against the IP-literal and CIDR entries of
 * s only (no names, no `*`). */
bool pattern_set_match_addr(const struct pattern_set *s,
			    const struct ipaddr *ip, int port,
			    struct pattern_match *m);

/* The managed-list coverage rule (reference §2.4): does managed pattern m
 * cover user pattern u? Exact d covers only d; *.d covers strict
 * subdomains of d, *.x for x equal to or under d, **.x for x strictly
 * under d, and mid-label patterns under d; **.d covers every name form
 * equal to or under d; a mid-label pattern covers names it matches and
 * itself; a CIDR covers IPs and CIDRs inside it; an unscoped IP covers its
 * scoped forms; a port-scoped managed entry covers only that port, an
 * unscoped one any port. Invalid patterns and `*` cover nothing. */
bool pattern_covers(const char *managed, const char *user);

#endif
