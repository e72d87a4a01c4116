/*
 * The alert engine's daemon side. Every few seconds it tells the hub what it sees (each series a
 * rule watches: bad or not; the system level) through commcell.alert_step, which keeps the alert
 * state machine, rotas and escalation in one transaction per round and queues notifications in
 * the outbox. A delivery loop claims due outbox rows (FOR UPDATE SKIP LOCKED, with a lease),
 * sends them through the sender without blocking, and records each attempt. The current alert
 * list is pushed to displays as it changes.
 */
#ifndef CC_ALERTS_H
#define CC_ALERTS_H

#include "board.h"
#include "catalog.h"
#include "config.h"
#include "loop.h"
#include "pgconn.h"

#include <jansson.h>

struct cc_alerts;

/* on_list: the alert list changed (a JSON array, borrowed). */
struct cc_alerts *cc_alerts_create(const struct cc_loop *loop, struct cc_board *board,
				   const struct cc_config *cfg,
				   void (*on_list)(void *arg, json_t *alerts), void *arg);
void cc_alerts_destroy(struct cc_alerts *a);

void cc_alerts_set_conn(struct cc_alerts *a, struct cc_pgconn *hub);
void cc_alerts_set_catalog(struct cc_alerts *a, const struct cc_catalog *cat);
/* public_url (links in messages) and smtp_* from cfg, which stays valid until the next call;
 * the password file is read again. At create and on each reload. */
void cc_alerts_set_config(struct cc_alerts *a, const struct cc_config *cfg);
/* Only the leading instance evaluates and delivers. */
void cc_alerts_set_active(struct cc_alerts *a, bool active);

/* Evaluate now rather than at the next round (a status changed). */
void cc_alerts_poke(struct cc_alerts *a);

json_t *cc_alerts_list(const struct cc_alerts *a);   /* borrowed; never NULL */
json_t *cc_alerts_stats(const struct cc_alerts *a);  /* new reference */

#endif
