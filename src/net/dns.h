/* dns.h — the DNS messages the sandbox's stub resolver reads and writes
 * (RFC 1035, with EDNS from RFC 6891).
 *
 * Pure: no I/O, no allocation, no logging. The stub only ever answers
 * standard queries with exactly one question, from what it knows itself;
 * so the parser is strict about everything a stub resolver sends and
 * refuses the rest:
 *   - QR must be 0 (a response is never answered: DNS_DROP), the opcode
 *     QUERY (DNS_NOTIMP otherwise), QDCOUNT 1, ANCOUNT and NSCOUNT 0;
 *   - the question name is plain labels (1..63 bytes) ending in the root
 *     label, at most 255 bytes on the wire: a compression pointer or an
 *     extended label type in the question is DNS_FORMERR;
 *   - the additional section is empty or one EDNS OPT record (owner the
 *     root, options well formed); its version must be 0 (DNS_BADVERS);
 *   - nothing may follow the last record.
 * DNS_FORMERR, DNS_NOTIMP and DNS_BADVERS still fill id, opcode and rd
 * (and for DNS_BADVERS the question), so the caller can answer with that
 * rcode; DNS_DROP means no answer at all (shorter than a header, or not a
 * query).
 *
 * The name is also given as text for the policy: labels joined by dots,
 * lower-cased, no trailing dot (the root is ""). That is only done when
 * every byte of every label is a letter, digit, `-` or `_`
 * (name_is_host); any other byte (a dot or NUL inside a label, a space,
 * non-ASCII) could make the text name a different host than the wire
 * name, so such a name has no text and is never looked up.
 *
 * Replies echo the question's wire bytes (so a client's 0x20 case
 * randomisation comes back intact) and point the answer's owner at them
 * with one compression pointer. Every reply fits in DNS_REPLY_MAX bytes,
 * below the 512 bytes a UDP reply may always have: the TC bit is never
 * set and no client needs to retry over TCP. */
#ifndef AIRLOCK_DNS_H
#define AIRLOCK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/slice.h"

enum {
	DNS_DROP = -1,    /* not a query (or not even a header): no reply */
	DNS_FORMERR = -2, /* malformed: reply FORMERR */
	DNS_NOTIMP = -3,  /* opcode other than QUERY: reply NOTIMP */
	DNS_BADVERS = -4, /* EDNS version other than 0: reply BADVERS */
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_SVCB = 64,
	DNS_TYPE_HTTPS = 65,
	DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN 1

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16, /* extended: needs the query's OPT record */
};

#define DNS_HEADER_LEN 12
#define DNS_WIRE_NAME_MAX 255 /* a name on the wire, length bytes included */
#define DNS_NAME_MAX 253      /* the same name as dotted text */
#define DNS_EDNS_PAYLOAD 1232 /* the UDP payload size our OPT offers */
/* Header + question (name, type, class) + one AAAA record + OPT. */
#define DNS_REPLY_MAX (DNS_HEADER_LEN + DNS_WIRE_NAME_MAX + 4 + 28 + 11)

struct dns_query {
	uint16_t id;
	uint8_t opcode;
	bool rd;                  /* recursion desired: echoed */
	bool has_question;        /* the fields below were parsed */
	struct slice question;    /* QNAME QTYPE QCLASS, in the caller's bytes */
	uint16_t qtype, qclass;
	bool name_is_host;        /* name holds the text form */
	char name[DNS_NAME_MAX + 1];
	size_t name_len;
	bool edns;                /* the query carried an OPT record */
	uint8_t edns_version;
};

/* Parses the query datagram p[0..n). Returns n when it is a well-formed
 * standard query, or one of the negative codes above. */
int dns_parse_query(const char *p, size_t n, struct dns_query *q);

struct dns_reply {
	uint8_t rcode;              /* enum dns_rcode */
	const unsigned char *a;     /* one A record (4 bytes), or NULL */
	const unsigned char *aaaa;  /* one AAAA record (16 bytes), or NULL */
	uint32_t ttl;               /* of that record */
};

/* Writes the reply to q into out[0..cap): the header (id, opcode and RD
 * echoed, QR and RA set), the question when q has one, at most one answer
 * record, and an OPT record when the query had one (which carries the
 * upper bits of an extended rcode; without it BADVERS cannot be sent and
 * is written as FORMERR). Returns the length, or 0 when cap is too small
 * (DNS_REPLY_MAX always suffices). */
size_t dns_build_reply(const struct dns_query *q, const struct dns_reply *r,
		       char *out, size_t cap);

/* "A", "AAAA", "HTTPS", ... or "TYPE<n>" for the others, into buf (at
 * least 12 bytes); returns buf. */
const char *dns_type_str(uint16_t type, char *buf, size_t cap);

#endif
