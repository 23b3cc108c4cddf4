/* pattern_covers.c — the managed-list coverage rule of pattern.h
 * (pattern_covers), kept apart from matching because only config
 * validation needs it. */
#include "policy/pattern.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* x equal to d, or (strict) under d. */
static bool
name_under(const char *x, size_t xn, const char *d, size_t dn, bool strict)
{
	if (xn == dn)
		return !strict && memcmp(x, d, dn) == 0;
	return xn > dn && x[xn - dn - 1] == '.' &&
	       memcmp(x + xn - dn, d, dn) == 0;
}

/* Does the name x match the mid-label pattern m? */
static bool
mid_matches(const struct pattern_parsed *m, const char *x, size_t xn)
{
	const char *key = m->h.text + m->key_off;
	size_t kn = m->h.len - m->key_off, plen, ls;
	const char *end;

	if (!name_under(x, xn, key, kn, true))
		return false;
	end = x + xn - kn - 1; /* the dot before the key */
	plen = m->glob_off ? m->glob_off - 1 : 0;
	if (plen == 0) {
		if (memchr(x, '.', (size_t)(end - x)) != NULL)
			return false;
		ls = 0;
	} else {
		if ((size_t)(end - x) <= plen + 1 || x[plen] != '.' ||
		    memcmp(x, m->h.text, plen) != 0)
			return false;
		ls = plen + 1;
		if (memchr(x + ls, '.', (size_t)(end - x - (long)ls)) != NULL)
			return false;
	}
	return pattern_glob_label(m->h.text + m->glob_off, m->glob_len,
				  x + ls, (size_t)(end - x) - ls);
}

/* The name suffix every match of a name pattern lies equal-or-under, and
 * whether matches are strictly under it. */
static void
name_scope(const struct pattern_parsed *u, const char **d, size_t *dn,
	   bool *strict)
{
	*d = u->h.text;
	*dn = u->h.len;
	*strict = u->kind == PATTERN_SUB || u->kind == PATTERN_MID;
	if (u->kind == PATTERN_MID) {
		*d += u->key_off;
		*dn -= u->key_off;
	}
}

static bool
covers_name(const struct pattern_parsed *m, const struct pattern_parsed *u)
{
	const char *x;
	size_t xn;
	bool ustrict;

	if (u->is_ip)
		return false;
	if (m->kind == PATTERN_EXACT)
		return u->kind == PATTERN_EXACT &&
		       strcmp(m->h.text, u->h.text) == 0;
	if (m->kind == PATTERN_MID) {
		if (u->kind == PATTERN_EXACT)
			return mid_matches(m, u->h.text, u->h.len);
		return u->kind == PATTERN_MID &&
		       strcmp(m->h.text, u->h.text) == 0;
	}
	name_scope(u, &x, &xn, &ustrict);
	if (m->kind == PATTERN_BOTH)
		return name_under(x, xn, m->h.text, m->h.len, false);
	/* m is *.d: u's matches must all be strictly under d. */
	if (u->kind == PATTERN_EXACT || u->kind == PATTERN_BOTH)
		return name_under(x, xn, m->h.text, m->h.len, true);
	return name_under(x, xn, m->h.text, m->h.len, false);
}

static bool
covers_ip(const struct pattern_parsed *m, const struct pattern_parsed *u)
{
	struct ipaddr ip;

	if (m->kind == PATTERN_CIDR) {
		if (u->kind == PATTERN_CIDR)
			return u->cidr.base.family == m->cidr.base.family &&
			       u->cidr.plen >= m->cidr.plen &&
			       cidr_contains(&m->cidr, &u->cidr.base);
		if (!u->is_ip)
			return false;
		memset(&ip, 0, sizeof(ip));
		ip.family = u->h.kind == HOST_IPV4 ? AF_INET : AF_INET6;
		memcpy(ip.a, u->h.addr, 16);
		return cidr_contains(&m->cidr, &ip);
	}
	if (!u->is_ip)
		return false;
	if (strcmp(m->h.text, u->h.text) == 0)
		return true;
	/* An unscoped IP covers its scoped forms. */
	return m->h.len == m->h.unscoped_len &&
	       u->h.unscoped_len == m->h.len &&
	       memcmp(m->h.text, u->h.text, m->h.len) == 0;
}

bool
pattern_covers(const char *managed, const char *user)
{
	struct pattern_parsed *m = xmalloc(sizeof(*m));
	struct pattern_parsed *u = xmalloc(sizeof(*u));
	char why[256];
	bool ok = false;

	if (pattern_parse(managed, 0, m, why, sizeof(why)) == -1 ||
	    pattern_parse(user, PATTERN_ALLOW_GLOBAL, u, why, sizeof(why)) ==
		    -1)
		goto out;
	if (u->kind == PATTERN_GLOBAL)
		goto out;
	if (m->port != -1 && m->port != u->port)
		goto out;
	if (m->kind == PATTERN_CIDR || m->is_ip)
		ok = covers_ip(m, u);
	else if (u->kind != PATTERN_CIDR)
		ok = covers_name(m, u);
out:
	free(m);
	free(u);
	return ok;
}
