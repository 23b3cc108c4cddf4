/* prompt.h — the terminal front-end of the approvals broker
 * (proxy/approval.h) for `airlock run`: a person at the terminal answers
 * with one key.
 *
 * Each request the broker puts to it is queued and shown one at a time:
 * the command's output is held and the terminal's input diverted to the
 * prompt (pty.h), one line names the command, the protocol, host, port,
 * method and why the request would be blocked, and the answer is one key:
 *
 *   y  allow once        s  allow for the session   a  allow always
 *   n  deny (session)    d  deny always             Enter, Ctrl-C: n
 *
 * Other keys are ignored. A key counts only when it came alone — one byte
 * in one read, outside any escape sequence (keyscan.h) — so a terminal's
 * reply that a program provoked (a title report, an answerback string)
 * cannot answer for the person; the command sees none of the prompt's
 * input, and none of its output reaches the terminal while the prompt is
 * up. When a request is settled (by the key, the broker's timeout, or the
 * request going away) the line is finished with what happened, and the
 * next request is shown, or the terminal given back to the command.
 *
 * Text from the request (host, method, command) is printed with control
 * and non-ASCII bytes replaced by '?', and the line starts by cancelling
 * any escape sequence the command's output left open and resetting the
 * character attributes, so the command cannot hide or forge the prompt's
 * text with its own output. */
#ifndef AIRLOCK_SANDBOX_PROMPT_H
#define AIRLOCK_SANDBOX_PROMPT_H

#include <stdbool.h>

#include "lib/buf.h"
#include "proxy/approval.h"
#include "sandbox/pty.h"

struct prompt;

/* Registers the terminal with broker b as an asker; prompts go to pty.
 * Both must outlive the prompt. */
struct prompt *prompt_new(struct approval_broker *b, struct pty *pty);
/* Unregisters (before the broker is closed) and frees. NULL is ignored. */
void prompt_free(struct prompt *pr);

/* Longest text taken from a request for the line ("..." follows a cut
 * one), and room for a line of six such fields and the rest. */
#define PROMPT_FIELD_MAX 200
#define PROMPT_LINE_SIZE (6 * PROMPT_FIELD_MAX + 256)

/* The prompt's line for rq, without the leading reset, into out. */
void prompt_format(const struct approval_request *rq, struct buf *out);
/* The answer key stands for: 0, or -1 for a key that answers nothing. */
int prompt_key_answer(int key, enum approval_answer *out);
/* What the end of the line says for outcome a given by `by`. */
void prompt_format_outcome(enum approval_answer a, const char *by,
			   struct buf *out);

#endif
