/* test_secret.c — loading and holding secrets (lib/secret.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/secret.h"
#include "lib/xalloc.h"

#define VALUE "ghp_Zq8secretVALUE"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/airlock-secret-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Writes text to dir/name with mode; returns the heap path. */
static char *
put(const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Loads path expecting failure; the error must name the file and why,
 * and never hold the value. */
static void
refused(const char *path, const char *why)
{
	struct errbuf err;

	errbuf_init(&err);
	assert_null(secret_from_file(path, &err));
	assert_non_null(strstr(errbuf_str(&err), path));
	if (strstr(errbuf_str(&err), why) == NULL)
		fail_msg("%s: want \"%s\"", errbuf_str(&err), why);
	assert_null(strstr(errbuf_str(&err), VALUE));
	errbuf_release(&err);
}

static void
test_secret_file_is_read_and_trimmed(void **state)
{
	char *p = put("ok", " \t" VALUE "\r\n\n", 0600);
	struct errbuf err;
	struct secret *s;

	(void)state;
	errbuf_init(&err);
	s = secret_from_file(p, &err);
	assert_non_null(s);
	assert_int_equal(secret_len(s), strlen(VALUE));
	assert_memory_equal(secret_data(s), VALUE, strlen(VALUE));
	assert_int_equal(secret_data(s)[secret_len(s)], '\0');
	secret_free(s);
	errbuf_release(&err);
	free(p);
}

static void
test_secret_file_readable_by_group_or_others_is_refused(void **state)
{
	char *p;

	(void)state;
	p = put("wide", VALUE, 0644);
	refused(p, "has mode 0644: group or others may access it");
	free(p);
	p = put("group", VALUE, 0640);
	refused(p, "has mode 0640");
	free(p);
	p = put("gw", VALUE, 0620);
	refused(p, "has mode 0620");
	free(p);
}

static void
test_secret_file_symlink_is_refused(void **state)
{
	char *p = put("target", VALUE, 0600), *l = xasprintf("%s/link", dir);

	(void)state;
	assert_int_equal(symlink(p, l), 0);
	refused(l, "is a symlink");
	free(l);
	free(p);
}

static void
test_secret_file_must_be_regular_absolute_and_exist(void **state)
{
	char *fifo = xasprintf("%s/fifo", dir), *missing;

	(void)state;
	refused(dir, "is not a regular file");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	refused(fifo, "is not a regular file"); /* and does not block */
	refused("relative/secret", "must be an absolute path");
	missing = xasprintf("%s/missing", dir);
	refused(missing, "No such file");
	free(missing);
	free(fifo);
}

static void
test_secret_file_owned_by_another_user_is_refused(void **state)
{
	char *p = put("theirs", VALUE, 0600);

	(void)state;
	if (geteuid() != 0) {
		free(p);
		skip();
	}
	assert_int_equal(chown(p, 65534, 65534), 0);
	refused(p, "is owned by uid 65534");
	free(p);
}

static void
test_secret_empty_or_with_line_breaks_is_refused(void **state)
{
	char *p;

	(void)state;
	p = put("empty", " \n\t\r\n", 0600);
	refused(p, "is empty");
	free(p);
	p = put("two", "abc\nX-Evil: 1\n", 0600);
	refused(p, "control character");
	free(p);
}

static void
test_secret_file_too_large_is_refused(void **state)
{
	char *big = xmalloc(SECRET_MAX + 2), *p;

	(void)state;
	memset(big, 'a', SECRET_MAX + 1);
	big[SECRET_MAX + 1] = '\0';
	p = put("big", big, 0600);
	refused(p, "is larger than");
	free(p);
	free(big);
}

static void
test_secret_env_variable(void **state)
{
	struct errbuf err;
	struct secret *s;

	(void)state;
	errbuf_init(&err);
	setenv("AIRLOCK_TEST_SECRET", "  " VALUE "\n", 1);
	s = secret_from_env("AIRLOCK_TEST_SECRET", &err);
	assert_non_null(s);
	assert_string_equal(secret_data(s), VALUE);
	secret_free(s);
	unsetenv("AIRLOCK_TEST_SECRET");
	assert_null(secret_from_env("AIRLOCK_TEST_SECRET", &err));
	assert_string_equal(errbuf_str(&err),
			    "secret variable AIRLOCK_TEST_SECRET: is not set "
			    "in airlock's environment");
	errbuf_clear(&err);
	setenv("AIRLOCK_TEST_SECRET", "", 1);
	assert_null(secret_from_env("AIRLOCK_TEST_SECRET", &err));
	assert_non_null(strstr(errbuf_str(&err), "is empty"));
	errbuf_clear(&err);
	setenv("AIRLOCK_TEST_SECRET", VALUE "\r\nX: y", 1);
	assert_null(secret_from_env("AIRLOCK_TEST_SECRET", &err));
	assert_null(strstr(errbuf_str(&err), VALUE));
	unsetenv("AIRLOCK_TEST_SECRET");
	errbuf_release(&err);
}

static void
test_secret_concat_builds_the_header_value(void **state)
{
	struct secret *s = secret_new(3), *v;

	(void)state;
	memcpy(secret_bytes(s), "tok", 3);
	v = secret_concat("Bearer ", s);
	assert_string_equal(secret_data(v), "Bearer tok");
	assert_int_equal(secret_len(v), 10);
	secret_free(v);
	secret_free(s);
	secret_free(NULL);
}

/* The mapping's VmFlags line in /proc/self/smaps, for address a. */
static void
vmflags(const void *a, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo, hi;
	int in = 0;

	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = (unsigned long)a >= lo && (unsigned long)a < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			snprintf(out, n, "%s", line);
	}
	fclose(f);
}

static void
test_secret_memory_is_kept_out_of_core_dumps_and_forks(void **state)
{
	struct secret *s = secret_new(8);
	char flags[512];
	pid_t pid;
	int st;

	(void)state;
	memcpy(secret_bytes(s), "abcdefgh", 8);
	vmflags(secret_data(s), flags, sizeof(flags));
	assert_non_null(strstr(flags, " dd")); /* MADV_DONTDUMP */
	assert_non_null(strstr(flags, " wf")); /* MADV_WIPEONFORK */
	pid = fork();
	if (pid == 0) {
		/* the child sees zeros where the secret was */
		char zero[8] = {0};

		_exit(memcmp(secret_data(s), zero, 8) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_memory_equal(secret_data(s), "abcdefgh", 8);
	secret_free(s);
}

static void
test_secret_protect_process_makes_it_not_dumpable(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	if (pid == 0)
		_exit(secret_protect_process() == 0 &&
			      prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0
			      ? 0
			      : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_file_is_read_and_trimmed),
		cmocka_unit_test(
			test_secret_file_readable_by_group_or_others_is_refused),
		cmocka_unit_test(test_secret_file_symlink_is_refused),
		cmocka_unit_test(
			test_secret_file_must_be_regular_absolute_and_exist),
		cmocka_unit_test(
			test_secret_file_owned_by_another_user_is_refused),
		cmocka_unit_test(
			test_secret_empty_or_with_line_breaks_is_refused),
		cmocka_unit_test(test_secret_file_too_large_is_refused),
		cmocka_unit_test(test_secret_env_variable),
		cmocka_unit_test(test_secret_concat_builds_the_header_value),
		cmocka_unit_test(
			test_secret_memory_is_kept_out_of_core_dumps_and_forks),
		cmocka_unit_test(
			test_secret_protect_process_makes_it_not_dumpable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
