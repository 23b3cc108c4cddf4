/* test_tokenfile.c — generated tokens on a real temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/tokenfile.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/airlock-tokenfile-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/sub/app.token", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	unlink(f->path);
	snprintf(p, sizeof(p), "%s/target", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", f->dir);
	rmdir(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
read_line(const char *path, char *out, size_t cap)
{
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	assert_non_null(fgets(out, (int)cap, fp));
	fclose(fp);
}

static void
test_tokenfile_writes_43_base64url_chars_0600_in_a_0700_dir(void **state)
{
	struct fixture *f = *state;
	char tok[TOKENFILE_LEN + 1], line[128], sub[160];
	struct errbuf err;
	struct stat st;

	errbuf_init(&err);
	assert_int_equal(tokenfile_create(f->path, tok, &err), 0);
	assert_int_equal(strlen(tok), TOKENFILE_LEN);
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				     "nopqrstuvwxyz0123456789-_"),
			 TOKENFILE_LEN);
	read_line(f->path, line, sizeof(line));
	assert_int_equal(strncmp(line, tok, TOKENFILE_LEN), 0);
	assert_string_equal(line + TOKENFILE_LEN, "\n");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	errbuf_release(&err);
}

static void
test_tokenfile_is_fresh_every_time(void **state)
{
	struct fixture *f = *state;
	char a[TOKENFILE_LEN + 1], b[TOKENFILE_LEN + 1];

	assert_int_equal(tokenfile_create(f->path, a, NULL), 0);
	assert_int_equal(tokenfile_create(f->path, b, NULL), 0);
	assert_string_not_equal(a, b);
}

static void
test_tokenfile_replaces_a_symlink_without_following_it(void **state)
{
	struct fixture *f = *state;
	char tok[TOKENFILE_LEN + 1], target[160], sub[160], line[128];
	struct stat st;
	FILE *fp;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	fp = fopen(target, "w");
	assert_non_null(fp);
	fputs("keep\n", fp);
	fclose(fp);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(tokenfile_create(f->path, tok, NULL), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	read_line(target, line, sizeof(line));
	assert_string_equal(line, "keep\n");
}

static void
test_tokenfile_reports_an_unwritable_place(void **state)
{
	char tok[TOKENFILE_LEN + 1];
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	assert_int_equal(tokenfile_create("/proc/airlock/none/t", tok, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "/proc/airlock"));
	errbuf_release(&err);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tokenfile_writes_43_base64url_chars_0600_in_a_0700_dir),
		T(test_tokenfile_is_fresh_every_time),
		T(test_tokenfile_replaces_a_symlink_without_following_it),
		cmocka_unit_test(test_tokenfile_reports_an_unwritable_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
