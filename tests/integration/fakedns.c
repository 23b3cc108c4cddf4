/* fakedns.c — a resolver for tests that never leaves the machine.
 *
 * Preloaded (LD_PRELOAD=build/tests/fakedns.so) into an airlock process, it
 * replaces getaddrinfo: names listed in the file named by FAKEDNS_HOSTS
 * (lines `IP NAME...`, like /etc/hosts) resolve to those addresses,
 * `localhost` to 127.0.0.1 and ::1, numeric hosts to themselves, and every
 * other name fails with EAI_NONAME — no query is ever sent to a name
 * server. (nss_wrapper falls back to real DNS for unknown names, which a
 * loopback-only test suite must not do.) A line `hang NAME` makes every
 * lookup of NAME block forever, like a name whose server never answers.
 *
 * FAKEDNS_CHURN=N makes every lookup first free and allocate N blocks of
 * 1 to 16 KiB in a scattered order, as a busy real resolver does: too
 * large for malloc's per-thread cache, so the resolver threads hold
 * malloc's arena locks most of the time (a resolver storm, for tests of
 * what a process cloned meanwhile may do).
 *
 * It also replaces connect: a connection to an address and port listed in
 * the file named by FAKEDNS_REDIRECTS (lines `IP PORT NEWPORT`) goes to
 * NEWPORT on the same address instead. Interception only serves port 443,
 * which needs root to bind; with this the tests' TLS origins listen on
 * ephemeral ports and the proxy still dials port 443 of their address as
 * far as it (and its policy) can tell. Test builds only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef int gai_fn(const char *, const char *, const struct addrinfo *,
		   struct addrinfo **);
typedef int connect_fn(int, const struct sockaddr *, socklen_t);

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res);
int connect(int fd, const struct sockaddr *sa, socklen_t len);

static gai_fn *
real_gai(void)
{
	static gai_fn *fn;

	if (fn == NULL)
		*(void **)&fn = dlsym(RTLD_NEXT, "getaddrinfo");
	return fn;
}

/* Resolves one numeric address and appends the result to *tail. */
static void
append_numeric(const char *ip, const char *service,
	       const struct addrinfo *hints, struct addrinfo ***tail)
{
	struct addrinfo h, *r = NULL;

	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	h.ai_flags &= ~AI_CANONNAME;
	if (real_gai()(ip, service, &h, &r) != 0 || r == NULL)
		return;
	**tail = r;
	while (r->ai_next != NULL)
		r = r->ai_next;
	*tail = &r->ai_next;
}

static int
is_numeric(const char *node)
{
	unsigned char buf[16];
	char tmp[64];
	const char *pct = strchr(node, '%');

	if (pct != NULL && (size_t)(pct - node) < sizeof(tmp)) {
		memcpy(tmp, node, (size_t)(pct - node));
		tmp[pct - node] = '\0';
		node = tmp;
	}
	return inet_pton(AF_INET, node, buf) == 1 ||
	       inet_pton(AF_INET6, node, buf) == 1;
}

/* A lookup that never answers: the calling thread sleeps for good. */
static void __attribute__((noreturn))
hang(void)
{
	for (;;)
		sleep(3600);
}

static void
lookup_file(const char *node, const char *service,
	    const struct addrinfo *hints, struct addrinfo ***tail)
{
	const char *path = getenv("FAKEDNS_HOSTS");
	char line[512];
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *ip = strtok_r(line, " \t\r\n", &save), *name;

		if (ip == NULL || ip[0] == '#')
			continue;
		while ((name = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (strcasecmp(name, node) != 0)
				continue;
			if (strcmp(ip, "hang") == 0) {
				fclose(f);
				hang();
			}
			append_numeric(ip, service, hints, tail);
		}
	}
	fclose(f);
}

static void
churn(void)
{
	const char *v = getenv("FAKEDNS_CHURN");
	long i, n = v != NULL ? strtol(v, NULL, 10) : 0;
	void *slot[64] = {0};
	unsigned r = 12345;

	/* Blocks of scattered sizes freed out of order: malloc searches and
	 * consolidates its bins, under its lock, most of the time. */
	for (i = 0; i < n; i++) {
		r = r * 1103515245u + 12345u;
		free(slot[(r >> 8) % 64]);
		slot[(r >> 8) % 64] = malloc(1100 + (r >> 16) % 15000);
	}
	for (i = 0; i < 64; i++)
		free(slot[i]);
}

int
getaddrinfo(const char *node, const char *service,
	    const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head;

	churn();

	if (node == NULL || is_numeric(node))
		return real_gai()(node, service, hints, res);
	if (strcasecmp(node, "localhost") == 0) {
		append_numeric("127.0.0.1", service, hints, &tail);
		append_numeric("::1", service, hints, &tail);
	} else {
		lookup_file(node, service, hints, &tail);
	}
	if (head == NULL)
		return EAI_NONAME;
	*res = head;
	return 0;
}

/* --- connect redirects ------------------------------------------------ */

/* The port to use instead of port on ip, or 0. */
static unsigned
redirect_port(const char *ip, unsigned port)
{
	const char *path = getenv("FAKEDNS_REDIRECTS");
	char line[256], lip[64];
	unsigned from, to, found = 0;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%63s %u %u", lip, &from, &to) == 3 &&
		    from == port && strcmp(lip, ip) == 0)
			found = to;
	fclose(f);
	return found;
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static connect_fn *real;
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN];
	unsigned to = 0;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "connect");
	if (sa != NULL && sa->sa_family == AF_INET &&
	    len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *v4 = (const void *)sa;

		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		to = redirect_port(ip, ntohs(v4->sin_port));
	} else if (sa != NULL && sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *v6 = (const void *)sa;

		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		to = redirect_port(ip, ntohs(v6->sin6_port));
	}
	if (to == 0 || len > sizeof(ss))
		return real(fd, sa, len);
	memcpy(&ss, sa, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)to);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)to);
	return real(fd, (struct sockaddr *)&ss, len);
}
