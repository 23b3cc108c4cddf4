/* cmd.h — one entry point per subcommand. Each takes the arguments after
 * the subcommand name (argv[0] is the subcommand itself) and returns the
 * process exit status: 0 success, 1 a refusal the user asked about, 2 usage
 * or configuration error (DESIGN.md §1). */
#ifndef AIRLOCK_CMD_H
#define AIRLOCK_CMD_H

int cmd_app_server(int argc, char **argv);
int cmd_approvals(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_token(int argc, char **argv);

#endif
