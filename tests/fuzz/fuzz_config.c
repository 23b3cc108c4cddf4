/* fuzz_config.c — arbitrary bytes through the config merge/validate path,
 * without the file system. Input before a line "%%\n" is the config
 * document; what follows (if present) is a requirements document. The
 * result, when loaded, is rendered both ways so output code runs too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *sep;
	struct errbuf warn, err;
	struct conf *c;
	size_t cn = size;
	char *s;

	sep = memmem(p, size, "\n%%\n", 4);
	if (sep != NULL)
		cn = (size_t)(sep - p) + 1;
	errbuf_init(&warn);
	errbuf_init(&err);
	c = conf_load_text(p, cn, sep ? sep + 4 : NULL,
			   sep ? size - cn - 3 : 0, &warn, &err);
	if (c != NULL) {
		s = conf_show(c, true);
		free(s);
		s = conf_json(c);
		free(s);
		conf_free(c);
	}
	errbuf_release(&warn);
	errbuf_release(&err);
	return 0;
}
