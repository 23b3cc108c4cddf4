/* run.c — `airlock run [options] -- CMD...`: argv and config → a sandbox
 * plan, checked against requirements, then launched. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "config/conf_rules.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/xalloc.h"
#include "policy/netpolicy.h"
#include "sandbox/childenv.h"
#include "sandbox/input.h"
#include "sandbox/launch.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"
#include "sandbox/workspace.h"

extern char **environ;

static const char usage_text[] =
	"usage: airlock run [options] [--] CMD [ARGS...]\n"
	"\n"
	"Runs CMD in a sandbox whose network is off unless granted; when "
	"granted,\n"
	"an embedded proxy enforces the allowlist, the denylist and the "
	"mode.\n"
	"\n"
	"  -s, --sandbox MODE   read-only | workspace-write | "
	"danger-full-access\n"
	"  --network            grant network through the proxy "
	"(overrides\n"
	"                       sandbox_workspace_write.network_access)\n"
	"  --no-network         no network at all\n"
	"  --mode MODE          limited | full (permissions.network.mode)\n"
	"  --allow PATTERN      also allow PATTERN (repeatable)\n"
	"  --deny PATTERN       also deny PATTERN (repeatable)\n"
	"  -C DIR               run in DIR (the workspace)\n"
	"  --allow-broad-workspace\n"
	"                       let / or your home directory be the "
	"workspace\n"
	"  --print-plan         print the steps the sandbox will apply, "
	"then exit\n"
	"\n"
	"Exit status: the command's own (128+signal when killed); 125 when "
	"the\n"
	"sandbox cannot be set up; 2 for usage or configuration errors.\n";

struct run_args {
	const char *sandbox;  /* -s, or NULL */
	int network;          /* -1 from config, 0 / 1 from a flag */
	const char *mode;     /* --mode, or NULL */
	const char **allow, **deny;
	size_t n_allow, n_deny;
	const char *dir;      /* -C */
	bool allow_broad;     /* --allow-broad-workspace */
	bool print_plan;
	char **argv;          /* the command */
};

static void
push(const char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* The value of `--opt VALUE` / `--opt=VALUE` / `-s VALUE`, or NULL. */
static const char *
opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "airlock: run: %s needs a value\n", name);
			return "";
		}
		return argv[++*i];
	}
	if (name[1] == '-' && strncmp(argv[*i], name, n) == 0 &&
	    argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}

static int
parse_one(struct run_args *a, int argc, char **argv, int *i)
{
	const char *v;

	if ((v = opt_value(argc, argv, i, "-s")) != NULL ||
	    (v = opt_value(argc, argv, i, "--sandbox")) != NULL)
		a->sandbox = v;
	else if ((v = opt_value(argc, argv, i, "--mode")) != NULL)
		a->mode = v;
	else if ((v = opt_value(argc, argv, i, "--allow")) != NULL)
		push(&a->allow, &a->n_allow, v);
	else if ((v = opt_value(argc, argv, i, "--deny")) != NULL)
		push(&a->deny, &a->n_deny, v);
	else if ((v = opt_value(argc, argv, i, "-C")) != NULL)
		a->dir = v;
	else if (strcmp(argv[*i], "--network") == 0)
		a->network = 1;
	else if (strcmp(argv[*i], "--no-network") == 0)
		a->network = 0;
	else if (strcmp(argv[*i], "--print-plan") == 0)
		a->print_plan = true;
	else if (strcmp(argv[*i], "--allow-broad-workspace") == 0)
		a->allow_broad = true;
	else {
		fprintf(stderr, "airlock: run: unknown option %s\n%s", argv[*i],
			usage_text);
		return -1;
	}
	return v != NULL && *v == '\0' ? -1 : 0;
}

static int
parse_args(int argc, char **argv, struct conf_opts *o, struct run_args *a)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-')
			break;
		rc = common_option(o, argc, argv, &i);
		if (rc == -1)
			return -1;
		if (rc == 0 && parse_one(a, argc, argv, &i) == -1)
			return -1;
	}
	if (i >= argc) {
		fprintf(stderr, "airlock: run: no command given\n%s",
			usage_text);
		return -1;
	}
	a->argv = argv + i;
	return 0;
}

/* A flag that requirements refuse is an error naming the requirement. */
static int
check_flag(const struct conf *c, const char *flag, const char *key,
	   const char *value)
{
	struct errbuf err;
	int rc;

	errbuf_init(&err);
	rc = requirements_check_change(conf_requirements(c), key, value, &err);
	if (rc == -1)
		fprintf(stderr, "airlock: run: %s %s refused: %s\n", flag, value,
			errbuf_first(&err));
	errbuf_release(&err);
	return rc;
}

static int
check_flags(const struct conf *c, const struct run_args *a)
{
	if (a->sandbox != NULL &&
	    check_flag(c, "--sandbox", "sandbox_mode", a->sandbox) == -1)
		return -1;
	if (a->mode != NULL &&
	    check_flag(c, "--mode", "permissions.network.mode", a->mode) == -1)
		return -1;
	if (a->network == 1 &&
	    check_flag(c, "--network", "sandbox_workspace_write.network_access",
		       "true") == -1)
		return -1;
	if (a->mode != NULL && strcmp(a->mode, "limited") != 0 &&
	    strcmp(a->mode, "full") != 0) {
		fprintf(stderr, "airlock: run: --mode %s: expected limited or "
				"full\n",
			a->mode);
		return -1;
	}
	return 0;
}

/* `/`, $HOME, system directories are no workspace (sandbox/workspace.h). */
static int
check_workspace(const struct conf_opts *o, const struct conf *c,
		const struct run_args *a, const struct sandbox_plan *p)
{
	struct workspace_opts wo = {0};
	struct errbuf err;
	int rc;

	wo.airlock_home = o->home;
	wo.req = conf_requirements(c);
	wo.writable = p->fs == SANDBOX_FS_WORKSPACE_WRITE;
	wo.allow_broad = a->allow_broad;
	wo.hint = "run it from a project directory or pass -C DIR";
	wo.broad_flag = true;
	errbuf_init(&err);
	rc = workspace_check(p->cwd ? p->cwd : o->cwd, &wo, &err);
	if (rc == -1)
		fprintf(stderr, "airlock: run: %s\n", errbuf_first(&err));
	errbuf_release(&err);
	return rc;
}

static int
print_plan(const struct sandbox_plan *p)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	sandbox_plan_format(p, &b);
	fputs(b.p, stdout);
	buf_release(&b);
	return 0;
}

static int
launch(const struct conf_opts *o, const struct conf *c,
       const struct run_args *a, const struct sandbox_plan *p)
{
	struct netpolicy_extra extra = {0};
	struct sandbox_launch_opts lo = {0};
	const char **secret_vars;
	struct errbuf err;
	char *bundle, **env;
	size_t nvars;
	int rc;

	if (p->fs != SANDBOX_FS_FULL_ACCESS && p->landlock_abi < 1) {
		fputs("airlock: error: run: Landlock is not available in this "
		      "kernel; refusing to run without a sandbox. Enable it: "
		      "a kernel with CONFIG_SECURITY_LANDLOCK=y booted with "
		      "`lsm=landlock,...` in its command line\n",
		      stderr);
		return 125;
	}
	extra.allow = a->allow;
	extra.n_allow = a->n_allow;
	extra.deny = a->deny;
	extra.n_deny = a->n_deny;
	extra.mode = a->mode;
	lo.plan = p;
	lo.conf = o;
	lo.extra = &extra;
	lo.allow_local_binding =
		conf_bool(c, "permissions.network.allow_local_binding");
	/* Variables that hold request-rule secrets never reach the child. */
	secret_vars = conf_request_env_vars(c, &nvars);
	env = childenv_without_secrets((const char *const *)environ,
				       secret_vars, nvars);
	free(secret_vars);
	lo.envp = env;
	errbuf_init(&err);
	bundle = sandbox_ca_bundle(o->home, p,
				   a->mode ? a->mode
					   : conf_str(c, "permissions.network.mode"),
				   &err);
	if (err.count > 0) {
		fprintf(stderr, "airlock: error: run: TLS interception: %s\n",
			errbuf_str(&err));
		errbuf_release(&err);
		childenv_free_array(env);
		return 125;
	}
	errbuf_release(&err);
	lo.ca_bundle = bundle;
	rc = sandbox_launch(&lo);
	free(bundle);
	childenv_free_array(env);
	return rc;
}

static int
run(struct conf_opts *o, const struct run_args *a)
{
	struct sandbox_probe probe;
	struct sandbox_input in;
	struct sandbox_plan p;
	struct conf *c = NULL;
	struct errbuf err;
	int rc;

	rc = common_load_conf(o, &c);
	if (rc != 0)
		return rc;
	errbuf_init(&err);
	rc = 2;
	if (check_flags(c, a) == -1)
		goto out;
	sandbox_input_from_conf(&in, c, a->sandbox, a->network, o->cwd, a->argv,
				&err);
	sandbox_probe_disk(&probe);
	if (err.count > 0 || sandbox_plan_build(&in, &probe, &p, &err) == -1) {
		common_print_lines(&err, "airlock: run: ");
		goto out;
	}
	if (check_workspace(o, c, a, &p) == -1) {
		sandbox_plan_release(&p);
		goto out;
	}
	rc = a->print_plan ? print_plan(&p) : launch(o, c, a, &p);
	sandbox_plan_release(&p);
out:
	errbuf_release(&err);
	conf_free(c);
	return rc;
}

/* -C DIR: the workspace; config is looked up from there too. */
static int
enter_dir(struct conf_opts *o, const char *dir)
{
	char *real;

	if (chdir(dir) == -1 || (real = realpath(".", NULL)) == NULL) {
		perror("airlock: run: -C");
		return -1;
	}
	free(o->cwd);
	o->cwd = real;
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct conf_opts o;
	int rc = 2;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		printf("%s\n%s", usage_text, COMMON_USAGE);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.network = -1;
	conf_opts_init(&o);
	if (parse_args(argc, argv, &o, &a) == 0 &&
	    (a.dir == NULL || enter_dir(&o, a.dir) == 0))
		rc = run(&o, &a);
	conf_opts_release(&o);
	free(a.allow);
	free(a.deny);
	return rc;
}
