/* placeholder.c — stand-ins for missing protected paths. See
 * placeholder.h. */
#include "sandbox/placeholder.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/apply.h"

/* A placeholder removed under us is made again; a bound on the retries. */
#define PLACEHOLDER_TRIES 5

bool
placeholder_mode(unsigned mode)
{
	return S_ISDIR(mode) && (mode & 07777) == PLACEHOLDER_MODE;
}

static bool
same_inode(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* One attempt: 1 claimed (or nothing to claim but something is there),
 * 0 try again (removed meanwhile), -1 may not create. */
static int
try_claim(struct placeholders *ph, const char *path)
{
	struct stat st;
	int fd;

	if (mkdir(path, 0) == 0) {
		/* chmod, not mkdir's mode: the umask must not change it. */
		if (chmod(path, PLACEHOLDER_MODE) == -1)
			sandbox_child_fail("placeholder %s: %m", path);
	} else if (errno != EEXIST) {
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			return -1;
		sandbox_child_fail("create placeholder %s: %m", path);
	}
	if (lstat(path, &st) == -1)
		return 0;
	if (!placeholder_mode(st.st_mode))
		return 1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : 1;
	if (flock(fd, LOCK_SH) == -1 || !same_inode(fd, path)) {
		close(fd);
		return 0;
	}
	if (ph->n < PLACEHOLDER_MAX) {
		ph->path[ph->n] = path;
		ph->fd[ph->n++] = fd;
	} else {
		close(fd);
	}
	return 1;
}

int
placeholder_claim(struct placeholders *ph, const char *path)
{
	int i, rc;

	for (i = 0; i < PLACEHOLDER_TRIES; i++) {
		rc = try_claim(ph, path);
		if (rc != 0)
			return rc == 1 ? 0 : -1;
	}
	sandbox_child_fail("placeholder %s keeps disappearing", path);
}

static void
remove_one(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && placeholder_mode(st.st_mode) &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 && same_inode(fd, path))
		rmdir(path);
	close(fd);
}

void
placeholder_cleanup(const struct sandbox_plan *p)
{
	size_t i;

	for (i = 0; i < p->n_placeholders; i++)
		remove_one(p->placeholders[i]);
}
