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

#endif
