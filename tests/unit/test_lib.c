/* test_lib.c — src/lib: capped buffers, error collection, file helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/sigsafe.h"
#include "lib/fdutil.h"

static void
test_buf_refuses_growth_past_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345678"), 0);
	assert_int_equal(buf_addch(&b, '9'), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.p, "12345678");
	buf_release(&b);
}

static void
test_buf_json_string_escapes_controls_and_quotes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(buf_add_json_string(&b, "a\"b\\c\n\x01", 7), 0);
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\u0001\"");
	buf_release(&b);
}

static void
test_buf_consume_keeps_the_rest(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	buf_addstr(&b, "hello world");
	buf_consume(&b, 6);
	assert_string_equal(b.p, "world");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void
test_buf_reserve_keeps_the_bytes_in_place(void **state)
{
	struct buf b;
	char *at;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(buf_addstr(&b, "head"), 0);
	assert_int_equal(buf_reserve(&b, 4096 - 4), 0);
	at = b.p;
	while (b.len < 4096)
		assert_int_equal(buf_addch(&b, 'x'), 0);
	assert_ptr_equal(b.p, at); /* never moved: nothing left behind */
	assert_memory_equal(b.p, "headxx", 6);
	assert_int_equal(buf_reserve(&b, 1), -1);
	buf_release(&b);
}

static void
test_errbuf_collects_every_problem(void **state)
{
	struct errbuf e;

	(void)state;
	errbuf_init(&e);
	errbuf_add(&e, "a.toml:1: x: bad");
	errbuf_add(&e, "a.toml:2: y: worse");
	assert_int_equal(e.count, 2);
	assert_string_equal(errbuf_str(&e), "a.toml:1: x: bad\na.toml:2: y: worse");
	assert_string_equal(errbuf_first(&e), "a.toml:1: x: bad");
	errbuf_add(&e, "a.toml:3: z: worst");
	assert_string_equal(errbuf_str(&e),
			    "a.toml:1: x: bad\na.toml:2: y: worse\n"
			    "a.toml:3: z: worst");
	errbuf_release(&e);
}

static void
test_errbuf_null_is_accepted(void **state)
{
	(void)state;
	errbuf_add(NULL, "ignored %d", 1);
	assert_string_equal(errbuf_str(NULL), "");
}

static void
test_read_file_capped_refuses_large_files(void **state)
{
	char path[] = "/tmp/airlock-test-XXXXXX";
	struct errbuf e;
	size_t len = 0;
	char *p;
	int fd;

	(void)state;
	errbuf_init(&e);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "0123456789", 10), 0);
	close(fd);
	p = read_file_capped(path, 9, &len, &e);
	assert_null(p);
	assert_non_null(strstr(errbuf_str(&e), "larger than 9 bytes"));
	p = read_file_capped(path, 10, &len, &e);
	assert_non_null(p);
	assert_int_equal(len, 10);
	free(p);
	unlink(path);
	errbuf_release(&e);
}

static void
test_read_file_capped_names_missing_file(void **state)
{
	struct errbuf e;

	(void)state;
	errbuf_init(&e);
	assert_null(read_file_capped("/nonexistent/x.toml", 100, NULL, &e));
	assert_string_equal(errbuf_str(&e),
			    "/nonexistent/x.toml: No such file or directory");
	errbuf_release(&e);
}

static void
test_write_file_atomic_replaces_with_mode(void **state)
{
	char dir[] = "/tmp/airlock-test-XXXXXX";
	char *path;
	struct stat st;
	size_t len;
	char *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&path, "%s/f", dir) > 0);
	assert_int_equal(write_file_atomic(path, "one", 3, 0600, NULL), 0);
	assert_int_equal(write_file_atomic(path, "two!", 4, 0600, NULL), 0);
	p = read_file_capped(path, 100, &len, NULL);
	assert_string_equal(p, "two!");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_sigsafe_fmt_formats_what_the_child_needs(void **state)
{
	char b[64];
	size_t n = 0;

	(void)state;
	errno = ENOENT;
	sigsafe_fmt(b, sizeof(b), &n, "%s %d %u %x %lu %zu %c%% %m", "a", -42,
		    7u, 255u, 123456789UL, (size_t)9, 'z');
	assert_string_equal(b, "a -42 7 ff 123456789 9 z% No such file or directory");
	assert_int_equal(n, strlen(b));
}

static void
test_sigsafe_fmt_cuts_and_terminates(void **state)
{
	char b[8];
	size_t n = 0;

	(void)state;
	sigsafe_fmt(b, sizeof(b), &n, "%s", "abcdefghijk");
	assert_string_equal(b, "abcdefg");
	sigsafe_fmt(b, sizeof(b), &n, "more");
	assert_string_equal(b, "abcdefg");
	assert_int_equal(n, 7);
}

static void
test_errbuf_fixed_keeps_the_first_problem_in_place(void **state)
{
	char text[32];
	struct errbuf e;

	(void)state;
	errbuf_init_fixed(&e, text, sizeof(text));
	errno = EACCES;
	errbuf_add(&e, "open %s: %m", "/x");
	errbuf_add(&e, "second");
	assert_int_equal(e.count, 2);
	assert_string_equal(errbuf_str(&e), "open /x: Permission denied");
	assert_ptr_equal(errbuf_first(&e), text);
	errbuf_release(&e);
	assert_string_equal(text, "");
}

static void
test_errbuf_heap_prints_percent_m_too(void **state)
{
	struct errbuf e;

	(void)state;
	errbuf_init(&e);
	errno = ENOENT;
	errbuf_add(&e, "x: %m");
	assert_string_equal(errbuf_str(&e), "x: No such file or directory");
	errbuf_release(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_refuses_growth_past_max),
		cmocka_unit_test(test_buf_json_string_escapes_controls_and_quotes),
		cmocka_unit_test(test_buf_consume_keeps_the_rest),
		cmocka_unit_test(test_buf_reserve_keeps_the_bytes_in_place),
		cmocka_unit_test(test_errbuf_collects_every_problem),
		cmocka_unit_test(test_errbuf_null_is_accepted),
		cmocka_unit_test(test_sigsafe_fmt_formats_what_the_child_needs),
		cmocka_unit_test(test_sigsafe_fmt_cuts_and_terminates),
		cmocka_unit_test(test_errbuf_fixed_keeps_the_first_problem_in_place),
		cmocka_unit_test(test_errbuf_heap_prints_percent_m_too),
		cmocka_unit_test(test_read_file_capped_refuses_large_files),
		cmocka_unit_test(test_read_file_capped_names_missing_file),
		cmocka_unit_test(test_write_file_atomic_replaces_with_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
