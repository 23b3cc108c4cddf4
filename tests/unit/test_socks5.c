/* test_socks5.c — the SOCKS5 codec, message by message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net/socks5.h"

/* Each parser behind one signature, so prefixes can be checked in bulk. */
typedef int parse_fn(const char *p, size_t n);

static int
greeting(const char *p, size_t n)
{
	struct socks5_greeting g;
	return socks5_parse_greeting(p, n, &g);
}

static int
request(const char *p, size_t n)
{
	struct socks5_request r;
	return socks5_parse_request(p, n, &r);
}

static int
reply(const char *p, size_t n)
{
	struct socks5_reply r;
	return socks5_parse_reply(p, n, &r);
}

static int
udp(const char *p, size_t n)
{
	struct socks5_udp_header h;
	return socks5_parse_udp(p, n, &h);
}

static int
method_reply(const char *p, size_t n)
{
	unsigned char m;
	return socks5_parse_method_reply(p, n, &m);
}

static int
userpass_reply(const char *p, size_t n)
{
	unsigned char st;
	return socks5_parse_userpass_reply(p, n, &st);
}

/* Every strict prefix of a valid message is "need more", parsed from an
 * exactly-sized heap copy so ASan catches a read past n. */
static void
assert_prefixes_incomplete(parse_fn *fn, const char *msg, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++) {
		char *copy = malloc(k ? k : 1);

		assert_non_null(copy);
		memcpy(copy, msg, k);
		assert_int_equal(fn(copy, k), SOCKS5_INCOMPLETE);
		free(copy);
	}
	{
		char *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, msg, len);
		assert_int_equal(fn(copy, len), (int)len);
		free(copy);
	}
}

#define MSG(s) s, sizeof(s) - 1

/* --- greeting --------------------------------------------------------- */

static void
test_greeting_reports_noauth_offered(void **state)
{
	struct socks5_greeting g;
	(void)state;
	assert_int_equal(socks5_parse_greeting(MSG("\x05\x02\x02\x00"), &g), 4);
	assert_int_equal(g.nmethods, 2);
	assert_true(g.offers_noauth);
	assert_true(g.offers_userpass);
}

static void
test_greeting_without_noauth_is_parsed_but_not_offered(void **state)
{
	struct socks5_greeting g;
	(void)state;
	assert_int_equal(socks5_parse_greeting(MSG("\x05\x01\x02"), &g), 3);
	assert_false(g.offers_noauth);
}

static void
test_greeting_consumes_only_its_own_bytes(void **state)
{
	struct socks5_greeting g;
	(void)state;
	assert_int_equal(socks5_parse_greeting(MSG("\x05\x01\x00\x05\x01"), &g),
			 3);
}

static void
test_greeting_version_4_is_rejected_distinctly(void **state)
{
	(void)state;
	assert_int_equal(greeting(MSG("\x04\x01\x00")), SOCKS5_EVERSION);
	assert_int_equal(greeting(MSG("\x04")), SOCKS5_EVERSION);
}

static void
test_greeting_with_zero_methods_is_invalid(void **state)
{
	(void)state;
	assert_int_equal(greeting(MSG("\x05\x00")), SOCKS5_EINVAL);
}

static void
test_greeting_truncated_at_every_length_needs_more(void **state)
{
	char msg[257];
	int i;
	(void)state;
	msg[0] = 5;
	msg[1] = (char)255;
	for (i = 0; i < 255; i++)
		msg[2 + i] = (char)i;
	assert_prefixes_incomplete(greeting, msg, sizeof(msg));
	assert_prefixes_incomplete(greeting, MSG("\x05\x01\x00"));
}

static void
test_method_reply_encodes_noauth_and_refusal(void **state)
{
	char out[2];
	(void)state;
	assert_int_equal(socks5_encode_method_reply(0x00, out, 2), 2);
	assert_memory_equal(out, "\x05\x00", 2);
	assert_int_equal(socks5_encode_method_reply(0xff, out, 2), 2);
	assert_memory_equal(out, "\x05\xff", 2);
	assert_int_equal(socks5_encode_method_reply(0x00, out, 1), 0);
}

/* --- request ---------------------------------------------------------- */

static void
test_request_connect_ipv4(void **state)
{
	struct socks5_request r;
	(void)state;
	assert_int_equal(socks5_parse_request(
				 MSG("\x05\x01\x00\x01\x5d\xb8\xd8\x22\x01\xbb"), &r),
			 10);
	assert_int_equal(r.cmd, SOCKS5_CMD_CONNECT);
	assert_int_equal(r.dst.atyp, SOCKS5_ATYP_IPV4);
	assert_memory_equal(r.dst.ip, "\x5d\xb8\xd8\x22", 4);
	assert_int_equal(r.dst.port, 443);
}

static void
test_request_connect_domain_points_into_buffer(void **state)
{
	static const char msg[] = "\x05\x01\x00\x03\x0b" "example.com\x00\x50";
	struct socks5_request r;
	(void)state;
	assert_int_equal(socks5_parse_request(msg, sizeof(msg) - 1, &r), 18);
	assert_int_equal(r.dst.atyp, SOCKS5_ATYP_DOMAIN);
	assert_ptr_equal(r.dst.host.p, msg + 5);
	assert_true(slice_eq_cstr(r.dst.host, "example.com"));
	assert_int_equal(r.dst.port, 80);
}

static void
test_request_connect_ipv6(void **state)
{
	static const char msg[] = "\x05\x01\x00\x04"
				  "\x20\x01\x0d\xb8\x00\x00\x00\x00"
				  "\x00\x00\x00\x00\x00\x00\x00\x01"
				  "\x1f\x90";
	struct socks5_request r;
	(void)state;
	assert_int_equal(socks5_parse_request(msg, sizeof(msg) - 1, &r), 22);
	assert_int_equal(r.dst.atyp, SOCKS5_ATYP_IPV6);
	assert_memory_equal(r.dst.ip, msg + 4, 16);
	assert_int_equal(r.dst.port, 8080);
	assert_prefixes_incomplete(request, msg, sizeof(msg) - 1);
}

static void
test_request_bind_and_udp_associate_are_parsed(void **state)
{
	struct socks5_request r;
	(void)state;
	assert_int_equal(socks5_parse_request(
				 MSG("\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00"), &r),
			 10);
	assert_int_equal(r.cmd, SOCKS5_CMD_BIND);
	assert_int_equal(socks5_parse_request(
				 MSG("\x05\x03\x00\x01\x7f\x00\x00\x01\x30\x39"), &r),
			 10);
	assert_int_equal(r.cmd, SOCKS5_CMD_UDP_ASSOCIATE);
	assert_int_equal(r.dst.port, 12345);
}

static void
test_request_unknown_command_is_ecmd_at_second_byte(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x05\x04")), SOCKS5_ECMD);
	assert_int_equal(request(MSG("\x05\x00\x00\x01")), SOCKS5_ECMD);
	assert_int_equal(socks5_rep_for_error(SOCKS5_ECMD), 0x07);
}

static void
test_request_unknown_atyp_is_eatyp(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x05\x01\x00\x02")), SOCKS5_EATYP);
	assert_int_equal(request(MSG("\x05\x01\x00\x05\x00")), SOCKS5_EATYP);
	assert_int_equal(request(MSG("\x05\x01\x00\x00")), SOCKS5_EATYP);
	assert_int_equal(socks5_rep_for_error(SOCKS5_EATYP), 0x08);
	assert_int_equal(socks5_rep_for_error(SOCKS5_EINVAL), 0x01);
}

static void
test_request_wrong_version_is_eversion(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x04\x01\x00\x50\x7f\x00\x00\x01")),
			 SOCKS5_EVERSION);
}

static void
test_request_zero_length_domain_is_invalid(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x00\x00\x50")),
			 SOCKS5_EINVAL);
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x00")), SOCKS5_EINVAL);
}

static void
test_request_domain_with_nul_is_invalid_even_when_truncated(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x05" "ab\x00" "cd\x00\x50")),
			 SOCKS5_EINVAL);
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x05" "ab\x00")),
			 SOCKS5_EINVAL);
}

/* Issue 9 item 10: `good.test:443` as a domain with DST.PORT 25 would be
 * judged on one port and dialled on another; a domain is host-name
 * characters only. */
static void
test_request_domain_carrying_a_port_is_invalid(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x0d" "good.test:443"
				     "\x00\x19")),
			 SOCKS5_EINVAL);
	/* As soon as the colon has arrived. */
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x0d" "good.test:")),
			 SOCKS5_EINVAL);
	assert_int_equal(udp(MSG("\x00\x00\x00\x03\x0d" "good.test:443"
				 "\x00\x35" "payload")),
			 SOCKS5_EINVAL);
}

static void
test_request_domain_outside_host_grammar_is_invalid(void **state)
{
	static const char *const bad[] = {
		"[::1]", "a b", "a%62", "a/b", "a@b", "*.x", "a\\b", "a\xc3\xa9",
		"a\tb", "::1",
	};
	char msg[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = strlen(bad[i]);
		memcpy(msg, "\x05\x01\x00\x03", 4);
		msg[4] = (char)n;
		memcpy(msg + 5, bad[i], n);
		msg[5 + n] = 0;
		msg[6 + n] = 80;
		assert_int_equal(request(msg, n + 7), SOCKS5_EINVAL);
	}
	/* Case, digits, `-`, `_` and a trailing dot are fine. */
	assert_int_equal(request(MSG("\x05\x01\x00\x03\x0e" "A-b_c.Test-9.x."
				     "\x00\x50")),
			 21);
}

static void
test_encoders_refuse_a_domain_outside_host_grammar(void **state)
{
	struct socks5_addr a;
	char out[SOCKS5_REQUEST_MAX];

	(void)state;
	socks5_addr_domain(&a, "good.test:443", 13, 25);
	assert_int_equal(socks5_encode_request(SOCKS5_CMD_CONNECT, &a, out,
					       sizeof(out)),
			 0);
	socks5_addr_domain(&a, "good.test", 9, 25);
	assert_int_equal(socks5_encode_request(SOCKS5_CMD_CONNECT, &a, out,
					       sizeof(out)),
			 16);
}

static void
test_request_255_byte_domain_is_accepted(void **state)
{
	char msg[4 + 1 + 255 + 2];
	struct socks5_request r;
	(void)state;
	memcpy(msg, "\x05\x01\x00\x03\xff", 5);
	memset(msg + 5, 'a', 255);
	msg[260] = 0x01;
	msg[261] = (char)0xbb;
	assert_int_equal(sizeof(msg), SOCKS5_REQUEST_MAX);
	assert_int_equal(socks5_parse_request(msg, sizeof(msg), &r), 262);
	assert_int_equal(r.dst.host.n, 255);
	assert_int_equal(r.dst.port, 443);
	assert_prefixes_incomplete(request, msg, sizeof(msg));
}

static void
test_request_truncated_at_every_length_needs_more(void **state)
{
	(void)state;
	assert_prefixes_incomplete(
		request, MSG("\x05\x01\x00\x03\x0b" "example.com\x01\xbb"));
	assert_prefixes_incomplete(
		request, MSG("\x05\x01\x00\x01\x0a\x00\x00\x01\x00\x16"));
}

static void
test_request_ignores_reserved_byte(void **state)
{
	(void)state;
	assert_int_equal(request(MSG("\x05\x01\x7f\x01\x01\x02\x03\x04\x00\x50")),
			 10);
}

/* --- reply ------------------------------------------------------------ */

static void
test_reply_with_null_bnd_is_zero_address(void **state)
{
	char out[32];
	(void)state;
	assert_int_equal(socks5_encode_reply(SOCKS5_REP_NOT_ALLOWED, NULL, out,
					     sizeof(out)),
			 10);
	assert_memory_equal(out, "\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", 10);
}

static void
test_reply_every_code_round_trips(void **state)
{
	static const unsigned char ip4[4] = {127, 0, 0, 1};
	struct socks5_addr bnd;
	struct socks5_reply r;
	char out[32];
	unsigned rep;
	(void)state;
	socks5_addr_ip(&bnd, SOCKS5_ATYP_IPV4, ip4, 40000);
	for (rep = 0; rep <= 8; rep++) {
		size_t n = socks5_encode_reply((unsigned char)rep, &bnd, out,
					       sizeof(out));
		assert_int_equal(n, 10);
		assert_int_equal(socks5_parse_reply(out, n, &r), 10);
		assert_int_equal(r.rep, rep);
		assert_memory_equal(r.bnd.ip, ip4, 4);
		assert_int_equal(r.bnd.port, 40000);
		assert_prefixes_incomplete(reply, out, n);
	}
}

static void
test_reply_ipv6_bnd(void **state)
{
	static const unsigned char ip6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 1};
	struct socks5_addr bnd;
	struct socks5_reply r;
	char out[32];
	(void)state;
	socks5_addr_ip(&bnd, SOCKS5_ATYP_IPV6, ip6, 1080);
	assert_int_equal(socks5_encode_reply(0, &bnd, out, sizeof(out)), 22);
	assert_int_equal((unsigned char)out[3], SOCKS5_ATYP_IPV6);
	assert_int_equal(socks5_parse_reply(out, 22, &r), 22);
	assert_memory_equal(r.bnd.ip, ip6, 16);
	assert_int_equal(r.bnd.port, 1080);
	assert_int_equal(socks5_encode_reply(0, &bnd, out, 21), 0);
}

static void
test_reply_encoder_refuses_bad_address(void **state)
{
	struct socks5_addr bnd;
	char out[300];
	char big[256];
	(void)state;
	memset(&bnd, 0, sizeof(bnd));
	bnd.atyp = 2;
	assert_int_equal(socks5_encode_reply(0, &bnd, out, sizeof(out)), 0);
	socks5_addr_domain(&bnd, "", 0, 1);
	assert_int_equal(socks5_encode_reply(0, &bnd, out, sizeof(out)), 0);
	memset(big, 'a', sizeof(big));
	socks5_addr_domain(&bnd, big, 256, 1);
	assert_int_equal(socks5_encode_reply(0, &bnd, out, sizeof(out)), 0);
	assert_int_equal(socks5_encode_reply(0, NULL, out, 2), 0);
}

static void
test_reply_parser_rejects_bad_version_and_atyp(void **state)
{
	(void)state;
	assert_int_equal(reply(MSG("\x00\x5a")), SOCKS5_EVERSION);
	assert_int_equal(reply(MSG("\x05\x00\x00\x07")), SOCKS5_EATYP);
}

/* --- UDP header ------------------------------------------------------- */

static void
test_udp_header_gives_payload_slice(void **state)
{
	static const char msg[] = "\x00\x00\x00\x01\x08\x08\x08\x08\x00\x35"
				  "query";
	struct socks5_udp_header h;
	(void)state;
	assert_int_equal(socks5_parse_udp(msg, sizeof(msg) - 1, &h), 10);
	assert_int_equal(h.frag, 0);
	assert_int_equal(h.dst.port, 53);
	assert_ptr_equal(h.data.p, msg + 10);
	assert_int_equal(h.data.n, 5);
}

static void
test_udp_fragment_is_reported(void **state)
{
	struct socks5_udp_header h;
	(void)state;
	assert_int_equal(socks5_parse_udp(
				 MSG("\x00\x00\x02\x03\x01x\x00\x35" "data"), &h), 8);
	assert_int_equal(h.frag, 2);
	assert_true(slice_eq_cstr(h.dst.host, "x"));
	assert_true(slice_eq_cstr(h.data, "data"));
}

static void
test_udp_header_truncated_and_bad_atyp(void **state)
{
	(void)state;
	assert_prefixes_incomplete(udp, MSG("\x00\x00\x00\x03\x03" "abc\x00\x35"));
	assert_int_equal(udp(MSG("\x00\x00\x00\x09")), SOCKS5_EATYP);
	assert_int_equal(udp(MSG("\x00\x00\x00\x03\x00")), SOCKS5_EINVAL);
}

static void
test_udp_header_encode_round_trips(void **state)
{
	static const unsigned char ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
					      0, 0, 0, 0, 0, 0, 0, 2};
	struct socks5_addr a;
	struct socks5_udp_header h;
	char out[SOCKS5_UDP_HEADER_MAX];
	size_t n;
	(void)state;
	socks5_addr_ip(&a, SOCKS5_ATYP_IPV6, ip6, 5353);
	n = socks5_encode_udp_header(&a, out, sizeof(out));
	assert_int_equal(n, 22);
	assert_memory_equal(out, "\x00\x00\x00\x04", 4);
	assert_int_equal(socks5_parse_udp(out, n, &h), 22);
	assert_memory_equal(h.dst.ip, ip6, 16);
	assert_int_equal(h.dst.port, 5353);
	assert_int_equal(h.data.n, 0);
	socks5_addr_domain(&a, "example.com", 11, 53);
	assert_int_equal(socks5_encode_udp_header(&a, out, sizeof(out)), 18);
	assert_int_equal(socks5_encode_udp_header(&a, out, 17), 0);
}

/* --- client side ------------------------------------------------------ */

static void
test_client_greeting_encodes_methods(void **state)
{
	static const unsigned char m[] = {0x00, 0x02};
	char out[8];
	(void)state;
	assert_int_equal(socks5_encode_greeting(m, 2, out, sizeof(out)), 4);
	assert_memory_equal(out, "\x05\x02\x00\x02", 4);
	assert_int_equal(socks5_encode_greeting(m, 0, out, sizeof(out)), 0);
	assert_int_equal(socks5_encode_greeting(m, 2, out, 3), 0);
}

static void
test_client_method_reply_parse(void **state)
{
	unsigned char m = 0;
	(void)state;
	assert_int_equal(socks5_parse_method_reply(MSG("\x05\x02"), &m), 2);
	assert_int_equal(m, 2);
	assert_int_equal(socks5_parse_method_reply(MSG("\x05\xff"), &m), 2);
	assert_int_equal(m, 0xff);
	assert_int_equal(method_reply(MSG("\x04\x00")), SOCKS5_EVERSION);
	assert_prefixes_incomplete(method_reply, MSG("\x05\x00"));
}

static void
test_client_userpass_encodes_rfc1929(void **state)
{
	char out[SOCKS5_USERPASS_MAX];
	char big[256];
	(void)state;
	assert_int_equal(socks5_encode_userpass("user", 4, "pw", 2, out,
						sizeof(out)),
			 9);
	assert_memory_equal(out, "\x01\x04user\x02pw", 9);
	assert_int_equal(socks5_encode_userpass("u", 1, NULL, 0, out,
						sizeof(out)),
			 4);
	assert_memory_equal(out, "\x01\x01u\x00", 4);
	assert_int_equal(socks5_encode_userpass("", 0, "pw", 2, out,
						sizeof(out)),
			 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(socks5_encode_userpass(big, 256, "p", 1, out,
						sizeof(out)),
			 0);
	assert_int_equal(socks5_encode_userpass("u", 1, big, 256, out,
						sizeof(out)),
			 0);
	assert_int_equal(socks5_encode_userpass(big, 255, big, 255, out,
						sizeof(out)),
			 SOCKS5_USERPASS_MAX);
	assert_int_equal(socks5_encode_userpass("user", 4, "pw", 2, out, 8), 0);
}

static void
test_client_userpass_reply_parse(void **state)
{
	unsigned char st = 9;
	(void)state;
	assert_int_equal(socks5_parse_userpass_reply(MSG("\x01\x00"), &st), 2);
	assert_int_equal(st, 0);
	assert_int_equal(socks5_parse_userpass_reply(MSG("\x01\x01"), &st), 2);
	assert_int_equal(st, 1);
	assert_int_equal(socks5_parse_userpass_reply(MSG("\x05\x00"), &st), 2);
	assert_int_equal(userpass_reply(MSG("\x02\x00")), SOCKS5_EVERSION);
	assert_prefixes_incomplete(userpass_reply, MSG("\x01\x00"));
}

static void
test_client_request_round_trips_through_server_parser(void **state)
{
	struct socks5_addr a;
	struct socks5_request r;
	char out[SOCKS5_REQUEST_MAX];
	size_t n;
	(void)state;
	socks5_addr_domain(&a, "pypi.org", 8, 443);
	n = socks5_encode_request(SOCKS5_CMD_CONNECT, &a, out, sizeof(out));
	assert_int_equal(n, 15);
	assert_int_equal(socks5_parse_request(out, n, &r), 15);
	assert_int_equal(r.cmd, SOCKS5_CMD_CONNECT);
	assert_true(slice_eq_cstr(r.dst.host, "pypi.org"));
	assert_int_equal(r.dst.port, 443);
	assert_int_equal(socks5_encode_request(1, &a, out, 14), 0);
	assert_int_equal(socks5_encode_request(1, &a, out, 2), 0);
}

static void
test_addr_from_sockaddr_v4_v6_and_other(void **state)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr sa;
	struct socks5_addr a;
	(void)state;
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(40000);
	in4.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(socks5_addr_from_sockaddr(&a, (struct sockaddr *)&in4),
			 0);
	assert_int_equal(a.atyp, SOCKS5_ATYP_IPV4);
	assert_memory_equal(a.ip, "\x7f\x00\x00\x01", 4);
	assert_int_equal(a.port, 40000);
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(443);
	in6.sin6_addr.s6_addr[15] = 1;
	assert_int_equal(socks5_addr_from_sockaddr(&a, (struct sockaddr *)&in6),
			 0);
	assert_int_equal(a.atyp, SOCKS5_ATYP_IPV6);
	assert_int_equal(a.ip[15], 1);
	assert_int_equal(a.port, 443);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	assert_int_equal(socks5_addr_from_sockaddr(&a, &sa), -1);
}

/* --- reply codes ------------------------------------------------------ */

static void
test_errno_maps_to_reference_reply_codes(void **state)
{
	(void)state;
	assert_int_equal(socks5_rep_from_errno(ECONNREFUSED), 0x05);
	assert_int_equal(socks5_rep_from_errno(ENETUNREACH), 0x03);
	assert_int_equal(socks5_rep_from_errno(EHOSTUNREACH), 0x04);
	assert_int_equal(socks5_rep_from_errno(ETIMEDOUT), 0x06);
	assert_int_equal(socks5_rep_from_errno(EACCES), 0x02);
	assert_int_equal(socks5_rep_from_errno(-ECONNREFUSED), 0x05);
	assert_int_equal(socks5_rep_from_errno(EIO), 0x01);
	assert_int_equal(socks5_rep_from_errno(0), 0x01);
}

static void
test_rep_str_names_codes(void **state)
{
	(void)state;
	assert_string_equal(socks5_rep_str(0x05), "connection refused");
	assert_string_equal(socks5_rep_str(0x02),
			    "connection not allowed by ruleset");
	assert_string_equal(socks5_rep_str(0x09), "unknown reply code");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_reports_noauth_offered),
		cmocka_unit_test(test_greeting_without_noauth_is_parsed_but_not_offered),
		cmocka_unit_test(test_greeting_consumes_only_its_own_bytes),
		cmocka_unit_test(test_greeting_version_4_is_rejected_distinctly),
		cmocka_unit_test(test_greeting_with_zero_methods_is_invalid),
		cmocka_unit_test(test_greeting_truncated_at_every_length_needs_more),
		cmocka_unit_test(test_method_reply_encodes_noauth_and_refusal),
		cmocka_unit_test(test_request_connect_ipv4),
		cmocka_unit_test(test_request_connect_domain_points_into_buffer),
		cmocka_unit_test(test_request_connect_ipv6),
		cmocka_unit_test(test_request_bind_and_udp_associate_are_parsed),
		cmocka_unit_test(test_request_unknown_command_is_ecmd_at_second_byte),
		cmocka_unit_test(test_request_unknown_atyp_is_eatyp),
		cmocka_unit_test(test_request_wrong_version_is_eversion),
		cmocka_unit_test(test_request_zero_length_domain_is_invalid),
		cmocka_unit_test(test_request_domain_with_nul_is_invalid_even_when_truncated),
		cmocka_unit_test(test_request_domain_carrying_a_port_is_invalid),
		cmocka_unit_test(test_request_domain_outside_host_grammar_is_invalid),
		cmocka_unit_test(test_encoders_refuse_a_domain_outside_host_grammar),
		cmocka_unit_test(test_request_255_byte_domain_is_accepted),
		cmocka_unit_test(test_request_truncated_at_every_length_needs_more),
		cmocka_unit_test(test_request_ignores_reserved_byte),
		cmocka_unit_test(test_reply_with_null_bnd_is_zero_address),
		cmocka_unit_test(test_reply_every_code_round_trips),
		cmocka_unit_test(test_reply_ipv6_bnd),
		cmocka_unit_test(test_reply_encoder_refuses_bad_address),
		cmocka_unit_test(test_reply_parser_rejects_bad_version_and_atyp),
		cmocka_unit_test(test_udp_header_gives_payload_slice),
		cmocka_unit_test(test_udp_fragment_is_reported),
		cmocka_unit_test(test_udp_header_truncated_and_bad_atyp),
		cmocka_unit_test(test_udp_header_encode_round_trips),
		cmocka_unit_test(test_client_greeting_encodes_methods),
		cmocka_unit_test(test_client_method_reply_parse),
		cmocka_unit_test(test_client_userpass_encodes_rfc1929),
		cmocka_unit_test(test_client_userpass_reply_parse),
		cmocka_unit_test(test_client_request_round_trips_through_server_parser),
		cmocka_unit_test(test_addr_from_sockaddr_v4_v6_and_other),
		cmocka_unit_test(test_errno_maps_to_reference_reply_codes),
		cmocka_unit_test(test_rep_str_names_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
