/* approvals.c — `airlock approvals list|revoke PATTERN`: the network
 * approvals a person answered "always" ($AIRLOCK_HOME/approvals.toml,
 * config/approvals.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "config/approvals.h"
#include "lib/errbuf.h"
#include "policy/netpolicy.h"

static const char usage_text[] =
	"usage: airlock approvals list\n"
	"       airlock approvals revoke PATTERN\n"
	"\n"
	"The network approvals answered \"always\" (allow_always,\n"
	"deny_always), kept in $AIRLOCK_HOME/approvals.toml and loaded as\n"
	"allowlist and "
	"denylist entries on top of your config (requirements still bound "
	"them).\n"
	"\n"
	"  list             each entry: allow or deny, host:port, file:line;\n"
	"                   entries requirements drop are said so\n"
	"  revoke PATTERN   remove the entry PATTERN (host:port); a bare host\n"
	"                   removes its entries on every port. Exit 1 when "
	"there\n"
	"                   is none\n";

/* Requirements may drop an approved entry (a managed allowlist without
 * allowlist_expansion): building the policy says so; pass those lines on. */
static void
print_dropped(const struct conf_opts *o, const char *path)
{
	struct errbuf warn, err;
	struct conf *c;
	struct policy *p;
	const char *s, *nl;

	errbuf_init(&warn);
	errbuf_init(&err);
	c = conf_load(o, NULL, &err);
	p = c ? netpolicy_build(c, NULL, &warn, &err) : NULL;
	for (s = errbuf_str(&warn); *s != '\0'; s = *nl ? nl + 1 : nl) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		if (strncmp(s, path, strlen(path)) == 0)
			printf("warning: %.*s\n", (int)(nl - s), s);
	}
	if (c == NULL)
		common_print_lines(&err, "warning: ");
	policy_free(p);
	conf_free(c);
	errbuf_release(&warn);
	errbuf_release(&err);
}

static int
list(const struct conf_opts *o)
{
	char *path = approvals_path(o->home);
	struct approvals a;
	struct errbuf err;
	size_t i;
	int rc = 2;

	errbuf_init(&err);
	if (approvals_load(path, &a, &err) == -1) {
		common_print_lines(&err, "");
		goto out;
	}
	for (i = 0; i < a.n_allow; i++)
		printf("allow  %s  %s:%d\n", a.allow[i], path, a.allow_line[i]);
	for (i = 0; i < a.n_deny; i++)
		printf("deny   %s  %s:%d\n", a.deny[i], path, a.deny_line[i]);
	if (a.n_allow + a.n_deny == 0)
		printf("no approvals in %s\n", path);
	else
		print_dropped(o, path);
	approvals_release(&a);
	rc = 0;
out:
	errbuf_release(&err);
	free(path);
	return rc;
}

static void
print_revoked(void *arg, const char *entry)
{
	printf("revoked %s\n", entry);
	(*(size_t *)arg)++;
}

static int
revoke(const struct conf_opts *o, const char *pattern)
{
	char *path = approvals_path(o->home);
	struct errbuf err;
	size_t total = 0;
	int rc;

	errbuf_init(&err);
	if (approvals_revoke(o->home, pattern, print_revoked, &total,
			     &err) == -1)
		common_print_lines(&err, "");
	else if (total == 0)
		fprintf(stderr, "airlock: approvals revoke: no approval for %s "
				"in %s\n",
			pattern, path);
	rc = err.count > 0 ? 2 : total == 0 ? 1 : 0;
	errbuf_release(&err);
	free(path);
	return rc;
}

int
cmd_approvals(int argc, char **argv)
{
	const char *sub = NULL, *pattern = NULL;
	struct conf_opts o;
	int i, rc;

	conf_opts_init(&o);
	for (i = 1; i < argc; i++) {
		rc = common_option(&o, argc, argv, &i);
		if (rc == -1)
			goto usage;
		if (rc == 1)
			continue;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf("%s\n%s", usage_text, COMMON_USAGE);
			conf_opts_release(&o);
			return 0;
		}
		if (sub == NULL)
			sub = argv[i];
		else if (pattern == NULL)
			pattern = argv[i];
		else
			goto usage;
	}
	if (sub != NULL && strcmp(sub, "list") == 0 && pattern == NULL)
		rc = list(&o);
	else if (sub != NULL && strcmp(sub, "revoke") == 0 && pattern != NULL)
		rc = revoke(&o, pattern);
	else
		goto usage;
	conf_opts_release(&o);
	return rc;
usage:
	fputs(usage_text, stderr);
	conf_opts_release(&o);
	return 2;
}
