/* proxy.c — `airlock proxy`: the managed proxy as a foreground daemon. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "proxy/proxy.h"

static const char usage_text[] =
	"usage: airlock proxy [--ready-file PATH] [common options]\n"
	"\n"
	"Runs the managed proxy in the foreground: the HTTP listener "
	"(proxy_url),\n"
	"the SOCKS5 listener (socks_url, when enable_socks5) and the admin "
	"API\n"
	"(admin_url). SIGHUP reloads the config; SIGINT/SIGTERM stop "
	"accepting,\n"
	"let requests in flight finish, and exit 0.\n"
	"\n"
	"  --ready-file PATH  once listening, write the bound addresses as "
	"JSON:\n"
	"                     {\"http\":\"127.0.0.1:PORT\",\"socks\":...,"
	"\"admin\":...}\n";

struct daemon {
	uv_loop_t loop;
	struct proxy *proxy;
	uv_signal_t sig[3];
	bool stopping;
};

static void
on_stopped(void *arg)
{
	struct daemon *d = arg;
	int i;

	for (i = 0; i < 3; i++)
		uv_close((uv_handle_t *)&d->sig[i], NULL);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct errbuf err;

	if (signum == SIGHUP) {
		errbuf_init(&err);
		if (proxy_reload(d->proxy, &err) == 0)
			log_info("config reloaded");
		else
			log_error("reload failed, keeping the old config: %s",
				  errbuf_str(&err));
		errbuf_release(&err);
		return;
	}
	if (d->stopping)
		return;
	d->stopping = true;
	log_info("stopping: finishing requests in flight");
	proxy_shutdown(d->proxy, 5000, on_stopped, d);
}

static int
parse_args(int argc, char **argv, struct conf_opts *o, const char **ready)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		rc = common_option(o, argc, argv, &i);
		if (rc == -1)
			return -1;
		if (rc == 1)
			continue;
		if (strcmp(argv[i], "--ready-file") == 0 && i + 1 < argc) {
			*ready = argv[++i];
		} else if (strncmp(argv[i], "--ready-file=", 13) == 0) {
			*ready = argv[i] + 13;
		} else {
			fprintf(stderr, "airlock: proxy: unknown argument %s\n%s",
				argv[i], usage_text);
			return -1;
		}
	}
	return 0;
}

static int
serve(struct conf_opts *o, const char *ready)
{
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	struct proxy_opts po = {0};
	struct daemon d;
	struct errbuf err;
	int i;

	memset(&d, 0, sizeof(d));
	errbuf_init(&err);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&d.loop);
	po.conf = o;
	po.ready_file = ready;
	po.http_fd = po.socks_fd = po.dns_fd = -1;
	/* Before the ready file: whoever waits for it may send SIGHUP at
	 * once, whose default action would end the proxy. Handled once the
	 * loop runs, by then with d.proxy set. */
	for (i = 0; i < 3; i++) {
		uv_signal_init(&d.loop, &d.sig[i]);
		d.sig[i].data = &d;
		uv_signal_start(&d.sig[i], on_signal, sigs[i]);
	}
	d.proxy = proxy_new(&d.loop, &po, &err);
	if (d.proxy == NULL) {
		common_print_lines(&err, "airlock: proxy: ");
		errbuf_release(&err);
		for (i = 0; i < 3; i++)
			uv_close((uv_handle_t *)&d.sig[i], NULL);
		uv_run(&d.loop, UV_RUN_DEFAULT);
		uv_loop_close(&d.loop);
		return 2;
	}
	uv_run(&d.loop, UV_RUN_DEFAULT);
	proxy_free(d.proxy);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	uv_loop_close(&d.loop);
	errbuf_release(&err);
	return 0;
}

int
cmd_proxy(int argc, char **argv)
{
	struct conf_opts o;
	const char *ready = NULL;
	int rc = 2;

	if (common_help_asked(argc, argv)) {
		printf("%s\n%s", usage_text, COMMON_USAGE);
		return 0;
	}
	conf_opts_init(&o);
	if (parse_args(argc, argv, &o, &ready) == 0)
		rc = serve(&o, ready);
	conf_opts_release(&o);
	return rc;
}
