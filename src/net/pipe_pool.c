/* pipe_pool.c — see pipe_pool.h. */
#include "net/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

#define PIPE_POOL_MAX 16

static struct pipe_pool_pipe pool[PIPE_POOL_MAX];
static int npool;

static int
pipe_make(struct pipe_pool_pipe *p)
{
	int sz;

	if (pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	(void)fcntl(p->fd[1], F_SETPIPE_SZ, PIPE_POOL_SIZE);
	sz = fcntl(p->fd[1], F_GETPIPE_SZ);
	p->cap = sz > 0 ? (size_t)sz : 4096;
	return 0;
}

int
pipe_pool_take(struct pipe_pool_pipe *p)
{
	if (npool > 0) {
		*p = pool[--npool];
		return 0;
	}
	if (pipe_make(p) == -1) {
		p->fd[0] = p->fd[1] = -1;
		return -1;
	}
	return 0;
}

void
pipe_pool_give(struct pipe_pool_pipe *p, size_t bytes_in_it)
{
	if (p->fd[0] < 0)
		return;
	if (bytes_in_it == 0 && npool < PIPE_POOL_MAX) {
		pool[npool++] = *p;
	} else {
		close(p->fd[0]);
		close(p->fd[1]);
	}
	p->fd[0] = p->fd[1] = -1;
}

void
pipe_pool_flush(void)
{
	while (npool > 0) {
		npool--;
		close(pool[npool].fd[0]);
		close(pool[npool].fd[1]);
	}
}
