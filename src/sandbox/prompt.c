/* prompt.c — the terminal front-end of the approvals broker. See
 * prompt.h.
 *
 * The queue holds every request the broker put to the terminal and has
 * not settled, oldest first; the first one is on the screen when shown is
 * set. The broker's resolved() is the only place an item leaves the
 * queue, whoever settled it. */
#include "sandbox/prompt.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* Cancels any escape sequence the command's output left open (CAN),
 * then resets the character attributes (SGR 0). */
#define RESET "\030\033[0m"

struct item {
	struct item *next;
	uint64_t id;
	char *line;
};

struct prompt {
	struct approval_broker *b;
	struct approval_asker *asker;
	struct pty *pty;
	struct item *head;
	bool shown; /* head is on the screen, input diverted to it */
};

/* --- the text -------------------------------------------------------------------- */

/* s with every byte that is not printable ASCII as '?', cut at
 * PROMPT_FIELD_MAX ("..." then). */
static void
add_field(struct buf *out, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n && i < PROMPT_FIELD_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		(void)buf_addch(out, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (n > PROMPT_FIELD_MAX)
		(void)buf_addstr(out, "...");
}

static const char *
why_text(const char *reason)
{
	if (reason == NULL || strcmp(reason, "not_allowed") == 0)
		return "not on the allowlist";
	return reason;
}

void
prompt_format(const struct approval_request *rq, struct buf *out)
{
	bool v6 = strchr(rq->host, ':') != NULL;

	(void)buf_addstr(out, "airlock: ");
	add_field(out, rq->command != NULL ? rq->command : "the command");
	if (rq->process != NULL) {
		(void)buf_addstr(out, " (");
		add_field(out, rq->process);
		(void)buf_addch(out, ')');
	}
	(void)buf_addstr(out, " wants ");
	add_field(out, rq->protocol);
	(void)buf_addstr(out, v6 ? " [" : " ");
	add_field(out, rq->host);
	(void)buf_printf(out, "%s:%d", v6 ? "]" : "", rq->port);
	if (rq->method != NULL) {
		(void)buf_addch(out, ' ');
		add_field(out, rq->method);
	}
	(void)buf_addstr(out, ": ");
	add_field(out, why_text(rq->reason));
	(void)buf_addstr(out, ". Allow? [y]once [s]ession [a]lways [n]o "
			      "[d]eny always (Enter = no) ");
}

int
prompt_key_answer(int key, enum approval_answer *out)
{
	switch (key) {
	case 'y':
		*out = APPROVAL_ALLOW_ONCE;
		return 0;
	case 's':
		*out = APPROVAL_ALLOW_SESSION;
		return 0;
	case 'a':
		*out = APPROVAL_ALLOW_ALWAYS;
		return 0;
	case 'n':
	case '\r':
	case '\n':
	case 0x03: /* Ctrl-C */
		*out = APPROVAL_DENY;
		return 0;
	case 'd':
		*out = APPROVAL_DENY_ALWAYS;
		return 0;
	default:
		return -1;
	}
}

void
prompt_format_outcome(enum approval_answer a, const char *by, struct buf *out)
{
	static const char *const what[] = {
		[APPROVAL_ALLOW_ONCE] = "allowed once",
		[APPROVAL_ALLOW_SESSION] = "allowed for this session",
		[APPROVAL_ALLOW_ALWAYS] = "allowed always (saved in "
					  "approvals.toml)",
		[APPROVAL_DENY] = "denied for this session",
		[APPROVAL_DENY_ALWAYS] = "denied always (saved in "
					 "approvals.toml)",
		[APPROVAL_TIMEOUT] = "denied",
		[APPROVAL_CANCELLED] = "cancelled",
		[APPROVAL_NOT_ASKED] = "denied",
	};

	(void)buf_addstr(out, "-> ");
	if (a == APPROVAL_TIMEOUT || a == APPROVAL_CANCELLED ||
	    a == APPROVAL_NOT_ASKED) {
		add_field(out, by != NULL ? by : "no answer");
		(void)buf_addstr(out, ": ");
	}
	(void)buf_addstr(out, what[a]);
	if (a <= APPROVAL_DENY_ALWAYS && by != NULL &&
	    strcmp(by, "terminal") != 0) {
		(void)buf_addstr(out, " by ");
		add_field(out, by);
	}
	(void)buf_addstr(out, "\r\n");
}

/* --- the queue ------------------------------------------------------------------- */

static void
item_free(struct item *it)
{
	free(it->line);
	free(it);
}

static void on_key(void *arg, int key);

/* Puts the oldest request on the screen, or gives the terminal back. */
static void
show_next(struct prompt *pr)
{
	struct buf b;

	if (pr->head == NULL) {
		pr->shown = false;
		pty_divert(pr->pty, NULL, NULL);
		return;
	}
	pty_divert(pr->pty, on_key, pr);
	buf_init(&b, PROMPT_LINE_SIZE);
	(void)buf_addstr(&b, RESET);
	if (!pty_at_line_start(pr->pty))
		(void)buf_addstr(&b, "\r\n");
	(void)buf_addstr(&b, pr->head->line);
	pty_print(pr->pty, b.p);
	buf_release(&b);
	pr->shown = true;
}

static void
on_key(void *arg, int key)
{
	struct prompt *pr = arg;
	enum approval_answer a;

	if (!pr->shown || prompt_key_answer(key, &a) == -1)
		return;
	/* resolved() follows from inside, and takes the line down. */
	(void)approval_answer(pr->b, pr->head->id, a, "terminal");
}

static void
ask(void *arg, const struct approval_request *rq)
{
	struct prompt *pr = arg;
	struct item *it = xcalloc(1, sizeof(*it)), **end = &pr->head;
	struct buf b;

	buf_init(&b, PROMPT_LINE_SIZE);
	prompt_format(rq, &b);
	it->id = rq->id;
	it->line = buf_detach(&b, NULL);
	while (*end != NULL)
		end = &(*end)->next;
	*end = it;
	if (!pr->shown)
		show_next(pr);
}

static void
resolved(void *arg, uint64_t id, enum approval_answer a, const char *by)
{
	struct prompt *pr = arg;
	struct item **pp = &pr->head, *it;
	bool was_shown;
	struct buf b;

	while (*pp != NULL && (*pp)->id != id)
		pp = &(*pp)->next;
	if ((it = *pp) == NULL)
		return;
	was_shown = pr->shown && it == pr->head;
	*pp = it->next;
	item_free(it);
	if (!was_shown)
		return;
	buf_init(&b, PROMPT_FIELD_MAX + 128);
	prompt_format_outcome(a, by, &b);
	pty_print(pr->pty, b.p);
	buf_release(&b);
	show_next(pr);
}

static const struct approval_asker_ops ops = {ask, resolved};

struct prompt *
prompt_new(struct approval_broker *b, struct pty *pty)
{
	struct prompt *pr = xcalloc(1, sizeof(*pr));

	pr->b = b;
	pr->pty = pty;
	pr->asker = approval_asker_add(b, &ops, pr);
	return pr;
}

void
prompt_free(struct prompt *pr)
{
	struct item *it;

	if (pr == NULL)
		return;
	approval_asker_remove(pr->b, pr->asker);
	if (pr->shown) {
		pty_print(pr->pty, "-> not answered: airlock is done\r\n");
		pty_divert(pr->pty, NULL, NULL);
	}
	while ((it = pr->head) != NULL) {
		pr->head = it->next;
		item_free(it);
	}
	free(pr);
}
