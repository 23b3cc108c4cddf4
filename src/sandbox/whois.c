/* whois.c — which process of a sandbox made a proxy connection. See
 * whois.h. */
#include "sandbox/whois.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hostport.h"
#include "lib/xalloc.h"
#include "sandbox/sockdiag.h"

/* The most of a command line whois_describe shows. */
#define WHOIS_CMDLINE_SHOWN 150

int
whois_peer_parse(const char *peer, int *family, unsigned char addr[16],
		 unsigned short *port)
{
	char host[INET6_ADDRSTRLEN + 1];
	struct hostport hp;

	if (hostport_parse(peer, strlen(peer), HOSTPORT_PORT_REQUIRED, &hp) !=
		    NULL ||
	    hp.port == 0 || hp.host.n >= sizeof(host))
		return -1;
	memcpy(host, hp.host.p, hp.host.n);
	host[hp.host.n] = '\0';
	*port = (unsigned short)hp.port;
	memset(addr, 0, 16);
	*family = hp.bracketed ? AF_INET6 : AF_INET;
	return inet_pton(*family, host, addr) == 1 ? 0 : -1;
}

pid_t
whois_nspid(const char *status)
{
	const char *line = strstr(status, "\nNSpid:");
	const char *p, *last = NULL;
	long v;

	if (line == NULL)
		return -1;
	for (p = line + 7; *p != '\0' && *p != '\n'; p++)
		if ((*p == '\t' || *p == ' ') && p[1] >= '0' && p[1] <= '9')
			last = p + 1;
	if (last == NULL)
		return -1;
	for (v = 0; *last >= '0' && *last <= '9'; last++) {
		v = v * 10 + (*last - '0');
		if (v > 1 << 22) /* PID_MAX_LIMIT */
			return -1;
	}
	return (*last == '\0' || *last == '\n') && v > 0 ? (pid_t)v : -1;
}

/* --- the socket ----------------------------------------------------------------- */

struct want {
	int family;
	unsigned char addr[16];
	unsigned short port;
	uint32_t ino;
	size_t found;
};

static void
on_tcp(void *arg, const struct sockdiag_tcp *t)
{
	struct want *w = arg;

	/* A socket no process holds (TIME_WAIT: inode 0) is not it. */
	if (t->family != w->family || t->sport != w->port || t->ino == 0 ||
	    t->state == 10 /* TCP_LISTEN */ ||
	    memcmp(t->src, w->addr, t->family == AF_INET ? 4 : 16) != 0)
		return;
	w->found++;
	w->ino = t->ino;
}

/* The inode of the one socket whose local address is peer; 0 when none
 * or several have it. */
static uint32_t
socket_of(int diag_fd, const char *peer)
{
	struct want w;

	memset(&w, 0, sizeof(w));
	if (whois_peer_parse(peer, &w.family, w.addr, &w.port) == -1 ||
	    sockdiag_dump_tcp(diag_fd, w.family, on_tcp, &w) == -1)
		return 0;
	return w.found == 1 ? w.ino : 0;
}

/* --- the process ---------------------------------------------------------------- */

/* Whether the process pid (a name in /proc) holds socket:[ino]. */
static bool
holds(int proc, const char *pid, const char *target)
{
	char path[NAME_MAX + 16], link[64];
	struct dirent *de;
	bool yes = false;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%s/fd", pid);
	fd = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return false;
	}
	while (!yes && (de = readdir(d)) != NULL) {
		n = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		yes = strcmp(link, target) == 0;
	}
	closedir(d);
	return yes;
}

/* The small file /proc/pid/name into out (NUL-terminated); its length. */
static size_t
read_small(int proc, const char *pid, const char *name, char *out,
	   size_t outsz)
{
	char path[NAME_MAX + 16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pid, name);
	fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		out[0] = '\0';
		return 0;
	}
	n = read(fd, out, outsz - 1);
	close(fd);
	n = n < 0 ? 0 : n;
	out[n] = '\0';
	return (size_t)n;
}

static void
describe(int proc, const char *pid, struct whois_process *out)
{
	char status[4096];
	size_t i, n;

	read_small(proc, pid, "status", status, sizeof(status));
	out->pid = whois_nspid(status);
	n = read_small(proc, pid, "cmdline", out->cmdline,
		       sizeof(out->cmdline));
	for (i = 0; i < n; i++)
		if (out->cmdline[i] == '\0')
			out->cmdline[i] = ' ';
	while (n > 0 && out->cmdline[n - 1] == ' ')
		out->cmdline[--n] = '\0';
	if (n == 0) { /* a zombie, or argv emptied: its name */
		n = read_small(proc, pid, "comm", out->cmdline,
			       sizeof(out->cmdline));
		if (n > 0 && out->cmdline[n - 1] == '\n')
			out->cmdline[n - 1] = '\0';
	}
}

/* Each process in init's pid namespace that holds target; the first is
 * described. 0 when one was found. */
static int
holders(pid_t init, const char *target, struct whois_process *out)
{
	struct stat ns, st;
	char path[NAME_MAX + 16];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int proc;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	if (stat(path, &ns) == -1 || (d = opendir("/proc")) == NULL)
		return -1;
	proc = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/ns/pid", de->d_name);
		if (fstatat(proc, path, &st, 0) == -1 ||
		    st.st_ino != ns.st_ino || st.st_dev != ns.st_dev ||
		    !holds(proc, de->d_name, target))
			continue;
		if (found)
			out->others++;
		else
			describe(proc, de->d_name, out);
		found = true;
	}
	closedir(d);
	return found && out->pid > 0 ? 0 : -1;
}

void
whois_open(struct whois *w, int diag_fd, pid_t init)
{
	whois_close(w);
	w->diag_fd = fcntl(diag_fd, F_DUPFD_CLOEXEC, 0);
	w->init = w->diag_fd >= 0 ? init : -1;
}

void
whois_close(struct whois *w)
{
	if (w->diag_fd >= 0)
		close(w->diag_fd);
	w->diag_fd = -1;
	w->init = -1;
}

int
whois_find(const struct whois *w, const char *peer,
	   struct whois_process *out)
{
	char target[32];
	uint32_t ino;

	memset(out, 0, sizeof(*out));
	if (w == NULL || w->diag_fd < 0 || w->init <= 0 || peer == NULL)
		return -1;
	ino = socket_of(w->diag_fd, peer);
	if (ino == 0)
		return -1;
	snprintf(target, sizeof(target), "socket:[%u]", ino);
	return holders(w->init, target, out);
}

char *
whois_describe(void *arg, const char *peer)
{
	struct whois_process p;
	const char *cut;

	if (whois_find(arg, peer, &p) == -1)
		return NULL;
	/* Short enough for the prompt's field to keep the count. */
	cut = strlen(p.cmdline) > WHOIS_CMDLINE_SHOWN ? "..." : "";
	if (p.others > 0)
		return xasprintf("pid %d: %.*s%s (+%zu more)", (int)p.pid,
				 WHOIS_CMDLINE_SHOWN, p.cmdline, cut, p.others);
	return xasprintf("pid %d: %.*s%s", (int)p.pid, WHOIS_CMDLINE_SHOWN,
			 p.cmdline, cut);
}
