/* resolv.h — the sandbox's /etc/resolv.conf.
 *
 * Inside every sandbox (network granted or not) /etc/resolv.conf reads
 * RESOLV_CONF_TEXT: the one name server is 127.0.0.1, where airlock's stub
 * resolver listens when the network is granted (proxy/dns_stub.h) and
 * nothing can be reached when it is not, so a lookup fails at once rather
 * than after a timeout. The search domain is airlock.invalid: without a
 * search line glibc would append the host name's domain to a name that
 * fails, and with `search .` ask the same name twice; a name under
 * .invalid exists nowhere (RFC 6761), the stub answers it NXDOMAIN
 * without recording it, so every lookup is asked once, as written.
 * /etc/hosts is left alone and keeps answering first.
 *
 * The file lives on a tmpfs of the sandbox's own mount namespace, created
 * by the namespace's first process before the command exists, and is
 * bound read-only over the host's file (the file a symlinked
 * /etc/resolv.conf names, e.g. systemd-resolved's stub-resolv.conf). To
 * make it, a small tmpfs is mounted for a moment on /proc, which every
 * sandbox has (it mounts a fresh one there), then detached again; only the
 * bind mount keeps the tmpfs alive. Nothing is written to the host, and
 * the command can neither write the file (read-only mount) nor unmount it
 * (seccomp, Landlock). */
#ifndef AIRLOCK_SANDBOX_RESOLV_H
#define AIRLOCK_SANDBOX_RESOLV_H

#include "lib/errbuf.h"

#define RESOLV_CONF_TEXT                                                       \
	"# airlock: the sandbox's stub resolver; it answers only names the\n" \
	"# network policy allows, and never forwards a query. The search\n"  \
	"# domain never exists (RFC 6761), so names are looked up as\n"      \
	"# written and never with the host's domain appended.\n"             \
	"nameserver 127.0.0.1\n"                                               \
	"search airlock.invalid\n"                                             \
	"options ndots:1 timeout:1 attempts:2\n"

/* Binds a read-only file holding RESOLV_CONF_TEXT over target (an existing
 * file). Must run inside a private mount namespace with the capability to
 * mount. -1 with `what: why` in err. */
int resolv_bind(const char *target, struct errbuf *err);

#endif
