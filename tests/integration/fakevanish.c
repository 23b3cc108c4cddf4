/* fakevanish.c — a protected directory that goes away while the sandbox
 * binds it.
 *
 * Preloaded (LD_PRELOAD=build/tests/fakevanish.so) into airlock, it
 * replaces libc's move_mount(): in a process whose pid is 1 — the
 * sandbox's first process, building its mounts — when the mount's target
 * is the directory FAKEVANISH names, it removes that directory first, as
 * another run removing its placeholder at that instant would. Everywhere
 * else it is the real system call. A test-only tool. Only system calls
 * here: the caller may be a freshly cloned child. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int move_mount(int from_dfd, const char *from_path, int to_dfd,
	       const char *to_path, unsigned int flags);

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
