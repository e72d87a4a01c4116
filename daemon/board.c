#include "board.h"
#include "status.h"
#include "utf8.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *partner, *key, *site;
	const struct cc_metric_def *def;
	bool has_value;
	double value;
	int64_t observed_ms;
	enum cc_status status;
	char reason[256];
	bool dirty;
	int64_t recorded_ms;       /* observed_at of the last value sent to history */
	double recorded_value;
	char *feed_error;          /* the feed serving this metric is failing (NULL when not) */
	char *rejected;            /* why the last row for this series was refused, until a good one */
	int64_t rejected_ms;
	/* thresholds: the status shown from them, and a worse one waiting out its minimum duration */
	bool judged;
	enum cc_status level;
	enum cc_status candidate;  /* == level when nothing is waiting */
	int64_t candidate_ms;
	struct cc_limits limits;
};

struct partner_state {
	char *name;
	char *label;
	char *short_label;
	char state[16];
	char reason[256];
	char *error;               /* NULL when healthy */
	bool dirty;
};

struct removed {
	char *partner, *key, *site;
};

struct cc_board {
	const struct cc_catalog *cat;
	struct entry **entries;
	size_t n_entries, cap_entries;
	struct partner_state *partners;
	size_t n_partners;
	struct removed *removed;
	size_t n_removed;
	uint64_t seq;
	bool dirty;
	cc_board_status_fn on_status;
	json_t *lists;             /* name -> JSON array, for snapshots */
	void *on_status_arg;
	int level;                 /* system escalation level, 1-4 */
	char level_reason[256];
	bool level_dirty;
	bool stages_dirty;
	struct cc_msg *snapshot;   /* cached for snapshot_seq */
	uint64_t snapshot_seq;
	bool snapshot_valid;
};

/* Text from the hub or a partner as a JSON string: jansson refuses invalid UTF-8, and a missing
 * member would be worse than a '?' in place of a bad byte. */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);
	char *clean;

	if (j || !s)
		return j;
	clean = cc_xmalloc(strlen(s) + 1);
	j = json_string(cc_utf8_copy(clean, strlen(s) + 1, s));
	free(clean);
	return j;
}

struct cc_board *cc_board_create(void)
{
	struct cc_board *b = cc_xcalloc(1, sizeof(struct cc_board));

	b->level = 1;
	b->lists = json_pack("{s:[],s:[],s:[]}", "alerts", "goals", "actions");
	cc_strlcpy(b->level_reason, "no escalation rule matches", sizeof b->level_reason);
	return b;
}

static struct entry *find_entry(struct cc_board *b, const char *partner, const char *key,
				const char *site)
{
	/* A linear scan: a whole health system has a few hundred entries and the scan is
	 * cache-friendly; revisit with a hash if bench/ shows it. */
	for (size_t i = 0; i < b->n_entries; i++) {
		struct entry *e = b->entries[i];
		if (!strcmp(e->key, key) && !strcmp(e->site, site) && !strcmp(e->partner, partner))
			return e;
	}
	return NULL;
}

static struct partner_state *find_partner(struct cc_board *b, const char *name)
{
	for (size_t i = 0; i < b->n_partners; i++)
		if (!strcmp(b->partners[i].name, name))
			return &b->partners[i];
	return NULL;
}

/* The threshold status with hysteresis and minimum duration; e->limits must be current. */
static enum cc_status judge_thresholds(struct cc_board *b, struct entry *e, int64_t now_ms)
{
	enum cc_status t;

	if (!e->judged) {
		/* a first value (or the first after stale/error) shows as it is */
		e->judged = true;
		e->level = e->candidate = cc_status_judge_limits(&e->limits, e->value);
		return e->level;
	}
	t = cc_status_hysteresis(&e->limits, e->value, e->level);
	if (t <= e->level || e->limits.min_duration_s <= 0) {
		if (e->candidate != t || e->level != t)
			e->dirty = b->dirty = true;  /* a pending worse status was called off */
		e->level = e->candidate = t;
		return t;
	}
	if (e->candidate != t) {
		e->candidate = t;
		e->candidate_ms = now_ms;
		e->dirty = b->dirty = true;  /* displays show what is pending */
	}
	if (now_ms - e->candidate_ms >= (int64_t)e->limits.min_duration_s * 1000)
		e->level = t;
	return e->level;
}

static void rejudge(struct cc_board *b, struct entry *e, int64_t now_ms)
{
	struct partner_state *p = find_partner(b, e->partner);
	char reason[sizeof e->reason], cut[sizeof e->reason];
	const char *error = p && p->error ? p->error : e->feed_error;
	enum cc_status s, old = e->status;

	/* cut here, between characters, so the status text never cuts one in half */
	if (error)
		error = cc_utf8_copy(cut, sizeof cut, error);
	s = cc_status_eval(e->def, e->has_value, e->value, e->observed_ms, now_ms, error, reason,
			   sizeof reason);

	cc_limits_for(b->cat, e->def, e->site, &e->limits);
	if (s == CC_STALE || s == CC_ERROR)
		e->judged = false;
	else
		s = judge_thresholds(b, e, now_ms);
	if (s != e->status || strcmp(reason, e->reason)) {
		e->status = s;
		memcpy(e->reason, reason, sizeof reason);
		e->dirty = true;
		b->dirty = true;
		if (s != old && b->on_status) {
			struct cc_board_view v = {
				.partner = e->partner, .key = e->key, .site = e->site,
				.label = e->def->label, .unit = e->def->unit, .stage = e->def->stage,
				.has_value = e->has_value, .value = e->value,
				.observed_ms = e->observed_ms, .status = s, .reason = e->reason,
			};
			b->on_status(b->on_status_arg, &v, old);
		}
	}
}

void cc_board_foreach(const struct cc_board *b, void (*fn)(void *arg, const struct cc_board_view *v),
		      void *arg)
{
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct entry *e = b->entries[i];
		struct cc_board_view v = {
			.partner = e->partner, .key = e->key, .site = e->site,
			.label = e->def->label, .unit = e->def->unit, .stage = e->def->stage,
			.has_value = e->has_value, .value = e->value,
			.observed_ms = e->observed_ms, .status = e->status, .reason = e->reason,
		};
		fn(arg, &v);
	}
}

void cc_board_set_list(struct cc_board *b, const char *name, json_t *list)
{
	json_object_set_new(b->lists, name, list);
	b->snapshot_valid = false;
}

void cc_board_on_status(struct cc_board *b, cc_board_status_fn fn, void *arg)
{
	b->on_status = fn;
	b->on_status_arg = arg;
}

static bool in_scope(const struct cc_level_rule *r, const struct entry *e)
{
	return (!r->stage || !strcmp(r->stage, e->def->stage)) &&
	       (!r->partner || !strcmp(r->partner, e->partner));
}

/* The highest level whose rule matches, 1 when none does; reason names the rule. */
static void compute_level(struct cc_board *b)
{
	int level = 1;
	char reason[sizeof b->level_reason] = "no escalation rule matches";
	/* room for " (%d now)" after the description, which is cut to fit between characters */
	char description[sizeof reason - 24];

	for (size_t i = 0; b->cat && i < b->cat->n_level_rules; i++) {
		const struct cc_level_rule *r = &b->cat->level_rules[i];
		int n = 0;
		if (r->level <= level)
			continue;
		for (size_t j = 0; j < b->n_entries; j++) {
			const struct entry *e = b->entries[j];
			if (in_scope(r, e) &&
			    (e->status == CC_RED || (!r->red_only && e->status == CC_AMBER)))
				n++;
		}
		if (n >= r->count) {
			level = r->level;
			snprintf(reason, sizeof reason, "%s (%d now)",
				 cc_utf8_copy(description, sizeof description, r->description), n);
		}
	}
	if (level != b->level || strcmp(reason, b->level_reason)) {
		b->level_dirty = level != b->level;
		b->level = level;
		memcpy(b->level_reason, reason, sizeof reason);
	}
}

int cc_board_level(const struct cc_board *b, const char **reason)
{
	if (reason)
		*reason = b->level_reason;
	return b->level;
}

bool cc_board_take_level_change(struct cc_board *b)
{
	bool changed = b->level_dirty;

	b->level_dirty = false;
	return changed;
}

json_t *cc_board_level_json(const struct cc_board *b)
{
	char label[16];

	json_t *o = json_object();

	snprintf(label, sizeof label, "OPEL %d", b->level);
	json_object_set_new(o, "level", json_integer(b->level));
	json_object_set_new(o, "label", json_string(label));
	json_object_set_new(o, "reason", text(b->level_reason));
	return o;
}

static struct entry *add_entry(struct cc_board *b, const struct cc_metric_def *def,
			       const char *site)
{
	struct entry *e = cc_xcalloc(1, sizeof *e);

	e->partner = cc_xstrdup(def->partner);
	e->key = cc_xstrdup(def->key);
	e->site = cc_xstrdup(site);
	e->def = def;
	e->status = CC_STALE;
	e->dirty = true;
	if (b->n_entries == b->cap_entries) {
		b->cap_entries = b->cap_entries ? b->cap_entries * 2 : 64;
		b->entries = cc_xrealloc(b->entries, b->cap_entries * sizeof *b->entries);
	}
	b->entries[b->n_entries++] = e;
	b->dirty = true;
	return e;
}

static void free_entry(struct entry *e)
{
	free(e->feed_error);
	free(e->rejected);
	free(e->partner);
	free(e->key);
	free(e->site);
	free(e);
}

static void remove_entry_at(struct cc_board *b, size_t i)
{
	struct entry *e = b->entries[i];
	struct removed *r;

	b->removed = cc_xrealloc(b->removed, (b->n_removed + 1) * sizeof *b->removed);
	r = &b->removed[b->n_removed++];
	r->partner = e->partner;
	r->key = e->key;
	r->site = e->site;
	free(e->feed_error);
	free(e->rejected);
	free(e);
	memmove(&b->entries[i], &b->entries[i + 1], (b->n_entries - i - 1) * sizeof *b->entries);
	b->n_entries--;
	b->dirty = true;
}

static void set_partners(struct cc_board *b, const struct cc_catalog *cat)
{
	struct partner_state *old = b->partners;
	size_t n_old = b->n_partners;

	b->partners = cc_xcalloc(cat->n_partners, sizeof *b->partners);
	b->n_partners = cat->n_partners;
	for (size_t i = 0; i < cat->n_partners; i++) {
		struct partner_state *p = &b->partners[i];
		p->name = cc_xstrdup(cat->partners[i].name);
		p->label = cc_xstrdup(cat->partners[i].label);
		p->short_label = cc_xstrdup(cat->partners[i].short_label ? cat->partners[i].short_label
								 : cat->partners[i].label);
		cc_strlcpy(p->state, "connecting", sizeof p->state);
		p->dirty = true;
		for (size_t j = 0; j < n_old; j++)
			if (!strcmp(old[j].name, p->name)) {
				memcpy(p->state, old[j].state, sizeof p->state);
				memcpy(p->reason, old[j].reason, sizeof p->reason);
				p->error = old[j].error ? cc_xstrdup(old[j].error) : NULL;
			}
	}
	for (size_t j = 0; j < n_old; j++) {
		free(old[j].name);
		free(old[j].label);
		free(old[j].short_label);
		free(old[j].error);
	}
	free(old);
}

void cc_board_set_catalog(struct cc_board *b, const struct cc_catalog *cat, int64_t now_ms)
{
	b->cat = cat;
	b->stages_dirty = true;
	b->dirty = true;
	set_partners(b, cat);
	for (size_t i = b->n_entries; i-- > 0;) {
		struct entry *e = b->entries[i];
		e->def = cc_catalog_metric(cat, e->partner, e->key);
		if (!e->def)
			remove_entry_at(b, i);
		else
			e->dirty = true;  /* label, unit or thresholds may have changed */
	}
	for (size_t i = 0; i < cat->n_metrics; i++) {
		const struct cc_metric_def *def = &cat->metrics[i];
		bool present = false;
		for (size_t j = 0; j < b->n_entries && !present; j++)
			present = b->entries[j]->def == def;
		if (!present)
			add_entry(b, def, "");
	}
	cc_board_tick(b, now_ms);
}

enum cc_observe_result cc_board_observe(struct cc_board *b, const char *partner, const char *key,
					const char *site, double value, int64_t observed_ms,
					bool replay, int64_t now_ms, bool *record)
{
	const struct cc_metric_def *def;
	struct entry *e;

	*record = false;
	if (!b->cat || !(def = cc_catalog_metric(b->cat, partner, key)))
		return CC_OBS_UNKNOWN_METRIC;
	e = find_entry(b, partner, key, site);
	if (!e) {
		/* The first real site replaces the "no value yet" stand-in entry for the metric. */
		if (*site) {
			for (size_t i = 0; i < b->n_entries; i++) {
				struct entry *p = b->entries[i];
				if (p->def == def && !*p->site && !p->has_value) {
					remove_entry_at(b, i);
					break;
				}
			}
		}
		e = add_entry(b, def, site);
	} else if (e->has_value && observed_ms < e->observed_ms) {
		*record = true;
		return CC_OBS_OLDER;
	} else if (e->has_value && observed_ms == e->observed_ms) {
		if (replay && value == e->value)
			return CC_OBS_OK;
		return CC_OBS_DUPLICATE;
	}
	if (!e->recorded_ms || value != e->recorded_value ||
	    observed_ms - e->recorded_ms >= CC_BOARD_RECORD_EVERY_MS) {
		*record = true;
		e->recorded_ms = observed_ms;
		e->recorded_value = value;
	}
	if (e->rejected) {
		free(e->rejected);
		e->rejected = NULL;
		e->dirty = true;
		b->dirty = true;
	}
	if (!e->has_value || e->value != value || e->observed_ms != observed_ms) {
		e->has_value = true;
		e->value = value;
		e->observed_ms = observed_ms;
		e->dirty = true;
		b->dirty = true;
	}
	rejudge(b, e, now_ms);
	return CC_OBS_OK;
}

static bool served_by_query_feed(const struct cc_catalog *cat, const char *partner,
				 const char *key)
{
	for (size_t i = 0; cat && i < cat->n_feeds; i++)
		if (cat->feeds[i].kind == CC_FEED_QUERY && !strcmp(cat->feeds[i].partner, partner) &&
		    !strcmp(cat->feeds[i].metric, key))
			return true;
	return false;
}

void cc_board_feed_error(struct cc_board *b, const char *partner, const char *metric,
			 const char *error, int64_t now_ms)
{
	for (size_t i = 0; i < b->n_entries; i++) {
		struct entry *e = b->entries[i];
		if (strcmp(e->partner, partner))
			continue;
		/* "*": every metric of the partner (a follower clearing what the leader reported) */
		if (metric && !strcmp(metric, "*"))
			;
		else if (metric ? strcmp(e->key, metric)
				: served_by_query_feed(b->cat, partner, e->key))
			continue;
		if ((e->feed_error == NULL) == (error == NULL) &&
		    (!error || !strcmp(e->feed_error, error)))
			continue;
		free(e->feed_error);
		e->feed_error = error ? cc_xstrdup(error) : NULL;
		rejudge(b, e, now_ms);
	}
}

bool cc_board_mark_rejected(struct cc_board *b, const char *partner, const char *key,
			    const char *site, const char *reason, int64_t at_ms)
{
	struct entry *e = find_entry(b, partner, key, site);

	if (!e)
		return false;
	if (!e->rejected || strcmp(e->rejected, reason)) {
		free(e->rejected);
		e->rejected = cc_xstrdup(reason);
	}
	e->rejected_ms = at_ms;
	e->dirty = true;
	b->dirty = true;
	return true;
}

void cc_board_partner_state(struct cc_board *b, const char *partner, const char *state,
			    const char *reason, const char *error, int64_t now_ms)
{
	struct partner_state *p = find_partner(b, partner);
	char st[sizeof p->state], why[sizeof p->reason];
	bool error_changed;

	if (!p)
		return;
	/* compared as kept: cut between characters to fit */
	cc_utf8_copy(st, sizeof st, state);
	cc_utf8_copy(why, sizeof why, reason ? reason : "");
	error_changed = (p->error == NULL) != (error == NULL) || (error && strcmp(error, p->error));
	if (strcmp(p->state, st) || strcmp(p->reason, why) || error_changed) {
		memcpy(p->state, st, sizeof st);
		memcpy(p->reason, why, sizeof why);
		p->dirty = true;
		b->dirty = true;
	}
	if (error_changed) {
		free(p->error);
		p->error = error ? cc_xstrdup(error) : NULL;
		for (size_t i = 0; i < b->n_entries; i++)
			if (!strcmp(b->entries[i]->partner, partner))
				rejudge(b, b->entries[i], now_ms);
	}
}

void cc_board_tick(struct cc_board *b, int64_t now_ms)
{
	for (size_t i = 0; i < b->n_entries; i++)
		rejudge(b, b->entries[i], now_ms);
}

static json_t *json_time_or_null(bool has, int64_t ms)
{
	char iso[40];

	if (!has)
		return json_null();
	cc_format_iso(ms, iso, sizeof iso);
	return json_string(iso);
}

static json_t *entry_json(const struct entry *e)
{
	const struct cc_metric_def *d = e->def;
	json_t *o = json_object();

	json_object_set_new(o, "key", text(e->key));
	json_object_set_new(o, "site", text(e->site));
	json_object_set_new(o, "partner", text(e->partner));
	json_object_set_new(o, "stage", text(d->stage));
	json_object_set_new(o, "label", text(d->label));
	json_object_set_new(o, "short_label", text(d->short_label ? d->short_label : d->label));
	json_object_set_new(o, "position", json_integer(d->position));
	json_object_set_new(o, "unit", text(d->unit));
	json_object_set_new(o, "decimals", json_integer(d->decimals));
	json_object_set_new(o, "higher_is_better", json_boolean(d->higher_is_better));
	json_object_set_new(o, "amber", e->limits.has_amber ? json_real(e->limits.amber) : json_null());
	json_object_set_new(o, "red", e->limits.has_red ? json_real(e->limits.red) : json_null());
	if (e->limits.hysteresis > 0)
		json_object_set_new(o, "hysteresis", json_real(e->limits.hysteresis));
	if (e->limits.min_duration_s > 0)
		json_object_set_new(o, "min_duration_s", json_integer(e->limits.min_duration_s));
	if (e->judged && e->candidate > e->level) {
		/* a worse status is waiting out its minimum duration: say which and when */
		json_t *p = json_object();
		json_object_set_new(p, "status", json_string(cc_status_name(e->candidate)));
		json_object_set_new(p, "since", json_time_or_null(true, e->candidate_ms));
		json_object_set_new(p, "shows_at",
				    json_time_or_null(true, e->candidate_ms +
								    (int64_t)e->limits.min_duration_s * 1000));
		json_object_set_new(o, "pending", p);
	}
	json_object_set_new(o, "value", e->has_value ? json_real(e->value) : json_null());
	json_object_set_new(o, "observed_at", json_time_or_null(e->has_value, e->observed_ms));
	json_object_set_new(o, "status", json_string(cc_status_name(e->status)));
	if (e->status == CC_STALE || e->status == CC_ERROR)
		json_object_set_new(o, "reason", text(e->reason));
	if (e->rejected) {
		json_t *r = json_object();
		json_object_set_new(r, "reason", text(e->rejected));
		json_object_set_new(r, "at", json_time_or_null(true, e->rejected_ms));
		json_object_set_new(o, "rejected", r);
	}
	return o;
}

static json_t *partner_json(const struct partner_state *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", text(p->name));
	json_object_set_new(o, "label", text(p->label));
	json_object_set_new(o, "short_label", text(p->short_label));
	json_object_set_new(o, "state", text(p->state));
	json_object_set_new(o, "reason", *p->reason ? text(p->reason) : json_null());
	return o;
}

static json_t *stages_json(const struct cc_catalog *cat)
{
	json_t *a = json_array();

	for (size_t i = 0; cat && i < cat->n_stages; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "key", text(cat->stages[i].key));
		json_object_set_new(o, "label", text(cat->stages[i].label));
		json_object_set_new(o, "position", json_integer(cat->stages[i].position));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *message(const char *type, uint64_t seq, int64_t now_ms)
{
	json_t *o = json_object();
	char iso[40];

	cc_format_iso(now_ms, iso, sizeof iso);
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "server_time", json_string(iso));
	return o;
}

static struct cc_msg *encode(json_t *o)
{
	/* JSON_REAL_PRECISION 15 keeps every value exactly as a person would read it */
	char *out = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	struct cc_msg *m;

	json_decref(o);
	if (!out)
		return cc_msg_create("{}", 2);  /* out of memory: clients ignore a message with no type */
	m = cc_msg_create(out, strlen(out));
	free(out);
	return m;
}

struct cc_msg *cc_board_flush(struct cc_board *b, int64_t now_ms)
{
	json_t *o, *metrics, *partners;

	if (!b->dirty)
		return NULL;
	b->dirty = false;
	compute_level(b);
	o = message("delta", ++b->seq, now_ms);
	metrics = json_array();
	for (size_t i = 0; i < b->n_entries; i++) {
		struct entry *e = b->entries[i];
		if (e->dirty) {
			json_array_append_new(metrics, entry_json(e));
			e->dirty = false;
		}
	}
	json_object_set_new(o, "metrics", metrics);
	partners = json_array();
	for (size_t i = 0; i < b->n_partners; i++)
		if (b->partners[i].dirty) {
			json_array_append_new(partners, partner_json(&b->partners[i]));
			b->partners[i].dirty = false;
		}
	if (json_array_size(partners))
		json_object_set_new(o, "partners", partners);
	else
		json_decref(partners);
	if (b->stages_dirty) {
		json_object_set_new(o, "stages", stages_json(b->cat));
		b->stages_dirty = false;
	}
	if (b->n_removed) {
		json_t *removed = json_array();
		for (size_t i = 0; i < b->n_removed; i++) {
			struct removed *r = &b->removed[i];
			json_t *gone = json_object();
			json_object_set_new(gone, "key", text(r->key));
			json_object_set_new(gone, "site", text(r->site));
			json_object_set_new(gone, "partner", text(r->partner));
			json_array_append_new(removed, gone);
			free(r->partner);
			free(r->key);
			free(r->site);
		}
		free(b->removed);
		b->removed = NULL;
		b->n_removed = 0;
		json_object_set_new(o, "removed", removed);
	}
	b->snapshot_valid = false;
	return encode(o);
}

struct cc_msg *cc_board_snapshot(struct cc_board *b, int64_t now_ms)
{
	json_t *o, *metrics, *partners;

	/* server_time in a cached snapshot may be up to one change old; clients use it only to
	 * judge clock skew, and re-encoding for every connecting client is what we avoid. */
	if (b->snapshot_valid && b->snapshot_seq == b->seq && b->snapshot)
		return cc_msg_ref(b->snapshot);
	o = message("snapshot", b->seq, now_ms);
	json_object_set_new(o, "stages", stages_json(b->cat));
	partners = json_array();
	for (size_t i = 0; i < b->n_partners; i++)
		json_array_append_new(partners, partner_json(&b->partners[i]));
	json_object_set_new(o, "partners", partners);
	metrics = json_array();
	for (size_t i = 0; i < b->n_entries; i++)
		json_array_append_new(metrics, entry_json(b->entries[i]));
	json_object_set_new(o, "metrics", metrics);
	json_object_set_new(o, "level", cc_board_level_json(b));
	json_object_update_missing(o, b->lists);   /* the board's own members win a name clash */
	cc_msg_unref(b->snapshot);
	b->snapshot = encode(o);
	b->snapshot_seq = b->seq;
	b->snapshot_valid = true;
	return cc_msg_ref(b->snapshot);
}

struct cc_msg *cc_board_beat(struct cc_board *b, const char *type, int64_t now_ms)
{
	return encode(message(type, b->seq, now_ms));
}

uint64_t cc_board_seq(const struct cc_board *b) { return b->seq; }
size_t cc_board_entries(const struct cc_board *b) { return b->n_entries; }

void cc_board_destroy(struct cc_board *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_entries; i++)
		free_entry(b->entries[i]);
	free(b->entries);
	for (size_t i = 0; i < b->n_partners; i++) {
		free(b->partners[i].name);
		free(b->partners[i].label);
		free(b->partners[i].short_label);
		free(b->partners[i].error);
	}
	free(b->partners);
	for (size_t i = 0; i < b->n_removed; i++) {
		free(b->removed[i].partner);
		free(b->removed[i].key);
		free(b->removed[i].site);
	}
	free(b->removed);
	cc_msg_unref(b->snapshot);
	json_decref(b->lists);
	free(b);
}
