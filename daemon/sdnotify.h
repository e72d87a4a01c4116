/*
 * Telling systemd how the daemon is doing (sd_notify): READY=1 once, STATUS= in words when it
 * changes, WATCHDOG=1 from a loop timer while the loop turns, STOPPING=1 when shutdown starts.
 * Without NOTIFY_SOCKET in the environment every call does nothing.
 */
#ifndef CC_SDNOTIFY_H
#define CC_SDNOTIFY_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_sdnotify;

/* Reads NOTIFY_SOCKET and the watchdog settings; starts the watchdog timer on lws's loop when
 * systemd asked for one (sd_watchdog_enabled). Never fails: NULL is not returned. */
struct cc_sdnotify *cc_sdnotify_create(struct lws_context *lws);
void cc_sdnotify_destroy(struct cc_sdnotify *n);

/* The daemon's state as /readyz sees it. READY=1 goes out the first time ready is true;
 * status (words; control characters become spaces, as each message is one line per field)
 * only when it differs from the last one sent. Ignored once
 * stopping. Returns -1 when a message could not be sent (errno set), else 0. */
int cc_sdnotify_update(struct cc_sdnotify *n, bool ready, const char *status);

/* STOPPING=1 with a status line; later updates are dropped. */
int cc_sdnotify_stopping(struct cc_sdnotify *n, const char *status);

/* The watchdog interval systemd asked for in microseconds (0: none); whether NOTIFY_SOCKET
 * was set. */
uint64_t cc_sdnotify_watchdog_usec(const struct cc_sdnotify *n);
bool cc_sdnotify_enabled(const struct cc_sdnotify *n);

#endif
