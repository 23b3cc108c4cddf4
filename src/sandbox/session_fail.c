/* session_fail.c — what a sandbox's failure means to its callers: the
 * exit status of `airlock run` and the JSON-RPC error code of
 * command/exec. See session.h. */
#include "sandbox/session.h"

#include "sandbox/apply.h"

#define RPC_INTERNAL_ERROR (-32603)

static const struct {
	int exit;  /* airlock run */
	int rpc;   /* command/exec */
} fails[] = {
	[SANDBOX_OK] = {0, 0},
	[SANDBOX_FAIL_PREPARE] = {SANDBOX_EXIT_SETUP, RPC_INTERNAL_ERROR},
	[SANDBOX_FAIL_NAMESPACES] = {SANDBOX_EXIT_SETUP, RPC_INTERNAL_ERROR},
	[SANDBOX_FAIL_SETUP] = {SANDBOX_EXIT_SETUP, RPC_INTERNAL_ERROR},
	[SANDBOX_FAIL_VANISHED] = {SANDBOX_EXIT_SETUP, RPC_INTERNAL_ERROR},
	[SANDBOX_FAIL_TIMEOUT] = {SANDBOX_EXIT_SETUP, RPC_INTERNAL_ERROR},
	[SANDBOX_FAIL_PROXY] = {2, RPC_INTERNAL_ERROR},
};

int
sandbox_fail_exit(enum sandbox_fail f)
{
	return fails[f].exit;
}

int
sandbox_fail_rpc(enum sandbox_fail f)
{
	return fails[f].rpc;
}
