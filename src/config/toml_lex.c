/* toml_lex.c — the TOML reader's scanner: locations and errors, the
 * encoding check, whitespace and comments, keys, and the four string forms.
 * See toml_internal.h. */
#include "config/toml_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/xalloc.h"

/* A growable string for decoded text. The input is at most
 * TOML_MAX_BYTES and decoding never lengthens it, so no cap is needed. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void
sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = xreallocarray(b->p, cap, 1);
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

/* Hands the text over, always NUL-terminated, even when empty. */
static char *
sbuf_detach(struct sbuf *b, size_t *len)
{
	char *s;

	if (b->p == NULL)
		sbuf_add(b, "", 0);
	s = b->p;
	*len = b->n;
	memset(b, 0, sizeof(*b));
	return s;
}

/* --- locations and errors ------------------------------------------- */

/* Locations are asked for in (almost always) increasing order, so the
 * cursor moves forward and the cost over a whole parse stays linear. A
 * request behind the cursor (only for errors) rescans from the start. */
void
toml_locate(struct toml_parser *P, size_t pos, int *line, int *col)
{
	if (pos > P->n)
		pos = P->n;
	if (pos < P->lpos || P->lline == 0) {
		P->lpos = 0;
		P->lline = 1;
		P->lcol = 1;
	}
	for (; P->lpos < pos; P->lpos++) {
		unsigned char c = (unsigned char)P->p[P->lpos];
		if (c == '\n') {
			P->lline++;
			P->lcol = 1;
		} else if ((c & 0xC0) != 0x80) {
			P->lcol++;
		}
	}
	*line = P->lline;
	*col = P->lcol;
}

void
toml_fail(struct toml_parser *P, size_t pos, const char *fmt, ...)
{
	char msg[256], *p;
	va_list ap;
	int line, col;

	if (P->failed)
		return;
	P->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* keys quoted in messages may hold escaped control characters; a
	 * message stays one printable line */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = '?';
	toml_locate(P, pos, &line, &col);
	errbuf_add(P->err, "%d:%d: %s", line, col, msg);
}

const char *
toml_describe(struct toml_parser *P, size_t pos, char *tmp, size_t tmpn)
{
	unsigned char c;
	size_t k = 1;

	if (pos >= P->n)
		return "end of input";
	c = (unsigned char)P->p[pos];
	if (c == '\n')
		return "newline";
	if (c == '\r')
		return "carriage return";
	if (c < 0x20 || c == 0x7F) {
		snprintf(tmp, tmpn, "control character U+%04X", c);
		return tmp;
	}
	if (c >= 0x80) {
		while (k < 4 && pos + k < P->n &&
			((unsigned char)P->p[pos + k] & 0xC0) == 0x80)
			k++;
	}
	snprintf(tmp, tmpn, "'%.*s'", (int)k, P->p + pos);
	return tmp;
}

/* --- encoding --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

int
toml_check_encoding(struct toml_parser *P)
{
	const unsigned char *p = (const unsigned char *)P->p;
	size_t i = 0, len;

	while (i < P->n) {
		if (p[i] == 0) {
			toml_fail(P, i, "nul byte in input");
			return -1;
		}
		len = utf8_len(p + i, P->n - i);
		if (len == 0) {
			toml_fail(P, i, "invalid utf-8 byte 0x%02x", p[i]);
			return -1;
		}
		i += len;
	}
	return 0;
}

/* --- whitespace, comments, newlines ------------------------------------ */

void
toml_skip_ws(struct toml_parser *P)
{
	while (P->pos < P->n && (P->p[P->pos] == ' ' || P->p[P->pos] == '\t'))
		P->pos++;
}

bool
toml_at_newline(const struct toml_parser *P)
{
	if (P->pos >= P->n)
		return false;
	if (P->p[P->pos] == '\n')
		return true;
	return P->p[P->pos] == '\r' && P->pos + 1 < P->n &&
		P->p[P->pos + 1] == '\n';
}

void
toml_eat_newline(struct toml_parser *P)
{
	P->pos += P->p[P->pos] == '\r' ? 2 : 1;
}

static bool
is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7F;
}

int
toml_skip_comment(struct toml_parser *P)
{
	if (P->pos >= P->n || P->p[P->pos] != '#')
		return 0;
	while (P->pos < P->n && !toml_at_newline(P)) {
		unsigned char c = (unsigned char)P->p[P->pos];
		if (is_control(c)) {
			toml_fail(P, P->pos, "control character U+%04X in comment",
				c);
			return -1;
		}
		P->pos++;
	}
	return 0;
}

int
toml_skip_blank(struct toml_parser *P)
{
	for (;;) {
		toml_skip_ws(P);
		if (toml_skip_comment(P) == -1)
			return -1;
		if (!toml_at_newline(P))
			return 0;
		toml_eat_newline(P);
	}
}

/* --- strings ------------------------------------------------------------- */

static void
sbuf_add_utf8(struct sbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sbuf_add(b, u, n);
}

/* \uXXXX or \UXXXXXXXX with P->pos on the u/U. */
static int
unicode_escape(struct toml_parser *P, struct sbuf *b)
{
	size_t start = P->pos - 1, digits = P->p[P->pos] == 'u' ? 4 : 8, i;
	uint32_t cp = 0;

	P->pos++;
	for (i = 0; i < digits; i++) {
		int h = P->pos + i < P->n ? hex_digit(P->p[P->pos + i]) : -1;
		if (h < 0) {
			toml_fail(P, start, "invalid unicode escape: \\%c needs "
				"%zu hex digits", digits == 4 ? 'u' : 'U', digits);
			return -1;
		}
		cp = cp << 4 | (uint32_t)h;
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		toml_fail(P, start, "invalid unicode escape \\%.*s: "
			"not a unicode scalar value", (int)digits + 1,
			P->p + P->pos - 1);
		return -1;
	}
	P->pos += digits;
	sbuf_add_utf8(b, cp);
	return 0;
}

/* After a backslash in a multi-line basic string: true (and skipped) when
 * only whitespace follows up to the end of the line. */
static bool
line_ending_backslash(struct toml_parser *P)
{
	size_t save = P->pos;

	toml_skip_ws(P);
	if (!toml_at_newline(P)) {
		P->pos = save;
		return false;
	}
	for (;;) {
		toml_skip_ws(P);
		if (!toml_at_newline(P))
			return true;
		toml_eat_newline(P);
	}
}

/* An escape with P->pos just after the backslash. */
static int
escape(struct toml_parser *P, struct sbuf *b, bool multi)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *hit;
	char tmp[48];

	if (multi && line_ending_backslash(P))
		return 0;
	if (P->pos >= P->n) {
		toml_fail(P, P->pos - 1, "unterminated string");
		return -1;
	}
	if (P->p[P->pos] == 'u' || P->p[P->pos] == 'U')
		return unicode_escape(P, b);
	hit = P->p[P->pos] ? strchr(from, P->p[P->pos]) : NULL;
	if (hit == NULL) {
		unsigned char c = (unsigned char)P->p[P->pos];
		if (c > 0x20 && c < 0x7F)
			toml_fail(P, P->pos - 1, "invalid escape \\%c in string",
				c);
		else
			toml_fail(P, P->pos - 1, "invalid escape: backslash "
				"followed by %s", toml_describe(P, P->pos, tmp,
				sizeof(tmp)));
		return -1;
	}
	sbuf_addc(b, to[hit - from]);
	P->pos++;
	return 0;
}

/* Counts the run of quote characters q at P->pos. */
static size_t
quote_run(const struct toml_parser *P, char q)
{
	size_t k = 0;

	while (P->pos + k < P->n && P->p[P->pos + k] == q)
		k++;
	return k;
}

/* At a run of quotes inside a multi-line string: 1 when it closes the
 * string (adding up to two quotes of content), 0 when it is content. */
static int
ml_close(struct toml_parser *P, struct sbuf *b, char q)
{
	size_t k = quote_run(P, q);

	if (k < 3) {
		sbuf_add(b, P->p + P->pos, k);
		P->pos += k;
		return 0;
	}
	if (k > 5) {
		toml_fail(P, P->pos, "too many quotes at end of "
			"multi-line string");
		return -1;
	}
	sbuf_add(b, P->p + P->pos, k - 3);
	P->pos += k;
	return 1;
}

/* The body of any string form, P->pos after the opening delimiter. */
static int
string_body(struct toml_parser *P, struct sbuf *b, char q, bool multi,
	size_t start)
{
	char tmp[48];

	for (;;) {
		unsigned char c;
		if (P->pos >= P->n) {
			toml_fail(P, start, "unterminated string");
			return -1;
		}
		c = (unsigned char)P->p[P->pos];
		if (c == (unsigned char)q) {
			int r;
			if (!multi) {
				P->pos++;
				return 0;
			}
			r = ml_close(P, b, q);
			if (r != 0)
				return r < 0 ? -1 : 0;
		} else if (c == '\\' && q == '"') {
			P->pos++;
			if (escape(P, b, multi) == -1)
				return -1;
		} else if (multi && toml_at_newline(P)) {
			toml_eat_newline(P);
			sbuf_addc(b, '\n');
		} else if (c == '\n' || (c == '\r' && !multi)) {
			toml_fail(P, P->pos, "newline in single-line string");
			return -1;
		} else if (is_control(c)) {
			toml_fail(P, P->pos, "%s in string",
				toml_describe(P, P->pos, tmp, sizeof(tmp)));
			return -1;
		} else {
			sbuf_addc(b, (char)c);
			P->pos++;
		}
	}
}

int
toml_parse_string(struct toml_parser *P, char **out, size_t *len)
{
	struct sbuf b = {0};
	size_t start = P->pos;
	char q = P->p[P->pos];
	bool multi = quote_run(P, q) >= 3;

	P->pos += multi ? 3 : 1;
	if (multi && toml_at_newline(P))
		toml_eat_newline(P);
	if (string_body(P, &b, q, multi, start) == -1) {
		free(b.p);
		return -1;
	}
	*out = sbuf_detach(&b, len);
	return 0;
}

/* --- keys ----------------------------------------------------------------- */

static bool
is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '-';
}

void
toml_key_release(struct toml_key *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->part[i].s);
	free(k->part);
	memset(k, 0, sizeof(*k));
}

static int
key_part(struct toml_parser *P, struct toml_keypart *kp)
{
	char tmp[48];
	size_t start = P->pos;
	char c = P->pos < P->n ? P->p[P->pos] : 0;

	kp->pos = P->pos;
	toml_locate(P, P->pos, &kp->line, &kp->col);
	if (c == '"' || c == '\'') {
		if (quote_run(P, c) >= 3) {
			toml_fail(P, P->pos, "multi-line string cannot be a key");
			return -1;
		}
		return toml_parse_string(P, &kp->s, &kp->len);
	}
	while (P->pos < P->n && is_bare(P->p[P->pos]))
		P->pos++;
	if (P->pos == start) {
		toml_fail(P, P->pos, "expected a key but found %s",
			toml_describe(P, P->pos, tmp, sizeof(tmp)));
		return -1;
	}
	kp->s = xstrndup(P->p + start, P->pos - start);
	kp->len = P->pos - start;
	return 0;
}

int
toml_parse_key(struct toml_parser *P, struct toml_key *k)
{
	for (;;) {
		if (k->n == TOML_MAX_DEPTH) {
			toml_fail(P, P->pos, "dotted key has more than %d parts",
				TOML_MAX_DEPTH);
			return -1;
		}
		if (k->n == k->cap) {
			k->cap = k->cap ? k->cap * 2 : 4;
			k->part = xreallocarray(k->part, k->cap,
				sizeof(*k->part));
		}
		memset(&k->part[k->n], 0, sizeof(k->part[0]));
		if (key_part(P, &k->part[k->n]) == -1)
			return -1;
		k->n++;
		toml_skip_ws(P);
		if (P->pos >= P->n || P->p[P->pos] != '.')
			return 0;
		P->pos++;
		toml_skip_ws(P);
	}
}
