/* hidden.c — the paths a run hides from the command. See hidden.h. */
#include "sandbox/hidden.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "proxy/admin_token.h"
#include "proxy/ca.h"
#include "sandbox/protect.h"

const char *const hidden_defaults[] = {
	".ssh", ".aws", ".azure", ".config/gcloud", ".kube",
	".docker/config.json", ".gnupg", ".netrc", ".git-credentials",
	".config/gh/hosts.yml", ".pypirc", ".npmrc", ".cargo/credentials.toml",
	".terraform.d/credentials.tfrc.json", NULL};

/* Why a path is hidden, for --print-plan and the workspace refusal. */
static const char WHY_HOME[] = "AIRLOCK_HOME";
static const char WHY_AIRLOCK[] = "airlock's key or token";
static const char WHY_DEFAULT[] =
	"a default credential location: sandbox.hidden_paths_defaults";
static const char WHY_CONFIG[] = "sandbox.hidden_paths";
static const char WHY_SECRET[] = "a request action's secret file";

/* The app-server's capability token in AIRLOCK_HOME (cmd/app_server.c,
 * a layer above this one, writes it). */
#define APP_SERVER_TOKEN_FILE "app-server.token"

struct hide {
	char *path;
	const char *why;
};

struct collect {
	struct hide *v;
	size_t n;
	bool full; /* more than HIDDEN_MAX were asked for */
};

static void
push(struct collect *c, char *path, const char *why)
{
	size_t i;

	if (path == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].path, path) == 0) {
			free(path);
			return;
		}
	}
	if (c->n >= HIDDEN_MAX) {
		c->full = true;
		free(path);
		return;
	}
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].path = path;
	c->v[c->n++].why = why;
}

/* An existing path, its symbolic links resolved; skipped when missing. */
static void
push_existing(struct collect *c, const struct sandbox_probe *pr,
	      const char *path, const char *why)
{
	push(c, pr->resolve(pr->arg, path), why);
}

/* AIRLOCK_HOME, and the secrets in it where they really are; kept when
 * missing (airlock may create them before the run starts). Returns the
 * canonical home (heap), or NULL. */
static char *
hide_airlock_home(struct collect *c, const struct sandbox_input *in,
		  const struct sandbox_probe *pr)
{
	static const char *const secrets[] = {
		"proxy/" CA_KEY_FILE, ADMIN_TOKEN_FILE, APP_SERVER_TOKEN_FILE,
		NULL};
	char *home, *s;
	size_t i;

	if (in->home == NULL)
		return NULL;
	home = protect_resolve_partial(pr, in->home);
	if (home == NULL)
		return NULL;
	push(c, xstrdup(home), WHY_HOME);
	for (i = 0; secrets[i] != NULL; i++) {
		s = xasprintf("%s/%s", in->home, secrets[i]);
		push(c, protect_resolve_partial(pr, s), WHY_AIRLOCK);
		free(s);
	}
	return home;
}

/* `~` or `~/rest` under home; anything else as it is. */
static char *
expand(const char *path, const char *home)
{
	if (strcmp(path, "~") == 0)
		return xstrdup(home);
	if (strncmp(path, "~/", 2) == 0)
		return xasprintf("%s/%s", strcmp(home, "/") == 0 ? "" : home,
				 path + 2);
	return xstrdup(path);
}

/* One configured path, under each home when it starts with `~`. */
static void
push_configured(struct collect *c, const struct sandbox_input *in,
		const struct sandbox_probe *pr, const char *path,
		const char *why)
{
	size_t i;
	char *e;

	if (path[0] == '/') {
		push_existing(c, pr, path, why);
		return;
	}
	if (path[0] != '~')
		return; /* the config layer refuses these */
	for (i = 0; i < in->n_user_homes; i++) {
		e = expand(path, in->user_homes[i]);
		push_existing(c, pr, e, why);
		free(e);
	}
}

static void
collect_all(struct collect *c, const struct sandbox_input *in,
	    const struct sandbox_probe *pr)
{
	size_t i;
	char *p;

	for (i = 0; in->hidden_defaults && hidden_defaults[i] != NULL; i++) {
		p = xasprintf("~/%s", hidden_defaults[i]);
		push_configured(c, in, pr, p, WHY_DEFAULT);
		free(p);
	}
	for (i = 0; i < in->n_hidden_paths; i++)
		push_configured(c, in, pr, in->hidden_paths[i], WHY_CONFIG);
	for (i = 0; i < in->n_secret_files; i++)
		push_configured(c, in, pr, in->secret_files[i], WHY_SECRET);
}

/* Parents first, so that nested paths follow what covers them. */
static int
cmp_hide(const void *a, const void *b)
{
	const struct hide *x = a, *y = b;
	size_t dx = protect_depth(x->path), dy = protect_depth(y->path);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Moves what c holds into p, dropping paths inside another hidden one. */
static void
take(struct sandbox_plan *p, struct collect *c)
{
	size_t i, j;

	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cmp_hide);
	p->hidden = xcalloc(c->n + 1, sizeof(*p->hidden));
	p->hidden_why = xcalloc(c->n + 1, sizeof(*p->hidden_why));
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < p->n_hidden; j++)
			if (protect_under(p->hidden[j], c->v[i].path))
				break;
		if (j < p->n_hidden) {
			free(c->v[i].path);
			continue;
		}
		p->hidden[p->n_hidden] = c->v[i].path;
		p->hidden_why[p->n_hidden++] = c->v[i].why;
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* The command cannot work where it cannot look. */
static int
check_workspace(const struct sandbox_plan *p, const struct sandbox_input *in,
		const struct sandbox_probe *pr, struct errbuf *err)
{
	char *cwd = pr->resolve(pr->arg, in->cwd);
	const char *w = cwd != NULL ? cwd : in->cwd;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_hidden && rc == 0; i++) {
		if (!protect_under(p->hidden[i], w))
			continue;
		errbuf_add(err,
			   "run: the workspace %s lies inside %s, which "
			   "sandboxed commands may not read (%s): run from "
			   "another directory",
			   w, p->hidden[i], p->hidden_why[i]);
		rc = -1;
	}
	free(cwd);
	return rc;
}

int
hidden_collect(struct sandbox_plan *p, const struct sandbox_input *in,
	       const struct sandbox_probe *pr, struct errbuf *err)
{
	struct collect c = {NULL, 0, false};
	char *home = hide_airlock_home(&c, in, pr), *dir, *bundle;
	size_t i;

	collect_all(&c, in, pr);
	if (c.full) {
		for (i = 0; i < c.n; i++)
			free(c.v[i].path);
		free(c.v);
		free(home);
		errbuf_add(err, "run: more than %d paths to hide: see "
				"sandbox.hidden_paths",
			   HIDDEN_MAX);
		return -1;
	}
	take(p, &c);
	/* The command trusts the CA bundle (childenv.h): it comes back,
	 * read-only, inside the mask over AIRLOCK_HOME (or over a hidden
	 * directory holding it). */
	if (home != NULL && p->net == SANDBOX_NET_PROXY) {
		dir = ca_dir_for_home(home);
		bundle = xasprintf("%s/%s", dir, CA_BUNDLE_FILE);
		for (i = 0; i < p->n_hidden; i++)
			if (protect_under(p->hidden[i], bundle))
				break;
		if (i < p->n_hidden)
			protect_push(&p->reveal, &p->n_reveal, bundle, 1);
		else
			free(bundle);
		free(dir);
	}
	free(home);
	return check_workspace(p, in, pr, err);
}
