/* ca.c — `airlock ca path`: where the MITM CA lives (DESIGN §1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "lib/errbuf.h"
#include "proxy/ca.h"

static const char usage_text[] =
	"usage: airlock ca path [--bundle]\n"
	"\n"
	"Prints the path of the managed MITM CA certificate, creating the CA\n"
	"($AIRLOCK_HOME/proxy/ca.pem and ca.key) and the trust bundle\n"
	"(system roots + the CA, ca-bundle.pem) when they do not exist yet.\n"
	"\n"
	"  --bundle   print the trust bundle's path instead\n";

static int
ca_path(const struct conf_opts *o, int bundle_only)
{
	struct errbuf err;
	struct ca *ca;
	char *dir = ca_dir_for_home(o->home);
	char *bundle = NULL;
	int rc = 2;

	errbuf_init(&err);
	ca = ca_load_or_create(dir, &err);
	if (ca != NULL)
		bundle = ca_write_bundle(ca, dir, &err);
	if (bundle == NULL) {
		common_print_lines(&err, "");
		goto out;
	}
	if (bundle_only)
		printf("%s\n", bundle);
	else
		printf("%s/%s\n", dir, CA_CERT_FILE);
	rc = 0;
out:
	free(bundle);
	ca_free(ca);
	free(dir);
	errbuf_release(&err);
	return rc;
}

int
cmd_ca(int argc, char **argv)
{
	struct conf_opts o;
	int i, rc, bundle = 0, sub = 0;

	conf_opts_init(&o);
	for (i = 1; i < argc; i++) {
		rc = common_option(&o, argc, argv, &i);
		if (rc == -1)
			goto usage;
		if (rc == 1)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			conf_opts_release(&o);
			return 0;
		}
		if (strcmp(argv[i], "--bundle") == 0)
			bundle = 1;
		else if (strcmp(argv[i], "path") == 0 && !sub)
			sub = 1;
		else
			goto usage;
	}
	if (!sub)
		goto usage;
	rc = ca_path(&o, bundle);
	conf_opts_release(&o);
	return rc;
usage:
	fputs(usage_text, stderr);
	conf_opts_release(&o);
	return 2;
}
