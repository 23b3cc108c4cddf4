/* log.h — diagnostics on stderr, prefixed with the program name.
 *
 * log_warn/log_info write one line each; die() writes one and exits with the
 * given status. die() is for start-up and the sandbox launcher only (see
 * STYLE.md): a serving process closes the one bad connection instead. */
#ifndef AIRLOCK_LOG_H
#define AIRLOCK_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* Ends each line with "\r\n" instead of "\n": stderr is a terminal in raw
 * mode (no output processing), as `airlock run` keeps it in front of a
 * pseudo-terminal (sandbox/ttymodes.h). */
void log_set_raw_terminal(int on);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
__attribute__((noreturn, format(printf, 2, 3))) void die(int status,
							 const char *fmt, ...);

#endif
