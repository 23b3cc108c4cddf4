/* mounts.c — the sandbox's mount namespace. See mounts.h. */
#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "sandbox/apply.h"
#include "sandbox/protect.h"
#include "sandbox/resolv.h"

#define ATTR_SIZE sizeof(struct mount_attr)

static __attribute__((noreturn)) void
fail(const char *what, const char *path)
{
	int e = errno;

	if (e == ENOSYS)
		sandbox_child_fail("%s %s: this kernel lacks the new mount API "
				   "(Linux 5.12 or later is needed)",
				   what, path);
	errno = e;
	sandbox_child_fail("%s %s: %m", what, path);
}

/* An O_PATH descriptor of path, no symbolic link followed anywhere.
 * lenient: -1 when path has gone, cannot be reached or now runs through
 * a symbolic link. A path pid 1 cannot reach, the command (same user,
 * no capabilities) cannot reach either; one that vanished or moved since
 * the plan has nothing left to protect at that place. */
static int
open_path(const char *path, bool lenient)
{
	struct open_how how;
	int fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd == -1 && lenient &&
	    (errno == ENOENT || errno == EACCES || errno == ELOOP ||
	     errno == ENOTDIR))
		return -1;
	if (fd == -1 && errno == ELOOP)
		sandbox_child_fail("%s: a symbolic link appeared on the way "
				   "since the plan was made; not mounting "
				   "through it",
				   path);
	if (fd == -1)
		fail("open", path);
	return fd;
}

/* A detached copy of the mount tree at fd, its submounts included. */
static int
clone_tree(int fd, const char *path)
{
	int t = open_tree(fd, "", AT_EMPTY_PATH | AT_RECURSIVE |
					  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (t == -1)
		fail("bind", path);
	return t;
}

static void
set_attr(int fd, const char *at, uint64_t set, const char *path)
{
	struct mount_attr a;

	memset(&a, 0, sizeof(a));
	a.attr_set = set;
	if (mount_setattr(fd, at, (at[0] ? 0 : AT_EMPTY_PATH) | AT_RECURSIVE,
			  &a, ATTR_SIZE) == -1)
		fail("set mount flags of", path);
}

static void
attach(int tree, int dst, const char *path)
{
	if (move_mount(tree, "", dst, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1)
		fail("mount onto", path);
	close(tree);
}

/* attach() onto a path open_path() opened leniently: one removed since
 * (another run's placeholder, say, removed by that run as it ended: the
 * kernel mounts on no deleted directory) is skipped, as it would have
 * been a moment earlier. */
static void
attach_lenient(int tree, int dst, const char *path)
{
	if (move_mount(tree, "", dst, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1 &&
	    errno != ENOENT)
		fail("mount onto", path);
	close(tree);
}

/* --- the steps ----------------------------------------------------------- */

/* path, and every missing directory above it; a stack copy, since the
 * child may not allocate. */
static void
make_dirs(const char *path)
{
	char p[PATH_MAX], *s;
	size_t n = strlen(path);
	int rc = 0;

	if (n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		fail("create", path);
	}
	memcpy(p, path, n + 1);
	for (s = p + 1; rc == 0 && (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		rc = mkdir(p, 0700) == -1 && errno != EEXIST ? -1 : 0;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) == -1 && errno != EEXIST)
		rc = -1;
	if (rc == -1 && errno != EACCES && errno != EPERM && errno != EROFS)
		fail("create", path);
}

static void
bind_ro(const char *path)
{
	int fd = open_path(path, true), t;

	if (fd == -1)
		return;
	t = clone_tree(fd, path);
	set_attr(t, "", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				MOUNT_ATTR_NODEV, path);
	attach_lenient(t, fd, path);
	close(fd);
}

static void
bind_self(const char *path)
{
	int fd = open_path(path, true);

	if (fd == -1)
		return;
	attach_lenient(clone_tree(fd, path), fd, path);
	close(fd);
}

/* An empty tmpfs for a directory: mode 0 and read-only, or, when files
 * are to be bound back into it, mode 0111 (they can be reached, nothing
 * can be listed) and writable until they are (mask_revealing). */
static int
empty_dir_mount(const char *path, bool revealing)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m;

	if (fs == -1 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", revealing ? "0111" : "0",
		     0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1)
		fail("mask", path);
	m = fsmount(fs, FSMOUNT_CLOEXEC,
		    (revealing ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID |
			    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m == -1)
		fail("mask", path);
	close(fs);
	return m;
}

/* /dev/null, read-only, for a file. */
static int
null_mount(const char *path)
{
	int m = open_tree(AT_FDCWD, "/dev/null",
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (m == -1)
		fail("mask", path);
	set_attr(m, "", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				MOUNT_ATTR_NOEXEC, path);
	return m;
}

/* A detached read-only copy of the regular file at real (a reveal, its
 * links resolved by mounts_prepare), or -1 when there is none. Taken
 * before the mask above it. */
static int
clone_file(const char *real)
{
	struct stat st;
	int fd, t = -1;

	if (real == NULL)
		return -1;
	fd = open_path(real, true);
	if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		t = clone_tree(fd, real);
		set_attr(t, "", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			 real);
	}
	if (fd != -1)
		close(fd);
	return t;
}

/* Creates the directories (0111) and the empty file (0444) of rel under
 * the fresh tmpfs at dir, and binds tree onto the file. The path is put
 * together on the stack: the child may not allocate. */
static void
reveal_at(const char *dir, const char *rel, int tree)
{
	char path[PATH_MAX], *s;
	size_t nd = strlen(dir), nr = strlen(rel);
	int fd;

	if (nd + 1 + nr >= sizeof(path)) {
		errno = ENAMETOOLONG;
		fail("create", rel);
	}
	memcpy(path, dir, nd);
	path[nd] = '/';
	memcpy(path + nd + 1, rel, nr + 1);
	for (s = path + nd + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(path, 0111) == -1 && errno != EEXIST)
			fail("create", path);
		*s = '/';
	}
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
	if (fd == -1)
		fail("create", path);
	close(fd);
	fd = open_path(path, false);
	attach(tree, fd, path);
	close(fd);
}

/* The mask of directory real (its mount point open at fd) with the
 * plan's reveals under it bound back read-only, then made read-only. */
static void
mask_revealing(const struct sandbox_plan *p, const struct mounts_prep *prep,
	       const char *real, int fd)
{
	int *trees = prep->trees, top;
	size_t i;

	for (i = 0; i < p->n_reveal; i++)
		trees[i] = protect_under(real, p->reveal[i]) &&
					   strcmp(real, p->reveal[i]) != 0
				   ? clone_file(prep->reveal_real[i])
				   : -1;
	attach(empty_dir_mount(real, true), fd, real);
	for (i = 0; i < p->n_reveal; i++)
		if (trees[i] != -1)
			reveal_at(real, p->reveal[i] + strlen(real) + 1,
				  trees[i]);
	top = open_path(real, false);
	set_attr(top, "", MOUNT_ATTR_RDONLY, real);
	close(top);
}

/* Whether a reveal of p lies under dir. */
static bool
reveals_under(const struct sandbox_plan *p, const char *dir)
{
	size_t i;

	for (i = 0; i < p->n_reveal; i++)
		if (protect_under(dir, p->reveal[i]) &&
		    strcmp(dir, p->reveal[i]) != 0)
			return true;
	return false;
}

/* Masks real (a hidden path with its symbolic links resolved by
 * mounts_prepare, so the mask lands on what they point at) when it can
 * be reached. */
static void
hide(const struct sandbox_plan *p, const struct mounts_prep *prep,
     const char *real)
{
	struct stat st;
	int fd;

	if (real == NULL)
		return;
	fd = open_path(real, true);
	if (fd != -1 && fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode) && reveals_under(p, real))
			mask_revealing(p, prep, real, fd);
		else if (S_ISDIR(st.st_mode))
			attach(empty_dir_mount(real, false), fd, real);
		else
			attach(null_mount(real), fd, real);
	}
	if (fd != -1)
		close(fd);
}

/* The writable roots are cloned before the tree turns read-only (a clone
 * keeps the flags of its source, and a flag locked by the outer namespace
 * could not be cleared afterwards) and put back after; fds[i] holds the
 * clone for step i. */
static void
root_read_only(const struct sandbox_plan *p, int *fds)
{
	size_t i;
	int fd;

	for (i = 0; i < p->n_steps; i++) {
		const struct sandbox_step *s = &p->steps[i];

		if (s->kind != SANDBOX_STEP_BIND_RW)
			continue;
		fd = open_path(s->path, false);
		fds[i] = clone_tree(fd, s->path);
		close(fd);
		set_attr(fds[i], "", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
			 s->path);
	}
	set_attr(AT_FDCWD, "/", MOUNT_ATTR_RDONLY, "/");
}

/* Its mount point is opened only now: through the roots put back before
 * it (parents first), so the clone lands on top, where paths lead. */
static void
bind_rw(int tree, const char *path)
{
	int fd = open_path(path, false);

	attach(tree, fd, path);
	close(fd);
}

static void
mount_shm(void)
{
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=1777") == -1 && errno != ENOENT)
		fail("mount a private tmpfs on", "/dev/shm");
}

static void
mount_devpts(void)
{
	struct stat st;

	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") == -1)
		fail("mount a new devpts instance on", "/dev/pts");
	if (lstat("/dev/ptmx", &st) == 0 && S_ISLNK(st.st_mode))
		return;
	if (mount("/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL) == -1)
		fail("bind /dev/pts/ptmx onto", "/dev/ptmx");
}

static void
mount_proc(void)
{
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1)
		sandbox_child_fail("mount a fresh /proc: %m (the host's /proc "
				   "must be fully visible: no masked paths "
				   "over it)");
}

static void
bind_resolv_conf(const char *path)
{
	char text[SANDBOX_FAIL_MAX];
	struct errbuf err;

	errbuf_init_fixed(&err, text, sizeof(text));
	if (resolv_bind(path, &err) == -1)
		sandbox_child_fail("%s", text);
}

static void
apply_one(const struct sandbox_plan *p, size_t i,
	  const struct mounts_prep *prep, struct placeholders *ph)
{
	int *fds = prep->fds;

	const struct sandbox_step *s = &p->steps[i];

	switch (s->kind) {
	case SANDBOX_STEP_MOUNT_PRIVATE:
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
			fail("make every mount private under", "/");
		break;
	case SANDBOX_STEP_MKDIR:
		make_dirs(s->path);
		break;
	case SANDBOX_STEP_PLACEHOLDER:
		placeholder_claim(ph, s->path);
		break;
	case SANDBOX_STEP_ROOT_RO:
		root_read_only(p, fds);
		break;
	case SANDBOX_STEP_BIND_RW:
		bind_rw(fds[i], s->path);
		break;
	case SANDBOX_STEP_BIND_SELF:
		bind_self(s->path);
		break;
	case SANDBOX_STEP_BIND_RO:
		bind_ro(s->path);
		break;
	case SANDBOX_STEP_HIDE:
		hide(p, prep, prep->real[i]);
		break;
	case SANDBOX_STEP_RESOLV_CONF:
		bind_resolv_conf(s->path);
		break;
	case SANDBOX_STEP_MOUNT_PROC:
		mount_proc();
		break;
	case SANDBOX_STEP_MOUNT_SHM:
		mount_shm();
		break;
	case SANDBOX_STEP_MOUNT_DEVPTS:
		mount_devpts();
		break;
	default:
		break;
	}
}

int
mounts_prepare(const struct sandbox_plan *p, struct mounts_prep *prep)
{
	size_t i;

	prep->n = p->n_steps;
	prep->fds = xcalloc(p->n_steps + 1, sizeof(*prep->fds));
	prep->real = xcalloc(p->n_steps + 1, sizeof(*prep->real));
	for (i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind == SANDBOX_STEP_HIDE)
			prep->real[i] = realpath(p->steps[i].path, NULL);
	prep->n_reveal = p->n_reveal;
	prep->trees = xcalloc(p->n_reveal + 1, sizeof(*prep->trees));
	prep->reveal_real = xcalloc(p->n_reveal + 1,
				    sizeof(*prep->reveal_real));
	for (i = 0; i < p->n_reveal; i++)
		prep->reveal_real[i] = realpath(p->reveal[i], NULL);
	return 0;
}

void
mounts_prep_release(struct mounts_prep *prep)
{
	size_t i;

	for (i = 0; prep->real != NULL && i < prep->n; i++)
		free(prep->real[i]);
	for (i = 0; prep->reveal_real != NULL && i < prep->n_reveal; i++)
		free(prep->reveal_real[i]);
	free(prep->real);
	free(prep->reveal_real);
	free(prep->trees);
	free(prep->fds);
	memset(prep, 0, sizeof(*prep));
}

void
mounts_setup(const struct sandbox_plan *p, const struct mounts_prep *prep,
	     struct placeholders *ph)
{
	size_t i;

	for (i = 0; i < p->n_steps && i < prep->n; i++)
		apply_one(p, i, prep, ph);
}
