/* nlbuf.c — see nlbuf.h. */
#include "net/nlbuf.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <string.h>

void
nlbuf_init(struct nlbuf *b, char *p, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->p = p;
	b->cap = cap;
}

/* Room for n more bytes (aligned), zeroed; NULL on overflow. */
static char *
grow(struct nlbuf *b, size_t n)
{
	size_t a = NLMSG_ALIGN(n);
	char *at;

	if (b->overflow || a > b->cap - b->len) {
		b->overflow = true;
		return NULL;
	}
	at = b->p + b->len;
	memset(at, 0, a);
	b->len += a;
	return at;
}

void
nlbuf_begin(struct nlbuf *b, uint16_t type, uint16_t flags, const void *hdr,
	    size_t n)
{
	struct nlmsghdr *h;
	size_t at = b->len;
	char *q;

	h = (struct nlmsghdr *)grow(b, sizeof(*h));
	q = grow(b, n);
	if (h == NULL || q == NULL)
		return;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = ++b->seq;
	memcpy(q, hdr, n);
	b->msg = at;
}

void
nlbuf_end(struct nlbuf *b)
{
	struct nlmsghdr h;

	if (b->overflow)
		return;
	memcpy(&h, b->p + b->msg, sizeof(h));
	h.nlmsg_len = (uint32_t)(b->len - b->msg);
	memcpy(b->p + b->msg, &h, sizeof(h));
}

void
nlbuf_put(struct nlbuf *b, uint16_t type, const void *p, size_t n)
{
	struct nlattr a;
	char *q = grow(b, NLA_HDRLEN + n);

	if (q == NULL)
		return;
	a.nla_len = (uint16_t)(NLA_HDRLEN + n);
	a.nla_type = type;
	memcpy(q, &a, sizeof(a));
	if (n > 0)
		memcpy(q + NLA_HDRLEN, p, n);
}

void
nlbuf_put_str(struct nlbuf *b, uint16_t type, const char *s)
{
	nlbuf_put(b, type, s, strlen(s) + 1);
}

void
nlbuf_put_be32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	v = htonl(v);
	nlbuf_put(b, type, &v, sizeof(v));
}

void
nlbuf_put_u32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	nlbuf_put(b, type, &v, sizeof(v));
}

void
nlbuf_nest_begin(struct nlbuf *b, uint16_t type)
{
	size_t at = b->len;

	if (b->depth >= NLBUF_NEST_MAX) {
		b->overflow = true;
		return;
	}
	nlbuf_put(b, type | NLA_F_NESTED, NULL, 0);
	b->nest[b->depth++] = at;
}

void
nlbuf_nest_end(struct nlbuf *b)
{
	struct nlattr a;
	size_t at;

	if (b->depth == 0) {
		b->overflow = true;
		return;
	}
	at = b->nest[--b->depth];
	if (b->overflow)
		return;
	memcpy(&a, b->p + at, sizeof(a));
	a.nla_len = (uint16_t)(b->len - at);
	memcpy(b->p + at, &a, sizeof(a));
}

bool
nlbuf_ok(const struct nlbuf *b)
{
	return !b->overflow && b->depth == 0;
}
