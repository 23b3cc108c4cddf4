/* pattern.c — see pattern.h. Parsing and coverage live here; the hash
 * table that makes lookups O(labels) is in pattab.c. */
#include "policy/pattern.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "lib/xalloc.h"
#include "policy/pattab.h"

#define GLOBAL_MSG                                                            \
	"unsupported global wildcard domain pattern \"*\"; use exact hosts "  \
	"or scoped wildcards like *.example.com or **.example.com"

struct pattern_set {
	struct pattab names; /* key: host suffix text */
	struct pattab cidrs; /* key: family, plen, masked address */
	unsigned char v4_lens[33], v6_lens[129]; /* present prefix lengths */
	unsigned char v4_order[33], v6_order[129]; /* descending */
	unsigned n_v4, n_v6;
	const char *global;
	char **texts;
	size_t ntexts;
	size_t count;
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Labels in text[0..n). */
static unsigned
count_labels(const char *text, size_t n)
{
	unsigned k = 1;
	size_t i;

	for (i = 0; i < n; i++)
		k += text[i] == '.';
	return k;
}

static int
parse_cidr(const char *s, size_t n, struct pattern_parsed *out, char *why, size_t whyn)
{
	const char *w = NULL;

	if (host_split_port(&s, &n, &out->port, &w) == -1) {
		snprintf(why, whyn, "%s", w);
		return -1;
	}
	if (cidr_parse(s, n, &out->cidr, why, whyn) == -1)
		return -1;
	out->kind = PATTERN_CIDR;
	return 0;
}

/* Finds the one label holding `*` in a mid-label pattern and checks what
 * follows it. */
static int
parse_mid(struct pattern_parsed *out, char *why, size_t whyn)
{
	const char *t = out->h.text, *star = strchr(t, '*');
	const char *ls = star, *le = star;

	while (ls > t && ls[-1] != '.')
		ls--;
	while (*le != '\0' && *le != '.')
		le++;
	if (strchr(le, '*') != NULL) {
		snprintf(why, whyn, "only one label may contain a wildcard");
		return -1;
	}
	if (*le == '\0' || count_labels(le + 1, strlen(le + 1)) < 2) {
		snprintf(why, whyn, "a wildcard must be followed by at least "
				    "two fixed labels (like *.example.com)");
		return -1;
	}
	out->kind = PATTERN_MID;
	out->glob_off = (size_t)(ls - t);
	out->glob_len = (size_t)(le - ls);
	out->key_off = (size_t)(le + 1 - t);
	return 0;
}

static int
parse_host_part(const char *s, size_t n, enum pattern_kind prefix,
		struct pattern_parsed *out, char *why, size_t whyn)
{
	const char *w = NULL;

	if (host_normalize(s, n, HOST_WILDCARD, &out->h, &w) == -1) {
		snprintf(why, whyn, "%s", w);
		return -1;
	}
	out->port = out->h.port;
	if (out->h.len == 0) {
		snprintf(why, whyn, "empty host");
		return -1;
	}
	if (out->h.kind != HOST_NAME) {
		if (prefix != PATTERN_EXACT) {
			snprintf(why, whyn, "wildcards do not apply to IP "
					    "addresses; use CIDR like "
					    "10.0.0.0/8");
			return -1;
		}
		out->kind = PATTERN_EXACT;
		out->is_ip = true;
		return 0;
	}
	if (prefix == PATTERN_EXACT)
		return out->h.wildcard ? parse_mid(out, why, whyn) : 0;
	if (strcmp(out->h.text, "*") == 0 || strcmp(out->h.text, "**") == 0) {
		snprintf(why, whyn, "matches every host name; use exact hosts "
				    "or scoped wildcards like *.example.com "
				    "or **.example.com");
		return -1;
	}
	if (out->h.wildcard) {
		snprintf(why, whyn, "only one label may contain a wildcard");
		return -1;
	}
	if (count_labels(out->h.text, out->h.len) < 2) {
		snprintf(why, whyn, "a wildcard must be followed by at least "
				    "two fixed labels (like *.example.com)");
		return -1;
	}
	out->kind = prefix;
	return 0;
}

static bool
has_glob_syntax(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '?' || c == '{' || c == '}' || c == '\\' || c == '!' ||
		    (c == '[' && i > 0) || c == ',')
			return true;
	}
	return false;
}

static bool
has_non_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

int
pattern_parse(const char *s, unsigned flags, struct pattern_parsed *out, char *why,
	   size_t whyn)
{
	size_t n = strlen(s);
	enum pattern_kind prefix = PATTERN_EXACT;

	memset(out, 0, sizeof(*out));
	out->port = -1;
	while (n > 0 && is_space(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n == 0) {
		snprintf(why, whyn, "empty pattern");
		return -1;
	}
	if ((n == 1 && s[0] == '*') || (n == 2 && s[0] == '*' && s[1] == '*')) {
		if (!(flags & PATTERN_ALLOW_GLOBAL)) {
			snprintf(why, whyn, "%s", GLOBAL_MSG);
			return -1;
		}
		out->kind = PATTERN_GLOBAL;
		return 0;
	}
	if (has_non_ascii(s, n)) {
		snprintf(why, whyn, "non-ASCII host name; write it in punycode "
				    "(xn--...)");
		return -1;
	}
	if (has_glob_syntax(s, n)) {
		snprintf(why, whyn, "glob syntax (? [ ] { } \\) is not "
				    "supported; use * inside one label");
		return -1;
	}
	if (n >= 3 && memcmp(s, "**.", 3) == 0) {
		prefix = PATTERN_BOTH;
		s += 3;
		n -= 3;
	} else if (n >= 2 && memcmp(s, "*.", 2) == 0) {
		prefix = PATTERN_SUB;
		s += 2;
		n -= 2;
	}
	if (memchr(s, '/', n) != NULL) {
		if (prefix != PATTERN_EXACT || memchr(s, '*', n) != NULL) {
			snprintf(why, whyn, "wildcards cannot be combined with "
					    "CIDR");
			return -1;
		}
		return parse_cidr(s, n, out, why, whyn);
	}
	return parse_host_part(s, n, prefix, out, why, whyn);
}

int
pattern_check(const char *pattern, unsigned flags, char *why, size_t whyn)
{
	struct pattern_parsed p;

	return pattern_parse(pattern, flags, &p, why, whyn);
}

/* --- matching ------------------------------------------------------------ */

/* `*` matches zero or more characters; the label has no dots. */
bool
pattern_glob_label(const char *g, size_t gn, const char *s, size_t sn)
{
	size_t gi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (gi < gn && g[gi] == '*') {
			star = gi++;
			mark = si;
		} else if (gi < gn && g[gi] == s[si]) {
			gi++;
			si++;
		} else if (star != (size_t)-1) {
			gi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (gi < gn && g[gi] == '*')
		gi++;
	return gi == gn;
}

void
pattern_probe_init(struct pattern_probe *p, const struct host *h)
{
	const char *t = h->text;
	size_t j;
	unsigned k = 0;
	uint64_t hh = PATTAB_HASH_INIT;

	p->h = h;
	p->unscoped_hash = 0;
	if (h->kind != HOST_NAME) {
		p->nlabels = 1;
		p->start[0] = 0;
		p->hash[0] = pattab_hash(t, h->len);
		p->unscoped_hash = pattab_hash(t, h->unscoped_len);
		return;
	}
	/* Hash from the right so every label suffix's hash falls out of one
	 * pass; labels are numbered from the left afterwards. */
	p->nlabels = count_labels(t, h->len);
	if (h->len == 0 || p->nlabels > PATTERN_MAX_LABELS) {
		p->nlabels = 0;
		return;
	}
	k = p->nlabels;
	for (j = h->len; j-- > 0;) {
		hh = pattab_hash_step(hh, t[j]);
		if (j == 0 || t[j - 1] == '.') {
			k--;
			p->start[k] = (uint16_t)j;
			p->hash[k] = hh;
		}
	}
}

void
pattern_set_prefetch(const struct pattern_set *s,
		     const struct pattern_probe *p)
{
	unsigned i;

	if (p->h->kind != HOST_NAME || s->names.count == 0)
		return;
	for (i = 0; i < p->nlabels; i++)
		pattab_prefetch(&s->names, p->hash[i]);
}

static bool
found(const char *text, enum pattern_kind kind, struct pattern_match *m)
{
	m->text = text;
	m->kind = kind;
	return true;
}

/* Port-scoped item of kind at node n, or NULL. */
static const char *
port_item(const struct pattab_node *n, enum pattern_kind kind, int port)
{
	uint32_t i;

	if (port == -1)
		return NULL;
	for (i = 0; i < n->nitems; i++)
		if (n->items[i].kind == (int)kind &&
		    (n->items[i].port == port || port == PATTERN_PORT_ANY))
			return n->items[i].text;
	return NULL;
}

static bool
match_wild(const struct pattab_node *n, enum pattern_kind kind, int port,
	   struct pattern_match *m)
{
	const char *any = kind == PATTERN_SUB ? n->sub : n->both;
	const char *t = port_item(n, kind, port);

	if (t != NULL)
		return found(t, kind, m);
	return any != NULL && found(any, kind, m);
}

static bool
match_mid(const struct pattab_node *n, const struct pattern_probe *p,
	  unsigned i, int port, struct pattern_match *m)
{
	const char *t = p->h->text;
	size_t ls = p->start[i - 1], le = (size_t)p->start[i] - 1;
	size_t plen = ls > 0 ? ls - 1 : 0;
	uint32_t k;

	for (k = 0; k < n->nitems; k++) {
		const struct pattab_item *it = &n->items[k];

		if (it->kind != PATTERN_MID ||
		    (it->port != -1 && it->port != port &&
		     port != PATTERN_PORT_ANY))
			continue;
		if (it->prefix_len != plen || memcmp(it->prefix, t, plen) != 0)
			continue;
		if (pattern_glob_label(it->glob, it->glob_len, t + ls, le - ls))
			return found(it->text, PATTERN_MID, m);
	}
	return false;
}

static bool
match_exact(const struct pattab_node *n, int port, struct pattern_match *m)
{
	const char *t;

	if (n == NULL)
		return false;
	t = port_item(n, PATTERN_EXACT, port);
	if (t == NULL)
		t = n->exact;
	return t != NULL && found(t, PATTERN_EXACT, m);
}

static bool
match_name(const struct pattern_set *s, const struct pattern_probe *p,
	   int port, struct pattern_match *m)
{
	const struct host *h = p->h;
	const struct pattab_node *n;
	unsigned i;

	if (p->nlabels == 0)
		return false;
	n = pattab_find(&s->names, h->text, h->len, p->hash[0]);
	if (match_exact(n, port, m))
		return true;
	for (i = 0; i < p->nlabels; i++) {
		size_t off = p->start[i];

		if (i > 0)
			n = pattab_find(&s->names, h->text + off, h->len - off,
					p->hash[i]);
		if (n == NULL)
			continue;
		if (i == 0) {
			if (match_wild(n, PATTERN_BOTH, port, m))
				return true;
			continue;
		}
		if (n->nitems > 0 && match_mid(n, p, i, port, m))
			return true;
		if (match_wild(n, PATTERN_SUB, port, m) ||
		    match_wild(n, PATTERN_BOTH, port, m))
			return true;
	}
	return false;
}

static void
cidr_key(unsigned char key[PATTAB_CIDR_KEY], const struct ipaddr *ip,
	 unsigned plen)
{
	struct ipaddr m = *ip;

	ipaddr_mask(&m, plen);
	key[0] = (unsigned char)(ip->family == AF_INET ? 4 : 6);
	key[1] = (unsigned char)plen;
	memcpy(key + 2, m.a, 16);
}

static bool
match_cidr(const struct pattern_set *s, const struct ipaddr *ip, int port,
	   struct pattern_match *m)
{
	const unsigned char *order = ip->family == AF_INET ? s->v4_order
							   : s->v6_order;
	unsigned i, n = ip->family == AF_INET ? s->n_v4 : s->n_v6;
	unsigned char key[PATTAB_CIDR_KEY];

	for (i = 0; i < n; i++) {
		const struct pattab_node *nd;
		const char *t;

		cidr_key(key, ip, order[i]);
		nd = pattab_find(&s->cidrs, (const char *)key, sizeof(key),
				 pattab_hash((const char *)key, sizeof(key)));
		if (nd == NULL)
			continue;
		t = port_item(nd, PATTERN_CIDR, port);
		if (t == NULL)
			t = nd->exact;
		if (t != NULL)
			return found(t, PATTERN_CIDR, m);
	}
	return false;
}

static void
host_ip(const struct host *h, struct ipaddr *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = h->kind == HOST_IPV4 ? AF_INET : AF_INET6;
	memcpy(ip->a, h->addr, 16);
}

bool
pattern_set_match(const struct pattern_set *s, const struct pattern_probe *p,
		  int port, struct pattern_match *m)
{
	const struct host *h = p->h;
	struct ipaddr ip;

	if (s->count == 0)
		return false;
	if (h->kind == HOST_NAME) {
		if (s->names.count > 0 && match_name(s, p, port, m))
			return true;
	} else {
		if (match_exact(pattab_find(&s->names, h->text, h->len,
					    p->hash[0]),
				port, m))
			return true;
		if (h->unscoped_len != h->len &&
		    match_exact(pattab_find(&s->names, h->text,
					    h->unscoped_len, p->unscoped_hash),
				port, m))
			return true;
		host_ip(h, &ip);
		if (match_cidr(s, &ip, port, m))
			return true;
	}
	return s->global != NULL && found(s->global, PATTERN_GLOBAL, m);
}

bool
pattern_set_match_addr(const struct pattern_set *s, const struct ipaddr *ip,
		       int port, struct pattern_match *m)
{
	char text[INET6_ADDRSTRLEN];
	size_t n;

	if (inet_ntop(ip->family, ip->a, text, sizeof(text)) == NULL)
		return false;
	n = strlen(text);
	if (match_exact(pattab_find(&s->names, text, n, pattab_hash(text, n)),
			port, m))
		return true;
	return match_cidr(s, ip, port, m);
}

/* --- building ------------------------------------------------------------ */

static bool
same_item(const struct pattab_item *a, const struct pattab_item *b)
{
	return a->kind == b->kind && a->port == b->port &&
	       a->prefix_len == b->prefix_len && a->glob_len == b->glob_len &&
	       memcmp(a->prefix, b->prefix ? b->prefix : "", a->prefix_len) ==
		       0 &&
	       memcmp(a->glob, b->glob ? b->glob : "", a->glob_len) == 0;
}

/* Files text under node n as kind on port; duplicates are dropped. */
static void
node_add(struct pattern_set *s, struct pattab_node *n,
	 const struct pattab_item *it)
{
	const char **any = NULL;
	uint32_t i;

	if (it->port == -1 && it->kind != PATTERN_MID)
		any = it->kind == PATTERN_SUB	 ? &n->sub
		      : it->kind == PATTERN_BOTH ? &n->both
						 : &n->exact;
	if (any != NULL) {
		if (*any == NULL) {
			*any = it->text;
			s->count++;
		}
		return;
	}
	for (i = 0; i < n->nitems; i++)
		if (same_item(&n->items[i], it))
			return;
	pattab_add_item(n, it);
	s->count++;
}

static void
set_add_cidr(struct pattern_set *s, const struct pattern_parsed *pp,
	     struct pattab_item *it)
{
	unsigned char key[PATTAB_CIDR_KEY];

	cidr_key(key, &pp->cidr.base, pp->cidr.plen);
	if (pp->cidr.base.family == AF_INET)
		s->v4_lens[pp->cidr.plen] = 1;
	else
		s->v6_lens[pp->cidr.plen] = 1;
	node_add(s, pattab_get(&s->cidrs, (const char *)key, sizeof(key)), it);
}

static void
set_add(struct pattern_set *s, const struct pattern_parsed *pp,
	const char *text)
{
	struct pattab_item it = {(int)pp->kind, pp->port, text, NULL, NULL,
				 0, 0};
	const char *key = pp->h.text;
	size_t klen = pp->h.len;

	switch (pp->kind) {
	case PATTERN_GLOBAL:
		if (s->global == NULL) {
			s->global = text;
			s->count++;
		}
		return;
	case PATTERN_CIDR:
		set_add_cidr(s, pp, &it);
		return;
	case PATTERN_MID:
		it.prefix = (char *)pp->h.text;
		it.prefix_len = (uint16_t)(pp->glob_off ? pp->glob_off - 1 : 0);
		it.glob = (char *)pp->h.text + pp->glob_off;
		it.glob_len = (uint16_t)pp->glob_len;
		key += pp->key_off;
		klen -= pp->key_off;
		break;
	case PATTERN_EXACT:
	case PATTERN_SUB:
	case PATTERN_BOTH:
		break;
	}
	node_add(s, pattab_get(&s->names, key, klen), &it);
}

static void
set_order_lens(struct pattern_set *s)
{
	int l;

	for (l = 32; l >= 0; l--)
		if (s->v4_lens[l])
			s->v4_order[s->n_v4++] = (unsigned char)l;
	for (l = 128; l >= 0; l--)
		if (s->v6_lens[l])
			s->v6_order[s->n_v6++] = (unsigned char)l;
}

static void
report(struct errbuf *err, const struct pattern_src *src, const char *why)
{
	if (src->origin != NULL && src->origin[0] != '\0')
		errbuf_add(err, "%s: invalid domain pattern \"%.300s\": %s",
			   src->origin, src->pattern, why);
	else
		errbuf_add(err, "invalid domain pattern \"%.300s\": %s",
			   src->pattern, why);
}

struct pattern_set *
pattern_set_new(const struct pattern_src *v, size_t n, unsigned flags,
		struct errbuf *err)
{
	struct pattern_set *s = xcalloc(1, sizeof(*s));
	struct pattern_parsed *pp = xmalloc(sizeof(*pp));
	char why[256];
	bool bad = false;
	size_t i;

	pattab_init(&s->names);
	pattab_init(&s->cidrs);
	s->texts = xcalloc(n ? n : 1, sizeof(*s->texts));
	for (i = 0; i < n; i++) {
		const char *p = v[i].pattern ? v[i].pattern : "";

		if (pattern_parse(p, flags, pp, why, sizeof(why)) == -1) {
			if (strcmp(why, GLOBAL_MSG) == 0)
				errbuf_add(err, "%s%s%s", v[i].origin ? v[i].origin : "",
					   v[i].origin ? ": " : "", why);
			else
				report(err, &v[i], why);
			bad = true;
			continue;
		}
		if (bad)
			continue;
		s->texts[s->ntexts] = xstrdup(p);
		set_add(s, pp, s->texts[s->ntexts++]);
	}
	free(pp);
	if (bad) {
		pattern_set_free(s);
		return NULL;
	}
	set_order_lens(s);
	return s;
}

void
pattern_set_free(struct pattern_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	pattab_release(&s->names);
	pattab_release(&s->cidrs);
	for (i = 0; i < s->ntexts; i++)
		free(s->texts[i]);
	free(s->texts);
	free(s);
}

size_t
pattern_set_count(const struct pattern_set *s)
{
	return s->count;
}
