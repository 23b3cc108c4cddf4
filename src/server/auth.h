/* auth.h — authentication of the app-server's WebSocket upgrades
 * (reference §19.2–19.3, DESIGN §7).
 *
 * struct auth_opts collects the raw `--ws-*` flags as given on the command
 * line; auth_new() validates the combination with the reference's exact
 * messages, reads the token or secret file once (trimmed; refused when
 * group- or world-writable [ours]) and returns an immutable struct auth.
 * auth_check() judges one `Authorization` header value at time `now`
 * (unix seconds) and returns NULL to accept or the exact 401 text:
 *   missing websocket bearer token / invalid authorization header /
 *   invalid websocket bearer token / invalid websocket jwt /
 *   expired websocket jwt / websocket jwt is not valid yet /
 *   websocket jwt issuer mismatch / websocket jwt audience mismatch
 * Capability tokens are compared as SHA-256 digests in constant time;
 * signed tokens are compact HS256 JWS (jws.h). Tokens over AUTH_MAX_TOKEN
 * bytes are refused. Nothing here logs, and secrets are wiped on free. */
#ifndef AIRLOCK_AUTH_H
#define AIRLOCK_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/errbuf.h"

#define AUTH_MAX_TOKEN (8 * 1024)

enum auth_mode { AUTH_NONE, AUTH_CAPABILITY_TOKEN, AUTH_SIGNED_BEARER };

struct auth_opts {
	const char *mode;          /* --ws-auth value, or NULL */
	const char *token_file;    /* --ws-token-file */
	const char *token_sha256;  /* --ws-token-sha256 */
	const char *secret_file;   /* --ws-shared-secret-file */
	const char *issuer;        /* --ws-issuer */
	const char *audience;      /* --ws-audience */
	const char *max_skew;      /* --ws-max-clock-skew-seconds (text) */
	/* [ours] a second capability token, for approver clients */
	const char *approver_token_file;   /* --ws-approver-token-file */
	const char *approver_token_sha256; /* --ws-approver-token-sha256 */
};

struct auth;

/* If argv[*i] is one of the --ws-* flags (`--flag VALUE` or
 * `--flag=VALUE`), stores it in o, advances *i past its value and returns
 * 1; returns 0 when it is not one; -1 (message in err) when its value is
 * missing. Values are borrowed from argv. */
int auth_opts_flag(struct auth_opts *o, int argc, char **argv, int *i,
		   struct errbuf *err);

/* True when no --ws-* flag was given at all. */
bool auth_opts_empty(const struct auth_opts *o);

/* Validates o for a listener (loopback true when its IP is in 127/8 or
 * ::1) and loads the secret. listener is the `ip:port` text used in the
 * non-loopback refusal. NULL with the reference's message in err.
 * `--ws-auth none` [ours] is AUTH_NONE on purpose, refused on a
 * non-loopback listener; no --ws-auth at all is AUTH_NONE too, for the
 * stdio transport (a ws:// listener uses auth_new_generated instead). */
struct auth *auth_new(const struct auth_opts *o, bool loopback,
		      const char *listener, struct errbuf *err);
/* [ours] The default of a ws:// listener started without --ws-auth: a
 * capability token made fresh and written to path (lib/tokenfile.h);
 * only its SHA-256 is kept. NULL with `path: problem` in err. */
struct auth *auth_new_generated(const char *path, struct errbuf *err);
void auth_free(struct auth *a);
enum auth_mode auth_mode(const struct auth *a);

/* Judges an Authorization header value (p[0..n), p NULL when the header
 * is absent). NULL = accepted. Always accepts under AUTH_NONE. */
const char *auth_check(const struct auth *a, const char *p, size_t n,
		       int64_t now);

/* [ours] Roles. A client may run commands (exec), answer approval
 * requests (approve), or both:
 *   - AUTH_NONE, and a capability token alone: both;
 *   - with an approver token (--ws-approver-token-file / -sha256, only
 *     under capability-token, and not the same token): the first token
 *     is exec only, the approver token approve only;
 *   - a signed token's `scope` claim: "exec", "approve", both separated
 *     by a space, or an array of those strings; absent (or null) = both.
 *     Any other value, or an empty list, is `invalid websocket jwt`.
 * auth_check_scope() is auth_check() that also says which (*scope gets
 * AUTH_SCOPE_* bits on acceptance). */
#define AUTH_SCOPE_EXEC 1u
#define AUTH_SCOPE_APPROVE 2u
#define AUTH_SCOPE_ALL (AUTH_SCOPE_EXEC | AUTH_SCOPE_APPROVE)
const char *auth_check_scope(const struct auth *a, const char *p, size_t n,
			     int64_t now, unsigned *scope);
/* Parses a `scope` claim value (NULL or null: both). 0 with *scope, or
 * -1 when it is not one of the forms above. */
int auth_scope_claim(const json_t *v, unsigned *scope);
/* True when an approver token was configured. */
bool auth_has_approver(const struct auth *a);

/* Added by the auth implementation (the functions above are unchanged). */

#define AUTH_MIN_SECRET 32        /* bytes of a signed-bearer secret */
#define AUTH_DEFAULT_SKEW 30      /* seconds */
#define AUTH_MAX_SECRET_FILE 16384

/* Reads a token or secret file the way auth_new() does: once, refused
 * when group- or world-writable, trimmed of ASCII whitespace, refused when
 * empty. Returns the trimmed bytes (NUL-terminated heap copy, *len bytes)
 * or NULL with the reference's message in err. Free with
 * auth_secret_free(), which wipes it. */
char *auth_read_secret(const char *path, size_t *len, struct errbuf *err);
void auth_secret_free(char *s, size_t len);

/* Parses a clock-skew value given to flag (unsigned decimal that fits in
 * a signed 64-bit integer). 0, or -1 with the message in err. */
int auth_parse_skew(const char *flag, const char *text, int64_t *out,
		    struct errbuf *err);

#endif
