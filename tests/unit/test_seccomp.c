/* test_seccomp.c — the command's system-call filter (sandbox/seccomp.h):
 * each probe runs in a child that loaded the filter, and reports the
 * errno its call got (0 for success). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "sandbox/seccomp.h"

#define NO_FILTER 250

static char dir[64];

static int
in_dir(const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", dir, name);
	return 0;
}

static int
errno_of(long r)
{
	return r < 0 ? errno : 0;
}

/* Runs probe in a child under the filter; returns what it returned. The
 * child closes the listener at once: with no supervisor, the calls the
 * filter hands to one fail with ENOSYS. */
static int
filtered(int (*probe)(void))
{
	struct errbuf err;
	pid_t pid;
	int st, fd;

	pid = fork();
	if (pid == 0) {
		errbuf_init(&err);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    (fd = seccomp_apply(&err)) == -1)
			_exit(NO_FILTER);
		close(fd);
		_exit(probe());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/airlock-seccomp-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

/* The probes make at most these; a refused one makes nothing. */
static int
teardown(void **state)
{
	static const char *const made[] = {"f", "new", "node", NULL};
	char p[96];
	size_t i;

	(void)state;
	for (i = 0; made[i] != NULL; i++) {
		in_dir(made[i], p, sizeof(p));
		unlink(p);
	}
	in_dir("d", p, sizeof(p));
	rmdir(p);
	return rmdir(dir);
}

static int
existing_file(char *path, size_t n)
{
	int fd;

	in_dir("f", path, n);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* --- modes ---------------------------------------------------------------- */

static int
probe_chmod_setuid(void)
{
	char p[96];

	existing_file(p, sizeof(p));
	return errno_of(chmod(p, 04755));
}

static int
probe_chmod_setgid(void)
{
	char p[96];

	existing_file(p, sizeof(p));
	return errno_of(chmod(p, 02755));
}

static int
probe_chmod_plain(void)
{
	char p[96];

	existing_file(p, sizeof(p));
	return errno_of(chmod(p, 0750));
}

static int
probe_fchmodat2_setuid(void)
{
	char p[96];

	existing_file(p, sizeof(p));
	return errno_of(syscall(452, AT_FDCWD, p, 04755, 0));
}

static int
probe_open_creat_setuid(void)
{
	char p[96];

	in_dir("new", p, sizeof(p));
	return errno_of(open(p, O_CREAT | O_WRONLY, 04755));
}

static int
probe_open_tmpfile_setgid(void)
{
	return errno_of(open(dir, O_TMPFILE | O_WRONLY, 02755));
}

/* Without O_CREAT the mode is not looked at: it may hold anything. */
static int
probe_open_plain_ignores_mode(void)
{
	char p[96];
	int fd;

	existing_file(p, sizeof(p));
	fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_RDONLY, 04755);
	if (fd >= 0)
		close(fd);
	return errno_of(fd);
}

static int
probe_mknod_setuid(void)
{
	char p[96];

	in_dir("node", p, sizeof(p));
	return errno_of(mknod(p, S_IFREG | 04755, 0));
}

static int
probe_mkdir_setgid(void)
{
	char p[96];

	in_dir("d", p, sizeof(p));
	return errno_of(mkdir(p, 02755));
}

static int
probe_openat2(void)
{
	uint64_t how[3] = {O_RDONLY, 0, 0};

	return errno_of(syscall(437, AT_FDCWD, dir, how, sizeof(how)));
}

static void
test_seccomp_setuid_setgid_modes_are_eperm(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_chmod_setuid), EPERM);
	assert_int_equal(filtered(probe_chmod_setgid), EPERM);
	assert_int_equal(filtered(probe_fchmodat2_setuid), EPERM);
	assert_int_equal(filtered(probe_open_creat_setuid), EPERM);
	assert_int_equal(filtered(probe_open_tmpfile_setgid), EPERM);
	assert_int_equal(filtered(probe_mknod_setuid), EPERM);
	assert_int_equal(filtered(probe_mkdir_setgid), EPERM);
}

static void
test_seccomp_plain_modes_pass(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_chmod_plain), 0);
	assert_int_equal(filtered(probe_open_plain_ignores_mode), 0);
}

static void
test_seccomp_openat2_looks_absent(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_openat2), ENOSYS);
}

/* --- xattrs --------------------------------------------------------------- */

static int
probe_setxattr(void)
{
	char p[96];

	existing_file(p, sizeof(p));
	return errno_of(setxattr(p, "user.x", "1", 1, 0));
}

static int
probe_removexattr(void)
{
	char p[96];

	existing_file(p, sizeof(p));
	return errno_of(removexattr(p, "user.x"));
}

static int
probe_getxattr(void)
{
	char p[96], v[8];
	long r;

	existing_file(p, sizeof(p));
	r = getxattr(p, "user.none", v, sizeof(v));
	/* Reading is allowed: whatever the file system says, not ENOTSUP
	 * from the filter (tmpfs and ext4 say ENODATA). */
	return r < 0 && errno == ENODATA ? 0 : errno_of(r);
}

static void
test_seccomp_xattr_writes_are_not_supported(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_setxattr), EOPNOTSUPP);
	assert_int_equal(filtered(probe_removexattr), EOPNOTSUPP);
	assert_int_equal(filtered(probe_getxattr), 0);
}

/* --- sockets -------------------------------------------------------------- */

static int
try_socket(int family, int type, int proto)
{
	int fd = socket(family, type, proto);

	if (fd >= 0)
		close(fd);
	return errno_of(fd);
}

static int
probe_tcp(void)
{
	int e = try_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return e != 0 ? e : try_socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
}

static int
probe_udp(void)
{
	int e = try_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);

	return e != 0 ? e : try_socket(AF_INET6, SOCK_DGRAM, 0);
}

static int
probe_mptcp(void)
{
	return try_socket(AF_INET, SOCK_STREAM, 262);
}

static int
probe_icmp(void)
{
	return try_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
}

static int
probe_raw(void)
{
	return try_socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
}

static int
probe_socketpair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return errno;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static int
probe_unix_kinds(void)
{
	int e = try_socket(AF_UNIX, SOCK_STREAM, 0);

	if (e == 0)
		e = try_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return e != 0 ? e : try_socket(AF_UNIX, SOCK_SEQPACKET, 0);
}

static int
probe_netlink(void)
{
	return try_socket(AF_NETLINK, SOCK_RAW, 0);
}

static int
probe_packet(void)
{
	return try_socket(AF_PACKET, SOCK_DGRAM, 0);
}

static int
probe_unix_protocol(void)
{
	return try_socket(AF_UNIX, SOCK_STREAM, 1);
}

static void
test_seccomp_allows_tcp_udp_and_unix_only(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_tcp), 0);
	assert_int_equal(filtered(probe_udp), 0);
	assert_int_equal(filtered(probe_unix_kinds), 0);
	assert_int_equal(filtered(probe_socketpair), 0);
	assert_int_equal(filtered(probe_mptcp), EPERM);
	assert_int_equal(filtered(probe_icmp), EPERM);
	assert_int_equal(filtered(probe_raw), EPERM);
	assert_int_equal(filtered(probe_netlink), EPERM);
	assert_int_equal(filtered(probe_packet), EPERM);
	assert_int_equal(filtered(probe_unix_protocol), EPERM);
}

/* --- calls for the supervisor --------------------------------------------- */

static int
probe_connect(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(9);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = errno_of(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	return r;
}

static int
probe_sendmsg(void)
{
	struct msghdr mh;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
		return 100;
	memset(&mh, 0, sizeof(mh));
	r = errno_of(sendmsg(sv[0], &mh, 0));
	close(sv[0]);
	close(sv[1]);
	return r;
}

/* send() is sendto() without an address: it stays with the kernel. */
static int
probe_send(void)
{
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
		return 100;
	r = errno_of(send(sv[0], "x", 1, 0));
	close(sv[0]);
	close(sv[1]);
	return r;
}

static int
probe_sendto_address(void)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(9);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = errno_of(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa,
			    sizeof(sa)));
	close(fd);
	return r;
}

/* A listener of the command's own would get the calls meant for
 * airlock's supervisor, and could let them continue unchecked. */
static int
probe_own_listener(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {1, &allow};
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);

	if (fd >= 0)
		close((int)fd);
	return errno_of(fd);
}

static int
probe_own_filter(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {1, &allow};

	return errno_of(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
				&prog));
}

static void
test_seccomp_hands_connect_and_addressed_sends_to_the_supervisor(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_connect), ENOSYS);
	assert_int_equal(filtered(probe_sendmsg), ENOSYS);
	assert_int_equal(filtered(probe_sendto_address), ENOSYS);
	assert_int_equal(filtered(probe_send), 0);
}

static void
test_seccomp_refuses_a_listener_of_the_commands_own(void **state)
{
	(void)state;
	assert_int_equal(filtered(probe_own_listener), EPERM);
	assert_int_equal(filtered(probe_own_filter), 0);
}

/* The program linked into airlock at build time is exactly what
 * libseccomp builds now: a stale or corrupted prebuilt filter would
 * silently change what the sandbox refuses. */
static void
test_seccomp_prebuilt_program_is_the_runtime_program(void **state)
{
	struct seccomp_prog pre, now;
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	assert_true(seccomp_prebuilt());
	assert_int_equal(seccomp_build(&pre, &err), 0);
	assert_int_equal(seccomp_build_runtime(&now, &err), 0);
	assert_true(pre.len > 100);
	assert_int_equal(pre.len, now.len);
	assert_memory_equal(pre.insns, now.insns,
			    pre.len * sizeof(struct sock_filter));
	seccomp_prog_release(&pre);
	seccomp_prog_release(&now);
	errbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seccomp_prebuilt_program_is_the_runtime_program),
		cmocka_unit_test(test_seccomp_setuid_setgid_modes_are_eperm),
		cmocka_unit_test(test_seccomp_plain_modes_pass),
		cmocka_unit_test(test_seccomp_openat2_looks_absent),
		cmocka_unit_test(test_seccomp_xattr_writes_are_not_supported),
		cmocka_unit_test(test_seccomp_allows_tcp_udp_and_unix_only),
		cmocka_unit_test(
			test_seccomp_hands_connect_and_addressed_sends_to_the_supervisor),
		cmocka_unit_test(test_seccomp_refuses_a_listener_of_the_commands_own),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
