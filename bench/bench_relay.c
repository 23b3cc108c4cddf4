/* bench_relay.c — single-stream relay throughput on loopback.
 *
 * client -> relay -> sink; the relay runs alone on one loop in one thread
 * (as in the proxy), the client and the sink in a child process.
 * Usage: bench_relay [MiB] (default 4096). Prints MB/s. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "net/relay.h"

#define CHUNK (256 * 1024)
#define INFLIGHT 8

static char out_buf[CHUNK];
static char in_buf[CHUNK];
static uint64_t to_send, queued, received;
static int inflight;
static uv_tcp_t client, sink;
static uv_shutdown_t shut;
static struct relay_stats result;

static void pump(void);

static void
on_written(uv_write_t *req, int status)
{
	free(req);
	inflight--;
	if (status == 0)
		pump();
}

static void
on_shut(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

static void
pump(void)
{
	uv_buf_t b = uv_buf_init(out_buf, CHUNK);
	uv_write_t *w;

	while (inflight < INFLIGHT && queued < to_send) {
		w = malloc(sizeof(*w));
		if (w == NULL || uv_write(w, (uv_stream_t *)&client, &b, 1,
					  on_written) != 0) {
			free(w);
			return;
		}
		inflight++;
		queued += CHUNK;
	}
	if (queued >= to_send && inflight == 0)
		uv_shutdown(&shut, (uv_stream_t *)&client, on_shut);
}

static void
sink_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	*buf = uv_buf_init(in_buf, CHUNK);
}

static void
sink_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	if (n > 0) {
		received += (uint64_t)n;
		return;
	}
	if (n < 0) {
		uv_close((uv_handle_t *)s, NULL);
		uv_close((uv_handle_t *)&client, NULL);
	}
}

static void
drain_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	sink_alloc(h, hint, buf);
}

static void
drain_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)s;
	(void)n;
	(void)buf;
}

static void
on_done(void *arg, const struct relay_stats *st)
{
	(void)arg;
	result = *st;
}

static void
tcp_pair(int fds[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &len) != 0) {
		perror("listen");
		exit(1);
	}
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fds[0], (struct sockaddr *)&a, len) != 0) {
		perror("connect");
		exit(1);
	}
	fds[1] = accept(lfd, NULL, NULL);
	close(lfd);
}

/* The sender and the sink run in a child process with their own loop, so
 * the parent's single thread does the relay's work and nothing else. */
static int
run_ends(int cfd, int sfd)
{
	uv_loop_t *loop = uv_default_loop();

	uv_tcp_init(loop, &client);
	uv_tcp_open(&client, cfd);
	uv_tcp_init(loop, &sink);
	uv_tcp_open(&sink, sfd);
	uv_read_start((uv_stream_t *)&sink, sink_alloc, sink_read);
	uv_read_start((uv_stream_t *)&client, drain_alloc, drain_read);
	pump();
	uv_run(loop, UV_RUN_DEFAULT);
	return received == to_send ? 0 : 1;
}

static void
run_relay(int cfd, int sfd)
{
	uv_loop_t *loop = uv_default_loop();
	uv_tcp_t *rc = malloc(sizeof(*rc));
	uv_tcp_t *rs = malloc(sizeof(*rs));

	uv_tcp_init(loop, rc);
	uv_tcp_open(rc, cfd);
	uv_tcp_init(loop, rs);
	uv_tcp_open(rs, sfd);
	relay_start(loop, (uv_stream_t *)rc, (uv_stream_t *)rs, NULL, 0, NULL,
		    0, 10000, on_done, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
}

int
main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 4096;
	int a[2], b[2], status = 1;
	pid_t pid;

	to_send = mib * 1024 * 1024;
	tcp_pair(a);
	tcp_pair(b);
	pid = fork();
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		_exit(run_ends(a[0], b[1]));
	}
	close(a[0]);
	close(b[1]);
	run_relay(a[1], b[0]);
	waitpid(pid, &status, 0);
	printf("relay single stream: %llu MiB in %llu ms = %.0f MB/s "
	       "(error %d)\n", (unsigned long long)(result.up >> 20),
	       (unsigned long long)result.duration_ms,
	       result.duration_ms ? (double)result.up / 1e3 /
				    (double)result.duration_ms : 0.0,
	       result.error);
	return status == 0 && result.error == 0 && result.up == to_send ? 0 : 1;
}
