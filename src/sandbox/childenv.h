/* childenv.h — the environment of a sandboxed command (reference §14).
 *
 * When the command reaches the network through the embedded proxy, every
 * proxy variable the reference lists is overwritten (a caller's own value
 * could otherwise route around the proxy): with H = http://HTTP_ADDR and
 * S = socks5h://SOCKS_ADDR,
 *   HTTP(S)_PROXY and the npm/yarn/bundle/pip/docker keys, WS(S)_PROXY: H
 *   ALL_PROXY, FTP_PROXY (and lowercase):    S when SOCKS5 is on, else H
 *   NO_PROXY and friends (no_proxy, npm_config_noproxy and its upper
 *     case, YARN_NO_PROXY, BUNDLE_NO_PROXY): the sandbox's own loopback,
 *     CHILDENV_NO_PROXY. [ours] The reference adds the RFC 1918 ranges,
 *     but inside airlock's namespace nothing else is reachable around the
 *     proxy: a connection to any other address is routed to it by the
 *     namespace's rules anyway (netrules.h), and so is one to a loopback
 *     port of the host an allow entry forwards. Proxy-aware clients thus
 *     talk to the command's own local servers directly.
 *   AIRLOCK_NETWORK_PROXY_ACTIVE=1, AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING=0|1,
 *   ELECTRON_GET_USE_PROXY=true, NODE_USE_ENV_PROXY=1.
 * HTTP(S) variables never hold a SOCKS URL. With the network off, all of
 * those keys are removed and AIRLOCK_SANDBOX_NETWORK_DISABLED=1 is set.
 *
 * TLS interception (§8.4) is not built here: childenv_set_ca_bundle() is
 * the hook its owner calls with the trust-bundle path.
 *
 * Pure: no I/O. struct childenv owns its strings; childenv_detach() hands
 * the NULL-terminated array to execve and the caller. */
#ifndef AIRLOCK_SANDBOX_CHILDENV_H
#define AIRLOCK_SANDBOX_CHILDENV_H

#include <stdbool.h>
#include <stddef.h>

#define CHILDENV_NO_PROXY "localhost,127.0.0.1,::1"

struct childenv {
	char **v; /* "KEY=value", NULL-terminated */
	size_t n;
};

struct childenv_proxy {
	const char *http_addr;  /* "127.0.0.1:PORT" */
	const char *socks_addr; /* "127.0.0.1:PORT", or NULL when SOCKS5 off */
	bool allow_local_binding;
};

/* Copies envp (NULL-terminated; NULL means empty). */
void childenv_init(struct childenv *e, const char *const *envp);
void childenv_release(struct childenv *e);
/* Sets key to value, replacing every earlier entry for key. */
void childenv_set(struct childenv *e, const char *key, const char *value);
void childenv_unset(struct childenv *e, const char *key);
/* The value of key, or NULL. */
const char *childenv_get(const struct childenv *e, const char *key);

/* Network granted through the proxy: the rewrite above. */
void childenv_apply_proxy(struct childenv *e, const struct childenv_proxy *p);
/* Network off: proxy keys removed, AIRLOCK_SANDBOX_NETWORK_DISABLED=1. */
void childenv_apply_network_off(struct childenv *e);
/* Hook for TLS interception (§8.4): points AIRLOCK_CA_CERTIFICATE,
 * SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS,
 * GIT_SSL_CAINFO, PIP_CERT, BUNDLE_SSL_CA_CERT, npm_config_cafile and
 * NPM_CONFIG_CAFILE at the bundle. */
void childenv_set_ca_bundle(struct childenv *e, const char *bundle_path);

/* Request rules (config/conf_rules.h): removes each of the n variables
 * named by a secret_env_var, wiping their values from memory, so the
 * sandboxed command never sees a secret airlock injects for it. */
void childenv_remove_secrets(struct childenv *e, const char *const *names,
			     size_t n);
/* A copy of envp without those variables, for sandbox_launch_opts.envp;
 * free it with childenv_free_array. */
char **childenv_without_secrets(const char *const *envp,
				const char *const *names, size_t n);

/* The array for execve; e is left empty. Free with childenv_free_array. */
char **childenv_detach(struct childenv *e);
void childenv_free_array(char **v);

#endif
