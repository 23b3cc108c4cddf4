/* test_dns.c — the stub resolver's message codec. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "net/dns.h"

/* Builds a query for the dotted name (no escapes) into b; returns its
 * length. edns: 0 none, 1 an OPT record version 0, 2 version 1. */
static size_t
query(unsigned char *b, uint16_t id, const char *name, uint16_t type,
      int edns)
{
	size_t n = 12, i = 0;

	memset(b, 0, 12);
	b[0] = (unsigned char)(id >> 8);
	b[1] = (unsigned char)id;
	b[2] = 0x01; /* RD */
	b[5] = 1;    /* QDCOUNT */
	b[11] = edns ? 1 : 0;
	while (name[i] != '\0') {
		size_t l = strcspn(name + i, ".");

		b[n++] = (unsigned char)l;
		memcpy(b + n, name + i, l);
		n += l;
		i += l;
		if (name[i] == '.')
			i++;
	}
	b[n++] = 0;
	b[n++] = (unsigned char)(type >> 8);
	b[n++] = (unsigned char)type;
	b[n++] = 0;
	b[n++] = DNS_CLASS_IN;
	if (edns) {
		static const unsigned char opt[] = {0, 0, 41, 0x04, 0xd0, 0,
						    0, 0, 0, 0, 0};
		memcpy(b + n, opt, sizeof(opt));
		b[n + 6] = (unsigned char)(edns - 1);
		n += sizeof(opt);
	}
	return n;
}

static int
parse(const unsigned char *b, size_t n, struct dns_query *q)
{
	return dns_parse_query((const char *)b, n, q);
}

static void
test_a_query_is_parsed_with_lower_case_text(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 0x1234, "WWW.Example.COM", DNS_TYPE_A, 0);

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	assert_int_equal(q.id, 0x1234);
	assert_true(q.rd);
	assert_true(q.has_question);
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_true(q.name_is_host);
	assert_string_equal(q.name, "www.example.com");
	assert_int_equal(q.name_len, 15);
	assert_false(q.edns);
	/* The question keeps the bytes as sent, case included. */
	assert_int_equal(q.question.n, n - 12);
	assert_memory_equal(q.question.p, b + 12, n - 12);
}

static void
test_short_datagram_and_responses_are_dropped(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 1, "a.test", DNS_TYPE_A, 0);
	size_t i;

	(void)state;
	for (i = 0; i < 12; i++)
		assert_int_equal(parse(b, i, &q), DNS_DROP);
	b[2] |= 0x80; /* QR: a response */
	assert_int_equal(parse(b, n, &q), DNS_DROP);
}

static void
test_truncated_query_is_formerr_with_id(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 0xbeef, "a.example.test", DNS_TYPE_A, 0);
	size_t i;

	(void)state;
	for (i = 12; i < n; i++) {
		assert_int_equal(parse(b, i, &q), DNS_FORMERR);
		assert_int_equal(q.id, 0xbeef);
	}
}

static void
test_trailing_bytes_are_formerr(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 1, "a.test", DNS_TYPE_A, 0);

	(void)state;
	b[n] = 0;
	assert_int_equal(parse(b, n + 1, &q), DNS_FORMERR);
}

static void
test_opcode_other_than_query_is_notimp(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 7, "a.test", DNS_TYPE_A, 0);

	(void)state;
	b[2] = (unsigned char)(b[2] | 4 << 3); /* NOTIFY */
	assert_int_equal(parse(b, n, &q), DNS_NOTIMP);
	assert_int_equal(q.opcode, 4);
	assert_int_equal(q.id, 7);
	assert_false(q.has_question);
}

static void
test_counts_other_than_one_question_are_formerr(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 1, "a.test", DNS_TYPE_A, 0);

	(void)state;
	b[5] = 0;
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	b[5] = 2;
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	b[5] = 1;
	b[7] = 1; /* ANCOUNT */
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	b[7] = 0;
	b[9] = 1; /* NSCOUNT */
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	b[9] = 0;
	b[11] = 2; /* ARCOUNT */
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
}

static void
test_compression_pointer_in_question_is_formerr(void **state)
{
	unsigned char b[64] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			       1, 'a', 0xc0, 12, 0, 1, 0, 1};
	struct dns_query q;

	(void)state;
	assert_int_equal(parse(b, 20, &q), DNS_FORMERR);
	b[14] = 0x40; /* extended label type */
	assert_int_equal(parse(b, 20, &q), DNS_FORMERR);
	b[14] = 0x80;
	assert_int_equal(parse(b, 20, &q), DNS_FORMERR);
}

static void
test_name_limits_63_per_label_255_on_the_wire(void **state)
{
	unsigned char b[600];
	char name[400];
	struct dns_query q;
	size_t n;

	(void)state;
	memset(name, 'a', 63);
	name[63] = '\0';
	n = query(b, 1, name, DNS_TYPE_A, 0);
	assert_int_equal(parse(b, n, &q), (int)n);
	memset(name, 'a', 64);
	name[64] = '\0';
	n = query(b, 1, name, DNS_TYPE_A, 0);
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	/* 4 labels of 63 (+ length bytes) and a root: 4*64 + 1 = 257. */
	memset(name, 'b', 63);
	memset(name + 64, 'b', 63);
	memset(name + 128, 'b', 63);
	memset(name + 192, 'b', 61);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	n = query(b, 1, name, DNS_TYPE_A, 0);
	assert_int_equal(parse(b, n, &q), (int)n); /* 255 wire bytes */
	assert_int_equal(q.name_len, 253);
	name[253] = 'b';
	name[254] = '\0';
	n = query(b, 1, name, DNS_TYPE_A, 0);
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
}

static void
test_root_name_has_empty_text(void **state)
{
	unsigned char b[64];
	struct dns_query q;
	size_t n = query(b, 1, "", DNS_TYPE_NS, 0);

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	assert_true(q.name_is_host);
	assert_int_equal(q.name_len, 0);
	assert_string_equal(q.name, "");
}

static void
test_label_with_dot_or_odd_byte_has_no_text(void **state)
{
	/* One label "a.b": as text it would alias the two-label a.b. */
	unsigned char b[64] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			       3, 'a', '.', 'b', 0, 0, 1, 0, 1};
	struct dns_query q;

	(void)state;
	assert_int_equal(parse(b, 21, &q), 21);
	assert_false(q.name_is_host);
	assert_int_equal(q.name_len, 0);
	b[14] = 0;
	assert_int_equal(parse(b, 21, &q), 21);
	assert_false(q.name_is_host);
	b[14] = 0xc3;
	assert_int_equal(parse(b, 21, &q), 21);
	assert_false(q.name_is_host);
	b[14] = '_';
	assert_int_equal(parse(b, 21, &q), 21);
	assert_true(q.name_is_host);
	assert_string_equal(q.name, "a_b");
}

static void
test_edns_opt_is_tolerated_and_echoed(void **state)
{
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_NXDOMAIN, NULL, NULL, 0};
	size_t n = query(b, 9, "x.test", DNS_TYPE_A, 1), len;

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	assert_true(q.edns);
	len = dns_build_reply(&q, &r, out, sizeof(out));
	assert_int_equal(len, 12 + q.question.n + 11);
	assert_int_equal((unsigned char)out[11], 1); /* ARCOUNT */
	assert_int_equal((unsigned char)out[len - 11 + 2], 41);
	assert_int_equal((unsigned char)out[len - 11 + 3], 0x04); /* 1232 */
	assert_int_equal((unsigned char)out[len - 11 + 4], 0xd0);
}

static void
test_edns_options_are_walked_and_must_fit(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 9, "x.test", DNS_TYPE_A, 1);

	(void)state;
	/* A COOKIE option of 8 bytes, as dig sends. */
	b[n - 1] = 12;
	memcpy(b + n, "\x00\x0a\x00\x08" "abcdefgh", 12);
	assert_int_equal(parse(b, n + 12, &q), (int)n + 12);
	b[n + 3] = 9; /* option longer than the record */
	assert_int_equal(parse(b, n + 12, &q), DNS_FORMERR);
	b[n - 1] = 13; /* record longer than the message */
	assert_int_equal(parse(b, n + 12, &q), DNS_FORMERR);
}

static void
test_additional_record_other_than_opt_is_formerr(void **state)
{
	unsigned char b[512];
	struct dns_query q;
	size_t n = query(b, 9, "x.test", DNS_TYPE_A, 1);

	(void)state;
	b[n - 9] = 250; /* TSIG */
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	b[n - 9] = 41;
	b[n - 11] = 1; /* owner not the root */
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
}

static void
test_edns_version_1_is_badvers_in_the_opt_record(void **state)
{
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_BADVERS, NULL, NULL, 0};
	size_t n = query(b, 9, "x.test", DNS_TYPE_A, 2), len;

	(void)state;
	assert_int_equal(parse(b, n, &q), DNS_BADVERS);
	assert_true(q.edns);
	len = dns_build_reply(&q, &r, out, sizeof(out));
	assert_true(len > 11);
	assert_int_equal(out[3] & 0x0f, 0);       /* lower bits: 16 & 15 */
	assert_int_equal(out[len - 11 + 5], 1);   /* upper bits: 16 >> 4 */
	assert_int_equal(out[len - 11 + 6], 0);   /* our version */
}

static void
test_badvers_without_edns_degrades_to_formerr(void **state)
{
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_BADVERS, NULL, NULL, 0};
	char out[DNS_REPLY_MAX];

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(dns_build_reply(&q, &r, out, sizeof(out)), 12);
	assert_int_equal(out[3] & 0x0f, DNS_RCODE_FORMERR);
}

static void
test_a_reply_has_header_question_and_one_record(void **state)
{
	static const unsigned char ip[4] = {198, 18, 0, 1};
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_NOERROR, ip, NULL, 10};
	size_t n = query(b, 0xabcd, "Allowed.Test", DNS_TYPE_A, 0), len;
	const unsigned char *o = (const unsigned char *)out, *a;

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	len = dns_build_reply(&q, &r, out, sizeof(out));
	assert_int_equal(len, n + 16);
	assert_int_equal(o[0], 0xab);
	assert_int_equal(o[1], 0xcd);
	assert_int_equal(o[2], 0x81); /* QR, QUERY, RD */
	assert_int_equal(o[3], 0x80); /* RA, NOERROR */
	assert_int_equal(o[5], 1);    /* QDCOUNT */
	assert_int_equal(o[7], 1);    /* ANCOUNT */
	assert_int_equal(o[9], 0);
	assert_int_equal(o[11], 0);
	assert_memory_equal(o + 12, b + 12, n - 12); /* case kept */
	a = o + n;
	assert_int_equal(a[0], 0xc0);
	assert_int_equal(a[1], 12);
	assert_int_equal(a[3], DNS_TYPE_A);
	assert_int_equal(a[5], DNS_CLASS_IN);
	assert_int_equal(a[9], 10); /* TTL */
	assert_int_equal(a[11], 4);
	assert_memory_equal(a + 12, ip, 4);
}

static void
test_aaaa_reply_carries_16_bytes(void **state)
{
	static const unsigned char ip6[16] = {[15] = 1};
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_NOERROR, NULL, ip6, 10};
	size_t n = query(b, 1, "localhost", DNS_TYPE_AAAA, 0);

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	assert_int_equal(dns_build_reply(&q, &r, out, sizeof(out)), n + 28);
	assert_int_equal((unsigned char)out[n + 3], DNS_TYPE_AAAA);
	assert_memory_equal(out + n + 12, ip6, 16);
}

static void
test_nodata_and_nxdomain_have_no_answer(void **state)
{
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_NOERROR, NULL, NULL, 10};
	size_t n = query(b, 1, "a.test", DNS_TYPE_AAAA, 0);

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	assert_int_equal(dns_build_reply(&q, &r, out, sizeof(out)), n);
	assert_int_equal(out[7], 0);
	assert_int_equal(out[3] & 0x0f, DNS_RCODE_NOERROR);
	r.rcode = DNS_RCODE_NXDOMAIN;
	assert_int_equal(dns_build_reply(&q, &r, out, sizeof(out)), n);
	assert_int_equal(out[3] & 0x0f, DNS_RCODE_NXDOMAIN);
}

static void
test_formerr_reply_without_question_is_a_bare_header(void **state)
{
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_FORMERR, NULL, NULL, 0};
	size_t n = query(b, 0x4242, "a.test", DNS_TYPE_A, 0);

	(void)state;
	b[5] = 2;
	assert_int_equal(parse(b, n, &q), DNS_FORMERR);
	assert_int_equal(dns_build_reply(&q, &r, out, sizeof(out)), 12);
	assert_int_equal((unsigned char)out[0], 0x42);
	assert_int_equal(out[5], 0);
	assert_int_equal(out[3] & 0x0f, DNS_RCODE_FORMERR);
}

static void
test_reply_refuses_a_small_buffer(void **state)
{
	static const unsigned char ip[4] = {198, 18, 0, 1};
	unsigned char b[512];
	char out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_NOERROR, ip, NULL, 10};
	size_t n = query(b, 1, "a.test", DNS_TYPE_A, 1);
	size_t full;

	(void)state;
	assert_int_equal(parse(b, n, &q), (int)n);
	full = dns_build_reply(&q, &r, out, sizeof(out));
	assert_int_equal(full, n + 16);
	assert_int_equal(dns_build_reply(&q, &r, out, full - 1), 0);
	assert_int_equal(dns_build_reply(&q, &r, out, full), full);
}

static void
test_longest_reply_fits_reply_max(void **state)
{
	static const unsigned char ip6[16] = {1};
	unsigned char b[600];
	char name[300], out[DNS_REPLY_MAX];
	struct dns_query q;
	struct dns_reply r = {DNS_RCODE_NOERROR, NULL, ip6, 10};
	size_t n;

	(void)state;
	memset(name, 'c', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	n = query(b, 1, name, DNS_TYPE_AAAA, 1);
	assert_int_equal(parse(b, n, &q), (int)n);
	assert_true(dns_build_reply(&q, &r, out, sizeof(out)) > 0);
	assert_true(DNS_REPLY_MAX <= 512);
}

static void
test_type_names(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(dns_type_str(DNS_TYPE_A, buf, sizeof(buf)), "A");
	assert_string_equal(dns_type_str(DNS_TYPE_AAAA, buf, sizeof(buf)),
			    "AAAA");
	assert_string_equal(dns_type_str(DNS_TYPE_HTTPS, buf, sizeof(buf)),
			    "HTTPS");
	assert_string_equal(dns_type_str(99, buf, sizeof(buf)), "TYPE99");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_query_is_parsed_with_lower_case_text),
		cmocka_unit_test(test_short_datagram_and_responses_are_dropped),
		cmocka_unit_test(test_truncated_query_is_formerr_with_id),
		cmocka_unit_test(test_trailing_bytes_are_formerr),
		cmocka_unit_test(test_opcode_other_than_query_is_notimp),
		cmocka_unit_test(test_counts_other_than_one_question_are_formerr),
		cmocka_unit_test(test_compression_pointer_in_question_is_formerr),
		cmocka_unit_test(test_name_limits_63_per_label_255_on_the_wire),
		cmocka_unit_test(test_root_name_has_empty_text),
		cmocka_unit_test(test_label_with_dot_or_odd_byte_has_no_text),
		cmocka_unit_test(test_edns_opt_is_tolerated_and_echoed),
		cmocka_unit_test(test_edns_options_are_walked_and_must_fit),
		cmocka_unit_test(test_additional_record_other_than_opt_is_formerr),
		cmocka_unit_test(test_edns_version_1_is_badvers_in_the_opt_record),
		cmocka_unit_test(test_badvers_without_edns_degrades_to_formerr),
		cmocka_unit_test(test_a_reply_has_header_question_and_one_record),
		cmocka_unit_test(test_aaaa_reply_carries_16_bytes),
		cmocka_unit_test(test_nodata_and_nxdomain_have_no_answer),
		cmocka_unit_test(test_formerr_reply_without_question_is_a_bare_header),
		cmocka_unit_test(test_reply_refuses_a_small_buffer),
		cmocka_unit_test(test_longest_reply_fits_reply_max),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
