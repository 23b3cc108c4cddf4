/* main.c — subcommand dispatch only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/log.h"

#define AIRLOCK_VERSION "0.1.0"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"app-server", cmd_app_server, "serve JSON-RPC over WebSocket or stdio "
					"(sandboxed commands, policy)"},
	{"approvals", cmd_approvals, "list or revoke network approvals "
				     "answered \"always\""},
	{"ca", cmd_ca, "where the MITM CA lives (created on first use)"},
	{"config", cmd_config, "show or check the effective configuration"},
	{"policy", cmd_policy, "dry-run one network policy decision"},
	{"proxy", cmd_proxy, "run the managed proxy in the foreground"},
	{"run", cmd_run, "run a command in the sandbox (network off unless "
			 "granted)"},
	{"token", cmd_token, "mint or verify app-server bearer tokens (HS256)"},
};

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: airlock COMMAND [ARGS...]\n\ncommands:\n", f);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fputs("\n  --help       this text\n"
	      "  --version    print airlock's version\n"
	      "  -v, --verbose  log debug messages (as AIRLOCK_LOG=debug)\n"
	      "\nrun `airlock COMMAND --help` for the options of one command\n",
	      f);
}

/* AIRLOCK_LOG=error|warn|info|debug sets how much is logged. */
static void
log_level_from_env(void)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {{"error", LOG_ERROR},
		      {"warn", LOG_WARN},
		      {"info", LOG_INFO},
		      {"debug", LOG_DEBUG}};
	const char *v = getenv("AIRLOCK_LOG");
	size_t i;

	if (v == NULL || *v == '\0')
		return;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(v, levels[i].name) == 0) {
			log_set_level(levels[i].level);
			return;
		}
	}
	fprintf(stderr, "airlock: AIRLOCK_LOG=%s: expected error, warn, info "
			"or debug\n", v);
}

int
main(int argc, char **argv)
{
	size_t i;

	log_level_from_env();
	if (argc >= 2 && (strcmp(argv[1], "-v") == 0 ||
			  strcmp(argv[1], "--verbose") == 0)) {
		log_set_level(LOG_DEBUG);
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("airlock %s\n", AIRLOCK_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "airlock: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
