/* tls_hello.h — the server name (SNI) of a TLS ClientHello, read from the
 * first bytes a client sends into a tunnel.
 *
 * Pure: no I/O, no allocation, no logging. tls_hello_parse() takes the
 * bytes received so far, p[0..n), and reads TLS records from them:
 *
 *   - a first byte other than 22 (handshake), 20, 21 or 23 (the other
 *     record types) means the stream is not TLS: TLS_HELLO_NOT_TLS;
 *   - records must all be handshake records (type 22) of 1..16384 bytes;
 *     the record version is not judged (servers differ in what they
 *     accept there, so it decides nothing);
 *   - the first handshake message, reassembled across as many records as
 *     it was split into, must be a ClientHello (type 1) of at most
 *     TLS_HELLO_MAX bytes whose fields all fit exactly: version, random,
 *     session id (≤ 32), cipher suites (even, ≥ 2), compression methods
 *     (≥ 1) and, when present, an extensions block that ends exactly where
 *     the message ends, each extension inside it;
 *   - at most one server_name extension, holding exactly one entry, of
 *     type host_name, 1..255 bytes, no NUL.
 * Anything else that starts like TLS is TLS_HELLO_INVALID: a reader that
 * cannot tell which name a server will see must not guess.
 *
 * Returns the number of bytes up to the end of the ClientHello (> 0)
 * with out filled, TLS_HELLO_INCOMPLETE (0) when p holds a valid prefix
 * and more bytes are needed, or a negative code. Never reads past
 * p[n-1]. */
#ifndef AIRLOCK_TLS_HELLO_H
#define AIRLOCK_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_HELLO_MAX (16 * 1024) /* longest ClientHello message read */
#define TLS_HELLO_NAME_MAX 255

enum {
	TLS_HELLO_INCOMPLETE = 0,
	TLS_HELLO_NOT_TLS = -1,
	TLS_HELLO_INVALID = -2,
	TLS_HELLO_TOO_BIG = -3, /* a ClientHello longer than TLS_HELLO_MAX */
};

struct tls_hello {
	bool has_sni;
	char sni[TLS_HELLO_NAME_MAX + 1]; /* as sent, NUL-terminated */
	size_t sni_len;
};

int tls_hello_parse(const char *p, size_t n, struct tls_hello *out);

#endif
