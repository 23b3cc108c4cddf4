/* test_netpolicy.c — the network policy built from config
 * (policy/netpolicy.h): the command's and the setup phase's, and the
 * loopback entries a sandboxed run refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
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

/* Whether a request to host:80 passes the policy's lists (an allowlist
 * miss that a person could be asked about does not). */
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
	return d.verdict == POLICY_VERDICT_ALLOW ||
	       d.verdict == POLICY_VERDICT_RESOLVE;
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

/* A preset's names that a requirement drops are one warning, not one per
 * name; the user's own entries are still named one by one. */
static void
test_netpolicy_dropped_preset_is_one_warning(void **state)
{
	struct built b;
	const char *w;

	(void)state;
	build(&b, "[setup]\nallowed_domains = [\"a.test\", \"b.test\"]\n",
	      "[permissions.network]\nallowed_domains = [\"corp.test\"]\n",
	      true);
	assert_non_null(b.p);
	w = errbuf_str(&b.warn);
	assert_non_null(strstr(w, "\"a.test\" is disallowed by requirements"));
	assert_non_null(strstr(w, "\"b.test\" is disallowed by requirements"));
	assert_non_null(strstr(w, "setup.preset common-dependencies: "));
	assert_non_null(strstr(w, "more) are disallowed by requirements; "
				  "ignoring them"));
	assert_null(strstr(w, "\"pypi.org\" is disallowed"));
	assert_false(allows(b.p, "pypi.org", "GET"));
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

/* netpolicy_check_loopback on a config holding allowed (TOML array text)
 * and the flags; the error text in out. */
static int
check(const char *allowed, const char *const *flags, size_t n, char *out,
      size_t outn)
{
	struct netpolicy_extra extra = {0};
	struct errbuf err;
	struct conf *c;
	char text[512];
	int rc;

	snprintf(text, sizeof(text),
		 "[permissions.network]\nallowed_domains = %s\n", allowed);
	c = conf_load_text(text, strlen(text), NULL, 0, NULL, NULL);
	assert_non_null(c);
	extra.allow = flags;
	extra.n_allow = n;
	errbuf_init(&err);
	rc = netpolicy_check_loopback(c, &extra, &err);
	snprintf(out, outn, "%s", errbuf_str(&err));
	errbuf_release(&err);
	conf_free(c);
	return rc;
}

static void
test_netpolicy_loopback_without_port_is_refused(void **state)
{
	static const char *const entries[] = {
		"127.0.0.1", "127.1.2.3", "[::1]", "::1", "localhost",
		"LOCALHOST.", "db.localhost", "127.0.0.0/8", "127.0.0.0/24",
		"::1/128", "::ffff:127.0.0.1", "*.dev.localhost", NULL};
	char out[1024];
	size_t i;

	(void)state;
	for (i = 0; entries[i] != NULL; i++) {
		const char *flag[1] = {entries[i]};

		assert_int_equal(check("[]", flag, 1, out, sizeof(out)), -1);
		assert_non_null(strstr(out, "loopback is the command's own"));
	}
}

static void
test_netpolicy_loopback_message_names_the_port_form(void **state)
{
	const char *flags[] = {"127.0.0.1", "[::1]"};
	char out[2048];

	(void)state;
	assert_int_equal(check("[\"localhost\"]", flags, 2, out, sizeof(out)),
			 -1);
	assert_non_null(strstr(out, "--allow 127.0.0.1: inside the sandbox"));
	assert_non_null(strstr(out, "name its port: --allow 127.0.0.1:PORT"));
	assert_non_null(strstr(out, "name its port: --allow [::1]:PORT"));
	assert_non_null(strstr(out, "<config>:2: "
				    "permissions.network.allowed_domains[0]: "
				    "localhost: "));
	assert_non_null(strstr(out, "name its port: localhost:PORT"));
}

static void
test_netpolicy_port_forms_and_other_hosts_pass(void **state)
{
	static const char *const entries[] = {
		"127.0.0.1:8765", "[::1]:8765", "localhost:8765",
		"example.com", "10.0.0.0/8", "*", "0.0.0.0/0", "::/0",
		"notlocalhost", "localhost.example.com", "128.0.0.1", NULL};
	char out[1024];
	size_t i;

	(void)state;
	for (i = 0; entries[i] != NULL; i++) {
		const char *flag[1] = {entries[i]};

		assert_int_equal(check("[]", flag, 1, out, sizeof(out)), 0);
		assert_string_equal(out, "");
	}
}

/* The setup phase's own list is judged the same way. */
static void
test_netpolicy_loopback_in_setup_list_is_refused(void **state)
{
	static const char cfg[] =
		"[permissions.network]\nallowed_domains = [\"127.0.0.1:80\"]\n"
		"[setup]\nallowed_domains = [\"localhost\"]\n";
	struct netpolicy_extra setup = {0};
	struct errbuf err;
	struct conf *c;

	(void)state;
	c = conf_load_text(cfg, strlen(cfg), NULL, 0, NULL, NULL);
	assert_non_null(c);
	errbuf_init(&err);
	assert_int_equal(netpolicy_check_loopback(c, NULL, &err), 0);
	setup.setup = true;
	assert_int_equal(netpolicy_check_loopback(c, &setup, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "setup.allowed_domains[0]"));
	assert_non_null(strstr(errbuf_str(&err), "localhost:PORT"));
	errbuf_release(&err);
	conf_free(c);
}

/* netpolicy_validate() (the check of every `airlock run`, which does not
 * compile the built-in preset again) refuses what netpolicy_build()
 * refuses, with the same lines, and passes what it builds. */
static void
test_netpolicy_validate_says_what_build_says(void **state)
{
	static const struct {
		const char *config, *req;
	} cases[] = {
		{"", ""},
		{"[permissions.network]\npreset = \"common-dependencies\"\n"
		 "allowed_domains = [\"*.example.com\"]\n", ""},
		{"[permissions.network]\npreset = \"all\"\n", ""},
		{"[permissions.network]\npreset = \"common-dependencies\"\n",
		 "[permissions.network]\nallowed_domains = [\"pypi.org\"]\n"},
		{"[permissions.network]\nallowed_domains = [\"*.com\", \"a..b\"]\n"
		 "denied_domains = [\"*\"]\n", ""},
		{"[setup]\nallowed_domains = [\"*.com\"]\n", ""},
		{"", "[permissions.network]\nallowed_domains = [\"*\"]\n"},
		{"[setup]\npreset = \"all\"\n",
		 "[permissions.network]\nallowed_domains = [\"*.org\"]\n"
		 "allowlist_expansion = true\n"},
	};
	static const char *const allow[] = {"ok.example", "*.net"};
	struct netpolicy_extra x = {0};
	struct errbuf e1, e2;
	struct policy *p;
	struct conf *c;
	size_t i, k, built = 0, refused = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < 4; k++) {
			errbuf_init(&e1);
			errbuf_init(&e2);
			c = conf_load_text(cases[i].config,
					   strlen(cases[i].config), cases[i].req,
					   strlen(cases[i].req), NULL, &e1);
			assert_non_null(c);
			memset(&x, 0, sizeof(x));
			x.setup = k & 1;
			x.allow = k & 2 ? allow : NULL;
			x.n_allow = k & 2 ? 2 : 0;
			p = netpolicy_build(c, &x, NULL, &e1);
			assert_int_equal(netpolicy_validate(c, &x, &e2),
					 p != NULL ? 0 : -1);
			assert_string_equal(errbuf_str(&e1), errbuf_str(&e2));
			built += p != NULL;
			refused += p == NULL;
			policy_free(p);
			conf_free(c);
			errbuf_release(&e1);
			errbuf_release(&e2);
		}
	}
	assert_true(built >= 10 && refused >= 10);
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
		cmocka_unit_test(test_netpolicy_loopback_without_port_is_refused),
		cmocka_unit_test(
			test_netpolicy_loopback_message_names_the_port_form),
		cmocka_unit_test(test_netpolicy_port_forms_and_other_hosts_pass),
		cmocka_unit_test(test_netpolicy_dropped_preset_is_one_warning),
		cmocka_unit_test(
			test_netpolicy_loopback_in_setup_list_is_refused),
		cmocka_unit_test(test_netpolicy_validate_says_what_build_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
