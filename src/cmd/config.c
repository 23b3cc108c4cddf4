/* config.c — `airlock config show|check|schema`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "config/schema.h"
#include "lib/buf.h"
#include "policy/netpolicy.h"
#include "policy/reqpolicy.h"

static const char usage_text[] =
	"usage: airlock config show [--origins] [--json] [common options]\n"
	"       airlock config check [common options]\n"
	"       airlock config schema --markdown\n\n"
	"  show       print the effective merged config\n"
	"    --origins  one `key.path = value  # origin` line per leaf\n"
	"    --json     one JSON object shaped like the TOML\n"
	"  check      validate every layer and the requirements; exit 0\n"
	"             printing `config ok`, or 1 listing every problem\n"
	"  schema     print the config reference (markdown)\n\n" COMMON_USAGE;

struct flags {
	int origins, json, markdown, help;
};

/* Parses the options after the verb; 0, or 2 after a usage message. */
static int
parse(int argc, char **argv, struct conf_opts *o, struct flags *f)
{
	int i, r;

	memset(f, 0, sizeof(*f));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			f->help = 1;
		else if (strcmp(argv[i], "--origins") == 0)
			f->origins = 1;
		else if (strcmp(argv[i], "--json") == 0)
			f->json = 1;
		else if (strcmp(argv[i], "--markdown") == 0)
			f->markdown = 1;
		else if ((r = common_option(o, argc, argv, &i)) == -1)
			return 2;
		else if (r == 0) {
			fprintf(stderr, "airlock: config %s: unknown option "
				"'%s'\n%s", argv[0], argv[i], usage_text);
			return 2;
		}
	}
	return 0;
}

/* Loads and runs the network policy checks; problems go to stderr. With
 * all, the network checks run even when a layer had problems, so that
 * one run lists every problem (a bad enum value does not hide a bad
 * pattern). */
static struct conf *
load_checked(const struct conf_opts *o, bool all)
{
	struct errbuf warn, err;
	struct conf *c;

	errbuf_init(&warn);
	errbuf_init(&err);
	c = all ? conf_load_partial(o, &warn, &err) : conf_load(o, &warn, &err);
	if (c != NULL && netpolicy_check(c, &warn, &err) == -1) {
		conf_free(c);
		c = NULL;
	}
	if (err.count > 0) {
		conf_free(c);
		c = NULL;
	}
	common_print_lines(&warn, "warning: ");
	common_print_lines(&err, "");
	errbuf_release(&warn);
	errbuf_release(&err);
	return c;
}

static int
config_show(const struct conf_opts *o, const struct flags *f)
{
	struct conf *c = load_checked(o, false);
	char *text;

	if (c == NULL)
		return 2;
	if (f->json)
		text = conf_json(c);
	else
		text = conf_show(c, f->origins);
	fputs(text[0] == '\n' ? text + 1 : text, stdout);
	if (f->json)
		putchar('\n');
	free(text);
	conf_free(c);
	return 0;
}

/* Request rules compile and every secret they name can be read (and is
 * let go at once); problems go to stderr. `show` does not do this: it
 * shows the config even where a secret variable is not set. */
static int
secrets_checked(const struct conf *c)
{
	struct errbuf err;
	int rc;

	errbuf_init(&err);
	rc = reqpolicy_check(c, &err);
	common_print_lines(&err, "");
	errbuf_release(&err);
	return rc;
}

static int
config_check(const struct conf_opts *o)
{
	struct conf *c = load_checked(o, true);

	if (c != NULL && secrets_checked(c) == -1) {
		conf_free(c);
		c = NULL;
	}
	if (c == NULL)
		return 1;
	puts("config ok");
	conf_free(c);
	return 0;
}

static int
config_schema(const struct flags *f)
{
	struct buf b;

	if (!f->markdown) {
		fputs("airlock: config schema: only --markdown is supported\n",
		      stderr);
		return 2;
	}
	buf_init(&b, 1024 * 1024);
	schema_markdown(&b);
	fputs(b.p, stdout);
	buf_release(&b);
	return 0;
}

int
cmd_config(int argc, char **argv)
{
	struct conf_opts o;
	struct flags f;
	const char *verb;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	verb = argv[1];
	conf_opts_init(&o);
	rc = parse(argc - 1, argv + 1, &o, &f);
	if (rc == 0 && f.help) {
		fputs(usage_text, stdout);
	} else if (rc != 0) {
		/* usage error already reported */
	} else if (strcmp(verb, "show") == 0) {
		rc = config_show(&o, &f);
	} else if (strcmp(verb, "check") == 0) {
		rc = config_check(&o);
	} else if (strcmp(verb, "schema") == 0) {
		rc = config_schema(&f);
	} else {
		fprintf(stderr, "airlock: config: unknown command '%s'\n%s",
			verb, usage_text);
		rc = 2;
	}
	conf_opts_release(&o);
	return rc;
}
