/* common.h — the options every subcommand shares (DESIGN.md §1):
 * `--config FILE` / `--config=FILE`, `-c key.path=value` / `-ckey=value`
 * (repeatable), `-v` / `--verbose`; and loading the config for a command.
 *
 * The conf_opts borrows -c strings from argv, so argv must outlive it. */
#ifndef AIRLOCK_CMD_COMMON_H
#define AIRLOCK_CMD_COMMON_H

#include "config/conf.h"

/* Lines for a command's --help. */
#define COMMON_USAGE                                                        \
	"common options:\n"                                                 \
	"  --config FILE        use FILE as the user config layer\n"        \
	"  -c key.path=value    override one key (TOML value; repeatable)\n" \
	"  -v, --verbose        also print notes (e.g. where the MITM CA "   \
	"is)\n"

/* Looks at argv[*i]: returns 1 when it is a common option (stored into o,
 * *i advanced past a separate argument), 0 when it is not one, and -1 on a
 * usage error after printing it to stderr. */
int common_option(struct conf_opts *o, int argc, char **argv, int *i);

/* Loads the config for a command: warnings go to stderr prefixed with
 * "warning: "; on error every problem is printed to stderr, one per line,
 * and 2 is returned with *out NULL. Returns 0
 * with *out set otherwise; the caller frees it with conf_free(). */
int common_load_conf(const struct conf_opts *o, struct conf **out);

/* True when argv[1..argc) holds --help or -h before any "--". */
bool common_help_asked(int argc, char **argv);

/* Prints each line of e to stderr, each prefixed with prefix (errors are
 * printed bare, so each line is exactly `file:line: key: problem`). */
void common_print_lines(struct errbuf *e, const char *prefix);

#endif
