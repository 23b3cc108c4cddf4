/* sockdiag.h — which unix sockets are bound in a network namespace, and
 * which TCP sockets it holds.
 *
 * A NETLINK_SOCK_DIAG socket answers for the network namespace it was
 * created in (netns.h: the sandbox's first process makes one and hands it
 * to airlock). A dump of its AF_UNIX sockets with UDIAG_SHOW_VFS lists,
 * for every socket bound to a path, the device and inode of the socket
 * file it made — the inode connect() finds the socket by. A socket bound
 * by a process outside the namespace (a host daemon) is never listed.
 *
 * The kernel reports the device in its own encoding (major << 20 |
 * minor) and only the low 32 bits of the inode number.
 *
 * sockdiag_parse() is pure: the bytes of one recv() in, one call of fn per
 * listed socket out. sockdiag_dump() does the I/O on a blocking netlink
 * socket, reading the whole answer (at most SOCKDIAG_MAX_BYTES) even when
 * fn has found what it wanted, so the next dump starts clean. */
#ifndef AIRLOCK_SANDBOX_SOCKDIAG_H
#define AIRLOCK_SANDBOX_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOCKDIAG_MAX_BYTES (64u << 20)

enum { SOCKDIAG_MORE = 0, SOCKDIAG_DONE = 1, SOCKDIAG_BAD = -1 };

/* One listed socket that is bound to a path. name (as given to bind(),
 * not NUL-terminated, may be relative) is set only when the dump asked
 * for names. */
struct sockdiag_entry {
	uint32_t dev;     /* kernel encoding */
	uint32_t ino;     /* low 32 bits of the socket file's inode */
	const char *name; /* NULL, or name[0..name_len) */
	size_t name_len;
};

typedef void sockdiag_fn(void *arg, const struct sockdiag_entry *e);

/* Parses the netlink messages in p[0..n) of the answer to request seq:
 * calls fn for each entry that has a socket file. SOCKDIAG_MORE when more
 * messages are to come, SOCKDIAG_DONE at the end of the dump, SOCKDIAG_BAD
 * for an error message or malformed bytes. Messages of other sequence
 * numbers are skipped. */
int sockdiag_parse(const void *p, size_t n, uint32_t seq, sockdiag_fn *fn,
		   void *arg);

/* Dumps the AF_UNIX sockets of fd's namespace whose state is in states (a
 * mask of 1 << TCP_LISTEN etc.; ~0u for all), with names when names is
 * true. 0, or -1 with errno (EMSGSIZE past SOCKDIAG_MAX_BYTES, EPROTO for
 * a malformed answer). */
int sockdiag_dump(int fd, uint32_t states, bool names, sockdiag_fn *fn,
		  void *arg);

/* One TCP socket of a network namespace (sockdiag_dump_tcp). */
struct sockdiag_tcp {
	int family;      /* AF_INET or AF_INET6 */
	uint8_t state;   /* TCP_ESTABLISHED, TCP_LISTEN, ... */
	uint8_t src[16]; /* its local address (4 bytes for AF_INET) */
	uint16_t sport;  /* its local port, host order */
	uint32_t ino;    /* its socket's inode; 0 for one that no process
			  * holds any more (TIME_WAIT) */
};

typedef void sockdiag_tcp_fn(void *arg, const struct sockdiag_tcp *t);

/* As sockdiag_parse, for the answer to a TCP dump: fn for each socket. */
int sockdiag_parse_tcp(const void *p, size_t n, uint32_t seq,
		       sockdiag_tcp_fn *fn, void *arg);

/* Dumps the TCP sockets of family (AF_INET or AF_INET6) of fd's
 * namespace, in every state. 0, or -1 with errno as sockdiag_dump. */
int sockdiag_dump_tcp(int fd, int family, sockdiag_tcp_fn *fn, void *arg);

#endif
