/* ipclass.h — is an address public? And CIDR ranges.
 *
 * The non-public classifier is smokescreen's list (DESIGN §4.4). IPv4:
 * 0/8, 10/8, 100.64/10, 127/8, 169.254/16 (incl. 169.254.169.254),
 * 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24,
 * 203.0.113/24, 224/4 multicast, 240/4 reserved (incl. 255.255.255.255).
 * IPv6: ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 2001:db8::/32,
 * the NAT64 local-use prefix 64:ff9b:1::/48; and every form embedding an
 * IPv4 address is judged by that address: mapped ::ffff:0:0/96,
 * translated ::ffff:0:0:0/96, compatible ::/96, NAT64 64:ff9b::/96,
 * 6to4 2002::/16 (IPv4 in bits 16..47), Teredo 2001::/32 (client IPv4 =
 * last 32 bits XOR 0xffffffff).
 *
 * CIDR text is `addr/len`; a range with host bits set (`10.0.0.1/8`) is
 * refused rather than silently masked, because it is usually a typo for a
 * single address or a different range and the message says which range was
 * meant. Pure: no allocation, no I/O. */
#ifndef AIRLOCK_IPCLASS_H
#define AIRLOCK_IPCLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address in network byte order; IPv4 uses a[0..3], the rest zero. */
struct ipaddr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
};

struct cidr {
	struct ipaddr base; /* host bits are zero */
	unsigned plen;      /* 0..32 or 0..128 */
};

/* True for IPv4 addresses (host byte order) that are not public. */
bool ipclass_v4_nonpublic(uint32_t v4);
/* True when ip is not a public unicast address. */
bool ipclass_nonpublic(const struct ipaddr *ip);
/* The IPv4 addresses an IPv6 address ip stands for, written to
 * out[0..max) (at most IPCLASS_EMBEDDED_MAX are ever found); returns how
 * many. The forms above (mapped, translated, compatible but not :: or
 * ::1, NAT64 64:ff9b::/96, 6to4, Teredo client), plus the NAT64
 * local-use prefix 64:ff9b:1::/48 read at each RFC 6052 prefix length
 * that fits inside it (/48, /56, /64, /96: four candidates), since the
 * address alone does not say which length a network uses. 0 for IPv4
 * and for IPv6 addresses that embed nothing. */
#define IPCLASS_EMBEDDED_MAX 4
size_t ipclass_embedded_v4(const struct ipaddr *ip, uint32_t *out,
			   size_t max);
/* What kind of non-public address ip is, as a phrase for messages: "a
 * private address", "a loopback address", "a CGNAT address", "a
 * link-local address", "the cloud metadata address (link-local)",
 * "a multicast address"... An IPv6 form that embeds an IPv4 address is
 * described by that address. NULL for a public address. The string is
 * static. */
const char *ipclass_describe(const struct ipaddr *ip);
/* ip as text (inet_ntop) into out[0..n); "?" when it does not fit. */
void ipaddr_format(const struct ipaddr *ip, char *out, size_t n);
/* Converts a socket address; IPv4-mapped IPv6 becomes IPv4. -1 for other
 * families. */
int ipaddr_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out);
/* Strict parse of dotted-quad or IPv6 text (no scope id); IPv4-mapped IPv6
 * becomes IPv4. -1 when s[0..n) is not an address. */
int ipaddr_parse(const char *s, size_t n, struct ipaddr *out);
/* Parses `addr/len`. Returns 0, or -1 with a problem written to
 * why[0..whyn). */
int cidr_parse(const char *s, size_t n, struct cidr *out, char *why,
	       size_t whyn);
/* Zeroes the bits of ip after the first plen. */
void ipaddr_mask(struct ipaddr *ip, unsigned plen);
/* True when ip lies in c (families must match). */
bool cidr_contains(const struct cidr *c, const struct ipaddr *ip);

#endif
