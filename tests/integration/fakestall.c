/* fakestall.c — a sandbox that never reports.
 *
 * Preloaded (LD_PRELOAD=build/tests/fakestall.so) into airlock, it
 * replaces libc's sendmsg(): in a process whose pid is 1 — the sandbox's
 * first process, in its new pid namespace, about to send its listeners
 * to airlock — the call blocks forever instead, as a child stuck on a
 * lock would. Everywhere else (airlock itself, its proxy) it is the real
 * system call. A test-only tool: airlock has no switch to stall itself.
 * Only system calls here: the caller may be a freshly cloned child. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (syscall(SYS_getpid) == 1)
		for (;;)
			pause();
	return syscall(SYS_sendmsg, fd, msg, flags);
}
