/* test_netpolicy.c — the network policy built from config
 * (policy/netpolicy.h): the command's and the setup phase's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "config/conf.h"
#include "policy/netpolicy.h"
#include "policy/policy.h"

struct built {
	struct conf *c;
	struct policy *p;
	struct errbuf warn, err;
};

static void
build(struct built *b, const char *config, const char *req, bool setup)
{
	struct netpolicy_extra x = {0};

	errbuf_init(&b->warn);
	errbuf_init(&b->err);
	b->c = conf_load_text(config, strlen(config), req, strlen(req),
			      &b->warn, &b->err);
	assert_non_null(b->c);
	x.setup = setup;
	b->p = netpolicy_build(b->c, &x, &b->warn, &b->err);
}

static void
release(struct built *b)
{
	policy_free(b->p);
	conf_free(b->c);
	errbuf_release(&b->warn);
	errbuf_release(&b->err);
}

/* Whether a GET to host:port is not refused by the policy's lists. */
static bool
allows(const struct policy *p, const char *host, const char *method)
{
	struct policy_request r = {0};
	struct policy_decision d;

	r.host = host;
	r.port = 80;
	r.protocol = POLICY_PROTO_HTTP;
	r.method = method;
	policy_decide(p, &r, &d);
	return d.verdict != POLICY_VERDICT_DENY;
}

static void
test_netpolicy_setup_uses_its_own_list_and_preset(void **state)
{
	static const char cfg[] =
		"[permissions.network]\nallowed_domains = [\"agent.test\"]\n"
		"denied_domains = [\"bad.test\"]\n"
		"[setup]\nallowed_domains = [\"deps.test\", \"bad.test\"]\n";
	struct built cmd, setup;

	(void)state;
	build(&cmd, cfg, "", false);
	build(&setup, cfg, "", true);
	assert_non_null(cmd.p);
	assert_non_null(setup.p);
	assert_true(allows(cmd.p, "agent.test", "GET"));
	assert_false(allows(cmd.p, "deps.test", "GET"));
	assert_false(allows(cmd.p, "pypi.org", "GET"));
	assert_true(allows(setup.p, "deps.test", "GET"));
	assert_false(allows(setup.p, "agent.test", "GET"));
	/* common-dependencies by default; deny wins in both phases */
	assert_true(allows(setup.p, "pypi.org", "GET"));
	assert_false(allows(setup.p, "bad.test", "GET"));
	/* full mode by default for setup, limited for the command */
	assert_true(allows(setup.p, "deps.test", "POST"));
	assert_false(allows(cmd.p, "agent.test", "POST"));
	assert_string_equal(netpolicy_mode(setup.c, &(struct netpolicy_extra){
						     .setup = true}),
			    "full");
	release(&cmd);
	release(&setup);
}

static void
test_netpolicy_setup_is_bounded_by_its_requirement(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[setup]\nallowed_domains = [\"deps.test\"]\n",
	      "[setup]\nallowed_domains = [\"**.pypi.org\"]\n", true);
	assert_non_null(b.p);
	assert_false(allows(b.p, "deps.test", "GET"));
	assert_true(allows(b.p, "files.pypi.org", "GET"));
	assert_non_null(strstr(errbuf_str(&b.warn), "setup.allowed_domains[0]"));
	assert_non_null(strstr(errbuf_str(&b.warn),
			       "not covered by the managed allowed_domains"));
	release(&b);
}

/* Without [setup] allowed_domains in requirements, the network's managed
 * allowlist bounds the setup phase too: fail closed. */
static void
test_netpolicy_network_requirement_bounds_setup_too(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[setup]\nallowed_domains = [\"deps.test\"]\n",
	      "[permissions.network]\nallowed_domains = [\"corp.test\"]\n",
	      true);
	assert_non_null(b.p);
	assert_false(allows(b.p, "deps.test", "GET"));
	assert_false(allows(b.p, "pypi.org", "GET"));
	assert_true(allows(b.p, "corp.test", "GET"));
	release(&b);
}

static void
test_netpolicy_bad_setup_pattern_is_refused_by_check(void **state)
{
	static const char cfg[] = "[setup]\nallowed_domains = [\"*.com\"]\n";
	struct errbuf warn, err;
	struct conf *c;

	(void)state;
	errbuf_init(&warn);
	errbuf_init(&err);
	c = conf_load_text(cfg, strlen(cfg), "", 0, &warn, &err);
	assert_non_null(c);
	assert_int_equal(netpolicy_check(c, &warn, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "setup.allowed_domains[0]"));
	conf_free(c);
	errbuf_release(&warn);
	errbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_netpolicy_setup_uses_its_own_list_and_preset),
		cmocka_unit_test(
			test_netpolicy_setup_is_bounded_by_its_requirement),
		cmocka_unit_test(
			test_netpolicy_network_requirement_bounds_setup_too),
		cmocka_unit_test(
			test_netpolicy_bad_setup_pattern_is_refused_by_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
