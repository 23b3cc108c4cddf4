/* conf.h — the effective, layered configuration.
 *
 * conf_load() reads every layer of DESIGN.md §4.2 (managed preferences,
 * managed_config.toml, the approvals file, -c overrides, user, trusted
 * project, system; the approvals file, config/approvals.h, adds to the
 * domain lists instead of replacing them),
 * validates each against the schema table (schema.h), merges them (tables
 * recursively; scalars and arrays replaced by the higher layer), applies
 * the scalar requirements, and returns an immutable struct conf. Every
 * value remembers its origin: `file:line`, `-c`, `managed-preferences` or
 * `default`. Relative paths in path-typed keys are made absolute against
 * the directory of the file that set them (cwd for -c).
 *
 * Ownership: the caller owns the struct conf and frees it with
 * conf_free(); every pointer a getter returns lives as long as the conf.
 * A conf never changes once loaded, so it may have several owners: each
 * conf_ref() adds one, each conf_free() drops one, the last one frees.
 * Getters take a dotted key of the schema; a key that is not in the schema,
 * or asking for the wrong type, is a programming error and aborts. */
#ifndef AIRLOCK_CONF_H
#define AIRLOCK_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/requirements.h"
#include "lib/errbuf.h"

/* Where to look. conf_opts_init() fills home, system_dir and cwd from the
 * environment (AIRLOCK_HOME, default ~/.airlock; AIRLOCK_SYSTEM_DIR,
 * default /etc/airlock; getcwd()). The strings are owned by the opts and
 * freed by conf_opts_release(); overrides[] is owned, its strings borrowed
 * (usually from argv). */
struct conf_opts {
	char *home;
	char *system_dir;
	char *config_file;  /* --config FILE replaces the user layer, or NULL */
	char *cwd;
	const char **overrides; /* "key.path=value", in command-line order */
	size_t n_overrides;
	bool verbose;           /* the user asked for more notes (-v) */
	bool quiet;             /* warnings were already shown: add none */
	/* A config just loaded from exactly these opts (borrowed), or NULL.
	 * An embedded proxy started with the opts takes a reference to it
	 * instead of reading every layer again (proxy.h); its reloads still
	 * read them. Whoever sets it clears it once the files may have
	 * changed (airlock run: after its first sandbox, whose approvals a
	 * later one must read); changing the opts clears it. */
	struct conf *loaded;
};

void conf_opts_init(struct conf_opts *o);
void conf_opts_release(struct conf_opts *o);
/* Sets config_file (copied). */
void conf_opts_set_config(struct conf_opts *o, const char *path);
/* Appends one "key.path=value" (borrowed). */
void conf_opts_add_override(struct conf_opts *o, const char *kv);

struct conf;

/* Loads the effective config. On any problem returns NULL with EVERY
 * problem of every layer added to err, one `file:line: key: problem` line
 * each. Requirement fallbacks of explicitly configured values, and a
 * project config ignored because the project is not trusted, add a
 * warning to warn. Either errbuf may be NULL.
 *
 * The managed layers are also read as requirements (as the reference
 * does with managed_config.toml): a managed `sandbox_mode = M` allows only
 * read-only and M, `approval_policy = X` only X, `web_search = W` only W
 * (and disabled). These narrow requirements.toml, never widen it. */
struct conf *conf_load(const struct conf_opts *o, struct errbuf *warn,
		       struct errbuf *err);
/* conf_load(), but a conf comes back even when err got problems: each
 * refused value keeps the lower layer's (or the default) value, so later
 * checks (netpolicy_check) can report their problems in the same run.
 * For `airlock config check`; never run anything with such a conf. */
struct conf *conf_load_partial(const struct conf_opts *o,
			       struct errbuf *warn, struct errbuf *err);
/* For tests and fuzzing: the same merge and validation with no file
 * system, config_text as the only (user) layer named "<config>" and
 * req_text (may be NULL) as requirements named "<requirements>". */
struct conf *conf_load_text(const char *config_text, size_t n,
			    const char *req_text, size_t rn,
			    struct errbuf *warn, struct errbuf *err);
void conf_free(struct conf *c);
/* One more owner of c (see Ownership above); returns c. */
struct conf *conf_ref(struct conf *c);

bool conf_bool(const struct conf *c, const char *key);
int64_t conf_int(const struct conf *c, const char *key);
/* Strings, enums, URLs, paths. For approval_policy: "untrusted",
 * "on-request", "never" or "granular" (see conf_granular). */
const char *conf_str(const struct conf *c, const char *key);
/* Array values: the number of items; *items gets the array. */
size_t conf_strv(const struct conf *c, const char *key,
		 const char *const **items);
/* `file:line`, "-c", "managed-preferences" or "default". */
const char *conf_origin(const struct conf *c, const char *key);
/* Origin of item i of an array value (the line of that element). */
const char *conf_item_origin(const struct conf *c, const char *key,
			     size_t i);
/* True when some layer set key (it was not defaulted). */
bool conf_is_set(const struct conf *c, const char *key);
/* `file:line` of the managed layer (managed_config.toml, or the managed
 * preferences' config_toml_base64) that set key, or NULL when none did. */
const char *conf_managed_origin(const struct conf *c, const char *key);
/* A user-level override — a command-line flag, an app-server param —
 * asks to set key to value ("true", "full", "read-only"; for an array key,
 * one item). Managed config beats the user: when a managed layer sets key
 * and value is not its value (for arrays: not one of its items), adds
 * `KEY = VALUE is set by the managed config FILE:LINE` to err and returns
 * -1. Returns 0 otherwise. */
int conf_check_override(const struct conf *c, const char *key,
			const char *value, struct errbuf *err);
/* The same for a user-level list that replaces the array key as a whole
 * (`airlock run --setup`): refused unless it is exactly the managed list,
 * in order. */
int conf_check_override_list(const struct conf *c, const char *key,
			     const char *const *v, size_t n,
			     struct errbuf *err);
/* The flag of a granular approval policy ("rules"...); false when the
 * policy is not granular or the flag was not given. */
bool conf_granular(const struct conf *c, const char *flag);

/* [projects."<path>"] entries of the effective config. */
struct conf_project {
	const char *path;
	const char *trust_level; /* "trusted" or "untrusted" */
	const char *origin;
};
size_t conf_projects(const struct conf *c, const struct conf_project **out);
/* The directory whose .airlock/config.toml was loaded, or NULL. */
const char *conf_project_dir(const struct conf *c);

/* The requirements in force (never NULL; all unset when none). */
const struct requirements *conf_requirements(const struct conf *c);

/* Output, in schema order. show: TOML text (with_origins: each leaf as
 * `key.path = value  # origin`); json: one JSON object shaped like the
 * TOML. Both return heap strings. */
char *conf_show(const struct conf *c, bool with_origins);
char *conf_json(const struct conf *c);

#endif
