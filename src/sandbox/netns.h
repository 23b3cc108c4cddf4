/* netns.h — the network side of the sandbox's namespace.
 *
 * The command's network namespace holds only lo. When network is granted,
 * the namespace's first process brings lo up, creates the proxy's
 * listening sockets there on 127.0.0.1 (netns_listen) and sends them to
 * the parent over a unix socketpair (netns_send); the parent's embedded
 * proxy accepts on them and dials out from the host namespace. There is
 * no veth and no bridge process.
 *
 * Message on the socketpair: one struct netns_msg, with up to
 * NETNS_MAX_FDS descriptors attached as SCM_RIGHTS. An error text in the
 * message means the namespace could not be set up. */
#ifndef AIRLOCK_SANDBOX_NETNS_H
#define AIRLOCK_SANDBOX_NETNS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

#define NETNS_MAX_FDS 2

struct netns_msg {
	int nfds;                    /* descriptors attached */
	uint16_t ports[NETNS_MAX_FDS]; /* the port each one is bound to */
	char error[512];             /* "" on success */
};

/* Brings up lo in the current network namespace. -1 with a message. */
int netns_lo_up(struct errbuf *err);
/* A listening TCP socket on 127.0.0.1:port (0 = ephemeral), close-on-exec;
 * *bound gets the port. -1 with a message. */
int netns_listen(uint16_t port, uint16_t *bound, struct errbuf *err);
/* Sends m with fds[0..m->nfds) attached. 0 or -1 (errno set). */
int netns_send(int sock, const struct netns_msg *m, const int *fds);
/* Receives one message; fds[] gets m->nfds descriptors (close-on-exec).
 * -1 on EOF or error, or a malformed message. */
int netns_recv(int sock, struct netns_msg *m, int *fds);

#endif
