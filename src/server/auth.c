/* auth.c — WebSocket upgrade authentication (see auth.h): flag
 * validation with the reference's messages (§19.2), secret files, and the
 * per-request check (§19.3). Nothing here logs. */
#include "server/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "lib/hex.h"
#include "lib/slice.h"
#include "lib/tokenfile.h"
#include "lib/xalloc.h"
#include "server/jws.h"

#define DIGEST_LEN SHA256_DIGEST_LENGTH

struct auth {
	enum auth_mode mode;
	unsigned char digest[DIGEST_LEN]; /* capability token's SHA-256 */
	bool has_approver;                 /* a second, approver token */
	unsigned char approver[DIGEST_LEN]; /* its SHA-256 */
	char *secret;                      /* signed-bearer HMAC key */
	size_t secret_len;
	char *issuer, *audience;           /* NULL: not checked */
	int64_t skew;
};

static const char mode_capability[] = "capability-token";
static const char mode_signed[] = "signed-bearer-token";
static const char mode_none[] = "none";

/* ---- flags ------------------------------------------------------------ */

struct flag {
	const char *name;
	const char *value_name;
	size_t off;
};

static const struct flag flags[] = {
	{"--ws-auth", "MODE", offsetof(struct auth_opts, mode)},
	{"--ws-token-file", "PATH", offsetof(struct auth_opts, token_file)},
	{"--ws-token-sha256", "HEX", offsetof(struct auth_opts, token_sha256)},
	{"--ws-shared-secret-file", "PATH",
	 offsetof(struct auth_opts, secret_file)},
	{"--ws-issuer", "ISSUER", offsetof(struct auth_opts, issuer)},
	{"--ws-audience", "AUDIENCE", offsetof(struct auth_opts, audience)},
	{"--ws-max-clock-skew-seconds", "SECONDS",
	 offsetof(struct auth_opts, max_skew)},
	{"--ws-approver-token-file", "PATH",
	 offsetof(struct auth_opts, approver_token_file)},
	{"--ws-approver-token-sha256", "HEX",
	 offsetof(struct auth_opts, approver_token_sha256)},
};

int
auth_opts_flag(struct auth_opts *o, int argc, char **argv, int *i,
	       struct errbuf *err)
{
	const char *arg = argv[*i];
	size_t k, len;

	for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		const char **slot = (const char **)((char *)o + flags[k].off);

		len = strlen(flags[k].name);
		if (strncmp(arg, flags[k].name, len) != 0)
			continue;
		if (arg[len] == '=') {
			*slot = arg + len + 1;
			return 1;
		}
		if (arg[len] != '\0')
			continue;
		if (*i + 1 >= argc) {
			errbuf_add(err, "a value is required for '%s <%s>' but "
				   "none was supplied", flags[k].name,
				   flags[k].value_name);
			return -1;
		}
		*slot = argv[++*i];
		return 1;
	}
	return 0;
}

/* ---- values ----------------------------------------------------------- */

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static struct slice
trim(const char *p, size_t n)
{
	while (n > 0 && is_space(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	return slice_of(p, n);
}

/* An unsigned decimal, as the reference's argument parser reads it. */
static int
parse_u64(const char *flag, const char *text, uint64_t *out,
	  struct errbuf *err)
{
	const char *p = text + (text[0] == '+');
	const char *why = NULL;
	uint64_t v = 0;

	if (*p == '\0')
		why = "cannot parse integer from empty string";
	for (; why == NULL && *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			why = "invalid digit found in string";
		else if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			why = "number too large to fit in target type";
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (why != NULL) {
		errbuf_add(err, "invalid value '%s' for '%s <SECONDS>': %s",
			   text, flag, why);
		return -1;
	}
	*out = v;
	return 0;
}

int
auth_parse_skew(const char *flag, const char *text, int64_t *out,
		struct errbuf *err)
{
	uint64_t v;

	if (parse_u64(flag, text, &v, err) == -1)
		return -1;
	if (v > INT64_MAX) {
		errbuf_add(err, "websocket auth clock skew must fit in a signed "
			   "64-bit integer");
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

static int
parse_digest(const char *flag, const char *text, unsigned char out[DIGEST_LEN],
	     struct errbuf *err)
{
	struct slice s = trim(text, strlen(text));
	int hi, lo;
	size_t i;

	if (s.n != 2 * DIGEST_LEN)
		goto bad;
	for (i = 0; i < DIGEST_LEN; i++) {
		hi = hex_digit(s.p[2 * i]);
		lo = hex_digit(s.p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
bad:
	errbuf_add(err, "%s must be a 64-character hex SHA-256 digest", flag);
	return -1;
}

static int
absolute(const char *flag, const char *path, struct errbuf *err)
{
	if (path[0] == '/')
		return 0;
	errbuf_add(err, "%s must be an absolute path", flag);
	return -1;
}

/* --ws-issuer / --ws-audience: trimmed; blank means unset. */
static char *
normalize(const char *v)
{
	struct slice s;

	if (v == NULL)
		return NULL;
	s = trim(v, strlen(v));
	return s.n == 0 ? NULL : xstrndup(s.p, s.n);
}

/* ---- secret files ----------------------------------------------------- */

static void
read_failed(const char *path, int e, struct errbuf *err)
{
	/* The reference prints Rust's io::Error: "<text> (os error N)". */
	errbuf_add(err, "failed to read websocket auth secret %s: %s (os error "
		   "%d)", path, strerror(e), e);
}

/* Reads all of fd into buf (cap bytes); -1 with errno, or -2 when the
 * file does not fit. No reallocation, so no stray copies of the secret. */
static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (n == cap)
			return -2;
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return (ssize_t)n;
		n += (size_t)r;
	}
}

char *
auth_read_secret(const char *path, size_t *len, struct errbuf *err)
{
	char *buf = xmalloc(AUTH_MAX_SECRET_FILE);
	char *out = NULL;
	struct stat st;
	struct slice s;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 || fstat(fd, &st) == -1) {
		read_failed(path, errno, err);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		errbuf_add(err, "websocket auth secret %s must not be group- or "
			   "world-writable", path);
		goto out;
	}
	/* Anyone who can read it can connect: as bad as writing it. */
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		errbuf_add(err, "websocket auth secret %s must not be group- or "
			   "world-readable (chmod 600 it)", path);
		goto out;
	}
	n = read_all(fd, buf, AUTH_MAX_SECRET_FILE);
	if (n == -2)
		errbuf_add(err, "failed to read websocket auth secret %s: file "
			   "is larger than %d bytes", path,
			   AUTH_MAX_SECRET_FILE);
	if (n == -1)
		read_failed(path, errno, err);
	if (n < 0)
		goto out;
	s = trim(buf, (size_t)n);
	if (s.n == 0) {
		errbuf_add(err, "websocket auth secret %s must not be empty",
			   path);
		goto out;
	}
	out = xstrndup(s.p, s.n);
	*len = s.n;
out:
	explicit_bzero(buf, AUTH_MAX_SECRET_FILE);
	free(buf);
	if (fd != -1)
		close(fd);
	return out;
}

void
auth_secret_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	explicit_bzero(s, len);
	free(s);
}

/* ---- construction ----------------------------------------------------- */

static int
load_capability(struct auth *a, const struct auth_opts *o, struct errbuf *err)
{
	size_t len = 0;
	char *tok;

	if (o->secret_file || o->issuer || o->audience || o->max_skew) {
		errbuf_add(err, "`--ws-shared-secret-file`, `--ws-issuer`, "
			   "`--ws-audience`, and `--ws-max-clock-skew-seconds` "
			   "require `--ws-auth signed-bearer-token`");
		return -1;
	}
	if (o->token_file && o->token_sha256) {
		errbuf_add(err, "`--ws-token-file` and `--ws-token-sha256` are "
			   "mutually exclusive");
		return -1;
	}
	if (o->token_sha256)
		return parse_digest("--ws-token-sha256", o->token_sha256,
				    a->digest, err);
	if (o->token_file == NULL) {
		errbuf_add(err, "`--ws-token-file` or `--ws-token-sha256` is "
			   "required when `--ws-auth capability-token` is set");
		return -1;
	}
	if (absolute("--ws-token-file", o->token_file, err) == -1)
		return -1;
	tok = auth_read_secret(o->token_file, &len, err);
	if (tok == NULL)
		return -1;
	SHA256((const unsigned char *)tok, len, a->digest);
	auth_secret_free(tok, len);
	return 0;
}

/* [ours] The approver token: a capability token of its own. */
static int
load_approver(struct auth *a, const struct auth_opts *o, struct errbuf *err)
{
	size_t len = 0;
	char *tok;

	if (o->approver_token_file == NULL && o->approver_token_sha256 == NULL)
		return 0;
	if (o->approver_token_file && o->approver_token_sha256) {
		errbuf_add(err, "`--ws-approver-token-file` and "
			   "`--ws-approver-token-sha256` are mutually "
			   "exclusive");
		return -1;
	}
	if (o->approver_token_sha256) {
		if (parse_digest("--ws-approver-token-sha256",
				 o->approver_token_sha256, a->approver,
				 err) == -1)
			return -1;
	} else {
		if (absolute("--ws-approver-token-file",
			     o->approver_token_file, err) == -1)
			return -1;
		tok = auth_read_secret(o->approver_token_file, &len, err);
		if (tok == NULL)
			return -1;
		SHA256((const unsigned char *)tok, len, a->approver);
		auth_secret_free(tok, len);
	}
	if (CRYPTO_memcmp(a->approver, a->digest, DIGEST_LEN) == 0) {
		errbuf_add(err, "the approver token must differ from the "
			   "`--ws-token-file` token: a client holding both "
			   "could approve its own requests");
		return -1;
	}
	a->has_approver = true;
	return 0;
}

static int
load_signed(struct auth *a, const struct auth_opts *o, struct errbuf *err)
{
	if (o->token_file || o->token_sha256) {
		errbuf_add(err, "`--ws-token-file` and `--ws-token-sha256` "
			   "require `--ws-auth capability-token`, not "
			   "`signed-bearer-token`");
		return -1;
	}
	if (o->secret_file == NULL) {
		errbuf_add(err, "`--ws-shared-secret-file` is required when "
			   "`--ws-auth signed-bearer-token` is set");
		return -1;
	}
	if (absolute("--ws-shared-secret-file", o->secret_file, err) == -1)
		return -1;
	a->secret = auth_read_secret(o->secret_file, &a->secret_len, err);
	if (a->secret == NULL)
		return -1;
	if (a->secret_len < AUTH_MIN_SECRET) {
		errbuf_add(err, "signed websocket bearer secret %s must be at "
			   "least %d bytes", o->secret_file, AUTH_MIN_SECRET);
		return -1;
	}
	a->skew = AUTH_DEFAULT_SKEW;
	if (o->max_skew && auth_parse_skew("--ws-max-clock-skew-seconds",
					   o->max_skew, &a->skew, err) == -1)
		return -1;
	a->issuer = normalize(o->issuer);
	a->audience = normalize(o->audience);
	return 0;
}

static int
any_flag(const struct auth_opts *o)
{
	return o->token_file || o->token_sha256 || o->secret_file ||
	       o->issuer || o->audience || o->max_skew ||
	       o->approver_token_file || o->approver_token_sha256;
}

static bool
approver_flag(const struct auth_opts *o)
{
	return o->approver_token_file || o->approver_token_sha256;
}

bool
auth_opts_empty(const struct auth_opts *o)
{
	return o->mode == NULL && !any_flag(o);
}

static int
load_none(bool loopback, const char *listener, const struct auth_opts *o,
	  struct errbuf *err)
{
	if (any_flag(o)) {
		errbuf_add(err, "websocket auth flags require `--ws-auth "
			   "capability-token` or `--ws-auth "
			   "signed-bearer-token`");
		return -1;
	}
	if (!loopback && o->mode != NULL) {
		errbuf_add(err, "`--ws-auth none` is only allowed on a loopback "
			   "listener, not %s; configure `--ws-auth "
			   "capability-token` or `--ws-auth "
			   "signed-bearer-token`", listener);
		return -1;
	}
	if (!loopback) {
		errbuf_add(err, "refusing to start non-loopback websocket "
			   "listener %s without auth; configure `--ws-auth "
			   "capability-token` or `--ws-auth "
			   "signed-bearer-token`", listener);
		return -1;
	}
	return 0;
}

struct auth *
auth_new(const struct auth_opts *o, bool loopback, const char *listener,
	 struct errbuf *err)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	uint64_t skew;
	int rc;

	/* The skew's syntax is the argument parser's business in the
	 * reference, so it is judged before any combination. */
	if (o->max_skew && parse_u64("--ws-max-clock-skew-seconds",
				     o->max_skew, &skew, err) == -1)
		goto fail;
	if (o->mode == NULL || strcmp(o->mode, mode_none) == 0) {
		a->mode = AUTH_NONE;
		rc = load_none(loopback, listener, o, err);
	} else if (strcmp(o->mode, mode_capability) == 0) {
		a->mode = AUTH_CAPABILITY_TOKEN;
		rc = load_capability(a, o, err);
		if (rc == 0)
			rc = load_approver(a, o, err);
	} else if (strcmp(o->mode, mode_signed) == 0) {
		a->mode = AUTH_SIGNED_BEARER;
		rc = approver_flag(o) ? -1 : load_signed(a, o, err);
		if (approver_flag(o))
			errbuf_add(err, "`--ws-approver-token-file` and "
				   "`--ws-approver-token-sha256` require "
				   "`--ws-auth capability-token`; signed "
				   "tokens carry a `scope` claim instead");
	} else {
		errbuf_add(err, "invalid value '%s' for '--ws-auth <MODE>' "
			   "[possible values: %s, %s, %s]", o->mode,
			   mode_capability, mode_signed, mode_none);
		rc = -1;
	}
	if (rc == 0)
		return a;
fail:
	auth_free(a);
	return NULL;
}

struct auth *
auth_new_generated(const char *path, struct errbuf *err)
{
	char tok[TOKENFILE_LEN + 1];
	struct auth *a;

	if (tokenfile_create(path, tok, err) == -1)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->mode = AUTH_CAPABILITY_TOKEN;
	SHA256((const unsigned char *)tok, TOKENFILE_LEN, a->digest);
	explicit_bzero(tok, sizeof(tok));
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	auth_secret_free(a->secret, a->secret_len);
	free(a->issuer);
	free(a->audience);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

enum auth_mode
auth_mode(const struct auth *a)
{
	return a == NULL ? AUTH_NONE : a->mode;
}

/* ---- per request ------------------------------------------------------ */

static const char msg_missing[] = "missing websocket bearer token";
static const char msg_header[] = "invalid authorization header";
static const char msg_token[] = "invalid websocket bearer token";

/* The token of `Bearer TOKEN` (split at the first space, scheme
 * case-insensitive, token trimmed), or a slice with p NULL when the header
 * is not one. Only visible ASCII and tab are allowed, as the reference's
 * HeaderValue::to_str(). */
static struct slice
bearer_token(const char *p, size_t n)
{
	static const struct slice none = {NULL, 0};
	const char *sp;
	struct slice tok;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c != '\t' && (c < 0x20 || c >= 0x7f))
			return none;
	}
	sp = memchr(p, ' ', n);
	if (sp == NULL || sp - p != 6 || strncasecmp(p, "Bearer", 6) != 0)
		return none;
	tok = trim(sp + 1, n - 7);
	return tok.n == 0 ? none : tok;
}

/* Both digests are always compared, so the time taken does not say
 * which token a guess came close to. */
static const char *
check_capability(const struct auth *a, struct slice tok, unsigned *scope)
{
	unsigned char d[DIGEST_LEN];
	int main_ok, appr_ok;

	if (tok.n > AUTH_MAX_TOKEN)
		return msg_token;
	SHA256((const unsigned char *)tok.p, tok.n, d);
	main_ok = CRYPTO_memcmp(d, a->digest, DIGEST_LEN) == 0;
	appr_ok = CRYPTO_memcmp(d, a->approver, DIGEST_LEN) == 0 &&
		  a->has_approver;
	explicit_bzero(d, sizeof(d));
	if (main_ok)
		*scope = a->has_approver ? AUTH_SCOPE_EXEC : AUTH_SCOPE_ALL;
	else if (appr_ok)
		*scope = AUTH_SCOPE_APPROVE;
	return main_ok || appr_ok ? NULL : msg_token;
}

static bool
scope_word(const char *w, size_t n, unsigned *scope)
{
	if (n == 4 && strncmp(w, "exec", 4) == 0)
		*scope |= AUTH_SCOPE_EXEC;
	else if (n == 7 && strncmp(w, "approve", 7) == 0)
		*scope |= AUTH_SCOPE_APPROVE;
	else
		return false;
	return true;
}

/* "exec approve": space-separated words, each known. */
static bool
scope_words(const char *s, unsigned *scope)
{
	size_t n;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		n = strcspn(s, " ");
		if (!scope_word(s, n, scope))
			return false;
		s += n;
	}
	return true;
}

int
auth_scope_claim(const json_t *v, unsigned *scope)
{
	const json_t *it;
	size_t i;

	*scope = 0;
	if (v == NULL || json_is_null(v)) {
		*scope = AUTH_SCOPE_ALL;
		return 0;
	}
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    !scope_words(json_string_value(v), scope))
			return -1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, it) {
			if (!json_is_string(it) ||
			    !scope_word(json_string_value(it),
					json_string_length(it), scope))
				return -1;
		}
	} else {
		return -1;
	}
	return *scope != 0 ? 0 : -1;
}

static const char *
check_signed(const struct auth *a, struct slice tok, int64_t now,
	     unsigned *scope)
{
	struct jws_key key = {(const unsigned char *)a->secret, a->secret_len};
	struct jws_checks c = {a->issuer, a->audience, a->skew, now};
	enum jws_status st;
	json_t *claims = NULL;

	st = jws_verify(tok.p, tok.n, key, &c, &claims);
	if (st == JWS_OK &&
	    auth_scope_claim(json_object_get(claims, "scope"), scope) == -1)
		st = JWS_INVALID;
	json_decref(claims);
	return jws_status_text(st);
}

const char *
auth_check_scope(const struct auth *a, const char *p, size_t n, int64_t now,
		 unsigned *scope)
{
	struct slice tok;
	unsigned got = 0;
	const char *why;

	*scope = 0;
	if (a == NULL || a->mode == AUTH_NONE) {
		*scope = AUTH_SCOPE_ALL;
		return NULL;
	}
	if (p == NULL)
		return msg_missing;
	tok = bearer_token(p, n);
	if (tok.p == NULL)
		return msg_header;
	if (a->mode == AUTH_CAPABILITY_TOKEN)
		why = check_capability(a, tok, &got);
	else
		why = check_signed(a, tok, now, &got);
	if (why == NULL)
		*scope = got;
	return why;
}

const char *
auth_check(const struct auth *a, const char *p, size_t n, int64_t now)
{
	unsigned scope;

	return auth_check_scope(a, p, n, now, &scope);
}

bool
auth_has_approver(const struct auth *a)
{
	return a != NULL && a->has_approver;
}
