/* upstream.c — upstream proxy selection: URLs, environment, no_proxy.
 * Pure (no I/O, no logging); see upstream.h for the rules. */
#include "net/upstream.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/xalloc.h"
#include "policy/host.h"

#define NP_MAX_ENTRIES 1024

/* --- small text helpers ---------------------------------------------------- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Percent-decodes s[0..n) into a heap string; NULL on a bad escape or an
 * encoded NUL (a C string could not carry it faithfully). */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		hi = i + 1 < n ? hex_digit(s[i + 1]) : -1;
		lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			explicit_bzero(out, n + 1);
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Length of the authority at s[0..n): up to the first '/', '?' or '#'. */
static size_t
authority_len(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			break;
	return i;
}

/* --- URLs ------------------------------------------------------------------ */

void
upstream_release(struct upstream *u)
{
	if (u == NULL)
		return;
	free(u->host);
	free_secret(u->user);
	free_secret(u->pass);
	free(u->source);
	memset(u, 0, sizeof(*u));
}

static const char *
parse_scheme(const char **s, size_t *n, bool optional,
	     enum upstream_scheme *out)
{
	static const struct {
		const char *prefix;
		enum upstream_scheme scheme;
	} schemes[] = {
		{"http://", UPSTREAM_HTTP},
		{"socks5://", UPSTREAM_SOCKS5},
		{"socks5h://", UPSTREAM_SOCKS5H},
	};
	const char *sep;
	size_t i, len;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		len = strlen(schemes[i].prefix);
		if (*n >= len && strncasecmp(*s, schemes[i].prefix, len) == 0) {
			*s += len;
			*n -= len;
			*out = schemes[i].scheme;
			return NULL;
		}
	}
	sep = memmem(*s, *n, "://", 3);
	if (sep != NULL || !optional)
		return "unsupported proxy scheme (want http, socks5 or socks5h)";
	*out = UPSTREAM_HTTP;
	return NULL;
}

static const char *
parse_userinfo(const char *s, size_t n, struct upstream *out)
{
	const char *colon = memchr(s, ':', n);
	size_t ulen = colon ? (size_t)(colon - s) : n;

	out->user = pct_decode(s, ulen);
	out->pass = colon ? pct_decode(colon + 1, n - ulen - 1) : xstrdup("");
	if (out->user == NULL || out->pass == NULL)
		return "bad percent-escape in user info";
	if (out->user[0] == '\0')
		return "empty user name";
	if (out->scheme != UPSTREAM_HTTP &&
	    (strlen(out->user) > 255 || strlen(out->pass) > 255))
		return "socks5 user name and password are limited to 255 bytes";
	return NULL;
}

static const char *
parse_hostport(const char *s, size_t n, struct upstream *out)
{
	struct host h;
	const char *why = NULL;
	int port = -1;

	if (n == 0)
		return "missing host";
	if (host_split_port(&s, &n, &port, &why) == -1)
		return why;
	if (host_normalize(s, n, HOST_NO_PORT, &h, &why) == -1)
		return why;
	if (h.len == 0)
		return "missing host";
	out->host = xstrdup(h.text);
	if (port > 0)
		out->port = (uint16_t)port;
	else
		out->port = out->scheme == UPSTREAM_HTTP ? 80 : 1080;
	return NULL;
}

int
upstream_parse_url(const char *s, size_t n, bool scheme_optional,
		   struct upstream *out, const char **why)
{
	const char *end, *at;
	size_t alen;

	memset(out, 0, sizeof(*out));
	trim(&s, &n);
	*why = parse_scheme(&s, &n, scheme_optional, &out->scheme);
	if (*why != NULL)
		goto out;
	alen = authority_len(s, n);
	end = s + alen;
	if (alen != n && !(alen + 1 == n && *end == '/')) {
		*why = "unexpected path";
		goto out;
	}
	at = memrchr(s, '@', alen);
	if (at != NULL) {
		*why = parse_userinfo(s, (size_t)(at - s), out);
		if (*why != NULL)
			goto out;
		alen -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	*why = parse_hostport(s, alen, out);
out:
	if (*why != NULL) {
		upstream_release(out);
		return -1;
	}
	return 0;
}

const char *
upstream_label(const struct upstream *u, char *out, size_t outsz)
{
	static const char *const names[] = {"http", "socks5", "socks5h"};
	bool v6 = strchr(u->host, ':') != NULL;

	snprintf(out, outsz, "%s://%s%s%s:%u", names[u->scheme], v6 ? "[" : "",
		 u->host, v6 ? "]" : "", (unsigned)u->port);
	return out;
}

char *
upstream_proxy_authorization(const struct upstream *u)
{
	size_t ulen, plen, rawlen;
	char *raw, *out;
	int enc;

	if (u == NULL || u->user == NULL)
		return NULL;
	ulen = strlen(u->user);
	plen = strlen(u->pass);
	rawlen = ulen + 1 + plen;
	raw = xmalloc(rawlen + 1);
	memcpy(raw, u->user, ulen);
	raw[ulen] = ':';
	memcpy(raw + ulen + 1, u->pass, plen + 1);
	out = xmalloc(6 + 4 * ((rawlen + 2) / 3) + 1);
	memcpy(out, "Basic ", 6);
	enc = EVP_EncodeBlock((unsigned char *)out + 6, (unsigned char *)raw,
			      (int)rawlen);
	out[6 + (enc < 0 ? 0 : enc)] = '\0';
	free_secret(raw);
	return out;
}

/* --- the environment --------------------------------------------------------- */

/* The value of name in envp, or NULL. */
static const char *
env_get(const char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* The proxy variables in selection order, upper case first. */
enum { EV_HTTPS, EV_HTTPS_LC, EV_HTTP, EV_HTTP_LC, EV_ALL, EV_ALL_LC, EV_N };
static const char *const env_names[EV_N] = {
	"HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
	"http_proxy",  "ALL_PROXY",   "all_proxy",
};

/* Parses each proxy variable once; unusable ones are warned about and
 * left NULL. */
static void
env_parse_all(const char *const *envp, struct upstream *slots[EV_N],
	      struct errbuf *warn)
{
	const char *v, *why;
	size_t i, n;

	for (i = 0; i < EV_N; i++) {
		slots[i] = NULL;
		v = env_get(envp, env_names[i]);
		if (v == NULL)
			continue;
		n = strlen(v);
		trim(&v, &n);
		if (n == 0)
			continue;
		slots[i] = xcalloc(1, sizeof(*slots[i]));
		if (upstream_parse_url(v, n, true, slots[i], &why) == -1) {
			errbuf_add(warn, "ignoring %s: %s", env_names[i], why);
			free(slots[i]);
			slots[i] = NULL;
			continue;
		}
		slots[i]->source = xstrdup(env_names[i]);
	}
}

/* Moves the first usable slot among order[] out of slots. */
static struct upstream *
env_pick(struct upstream *slots[EV_N], const int *order, size_t n)
{
	struct upstream *u;
	size_t i;

	for (i = 0; i < n; i++) {
		if (slots[order[i]] == NULL)
			continue;
		u = xcalloc(1, sizeof(*u));
		*u = *slots[order[i]];
		u->host = xstrdup(u->host);
		u->user = u->user ? xstrdup(u->user) : NULL;
		u->pass = u->pass ? xstrdup(u->pass) : NULL;
		u->source = xstrdup(u->source);
		return u;
	}
	return NULL;
}

static void
cfg_from_env(struct upstream_cfg *cfg, const char *const *envp,
	     struct errbuf *warn)
{
	static const int tls_order[] = {EV_HTTPS, EV_HTTPS_LC, EV_HTTP,
					EV_HTTP_LC, EV_ALL, EV_ALL_LC};
	static const int plain_order[] = {EV_HTTP, EV_HTTP_LC, EV_ALL,
					  EV_ALL_LC};
	struct upstream *slots[EV_N];
	size_t i;

	env_parse_all(envp, slots, warn);
	cfg->tls = env_pick(slots, tls_order, 6);
	cfg->plain = env_pick(slots, plain_order, 4);
	for (i = 0; i < EV_N; i++) {
		upstream_release(slots[i]);
		free(slots[i]);
	}
}

/* --- no_proxy ----------------------------------------------------------------- */

static void
np_add_entry(struct upstream_cfg *cfg, const char *s, size_t n,
	     const char *source, struct errbuf *warn)
{
	struct upstream_np_entry e;
	struct host h;
	const char *why = NULL;
	char cwhy[128];

	memset(&e, 0, sizeof(e));
	trim(&s, &n);
	if (n == 0)
		return;
	if (n == 1 && s[0] == '*') {
		cfg->bypass_all = true;
		return;
	}
	if (memchr(s, '/', n) != NULL) {
		if (cidr_parse(s, n, &e.range, cwhy, sizeof(cwhy)) == -1) {
			errbuf_add(warn, "%s: ignoring no_proxy entry %.*s: %s",
				   source, (int)n, s, cwhy);
			return;
		}
		e.kind = UPSTREAM_NP_CIDR;
		goto add;
	}
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		s++;
		n--;
	}
	if (s[0] == '.') {
		s++;
		n--;
	}
	if (host_normalize(s, n, 0, &h, &why) == -1 || h.len == 0) {
		errbuf_add(warn, "%s: ignoring no_proxy entry %.*s: %s", source,
			   (int)n, s, why ? why : "empty host");
		return;
	}
	if (h.kind == HOST_NAME) {
		e.kind = UPSTREAM_NP_NAME;
		e.name = xstrdup(h.text);
	} else {
		e.kind = UPSTREAM_NP_IP;
		e.range.base.family = h.kind == HOST_IPV4 ? AF_INET : AF_INET6;
		memcpy(e.range.base.a, h.addr, 16);
		e.range.plen = h.kind == HOST_IPV4 ? 32 : 128;
	}
add:
	if (cfg->n_np >= NP_MAX_ENTRIES) {
		errbuf_add(warn, "%s: no_proxy holds more than %d entries; "
			   "ignoring the rest", source, NP_MAX_ENTRIES);
		free(e.name);
		return;
	}
	cfg->np = xreallocarray(cfg->np, cfg->n_np + 1, sizeof(*cfg->np));
	cfg->np[cfg->n_np++] = e;
}

/* NO_PROXY is a comma (or whitespace) separated list. */
static void
np_add_list(struct upstream_cfg *cfg, const char *s, const char *source,
	    struct errbuf *warn)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, ", \t");
		np_add_entry(cfg, s, n, source, warn);
		s += n;
		if (*s != '\0')
			s++;
	}
}

static bool
name_matches(const char *entry, const char *host, size_t hlen)
{
	size_t elen = strlen(entry);

	if (elen > hlen)
		return false;
	if (memcmp(host + hlen - elen, entry, elen) != 0)
		return false;
	return elen == hlen || host[hlen - elen - 1] == '.';
}

bool
upstream_bypassed(const struct upstream_cfg *cfg, const char *host)
{
	struct ipaddr ip;
	struct host h;
	const char *why;
	size_t i;

	if (cfg->bypass_all)
		return true;
	if (host_normalize(host, strlen(host), 0, &h, &why) == -1 || h.len == 0)
		return false;
	memset(&ip, 0, sizeof(ip));
	if (h.kind != HOST_NAME) {
		ip.family = h.kind == HOST_IPV4 ? AF_INET : AF_INET6;
		memcpy(ip.a, h.addr, 16);
	}
	for (i = 0; i < cfg->n_np; i++) {
		const struct upstream_np_entry *e = &cfg->np[i];

		if (e->kind == UPSTREAM_NP_NAME) {
			if (h.kind == HOST_NAME &&
			    name_matches(e->name, h.text, h.len))
				return true;
		} else if (h.kind != HOST_NAME &&
			   e->range.base.family == ip.family &&
			   cidr_contains(&e->range, &ip)) {
			return true;
		}
	}
	return false;
}

/* --- the configuration ------------------------------------------------------------ */

/* allow_upstream_proxy is false but an upstream is configured: say which
 * one is not used (by name only: the URL may hold a password). */
static void
note_unused(const char *proxy, const char *const *envp, struct errbuf *warn)
{
	const char *name = NULL, *v;
	size_t i;

	if (proxy != NULL && proxy[0] != '\0')
		name = "network.proxy";
	for (i = 0; name == NULL && i < EV_N; i++) {
		v = env_get(envp, env_names[i]);
		if (v != NULL && v[strspn(v, " \t")] != '\0')
			name = env_names[i];
	}
	if (name != NULL)
		errbuf_add(warn, "the upstream proxy in %s is not used: "
			   "permissions.network.allow_upstream_proxy is false",
			   name);
}

void
upstream_cfg_build(struct upstream_cfg *cfg, bool allow, const char *proxy,
		   const char *const *no_proxy, size_t n_no_proxy,
		   const char *const *envp, struct errbuf *warn)
{
	const char *why, *env_np;
	bool from_env = false;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	if (!allow) {
		note_unused(proxy, envp, warn);
		return;
	}
	if (proxy != NULL && proxy[0] != '\0') {
		cfg->tls = xcalloc(1, sizeof(*cfg->tls));
		if (upstream_parse_url(proxy, strlen(proxy), false, cfg->tls,
				       &why) == -1) {
			errbuf_add(warn, "ignoring network.proxy: %s", why);
			free(cfg->tls);
			cfg->tls = NULL;
			return;
		}
		cfg->tls->source = xstrdup("network.proxy");
		cfg->plain = cfg->tls;
	} else {
		cfg_from_env(cfg, envp, warn);
		from_env = true;
	}
	if (cfg->tls == NULL && cfg->plain == NULL)
		return;
	cfg->enabled = true;
	for (i = 0; i < n_no_proxy; i++)
		np_add_entry(cfg, no_proxy[i], strlen(no_proxy[i]),
			     "network.no_proxy", warn);
	if (!from_env)
		return;
	env_np = env_get(envp, "NO_PROXY");
	if (env_np == NULL)
		env_np = env_get(envp, "no_proxy");
	if (env_np != NULL)
		np_add_list(cfg, env_np, "NO_PROXY", warn);
}

void
upstream_cfg_release(struct upstream_cfg *cfg)
{
	size_t i;

	if (cfg->plain != cfg->tls) {
		upstream_release(cfg->plain);
		free(cfg->plain);
	}
	upstream_release(cfg->tls);
	free(cfg->tls);
	for (i = 0; i < cfg->n_np; i++)
		free(cfg->np[i].name);
	free(cfg->np);
	memset(cfg, 0, sizeof(*cfg));
}

const struct upstream *
upstream_select(const struct upstream_cfg *cfg, const char *host, bool is_tls)
{
	const struct upstream *u;

	if (cfg == NULL || !cfg->enabled)
		return NULL;
	u = is_tls ? cfg->tls : cfg->plain;
	if (u == NULL || upstream_bypassed(cfg, host))
		return NULL;
	return u;
}

bool
upstream_absolute_form(const struct upstream *u, enum upstream_kind kind)
{
	return u != NULL && u->scheme == UPSTREAM_HTTP &&
	       kind == UPSTREAM_HTTP_FORWARD;
}

/* --- the answer to CONNECT ---------------------------------------------------------- */

int
upstream_parse_connect_reply(const char *p, size_t n, int *status,
			     size_t *line_len)
{
	const char *eol, *end;
	size_t scan = n < UPSTREAM_HEAD_MAX ? n : UPSTREAM_HEAD_MAX;

	if (memcmp(p, "HTTP/1.", scan < 7 ? scan : 7) != 0)
		return -1;
	eol = memmem(p, scan, "\r\n", 2);
	if (eol == NULL)
		return 0;
	if (eol - p < 12 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (eol - p > 12 && p[12] != ' '))
		return -1;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	*line_len = (size_t)(eol - p);
	end = memmem(eol, scan - (size_t)(eol - p), "\r\n\r\n", 4);
	if (end == NULL)
		return 0;
	return (int)(end - p) + 4;
}
