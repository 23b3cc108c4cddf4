/* placeholder until the policy module lands */
#include <stdio.h>
#include "cmd.h"
int
cmd_policy(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("airlock: policy: not built yet\n", stderr);
	return 2;
}
