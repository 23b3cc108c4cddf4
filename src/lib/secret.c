/* secret.c — secrets in protected memory (see secret.h). */
#include "lib/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The header lives at the start of the mapping, so one mapping is one
 * secret and nothing about it sits in the ordinary heap. */
struct secret {
	size_t len;    /* bytes of data, NUL not counted */
	size_t maplen; /* bytes mapped */
	char data[];
};

struct secret *
secret_new(size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t need = sizeof(struct secret) + n + 1, maplen;
	struct secret *s;
	void *p;

	if (page <= 0)
		page = 4096;
	maplen = (need + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fputs("airlock: out of memory\n", stderr);
		abort();
	}
	/* Best effort each: an old kernel without MADV_WIPEONFORK, or a
	 * small RLIMIT_MEMLOCK, still leaves the other protections. */
	(void)madvise(p, maplen, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
	(void)madvise(p, maplen, MADV_WIPEONFORK);
#endif
	(void)mlock(p, maplen);
	s = p;
	s->len = n;
	s->maplen = maplen;
	return s;
}

void
secret_free(struct secret *s)
{
	size_t maplen;

	if (s == NULL)
		return;
	maplen = s->maplen;
	explicit_bzero(s, maplen);
	munlock(s, maplen);
	munmap(s, maplen);
}

const char *
secret_data(const struct secret *s)
{
	return s->data;
}

char *
secret_bytes(struct secret *s)
{
	return s->data;
}

size_t
secret_len(const struct secret *s)
{
	return s->len;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *
secret_check_value(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "is empty";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "holds a control character (a line break?) and "
			       "cannot be sent in a header";
	}
	return NULL;
}

/* A trimmed copy of p[0..n) as a secret, or NULL with *why set. */
static struct secret *
trimmed(const char *p, size_t n, const char **why)
{
	struct secret *s;

	while (n > 0 && is_space(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	*why = secret_check_value(p, n);
	if (*why != NULL)
		return NULL;
	s = secret_new(n);
	memcpy(s->data, p, n);
	return s;
}

static const char *
stat_problem(const struct stat *st, char *tmp, size_t tmpn)
{
	if (!S_ISREG(st->st_mode))
		return "is not a regular file";
	if (st->st_uid != geteuid()) {
		snprintf(tmp, tmpn, "is owned by uid %lu, not by uid %lu who "
			 "runs airlock", (unsigned long)st->st_uid,
			 (unsigned long)geteuid());
		return tmp;
	}
	if ((st->st_mode & 077) != 0) {
		snprintf(tmp, tmpn, "has mode %04o: group or others may access "
			 "it (chmod 600 it)", (unsigned)(st->st_mode & 07777));
		return tmp;
	}
	if (st->st_size > SECRET_MAX) {
		snprintf(tmp, tmpn, "is larger than %d bytes", SECRET_MAX);
		return tmp;
	}
	return NULL;
}

/* Reads all of fd into buf (capacity cap); the byte count, or -1 with
 * errno, or -2 when there is more than cap. */
static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r;
	char extra;

	while (got < cap) {
		r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return (ssize_t)got;
		got += (size_t)r;
	}
	do
		r = read(fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	explicit_bzero(&extra, 1);
	return r == 0 ? (ssize_t)got : -2;
}

struct secret *
secret_from_file(const char *path, struct errbuf *err)
{
	struct secret *raw = NULL, *out = NULL;
	const char *why = NULL;
	char tmp[160];
	struct stat st;
	ssize_t n;
	int fd = -1;

	if (path[0] != '/') {
		errbuf_add(err, "secret file %s: must be an absolute path",
			   path);
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
			       O_NONBLOCK);
	if (fd == -1) {
		why = errno == ELOOP ? "is a symlink (name the file itself)"
				     : strerror(errno);
		goto out;
	}
	/* Checked on the open file: nothing can swap it after the check. */
	if (fstat(fd, &st) == -1) {
		why = strerror(errno);
		goto out;
	}
	why = stat_problem(&st, tmp, sizeof(tmp));
	if (why != NULL)
		goto out;
	raw = secret_new(SECRET_MAX);
	n = read_all(fd, raw->data, SECRET_MAX);
	if (n < 0) {
		why = n == -2 ? "grew past the size limit while being read"
			      : strerror(errno);
		goto out;
	}
	out = trimmed(raw->data, (size_t)n, &why);
out:
	if (why != NULL)
		errbuf_add(err, "secret file %s: %s", path, why);
	secret_free(raw);
	if (fd != -1)
		close(fd);
	return out;
}

struct secret *
secret_from_env(const char *name, struct errbuf *err)
{
	const char *v = getenv(name), *why = NULL;
	struct secret *s = NULL;

	if (v == NULL)
		why = "is not set in airlock's environment";
	else if (strlen(v) > SECRET_MAX)
		why = "is too long";
	else
		s = trimmed(v, strlen(v), &why);
	if (why != NULL)
		errbuf_add(err, "secret variable %s: %s", name, why);
	return s;
}

struct secret *
secret_concat(const char *prefix, const struct secret *s)
{
	size_t pn = strlen(prefix);
	struct secret *out;

	if (pn > SECRET_MAX || s->len > SECRET_MAX - pn)
		return NULL;
	out = secret_new(pn + s->len);
	memcpy(out->data, prefix, pn);
	memcpy(out->data + pn, s->data, s->len);
	return out;
}

int
secret_protect_process(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
