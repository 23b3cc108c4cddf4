/* test_plan.c — the sandbox plan (sandbox/plan.h), the `.git` file parser
 * (sandbox/probe.h) and the blocked summary (sandbox/summary.h), with a
 * fake file system. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "proxy/audit.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"
#include "sandbox/summary.h"

/* The fake disk: "d:/path" directories, "f:/path" files; "l:/a=/b" makes
 * /a resolve to /b; "g:/x/.git=/y" a gitdir file pointing at /y. */
static const char *const *disk;

static const char *
lookup(char type, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; disk[i] != NULL; i++)
		if (disk[i][0] == type && strncmp(disk[i] + 2, path, n) == 0 &&
		    (disk[i][2 + n] == '\0' || disk[i][2 + n] == '='))
			return disk[i];
	return NULL;
}

static int
fake_kind(void *arg, const char *path)
{
	(void)arg;
	if (lookup('d', path) != NULL)
		return 'd';
	if (lookup('f', path) != NULL || lookup('g', path) != NULL)
		return 'f';
	return 0;
}

static char *
fake_resolve(void *arg, const char *path)
{
	const char *l = lookup('l', path);

	if (l != NULL)
		return xstrdup(strchr(l, '=') + 1);
	return fake_kind(arg, path) ? xstrdup(path) : NULL;
}

static char *
fake_gitdir(void *arg, const char *gitfile)
{
	const char *g = lookup('g', gitfile);

	(void)arg;
	return g ? xstrdup(strchr(g, '=') + 1) : NULL;
}

static const struct sandbox_probe probe = {fake_resolve, fake_kind,
					   fake_gitdir, NULL};
static char *argv_true[] = {"true", NULL};

static void
base_input(struct sandbox_input *in, const char *mode)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->cwd = "/work";
	in->http_port = 43128;
	in->socks_port = 43130;
	in->uid = 1000;
	in->gid = 1000;
	in->landlock_abi = 7;
	in->argv = argv_true;
}

static size_t
count_steps(const struct sandbox_plan *p, enum sandbox_step_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_steps; i++)
		n += p->steps[i].kind == k;
	return n;
}

static bool
has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void
test_plan_workspace_write_grants_cwd_tmp_and_tmpdir(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", "d:/var/tmp2",
					NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.tmpdir = "/var/tmp2";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.fs, SANDBOX_FS_WORKSPACE_WRITE);
	assert_int_equal(p.net, SANDBOX_NET_OFF);
	assert_int_equal(p.n_writable, 3);
	assert_string_equal(p.writable[0], "/work");
	assert_true(has(p.writable, p.n_writable, "/tmp"));
	assert_true(has(p.writable, p.n_writable, "/var/tmp2"));
	assert_int_equal(p.n_ports, 0);
	sandbox_plan_release(&p);
}

static void
test_plan_exclusions_drop_tmp_and_tmpdir(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", "d:/t2", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.tmpdir = "/t2";
	in.exclude_slash_tmp = true;
	in.exclude_tmpdir_env_var = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_writable, 1);
	assert_string_equal(p.writable[0], "/work");
	sandbox_plan_release(&p);
}

static void
test_plan_read_only_grants_no_writable_root(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", "d:/work/.git",
					NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "read-only");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.fs, SANDBOX_FS_READ_ONLY);
	assert_int_equal(p.n_writable, 0);
	assert_int_equal(p.n_protected, 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LANDLOCK), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_SECCOMP), 1);
	sandbox_plan_release(&p);
}

static void
test_plan_full_access_is_only_exec(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "danger-full-access");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.net, SANDBOX_NET_HOST);
	assert_int_equal(p.n_steps, 1);
	assert_int_equal(p.steps[0].kind, SANDBOX_STEP_EXEC);
	sandbox_plan_release(&p);
}

static void
test_plan_git_dir_and_airlock_dir_are_protected(void **state)
{
	static const char *const d[] = {"d:/work", "d:/work/.git",
					"d:/work/.airlock", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_protected, 2);
	assert_true(has(p.protected, p.n_protected, "/work/.git"));
	assert_true(has(p.protected, p.n_protected, "/work/.airlock"));
	assert_int_equal(count_steps(&p, SANDBOX_STEP_BIND_RO), 2);
	sandbox_plan_release(&p);
}

static void
test_plan_gitdir_file_protects_file_and_target(void **state)
{
	static const char *const d[] = {
		"d:/work", "g:/work/.git=/repos/main/.git/worktrees/w", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_protected, 2);
	assert_true(has(p.protected, p.n_protected, "/work/.git"));
	assert_true(has(p.protected, p.n_protected,
			"/repos/main/.git/worktrees/w"));
	sandbox_plan_release(&p);
}

static void
test_plan_missing_protected_paths_are_not_mounted(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_protected, 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_BIND_RO), 0);
	sandbox_plan_release(&p);
}

static void
test_plan_writable_roots_are_canonical_and_deduplicated(void **state)
{
	static const char *const d[] = {"d:/work", "d:/data", "l:/link=/data",
					"f:/file", NULL};
	static const char *const roots[] = {"/link", "/data", "/missing",
					    "/file"};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	in.writable_roots = roots;
	in.n_writable_roots = 4;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_writable, 2);
	assert_string_equal(p.writable[1], "/data");
	sandbox_plan_release(&p);
}

static void
test_plan_relative_writable_root_is_an_error(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	static const char *const roots[] = {"rel/dir"};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct errbuf err;

	(void)state;
	disk = d;
	errbuf_init(&err);
	base_input(&in, "workspace-write");
	in.writable_roots = roots;
	in.n_writable_roots = 1;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "writable_roots: rel/dir"));
	errbuf_release(&err);
}

static void
test_plan_unknown_mode_and_empty_argv_are_errors(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	static char *empty[] = {NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct errbuf err;

	(void)state;
	disk = d;
	errbuf_init(&err);
	base_input(&in, "yolo");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "sandbox_mode: yolo"));
	base_input(&in, "read-only");
	in.argv = empty;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	errbuf_release(&err);
}

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

static void
test_plan_network_off_never_brings_up_lo(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LO_UP), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LISTEN), 0);
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

/* Restrictions come in an order that works: ids before listeners, mounts
 * before Landlock (which forbids mounting), no_new_privs before Landlock
 * and seccomp, seccomp after dropping capabilities, exec last. */
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
	assert_non_null(strstr(b.p, "TCP connect 127.0.0.1:43128"));
	assert_non_null(strstr(b.p, "exec true\n"));
	sandbox_plan_release(&p);
	buf_release(&b);
}

static void
test_gitdir_parse_relative_absolute_and_garbage(void **state)
{
	char *s;

	(void)state;
	s = sandbox_gitdir_parse("gitdir: ../main/.git/worktrees/w\n", 32,
				 "/src/w");
	assert_string_equal(s, "/src/w/../main/.git/worktrees/w");
	free(s);
	s = sandbox_gitdir_parse("gitdir:/abs/x\r\n", 15, "/src");
	assert_string_equal(s, "/abs/x");
	free(s);
	assert_null(sandbox_gitdir_parse("hello", 5, "/src"));
	assert_null(sandbox_gitdir_parse("gitdir: \n", 9, "/src"));
	assert_null(sandbox_gitdir_parse("gitdir: a\nb\n", 12, "/src"));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_workspace_write_grants_cwd_tmp_and_tmpdir),
		cmocka_unit_test(test_plan_exclusions_drop_tmp_and_tmpdir),
		cmocka_unit_test(test_plan_read_only_grants_no_writable_root),
		cmocka_unit_test(test_plan_full_access_is_only_exec),
		cmocka_unit_test(test_plan_git_dir_and_airlock_dir_are_protected),
		cmocka_unit_test(test_plan_gitdir_file_protects_file_and_target),
		cmocka_unit_test(test_plan_missing_protected_paths_are_not_mounted),
		cmocka_unit_test(test_plan_writable_roots_are_canonical_and_deduplicated),
		cmocka_unit_test(test_plan_relative_writable_root_is_an_error),
		cmocka_unit_test(test_plan_unknown_mode_and_empty_argv_are_errors),
		cmocka_unit_test(test_plan_network_grant_listens_on_proxy_ports),
		cmocka_unit_test(test_plan_network_off_never_brings_up_lo),
		cmocka_unit_test(test_plan_network_grant_binds_the_stub_resolver_after_the_listeners),
		cmocka_unit_test(test_plan_network_off_replaces_resolv_conf_without_a_resolver),
		cmocka_unit_test(test_plan_symlinked_resolv_conf_binds_over_its_target),
		cmocka_unit_test(test_plan_missing_resolv_conf_gets_no_step),
		cmocka_unit_test(test_plan_full_access_leaves_resolv_conf_alone),
		cmocka_unit_test(test_plan_steps_are_in_a_working_order),
		cmocka_unit_test(test_plan_format_names_each_step),
		cmocka_unit_test(test_gitdir_parse_relative_absolute_and_garbage),
		cmocka_unit_test(test_summary_groups_by_host_port_reason_and_names_the_fix),
		cmocka_unit_test(test_summary_names_the_refused_method_and_the_uncovered_port),
		cmocka_unit_test(test_summary_shows_dns_lookups_without_a_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
