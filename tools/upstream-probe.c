/* upstream-probe — drive net/upstream from the command line (tests).
 *
 *   upstream-probe [--upstream URL] [--no-proxy LIST] [--kind tunnel|http]
 *                  [--timeout MS] HOST PORT
 *
 * Builds an upstream configuration the way the proxy does (URL as
 * `[network] proxy`, LIST as `[network] no_proxy` split on commas; without
 * --upstream the process environment's HTTP(S)_PROXY/ALL_PROXY/NO_PROXY
 * are used), selects a route for HOST, prints `route: direct` or `route:
 * <upstream>` on stderr, connects, sends `GET / HTTP/1.1` to HOST:PORT
 * (absolute-form with Proxy-Authorization when the route says so) and
 * copies the response to stdout until the peer closes. Exit 0 on a
 * response, 1 on a connect failure (the message on stderr), 2 on usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/xalloc.h"
#include "net/dial.h"
#include "net/resolve.h"
#include "net/upstream.h"

extern char **environ;

struct probe {
	uv_loop_t *loop;
	const struct upstream *u;
	enum upstream_kind kind;
	const char *host;
	uint16_t port;
	uv_timer_t timer;
	uv_tcp_t *tcp;
	struct buf req;
	int rc;
	char rbuf[65536];
};

static void
usage(void)
{
	fprintf(stderr, "usage: upstream-probe [--upstream URL] [--no-proxy "
			"LIST] [--kind tunnel|http] [--timeout MS] HOST PORT\n");
	exit(2);
}

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

static void
finish(struct probe *p, int rc)
{
	p->rc = rc;
	if (p->tcp != NULL)
		uv_close((uv_handle_t *)p->tcp, free_handle);
	p->tcp = NULL;
	if (!uv_is_closing((uv_handle_t *)&p->timer))
		uv_close((uv_handle_t *)&p->timer, NULL);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct probe *p = h->data;

	(void)hint;
	*b = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct probe *p = s->data;

	if (n > 0) {
		fwrite(b->base, 1, (size_t)n, stdout);
		return;
	}
	if (n < 0) {
		fflush(stdout);
		if (n != UV_EOF)
			fprintf(stderr, "upstream-probe: read: %s\n",
				uv_strerror((int)n));
		finish(p, n == UV_EOF ? 0 : 1);
	}
}

static void
on_written(uv_write_t *w, int status)
{
	struct probe *p = w->data;

	free(w);
	if (status < 0) {
		fprintf(stderr, "upstream-probe: write: %s\n",
			uv_strerror(status));
		finish(p, 1);
	}
}

static void
build_request(struct probe *p)
{
	bool v6 = strchr(p->host, ':') != NULL;
	char hostport[300];
	char *auth;

	snprintf(hostport, sizeof(hostport), "%s%s%s:%u", v6 ? "[" : "",
		 p->host, v6 ? "]" : "", (unsigned)p->port);
	buf_init(&p->req, 8192);
	if (upstream_absolute_form(p->u, p->kind))
		buf_printf(&p->req, "GET http://%s/ HTTP/1.1\r\n", hostport);
	else
		buf_addstr(&p->req, "GET / HTTP/1.1\r\n");
	buf_printf(&p->req, "Host: %s\r\nConnection: close\r\n", hostport);
	auth = upstream_absolute_form(p->u, p->kind)
		       ? upstream_proxy_authorization(p->u)
		       : NULL;
	if (auth != NULL)
		buf_printf(&p->req, "Proxy-Authorization: %s\r\n", auth);
	free(auth);
	buf_addstr(&p->req, "\r\n");
}

static void
start_exchange(struct probe *p, uv_tcp_t *tcp, const char *pre, size_t n_pre)
{
	uv_write_t *w = xcalloc(1, sizeof(*w));
	uv_buf_t b;

	p->tcp = tcp;
	tcp->data = p;
	fwrite(pre, 1, n_pre, stdout);
	build_request(p);
	b = uv_buf_init(p->req.p, (unsigned)p->req.len);
	w->data = p;
	if (uv_write(w, (uv_stream_t *)tcp, &b, 1, on_written) != 0) {
		free(w);
		finish(p, 1);
		return;
	}
	uv_read_start((uv_stream_t *)tcp, on_alloc, on_read);
}

static void
on_upstream(void *arg, uv_tcp_t *tcp, const char *pre, size_t n_pre,
	    int status, const char *why)
{
	struct probe *p = arg;

	if (tcp == NULL) {
		fprintf(stderr, "upstream-probe: %s (%s)\n", why,
			uv_err_name(status));
		finish(p, 1);
		return;
	}
	start_exchange(p, tcp, pre, n_pre);
}

static void
on_direct(void *arg, uv_tcp_t *tcp, int status)
{
	struct probe *p = arg;

	if (tcp == NULL) {
		fprintf(stderr, "upstream-probe: connect %s:%u: %s\n", p->host,
			(unsigned)p->port, uv_strerror(status));
		finish(p, 1);
		return;
	}
	start_exchange(p, tcp, "", 0);
}

static void
on_timeout(uv_timer_t *t)
{
	struct probe *p = t->data;

	fprintf(stderr, "upstream-probe: no complete response in time\n");
	finish(p, 1);
	exit(1); /* a connect in flight still holds handles: just leave */
}

/* Splits a comma list into a NULL-terminated heap array of heap strings. */
static char **
split_list(const char *s, size_t *n)
{
	char **v = NULL;
	size_t len;

	*n = 0;
	while (s != NULL && *s != '\0') {
		len = strcspn(s, ",");
		v = xreallocarray(v, *n + 2, sizeof(*v));
		v[(*n)++] = xstrndup(s, len);
		v[*n] = NULL;
		s += len;
		if (*s == ',')
			s++;
	}
	return v;
}

static long
parse_num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static int
run(struct probe *p, const struct upstream_cfg *cfg, int timeout_ms)
{
	struct resolve_result res;
	struct errbuf err;
	char label[320];

	errbuf_init(&err);
	memset(&res, 0, sizeof(res));
	p->u = upstream_select(cfg, p->host, p->kind == UPSTREAM_TUNNEL);
	fprintf(stderr, "route: %s\n",
		p->u ? upstream_label(p->u, label, sizeof(label)) : "direct");
	/* socks5:// and direct routes need the vetted addresses. */
	if ((p->u == NULL || p->u->scheme == UPSTREAM_SOCKS5) &&
	    resolve_sync(p->host, p->port, RESOLVE_TIMEOUT_MS, &res, &err) ==
		    -1) {
		fprintf(stderr, "upstream-probe: %s\n", errbuf_first(&err));
		errbuf_release(&err);
		return 1;
	}
	errbuf_release(&err);
	uv_timer_init(p->loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, on_timeout, (uint64_t)timeout_ms * 2, 0);
	if (p->u != NULL) {
		if (upstream_connect_start(p->loop, p->u, p->host, p->port,
					   res.addrs, res.n, p->kind,
					   timeout_ms, on_upstream, p) == NULL)
			return 1;
	} else {
		dial_start(p->loop, res.addrs, res.n, p->port, timeout_ms,
			   on_direct, p);
	}
	uv_run(p->loop, UV_RUN_DEFAULT);
	return p->rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"upstream", required_argument, NULL, 'u'},
		{"no-proxy", required_argument, NULL, 'n'},
		{"kind", required_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct probe p;
	struct upstream_cfg cfg;
	struct errbuf warn;
	const char *url = NULL, *np = NULL;
	char **npv;
	size_t n_np, i;
	int c, timeout_ms = 5000, rc;

	memset(&p, 0, sizeof(p));
	p.kind = UPSTREAM_TUNNEL;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'u')
			url = optarg;
		else if (c == 'n')
			np = optarg;
		else if (c == 't')
			timeout_ms = (int)parse_num(optarg, 1, 600000);
		else if (c == 'k' && strcmp(optarg, "tunnel") == 0)
			p.kind = UPSTREAM_TUNNEL;
		else if (c == 'k' && strcmp(optarg, "http") == 0)
			p.kind = UPSTREAM_HTTP_FORWARD;
		else
			usage();
	}
	if (argc - optind != 2)
		usage();
	p.host = argv[optind];
	p.port = (uint16_t)parse_num(argv[optind + 1], 1, 65535);
	p.loop = uv_default_loop();
	npv = split_list(np, &n_np);
	errbuf_init(&warn);
	upstream_cfg_build(&cfg, true, url, (const char *const *)npv, n_np,
			   url ? NULL : (const char *const *)environ, &warn);
	if (warn.count > 0)
		fprintf(stderr, "warning: %s\n", errbuf_str(&warn));
	rc = run(&p, &cfg, timeout_ms);
	upstream_cfg_release(&cfg);
	errbuf_release(&warn);
	for (i = 0; i < n_np; i++)
		free(npv[i]);
	free(npv);
	buf_release(&p.req);
	return rc;
}
