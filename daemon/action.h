/*
 * The meeting's request bodies checked before anything reaches the hub: a new action, a change
 * to one, a huddle's end, the action list's filters, and the list as CSV. Pure functions, so
 * every rule is unit-tested and fuzzed without a database; what only the hub can judge (the
 * owner is on the rota, the metric exists) it judges in sql/hub/019_actions.sql.
 */
#ifndef CC_ACTION_H
#define CC_ACTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CC_ACTION_TITLE_MAX 200    /* characters, as commcell.action says */
#define CC_ACTION_TEXT_MAX 2000
#define CC_HUDDLE_NOTES_MAX 4000

/* POST /api/actions. Text is borrowed from the body; partner, metric and site are NULL when
 * the action is about no partner, metric or site. */
struct cc_action_new {
	const char *title, *owner, *partner, *metric, *site;
	char due_on[11];           /* YYYY-MM-DD */
	long long huddle_id;       /* 0: recorded outside a huddle */
};

/* POST /api/actions/{id}: NULL means unchanged; at least one is set. */
struct cc_action_change {
	const char *status, *text, *title, *owner;
	char due_on[11];           /* "" when unchanged */
};

/* POST /api/huddles (notes only) and POST /api/huddles/{id}. */
struct cc_huddle_change {
	bool end;
	const char *notes;         /* NULL: unchanged */
};

/* "open", "in_progress", "done" or "dropped". */
bool cc_action_status_valid(const char *s);
/* YYYY-MM-DD naming a day that exists, years 2000 to 2199. */
bool cc_action_date_valid(const char *s);

/* Each returns 0 with *out filled, or -1 with the reason for a manager (valid UTF-8, cut to
 * errlen) in err. */
int cc_action_new_parse(const json_t *body, struct cc_action_new *out, char *err, size_t errlen);
int cc_action_change_parse(const json_t *body, struct cc_action_change *out, char *err,
			   size_t errlen);
/* start: the body of POST /api/huddles, which may be absent and takes only notes. */
int cc_huddle_change_parse(const json_t *body, bool start, struct cc_huddle_change *out, char *err,
			   size_t errlen);

/* ?status=open,in_progress as a PostgreSQL text[] literal ("{open,in_progress}") in out. */
int cc_action_statuses_parse(const char *list, char *out, size_t outlen, char *err,
			     size_t errlen);

/* An id from a path tail: 1 to 999999999999, digits only; 0 when it is not one. */
long long cc_action_id(const char *tail);

/* The actions (ACTION objects) as RFC 4180 CSV: a header row, CRLF line ends, fields quoted
 * when they hold a comma, a quote or a line break. malloc'd. */
char *cc_action_csv(const json_t *actions);

#endif
