/* test_unixpath.c — unix addresses, inode identities, the mount table's
 * devices and the sock_diag answer (sandbox/unixpath.h, sockdiag.h,
 * mountinfo.h). The live cases use this process's own namespace: a
 * socket bound here is "inside", a socket file whose socket is gone is
 * not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sandbox/mountinfo.h"
#include "sandbox/sockdiag.h"
#include "sandbox/unixpath.h"

/* --- addresses ------------------------------------------------------------ */

static socklen_t
addr(struct sockaddr_un *sa, const char *path, size_t n)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static void
test_unixpath_reads_the_path_as_the_kernel_does(void **state)
{
	struct sockaddr_un sa;
	char path[UNIXPATH_MAX + 1], full[UNIXPATH_MAX];
	socklen_t len;

	(void)state;
	len = addr(&sa, "/tmp/x.sock", 12);
	assert_int_equal(unixpath_of_addr(&sa, len, path), 1);
	assert_string_equal(path, "/tmp/x.sock");
	/* Without a NUL the length ends it; after a NUL nothing counts. */
	len = addr(&sa, "rel.sockGARBAGE", 8);
	assert_int_equal(unixpath_of_addr(&sa, len, path), 1);
	assert_string_equal(path, "rel.sock");
	len = addr(&sa, "a\0/etc/passwd", 13);
	assert_int_equal(unixpath_of_addr(&sa, len, path), 1);
	assert_string_equal(path, "a");
	/* All 108 bytes may be the path. */
	memset(full, 'p', sizeof(full));
	len = addr(&sa, full, sizeof(full));
	assert_int_equal(unixpath_of_addr(&sa, len, path), 1);
	assert_int_equal(strlen(path), UNIXPATH_MAX);
}

static void
test_unixpath_abstract_unnamed_and_bad_addresses(void **state)
{
	struct sockaddr_un sa;
	char path[UNIXPATH_MAX + 1];
	socklen_t len;

	(void)state;
	len = addr(&sa, "\0name", 5);
	assert_int_equal(unixpath_of_addr(&sa, len, path), 0);
	len = addr(&sa, "", 0);
	assert_int_equal(unixpath_of_addr(&sa, len, path), 0);
	len = addr(&sa, "/x", 2);
	sa.sun_family = AF_INET;
	assert_int_equal(unixpath_of_addr(&sa, len, path), -1);
	sa.sun_family = AF_UNIX;
	assert_int_equal(unixpath_of_addr(&sa, sizeof(sa) + 1, path), -1);
	assert_int_equal(unixpath_of_addr(&sa, 1, path), -1);
}

/* --- the mount table ------------------------------------------------------ */

static const char mounts[] =
	"22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"35 22 0:31 / /tmp rw shared:2 - tmpfs tmpfs rw\n"
	"36 22 4095:1048575 / /big rw - xfs /dev/x rw\n"
	"37 22 4096:1 / /bad rw - xfs /dev/y rw\n";

static void
test_mountinfo_dev_encodes_major_and_minor_as_the_kernel(void **state)
{
	uint32_t dev = 0;

	(void)state;
	assert_int_equal(mountinfo_dev(mounts, strlen(mounts), 22, &dev), 0);
	assert_int_equal(dev, (254u << 20) | 0);
	assert_int_equal(mountinfo_dev(mounts, strlen(mounts), 35, &dev), 0);
	assert_int_equal(dev, 31u);
	assert_int_equal(mountinfo_dev(mounts, strlen(mounts), 36, &dev), 0);
	assert_int_equal(dev, (4095u << 20) | 1048575u);
	/* A major past 12 bits cannot be the kernel's. */
	assert_int_equal(mountinfo_dev(mounts, strlen(mounts), 37, &dev), -1);
	assert_int_equal(mountinfo_dev(mounts, strlen(mounts), 99, &dev), -1);
	assert_int_equal(mountinfo_dev("", 0, 22, &dev), -1);
}

/* --- sock_diag answers ------------------------------------------------------ */

struct seen {
	int n;
	uint32_t dev, ino;
	char name[64];
};

static void
on_entry(void *arg, const struct sockdiag_entry *e)
{
	struct seen *s = arg;

	s->n++;
	s->dev = e->dev;
	s->ino = e->ino;
	snprintf(s->name, sizeof(s->name), "%.*s", (int)e->name_len,
		 e->name ? e->name : "");
}

/* One SOCK_DIAG_BY_FAMILY message of sequence seq, with a VFS attribute
 * when vfs and a name when name != NULL. */
static size_t
message(unsigned char *b, uint32_t seq, bool vfs, const char *name)
{
	struct nlmsghdr h;
	struct unix_diag_msg m;
	struct unix_diag_vfs v = {1234, (254u << 20) | 3};
	struct rtattr ra;
	size_t n = NLMSG_LENGTH(sizeof(m));

	memset(b, 0, 256);
	memset(&m, 0, sizeof(m));
	memcpy(b + NLMSG_HDRLEN, &m, sizeof(m));
	n = NLMSG_ALIGN(n);
	if (vfs) {
		ra.rta_len = RTA_LENGTH(sizeof(v));
		ra.rta_type = UNIX_DIAG_VFS;
		memcpy(b + n, &ra, sizeof(ra));
		memcpy(b + n + sizeof(ra), &v, sizeof(v));
		n += RTA_ALIGN(ra.rta_len);
	}
	if (name != NULL) {
		ra.rta_len = RTA_LENGTH(strlen(name) + 1);
		ra.rta_type = UNIX_DIAG_NAME;
		memcpy(b + n, &ra, sizeof(ra));
		memcpy(b + n + sizeof(ra), name, strlen(name) + 1);
		n += RTA_ALIGN(ra.rta_len);
	}
	h.nlmsg_len = (uint32_t)n;
	h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h.nlmsg_flags = NLM_F_MULTI;
	h.nlmsg_seq = seq;
	h.nlmsg_pid = 0;
	memcpy(b, &h, sizeof(h));
	return n;
}

static size_t
done(unsigned char *b, uint32_t seq)
{
	struct nlmsghdr h = {NLMSG_LENGTH(4), NLMSG_DONE, NLM_F_MULTI, seq, 0};

	memset(b, 0, NLMSG_LENGTH(4));
	memcpy(b, &h, sizeof(h));
	return NLMSG_ALIGN(h.nlmsg_len);
}

static void
test_sockdiag_parse_reports_bound_sockets_only(void **state)
{
	unsigned char b[1024];
	struct seen s;
	size_t n = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	n += message(b + n, 5, false, NULL);       /* not bound: skipped */
	n += message(b + n, 5, true, "/w/s.sock"); /* bound */
	n += message(b + n, 4, true, "/old");      /* another dump */
	assert_int_equal(sockdiag_parse(b, n, 5, on_entry, &s), SOCKDIAG_MORE);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ino, 1234);
	assert_int_equal(s.dev, (254u << 20) | 3);
	assert_string_equal(s.name, "/w/s.sock");
	n += done(b + n, 5);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sockdiag_parse(b, n, 5, on_entry, &s), SOCKDIAG_DONE);
	assert_int_equal(s.n, 1);
}

static void
test_sockdiag_parse_refuses_lengths_past_the_input(void **state)
{
	unsigned char b[256];
	struct seen s;
	struct nlmsghdr h;
	size_t n;

	(void)state;
	memset(&s, 0, sizeof(s));
	n = message(b, 9, true, "/x");
	memcpy(&h, b, sizeof(h));
	h.nlmsg_len = (uint32_t)n + 8;
	memcpy(b, &h, sizeof(h));
	assert_int_equal(sockdiag_parse(b, n, 9, on_entry, &s), SOCKDIAG_BAD);
	/* An attribute longer than its message. */
	n = message(b, 9, true, "/x");
	b[NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct unix_diag_msg)))] = 0xff;
	assert_int_equal(sockdiag_parse(b, n, 9, on_entry, &s), SOCKDIAG_BAD);
	assert_int_equal(s.n, 0);
}

/* --- live: this process's own sockets ---------------------------------------- */

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/airlock-unixpath-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const made[] = {"live.sock", "dead.sock", "link",
					   NULL};
	char p[128];
	size_t i;

	(void)state;
	for (i = 0; made[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, made[i]);
		unlink(p);
	}
	return rmdir(dir);
}

static int
bound_socket(const char *name, bool keep)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	unlink(sa.sun_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	if (!keep) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int
bound_inside(const char *name)
{
	struct unixpath_mounts m = {NULL, 0};
	struct unixid id;
	char p[128];
	int diag, fd, r;

	diag = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	assert_true(diag >= 0);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = unixpath_open(getpid(), -1, p);
	assert_true(fd >= 0);
	assert_int_equal(unixpath_id(fd, &m, 0, &id), 0);
	r = unixpath_bound_inside(diag, &id, getpid(), -1, &m);
	close(fd);
	close(diag);
	unixpath_mounts_release(&m);
	return r;
}

static void
test_unixpath_knows_a_socket_bound_in_this_namespace(void **state)
{
	int live;

	(void)state;
	live = bound_socket("live.sock", true);
	bound_socket("dead.sock", false);
	assert_int_equal(bound_inside("live.sock"), 1);
	/* The file stays, but no socket of this namespace has it. */
	assert_int_equal(bound_inside("dead.sock"), 0);
	close(live);
}

static void
test_unixpath_identity_is_the_inode_whatever_the_path(void **state)
{
	struct unixpath_mounts m = {NULL, 0};
	struct unixid a, b;
	char p[128], l[128];
	struct stat st;
	int fa, fb, live;

	(void)state;
	live = bound_socket("live.sock", true);
	snprintf(p, sizeof(p), "%s/live.sock", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	assert_int_equal(symlink(p, l), 0);
	fa = unixpath_open(getpid(), -1, p);
	fb = unixpath_open(getpid(), -1, l);
	assert_true(fa >= 0 && fb >= 0);
	assert_int_equal(unixpath_id(fa, &m, 0, &a), 0);
	assert_int_equal(unixpath_id(fb, &m, 0, &b), 0);
	assert_int_equal(a.dev, b.dev);
	assert_int_equal(a.ino, b.ino);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(a.ino, st.st_ino);
	close(fa);
	close(fb);
	close(live);
	unixpath_mounts_release(&m);
}

/* Magic links are not followed: /proc/self/fd/N names another process's
 * view of the file system, which the sandbox must not borrow. */
static void
test_unixpath_refuses_magic_links(void **state)
{
	char p[64];
	int fd;

	(void)state;
	fd = open(dir, O_PATH | O_CLOEXEC);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	errno = 0;
	assert_int_equal(unixpath_open(getpid(), -1, p), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(unixpath_open(getpid(), -1, "/proc/self/root/tmp"),
			 -1);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unixpath_reads_the_path_as_the_kernel_does),
		cmocka_unit_test(test_unixpath_abstract_unnamed_and_bad_addresses),
		cmocka_unit_test(
			test_mountinfo_dev_encodes_major_and_minor_as_the_kernel),
		cmocka_unit_test(test_sockdiag_parse_reports_bound_sockets_only),
		cmocka_unit_test(test_sockdiag_parse_refuses_lengths_past_the_input),
		cmocka_unit_test(
			test_unixpath_knows_a_socket_bound_in_this_namespace),
		cmocka_unit_test(
			test_unixpath_identity_is_the_inode_whatever_the_path),
		cmocka_unit_test(test_unixpath_refuses_magic_links),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
