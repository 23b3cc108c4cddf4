/* approvals.c — reads and rewrites $AIRLOCK_HOME/approvals.toml. See
 * approvals.h. */
#include "config/approvals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/toml.h"
#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/xalloc.h"

#define KEY_TABLE "permissions"
#define APPROVALS_MAX_BYTES (1024 * 1024)

char *
approvals_path(const char *home)
{
	return xasprintf("%s/" APPROVALS_FILE, home);
}

void
approvals_release(struct approvals *a)
{
	size_t i;

	for (i = 0; i < a->n_allow; i++)
		free(a->allow[i]);
	for (i = 0; i < a->n_deny; i++)
		free(a->deny[i]);
	free(a->allow);
	free(a->deny);
	free(a->allow_line);
	free(a->deny_line);
	memset(a, 0, sizeof(*a));
}

static void
push(char ***v, int **lines, size_t *n, const char *s, int line)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	*lines = xreallocarray(*lines, *n + 1, sizeof(**lines));
	(*v)[*n] = xstrdup(s);
	(*lines)[*n] = line;
	(*n)++;
}

/* One array of strings under [permissions.network]; absent is empty. */
static int
read_list(const char *path, const struct toml_value *net, const char *key,
	  char ***v, int **lines, size_t *n, struct errbuf *err)
{
	const struct toml_value *arr = toml_get(net, key);
	size_t i;

	if (arr == NULL)
		return 0;
	if (arr->type != TOML_ARRAY) {
		errbuf_add(err, "%s:%d: permissions.network.%s: expected an "
			   "array of strings", path, arr->line, key);
		return -1;
	}
	for (i = 0; i < arr->u.arr.n; i++) {
		const struct toml_value *it = arr->u.arr.items[i];

		if (it->type != TOML_STRING ||
		    strlen(it->u.str.s) != it->u.str.len ||
		    *n >= APPROVALS_MAX_ENTRIES) {
			errbuf_add(err, "%s:%d: permissions.network.%s[%zu]: "
				   "expected a string (at most %d entries)",
				   path, it->line, key, i,
				   APPROVALS_MAX_ENTRIES);
			return -1;
		}
		push(v, lines, n, it->u.str.s, it->line);
	}
	return 0;
}

int
approvals_load(const char *path, struct approvals *a, struct errbuf *err)
{
	const struct toml_value *perm, *net;
	struct toml_value *doc = NULL;
	struct stat st;
	char *text = NULL;
	size_t n = 0;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (stat(path, &st) == -1 && errno == ENOENT)
		return 0;
	text = read_file_capped(path, APPROVALS_MAX_BYTES, &n, err);
	if (text == NULL)
		goto out;
	doc = toml_parse(text, n, err);
	if (doc == NULL) {
		errbuf_add(err, "%s: invalid TOML", path);
		goto out;
	}
	perm = toml_get(doc, KEY_TABLE);
	net = perm ? toml_get(perm, "network") : NULL;
	if (net != NULL &&
	    (read_list(path, net, "allowed_domains", &a->allow,
		       &a->allow_line, &a->n_allow, err) == -1 ||
	     read_list(path, net, "denied_domains", &a->deny, &a->deny_line,
		       &a->n_deny, err) == -1))
		goto out;
	rc = 0;
out:
	if (rc == -1)
		approvals_release(a);
	toml_free(doc);
	free(text);
	return rc;
}

static void
format_list(struct buf *b, const char *key, char *const *v, size_t n)
{
	size_t i;

	buf_printf(b, "%s = [\n", key);
	for (i = 0; i < n; i++) {
		buf_addstr(b, "  ");
		buf_add_json_string(b, v[i], strlen(v[i]));
		buf_addstr(b, ",\n");
	}
	buf_addstr(b, "]\n");
}

char *
approvals_format(const struct approvals *a)
{
	struct buf b;

	buf_init(&b, APPROVALS_MAX_BYTES);
	buf_addstr(&b, "# Network approvals answered \"always\". Written by "
		       "airlock; see\n# `airlock approvals list` and "
		       "`airlock approvals revoke PATTERN`.\n"
		       "[permissions.network]\n");
	format_list(&b, "allowed_domains", a->allow, a->n_allow);
	format_list(&b, "denied_domains", a->deny, a->n_deny);
	return buf_detach(&b, NULL);
}

int
approvals_entry(const char *host, int port, char *out, size_t cap)
{
	int n;

	if (strchr(host, ':') != NULL)
		n = snprintf(out, cap, "[%s]:%d", host, port);
	else
		n = snprintf(out, cap, "%s:%d", host, port);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Removes every item equal to entry from v; returns how many went. */
static size_t
drop(char **v, int *lines, size_t *n, const char *entry)
{
	size_t i = 0, gone = 0;

	while (i < *n) {
		if (strcmp(v[i], entry) != 0) {
			i++;
			continue;
		}
		free(v[i]);
		memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
		memmove(lines + i, lines + i + 1,
			(*n - i - 1) * sizeof(*lines));
		(*n)--;
		gone++;
	}
	return gone;
}

static bool
holds(char *const *v, size_t n, const char *entry)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], entry) == 0)
			return true;
	return false;
}

/* Takes the lock beside the file; the fd, or -1 with err. */
static int
lock(const char *home, struct errbuf *err)
{
	char *path = xasprintf("%s/approvals.lock", home);
	int fd;

	if (mkdir(home, 0700) == -1 && errno != EEXIST) {
		errbuf_add(err, "%s: %s", home, strerror(errno));
		free(path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || flock(fd, LOCK_EX) == -1) {
		errbuf_add(err, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static int
save(const char *path, const struct approvals *a, struct errbuf *err)
{
	char *text = approvals_format(a);
	int rc = write_file_atomic(path, text, strlen(text), 0600, err);

	free(text);
	return rc;
}

int
approvals_add(const char *home, bool deny, const char *entry,
	      struct errbuf *err)
{
	struct approvals a;
	char *path = approvals_path(home);
	int fd = lock(home, err), rc = -1;

	if (fd == -1 || approvals_load(path, &a, err) == -1)
		goto out;
	if (deny) {
		drop(a.allow, a.allow_line, &a.n_allow, entry);
		if (!holds(a.deny, a.n_deny, entry))
			push(&a.deny, &a.deny_line, &a.n_deny, entry, 0);
	} else {
		drop(a.deny, a.deny_line, &a.n_deny, entry);
		if (!holds(a.allow, a.n_allow, entry))
			push(&a.allow, &a.allow_line, &a.n_allow, entry, 0);
	}
	if (a.n_allow + a.n_deny > APPROVALS_MAX_ENTRIES)
		errbuf_add(err, "%s: more than %d entries; revoke some first",
			   path, APPROVALS_MAX_ENTRIES);
	else
		rc = save(path, &a, err);
	approvals_release(&a);
out:
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

int
approvals_remove(const char *home, const char *entry, size_t *removed,
		 struct errbuf *err)
{
	struct approvals a;
	char *path = approvals_path(home);
	int fd = lock(home, err), rc = -1;

	*removed = 0;
	if (fd == -1 || approvals_load(path, &a, err) == -1)
		goto out;
	*removed = drop(a.allow, a.allow_line, &a.n_allow, entry) +
		   drop(a.deny, a.deny_line, &a.n_deny, entry);
	rc = *removed > 0 ? save(path, &a, err) : 0;
	approvals_release(&a);
out:
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

bool
approvals_matches(const char *entry, const char *pattern)
{
	size_t n = strlen(pattern);

	if (strcmp(entry, pattern) == 0)
		return true;
	if (strchr(pattern, ':') != NULL)
		return false;
	return strncmp(entry, pattern, n) == 0 && entry[n] == ':';
}

static int
revoke_list(const char *home, char **v, size_t n, const char *pattern,
	    approvals_revoked_fn *fn, void *arg, struct errbuf *err)
{
	size_t i, removed;

	for (i = 0; i < n; i++) {
		if (!approvals_matches(v[i], pattern))
			continue;
		if (approvals_remove(home, v[i], &removed, err) == -1)
			return -1;
		if (removed > 0)
			fn(arg, v[i]);
	}
	return 0;
}

int
approvals_revoke(const char *home, const char *pattern,
		 approvals_revoked_fn *fn, void *arg, struct errbuf *err)
{
	char *path = approvals_path(home);
	struct approvals a;
	int rc = -1;

	if (approvals_load(path, &a, err) == 0) {
		rc = revoke_list(home, a.allow, a.n_allow, pattern, fn, arg,
				 err);
		if (rc == 0)
			rc = revoke_list(home, a.deny, a.n_deny, pattern, fn,
					 arg, err);
		approvals_release(&a);
	}
	free(path);
	return rc;
}
