#include "fdutil.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
read_fd_capped(int fd, size_t max, size_t *len, int *too_big)
{
	size_t cap = 4096, n = 0;
	char *p = xmalloc(cap);

	*too_big = 0;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			if (cap > max + 1) {
				*too_big = 1;
				free(p);
				return NULL;
			}
			cap *= 2;
			p = xreallocarray(p, cap, 1);
		}
		r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(p);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			*too_big = 1;
			free(p);
			return NULL;
		}
	}
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

char *
read_file_capped(const char *path, size_t max, size_t *len,
		 struct errbuf *err)
{
	int fd = -1, too_big = 0, saved;
	char *p = NULL;
	struct stat st;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd == -1) {
			errbuf_add(err, "%s: %s", path, strerror(errno));
			return NULL;
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			errbuf_add(err, "%s: is a directory", path);
			close(fd);
			return NULL;
		}
	}
	p = read_fd_capped(fd, max, len, &too_big);
	saved = errno;
	if (p == NULL && too_big)
		errbuf_add(err, "%s: file is larger than %zu bytes", path, max);
	else if (p == NULL)
		errbuf_add(err, "%s: %s", path, strerror(saved));
	if (fd != STDIN_FILENO)
		close(fd);
	return p;
}

int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
write_file_atomic(const char *path, const void *p, size_t n, mode_t mode,
		  struct errbuf *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = -1, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd == -1) {
		errbuf_add(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) == -1 || write_all(fd, p, n) == -1 ||
	    fsync(fd) == -1) {
		errbuf_add(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		errbuf_add(err, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		errbuf_add(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlink(tmp);
	free(tmp);
	return rc;
}
