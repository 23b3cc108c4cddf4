/* test_passwd.c — the password database's home (lib/passwd.h): when the
 * files are read directly, and that the answer is NSS's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/passwd.h"

static int
files_first(const char *text)
{
	return passwd_files_first(text, strlen(text));
}

static void
test_passwd_files_first_only_when_files_is_first_and_plain(void **state)
{
	(void)state;
	/* Debian's default, and spellings NSS reads the same way. */
	assert_true(files_first("# /etc/nsswitch.conf\n\npasswd:         files "
				"systemd\ngroup:          files systemd\n"));
	assert_true(files_first("passwd:files"));
	assert_true(files_first("  passwd\t:  files  \n"));
	assert_true(files_first("passwd: files # sss\n"));
	assert_true(files_first("# passwd: sss\npasswd: files sss\n"));
	assert_true(files_first("passwd_compat: nis\npasswd: files\n"));
	assert_true(files_first("passwd: files systemd [NOTFOUND=return]\n"));
	/* Another source first, an action on files, not files at all. */
	assert_false(files_first("passwd: sss files\n"));
	assert_false(files_first("passwd: systemd files\n"));
	assert_false(files_first("passwd: files [SUCCESS=continue] sss\n"));
	assert_false(files_first("passwd: files[SUCCESS=continue] sss\n"));
	assert_false(files_first("passwd: compat\n"));
	assert_false(files_first("passwd: filesx\n"));
	assert_false(files_first("passwd:\n"));
	assert_false(files_first("passwd: # files\n"));
	/* No passwd line, two of them, one in another case. */
	assert_false(files_first(""));
	assert_false(files_first("group: files\n"));
	assert_false(files_first("passwd: files\npasswd: sss files\n"));
	assert_false(files_first("passwd: files\nPASSWD: sss\n"));
	assert_false(files_first("PASSWD: files\n"));
	/* A NUL byte: NSS would read the line differently. */
	assert_false(passwd_files_first("passwd: files\0 sss\n", 19));
}

/* The home of uid in text, "" for PASSWD_NOT_FOUND, NULL for FALLBACK. */
static const char *
home_of(const char *text, uid_t uid)
{
	static char out[256];
	struct slice h;

	switch (passwd_find_home(text, strlen(text), uid, &h)) {
	case PASSWD_FOUND:
		snprintf(out, sizeof(out), "%.*s", (int)h.n, h.p);
		return out;
	case PASSWD_NOT_FOUND:
		return "";
	default:
		return NULL;
	}
}

static void
test_passwd_find_home_reads_the_first_plain_line_with_the_uid(void **state)
{
	static const char plain[] =
		"root:x:0:0:root:/root:/bin/bash\n"
		"\n"
		"u:x:1000:1000:U,,,:/home/u:/bin/sh\r\n"
		"again:x:1000:1000::/home/again:/bin/sh\n"
		"empty:x:1001:1001:::/bin/sh\n"
		"last:x:4294967295:0::/home/last:";

	(void)state;
	assert_string_equal(home_of(plain, 0), "/root");
	assert_string_equal(home_of(plain, 1000), "/home/u");
	assert_string_equal(home_of(plain, 1001), "");
	assert_string_equal(home_of(plain, 4294967295u), "/home/last");
	assert_string_equal(home_of(plain, 5), ""); /* not found */
	/* What comes after the uid's line does not matter. */
	assert_string_equal(home_of("root:x:0:0::/root:/bin/sh\n+::::::\n", 0),
			    "/root");
}

static void
test_passwd_find_home_leaves_what_nss_parses_oddly_to_nss(void **state)
{
	static const char *const odd[] = {
		"# comment\nroot:x:0:0::/root:/bin/sh\n",
		" root:x:0:0::/root:/bin/sh\n",
		"+nis::::::\nroot:x:0:0::/root:/bin/sh\n",
		"-bad::::::\nroot:x:0:0::/root:/bin/sh\n",
		"a:x: 0:0::/a:/bin/sh\nroot:x:0:0::/root:/bin/sh\n",
		"a:x:+0:0::/a:/bin/sh\nroot:x:0:0::/root:/bin/sh\n",
		"a:x:-1:0::/a:/bin/sh\n",
		"a:x:4294967296:0::/a:/bin/sh\n",
		"a:x:00000000000:0::/a:/bin/sh\n",
		"a:x:0:x::/a:/bin/sh\n",
		"a:x::0::/a:/bin/sh\n",
		"a:x:0:0::/a:/bin/sh:extra\n",
		"a:x:0:0::/a\n",
		"\t\nroot:x:0:0::/root:/bin/sh\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_null(home_of(odd[i], 0));
	assert_int_equal(passwd_find_home("r:x:0:0::/r\0:/sh\n", 17, 0,
					  &(struct slice){0}),
			 PASSWD_FALLBACK);
}

/* On this machine: every user of /etc/passwd has the home NSS gives, when
 * passwd_home() answers from the file, and from NSS otherwise. */
static void
test_passwd_home_is_the_one_nss_gives(void **state)
{
	struct passwd *pw;
	char *h;
	size_t n = 0;

	(void)state;
	setpwent();
	while ((pw = getpwent()) != NULL && n < 1000) {
		struct passwd pr, *res = NULL;
		char buf[4096];
		uid_t uid = pw->pw_uid;

		n++;
		if (getpwuid_r(uid, &pr, buf, sizeof(buf), &res) != 0 ||
		    res == NULL)
			continue;
		h = passwd_home(uid);
		assert_non_null(h);
		assert_string_equal(h, pr.pw_dir);
		free(h);
	}
	endpwent();
	assert_true(n > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_passwd_files_first_only_when_files_is_first_and_plain),
		cmocka_unit_test(
			test_passwd_find_home_reads_the_first_plain_line_with_the_uid),
		cmocka_unit_test(
			test_passwd_find_home_leaves_what_nss_parses_oddly_to_nss),
		cmocka_unit_test(test_passwd_home_is_the_one_nss_gives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
