/* loadgen.c — origin, sink and clients for the proxy benchmark.
 *
 * Built by bench/proxy/run.py with cc -O2; not part of airlock. Loopback
 * only; every wait has a deadline.
 *
 *   loadgen origin              HTTP/1.1 keep-alive origin, fixed 200
 *   loadgen body BYTES          HTTP/1.1 keep-alive origin, 200 with a
 *                               BYTES-long body (see "body origin" below)
 *   loadgen sink                TCP sink (see "sink protocol" below)
 *   loadgen bulk  VIA PROXY TARGET BYTES     one stream, prints MB/s
 *   loadgen setup VIA PROXY TARGET COUNT     sequential handshakes, p50/p99
 *   loadgen setuprt VIA PROXY TARGET COUNT   the same, each followed by one
 *                               round trip to the sink (an empty exchange):
 *                               run inside `airlock run`, `direct` is a
 *                               transparent connection, whose connect()
 *                               returns before the proxy has decided
 *   loadgen idle  VIA PROXY TARGET COUNT     hold COUNT idle tunnels
 *
 * The servers print their port on the first stdout line and run until
 * killed. VIA is direct, connect (HTTP CONNECT) or socks (SOCKS5, no auth);
 * PROXY and TARGET are 127.0.0.1:PORT (PROXY is ignored for direct). The
 * clients print one JSON object per line and exit 1 on any failure.
 *
 * Sink protocol: a client that wants an answer sends an 8-byte big-endian
 * count N and then N bytes; once the sink has them all it writes one byte
 * 'k'. A connection that sends nothing is simply held until EOF.
 *
 * Body origin: one process per connection (killed with the server); every
 * request head gets `200` with `Content-Length: BYTES` and BYTES of 'x',
 * sent with sendfile(2) from a memfd so that the origin itself costs next
 * to nothing and the path being measured is the bottleneck. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define IO_TIMEOUT_S 20
#define BULK_DEADLINE_S 120.0
#define IDLE_DEADLINE_S 180.0
#define MAX_EVENTS 256
#define BODY_FILE (16 << 20)

static char iobuf[CHUNK];

static const char origin_reply[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 13\r\n"
	"Cache-Control: no-store\r\n"
	"Connection: keep-alive\r\n"
	"\r\n"
	"hello, world\n";

enum via { VIA_DIRECT, VIA_CONNECT, VIA_SOCKS };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
parse_addr(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	char *end;
	long port;
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - text)) >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* --- servers ------------------------------------------------------------ */

struct sconn {
	size_t inlen;           /* origin: bytes of an unfinished request */
	char in[4096];
	unsigned char hdr[8];   /* sink: count header */
	size_t hdrlen;
	uint64_t need, got;
	int acked;
};

static struct sconn **conns;
static size_t nconns_max;

static int
listen_any(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listen");
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

static void
sconn_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* Writes all of p[0..n) on a non-blocking socket, waiting briefly when it
 * is full; replies are tiny, so this almost never waits. */
static int
write_all_nb(int fd, const char *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, IO_TIMEOUT_S * 1000) <= 0)
				return -1;
		} else if (w < 0 && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

/* Answers every complete request head in c->in; keeps the tail. */
static int
origin_serve(int fd, struct sconn *c)
{
	char out[64 * (sizeof(origin_reply) - 1)];
	size_t outlen = 0, start = 0;
	char *end;

	while ((end = memmem(c->in + start, c->inlen - start, "\r\n\r\n", 4))) {
		start = (size_t)(end - c->in) + 4;
		if (outlen + sizeof(origin_reply) - 1 > sizeof(out)) {
			if (write_all_nb(fd, out, outlen) < 0)
				return -1;
			outlen = 0;
		}
		memcpy(out + outlen, origin_reply, sizeof(origin_reply) - 1);
		outlen += sizeof(origin_reply) - 1;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->inlen == sizeof(c->in))
		return -1;
	return outlen ? write_all_nb(fd, out, outlen) : 0;
}

static int
origin_readable(int fd, struct sconn *c)
{
	ssize_t r;

	for (;;) {
		r = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		c->inlen += (size_t)r;
		if (origin_serve(fd, c) < 0)
			return -1;
	}
}

static int
sink_consume(int fd, struct sconn *c, const unsigned char *p, size_t n)
{
	size_t take;
	int i;

	if (c->hdrlen < 8) {
		take = 8 - c->hdrlen < n ? 8 - c->hdrlen : n;
		memcpy(c->hdr + c->hdrlen, p, take);
		c->hdrlen += take;
		p += take;
		n -= take;
		if (c->hdrlen == 8)
			for (i = 0; i < 8; i++)
				c->need = c->need << 8 | c->hdr[i];
	}
	c->got += n;
	if (c->hdrlen == 8 && !c->acked && c->got >= c->need) {
		c->acked = 1;
		return write_all_nb(fd, "k", 1);
	}
	return 0;
}

static int
sink_readable(int fd, struct sconn *c)
{
	ssize_t r;

	for (;;) {
		r = read(fd, iobuf, sizeof(iobuf));
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		if (sink_consume(fd, c, (unsigned char *)iobuf, (size_t)r) < 0)
			return -1;
	}
}

static void
server_accept(int ep, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if ((size_t)fd >= nconns_max) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conns[fd] = calloc(1, sizeof(struct sconn));
		if (conns[fd] == NULL)
			die("calloc");
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
	}
}

static _Noreturn void
server_main(int is_origin)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[MAX_EVENTS];
	struct rlimit rl;
	int lfd, ep, n, i, fd, rc;

	raise_nofile();
	nconns_max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
	conns = calloc(nconns_max, sizeof(*conns));
	if (conns == NULL)
		die("calloc");
	lfd = listen_any();
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll_ctl");
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				server_accept(ep, lfd);
				continue;
			}
			if (conns[fd] == NULL)
				continue;
			rc = is_origin ? origin_readable(fd, conns[fd])
				       : sink_readable(fd, conns[fd]);
			if (rc < 0)
				sconn_close(ep, fd);
		}
	}
}

/* --- clients ------------------------------------------------------------ */

static int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_exact(int fd, void *buf, size_t n)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads an HTTP response head; 0 when its status is 200. The sink never
 * speaks first, so nothing past the head can arrive. */
static int
connect_reply(int fd)
{
	char head[2048];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(head) - 1) {
		r = read(fd, head + n, sizeof(head) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		head[n] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			return strncmp(head, "HTTP/1.", 7) == 0 &&
			       strncmp(head + 8, " 200", 4) == 0 ? 0 : -1;
	}
	return -1;
}

static int
socks_handshake(int fd, const struct sockaddr_in *target)
{
	unsigned char req[10] = { 5, 1, 0, 1 };
	unsigned char rep[4 + 16 + 2 + 255];
	size_t rest;

	if (write_all(fd, "\x05\x01\x00", 3) < 0 || read_exact(fd, rep, 2) < 0 ||
	    rep[0] != 5 || rep[1] != 0)
		return -1;
	memcpy(req + 4, &target->sin_addr, 4);
	memcpy(req + 8, &target->sin_port, 2);
	if (write_all(fd, req, sizeof(req)) < 0 || read_exact(fd, rep, 4) < 0 ||
	    rep[0] != 5 || rep[1] != 0)
		return -1;
	if (rep[3] == 1)
		rest = 4 + 2;
	else if (rep[3] == 4)
		rest = 16 + 2;
	else if (rep[3] == 3 && read_exact(fd, rep + 4, 1) == 0)
		rest = (size_t)rep[4] + 2;
	else
		return -1;
	return read_exact(fd, rep + 5, rest);
}

static void
set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Opens a stream to target through the proxy; returns the fd or -1. */
static int
open_tunnel(enum via via, const struct sockaddr_in *proxy,
	    const struct sockaddr_in *target, const char *target_text)
{
	char req[256];
	const struct sockaddr_in *first = via == VIA_DIRECT ? target : proxy;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int n;

	if (fd < 0)
		return -1;
	set_timeouts(fd);
	if (connect(fd, (const struct sockaddr *)first, sizeof(*first)) < 0)
		goto fail;
	if (via == VIA_CONNECT) {
		n = snprintf(req, sizeof(req),
			     "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
			     target_text, target_text);
		if (write_all(fd, req, (size_t)n) < 0 || connect_reply(fd) < 0)
			goto fail;
	} else if (via == VIA_SOCKS) {
		if (socks_handshake(fd, target) < 0)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Sends the sink header for n bytes, the bytes, and waits for the ack. */
static int
sink_exchange(int fd, uint64_t n, double deadline)
{
	unsigned char hdr[8];
	uint64_t left = n;
	size_t take;
	char ack;
	int i;

	for (i = 0; i < 8; i++)
		hdr[i] = (unsigned char)(n >> (56 - 8 * i));
	if (write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	while (left > 0) {
		take = left < CHUNK ? (size_t)left : CHUNK;
		if (write_all(fd, iobuf, take) < 0 || now_s() > deadline)
			return -1;
		left -= take;
	}
	if (read_exact(fd, &ack, 1) < 0 || ack != 'k')
		return -1;
	return 0;
}

static int
bulk_main(enum via via, const struct sockaddr_in *proxy,
	  const struct sockaddr_in *target, const char *target_text,
	  uint64_t bytes)
{
	double t0, t1;
	int fd = open_tunnel(via, proxy, target, target_text);

	if (fd < 0) {
		fprintf(stderr, "loadgen: bulk: tunnel set-up failed\n");
		return 1;
	}
	memset(iobuf, 'x', sizeof(iobuf));
	t0 = now_s();
	if (sink_exchange(fd, bytes, t0 + BULK_DEADLINE_S) < 0) {
		fprintf(stderr, "loadgen: bulk: stream failed or too slow\n");
		close(fd);
		return 1;
	}
	t1 = now_s();
	close(fd);
	printf("{\"bytes\": %llu, \"seconds\": %.6f, \"mbps\": %.1f}\n",
	       (unsigned long long)bytes, t1 - t0,
	       (double)bytes / (t1 - t0) / 1e6);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
setup_main(enum via via, const struct sockaddr_in *proxy,
	   const struct sockaddr_in *target, const char *target_text,
	   size_t count, int round_trip)
{
	double *lat = calloc(count, sizeof(*lat));
	double t0, sum = 0;
	size_t i, errors = 0, ok = 0;
	int fd;

	if (lat == NULL)
		die("calloc");
	for (i = 0; i < count; i++) {
		t0 = now_s();
		fd = open_tunnel(via, proxy, target, target_text);
		if (fd >= 0 && round_trip &&
		    sink_exchange(fd, 0, t0 + BULK_DEADLINE_S) < 0) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			errors++;
			continue;
		}
		lat[ok] = (now_s() - t0) * 1e6;
		sum += lat[ok++];
		close(fd);
	}
	if (ok == 0) {
		fprintf(stderr, "loadgen: setup: every handshake failed\n");
		return 1;
	}
	qsort(lat, ok, sizeof(*lat), cmp_double);
	printf("{\"count\": %zu, \"errors\": %zu, \"p50_us\": %.1f, "
	       "\"p99_us\": %.1f, \"mean_us\": %.1f}\n", ok, errors,
	       lat[ok / 2], lat[(ok * 99) / 100], sum / (double)ok);
	free(lat);
	return errors ? 1 : 0;
}

/* 0 when fd is still open: nothing to read and no EOF or error pending. */
static int
still_open(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 0) == 0)
		return 0;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       errno == EAGAIN ? 0 : -1;
}

static int
idle_main(enum via via, const struct sockaddr_in *proxy,
	  const struct sockaddr_in *target, const char *target_text,
	  size_t count)
{
	int *fds = calloc(count, sizeof(*fds));
	double deadline = now_s() + IDLE_DEADLINE_S, t0 = now_s();
	size_t i, opened = 0, errors = 0, alive = 0;
	char line[64];

	if (fds == NULL)
		die("calloc");
	iobuf[0] = 'x';
	for (i = 0; i < count && now_s() < deadline; i++) {
		fds[opened] = open_tunnel(via, proxy, target, target_text);
		if (fds[opened] >= 0 && sink_exchange(fds[opened], 1, deadline) < 0) {
			close(fds[opened]);
			fds[opened] = -1;
		}
		if (fds[opened] < 0)
			errors++;
		else
			opened++;
	}
	errors += count - i;
	printf("{\"opened\": %zu, \"errors\": %zu, \"seconds\": %.3f}\n",
	       opened, errors, now_s() - t0);
	fflush(stdout);
	/* The driver reads the proxy's RSS now, then writes a line. */
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 1;
	for (i = 0; i < opened; i++)
		if (still_open(fds[i]) == 0)
			alive++;
	printf("{\"alive\": %zu}\n", alive);
	fflush(stdout);
	for (i = 0; i < opened; i++)
		close(fds[i]);
	free(fds);
	return errors || alive != opened ? 1 : 0;
}

/* --- body origin -------------------------------------------------------- */

/* A memfd of min(bytes, BODY_FILE) bytes of 'x', sent over and over. */
static int
body_file(uint64_t bytes, off_t *size)
{
	int fd = memfd_create("loadgen-body", 0);
	size_t left;

	if (fd < 0)
		die("memfd_create");
	*size = bytes < BODY_FILE ? (off_t)bytes : BODY_FILE;
	memset(iobuf, 'x', sizeof(iobuf));
	for (left = (size_t)*size; left > 0;) {
		size_t take = left < CHUNK ? left : CHUNK;

		if (write_all_nb(fd, iobuf, take) < 0)
			die("write memfd");
		left -= take;
	}
	return fd;
}

/* Reads one request head (a GET has no body); 0 when one arrived, -1 on
 * EOF, error or timeout. Bytes after the head stay in *buf for the next. */
static int
body_read_head(int fd, char *buf, size_t cap, size_t *len)
{
	char *end;
	ssize_t r;

	for (;;) {
		end = memmem(buf, *len, "\r\n\r\n", 4);
		if (end != NULL) {
			size_t used = (size_t)(end - buf) + 4;

			memmove(buf, buf + used, *len - used);
			*len -= used;
			return 0;
		}
		if (*len == cap)
			return -1;
		r = read(fd, buf + *len, cap - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		*len += (size_t)r;
	}
}

static int
body_send(int fd, int file, off_t size, uint64_t bytes)
{
	char head[256];
	uint64_t left = bytes;
	off_t off;
	ssize_t w;
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
		     "Content-Length: %llu\r\nCache-Control: no-store\r\n\r\n",
		     (unsigned long long)bytes);
	if (write_all_nb(fd, head, (size_t)n) < 0)
		return -1;
	while (left > 0) {
		off = (off_t)((bytes - left) % (uint64_t)size);
		w = sendfile(fd, file, &off, (size_t)(left < (uint64_t)(size - off)
						      ? left : (uint64_t)(size - off)));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		left -= (uint64_t)w;
	}
	return 0;
}

/* One connection: serves requests until EOF, an error or a timeout. */
static _Noreturn void
body_conn(int fd, int file, off_t size, uint64_t bytes)
{
	char buf[8192];
	size_t len = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	set_timeouts(fd);
	while (body_read_head(fd, buf, sizeof(buf), &len) == 0)
		if (body_send(fd, file, size, bytes) < 0)
			break;
	_exit(0);
}

static _Noreturn void
body_main(uint64_t bytes)
{
	off_t size;
	int file = body_file(bytes, &size);
	int lfd = listen_any();
	int fd;

	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				struct pollfd pfd = { .fd = lfd, .events = POLLIN };

				poll(&pfd, 1, -1);
				continue;
			}
			die("accept");
		}
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(lfd);
			body_conn(fd, file, size, bytes);
		}
		close(fd);
	}
}

static int
usage(void)
{
	fprintf(stderr, "usage: loadgen origin | sink | body BYTES\n"
		"       loadgen bulk|setup|setuprt|idle direct|connect|socks "
		"PROXY TARGET N\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in proxy, target;
	enum via via;
	unsigned long long n;
	char *end;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "origin") == 0)
		server_main(1);
	if (argc == 2 && strcmp(argv[1], "sink") == 0)
		server_main(0);
	if (argc == 3 && strcmp(argv[1], "body") == 0) {
		n = strtoull(argv[2], &end, 10);
		if (*end != '\0' || n == 0)
			return usage();
		body_main(n);
	}
	if (argc != 6)
		return usage();
	if (strcmp(argv[2], "direct") == 0)
		via = VIA_DIRECT;
	else if (strcmp(argv[2], "connect") == 0)
		via = VIA_CONNECT;
	else if (strcmp(argv[2], "socks") == 0)
		via = VIA_SOCKS;
	else
		return usage();
	n = strtoull(argv[5], &end, 10);
	if (*end != '\0' || n == 0 || parse_addr(argv[4], &target) < 0 ||
	    (via != VIA_DIRECT && parse_addr(argv[3], &proxy) < 0))
		return usage();
	raise_nofile();
	if (strcmp(argv[1], "bulk") == 0)
		return bulk_main(via, &proxy, &target, argv[4], n);
	if (strcmp(argv[1], "setup") == 0 || strcmp(argv[1], "setuprt") == 0)
		return setup_main(via, &proxy, &target, argv[4], (size_t)n,
				  strcmp(argv[1], "setuprt") == 0);
	if (strcmp(argv[1], "idle") == 0)
		return idle_main(via, &proxy, &target, argv[4], (size_t)n);
	return usage();
}
