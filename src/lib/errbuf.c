#include "errbuf.h"
#include "sigsafe.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
errbuf_init(struct errbuf *e)
{
	memset(e, 0, sizeof(*e));
}

void
errbuf_init_fixed(struct errbuf *e, char *buf, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->text = buf;
	e->fixed = cap;
	buf[0] = '\0';
}

void
errbuf_release(struct errbuf *e)
{
	if (e == NULL)
		return;
	if (e->fixed > 0) {
		errbuf_clear(e);
		return;
	}
	free(e->text);
	memset(e, 0, sizeof(*e));
}

void
errbuf_clear(struct errbuf *e)
{
	if (e == NULL)
		return;
	e->len = 0;
	e->count = 0;
	e->dropped = 0;
	if (e->text)
		e->text[0] = '\0';
}

void
errbuf_add(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	size_t n, need;
	int rc;

	if (e == NULL)
		return;
	if (e->fixed > 0) {
		if (e->count++ > 0) {
			e->dropped++;
			return;
		}
		va_start(ap, fmt);
		sigsafe_vfmt(e->text, e->fixed, &e->len, fmt, ap);
		va_end(ap);
		return;
	}
	va_start(ap, fmt);
	rc = vasprintf(&line, fmt, ap);
	va_end(ap);
	e->count++;
	if (rc < 0) {
		e->dropped++;
		return;
	}
	n = (size_t)rc;
	need = e->len + (e->len ? 1 : 0) + n + 1;
	if (need > ERRBUF_MAX) {
		e->dropped++;
		free(line);
		return;
	}
	e->text = xreallocarray(e->text, need, 1);
	if (e->len)
		e->text[e->len++] = '\n';
	memcpy(e->text + e->len, line, n + 1);
	e->len += n;
	free(line);
}

const char *
errbuf_str(struct errbuf *e)
{
	char tail[64];
	size_t n;

	if (e == NULL || e->text == NULL)
		return "";
	if (e->dropped == 0 || e->fixed > 0)
		return e->text;
	n = (size_t)snprintf(tail, sizeof(tail), "\n... %u more", e->dropped);
	e->text = xreallocarray(e->text, e->len + n + 1, 1);
	memcpy(e->text + e->len, tail, n + 1);
	/* The tail is appended past len so later adds overwrite it. */
	return e->text;
}

const char *
errbuf_first(struct errbuf *e)
{
	char *nl;

	if (e == NULL || e->text == NULL)
		return "";
	if (e->fixed > 0)
		return e->text; /* one problem only */
	nl = memchr(e->text, '\n', e->len);
	if (nl == NULL)
		return e->text;
	/* Hand out a copy kept at the end of the buffer, past len. */
	{
		size_t n = (size_t)(nl - e->text);
		e->text = xreallocarray(e->text, e->len + n + 2, 1);
		memcpy(e->text + e->len + 1, e->text, n);
		e->text[e->len + 1 + n] = '\0';
		return e->text + e->len + 1;
	}
}
