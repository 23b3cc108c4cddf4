/* placeholder.c — stand-ins for missing protected paths. See
 * placeholder.h. */
#include "sandbox/placeholder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sigsafe.h"
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

/* The stash's slots are named 0 to PLACEHOLDER_STASH_SLOTS - 1. */
static void
slot_name(char name[4], int i)
{
	size_t len = 0;

	sigsafe_fmt(name, 4, &len, "%d", i);
}

/* Moves a placeholder the stash keeps to path: 0, or -1 when there is
 * none to take (the stash is empty or missing, or something is at path
 * now). A slot that holds anything but a placeholder directory (a file,
 * a symbolic link) is left alone. In the cloned child: system calls
 * only. */
static int
take_stashed(const char *stash, const char *path)
{
	struct stat st;
	char name[4];
	int dir, i, rc = -1;

	if (stash == NULL)
		return -1;
	dir = open(stash, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir == -1)
		return -1;
	for (i = 0; i < PLACEHOLDER_STASH_SLOTS; i++) {
		slot_name(name, i);
		if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !placeholder_mode(st.st_mode))
			continue;
		if (renameat2(dir, name, AT_FDCWD, path, RENAME_NOREPLACE) ==
		    0) {
			rc = 0;
			break;
		}
		if (errno != ENOENT)
			break; /* taken meanwhile: try the next; else give up */
	}
	close(dir);
	return rc;
}

/* mkdir with the placeholder's mode from the start, the umask set aside
 * for the call: a directory that cannot be entered, as one of mode 0
 * could not be until its chmod, would make a reader elsewhere fail
 * rather than find nothing in it (airlock's own proxy loads
 * .airlock/config.toml and the system directory's files while the
 * mounts are built), and would not be taken for a placeholder by another
 * run claiming it at that instant. */
static int
make_placeholder(const char *path)
{
	mode_t old = umask(0);
	int rc = mkdir(path, PLACEHOLDER_MODE), e = errno;

	umask(old);
	errno = e;
	return rc;
}

/* One attempt: 1 claimed (or nothing to claim but something is there),
 * 0 try again (removed meanwhile), -1 may not create. */
static int
try_claim(struct placeholders *ph, const char *path)
{
	struct stat st;
	int fd;

	if (take_stashed(ph->stash, path) == 0) {
		/* a placeholder already, mode and all */
	} else if (make_placeholder(path) == 0) {
		/* And chmod: a default ACL or a setgid parent may still have
		 * changed the mode. */
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

void
placeholder_release(struct placeholders *ph)
{
	size_t i;

	for (i = 0; i < ph->n; i++)
		close(ph->fd[i]);
	ph->n = 0;
}

/* Whether the directory open at fd holds nothing. */
static bool
empty_dir(int fd)
{
	char buf[512] __attribute__((aligned(8)));
	const struct dirent64 *d;
	ssize_t n = getdents64(fd, buf, sizeof(buf)), off;

	for (off = 0; off < n; off += d->d_reclen) {
		d = (const struct dirent64 *)(buf + off);
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			return false;
	}
	return n >= 0;
}

/* Moves the empty placeholder open at fd from path to a free slot of the
 * stash; false when it stays where it is. Moving a directory to another
 * parent needs write permission on it (its `..` changes), which a
 * placeholder grants to no one but a caller who may ignore modes: root.
 * Others remove their placeholders, as before there was a stash. */
static bool
stash_one(int fd, const char *path, const char *stash)
{
	char name[4];
	bool moved = false;
	int dir, i;

	if (stash == NULL || geteuid() != 0 || !empty_dir(fd) ||
	    (mkdir(stash, 0700) == -1 && errno != EEXIST))
		return false;
	dir = open(stash, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir == -1)
		return false;
	for (i = 0; i < PLACEHOLDER_STASH_SLOTS && !moved; i++) {
		slot_name(name, i);
		if (renameat2(AT_FDCWD, path, dir, name, RENAME_NOREPLACE) == 0)
			moved = true;
		else if (errno != EEXIST)
			break;
	}
	close(dir);
	return moved;
}

static void
remove_one(const char *path, const char *stash)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && placeholder_mode(st.st_mode) &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 && same_inode(fd, path) &&
	    !stash_one(fd, path, stash))
		rmdir(path);
	close(fd);
}

void
placeholder_cleanup(const struct sandbox_plan *p, const char *stash)
{
	size_t i;

	for (i = 0; i < p->n_placeholders; i++)
		remove_one(p->placeholders[i], stash);
}
