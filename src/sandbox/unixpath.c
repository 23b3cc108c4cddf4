/* unixpath.c — resolving unix socket paths inside the sandbox, and who
 * bound them. See unixpath.h. */
#include "sandbox/unixpath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/fdutil.h"
#include "sandbox/mountinfo.h"
#include "sandbox/sockdiag.h"

#define MOUNTINFO_MAX (4u << 20)
#define TCP_LISTEN_STATE 10 /* TCP_LISTEN, what a listening unix socket is */

int
unixpath_of_addr(const struct sockaddr_un *sa, socklen_t len,
		 char path[UNIXPATH_MAX + 1])
{
	size_t n, max;
	const char *nul;

	if (len < sizeof(sa->sun_family) || sa->sun_family != AF_UNIX ||
	    len > sizeof(*sa))
		return -1;
	max = len - offsetof(struct sockaddr_un, sun_path);
	if (max == 0 || sa->sun_path[0] == '\0')
		return 0;
	/* As the kernel reads it: up to the first NUL or the length. */
	nul = memchr(sa->sun_path, '\0', max);
	n = nul ? (size_t)(nul - sa->sun_path) : max;
	memcpy(path, sa->sun_path, n);
	path[n] = '\0';
	return 1;
}

const char *
unixpath_absolute(pid_t tid, const char *path, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	if (path[0] == '/')
		return path;
	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
	n = readlink(link, buf, size - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	if ((size_t)n + 1 + strlen(path) + 1 > size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	snprintf(buf + n, size - (size_t)n, "/%s", path);
	return buf;
}

int
unixpath_open(pid_t tid, int rootfd, const char *path)
{
	struct open_how how;
	char root[64], buf[PATH_MAX + UNIXPATH_MAX + 2];
	const char *abs;
	int rfd = rootfd, fd, e;

	abs = unixpath_absolute(tid, path, buf, sizeof(buf));
	if (abs == NULL)
		return -1;
	if (rfd == -1) {
		snprintf(root, sizeof(root), "/proc/%d/root", (int)tid);
		rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rfd == -1)
			return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, rfd, abs, &how, sizeof(how));
	e = errno;
	if (rfd != rootfd)
		close(rfd);
	errno = e;
	return fd;
}

/* mnt_id and ino of fd, from /proc/self/fdinfo. */
static int
fdinfo(int fd, uint64_t *mnt_id, uint64_t *ino)
{
	char name[64], buf[1024], *p;
	int f, got = 0;
	ssize_t n;

	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", fd);
	f = open(name, O_RDONLY | O_CLOEXEC);
	if (f == -1)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "mnt_id:\t", 8) == 0) {
			*mnt_id = strtoull(p + 8, NULL, 10);
			got |= 1;
		} else if (strncmp(p, "ino:\t", 5) == 0) {
			*ino = strtoull(p + 5, NULL, 10);
			got |= 2;
		}
	}
	return got == 3 ? 0 : -1;
}

static int
read_mounts(struct unixpath_mounts *m, pid_t tid)
{
	char name[64];
	size_t n;
	int fd, big = 0;
	char *text;

	if (tid > 0)
		snprintf(name, sizeof(name), "/proc/%d/mountinfo", (int)tid);
	else
		snprintf(name, sizeof(name), "/proc/self/mountinfo");
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	text = read_fd_capped(fd, MOUNTINFO_MAX, &n, &big);
	close(fd);
	if (text == NULL)
		return -1;
	free(m->text);
	m->text = text;
	m->n = n;
	return 0;
}

/* File systems whose getattr reports the super block's device and the
 * inode's own number (generic_fillattr). */
static bool
stat_is_exact(long type)
{
	return type == EXT4_SUPER_MAGIC || type == TMPFS_MAGIC ||
	       type == XFS_SUPER_MAGIC;
}

int
unixpath_id(int fd, struct unixpath_mounts *m, pid_t tid, struct unixid *out)
{
	uint64_t mnt_id = 0, ino = 0;
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) == -1)
		return -1;
	out->ino32 = sf.f_type == EXT4_SUPER_MAGIC;
	if (stat_is_exact(sf.f_type)) {
		if (fstat(fd, &st) == -1 || major(st.st_dev) > 0xfff ||
		    minor(st.st_dev) > 0xfffff)
			return -1;
		out->dev = (uint32_t)(major(st.st_dev) << 20 | minor(st.st_dev));
		out->ino = st.st_ino;
		return 0;
	}
	if (fdinfo(fd, &mnt_id, &ino) == -1)
		return -1;
	if (m->text == NULL ||
	    mountinfo_dev(m->text, m->n, mnt_id, &out->dev) == -1) {
		if (read_mounts(m, tid) == -1 ||
		    mountinfo_dev(m->text, m->n, mnt_id, &out->dev) == -1)
			return -1;
	}
	out->ino = ino;
	return 0;
}

void
unixpath_mounts_release(struct unixpath_mounts *m)
{
	free(m->text);
	m->text = NULL;
	m->n = 0;
}

/* --- the sandbox's own sockets ------------------------------------------------ */

struct bound_search {
	const struct unixid *id;
	bool exact;        /* 32-bit inode numbers: the dump says it all */
	pid_t tid;
	int rootfd;
	struct unixpath_mounts *m;
	bool found;
};

/* A listed socket with the right (truncated) numbers is ours for sure
 * when its name resolves to the very inode. */
static bool
name_is_ours(const struct bound_search *b, const struct sockdiag_entry *e)
{
	char name[UNIXPATH_MAX + 1];
	struct unixid other;
	int fd;
	bool same;

	if (e->name == NULL || e->name_len == 0 || e->name[0] == '\0' ||
	    e->name_len > UNIXPATH_MAX || memchr(e->name, 0, e->name_len))
		return false;
	memcpy(name, e->name, e->name_len);
	name[e->name_len] = '\0';
	fd = unixpath_open(b->tid, b->rootfd, name);
	if (fd == -1)
		return false;
	same = unixpath_id(fd, b->m, b->tid, &other) == 0 &&
	       other.dev == b->id->dev && other.ino == b->id->ino;
	close(fd);
	return same;
}

static void
on_entry(void *arg, const struct sockdiag_entry *e)
{
	struct bound_search *b = arg;

	if (b->found || e->dev != b->id->dev || e->ino != (uint32_t)b->id->ino)
		return;
	b->found = b->exact || name_is_ours(b, e);
}

int
unixpath_bound_inside(int diag_fd, const struct unixid *id, pid_t tid,
		      int rootfd, struct unixpath_mounts *m)
{
	struct bound_search b = {id, false, tid, rootfd, m, false};
	uint32_t listen = 1u << TCP_LISTEN_STATE;

	b.exact = id->ino <= UINT32_MAX && id->ino32;
	/* Listeners first: what a connect() usually wants, and few. */
	if (sockdiag_dump(diag_fd, listen, !b.exact, on_entry, &b) == -1)
		return -1;
	if (!b.found &&
	    sockdiag_dump(diag_fd, ~listen, !b.exact, on_entry, &b) == -1)
		return -1;
	return b.found;
}
