/* token.c — `airlock token mint|verify`: make and check the HS256 bearer
 * tokens of `airlock app-server --ws-auth signed-bearer-token` (reference
 * §19.2–19.3). Verification is the server's own (server/jws.h), so a
 * refusal prints exactly the server's 401 text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "lib/errbuf.h"
#include "lib/xalloc.h"
#include "server/auth.h"
#include "server/jws.h"

#define TOKEN_DEFAULT_TTL 3600

static const char usage_text[] =
	"usage: airlock token mint --secret-file FILE [--issuer I] "
	"[--audience A]\n"
	"                          [--ttl SECONDS] [--subject S]\n"
	"       airlock token verify --secret-file FILE [--issuer I] "
	"[--audience A]\n"
	"                          [--max-clock-skew-seconds N] TOKEN|-\n"
	"\n"
	"mint prints a compact HS256 JWS (claims iat, exp = iat + ttl, and iss,\n"
	"aud, sub when given; ttl defaults to 3600) for an app-server started\n"
	"with --ws-auth signed-bearer-token. verify checks TOKEN (or one read\n"
	"from stdin for -) exactly as the server would: it prints the claims as\n"
	"JSON and exits 0, or prints the server's refusal and exits 1.\n"
	"FILE must be an absolute path to a file that is not group- or\n"
	"world-writable holding at least 32 bytes (trimmed).\n";

struct token_opts {
	const char *secret_file, *issuer, *audience, *subject;
	const char *ttl, *skew, *token;
	int verify;
};

static int
take(const char *name, const char **slot, int argc, char **argv, int *i)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len) != 0)
		return 0;
	if (argv[*i][len] == '=') {
		*slot = argv[*i] + len + 1;
		return 1;
	}
	if (argv[*i][len] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "airlock token: %s needs a value\n", name);
		return -1;
	}
	*slot = argv[++*i];
	return 1;
}

/* 1 parsed, -1 usage error. */
static int
parse_args(struct token_opts *o, int argc, char **argv)
{
	int i, rc;

	for (i = 2; i < argc; i++) {
		if ((rc = take("--secret-file", &o->secret_file, argc, argv, &i)) ||
		    (rc = take("--issuer", &o->issuer, argc, argv, &i)) ||
		    (rc = take("--audience", &o->audience, argc, argv, &i)) ||
		    (!o->verify &&
		     ((rc = take("--subject", &o->subject, argc, argv, &i)) ||
		      (rc = take("--ttl", &o->ttl, argc, argv, &i)))) ||
		    (o->verify && (rc = take("--max-clock-skew-seconds",
					     &o->skew, argc, argv, &i)))) {
			if (rc == -1)
				return -1;
			continue;
		}
		if (o->verify && o->token == NULL &&
		    (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
			o->token = argv[i];
			continue;
		}
		fprintf(stderr, "airlock token: unexpected argument '%s'\n",
			argv[i]);
		return -1;
	}
	if (o->secret_file == NULL || (o->verify && o->token == NULL))
		return -1;
	return 1;
}

/* Trimmed copy of v, NULL when absent or blank (as --ws-issuer). */
static char *
blank_is_unset(const char *v)
{
	size_t n;

	if (v == NULL)
		return NULL;
	v += strspn(v, " \t\n\r\v\f");
	n = strlen(v);
	while (n > 0 && strchr(" \t\n\r\v\f", v[n - 1]) != NULL)
		n--;
	return n == 0 ? NULL : xstrndup(v, n);
}

/* The secret under the app-server's rules; NULL after printing why. */
static char *
load_secret(const char *path, size_t *len)
{
	struct errbuf err;
	char *s = NULL;

	errbuf_init(&err);
	if (path[0] != '/')
		errbuf_add(&err, "--secret-file must be an absolute path");
	else
		s = auth_read_secret(path, len, &err);
	if (s != NULL && *len < AUTH_MIN_SECRET) {
		errbuf_add(&err, "signed websocket bearer secret %s must be at "
			   "least %d bytes", path, AUTH_MIN_SECRET);
		auth_secret_free(s, *len);
		s = NULL;
	}
	if (s == NULL)
		fprintf(stderr, "%s\n", errbuf_str(&err));
	errbuf_release(&err);
	return s;
}

static int
seconds_arg(const char *flag, const char *text, int64_t dflt, int64_t *out)
{
	struct errbuf err;
	int rc = 0;

	*out = dflt;
	if (text == NULL)
		return 0;
	errbuf_init(&err);
	if (auth_parse_skew(flag, text, out, &err) == -1) {
		fprintf(stderr, "%s\n", errbuf_str(&err));
		rc = -1;
	}
	errbuf_release(&err);
	return rc;
}

static json_t *
mint_claims(const struct token_opts *o, int64_t now, int64_t ttl)
{
	json_t *c = json_object();
	char *iss = blank_is_unset(o->issuer);
	char *aud = blank_is_unset(o->audience);

	if (iss != NULL)
		json_object_set_new(c, "iss", json_string(iss));
	if (o->subject != NULL)
		json_object_set_new(c, "sub", json_string(o->subject));
	if (aud != NULL)
		json_object_set_new(c, "aud", json_string(aud));
	json_object_set_new(c, "iat", json_integer(now));
	json_object_set_new(c, "exp", json_integer(now + ttl));
	free(iss);
	free(aud);
	return c;
}

static int
token_mint(const struct token_opts *o)
{
	int64_t now = (int64_t)time(NULL), ttl;
	char *secret = NULL, *tok = NULL;
	json_t *claims = NULL;
	size_t len = 0;
	int rc = 2;

	if (seconds_arg("--ttl", o->ttl, TOKEN_DEFAULT_TTL, &ttl) == -1)
		goto out;
	if (ttl < 1 || ttl > INT64_MAX - now) {
		fprintf(stderr, "--ttl must be between 1 and %lld seconds\n",
			(long long)(INT64_MAX - now));
		goto out;
	}
	secret = load_secret(o->secret_file, &len);
	if (secret == NULL)
		goto out;
	claims = mint_claims(o, now, ttl);
	tok = jws_sign(claims,
		       (struct jws_key){(const unsigned char *)secret, len});
	if (tok == NULL) {
		fputs("airlock token: signing failed\n", stderr);
		goto out;
	}
	printf("%s\n", tok);
	rc = 0;
out:
	free(tok);
	json_decref(claims);
	auth_secret_free(secret, len);
	return rc;
}

/* The token argument, or one line read from stdin for "-"; trimmed. */
static char *
token_text(const char *arg)
{
	char buf[JWS_MAX_TOKEN + 2];
	size_t n;

	if (strcmp(arg, "-") != 0)
		return blank_is_unset(arg);
	n = fread(buf, 1, sizeof(buf) - 1, stdin);
	buf[n] = '\0';
	return blank_is_unset(buf);
}

static int
token_verify(const struct token_opts *o)
{
	struct jws_checks c = {NULL, NULL, AUTH_DEFAULT_SKEW, time(NULL)};
	char *secret = NULL, *tok = NULL, *iss = NULL, *aud = NULL, *js;
	json_t *claims = NULL;
	enum jws_status st;
	size_t len = 0;
	int rc = 2;

	if (seconds_arg("--max-clock-skew-seconds", o->skew,
			AUTH_DEFAULT_SKEW, &c.skew) == -1)
		goto out;
	secret = load_secret(o->secret_file, &len);
	if (secret == NULL)
		goto out;
	c.issuer = iss = blank_is_unset(o->issuer);
	c.audience = aud = blank_is_unset(o->audience);
	tok = token_text(o->token);
	st = tok == NULL ? JWS_INVALID
			 : jws_verify(tok, strlen(tok),
				      (struct jws_key){
					      (const unsigned char *)secret,
					      len},
				      &c, &claims);
	if (st != JWS_OK) {
		fprintf(stderr, "%s\n", jws_status_text(st));
		rc = 1;
		goto out;
	}
	js = json_dumps(claims, JSON_COMPACT);
	printf("%s\n", js != NULL ? js : "{}");
	free(js);
	rc = 0;
out:
	json_decref(claims);
	auth_secret_free(tok, tok != NULL ? strlen(tok) : 0);
	auth_secret_free(secret, len);
	free(iss);
	free(aud);
	return rc;
}

int
cmd_token(int argc, char **argv)
{
	struct token_opts o = {0};
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0)) {
			fputs(usage_text, stdout);
			return 0;
		}
	if (argc < 2 || (strcmp(argv[1], "mint") != 0 &&
			 strcmp(argv[1], "verify") != 0))
		goto usage;
	o.verify = strcmp(argv[1], "verify") == 0;
	if (parse_args(&o, argc, argv) == -1)
		goto usage;
	return o.verify ? token_verify(&o) : token_mint(&o);
usage:
	fputs(usage_text, stderr);
	return 2;
}
