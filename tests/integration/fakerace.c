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
 *     `fakerace: mode OCTAL`;
 *   - move_mount(), when FAKEINTERRUPT is set: before the first mount,
 *     once the command's process (pid 2) has loaded its seccomp filter
 *     and sleeps (waiting for pid 1 to let it go on), it is sent SIGINT,
 *     as the terminal's Ctrl-C would, and pid 1 goes on once it has
 *     died; after 10 s without such a process it goes on all the same.
 * A test-only tool. Only system calls here: the caller may be a freshly
 * cloned child. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

/* The first n bytes of path into buf, NUL-terminated; 0 when none. */
static ssize_t
slurp(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd == -1 ? -1 : read(fd, buf, n - 1);

	if (fd != -1)
		close(fd);
	buf[got > 0 ? got : 0] = '\0';
	return got > 0 ? got : 0;
}

/* pid 2 has its filter (Seccomp: 2) and sleeps (state S). /proc is
 * still the host's here: the child is found by its host pid, in
 * /proc/thread-self/children. */
static int
command_waits(void)
{
	char kids[64], path[96], status[4096], stat[512], *state;
	size_t n;

	if (slurp("/proc/thread-self/children", kids, sizeof(kids)) == 0)
		return 0;
	n = strspn(kids, "0123456789");
	if (n == 0 || n > 20)
		return 0;
	memcpy(path, "/proc/", 6);
	memcpy(path + 6, kids, n);
	memcpy(path + 6 + n, "/status", 8);
	if (slurp(path, status, sizeof(status)) == 0 ||
	    strstr(status, "\nSeccomp:\t2\n") == NULL)
		return 0;
	memcpy(path + 6 + n, "/stat", 6);
	if (slurp(path, stat, sizeof(stat)) == 0)
		return 0;
	state = strrchr(stat, ')');
	return state != NULL && state[1] == ' ' && state[2] == 'S';
}

static void
interrupt_command(void)
{
	static int done;
	struct timespec pause = {0, 1000000};
	siginfo_t si;
	int i;

	if (done++)
		return;
	for (i = 0; i < 10000 && !command_waits(); i++)
		nanosleep(&pause, NULL);
	if (i == 10000 || kill(2, SIGINT) == -1)
		return;
	memset(&si, 0, sizeof(si));
	(void)waitid(P_PID, 2, &si, WEXITED | WNOWAIT);
}

int
move_mount(int from_dfd, const char *from_path, int to_dfd,
	   const char *to_path, unsigned int flags)
{
	const char *victim = getenv("FAKEVANISH");
	char link[32], target[4096];
	ssize_t n;

	if (getenv("FAKEINTERRUPT") != NULL && syscall(SYS_getpid) == 1)
		interrupt_command();
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
