/* origdst.h — where a connection was going before the sandbox's nat rules
 * redirected it to the proxy's transparent listener.
 *
 * The kernel's connection tracking remembers a redirected connection's
 * original destination; SO_ORIGINAL_DST (IPv4) and IP6T_SO_ORIGINAL_DST
 * (IPv6) read it from the accepted socket, in the socket's own network
 * namespace (the sandbox's), whichever process asks. A connection that
 * was not redirected (made to the listener's own address) reads as its
 * real destination, the listener. */
#ifndef AIRLOCK_ORIGDST_H
#define AIRLOCK_ORIGDST_H

#include <sys/socket.h>

/* The original destination of accepted socket fd, of fd's family. 0, or
 * -1 with errno (ENOENT: the kernel tracks no such connection). */
int origdst_get(int fd, struct sockaddr_storage *out);

#endif
