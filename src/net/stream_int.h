/* stream_int.h — what the two kinds of stream share (stream.c: dispatch
 * and TCP; stream_tls.c: TLS). Not for use outside src/net/stream*.c. */
#ifndef AIRLOCK_NET_STREAM_INT_H
#define AIRLOCK_NET_STREAM_INT_H

#include "net/stream.h"

struct stream_ops {
	int (*read_start)(struct stream *s);
	void (*read_stop)(struct stream *s);
	int (*write)(struct stream *s, const char *p, size_t n);
	size_t (*queued)(const struct stream *s);
	int (*shutdown)(struct stream *s);
	void (*close)(struct stream *s);
	int (*fd)(const struct stream *s);
	int (*raw_fd)(const struct stream *s);	/* the bottom socket */
	int (*peer)(const struct stream *s, struct sockaddr_storage *ss);
};

struct stream {
	const struct stream_ops *ops;
	uv_loop_t *loop;
	void *arg;
	stream_read_fn *on_read;
	stream_write_fn *on_write;
	stream_write_fn *on_shut;
	bool closed;	/* stream_close ran: the owner hears nothing more */
};

/* The owner's callbacks, unless the stream is closed. */
void stream_emit_read(struct stream *s, ssize_t n, const char *p);
void stream_emit_write(struct stream *s, int status);
void stream_emit_shut(struct stream *s, int status);

extern const struct stream_ops stream_tls_ops;

#endif
