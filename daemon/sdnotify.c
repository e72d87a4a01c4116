#include "sdnotify.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef CC_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
/* built with -Dsystemd=disabled: nobody is listening */
static int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}

static int sd_watchdog_enabled(int unset_environment, uint64_t *usec)
{
	(void)unset_environment;
	*usec = 0;
	return 0;
}
#endif

struct cc_sdnotify {
	struct lws_context *lws;
	bool enabled;           /* NOTIFY_SOCKET was set */
	bool ready_sent;
	bool stopping;
	uint64_t watchdog_usec;
	char *last_status;
	lws_sorted_usec_list_t watchdog_sul;
};

/* One datagram; sd_notify answers 0 when there is no socket, <0 (-errno) when sending failed. */
static int send_state(struct cc_sdnotify *n, const char *state)
{
	int r;

	if (!n->enabled)
		return 0;
	/* keep NOTIFY_SOCKET (unset_environment 0): later messages need it */
	r = sd_notify(0, state);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* Sent from a loop timer so a loop that stops turning stops the pings and systemd restarts
 * it. A failed send is not retried sooner: a missed ping is exactly what the watchdog is for. */
static void watchdog_ping(lws_sorted_usec_list_t *sul)
{
	struct cc_sdnotify *n = lws_container_of(sul, struct cc_sdnotify, watchdog_sul);

	(void)send_state(n, "WATCHDOG=1");
	/* a floor, so an absurd WatchdogSec cannot make the loop spin on this timer */
	lws_sul_schedule(n->lws, 0, &n->watchdog_sul, watchdog_ping,
			 (lws_usec_t)(n->watchdog_usec / 2 > 1000 ? n->watchdog_usec / 2 : 1000));
}

/* "KEY=" + status with any control character (a libpq error ends in a newline) made a space:
 * a newline would start a field of its own. malloc'd. */
static char *field(const char *prefix, const char *status)
{
	char *msg = cc_xasprintf("%sSTATUS=%s", prefix, status);

	for (char *c = msg + strlen(prefix); *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return msg;
}

struct cc_sdnotify *cc_sdnotify_create(struct lws_context *lws)
{
	struct cc_sdnotify *n = cc_xcalloc(1, sizeof *n);
	uint64_t usec = 0;

	n->lws = lws;
	n->enabled = getenv("NOTIFY_SOCKET") != NULL;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if present, is this process: a
	 * child that inherited the variables does not ping for its parent */
	if (n->enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->watchdog_usec = usec;
		/* half the interval, as sd_watchdog_enabled(3) recommends: one late ping is no
		 * restart */
		watchdog_ping(&n->watchdog_sul);
	}
	return n;
}

void cc_sdnotify_destroy(struct cc_sdnotify *n)
{
	if (!n)
		return;
	lws_sul_cancel(&n->watchdog_sul);
	free(n->last_status);
	free(n);
}

int cc_sdnotify_update(struct cc_sdnotify *n, bool ready, const char *status)
{
	bool say_ready = ready && !n->ready_sent;
	bool say_status = !n->last_status || strcmp(n->last_status, status);
	char *msg;
	int r;

	if (!n->enabled || n->stopping || (!say_ready && !say_status))
		return 0;
	msg = field(say_ready ? "READY=1\n" : "", status);
	r = send_state(n, msg);
	free(msg);
	if (r)
		return r;
	if (say_ready)
		n->ready_sent = true;
	free(n->last_status);
	n->last_status = cc_xstrdup(status);
	return 0;
}

int cc_sdnotify_stopping(struct cc_sdnotify *n, const char *status)
{
	char *msg;
	int r;

	if (!n->enabled || n->stopping)
		return 0;
	n->stopping = true;
	msg = field("STOPPING=1\n", status);
	r = send_state(n, msg);
	free(msg);
	return r;
}

uint64_t cc_sdnotify_watchdog_usec(const struct cc_sdnotify *n) { return n->watchdog_usec; }
bool cc_sdnotify_enabled(const struct cc_sdnotify *n) { return n->enabled; }
