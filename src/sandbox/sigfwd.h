/* sigfwd.h — passing signals on to the sandboxed process.
 *
 * Both the parent airlock and the sandbox's init forward SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to one target process. Only signals
 * sent on purpose (kill(2), si_code <= 0) are forwarded: the ones a
 * terminal sends to its whole foreground process group already reach the
 * command, and forwarding them too would deliver them twice. One target
 * per process; async-signal-safe. */
#ifndef AIRLOCK_SIGFWD_H
#define AIRLOCK_SIGFWD_H

#include <sys/types.h>

/* Installs the handlers (SA_RESTART). */
void sigfwd_install(void);
/* Sets the process signals go to; 0 forwards nothing. */
void sigfwd_target(pid_t pid);

#endif
