/* sigsafe.c — lock-free, allocation-free formatting. See sigsafe.h. */
#include "lib/sigsafe.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

struct out {
	char *buf;
	size_t cap, len;
};

static void
put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = c;
}

static void
puts_(struct out *o, const char *s)
{
	if (s == NULL)
		s = "(null)";
	while (*s != '\0')
		put(o, *s++);
}

static void
put_unsigned(struct out *o, unsigned long long v, unsigned base)
{
	char digits[24];
	size_t n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v > 0 && n < sizeof(digits));
	while (n > 0)
		put(o, digits[--n]);
}

static void
put_signed(struct out *o, long long v)
{
	if (v < 0) {
		put(o, '-');
		put_unsigned(o, 0ULL - (unsigned long long)v, 10);
	} else {
		put_unsigned(o, (unsigned long long)v, 10);
	}
}

const char *
sigsafe_strerror(int e)
{
	const char *s = strerrordesc_np(e);

	return s != NULL ? s : "unknown error";
}

/* One conversion after the '%' at *f; err is errno at the call. */
static const char *
convert(struct out *o, const char *f, va_list *ap, int err)
{
	int longs = 0;
	bool size = false;

	for (; *f == 'l' || *f == 'z'; f++) {
		if (*f == 'l')
			longs++;
		else
			size = true;
	}
	switch (*f) {
	case 's':
		puts_(o, va_arg(*ap, const char *));
		break;
	case 'c':
		put(o, (char)va_arg(*ap, int));
		break;
	case 'd':
	case 'i':
		if (size)
			put_signed(o, (long long)va_arg(*ap, ssize_t));
		else if (longs)
			put_signed(o, (long long)va_arg(*ap, long));
		else
			put_signed(o, va_arg(*ap, int));
		break;
	case 'u':
	case 'x':
		if (size)
			put_unsigned(o, va_arg(*ap, size_t), *f == 'x' ? 16 : 10);
		else if (longs)
			put_unsigned(o, va_arg(*ap, unsigned long),
				     *f == 'x' ? 16 : 10);
		else
			put_unsigned(o, va_arg(*ap, unsigned),
				     *f == 'x' ? 16 : 10);
		break;
	case 'm':
		puts_(o, sigsafe_strerror(err));
		break;
	case '%':
		put(o, '%');
		break;
	case '\0':
		return f;
	default:
		put(o, '%');
		put(o, *f);
		break;
	}
	return f + 1;
}

static void
format(struct out *o, const char *fmt, va_list ap, int err)
{
	va_list aq;
	const char *f = fmt;

	va_copy(aq, ap);
	while (*f != '\0') {
		if (*f != '%') {
			put(o, *f++);
			continue;
		}
		f = convert(o, f + 1, &aq, err);
	}
	va_end(aq);
	o->buf[o->len] = '\0';
}

void
sigsafe_vfmt(char *buf, size_t cap, size_t *len, const char *fmt, va_list ap)
{
	struct out o = {buf, cap, *len < cap ? *len : cap - 1};

	format(&o, fmt, ap, errno);
	*len = o.len;
}

void
sigsafe_fmt(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	int err = errno;
	struct out o = {buf, cap, *len < cap ? *len : cap - 1};
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap, err);
	va_end(ap);
	*len = o.len;
}

void
sigsafe_dprintf(int fd, const char *fmt, ...)
{
	int err = errno;
	char line[1024];
	struct out o = {line, sizeof(line), 0};
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	format(&o, fmt, ap, err);
	va_end(ap);
	do
		n = write(fd, line, o.len);
	while (n == -1 && errno == EINTR);
	errno = err;
}
