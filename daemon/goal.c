#include "goal.h"
#include "bodycheck.h"
#include "timeparse.h"
#include "utf8.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Beyond this a figure is a typing slip, and %g would print it in exponent form. */
#define VALUE_LIMIT 1e12

bool cc_goal_date(const char *s, long *days)
{
	int y;

	/* years a goal can sensibly have; a typo such as 0226 is refused, not taken as AD 226 */
	return cc_dateparse(s, days, &y, NULL, NULL) && y >= 1900 && y <= 2999;
}

/* Text field: 1 when absent or null (optional), 0 when copied, -1 refused. max_chars counts
 * characters; newlines allows line breaks and tabs (a note), other control characters never. */
static int text(struct cc_why *w, const json_t *body, const char *name, char *out, size_t len,
		size_t max_chars, bool required, bool newlines)
{
	const json_t *j = json_object_get(body, name);
	const char *s;

	out[0] = '\0';
	if (!j || json_is_null(j)) {
		if (required)
			return cc_why_bad(w, name, "%s is required", name);
		return 1;
	}
	if (!json_is_string(j))
		return cc_why_bad(w, name, "%s must be text", name);
	s = json_string_value(j);
	if (strlen(s) != json_string_length(j))
		return cc_why_bad(w, name, "%s contains a NUL character", name);
	if (cc_utf8_chars(s) > max_chars || strlen(s) >= len)
		return cc_why_bad(w, name, "%s is longer than %zu characters", name, max_chars);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && !(newlines && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7F)
			return cc_why_bad(w, name, "%s contains a control character", name);
	}
	if (required && !*s)
		return cc_why_bad(w, name, "%s is required", name);
	cc_strlcpy(out, s, len);
	return 0;
}

static int number(struct cc_why *w, const json_t *j, const char *name, const char *what, double *v)
{
	if (!j || json_is_null(j))
		return cc_why_bad(w, name, "%s is required (a number)", what);
	if (!json_is_number(j))
		return cc_why_bad(w, name, "%s must be a number", what);
	*v = json_number_value(j);
	if (!isfinite(*v) || fabs(*v) > VALUE_LIMIT)
		return cc_why_bad(w, name, "%s must be a finite number of reasonable size", what);
	return 0;
}

static int date(struct cc_why *w, const json_t *j, const char *name, const char *what, char *out,
		long *days)
{
	const char *s;

	if (!j || json_is_null(j))
		return cc_why_bad(w, name, "%s is required (a date written YYYY-MM-DD)", what);
	if (!json_is_string(j))
		return cc_why_bad(w, name, "%s must be a date written YYYY-MM-DD", what);
	s = json_string_value(j);
	if (!cc_goal_date(s, days)) {
		char cut[24];
		bool shaped = strlen(s) == 10 && strspn(s, "0123456789-") == 10 && s[4] == '-' &&
			      s[7] == '-';
		cc_utf8_copy(cut, sizeof cut, s);
		if (shaped)
			return cc_why_bad(w, name, "%s: %s is not a real date", what, cut);
		return cc_why_bad(w, name, "%s must be a date written YYYY-MM-DD, not '%s'", what, cut);
	}
	memcpy(out, s, 11);
	return 0;
}

static int milestones(struct cc_why *w, const json_t *list, struct cc_goal *g, long start, long end)
{
	long prev = start;
	size_t i;
	json_t *m;

	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return cc_why_bad(w, "milestones", "milestones must be a list of {\"on\": date, \"value\": "
					    "number}");
	if (json_array_size(list) > CC_GOAL_MILESTONES_MAX)
		return cc_why_bad(w, "milestones", "a goal has at most %d milestones",
			   CC_GOAL_MILESTONES_MAX);
	json_array_foreach(list, i, m) {
		struct cc_goal_milestone *ms = &g->milestones[i];
		char what[40];
		long d;

		snprintf(what, sizeof what, "milestone %zu", i + 1);
		if (!json_is_object(m))
			return cc_why_bad(w, "milestones", "%s must be {\"on\": date, \"value\": number}", what);
		snprintf(what, sizeof what, "milestone %zu: on", i + 1);
		if (date(w, json_object_get(m, "on"), "milestones", what, ms->on, &d))
			return -1;
		snprintf(what, sizeof what, "milestone %zu: value", i + 1);
		if (number(w, json_object_get(m, "value"), "milestones", what, &ms->value))
			return -1;
		if (d <= start || d >= end)
			return cc_why_bad(w, "milestones", "milestone %zu (%s) must fall after starts_on (%s) "
				   "and before ends_on (%s)", i + 1, ms->on, g->starts_on,
				   g->ends_on);
		if (d <= prev)
			return cc_why_bad(w, "milestones", "milestone %zu (%s) must come after milestone %zu "
				   "(%s): list them in date order, one per day", i + 1, ms->on, i,
				   g->milestones[i - 1].on);
		prev = d;
		g->n_milestones = i + 1;
	}
	return 0;
}

int cc_goal_parse(const json_t *body, const struct cc_catalog *cat, struct cc_goal *out,
		  char *field, size_t flen, char *msg, size_t mlen)
{
	struct cc_why w = { field, msg, flen, mlen };
	long start, end;

	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return cc_why_bad(&w, "", "the goal must be a JSON object");
	if (text(&w, body, "partner", out->partner, sizeof out->partner, sizeof out->partner - 1,
		 true, false) < 0 ||
	    text(&w, body, "metric", out->metric, sizeof out->metric, sizeof out->metric - 1, true,
		 false) < 0 ||
	    text(&w, body, "site", out->site, sizeof out->site, CC_GOAL_SITE_MAX, false, false) < 0)
		return -1;
	if (!cat || !cc_catalog_metric(cat, out->partner, out->metric))
		return cc_why_bad(&w, "metric", "no metric %s for partner %s", out->metric, out->partner);
	if (number(&w, json_object_get(body, "baseline"), "baseline", "baseline", &out->baseline) ||
	    number(&w, json_object_get(body, "target"), "target", "target", &out->target) ||
	    date(&w, json_object_get(body, "starts_on"), "starts_on", "starts_on", out->starts_on,
		 &start) ||
	    date(&w, json_object_get(body, "ends_on"), "ends_on", "ends_on", out->ends_on, &end))
		return -1;
	if (end <= start)
		return cc_why_bad(&w, "ends_on", "ends_on must be after starts_on (%s is not after %s)",
			   out->ends_on, out->starts_on);
	if (milestones(&w, json_object_get(body, "milestones"), out, start, end))
		return -1;
	if (text(&w, body, "agreed_by", out->agreed_by, sizeof out->agreed_by,
		 CC_GOAL_AGREED_BY_MAX, false, false) < 0 ||
	    text(&w, body, "note", out->note, sizeof out->note, CC_GOAL_NOTE_MAX, false, true) < 0)
		return -1;
	return 0;
}

json_t *cc_goal_milestones_json(const struct cc_goal *g)
{
	json_t *a = json_array();

	for (size_t i = 0; i < g->n_milestones; i++)
		json_array_append_new(a, json_pack("{s:s,s:f}", "on", g->milestones[i].on, "value",
						   g->milestones[i].value));
	return a;
}
