/* SIGINT, SIGTERM and SIGHUP arrive through a signalfd watched by the loop, so shutdown and
 * reload run as ordinary events instead of inside an async signal handler. */
#ifndef CC_SIGNALS_H
#define CC_SIGNALS_H

#include <libwebsockets.h>

extern const struct lws_protocols cc_signals_protocol;

/* Block the signals and adopt a signalfd for them; on_signal is called from the loop. */
int cc_signals_watch(struct lws_vhost *vh, void (*on_signal)(int signo, void *user), void *user);

#endif
