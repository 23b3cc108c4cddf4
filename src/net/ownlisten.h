/* ownlisten.h — the registry of airlock's own listeners.
 *
 * No airlock proxy may connect to a listener of any airlock process (the
 * app-server, the admin API, the proxy's own HTTP and SOCKS5 ports),
 * whatever its policy allows: a sandboxed command that reached the
 * app-server could ask it for an unsandboxed command. Every listener
 * airlock binds itself is registered here, and the proxy asks
 * ownlisten_find() about every address it is about to dial.
 *
 * The registry is the abstract AF_UNIX namespace of the network namespace
 * the listener lives in: registering binds a SOCK_DGRAM socket to the
 * name `airlock-listener:tcp:IP:PORT` (see ownlisten_name) and keeps it
 * open; looking up connects an unbound datagram socket to that name. So:
 *   - an entry lives exactly as long as the process that holds it: the
 *     kernel drops the name when the last descriptor closes, a crash
 *     included, and there is nothing to prune and no pid to reuse;
 *   - a sandboxed command cannot remove or hide an entry: it lives in
 *     another network namespace (its own abstract namespace), has no
 *     access to our descriptors, and seccomp refuses it new AF_UNIX
 *     sockets; a process that can bind names in ours (another local user,
 *     an unsandboxed process) can only add names, which blocks more (fail
 *     closed), or squat a name first, which makes the listener refuse to
 *     start (ownlisten_add fails) rather than run unregistered;
 *   - every user's airlock is covered: the namespace is shared by all the
 *     processes of a network namespace, so one user's proxy refuses another
 *     user's app-server too.
 * Limits: a listener in another network namespace (a container) that is
 * reachable over a routed address is not known here; listeners that
 * airlock adopts from the sandbox's own namespace (the embedded proxy's
 * ports) are not registered, since the host's addresses do not reach them.
 *
 * Matching (ownlisten_find): an IPv4-mapped address is its IPv4 address;
 * a destination 0.0.0.0 or :: is the loopback address the kernel connects
 * it to; a listener on 0.0.0.0 is reached through any local IPv4 address
 * and one on :: through any local address (dual stack). "Local" is
 * loopback or an address the host can bind; when in doubt it is local. */
#ifndef AIRLOCK_OWNLISTEN_H
#define AIRLOCK_OWNLISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/errbuf.h"

#define OWNLISTEN_NAME_MAX 108 /* sizeof(sun_path) */

/* Writes the abstract socket name of addr:port into out (out[0] is the
 * NUL that makes it abstract; not NUL-terminated) after normalising an
 * IPv4-mapped address. Returns its length, or 0 when addr is neither IPv4
 * nor IPv6. Pure. */
size_t ownlisten_name(const struct sockaddr_storage *addr, uint16_t port,
		      char out[OWNLISTEN_NAME_MAX]);

/* Registers the listener bound at bound (port included, as returned by
 * getsockname). Returns the registration, a descriptor to pass to
 * ownlisten_remove(), or -1 with `listener registry: ...` in err (also
 * when another process holds the name). */
int ownlisten_add(const struct sockaddr_storage *bound, struct errbuf *err);
/* Ends a registration (-1 is ignored). */
void ownlisten_remove(int reg);

/* True when a TCP connection to addr on port (the port in addr is
 * ignored) would reach a registered listener. Fails closed: a lookup that
 * cannot be made answers true. */
bool ownlisten_find(const struct sockaddr_storage *addr, uint16_t port);

#endif
