/* conf_int.h — private to the config module (conf.c, conf_walk.c,
 * layers.c, conf_show.c): the layout of struct conf and of one layer. Not
 * for use outside src/config/. */
#ifndef AIRLOCK_CONF_INT_H
#define AIRLOCK_CONF_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/conf.h"
#include "config/schema.h"
#include "config/toml.h"
#include "lib/errbuf.h"

/* One effective value; which members matter depends on the schema type. */
struct conf_val {
	bool set;              /* some layer gave it */
	bool b;
	int64_t i;
	char *s;               /* strings, enums, URLs, paths, approval */
	char **v;              /* arrays: n heap strings */
	char **item_origins;   /* arrays: origin of each item */
	size_t n;
	bool gran[SCHEMA_GRANULAR_N];
	char *origin;
	char *managed;         /* `file:line` of the managed layer that set it,
				* or NULL (managed config beats user flags) */
};

struct conf_rules; /* conf_rules.c: request rules and actions */

struct conf {
	unsigned refs;         /* owners (conf_ref); the last conf_free frees */
	struct conf_val *vals; /* one per schema row, same index */
	size_t nvals;
	struct conf_project *projects; /* strings owned (cast away const) */
	size_t nprojects;
	char *project_dir;
	struct requirements req;
	struct conf_rules *rules; /* NULL when no layer defines any */
};

/* Which kind of layer a document is; request rules care (conf_rules.h). */
enum layer_kind {
	LAYER_USER,    /* user, system, -c */
	LAYER_PROJECT, /* a trusted project's .airlock/config.toml */
	LAYER_MANAGED, /* managed_config.toml, managed preferences */
};

/* One source document. label names it in errors ("/h/config.toml",
 * "-c", "/s/managed_preferences.toml[config_toml_base64]"); origin is what
 * values from it remember: origin:line when origin_lines, else origin. */
struct layer {
	char *label;
	char *origin;
	bool lines;        /* errors carry :line */
	bool origin_lines; /* origins carry :line */
	/* approvals.toml (config/approvals.h): only the two domain arrays,
	 * and they join the lower layers' lists instead of replacing them */
	bool additive;
	char *dir;  /* base for relative paths */
	struct toml_value *doc;
	enum layer_kind kind;
};

struct conf *conf_new_defaults(void);
/* Validates layer L against the schema and sets its values into c,
 * replacing lower layers' values. Adds every problem to err. */
void conf_walk_layer(struct conf *c, const struct layer *L,
		     struct errbuf *err);
/* Narrows c->req by what the managed layers set (sandbox_mode,
 * approval_policy, web_search); see conf_load() in conf.h. */
void conf_derive_managed_requirements(struct conf *c);
/* Applies the scalar requirements of c->req to c; warnings to warn. */
void conf_apply_requirements(struct conf *c, struct errbuf *warn);
/* `["a", "b"]`: items as a TOML array of strings, for messages. Heap. */
char *conf_list_text(char *const *items, size_t n);
/* The value of key (a schema key). */
struct conf_val *conf_val_of(struct conf *c, const char *key);
/* Replaces v's content (frees the old). */
void conf_val_clear(struct conf_val *v);
/* "file:line" or the layer's bare origin. Heap string. */
char *layer_origin(const struct layer *L, int line);
/* Adds `label[:line]: key: problem` to err. */
void layer_error(struct errbuf *err, const struct layer *L, int line,
		 const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Validators for URL-typed strings; NULL when valid, else why not. */
const char *conf_check_listener(const char *s);
const char *conf_check_upstream(const char *s);

#endif
