/* policy.c — `airlock policy check`: dry-run one decision (DESIGN §4.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "cmd/policy_rules.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/secret.h"
#include "lib/xalloc.h"
#include "net/resolve.h"
#include "policy/netpolicy.h"
#include "policy/policy.h"
#include "policy/reqpolicy.h"

static const char usage_text[] =
	"usage: airlock policy check [--method M] [--protocol P] [--no-dns] "
	"[--path P]\n"
	"                            [--header 'Name: value']... TARGET\n"
	"\n"
	"Prints the decision the proxy would make for TARGET as one JSON "
	"object;\n"
	"exits 0 on allow, 1 on deny (or when the host does not resolve), 2 on "
	"a\n"
	"usage or config error.\n"
	"\n"
	"  TARGET            host, host:port, [v6]:port, or a URL (http://, "
	"https://,\n"
	"                    ws://, wss://)\n"
	"  --method M        HTTP method (default GET for http, CONNECT for "
	"https)\n"
	"  --protocol P      http | https_connect | socks5_tcp | socks5_udp |\n"
	"                    dns (may the sandbox's stub resolver answer it) |\n"
	"                    tcp (a sandboxed connection routed to the proxy)\n"
	"  --no-dns          stop before resolving the host (pre-DNS view)\n"
	"  --path P          judge the request for path P (\"/a/b?q=1\") "
	"against the\n"
	"                    host's request rules: which rule matches, which "
	"actions\n"
	"                    would run (never a secret); default: the "
	"TARGET URL's path\n"
	"  --header H        a request header \"Name: value\" for the rules "
	"(repeatable)\n";

struct check_args {
	const char *target;
	const char *method;
	const char *protocol;
	bool no_dns;
	struct policy_rules_args rules; /* --path, --header */
};

/* What a TARGET says: the host text (with port), and the defaults its
 * scheme implies. */
struct target {
	char *host; /* heap: authority without userinfo */
	char *path; /* heap: the URL's path and query, or NULL */
	enum policy_protocol protocol;
	int port;
	const char *method;
};

static int
parse_scheme(const char *s, size_t n, struct target *t)
{
	static const struct {
		const char *name;
		enum policy_protocol proto;
		int port;
		const char *method;
	} schemes[] = {
		{"http", POLICY_PROTO_HTTP, 80, "GET"},
		{"ws", POLICY_PROTO_HTTP, 80, "GET"},
		{"https", POLICY_PROTO_HTTPS_CONNECT, 443, "CONNECT"},
		{"wss", POLICY_PROTO_HTTPS_CONNECT, 443, "CONNECT"},
	};
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == n &&
		    strncasecmp(s, schemes[i].name, n) == 0) {
			t->protocol = schemes[i].proto;
			t->port = schemes[i].port;
			t->method = schemes[i].method;
			return 0;
		}
	}
	return -1;
}

/* Splits TARGET into an authority and scheme defaults. A bare host means
 * an HTTPS CONNECT to port 443, the commonest thing a sandboxed tool
 * does. */
static int
parse_target(const char *arg, struct target *t)
{
	const char *s = arg, *sep = strstr(arg, "://"), *end, *at;

	t->protocol = POLICY_PROTO_HTTPS_CONNECT;
	t->port = 443;
	t->method = "CONNECT";
	if (sep != NULL) {
		if (parse_scheme(arg, (size_t)(sep - arg), t) == -1) {
			fprintf(stderr,
				"airlock: policy check: unsupported scheme in "
				"%s (use http, https, ws or wss)\n",
				arg);
			return -1;
		}
		s = sep + 3;
	}
	end = s + strcspn(s, "/?#");
	at = memchr(s, '@', (size_t)(end - s));
	if (at != NULL)
		s = at + 1;
	if (end == s) {
		fprintf(stderr, "airlock: policy check: no host in %s\n", arg);
		return -1;
	}
	t->host = strndup(s, (size_t)(end - s));
	if (sep != NULL && (*end == '/' || *end == '?'))
		t->path = xstrndup(end, strcspn(end, "#"));
	return t->host ? 0 : -1;
}

/* --path P / --path=P / --header H / --header=H: 1 when argv[*i] was
 * one of them. */
static int
rules_option(int argc, char **argv, int *i, struct policy_rules_args *r)
{
	const char *arg = argv[*i], *v = NULL;
	bool header = strncmp(arg, "--header", 8) == 0;

	if (strcmp(arg, "--path") == 0 || strcmp(arg, "--header") == 0) {
		if (*i + 1 >= argc)
			return 0;
		v = argv[++*i];
	} else if (strncmp(arg, "--path=", 7) == 0) {
		v = arg + 7;
	} else if (strncmp(arg, "--header=", 9) == 0) {
		v = arg + 9;
	} else {
		return 0;
	}
	r->path_given = true;
	if (!header) {
		r->path = v;
		return 1;
	}
	r->headers = xreallocarray(r->headers, r->nheaders + 1,
				   sizeof(*r->headers));
	r->headers[r->nheaders++] = v;
	return 1;
}

static int
parse_args(int argc, char **argv, struct conf_opts *o, struct check_args *a)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		rc = common_option(o, argc, argv, &i);
		if (rc == -1)
			return -1;
		if (rc == 1)
			continue;
		if (strcmp(arg, "--no-dns") == 0) {
			a->no_dns = true;
		} else if ((strcmp(arg, "--method") == 0 ||
			    strcmp(arg, "--protocol") == 0) &&
			   i + 1 < argc) {
			*(arg[2] == 'm' ? &a->method : &a->protocol) = argv[++i];
		} else if (strncmp(arg, "--method=", 9) == 0) {
			a->method = arg + 9;
		} else if (strncmp(arg, "--protocol=", 11) == 0) {
			a->protocol = arg + 11;
		} else if (rules_option(argc, argv, &i, &a->rules) == 1) {
			continue;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "airlock: policy check: unknown option %s\n"
					"%s",
				arg, usage_text);
			return -1;
		} else if (a->target == NULL) {
			a->target = arg;
		} else {
			fprintf(stderr,
				"airlock: policy check: one TARGET only\n%s",
				usage_text);
			return -1;
		}
	}
	if (a->target == NULL) {
		fprintf(stderr, "airlock: policy check: missing TARGET\n%s",
			usage_text);
		return -1;
	}
	return 0;
}

/* Resolves the host of a pending decision and finishes it. Returns 0, or
 * -1 when the name does not resolve (not a policy block). */
static int
finish_with_dns(const struct policy *p, struct policy_decision *d)
{
	struct resolve_result res;
	struct errbuf e;
	int rc = 0;

	errbuf_init(&e);
	if (resolve_sync(d->host.text, (uint16_t)d->port, RESOLVE_TIMEOUT_MS,
			 &res, &e) == -1) {
		fprintf(stderr, "airlock: %s\n", errbuf_str(&e));
		rc = -1;
	} else {
		policy_finish(p, d, res.addrs, res.n);
	}
	errbuf_release(&e);
	return rc;
}

static int
decide(const struct conf *c, const struct check_args *a,
       const struct target *t)
{
	struct policy_rules_args ra = a->rules;
	struct policy_request req = {0};
	const struct reqrule *rule = NULL;
	struct reqpolicy *rp = NULL;
	struct policy_decision d;
	struct errbuf warn, err;
	struct policy *p;
	struct buf out;
	bool show = false;
	int rc = 2;

	errbuf_init(&warn);
	errbuf_init(&err);
	buf_init(&out, 64 * 1024);
	p = netpolicy_build(c, NULL, &warn, &err);
	common_print_lines(&warn, "warning: ");
	if (p != NULL)
		rp = reqpolicy_build(c, &err);
	if (p == NULL || rp == NULL) {
		common_print_lines(&err, "");
		goto out;
	}
	if (reqpolicy_active(rp))
		secret_protect_process();
	req.host = t->host;
	req.port = t->port;
	req.port_in_host = true; /* TARGET may say host:port */
	req.protocol = t->protocol;
	req.method = a->method ? a->method : t->method;
	if (t->protocol != POLICY_PROTO_HTTP &&
	    t->protocol != POLICY_PROTO_HTTPS_CONNECT && a->method == NULL)
		req.method = NULL;
	if (ra.path == NULL)
		ra.path = t->path;
	ra.method = a->method;
	policy_rules_decide(p, rp, &req, &ra, &d, &rule, &show);
	if (d.verdict == POLICY_VERDICT_RESOLVE && !a->no_dns &&
	    finish_with_dns(p, &d) == -1) {
		rc = 1;
		goto out;
	}
	policy_rules_json(&d, rp, rule, show, &out);
	puts(out.p);
	/* A pending decision under --no-dns is the pre-DNS allow. */
	rc = policy_allowed(&d) || d.verdict == POLICY_VERDICT_RESOLVE ? 0 : 1;
out:
	buf_release(&out);
	reqpolicy_free(rp);
	policy_free(p);
	errbuf_release(&warn);
	errbuf_release(&err);
	return rc;
}

static int
policy_check(int argc, char **argv)
{
	struct check_args a = {0};
	struct target t = {0};
	struct conf_opts o;
	struct conf *c = NULL;
	int rc = 2;

	conf_opts_init(&o);
	if (parse_args(argc, argv, &o, &a) == -1 ||
	    parse_target(a.target, &t) ||
	    policy_rules_check_headers(&a.rules) == -1)
		goto out;
	if (a.protocol && policy_protocol_parse(a.protocol, &t.protocol)) {
		fprintf(stderr,
			"airlock: policy check: --protocol %s: expected http, "
			"https_connect, socks5_tcp, socks5_udp or dns\n",
			a.protocol);
		goto out;
	}
	if (common_load_conf(&o, &c) != 0)
		goto out;
	rc = decide(c, &a, &t);
out:
	conf_free(c);
	free(t.host);
	free(t.path);
	free(a.rules.headers);
	conf_opts_release(&o);
	return rc;
}

int
cmd_policy(int argc, char **argv)
{
	if (common_help_asked(argc, argv)) {
		printf("%s\n%s", usage_text, COMMON_USAGE);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "airlock: policy: expected `check`\n%s",
			usage_text);
		return 2;
	}
	return policy_check(argc - 1, argv + 1);
}
