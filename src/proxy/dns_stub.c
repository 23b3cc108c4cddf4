/* dns_stub.c — the sandbox's stub resolver. See dns_stub.h. */
#include "proxy/dns_stub.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/dns.h"
#include "net/listen.h"
#include "net/synth.h"
#include "proxy/approval.h"
#include "proxy/proxy_int.h"

/* Queries from stub resolvers are small (glibc's stay under 512 bytes);
 * anything longer than this arrives truncated and is dropped. */
#define DNS_STUB_RECV_MAX 1500

struct dns_stub {
	uv_udp_t udp;
	struct proxy *p; /* NULL once closing */
	char in[DNS_STUB_RECV_MAX];
	bool in_use;     /* in[] handed to libuv and not yet returned */
	bool full_logged;
};

/* --- one query ---------------------------------------------------------- */

static bool
has_suffix(const char *name, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (n == k - 1 && memcmp(name, suffix + 1, n) == 0)
		return true; /* the suffix's own name, without its dot */
	return n > k && memcmp(name + n - k, suffix, k) == 0;
}

/* The loopback answer for localhost and its subdomains (RFC 6761 6.3). */
static void
answer_localhost(const struct dns_query *q, struct dns_reply *r)
{
	static const unsigned char lo4[4] = {127, 0, 0, 1};
	static const unsigned char lo6[16] = {[15] = 1};

	r->rcode = DNS_RCODE_NOERROR;
	r->ttl = DNS_STUB_TTL;
	if (q->qtype == DNS_TYPE_A)
		r->a = lo4;
	else if (q->qtype == DNS_TYPE_AAAA)
		r->aaaa = lo6;
}

static void
record(struct dns_stub *s, struct policy_decision *d, const char *type,
       const char *client)
{
	d->method = type;
	proxy_record(s->p, d, client, NULL);
}

/* A name the policy would ask about while no one can be asked: refused
 * as the miss it is, saying why no one was asked (a proxy without a
 * broker says nothing, as before approvals existed). */
static void
record_not_asked(struct dns_stub *s, struct policy_decision *d,
		 const char *type, const char *client)
{
	struct proxy_approval_note n = {"not_asked", NULL, 0};

	d->verdict = POLICY_VERDICT_DENY;
	d->method = type;
	if (s->p->approvals == NULL) {
		proxy_record(s->p, d, client, NULL);
		return;
	}
	n.answered_by = approval_no_asker_why(s->p->approvals);
	proxy_record_noted(s->p, d, client, NULL, &n);
}

/* A synthetic A record for an allowed name; SERVFAIL when the map is
 * full. */
static void
answer_allowed(struct dns_stub *s, const struct dns_query *q,
	       struct dns_reply *r, unsigned char a[4])
{
	uint32_t addr;

	r->rcode = DNS_RCODE_NOERROR;
	if (q->qtype != DNS_TYPE_A)
		return;
	addr = synth_assign(s->p->synth, q->name, q->name_len);
	if (addr == 0) {
		r->rcode = DNS_RCODE_SERVFAIL;
		if (!s->full_logged)
			log_warn("dns: %d names handed out, the most one run "
				 "may have; new names get SERVFAIL",
				 SYNTH_MAX);
		s->full_logged = true;
		return;
	}
	addr = htonl(addr);
	memcpy(a, &addr, 4);
	r->a = a;
	r->ttl = DNS_STUB_TTL;
}

/* The policy's part: names a request could be made to. */
static void
answer_name(struct dns_stub *s, const struct dns_query *q,
	    struct dns_reply *r, unsigned char a[4], const char *client)
{
	const struct proxy_state *st = s->p->state;
	struct policy_decision d;
	char type[16];

	dns_type_str(q->qtype, type, sizeof(type));
	r->rcode = DNS_RCODE_NXDOMAIN;
	if (!st->enabled) {
		proxy_record_disabled(s->p, q->name, 0, "dns", type, client);
		return;
	}
	policy_resolvable(st->policy, q->name, &d);
	if (d.verdict == POLICY_VERDICT_ASK &&
	    !approval_can_ask(s->p->approvals)) {
		record_not_asked(s, &d, type, client);
		return;
	}
	record(s, &d, type, client);
	/* A name the proxy would ask about resolves: the connection that
	 * follows is what a person is asked about. */
	if (policy_allowed(&d) || d.verdict == POLICY_VERDICT_ASK)
		answer_allowed(s, q, r, a);
}

static void
answer(struct dns_stub *s, const struct dns_query *q, struct dns_reply *r,
       unsigned char a[4], const char *client)
{
	if (!q->name_is_host)
		r->rcode = DNS_RCODE_NXDOMAIN;
	else if (q->qclass != DNS_CLASS_IN || q->name_len == 0)
		r->rcode = DNS_RCODE_REFUSED;
	else if (has_suffix(q->name, q->name_len, ".localhost"))
		answer_localhost(q, r);
	else if (has_suffix(q->name, q->name_len, ".arpa") ||
		 has_suffix(q->name, q->name_len, ".invalid"))
		r->rcode = DNS_RCODE_NXDOMAIN;
	else
		answer_name(s, q, r, a, client);
}

static void
serve_one(struct dns_stub *s, const char *p, size_t n,
	  const struct sockaddr *from)
{
	struct dns_query q;
	struct dns_reply r = {0};
	unsigned char a[4];
	char out[DNS_REPLY_MAX], client[64];
	uv_buf_t b;
	size_t len;

	switch (dns_parse_query(p, n, &q)) {
	case DNS_DROP:
		return;
	case DNS_FORMERR:
		r.rcode = DNS_RCODE_FORMERR;
		break;
	case DNS_NOTIMP:
		r.rcode = DNS_RCODE_NOTIMP;
		break;
	case DNS_BADVERS:
		r.rcode = DNS_RCODE_BADVERS;
		break;
	default:
		listen_addr_str(from, client, sizeof(client));
		answer(s, &q, &r, a, client);
		break;
	}
	len = dns_build_reply(&q, &r, out, sizeof(out));
	if (len == 0)
		return;
	b = uv_buf_init(out, (unsigned)len);
	/* A reply that cannot go out at once is dropped; the client's own
	 * retry asks again. */
	(void)uv_udp_try_send(&s->udp, &b, 1, from);
}

/* --- the socket --------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct dns_stub *s = h->data;

	(void)hint;
	if (s->in_use) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	s->in_use = true;
	*b = uv_buf_init(s->in, sizeof(s->in));
}

static void
on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
	unsigned flags)
{
	struct dns_stub *s = h->data;

	if (b->base == s->in)
		s->in_use = false;
	if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL) ||
	    s->p == NULL)
		return;
	serve_one(s, b->base, (size_t)n, from);
}

struct dns_stub *
dns_stub_new(struct proxy *p, int fd, struct errbuf *err)
{
	struct dns_stub *s = xcalloc(1, sizeof(*s));
	int rc;

	s->p = p;
	s->udp.data = s;
	rc = uv_udp_init(p->loop, &s->udp);
	if (rc != 0) {
		errbuf_add(err, "dns stub: %s", uv_strerror(rc));
		close(fd);
		free(s);
		return NULL;
	}
	rc = uv_udp_open(&s->udp, fd);
	if (rc != 0)
		close(fd); /* the handle only owns fd once opened */
	else
		rc = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
	if (rc != 0) {
		errbuf_add(err, "dns stub: %s", uv_strerror(rc));
		dns_stub_close(s);
		return NULL;
	}
	return s;
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

void
dns_stub_close(struct dns_stub *s)
{
	if (s == NULL)
		return;
	s->p = NULL;
	uv_close((uv_handle_t *)&s->udp, on_closed);
}
