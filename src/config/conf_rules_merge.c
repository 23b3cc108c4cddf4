/* conf_rules_merge.c — request rules after every layer: who may define
 * them (managed pinning, request_rules_managed_only), the cross-checks,
 * and the getters (see conf_rules.h). */
#include "config/conf_rules_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* Drops every non-managed entry, warning for each with why. */
static void
keep_managed(struct conf_rules *R, const char *why, const char *origin,
	     struct errbuf *warn)
{
	size_t i, n;

	for (i = n = 0; i < R->nrules; i++) {
		if (R->rules[i].managed) {
			R->rules[n++] = R->rules[i];
			continue;
		}
		errbuf_add(warn, "%s: request rule %s is ignored: %s (%s)",
			   R->rules[i].where, R->rules[i].name, why, origin);
		conf_reqrule_release(&R->rules[i]);
	}
	R->nrules = n;
	for (i = n = 0; i < R->nactions; i++) {
		if (R->actions[i].managed) {
			R->actions[n++] = R->actions[i];
			continue;
		}
		errbuf_add(warn, "%s: request action %s is ignored: %s (%s)",
			   R->actions[i].where, R->actions[i].name, why,
			   origin);
		conf_reqaction_release(&R->actions[i]);
	}
	R->nactions = n;
}

/* The `where` of the first managed entry, or NULL when there is none. */
static const char *
first_managed(const struct conf_rules *R)
{
	size_t i;

	for (i = 0; i < R->nrules; i++)
		if (R->rules[i].managed)
			return R->rules[i].where;
	for (i = 0; i < R->nactions; i++)
		if (R->actions[i].managed)
			return R->actions[i].where;
	return NULL;
}

static const struct conf_reqaction *
find_action(const struct conf_rules *R, const char *name)
{
	size_t i;

	for (i = 0; R != NULL && i < R->nactions; i++)
		if (strcmp(R->actions[i].name, name) == 0)
			return &R->actions[i];
	return NULL;
}

/* Two actions of rule r that inject the same header would send it
 * twice. */
static void
check_pair(const struct conf_reqrule *r, const struct conf_reqaction *a,
	   const struct conf_reqaction *b, struct errbuf *err)
{
	size_t i, j;

	for (i = 0; i < a->n_inject; i++)
		for (j = 0; j < b->n_inject; j++)
			if (strcmp(a->inject[i].name, b->inject[j].name) == 0)
				errbuf_add(err, "%s.actions: %s and %s both "
					   "inject %s", r->where, a->name,
					   b->name, a->inject[i].name);
}

/* Every action of r exists and is named once; no header is injected
 * twice. */
static void
check_rule(const struct conf_rules *R, const struct conf_reqrule *r,
	   struct errbuf *err)
{
	const struct conf_reqaction *a, *b;
	size_t j, k;

	for (j = 0; j < r->n_actions; j++) {
		a = find_action(R, r->actions[j]);
		if (a == NULL) {
			errbuf_add(err, "%s.actions[%zu]: no request action "
				   "called %s (define [%s.%s])",
				   r->where, j, r->actions[j],
				   SCHEMA_ACTIONS_TABLE, r->actions[j]);
			continue;
		}
		for (k = j + 1; k < r->n_actions; k++) {
			b = find_action(R, r->actions[k]);
			if (b == a)
				errbuf_add(err, "%s.actions[%zu]: %s is named "
					   "twice", r->where, k, a->name);
			else if (b != NULL)
				check_pair(r, a, b, err);
		}
	}
}

void
conf_rules_finish(struct conf *c, struct errbuf *warn, struct errbuf *err)
{
	const struct req_flag *only = &c->req.request_rules_managed_only;
	struct conf_rules *R = c->rules;
	const char *managed;
	size_t i;

	if (R == NULL)
		return;
	if (only->set && only->value)
		keep_managed(R, "disallowed by requirements: "
			     "request_rules_managed_only = true",
			     only->origin, warn);
	else if ((managed = first_managed(R)) != NULL)
		keep_managed(R, "the managed config defines the request "
			     "rules and actions", managed, warn);
	for (i = 0; i < R->nrules; i++)
		check_rule(R, &R->rules[i], err);
}

size_t
conf_request_rules(const struct conf *c, const struct conf_reqrule **out)
{
	*out = c->rules ? c->rules->rules : NULL;
	return c->rules ? c->rules->nrules : 0;
}

size_t
conf_request_actions(const struct conf *c, const struct conf_reqaction **out)
{
	*out = c->rules ? c->rules->actions : NULL;
	return c->rules ? c->rules->nactions : 0;
}

const struct conf_reqaction *
conf_request_action(const struct conf *c, const char *name)
{
	return find_action(c->rules, name);
}

/* The distinct secret_file (files) or secret_env_var values of every
 * injected header, as a heap array of borrowed strings. */
static const char **
inject_strings(const struct conf *c, bool files, size_t *n)
{
	const struct conf_rules *R = c->rules;
	const struct conf_inject *in;
	const char **v, *e;
	size_t i, j, k, cap = 0;

	*n = 0;
	for (i = 0; R != NULL && i < R->nactions; i++)
		cap += R->actions[i].n_inject;
	v = xcalloc(cap + 1, sizeof(*v));
	for (i = 0; R != NULL && i < R->nactions; i++) {
		for (j = 0; j < R->actions[i].n_inject; j++) {
			in = &R->actions[i].inject[j];
			e = files ? in->secret_file : in->secret_env_var;
			for (k = 0; e != NULL && k < *n; k++)
				if (strcmp(v[k], e) == 0)
					break;
			if (e != NULL && k == *n)
				v[(*n)++] = e;
		}
	}
	return v;
}

const char **
conf_request_env_vars(const struct conf *c, size_t *n)
{
	return inject_strings(c, false, n);
}

const char **
conf_request_secret_files(const struct conf *c, size_t *n)
{
	return inject_strings(c, true, n);
}
