/* reqpolicy.h — request rules in force: the compiled rules (reqrule.h),
 * their actions with the secrets loaded (lib/secret.h), and the decision
 * and rewrite functions the proxy calls (doc/secrets.md).
 *
 * A host that has request rules:
 *   - is always intercepted: a CONNECT or SOCKS5 connection to it on port
 *     443 is allowed only through TLS interception (also in full mode),
 *     any other port — and any SOCKS5 UDP datagram — is refused
 *     `mitm_required`;
 *   - takes only HTTPS requests that a rule matches: any other request
 *     (plain HTTP among them: a secret is never sent in clear text) is
 *     refused `request_rule_not_matched` (x-proxy-error
 *     blocked-by-request-rule, source `request_rule`);
 *   - a matching request passes the limited-mode method check with the
 *     rule's methods, and its rule's actions rewrite its headers: every
 *     strip of every action first (and any header of a name an action
 *     injects, so a client cannot add a second one), then every inject,
 *     in action order, value = prefix + secret.
 * Rules never widen the host policy: the deny list, the allowlist and the
 * local-address check apply first, as for any request.
 *
 * Ownership: a reqpolicy is immutable after reqpolicy_build() and may be
 * shared read-only by every connection; the proxy keeps one per config
 * generation beside its struct policy and frees it when that generation
 * goes (a reload builds a new one, reading every secret again).
 * reqpolicy_free() wipes every secret. Rewritten header values point into
 * the secret store: they live as long as the reqpolicy; a buffer they are
 * copied into (the request sent upstream) should be wiped after use. */
#ifndef AIRLOCK_REQPOLICY_H
#define AIRLOCK_REQPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "policy/policy.h"
#include "policy/reqrule.h"

struct reqpolicy;

/* Compiles c's request rules and loads every secret their actions name.
 * With no rules, returns an empty reqpolicy (every function below then
 * leaves decisions alone). NULL with every problem in err, each naming
 * where in the config and which file or variable, never a secret byte.
 * Does not call secret_protect_process(): the caller does, at the right
 * moment (lib/secret.h). */
struct reqpolicy *reqpolicy_build(const struct conf *c, struct errbuf *err);
/* Wipes every secret and frees; NULL is fine. */
void reqpolicy_free(struct reqpolicy *rp);
/* True when rp holds at least one rule (the proxy then needs its TLS
 * interception state whatever the mode). */
bool reqpolicy_active(const struct reqpolicy *rp);
/* Builds and frees: 0, or -1 with the problems in err (config check). */
int reqpolicy_check(const struct conf *c, struct errbuf *err);

/* The rules (for listings; NULL when rp is NULL). */
const struct reqrule_set *reqpolicy_rules(const struct reqpolicy *rp);
/* True when host (any spelling; normalised here) has rules. */
bool reqpolicy_host_has_rules(const struct reqpolicy *rp, const char *host);

/* A CONNECT or SOCKS5 decision (protocols https_connect, socks5_tcp,
 * socks5_udp): policy_decide(), then for a host with rules: a baseline
 * refusal stands; port 443 TCP is allowed only with d->mitm set when
 * can_intercept (the proxy has its interception state), else
 * mitm_required; other ports and UDP → mitm_required. */
void reqpolicy_decide_tunnel(const struct policy *p,
			     const struct reqpolicy *rp,
			     const struct policy_request *r,
			     bool can_intercept, struct policy_decision *d);

/* One request (protocol http for a plain proxy request, https inside an
 * intercepted tunnel): matches q against the rules of the host, then
 * policy_decide() (with r->rule_method_ok set when a rule matched), then
 * refuses request_rule_not_matched when the host has rules but none
 * matched, or the request is plain HTTP, or HTTPS on a port other than
 * 443 (mitm_required) — unless the deny list, the allowlist or the local
 * check refused it already. Returns the matched rule (its actions must
 * run) or NULL. q->host is ignored: r->host, normalised, is used. r is
 * not modified. The rule is also left in d->rule. A
 * POLICY_VERDICT_RESOLVE result keeps its rule: finish it with
 * policy_finish() as usual. */
const struct reqrule *reqpolicy_decide_request(const struct policy *p,
					       const struct reqpolicy *rp,
					       const struct policy_request *r,
					       const struct reqrule_request *q,
					       struct policy_decision *d);

/* The headers to send for a request rule matched: in without every
 * stripped (or injected) name, then the injected headers. Writes at most
 * max entries to out and returns the count, or -1 when max is too small
 * (reqpolicy_rewrite_max() is always enough). Names of injected entries
 * point into rp, values into its secret store. */
long reqpolicy_rewrite(const struct reqpolicy *rp, const struct reqrule *rule,
		       const struct reqrule_hdr *in, size_t n,
		       struct reqrule_hdr *out, size_t max);
size_t reqpolicy_rewrite_max(const struct reqpolicy *rp,
			     const struct reqrule *rule, size_t n);
/* Serialises headers as `Name: value\r\n` lines into b (for a proxy that
 * writes its own head). 0, or -1 when b's cap is hit. */
int reqpolicy_write_headers(struct buf *b, const struct reqrule_hdr *h,
			    size_t n);

/* The audit view: appends to b
 *   ,"request_rule":NAME|null,"request_actions":[...],
 *   "request_headers_stripped":[...],"request_headers_injected":
 *   {"authorization":"[injected]",...}
 * (header names only; never a value). rule may be NULL (no match). 0, or
 * -1 when b is full. */
int reqpolicy_audit_json(const struct reqpolicy *rp,
			 const struct reqrule *rule, struct buf *b);

#endif
