#include "action.h"
#include "bodycheck.h"
#include "timeparse.h"
#include "strbuf.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = { "open", "in_progress", "done", "dropped", NULL };

bool cc_action_status_valid(const char *s)
{
	for (const char *const *st = statuses; s && *st; st++)
		if (!strcmp(s, *st))
			return true;
	return false;
}

bool cc_action_date_valid(const char *s)
{
	int y;

	/* a due date this side of 2200: a mistyped year is refused rather than kept for ever */
	return cc_dateparse(s, NULL, &y, NULL, NULL) && y >= 2000 && y <= 2199;
}

static bool blank(const char *s)
{
	return strspn(s, " \t\r\n") == strlen(s);
}

/* A rota person's name, as commcell.person allows it. */
static bool person_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("_.-", s[i])))
			return false;
	return true;
}


static int title_of(const json_t *body, const char **out, char *err, size_t errlen)
{
	const char *t = json_string_value(json_object_get(body, "title"));

	if (!t || blank(t) || cc_utf8_chars(t) > CC_ACTION_TITLE_MAX)
		return cc_utf8_error(err, errlen, "title must say what is to be done, in 1 to %d "
				     "characters", CC_ACTION_TITLE_MAX);
	*out = t;
	return 0;
}

static int owner_of(const json_t *body, const char **out, char *err, size_t errlen)
{
	const char *o = json_string_value(json_object_get(body, "owner"));

	if (!person_name(o))
		return cc_utf8_error(err, errlen, "owner must be a person of the rota, given by their "
				     "name there (e.g. \"j.smith\")");
	*out = o;
	return 0;
}

static int due_of(const json_t *body, char *out, char *err, size_t errlen)
{
	const char *d = json_string_value(json_object_get(body, "due_on"));

	if (!cc_action_date_valid(d))
		return cc_utf8_error(err, errlen, "due_on must be a date that exists, written "
				     "YYYY-MM-DD (e.g. 2026-12-24)");
	memcpy(out, d, 11);
	return 0;
}

/* An optional text field: absent or null gives NULL, "" stays "". */
static int optional_text(const json_t *body, const char *name, size_t max, const char **out,
			 char *err, size_t errlen)
{
	json_t *v = json_object_get(body, name);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || cc_utf8_chars(json_string_value(v)) > max)
		return cc_utf8_error(err, errlen, "%s must be text of at most %zu characters", name,
				     max);
	*out = json_string_value(v);
	return 0;
}

int cc_action_new_parse(const json_t *body, struct cc_action_new *out, char *err, size_t errlen)
{
	static const char *const known[] = { "title", "owner", "partner", "metric", "site",
					     "due_on", "huddle_id", NULL };
	json_t *h;

	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return cc_utf8_error(err, errlen, "the body must be a JSON object");
	if (cc_body_known(body, known, err, errlen) || title_of(body, &out->title, err, errlen) ||
	    owner_of(body, &out->owner, err, errlen) ||
	    optional_text(body, "partner", 63, &out->partner, err, errlen) ||
	    optional_text(body, "metric", 127, &out->metric, err, errlen) ||
	    optional_text(body, "site", 64, &out->site, err, errlen) ||
	    due_of(body, out->due_on, err, errlen))
		return -1;
	if (out->partner && !*out->partner)
		out->partner = NULL;
	if (out->metric && !*out->metric)
		out->metric = NULL;
	if (out->metric && !out->partner)
		return cc_utf8_error(err, errlen, "metric needs its partner: say whose measure it is");
	if (out->site && *out->site && !out->partner)
		return cc_utf8_error(err, errlen, "site needs its partner: say whose site it is");
	h = json_object_get(body, "huddle_id");
	if (h && !json_is_null(h)) {
		if (!json_is_integer(h) || json_integer_value(h) < 1)
			return cc_utf8_error(err, errlen, "huddle_id must be the number of a huddle");
		out->huddle_id = json_integer_value(h);
	}
	return 0;
}

int cc_action_change_parse(const json_t *body, struct cc_action_change *out, char *err,
			   size_t errlen)
{
	static const char *const known[] = { "status", "text", "title", "owner", "due_on", NULL };

	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return cc_utf8_error(err, errlen, "the body must be a JSON object");
	if (cc_body_known(body, known, err, errlen))
		return -1;
	if (json_object_get(body, "status")) {
		out->status = json_string_value(json_object_get(body, "status"));
		if (!cc_action_status_valid(out->status))
			return cc_utf8_error(err, errlen, "status must be open, in_progress, done or "
					     "dropped");
	}
	if (optional_text(body, "text", CC_ACTION_TEXT_MAX, &out->text, err, errlen))
		return -1;
	if (json_object_get(body, "title") && title_of(body, &out->title, err, errlen))
		return -1;
	if (json_object_get(body, "owner") && owner_of(body, &out->owner, err, errlen))
		return -1;
	if (json_object_get(body, "due_on") && due_of(body, out->due_on, err, errlen))
		return -1;
	if (!out->status && !(out->text && !blank(out->text)) && !out->title && !out->owner &&
	    !out->due_on[0])
		return cc_utf8_error(err, errlen, "nothing to record: give a status, an update's text, "
				     "or a new title, owner or due_on");
	return 0;
}

int cc_huddle_change_parse(const json_t *body, bool start, struct cc_huddle_change *out, char *err,
			   size_t errlen)
{
	static const char *const known_start[] = { "notes", NULL };
	static const char *const known[] = { "end", "notes", NULL };
	json_t *end;

	memset(out, 0, sizeof *out);
	if (start && !body)
		return 0;
	if (!json_is_object(body))
		return cc_utf8_error(err, errlen, "the body must be a JSON object");
	if (cc_body_known(body, start ? known_start : known, err, errlen) ||
	    optional_text(body, "notes", CC_HUDDLE_NOTES_MAX, &out->notes, err, errlen))
		return -1;
	if (start)
		return 0;
	end = json_object_get(body, "end");
	if (end && !json_is_true(end))
		return cc_utf8_error(err, errlen, "end must be true (a huddle cannot be reopened)");
	out->end = end != NULL;
	if (!out->end && !out->notes)
		return cc_utf8_error(err, errlen, "nothing to record: give \"end\": true, notes, or "
				     "both");
	return 0;
}

int cc_action_statuses_parse(const char *list, char *out, size_t outlen, char *err,
			     size_t errlen)
{
	char word[16];
	size_t used = 0;

	if (outlen < 2)
		return cc_utf8_error(err, errlen, "status= is too long");
	out[used++] = '{';
	while (*list) {
		size_t n = strcspn(list, ",");

		if (n >= sizeof word)
			return cc_utf8_error(err, errlen, "status= must list open, in_progress, done "
					     "or dropped, separated by commas");
		memcpy(word, list, n);
		word[n] = '\0';
		if (!cc_action_status_valid(word))
			return cc_utf8_error(err, errlen, "status= must list open, in_progress, done "
					     "or dropped, separated by commas");
		if (used + n + 2 > outlen)
			return cc_utf8_error(err, errlen, "status= is too long");
		if (used > 1)
			out[used++] = ',';
		memcpy(out + used, word, n);
		used += n;
		list += n + (list[n] == ',');
	}
	if (used == 1)
		return cc_utf8_error(err, errlen, "status= must list open, in_progress, done or "
				     "dropped, separated by commas");
	out[used++] = '}';
	out[used] = '\0';
	return 0;
}

long long cc_action_id(const char *tail)
{
	size_t n = strspn(tail, "0123456789");

	if (!n || tail[n] || n > 12 || tail[0] == '0')
		return 0;
	return strtoll(tail, NULL, 10);
}

/* RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
static void csv_field(struct cc_strbuf *sb, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		cc_strbuf_puts(sb, s);
		return;
	}
	cc_strbuf_puts(sb, "\"");
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		cc_strbuf_append(sb, s, (size_t)(q - s));
		cc_strbuf_puts(sb, "\"\"");
	}
	cc_strbuf_puts(sb, s);
	cc_strbuf_puts(sb, "\"");
}

static void csv_value(struct cc_strbuf *sb, const json_t *v)
{
	char num[40];

	if (json_is_string(v)) {
		csv_field(sb, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		cc_strbuf_puts(sb, num);
	} else if (json_is_real(v) && isfinite(json_real_value(v))) {
		snprintf(num, sizeof num, "%.15g", json_real_value(v));
		cc_strbuf_puts(sb, num);
	} else if (json_is_boolean(v)) {
		cc_strbuf_puts(sb, json_is_true(v) ? "true" : "false");
	}
	/* null, absent or anything else: an empty field */
}

char *cc_action_csv(const json_t *actions)
{
	/* "last_update.x" is x of the object last_update */
	static const char *const columns[] = {
		"id", "title", "status", "due_on", "owner", "owner_name", "partner", "partner_label",
		"metric", "metric_label", "site", "site_label", "huddle_id", "created_by",
		"created_at", "updated_at", "closed_at", "last_update.at", "last_update.by",
		"last_update.status", "last_update.text", NULL
	};
	struct cc_strbuf sb = { 0 };
	const json_t *a;
	size_t i;

	for (const char *const *c = columns; *c; c++) {
		const char *dot = strchr(*c, '.');
		if (c != columns)
			cc_strbuf_puts(&sb, ",");
		if (dot) {
			cc_strbuf_append(&sb, *c, (size_t)(dot - *c));
			cc_strbuf_puts(&sb, "_");
			cc_strbuf_puts(&sb, dot + 1);
		} else {
			cc_strbuf_puts(&sb, *c);
		}
	}
	cc_strbuf_puts(&sb, "\r\n");
	json_array_foreach((json_t *)actions, i, a) {
		for (const char *const *c = columns; *c; c++) {
			const char *dot = strchr(*c, '.');
			const json_t *v;
			if (c != columns)
				cc_strbuf_puts(&sb, ",");
			if (dot) {
				char outer[16];
				snprintf(outer, sizeof outer, "%.*s", (int)(dot - *c), *c);
				v = json_object_get(json_object_get(a, outer), dot + 1);
			} else {
				v = json_object_get(a, *c);
			}
			csv_value(&sb, v);
		}
		cc_strbuf_puts(&sb, "\r\n");
	}
	return sb.data;
}
