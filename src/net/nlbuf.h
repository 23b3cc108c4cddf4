/* nlbuf.h — netlink messages written into a caller's fixed buffer.
 *
 * For messages prepared in one process and sent by another that may not
 * allocate (the sandbox's first process between clone and exec): the
 * buffer is the caller's, nothing here allocates, and a message that does
 * not fit sets the overflow flag instead of writing past the end (every
 * later call then does nothing). Attributes are 4-byte aligned, nests
 * carry NLA_F_NESTED, lengths are filled in by nlbuf_end / nlbuf_nest_end.
 * Pure: no I/O. */
#ifndef AIRLOCK_NLBUF_H
#define AIRLOCK_NLBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NLBUF_NEST_MAX 8

struct nlbuf {
	char *p;
	size_t cap, len;
	size_t msg;			 /* offset of the open message */
	size_t nest[NLBUF_NEST_MAX];	 /* offsets of the open nests */
	int depth;
	bool overflow;
	uint32_t seq;
};

void nlbuf_init(struct nlbuf *b, char *p, size_t cap);
/* Opens a message (struct nlmsghdr) followed by hdr[0..n) (the family
 * header: struct nfgenmsg, struct rtmsg, ...). */
void nlbuf_begin(struct nlbuf *b, uint16_t type, uint16_t flags,
		 const void *hdr, size_t n);
void nlbuf_end(struct nlbuf *b);
void nlbuf_put(struct nlbuf *b, uint16_t type, const void *p, size_t n);
void nlbuf_put_str(struct nlbuf *b, uint16_t type, const char *s);
/* A 32-bit value in network byte order (nf_tables' NLA_U32). */
void nlbuf_put_be32(struct nlbuf *b, uint16_t type, uint32_t v);
void nlbuf_put_u32(struct nlbuf *b, uint16_t type, uint32_t v);
void nlbuf_nest_begin(struct nlbuf *b, uint16_t type);
void nlbuf_nest_end(struct nlbuf *b);
/* True when everything fit and every nest and message was closed. */
bool nlbuf_ok(const struct nlbuf *b);

#endif
