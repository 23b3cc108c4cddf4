/* socks5.h — SOCKS5 (RFC 1928) and username/password (RFC 1929) codec.
 *
 * Pure: no I/O, no allocation, no logging. Parsers take the bytes received
 * so far, p[0..n), and return the number of bytes the message occupies
 * (> 0), SOCKS5_INCOMPLETE (0) when p holds a valid prefix of a message and
 * more bytes are needed, or one of the negative SOCKS5_E* codes. They never
 * read past p[n-1]. A domain name in a parsed address is a slice into the
 * caller's buffer, valid as long as that buffer is; IP addresses are copied
 * in network byte order. Encoders write into a caller buffer of cap bytes
 * and return the number of bytes written, or 0 when the buffer is too
 * small or the input cannot be encoded (nothing useful is left in out).
 *
 * Server side (the proxy's own listener): socks5_parse_greeting,
 * socks5_encode_method_reply, socks5_parse_request, socks5_encode_reply,
 * socks5_parse_udp / socks5_encode_udp_header (UDP ASSOCIATE relay).
 * Client side (chaining to an upstream SOCKS5 server):
 * socks5_encode_greeting, socks5_parse_method_reply, socks5_encode_userpass,
 * socks5_parse_userpass_reply, socks5_encode_request, socks5_parse_reply.
 *
 * Leniency, written down: the RSV bytes of requests, replies and UDP
 * headers are ignored (RFC 1928 says zero but some clients send garbage); the RFC 1929 reply
 * version may be 0x01 or 0x05 (servers in the wild send both). A domain
 * must be 1..255 bytes of host-name characters (letters, digits, `-`, `_`,
 * `.`), checked as soon as its bytes arrive: no NUL, so a later C-string
 * copy cannot judge one name and dial another, and no `:`, so a domain
 * like `good.example:443` cannot carry a port of its own past the policy
 * while DST.PORT says another. Encoders refuse the same domains. */
#ifndef AIRLOCK_SOCKS5_H
#define AIRLOCK_SOCKS5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/slice.h"

enum {
	SOCKS5_INCOMPLETE = 0,
	SOCKS5_EINVAL = -1,	/* malformed (e.g. zero-length domain) */
	SOCKS5_EVERSION = -2,	/* version byte is not 5 (or 1 for RFC 1929) */
	SOCKS5_ECMD = -3,	/* unknown command: reply 0x07 */
	SOCKS5_EATYP = -4,	/* unknown address type: reply 0x08 */
};

#define SOCKS5_VERSION 0x05
#define SOCKS5_USERPASS_VERSION 0x01

enum socks5_method {
	SOCKS5_METHOD_NOAUTH = 0x00,
	SOCKS5_METHOD_GSSAPI = 0x01,
	SOCKS5_METHOD_USERPASS = 0x02,
	SOCKS5_METHOD_NONE_ACCEPTABLE = 0xff,
};

enum socks5_cmd {
	SOCKS5_CMD_CONNECT = 0x01,
	SOCKS5_CMD_BIND = 0x02,
	SOCKS5_CMD_UDP_ASSOCIATE = 0x03,
};

enum socks5_atyp {
	SOCKS5_ATYP_IPV4 = 0x01,
	SOCKS5_ATYP_DOMAIN = 0x03,
	SOCKS5_ATYP_IPV6 = 0x04,
};

enum socks5_rep {
	SOCKS5_REP_SUCCEEDED = 0x00,
	SOCKS5_REP_GENERAL_FAILURE = 0x01,
	SOCKS5_REP_NOT_ALLOWED = 0x02,	/* connection not allowed by ruleset */
	SOCKS5_REP_NET_UNREACHABLE = 0x03,
	SOCKS5_REP_HOST_UNREACHABLE = 0x04,
	SOCKS5_REP_CONN_REFUSED = 0x05,
	SOCKS5_REP_TTL_EXPIRED = 0x06,
	SOCKS5_REP_CMD_NOT_SUPPORTED = 0x07,
	SOCKS5_REP_ATYP_NOT_SUPPORTED = 0x08,
};

/* Longest messages, for sizing buffers: VER NMETHODS METHODS[255];
 * VER CMD RSV ATYP LEN DOMAIN[255] PORT; RSV[2] FRAG ATYP LEN DOMAIN PORT;
 * VER ULEN UNAME[255] PLEN PASSWD[255]. */
#define SOCKS5_GREETING_MAX 257
#define SOCKS5_REQUEST_MAX 262
#define SOCKS5_UDP_HEADER_MAX 262
#define SOCKS5_USERPASS_MAX 513

/* A destination or bound address. For SOCKS5_ATYP_DOMAIN, host points into
 * the parsed buffer (or, for encoders, at the caller's bytes) and ip is
 * unused; for IPv4 the first 4 bytes of ip are used, for IPv6 all 16. */
struct socks5_addr {
	unsigned char atyp;
	unsigned char ip[16];
	struct slice host;
	uint16_t port;
};

struct socks5_greeting {
	unsigned nmethods;
	bool offers_noauth;	/* 0x00 is among the methods */
	bool offers_userpass;	/* 0x02 is among the methods */
};

struct socks5_request {
	unsigned char cmd;	/* a SOCKS5_CMD_* value */
	struct socks5_addr dst;
};

struct socks5_reply {
	unsigned char rep;	/* a SOCKS5_REP_* value (or any byte a server sent) */
	struct socks5_addr bnd;
};

struct socks5_udp_header {
	unsigned char frag;	/* non-zero: a fragment; relays drop these */
	struct socks5_addr dst;
	struct slice data;	/* the payload after the header, to p[n) */
};

/* Server: parses the client's greeting. SOCKS5_EVERSION when the first
 * byte is not 5; nmethods == 0 is SOCKS5_EINVAL. */
int socks5_parse_greeting(const char *p, size_t n, struct socks5_greeting *out);
/* Server: VER METHOD (METHOD is 0x00 or 0xff in airlock). Writes 2 bytes. */
size_t socks5_encode_method_reply(unsigned char method, char *out, size_t cap);
/* Server: parses a request. An unknown CMD is SOCKS5_ECMD and an unknown
 * ATYP SOCKS5_EATYP, each reported as soon as its byte has arrived, so the
 * caller can answer with socks5_rep_for_error(). */
int socks5_parse_request(const char *p, size_t n, struct socks5_request *out);
/* Server: VER REP RSV ATYP BND.ADDR BND.PORT. bnd NULL means 0.0.0.0:0. */
size_t socks5_encode_reply(unsigned char rep, const struct socks5_addr *bnd,
			   char *out, size_t cap);
/* The REP to send for a negative socks5_parse_request() result:
 * SOCKS5_ECMD → 0x07, SOCKS5_EATYP → 0x08, anything else → 0x01. */
unsigned char socks5_rep_for_error(int rc);

/* UDP relay: parses the header of one datagram p[0..n). Returns the header
 * length (> 0) with out->data set to the rest of the datagram; a datagram
 * shorter than its header is SOCKS5_INCOMPLETE, which for UDP means
 * "drop it". FRAG is reported, not judged. */
int socks5_parse_udp(const char *p, size_t n, struct socks5_udp_header *out);
/* UDP relay: writes RSV RSV FRAG=0 ATYP DST.ADDR DST.PORT; the caller
 * appends the payload. */
size_t socks5_encode_udp_header(const struct socks5_addr *dst, char *out,
				size_t cap);

/* Client: VER NMETHODS METHODS; nmethods must be 1..255. */
size_t socks5_encode_greeting(const unsigned char *methods, size_t nmethods,
			      char *out, size_t cap);
/* Client: parses VER METHOD into *method. */
int socks5_parse_method_reply(const char *p, size_t n, unsigned char *method);
/* Client: RFC 1929 VER ULEN UNAME PLEN PASSWD. ulen must be 1..255 and
 * plen 0..255 (an empty password is sent as PLEN 0). */
size_t socks5_encode_userpass(const char *user, size_t ulen, const char *pass,
			      size_t plen, char *out, size_t cap);
/* Client: parses the RFC 1929 VER STATUS reply; *status 0 means success. */
int socks5_parse_userpass_reply(const char *p, size_t n, unsigned char *status);
/* Client: VER CMD RSV ATYP DST.ADDR DST.PORT. */
size_t socks5_encode_request(unsigned char cmd, const struct socks5_addr *dst,
			     char *out, size_t cap);
/* Client: parses the server's reply (same layout as the server's encoder).
 * An unknown ATYP is SOCKS5_EATYP. */
int socks5_parse_reply(const char *p, size_t n, struct socks5_reply *out);

/* The REP for a failed outbound connect, from an errno value or a negative
 * libuv code (UV_E* are -errno on Linux): ECONNREFUSED → 0x05,
 * ENETUNREACH/ENETDOWN → 0x03, EHOSTUNREACH/EHOSTDOWN → 0x04, ETIMEDOUT →
 * 0x06 (reference §9: a connect timeout is "TTL expired"), EACCES/EPERM →
 * 0x02 (permission denied is a ruleset refusal), else 0x01. */
unsigned char socks5_rep_from_errno(int err);
/* A short lower-case text for a REP code ("connection refused"). */
const char *socks5_rep_str(unsigned char rep);

/* Fills an address from parts, for encoders: a domain (not copied) or an
 * IPv4 (4 bytes) / IPv6 (16 bytes) in network order. */
void socks5_addr_domain(struct socks5_addr *a, const char *host, size_t n,
			uint16_t port);
void socks5_addr_ip(struct socks5_addr *a, unsigned char atyp,
		    const unsigned char *ip, uint16_t port);
/* Fills an address from an AF_INET or AF_INET6 socket address (e.g. the
 * upstream socket's local address for a success reply); -1 for any other
 * family. */
int socks5_addr_from_sockaddr(struct socks5_addr *a, const struct sockaddr *sa);

#endif
