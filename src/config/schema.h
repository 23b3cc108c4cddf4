/* schema.h — the one table describing every configuration key.
 *
 * Every key of DESIGN.md §4.1 is one row: its full dotted path, its type,
 * its default (as the text of a TOML value, or NULL for an empty array),
 * its bounds or accepted values, and a one-line doc. Defaults, validation,
 * `airlock config show` and doc/config.md all come from this table, so
 * adding a key is adding a row. The table is static and immutable.
 *
 * The map `[projects."<absolute path>"]` is described by the one row whose
 * key is SCHEMA_PROJECTS_KEY; it is handled by the loader, not as a leaf. */
#ifndef AIRLOCK_SCHEMA_H
#define AIRLOCK_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum schema_type {
	SCHEMA_BOOL,
	SCHEMA_INT,       /* integer within [min, max] */
	SCHEMA_STRING,
	SCHEMA_ENUM,      /* one of values[] */
	SCHEMA_LISTENER,  /* http://IP-or-localhost:PORT, port 0 = ephemeral */
	SCHEMA_UPSTREAM,  /* "" or http|socks5|socks5h://[user:pass@]host[:port] */
	SCHEMA_PATH,      /* "" or a path; relative resolves against its file */
	SCHEMA_STRV,      /* array of strings */
	SCHEMA_PATTERNV,  /* array of domain patterns (checked by netpolicy) */
	SCHEMA_PATHV,     /* array of paths, each resolved like SCHEMA_PATH */
	SCHEMA_PATHSET,   /* array of paths like SCHEMA_PATHV, where `~` and
			   * `~/...` stand for the caller's home; the lists
			   * of every layer are joined: a layer adds, none
			   * removes (sandbox.hidden_paths) */
	SCHEMA_APPROVAL,  /* enum values[] or { granular = { ... } } */
	SCHEMA_SOCKMAP,   /* table of absolute path = "allow"; kept as the
			   * array of its paths; layers add to it */
};

#define SCHEMA_PROJECTS_KEY "projects.*.trust_level"

struct schema_key {
	const char *key;             /* full dotted path */
	enum schema_type type;
	const char *def;             /* default as text; NULL = [] */
	const char *const *values;   /* NULL-terminated, enums only */
	int64_t min, max;            /* SCHEMA_INT only */
	const char *doc;             /* one line */
};

/* The granular approval flags, in display order. */
extern const char *const schema_granular_flags[];
#define SCHEMA_GRANULAR_N 5

/* The table, and its row count. */
const struct schema_key *schema_keys(size_t *n);
/* The row for key, or NULL. */
const struct schema_key *schema_find(const char *key);
/* Index of row k in the table. */
size_t schema_index(const struct schema_key *k);
/* True when prefix names a table of the schema ("permissions",
 * "permissions.network", "projects"...). */
int schema_is_table(const char *prefix);
/* The valid key (or table) nearest to key by edit distance, or NULL when
 * nothing is close. */
const char *schema_suggest(const char *key);
/* "a boolean", "one of limited, full"... for messages; static or owned by
 * the table, never freed. */
const char *schema_type_name(enum schema_type t);
/* The named sub-tables [permissions.network.request_rules.<name>] and
 * [permissions.network.request_actions.<name>] (config/conf_rules.c reads
 * them): the keys one rule or one action may hold, for validation
 * messages and the reference. */
#define SCHEMA_RULES_TABLE "permissions.network.request_rules"
#define SCHEMA_ACTIONS_TABLE "permissions.network.request_actions"

struct schema_subkey {
	const char *table;  /* SCHEMA_RULES_TABLE or SCHEMA_ACTIONS_TABLE */
	const char *key;    /* "host", "inject_request_headers[].name"... */
	const char *type;   /* for the reference */
	const char *doc;    /* one line */
};

/* The sub-table keys, rules first, and their count. */
const struct schema_subkey *schema_rule_keys(size_t *n);

/* Writes the markdown reference (keys, requirements, layers) to f. */
struct buf;
int schema_markdown(struct buf *out);

#endif
