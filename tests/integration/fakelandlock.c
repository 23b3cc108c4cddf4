/* fakelandlock.c — pretend the kernel's Landlock is older than it is.
 *
 * Preloaded (LD_PRELOAD=build/tests/fakelandlock.so) into airlock, it
 * replaces libc's syscall(): asked for the Landlock ABI version, it
 * answers no more than FAKE_LANDLOCK_ABI (when set), so airlock plans and
 * builds its ruleset as it would on that kernel — for instance without
 * the signal scope of ABI 6 — while the real kernel enforces exactly that
 * ruleset. Every other call passes through untouched. A test-only tool:
 * airlock itself has no switch to weaken its sandbox. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define CREATE_RULESET_VERSION 1L

typedef long syscall_fn(long, ...);

long syscall(long nr, ...);

long
syscall(long nr, ...)
{
	static syscall_fn *real;
	const char *cap = getenv("FAKE_LANDLOCK_ABI");
	long a[6], r;
	va_list ap;
	int i;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "syscall");
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	r = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_landlock_create_ruleset && a[0] == 0 && a[1] == 0 &&
	    a[2] == CREATE_RULESET_VERSION && cap != NULL && r > atol(cap))
		r = atol(cap);
	return r;
}
