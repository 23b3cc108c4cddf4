/* walkcache.c — the repository walk's memory between runs. See
 * walkcache.h.
 *
 * The file: a header line `airlock-walk-cache 1 LEN HASH\n` (LEN the
 * body's length, HASH its FNV-1a 64 in 16 hex digits), then the body, a
 * sequence of records, each
 *
 *     KIND DEV INO CTIME_S CTIME_NS \0 PATH \0 (ENTRY \0)* \0
 *
 * KIND R or P, the numbers in decimal, PATH absolute, each ENTRY a kind
 * byte (d, f, l) and a name. */
#include "sandbox/walkcache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/xalloc.h"
#include "sandbox/protect.h"

#define MAGIC "airlock-walk-cache 1 "

struct walkcache {
	char *file;               /* NULL: never saved */
	char *text;               /* the file as loaded (records point in) */
	size_t text_len;
	struct walkcache_rec *recs;
	size_t n;
	uint32_t *slots;          /* open addressing: record index + 1 */
	size_t n_slots;
	struct timespec now;
	struct buf out;           /* this run's records */
	size_t out_n;
	char **walked;
	size_t n_walked;
	/* The records looked at ahead (walkcache_ahead_select): */
	struct ahead *ahead;      /* in the records' order */
	size_t n_ahead;
	uint32_t *ahead_of;       /* per record: its index in ahead + 1, or 0 */
	bool saved;               /* walkcache_save ran */
};

/* Who took, or takes, one record's lstat: the thread looking ahead from
 * the last record backwards, or the walk going forwards. */
enum {
	AHEAD_FREE,  /* nobody yet */
	AHEAD_BUSY,  /* the thread ahead is taking it */
	AHEAD_DONE,  /* taken ahead: the rest of struct ahead holds it */
	AHEAD_WALK,  /* the walk took it itself */
};

/* What the walk reads of a lstat (dev, ino and change time for the
 * record, mode and links for itself), kept small: a /tmp of a thousand
 * directories fills a few pages, not a hundred. */
struct ahead {
	_Atomic unsigned char state;
	int err;                  /* fstatat's errno, or 0 */
	uint32_t rec;             /* index in recs */
	uint32_t mode, ctime_ns;
	uint64_t dev, ino, nlink;
	int64_t ctime_s;
};

static uint64_t
fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct walkcache *
cache_new(void)
{
	struct walkcache *c = xcalloc(1, sizeof(*c));

	buf_init(&c->out, WALKCACHE_MAX_BYTES);
	return c;
}

/* --- the parser ----------------------------------------------------------- */

/* An unsigned decimal ending at a space (or NUL for the last); *p moves
 * past the separator. */
static bool
number(const char **p, const char *end, char sep, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (s >= end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end &&
						 s[1] != sep))
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (s >= end || *s != sep)
		return false;
	*v = n;
	*p = s + 1;
	return true;
}

static bool
mark_name(const char *name)
{
	return strcmp(name, ".git") == 0 || strcmp(name, ".airlock") == 0;
}

static bool
good_entry(char kind, const char *name, size_t len, char rec_kind)
{
	if (kind != 'd' && kind != 'f' && kind != 'l')
		return false;
	if (len == 0 || len > NAME_MAX || memchr(name, '/', len) != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	/* Only marks are worth keeping unless they are directories; a
	 * probed record has nothing but marks. */
	if (!mark_name(name) && (kind != 'd' || rec_kind == WALKCACHE_PROBED))
		return false;
	return true;
}

/* The entries from *p to the empty one; *p moves past it. */
static bool
entries(const char **p, const char *end, char rec_kind)
{
	const char *s = *p;

	for (;;) {
		const char *nul = memchr(s, '\0', (size_t)(end - s));

		if (nul == NULL)
			return false;
		if (nul == s) {
			*p = s + 1;
			return true;
		}
		if (!good_entry(s[0], s + 1, (size_t)(nul - s - 1), rec_kind))
			return false;
		s = nul + 1;
	}
}

static bool
record(const char **p, const char *end, struct walkcache_rec *r)
{
	const char *s = *p, *nul;
	uint64_t cs, ns;

	if (end - s < 2 || (s[0] != 'R' && s[0] != 'P') || s[1] != ' ')
		return false;
	memset(r, 0, sizeof(*r));
	r->kind = s[0];
	s += 2;
	if (!number(&s, end, ' ', &r->dev) || !number(&s, end, ' ', &r->ino) ||
	    !number(&s, end, ' ', &cs) || !number(&s, end, '\0', &ns) ||
	    cs > INT64_MAX || ns >= 1000000000u)
		return false;
	r->ctime_s = (int64_t)cs;
	r->ctime_ns = (uint32_t)ns;
	nul = memchr(s, '\0', (size_t)(end - s));
	if (nul == NULL || nul == s || s[0] != '/' || nul - s >= PATH_MAX)
		return false;
	r->path = s;
	s = nul + 1;
	r->entries = s;
	if (!entries(&s, end, r->kind))
		return false;
	r->entries_len = (size_t)(s - r->entries);
	r->raw = *p;
	r->raw_len = (size_t)(s - *p);
	*p = s;
	return true;
}

static size_t
slot_of(const struct walkcache *c, const char *path)
{
	return (size_t)(fnv1a(path, strlen(path)) & (c->n_slots - 1));
}

/* false when path is there already. */
static bool
index_add(struct walkcache *c, size_t i)
{
	size_t s = slot_of(c, c->recs[i].path);

	while (c->slots[s] != 0) {
		if (strcmp(c->recs[c->slots[s] - 1].path, c->recs[i].path) == 0)
			return false;
		s = (s + 1) & (c->n_slots - 1);
	}
	c->slots[s] = (uint32_t)(i + 1);
	return true;
}

static bool
parse_body(struct walkcache *c, const char *s, const char *end)
{
	size_t i, cap = 0;

	while (s < end) {
		if (c->n == WALKCACHE_MAX_RECORDS)
			return false;
		if (c->n == cap) {
			cap = cap ? cap * 2 : 256;
			c->recs = xreallocarray(c->recs, cap, sizeof(*c->recs));
		}
		if (!record(&s, end, &c->recs[c->n]))
			return false;
		c->n++;
	}
	for (c->n_slots = 16; c->n_slots < c->n * 2; c->n_slots *= 2)
		;
	c->slots = xcalloc(c->n_slots, sizeof(*c->slots));
	for (i = 0; i < c->n; i++)
		if (!index_add(c, i))
			return false;
	return true;
}

/* `airlock-walk-cache 1 LEN HASH\n`: the body's start, or NULL. */
static const char *
header(const char *text, size_t len, uint64_t *body_len, uint64_t *hash)
{
	const char *s = text + strlen(MAGIC), *end = text + len, *nl;
	char hex[17];
	char *stop;

	if (len < strlen(MAGIC) || memcmp(text, MAGIC, strlen(MAGIC)) != 0)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (nl == NULL || !number(&s, nl, ' ', body_len) || nl - s != 16)
		return NULL;
	memcpy(hex, s, 16);
	hex[16] = '\0';
	if (strspn(hex, "0123456789abcdef") != 16)
		return NULL;
	*hash = strtoull(hex, &stop, 16);
	return nl + 1;
}

struct walkcache *
walkcache_parse(char *text, size_t len)
{
	struct walkcache *c = cache_new();
	const char *body;
	uint64_t body_len, hash;

	c->text = text;
	c->text_len = len;
	body = header(text, len, &body_len, &hash);
	if (body == NULL || body_len != (uint64_t)(text + len - body) ||
	    fnv1a(body, body_len) != hash ||
	    !parse_body(c, body, text + len)) {
		walkcache_free(c);
		return NULL;
	}
	return c;
}

struct walkcache *
walkcache_load(const char *file, const struct timespec *now)
{
	struct walkcache *c = NULL;
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int fd, big = 0;

	if (file != NULL &&
	    (fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >=
		    0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			text = read_fd_capped(fd, WALKCACHE_MAX_BYTES, &len,
					      &big);
		close(fd);
	}
	if (text != NULL)
		c = walkcache_parse(text, len);
	if (c == NULL)
		c = cache_new();
	c->file = file ? xstrdup(file) : NULL;
	c->now = *now;
	return c;
}

void
walkcache_free(struct walkcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_walked; i++)
		free(c->walked[i]);
	free(c->walked);
	free(c->ahead);
	free(c->ahead_of);
	buf_release(&c->out);
	free(c->slots);
	free(c->recs);
	free(c->text);
	free(c->file);
	free(c);
}

/* --- lookups ------------------------------------------------------------- */

/* The index of path's record, or -1. */
static long
rec_index(const struct walkcache *c, const char *path)
{
	size_t s;

	if (c == NULL || c->n_slots == 0)
		return -1;
	for (s = slot_of(c, path); c->slots[s] != 0;
	     s = (s + 1) & (c->n_slots - 1))
		if (strcmp(c->recs[c->slots[s] - 1].path, path) == 0)
			return (long)c->slots[s] - 1;
	return -1;
}

/* Record i when st shows its directory unchanged, else NULL. */
static const struct walkcache_rec *
unchanged(struct walkcache *c, long i, const struct stat *st)
{
	struct walkcache_rec *r;

	if (i < 0)
		return NULL;
	r = &c->recs[i];
	if (r->dev != (uint64_t)st->st_dev ||
	    r->ino != (uint64_t)st->st_ino ||
	    r->ctime_s != (int64_t)st->st_ctim.tv_sec ||
	    r->ctime_ns != (uint32_t)st->st_ctim.tv_nsec)
		return NULL;
	r->used = true;
	return r;
}

int
walkcache_next(const char **p, char *kind, const char **name)
{
	const char *s = *p;

	if (*s == '\0')
		return 0;
	*kind = s[0];
	*name = s + 1;
	*p = s + strlen(s) + 1;
	return 1;
}

/* --- looking ahead -------------------------------------------------------- */

/* Whether path is one of roots or below one; roots that are NULL or not
 * absolute are passed over. */
static bool
below_any(const char *path, const char *const *roots, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (roots[i] != NULL && roots[i][0] == '/' &&
		    protect_under(roots[i], path))
			return true;
	return false;
}

size_t
walkcache_ahead_select(struct walkcache *c, const char *const *roots,
		       size_t n_roots, size_t min)
{
	size_t i, n = 0;

	if (c == NULL || c->n == 0 || c->ahead != NULL)
		return 0;
	c->ahead_of = xcalloc(c->n, sizeof(*c->ahead_of));
	for (i = 0; i < c->n && n < WALKCACHE_AHEAD_MAX; i++)
		if (below_any(c->recs[i].path, roots, n_roots))
			c->ahead_of[i] = (uint32_t)++n;
	if (n == 0 || n < min) {
		free(c->ahead_of);
		c->ahead_of = NULL;
		return 0;
	}
	c->ahead = xcalloc(n, sizeof(*c->ahead));
	c->n_ahead = n;
	for (i = 0; i < c->n; i++)
		if (c->ahead_of[i] != 0)
			c->ahead[c->ahead_of[i] - 1].rec = (uint32_t)i;
	return n;
}

/* Keeps of st what the walk reads; st NULL: the lstat failed (errno). */
static void
keep(struct ahead *a, const struct stat *st)
{
	if (st == NULL) {
		a->err = errno != 0 ? errno : EIO;
		return;
	}
	a->mode = st->st_mode;
	a->dev = st->st_dev;
	a->ino = st->st_ino;
	a->nlink = st->st_nlink;
	a->ctime_s = st->st_ctim.tv_sec;
	a->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
}

/* The lstat kept in a, as the walk reads it. */
static int
kept(const struct ahead *a, struct stat *st)
{
	if (a->err != 0) {
		errno = a->err;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->st_mode = a->mode;
	st->st_dev = a->dev;
	st->st_ino = a->ino;
	st->st_nlink = a->nlink;
	st->st_ctim.tv_sec = a->ctime_s;
	st->st_ctim.tv_nsec = a->ctime_ns;
	return 0;
}

void
walkcache_ahead_run(struct walkcache *c, const atomic_bool *stop)
{
	struct ahead *a;
	unsigned char expect;
	struct stat st;
	size_t i;

	for (i = c != NULL ? c->n_ahead : 0; i-- > 0 && !atomic_load(stop);) {
		a = &c->ahead[i];
		expect = AHEAD_FREE;
		/* The walk got this far: the rest is behind it. */
		if (!atomic_compare_exchange_strong(&a->state, &expect,
						    AHEAD_BUSY))
			break;
		keep(a, fstatat(AT_FDCWD, c->recs[a->rec].path, &st,
				AT_SYMLINK_NOFOLLOW) == 0 ? &st : NULL);
		atomic_store(&a->state, AHEAD_DONE);
	}
}

/* The lstat of record i taken ahead, or -1 with errno, or 1 when the
 * thread ahead has not taken it (it will not now). */
static int
taken_ahead(struct walkcache *c, long i, struct stat *st)
{
	unsigned char seen = AHEAD_FREE;
	struct ahead *a;

	if (i < 0 || c->ahead == NULL || c->ahead_of[i] == 0)
		return 1;
	a = &c->ahead[c->ahead_of[i] - 1];
	/* Free: the thread ahead will not take it now. Done: its lstat is
	 * the one the walk would have taken a moment later. Busy: taken
	 * again here rather than waited for. */
	if (atomic_compare_exchange_strong(&a->state, &seen, AHEAD_WALK) ||
	    seen != AHEAD_DONE)
		return 1;
	return kept(a, st);
}

int
walkcache_lstat(struct walkcache *c, int dfd, const char *rel,
		const char *path, struct stat *st,
		const struct walkcache_rec **rec)
{
	long i = rec_index(c, path);
	int rc = taken_ahead(c, i, st);

	if (rc == 1)
		rc = fstatat(dfd, rel, st, AT_SYMLINK_NOFOLLOW);
	*rec = rc == 0 ? unchanged(c, i, st) : NULL;
	return rc;
}

/* --- this run's records -------------------------------------------------- */

static bool
too_recent(const struct walkcache *c, const struct stat *st)
{
	return st->st_ctim.tv_sec < 0 ||
	       st->st_ctim.tv_sec + WALKCACHE_RACY_S >= c->now.tv_sec;
}

void
walkcache_put(struct walkcache *c, char kind, const char *path,
	      const struct stat *st, const char *entries, size_t len)
{
	struct walkcache_rec r;

	if (c == NULL || too_recent(c, st) || len == 0 ||
	    entries[len - 1] != '\0' || c->out_n >= WALKCACHE_MAX_RECORDS)
		return;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.dev = (uint64_t)st->st_dev;
	r.ino = (uint64_t)st->st_ino;
	r.ctime_s = (int64_t)st->st_ctim.tv_sec;
	r.ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	r.path = path;
	r.entries = entries;
	r.entries_len = len;
	walkcache_put_copy(c, &r);
}

int
walkcache_entry_add(struct buf *b, char kind, const char *name)
{
	if (buf_addch(b, kind) == -1 ||
	    buf_add(b, name, strlen(name) + 1) == -1)
		return -1;
	return 0;
}

/* Appends r to b whole, or nothing (false) when b is full. */
static bool
put_rec(const struct walkcache_rec *r, struct buf *b)
{
	size_t mark = b->len;

	/* A record from the file: the parser takes only the one way of
	 * writing each (no leading zeros), so its bytes are its rendering. */
	if (r->raw != NULL)
		return buf_add(b, r->raw, r->raw_len) == 0;
	if (buf_printf(b, "%c %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu32,
		       r->kind, r->dev, r->ino, r->ctime_s, r->ctime_ns) == 0 &&
	    buf_addch(b, '\0') == 0 &&
	    buf_add(b, r->path, strlen(r->path) + 1) == 0 &&
	    buf_add(b, r->entries, r->entries_len) == 0)
		return true;
	b->len = mark;
	if (b->p != NULL)
		b->p[mark] = '\0';
	return false;
}

void
walkcache_put_copy(struct walkcache *c, const struct walkcache_rec *r)
{
	if (c != NULL && c->out_n < WALKCACHE_MAX_RECORDS &&
	    put_rec(r, &c->out))
		c->out_n++;
}

void
walkcache_walked(struct walkcache *c, const char *root)
{
	if (c == NULL)
		return;
	c->walked = xreallocarray(c->walked, c->n_walked + 1,
				  sizeof(*c->walked));
	c->walked[c->n_walked++] = xstrdup(root);
}

/* --- the file ------------------------------------------------------------ */

static bool
below_walked(const struct walkcache *c, const char *path)
{
	return below_any(path, (const char *const *)c->walked, c->n_walked);
}

/* This run's records, then the old ones of directories it did not walk
 * (another workspace's) while there is room. */
static void
render_body(struct walkcache *c, struct buf *body)
{
	size_t i, n = c->out_n;

	buf_init(body, WALKCACHE_MAX_BYTES);
	if (c->out.len > 0)
		(void)buf_add(body, c->out.p, c->out.len);
	for (i = 0; i < c->n && n < WALKCACHE_MAX_RECORDS; i++) {
		if (c->recs[i].used || below_walked(c, c->recs[i].path))
			continue;
		if (!put_rec(&c->recs[i], body))
			break;
		n++;
	}
}

static char *
render_file(const struct buf *body, size_t *len)
{
	struct buf file;

	buf_init(&file, WALKCACHE_MAX_BYTES + 64);
	(void)buf_printf(&file, MAGIC "%zu %016" PRIx64 "\n", body->len,
			 fnv1a(body->p, body->len));
	if (body->len > 0)
		(void)buf_add(&file, body->p, body->len);
	return buf_detach(&file, len);
}

char *
walkcache_render(struct walkcache *c, size_t *len)
{
	struct buf body;
	char *text;

	render_body(c, &body);
	text = render_file(&body, len);
	buf_release(&body);
	return text;
}

/* Whether the file as loaded has body: then it would be written again
 * byte for byte (the same length and checksum in its header). */
static bool
same_body(const struct walkcache *c, const struct buf *body)
{
	const char *nl;

	if (c->text == NULL)
		return false;
	nl = memchr(c->text, '\n', c->text_len);
	return nl != NULL &&
	       (size_t)(c->text + c->text_len - (nl + 1)) == body->len &&
	       (body->len == 0 || memcmp(nl + 1, body->p, body->len) == 0);
}

static int
write_new(const char *file, const char *p, size_t n)
{
	char *tmp = xasprintf("%s.%ld", file, (long)getpid());
	int fd, rc = -1, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd >= 0) {
		rc = write_all(fd, p, n);
		if (close(fd) == -1)
			rc = -1;
		if (rc == 0)
			rc = rename(tmp, file);
	}
	saved = errno;
	if (rc == -1)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return rc;
}

int
walkcache_save(struct walkcache *c)
{
	char *text, *dir, *slash;
	struct buf body;
	size_t len;
	int rc = 0;

	if (c == NULL || c->file == NULL || c->saved)
		return 0;
	c->saved = true;
	render_body(c, &body);
	if (same_body(c, &body)) {
		buf_release(&body);
		return 0;
	}
	text = render_file(&body, &len);
	buf_release(&body);
	dir = xstrdup(c->file);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
	}
	free(dir);
	rc = write_new(c->file, text, len);
	free(text);
	return rc;
}
