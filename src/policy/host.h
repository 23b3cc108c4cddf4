/* host.h — normalization of request hosts and of the host part of patterns.
 *
 * Every host the policy sees, and the host part of every pattern, goes
 * through host_normalize() first so that spelling tricks cannot change a
 * decision: surrounding ASCII whitespace is trimmed, ASCII is lowercased,
 * all trailing dots are stripped, brackets and a `:port` suffix are removed
 * (the port is reported separately), and IP literals are rewritten to one
 * canonical text:
 *
 *   - legacy IPv4 spellings that inet_aton(3) accepts (`2130706433`,
 *     `0x7f.1`, `127.1`, `0177.0.0.1`) become dotted quads, so they can
 *     neither slip past an IP deny entry nor reach a private address;
 *   - IPv6 text is rewritten by inet_pton/inet_ntop (lowercase, compressed);
 *     an IPv4-mapped address (`::ffff:127.0.0.1`) becomes its dotted quad,
 *     since a dual-stack socket reaches the same destination either way;
 *   - an IPv6 scope id is kept as `addr%scope`; the URI form `%25scope` is
 *     decoded (`fe80::1%25lo0` → `fe80::1%lo0`).
 *
 * Host names must be ASCII (non-ASCII is refused: write punycode), made of
 * labels of [a-z0-9_-] (plus `*` when HOST_WILDCARD is given), with no
 * empty label, labels of at most 63 bytes and names of at most 253. A name
 * whose last label is numeric but which is not an IPv4 address
 * (`1.2.3.4.5`, `999.1.1.1`) is refused: resolvers and browsers disagree
 * about such names, so we accept none of them.
 *
 * Pure: no allocation, no I/O. Errors are static strings. */
#ifndef AIRLOCK_HOST_H
#define AIRLOCK_HOST_H

#include <stdbool.h>
#include <stddef.h>

#define HOST_NAME_MAX_LEN 253
#define HOST_TEXT_MAX 320 /* normalized text incl. scope id and NUL */

enum host_kind { HOST_NAME, HOST_IPV4, HOST_IPV6 };

/* Flags for host_normalize. */
#define HOST_WILDCARD 1u /* accept `*` inside labels (pattern hosts) */
#define HOST_NO_PORT 2u  /* refuse a `:port` suffix */

struct host {
	char text[HOST_TEXT_MAX]; /* normalized, NUL-terminated; "" = empty */
	size_t len;               /* strlen(text) */
	size_t unscoped_len;      /* length without `%scope` (== len if none) */
	enum host_kind kind;
	unsigned char addr[16];   /* IP in network order; IPv4 uses addr[0..3] */
	int port;                 /* 1..65535, or -1 when none was given */
	bool wildcard;            /* text contains `*` (HOST_WILDCARD only) */
};

/* Normalizes s[0..n) into out. Returns 0, or -1 with *why set to a static
 * description of the problem. Whitespace-only or dots-only input gives
 * 0 with an empty text; callers decide what empty means. */
int host_normalize(const char *s, size_t n, unsigned flags, struct host *out,
		   const char **why);

/* Splits s[0..n) (already trimmed) into host and port: `[v6]`, `[v6]:p`,
 * `name:p` (exactly one colon) or anything else with no port; more than one
 * colon outside brackets is unbracketed IPv6 text. Narrows *s,*n to the
 * host and sets *port (left alone when there is none). -1 with *why on a
 * bad port or unbalanced brackets. */
int host_split_port(const char **s, size_t *n, int *port, const char **why);

/* Parses a decimal port 1..65535 from s[0..n); -1 when it is not one. */
int host_parse_port(const char *s, size_t n);

/* True when h is exactly `localhost` (after normalization). */
bool host_is_localhost(const struct host *h);

#endif
