/* input.c — a sandbox input from the effective config. See input.h. */
#include "sandbox/input.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/passwd.h"
#include "net/listen.h"
#include "policy/netpolicy.h"
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

/* The caller's homes: $HOME, and the password database's when it differs
 * (ssh reads ~/.ssh from there, whatever $HOME says). */
static void
user_homes(struct sandbox_input *in)
{
	static char pw_home[PATH_MAX];
	const char *env = getenv("HOME");
	char *pw = passwd_home(getuid());

	in->n_user_homes = 0;
	if (env != NULL && env[0] == '/')
		in->user_homes[in->n_user_homes++] = env;
	if (pw != NULL && pw[0] == '/' &&
	    (env == NULL || strcmp(env, pw) != 0) &&
	    (size_t)snprintf(pw_home, sizeof(pw_home), "%s", pw) <
		    sizeof(pw_home))
		in->user_homes[in->n_user_homes++] = pw_home;
	free(pw);
}

void
sandbox_input_hide_files(struct sandbox_input *in, const char *const *paths,
			 size_t n)
{
	in->secret_files = paths;
	in->n_secret_files = n;
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
	in->socks5_udp = in->socks5 &&
			 conf_bool(c, "permissions.network.enable_socks5_udp");
	in->n_unix_sockets = conf_strv(c, "permissions.network.unix_sockets",
				       &in->unix_sockets);
	in->unix_sockets_all = conf_bool(
		c, "permissions.network.dangerously_allow_all_unix_sockets");
	in->uid = getuid();
	in->gid = getgid();
	in->landlock_abi = landlock_abi();
	in->argv = argv;
	user_homes(in);
	in->hidden_defaults = conf_bool(c, "sandbox.hidden_paths_defaults");
	in->n_hidden_paths = conf_strv(c, "sandbox.hidden_paths", &roots);
	in->hidden_paths = roots;
}

static void
add_forward(void *arg, const char *host, int port)
{
	struct sandbox_input *in = arg;
	struct proxy_forward *f;

	if (in->n_forwards >= PROXY_FORWARDS_MAX || port <= 0 || port > 65535)
		return;
	f = &in->forwards[in->n_forwards++];
	f->port = (uint16_t)port;
	snprintf(f->host, sizeof(f->host), "%s", host);
}

void
sandbox_input_forwards(struct sandbox_input *in, const struct conf *c,
		       const struct netpolicy_extra *extra)
{
	in->n_forwards = 0;
	netpolicy_forwards(c, extra, add_forward, in);
}
