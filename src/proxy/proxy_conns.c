/* proxy_conns.c — the registry of the proxy's connections (proxy_int.h):
 * admission under the cap, release, and the end of a shutdown once the
 * last one is gone. */
#include "proxy/proxy_int.h"

#include <stdlib.h>
#include <sys/resource.h>

bool
proxy_conn_admit(struct proxy *p, struct proxy_conn *c)
{
	c->prev = c->next = c;
	if (p->stopping || p->nconns >= p->max_conns) {
		p->m.conns_refused++;
		return false;
	}
	c->next = p->conns.next;
	c->prev = &p->conns;
	p->conns.next->prev = c;
	p->conns.next = c;
	p->nconns++;
	p->m.conns_accepted++;
	p->m.conns_open = p->nconns;
	return true;
}

void
proxy_conn_release(struct proxy *p, struct proxy_conn *c)
{
	if (c->next == c)
		return;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = c->next = c;
	p->nconns--;
	p->m.conns_open = p->nconns;
	if (p->stopping)
		proxy_conns_maybe_done(p);
}

/* The fd limit bounds connections: each may hold two sockets (client and
 * upstream), and a few fds stay free for listeners and the audit log. */
size_t
proxy_conns_max_for_fd_limit(void)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n <= PROXY_FD_RESERVE * 2)
		return 8;
	return (size_t)((n - PROXY_FD_RESERVE) / 2);
}

static void
free_timer(uv_handle_t *h)
{
	free(h);
}

void
proxy_conns_maybe_done(struct proxy *p)
{
	proxy_done_fn *done = p->done;

	if (p->nconns > 0 || done == NULL)
		return;
	p->done = NULL;
	if (p->grace_timer != NULL) {
		uv_close((uv_handle_t *)p->grace_timer, free_timer);
		p->grace_timer = NULL;
	}
	done(p->done_arg);
}
