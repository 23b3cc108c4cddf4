/* session_prep.c — what the parent makes before it clones a sandbox. See
 * session_int.h. */
#include "sandbox/session_int.h"

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

int
session_prep_build(struct session_prep *p,
		   const struct sandbox_session_opts *o, struct errbuf *err)
{
	const struct sandbox_plan *plan = o->plan;

	memset(p, 0, sizeof(*p));
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
	memset(p, 0, sizeof(*p));
}
