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
#include "sandbox/setup.h"
#include "sandbox/walkahead.h"
#include "sandbox/walkcache.h"
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
	"  --setup 'CMD'        first run the shell command line CMD in a "
	"sandbox\n"
	"                       of its own with the setup network policy\n"
	"                       (repeatable; replaces setup.commands)\n"
	"  -a, --approval-policy POLICY\n"
	"                       untrusted | on-request | never: whether an "
	"allowlist\n"
	"                       miss is put to you (approval_policy, for "
	"this run)\n"
	"  -C DIR               run in DIR (the workspace)\n"
	"  --allow-broad-workspace\n"
	"                       let / or your home directory be the "
	"workspace\n"
	"  --print-plan         print the steps the sandbox will apply, "
	"then exit\n"
	"\n"
	"--allow, --deny and --mode need --network. --allow, --mode, "
	"--network and\n"
	"--sandbox apply to CMD only (setup commands follow the [setup] "
	"config\n"
	"table); --deny applies to both. A flag that requirements.toml "
	"forbids, or\n"
	"that contradicts a value the managed config sets, is refused.\n"
	"\n"
	"Exit status: the command's own (128+signal when killed), or that of "
	"the\n"
	"first setup command that failed (then CMD does not run); 125 when "
	"the\n"
	"sandbox cannot be set up; 2 for usage or configuration errors.\n";

struct run_args {
	const char *sandbox;  /* -s, or NULL */
	int network;          /* -1 from config, 0 / 1 from a flag */
	const char *mode;     /* --mode, or NULL */
	const char *approval; /* -a, or NULL */
	char *approval_override; /* `approval_policy="..."` for the config */
	const char **allow, **deny, **setup;
	size_t n_allow, n_deny, n_setup;
	const char *dir;      /* -C */
	bool allow_broad;     /* --allow-broad-workspace */
	bool print_plan;
	bool help;
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
	else if ((v = opt_value(argc, argv, i, "-a")) != NULL ||
		 (v = opt_value(argc, argv, i, "--approval-policy")) != NULL)
		a->approval = v;
	else if ((v = opt_value(argc, argv, i, "--allow")) != NULL)
		push(&a->allow, &a->n_allow, v);
	else if ((v = opt_value(argc, argv, i, "--deny")) != NULL)
		push(&a->deny, &a->n_deny, v);
	else if ((v = opt_value(argc, argv, i, "--setup")) != NULL)
		push(&a->setup, &a->n_setup, v);
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
	else if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0)
		a->help = true;
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
	if (a->help)
		return 0;
	if (i >= argc) {
		fprintf(stderr, "airlock: run: no command given\n%s",
			usage_text);
		return -1;
	}
	a->argv = argv + i;
	return 0;
}

/* A flag is refused when requirements forbid its value, or when a managed
 * layer sets its key to another value (managed config beats the user);
 * the message names the requirement or the managed file. */
static int
check_flag(const struct conf *c, const char *flag, const char *key,
	   const char *value)
{
	struct errbuf err;
	int rc;

	errbuf_init(&err);
	rc = requirements_check_change(conf_requirements(c), key, value, &err);
	if (rc == 0)
		rc = conf_check_override(c, key, value, &err);
	if (rc == -1)
		fprintf(stderr, "airlock: run: %s refused: %s\n", flag,
			errbuf_first(&err));
	errbuf_release(&err);
	return rc;
}

static int
check_valued_flag(const struct conf *c, const char *flag, const char *key,
		  const char *value)
{
	char *text = xasprintf("%s %s", flag, value);
	int rc = check_flag(c, text, key, value);

	free(text);
	return rc;
}

/* --setup replaces setup.commands: a managed list stands unless repeated
 * exactly. */
static int
check_setup_flags(const struct conf *c, const struct run_args *a)
{
	struct errbuf err;
	size_t i;
	int rc;

	if (a->n_setup == 0)
		return 0;
	for (i = 0; i < a->n_setup; i++)
		if (a->setup[i][0] == '\0') {
			fprintf(stderr, "airlock: run: --setup needs a command "
					"line\n");
			return -1;
		}
	errbuf_init(&err);
	rc = conf_check_override_list(c, "setup.commands", a->setup,
				      a->n_setup, &err);
	if (rc == -1)
		fprintf(stderr, "airlock: run: --setup refused: %s\n",
			errbuf_first(&err));
	errbuf_release(&err);
	return rc;
}

/* --deny only narrows the policy, so a managed denylist does not refuse
 * it; --allow widens it and must not get past a managed allowlist. */
static int
check_flags(const struct conf *c, const struct run_args *a)
{
	size_t i;

	if (a->mode != NULL && strcmp(a->mode, "limited") != 0 &&
	    strcmp(a->mode, "full") != 0) {
		fprintf(stderr, "airlock: run: --mode %s: expected limited or "
				"full\n",
			a->mode);
		return -1;
	}
	if (a->approval != NULL && strcmp(a->approval, "untrusted") != 0 &&
	    strcmp(a->approval, "on-request") != 0 &&
	    strcmp(a->approval, "never") != 0) {
		fprintf(stderr, "airlock: run: --approval-policy %s: expected "
				"untrusted, on-request or never\n",
			a->approval);
		return -1;
	}
	if (a->approval != NULL &&
	    check_valued_flag(c, "--approval-policy", "approval_policy",
			      a->approval) == -1)
		return -1;
	if (a->sandbox != NULL &&
	    check_valued_flag(c, "--sandbox", "sandbox_mode", a->sandbox) == -1)
		return -1;
	if (a->mode != NULL &&
	    check_valued_flag(c, "--mode", "permissions.network.mode",
			      a->mode) == -1)
		return -1;
	if (a->network != -1 &&
	    check_flag(c, a->network ? "--network" : "--no-network",
		       "sandbox_workspace_write.network_access",
		       a->network ? "true" : "false") == -1)
		return -1;
	for (i = 0; i < a->n_allow; i++)
		if (check_valued_flag(c, "--allow",
				      "permissions.network.allowed_domains",
				      a->allow[i]) == -1)
			return -1;
	return check_setup_flags(c, a);
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

/* The permissions.network keys that act with the network off too: the
 * unix sockets the sandbox may reach. */
static bool
applies_offline(const char *key)
{
	return strncmp(key, "unix_sockets", 12) == 0 ||
	       strncmp(key, "dangerously_allow_all_unix_sockets", 34) == 0;
}

/* The network options of this run that a sandbox without network (or
 * danger-full-access, which has no proxy) ignores: said once, so that
 * `--allow x` without `--network` is not a silent no-op. */
static void
warn_ignored_network_flags(const struct conf_opts *o, const struct run_args *a,
			   const struct sandbox_plan *p)
{
	struct buf b;
	size_t i;

	if (p->net == SANDBOX_NET_PROXY)
		return;
	buf_init(&b, 4096);
	if (a->n_allow > 0)
		buf_addstr(&b, ", --allow");
	if (a->n_deny > 0)
		buf_addstr(&b, ", --deny");
	if (a->mode != NULL)
		buf_addstr(&b, ", --mode");
	for (i = 0; i < o->n_overrides; i++)
		if (strncmp(o->overrides[i], "permissions.network.", 20) == 0 &&
		    !applies_offline(o->overrides[i] + 20))
			buf_printf(&b, ", -c %.*s",
				   (int)strcspn(o->overrides[i], "="),
				   o->overrides[i]);
	if (b.len > 0)
		fprintf(stderr, "airlock: run: warning: %s %s no effect %s\n",
			b.p + 2, strchr(b.p + 2, ',') ? "have" : "has",
			p->net == SANDBOX_NET_HOST
				? "in danger-full-access (no proxy)"
				: "without --network");
	buf_release(&b);
}

/* With the network granted, an allow entry naming the loopback without a
 * port is refused: inside, the loopback is the command's own. */
static int
check_loopback_entries(const struct conf *c, const struct run_args *a)
{
	struct netpolicy_extra extra = {0};
	struct errbuf err;
	int rc;

	extra.allow = a->allow;
	extra.n_allow = a->n_allow;
	errbuf_init(&err);
	rc = netpolicy_check_loopback(c, &extra, &err);
	if (rc == -1)
		common_print_lines(&err, "airlock: run: ");
	errbuf_release(&err);
	return rc;
}

/* The whole network config is checked on every run, with the network on
 * or off, so that a bad pattern is found before the day it matters. */
static int
check_network_config(const struct conf *c, const struct run_args *a)
{
	struct netpolicy_extra extra = {0};
	struct errbuf err;
	int rc;

	extra.allow = a->allow;
	extra.n_allow = a->n_allow;
	extra.deny = a->deny;
	extra.n_deny = a->n_deny;
	extra.mode = a->mode;
	errbuf_init(&err);
	rc = netpolicy_validate(c, &extra, &err);
	if (rc == 0) {
		/* The setup phase's too: the same deny flags, its own lists. */
		memset(&extra, 0, sizeof(extra));
		extra.deny = a->deny;
		extra.n_deny = a->n_deny;
		extra.setup = true;
		rc = netpolicy_validate(c, &extra, &err);
	}
	if (rc == -1)
		common_print_lines(&err, "airlock: run: ");
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

static bool
landlock_missing(const struct sandbox_plan *p)
{
	if (p->fs == SANDBOX_FS_FULL_ACCESS || p->landlock_abi >= 1)
		return false;
	fputs("airlock: error: run: Landlock is not available in this "
	      "kernel; refusing to run without a sandbox. Enable it: "
	      "a kernel with CONFIG_SECURITY_LANDLOCK=y booted with "
	      "`lsm=landlock,...` in its command line\n",
	      stderr);
	return true;
}

/* airlock's environment without the variables that hold request-rule
 * secrets: they never reach a sandbox. */
static char **
run_env(const struct conf *c)
{
	const char **secret_vars;
	size_t nvars;
	char **env;

	secret_vars = conf_request_env_vars(c, &nvars);
	env = childenv_without_secrets((const char *const *)environ,
				       secret_vars, nvars);
	free(secret_vars);
	return env;
}

/* Whether this run's proxy may put an allowlist miss to a person: the
 * config's approval policy, or -a's (already checked against the
 * requirements), with the proxy enabled. */
static bool
may_ask(const struct conf *c, const struct run_args *a)
{
	return conf_bool(c, "permissions.network.enabled") &&
	       netpolicy_may_ask_as(c, a->approval, NULL);
}

/* One sandbox, to its end: its exit status for airlock. */
static int
launch_one(const struct conf_opts *o, const struct sandbox_plan *p,
	   const struct netpolicy_extra *extra, bool allow_local, bool ask,
	   char *const *env, const char *bundle, const char *setup)
{
	struct sandbox_launch_opts lo = {0};

	if (landlock_missing(p))
		return 125;
	lo.plan = p;
	lo.conf = o;
	lo.extra = extra;
	lo.allow_local_binding = allow_local;
	lo.may_ask = ask;
	lo.envp = env;
	lo.ca_bundle = bundle;
	lo.setup = setup;
	return sandbox_launch(&lo);
}

static int
launch(const struct conf_opts *o, const struct conf *c,
       const struct run_args *a, const struct sandbox_plan *p,
       char *const *env)
{
	struct netpolicy_extra extra = {0};
	const struct conf_reqrule *rules;
	struct errbuf err;
	char *bundle;
	int rc;

	extra.allow = a->allow;
	extra.n_allow = a->n_allow;
	extra.deny = a->deny;
	extra.n_deny = a->n_deny;
	extra.mode = a->mode;
	errbuf_init(&err);
	bundle = sandbox_ca_bundle(o->home, p,
				   a->mode ? a->mode
					   : conf_str(c, "permissions.network.mode"),
				   conf_request_rules(c, &rules) > 0, &err);
	if (err.count > 0) {
		fprintf(stderr, "airlock: error: run: TLS interception: %s\n",
			errbuf_str(&err));
		errbuf_release(&err);
		return 125;
	}
	errbuf_release(&err);
	rc = launch_one(o, p, &extra,
			conf_bool(c, "permissions.network.allow_local_binding"),
			may_ask(c, a), env, bundle, NULL);
	free(bundle);
	return rc;
}

/* Setup command i of n in its own sandbox (sandbox/setup.h): 0, or the
 * status that ends the run. */
static int
setup_one(const struct conf_opts *o, const struct conf *c,
	  const struct run_args *a, char *const *env, const char *cmd,
	  size_t i, size_t n)
{
	struct setup_where w = {o->cwd, o->home, o->system_dir,
				o->config_file};
	struct setup_phase ph;
	struct errbuf err;
	int rc = 125;

	errbuf_init(&err);
	if (setup_phase_build(&ph, c, cmd, &w, a->deny, a->n_deny, &err)) {
		fprintf(stderr, "airlock: error: run: setup `%s`: %s\n", cmd,
			errbuf_str(&err));
		goto out;
	}
	rc = 2;
	if (check_workspace(o, c, a, &ph.plan) == -1)
		goto out;
	if (ph.plan.net == SANDBOX_NET_PROXY &&
	    netpolicy_check_loopback(c, &ph.extra, &err) == -1) {
		common_print_lines(&err, "airlock: run: setup: ");
		goto out;
	}
	if (a->print_plan) {
		printf("setup `%s`:\n", cmd);
		rc = print_plan(&ph.plan);
		goto out;
	}
	fprintf(stderr, "airlock: setup %zu/%zu: %s\n", i + 1, n, cmd);
	rc = launch_one(o, &ph.plan, &ph.extra, ph.allow_local_binding,
			may_ask(c, a), env, ph.ca_bundle, ph.command);
	if (rc != 0)
		fprintf(stderr, "airlock: error: run: setup `%s` failed with "
				"exit status %d; not running the command\n",
			cmd, rc);
out:
	setup_phase_release(&ph);
	errbuf_release(&err);
	return rc;
}

/* The setup phase, then the command, each in its own sandbox; every one
 * gets the environment without the variables that hold request-rule
 * secrets. */
static int
run_phases(struct conf_opts *o, const struct conf *c,
	   const struct run_args *a, const struct sandbox_plan *p)
{
	const char *const *cmds;
	size_t i, n = setup_commands(c, a->setup, a->n_setup, &cmds);
	char **env = run_env(c);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		rc = setup_one(o, c, a, env, cmds[i], i, n);
		/* Later sandboxes read the files again: a person may have
		 * answered "always" in this one (approvals.toml). */
		o->loaded = NULL;
	}
	if (rc == 0 && !a->print_plan)
		rc = launch(o, c, a, p, env);
	else if (rc == 0) {
		if (n > 0)
			printf("command:\n");
		rc = print_plan(p);
	}
	childenv_free_array(env);
	return rc;
}

/* The host's loopback ports the allow entries (flags included) name. */
static void
forwards_of_args(struct sandbox_input *in, const struct conf *c,
		 const struct run_args *a)
{
	struct netpolicy_extra extra = {0};

	extra.allow = a->allow;
	extra.n_allow = a->n_allow;
	extra.deny = a->deny;
	extra.n_deny = a->n_deny;
	extra.mode = a->mode;
	sandbox_input_forwards(in, c, &extra);
}

static int
run(struct conf_opts *o, struct run_args *a)
{
	struct sandbox_input in;
	struct sandbox_plan p;
	struct conf *c = NULL;
	const char **secret_files = NULL;
	size_t n_secret_files;
	struct errbuf err;
	/* The walk cache is read, and looked at, while the config is. */
	struct walkahead *ahead = sandbox_walk_ahead(o->home, o->cwd);
	bool built;
	int rc;

	errbuf_init(&err);
	rc = common_load_conf(o, &c);
	if (rc != 0)
		goto out;
	rc = 2;
	if (check_flags(c, a) == -1 || check_network_config(c, a) == -1)
		goto out;
	sandbox_input_from_conf(&in, c, a->sandbox, a->network, o->cwd, a->argv,
				&err);
	in.home = o->home;
	in.system_dir = o->system_dir;
	in.config_file = o->config_file;
	forwards_of_args(&in, c, a);
	/* The files request actions read secrets from stay the proxy's. */
	secret_files = conf_request_secret_files(c, &n_secret_files);
	sandbox_input_hide_files(&in, secret_files, n_secret_files);
	built = err.count == 0 &&
		sandbox_plan_build_disk(&in, ahead, &p, &err) == 0;
	ahead = NULL;
	if (!built) {
		common_print_lines(&err, "airlock: run: ");
		goto out;
	}
	if (check_workspace(o, c, a, &p) == -1 ||
	    (p.net == SANDBOX_NET_PROXY && check_loopback_entries(c, a) == -1)) {
		sandbox_plan_release(&p);
		goto out;
	}
	warn_ignored_network_flags(o, a, &p);
	/* -a is this run's approval_policy: the embedded proxy reads it
	 * from the config it loads. Without it, the first sandbox's proxy
	 * takes the config loaded above (the same opts, the same files)
	 * instead of reading every layer again. */
	if (a->approval != NULL) {
		a->approval_override =
			xasprintf("approval_policy=\"%s\"", a->approval);
		conf_opts_add_override(o, a->approval_override);
	} else {
		o->loaded = c;
	}
	/* An embedded proxy that loads the config again: its warnings were
	 * shown above. */
	o->quiet = true;
	rc = run_phases(o, c, a, &p);
	o->loaded = NULL;
	sandbox_plan_release(&p);
out:
	walkcache_free(walkahead_end(ahead));
	free(secret_files);
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

	memset(&a, 0, sizeof(a));
	a.network = -1;
	conf_opts_init(&o);
	if (parse_args(argc, argv, &o, &a) == 0 && a.help) {
		printf("%s\n%s", usage_text, COMMON_USAGE);
		rc = 0;
	} else if (a.argv != NULL &&
		   (a.dir == NULL || enter_dir(&o, a.dir) == 0)) {
		rc = run(&o, &a);
	}
	conf_opts_release(&o);
	free(a.allow);
	free(a.deny);
	free(a.setup);
	free(a.approval_override);
	return rc;
}
