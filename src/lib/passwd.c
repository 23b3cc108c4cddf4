/* passwd.c — the password database's home directory. See passwd.h. */
#include "lib/passwd.h"

#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fdutil.h"
#include "lib/xalloc.h"

/* isspace() in the C locale, which is what NSS's parser uses. */
static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* The first source of a passwd line's rest (after the colon): 1 when it
 * is `files` with no [action] after it. */
static int
files_first(const char *p, const char *end)
{
	while (p < end && blank(*p))
		p++;
	if ((size_t)(end - p) < 5 || memcmp(p, "files", 5) != 0)
		return 0;
	p += 5;
	if (p < end && !blank(*p))
		return 0; /* `filesx`, or `files[...]` */
	while (p < end && blank(*p))
		p++;
	return p == end || *p != '[';
}

/* A line of nsswitch.conf, its comment cut: 1 when it is for the passwd
 * database (in any case, as a lenient reader could take it), with *ok
 * saying whether it is spelled `passwd` and names files first. */
static int
passwd_line(const char *p, const char *end, int *ok)
{
	const char *name;

	while (p < end && blank(*p))
		p++;
	for (name = p; p < end && !blank(*p) && *p != ':'; p++)
		;
	if (p - name != 6 || strncasecmp(name, "passwd", 6) != 0)
		return 0;
	while (p < end && blank(*p))
		p++;
	if (p == end || *p != ':')
		return 0;
	*ok = memcmp(name, "passwd", 6) == 0 && files_first(p + 1, end);
	return 1;
}

int
passwd_files_first(const char *text, size_t n)
{
	const char *line, *end = text + n, *eol, *cut;
	int found = 0, ok = 0;

	if (memchr(text, '\0', n) != NULL)
		return 0;
	for (line = text; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		cut = memchr(line, '#', (size_t)(eol - line));
		found += passwd_line(line, cut != NULL ? cut : eol, &ok);
	}
	return found == 1 && ok;
}

/* A plain decimal id: digits only, below 2^32. -1 otherwise. */
static int
plain_id(const char *p, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Splits a line into its seven fields; -1 unless it has exactly seven and
 * is plain: no leading blank or '#', no +/- compat name, plain ids. */
static int
plain_line(const char *line, const char *eol, struct slice f[7],
	   uint32_t *uid)
{
	const char *p = line, *c;
	uint32_t gid;
	int i;

	if (blank(*line) || *line == '#' || *line == '+' || *line == '-')
		return -1;
	for (i = 0; i < 6; i++) {
		c = memchr(p, ':', (size_t)(eol - p));
		if (c == NULL)
			return -1;
		f[i] = slice_of(p, (size_t)(c - p));
		p = c + 1;
	}
	if (memchr(p, ':', (size_t)(eol - p)) != NULL)
		return -1;
	f[6] = slice_of(p, (size_t)(eol - p));
	if (plain_id(f[2].p, f[2].n, uid) == -1 ||
	    plain_id(f[3].p, f[3].n, &gid) == -1)
		return -1;
	return 0;
}

int
passwd_find_home(const char *text, size_t n, uid_t uid, struct slice *home)
{
	const char *line = text, *end = text + n, *eol;
	struct slice f[7];
	uint32_t u;

	for (; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		if (eol == line)
			continue; /* an empty line: NSS skips it too */
		if (memchr(line, '\0', (size_t)(eol - line)) != NULL ||
		    plain_line(line, eol, f, &u) == -1)
			return PASSWD_FALLBACK;
		if (u == (uint32_t)uid) {
			*home = f[5];
			return PASSWD_FOUND;
		}
	}
	return PASSWD_NOT_FOUND;
}

static char *
nss_home(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL ||
	    pw.pw_dir == NULL)
		return NULL;
	return xstrdup(pw.pw_dir);
}

char *
passwd_home(uid_t uid)
{
	char *ns = NULL, *pw = NULL, *home = NULL;
	struct slice h;
	size_t nn = 0, np = 0;

	ns = read_file_capped("/etc/nsswitch.conf", PASSWD_NSSWITCH_MAX,
			      &nn, NULL);
	if (ns != NULL && passwd_files_first(ns, nn))
		pw = read_file_capped("/etc/passwd", PASSWD_FILE_MAX, &np, NULL);
	if (pw != NULL && passwd_find_home(pw, np, uid, &h) == PASSWD_FOUND)
		home = xstrndup(h.p, h.n);
	else
		home = nss_home(uid);
	free(ns);
	free(pw);
	return home;
}
