/* app_server.c — `airlock app-server --listen ws://IP:PORT|stdio://
 * [--ws-* flags]`: the JSON-RPC control plane (server/app_server.h). */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "lib/errbuf.h"
#include "lib/hostport.h"
#include "lib/xalloc.h"
#include "server/app_server.h"
#include "server/auth.h"
#include "server/console.h"

extern char **environ;

static const char usage_text[] =
	"usage: airlock app-server [--listen URL] [--ws-auth MODE ...] "
	"[--allow-escalation]\n"
	"\n"
	"Serves JSON-RPC to a remote client: run sandboxed commands, read "
	"and\nchange network policy, watch blocked requests.\n"
	"\n"
	"  --listen URL                    stdio:// (default) or "
	"ws://IP:PORT\n"
	"  --ws-auth MODE                  capability-token | "
	"signed-bearer-token | none\n"
	"                                  (default on ws://: a fresh token "
	"in\n"
	"                                  $AIRLOCK_HOME/app-server.token)\n"
	"  --ws-token-file PATH            capability token (absolute path)\n"
	"  --ws-token-sha256 HEX           SHA-256 of the capability token\n"
	"  --ws-shared-secret-file PATH    HS256 secret (>= 32 bytes)\n"
	"  --ws-issuer ISSUER              required `iss`\n"
	"  --ws-audience AUDIENCE          required `aud`\n"
	"  --ws-max-clock-skew-seconds N   default 30\n"
	"  --ws-approver-token-file PATH   a second capability token: its "
	"clients\n"
	"                                  only approve, the first token's "
	"only run\n"
	"                                  commands (absolute path)\n"
	"  --ws-approver-token-sha256 HEX  or its SHA-256\n"
	"  --allow-escalation              approve at once every command/exec "
	"that\n"
	"                                  asks for a wider sandbox mode or "
	"for\n"
	"                                  network beyond the config\n"
	"  --console-roles ROLES           the web console's roles: approve "
	"(default)\n"
	"                                  or approve,exec\n"
	"  --no-console                    no web console on the ws:// "
	"listener\n"
	"\n"
	"Allowlist misses and escalations are put to approver clients as\n"
	"network/approval and exec/approval requests (doc/approvals.md).\n"
	"A ws:// listener also serves a web console at / (doc/console.md):\n"
	"its one-time login URL is printed on stderr; SIGUSR1 prints a new "
	"one.\n";

struct listen_url {
	bool stdio;
	struct sockaddr_storage addr;
	bool loopback;
	char text[80]; /* ip:port as given */
};

/* `ws://IP:PORT` with a literal address (`[v6]` bracketed). */
static int
parse_ws(const char *url, struct listen_url *u)
{
	struct hostport hp;
	char host[64];

	if (hostport_parse(url + 5, strlen(url + 5), HOSTPORT_PORT_REQUIRED,
			   &hp) != NULL ||
	    hp.host.n >= sizeof(host))
		return -1;
	memcpy(host, hp.host.p, hp.host.n);
	host[hp.host.n] = '\0';
	if (!hp.bracketed &&
	    uv_ip4_addr(host, hp.port, (struct sockaddr_in *)&u->addr) == 0) {
		u->loopback = strncmp(host, "127.", 4) == 0;
	} else if (hp.bracketed &&
		   uv_ip6_addr(host, hp.port,
			       (struct sockaddr_in6 *)&u->addr) == 0) {
		u->loopback = strcmp(host, "::1") == 0;
	} else {
		return -1;
	}
	snprintf(u->text, sizeof(u->text), "%s", url + 5);
	return 0;
}

static int
parse_listen(const char *url, struct listen_url *u)
{
	memset(u, 0, sizeof(*u));
	if (strcmp(url, "stdio://") == 0) {
		u->stdio = true;
		return 0;
	}
	if (strncmp(url, "ws://", 5) == 0) {
		if (parse_ws(url, u) == 0)
			return 0;
		fprintf(stderr, "airlock: app-server: invalid websocket --listen "
				"URL `%s`; expected `ws://IP:PORT`\n",
			url);
		return -1;
	}
	fprintf(stderr, "airlock: app-server: unsupported --listen URL `%s`; "
			"expected `stdio://` or `ws://IP:PORT`\n",
		url);
	return -1;
}

struct args {
	const char *listen;
	struct auth_opts auth;
	bool allow_escalation;
	bool no_console;
	unsigned console_roles; /* AUTH_SCOPE_* */
};

/* --console-roles approve|approve,exec: the console is always an approver
 * (it is a person's); exec only when asked for. */
static int
parse_console_roles(const char *v, unsigned *roles)
{
	if (strcmp(v, "approve") == 0)
		*roles = AUTH_SCOPE_APPROVE;
	else if (strcmp(v, "approve,exec") == 0 ||
		 strcmp(v, "exec,approve") == 0)
		*roles = AUTH_SCOPE_ALL;
	else {
		fprintf(stderr, "airlock: app-server: invalid value '%s' for "
				"'--console-roles <ROLES>' [possible values: "
				"approve, approve,exec]\n",
			v);
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct conf_opts *o, struct args *a)
{
	struct errbuf err;
	int i, rc = 0;

	errbuf_init(&err);
	for (i = 1; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			a->listen = argv[++i];
		} else if (strncmp(argv[i], "--listen=", 9) == 0) {
			a->listen = argv[i] + 9;
		} else if (strcmp(argv[i], "--allow-escalation") == 0) {
			a->allow_escalation = true;
		} else if (strcmp(argv[i], "--no-console") == 0) {
			a->no_console = true;
		} else if (strcmp(argv[i], "--console-roles") == 0 &&
			   i + 1 < argc) {
			rc = parse_console_roles(argv[++i], &a->console_roles);
		} else if (strncmp(argv[i], "--console-roles=", 16) == 0) {
			rc = parse_console_roles(argv[i] + 16,
						 &a->console_roles);
		} else if ((rc = auth_opts_flag(&a->auth, argc, argv, &i,
						&err)) != 0) {
			rc = rc == 1 ? 0 : -1;
		} else if ((rc = common_option(o, argc, argv, &i)) != 0) {
			rc = rc == 1 ? 0 : -1;
		} else {
			fprintf(stderr, "airlock: app-server: unknown option "
					"%s\n%s",
				argv[i], usage_text);
			rc = -1;
		}
	}
	if (err.count > 0)
		fprintf(stderr, "airlock: app-server: %s\n", errbuf_str(&err));
	errbuf_release(&err);
	return rc;
}

/* --- serving ----------------------------------------------------------------- */

struct serve {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	uv_signal_t sigusr1; /* prints a new console login URL */
	uv_timer_t drain; /* stdio: after EOF, until the last command ends */
	struct app_server *s;
	struct app_ws *ws;
	struct console *console; /* the web console, or NULL */
	char bound[96];
};

static void
stop(struct serve *v)
{
	if (v->s == NULL)
		return;
	app_ws_close(v->ws);
	app_stdio_stop(v->s);
	app_server_free(v->s);
	v->s = NULL;
	v->ws = NULL;
	uv_close((uv_handle_t *)&v->drain, NULL);
	uv_close((uv_handle_t *)&v->sigint, NULL);
	uv_close((uv_handle_t *)&v->sigterm, NULL);
	uv_close((uv_handle_t *)&v->sigusr1, NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	stop(h->data);
}

static void
on_drain(uv_timer_t *t)
{
	struct serve *v = t->data;

	if (v->s != NULL && !app_server_busy(v->s))
		stop(v);
}

/* The client's input ended: answer what it asked, then stop. */
static void
on_eof(void *arg)
{
	struct serve *v = arg;

	uv_timer_start(&v->drain, on_drain, 0, 20);
}

/* A fresh one-time login URL for the console, on stderr only: the code
 * is never logged or written anywhere else. */
static void
print_login_url(struct serve *v)
{
	char url[256];

	if (v->console == NULL)
		return;
	uv_update_time(&v->loop);
	if (console_new_code(v->console, v->bound, (int64_t)uv_now(&v->loop),
			     url, sizeof(url)) == -1) {
		fprintf(stderr, "airlock: app-server: console: no login code "
				"(no random bytes)\n");
		return;
	}
	fprintf(stderr, "  console: %s\n"
			"    (one login, within %d minutes; `kill -USR1 %ld` "
			"prints a new URL)\n",
		url, CONSOLE_CODE_TTL_MS / 60000, (long)getpid());
	fflush(stderr);
	explicit_bzero(url, sizeof(url));
}

static void
on_sigusr1(uv_signal_t *h, int signum)
{
	(void)signum;
	print_login_url(h->data);
}

/* How clients authenticate, for the banner: the generated token's path
 * (never the token), or a warning when there is no authentication. */
struct auth_note {
	char *token_file;       /* generated token, or NULL */
	bool none;              /* --ws-auth none */
};

static void
banner(const char *bound, bool loopback, const struct auth_note *n)
{
	fprintf(stderr,
		"airlock app-server (WebSockets)\n"
		"  listening on: ws://%s\n"
		"  readyz: http://%s/readyz\n"
		"  healthz: http://%s/healthz\n"
		"  note: %s\n",
		bound, bound, bound,
		loopback ? "binds localhost only (use SSH port-forwarding for "
			   "remote access)"
			 : "websocket auth is required for non-localhost "
			   "listeners");
	if (n->token_file != NULL)
		fprintf(stderr, "  auth: capability token in %s (send "
				"`Authorization: Bearer <its content>`)\n",
			n->token_file);
	if (n->none)
		fprintf(stderr, "  warning: --ws-auth none: any process on this "
				"machine that can reach ws://%s, any user's "
				"included, can run commands as you\n",
			bound);
	fflush(stderr);
}

/* The web console: on a ws:// listener, unless --no-console; never on a
 * listener outside loopback without authentication (which does not
 * start anyway: the same rule as the WebSocket's). */
static struct console *
make_console(const struct listen_url *u, const struct auth *a,
	     const struct args *args)
{
	if (u->stdio || args->no_console)
		return NULL;
	if (!u->loopback && auth_mode(a) == AUTH_NONE)
		return NULL;
	return console_new(args->console_roles);
}

static int
serve(const struct conf_opts *o, const struct listen_url *u,
      const struct auth *a, const struct auth_note *note,
      const struct args *args)
{
	struct app_server_opts so = {.conf = o, .envp = environ,
				     .allow_escalation = args->allow_escalation};
	struct conf *c = NULL;
	struct serve v;
	struct errbuf err;
	int rc = 2;

	memset(&v, 0, sizeof(v));
	/* Loaded once here to show its warnings (an untrusted project, a
	 * requirement fallback) at start; each command loads it afresh. */
	if (common_load_conf(o, &c) != 0)
		return 2;
	conf_free(c);
	errbuf_init(&err);
	uv_loop_init(&v.loop);
	signal(SIGPIPE, SIG_IGN);
	v.s = app_server_new(&v.loop, &so, &err);
	if (v.s == NULL)
		goto out;
	uv_timer_init(&v.loop, &v.drain);
	v.drain.data = &v;
	/* Before the banner: whoever reads it may signal at once (SIGUSR1's
	 * default action would end the server). Handled once the loop runs. */
	uv_signal_init(&v.loop, &v.sigint);
	uv_signal_init(&v.loop, &v.sigterm);
	uv_signal_init(&v.loop, &v.sigusr1);
	v.sigint.data = v.sigterm.data = v.sigusr1.data = &v;
	uv_signal_start(&v.sigint, on_signal, SIGINT);
	uv_signal_start(&v.sigterm, on_signal, SIGTERM);
	uv_signal_start(&v.sigusr1, on_sigusr1, SIGUSR1);
	if (u->stdio) {
		if (app_stdio_start(v.s, 0, 1, on_eof, &v, &err) == -1)
			goto out;
	} else {
		v.console = make_console(u, a, args);
		v.ws = app_ws_listen(v.s, (const struct sockaddr *)&u->addr, a,
				     v.console, v.bound, sizeof(v.bound), &err);
		if (v.ws == NULL)
			goto out;
		banner(v.bound, u->loopback, note);
		print_login_url(&v);
	}
	uv_run(&v.loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	if (rc != 0) {
		common_print_lines(&err, "airlock: app-server: ");
		stop(&v);
		uv_run(&v.loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&v.loop);
	console_free(v.console);
	errbuf_release(&err);
	return rc;
}

/* A ws:// listener on loopback started without any --ws-* flag gets a
 * generated capability token; everything else is judged by auth_new(),
 * with the reference's messages (a non-loopback listener without
 * --ws-auth still refuses to start). */
static struct auth *
make_auth(const struct auth_opts *ao, const struct listen_url *u,
	  const char *home, struct auth_note *note, struct errbuf *err)
{
	struct auth *a;

	if (!u->stdio && u->loopback && auth_opts_empty(ao)) {
		note->token_file = xasprintf("%s/app-server.token", home);
		return auth_new_generated(note->token_file, err);
	}
	a = auth_new(ao, u->stdio || u->loopback, u->text, err);
	note->none = a != NULL && !u->stdio && auth_mode(a) == AUTH_NONE;
	return a;
}

int
cmd_app_server(int argc, char **argv)
{
	struct auth_note note = {NULL, false};
	struct listen_url u;
	struct auth *a = NULL;
	struct conf_opts o;
	struct errbuf err;
	struct args args;
	int rc = 2;

	if (common_help_asked(argc, argv)) {
		printf("%s\n%s", usage_text, COMMON_USAGE);
		return 0;
	}
	memset(&args, 0, sizeof(args));
	args.listen = "stdio://";
	args.console_roles = AUTH_SCOPE_APPROVE;
	conf_opts_init(&o);
	errbuf_init(&err);
	if (parse_args(argc, argv, &o, &args) == -1 ||
	    parse_listen(args.listen, &u) == -1)
		goto out;
	a = make_auth(&args.auth, &u, o.home, &note, &err);
	if (a == NULL) {
		fprintf(stderr, "airlock: app-server: %s\n", errbuf_str(&err));
		goto out;
	}
	rc = serve(&o, &u, a, &note, &args);
out:
	free(note.token_file);
	auth_free(a);
	errbuf_release(&err);
	conf_opts_release(&o);
	return rc;
}
