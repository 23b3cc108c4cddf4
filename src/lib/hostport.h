/* hostport.h — the authority part of a URL (`host:port`, `[v6]:port`,
 * optionally `user@` in front and a `/` after), as written in listener
 * addresses, upstream proxy URLs and the app-server's --listen URL.
 *
 * One pure parser for all of them: bytes in, struct or a reason out, no
 * allocation, no I/O. It splits and checks the syntax only; whether the
 * host must be an IP literal is the caller's business. The host of an
 * unbracketed authority ends at its first ':' (an IPv6 literal must be
 * bracketed). */
#ifndef AIRLOCK_HOSTPORT_H
#define AIRLOCK_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/slice.h"

enum {
	HOSTPORT_USERINFO = 1,	   /* `user[:pass]@` may come first */
	HOSTPORT_PORT_REQUIRED = 2, /* a missing port is an error */
	HOSTPORT_SLASH = 4,	   /* one trailing `/` is allowed */
};

struct hostport {
	struct slice userinfo;	/* before the last '@'; empty when none */
	struct slice host;	/* never empty; brackets removed */
	bool bracketed;		/* the host was written `[...]` */
	int port;		/* 0..65535, or -1 when there was none */
};

/* Parses s[0..n) (the part after `scheme://`) with the HOSTPORT_ flags.
 * Returns NULL and fills out, or a static reason: "unexpected path",
 * "user info is not allowed", "unterminated [", "junk after ]",
 * "missing host", "missing port", "empty port", "port must be
 * 0..65535". */
const char *hostport_parse(const char *s, size_t n, unsigned flags,
			   struct hostport *out);

#endif
