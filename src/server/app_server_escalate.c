/* app_server_escalate.c — what a command/exec needs approved, and whether
 * anyone may approve it (app_server_int.h, doc/approvals.md).
 *
 * A client may narrow what the server's config gives; asking for more —
 * a sandbox mode wider than sandbox_mode, or network while
 * sandbox_workspace_write.network_access is off — is an escalation. Under
 * approval_policy = untrusted every command that is not on the known-safe,
 * read-only list below is treated the same way, and so is any setup
 * command (a shell command line is never known-safe). --allow-escalation
 * approves every escalation at once (the command list still asks). */
#include <stdio.h>
#include <string.h>

#include "lib/errbuf.h"
#include "sandbox/plan.h"
#include "server/app_server_int.h"

/* Read-only commands: they print what they read and write nothing, run
 * no other program and take no option that does. */
static const char *const safe_commands[] = {
	"ls", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg",
	"pwd", "echo", "true", "false", "which", "stat", "du", "df",
	"whoami", "id", "uname", "cut", "diff", "cmp", "basename", "dirname",
	"realpath", "readlink", "nl", "sha256sum", "md5sum", NULL};

/* git subcommands that only read the repository. */
static const char *const safe_git[] = {
	"status", "log", "diff", "show", "rev-parse", "ls-files", "blame",
	NULL};

/* Options that make an otherwise safe command write a file or run a
 * program: rg --pre runs a preprocessor; git --output writes, and
 * --ext-diff / --textconv run configured programs. */
static const char *const unsafe_prefixes[] = {"--pre", "--output",
					      "--ext-diff", "--textconv", NULL};

static bool
in_list(const char *const *l, const char *s)
{
	size_t i;

	for (i = 0; l[i] != NULL; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* A bare name (found on the server's PATH) or one in /bin, /usr/bin:
 * `./ls` or a workspace path could be anything. */
static const char *
command_name(const char *argv0)
{
	if (strchr(argv0, '/') == NULL)
		return argv0;
	if (strncmp(argv0, "/usr/bin/", 9) == 0 &&
	    strchr(argv0 + 9, '/') == NULL)
		return argv0 + 9;
	if (strncmp(argv0, "/bin/", 5) == 0 && strchr(argv0 + 5, '/') == NULL)
		return argv0 + 5;
	return NULL;
}

bool
exec_known_safe(const json_t *command, const json_t *env)
{
	const char *name, *arg;
	size_t i, j, n = json_array_size(command);

	/* Any variable the client sets (PATH, LD_PRELOAD, GIT_*) can turn a
	 * listed command into another program. */
	if (env != NULL && json_object_size(env) > 0)
		return false;
	if (n == 0)
		return false;
	name = command_name(json_string_value(json_array_get(command, 0)));
	if (name == NULL)
		return false;
	if (strcmp(name, "git") == 0) {
		arg = n < 2 ? NULL
			    : json_string_value(json_array_get(command, 1));
		if (arg == NULL || !in_list(safe_git, arg))
			return false;
	} else if (!in_list(safe_commands, name)) {
		return false;
	}
	for (i = 1; i < n; i++) {
		arg = json_string_value(json_array_get(command, i));
		for (j = 0; unsafe_prefixes[j] != NULL; j++)
			if (strncmp(arg, unsafe_prefixes[j],
				    strlen(unsafe_prefixes[j])) == 0)
				return false;
	}
	return true;
}

json_t *
exec_escalation_json(const struct exec_escalation *esc)
{
	return json_pack("{s:o,s:b,s:b}", "sandbox",
			 esc->sandbox ? json_string(esc->sandbox) : json_null(),
			 "network", esc->network, "command", esc->command);
}

/* What was asked, for a refusal: `sandbox X is wider than ...`. */
static void
describe(const struct conf *c, const struct exec_escalation *esc,
	 struct buf *b)
{
	if (esc->sandbox != NULL)
		buf_printf(b, "sandbox %s is wider than the server's "
			      "sandbox_mode %s (an escalation)",
			   esc->sandbox, conf_str(c, "sandbox_mode"));
	else if (esc->network)
		buf_addstr(b, "network is off in the server's config "
			      "(sandbox_workspace_write.network_access = "
			      "false); asking for it is an escalation");
	else
		buf_addstr(b, "the command, or a setup command, is not on the "
			      "known-safe list of approval_policy = "
			      "\"untrusted\"");
}

enum exec_gate
exec_gate(const struct app_server *s, const struct conf *c,
	  const struct exec_params *x, struct exec_escalation *esc,
	  struct errbuf *err)
{
	const char *mode = conf_str(c, "sandbox_mode");
	const char *ap = conf_str(c, "approval_policy");
	const char *no = NULL;
	struct buf b;

	memset(esc, 0, sizeof(*esc));
	if (x->sandbox != NULL &&
	    sandbox_fs_parse(x->sandbox) > sandbox_fs_parse(mode))
		esc->sandbox = x->sandbox;
	if (x->network == 1 &&
	    !conf_bool(c, "sandbox_workspace_write.network_access"))
		esc->network = true;
	if (strcmp(ap, "untrusted") == 0 &&
	    (!exec_known_safe(x->command, x->env) ||
	     json_array_size(x->setup) > 0))
		esc->command = true;
	if (esc->sandbox == NULL && !esc->network && !esc->command)
		return EXEC_GATE_RUN;
	if (s->allow_escalation && !esc->command)
		return EXEC_GATE_RUN;
	if (strcmp(ap, "never") == 0)
		no = "approval_policy = \"never\"";
	else if (strcmp(ap, "granular") == 0 &&
		 !conf_granular(c, "sandbox_approval"))
		no = "approval_policy granular.sandbox_approval = false";
	if (no == NULL)
		return EXEC_GATE_ASK;
	buf_init(&b, 1024);
	describe(c, esc, &b);
	errbuf_add(err, "%s, and %s (%s) lets no one approve it", b.p, no,
		   conf_origin(c, "approval_policy"));
	buf_release(&b);
	return EXEC_GATE_REFUSE;
}
