/* test_ipclass.c — non-public classifier and CIDR (policy/ipclass.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "policy/ipclass.h"

static bool
nonpublic(const char *s)
{
	struct ipaddr ip;

	if (ipaddr_parse(s, strlen(s), &ip) == -1)
		fail_msg("cannot parse %s", s);
	return ipclass_nonpublic(&ip);
}

static void
expect_local(const char *const *v)
{
	for (; *v != NULL; v++)
		if (!nonpublic(*v))
			fail_msg("%s should be non-public", *v);
}

static void
expect_public(const char *const *v)
{
	for (; *v != NULL; v++)
		if (nonpublic(*v))
			fail_msg("%s should be public", *v);
}

static void
test_ipclass_reference_nonpublic_cases(void **state)
{
	static const char *const local[] = {
		"127.0.0.1", "10.0.0.1", "192.168.0.1", "100.64.0.1",
		"192.0.0.1", "192.0.2.1", "198.18.0.1", "198.51.100.1",
		"203.0.113.1", "240.0.0.1", "0.1.2.3", "::ffff:127.0.0.1",
		"::ffff:10.0.0.1", "::1", "fe80::1", "fc00::1", NULL};
	static const char *const pub[] = {"8.8.8.8", "::ffff:8.8.8.8", NULL};

	(void)state;
	expect_local(local);
	expect_public(pub);
}

static void
test_ipclass_ipv4_smokescreen_list(void **state)
{
	static const char *const local[] = {
		"0.0.0.0", "172.16.0.1", "172.31.255.255", "169.254.169.254",
		"224.0.0.1", "239.255.255.250", "255.255.255.255",
		"198.19.255.255", "100.127.255.255", NULL};
	static const char *const pub[] = {
		"1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1",
		"198.20.0.1", "192.0.3.1", "223.255.255.255", "11.0.0.1", NULL};

	(void)state;
	expect_local(local);
	expect_public(pub);
}

static void
test_ipclass_ipv6_ranges(void **state)
{
	static const char *const local[] = {
		"::", "fd12:3456::1", "febf::1", "fec0::1", "ff02::1",
		"2001:db8::1", "64:ff9b:1::1", NULL};
	static const char *const pub[] = {
		"2606:4700:4700::1111", "2a00:1450::1", "2001:4860::8888",
		NULL};

	(void)state;
	expect_local(local);
	expect_public(pub);
}

static void
test_ipclass_embedded_ipv4_is_judged_by_the_ipv4(void **state)
{
	static const char *const local[] = {
		"::127.0.0.1",            /* compatible */
		"::10.0.0.1",             /* compatible */
		"64:ff9b::7f00:1",        /* NAT64 of 127.0.0.1 */
		"64:ff9b::a9fe:a9fe",     /* NAT64 of 169.254.169.254 */
		"2002:7f00:1::1",         /* 6to4 of 127.0.0.1 */
		"2002:c0a8:101::",        /* 6to4 of 192.168.1.1 */
		"2001:0:4136:e378:8000:63bf:80ff:fffe", /* Teredo 127.0.0.1 */
		"2001::f5ff:fffe",        /* Teredo client 10.0.0.1 */
		"::ffff:0:a00:1",         /* SIIT translated 10.0.0.1 */
		NULL};
	static const char *const pub[] = {
		"::8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
		"2001::f7f7:f7f7", NULL};

	(void)state;
	expect_local(local);
	expect_public(pub);
}

static void
test_ipclass_sockaddr_unmaps_ipv4_mapped(void **state)
{
	struct sockaddr_in6 s6;
	struct ipaddr ip;

	(void)state;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6.sin6_addr);
	assert_int_equal(ipaddr_from_sockaddr((struct sockaddr *)&s6, &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_true(ipclass_nonpublic(&ip));
}

static void
test_cidr_parses_and_contains(void **state)
{
	struct cidr c;
	struct ipaddr ip;
	char why[128];

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", 10, &c, why, sizeof(why)), 0);
	assert_int_equal(c.plen, 8);
	ipaddr_parse("10.200.1.1", 10, &ip);
	assert_true(cidr_contains(&c, &ip));
	ipaddr_parse("11.0.0.1", 8, &ip);
	assert_false(cidr_contains(&c, &ip));
	assert_int_equal(cidr_parse("fd00::/8", 8, &c, why, sizeof(why)), 0);
	ipaddr_parse("fd12::1", 7, &ip);
	assert_true(cidr_contains(&c, &ip));
	ipaddr_parse("10.0.0.1", 8, &ip);
	assert_false(cidr_contains(&c, &ip));
	assert_int_equal(cidr_parse("0.0.0.0/0", 9, &c, why, sizeof(why)), 0);
	assert_true(cidr_contains(&c, &ip));
}

static void
test_cidr_refuses_host_bits_bad_lengths_and_garbage(void **state)
{
	static const char *const bad[] = {
		"10.0.0.1/8", "10.0.0.0/33", "fd00::/129", "10.0.0.0/",
		"10.0.0.0/-1", "10.0.0.0/08", "10.0.0/8", "example.com/8",
		"/8", "10.0.0.0/8/8", NULL};
	struct cidr c;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (cidr_parse(bad[i], strlen(bad[i]), &c, why, sizeof(why)) !=
		    -1)
			fail_msg("%s should be refused", bad[i]);
	cidr_parse("10.0.0.1/8", 10, &c, why, sizeof(why));
	assert_non_null(strstr(why, "did you mean 10.0.0.0/8?"));
}

/* Issue 9 item 11: the IPv4 addresses a deny entry must see behind IPv6. */
static size_t
embedded(const char *s, uint32_t *out)
{
	struct ipaddr ip;

	if (ipaddr_parse(s, strlen(s), &ip) == -1)
		fail_msg("cannot parse %s", s);
	return ipclass_embedded_v4(&ip, out, IPCLASS_EMBEDDED_MAX);
}

static void
test_ipclass_embedded_v4_of_each_ipv6_form(void **state)
{
	static const struct {
		const char *v6;
		uint32_t v4;
	} v[] = {
		{"64:ff9b::9.9.9.9", 0x09090909u},       /* NAT64 well-known */
		{"64:ff9b::909:909", 0x09090909u},
		{"::9.9.9.9", 0x09090909u},              /* compatible */
		{"::ffff:0:909:909", 0x09090909u},       /* translated */
		{"2002:909:909::1", 0x09090909u},        /* 6to4 */
		{"2001:0:4136:e378:8000:63bf:f6f6:f6f6", 0x09090909u}, /* Teredo */
	};
	uint32_t out[IPCLASS_EMBEDDED_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (embedded(v[i].v6, out) != 1 || out[0] != v[i].v4)
			fail_msg("%s should embed %08x", v[i].v6, v[i].v4);
	}
}

static void
test_ipclass_embedded_v4_local_use_nat64_reads_every_length(void **state)
{
	uint32_t out[IPCLASS_EMBEDDED_MAX];
	size_t i, n;
	int hit48 = 0, hit96 = 0, hit64 = 0, hit56 = 0;

	(void)state;
	/* 9.9.9.9 at /96, /64 (bytes 9..12), /56 (7, 9..11), /48 (6,7,9,10) */
	n = embedded("64:ff9b:1::9.9.9.9", out);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		hit96 |= out[i] == 0x09090909u;
	n = embedded("64:ff9b:1:0:9:909:900::", out);
	for (i = 0; i < n; i++)
		hit64 |= out[i] == 0x09090909u;
	n = embedded("64:ff9b:1:9:9:909::", out);
	for (i = 0; i < n; i++)
		hit56 |= out[i] == 0x09090909u;
	n = embedded("64:ff9b:1:909:9:900::", out);
	for (i = 0; i < n; i++)
		hit48 |= out[i] == 0x09090909u;
	assert_true(hit96 && hit64 && hit56 && hit48);
}

static void
test_ipclass_embedded_v4_none_for_plain_addresses(void **state)
{
	uint32_t out[IPCLASS_EMBEDDED_MAX];

	(void)state;
	assert_int_equal(embedded("::1", out), 0);
	assert_int_equal(embedded("::", out), 0);
	assert_int_equal(embedded("2606:4700::1111", out), 0);
	assert_int_equal(embedded("9.9.9.9", out), 0);
	assert_int_equal(embedded("fe80::1", out), 0);
}

static const char *
describe(const char *text)
{
	struct ipaddr ip;

	assert_int_equal(ipaddr_parse(text, strlen(text), &ip), 0);
	return ipclass_describe(&ip);
}

static void
test_ipclass_describe_names_each_kind_and_nothing_public(void **state)
{
	static const struct {
		const char *ip, *what;
	} cases[] = {
		{"10.1.2.3", "a private address"},
		{"172.16.0.1", "a private address"},
		{"192.168.1.1", "a private address"},
		{"127.0.0.1", "a loopback address"},
		{"::1", "a loopback address"},
		{"100.64.0.1", "a CGNAT address"},
		{"169.254.1.1", "a link-local address"},
		{"169.254.169.254", "the cloud metadata address (link-local)"},
		{"fe80::1", "a link-local address"},
		{"fd00::1", "a unique local (private) address"},
		{"0.0.0.0", "an unspecified (\"this network\") address"},
		{"::", "the unspecified address"},
		{"224.0.0.1", "a multicast address"},
		{"ff02::1", "a multicast address"},
		{"255.255.255.255", "the broadcast address"},
		{"240.0.0.1", "a reserved address"},
		{"192.0.2.1", "a documentation (TEST-NET) address"},
		{"2001:db8::1", "a documentation address"},
		{"198.18.0.1", "a benchmarking address"},
		{"64:ff9b::a01:203", "a private address"}, /* NAT64 of 10.1.2.3 */
		{"2002:7f00:1::", "a loopback address"},  /* 6to4 of 127.0.0.1 */
		{"64:ff9b:1::1", "a NAT64 local-use address"},
		{"fec0::1", "a site-local address"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(describe(cases[i].ip), cases[i].what);
	assert_null(describe("8.8.8.8"));
	assert_null(describe("2606:4700::1111"));
}

static void
test_ipaddr_format_writes_the_text(void **state)
{
	struct ipaddr ip;
	char out[48];

	(void)state;
	assert_int_equal(ipaddr_parse("fd00::1", 7, &ip), 0);
	ipaddr_format(&ip, out, sizeof(out));
	assert_string_equal(out, "fd00::1");
	assert_int_equal(ipaddr_parse("::ffff:10.0.0.1", 15, &ip), 0);
	ipaddr_format(&ip, out, sizeof(out));
	assert_string_equal(out, "10.0.0.1");
	ipaddr_format(&ip, out, 4);
	assert_string_equal(out, "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipclass_reference_nonpublic_cases),
		cmocka_unit_test(test_ipclass_ipv4_smokescreen_list),
		cmocka_unit_test(test_ipclass_ipv6_ranges),
		cmocka_unit_test(test_ipclass_embedded_ipv4_is_judged_by_the_ipv4),
		cmocka_unit_test(test_ipclass_embedded_v4_of_each_ipv6_form),
		cmocka_unit_test(test_ipclass_embedded_v4_local_use_nat64_reads_every_length),
		cmocka_unit_test(test_ipclass_embedded_v4_none_for_plain_addresses),
		cmocka_unit_test(test_ipclass_sockaddr_unmaps_ipv4_mapped),
		cmocka_unit_test(
			test_ipclass_describe_names_each_kind_and_nothing_public),
		cmocka_unit_test(test_ipaddr_format_writes_the_text),
		cmocka_unit_test(test_cidr_parses_and_contains),
		cmocka_unit_test(test_cidr_refuses_host_bits_bad_lengths_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
