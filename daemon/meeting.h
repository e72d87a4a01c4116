/*
 * The meeting's live lists: every goal, and the actions still open or in progress, loaded from
 * the hub at start, whenever the hub connection comes back, and whenever the hub NOTIFYs
 * commcell_meeting (every instance listens, leader or not). A list whose text changed is handed
 * on whole, for the board's snapshots and a broadcast to every display.
 */
#ifndef CC_MEETING_H
#define CC_MEETING_H

#include "pgconn.h"

#include <jansson.h>

struct cc_meeting;

/* name is "goals" or "actions"; list (a JSON array) is borrowed for the call. */
typedef void (*cc_meeting_list_fn)(void *arg, const char *name, json_t *list);

struct cc_meeting *cc_meeting_create(cc_meeting_list_fn fn, void *arg);
void cc_meeting_destroy(struct cc_meeting *m);

/* The hub connection is up (again): load both lists. */
void cc_meeting_set_conn(struct cc_meeting *m, struct cc_pgconn *pc);

/* A NOTIFY commcell_meeting with its payload: "goals" or "actions" reloads that list; anything
 * else but "huddles" (an older trigger, an empty payload) reloads both. */
void cc_meeting_changed(struct cc_meeting *m, const char *payload);

#endif
