/* toml_scalar.c — the TOML reader's non-string scalars: booleans,
 * integers, floats and the four date-time forms. See toml_internal.h.
 *
 * A scalar is first cut out as a token (the longest run of characters any
 * scalar may contain), then the token is checked against the grammar, so
 * "1x" or "truex" is reported as one bad value rather than as two. */
#include "config/toml_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_token(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z') || c == '_' || c == '+' || c == '-' ||
		c == '.' || c == ':';
}

static int
digit_value(char c, int base)
{
	int d;

	if (is_digit(c))
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < base ? d : -1;
}

/* Consumes digit ( _? digit )* in base from s[*i..n); -1 when there is no
 * digit or an underscore is not between two digits. */
static int
scan_digits(const char *s, size_t n, size_t *i, int base)
{
	if (*i >= n || digit_value(s[*i], base) < 0)
		return -1;
	while (*i < n) {
		if (digit_value(s[*i], base) >= 0) {
			(*i)++;
		} else if (s[*i] == '_') {
			if (*i + 1 >= n || digit_value(s[*i + 1], base) < 0)
				return -1;
			(*i)++;
		} else {
			break;
		}
	}
	return 0;
}

/* --- integers and floats ------------------------------------------------ */

/* s[0..n) is digits and underscores already checked; neg allows 2^63. */
static int
int_value(struct toml_parser *P, size_t at, const char *s, size_t n,
	int base, bool neg, int64_t *out)
{
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int d = digit_value(s[i], base);
		if (d < 0)
			continue;
		if (v > (limit - (uint64_t)d) / (uint64_t)base) {
			toml_fail(P, at, "integer out of range (64-bit)");
			return -1;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int
prefixed_int(struct toml_parser *P, size_t at, const char *s, size_t n,
	struct toml_value *v)
{
	int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
	size_t i = 2;

	if (scan_digits(s, n, &i, base) == -1 || i != n) {
		toml_fail(P, at, "invalid %s integer '%.*s'", base == 16 ? "hex" :
			base == 8 ? "octal" : "binary", (int)(n > 40 ? 40 : n),
			s);
		return -1;
	}
	v->type = TOML_INTEGER;
	return int_value(P, at, s + 2, n - 2, base, false, &v->u.i);
}

static int
float_value(struct toml_parser *P, size_t at, const char *s, size_t n,
	struct toml_value *v)
{
	char *tmp = xmalloc(n + 1), *end = NULL;
	size_t i, k = 0;
	int rc = -1;

	for (i = 0; i < n; i++)
		if (s[i] != '_')
			tmp[k++] = s[i];
	tmp[k] = '\0';
	errno = 0;
	v->type = TOML_FLOAT;
	/* strtod follows LC_NUMERIC; airlock never changes it from "C". */
	v->u.f = strtod(tmp, &end);
	if (end != tmp + k) {
		toml_fail(P, at, "invalid float '%.*s'", (int)(n > 40 ? 40 : n), s);
		goto out;
	}
	if (errno == ERANGE && isinf(v->u.f)) {
		toml_fail(P, at, "float '%.*s' out of range",
			(int)(n > 40 ? 40 : n), s);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static bool
is_special_float(const char *s, size_t n, struct toml_value *v)
{
	size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;

	if (n - i != 3)
		return false;
	if (memcmp(s + i, "inf", 3) == 0)
		v->u.f = s[0] == '-' ? -INFINITY : INFINITY;
	else if (memcmp(s + i, "nan", 3) == 0)
		v->u.f = s[0] == '-' ? -NAN : NAN;
	else
		return false;
	v->type = TOML_FLOAT;
	return true;
}

static int
number(struct toml_parser *P, size_t at, const char *s, size_t n,
	struct toml_value *v)
{
	size_t i = 0, int_start;
	int show = (int)(n > 40 ? 40 : n);

	if (is_special_float(s, n, v))
		return 0;
	if (!is_digit(s[0]) && s[0] != '+' && s[0] != '-') {
		toml_fail(P, at, "invalid value '%.*s'", show, s);
		return -1;
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
		return prefixed_int(P, at, s, n, v);
	if (s[0] == '+' || s[0] == '-')
		i++;
	int_start = i;
	if (scan_digits(s, n, &i, 10) == -1)
		goto bad;
	if (s[int_start] == '0' && i - int_start > 1) {
		toml_fail(P, at, "leading zero not allowed in '%.*s'", show, s);
		return -1;
	}
	if (i == n) {
		v->type = TOML_INTEGER;
		return int_value(P, at, s + int_start, n - int_start, 10,
			s[0] == '-', &v->u.i);
	}
	if (s[i] == '.') {
		i++;
		if (scan_digits(s, n, &i, 10) == -1)
			goto bad;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (scan_digits(s, n, &i, 10) == -1)
			goto bad;
	}
	if (i != n)
		goto bad;
	return float_value(P, at, s, n, v);
bad:
	toml_fail(P, at, "invalid number '%.*s'", show, s);
	return -1;
}

/* --- date-times -------------------------------------------------------- */

/* Reads exactly k digits at s[*i]. */
static bool
fixed_digits(const char *s, size_t n, size_t *i, int k, int *out)
{
	int v = 0;

	while (k-- > 0) {
		if (*i >= n || !is_digit(s[*i]))
			return false;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*out = v;
	return true;
}

static bool
expect(const char *s, size_t n, size_t *i, char c)
{
	if (*i >= n || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

static bool
date_part(const char *s, size_t n, size_t *i)
{
	int y, m, d;

	if (!fixed_digits(s, n, i, 4, &y) || !expect(s, n, i, '-') ||
		!fixed_digits(s, n, i, 2, &m) || !expect(s, n, i, '-') ||
		!fixed_digits(s, n, i, 2, &d))
		return false;
	return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* HH:MM:SS(.fraction)?; a leap second (60) is allowed as in RFC 3339. */
static bool
time_part(const char *s, size_t n, size_t *i)
{
	int h, m, sec;

	if (!fixed_digits(s, n, i, 2, &h) || !expect(s, n, i, ':') ||
		!fixed_digits(s, n, i, 2, &m) || !expect(s, n, i, ':') ||
		!fixed_digits(s, n, i, 2, &sec))
		return false;
	if (h > 23 || m > 59 || sec > 60)
		return false;
	if (*i < n && s[*i] == '.') {
		(*i)++;
		if (*i >= n || !is_digit(s[*i]))
			return false;
		while (*i < n && is_digit(s[*i]))
			(*i)++;
	}
	return true;
}

static bool
offset_part(const char *s, size_t n, size_t *i)
{
	int h, m;

	if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
		(*i)++;
		return true;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	(*i)++;
	return fixed_digits(s, n, i, 2, &h) && expect(s, n, i, ':') &&
		fixed_digits(s, n, i, 2, &m) && h <= 23 && m <= 59;
}

/* True when a time follows a date after a space: "1979-05-27 07:". */
static bool
space_time(const char *s, size_t n, size_t i)
{
	return i + 3 < n && s[i] == ' ' && is_digit(s[i + 1]) &&
		is_digit(s[i + 2]) && s[i + 3] == ':';
}

/* Parses the date-time at s = P->p + P->pos, sets v, and returns its
 * length, or 0 when it is malformed or out of range. */
static size_t
datetime(const char *s, size_t n, struct toml_value *v)
{
	size_t i = 0;
	bool has_date = n > 4 && s[4] == '-';

	if (has_date) {
		if (!date_part(s, n, &i))
			return 0;
		v->type = TOML_DATE_LOCAL;
		if (i < n && (s[i] == 'T' || s[i] == 't' || space_time(s, n, i)))
			i++;
		else
			return i;
	}
	if (!time_part(s, n, &i))
		return 0;
	v->type = has_date ? TOML_DATETIME_LOCAL : TOML_TIME_LOCAL;
	if (has_date && i < n && (s[i] == 'Z' || s[i] == 'z' || s[i] == '+' ||
		s[i] == '-')) {
		if (!offset_part(s, n, &i))
			return 0;
		v->type = TOML_DATETIME;
	}
	return i;
}

static char *
datetime_text(const char *s, size_t len)
{
	char *t = xstrndup(s, len);
	size_t i;

	for (i = 0; i < len; i++) {
		if (i == 10 && (t[i] == ' ' || t[i] == 't'))
			t[i] = 'T';
		else if (t[i] == 'z')
			t[i] = 'Z';
	}
	return t;
}

static bool
looks_like_datetime(const char *s, size_t n)
{
	if (n > 4 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
		is_digit(s[3]) && s[4] == '-')
		return true;
	return n > 2 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':';
}

int
toml_parse_scalar(struct toml_parser *P, struct toml_value *v)
{
	const char *s = P->p + P->pos;
	size_t n = 0, len;
	char tmp[48];

	while (P->pos + n < P->n && is_token(s[n]))
		n++;
	if (n == 0) {
		toml_fail(P, P->pos, "expected a value but found %s",
			toml_describe(P, P->pos, tmp, sizeof(tmp)));
		return -1;
	}
	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
		(n == 5 && memcmp(s, "false", 5) == 0)) {
		v->type = TOML_BOOL;
		v->u.b = n == 4;
		P->pos += n;
		return 0;
	}
	if (!looks_like_datetime(s, n)) {
		if (number(P, P->pos, s, n, v) == -1)
			return -1;
		P->pos += n;
		return 0;
	}
	len = datetime(s, P->n - P->pos, v);
	if (len == 0 || (P->pos + len < P->n && is_token(s[len]))) {
		toml_fail(P, P->pos, "invalid date-time '%.*s'",
			(int)(n > 40 ? 40 : n), s);
		return -1;
	}
	v->u.str.s = datetime_text(s, len);
	v->u.str.len = len;
	P->pos += len;
	return 0;
}
