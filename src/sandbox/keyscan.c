/* keyscan.c — which bytes typed on a terminal are keys of their own. See
 * keyscan.h.
 *
 * The states follow the input side of the DEC/ECMA-48 parser, reduced to
 * what tells a sequence from a key. Where a byte could either end a
 * sequence early or keep it open, it keeps it open: a byte wrongly taken
 * as part of a sequence costs a person one more key press, a byte wrongly
 * taken as a key could answer a prompt. So a control string (a title
 * report's text, say) ends only with BEL, ESC \, CAN or SUB — not with the
 * 8-bit ST, 0x9c, which is also a UTF-8 continuation byte. */
#include "sandbox/keyscan.h"

enum {
	KS_GROUND,
	KS_UTF8,       /* inside a multi-byte character */
	KS_ESC,        /* after ESC */
	KS_ESC_INTER,  /* ESC, intermediates (ESC ( B) */
	KS_CSI,        /* ESC [ or 0x9b: parameters until a final byte */
	KS_SS3,        /* ESC O, ESC N, 0x8e, 0x8f: one more byte */
	KS_STRING,     /* OSC, DCS, SOS, PM, APC: until BEL or ST */
	KS_STRING_ESC, /* ESC inside a string: ST if '\' follows */
};

#define ESC 0x1b
#define BEL 0x07
#define CAN 0x18
#define SUB 0x1a

void
keyscan_init(struct keyscan *k)
{
	k->state = KS_GROUND;
	k->utf8_left = 0;
}

static int
to(struct keyscan *k, int state)
{
	k->state = state;
	return KEYSCAN_PART;
}

/* A UTF-8 lead byte: how many continuation bytes follow; 0 for a byte
 * that cannot start a character. */
static int
utf8_tail(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 1;
	if (c >= 0xe0 && c <= 0xef)
		return 2;
	if (c >= 0xf0 && c <= 0xf4)
		return 3;
	return 0;
}

static int
ground(struct keyscan *k, unsigned char c)
{
	if (c == ESC)
		return to(k, KS_ESC);
	if (c < 0x80)
		return c;
	if (c == 0x9b)
		return to(k, KS_CSI);
	if (c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e || c == 0x9f)
		return to(k, KS_STRING);
	if (c == 0x8e || c == 0x8f)
		return to(k, KS_SS3);
	k->utf8_left = utf8_tail(c);
	return to(k, k->utf8_left > 0 ? KS_UTF8 : KS_GROUND);
}

static int
after_esc(struct keyscan *k, unsigned char c)
{
	if (c == '[')
		return to(k, KS_CSI);
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
		return to(k, KS_STRING);
	if (c == 'O' || c == 'N')
		return to(k, KS_SS3);
	if (c == ESC)
		return KEYSCAN_PART;
	if (c >= 0x20 && c <= 0x2f)
		return to(k, KS_ESC_INTER);
	if (c >= 0x80) {
		/* Alt with a non-ASCII key: the key's own bytes follow. */
		k->state = KS_GROUND;
		(void)ground(k, c);
		return KEYSCAN_PART;
	}
	return to(k, KS_GROUND); /* ESC x: Alt-x, or a two-byte sequence */
}

static int
in_sequence(struct keyscan *k, unsigned char c)
{
	switch (k->state) {
	case KS_ESC_INTER:
		if (c == ESC)
			return to(k, KS_ESC);
		if (c >= 0x20 && c <= 0x2f)
			return KEYSCAN_PART;
		return to(k, KS_GROUND);
	case KS_CSI:
		if (c == ESC)
			return to(k, KS_ESC);
		if (c == CAN || c == SUB || (c >= 0x40 && c <= 0x7e))
			return to(k, KS_GROUND);
		return KEYSCAN_PART;
	case KS_SS3:
		return to(k, c == ESC ? KS_ESC : KS_GROUND);
	case KS_STRING:
		if (c == ESC)
			return to(k, KS_STRING_ESC);
		if (c == BEL || c == CAN || c == SUB)
			return to(k, KS_GROUND);
		return KEYSCAN_PART;
	case KS_STRING_ESC:
		if (c == '\\')
			return to(k, KS_GROUND);
		k->state = KS_ESC;
		return after_esc(k, c);
	default:
		return to(k, KS_GROUND);
	}
}

int
keyscan_byte(struct keyscan *k, unsigned char c)
{
	/* Enter and Ctrl-C always reach the prompt. */
	if (c == '\r' || c == '\n' || c == 0x03) {
		keyscan_init(k);
		return c;
	}
	switch (k->state) {
	case KS_GROUND:
		return ground(k, c);
	case KS_UTF8:
		if (c >= 0x80 && c <= 0xbf) {
			if (--k->utf8_left == 0)
				k->state = KS_GROUND;
			return KEYSCAN_PART;
		}
		k->state = KS_GROUND; /* a broken character: start again */
		return ground(k, c);
	case KS_ESC:
		return after_esc(k, c);
	default:
		return in_sequence(k, c);
	}
}
