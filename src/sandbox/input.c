/* input.c — a sandbox input from the effective config. See input.h. */
#include "sandbox/input.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/listen.h"
#include "sandbox/landlock.h"

static uint16_t
listener_port(const struct conf *c, const char *key, struct errbuf *err)
{
	struct sockaddr_storage ss;

	if (listen_parse(conf_str(c, key), key, &ss, err) == -1)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void
sandbox_input_from_conf(struct sandbox_input *in, const struct conf *c,
			const char *mode, int network, const char *cwd,
			char *const *argv, struct errbuf *err)
{
	const char *const *roots;

	memset(in, 0, sizeof(*in));
	in->mode = mode ? mode : conf_str(c, "sandbox_mode");
	in->network = network >= 0
			      ? network == 1
			      : conf_bool(c, "sandbox_workspace_write."
					     "network_access");
	in->cwd = cwd;
	in->n_writable_roots =
		conf_strv(c, "sandbox_workspace_write.writable_roots", &roots);
	in->writable_roots = roots;
	in->tmpdir = getenv("TMPDIR");
	in->exclude_tmpdir_env_var =
		conf_bool(c, "sandbox_workspace_write.exclude_tmpdir_env_var");
	in->exclude_slash_tmp =
		conf_bool(c, "sandbox_workspace_write.exclude_slash_tmp");
	in->http_port = listener_port(c, "permissions.network.proxy_url", err);
	in->socks5 = conf_bool(c, "permissions.network.enable_socks5");
	if (in->socks5)
		in->socks_port =
			listener_port(c, "permissions.network.socks_url", err);
	in->n_unix_sockets = conf_strv(c, "permissions.network.unix_sockets",
				       &in->unix_sockets);
	in->unix_sockets_all = conf_bool(
		c, "permissions.network.dangerously_allow_all_unix_sockets");
	in->uid = getuid();
	in->gid = getgid();
	in->landlock_abi = landlock_abi();
	in->argv = argv;
}
