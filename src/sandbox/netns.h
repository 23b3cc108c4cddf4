/* netns.h — the network side of the sandbox's namespace.
 *
 * The command's network namespace holds only lo, which the namespace's
 * first process brings up with the network on or off: its loopback is the
 * sandbox's own. When network is granted, that process also creates the
 * proxy's listening sockets there on 127.0.0.1 (netns_listen) and sends
 * them to the parent over a unix socketpair (netns_send); the parent's
 * embedded proxy accepts on them and dials out from the host namespace.
 * There is no veth and no bridge process. The UDP socket of the stub
 * resolver (127.0.0.1:53, netns_bind_dns) travels the same way, and, in
 * both modes, a sock_diag netlink socket of the namespace (netns_diag):
 * the supervisor (unotify.h) asks it which unix sockets were bound inside.
 *
 * Message on the socketpair: one struct netns_msg, with up to
 * NETNS_MAX_FDS descriptors attached as SCM_RIGHTS, kinds[i] saying what
 * the i-th one is. An error text in the message means the sandbox could
 * not be set up. The sandbox's first message is its report (the
 * listeners, or why it failed); later ones may bring more descriptors
 * (the master of the sandbox's pty, NETNS_FD_PTY; the command's seccomp
 * listener, NETNS_FD_NOTIFY) or a failure met
 * after the parent's go (session.h reads them all).
 *
 * Everything here but netns_recv runs in a cloned child: system calls
 * only, errors into a fixed errbuf (no allocation, no lock). */
#ifndef AIRLOCK_SANDBOX_NETNS_H
#define AIRLOCK_SANDBOX_NETNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/errbuf.h"

/* HTTP, SOCKS5, DNS, sock_diag, two transparent listeners and the
 * SOCKS5 UDP pool. */
#define NETNS_MAX_FDS 16
#define NETNS_DNS_PORT 53 /* resolv.conf cannot name another */

enum netns_fd_kind {
	NETNS_FD_HTTP,  /* TCP listener of the HTTP proxy */
	NETNS_FD_SOCKS, /* TCP listener of the SOCKS5 proxy */
	NETNS_FD_DNS,   /* UDP socket of the stub resolver */
	NETNS_FD_DIAG,  /* NETLINK_SOCK_DIAG socket of the namespace */
	NETNS_FD_NOTIFY, /* the command's seccomp listener (after the go;
			  * apply.h) */
	NETNS_FD_TRANSPARENT, /* TCP listener the rules route connections
			       * to (netrules.h), 127.0.0.1 or ::1 */
	NETNS_FD_UDP,    /* a UDP socket on 127.0.0.1 for SOCKS5 UDP relays */
	NETNS_FD_PTY,    /* the master of the sandbox's own pty (after the
			  * go; ctty.h) */
};

struct netns_msg {
	int nfds;                    /* descriptors attached */
	uint16_t ports[NETNS_MAX_FDS]; /* the port each one is bound to */
	uint8_t kinds[NETNS_MAX_FDS];  /* enum netns_fd_kind of each */
	char error[512];             /* "" on success */
};

/* Brings up lo in the current network namespace. -1 with a message. */
int netns_lo_up(struct errbuf *err);
/* A listening TCP socket on 127.0.0.1:port (0 = ephemeral), close-on-exec;
 * *bound gets the port. -1 with a message. */
int netns_listen(uint16_t port, uint16_t *bound, struct errbuf *err);
/* The transparent listeners: TCP sockets listening on 127.0.0.1:port
 * and [::1]:port (IPv6 only, close-on-exec; a port below 1024 needs
 * CAP_NET_BIND_SERVICE, which the namespace's first process holds).
 * fds[0] is IPv4; fds[1] IPv6, or -1 when the kernel has no IPv6.
 * Returns how many (1 or 2), or -1 with a message. */
int netns_listen_transparent(uint16_t port, int fds[2], struct errbuf *err);
/* A UDP socket bound to 127.0.0.1 on an ephemeral port, close-on-exec.
 * -1 with a message. */
int netns_udp(struct errbuf *err);
/* A UDP socket bound to 127.0.0.1:NETNS_DNS_PORT, close-on-exec: binding
 * port 53 needs CAP_NET_BIND_SERVICE, which the namespace's first process
 * holds over its own namespace. -1 with a message. */
int netns_bind_dns(struct errbuf *err);
/* A NETLINK_SOCK_DIAG socket of the current network namespace,
 * close-on-exec. -1 with a message. */
int netns_diag(struct errbuf *err);
/* The descriptor of kind k among fds (as received with m), or -1. */
int netns_msg_fd(const struct netns_msg *m, const int *fds,
		 enum netns_fd_kind k);
/* Sends m with fds[0..m->nfds) attached. 0 or -1 (errno set). */
int netns_send(int sock, const struct netns_msg *m, const int *fds);
/* Receives one message from sock (blocking or not, as sock is) and
 * returns its size: sizeof(*m) for a struct netns_msg, whose fds[] then
 * gets m->nfds descriptors (close-on-exec); a shorter message is another
 * kind (its bytes are at the start of m, any descriptors with it are
 * closed); 0 at EOF; -1 on error with errno (EAGAIN: nothing there;
 * EBADMSG: a malformed message, its descriptors closed). */
ssize_t netns_recv(int sock, struct netns_msg *m, int *fds);

#endif
