/* console_assets.h — the web console's files (src/server/console/),
 * compiled into the binary at build time by tools/embed-assets.c into
 * $(BUILD)/gen/console_assets.c. Nothing is read from disk or fetched at
 * run time. */
#ifndef AIRLOCK_CONSOLE_ASSETS_H
#define AIRLOCK_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *name;            /* base name: "index.html", "console.js" */
	const unsigned char *data;
	size_t len;
};

/* Every asset, ended by an entry whose name is NULL. */
extern const struct console_asset console_assets[];

#endif
