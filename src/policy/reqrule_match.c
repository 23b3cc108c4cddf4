/* reqrule_match.c — the byte-level parts of matching a request against a
 * rule: path safety, prefixes and globs, query and header constraints
 * (semantics in reqrule.h). No allocation: decoding uses fixed buffers
 * on the stack, and what does not fit does not match. */
#include <string.h>

#include "lib/hex.h"
#include "policy/reqrule_int.h"

#define PATTERN "pattern:"
#define LITERAL "literal:"

/* --- globs ------------------------------------------------------------ */

/* The pattern byte at i; in prefix mode an implicit `*` follows the
 * pattern, so "p matches a prefix of s" is "p* matches s". */
static char
pat_at(const char *p, size_t pn, size_t i)
{
	return i < pn ? p[i] : '*';
}

/* Glob p[0..pn) against all of s[0..sn): `*` is any run of bytes. The
 * usual single-backtrack scan: on a mismatch, let the last `*` swallow
 * one more byte. Linear in practice, O(pn * sn) at worst. */
static bool
glob(const char *p, size_t pn, const char *s, size_t sn, bool prefix)
{
	size_t plen = pn + (prefix ? 1 : 0), pi = 0, si = 0;
	size_t star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < plen && pat_at(p, pn, pi) == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen && pat_at(p, pn, pi) == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && pat_at(p, pn, pi) == '*')
		pi++;
	return pi == plen;
}

/* Length of the segment at s[0..n) (up to `/` or the end). */
static size_t
seg_len(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);

	return slash ? (size_t)(slash - s) : n;
}

/* A path glob: `*` never crosses `/`, so pattern and path are compared
 * segment by segment; the pattern's last segment need only match a
 * prefix of the path's segment, and the path may go on after it. */
static bool
path_glob(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pl, sl;

	for (;;) {
		pl = seg_len(p, pn);
		sl = seg_len(s, sn);
		if (pl == pn)
			return glob(p, pl, s, sl, true);
		if (sl == sn || !glob(p, pl, s, sl, false))
			return false;
		p += pl + 1;
		pn -= pl + 1;
		s += sl + 1;
		sn -= sl + 1;
	}
}

bool
reqrule_path_match(const char *p, struct slice path)
{
	size_t n;

	if (strncmp(p, PATTERN, strlen(PATTERN)) == 0) {
		p += strlen(PATTERN);
		return path_glob(p, strlen(p), path.p, path.n);
	}
	if (strncmp(p, LITERAL, strlen(LITERAL)) == 0)
		p += strlen(LITERAL);
	n = strlen(p);
	return path.n >= n && memcmp(path.p, p, n) == 0;
}

bool
reqrule_value_match(const char *p, struct slice v)
{
	if (strncmp(p, PATTERN, strlen(PATTERN)) == 0) {
		p += strlen(PATTERN);
		return glob(p, strlen(p), v.p, v.n, false);
	}
	if (strncmp(p, LITERAL, strlen(LITERAL)) == 0)
		p += strlen(LITERAL);
	return slice_eq_cstr(v, p);
}

/* --- path safety ------------------------------------------------------ */

/* The byte an escape at s[i] (s[i] == '%') decodes to, or -1 when it is
 * malformed. */
static int
escape_at(const char *s, size_t n, size_t i)
{
	int hi, lo;

	if (n < 3 || i > n - 3)
		return -1;
	hi = hex_digit(s[i + 1]);
	lo = hex_digit(s[i + 2]);
	if (hi < 0 || lo < 0)
		return -1;
	return hi * 16 + lo;
}

/* Whether segment s[0..n) (already checked for bad escapes) is `.` or
 * `..` once decoded and cut at its first `;`. */
static bool
dot_segment(const char *s, size_t n)
{
	size_t i, dots = 0;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			c = escape_at(s, n, i);
			i += 2;
		}
		if (c == ';')
			break;
		if (c != '.' || ++dots > 2)
			return false;
	}
	return dots > 0;
}

bool
reqrule_path_safe(struct slice path)
{
	size_t i, start;
	int c;

	if (path.n == 0 || path.p[0] != '/')
		return false;
	for (i = 0; i < path.n; i++) {
		c = (unsigned char)path.p[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#')
			return false;
		if (c != '%')
			continue;
		c = escape_at(path.p, path.n, i);
		if (c <= 0 || c == '/' || c == '\\' || c == '%')
			return false;
		i += 2;
	}
	for (start = 1; start <= path.n; start = i + 1) {
		i = start + seg_len(path.p + start, path.n - start);
		if (dot_segment(path.p + start, i - start))
			return false;
	}
	return true;
}

/* --- query ------------------------------------------------------------ */

struct reading {
	bool semicolon; /* `;` separates pairs too */
	bool plus;      /* `+` is a space */
};

/* Decodes s[0..n) into out (capacity cap). Returns the decoded length,
 * or -1 on a malformed or NUL escape, or -2 when it does not fit. */
static long
decode(const char *s, size_t n, const struct reading *rd, char *out,
       size_t cap)
{
	size_t i, o = 0;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			c = escape_at(s, n, i);
			if (c <= 0)
				return -1;
			i += 2;
		} else if (c == '+' && rd->plus) {
			c = ' ';
		}
		if (o == cap)
			return -2;
		out[o++] = (char)c;
	}
	return (long)o;
}

static char
fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Whether decoded name d[0..dn) is an occurrence of constraint name c:
 * equal without case, or c followed by `[` (PHP-style arrays). dn may be
 * a truncated decode (full is false): only the prefix test applies. */
static bool
occurrence(const char *d, size_t dn, bool full, const char *c)
{
	size_t i, cn = strlen(c);

	if (dn < cn)
		return false;
	for (i = 0; i < cn; i++)
		if (fold(d[i]) != fold(c[i]))
			return false;
	return (full && dn == cn) || (dn > cn && d[cn] == '[');
}

static bool
value_ok(const struct reqrule_param *p, struct slice v)
{
	size_t i;

	if (p->n == 0)
		return true;
	for (i = 0; i < p->n; i++)
		if (reqrule_value_match(p->values[i], v))
			return true;
	return false;
}

/* Checks one pair against every constraint, counting occurrences in
 * seen[]. False when the pair breaks a constraint. */
static bool
pair_ok(const char *s, size_t n, const struct reading *rd,
	const struct reqrule_param *p, size_t np, size_t *seen)
{
	char name[REQRULE_NAME_MAX + 2], val[REQRULE_VALUE_MAX];
	const char *eq = memchr(s, '=', n);
	size_t nn = eq ? (size_t)(eq - s) : n, i;
	long dn, dv = -3;

	dn = decode(s, nn, rd, name, sizeof(name));
	if (dn == -1)
		return false;
	for (i = 0; i < np; i++) {
		if (!occurrence(name, dn < 0 ? sizeof(name) : (size_t)dn,
				dn >= 0, p[i].name))
			continue;
		seen[i]++;
		if (dv == -3)
			dv = eq ? decode(eq + 1, n - nn - 1, rd, val,
					 sizeof(val))
				: 0;
		if (dv < 0 || !value_ok(&p[i], slice_of(val, (size_t)dv)))
			return false;
	}
	return true;
}

/* True when a byte of the query cannot be decoded at all. */
static bool
bad_escapes(struct slice q)
{
	size_t i;

	for (i = 0; i < q.n; i++) {
		if (q.p[i] != '%')
			continue;
		if (escape_at(q.p, q.n, i) <= 0)
			return true;
		i += 2;
	}
	return false;
}

static bool
query_reading_ok(struct slice q, const struct reading *rd,
		 const struct reqrule_param *p, size_t np, size_t *seen)
{
	size_t i, start = 0;
	bool sep;

	memset(seen, 0, np * sizeof(*seen));
	for (i = 0; i <= q.n; i++) {
		sep = i == q.n || q.p[i] == '&' ||
		      (rd->semicolon && q.p[i] == ';');
		if (!sep)
			continue;
		if (i > start &&
		    !pair_ok(q.p + start, i - start, rd, p, np, seen))
			return false;
		start = i + 1;
	}
	for (i = 0; i < np; i++)
		if (seen[i] == 0)
			return false;
	return true;
}

bool
reqrule_query_ok(struct slice query, const struct reqrule_param *p, size_t n)
{
	static const struct reading readings[4] = {
		{false, false}, {false, true}, {true, false}, {true, true}};
	size_t seen[64];
	size_t i;

	if (n == 0)
		return true;
	if (n > sizeof(seen) / sizeof(seen[0]) || bad_escapes(query))
		return false;
	for (i = 0; i < 4; i++)
		if (!query_reading_ok(query, &readings[i], p, n, seen))
			return false;
	return true;
}

/* --- headers ---------------------------------------------------------- */

bool
reqrule_headers_ok(const struct reqrule_hdr *h, size_t nh,
		   const struct reqrule_param *p, size_t n)
{
	size_t i, j, seen;

	for (i = 0; i < n; i++) {
		seen = 0;
		for (j = 0; j < nh; j++) {
			if (!slice_caseeq_cstr(h[j].name, p[i].name))
				continue;
			if (!value_ok(&p[i], h[j].value))
				return false;
			seen++;
		}
		if (seen == 0)
			return false;
	}
	return true;
}
