/* conf_rules_int.h — private to src/config/: how the loader hands request
 * rules to conf_rules.c (see conf_rules.h for what is checked). */
#ifndef AIRLOCK_CONF_RULES_INT_H
#define AIRLOCK_CONF_RULES_INT_H

#include "config/conf_int.h"
#include "config/conf_rules.h"

struct conf_rules {
	struct conf_reqrule *rules;
	size_t nrules;
	struct conf_reqaction *actions;
	size_t nactions;
};

/* True when key (a dotted table path) is SCHEMA_RULES_TABLE or
 * SCHEMA_ACTIONS_TABLE. */
bool conf_rules_owns(const char *key);
/* Validates the value of one of those tables in layer L and sets its
 * entries into c, each replacing a lower layer's entry of the same name. */
void conf_rules_walk(struct conf *c, const struct layer *L, const char *key,
		     const struct toml_value *v, struct errbuf *err);
/* After every layer and the requirements: managed pinning,
 * request_rules_managed_only, and the cross-checks. */
void conf_rules_finish(struct conf *c, struct errbuf *warn,
		       struct errbuf *err);
void conf_rules_free(struct conf_rules *r);
void conf_reqrule_release(struct conf_reqrule *r);
void conf_reqaction_release(struct conf_reqaction *a);

/* Header names the proxy writes or strips itself: never stripped or
 * injected by an action. */
bool conf_rules_owned_header(const char *lower_name);

/* --- conf_rules_value.c: checks of single values ----------------------- */

/* An HTTP token (RFC 9110); rule and action names (letters, digits, `_`
 * and `-`, at most 64); an environment variable name. */
bool rules_is_token(const char *s);
bool rules_is_name(const char *s, size_t n);
bool rules_is_env_name(const char *s);
/* A control character other than tab. */
bool rules_has_ctl(const char *s);
void rules_lower(char *s);
/* `label:line: key`, as layer_error() starts its lines: where a value was
 * written, for messages made later (loading its secret). Heap string. */
char *rules_where(const struct layer *L, int line, const char *key);
/* Reports `key: "value" why` and returns -1. */
int rules_bad_value(struct errbuf *err, const struct layer *L, int line,
		    const char *key, const char *value, const char *why);
/* 0 when v has type t, else -1 after reporting `expected want`. */
int rules_want_type(struct errbuf *err, const struct layer *L,
		    const char *key, const struct toml_value *v,
		    enum toml_type t, const char *want);
/* The string v, or NULL after reporting why it is not one. */
const char *rules_want_string(struct errbuf *err, const struct layer *L,
			      const char *key, const struct toml_value *v);
/* `unknown key (expected one of ...)`. */
void rules_unknown(struct errbuf *err, const struct layer *L, int line,
		   const char *key, const char *const *keys);

/* Checks one array item s (written at line, named key) and may rewrite
 * it in place (upper- or lower-casing); 0, or -1 after reporting. */
typedef int item_check_fn(struct errbuf *err, const struct layer *L,
			  int line, const char *key, char *s);
item_check_fn rules_check_method;      /* token, upper-cased, not CONNECT */
item_check_fn rules_check_path;        /* a path prefix in one of 3 forms */
item_check_fn rules_check_action_name;
item_check_fn rules_check_header_name; /* token, lower-cased, not owned */
item_check_fn rules_check_match_value; /* no control characters */
/* An array of strings, each copied and passed through check (may be
 * NULL); nonempty refuses []. Appends to *out / *nout (which the caller
 * frees, also on failure). 0, or -1 after reporting. */
int rules_read_strv(struct errbuf *err, const struct layer *L,
		    const char *key, const struct toml_value *v, bool nonempty,
		    item_check_fn *check, char ***out, size_t *nout);

#endif
