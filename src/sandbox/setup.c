/* setup.c — the setup phase's sandboxes. See setup.h. */
#include "sandbox/setup.h"

#include <stdlib.h>
#include <string.h>

#include "config/conf_rules.h"
#include "lib/xalloc.h"
#include "sandbox/input.h"
#include "sandbox/launch.h"
#include "sandbox/probe.h"

size_t
setup_commands(const struct conf *c, const char *const *v, size_t n,
	       const char *const **out)
{
	if (n > 0) {
		*out = v;
		return n;
	}
	return conf_strv(c, "setup.commands", out);
}

int
setup_phase_build(struct setup_phase *ph, const struct conf *c,
		  const char *command, const struct setup_where *w,
		  const char *const *deny, size_t n_deny, struct errbuf *err)
{
	struct sandbox_input in;
	const struct conf_reqrule *rules;
	const char **secret_files;
	size_t n_secret_files;
	int rc;

	memset(ph, 0, sizeof(*ph));
	ph->command = xstrdup(command);
	ph->argv[0] = "sh";
	ph->argv[1] = "-c";
	ph->argv[2] = ph->command;
	ph->extra.setup = true;
	ph->extra.deny = deny;
	ph->extra.n_deny = n_deny;
	ph->mode = xstrdup(conf_str(c, "setup.mode"));
	ph->extra.mode = ph->mode;
	ph->allow_local_binding =
		conf_bool(c, "permissions.network.allow_local_binding");
	sandbox_input_from_conf(&in, c, conf_str(c, "setup.sandbox_mode"),
				conf_bool(c, "setup.network_access"), w->cwd,
				ph->argv, err);
	in.home = w->home;
	in.system_dir = w->system_dir;
	in.config_file = w->config_file;
	sandbox_input_forwards(&in, c, &ph->extra);
	/* The files request actions read secrets from stay the proxy's, in
	 * the setup phase as in the command's. */
	secret_files = conf_request_secret_files(c, &n_secret_files);
	sandbox_input_hide_files(&in, secret_files, n_secret_files);
	rc = err->count > 0 ||
	     sandbox_plan_build_disk(&in, NULL, &ph->plan, err) == -1;
	free(secret_files);
	if (rc)
		return -1;
	ph->ca_bundle = sandbox_ca_bundle(w->home, &ph->plan, ph->extra.mode,
					  conf_request_rules(c, &rules) > 0,
					  err);
	return err->count > 0 ? -1 : 0;
}

void
setup_phase_release(struct setup_phase *ph)
{
	sandbox_plan_release(&ph->plan);
	free(ph->ca_bundle);
	free(ph->mode);
	free(ph->command);
	memset(ph, 0, sizeof(*ph));
}
