/* reqrule.c — compiling request rules and finding the one a request
 * matches (see reqrule.h; byte-level matching in reqrule_match.c). */
#include "policy/reqrule.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "policy/host.h"
#include "policy/reqrule_int.h"

/* The most query constraints one rule may have (reqrule_query_ok counts
 * occurrences in a fixed array). */
#define MAX_QUERY 64

struct reqrule {
	char *name;
	char host[HOST_TEXT_MAX];
	char **methods;
	size_t n_methods;
	char **paths;
	size_t n_paths;
	struct reqrule_param *query;
	size_t n_query;
	struct reqrule_param *headers;
	size_t n_headers;
	char **actions;
	size_t n_actions;
};

/* The rules of one host, in config order. */
struct host_rules {
	const char *host; /* points into its first rule */
	const struct reqrule **rules;
	size_t n;
};

struct reqrule_set {
	struct reqrule *rules;
	size_t n;
	struct host_rules *hosts; /* sorted by host */
	size_t nhosts;
};

/* --- building --------------------------------------------------------- */

static char **
copy_strv(char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static struct reqrule_param *
copy_params(const struct conf_rule_match *m, size_t n)
{
	struct reqrule_param *p = xcalloc(n + 1, sizeof(*p));
	size_t i;

	for (i = 0; i < n; i++) {
		p[i].name = xstrdup(m[i].name);
		p[i].values = copy_strv(m[i].values, m[i].n);
		p[i].n = m[i].n;
	}
	return p;
}

static void
free_params(struct reqrule_param *p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++) {
		free(p[i].name);
		free_strv(p[i].values, p[i].n);
	}
	free(p);
}

static void
rule_release(struct reqrule *r)
{
	free(r->name);
	free_strv(r->methods, r->n_methods);
	free_strv(r->paths, r->n_paths);
	free_params(r->query, r->n_query);
	free_params(r->headers, r->n_headers);
	free_strv(r->actions, r->n_actions);
}

/* The host of c normalised into r->host; -1 after reporting. */
static int
compile_host(struct reqrule *r, const struct conf_reqrule *c,
	     struct errbuf *err)
{
	const char *why = NULL;
	struct host h;

	if (host_normalize(c->host, strlen(c->host), HOST_NO_PORT, &h,
			   &why) == -1)
		errbuf_add(err, "%s: \"%s\" is not a valid host: %s",
			   c->host_where, c->host, why);
	else if (h.len == 0)
		errbuf_add(err, "%s: the host is empty", c->host_where);
	else
		memcpy(r->host, h.text, h.len + 1);
	return why == NULL && h.len > 0 ? 0 : -1;
}

static int
compile_params(const struct conf_reqrule *c, struct errbuf *err)
{
	size_t i;
	int rc = 0;

	if (c->n_query > MAX_QUERY) {
		errbuf_add(err, "%s.query: more than %d parameters", c->where,
			   MAX_QUERY);
		rc = -1;
	}
	for (i = 0; i < c->n_query; i++) {
		if (strlen(c->query[i].name) > REQRULE_NAME_MAX) {
			errbuf_add(err, "%s.query: a parameter name is longer "
				   "than %d bytes", c->where, REQRULE_NAME_MAX);
			rc = -1;
		}
	}
	return rc;
}

static int
compile_rule(struct reqrule *r, const struct conf_reqrule *c,
	     struct errbuf *err)
{
	memset(r, 0, sizeof(*r));
	if (compile_host(r, c, err) == -1 || compile_params(c, err) == -1)
		return -1;
	r->name = xstrdup(c->name);
	r->methods = copy_strv(c->methods, c->n_methods);
	r->n_methods = c->n_methods;
	r->paths = copy_strv(c->paths, c->n_paths);
	r->n_paths = c->n_paths;
	r->query = copy_params(c->query, c->n_query);
	r->n_query = c->n_query;
	r->headers = copy_params(c->headers, c->n_headers);
	r->n_headers = c->n_headers;
	r->actions = copy_strv(c->actions, c->n_actions);
	r->n_actions = c->n_actions;
	return 0;
}

static int
cmp_host(const void *a, const void *b)
{
	const struct host_rules *x = a, *y = b;

	return strcmp(x->host, y->host);
}

/* Groups the rules by host; within a host they keep config order. */
static void
group_hosts(struct reqrule_set *s)
{
	size_t i, j;

	s->hosts = xcalloc(s->n + 1, sizeof(*s->hosts));
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->nhosts; j++)
			if (strcmp(s->hosts[j].host, s->rules[i].host) == 0)
				break;
		if (j == s->nhosts) {
			s->hosts[j].host = s->rules[i].host;
			s->hosts[j].rules = xcalloc(s->n, sizeof(void *));
			s->nhosts++;
		}
		s->hosts[j].rules[s->hosts[j].n++] = &s->rules[i];
	}
	qsort(s->hosts, s->nhosts, sizeof(*s->hosts), cmp_host);
}

struct reqrule_set *
reqrule_set_new(const struct conf_reqrule *rules, size_t n,
		struct errbuf *err)
{
	struct reqrule_set *s = xcalloc(1, sizeof(*s));
	size_t i;
	int bad = 0;

	s->rules = xcalloc(n + 1, sizeof(*s->rules));
	for (i = 0; i < n; i++) {
		if (compile_rule(&s->rules[s->n], &rules[i], err) == -1) {
			rule_release(&s->rules[s->n]);
			bad = 1;
		} else {
			s->n++;
		}
	}
	if (bad) {
		reqrule_set_free(s);
		return NULL;
	}
	group_hosts(s);
	return s;
}

void
reqrule_set_free(struct reqrule_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		rule_release(&s->rules[i]);
	free(s->rules);
	for (i = 0; i < s->nhosts; i++)
		free(s->hosts[i].rules);
	free(s->hosts);
	free(s);
}

/* --- matching --------------------------------------------------------- */

static const struct host_rules *
find_host(const struct reqrule_set *s, const char *host)
{
	struct host_rules key = {host, NULL, 0};

	if (s == NULL || host == NULL || s->nhosts == 0)
		return NULL;
	return bsearch(&key, s->hosts, s->nhosts, sizeof(*s->hosts),
		       cmp_host);
}

bool
reqrule_host_has_rules(const struct reqrule_set *s, const char *host)
{
	return find_host(s, host) != NULL;
}

static bool
method_ok(const struct reqrule *r, struct slice m)
{
	size_t i;

	for (i = 0; i < r->n_methods; i++)
		if (slice_eq_cstr(m, r->methods[i]))
			return true;
	return false;
}

static bool
path_ok(const struct reqrule *r, struct slice path)
{
	size_t i;

	for (i = 0; i < r->n_paths; i++)
		if (reqrule_path_match(r->paths[i], path))
			return true;
	return false;
}

static bool
rule_matches(const struct reqrule *r, const struct reqrule_request *q,
	     struct slice path, struct slice query)
{
	return method_ok(r, q->method) && path_ok(r, path) &&
	       reqrule_query_ok(query, r->query, r->n_query) &&
	       reqrule_headers_ok(q->headers, q->nheaders, r->headers,
				  r->n_headers);
}

const struct reqrule *
reqrule_match(const struct reqrule_set *s, const struct reqrule_request *q)
{
	const struct host_rules *h = find_host(s, q->host);
	const char *mark;
	struct slice path = q->target, query = {"", 0};
	size_t i;

	if (h == NULL)
		return NULL;
	mark = q->target.n ? memchr(q->target.p, '?', q->target.n) : NULL;
	if (mark != NULL) {
		path.n = (size_t)(mark - q->target.p);
		query = slice_of(mark + 1, q->target.n - path.n - 1);
	}
	if (!reqrule_path_safe(path) ||
	    (query.n > 0 && memchr(query.p, '#', query.n) != NULL))
		return NULL;
	for (i = 0; i < h->n; i++)
		if (rule_matches(h->rules[i], q, path, query))
			return h->rules[i];
	return NULL;
}

size_t
reqrule_count(const struct reqrule_set *s)
{
	return s ? s->n : 0;
}

const struct reqrule *
reqrule_at(const struct reqrule_set *s, size_t i)
{
	return &s->rules[i];
}

const char *
reqrule_name(const struct reqrule *r)
{
	return r->name;
}

const char *
reqrule_host(const struct reqrule *r)
{
	return r->host;
}

size_t
reqrule_actions(const struct reqrule *r, const char *const **out)
{
	*out = (const char *const *)r->actions;
	return r->n_actions;
}
