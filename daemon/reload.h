/*
 * SIGHUP: what of a re-read bootstrap file can take effect in a running daemon. Keys whose
 * value is built into something made once at start (the listening socket, the hub
 * connections, the web root's allow-list, the fan-out threads, lws's header buffer and
 * timeouts, the TLS vhost's file names) keep their running value until a restart.
 */
#ifndef CC_RELOAD_H
#define CC_RELOAD_H

#include "config.h"

#include <stddef.h>

/* Where next differs from running in a restart-only key, running's value is copied into next,
 * so next describes what actually runs, and changed(key) is called. Returns how many. */
size_t cc_reload_keep_restart_only(struct cc_config *next, const struct cc_config *running,
				   void (*changed)(const char *key, void *arg), void *arg);

#endif
