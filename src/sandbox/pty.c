/* pty.c — a pseudo-terminal of the sandbox's own in front of the caller's
 * terminal. See pty.h.
 *
 * Three descriptors: the master, which the sandbox made (ctty.h) and
 * hands over once the pty is attached; and the caller's terminal opened
 * again twice, `in` from descriptor 0 and `out` from descriptor 2, both
 * non-blocking. Bytes go in → master (to_master holds what the master
 * would not take yet; the terminal is not read meanwhile) and master →
 * out (to_term likewise). One poll handle per descriptor; update() works
 * out what each should wait for from the state, after every event. */
#include "sandbox/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "sandbox/keyscan.h"
#include "sandbox/ttymodes.h"

#define CHUNK 4096
/* The command's output held for the terminal; the master is not read
 * while this much waits. */
#define TO_TERM_HIGH (64 * 1024)
/* Room above TO_TERM_HIGH for the last chunk read and a prompt line. */
#define TO_TERM_MAX (TO_TERM_HIGH + 2 * CHUNK)
#define TO_MASTER_MAX (16 * 1024)
/* When the command stops or ends: how much of its output is relayed at
 * most, and how long one write to a terminal that takes nothing (flow
 * control) is waited for before the rest is dropped. */
#define DRAIN_MAX (1024 * 1024)
#define FLUSH_WAIT_MS 2000

struct pty {
	int master, in, out;
	struct termios saved;   /* the caller's modes */
	bool raw;               /* the caller's terminal is in raw mode */
	bool foreground;        /* airlock is the terminal's foreground job */
	bool started, finished, freeing;
	bool in_dead, out_dead, master_dead;
	bool line_start;
	uv_loop_t *loop;
	uv_poll_t master_poll, in_poll, out_poll;
	uv_signal_t winch;
	int master_ev, in_ev, out_ev; /* what each poll waits for */
	int handles;
	struct buf to_term, to_master;
	struct keyscan keys;
	pty_key_fn *divert;
	void *divert_arg;
};

/* --- the caller's terminal's modes (ttymodes.h) ------------------------------------ */

static void
leave_raw(struct pty *p)
{
	if (!p->raw)
		return;
	ttymodes_restore();
	p->raw = false;
}

/* Raw mode is only ever taken in the foreground: the pty's own line
 * discipline then does echo, editing and signals, with the caller's
 * settings. */
static void
enter_raw(struct pty *p)
{
	if (p->raw || !p->foreground || p->in_dead)
		return;
	ttymodes_raw(p->in, &p->saved);
	p->raw = true;
}

static bool
is_foreground(const struct pty *p)
{
	return tcgetpgrp(p->in) == getpgrp();
}

static void
copy_size(struct pty *p)
{
	struct winsize ws;

	if (ioctl(p->in, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(p->master, TIOCSWINSZ, &ws);
}

/* --- opening ------------------------------------------------------------------ */

static void
release(struct pty *p)
{
	if (p->master >= 0)
		close(p->master);
	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0)
		close(p->out);
	buf_release(&p->to_term);
	buf_release(&p->to_master);
	free(p);
}

/* The caller's terminal, opened again: a file description of airlock's
 * own, so that O_NONBLOCK does not reach the caller's shell, which shares
 * descriptors 0 and 2. */
static int
reopen(int fd, int flags, struct errbuf *err)
{
	char path[32];
	int r;

	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, flags | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (r == -1)
		errbuf_add(err, "cannot open the terminal again (%s): %m",
			   path);
	else if (!isatty(r)) {
		errbuf_add(err, "descriptor %d is not a terminal", fd);
		close(r);
		r = -1;
	}
	return r;
}

struct pty *
pty_open(struct errbuf *err)
{
	struct pty *p = xcalloc(1, sizeof(*p));

	p->master = p->in = p->out = -1;
	p->line_start = true;
	buf_init(&p->to_term, TO_TERM_MAX);
	buf_init(&p->to_master, TO_MASTER_MAX);
	keyscan_init(&p->keys);
	if ((p->in = reopen(STDIN_FILENO, O_RDONLY, err)) == -1 ||
	    (p->out = reopen(STDERR_FILENO, O_WRONLY, err)) == -1)
		goto fail;
	if (tcgetattr(p->in, &p->saved) == -1) {
		errbuf_add(err, "cannot read the terminal's modes: %m");
		goto fail;
	}
	return p;
fail:
	release(p);
	return NULL;
}

/* --- relaying ------------------------------------------------------------------ */

static void update(struct pty *p);

/* Writes what waits for the terminal; a terminal that hung up (EIO)
 * takes nothing any more, and what waits is dropped. */
static void
flush_term(struct pty *p)
{
	ssize_t n;

	while (p->to_term.len > 0 && !p->out_dead) {
		n = write(p->out, p->to_term.p, p->to_term.len);
		if (n > 0) {
			buf_consume(&p->to_term, (size_t)n);
		} else if (n == -1 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || errno != EAGAIN)
				p->out_dead = true;
			break;
		}
	}
	if (p->out_dead)
		buf_reset(&p->to_term);
}

static void
to_term(struct pty *p, const char *s, size_t n)
{
	if (n == 0)
		return;
	p->line_start = s[n - 1] == '\n';
	if (p->out_dead)
		return;
	(void)buf_add(&p->to_term, s, n); /* bounded by update() */
	flush_term(p);
}

static void
flush_master(struct pty *p)
{
	ssize_t n;

	while (p->to_master.len > 0 && !p->master_dead) {
		n = write(p->master, p->to_master.p, p->to_master.len);
		if (n > 0)
			buf_consume(&p->to_master, (size_t)n);
		else if (n == -1 && errno == EINTR)
			continue;
		else
			break; /* EAGAIN: the command reads slowly */
	}
	if (p->master_dead)
		buf_reset(&p->to_master);
}

/* Reads one chunk of the command's output: 1 when it got some, 0 when
 * there is none now, -1 at its end (EIO once no process holds the
 * command's end). */
static int
read_master(struct pty *p)
{
	char chunk[CHUNK];
	ssize_t n = read(p->master, chunk, sizeof(chunk));

	if (n > 0) {
		to_term(p, chunk, (size_t)n);
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	p->master_dead = true;
	return -1;
}

static void
read_input(struct pty *p)
{
	unsigned char chunk[CHUNK];
	ssize_t n = read(p->in, chunk, sizeof(chunk));
	int key = -1;
	ssize_t i;

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		p->in_dead = true; /* hung up */
		return;
	}
	for (i = 0; i < n; i++)
		key = keyscan_byte(&p->keys, chunk[i]);
	if (p->divert != NULL) {
		p->divert(p->divert_arg, n == 1 ? key : -1);
		return;
	}
	(void)buf_add(&p->to_master, chunk, (size_t)n); /* bounded by update() */
	flush_master(p);
}

static void
on_master(uv_poll_t *h, int status, int events)
{
	struct pty *p = h->data;

	if (status < 0)
		p->master_dead = true;
	else if (events & UV_READABLE)
		(void)read_master(p);
	if (events & UV_WRITABLE)
		flush_master(p);
	update(p);
}

static void
on_in(uv_poll_t *h, int status, int events)
{
	struct pty *p = h->data;

	(void)events;
	if (status < 0)
		p->in_dead = true;
	else
		read_input(p);
	update(p);
}

static void
on_out(uv_poll_t *h, int status, int events)
{
	struct pty *p = h->data;

	(void)events;
	if (status < 0)
		p->out_dead = true;
	flush_term(p);
	update(p);
}

static void
on_winch(uv_signal_t *h, int signum)
{
	(void)signum;
	copy_size(h->data);
}

static void
set_poll(uv_poll_t *h, int *cur, int want, uv_poll_cb cb)
{
	if (want == *cur)
		return;
	if (want == 0)
		uv_poll_stop(h);
	else
		uv_poll_start(h, want, cb);
	*cur = want;
}

/* What each descriptor waits for now: the master is read while output
 * flows (no prompt holds it, the terminal keeps up), the terminal while
 * airlock may read it (foreground, raw) and the master keeps up. */
static void
update(struct pty *p)
{
	int m = 0, in = 0, out = 0;

	if (!p->started || p->finished)
		return;
	if (!p->master_dead && p->divert == NULL &&
	    p->to_term.len < TO_TERM_HIGH)
		m |= UV_READABLE;
	if (!p->master_dead && p->to_master.len > 0)
		m |= UV_WRITABLE;
	if (p->raw && !p->in_dead &&
	    (p->divert != NULL || p->to_master.len + CHUNK <= TO_MASTER_MAX))
		in = UV_READABLE;
	if (!p->out_dead && p->to_term.len > 0)
		out = UV_WRITABLE;
	set_poll(&p->master_poll, &p->master_ev, m, on_master);
	set_poll(&p->in_poll, &p->in_ev, in, on_in);
	set_poll(&p->out_poll, &p->out_ev, out, on_out);
}

/* --- life ------------------------------------------------------------------------ */

static void
init_poll(struct pty *p, uv_poll_t *h, int fd)
{
	uv_poll_init(p->loop, h, fd);
	h->data = p;
	p->handles++;
}

static void
start(struct pty *p, uv_loop_t *loop)
{
	p->loop = loop;
	init_poll(p, &p->master_poll, p->master);
	init_poll(p, &p->in_poll, p->in);
	init_poll(p, &p->out_poll, p->out);
	uv_signal_init(loop, &p->winch);
	p->winch.data = p;
	p->handles++;
	uv_signal_start(&p->winch, on_winch, SIGWINCH);
	p->started = true;
	pty_resume(p);
}

/* The master's modes (and size) are the command's end's: the kernel
 * applies them to the peer. Only a pty master answers TIOCGPTN. */
int
pty_attach(struct pty *p, int master, uv_loop_t *loop, struct errbuf *err)
{
	unsigned int n;

	if (p->master >= 0 || p->finished) {
		errbuf_add(err, "pseudo-terminal: a second master");
		close(master);
		return -1;
	}
	p->master = master;
	if (ioctl(master, TIOCGPTN, &n) == -1) {
		errbuf_add(err, "pseudo-terminal: not a master: %m");
		return -1;
	}
	if (fcntl(master, F_SETFL, O_NONBLOCK) == -1) {
		errbuf_add(err, "pseudo-terminal: non-blocking mode: %m");
		return -1;
	}
	/* The command starts with the modes it would have had. */
	if (tcsetattr(master, TCSANOW, &p->saved) == -1) {
		errbuf_add(err, "pseudo-terminal: cannot set its modes: %m");
		return -1;
	}
	copy_size(p);
	start(p, loop);
	return 0;
}

void
pty_divert(struct pty *p, pty_key_fn *fn, void *arg)
{
	p->divert = fn;
	p->divert_arg = arg;
	update(p);
}

/* Waits (boundedly) until the terminal has taken what waits for it. */
static void
flush_term_wait(struct pty *p)
{
	struct pollfd pf = {.fd = p->out, .events = POLLOUT};

	flush_term(p);
	while (p->to_term.len > 0 && !p->out_dead) {
		if (poll(&pf, 1, FLUSH_WAIT_MS) <= 0) {
			buf_reset(&p->to_term); /* a terminal stuck: drop */
			break;
		}
		flush_term(p);
	}
}

/* Relays the command's output that is there now (all of it once the
 * command has ended), up to DRAIN_MAX. */
static void
drain(struct pty *p)
{
	size_t done = 0;

	flush_term_wait(p);
	while (!p->master_dead && done < DRAIN_MAX && read_master(p) > 0) {
		done += CHUNK;
		flush_term_wait(p);
	}
}

void
pty_print(struct pty *p, const char *text)
{
	to_term(p, text, strlen(text));
	if (p->finished)
		flush_term_wait(p);
	else
		update(p);
}

bool
pty_at_line_start(const struct pty *p)
{
	return p->line_start;
}

void
pty_suspend(struct pty *p)
{
	if (!p->started || p->finished)
		return;
	/* What a full-screen program wrote on its way out (leaving the
	 * alternate screen) must reach the terminal before the shell's
	 * prompt does. Output a prompt holds stays held. */
	if (p->divert == NULL)
		drain(p);
	else
		flush_term_wait(p);
	leave_raw(p);
	p->foreground = false;
	update(p);
}

void
pty_resume(struct pty *p)
{
	if (!p->started || p->finished)
		return;
	p->foreground = is_foreground(p);
	if (p->foreground)
		enter_raw(p);
	copy_size(p);
	update(p);
}

void
pty_finish(struct pty *p)
{
	if (p == NULL || p->finished)
		return;
	if (p->started) {
		drain(p);
		uv_poll_stop(&p->master_poll);
		uv_poll_stop(&p->in_poll);
		uv_poll_stop(&p->out_poll);
		uv_signal_stop(&p->winch);
	}
	p->master_ev = p->in_ev = p->out_ev = 0;
	leave_raw(p);
	p->divert = NULL;
	p->finished = true;
}

static void
on_closed(uv_handle_t *h)
{
	struct pty *p = h->data;

	if (--p->handles == 0)
		release(p);
}

void
pty_free(struct pty *p)
{
	if (p == NULL)
		return;
	pty_finish(p);
	p->freeing = true;
	if (p->handles == 0) {
		release(p);
		return;
	}
	uv_close((uv_handle_t *)&p->master_poll, on_closed);
	uv_close((uv_handle_t *)&p->in_poll, on_closed);
	uv_close((uv_handle_t *)&p->out_poll, on_closed);
	uv_close((uv_handle_t *)&p->winch, on_closed);
}
