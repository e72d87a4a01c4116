/*
 * A partner organisation as commcell sees it: one connection to its database and the feeds read
 * over it. It sums up its health in one state (connecting, ok, failing, backoff) with a reason,
 * and in an error text that turns its own metrics - and nobody else's - to status error.
 */
#ifndef CC_PARTNER_H
#define CC_PARTNER_H

#include "catalog.h"
#include "feed.h"

#include <jansson.h>
#include <stdbool.h>

struct cc_partner;

struct cc_partner_events {
	void (*on_row)(struct cc_partner *p, const struct cc_feed_def *feed, const struct cc_row *row,
		       void *user);
	/* State changed or a batch of rows ended: time to judge and publish. */
	void (*on_change)(struct cc_partner *p, void *user);
};

struct cc_partner *cc_partner_create(const struct cc_loop *loop, const struct cc_partner_def *def,
				     const struct cc_catalog *cat,
				     const struct cc_partner_events *ev, void *user);
void cc_partner_destroy(struct cc_partner *p);

/* Would a partner built from def and cat be this one (same connection, same feeds)? */
bool cc_partner_same(const struct cc_partner *p, const struct cc_partner_def *def,
		     const struct cc_catalog *cat);
void cc_partner_start(struct cc_partner *p);

const char *cc_partner_name(const struct cc_partner *p);
const char *cc_partner_conninfo(const struct cc_partner *p);
const char *cc_partner_state(const struct cc_partner *p);
const char *cc_partner_reason(const struct cc_partner *p);   /* "" when none */
const char *cc_partner_error(const struct cc_partner *p);    /* NULL when healthy */
/* Every feed has finished a first attempt, good or bad: counts for readiness. */
bool cc_partner_settled(const struct cc_partner *p);

size_t cc_partner_feed_count(const struct cc_partner *p);
const struct cc_feed *cc_partner_feed(const struct cc_partner *p, size_t i);

json_t *cc_partner_json(const struct cc_partner *p);
uint64_t cc_partner_rows(const struct cc_partner *p);
uint64_t cc_partner_polls(const struct cc_partner *p);

#endif
