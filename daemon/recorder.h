/*
 * Writes what the board accepted (history) and what it refused (quarantine) to the hub, in
 * batches, without blocking the loop. Rows wait in memory while the hub is unreachable and are
 * written when it is back; past max_rows the oldest are dropped and counted, so a long hub
 * outage costs bounded memory and says what it lost. A batch the hub refuses as bad data is
 * split until the bad rows are alone; they are set aside and the rest is written.
 */
#ifndef CC_RECORDER_H
#define CC_RECORDER_H

#include "pgconn.h"

#include <stdint.h>

struct cc_recorder;

struct cc_recorder *cc_recorder_create(struct lws_context *ctx, size_t max_rows);
void cc_recorder_destroy(struct cc_recorder *r);

/* The hub connection to write through; NULL while there is none. */
void cc_recorder_set_conn(struct cc_recorder *r, struct cc_pgconn *pc);

void cc_recorder_history(struct cc_recorder *r, const char *partner, const char *metric,
			 const char *site, double value, int64_t observed_ms);
/* observed_ms 0: unknown; row_id 0 and feed_id 0: none; value_text NULL: SQL NULL. */
void cc_recorder_quarantine(struct cc_recorder *r, const char *partner, int feed_id,
			    int64_t row_id, const char *metric, const char *site,
			    const char *value_text, int64_t observed_ms, const char *reason);

/* A change of the system escalation level. */
void cc_recorder_level(struct cc_recorder *r, int level, const char *label, const char *reason,
		       int64_t at_ms);

/* Daily partitions ahead and retention behind; call at start and then every hour. */
void cc_recorder_maintain(struct cc_recorder *r, int retention_days);

uint64_t cc_recorder_written(const struct cc_recorder *r);
uint64_t cc_recorder_dropped(const struct cc_recorder *r);
uint64_t cc_recorder_quarantined(const struct cc_recorder *r);
/* Rows the hub refused as bad data (SQLSTATE class 22, 23 or 54) one by one, after their batch
 * was split to find them: history rows among them went to quarantine, others were dropped. */
uint64_t cc_recorder_refused(const struct cc_recorder *r);
size_t cc_recorder_pending(const struct cc_recorder *r);

#endif
