/* test_stream.c — both kinds of stream over real loopback TCP: bytes in
 * order both ways with backpressure, EOF after the data, close from
 * inside a callback, detaching; TLS with a real OpenSSL client and server
 * (a certificate made here), close_notify, bytes that came before the
 * TLS stream existed, verification failure and the handshake deadline.
 *
 * Each test makes one connected pair of TCP streams (a, b) on its own
 * loop and drives them with scripted owners (struct end). Every loop is
 * bounded in rounds and time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net/stream.h"

#define GUARD_MS 20000
#define HOST "stream.airlock.test"

/* --- data ------------------------------------------------------------------- */

static unsigned char
pattern_at(uint64_t i)
{
	return (unsigned char)((i * 7919u) ^ (i >> 11));
}

/* One side of a test: what it got and what happened to it. */
struct end {
	struct stream *s;
	uint64_t got;		/* bytes read */
	bool bad;		/* a byte was not the pattern */
	ssize_t end_status;	/* 0, or what the final read said */
	uint64_t stop_at;	/* stop reading once this much came */
	bool close_in_read;	/* stream_close inside the first read */
	int reads_after_close;
	bool closed;
	int hs_status;
	bool hs_done;
	char why[320];
	int writes_done, write_errors;
	int shut_status;
	bool shut_done;
	char first[16];		/* first bytes read, for small tests */
	size_t nfirst;
};

static void
on_read(void *arg, ssize_t n, const char *p)
{
	struct end *e = arg;
	ssize_t i;

	if (e->closed) {
		e->reads_after_close++;
		return;
	}
	if (n < 0) {
		e->end_status = n;
		return;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] != pattern_at(e->got + (uint64_t)i))
			e->bad = true;
		if (e->nfirst < sizeof(e->first))
			e->first[e->nfirst++] = p[i];
	}
	e->got += (uint64_t)n;
	if (e->close_in_read) {
		stream_close(e->s);
		e->closed = true;
		return;
	}
	if (e->stop_at != 0 && e->got >= e->stop_at)
		stream_read_stop(e->s);
}

static void
on_write(void *arg, int status)
{
	struct end *e = arg;

	e->writes_done++;
	if (status != 0)
		e->write_errors++;
}

static void
on_shut(void *arg, int status)
{
	struct end *e = arg;

	e->shut_done = true;
	e->shut_status = status;
}

static void
on_handshake(void *arg, int status, const char *why)
{
	struct end *e = arg;

	e->hs_done = true;
	e->hs_status = status;
	snprintf(e->why, sizeof(e->why), "%s", why ? why : "");
}

static void
own(struct end *e)
{
	stream_set_owner(e->s, e, on_read, on_write);
}

/* Writes pattern bytes [from, from + n) to e. */
static void
send_pattern(struct end *e, uint64_t from, size_t n)
{
	char *p = malloc(n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)pattern_at(from + i);
	assert_int_equal(stream_write(e->s, p, n), 0);
	free(p);
}

/* --- loop and pair -------------------------------------------------------- */

struct pair {
	uv_loop_t loop;
	uv_tcp_t listener;
	uv_tcp_t *accepted;
	uv_connect_t conn;
	int connected;
	struct end a, b;	/* a connected out, b was accepted */
};

static void
on_accept(uv_stream_t *l, int status)
{
	struct pair *pr = l->data;

	assert_int_equal(status, 0);
	pr->accepted = malloc(sizeof(*pr->accepted));
	uv_tcp_init(&pr->loop, pr->accepted);
	assert_int_equal(uv_accept(l, (uv_stream_t *)pr->accepted), 0);
}

static void
on_connect(uv_connect_t *c, int status)
{
	struct pair *pr = c->data;

	assert_int_equal(status, 0);
	pr->connected = 1;
}

/* Runs the loop until done(pr) or the guard passes (a failure). */
static void
run_until(struct pair *pr, bool (*done)(struct pair *))
{
	uint64_t start = uv_hrtime();
	int rounds = 0;

	while (!done(pr)) {
		assert_true(uv_hrtime() - start < GUARD_MS * 1000000ull);
		assert_true(rounds++ < 1000000);
		uv_run(&pr->loop, UV_RUN_ONCE);
	}
}

static bool
pair_up(struct pair *pr)
{
	return pr->connected && pr->accepted != NULL;
}

static void
pair_init(struct pair *pr)
{
	struct sockaddr_in sa;
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	uv_tcp_t *out = malloc(sizeof(*out));

	memset(pr, 0, sizeof(*pr));
	uv_loop_init(&pr->loop);
	uv_tcp_init(&pr->loop, &pr->listener);
	pr->listener.data = pr;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&pr->listener, (struct sockaddr *)&sa, 0),
			 0);
	assert_int_equal(uv_listen((uv_stream_t *)&pr->listener, 8, on_accept),
			 0);
	uv_tcp_getsockname(&pr->listener, (struct sockaddr *)&bound, &len);
	uv_tcp_init(&pr->loop, out);
	pr->conn.data = pr;
	assert_int_equal(uv_tcp_connect(&pr->conn, out,
					(struct sockaddr *)&bound, on_connect),
			 0);
	run_until(pr, pair_up);
	pr->a.s = stream_tcp_new(&pr->loop, out);
	pr->b.s = stream_tcp_new(&pr->loop, pr->accepted);
	own(&pr->a);
	own(&pr->b);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	assert_true(uv_is_closing(h)); /* everything else was closed */
}

static void
pair_done(struct pair *pr)
{
	int i;

	if (!pr->a.closed)
		stream_close(pr->a.s);
	if (!pr->b.closed)
		stream_close(pr->b.s);
	uv_close((uv_handle_t *)&pr->listener, NULL);
	uv_walk(&pr->loop, walk_close, NULL);
	for (i = 0; i < 100 && uv_run(&pr->loop, UV_RUN_NOWAIT) != 0; i++)
		;
	assert_int_equal(uv_loop_close(&pr->loop), 0);
}

/* --- TCP ----------------------------------------------------------------------- */

#define BIG (8u << 20)

static bool
b_got_big_and_eof(struct pair *pr)
{
	return pr->b.got == BIG && pr->b.end_status == UV_EOF;
}

static bool
b_stopped(struct pair *pr)
{
	return pr->b.got >= pr->b.stop_at;
}

static bool
a_shut(struct pair *pr)
{
	return pr->a.shut_done;
}

/* With the reader stopped, the writer's queue holds what the kernel
 * would not take; restarting delivers every byte in order, then EOF. */
static void
test_stream_tcp_backpressure_order_and_eof(void **state)
{
	struct pair pr;
	uint64_t off = 0;

	(void)state;
	pair_init(&pr);
	pr.b.stop_at = 1;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	while (off < BIG) {
		send_pattern(&pr.a, off, 1 << 20);
		off += 1 << 20;
	}
	run_until(&pr, b_stopped);
	uv_run(&pr.loop, UV_RUN_NOWAIT);
	assert_true(stream_write_queued(pr.a.s) > 0);
	assert_int_equal(stream_shutdown(pr.a.s, on_shut), 0);
	pr.b.stop_at = 0;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	run_until(&pr, b_got_big_and_eof);
	run_until(&pr, a_shut);
	assert_false(pr.b.bad);
	assert_int_equal(pr.a.shut_status, 0);
	assert_int_equal(stream_write_queued(pr.a.s), 0);
	assert_true(pr.a.writes_done > 0);
	assert_int_equal(pr.a.write_errors, 0);
	assert_true(stream_fd(pr.a.s) >= 0);
	assert_false(stream_is_tls(pr.a.s));
	pair_done(&pr);
}

static bool
b_got_some(struct pair *pr)
{
	return pr->b.got > 0;
}

/* Closing inside the read callback ends every callback at once; queued
 * writes are cancelled without telling their closed owner. */
static void
test_stream_tcp_close_inside_read(void **state)
{
	struct pair pr;
	int i;

	(void)state;
	pair_init(&pr);
	pr.b.close_in_read = true;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	send_pattern(&pr.b, 0, 4 << 20); /* queued on b, never read by a */
	send_pattern(&pr.a, 0, 1000);
	run_until(&pr, b_got_some);
	for (i = 0; i < 20; i++)
		uv_run(&pr.loop, UV_RUN_NOWAIT);
	assert_int_equal(pr.b.reads_after_close, 0);
	assert_int_equal(pr.b.writes_done, 0);
	pair_done(&pr);
}

static bool
b_got_1000(struct pair *pr)
{
	return pr->b.got == 1000;
}

/* A detached stream hands its handle over; what it had queued still
 * goes out. */
static void
test_stream_tcp_detach_keeps_queued_bytes(void **state)
{
	struct pair pr;
	uv_tcp_t *tcp;

	(void)state;
	pair_init(&pr);
	send_pattern(&pr.a, 0, 1000);
	tcp = stream_tcp_detach(pr.a.s);
	assert_non_null(tcp);
	pr.a.closed = true;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	run_until(&pr, b_got_1000);
	assert_false(pr.b.bad);
	uv_close((uv_handle_t *)tcp, (uv_close_cb)free);
	pair_done(&pr);
}

/* --- TLS --------------------------------------------------------------------------- */

static X509 *cert;
static EVP_PKEY *key;

static int
make_cert(void **state)
{
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	(void)state;
	key = EVP_EC_gen("P-256");
	cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)HOST, -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "DNS:" HOST);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(cert, key, EVP_sha256());
	return 0;
}

static int
free_cert(void **state)
{
	(void)state;
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

static SSL *
server_ssl(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *ssl;

	SSL_CTX_use_certificate(ctx, cert);
	SSL_CTX_use_PrivateKey(ctx, key);
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* ssl keeps its reference */
	SSL_set_accept_state(ssl);
	return ssl;
}

static SSL *
client_ssl(const char *host)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;

	X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set1_host(ssl, host);
	SSL_set_connect_state(ssl);
	return ssl;
}

/* Wraps both ends of pr in TLS (a client, b server). */
static void
tls_up(struct pair *pr, const char *host)
{
	pr->a.s = stream_tls_new(pr->a.s, client_ssl(host), NULL, 0, 5000,
				 on_handshake, &pr->a);
	pr->b.s = stream_tls_new(pr->b.s, server_ssl(), NULL, 0, 5000,
				 on_handshake, &pr->b);
	own(&pr->a);
	own(&pr->b);
}

static bool
both_shook(struct pair *pr)
{
	return pr->a.hs_done && pr->b.hs_done;
}

static bool
a_got_3m(struct pair *pr)
{
	return pr->a.got == (3u << 20);
}

/* Bulk both ways with stops and restarts; close_notify reads as EOF
 * after the last byte. */
static void
test_stream_tls_bulk_both_ways_then_close_notify(void **state)
{
	struct pair pr;
	uint64_t off;

	(void)state;
	pair_init(&pr);
	tls_up(&pr, HOST);
	/* Written before the handshake ends: held, then sent. */
	send_pattern(&pr.a, 0, 1000);
	run_until(&pr, both_shook);
	assert_int_equal(pr.a.hs_status, 0);
	assert_int_equal(pr.b.hs_status, 0);
	assert_true(stream_is_tls(pr.a.s));
	assert_int_equal(stream_fd(pr.a.s), -1);
	for (off = 1000; off < BIG; off += 1 << 20)
		send_pattern(&pr.a, off, off + (1 << 20) <= BIG ?
					       1 << 20 : BIG - off);
	pr.b.stop_at = BIG / 2;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	run_until(&pr, b_stopped);
	uv_run(&pr.loop, UV_RUN_NOWAIT);
	assert_true(pr.b.got < BIG);
	assert_int_equal(stream_shutdown(pr.a.s, on_shut), 0);
	pr.b.stop_at = 0;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	run_until(&pr, b_got_big_and_eof);
	run_until(&pr, a_shut);
	assert_false(pr.b.bad);
	/* And the other way. */
	pr.a.got = 0;
	send_pattern(&pr.b, 0, 3 << 20);
	assert_int_equal(stream_read_start(pr.a.s), 0);
	run_until(&pr, a_got_3m);
	assert_false(pr.a.bad);
	pair_done(&pr);
}

static bool
a_shook(struct pair *pr)
{
	return pr->a.hs_done;
}

static void
test_stream_tls_wrong_name_fails_verification(void **state)
{
	struct pair pr;

	(void)state;
	pair_init(&pr);
	tls_up(&pr, "other.airlock.test");
	run_until(&pr, a_shook);
	assert_int_equal(pr.a.hs_status, UV_EPROTO);
	assert_non_null(strstr(pr.a.why, "certificate verification failed: "));
	pair_done(&pr);
}

static bool
b_shook(struct pair *pr)
{
	return pr->b.hs_done;
}

static void
test_stream_tls_handshake_deadline(void **state)
{
	struct pair pr;
	uint64_t t0;

	(void)state;
	pair_init(&pr);
	pr.b.s = stream_tls_new(pr.b.s, server_ssl(), NULL, 0, 50, on_handshake,
				&pr.b);
	own(&pr.b);
	t0 = uv_hrtime();
	run_until(&pr, b_shook);
	assert_true(uv_hrtime() - t0 >= 40 * 1000000ull);
	assert_int_equal(pr.b.hs_status, UV_ETIMEDOUT);
	assert_string_equal(pr.b.why, "tls handshake timed out");
	pair_done(&pr);
}

/* Bytes the owner read before it knew TLS would follow (after CONNECT)
 * are handed in as pre_in. */
static char pre[4096];
static size_t npre;

static void
grab_read(void *arg, ssize_t n, const char *p)
{
	(void)arg;
	if (n > 0 && npre + (size_t)n <= sizeof(pre)) {
		memcpy(pre + npre, p, (size_t)n);
		npre += (size_t)n;
	}
}

static bool
pre_has_hello(struct pair *pr)
{
	(void)pr;
	return npre > 5 && npre >= 5 + (size_t)(((unsigned char)pre[3] << 8) |
					(unsigned char)pre[4]);
}

static bool
b_got_1000_after_shake(struct pair *pr)
{
	return both_shook(pr) && pr->b.got == 1000;
}

static void
test_stream_tls_takes_bytes_read_before_it(void **state)
{
	struct pair pr;

	(void)state;
	pair_init(&pr);
	npre = 0;
	stream_set_owner(pr.b.s, NULL, grab_read, NULL);
	assert_int_equal(stream_read_start(pr.b.s), 0);
	pr.a.s = stream_tls_new(pr.a.s, client_ssl(HOST), NULL, 0, 5000,
				on_handshake, &pr.a);
	own(&pr.a);
	send_pattern(&pr.a, 0, 1000);
	run_until(&pr, pre_has_hello);
	pr.b.s = stream_tls_new(pr.b.s, server_ssl(), pre, npre, 5000,
				on_handshake, &pr.b);
	own(&pr.b);
	assert_int_equal(stream_read_start(pr.b.s), 0);
	run_until(&pr, b_got_1000_after_shake);
	assert_false(pr.b.bad);
	assert_int_equal(pr.b.hs_status, 0);
	pair_done(&pr);
}

static void
test_stream_tls_close_inside_read(void **state)
{
	struct pair pr;
	int i;

	(void)state;
	pair_init(&pr);
	tls_up(&pr, HOST);
	run_until(&pr, both_shook);
	pr.b.close_in_read = true;
	assert_int_equal(stream_read_start(pr.b.s), 0);
	send_pattern(&pr.a, 0, 1 << 20);
	run_until(&pr, b_got_some);
	for (i = 0; i < 20; i++)
		uv_run(&pr.loop, UV_RUN_NOWAIT);
	assert_int_equal(pr.b.reads_after_close, 0);
	pair_done(&pr);
}

/* A TCP close without close_notify still reads as the end. */
static bool
b_ended(struct pair *pr)
{
	return pr->b.end_status != 0;
}

static void
test_stream_tls_peer_gone_reads_as_end(void **state)
{
	struct pair pr;

	(void)state;
	pair_init(&pr);
	tls_up(&pr, HOST);
	run_until(&pr, both_shook);
	assert_int_equal(stream_read_start(pr.b.s), 0);
	send_pattern(&pr.a, 0, 100);
	stream_close(pr.a.s);
	pr.a.closed = true;
	run_until(&pr, b_ended);
	assert_int_equal(pr.b.got, 100);
	assert_true(pr.b.end_status < 0);
	pair_done(&pr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_tcp_backpressure_order_and_eof),
		cmocka_unit_test(test_stream_tcp_close_inside_read),
		cmocka_unit_test(test_stream_tcp_detach_keeps_queued_bytes),
		cmocka_unit_test(test_stream_tls_bulk_both_ways_then_close_notify),
		cmocka_unit_test(test_stream_tls_wrong_name_fails_verification),
		cmocka_unit_test(test_stream_tls_handshake_deadline),
		cmocka_unit_test(test_stream_tls_takes_bytes_read_before_it),
		cmocka_unit_test(test_stream_tls_close_inside_read),
		cmocka_unit_test(test_stream_tls_peer_gone_reads_as_end),
	};

	return cmocka_run_group_tests(tests, make_cert, free_cert);
}
