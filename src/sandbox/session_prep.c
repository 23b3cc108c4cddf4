/* session_prep.c — what the parent makes before it clones a sandbox. See
 * session_int.h. */
#include "sandbox/session_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/childenv.h"

static char **
build_env(const struct sandbox_session_opts *o)
{
	const struct sandbox_plan *p = o->plan;
	struct childenv e;
	struct childenv_proxy px = {0};
	char http[32], socks[32];

	childenv_init(&e, (const char *const *)o->envp);
	if (p->net == SANDBOX_NET_PROXY && p->n_ports > 0) {
		snprintf(http, sizeof(http), "127.0.0.1:%u",
			 (unsigned)p->ports[0]);
		snprintf(socks, sizeof(socks), "127.0.0.1:%u",
			 (unsigned)(p->n_ports > 1 ? p->ports[1] : 0));
		px.http_addr = http;
		px.socks_addr = p->n_ports > 1 ? socks : NULL;
		px.allow_local_binding = o->allow_local_binding;
		childenv_apply_proxy(&e, &px);
		if (o->ca_bundle != NULL)
			childenv_set_ca_bundle(&e, o->ca_bundle);
	} else if (p->net == SANDBOX_NET_OFF) {
		childenv_apply_network_off(&e);
	}
	return childenv_detach(&e);
}

/* The rules of transparent routing, as netlink messages the child only
 * sends (netrules.h). */
static int
build_rules(struct session_prep *p, const struct sandbox_plan *plan,
	    struct errbuf *err)
{
	uint16_t ports[PROXY_FORWARDS_MAX];
	size_t i;

	for (i = 0; i < plan->n_forwards; i++)
		ports[i] = plan->forwards[i].port;
	return netrules_build(&p->rules, plan->transparent_port, ports,
			      plan->n_forwards, err);
}

/* Zeroes p's bytes [from, to). */
static void
zero(struct session_prep *p, size_t from, size_t to)
{
	memset((char *)p + from, 0, to - from);
}

/* Zeroes everything in p but the rules' two buffers: netrules_build()
 * writes them only as far as it fills them (and nothing reads further),
 * so zeroing their 48 KiB would fault in a dozen pages for nothing on
 * every run. */
static void
clear(struct session_prep *p)
{
	size_t nft = offsetof(struct session_prep, rules.nft);
	size_t route = offsetof(struct session_prep, rules.route);

	_Static_assert(offsetof(struct netrules, route) >
			       offsetof(struct netrules, nft),
		       "struct netrules: nft comes before route");
	zero(p, 0, nft);
	zero(p, nft + sizeof(p->rules.nft), route);
	zero(p, route + sizeof(p->rules.route), sizeof(*p));
}

int
session_prep_build(struct session_prep *p,
		   const struct sandbox_session_opts *o, struct errbuf *err)
{
	const struct sandbox_plan *plan = o->plan;

	clear(p);
	p->env = build_env(o);
	if (plan->fs == SANDBOX_FS_FULL_ACCESS)
		return 0;
	snprintf(p->uid_map, sizeof(p->uid_map), "%u %u 1\n",
		 (unsigned)plan->uid, (unsigned)plan->uid);
	snprintf(p->gid_map, sizeof(p->gid_map), "%u %u 1\n",
		 (unsigned)plan->gid, (unsigned)plan->gid);
	if (seccomp_build(&p->seccomp, err) == -1 ||
	    (plan->net == SANDBOX_NET_PROXY && build_rules(p, plan, err) == -1))
		return -1;
	return mounts_prepare(plan, &p->mounts);
}

void
session_prep_release(struct session_prep *p)
{
	childenv_free_array(p->env);
	seccomp_prog_release(&p->seccomp);
	mounts_prep_release(&p->mounts);
	clear(p);
}
