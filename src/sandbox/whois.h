/* whois.h — which process of a sandbox made a proxy connection.
 *
 * When a person is asked about a request (proxy/approval.h), the prompt
 * names the process behind it, not only the program `airlock run`
 * started: `npm test` may have started the `curl` that asks. The proxy
 * knows the connection's peer (`IP:PORT` inside the sandbox's network
 * namespace); the sandbox's sock_diag socket lists the namespace's TCP
 * sockets, so the one whose local address is that peer gives a socket
 * inode; the processes of the sandbox's pid namespace that hold a
 * descriptor of that inode are the answer.
 *
 * Best effort, and never a guess: when no socket or more than one has
 * that address, or no process of the sandbox holds it, there is no
 * answer and the prompt says what it said before. The command line is
 * what the process says of itself (it can rewrite its argv): shown as a
 * hint, with the prompt's usual cleaning, never used for a decision. */
#ifndef AIRLOCK_SANDBOX_WHOIS_H
#define AIRLOCK_SANDBOX_WHOIS_H

#include <stddef.h>
#include <sys/types.h>

/* What whois_find needs: the sandbox's sock_diag socket and its pid 1
 * (as the host sees it). */
struct whois {
	int diag_fd; /* -1: no answers */
	pid_t init;  /* -1: no answers */
};

/* Starts answering for a sandbox: a copy of its sock_diag socket, and
 * its pid 1. whois_close (also for one never opened, all -1) ends it. */
void whois_open(struct whois *w, int diag_fd, pid_t init);
void whois_close(struct whois *w);

/* The process behind a connection. */
struct whois_process {
	pid_t pid;          /* as the sandbox sees it */
	char cmdline[256];  /* its argv joined by spaces, cut */
	size_t others;      /* how many more processes hold the socket */
};

/* The process of w's sandbox that holds the TCP socket whose local
 * address is peer (`IP:PORT`, `[v6]:PORT`). 0 and *out, or -1. */
int whois_find(const struct whois *w, const char *peer,
	       struct whois_process *out);

/* The proxy's approval hook (proxy_opts.whois): "pid N: CMDLINE" (and
 * " (+K more)") of whois_find for arg, a struct whois; heap, or NULL. */
char *whois_describe(void *arg, const char *peer);

/* Pure, for the tests: peer (`IP:PORT`, `[v6]:PORT`) as a family
 * (AF_INET, AF_INET6), the address's bytes (4 or 16) and the port.
 * 0, or -1 when it is not such a text. */
int whois_peer_parse(const char *peer, int *family, unsigned char addr[16],
		     unsigned short *port);

/* Pure, for the tests: the sandbox's pid of a process from the text of
 * its /proc/PID/status (the last field of "NSpid:"), or -1. */
pid_t whois_nspid(const char *status);

#endif
