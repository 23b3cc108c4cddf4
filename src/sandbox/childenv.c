/* childenv.c — environment rewriting for sandboxed commands. See
 * childenv.h. */
#include "sandbox/childenv.h"
#include "proxy/ca.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* Keys that get the HTTP proxy URL (reference §14), less the reference's
 * npm_config_http_proxy: npm has no `http-proxy` setting, and npm 11
 * warns "Unknown env config" about it on every run. npm reads `proxy`,
 * `https-proxy` and `noproxy`, set below. */
static const char *const http_keys[] = {
	"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
	"YARN_HTTP_PROXY", "YARN_HTTPS_PROXY",
	"npm_config_https_proxy", "npm_config_proxy",
	"NPM_CONFIG_HTTPS_PROXY", "NPM_CONFIG_PROXY", "BUNDLE_HTTP_PROXY",
	"BUNDLE_HTTPS_PROXY", "PIP_PROXY", "DOCKER_HTTP_PROXY",
	"DOCKER_HTTPS_PROXY", "WS_PROXY", "WSS_PROXY", "ws_proxy", "wss_proxy",
	NULL};
/* Keys that get the SOCKS5 URL when SOCKS5 is on, else the HTTP one. */
static const char *const all_keys[] = {
	"ALL_PROXY", "all_proxy", "FTP_PROXY", "ftp_proxy", NULL};
static const char *const no_proxy_keys[] = {
	"NO_PROXY", "no_proxy", "npm_config_noproxy", "NPM_CONFIG_NOPROXY",
	"YARN_NO_PROXY", "BUNDLE_NO_PROXY", NULL};
/* Never set, always removed: an inherited one would make npm warn, and
 * would name a proxy the sandbox cannot reach. */
static const char *const stale_keys[] = {
	"npm_config_http_proxy", "NPM_CONFIG_HTTP_PROXY", NULL};
static const char *const flag_keys[] = {
	"AIRLOCK_NETWORK_PROXY_ACTIVE", "AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING",
	"ELECTRON_GET_USE_PROXY", "NODE_USE_ENV_PROXY",
	"AIRLOCK_SANDBOX_NETWORK_DISABLED", NULL};
/* The CA variables are the interception module's list (proxy/ca.h). */
#define ca_keys ca_env_keys

/* Whether entry is "key=..." for this key. */
static int
is_key(const char *entry, const char *key)
{
	size_t n = strlen(key);

	return strncmp(entry, key, n) == 0 && entry[n] == '=';
}

void
childenv_init(struct childenv *e, const char *const *envp)
{
	size_t i, n = 0;

	while (envp != NULL && envp[n] != NULL)
		n++;
	e->v = xcalloc(n + 1, sizeof(*e->v));
	e->n = 0;
	for (i = 0; i < n; i++)
		if (strchr(envp[i], '=') != NULL)
			e->v[e->n++] = xstrdup(envp[i]);
}

void
childenv_release(struct childenv *e)
{
	childenv_free_array(e->v);
	e->v = NULL;
	e->n = 0;
}

void
childenv_unset(struct childenv *e, const char *key)
{
	size_t i, j = 0;

	for (i = 0; i < e->n; i++) {
		if (is_key(e->v[i], key))
			free(e->v[i]);
		else
			e->v[j++] = e->v[i];
	}
	e->n = j;
	e->v[j] = NULL;
}

void
childenv_set(struct childenv *e, const char *key, const char *value)
{
	childenv_unset(e, key);
	e->v = xreallocarray(e->v, e->n + 2, sizeof(*e->v));
	e->v[e->n++] = xasprintf("%s=%s", key, value);
	e->v[e->n] = NULL;
}

const char *
childenv_get(const struct childenv *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (is_key(e->v[i], key))
			return e->v[i] + strlen(key) + 1;
	return NULL;
}

/* A batch of changes applied in one pass over the environment: the same
 * result as childenv_set() / childenv_unset() called in turn (entries for
 * the batch's keys go; the set ones come back at the end, in the order
 * they were last set), without rescanning the environment per key. */
#define BATCH_MAX 64

struct batch {
	const char *key[BATCH_MAX];
	size_t len[BATCH_MAX];
	const char *value[BATCH_MAX]; /* NULL: unset */
	size_t n;
};

static void
batch_add(struct batch *b, const char *key, const char *value)
{
	if (b->n == BATCH_MAX)
		abort(); /* the lists above are fixed: a programming error */
	b->key[b->n] = key;
	b->len[b->n] = strlen(key);
	b->value[b->n++] = value;
}

static void
batch_add_all(struct batch *b, const char *const *keys, const char *value)
{
	for (; *keys != NULL; keys++)
		batch_add(b, *keys, value);
}

/* Whether entry ("KEY=value"; klen bytes before its first '=') is for a
 * key of b. */
static bool
batch_has(const struct batch *b, const char *entry, size_t klen)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->len[i] == klen && memcmp(entry, b->key[i], klen) == 0)
			return true;
	return false;
}

/* Whether key i is set or unset again later in the batch. */
static bool
batch_later(const struct batch *b, size_t i)
{
	size_t j;

	for (j = i + 1; j < b->n; j++)
		if (b->len[j] == b->len[i] &&
		    memcmp(b->key[j], b->key[i], b->len[i]) == 0)
			return true;
	return false;
}

static void
batch_apply(struct childenv *e, const struct batch *b)
{
	size_t i, k = 0;

	for (i = 0; i < e->n; i++) {
		if (batch_has(b, e->v[i], strcspn(e->v[i], "=")))
			free(e->v[i]);
		else
			e->v[k++] = e->v[i];
	}
	e->n = k;
	e->v = xreallocarray(e->v, e->n + b->n + 1, sizeof(*e->v));
	for (i = 0; i < b->n; i++)
		if (b->value[i] != NULL && !batch_later(b, i))
			e->v[e->n++] = xasprintf("%s=%s", b->key[i],
						  b->value[i]);
	e->v[e->n] = NULL;
}

void
childenv_apply_proxy(struct childenv *e, const struct childenv_proxy *p)
{
	char *h = xasprintf("http://%s", p->http_addr);
	char *s = p->socks_addr ? xasprintf("socks5h://%s", p->socks_addr)
				: NULL;
	struct batch b;

	b.n = 0;
	batch_add(&b, "AIRLOCK_SANDBOX_NETWORK_DISABLED", NULL);
	batch_add_all(&b, stale_keys, NULL);
	batch_add_all(&b, http_keys, h);
	batch_add_all(&b, all_keys, s != NULL ? s : h);
	batch_add_all(&b, no_proxy_keys, CHILDENV_NO_PROXY);
	batch_add(&b, "AIRLOCK_NETWORK_PROXY_ACTIVE", "1");
	batch_add(&b, "AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING",
		  p->allow_local_binding ? "1" : "0");
	batch_add(&b, "ELECTRON_GET_USE_PROXY", "true");
	batch_add(&b, "NODE_USE_ENV_PROXY", "1");
	batch_apply(e, &b);
	free(h);
	free(s);
}

void
childenv_apply_network_off(struct childenv *e)
{
	struct batch b;

	b.n = 0;
	batch_add_all(&b, http_keys, NULL);
	batch_add_all(&b, stale_keys, NULL);
	batch_add_all(&b, all_keys, NULL);
	batch_add_all(&b, no_proxy_keys, NULL);
	batch_add_all(&b, flag_keys, NULL);
	batch_add_all(&b, ca_keys, NULL);
	batch_add(&b, "AIRLOCK_SANDBOX_NETWORK_DISABLED", "1");
	batch_apply(e, &b);
}

void
childenv_set_ca_bundle(struct childenv *e, const char *bundle_path)
{
	struct batch b;

	b.n = 0;
	batch_add_all(&b, ca_keys, bundle_path);
	batch_apply(e, &b);
}

char **
childenv_detach(struct childenv *e)
{
	char **v = e->v;

	e->v = NULL;
	e->n = 0;
	return v;
}

void
childenv_free_array(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
childenv_remove_secrets(struct childenv *e, const char *const *names,
			size_t n)
{
	size_t i, j, k;

	for (k = 0; k < n; k++) {
		for (i = j = 0; i < e->n; i++) {
			if (!is_key(e->v[i], names[k])) {
				e->v[j++] = e->v[i];
				continue;
			}
			explicit_bzero(e->v[i], strlen(e->v[i]));
			free(e->v[i]);
		}
		e->n = j;
		e->v[j] = NULL;
	}
}

char **
childenv_without_secrets(const char *const *envp, const char *const *names,
			 size_t n)
{
	struct childenv e;

	childenv_init(&e, envp);
	childenv_remove_secrets(&e, names, n);
	return childenv_detach(&e);
}
