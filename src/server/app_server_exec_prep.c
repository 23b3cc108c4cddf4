/* app_server_exec_prep.c — what a command/exec runs, decided from its
 * params before anything runs. See app_server_int.h. */
#include <stdlib.h>
#include <string.h>

#include "config/conf_rules.h"
#include "lib/xalloc.h"
#include "policy/netpolicy.h"
#include "sandbox/childenv.h"
#include "sandbox/input.h"
#include "sandbox/launch.h"
#include "sandbox/probe.h"
#include "sandbox/workspace.h"
#include "server/app_server_int.h"
#include "server/rpc.h"

/* Requirements bound params exactly as they bound `airlock run` flags. */
static int
check_params(const struct conf *c, const struct exec_params *x,
	     struct errbuf *err)
{
	const struct requirements *r = conf_requirements(c);

	if (x->sandbox != NULL &&
	    requirements_check_change(r, "sandbox_mode", x->sandbox, err) == -1)
		return -1;
	if (x->network == 1 &&
	    requirements_check_change(
		    r, "sandbox_workspace_write.network_access", "true",
		    err) == -1)
		return -1;
	return exec_check_managed(c, x, err);
}

/* The setup phase follows the server's setup.* config, which a client
 * cannot change; but setup commands from a client of a server whose
 * config gives no network (or a narrower mode) would get what the
 * setup.* defaults give — an escalation, unless the config sets those
 * keys itself. */
static int
check_setup_escalation(const struct app_server *s, const struct conf *c,
		       const struct exec_params *x, struct errbuf *err)
{
	if (s->allow_escalation || json_array_size(x->setup) == 0)
		return 0;
	if (conf_bool(c, "setup.network_access") &&
	    !conf_is_set(c, "setup.network_access") &&
	    !conf_bool(c, "sandbox_workspace_write.network_access")) {
		errbuf_add(err, "setup commands would get network "
			   "(setup.network_access, by default) while the "
			   "server's network is off (an escalation); set "
			   "setup.network_access in the server's config, or "
			   "start it with --allow-escalation");
		return -1;
	}
	if (!conf_is_set(c, "setup.sandbox_mode") &&
	    sandbox_fs_parse(conf_str(c, "setup.sandbox_mode")) >
		    sandbox_fs_parse(conf_str(c, "sandbox_mode"))) {
		errbuf_add(err, "setup commands would run %s (setup.sandbox_mode, "
			   "by default), wider than the server's sandbox_mode "
			   "%s (an escalation); set setup.sandbox_mode in the "
			   "server's config, or start it with "
			   "--allow-escalation",
			   conf_str(c, "setup.sandbox_mode"),
			   conf_str(c, "sandbox_mode"));
		return -1;
	}
	return 0;
}

/* The same workspace rule as `airlock run`'s, without its override. */
static int
check_workspace(const struct app_server *s, const struct conf *c,
		const struct sandbox_plan *p, struct errbuf *err)
{
	struct workspace_opts wo = {0};

	wo.airlock_home = s->base->home;
	wo.req = conf_requirements(c);
	wo.writable = p->fs == SANDBOX_FS_WORKSPACE_WRITE;
	wo.hint = "pass a project directory as cwd";
	return workspace_check(p->cwd, &wo, err);
}

/* The server's environment without the variables that hold request-rule
 * secrets (they stay airlock's, as under `airlock run`), with the env
 * param on top. */
static char **
command_env(const struct app_server *s, const struct conf *c,
	    const struct exec_params *x)
{
	const char **secret_vars;
	char **base, **env;
	size_t nvars;

	secret_vars = conf_request_env_vars(c, &nvars);
	base = childenv_without_secrets((const char *const *)s->envp,
					secret_vars, nvars);
	free(secret_vars);
	env = exec_build_env(base, x->env);
	childenv_free_array(base);
	return env;
}

/* One setup phase per command of the setup param, in the command's
 * workspace, each judged by the workspace rule and, with the network,
 * the loopback-entry rule for the setup allowlist. */
static int
build_phases(struct app_server *s, struct exec_prep *p, const struct conf *c,
	     const struct exec_params *x, struct errbuf *err)
{
	struct setup_where w = {p->plan.cwd, s->opts.home, s->opts.system_dir,
				s->opts.config_file};
	size_t i, n = json_array_size(x->setup);

	p->phases = xcalloc(n + 1, sizeof(*p->phases));
	for (i = 0; i < n; i++) {
		const char *cmd = json_string_value(json_array_get(x->setup, i));
		struct setup_phase *ph = &p->phases[i];

		p->n_phases++;
		if (setup_phase_build(ph, c, cmd, &w, NULL, 0, err) == -1 ||
		    check_workspace(s, c, &ph->plan, err) == -1 ||
		    (ph->plan.net == SANDBOX_NET_PROXY &&
		     netpolicy_check_loopback(c, &ph->extra, err) == -1))
			return -1;
	}
	return 0;
}

static int
build_plan(struct app_server *s, struct exec_prep *p, const struct conf *c,
	   const struct exec_params *x, struct errbuf *err)
{
	struct sandbox_input in;
	const char **secret_files;
	size_t n_secret_files;
	int rc;

	sandbox_input_from_conf(&in, c, x->sandbox, x->network,
				x->cwd ? x->cwd : s->base->cwd, p->argv, err);
	in.home = s->opts.home;
	in.system_dir = s->opts.system_dir;
	in.config_file = s->opts.config_file;
	sandbox_input_forwards(&in, c, NULL);
	/* The files request actions read secrets from stay the proxy's. */
	secret_files = conf_request_secret_files(c, &n_secret_files);
	sandbox_input_hide_files(&in, secret_files, n_secret_files);
	rc = err->count > 0 ||
	     sandbox_plan_build_disk(&in, NULL, &p->plan, err) == -1;
	free(secret_files);
	if (rc)
		return -1;
	if (p->plan.fs != SANDBOX_FS_FULL_ACCESS && p->plan.landlock_abi < 1) {
		errbuf_add(err, "Landlock is not available in this kernel; "
				"refusing to run without a sandbox");
		return -1;
	}
	return 0;
}

static char **
argv_of(const json_t *command)
{
	size_t i, n = json_array_size(command);
	char **argv = xreallocarray(NULL, n + 1, sizeof(*argv));

	for (i = 0; i < n; i++)
		argv[i] = xstrdup(json_string_value(json_array_get(command, i)));
	argv[n] = NULL;
	return argv;
}

/* The plan, its checks and the phases; -1 with err and *code. */
static int
plan_all(struct app_server *s, struct exec_prep *p, const struct conf *c,
	 const struct exec_params *x, struct errbuf *err, int *code)
{
	*code = RPC_INVALID_PARAMS;
	p->argv = argv_of(x->command);
	if (build_plan(s, p, c, x, err) == -1)
		return -1;
	*code = RPC_INVALID_REQUEST;
	if (check_workspace(s, c, &p->plan, err) == -1 ||
	    (p->plan.net == SANDBOX_NET_PROXY &&
	     netpolicy_check_loopback(c, NULL, err) == -1))
		return -1;
	return build_phases(s, p, c, x, err);
}

int
exec_prepare(struct app_server *s, const struct exec_params *x,
	     struct exec_prep *p, struct errbuf *err, int *code)
{
	struct conf *c = app_load_conf(s, err);
	const struct conf_reqrule *rules;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	*code = RPC_INTERNAL_ERROR;
	if (c == NULL)
		goto out;
	*code = RPC_INVALID_REQUEST;
	if (check_params(c, x, err) == -1 ||
	    check_setup_escalation(s, c, x, err) == -1)
		goto out;
	p->gate = exec_gate(s, c, x, &p->esc, err);
	if (p->gate == EXEC_GATE_REFUSE)
		goto out;
	p->approval_timeout_ms = (uint64_t)conf_int(c, "approval_timeout_ms");
	if (plan_all(s, p, c, x, err, code) == -1)
		goto out;
	p->envp = command_env(s, c, x);
	p->allow_local =
		conf_bool(c, "permissions.network.allow_local_binding");
	*code = RPC_INTERNAL_ERROR;
	p->ca_bundle = sandbox_ca_bundle(s->opts.home, &p->plan,
					 conf_str(c, "permissions.network.mode"),
					 conf_request_rules(c, &rules) > 0, err);
	if (err->count > 0)
		goto out;
	rc = 0;
out:
	conf_free(c);
	return rc;
}

void
exec_prep_release(struct exec_prep *p)
{
	size_t i;

	for (i = 0; i < p->n_phases; i++)
		setup_phase_release(&p->phases[i]);
	free(p->phases);
	sandbox_plan_release(&p->plan);
	exec_free_env(p->argv);
	exec_free_env(p->envp);
	free(p->ca_bundle);
	memset(p, 0, sizeof(*p));
}
