/* ctty.c — the sandbox's own terminal, made by its init. See ctty.h.
 *
 * Everything here runs in a child cloned from a process with other
 * threads, before exec: system calls and sigsafe.h only. */
#include "sandbox/ctty.h"

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sandbox/apply.h"
#include "sandbox/netns.h"

/* The master of a new pty of the sandbox's devpts, and its peer. Opened
 * in the devpts mount itself rather than through /dev/ptmx (a bind mount
 * of it): the peer's path is then /dev/pts/N, which ttyname() finds. The
 * peer is taken by descriptor, not by name: nothing can stand in for it
 * between the two. */
static int
open_pair(int *peer)
{
	int master, unlock = 0;

	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		sandbox_child_fail("cannot open a pseudo-terminal in the "
				   "sandbox (/dev/pts/ptmx): %m");
	if (ioctl(master, TIOCSPTLCK, &unlock) == -1)
		sandbox_child_fail("cannot unlock the sandbox's "
				   "pseudo-terminal: %m");
	*peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*peer == -1)
		sandbox_child_fail("cannot open the sandbox's "
				   "pseudo-terminal's peer: %m");
	return master;
}

/* The peer on the marked standard descriptors, and the controlling
 * terminal of the init's session (it has none yet: setsid, apply.c). */
static void
use_peer(const int stdio[3], int peer)
{
	int i;

	for (i = 0; i < 3; i++)
		if (stdio[i] == SANDBOX_STDIO_PTY && peer != i &&
		    dup2(peer, i) == -1)
			sandbox_child_fail("standard descriptors: %m");
	if (ioctl(peer, TIOCSCTTY, 0) == -1)
		sandbox_child_fail("cannot give the sandbox its terminal: %m");
	if (peer > 2)
		close(peer);
}

/* The master to the parent, then its go once the master has the
 * caller's modes; EOF means the parent failed or died. */
static void
hand_over(int sock, int master)
{
	static struct netns_msg m; /* static: large, and one per process */
	char go;

	memset(&m, 0, sizeof(m));
	m.nfds = 1;
	m.kinds[0] = NETNS_FD_PTY;
	if (netns_send(sock, &m, &master) == -1)
		sandbox_child_fail("cannot hand the sandbox's pseudo-terminal "
				   "to airlock: %m");
	close(master);
	if (read(sock, &go, 1) != 1)
		_exit(SANDBOX_EXIT_SETUP);
}

void
ctty_make(const int stdio[3], int sock)
{
	int peer = -1;
	int master = open_pair(&peer);

	use_peer(stdio, peer);
	hand_over(sock, master);
}
