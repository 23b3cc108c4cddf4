/* stream_tls.c — the TLS kind of stream (stream.h): OpenSSL over memory
 * BIOs, layered on another stream ("lower") that it owns.
 *
 * States: HANDSHAKE (lower is read whatever the owner does; the owner's
 * writes are held in `early`) → OPEN. Records from lower go into rbio;
 * SSL_read turns them into plaintext for the owner, and everything
 * OpenSSL writes into wbio is handed to lower straight from the BIO's
 * memory.
 *
 * Backpressure: lower is read only while the owner reads. Each chunk
 * from lower is decrypted and delivered whole unless the owner stops
 * reading inside its callback; the rest then waits in rbio and lower is
 * not read until the owner starts again, when what is held is delivered
 * first (from a zero timer, never inside stream_read_start). So at most
 * one chunk of lower (64 KiB) plus one record sits here. The write side
 * has no buffer of its own beyond a record: SSL_write encrypts into wbio
 * and lower takes it at once or queues it, and stream_write_queued is
 * lower's queue.
 *
 * One timer: the handshake's start (next loop turn) and deadline, then
 * the deferred delivery. It is the last handle closed; its close
 * callback frees the SSL and the struct. */
#include "net/stream.h"
#include "net/stream_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#define TLS_RECORD 16384
#define TLS_EARLY_MAX (256 * 1024)

enum tls_state { TLS_HANDSHAKE, TLS_OPEN };

struct stream_tls {
	struct stream base;
	struct stream *lower;
	SSL *ssl;
	BIO *rbio, *wbio;	/* owned by ssl */
	uv_timer_t *timer;
	enum tls_state st;
	stream_handshake_fn *hs_done;
	uint64_t handshake_ms;
	struct buf early;	/* plaintext written during the handshake */
	bool started;		/* the first handshake step ran */
	bool reading;		/* the owner wants data */
	bool lower_reading;
	bool lower_eof;		/* lower has said UV_EOF (or failed) */
	int lower_status;	/* what lower said then */
	bool done;		/* EOF or an error was delivered */
	bool shut;		/* close_notify queued */
};

static char tls_rbuf[TLS_RECORD];

static struct stream_tls *
tls_of(const struct stream *s)
{
	return (struct stream_tls *)s;
}

/* --- writing to lower ---------------------------------------------------- */

/* Hands what OpenSSL wrote to lower (which copies it only if the kernel
 * does not take it at once). 0 or a libuv error. */
static int
flush_out(struct stream_tls *t)
{
	char buf[2 * TLS_RECORD + 1024];
	int n, rc;

	while (BIO_ctrl_pending(t->wbio) > 0) {
		n = BIO_read(t->wbio, buf, sizeof(buf));
		if (n <= 0)
			break;
		rc = stream_write(t->lower, buf, (size_t)n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Encrypts p[0..n) into wbio, record by record, and flushes. */
static int
write_plain(struct stream_tls *t, const char *p, size_t n)
{
	int k, rc;

	while (n > 0) {
		k = SSL_write(t->ssl, p, n > TLS_RECORD ? TLS_RECORD : (int)n);
		if (k <= 0) {
			ERR_clear_error();
			return UV_EPROTO;
		}
		p += k;
		n -= (size_t)k;
		rc = flush_out(t);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- reading from lower -------------------------------------------------- */

static void lower_read(void *arg, ssize_t n, const char *p);

static void
lower_read_on(struct stream_tls *t, bool on)
{
	if (on == t->lower_reading || t->lower_eof || t->base.closed)
		return;
	t->lower_reading = on;
	if (!on) {
		stream_read_stop(t->lower);
		return;
	}
	if (stream_read_start(t->lower) != 0) {
		t->lower_reading = false;
		t->lower_eof = true;
		t->lower_status = UV_EPROTO;
	}
}

/* Gives the owner its end of the stream once. */
static void
deliver_end(struct stream_tls *t, ssize_t status)
{
	if (t->done)
		return;
	t->done = true;
	lower_read_on(t, false);
	stream_emit_read(&t->base, status, NULL);
}

/* Decrypts and delivers while the owner reads. */
static void
pump_in(struct stream_tls *t)
{
	int n, e;

	while (t->reading && !t->done && !t->base.closed) {
		n = SSL_read(t->ssl, tls_rbuf, sizeof(tls_rbuf));
		if (n > 0) {
			stream_emit_read(&t->base, n, tls_rbuf);
			continue;
		}
		e = SSL_get_error(t->ssl, n);
		ERR_clear_error();
		if (e == SSL_ERROR_WANT_READ && !t->lower_eof) {
			lower_read_on(t, true);
			break;
		}
		if (e == SSL_ERROR_ZERO_RETURN)
			deliver_end(t, UV_EOF); /* close_notify */
		else if (e == SSL_ERROR_WANT_READ)
			deliver_end(t, t->lower_status); /* lower ended */
		else
			deliver_end(t, UV_EPROTO);
		break;
	}
	/* Reading may have made OpenSSL answer something (a key update). */
	if (!t->base.closed && flush_out(t) != 0)
		deliver_end(t, UV_EPROTO);
	if (!t->base.closed && !t->reading)
		lower_read_on(t, false);
}

static void step_handshake(struct stream_tls *t);

static void
lower_read(void *arg, ssize_t n, const char *p)
{
	struct stream_tls *t = arg;

	if (n < 0) {
		t->lower_eof = true;
		t->lower_reading = false;
		t->lower_status = (int)n;
	} else if (BIO_write(t->rbio, p, (int)n) != (int)n) {
		t->lower_eof = true;
		t->lower_status = UV_ENOMEM;
	}
	if (t->st == TLS_HANDSHAKE)
		step_handshake(t);
	else
		pump_in(t);
}

static void
lower_written(void *arg, int status)
{
	struct stream_tls *t = arg;

	stream_emit_write(&t->base, status);
}

static void
lower_shut(void *arg, int status)
{
	struct stream_tls *t = arg;

	stream_emit_shut(&t->base, status);
}

/* --- the handshake ------------------------------------------------------- */

static void
handshake_end(struct stream_tls *t, int status, const char *why)
{
	stream_handshake_fn *done = t->hs_done;

	t->hs_done = NULL;
	if (done != NULL && !t->base.closed)
		done(t->base.arg, status, why);
}

static void
handshake_error(struct stream_tls *t)
{
	char why[320];
	long vr = SSL_get_verify_result(t->ssl);
	unsigned long e = ERR_peek_error();

	if (!SSL_is_server(t->ssl) && vr != X509_V_OK)
		snprintf(why, sizeof(why),
			 "certificate verification failed: %s",
			 X509_verify_cert_error_string(vr));
	else
		snprintf(why, sizeof(why), "tls handshake failed: %s",
			 e ? ERR_reason_error_string(e) : "connection closed");
	ERR_clear_error();
	lower_read_on(t, false);
	handshake_end(t, UV_EPROTO, why);
}

static void
handshake_ok(struct stream_tls *t)
{
	struct buf early = t->early;
	int rc;

	uv_timer_stop(t->timer);
	t->st = TLS_OPEN;
	buf_init(&t->early, 0);
	rc = early.len > 0 ? write_plain(t, early.p, early.len) : 0;
	buf_release(&early);
	if (!t->reading)
		lower_read_on(t, false);
	handshake_end(t, rc, rc == 0 ? NULL : "tls write failed");
	/* Application data may have come with the last flight. */
	if (rc == 0 && !t->base.closed && t->reading)
		pump_in(t);
}

static void
step_handshake(struct stream_tls *t)
{
	int rc = SSL_do_handshake(t->ssl);
	int e;

	if (flush_out(t) != 0) {
		handshake_end(t, UV_EPROTO,
			      "tls handshake failed: write failed");
		return;
	}
	if (rc == 1) {
		handshake_ok(t);
		return;
	}
	e = SSL_get_error(t->ssl, rc);
	if (e == SSL_ERROR_WANT_READ && !t->lower_eof)
		return;
	handshake_error(t);
}

static void
on_timer(uv_timer_t *h)
{
	struct stream_tls *t = h->data;

	if (t->st == TLS_OPEN) {
		pump_in(t); /* a delivery deferred by stream_read_start */
		return;
	}
	if (t->started) {
		lower_read_on(t, false);
		handshake_end(t, UV_ETIMEDOUT, "tls handshake timed out");
		return;
	}
	t->started = true;
	uv_timer_start(t->timer, on_timer, t->handshake_ms, 0);
	lower_read_on(t, true);
	/* A client speaks first; a server once bytes have come. */
	if (!SSL_is_server(t->ssl) || BIO_ctrl_pending(t->rbio) > 0 ||
	    t->lower_eof)
		step_handshake(t);
}

/* --- the operations ------------------------------------------------------ */

static int
tls_read_start(struct stream *s)
{
	struct stream_tls *t = tls_of(s);

	if (t->reading || t->done)
		return 0;
	t->reading = true;
	if (t->st != TLS_OPEN)
		return 0;
	if (SSL_pending(t->ssl) == 0 && BIO_ctrl_pending(t->rbio) == 0 &&
	    !t->lower_eof) {
		lower_read_on(t, true);
		return 0;
	}
	uv_timer_start(t->timer, on_timer, 0, 0);
	return 0;
}

static void
tls_read_stop(struct stream *s)
{
	struct stream_tls *t = tls_of(s);

	t->reading = false;
	if (t->st == TLS_OPEN)
		lower_read_on(t, false);
}

static int
tls_write(struct stream *s, const char *p, size_t n)
{
	struct stream_tls *t = tls_of(s);

	if (t->shut)
		return UV_EPIPE;
	if (t->st == TLS_HANDSHAKE)
		return buf_add(&t->early, p, n) == 0 ? 0 : UV_ENOBUFS;
	return write_plain(t, p, n);
}

static size_t
tls_queued(const struct stream *s)
{
	const struct stream_tls *t = tls_of(s);

	return t->early.len + stream_write_queued(t->lower);
}

static int
tls_shutdown(struct stream *s)
{
	struct stream_tls *t = tls_of(s);
	int rc;

	if (t->st == TLS_OPEN && !t->shut) {
		t->shut = true;
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
		rc = flush_out(t);
		if (rc != 0) {
			s->on_shut = NULL;
			return rc;
		}
	}
	rc = stream_shutdown(t->lower, lower_shut);
	if (rc != 0)
		s->on_shut = NULL;
	return rc;
}

static void
tls_timer_closed(uv_handle_t *h)
{
	struct stream_tls *t = h->data;

	free(h);
	SSL_free(t->ssl);
	buf_release(&t->early);
	free(t);
}

static void
tls_close(struct stream *s)
{
	struct stream_tls *t = tls_of(s);

	stream_close(t->lower);
	t->lower = NULL;
	uv_close((uv_handle_t *)t->timer, tls_timer_closed);
}

static int
tls_fd(const struct stream *s)
{
	(void)s;
	return -1;
}

static int
tls_raw_fd(const struct stream *s)
{
	const struct stream_tls *t = tls_of(s);

	return t->lower != NULL ? t->lower->ops->raw_fd(t->lower) : -1;
}

static int
tls_peer(const struct stream *s, struct sockaddr_storage *ss)
{
	const struct stream_tls *t = tls_of(s);

	return t->lower != NULL ? stream_peer(t->lower, ss) : -1;
}

const struct stream_ops stream_tls_ops = {
	tls_read_start, tls_read_stop, tls_write, tls_queued, tls_shutdown,
	tls_close,	tls_fd,	       tls_raw_fd, tls_peer,
};

struct stream *
stream_tls_new(struct stream *lower, SSL *ssl, const char *pre_in,
	       size_t n_in, int handshake_ms, stream_handshake_fn *done,
	       void *arg)
{
	struct stream_tls *t = xcalloc(1, sizeof(*t));

	t->base.ops = &stream_tls_ops;
	t->base.loop = lower->loop;
	t->base.arg = arg;
	t->lower = lower;
	t->ssl = ssl;
	t->hs_done = done;
	t->handshake_ms = handshake_ms > 0 ? (uint64_t)handshake_ms : 1;
	buf_init(&t->early, TLS_EARLY_MAX);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(ssl, t->rbio, t->wbio);
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	if (n_in > 0)
		BIO_write(t->rbio, pre_in, (int)n_in);
	stream_read_stop(lower);
	stream_set_owner(lower, t, lower_read, lower_written);
	t->timer = xcalloc(1, sizeof(*t->timer));
	uv_timer_init(t->base.loop, t->timer);
	t->timer->data = t;
	uv_timer_start(t->timer, on_timer, 0, 0);
	return &t->base;
}
