/* seccomp.c — the command's system-call filter: the program, and loading
 * it. See seccomp.h; the rules themselves are in seccomp_rules.c. */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/xalloc.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The run-time builder (seccomp_rules.c, libseccomp) is referenced weakly,
 * so that linking this file does not pull it in: the airlock binary, which
 * carries the prebuilt program, then needs no libseccomp at all — one
 * shared library fewer to map and relocate on every start. The unit tests
 * and gen-seccomp link the builder. */
#pragma weak seccomp_build_runtime

/* The program tools/gen-seccomp.c wrote at build time, when the binary
 * was linked with it (weak: absent in unit tests and the other tools). */
extern const struct sock_filter seccomp_prebuilt_insns[] __attribute__((weak));
extern const unsigned short seccomp_prebuilt_len __attribute__((weak));

int
seccomp_build(struct seccomp_prog *out, struct errbuf *err)
{
	if (!seccomp_prebuilt()) {
		if (seccomp_build_runtime != NULL)
			return seccomp_build_runtime(out, err);
		memset(out, 0, sizeof(*out));
		errbuf_add(err, "seccomp: this binary has no filter program "
				"and no libseccomp to build one");
		return -1;
	}
	out->len = seccomp_prebuilt_len;
	out->insns = xcalloc(out->len, sizeof(struct sock_filter));
	memcpy(out->insns, seccomp_prebuilt_insns,
	       out->len * sizeof(struct sock_filter));
	return 0;
}

bool
seccomp_prebuilt(void)
{
	return &seccomp_prebuilt_len != NULL && seccomp_prebuilt_len != 0;
}

void
seccomp_prog_release(struct seccomp_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

int
seccomp_prog_load(const struct seccomp_prog *p, struct errbuf *err)
{
	struct sock_fprog prog = {p->len, p->insns};
	long fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER |
			     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
		     &prog);
	if (fd < 0) {
		errbuf_add(err, "seccomp: load: %m%s",
			   errno == EINVAL ? " (user notification needs "
					     "Linux 5.19 or later)"
					   : "");
		return -1;
	}
	return (int)fd;
}

int
seccomp_apply(struct errbuf *err)
{
	struct seccomp_prog p;
	int fd;

	if (seccomp_build(&p, err) == -1)
		return -1;
	fd = seccomp_prog_load(&p, err);
	seccomp_prog_release(&p);
	return fd;
}
