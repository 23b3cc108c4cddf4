/* test_plan_net.c — the sandbox plan's network (sandbox/plan.h): proxy
 * listeners, loopback, unix sockets, resolv.conf and the order of the
 * steps, with a fake file system (plan_fixture.h); and the summary of
 * blocked requests (sandbox/summary.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "proxy/audit.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"
#include "sandbox/summary.h"

#include "plan_fixture.h"

static void
test_plan_network_grant_listens_on_proxy_ports(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i, listens = 0;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.net, SANDBOX_NET_PROXY);
	assert_int_equal(p.n_ports, 2);
	assert_int_equal(p.ports[0], 43128);
	assert_int_equal(p.ports[1], 43130);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LO_UP), 1);
	for (i = 0; i < p.n_steps; i++) {
		if (p.steps[i].kind != SANDBOX_STEP_LISTEN)
			continue;
		assert_int_equal(p.steps[i].port, listens ? 43130 : 43128);
		assert_string_equal(p.steps[i].what, listens ? "socks5" : "http");
		listens++;
	}
	assert_int_equal(listens, 2);
	sandbox_plan_release(&p);
}

/* Port 0 is any free port: in the sandbox's own namespace the plan picks
 * one, so that the parent knows it before the clone. */
static void
test_plan_port_zero_gets_a_fixed_port_in_the_namespace(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	in.socks5 = true;
	in.http_port = 0;
	in.socks_port = 0;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.ports[0], SANDBOX_PORT_HTTP);
	assert_int_equal(p.ports[1], SANDBOX_PORT_SOCKS);
	sandbox_plan_release(&p);
	in.http_port = SANDBOX_PORT_SOCKS;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.ports[0], SANDBOX_PORT_SOCKS);
	assert_int_equal(p.ports[1], SANDBOX_PORT_SOCKS + 1);
	sandbox_plan_release(&p);
}

/* The loopback is the command's own in both modes; only the proxy's
 * listeners depend on the network grant. */
static void
test_plan_network_off_brings_up_lo_without_listeners(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LO_UP), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_UNIX_DIAG), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LISTEN), 0);
	sandbox_plan_release(&p);
}

/* The listed host sockets go to the supervisor as given, deduplicated;
 * the plan says how many. */
static void
test_plan_keeps_the_listed_unix_sockets(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	static const char *const socks[] = {"/run/podman.sock", "rel.sock",
					    "/run/podman.sock", "/tmp/x.sock"};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	base_input(&in, "read-only");
	in.unix_sockets = socks;
	in.n_unix_sockets = 4;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_unix_sockets, 2);
	assert_string_equal(p.unix_sockets[0], "/run/podman.sock");
	assert_string_equal(p.unix_sockets[1], "/tmp/x.sock");
	assert_false(p.unix_sockets_all);
	buf_init(&b, 1 << 16);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "but 2 listed in unix_sockets)"));
	buf_release(&b);
	sandbox_plan_release(&p);
}

static void
test_plan_network_grant_binds_the_stub_resolver_after_the_listeners(void **state)
{
	static const char *const d[] = {"d:/work", "f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i, dns = 0, listens = 0;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	for (i = 0; i < p.n_steps; i++) {
		if (p.steps[i].kind == SANDBOX_STEP_LISTEN)
			listens++;
		if (p.steps[i].kind != SANDBOX_STEP_DNS)
			continue;
		assert_int_equal(listens, 1);
		assert_int_equal(p.steps[i].port, 53);
		dns++;
	}
	assert_int_equal(dns, 1);
	/* Port 53 is UDP: not a TCP connect grant. */
	assert_int_equal(p.n_ports, 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	sandbox_plan_release(&p);
}

static void
test_plan_network_off_replaces_resolv_conf_without_a_resolver(void **state)
{
	static const char *const d[] = {"d:/work", "f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	buf_init(&b, 1 << 16);
	base_input(&in, "read-only");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	assert_string_equal(p.resolv_conf, "/etc/resolv.conf");
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "resolv.conf naming 127.0.0.1 over "
				    "/etc/resolv.conf (no resolver there"));
	sandbox_plan_release(&p);
	buf_release(&b);
}

/* systemd-resolved: /etc/resolv.conf -> ../run/systemd/resolve/stub-...;
 * a bind mount follows the link, so the plan names the target. */
static void
test_plan_symlinked_resolv_conf_binds_over_its_target(void **state)
{
	static const char *const d[] = {
		"d:/work", "l:/etc/resolv.conf=/run/systemd/resolve/stub-resolv.conf",
		"f:/run/systemd/resolve/stub-resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	for (i = 0; i < p.n_steps; i++)
		if (p.steps[i].kind == SANDBOX_STEP_RESOLV_CONF)
			assert_string_equal(p.steps[i].path,
					    "/run/systemd/resolve/stub-resolv.conf");
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	sandbox_plan_release(&p);
}

/* No file (or a dangling link, or a directory): nothing to bind over;
 * resolvers then use 127.0.0.1 by default. */
static void
test_plan_missing_resolv_conf_gets_no_step(void **state)
{
	static const char *const none[] = {"d:/work", NULL};
	static const char *const dir[] = {"d:/work", "d:/etc/resolv.conf",
					  NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	base_input(&in, "workspace-write");
	in.network = true;
	disk = none;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 0);
	assert_null(p.resolv_conf);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 1);
	sandbox_plan_release(&p);
	disk = dir;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 0);
	sandbox_plan_release(&p);
}

static void
test_plan_full_access_leaves_resolv_conf_alone(void **state)
{
	static const char *const d[] = {"d:/work", "f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "danger-full-access");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 0);
	sandbox_plan_release(&p);
}

/* The index of the first step of kind k; n_steps when none. */
static size_t
step_at(const struct sandbox_plan *p, enum sandbox_step_kind k)
{
	size_t i;

	for (i = 0; i < p->n_steps && p->steps[i].kind != k; i++)
		;
	return i;
}

/* Restrictions come in an order that works: ids before listeners, mounts
 * before Landlock (which forbids mounting, and whose rules name paths of
 * the finished mount tree), no_new_privs before Landlock and seccomp,
 * seccomp after dropping capabilities and before Landlock (the steps up
 * to seccomp run while the init builds the mounts), exec last. */
static void
test_plan_steps_are_in_a_working_order(void **state)
{
	static const char *const d[] = {"d:/work", "d:/work/.git",
					"f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 1);
	for (i = 1; i < p.n_steps; i++)
		assert_true(p.steps[i - 1].kind <= p.steps[i].kind);
	assert_int_equal(p.steps[0].kind, SANDBOX_STEP_UNSHARE);
	assert_int_equal(p.steps[p.n_steps - 1].kind, SANDBOX_STEP_EXEC);
	/* The command waits for the init in its seccomp step: what needs
	 * the finished mount tree comes after it (apply.c refuses it
	 * before). */
	assert_true(step_at(&p, SANDBOX_STEP_NO_NEW_PRIVS) <
		    step_at(&p, SANDBOX_STEP_DROP_CAPS));
	assert_true(step_at(&p, SANDBOX_STEP_DROP_CAPS) <
		    step_at(&p, SANDBOX_STEP_SECCOMP));
	assert_true(step_at(&p, SANDBOX_STEP_SECCOMP) <
		    step_at(&p, SANDBOX_STEP_LANDLOCK));
	assert_true(step_at(&p, SANDBOX_STEP_LANDLOCK) <
		    step_at(&p, SANDBOX_STEP_CHDIR));
	assert_true(step_at(&p, SANDBOX_STEP_CHDIR) < p.n_steps);
	sandbox_plan_release(&p);
}

static void
test_plan_format_names_each_step(void **state)
{
	static const char *const d[] = {"d:/work", "d:/work/.git", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	buf_init(&b, 1 << 16);
	base_input(&in, "workspace-write");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "sandbox: workspace-write\n"));
	assert_non_null(strstr(b.p, "network: proxy only"));
	assert_non_null(strstr(b.p, "listen on 127.0.0.1:43128"));
	assert_non_null(strstr(b.p, "bind /work/.git read-only"));
	assert_non_null(strstr(b.p, "make every mount read-only"));
	assert_non_null(strstr(b.p, "bind /work back read-write, nosuid, "
				    "nodev"));
	assert_non_null(strstr(b.p, "new devpts instance"));
	assert_non_null(strstr(b.p, "sock_diag socket"));
	assert_non_null(strstr(b.p, "performed by airlock's supervisor"));
	assert_null(strstr(b.p, "TCP bind none"));
	assert_non_null(strstr(b.p, "exec true\n"));
	sandbox_plan_release(&p);
	buf_release(&b);
}

static void
record(struct audit_ring *r, const char *host, uint16_t port,
       const char *reason)
{
	struct audit_event ev = {0};

	ev.host = host;
	ev.port = port;
	ev.reason = reason;
	ev.protocol = "http";
	audit_ring_record(r, &ev);
}

static void
test_summary_groups_by_host_port_reason_and_names_the_fix(void **state)
{
	struct audit_ring r;
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	summary_format(&r, &b);
	assert_int_equal(b.len, 0);
	record(&r, "example.com", 80, "not_allowed");
	record(&r, "example.com", 80, "not_allowed");
	record(&r, "pypi.org", 443, "method_not_allowed");
	record(&r, "10.0.0.1", 80, "not_allowed_local");
	record(&r, "bad.example", 80, "denied");
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "5 request(s) blocked"));
	assert_non_null(strstr(b.p, "example.com:80 not_allowed (2x): allow "
				    "with --allow example.com"));
	assert_non_null(strstr(b.p, "pypi.org:443 method_not_allowed (1x)"));
	assert_non_null(strstr(b.p, "--mode full"));
	assert_non_null(strstr(b.p, "allow_local_binding"));
	assert_non_null(strstr(b.p, "denied_domains"));
	audit_ring_release(&r);
	buf_release(&b);
}

/* A setup command's sandbox: its own title, advice in setup.* keys. */
static void
test_summary_of_a_setup_command_names_it_and_the_setup_keys(void **state)
{
	struct audit_ring r;
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	record(&r, "example.com", 80, "not_allowed");
	record(&r, "pypi.org", 443, "method_not_allowed");
	summary_format_setup(&r, "npm ci", &b);
	assert_non_null(strstr(b.p, "airlock: setup `npm ci`: 2 request(s) "
				    "blocked:\n"));
	assert_non_null(strstr(b.p, "example.com:80 not_allowed (1x): allow "
				    "example.com with setup.allowed_domains"));
	assert_non_null(strstr(b.p, "setup.mode = \"full\""));
	assert_null(strstr(b.p, "--allow"));
	assert_null(strstr(b.p, "--mode"));
	audit_ring_release(&r);
	buf_release(&b);
}

static void
record_full(struct audit_ring *r, const char *host, unsigned port,
	    const char *reason, const char *protocol, const char *method)
{
	struct audit_event ev = {0};

	ev.host = host;
	ev.port = (uint16_t)port;
	ev.reason = reason;
	ev.protocol = protocol;
	ev.method = method;
	audit_ring_record(r, &ev);
}

static void
test_summary_names_the_refused_method_and_the_uncovered_port(void **state)
{
	struct audit_ring r;
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	record_full(&r, "pypi.org", 80, "method_not_allowed", "http", "POST");
	record_full(&r, "pypi.org", 80, "method_not_allowed", "http", "PUT");
	record_full(&r, "pypi.org", 80, "method_not_allowed", "http", "POST");
	record_full(&r, "git.example", 8443, "mitm_required", "https_connect",
		    "CONNECT");
	record_full(&r, "git.example", 22, "method_not_allowed", "socks5_tcp",
		    NULL);
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "pypi.org:80 method_not_allowed POST (2x): "
				    "limited mode allows GET, HEAD and OPTIONS "
				    "only, and refused POST: --mode full"));
	assert_non_null(strstr(b.p, "pypi.org:80 method_not_allowed PUT (1x): "
				    "limited mode allows GET, HEAD and OPTIONS "
				    "only, and refused PUT"));
	assert_non_null(strstr(b.p, "git.example:8443 mitm_required (1x): "
				    "limited mode intercepts HTTPS on port 443 "
				    "only, and refused a tunnel to port 8443"));
	assert_non_null(strstr(b.p, "git.example:22 method_not_allowed (1x): "
				    "limited mode intercepts port 443 only, "
				    "and refused a SOCKS5 connection to port "
				    "22"));
	buf_reset(&b);
	record_full(&r, "git.example", 22, "method_not_allowed", "tcp", NULL);
	record_full(&r, "8.8.8.8", 53, "udp_not_proxied", "udp", NULL);
	record_full(&r, "198.18.0.77", 80, "unknown_synthetic", "tcp", NULL);
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "git.example:22/tcp method_not_allowed "
				    "(1x): limited mode lets a connection to "
				    "port 22 through only as an HTTP request"));
	assert_non_null(strstr(b.p, "8.8.8.8:53/udp udp_not_proxied (1x): UDP "
				    "leaves the sandbox only"));
	assert_non_null(strstr(b.p, "198.18.0.77:80/tcp unknown_synthetic "
				    "(1x): an address of 198.18.0.0/15"));
	audit_ring_release(&r);
	buf_release(&b);
}

static void
test_summary_shows_dns_lookups_without_a_port(void **state)
{
	struct audit_ring r;
	struct audit_event ev = {0};
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	ev.host = "other.test";
	ev.port = 0;
	ev.reason = "not_allowed";
	ev.protocol = "dns";
	ev.method = "A";
	audit_ring_record(&r, &ev);
	ev.method = "AAAA";
	audit_ring_record(&r, &ev);
	ev.reason = "denied";
	ev.host = "evil.test";
	audit_ring_record(&r, &ev);
	record(&r, "other.test", 80, "not_allowed");
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "4 request(s) blocked"));
	assert_non_null(strstr(b.p, "  other.test (dns lookup) not_allowed "
				    "(2x): allow with --allow other.test"));
	assert_non_null(strstr(b.p, "  evil.test (dns lookup) denied (1x): "
				    "denied by"));
	assert_non_null(strstr(b.p, "  other.test:80 not_allowed (1x)"));
	assert_null(strstr(b.p, ":0 "));
	audit_ring_release(&r);
	buf_release(&b);
}

static void
test_summary_local_refusal_says_which_address_and_why(void **state)
{
	struct audit_ring r;
	struct audit_event ev = {0};
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	ev.host = "registry.example";
	ev.port = 443;
	ev.reason = "not_allowed_local";
	ev.protocol = "https_connect";
	ev.detail = "registry.example resolved to 10.1.2.3, a private "
		    "address: allow it with --allow 10.1.2.3";
	audit_ring_record(&r, &ev);
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "  registry.example:443 not_allowed_local "
				    "(1x): registry.example resolved to "
				    "10.1.2.3, a private address: allow it with "
				    "--allow 10.1.2.3\n"));
	/* The old advice named the flag the user had already passed. */
	assert_null(strstr(b.p, "--allow registry.example"));
	audit_ring_release(&r);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_network_grant_listens_on_proxy_ports),
		cmocka_unit_test(test_plan_port_zero_gets_a_fixed_port_in_the_namespace),
		cmocka_unit_test(test_plan_network_off_brings_up_lo_without_listeners),
		cmocka_unit_test(test_plan_keeps_the_listed_unix_sockets),
		cmocka_unit_test(test_plan_network_grant_binds_the_stub_resolver_after_the_listeners),
		cmocka_unit_test(test_plan_network_off_replaces_resolv_conf_without_a_resolver),
		cmocka_unit_test(test_plan_symlinked_resolv_conf_binds_over_its_target),
		cmocka_unit_test(test_plan_missing_resolv_conf_gets_no_step),
		cmocka_unit_test(test_plan_full_access_leaves_resolv_conf_alone),
		cmocka_unit_test(test_plan_steps_are_in_a_working_order),
		cmocka_unit_test(test_plan_format_names_each_step),
		cmocka_unit_test(test_summary_groups_by_host_port_reason_and_names_the_fix),
		cmocka_unit_test(
			test_summary_of_a_setup_command_names_it_and_the_setup_keys),
		cmocka_unit_test(test_summary_names_the_refused_method_and_the_uncovered_port),
		cmocka_unit_test(test_summary_shows_dns_lookups_without_a_port),
		cmocka_unit_test(
			test_summary_local_refusal_says_which_address_and_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
