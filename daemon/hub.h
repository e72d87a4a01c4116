/*
 * The hub database: commcell's own configuration and state. The hub connection loads the
 * catalog (stages, partners, feeds, metrics) and LISTENs for changes to it, so edits made by
 * SQL take effect without a restart. It also LISTENs for the leader's board (commcell_current)
 * and the meeting's lists (commcell_meeting) and hands those notifications on.
 */
#ifndef CC_HUB_H
#define CC_HUB_H

#include "catalog.h"
#include "pgconn.h"

#include <stdbool.h>

struct cc_hub;

struct cc_hub_events {
	/* A freshly loaded catalog; the receiver owns it. */
	void (*on_catalog)(struct cc_hub *h, struct cc_catalog *cat, void *user);
	/* The hub became reachable (up) or not; reason is for people. */
	void (*on_state)(struct cc_hub *h, bool up, const char *reason, void *user);
	/* A NOTIFY on another channel the hub connection listens to (commcell_current,
	 * commcell_meeting); payload is "" when there is none. */
	void (*on_notify)(struct cc_hub *h, const char *channel, const char *payload, void *user);
};

struct cc_hub *cc_hub_create(const struct cc_loop *loop, const char *conninfo,
			     const struct cc_hub_events *ev, void *user);
void cc_hub_destroy(struct cc_hub *h);
void cc_hub_start(struct cc_hub *h);

bool cc_hub_up(const struct cc_hub *h);
/* The hub connection, for other writers and readers of the hub (recorder, API queries). */
struct cc_pgconn *cc_hub_conn(struct cc_hub *h);
const char *cc_hub_error(const struct cc_hub *h);   /* "" when none */

#endif
