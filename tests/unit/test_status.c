#include "check_main.h"
#include "status.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct cc_metric_def perf(void)
{
	/* ED 4-hour performance: below 95% amber, below 76% red */
	struct cc_metric_def d = { 0 };
	d.higher_is_better = true;
	d.has_amber = d.has_red = true;
	d.amber = 95;
	d.red = 76;
	d.freshness_s = 600;
	return d;
}

static struct cc_metric_def occupancy(void)
{
	/* G&A occupancy: above 92% amber, above 95% red */
	struct cc_metric_def d = { 0 };
	d.higher_is_better = false;
	d.has_amber = d.has_red = true;
	d.amber = 92;
	d.red = 95;
	d.freshness_s = 600;
	return d;
}

START_TEST(higher_is_better_thresholds)
{
	struct cc_metric_def d = perf();
	ck_assert_int_eq(cc_status_judge(&d, 97.0), CC_GREEN);
	ck_assert_int_eq(cc_status_judge(&d, 95.0), CC_GREEN);   /* on target */
	ck_assert_int_eq(cc_status_judge(&d, 94.99), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 76.0), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 75.9), CC_RED);
	ck_assert_int_eq(cc_status_judge(&d, 50.0), CC_RED);
}
END_TEST

START_TEST(lower_is_better_thresholds)
{
	struct cc_metric_def d = occupancy();
	ck_assert_int_eq(cc_status_judge(&d, 85.0), CC_GREEN);
	ck_assert_int_eq(cc_status_judge(&d, 92.0), CC_GREEN);
	ck_assert_int_eq(cc_status_judge(&d, 92.1), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 95.0), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 95.5), CC_RED);
}
END_TEST

START_TEST(no_thresholds_is_green)
{
	struct cc_metric_def d = { 0 };
	d.freshness_s = 60;
	ck_assert_int_eq(cc_status_judge(&d, -1e9), CC_GREEN);
	ck_assert_int_eq(cc_status_judge(&d, 1e9), CC_GREEN);
}
END_TEST

START_TEST(only_red_threshold)
{
	struct cc_metric_def d = { 0 };
	d.has_red = true;
	d.red = 5;     /* handovers over 60 minutes: any more than 5 is red */
	ck_assert_int_eq(cc_status_judge(&d, 5), CC_GREEN);
	ck_assert_int_eq(cc_status_judge(&d, 6), CC_RED);
}
END_TEST

/* NHS 111: "fewer than 5% of calls abandoned" (red), amber at 3% as a local trigger. */
static struct cc_metric_def abandoned(bool inclusive)
{
	struct cc_metric_def d = { 0 };
	d.partner = "111";
	d.key = "111.abandoned_pct";
	d.higher_is_better = false;
	d.line_inclusive = inclusive;
	d.has_amber = d.has_red = true;
	d.amber = 3;
	d.red = 5;
	d.freshness_s = 120;
	return d;
}

START_TEST(inclusive_line_counts_a_value_on_it)
{
	struct cc_metric_def d = abandoned(true);
	ck_assert_int_eq(cc_status_judge(&d, 5.0), CC_RED);      /* not "fewer than 5%" */
	ck_assert_int_eq(cc_status_judge(&d, 4.99), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 3.0), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 2.99), CC_GREEN);
	/* the same lines worded "more than": a value on them is not past them */
	d = abandoned(false);
	ck_assert_int_eq(cc_status_judge(&d, 5.0), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&d, 3.0), CC_GREEN);
	/* higher is better: "at least 95%" met by 95, "more than 95%" not */
	struct cc_metric_def p = perf();
	p.line_inclusive = true;
	ck_assert_int_eq(cc_status_judge(&p, 95.0), CC_AMBER);
	ck_assert_int_eq(cc_status_judge(&p, 95.01), CC_GREEN);
	ck_assert_int_eq(cc_status_judge(&p, 76.0), CC_RED);
}
END_TEST

START_TEST(inclusive_line_kept_by_site_override_and_hysteresis)
{
	struct cc_metric_def d = abandoned(true);
	struct cc_catalog *cat = cc_catalog_create();
	struct cc_threshold *t = cc_catalog_add_threshold(cat);
	struct cc_limits l;

	t->partner = strdup("111");
	t->metric = strdup("111.abandoned_pct");
	t->site = strdup("north");
	t->has_amber = t->has_red = true;
	t->amber = 4;
	t->red = 6;
	t->hysteresis = 0.5;
	/* the override moves the lines; the metric's wording of them stays */
	cc_limits_for(cat, &d, "north", &l);
	ck_assert(l.line_inclusive);
	ck_assert_int_eq(cc_status_judge_limits(&l, 6.0), CC_RED);
	ck_assert_int_eq(cc_status_judge_limits(&l, 4.0), CC_AMBER);
	/* leaving red needs 6 - 0.5 cleared: 5.5 is held red, 5.49 drops to amber */
	ck_assert_int_eq(cc_status_hysteresis(&l, 5.5, CC_RED), CC_RED);
	ck_assert_int_eq(cc_status_hysteresis(&l, 5.49, CC_RED), CC_AMBER);
	cc_limits_for(cat, &d, "south", &l);
	ck_assert(l.line_inclusive);
	ck_assert_int_eq(cc_status_judge_limits(&l, 5.0), CC_RED);
	cc_catalog_destroy(cat);
}
END_TEST

START_TEST(error_beats_everything)
{
	struct cc_metric_def d = perf();
	char reason[128];
	ck_assert_int_eq(cc_status_eval(&d, true, 99, 1000, 2000, "partner database unreachable",
					reason, sizeof reason), CC_ERROR);
	ck_assert_str_eq(reason, "partner database unreachable");
}
END_TEST

START_TEST(stale_when_no_value_or_old)
{
	struct cc_metric_def d = perf();
	char reason[128];
	ck_assert_int_eq(cc_status_eval(&d, false, 0, 0, 1000, NULL, reason, sizeof reason),
			 CC_STALE);
	ck_assert_str_eq(reason, "no value received yet");
	/* exactly at the window edge is still fresh; one ms later is stale */
	ck_assert_int_eq(cc_status_eval(&d, true, 99, 0, 600000, NULL, reason, sizeof reason),
			 CC_GREEN);
	ck_assert_str_eq(reason, "");
	ck_assert_int_eq(cc_status_eval(&d, true, 99, 0, 600001, NULL, reason, sizeof reason),
			 CC_STALE);
	ck_assert_str_eq(reason, "no new value within the 10 min freshness window");
}
END_TEST

START_TEST(fresh_value_judged)
{
	struct cc_metric_def d = perf();
	char reason[128];
	ck_assert_int_eq(cc_status_eval(&d, true, 50, 1000, 2000, NULL, reason, sizeof reason),
			 CC_RED);
	ck_assert_int_eq(cc_status_eval(&d, true, 90, 1000, 2000, NULL, reason, sizeof reason),
			 CC_AMBER);
}
END_TEST

START_TEST(hysteresis_holds_a_status_near_its_line)
{
	struct cc_limits l = { .higher_is_better = true, .has_amber = true, .has_red = true,
			       .amber = 95, .red = 76, .hysteresis = 2 };

	/* red must climb to 78 to leave red; amber must reach 97 to become green */
	ck_assert_int_eq(cc_status_hysteresis(&l, 77.0, CC_RED), CC_RED);
	ck_assert_int_eq(cc_status_hysteresis(&l, 78.5, CC_RED), CC_AMBER);
	ck_assert_int_eq(cc_status_hysteresis(&l, 96.0, CC_AMBER), CC_AMBER);
	ck_assert_int_eq(cc_status_hysteresis(&l, 97.5, CC_AMBER), CC_GREEN);
	ck_assert_int_eq(cc_status_hysteresis(&l, 99.0, CC_RED), CC_GREEN);
	/* getting worse is never held back by hysteresis */
	ck_assert_int_eq(cc_status_hysteresis(&l, 94.9, CC_GREEN), CC_AMBER);
	ck_assert_int_eq(cc_status_hysteresis(&l, 70.0, CC_AMBER), CC_RED);
	/* lower is better: occupancy red above 95 must fall to 94 to leave */
	struct cc_limits o = { .higher_is_better = false, .has_amber = true, .has_red = true,
			       .amber = 92, .red = 95, .hysteresis = 1 };
	ck_assert_int_eq(cc_status_hysteresis(&o, 94.5, CC_RED), CC_RED);
	ck_assert_int_eq(cc_status_hysteresis(&o, 93.9, CC_RED), CC_AMBER);
	ck_assert_int_eq(cc_status_hysteresis(&o, 90.9, CC_AMBER), CC_GREEN);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(cc_status_name(CC_GREEN), "green");
	ck_assert_str_eq(cc_status_name(CC_AMBER), "amber");
	ck_assert_str_eq(cc_status_name(CC_RED), "red");
	ck_assert_str_eq(cc_status_name(CC_STALE), "stale");
	ck_assert_str_eq(cc_status_name(CC_ERROR), "error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("judge");

	tcase_add_test(tc, higher_is_better_thresholds);
	tcase_add_test(tc, lower_is_better_thresholds);
	tcase_add_test(tc, no_thresholds_is_green);
	tcase_add_test(tc, only_red_threshold);
	tcase_add_test(tc, inclusive_line_counts_a_value_on_it);
	tcase_add_test(tc, inclusive_line_kept_by_site_override_and_hysteresis);
	tcase_add_test(tc, error_beats_everything);
	tcase_add_test(tc, stale_when_no_value_or_old);
	tcase_add_test(tc, fresh_value_judged);
	tcase_add_test(tc, hysteresis_holds_a_status_near_its_line);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
