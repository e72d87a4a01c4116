/*
 * The board: the current value and status of every (partner, metric, site), the partners'
 * feed states, and the sequence number of changes. It turns changes into `delta` messages and
 * builds `snapshot` messages (docs/protocol.md), each encoded once.
 */
#ifndef CC_BOARD_H
#define CC_BOARD_H

#include "bus.h"
#include "catalog.h"

#include "status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_board;

/* One series as the alert engine sees it when its status changes. */
struct cc_board_view {
	const char *partner, *key, *site, *label, *unit, *stage;
	bool has_value;
	double value;
	int64_t observed_ms;
	enum cc_status status;
	const char *reason;
};

typedef void (*cc_board_status_fn)(void *arg, const struct cc_board_view *v, enum cc_status old);

/* Called whenever a series' status changes (from the call that changed it). */
void cc_board_on_status(struct cc_board *b, cc_board_status_fn fn, void *arg);

/* Every series, in board order. */
void cc_board_foreach(const struct cc_board *b, void (*fn)(void *arg, const struct cc_board_view *v),
		      void *arg);

/* A list shown with the board (a JSON array, stolen), carried by snapshots as the member name:
 * "alerts", "goals", "actions". Each of those is [] until set. */
void cc_board_set_list(struct cc_board *b, const char *name, json_t *list);

/* The system escalation level (1-4) and why, as of the last flush. */
int cc_board_level(const struct cc_board *b, const char **reason);
/* True once after each change of level (checked by whoever announces it). */
bool cc_board_take_level_change(struct cc_board *b);
/* {"level":3,"label":"OPEL 3","reason":"..."} */
json_t *cc_board_level_json(const struct cc_board *b);

struct cc_board *cc_board_create(void);
void cc_board_destroy(struct cc_board *b);

/* Adopt a catalog (kept by the caller until the next call or destroy): entries for metrics no
 * longer defined are removed, metrics with no value get a stand-in entry for site "". */
void cc_board_set_catalog(struct cc_board *b, const struct cc_catalog *cat, int64_t now_ms);

enum cc_observe_result {
	CC_OBS_OK = 0,          /* shown */
	CC_OBS_UNKNOWN_METRIC,  /* no such metric for this partner */
	CC_OBS_OLDER,           /* older than the value shown: late data, history only */
	CC_OBS_DUPLICATE,       /* same observed_at as the value shown: refused */
};

/* How often an unchanged value is still written to history, so a flat line has points. */
#define CC_BOARD_RECORD_EVERY_MS 60000

/*
 * A good value for a defined metric. replay marks rows re-read by a feed's first load, which may
 * be exactly the value shown already and are then not duplicates. *record says whether the value
 * belongs in history: it changed, or the last recorded point of its series is a minute old, or it
 * is late data.
 */
enum cc_observe_result cc_board_observe(struct cc_board *b, const char *partner, const char *key,
					const char *site, double value, int64_t observed_ms,
					bool replay, int64_t now_ms, bool *record);

/* A row for this series was refused: the value shown stays, marked with why until the next
 * good one. Returns false when there is no such series on the board. */
bool cc_board_mark_rejected(struct cc_board *b, const char *partner, const char *key,
			    const char *site, const char *reason, int64_t at_ms);

/* A partner's feed state; error non-NULL turns its metrics to status error with that reason. */
void cc_board_partner_state(struct cc_board *b, const char *partner, const char *state,
			    const char *reason, const char *error, int64_t now_ms);

/* A feed's query is failing (error) or works again (NULL): turns the metrics it serves to error.
 * metric names a query feed's metric; NULL means an observation feed, which serves every metric
 * of the partner that no query feed computes. */
void cc_board_feed_error(struct cc_board *b, const char *partner, const char *metric,
			 const char *error, int64_t now_ms);

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
