/* requirements.h — admin constraints from requirements.toml.
 *
 * A struct requirements is built from up to two TOML documents: the system
 * file `$AIRLOCK_SYSTEM_DIR/requirements.toml` and the managed-preferences
 * payload `requirements_toml_base64`, which wins key by key. Parsing is
 * pure: the caller hands parsed TOML trees in. Every set value remembers its
 * origin `file:line`; list items remember their own.
 *
 * The scalar constraints (sandbox modes, approval policies, web search,
 * network enabled/mode and the `false` pins) are applied to a config by
 * conf_load(). The domain lists and their flags are only exposed here: the
 * network policy glue (policy/netpolicy.c) applies them.
 *
 * The [setup] table bounds the setup phase's network (`setup.*` keys):
 * `network_access = false` pins it off, `mode` is its maximum, and
 * `allowed_domains` is its managed allowlist. Where [setup] says nothing
 * about mode or the allowlist, the [permissions.network] ones bound the
 * setup phase too. */
#ifndef AIRLOCK_REQUIREMENTS_H
#define AIRLOCK_REQUIREMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/toml.h"
#include "lib/errbuf.h"

/* A list requirement; set is false when no layer gave it. */
struct req_list {
	bool set;
	char *origin;    /* `file:line` of the key */
	char **items;    /* heap strings */
	char **origins;  /* `file:line` of each item */
	size_t n;
};

/* A boolean requirement: value is meaningful only when set. */
struct req_flag {
	bool set;
	bool value;
	char *origin;
};

struct requirements {
	char *file; /* the requirement file(s) that were read, or NULL */
	struct req_list sandbox_modes;      /* allowed_sandbox_modes */
	struct req_list approval_policies;  /* allowed_approval_policies */
	struct req_list web_search_modes;   /* allowed_web_search_modes */
	/* allowed_workspace_roots [ours]: absolute paths; the workspace must
	 * be one of them or below one (sandbox/workspace.h) */
	struct req_list workspace_roots;
	/* [sandbox] hidden_paths: absolute or `~/...` paths hidden in every
	 * run, joined to sandbox.hidden_paths; hidden_paths_defaults = true
	 * keeps the default credential locations hidden (only true is
	 * accepted) */
	struct req_list hidden_paths;
	struct req_flag hidden_paths_defaults;
	/* [permissions.network] */
	struct req_flag enabled;
	bool mode_set;
	char *mode; /* "limited" or "full": the maximum */
	char *mode_origin;
	struct req_list allowed_domains;
	struct req_list denied_domains;
	struct req_flag allowlist_expansion;
	struct req_flag managed_allowed_domains_only;
	struct req_flag allow_local_binding;
	struct req_flag allow_upstream_proxy;
	struct req_flag dangerously_allow_non_loopback_proxy;
	struct req_flag dangerously_allow_non_loopback_admin;
	struct req_flag dangerously_allow_all_unix_sockets;
	/* true: request rules and actions come from managed layers only
	 * (config/conf_rules.h) */
	struct req_flag request_rules_managed_only;
	struct req_flag limited_allow_git_fetch;
	/* [setup] [ours]: the setup phase's network (see setup.h) */
	struct req_flag setup_network_access;
	bool setup_mode_set;
	char *setup_mode; /* the maximum, as mode */
	char *setup_mode_origin;
	struct req_list setup_allowed_domains;
};

void requirements_init(struct requirements *r);
void requirements_release(struct requirements *r);

/* Reads the keys of one requirements document (root table doc, written in
 * the file named label) into r, replacing what r already holds key by key.
 * Every problem (unknown key, wrong type, bad value, allowed_sandbox_modes
 * without read-only, empty allowed_approval_policies) is added to err as
 * `label:line: key: problem`. Returns 0, or -1 when anything was wrong. */
int requirements_merge(struct requirements *r, const struct toml_value *doc,
		       const char *label, struct errbuf *err);

/* Narrows the list requirement of key ("sandbox_mode", "approval_policy"
 * or "web_search") to items[0..n), which then remember origin. Used for
 * the managed layers' values, which act as requirements but must never
 * widen requirements.toml: when the list does not allow every item, it is
 * left as it is (the managed value itself then falls back to what the
 * list requires). */
void requirements_narrow(struct requirements *r, const char *key,
			 const char *const *items, size_t n,
			 const char *origin);

/* Checks one proposed runtime change (a dotted config key and its new
 * value as text: "true", "full", "read-only"...) against r. Returns 0 when
 * allowed; otherwise adds `invalid value for KEY: VALUE (allowed ...)
 * (ORIGIN)` to err and returns -1. Keys without a requirement are allowed. */
int requirements_check_change(const struct requirements *r, const char *key,
			      const char *value, struct errbuf *err);

/* The req_flag pinning key ("permissions.network.allow_local_binding"...,
 * "sandbox.hidden_paths_defaults"), or NULL when key has no such pin. */
const struct req_flag *requirements_flag(const struct requirements *r,
					 const char *key);

/* The setup phase's maximum mode ([setup] mode, else [permissions.network]
 * mode), or NULL when neither is set; *origin gets its file:line. */
const char *requirements_setup_mode(const struct requirements *r,
				    const char **origin);
/* The setup phase's managed allowlist: [setup] allowed_domains when set,
 * else [permissions.network]'s (which may be unset too). */
const struct req_list *
requirements_setup_allowlist(const struct requirements *r);

/* Whether the value is allowed by list l (true when l is unset). */
bool req_list_allows(const struct req_list *l, const char *value);

#endif
