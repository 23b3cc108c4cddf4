/* fakerace.c — other processes acting on the disk while a sandbox builds
 * its mounts.
 *
 * Preloaded (LD_PRELOAD=build/tests/fakerace.so) into airlock, it
 * replaces two libc calls, in a process whose pid is 1 (the sandbox's
 * first process) only; everywhere else they are the real system calls:
 *   - move_mount(): when the mount's target is the directory FAKEVANISH
 *     names, that directory is removed first, as another run removing its
 *     placeholder at that instant would;
 *   - chmod(): when the path is the one FAKEPEEK names, its mode as
 *     another process would see it just then goes to stderr first, as
 *     `fakerace: mode OCTAL`.
 * A test-only tool. Only system calls here: the caller may be a freshly
 * cloned child. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int move_mount(int from_dfd, const char *from_path, int to_dfd,
	       const char *to_path, unsigned int flags);
int chmod(const char *path, mode_t mode);

/* "/proc/self/fd/N" for fd, without stdio. */
static void
fd_link(char *out, int fd)
{
	char digits[16];
	int n = 0;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0 && n < (int)sizeof(digits));
	memcpy(out, "/proc/self/fd/", 14);
	out += 14;
	while (n > 0)
		*out++ = digits[--n];
	*out = '\0';
}

int
move_mount(int from_dfd, const char *from_path, int to_dfd,
	   const char *to_path, unsigned int flags)
{
	const char *victim = getenv("FAKEVANISH");
	char link[32], target[4096];
	ssize_t n;

	if (victim != NULL && syscall(SYS_getpid) == 1) {
		fd_link(link, to_dfd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, victim) == 0)
				(void)rmdir(victim);
		}
	}
	return (int)syscall(SYS_move_mount, from_dfd, from_path, to_dfd,
			    to_path, flags);
}

int
chmod(const char *path, mode_t mode)
{
	const char *peek = getenv("FAKEPEEK");
	char line[32] = "fakerace: mode ", *p = line + 15;
	struct stat st;
	int shift;

	if (peek != NULL && syscall(SYS_getpid) == 1 &&
	    strcmp(path, peek) == 0 && lstat(path, &st) == 0) {
		for (shift = 15; shift >= 0; shift -= 3)
			*p++ = (char)('0' + ((st.st_mode >> shift) & 7));
		*p++ = '\n';
		(void)write(2, line, (size_t)(p - line));
	}
	return (int)syscall(SYS_chmod, path, mode);
}
