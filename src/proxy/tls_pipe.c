/* tls_pipe.c — TLS over memory BIOs, bridged to a socketpair (tls_pipe.h).
 *
 * States: HANDSHAKE (only the TCP side exists) → OPEN (both sides) →
 * CLOSING. Both handles and the timer are counted in `handles`; the
 * struct is freed when the last close callback has run. */
#include "proxy/tls_pipe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "lib/xalloc.h"

#define TLS_PIPE_READ 65536
#define TLS_PIPE_RECORD 16384

enum tp_state { TP_HANDSHAKE, TP_OPEN, TP_CLOSING };

struct tls_pipe {
	uv_loop_t *loop;
	enum tp_state st;
	uv_tcp_t *tcp;	   /* the TLS peer */
	uv_tcp_t *plain;   /* our end of the socketpair */
	uv_timer_t *timer; /* handshake deadline */
	SSL *ssl;
	BIO *rbio, *wbio;  /* owned by ssl */
	tls_pipe_ready_fn *ready;
	void *arg;
	int handles;
	bool tcp_reading, plain_reading;
	bool peer_done;	   /* the TLS peer finished sending */
	bool plain_done;   /* the plaintext side finished sending */
	bool closing_after_write;
	bool started;	   /* the first handshake step ran */
	uint64_t handshake_ms;
};

struct tp_write {
	uv_write_t w;
	struct tls_pipe *tp;
	char data[];
};

static char read_buf[TLS_PIPE_READ];

static void tp_close(struct tls_pipe *tp);
static void tcp_read_on(struct tls_pipe *tp, bool on);
static void plain_read_on(struct tls_pipe *tp, bool on);

/* --- closing --------------------------------------------------------------- */

static void
tp_free(struct tls_pipe *tp)
{
	SSL_free(tp->ssl);
	free(tp);
}

static void
on_closed(uv_handle_t *h)
{
	struct tls_pipe *tp = h->data;

	free(h);
	if (--tp->handles == 0)
		tp_free(tp);
}

static void
close_handle(struct tls_pipe *tp, uv_handle_t *h)
{
	if (h == NULL || uv_is_closing(h))
		return;
	h->data = tp;
	uv_close(h, on_closed);
}

static void
tp_close(struct tls_pipe *tp)
{
	if (tp->st == TP_CLOSING)
		return;
	tp->st = TP_CLOSING;
	close_handle(tp, (uv_handle_t *)tp->tcp);
	close_handle(tp, (uv_handle_t *)tp->plain);
	close_handle(tp, (uv_handle_t *)tp->timer);
	tp->tcp = tp->plain = NULL;
	tp->timer = NULL;
}

/* --- writing ------------------------------------------------------------------ */

static bool
over_high(uv_tcp_t *t)
{
	return t != NULL && uv_stream_get_write_queue_size((uv_stream_t *)t) >
				    TLS_PIPE_HIGH_WATER;
}

static void
on_written(uv_write_t *w, int status)
{
	struct tp_write *r = (struct tp_write *)w;
	struct tls_pipe *tp = r->tp;
	uv_stream_t *s = w->handle;

	free(r);
	if (tp->st == TP_CLOSING)
		return;
	if (status < 0) {
		tp_close(tp);
		return;
	}
	if (tp->closing_after_write && s == (uv_stream_t *)tp->tcp &&
	    uv_stream_get_write_queue_size(s) == 0) {
		tp_close(tp);
		return;
	}
	/* Drained below the mark: the side feeding it may read again. */
	if (s == (uv_stream_t *)tp->tcp && !over_high(tp->tcp))
		plain_read_on(tp, true);
	else if (s == (uv_stream_t *)tp->plain && !over_high(tp->plain))
		tcp_read_on(tp, true);
}

static int
write_to(struct tls_pipe *tp, uv_tcp_t *t, const char *p, size_t n)
{
	struct tp_write *r;
	uv_buf_t b;

	if (t == NULL || n == 0)
		return 0;
	r = xmalloc(sizeof(*r) + n);
	r->tp = tp;
	memcpy(r->data, p, n);
	b = uv_buf_init(r->data, (unsigned)n);
	if (uv_write(&r->w, (uv_stream_t *)t, &b, 1, on_written) != 0) {
		free(r);
		tp_close(tp);
		return -1;
	}
	return 0;
}

/* Sends whatever TLS produced to the peer. */
static int
flush_tls(struct tls_pipe *tp)
{
	char buf[TLS_PIPE_RECORD + 512];
	int n;

	while (BIO_ctrl_pending(tp->wbio) > 0) {
		n = BIO_read(tp->wbio, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (write_to(tp, tp->tcp, buf, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

/* --- reading ------------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init(read_buf, sizeof(read_buf));
}

static void on_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);
static void on_plain_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void
tcp_read_on(struct tls_pipe *tp, bool on)
{
	if (tp->tcp == NULL || tp->peer_done || on == tp->tcp_reading)
		return;
	tp->tcp_reading = on;
	if (on)
		uv_read_start((uv_stream_t *)tp->tcp, on_alloc, on_tcp_read);
	else
		uv_read_stop((uv_stream_t *)tp->tcp);
}

static void
plain_read_on(struct tls_pipe *tp, bool on)
{
	if (tp->plain == NULL || tp->plain_done || on == tp->plain_reading)
		return;
	tp->plain_reading = on;
	if (on)
		uv_read_start((uv_stream_t *)tp->plain, on_alloc, on_plain_read);
	else
		uv_read_stop((uv_stream_t *)tp->plain);
}

static void
on_plain_shutdown(uv_shutdown_t *sd, int status)
{
	(void)status;
	free(sd);
}

/* The TLS peer is done sending: pass the end on to the plaintext side. */
static void
peer_finished(struct tls_pipe *tp)
{
	uv_shutdown_t *sd;

	tcp_read_on(tp, false);
	tp->peer_done = true;
	if (tp->plain_done) {
		tp_close(tp);
		return;
	}
	sd = xcalloc(1, sizeof(*sd));
	if (uv_shutdown(sd, (uv_stream_t *)tp->plain, on_plain_shutdown) != 0) {
		free(sd);
		tp_close(tp);
	}
}

/* Decrypts what the BIO holds and passes it on. -1 when closed. */
static int
pump_in(struct tls_pipe *tp)
{
	char buf[TLS_PIPE_RECORD];
	int n, e;

	for (;;) {
		n = SSL_read(tp->ssl, buf, sizeof(buf));
		if (n > 0) {
			if (write_to(tp, tp->plain, buf, (size_t)n) == -1)
				return -1;
			continue;
		}
		e = SSL_get_error(tp->ssl, n);
		ERR_clear_error();
		if (flush_tls(tp) == -1)
			return -1;
		if (e == SSL_ERROR_WANT_READ)
			break;
		if (e == SSL_ERROR_ZERO_RETURN) {
			peer_finished(tp);
			return 0;
		}
		tp_close(tp);
		return -1;
	}
	if (flush_tls(tp) == -1)
		return -1;
	if (over_high(tp->plain))
		tcp_read_on(tp, false);
	return 0;
}

static void start_plain(struct tls_pipe *tp);

static void
fail_handshake(struct tls_pipe *tp, const char *why)
{
	tls_pipe_ready_fn *ready = tp->ready;

	tp->ready = NULL;
	tp_close(tp);
	if (ready != NULL)
		ready(tp->arg, NULL, why);
}

static void
handshake_error(struct tls_pipe *tp)
{
	char why[320];
	long vr = SSL_get_verify_result(tp->ssl);
	unsigned long e = ERR_peek_error();

	if (!SSL_is_server(tp->ssl) && vr != X509_V_OK)
		snprintf(why, sizeof(why), "certificate verification failed: %s",
			 X509_verify_cert_error_string(vr));
	else
		snprintf(why, sizeof(why), "tls handshake failed: %s",
			 e ? ERR_reason_error_string(e) : "connection closed");
	ERR_clear_error();
	fail_handshake(tp, why);
}

static void
step_handshake(struct tls_pipe *tp)
{
	int rc = SSL_do_handshake(tp->ssl);
	int e;

	if (flush_tls(tp) == -1)
		return;
	if (rc == 1) {
		start_plain(tp);
		return;
	}
	e = SSL_get_error(tp->ssl, rc);
	if (e == SSL_ERROR_WANT_READ)
		return;
	handshake_error(tp);
}

static void
on_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct tls_pipe *tp = s->data;

	if (n == 0 || tp->st == TP_CLOSING)
		return;
	if (n < 0) {
		if (n == UV_ENOBUFS)
			return;
		if (tp->st == TP_HANDSHAKE)
			handshake_error(tp);
		else if (n == UV_EOF)
			peer_finished(tp);
		else
			tp_close(tp);
		return;
	}
	BIO_write(tp->rbio, b->base, (int)n);
	if (tp->st == TP_HANDSHAKE)
		step_handshake(tp);
	else
		pump_in(tp);
}

static void
on_plain_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct tls_pipe *tp = s->data;

	if (n == 0 || tp->st == TP_CLOSING)
		return;
	if (n < 0) {
		/* Our user is done: say goodbye to the peer, then close. */
		plain_read_on(tp, false);
		tp->plain_done = true;
		SSL_shutdown(tp->ssl);
		ERR_clear_error();
		tp->closing_after_write = true;
		if (flush_tls(tp) == 0 &&
		    uv_stream_get_write_queue_size((uv_stream_t *)tp->tcp) == 0)
			tp_close(tp);
		return;
	}
	if (SSL_write(tp->ssl, b->base, (int)n) <= 0) {
		ERR_clear_error();
		tp_close(tp);
		return;
	}
	if (flush_tls(tp) == 0 && over_high(tp->tcp))
		plain_read_on(tp, false);
}

/* --- the plaintext side -------------------------------------------------------- */

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

static uv_tcp_t *
wrap_fd(uv_loop_t *loop, int fd)
{
	uv_tcp_t *t = xcalloc(1, sizeof(*t));

	uv_tcp_init(loop, t);
	if (uv_tcp_open(t, fd) != 0) {
		close(fd);
		uv_close((uv_handle_t *)t, free_handle);
		return NULL;
	}
	return t;
}

static void
start_plain(struct tls_pipe *tp)
{
	tls_pipe_ready_fn *ready = tp->ready;
	uv_tcp_t *theirs;
	int sv[2];

	uv_timer_stop(tp->timer);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		fail_handshake(tp, "socketpair failed");
		return;
	}
	tp->plain = wrap_fd(tp->loop, sv[0]);
	if (tp->plain == NULL) {
		close(sv[1]);
		fail_handshake(tp, "socketpair failed");
		return;
	}
	tp->plain->data = tp;
	tp->handles++;
	theirs = wrap_fd(tp->loop, sv[1]);
	if (theirs == NULL) {
		fail_handshake(tp, "socketpair failed");
		return;
	}
	tp->st = TP_OPEN;
	tp->ready = NULL;
	plain_read_on(tp, true);
	ready(tp->arg, theirs, NULL);
	/* Application data that came with the handshake's last flight. */
	if (tp->st == TP_OPEN)
		pump_in(tp);
}

/* The timer first fires at once, so that the first handshake step (and a
 * failure the ready callback reports) never runs inside tls_pipe_start;
 * then it is the handshake deadline. */
static void
on_timer(uv_timer_t *t)
{
	struct tls_pipe *tp = t->data;

	if (tp->st != TP_HANDSHAKE)
		return;
	if (!tp->started) {
		tp->started = true;
		uv_timer_start(tp->timer, on_timer, tp->handshake_ms, 0);
		tcp_read_on(tp, true);
		/* A client speaks first; a server only once bytes came. */
		if (!SSL_is_server(tp->ssl) || BIO_ctrl_pending(tp->rbio) > 0)
			step_handshake(tp);
		return;
	}
	fail_handshake(tp, "tls handshake timed out");
}

/* --- start and cancel ------------------------------------------------------------ */

struct tls_pipe *
tls_pipe_start(uv_loop_t *loop, uv_tcp_t *tcp, SSL *ssl, const char *pre_in,
	       size_t n_in, const char *pre_out, size_t n_out,
	       int handshake_ms, tls_pipe_ready_fn *ready, void *arg)
{
	struct tls_pipe *tp = xcalloc(1, sizeof(*tp));

	tp->loop = loop;
	tp->st = TP_HANDSHAKE;
	tp->tcp = tcp;
	tcp->data = tp;
	tp->ssl = ssl;
	tp->ready = ready;
	tp->arg = arg;
	tp->handles = 2;
	tp->timer = xcalloc(1, sizeof(*tp->timer));
	uv_timer_init(loop, tp->timer);
	tp->timer->data = tp;
	tp->rbio = BIO_new(BIO_s_mem());
	tp->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(tp->rbio, -1);
	SSL_set_bio(ssl, tp->rbio, tp->wbio);
	tp->handshake_ms = (uint64_t)handshake_ms;
	uv_timer_start(tp->timer, on_timer, 0, 0);
	write_to(tp, tp->tcp, pre_out, n_out);
	if (n_in > 0)
		BIO_write(tp->rbio, pre_in, (int)n_in);
	return tp;
}

void
tls_pipe_cancel(struct tls_pipe *tp)
{
	if (tp == NULL)
		return;
	tp->ready = NULL;
	tp_close(tp);
}
