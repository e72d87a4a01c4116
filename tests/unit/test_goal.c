#include "check_main.h"
#include "catalog.h"
#include "goal.h"
#include "utf8.h"
#include "util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cc_catalog *cat;

static void add_metric(const char *partner, const char *key, bool higher)
{
	struct cc_metric_def *m = cc_catalog_add_metric(cat);

	m->partner = cc_xstrdup(partner);
	m->key = cc_xstrdup(key);
	m->label = cc_xstrdup(key);
	m->unit = cc_xstrdup("%");
	m->stage = cc_xstrdup("ed");
	m->higher_is_better = higher;
}

static void setup(void)
{
	cat = cc_catalog_create();
	add_metric("acute", "ed.four_hour_performance", true);
	add_metric("acute", "beds.ga_occupancy", false);
}

static void teardown(void)
{
	cc_catalog_destroy(cat);
}

/* A good body with the field `name` replaced by `value` (JSON text), or removed when value is
 * NULL. */
static json_t *body_with(const char *name, const char *value)
{
	json_t *b = json_loads("{\"partner\": \"acute\", \"metric\": \"ed.four_hour_performance\", "
			       "\"site\": \"RX1\", \"baseline\": 70, \"target\": 78.5, "
			       "\"starts_on\": \"2026-10-01\", \"ends_on\": \"2027-03-31\", "
			       "\"milestones\": [{\"on\": \"2026-12-31\", \"value\": 74}], "
			       "\"agreed_by\": \"System board\", \"note\": \"Winter plan\"}", 0, NULL);

	ck_assert_ptr_nonnull(b);
	if (name && value) {
		json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
		ck_assert_msg(v != NULL, "bad test JSON %s", value);
		json_object_set_new(b, name, v);
	} else if (name) {
		json_object_del(b, name);
	}
	return b;
}

static void refused(json_t *b, const char *want_field, const char *words)
{
	struct cc_goal g;
	char field[64], msg[400];

	ck_assert_int_eq(cc_goal_parse(b, cat, &g, field, sizeof field, msg, sizeof msg), -1);
	ck_assert_msg(strstr(msg, words) != NULL, "reason '%s' lacks '%s'", msg, words);
	ck_assert_str_eq(field, want_field);
	ck_assert(cc_utf8_valid(msg, strlen(msg)));
	json_decref(b);
}

START_TEST(a_good_goal)
{
	json_t *b = body_with("ignored_field", "[1, 2]");   /* e.g. an id sent back: ignored */
	struct cc_goal g;
	char field[64], msg[400];
	json_t *ms;

	ck_assert_int_eq(cc_goal_parse(b, cat, &g, field, sizeof field, msg, sizeof msg), 0);
	ck_assert_str_eq(g.partner, "acute");
	ck_assert_str_eq(g.metric, "ed.four_hour_performance");
	ck_assert_str_eq(g.site, "RX1");
	ck_assert(g.baseline == 70 && g.target == 78.5);
	ck_assert_str_eq(g.starts_on, "2026-10-01");
	ck_assert_str_eq(g.ends_on, "2027-03-31");
	ck_assert_uint_eq(g.n_milestones, 1);
	ck_assert_str_eq(g.milestones[0].on, "2026-12-31");
	ck_assert(g.milestones[0].value == 74);
	ck_assert_str_eq(g.agreed_by, "System board");
	ms = cc_goal_milestones_json(&g);
	ck_assert_uint_eq(json_array_size(ms), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ms, 0), "on")),
			 "2026-12-31");
	json_decref(ms);
	json_decref(b);

	/* optional parts left out: site '' and no milestones, agreed_by or note */
	b = body_with("site", NULL);
	json_object_del(b, "milestones");
	json_object_del(b, "agreed_by");
	json_object_set_new(b, "note", json_null());
	ck_assert_int_eq(cc_goal_parse(b, cat, &g, field, sizeof field, msg, sizeof msg), 0);
	ck_assert_str_eq(g.site, "");
	ck_assert_uint_eq(g.n_milestones, 0);
	ck_assert_str_eq(g.note, "");
	json_decref(b);
}
END_TEST

START_TEST(dates)
{
	long d;

	ck_assert(cc_goal_date("1970-01-01", &d) && d == 0);
	ck_assert(cc_goal_date("2026-12-03", &d) && d == 20790);
	ck_assert(cc_goal_date("2028-02-29", NULL));
	ck_assert(cc_goal_date("2000-02-29", NULL));
	ck_assert(!cc_goal_date("2100-02-29", NULL));
	ck_assert(!cc_goal_date("2026-02-29", NULL));
	ck_assert(!cc_goal_date("2026-02-30", NULL));
	ck_assert(!cc_goal_date("2026-04-31", NULL));
	ck_assert(!cc_goal_date("2026-13-01", NULL));
	ck_assert(!cc_goal_date("2026-00-10", NULL));
	ck_assert(!cc_goal_date("2026-01-00", NULL));
	ck_assert(!cc_goal_date("1899-12-31", NULL));
	ck_assert(!cc_goal_date("2026-1-01", NULL));
	ck_assert(!cc_goal_date("2026/01/01", NULL));
	ck_assert(!cc_goal_date("2026-01-01T00:00", NULL));
	ck_assert(!cc_goal_date("+026-01-01", NULL));
	ck_assert(!cc_goal_date("", NULL));
	ck_assert(!cc_goal_date(NULL, NULL));
}
END_TEST

START_TEST(refused_dates)
{
	refused(body_with("ends_on", "\"2026-09-30\""), "ends_on", "ends_on must be after starts_on");
	refused(body_with("ends_on", "\"2026-10-01\""), "ends_on", "ends_on must be after starts_on");
	refused(body_with("starts_on", "\"2026-02-30\""), "starts_on", "2026-02-30 is not a real date");
	refused(body_with("starts_on", "\"1 October 2026\""), "starts_on",
		"starts_on must be a date written YYYY-MM-DD");
	refused(body_with("ends_on", "20270331"), "ends_on", "must be a date written YYYY-MM-DD");
	refused(body_with("starts_on", NULL), "starts_on", "starts_on is required");
	refused(body_with("ends_on", "null"), "ends_on", "ends_on is required");
}
END_TEST

START_TEST(refused_numbers)
{
	refused(body_with("baseline", "\"70\""), "baseline", "baseline must be a number");
	refused(body_with("target", "true"), "target", "target must be a number");
	refused(body_with("target", NULL), "target", "target is required");
	refused(body_with("baseline", "1e13"), "baseline", "finite number of reasonable size");
	refused(body_with("target", "-1e300"), "target", "finite number of reasonable size");
}
END_TEST

START_TEST(refused_series)
{
	refused(body_with("metric", "\"ed.nothing\""), "metric",
		"no metric ed.nothing for partner acute");
	refused(body_with("partner", "\"nobody\""), "metric",
		"no metric ed.four_hour_performance for partner nobody");
	refused(body_with("partner", NULL), "partner", "partner is required");
	refused(body_with("partner", "\"\""), "partner", "partner is required");
	refused(body_with("metric", "7"), "metric", "metric must be text");
	refused(body_with("site", "[]"), "site", "site must be text");
	refused(body_with("site", "\"two\\nlines\""), "site", "control character");
	{
		/* a body parsed with JSON_ALLOW_NUL could carry one */
		json_t *b = body_with(NULL, NULL);
		json_object_set_new(b, "partner", json_stringn("a\0b", 3));
		refused(b, "partner", "NUL");
	}
	refused(json_loads("[]", 0, NULL), "", "the goal must be a JSON object");
	{
		/* without a catalog (not loaded yet) nothing is known */
		json_t *b = body_with(NULL, NULL);
		struct cc_goal g;
		char field[64], msg[400];
		ck_assert_int_eq(cc_goal_parse(b, NULL, &g, field, sizeof field, msg, sizeof msg), -1);
		json_decref(b);
	}
}
END_TEST

START_TEST(refused_milestones)
{
	refused(body_with("milestones", "{\"on\": \"2026-12-31\", \"value\": 74}"), "milestones",
		"milestones must be a list");
	refused(body_with("milestones", "[74]"), "milestones", "milestone 1 must be {");
	refused(body_with("milestones", "[{\"value\": 74}]"), "milestones",
		"milestone 1: on is required");
	refused(body_with("milestones", "[{\"on\": \"2026-11-31\", \"value\": 74}]"), "milestones",
		"milestone 1: on: 2026-11-31 is not a real date");
	refused(body_with("milestones", "[{\"on\": \"2026-12-31\"}]"), "milestones",
		"milestone 1: value is required");
	refused(body_with("milestones", "[{\"on\": \"2026-12-31\", \"value\": \"74\"}]"),
		"milestones", "milestone 1: value must be a number");
	refused(body_with("milestones", "[{\"on\": \"2026-10-01\", \"value\": 74}]"), "milestones",
		"milestone 1 (2026-10-01) must fall after starts_on (2026-10-01) and before ends_on "
		"(2027-03-31)");
	refused(body_with("milestones", "[{\"on\": \"2027-03-31\", \"value\": 74}]"), "milestones",
		"must fall after starts_on");
	refused(body_with("milestones", "[{\"on\": \"2027-01-10\", \"value\": 74}, "
					"{\"on\": \"2026-12-01\", \"value\": 73}]"),
		"milestones", "milestone 2 (2026-12-01) must come after milestone 1 (2027-01-10)");
	refused(body_with("milestones", "[{\"on\": \"2027-01-10\", \"value\": 74}, "
					"{\"on\": \"2027-01-10\", \"value\": 73}]"),
		"milestones", "must come after milestone 1");
	{
		/* one more than allowed */
		char list[CC_GOAL_MILESTONES_MAX * 48 + 8], *p = list;
		p += sprintf(p, "[");
		for (int i = 0; i <= CC_GOAL_MILESTONES_MAX; i++)
			p += sprintf(p, "%s{\"on\": \"2026-%02d-%02d\", \"value\": 1}", i ? "," : "",
				     11 + i / 28, 1 + i % 28);
		sprintf(p, "]");
		refused(body_with("milestones", list), "milestones", "at most 60 milestones");
	}
}
END_TEST

START_TEST(refused_texts)
{
	char s[1200];
	struct cc_goal g;
	char field[64], msg[400];
	json_t *b;

	memset(s, 'x', 201);
	s[201] = '\0';
	b = body_with(NULL, NULL);
	json_object_set_new(b, "agreed_by", json_string(s));
	refused(b, "agreed_by", "agreed_by is longer than 200 characters");
	memset(s, 'n', 1001);
	s[1001] = '\0';
	b = body_with(NULL, NULL);
	json_object_set_new(b, "note", json_string(s));
	refused(b, "note", "note is longer than 1000 characters");
	refused(body_with("agreed_by", "\"tab\\there\""), "agreed_by", "control character");
	refused(body_with("note", "\"bell\\u0007\""), "note", "control character");
	refused(body_with("note", "5"), "note", "note must be text");

	/* 200 two-byte characters are 200 characters; a note keeps its line breaks */
	s[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(s, "\xC3\xA9");
	b = body_with("note", "\"line one\\nline two\\tend\"");
	json_object_set_new(b, "agreed_by", json_string(s));
	ck_assert_int_eq(cc_goal_parse(b, cat, &g, field, sizeof field, msg, sizeof msg), 0);
	ck_assert_str_eq(g.agreed_by, s);
	ck_assert_str_eq(g.note, "line one\nline two\tend");
	json_decref(b);
}
END_TEST

START_TEST(short_buffers_stay_utf8)
{
	/* a reason quoting a long non-ASCII key is cut between characters */
	char key[300] = "";
	struct cc_goal g;
	char field[8], msg[40];
	json_t *b = body_with(NULL, NULL);

	for (int i = 0; i < 60; i++)
		strcat(key, "\xC3\xA9");
	json_object_set_new(b, "metric", json_string(key));
	ck_assert_int_eq(cc_goal_parse(b, cat, &g, field, sizeof field, msg, sizeof msg), -1);
	ck_assert(cc_utf8_valid(msg, strlen(msg)));
	ck_assert(cc_utf8_valid(field, strlen(field)));
	json_decref(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("goal");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_good_goal);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, refused_dates);
	tcase_add_test(tc, refused_numbers);
	tcase_add_test(tc, refused_series);
	tcase_add_test(tc, refused_milestones);
	tcase_add_test(tc, refused_texts);
	tcase_add_test(tc, short_buffers_stay_utf8);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
