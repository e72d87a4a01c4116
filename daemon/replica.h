/*
 * The board shared between instances through the hub (sql/hub/008_replication.sql). The leader
 * publishes every accepted value and every partner state; a follower reads what changed since
 * the version it has, on NOTIFY commcell_current and every few seconds as a safety net, and
 * applies it to its own board, which then judges statuses with the same code as the leader.
 */
#ifndef CC_REPLICA_H
#define CC_REPLICA_H

#include "board.h"
#include "pgconn.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_replica;

struct cc_replica *cc_replica_create(struct lws_context *ctx, struct cc_board *board,
				     void (*applied)(void *arg), void *arg);
void cc_replica_destroy(struct cc_replica *r);

void cc_replica_set_conn(struct cc_replica *r, struct cc_pgconn *hub);

/* Leader side: queue, then write at the next flush (called after each batch). */
void cc_replica_value(struct cc_replica *r, const char *partner, const char *metric,
		      const char *site, double value, int64_t observed_ms);
/* feed_errors: [{"metric": key or null, "error": text}] (borrowed) */
void cc_replica_partner(struct cc_replica *r, const char *partner, const char *state,
			const char *reason, const char *error, json_t *feed_errors);
void cc_replica_flush(struct cc_replica *r);

/* Follower side: read what changed (on NOTIFY commcell_current and on a timer). */
void cc_replica_follow(struct cc_replica *r, bool following);
void cc_replica_poke(struct cc_replica *r);
/* A follower has read the hub's board at least once. */
bool cc_replica_loaded(const struct cc_replica *r);

#endif
