/* common.c — options shared by every subcommand. */
#include "cmd/common.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"

void
common_print_lines(struct errbuf *e, const char *prefix)
{
	const char *p = errbuf_str(e), *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		fprintf(stderr, "%s%.*s\n", prefix, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

bool
common_help_asked(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* The argument of an option given as `-x ARG`, `-xARG` or `--x=ARG`. */
static const char *
option_arg(int argc, char **argv, int *i, size_t optlen)
{
	const char *a = argv[*i];

	if (a[optlen] == '=' && a[1] == '-')
		return a + optlen + 1;
	if (a[optlen] != '\0')
		return a + optlen;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int
common_option(struct conf_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;

	if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		o->verbose = true;
		log_set_level(LOG_DEBUG);
		return 1;
	}
	if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
		v = option_arg(argc, argv, i, 8);
		if (v == NULL || *v == '\0') {
			fputs("airlock: --config needs a FILE\n", stderr);
			return -1;
		}
		conf_opts_set_config(o, v);
		return 1;
	}
	if (strncmp(a, "-c", 2) == 0) {
		v = option_arg(argc, argv, i, 2);
		if (v == NULL || strchr(v, '=') == NULL) {
			fputs("airlock: -c needs key.path=value\n", stderr);
			return -1;
		}
		conf_opts_add_override(o, v);
		return 1;
	}
	return 0;
}

int
common_load_conf(const struct conf_opts *o, struct conf **out)
{
	struct errbuf warn, err;

	errbuf_init(&warn);
	errbuf_init(&err);
	*out = conf_load(o, &warn, &err);
	common_print_lines(&warn, "warning: ");
	if (*out == NULL)
		common_print_lines(&err, "");
	errbuf_release(&warn);
	errbuf_release(&err);
	return *out == NULL ? 2 : 0;
}
