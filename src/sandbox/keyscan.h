/* keyscan.h — which bytes typed on a terminal are keys of their own.
 *
 * What airlock reads from the caller's terminal is not only keys: the
 * terminal itself writes replies there (cursor position, device
 * attributes, a window-title report), and a program whose output reaches
 * the terminal can ask for them. The approval prompt (prompt.h) must take
 * its answer from a person's key press, never from such a reply, so every
 * byte read from the terminal — relayed to the command or not — goes
 * through one scanner, which keeps its state across reads: a reply split
 * over two reads is still a reply.
 *
 * A key is a byte outside any escape sequence (ESC sequences, CSI, SS3,
 * the control strings OSC, DCS, SOS, PM and APC, in 7-bit and C1 forms)
 * and outside any multi-byte UTF-8 character. Carriage return, line feed
 * and Ctrl-C are always keys and end whatever sequence was open, so that
 * a person can always answer after a stray ESC. Pure: no I/O. */
#ifndef AIRLOCK_SANDBOX_KEYSCAN_H
#define AIRLOCK_SANDBOX_KEYSCAN_H

#define KEYSCAN_PART (-1) /* the byte belongs to a sequence */

struct keyscan {
	int state;     /* enum in keyscan.c; 0 = ground */
	int utf8_left; /* continuation bytes still expected */
};

void keyscan_init(struct keyscan *k);
/* Scans one byte: returns it (0..127) when it is a key of its own, or
 * KEYSCAN_PART. */
int keyscan_byte(struct keyscan *k, unsigned char c);

#endif
