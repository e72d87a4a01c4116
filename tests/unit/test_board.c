#include "board.h"
#include "check_main.h"
#include "utf8.h"
#include "util.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1764187200000LL   /* 2025-11-26T20:00:00Z */

static struct cc_catalog *cat;
static struct cc_board *board;

static enum cc_observe_result observe(struct cc_board *b, const char *partner, const char *key,
				     const char *site, double value, int64_t observed, int64_t now)
{
	bool record;
	return cc_board_observe(b, partner, key, site, value, observed, false, now, &record);
}

static void add_metric(const char *partner, const char *key, const char *stage, bool hib,
		       double amber, double red)
{
	struct cc_metric_def *m = cc_catalog_add_metric(cat);
	m->partner = cc_xstrdup(partner);
	m->key = cc_xstrdup(key);
	m->label = cc_xstrdup(key);
	m->unit = cc_xstrdup("%");
	m->stage = cc_xstrdup(stage);
	m->higher_is_better = hib;
	m->has_amber = m->has_red = true;
	m->amber = amber;
	m->red = red;
	m->freshness_s = 600;
	m->decimals = 1;
}

static void setup(void)
{
	struct cc_stage *s;
	struct cc_partner_def *p;

	cat = cc_catalog_create();
	s = cc_catalog_add_stage(cat);
	s->key = cc_xstrdup("ed");
	s->label = cc_xstrdup("Emergency department");
	s->position = 3;
	s = cc_catalog_add_stage(cat);
	s->key = cc_xstrdup("beds");
	s->label = cc_xstrdup("Beds and flow");
	s->position = 5;
	p = cc_catalog_add_partner(cat);
	p->name = cc_xstrdup("acute");
	p->label = cc_xstrdup("Northgate Hospitals");
	p->conninfo = cc_xstrdup("dbname=partner_acute");
	p = cc_catalog_add_partner(cat);
	p->name = cc_xstrdup("ambulance");
	p->label = cc_xstrdup("Ambulance service");
	p->conninfo = cc_xstrdup("dbname=partner_ambulance");
	add_metric("acute", "ed.four_hour_performance", "ed", true, 95, 76);
	add_metric("acute", "beds.ga_occupancy", "beds", false, 92, 95);
	add_metric("ambulance", "amb.handover_over_60", "ed", false, 1, 5);
	board = cc_board_create();
	cc_board_set_catalog(board, cat, NOW);
}

static void teardown(void)
{
	cc_board_destroy(board);
	cc_catalog_destroy(cat);
}

static json_t *parse_msg(struct cc_msg *m)
{
	json_error_t e;
	json_t *o = json_loadb(cc_msg_text(m), cc_msg_len(m), 0, &e);
	ck_assert_msg(o != NULL, "invalid JSON: %s", e.text);
	cc_msg_unref(m);
	return o;
}

static json_t *find(json_t *metrics, const char *partner, const char *key, const char *site)
{
	size_t i;
	json_t *e;

	json_array_foreach(metrics, i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "partner")), partner) &&
		    !strcmp(json_string_value(json_object_get(e, "key")), key) &&
		    !strcmp(json_string_value(json_object_get(e, "site")), site))
			return e;
	}
	return NULL;
}

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

START_TEST(snapshot_has_stand_ins_and_fields)
{
	json_t *o = parse_msg(cc_board_snapshot(board, NOW));
	json_t *metrics = json_object_get(o, "metrics"), *e;

	ck_assert_str_eq(str(o, "type"), "snapshot");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "seq")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(o, "stages")), 2);
	ck_assert_int_eq(json_array_size(json_object_get(o, "partners")), 2);
	ck_assert_int_eq(json_array_size(metrics), 3);
	e = find(metrics, "acute", "ed.four_hour_performance", "");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(str(e, "stage"), "ed");
	ck_assert_str_eq(str(e, "status"), "stale");
	ck_assert_str_eq(str(e, "reason"), "no value received yet");
	ck_assert(json_is_null(json_object_get(e, "value")));
	ck_assert(json_is_null(json_object_get(e, "observed_at")));
	ck_assert(json_is_true(json_object_get(e, "higher_is_better")));
	ck_assert(json_real_value(json_object_get(e, "amber")) == 95.0);
	ck_assert_str_eq(str(o, "server_time"), "2025-11-26T20:00:00.000Z");
	json_decref(o);
}
END_TEST

START_TEST(delta_carries_only_changes_with_next_seq)
{
	json_t *o, *metrics, *e, *removed;

	cc_msg_unref(cc_board_flush(board, NOW));  /* the catalog's own first delta: seq 1 */
	ck_assert_int_eq(observe(board, "acute", "ed.four_hour_performance", "NGH", 61.5,
					  NOW - 1000, NOW), CC_OBS_OK);
	o = parse_msg(cc_board_flush(board, NOW));
	ck_assert_str_eq(str(o, "type"), "delta");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "seq")), 2);
	metrics = json_object_get(o, "metrics");
	ck_assert_int_eq(json_array_size(metrics), 1);
	e = json_array_get(metrics, 0);
	ck_assert_str_eq(str(e, "site"), "NGH");
	ck_assert(json_real_value(json_object_get(e, "value")) == 61.5);
	ck_assert_str_eq(str(e, "status"), "red");
	ck_assert_ptr_null(json_object_get(e, "reason"));
	ck_assert_str_eq(str(e, "observed_at"), "2025-11-26T19:59:59.000Z");
	/* the "no value yet" stand-in for site "" is replaced by the real site */
	removed = json_object_get(o, "removed");
	ck_assert_int_eq(json_array_size(removed), 1);
	ck_assert_str_eq(str(json_array_get(removed, 0), "site"), "");
	json_decref(o);
	/* nothing changed: no delta, seq unchanged */
	ck_assert_ptr_null(cc_board_flush(board, NOW));
	ck_assert_int_eq(cc_board_seq(board), 2);
}
END_TEST

START_TEST(statuses_follow_thresholds)
{
	json_t *o;

	cc_msg_unref(cc_board_flush(board, NOW));
	observe(board, "acute", "beds.ga_occupancy", "", 93.0, NOW, NOW);
	o = parse_msg(cc_board_flush(board, NOW));
	ck_assert_str_eq(str(json_array_get(json_object_get(o, "metrics"), 0), "status"), "amber");
	json_decref(o);
	observe(board, "acute", "beds.ga_occupancy", "", 96.0, NOW + 1, NOW + 1);
	o = parse_msg(cc_board_flush(board, NOW + 1));
	ck_assert_str_eq(str(json_array_get(json_object_get(o, "metrics"), 0), "status"), "red");
	json_decref(o);
}
END_TEST

START_TEST(unknown_and_older_rows_are_refused)
{
	ck_assert_int_eq(observe(board, "acute", "no.such.metric", "", 1, NOW, NOW),
			 CC_OBS_UNKNOWN_METRIC);
	/* a metric defined for another partner is unknown for this one */
	ck_assert_int_eq(observe(board, "acute", "amb.handover_over_60", "", 1, NOW, NOW),
			 CC_OBS_UNKNOWN_METRIC);
	ck_assert_int_eq(observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, NOW),
			 CC_OBS_OK);
	ck_assert_int_eq(observe(board, "acute", "beds.ga_occupancy", "", 99, NOW - 5000,
					  NOW), CC_OBS_OLDER);
}
END_TEST

START_TEST(partner_error_marks_only_its_metrics)
{
	json_t *o, *metrics, *partners;

	observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, NOW);
	observe(board, "ambulance", "amb.handover_over_60", "", 0, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	cc_board_partner_state(board, "ambulance", "backoff", "connection refused",
			       "partner database unreachable: connection refused", NOW);
	o = parse_msg(cc_board_flush(board, NOW));
	metrics = json_object_get(o, "metrics");
	ck_assert_int_eq(json_array_size(metrics), 1);
	ck_assert_str_eq(str(json_array_get(metrics, 0), "partner"), "ambulance");
	ck_assert_str_eq(str(json_array_get(metrics, 0), "status"), "error");
	ck_assert_str_eq(str(json_array_get(metrics, 0), "reason"),
			 "partner database unreachable: connection refused");
	/* the last good value stays, marked error */
	ck_assert(json_real_value(json_object_get(json_array_get(metrics, 0), "value")) == 0.0);
	partners = json_object_get(o, "partners");
	ck_assert_int_eq(json_array_size(partners), 1);
	ck_assert_str_eq(str(json_array_get(partners, 0), "state"), "backoff");
	json_decref(o);
	/* recovery clears the error */
	cc_board_partner_state(board, "ambulance", "ok", NULL, NULL, NOW);
	o = parse_msg(cc_board_flush(board, NOW));
	ck_assert_str_eq(str(json_array_get(json_object_get(o, "metrics"), 0), "status"), "green");
	json_decref(o);
}
END_TEST

START_TEST(values_go_stale_with_time)
{
	json_t *o;

	observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	cc_board_tick(board, NOW + 600000);
	ck_assert_ptr_null(cc_board_flush(board, NOW + 600000));
	cc_board_tick(board, NOW + 600001);
	o = parse_msg(cc_board_flush(board, NOW + 600001));
	ck_assert_str_eq(str(json_array_get(json_object_get(o, "metrics"), 0), "status"), "stale");
	json_decref(o);
}
END_TEST

START_TEST(snapshot_is_encoded_once_per_change)
{
	struct cc_msg *a = cc_board_snapshot(board, NOW), *b = cc_board_snapshot(board, NOW + 5);
	struct cc_msg *c;

	ck_assert_ptr_eq(a, b);   /* same buffer for every client until something changes */
	observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	c = cc_board_snapshot(board, NOW);
	ck_assert_ptr_ne(a, c);
	ck_assert(strstr(cc_msg_text(c), "\"seq\":1") != NULL);
	cc_msg_unref(a);
	cc_msg_unref(b);
	cc_msg_unref(c);
}
END_TEST

/* Lists shown with the board (alerts, goals, actions) are in every snapshot, [] until set, and
 * a new list reaches the next snapshot even though no metric changed. */
START_TEST(snapshot_carries_named_lists)
{
	json_t *o = parse_msg(cc_board_snapshot(board, NOW));

	ck_assert_int_eq((int)json_array_size(json_object_get(o, "alerts")), 0);
	ck_assert(json_is_array(json_object_get(o, "goals")));
	ck_assert(json_is_array(json_object_get(o, "actions")));
	json_decref(o);
	cc_board_set_list(board, "actions", json_pack("[{s:i,s:s}]", "id", 7, "title", "Beds"));
	cc_board_set_list(board, "goals", json_pack("[{s:i}]", "id", 2));
	/* a list may not replace one of the board's own members */
	cc_board_set_list(board, "metrics", json_pack("[]"));
	o = parse_msg(cc_board_snapshot(board, NOW));
	ck_assert_str_eq(str(json_array_get(json_object_get(o, "actions"), 0), "title"), "Beds");
	ck_assert_int_eq((int)json_integer_value(json_object_get(
				 json_array_get(json_object_get(o, "goals"), 0), "id")), 2);
	ck_assert_int_eq((int)json_array_size(json_object_get(o, "alerts")), 0);
	ck_assert_int_gt((int)json_array_size(json_object_get(o, "metrics")), 0);
	json_decref(o);
}
END_TEST

START_TEST(catalog_reload_removes_vanished_metrics)
{
	struct cc_catalog *smaller = cc_catalog_create();
	struct cc_partner_def *p = cc_catalog_add_partner(smaller);
	struct cc_metric_def *m = cc_catalog_add_metric(smaller);
	json_t *o;

	p->name = cc_xstrdup("acute");
	p->label = cc_xstrdup("Northgate");
	p->conninfo = cc_xstrdup("dbname=x");
	m->partner = cc_xstrdup("acute");
	m->key = cc_xstrdup("beds.ga_occupancy");
	m->label = cc_xstrdup("G&A occupancy");
	m->unit = cc_xstrdup("%");
	m->stage = cc_xstrdup("beds");
	m->freshness_s = 60;
	cc_msg_unref(cc_board_flush(board, NOW));
	cc_board_set_catalog(board, smaller, NOW);
	o = parse_msg(cc_board_flush(board, NOW));
	ck_assert_int_eq(json_array_size(json_object_get(o, "removed")), 2);
	ck_assert_int_eq(cc_board_entries(board), 1);
	json_decref(o);
	cc_board_destroy(board);
	board = cc_board_create();  /* teardown frees the original catalog */
	cc_catalog_destroy(smaller);
}
END_TEST

START_TEST(values_keep_their_digits)
{
	json_t *o;

	cc_msg_unref(cc_board_flush(board, NOW));
	observe(board, "acute", "beds.ga_occupancy", "", 93.456789012345, NOW, NOW);
	o = parse_msg(cc_board_flush(board, NOW));
	ck_assert(json_real_value(json_object_get(json_array_get(json_object_get(o, "metrics"), 0),
						  "value")) == 93.456789012345);
	json_decref(o);
}
END_TEST

START_TEST(duplicates_and_replays)
{
	bool record;

	ck_assert_int_eq(cc_board_observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, false,
					  NOW, &record), CC_OBS_OK);
	ck_assert(record);
	/* the same row again from a first load after a reconnect is not a duplicate */
	ck_assert_int_eq(cc_board_observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, true,
					  NOW, &record), CC_OBS_OK);
	ck_assert(!record);
	/* a second row with the same observed_at is, whatever its value */
	ck_assert_int_eq(cc_board_observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, false,
					  NOW, &record), CC_OBS_DUPLICATE);
	ck_assert_int_eq(cc_board_observe(board, "acute", "beds.ga_occupancy", "", 91, NOW, false,
					  NOW, &record), CC_OBS_DUPLICATE);
	/* late data is not shown but belongs in history */
	ck_assert_int_eq(cc_board_observe(board, "acute", "beds.ga_occupancy", "", 80, NOW - 1, false,
					  NOW, &record), CC_OBS_OLDER);
	ck_assert(record);
}
END_TEST

START_TEST(history_gets_changes_and_a_point_a_minute)
{
	bool record;

	cc_board_observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, false, NOW, &record);
	ck_assert(record);
	cc_board_observe(board, "acute", "beds.ga_occupancy", "", 90, NOW + 5000, false, NOW, &record);
	ck_assert(!record);  /* unchanged, recorded 5 s ago */
	cc_board_observe(board, "acute", "beds.ga_occupancy", "", 91, NOW + 6000, false, NOW, &record);
	ck_assert(record);   /* changed */
	cc_board_observe(board, "acute", "beds.ga_occupancy", "", 91, NOW + 66000, false, NOW, &record);
	ck_assert(record);   /* unchanged, but a minute since the last point */
}
END_TEST

START_TEST(rejected_row_marks_the_value_until_a_good_one)
{
	json_t *o, *e;

	observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	ck_assert(cc_board_mark_rejected(board, "acute", "beds.ga_occupancy", "", "null_value",
					 NOW + 1000));
	ck_assert(!cc_board_mark_rejected(board, "acute", "no.such", "", "null_value", NOW));
	o = parse_msg(cc_board_flush(board, NOW + 1000));
	e = json_array_get(json_object_get(o, "metrics"), 0);
	ck_assert(json_real_value(json_object_get(e, "value")) == 90.0);
	ck_assert_str_eq(str(json_object_get(e, "rejected"), "reason"), "null_value");
	json_decref(o);
	observe(board, "acute", "beds.ga_occupancy", "", 91, NOW + 2000, NOW + 2000);
	o = parse_msg(cc_board_flush(board, NOW + 2000));
	e = json_array_get(json_object_get(o, "metrics"), 0);
	ck_assert_ptr_null(json_object_get(e, "rejected"));
	json_decref(o);
}
END_TEST

static const char *status_of(json_t *o)
{
	return str(json_array_get(json_object_get(o, "metrics"), 0), "status");
}

START_TEST(minimum_duration_delays_a_worse_status)
{
	json_t *o, *e;

	cat->metrics[1].min_duration_s = 60;   /* beds.ga_occupancy: amber 92, red 95 */
	observe(board, "acute", "beds.ga_occupancy", "", 90, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	observe(board, "acute", "beds.ga_occupancy", "", 96, NOW + 1000, NOW + 1000);
	o = parse_msg(cc_board_flush(board, NOW + 1000));
	e = json_array_get(json_object_get(o, "metrics"), 0);
	ck_assert_str_eq(str(e, "status"), "green");      /* not yet: must hold 60 s */
	ck_assert_str_eq(str(json_object_get(e, "pending"), "status"), "red");
	json_decref(o);
	cc_board_tick(board, NOW + 60999);
	ck_assert_ptr_null(cc_board_flush(board, NOW + 60999));
	cc_board_tick(board, NOW + 61000);
	o = parse_msg(cc_board_flush(board, NOW + 61000));
	ck_assert_str_eq(status_of(o), "red");
	json_decref(o);
	/* a dip back under the line calls a pending worse status off */
	observe(board, "acute", "beds.ga_occupancy", "", 90, NOW + 62000, NOW + 62000);
	cc_msg_unref(cc_board_flush(board, NOW + 62000));
	observe(board, "acute", "beds.ga_occupancy", "", 96, NOW + 63000, NOW + 63000);
	cc_board_tick(board, NOW + 100000);
	observe(board, "acute", "beds.ga_occupancy", "", 91, NOW + 101000, NOW + 101000);
	cc_board_tick(board, NOW + 200000);
	o = parse_msg(cc_board_flush(board, NOW + 200000));
	ck_assert_str_eq(status_of(o), "green");
	json_decref(o);
}
END_TEST

START_TEST(flapping_value_does_not_flap_the_status)
{
	int changes = 0;
	json_t *o;

	cat->metrics[0].hysteresis = 1.0;    /* ED 4-hour: amber below 95 */
	observe(board, "acute", "ed.four_hour_performance", "", 94.8, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	for (int i = 1; i <= 20; i++) {
		double v = i % 2 ? 95.2 : 94.8;   /* sits on the line */
		observe(board, "acute", "ed.four_hour_performance", "", v, NOW + i * 1000, NOW + i * 1000);
		o = parse_msg(cc_board_flush(board, NOW + i * 1000));
		if (strcmp(status_of(o), "amber"))
			changes++;
		json_decref(o);
	}
	ck_assert_int_eq(changes, 0);
}
END_TEST

START_TEST(site_override_thresholds)
{
	struct cc_threshold *t = cc_catalog_add_threshold(cat);
	json_t *o, *e;

	t->partner = cc_xstrdup("acute");
	t->metric = cc_xstrdup("beds.ga_occupancy");
	t->site = cc_xstrdup("SGH");
	t->has_amber = t->has_red = true;
	t->amber = 85;
	t->red = 90;
	observe(board, "acute", "beds.ga_occupancy", "NGH", 88, NOW, NOW);
	observe(board, "acute", "beds.ga_occupancy", "SGH", 88, NOW, NOW);
	o = parse_msg(cc_board_snapshot(board, NOW));
	e = find(json_object_get(o, "metrics"), "acute", "beds.ga_occupancy", "NGH");
	ck_assert_str_eq(str(e, "status"), "green");
	e = find(json_object_get(o, "metrics"), "acute", "beds.ga_occupancy", "SGH");
	ck_assert_str_eq(str(e, "status"), "amber");
	ck_assert(json_real_value(json_object_get(e, "red")) == 90.0);
	json_decref(o);
}
END_TEST

static int status_calls;
static void count_status(void *arg, const struct cc_board_view *v, enum cc_status old)
{
	(void)arg;
	(void)old;
	if (!strcmp(v->key, "beds.ga_occupancy"))
		status_calls++;
}

START_TEST(levels_follow_rules_and_listener_hears_changes)
{
	struct cc_level_rule *r = cc_catalog_add_level_rule(cat);
	const char *why;

	r->level = 3;
	r->red_only = true;
	r->count = 2;
	r->description = cc_xstrdup("two or more at red");
	cc_board_on_status(board, count_status, NULL);
	observe(board, "acute", "beds.ga_occupancy", "", 99, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	ck_assert_int_eq(cc_board_level(board, NULL), 1);
	ck_assert(!cc_board_take_level_change(board));
	observe(board, "acute", "ed.four_hour_performance", "", 50, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	ck_assert_int_eq(cc_board_level(board, &why), 3);
	ck_assert(strstr(why, "two or more at red") != NULL);
	ck_assert(cc_board_take_level_change(board));
	ck_assert(!cc_board_take_level_change(board));
	ck_assert_int_eq(status_calls, 1);  /* stale -> red */
}
END_TEST

/* Hub text (a level rule's description, a partner's error) longer than the board keeps, with a
 * two-byte character just where it is cut: a cut inside it made jansson refuse the text. */
static char *long_text(size_t ascii)
{
	char *t = cc_xmalloc(ascii + 40);
	memset(t, 'a', ascii);
	strcpy(t + ascii, "\xC3\xA9 end");
	return t;
}

START_TEST(long_hub_text_is_cut_between_characters)
{
	struct cc_level_rule *r = cc_catalog_add_level_rule(cat);
	char *err = long_text(254);
	json_t *o, *level, *e, *p;
	const char *why;

	r->level = 2;
	r->red_only = true;
	r->count = 1;
	r->description = long_text(254);
	observe(board, "acute", "beds.ga_occupancy", "", 99, NOW, NOW);
	observe(board, "ambulance", "amb.handover_over_60", "", 0, NOW, NOW);
	cc_msg_unref(cc_board_flush(board, NOW));
	ck_assert_int_eq(cc_board_level(board, &why), 2);
	ck_assert_msg(cc_utf8_valid(why, strlen(why)), "reason cut inside a character");
	ck_assert_msg(strstr(why, "(1 now)") != NULL, "the count is kept: %s", why);
	level = cc_board_level_json(board);
	ck_assert_ptr_nonnull(level);
	ck_assert_ptr_nonnull(str(level, "reason"));
	json_decref(level);
	cc_board_partner_state(board, "ambulance", "backoff", err, err, NOW);
	o = parse_msg(cc_board_flush(board, NOW));
	e = find(json_object_get(o, "metrics"), "ambulance", "amb.handover_over_60", "");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(str(e, "status"), "error");
	ck_assert_ptr_nonnull(str(e, "reason"));
	p = json_array_get(json_object_get(o, "partners"), 0);
	ck_assert_ptr_nonnull(str(p, "reason"));
	json_decref(o);
	o = parse_msg(cc_board_snapshot(board, NOW));
	ck_assert_ptr_nonnull(str(json_object_get(o, "level"), "reason"));
	json_decref(o);
	free(err);
}
END_TEST

START_TEST(message_refcount)
{
	struct cc_msg *m = cc_msg_create("{\"a\":1}", 7);
	ck_assert_str_eq(cc_msg_text(m), "{\"a\":1}");
	ck_assert_int_eq(cc_msg_len(m), 7);
	cc_msg_ref(m);
	cc_msg_unref(m);
	ck_assert_str_eq(cc_msg_text(m), "{\"a\":1}");
	cc_msg_unref(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("board");
	TCase *tc = tcase_create("board");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, snapshot_has_stand_ins_and_fields);
	tcase_add_test(tc, delta_carries_only_changes_with_next_seq);
	tcase_add_test(tc, statuses_follow_thresholds);
	tcase_add_test(tc, unknown_and_older_rows_are_refused);
	tcase_add_test(tc, partner_error_marks_only_its_metrics);
	tcase_add_test(tc, values_go_stale_with_time);
	tcase_add_test(tc, snapshot_is_encoded_once_per_change);
	tcase_add_test(tc, snapshot_carries_named_lists);
	tcase_add_test(tc, catalog_reload_removes_vanished_metrics);
	tcase_add_test(tc, values_keep_their_digits);
	tcase_add_test(tc, duplicates_and_replays);
	tcase_add_test(tc, history_gets_changes_and_a_point_a_minute);
	tcase_add_test(tc, rejected_row_marks_the_value_until_a_good_one);
	tcase_add_test(tc, minimum_duration_delays_a_worse_status);
	tcase_add_test(tc, flapping_value_does_not_flap_the_status);
	tcase_add_test(tc, site_override_thresholds);
	tcase_add_test(tc, levels_follow_rules_and_listener_hears_changes);
	tcase_add_test(tc, long_hub_text_is_cut_between_characters);
	tcase_add_test(tc, message_refcount);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
