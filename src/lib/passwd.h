/* passwd.h — the home directory the password database gives a user.
 *
 * getpwuid_r() goes through the name service switch: it tries nscd's
 * socket, reads /etc/nsswitch.conf, then asks each source in turn. The
 * first call in a process costs about a tenth of a millisecond, on every
 * `airlock run`. When /etc/nsswitch.conf names `files` as the first source
 * of the passwd database, with no [action] after it, and /etc/passwd has
 * a line for the uid, NSS answers from that line (the first one with the
 * uid): passwd_home() reads the two files and gives that answer itself.
 * Anything else goes through getpwuid_r(), so the answer is always the
 * one NSS gives: another source first, or an action that could change
 * what a found entry means; a passwd file not entirely in the plain form
 * `name:password:uid:gid:gecos:dir:shell` (comments, lines with leading
 * blanks, +/- compat entries, numbers with signs, blanks or over 32 bits,
 * other field counts, NUL bytes), which NSS parses with quirks of its own;
 * a file over its size cap; a uid the file does not have (a later source
 * may). Lines after the uid's first one do not matter, as for NSS.
 *
 * The two parsers are pure (text in, answer out), for the fuzzer and the
 * tests; passwd_home() is the I/O around them. */
#ifndef AIRLOCK_PASSWD_H
#define AIRLOCK_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/slice.h"

#define PASSWD_NSSWITCH_MAX (64 * 1024)
#define PASSWD_FILE_MAX (1024 * 1024)

enum {
	PASSWD_FALLBACK = -1, /* not the plain form: ask NSS */
	PASSWD_NOT_FOUND = 0,
	PASSWD_FOUND = 1,
};

/* 1 when text[0..n) (an nsswitch.conf) has exactly one passwd line, that
 * line spelled in lower case, whose first source is `files` with no
 * [action] right after it; 0 otherwise. */
int passwd_files_first(const char *text, size_t n);
/* The home directory of uid in text[0..n) (an /etc/passwd): PASSWD_FOUND
 * with *home pointing into text (the first line with uid), PASSWD_NOT_FOUND,
 * or PASSWD_FALLBACK when a line up to that one is not in the plain form
 * above (empty lines are skipped, as NSS does). */
int passwd_find_home(const char *text, size_t n, uid_t uid,
		     struct slice *home);
/* The home directory of uid as NSS gives it (heap), or NULL when there is
 * no entry (or it cannot be read). */
char *passwd_home(uid_t uid);

#endif
