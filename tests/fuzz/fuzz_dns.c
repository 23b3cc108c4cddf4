/* fuzz_dns.c — the stub resolver's query parser, and every reply built
 * from what it parsed: a parse never claims bytes it was not given, the
 * text name is consistent with the host-name alphabet, and a reply always
 * fits DNS_REPLY_MAX, echoes the question byte for byte and is itself not
 * something the parser would answer (QR set). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_query(const char *p, size_t n, const struct dns_query *q)
{
	size_t i;

	if (q->name_len > DNS_NAME_MAX || strlen(q->name) != q->name_len)
		abort();
	for (i = 0; q->name_is_host && i < q->name_len; i++) {
		char c = q->name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			abort();
	}
	if (q->has_question &&
	    (q->question.p != p + DNS_HEADER_LEN ||
	     q->question.n > n - DNS_HEADER_LEN))
		abort();
}

static void
check_reply(const struct dns_query *q, uint8_t rcode, const unsigned char *a,
	    const unsigned char *aaaa)
{
	struct dns_reply r = {rcode, a, aaaa, 30};
	struct dns_query again;
	char out[DNS_REPLY_MAX];
	size_t len = dns_build_reply(q, &r, out, sizeof(out));

	if (len < DNS_HEADER_LEN || len > sizeof(out))
		abort();
	if (q->has_question &&
	    memcmp(out + DNS_HEADER_LEN, q->question.p, q->question.n) != 0)
		abort();
	if (dns_parse_query(out, len, &again) != DNS_DROP)
		abort();
	/* Too small a buffer is refused, never overrun. */
	if (dns_build_reply(q, &r, out, len - 1) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char v4[4] = {198, 18, 0, 1};
	static const unsigned char v6[16] = {[15] = 1};
	const char *p = (const char *)data;
	struct dns_query q;
	int rc = dns_parse_query(p, size, &q);

	if (rc > 0 && (size_t)rc != size)
		abort();
	if (rc == DNS_DROP)
		return 0;
	check_query(p, size, &q);
	check_reply(&q, DNS_RCODE_NOERROR, v4, NULL);
	check_reply(&q, DNS_RCODE_NOERROR, NULL, v6);
	check_reply(&q, DNS_RCODE_NXDOMAIN, NULL, NULL);
	check_reply(&q, DNS_RCODE_BADVERS, NULL, NULL);
	return 0;
}
