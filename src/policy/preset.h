/* preset.h — named allowlist presets (`permissions.network.preset`).
 *
 * A preset adds patterns to the user's allowlist: `none` adds nothing,
 * `common-dependencies` a curated table of package registries, CDNs and
 * source hosts (documented line by line in doc/presets.md, which a unit
 * test keeps in step with the table), and `all` adds `*`. The tables are
 * static and read-only. */
#ifndef AIRLOCK_PRESET_H
#define AIRLOCK_PRESET_H

#include <stddef.h>

enum preset_id {
	PRESET_NONE,
	PRESET_COMMON_DEPENDENCIES,
	PRESET_ALL,
};

struct preset_entry {
	const char *pattern;
	const char *purpose; /* one line: what the host is for */
};

/* Parses a preset name; 0, or -1 when unknown. */
int preset_parse(const char *name, enum preset_id *out);
/* The name of id (`none`, `common-dependencies`, `all`). */
const char *preset_name(enum preset_id id);
/* The entries of id; *n gets their count (0 for none). */
const struct preset_entry *preset_entries(enum preset_id id, size_t *n);

#endif
