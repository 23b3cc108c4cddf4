/* layers.c — finds, reads and parses the layers of DESIGN.md §4.2, then
 * hands them to conf_walk.c lowest precedence first, so a higher layer's
 * leaf replaces a lower one's (which is the recursive table merge). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config/approvals.h"
#include "config/conf_int.h"
#include "config/conf_rules_int.h"
#include "lib/base64.h"
#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/hostport.h"
#include "lib/xalloc.h"

#define MANAGED_PREFS "managed_preferences.toml"

/* Everything read so far, in precedence order lowest first. */
struct loader {
	struct layer *v;
	size_t n;
	struct toml_value *req_doc[2]; /* system file, then managed payload */
	char *req_label[2];
	char *project_dir;
	struct errbuf e;
};

/* --- URL checks -------------------------------------------------------- */

static int
is_ip_literal(const char *h)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, h, tmp) == 1 ||
	       inet_pton(AF_INET6, h, tmp) == 1;
}

/* The authority after the scheme into *hp (lib/hostport.h); NULL or a
 * reason. host gets a NUL-terminated heap copy of the host. */
static const char *
split_authority(const char *s, bool userinfo_ok, char **host,
		struct hostport *hp)
{
	const char *why = hostport_parse(s, strlen(s),
					 HOSTPORT_SLASH |
						 (userinfo_ok ? HOSTPORT_USERINFO
							      : 0),
					 hp);

	*host = why == NULL ? xstrndup(hp->host.p, hp->host.n) : NULL;
	return why;
}

const char *
conf_check_listener(const char *s)
{
	const char *why;
	char *host = NULL;
	struct hostport hp;

	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else if (strstr(s, "://") != NULL)
		return "scheme must be http";
	why = split_authority(s, false, &host, &hp);
	if (why == NULL && hp.port < 0)
		why = "missing port";
	if (why == NULL && strcasecmp(host, "localhost") != 0 &&
	    !is_ip_literal(host))
		why = "host must be an IP literal or localhost";
	free(host);
	return why;
}

const char *
conf_check_upstream(const char *s)
{
	static const char *const schemes[] = {"http://", "socks5://",
					      "socks5h://", NULL};
	const char *why;
	char *host = NULL;
	struct hostport hp;
	size_t i;

	if (*s == '\0')
		return NULL;
	for (i = 0; schemes[i] != NULL; i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (schemes[i] == NULL)
		return "scheme must be http, socks5 or socks5h";
	why = split_authority(s + strlen(schemes[i]), true, &host, &hp);
	if (why == NULL && hp.port == 0)
		why = "port must be 1..65535";
	free(host);
	return why;
}

/* --- parsing ------------------------------------------------------------ */

/* Copies every line of src into dst, each prefixed with prefix. */
static void
copy_lines(struct errbuf *dst, struct errbuf *src, const char *prefix)
{
	const char *p = errbuf_str(src), *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		errbuf_add(dst, "%s%.*s", prefix, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

static struct toml_value *
parse_doc(const char *label, const char *text, size_t n, struct errbuf *err)
{
	struct toml_value *doc;
	struct errbuf e;
	char *prefix;

	errbuf_init(&e);
	doc = toml_parse(text, n, &e);
	if (doc == NULL) {
		prefix = xasprintf("%s:", label);
		if (e.count == 0)
			errbuf_add(&e, "invalid TOML");
		copy_lines(err, &e, prefix);
		free(prefix);
	}
	errbuf_release(&e);
	return doc;
}

/* Reads and parses path. A missing file is fine unless must_exist; then
 * *doc stays NULL and 0 is returned. */
static int
read_doc(const char *path, bool must_exist, struct toml_value **doc,
	 struct errbuf *err)
{
	struct stat st;
	char *text;
	size_t n = 0;

	*doc = NULL;
	if (stat(path, &st) == -1 && errno == ENOENT && !must_exist)
		return 0;
	text = read_file_capped(path, TOML_MAX_BYTES, &n, err);
	if (text == NULL)
		return -1;
	*doc = parse_doc(path, text, n, err);
	free(text);
	return *doc ? 0 : -1;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Origins carry `:line` only for plain files: values from the managed
 * payload say "managed-preferences", from flags "-c". */
static struct layer *
add_layer(struct loader *ld, const char *label, const char *origin,
	  bool lines, const char *dir, struct toml_value *doc)
{
	struct layer *L;

	if (doc == NULL)
		return NULL;
	ld->v = xreallocarray(ld->v, ld->n + 1, sizeof(*ld->v));
	L = &ld->v[ld->n++];
	L->label = xstrdup(label);
	L->origin = xstrdup(origin);
	L->lines = lines;
	L->origin_lines = lines && strcmp(origin, label) == 0;
	L->dir = xstrdup(dir);
	L->doc = doc;
	L->additive = false;
	L->kind = LAYER_USER; /* conf_load marks project and managed ones */
	return L;
}

/* The layer read from path, or NULL when there is none. The pointer is
 * valid until the next add_layer(). */
static struct layer *
add_file_layer(struct loader *ld, const char *path, bool must_exist)
{
	struct toml_value *doc = NULL;
	struct layer *L;
	char *dir;

	if (read_doc(path, must_exist, &doc, &ld->e) == -1 || doc == NULL)
		return NULL;
	dir = dir_of(path);
	L = add_layer(ld, path, path, true, dir, doc);
	free(dir);
	return L;
}

/* --- -c overrides ------------------------------------------------------ */

/* Builds the TOML text `"a"."b" = VALUE` for "a.b=VALUE". VALUE is used as
 * written when it parses as a TOML value, else it is quoted as a string
 * (so `-c mode=full` works as Codex's does). */
static char *
override_text(const char *kv, size_t eq)
{
	struct toml_value *probe;
	const char *val = kv + eq + 1, *seg = kv, *dot;
	struct buf b;
	char *t;

	buf_init(&b, 2 * TOML_MAX_BYTES);
	while (seg < kv + eq) {
		dot = memchr(seg, '.', (size_t)(kv + eq - seg));
		if (dot == NULL)
			dot = kv + eq;
		if (seg != kv)
			buf_addch(&b, '.');
		buf_add_json_string(&b, seg, (size_t)(dot - seg));
		seg = dot + 1;
	}
	buf_addstr(&b, " = ");
	t = xasprintf("v = %s\n", val);
	probe = toml_parse(t, strlen(t), NULL);
	if (probe != NULL && probe->u.tab.n == 1)
		buf_addstr(&b, val);
	else
		buf_add_json_string(&b, val, strlen(val));
	buf_addch(&b, '\n');
	toml_free(probe);
	free(t);
	return buf_detach(&b, NULL);
}

static void
add_override(struct loader *ld, const char *kv, const char *cwd)
{
	const char *eq = strchr(kv, '=');
	struct toml_value *doc;
	char *text, *label;

	if (eq == NULL || eq == kv || kv[0] == '.' || eq[-1] == '.' ||
	    (strstr(kv, "..") != NULL && strstr(kv, "..") < eq)) {
		errbuf_add(&ld->e, "-c %s: expected key.path=value", kv);
		return;
	}
	text = override_text(kv, (size_t)(eq - kv));
	label = xasprintf("-c %.*s", (int)(eq - kv), kv);
	doc = parse_doc(label, text, strlen(text), &ld->e);
	add_layer(ld, "-c", "-c", false, cwd, doc);
	free(label);
	free(text);
}

/* --- managed preferences ------------------------------------------------ */

static void
add_managed_prefs(struct loader *ld, const char *system_dir)
{
	struct toml_value *doc = NULL, *inner;
	char *path = xasprintf("%s/" MANAGED_PREFS, system_dir), *label, *dec;
	size_t i, n;

	if (read_doc(path, false, &doc, &ld->e) == -1 || doc == NULL)
		goto out;
	for (i = 0; i < doc->u.tab.n; i++) {
		const struct toml_kv *kv = &doc->u.tab.items[i];
		bool is_req = strcmp(kv->key, "requirements_toml_base64") == 0;

		if (!is_req && strcmp(kv->key, "config_toml_base64") != 0) {
			errbuf_add(&ld->e, "%s:%d: %s: unknown key (expected "
				   "config_toml_base64 or "
				   "requirements_toml_base64)",
				   path, kv->line, kv->key);
			continue;
		}
		if (kv->val->type != TOML_STRING) {
			errbuf_add(&ld->e, "%s:%d: %s: expected a string, got "
				   "%s", path, kv->line, kv->key,
				   toml_type_name(kv->val->type));
			continue;
		}
		dec = base64_decode(kv->val->u.str.s, kv->val->u.str.len, &n);
		if (dec == NULL) {
			errbuf_add(&ld->e, "%s:%d: %s: invalid base64", path,
				   kv->line, kv->key);
			continue;
		}
		label = xasprintf("%s[%s]", path, kv->key);
		inner = parse_doc(label, dec, n, &ld->e);
		if (inner != NULL && is_req) {
			toml_free(ld->req_doc[1]);
			free(ld->req_label[1]);
			ld->req_doc[1] = inner;
			ld->req_label[1] = xstrdup(label);
		} else if (inner != NULL) {
			add_layer(ld, label, "managed-preferences", true,
				  system_dir, inner);
		}
		free(label);
		free(dec);
	}
out:
	toml_free(doc);
	free(path);
}

/* --- project trust ------------------------------------------------------ */

static bool
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The nearest ancestor of cwd (cwd included) holding .airlock/config.toml,
 * skipping the user config itself (AIRLOCK_HOME may be ~/.airlock). */
static char *
find_project(const char *cwd, const char *user_file)
{
	char *dir = xstrdup(cwd), *cand, *slash;

	for (;;) {
		cand = xasprintf("%s/.airlock/config.toml",
				 strcmp(dir, "/") == 0 ? "" : dir);
		if (is_file(cand) && !same_file(cand, user_file)) {
			free(cand);
			return dir;
		}
		free(cand);
		slash = strrchr(dir, '/');
		if (slash == NULL || strcmp(dir, "/") == 0)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(dir);
	return NULL;
}

/* Length of the path prefix key matches in dir, or 0. */
static size_t
covers(const char *key, const char *dir)
{
	size_t n = strlen(key);

	while (n > 1 && key[n - 1] == '/')
		n--;
	if (n == 1 && key[0] == '/')
		return 1;
	if (strncmp(key, dir, n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
		return n;
	return 0;
}

/* Whether the user layer marks dir (or its nearest listed ancestor)
 * trusted. Only the user layer can grant trust. */
static bool
user_trusts(const struct toml_value *user, const char *dir)
{
	const struct toml_value *projects = user ? toml_get(user, "projects")
						 : NULL;
	const struct toml_value *tl;
	const char *best = NULL;
	size_t i, n, bestn = 0;

	if (projects == NULL || projects->type != TOML_TABLE)
		return false;
	for (i = 0; i < projects->u.tab.n; i++) {
		const struct toml_kv *kv = &projects->u.tab.items[i];

		if (kv->key[0] != '/' || kv->val->type != TOML_TABLE)
			continue;
		tl = toml_get(kv->val, "trust_level");
		n = covers(kv->key, dir);
		if (n > bestn && tl != NULL && tl->type == TOML_STRING) {
			bestn = n;
			best = tl->u.str.s;
		}
	}
	return best != NULL && strcmp(best, "trusted") == 0;
}

static void
add_project(struct loader *ld, const struct conf_opts *o,
	    const char *user_file, const struct toml_value *user,
	    struct errbuf *warn)
{
	char *dir = find_project(o->cwd, user_file), *path;

	if (dir == NULL)
		return;
	path = xasprintf("%s/.airlock/config.toml",
			 strcmp(dir, "/") == 0 ? "" : dir);
	if (user_trusts(user, dir)) {
		add_file_layer(ld, path, true);
		ld->project_dir = dir;
		dir = NULL;
	} else {
		errbuf_add(warn, "ignoring %s: the project %s is not trusted "
			   "(to trust it, set [projects.\"%s\"] trust_level = "
			   "\"trusted\" in %s)", path, dir, dir, user_file);
	}
	free(path);
	free(dir);
}

/* --- assembling ---------------------------------------------------------- */

/* Layers from index `from` on are of kind k (request rules care). */
static void
mark_layers(struct loader *ld, size_t from, enum layer_kind k)
{
	for (; from < ld->n; from++)
		ld->v[from].kind = k;
}

static void
loader_release(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->n; i++) {
		free(ld->v[i].label);
		free(ld->v[i].origin);
		free(ld->v[i].dir);
		toml_free(ld->v[i].doc);
	}
	free(ld->v);
	for (i = 0; i < 2; i++) {
		toml_free(ld->req_doc[i]);
		free(ld->req_label[i]);
	}
	free(ld->project_dir);
	errbuf_release(&ld->e);
}

/* Walks the layers into a fresh conf, merges requirements, and applies
 * them; NULL with every problem in err when anything was wrong. */
static struct conf *
loader_finish(struct loader *ld, bool partial, struct errbuf *warn,
	      struct errbuf *err)
{
	struct conf *c = conf_new_defaults();
	size_t i;

	for (i = 0; i < ld->n; i++)
		conf_walk_layer(c, &ld->v[i], &ld->e);
	for (i = 0; i < 2; i++)
		if (ld->req_doc[i] != NULL)
			requirements_merge(&c->req, ld->req_doc[i],
					   ld->req_label[i], &ld->e);
	conf_rules_finish(c, warn, &ld->e);
	if (ld->e.count > 0) {
		copy_lines(err, &ld->e, "");
		if (!partial) {
			conf_free(c);
			return NULL;
		}
	}
	c->project_dir = ld->project_dir;
	ld->project_dir = NULL;
	conf_derive_managed_requirements(c);
	conf_apply_requirements(c, warn);
	return c;
}

static struct conf *
load(const struct conf_opts *o, bool partial, struct errbuf *warn,
     struct errbuf *err)
{
	struct toml_value *user = NULL;
	struct loader ld;
	struct conf *c;
	char *user_file, *p;
	size_t i, first;

	memset(&ld, 0, sizeof(ld));
	errbuf_init(&ld.e);
	if (o->quiet)
		warn = NULL;
	user_file = o->config_file ? xstrdup(o->config_file)
				   : xasprintf("%s/config.toml", o->home);
	p = xasprintf("%s/config.toml", o->system_dir);
	add_file_layer(&ld, p, false);
	free(p);
	/* The user layer is read before the project one (trust lives in it)
	 * but must sit above it: read it, then slot it in after. */
	read_doc(user_file, o->config_file != NULL, &user, &ld.e);
	first = ld.n;
	add_project(&ld, o, user_file, user, warn);
	mark_layers(&ld, first, LAYER_PROJECT);
	if (user != NULL) {
		p = dir_of(user_file);
		add_layer(&ld, user_file, user_file, true, p, user);
		free(p);
	}
	for (i = 0; i < o->n_overrides; i++)
		add_override(&ld, o->overrides[i], o->cwd);
	/* The approvals a person answered "always": above the user layer and
	 * the flags (whose lists they join rather than replace), below
	 * managed config (config/approvals.h). */
	p = approvals_path(o->home);
	first = ld.n;
	add_file_layer(&ld, p, false);
	if (ld.n > first)
		ld.v[first].additive = true;
	free(p);
	p = xasprintf("%s/managed_config.toml", o->system_dir);
	first = ld.n;
	add_file_layer(&ld, p, false);
	free(p);
	add_managed_prefs(&ld, o->system_dir);
	mark_layers(&ld, first, LAYER_MANAGED);
	p = xasprintf("%s/requirements.toml", o->system_dir);
	if (read_doc(p, false, &ld.req_doc[0], &ld.e) == 0 && ld.req_doc[0])
		ld.req_label[0] = xstrdup(p);
	free(p);
	c = loader_finish(&ld, partial, warn, err);
	loader_release(&ld);
	free(user_file);
	return c;
}

struct conf *
conf_load(const struct conf_opts *o, struct errbuf *warn, struct errbuf *err)
{
	return load(o, false, warn, err);
}

struct conf *
conf_load_partial(const struct conf_opts *o, struct errbuf *warn,
		  struct errbuf *err)
{
	return load(o, true, warn, err);
}

struct conf *
conf_load_text(const char *config_text, size_t n, const char *req_text,
	       size_t rn, struct errbuf *warn, struct errbuf *err)
{
	struct loader ld;
	struct conf *c;

	memset(&ld, 0, sizeof(ld));
	errbuf_init(&ld.e);
	add_layer(&ld, "<config>", "<config>", true, "/",
		  parse_doc("<config>", config_text, n, &ld.e));
	if (req_text != NULL) {
		ld.req_doc[0] = parse_doc("<requirements>", req_text, rn,
					  &ld.e);
		ld.req_label[0] = xstrdup("<requirements>");
	}
	c = loader_finish(&ld, false, warn, err);
	loader_release(&ld);
	return c;
}
