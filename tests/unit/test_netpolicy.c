/* test_netpolicy.c — config meets policy (policy/netpolicy.h): the
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netpolicy_loopback_without_port_is_refused),
		cmocka_unit_test(
			test_netpolicy_loopback_message_names_the_port_form),
		cmocka_unit_test(test_netpolicy_port_forms_and_other_hosts_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
