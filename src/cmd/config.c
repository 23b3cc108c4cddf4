/* placeholder until the config module lands */
#include <stdio.h>
#include "cmd.h"
int
cmd_config(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("airlock: config: not built yet\n", stderr);
	return 2;
}
