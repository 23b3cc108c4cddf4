/* landlock.c — Landlock rulesets through raw syscalls. See landlock.h. */
#include "sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/landlock_abi.h"

/* Devices a command may write to in every mode. */
static const char *const dev_paths[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx",
	"/dev/pts", "/dev/random", "/dev/urandom", NULL};

/* The sandbox's own tmpfs (mounts.h): POSIX shared memory and
 * semaphores (multiprocessing) work, and nothing of the host is there. */
#define PRIVATE_SHM "/dev/shm"

int
landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0,
			 LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* Every write-like right the ABI knows. IOCTL_DEV is left alone: the
 * terminal needs its ioctls, and reads are not what Landlock guards here. */
static uint64_t
write_rights(int abi)
{
	uint64_t r = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |
		     LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
		     LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK |
		     LL_FS_MAKE_SYM;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	return r;
}

static int
add_path(int rfd, const char *path, uint64_t rights, struct errbuf *err)
{
	struct ll_path_beneath_attr pb;
	int fd = open(path, O_PATH | O_CLOEXEC);
	int rc;

	if (fd == -1)
		return 0;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = rights;
	pb.parent_fd = fd;
	rc = (int)syscall(__NR_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH,
			  &pb, 0);
	if (rc == -1 && errno == EINVAL) {
		/* A non-directory only takes file rights. */
		pb.allowed_access &= LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
		rc = (int)syscall(__NR_landlock_add_rule, rfd,
				  LL_RULE_PATH_BENEATH, &pb, 0);
	}
	close(fd);
	if (rc == -1)
		errbuf_add(err, "landlock: add rule for %s: %m", path);
	return rc;
}

static int
create_ruleset(int abi, struct errbuf *err)
{
	struct ll_ruleset_attr attr;
	size_t size = sizeof(attr.handled_access_fs);
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = write_rights(abi);
	/* TCP ports are not handled (LL_NET_*): the sandbox's loopback is
	 * its own, any port, and its network namespace holds nothing else
	 * but airlock's listeners. */
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	fd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (fd == -1)
		errbuf_add(err, "landlock: create ruleset (ABI %d): %m", abi);
	return fd;
}

int
landlock_apply(int abi, char *const *writable, size_t n_writable,
	       struct errbuf *err)
{
	uint64_t rights = write_rights(abi);
	int rfd, rc = -1;
	size_t i;

	if (abi < 1) {
		errbuf_add(err, "landlock: not available");
		return -1;
	}
	rfd = create_ruleset(abi, err);
	if (rfd == -1)
		return -1;
	for (i = 0; dev_paths[i] != NULL; i++)
		if (add_path(rfd, dev_paths[i],
			     LL_FS_WRITE_FILE | (abi >= 3 ? LL_FS_TRUNCATE : 0),
			     err) == -1)
			goto out;
	if (add_path(rfd, PRIVATE_SHM, rights, err) == -1)
		goto out;
	for (i = 0; i < n_writable; i++)
		if (add_path(rfd, writable[i], rights, err) == -1)
			goto out;
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		errbuf_add(err, "landlock: restrict self: %m");
		goto out;
	}
	rc = 0;
out:
	close(rfd);
	return rc;
}
