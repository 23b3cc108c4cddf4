/* reqpolicy.c — request rules in force: building from the config with the
 * secrets loaded, the decisions, and the header rewrite (reqpolicy.h). */
#include "policy/reqpolicy.h"

#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include "lib/xalloc.h"
#include "policy/host.h"

#define INJECTED "[injected]"

struct inject {
	char *name;           /* lower-cased */
	struct secret *value; /* prefix + secret */
};

struct action {
	char *name;
	char **strip;
	size_t n_strip;
	struct inject *inject;
	size_t n_inject;
};

struct reqpolicy {
	struct reqrule_set *rules;
	struct action *actions;
	size_t nactions;
};

/* --- building --------------------------------------------------------- */

static void
action_release(struct action *a)
{
	size_t i;

	free(a->name);
	for (i = 0; i < a->n_strip; i++)
		free(a->strip[i]);
	free(a->strip);
	for (i = 0; i < a->n_inject; i++) {
		free(a->inject[i].name);
		secret_free(a->inject[i].value);
	}
	free(a->inject);
}

void
reqpolicy_free(struct reqpolicy *rp)
{
	size_t i;

	if (rp == NULL)
		return;
	reqrule_set_free(rp->rules);
	for (i = 0; i < rp->nactions; i++)
		action_release(&rp->actions[i]);
	free(rp->actions);
	free(rp);
}

/* prefix + the secret in, or NULL after adding `where: problem`. */
static struct secret *
load_value(const struct conf_inject *in, struct errbuf *err)
{
	struct secret *raw, *v = NULL;
	struct errbuf e;

	errbuf_init(&e);
	raw = in->secret_file ? secret_from_file(in->secret_file, &e)
			      : secret_from_env(in->secret_env_var, &e);
	if (raw != NULL) {
		v = secret_concat(in->prefix, raw);
		if (v == NULL)
			errbuf_add(&e, "prefix and secret are longer than %d "
				   "bytes", SECRET_MAX);
	}
	if (e.count > 0)
		errbuf_add(err, "%s: %s", in->where, errbuf_first(&e));
	secret_free(raw);
	errbuf_release(&e);
	return v;
}

static int
load_action(struct action *a, const struct conf_reqaction *c,
	    struct errbuf *err)
{
	size_t i;
	int rc = 0;

	a->name = xstrdup(c->name);
	a->strip = xcalloc(c->n_strip + 1, sizeof(*a->strip));
	for (i = 0; i < c->n_strip; i++)
		a->strip[a->n_strip++] = xstrdup(c->strip[i]);
	a->inject = xcalloc(c->n_inject + 1, sizeof(*a->inject));
	for (i = 0; i < c->n_inject; i++) {
		struct inject *in = &a->inject[a->n_inject];

		in->value = load_value(&c->inject[i], err);
		if (in->value == NULL) {
			rc = -1;
			continue;
		}
		in->name = xstrdup(c->inject[i].name);
		a->n_inject++;
	}
	return rc;
}

/* Whether some rule of c runs the action called name: secrets of actions
 * no rule uses are never read. */
static bool
used(const struct conf *c, const char *name)
{
	const struct conf_reqrule *r;
	size_t i, j, n = conf_request_rules(c, &r);

	for (i = 0; i < n; i++)
		for (j = 0; j < r[i].n_actions; j++)
			if (strcmp(r[i].actions[j], name) == 0)
				return true;
	return false;
}

struct reqpolicy *
reqpolicy_build(const struct conf *c, struct errbuf *err)
{
	struct reqpolicy *rp = xcalloc(1, sizeof(*rp));
	const struct conf_reqaction *a;
	const struct conf_reqrule *r;
	size_t i, n;
	int bad = 0;

	n = conf_request_rules(c, &r);
	rp->rules = reqrule_set_new(r, n, err);
	if (rp->rules == NULL)
		bad = 1;
	n = conf_request_actions(c, &a);
	rp->actions = xcalloc(n + 1, sizeof(*rp->actions));
	for (i = 0; i < n; i++) {
		if (!used(c, a[i].name))
			continue;
		bad |= load_action(&rp->actions[rp->nactions++], &a[i], err) ==
		       -1;
	}
	if (bad) {
		reqpolicy_free(rp);
		return NULL;
	}
	return rp;
}

int
reqpolicy_check(const struct conf *c, struct errbuf *err)
{
	struct reqpolicy *rp = reqpolicy_build(c, err);

	reqpolicy_free(rp);
	return rp == NULL ? -1 : 0;
}

bool
reqpolicy_active(const struct reqpolicy *rp)
{
	return rp != NULL && reqrule_count(rp->rules) > 0;
}

const struct reqrule_set *
reqpolicy_rules(const struct reqpolicy *rp)
{
	return rp ? rp->rules : NULL;
}

static const struct action *
find_action(const struct reqpolicy *rp, const char *name)
{
	size_t i;

	for (i = 0; i < rp->nactions; i++)
		if (strcmp(rp->actions[i].name, name) == 0)
			return &rp->actions[i];
	return NULL;
}

/* --- decisions -------------------------------------------------------- */

bool
reqpolicy_host_has_rules(const struct reqpolicy *rp, const char *host)
{
	const char *why;
	struct host h;

	if (!reqpolicy_active(rp) || host == NULL ||
	    host_normalize(host, strlen(host), 0, &h, &why) == -1)
		return false;
	return reqrule_host_has_rules(rp->rules, h.text);
}

/* A refusal by the deny list, the allowlist or the local check: rules
 * never override those. An allowlist miss a person may be asked about
 * (ASK) is one too: the rules apply once the host is allowed, by the
 * list or by an approval (the request then judged as approved). */
static bool
baseline_refusal(const struct policy_decision *d)
{
	if (d->verdict == POLICY_VERDICT_ASK)
		return true;
	if (d->verdict != POLICY_VERDICT_DENY)
		return false;
	return d->reason == POLICY_DENIED || d->reason == POLICY_NOT_ALLOWED ||
	       d->reason == POLICY_NOT_ALLOWED_LOCAL ||
	       d->reason == POLICY_AIRLOCK_LISTENER;
}

static void
refuse(struct policy_decision *d, enum policy_reason why,
       enum policy_source src)
{
	d->verdict = POLICY_VERDICT_DENY;
	d->reason = why;
	d->source = src;
	d->mitm = false;
}

void
reqpolicy_decide_tunnel(const struct policy *p, const struct reqpolicy *rp,
			const struct policy_request *r, bool can_intercept,
			struct policy_decision *d)
{
	policy_decide(p, r, d);
	if (!reqpolicy_active(rp) ||
	    !reqrule_host_has_rules(rp->rules, d->host.text) ||
	    baseline_refusal(d))
		return;
	if (d->protocol == POLICY_PROTO_SOCKS5_UDP || d->port != 443 ||
	    !can_intercept) {
		refuse(d, POLICY_MITM_REQUIRED, POLICY_SRC_MODE_GUARD);
		return;
	}
	/* A limited-mode refusal of 443 (no interception state) stands. */
	if (d->verdict != POLICY_VERDICT_DENY)
		d->mitm = true;
}

const struct reqrule *
reqpolicy_decide_request(const struct policy *p, const struct reqpolicy *rp,
			 const struct policy_request *r,
			 const struct reqrule_request *q,
			 struct policy_decision *d)
{
	struct policy_request pr = *r;
	const struct reqrule *rule = NULL;
	struct reqrule_request mq;
	bool has = false;
	const char *why;
	struct host h;
	int port = r->port;

	if (reqpolicy_active(rp) && r->host != NULL &&
	    host_normalize(r->host, strlen(r->host), 0, &h, &why) == 0) {
		has = reqrule_host_has_rules(rp->rules, h.text);
		if (h.port != -1)
			port = h.port;
	}
	if (has && r->protocol == POLICY_PROTO_HTTPS && port == 443) {
		mq = *q;
		mq.host = h.text;
		rule = reqrule_match(rp->rules, &mq);
	}
	pr.rule_method_ok = rule != NULL;
	policy_decide(p, &pr, d);
	if (!has || baseline_refusal(d))
		return NULL;
	if (rule == NULL)
		refuse(d, r->protocol == POLICY_PROTO_HTTPS && port != 443
			       ? POLICY_MITM_REQUIRED
			       : POLICY_REQUEST_RULE_NOT_MATCHED,
		       POLICY_SRC_REQUEST_RULE);
	d->rule = rule;
	return rule;
}

/* --- the rewrite ------------------------------------------------------ */

/* Whether an action of rule strips or injects header name. */
static bool
removed(const struct reqpolicy *rp, const struct reqrule *rule,
	struct slice name)
{
	const char *const *acts;
	const struct action *a;
	size_t i, j, n = reqrule_actions(rule, &acts);

	for (i = 0; i < n; i++) {
		if ((a = find_action(rp, acts[i])) == NULL)
			continue;
		for (j = 0; j < a->n_strip; j++)
			if (slice_caseeq_cstr(name, a->strip[j]))
				return true;
		for (j = 0; j < a->n_inject; j++)
			if (slice_caseeq_cstr(name, a->inject[j].name))
				return true;
	}
	return false;
}

size_t
reqpolicy_rewrite_max(const struct reqpolicy *rp, const struct reqrule *rule,
		      size_t n)
{
	const char *const *acts;
	const struct action *a;
	size_t i, na = reqrule_actions(rule, &acts);

	for (i = 0; i < na; i++)
		if ((a = find_action(rp, acts[i])) != NULL)
			n += a->n_inject;
	return n;
}

long
reqpolicy_rewrite(const struct reqpolicy *rp, const struct reqrule *rule,
		  const struct reqrule_hdr *in, size_t n,
		  struct reqrule_hdr *out, size_t max)
{
	const char *const *acts;
	const struct action *a;
	size_t i, j, k = 0, na;

	if (max < reqpolicy_rewrite_max(rp, rule, n))
		return -1;
	for (i = 0; i < n; i++)
		if (!removed(rp, rule, in[i].name))
			out[k++] = in[i];
	na = reqrule_actions(rule, &acts);
	for (i = 0; i < na; i++) {
		if ((a = find_action(rp, acts[i])) == NULL)
			continue;
		for (j = 0; j < a->n_inject; j++) {
			out[k].name = slice_cstr(a->inject[j].name);
			out[k].value = slice_of(secret_data(a->inject[j].value),
						secret_len(a->inject[j].value));
			k++;
		}
	}
	return (long)k;
}

int
reqpolicy_write_headers(struct buf *b, const struct reqrule_hdr *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_add(b, h[i].name.p, h[i].name.n) == -1 ||
		    buf_add(b, ": ", 2) == -1 ||
		    buf_add(b, h[i].value.p, h[i].value.n) == -1 ||
		    buf_add(b, "\r\n", 2) == -1)
			return -1;
	return 0;
}

/* --- the audit view --------------------------------------------------- */

static int
add_name(struct buf *b, bool *first, const char *s)
{
	int rc = *first ? 0 : buf_addch(b, ',');

	*first = false;
	return rc | buf_add_json_string(b, s, strlen(s));
}

/* Whether s was already listed: a strip name of an earlier action of the
 * rule, or an earlier entry (before si) of action ai. */
static bool
strip_seen(const struct reqpolicy *rp, const char *const *acts, size_t ai,
	   size_t si, const char *s)
{
	const struct action *a;
	size_t i, j;

	for (i = 0; i <= ai; i++) {
		if ((a = find_action(rp, acts[i])) == NULL)
			continue;
		for (j = 0; j < (i == ai ? si : a->n_strip); j++)
			if (strcmp(a->strip[j], s) == 0)
				return true;
	}
	return false;
}

static int
audit_lists(const struct reqpolicy *rp, const char *const *acts, size_t na,
	    struct buf *b)
{
	const struct action *a;
	bool first = true;
	size_t i, j;
	int rc = buf_addstr(b, "],\"request_headers_stripped\":[");

	for (i = 0; i < na; i++) {
		if ((a = find_action(rp, acts[i])) == NULL)
			continue;
		for (j = 0; j < a->n_strip; j++)
			if (!strip_seen(rp, acts, i, j, a->strip[j]))
				rc |= add_name(b, &first, a->strip[j]);
	}
	rc |= buf_addstr(b, "],\"request_headers_injected\":{");
	first = true;
	for (i = 0; i < na; i++) {
		if ((a = find_action(rp, acts[i])) == NULL)
			continue;
		for (j = 0; j < a->n_inject; j++) {
			rc |= add_name(b, &first, a->inject[j].name);
			rc |= buf_addstr(b, ":\"" INJECTED "\"");
		}
	}
	return rc | buf_addch(b, '}');
}

int
reqpolicy_audit_json(const struct reqpolicy *rp, const struct reqrule *rule,
		     struct buf *b)
{
	const char *const *acts = NULL;
	bool first = true;
	size_t i, na = 0;
	int rc;

	if (rule == NULL)
		return buf_addstr(b, ",\"request_rule\":null,"
				     "\"request_actions\":[],"
				     "\"request_headers_stripped\":[],"
				     "\"request_headers_injected\":{}");
	rc = buf_addstr(b, ",\"request_rule\":");
	rc |= add_name(b, &first, reqrule_name(rule));
	rc |= buf_addstr(b, ",\"request_actions\":[");
	first = true;
	na = reqrule_actions(rule, &acts);
	for (i = 0; i < na; i++)
		rc |= add_name(b, &first, acts[i]);
	rc |= audit_lists(rp, acts, na, b);
	return rc ? -1 : 0;
}
