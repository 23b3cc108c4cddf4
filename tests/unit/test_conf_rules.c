/* test_conf_rules.c — request rules and actions in the layered config
 * (config/conf_rules.h): validation, layering, managed pinning. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf.h"
#include "config/conf_rules.h"
#include "lib/xalloc.h"

#define RULE(name, host)                                                  \
	"[permissions.network.request_rules." name "]\n"                  \
	"host = \"" host "\"\nmethods = [\"GET\"]\n"                      \
	"path_prefixes = [\"/\"]\nactions = [\"a\"]\n"
#define ACTION(name)                                                      \
	"[permissions.network.request_actions." name "]\n"                \
	"inject_request_headers = [{ name = \"authorization\", "          \
	"secret_env_var = \"TOK\" }]\n"

/* Loads text as the only layer expecting failure; the error text. */
static const char *
load_err(const char *text)
{
	static char out[8192];
	struct errbuf err;
	struct conf *c;

	errbuf_init(&err);
	c = conf_load_text(text, strlen(text), NULL, 0, NULL, &err);
	assert_null(c);
	snprintf(out, sizeof(out), "%s", errbuf_str(&err));
	errbuf_release(&err);
	return out;
}

static void
has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("\"%s\" not in:\n%s", want, text);
}

/* --- validation ------------------------------------------------------------ */

static void
test_conf_rules_each_bad_value_names_line_and_problem(void **state)
{
	const char *e = load_err(
		"[permissions.network.request_rules.r]\n"
		"host = \"*.example.com\"\n"
		"methods = []\n"
		"path_prefixes = [\"repos/\"]\n"
		"actions = [\"a\"]\n"
		"body = \"x\"\n"
		"querry = {}\n" ACTION("a"));

	(void)state;
	has(e, "<config>:2: permissions.network.request_rules.r.host: "
	       "\"*.example.com\" holds a wildcard");
	has(e, "<config>:3: permissions.network.request_rules.r.methods: "
	       "must not be empty");
	has(e, "<config>:4: permissions.network.request_rules.r."
	       "path_prefixes[0]: \"repos/\" must start with /");
	has(e, "<config>:6: permissions.network.request_rules.r.body: "
	       "reserved");
	has(e, "<config>:7: permissions.network.request_rules.r.querry: "
	       "unknown key (expected one of host, methods, path_prefixes, "
	       "query, headers, actions)");
}

static void
test_conf_rules_required_keys_are_named(void **state)
{
	const char *e = load_err("[permissions.network.request_rules.r]\n"
				 "host = \"x.example\"\n");

	(void)state;
	has(e, "<config>:1: permissions.network.request_rules.r: missing "
	       "required key methods");
	has(e, "missing required key path_prefixes");
	has(e, "missing required key actions");
}

static void
test_conf_rules_methods_are_upper_cased_tokens(void **state)
{
	static const char text[] =
		"[permissions.network.request_rules.r]\nhost = \"x.example\"\n"
		"methods = [\"get\", \"Post\"]\npath_prefixes = [\"/\"]\n"
		"actions = [\"a\"]\n" ACTION("a");
	const struct conf_reqrule *r;
	struct conf *c;

	(void)state;
	c = conf_load_text(text, strlen(text), NULL, 0, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(conf_request_rules(c, &r), 1);
	assert_string_equal(r[0].methods[0], "GET");
	assert_string_equal(r[0].methods[1], "POST");
	assert_string_equal(r[0].origin, "<config>:1");
	conf_free(c);
	has(load_err("[permissions.network.request_rules.r]\n"
		     "host = \"x.example\"\nmethods = [\"GE T\", \"connect\"]\n"
		     "path_prefixes = [\"/\"]\nactions = [\"a\"]\n" ACTION("a")),
	    "methods[0]: \"GE T\" is not an HTTP method");
}

static void
test_conf_rules_action_problems(void **state)
{
	const char *e = load_err(
		"[permissions.network.request_actions.a]\n"
		"strip_request_headers = [\"content-length\", \"bad name\"]\n"
		"inject_request_headers = [\n"
		"  { name = \"x\", secret_file = \"rel\" },\n"
		"  { name = \"y\", secret_file = \"/s\", secret_env_var = \"T\" },\n"
		"  { name = \"z\" },\n"
		"  { name = \"w\", prefix = \"a\\nb\", secret_env_var = \"T\" },\n"
		"  { name = \"v\", secret_env_var = \"NOT-A-NAME\" },\n"
		"  { name = \"u\", secret_env_var = \"T\", body = 1 },\n"
		"]\n"
		"[permissions.network.request_actions.empty]\n");

	(void)state;
	has(e, "<config>:2: permissions.network.request_actions.a."
	       "strip_request_headers[0]: \"content-length\" is a header the "
	       "proxy itself manages");
	has(e, "strip_request_headers[1]: \"bad name\" is not a valid header "
	       "name");
	has(e, "<config>:4: permissions.network.request_actions.a."
	       "inject_request_headers[0].secret_file: \"rel\" is not an "
	       "absolute path");
	has(e, "<config>:5: permissions.network.request_actions.a."
	       "inject_request_headers[1]: needs exactly one of secret_file "
	       "and secret_env_var");
	has(e, "inject_request_headers[2]: needs exactly one of");
	has(e, "inject_request_headers[3].prefix: \"a\\nb\" holds a control "
	       "character");
	has(e, "inject_request_headers[4].secret_env_var: \"NOT-A-NAME\" is "
	       "not an environment variable name");
	has(e, "inject_request_headers[5].body: unknown key");
	has(e, "<config>:11: permissions.network.request_actions.empty: does "
	       "nothing");
}

static void
test_conf_rules_actions_must_exist_and_not_inject_twice(void **state)
{
	const char *e = load_err(
		"[permissions.network.request_rules.r]\nhost = \"x.example\"\n"
		"methods = [\"GET\"]\npath_prefixes = [\"/\"]\n"
		"actions = [\"a\", \"b\", \"missing\", \"a\"]\n" ACTION("a")
			ACTION("b"));

	(void)state;
	has(e, "<config>:1: permissions.network.request_rules.r.actions[2]: "
	       "no request action called missing");
	has(e, "<config>:1: permissions.network.request_rules.r.actions: a "
	       "and b both inject authorization");
	has(e, "actions[3]: a is named twice");
}

static void
test_conf_rules_env_vars_are_listed_once(void **state)
{
	static const char text[] = RULE("r", "x.example") ACTION("a")
		ACTION("b") "[permissions.network.request_actions.c]\n"
		"inject_request_headers = [{ name = \"k\", "
		"secret_env_var = \"OTHER\" }, { name = \"f\", "
		"secret_file = \"/f\" }]\n";
	struct conf *c;
	const char **v;
	size_t n;

	(void)state;
	c = conf_load_text(text, strlen(text), NULL, 0, NULL, NULL);
	assert_non_null(c);
	v = conf_request_env_vars(c, &n);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "TOK");
	assert_string_equal(v[1], "OTHER");
	free(v);
	conf_free(c);
}

/* --- layers -------------------------------------------------------------------- */

struct tree {
	char root[64];
	struct conf_opts o;
};

static void
put(struct tree *t, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", t->root, rel), *p;
	FILE *f;

	for (p = path + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
tree_init(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/airlock-rules-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	memset(&t->o, 0, sizeof(t->o));
	t->o.home = xasprintf("%s/home", t->root);
	t->o.system_dir = xasprintf("%s/sys", t->root);
	t->o.cwd = xasprintf("%s/proj", t->root);
	put(t, "proj/.keep", "");
}

static void
tree_release(struct tree *t)
{
	char *cmd = xasprintf("rm -rf '%s'", t->root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	conf_opts_release(&t->o);
}

static struct conf *
tree_load(struct tree *t, struct errbuf *warn, struct errbuf *err)
{
	return conf_load(&t->o, warn, err);
}

static void
test_conf_rules_higher_layer_replaces_a_rule_whole(void **state)
{
	const struct conf_reqrule *r;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "sys/config.toml",
	    "[permissions.network.request_rules.r]\nhost = \"low.example\"\n"
	    "methods = [\"GET\"]\npath_prefixes = [\"/\"]\n"
	    "query = { q = [\"1\"] }\nactions = [\"a\"]\n" ACTION("a"));
	put(&t, "home/config.toml", RULE("r", "high.example"));
	c = tree_load(&t, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(conf_request_rules(c, &r), 1);
	assert_string_equal(r[0].host, "high.example");
	assert_int_equal(r[0].n_query, 0); /* not merged field by field */
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_rules_a_partial_override_is_an_error_not_a_merge(void **state)
{
	struct errbuf err;
	struct tree t;

	(void)state;
	tree_init(&t);
	put(&t, "home/config.toml", RULE("r", "x.example") ACTION("a"));
	conf_opts_add_override(&t.o, "permissions.network.request_rules.r.host"
				     "=evil.example");
	errbuf_init(&err);
	assert_null(tree_load(&t, NULL, &err));
	has(errbuf_str(&err), "-c: permissions.network.request_rules.r: "
			      "missing required key methods");
	errbuf_release(&err);
	tree_release(&t);
}

static void
test_conf_rules_managed_layer_pins_the_set(void **state)
{
	const struct conf_reqaction *a;
	const struct conf_reqrule *r;
	struct errbuf warn;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "home/config.toml",
	    RULE("mine", "mine.example") ACTION("mine_act"));
	put(&t, "sys/managed_config.toml",
	    RULE("corp", "corp.example") ACTION("a"));
	errbuf_init(&warn);
	c = tree_load(&t, &warn, NULL);
	assert_non_null(c);
	assert_int_equal(conf_request_rules(c, &r), 1);
	assert_string_equal(r[0].name, "corp");
	assert_true(r[0].managed);
	assert_int_equal(conf_request_actions(c, &a), 1);
	assert_string_equal(a[0].name, "a");
	has(errbuf_str(&warn), "home/config.toml:1: permissions.network."
			       "request_rules.mine: request rule mine is "
			       "ignored: the managed config defines the "
			       "request rules and actions");
	has(errbuf_str(&warn), "request action mine_act is ignored");
	has(errbuf_str(&warn), "sys/managed_config.toml:1");
	errbuf_release(&warn);
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_rules_managed_rule_needs_a_managed_action(void **state)
{
	struct errbuf err;
	struct tree t;

	(void)state;
	tree_init(&t);
	/* a user action of the same name cannot feed a managed rule */
	put(&t, "home/config.toml", ACTION("a"));
	put(&t, "sys/managed_config.toml", RULE("corp", "corp.example"));
	errbuf_init(&err);
	assert_null(tree_load(&t, NULL, &err));
	has(errbuf_str(&err), "no request action called a");
	errbuf_release(&err);
	tree_release(&t);
}

static void
test_conf_rules_managed_only_requirement_drops_user_rules(void **state)
{
	const struct conf_reqrule *r;
	struct errbuf warn;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "home/config.toml", RULE("mine", "mine.example") ACTION("a"));
	put(&t, "sys/requirements.toml",
	    "[permissions.network]\nrequest_rules_managed_only = true\n");
	errbuf_init(&warn);
	c = tree_load(&t, &warn, NULL);
	assert_non_null(c);
	assert_int_equal(conf_request_rules(c, &r), 0);
	has(errbuf_str(&warn), "request rule mine is ignored: disallowed by "
			       "requirements: request_rules_managed_only = "
			       "true");
	has(errbuf_str(&warn), "sys/requirements.toml:2");
	errbuf_release(&warn);
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_rules_managed_only_keeps_managed_rules(void **state)
{
	const struct conf_reqrule *r;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
	    RULE("corp", "corp.example") ACTION("a"));
	put(&t, "sys/requirements.toml",
	    "[permissions.network]\nrequest_rules_managed_only = true\n");
	c = tree_load(&t, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(conf_request_rules(c, &r), 1);
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_rules_project_config_may_not_define_rules(void **state)
{
	struct errbuf err;
	struct tree t;
	char *trust;

	(void)state;
	tree_init(&t);
	trust = xasprintf("[projects.\"%s/proj\"]\ntrust_level = "
			  "\"trusted\"\n",
			  t.root);
	put(&t, "home/config.toml", trust);
	put(&t, "proj/.airlock/config.toml",
	    RULE("evil", "evil.example") ACTION("a"));
	errbuf_init(&err);
	assert_null(tree_load(&t, NULL, &err));
	has(errbuf_str(&err), "proj/.airlock/config.toml:1: permissions."
			      "network.request_rules: not accepted in a "
			      "project's config");
	errbuf_release(&err);
	free(trust);
	tree_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_conf_rules_each_bad_value_names_line_and_problem),
		cmocka_unit_test(test_conf_rules_required_keys_are_named),
		cmocka_unit_test(test_conf_rules_methods_are_upper_cased_tokens),
		cmocka_unit_test(test_conf_rules_action_problems),
		cmocka_unit_test(
			test_conf_rules_actions_must_exist_and_not_inject_twice),
		cmocka_unit_test(test_conf_rules_env_vars_are_listed_once),
		cmocka_unit_test(
			test_conf_rules_higher_layer_replaces_a_rule_whole),
		cmocka_unit_test(
			test_conf_rules_a_partial_override_is_an_error_not_a_merge),
		cmocka_unit_test(test_conf_rules_managed_layer_pins_the_set),
		cmocka_unit_test(
			test_conf_rules_managed_rule_needs_a_managed_action),
		cmocka_unit_test(
			test_conf_rules_managed_only_requirement_drops_user_rules),
		cmocka_unit_test(
			test_conf_rules_managed_only_keeps_managed_rules),
		cmocka_unit_test(
			test_conf_rules_project_config_may_not_define_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
