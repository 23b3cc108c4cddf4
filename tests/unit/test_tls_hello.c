/* test_tls_hello.c — the ClientHello reader (net/tls_hello.h), on hellos
 * OpenSSL really sends and on hand-made ones for the malformed cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "net/tls_hello.h"

/* --- inputs -------------------------------------------------------------- */

struct bytes {
	unsigned char p[8192];
	size_t n;
};

/* The first flight of an OpenSSL client: one ClientHello record. */
static void
openssl_hello(const char *sni, struct bytes *out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;

	assert_non_null(ssl);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	if (sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(ssl, sni), 1);
	assert_true(SSL_do_handshake(ssl) <= 0); /* waits for the server */
	n = BIO_read(wb, out->p, sizeof(out->p));
	assert_true(n > 0);
	out->n = (size_t)n;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

/* Cuts the handshake bytes of a one-record hello into records of at most
 * size bytes. */
static void
refragment(const struct bytes *in, size_t size, struct bytes *out)
{
	const unsigned char *body = in->p + 5;
	size_t len = in->n - 5, off = 0, k;

	out->n = 0;
	while (off < len) {
		k = len - off < size ? len - off : size;
		assert_true(out->n + 5 + k <= sizeof(out->p));
		memcpy(out->p + out->n, in->p, 3);
		out->p[out->n + 3] = (unsigned char)(k >> 8);
		out->p[out->n + 4] = (unsigned char)k;
		memcpy(out->p + out->n + 5, body + off, k);
		out->n += 5 + k;
		off += k;
	}
}

static void
put16(struct bytes *b, size_t v)
{
	b->p[b->n++] = (unsigned char)(v >> 8);
	b->p[b->n++] = (unsigned char)v;
}

/* A minimal ClientHello carrying the extensions block ext[0..en) as is,
 * in one record. */
static void
handmade(const unsigned char *ext, size_t en, struct bytes *out)
{
	size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1 + (en ? 2 + en : 0);

	out->n = 0;
	out->p[out->n++] = 22;
	out->p[out->n++] = 3;
	out->p[out->n++] = 1;
	put16(out, 4 + body);
	out->p[out->n++] = 1;
	out->p[out->n++] = 0;
	put16(out, body);
	out->p[out->n++] = 3;
	out->p[out->n++] = 3;
	memset(out->p + out->n, 0xab, 32);
	out->n += 32;
	out->p[out->n++] = 0;           /* session id */
	put16(out, 2);                  /* one cipher suite */
	out->p[out->n++] = 0x13;
	out->p[out->n++] = 0x01;
	out->p[out->n++] = 1;           /* one compression method */
	out->p[out->n++] = 0;
	if (en > 0) {
		put16(out, en);
		memcpy(out->p + out->n, ext, en);
		out->n += en;
	}
}

/* A server_name extension with one host_name entry. */
static size_t
sni_ext(unsigned char *e, const char *name)
{
	size_t n = strlen(name);

	e[0] = 0;
	e[1] = 0;
	e[2] = (unsigned char)((n + 5) >> 8);
	e[3] = (unsigned char)(n + 5);
	e[4] = (unsigned char)((n + 3) >> 8);
	e[5] = (unsigned char)(n + 3);
	e[6] = 0;
	e[7] = (unsigned char)(n >> 8);
	e[8] = (unsigned char)n;
	memcpy(e + 9, name, n);
	return 9 + n;
}

static int
parse(const struct bytes *b, struct tls_hello *h)
{
	/* An exactly sized heap copy, so ASan sees a read past n. */
	char *copy = malloc(b->n ? b->n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, b->p, b->n);
	rc = tls_hello_parse(copy, b->n, h);
	free(copy);
	return rc;
}

/* --- tests --------------------------------------------------------------- */

static void
test_tls_hello_reads_the_sni_openssl_sends(void **state)
{
	struct bytes b;
	struct tls_hello h;

	(void)state;
	openssl_hello("evil.test", &b);
	assert_int_equal(parse(&b, &h), (int)b.n);
	assert_true(h.has_sni);
	assert_string_equal(h.sni, "evil.test");
	assert_int_equal(h.sni_len, 9);
}

static void
test_tls_hello_without_sni_has_none(void **state)
{
	struct bytes b;
	struct tls_hello h;

	(void)state;
	openssl_hello(NULL, &b);
	assert_int_equal(parse(&b, &h), (int)b.n);
	assert_false(h.has_sni);
}

static void
test_tls_hello_every_prefix_needs_more(void **state)
{
	struct bytes b, cut;
	struct tls_hello h;
	size_t k;

	(void)state;
	openssl_hello("good.test", &b);
	for (k = 0; k < b.n; k++) {
		memcpy(cut.p, b.p, k);
		cut.n = k;
		assert_int_equal(parse(&cut, &h), TLS_HELLO_INCOMPLETE);
	}
}

/* Splitting the hello over many records is legal TLS and the oldest trick
 * against SNI filters: the name must be found whatever the split. */
static void
test_tls_hello_split_over_records_still_finds_the_sni(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 7, 40, 100};
	struct bytes b, f;
	struct tls_hello h;
	size_t i;

	(void)state;
	openssl_hello("evil.test", &b);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		refragment(&b, sizes[i], &f);
		assert_int_equal(parse(&f, &h), (int)f.n);
		assert_true(h.has_sni);
		assert_string_equal(h.sni, "evil.test");
	}
}

static void
test_tls_hello_other_protocols_are_not_tls(void **state)
{
	struct tls_hello h;

	(void)state;
	assert_int_equal(tls_hello_parse("GET / HTTP/1.1\r\n", 16, &h),
			 TLS_HELLO_NOT_TLS);
	assert_int_equal(tls_hello_parse("SSH-2.0-x\r\n", 11, &h),
			 TLS_HELLO_NOT_TLS);
	assert_int_equal(tls_hello_parse("\x80\x2e\x01\x03\x01", 5, &h),
			 TLS_HELLO_NOT_TLS); /* SSLv2 form: no extensions */
	assert_int_equal(tls_hello_parse("", 0, &h), TLS_HELLO_INCOMPLETE);
}

static void
test_tls_hello_other_record_first_is_invalid(void **state)
{
	struct tls_hello h;

	(void)state;
	assert_int_equal(tls_hello_parse("\x15\x03\x03\x00\x02\x01\x00", 7, &h),
			 TLS_HELLO_INVALID); /* alert */
	assert_int_equal(tls_hello_parse("\x17\x03\x03\x00\x01\x00", 6, &h),
			 TLS_HELLO_INVALID); /* application data */
}

static void
test_tls_hello_bad_records_are_invalid(void **state)
{
	struct bytes b, f;
	struct tls_hello h;

	(void)state;
	openssl_hello("good.test", &b);
	refragment(&b, 10, &f);
	f.p[15] = 21; /* the second record is an alert */
	assert_int_equal(parse(&f, &h), TLS_HELLO_INVALID);
	memcpy(f.p, "\x16\x03\x01\x00\x00", 5); /* an empty record */
	f.n = 5;
	assert_int_equal(parse(&f, &h), TLS_HELLO_INVALID);
	memcpy(f.p, "\x16\x03\x01\x40\x01", 5); /* longer than 2^14 */
	assert_int_equal(parse(&f, &h), TLS_HELLO_INVALID);
}

static void
test_tls_hello_other_handshake_message_is_invalid(void **state)
{
	struct bytes b;
	struct tls_hello h;

	(void)state;
	handmade(NULL, 0, &b);
	b.p[5] = 2; /* ServerHello */
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
}

static void
test_tls_hello_longer_than_the_cap_is_too_big(void **state)
{
	struct tls_hello h;

	(void)state;
	assert_int_equal(tls_hello_parse("\x16\x03\x01\x00\x04\x01\x00\x50\x00",
					 9, &h),
			 TLS_HELLO_TOO_BIG);
}

static void
test_tls_hello_handmade_with_sni_and_without_extensions(void **state)
{
	unsigned char e[64];
	struct bytes b;
	struct tls_hello h;

	(void)state;
	handmade(e, sni_ext(e, "Good.Test."), &b);
	assert_int_equal(parse(&b, &h), (int)b.n);
	assert_string_equal(h.sni, "Good.Test.");
	handmade(NULL, 0, &b);
	assert_int_equal(parse(&b, &h), (int)b.n);
	assert_false(h.has_sni);
}

static void
test_tls_hello_two_server_names_are_invalid(void **state)
{
	unsigned char e[128];
	struct bytes b;
	struct tls_hello h;
	size_t n;

	(void)state;
	n = sni_ext(e, "good.test");
	n += sni_ext(e + n, "evil.test");
	handmade(e, n, &b);
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
}

static void
test_tls_hello_two_entries_in_one_server_name_are_invalid(void **state)
{
	/* list of 2 entries: good.test then evil.test */
	static const unsigned char e[] = {
		0, 0, 0, 26, 0, 24,
		0, 0, 9, 'g', 'o', 'o', 'd', '.', 't', 'e', 's', 't',
		0, 0, 9, 'e', 'v', 'i', 'l', '.', 't', 'e', 's', 't'};
	struct bytes b;
	struct tls_hello h;

	(void)state;
	handmade(e, sizeof(e), &b);
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
}

static void
test_tls_hello_bad_name_entries_are_invalid(void **state)
{
	unsigned char e[64];
	struct bytes b;
	struct tls_hello h;
	size_t n;

	(void)state;
	n = sni_ext(e, "good.test");
	e[6] = 1; /* not host_name */
	handmade(e, n, &b);
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
	n = sni_ext(e, "go\x01od");
	e[11] = 0; /* a NUL inside the name */
	handmade(e, n, &b);
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
	memcpy(e, "\x00\x00\x00\x00", 4); /* empty server_name */
	handmade(e, 4, &b);
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
}

static void
test_tls_hello_lengths_that_do_not_add_up_are_invalid(void **state)
{
	unsigned char e[64];
	struct bytes b;
	struct tls_hello h;
	size_t n;

	(void)state;
	n = sni_ext(e, "good.test");
	handmade(e, n, &b);
	b.p[b.n - n - 1] ^= 1; /* extensions block length */
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
	handmade(e, n, &b);
	b.p[5 + 4 + 2 + 32] = 33; /* session id longer than 32 */
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
	handmade(e, n, &b);
	b.p[5 + 4 + 2 + 32 + 1 + 1] = 3; /* odd cipher-suite length */
	assert_int_equal(parse(&b, &h), TLS_HELLO_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_hello_reads_the_sni_openssl_sends),
		cmocka_unit_test(test_tls_hello_without_sni_has_none),
		cmocka_unit_test(test_tls_hello_every_prefix_needs_more),
		cmocka_unit_test(test_tls_hello_split_over_records_still_finds_the_sni),
		cmocka_unit_test(test_tls_hello_other_protocols_are_not_tls),
		cmocka_unit_test(test_tls_hello_other_record_first_is_invalid),
		cmocka_unit_test(test_tls_hello_bad_records_are_invalid),
		cmocka_unit_test(test_tls_hello_other_handshake_message_is_invalid),
		cmocka_unit_test(test_tls_hello_longer_than_the_cap_is_too_big),
		cmocka_unit_test(test_tls_hello_handmade_with_sni_and_without_extensions),
		cmocka_unit_test(test_tls_hello_two_server_names_are_invalid),
		cmocka_unit_test(test_tls_hello_two_entries_in_one_server_name_are_invalid),
		cmocka_unit_test(test_tls_hello_bad_name_entries_are_invalid),
		cmocka_unit_test(test_tls_hello_lengths_that_do_not_add_up_are_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
