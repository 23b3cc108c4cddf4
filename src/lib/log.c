#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum log_level max_level = LOG_INFO;
static int raw_terminal;

void
log_set_level(enum log_level level)
{
	max_level = level;
}

void
log_set_raw_terminal(int on)
{
	raw_terminal = on;
}

static void
vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "airlock: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputs(raw_terminal ? "\r\n" : "\n", stderr);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {"error: ", "warning: ", "", ""};
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vlog(prefix[level], fmt, ap);
	va_end(ap);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
	exit(status);
}
