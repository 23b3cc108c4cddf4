/* conf_rules.h — request rules and request actions of the effective
 * config: [permissions.network.request_rules.<name>] and
 * [permissions.network.request_actions.<name>] (doc/secrets.md).
 *
 * Validation is per layer, as the layer is walked: every problem is one
 * `file:line: key: problem` line. A rule needs host (one exact host: no
 * wildcard, no port; stored normalised), methods (non-empty HTTP tokens,
 * stored upper-cased; not CONNECT), path_prefixes (non-empty; each `/...`,
 * `pattern:/...` or `literal:/...`, without `?`, `#`, spaces or control
 * characters) and actions (non-empty); query and headers are optional
 * tables of string arrays; `body` is refused as reserved. An action needs
 * strip_request_headers or inject_request_headers; header names are
 * tokens (stored lower-cased) and may not name what the proxy owns (Host,
 * Content-Length, Transfer-Encoding and the hop-by-hop headers); each
 * injected header has exactly one of secret_file (absolute) or
 * secret_env_var (a variable name) and an optional prefix without
 * control characters.
 *
 * Layering: a rule or action is defined whole by one layer; a higher
 * layer that names it replaces it (a field-by-field merge could point a
 * lower layer's secret at another host). Rules are refused in a
 * project's config. After all layers (conf_rules_finish): when a managed
 * layer (managed_config.toml, managed preferences) defines any rule or
 * action, the managed rules and actions are the whole set and the others
 * are dropped with a warning; the requirement
 * `permissions.network.request_rules_managed_only = true` drops every
 * non-managed one, with a warning naming the requirement file. Then every
 * action a rule names must exist, and no rule may inject one header name
 * twice.
 *
 * Nothing here reads a secret: the config holds file paths and variable
 * names only (policy/reqpolicy.h loads them). Every pointer lives as long
 * as the struct conf. */
#ifndef AIRLOCK_CONF_RULES_H
#define AIRLOCK_CONF_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct conf;

/* One `name = [values]` constraint of a rule's query or headers. */
struct conf_rule_match {
	char *name;    /* query: as written; headers: lower-cased */
	char **values; /* matcher texts: plain, `pattern:...`, `literal:...` */
	size_t n;      /* 0 = must be present */
};

struct conf_reqrule {
	char *name;
	char *host;
	char **methods;
	size_t n_methods;
	char **paths;
	size_t n_paths;
	struct conf_rule_match *query;
	size_t n_query;
	struct conf_rule_match *headers;
	size_t n_headers;
	char **actions;
	size_t n_actions;
	char *origin;     /* `file:line` of its table (or `-c`...), for show */
	char *where;      /* `file:line: key` of its table, for messages */
	char *host_where; /* `file:line: key.host` */
	bool managed;     /* from a managed layer */
};

struct conf_inject {
	char *name;           /* lower-cased */
	char *prefix;         /* "" when absent */
	char *secret_file;    /* absolute, or NULL */
	char *secret_env_var; /* or NULL; exactly one of the two is set */
	char *where;          /* `file:line: key` of the entry, for messages */
};

struct conf_reqaction {
	char *name;
	char **strip; /* lower-cased */
	size_t n_strip;
	struct conf_inject *inject;
	size_t n_inject;
	char *origin;
	char *where;
	bool managed;
};

/* The effective rules and actions, in the order they were first
 * defined. */
size_t conf_request_rules(const struct conf *c,
			  const struct conf_reqrule **out);
size_t conf_request_actions(const struct conf *c,
			    const struct conf_reqaction **out);
/* The action called name, or NULL. */
const struct conf_reqaction *conf_request_action(const struct conf *c,
						 const char *name);
/* The secret_env_var names of every effective action (duplicates
 * removed), as a heap array of borrowed strings; *n gets the count. Free
 * the array with free(). The sandbox removes these from the command's
 * environment. */
const char **conf_request_env_vars(const struct conf *c, size_t *n);
/* The secret_file paths of every effective action (duplicates removed),
 * likewise: the sandbox hides these files from the command
 * (sandbox/hidden.h). */
const char **conf_request_secret_files(const struct conf *c, size_t *n);

/* For `airlock config show`: the rules and actions as TOML tables
 * (with_origins: one `key = value  # origin` line per rule or action),
 * and as members of root's permissions.network object (a json_t *). */
void conf_rules_show(struct buf *b, const struct conf *c, bool with_origins);
void conf_rules_json(void *root, const struct conf *c);

#endif
