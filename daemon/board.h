/*
 * The board: the current value and status of every (partner, metric, site), the partners'
 * feed states, and the sequence number of changes. It turns changes into `delta` messages and
 * builds `snapshot` messages (docs/protocol.md), each encoded once.
 */
#ifndef CC_BOARD_H
#define CC_BOARD_H

#include "bus.h"
#include "catalog.h"

#include <stdbool.h>
#include <stdint.h>

struct cc_board;

struct cc_board *cc_board_create(void);
void cc_board_destroy(struct cc_board *b);

/* Adopt a catalog (kept by the caller until the next call or destroy): entries for metrics no
 * longer defined are removed, metrics with no value get a placeholder entry for site "". */
void cc_board_set_catalog(struct cc_board *b, const struct cc_catalog *cat, int64_t now_ms);

enum cc_observe_result { CC_OBS_OK = 0, CC_OBS_UNKNOWN_METRIC, CC_OBS_OLDER };

/* A good value for a defined metric. Values older than the one held are ignored (OLDER). */
enum cc_observe_result cc_board_observe(struct cc_board *b, const char *partner, const char *key,
					const char *site, double value, int64_t observed_ms,
					int64_t now_ms);

/* A partner's feed state; error non-NULL turns its metrics to status error with that reason. */
void cc_board_partner_state(struct cc_board *b, const char *partner, const char *state,
			    const char *reason, const char *error, int64_t now_ms);

/* Re-judge every entry (values go stale with time). */
void cc_board_tick(struct cc_board *b, int64_t now_ms);

/* The pending changes as one delta with the next seq, or NULL if nothing changed. */
struct cc_msg *cc_board_flush(struct cc_board *b, int64_t now_ms);

/* A new reference to the snapshot for the current state (cached until the next change). */
struct cc_msg *cc_board_snapshot(struct cc_board *b, int64_t now_ms);

/* {"type":"heartbeat"} or {"type":"pong"} with the current seq. */
struct cc_msg *cc_board_beat(struct cc_board *b, const char *type, int64_t now_ms);

uint64_t cc_board_seq(const struct cc_board *b);
size_t cc_board_entries(const struct cc_board *b);

#endif
