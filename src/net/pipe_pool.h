/* pipe_pool.h — kernel pipes for splice(2), kept in a small process-wide
 * pool so that moving bytes costs no pipe2()/close() per transfer.
 *
 * A user takes a pipe when it is about to splice into it and gives it
 * back as soon as it is empty, so idle tunnels and idle connections hold
 * no pipe (no fds, no pipe pages counted against the user's pipe
 * limits). A pipe that still holds bytes when given back is closed, not
 * pooled. Not locked: one loop, one thread. */
#ifndef AIRLOCK_NET_PIPE_POOL_H
#define AIRLOCK_NET_PIPE_POOL_H

#include <stddef.h>

/* Pipes are made this large when the kernel allows it (F_SETPIPE_SZ is
 * refused beyond fs.pipe-max-size or once the user's pipe pages pass
 * their soft limit; the pipe is then smaller). */
#define PIPE_POOL_SIZE (1024 * 1024)

struct pipe_pool_pipe {
	int fd[2];	/* read end, write end; -1 when none is held */
	size_t cap;
};

/* An empty pipe into *p; 0, or -1 when none can be made (fd limit). */
int pipe_pool_take(struct pipe_pool_pipe *p);
/* Gives p back (empty: kept; holding bytes: closed); p->fd become -1.
 * Nothing happens when p holds no pipe. */
void pipe_pool_give(struct pipe_pool_pipe *p, size_t bytes_in_it);
/* Closes the pipes kept in the pool (tests; harmless at any time). */
void pipe_pool_flush(void);

#endif
