/*
 * An agreed goal as a manager sends it (POST /api/goals, POST /api/goals/{id}), parsed and
 * checked before the hub is asked: the series exists in the catalog, the dates are real dates in
 * order, every number is finite, milestones lie in order between the dates, texts are bounded.
 * Pure functions, so each rule is unit-tested and fuzzed without a database. The hub checks the
 * same again (commcell.check_goal, the table's constraints) for edits made by SQL.
 */
#ifndef CC_GOAL_H
#define CC_GOAL_H

#include "catalog.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CC_GOAL_SITE_MAX 64
#define CC_GOAL_MILESTONES_MAX 60
/* in characters, as the hub's CHECK counts them */
#define CC_GOAL_AGREED_BY_MAX 200
#define CC_GOAL_NOTE_MAX 1000

struct cc_goal_milestone {
	char on[11];      /* YYYY-MM-DD */
	double value;
};

struct cc_goal {
	char partner[64];
	char metric[128];
	char site[CC_GOAL_SITE_MAX + 1];
	double baseline, target;
	char starts_on[11], ends_on[11];
	struct cc_goal_milestone milestones[CC_GOAL_MILESTONES_MAX];
	size_t n_milestones;
	char agreed_by[CC_GOAL_AGREED_BY_MAX * 4 + 1];
	char note[CC_GOAL_NOTE_MAX * 4 + 1];
};

/* A calendar date written YYYY-MM-DD that exists (no 2026-02-30), years 1900 to 2999: true with
 * *days set to the days since 1970-01-01. */
bool cc_goal_date(const char *s, long *days);

/* 0 with *out filled, or -1 with the offending field's name ("" for the whole body) and the
 * reason in words a manager understands. Fields the body has besides the goal's own (an id or
 * labels sent back from a GET) are ignored. */
int cc_goal_parse(const json_t *body, const struct cc_catalog *cat, struct cc_goal *out,
		  char *field, size_t flen, char *msg, size_t mlen);

/* The milestones as the hub stores them: [{"on": "YYYY-MM-DD", "value": N}, ...]. */
json_t *cc_goal_milestones_json(const struct cc_goal *g);

#endif
