/* The board report's HTML (report.c): escaping, an empty report, a measure with and without a
 * goal, the level strip, and nothing fetched from outside the page. */
#include "check_main.h"
#include "report.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *render(const char *json)
{
	json_error_t err;
	json_t *doc = json_loads(json, 0, &err);
	char *html;
	size_t len;

	ck_assert_msg(doc != NULL, "bad test JSON: %s", err.text);
	html = cc_report_html(doc, &len);
	ck_assert_ptr_nonnull(html);
	ck_assert_uint_eq(strlen(html), len);
	json_decref(doc);
	return html;
}

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = hay; *p; p++)
		if (!strncasecmp(p, needle, n))
			return true;
	return false;
}

#define NO_GOAL_JSON                                                                          \
	"{\"from\":\"2026-11-01\",\"to\":\"2026-11-03\","                                          \
	"\"levels\":[{\"day\":\"2026-11-01\",\"level\":2},{\"day\":\"2026-11-02\",\"level\":4},"   \
	"{\"day\":\"2026-11-03\",\"level\":null}],"                                             \
	"\"alerts\":{\"fired\":3,\"critical\":1,\"warning\":2,\"acknowledged\":2,"                \
	"\"unacknowledged\":1,\"median_ack_minutes\":12.5},"                                      \
	"\"stages\":[{\"key\":\"ed\",\"label\":\"Emergency department\",\"metrics\":["           \
	"{\"partner\":\"acute\",\"metric\":\"ed.four_hour\",\"site\":\"\","                      \
	"\"metric_label\":\"4-hour performance\",\"partner_label\":\"Acute\","                    \
	"\"unit\":\"%\",\"decimals\":1,\"higher_is_better\":true,\"amber\":76,\"red\":70,"         \
	"\"days\":[{\"day\":\"2026-11-01\",\"value\":71,\"status\":\"amber\"},"                   \
	"{\"day\":\"2026-11-02\",\"value\":null,\"status\":null},"                                \
	"{\"day\":\"2026-11-03\",\"value\":80,\"status\":\"green\"}],"                             \
	"\"counts\":{\"green\":1,\"amber\":1,\"red\":0,\"none\":1},\"goal\":null}]}]}"

#define GOAL_JSON                                                                             \
	"{\"from\":\"2026-11-01\",\"to\":\"2026-11-03\",\"levels\":[],"                            \
	"\"stages\":[{\"key\":\"ed\",\"label\":\"Emergency department\",\"metrics\":["           \
	"{\"partner\":\"acute\",\"metric\":\"ed.four_hour\",\"site\":\"NGH\","                   \
	"\"metric_label\":\"4-hour performance\",\"partner_label\":\"Acute\","                    \
	"\"site_label\":\"Northgate\",\"unit\":\"%\",\"decimals\":1,\"higher_is_better\":true,"    \
	"\"days\":[{\"day\":\"2026-11-01\",\"value\":71,\"status\":\"red\",\"expected\":70},"     \
	"{\"day\":\"2026-11-02\",\"value\":70.5,\"status\":\"red\",\"expected\":71},"             \
	"{\"day\":\"2026-11-03\",\"value\":80,\"status\":\"green\",\"expected\":72}],"            \
	"\"counts\":{\"green\":1,\"amber\":0,\"red\":2,\"none\":0},"                              \
	"\"goal\":{\"target\":78,\"baseline\":70,\"starts_on\":\"2026-11-01\","                  \
	"\"ends_on\":\"2026-11-09\"},"                                                            \
	"\"attainment\":{\"on_track\":2,\"with_figure\":3,\"last_day\":\"2026-11-03\","           \
	"\"last_value\":80,\"target\":78,\"target_met\":true}}]}]}"

START_TEST(escapes_every_text)
{
	char *html = render(
		"{\"from\":\"<b>\",\"to\":\"2026-11-03\",\"generated_at\":\"<i>now</i>\","
		"\"stages\":[{\"key\":\"e\\\"d\",\"label\":\"<script>alert(1)</script>\",\"metrics\":["
		"{\"partner\":\"a\\\"><script>x()</script>\",\"metric\":\"m\",\"site\":\"'\","
		"\"metric_label\":\"<script>alert(2)</script> & co\",\"partner_label\":\"A&E <b>\","
		"\"site_label\":\"<img src=x onerror=y>\",\"unit\":\"<u>\",\"days\":["
		"{\"day\":\"<svg onload=z>\",\"value\":5,\"status\":\"<x>\"}],"
		"\"goal\":null}]}],\"actions\":{\"overdue\":[{\"title\":\"<script>t()</script>\","
		"\"owner_name\":\"<o>\",\"due_on\":\"<d>\"}],\"owners\":[{\"owner\":\"\\\"\","
		"\"owner_name\":\"<n>\",\"opened\":1}]}}");

	ck_assert_msg(!contains_nocase(html, "<script"), "%s", html);
	ck_assert(!contains_nocase(html, "<img"));
	ck_assert(!contains_nocase(html, "<svg onload"));
	ck_assert(!strstr(html, "<b>") && !strstr(html, "<i>") && !strstr(html, "<u>"));
	ck_assert(!strstr(html, "<o>") && !strstr(html, "<n>") && !strstr(html, "<d>"));
	ck_assert(strstr(html, "&lt;script&gt;alert(2)&lt;/script&gt; &amp; co"));
	ck_assert(strstr(html, "A&amp;E &lt;b&gt;"));
	ck_assert(strstr(html, "data-stage=\"e&quot;d\""));
	ck_assert(strstr(html, "data-partner=\"a&quot;&gt;&lt;script&gt;"));
	ck_assert(strstr(html, "data-site=\"&#39;\""));
	/* a status that is not one of ours is never echoed as a class */
	ck_assert(strstr(html, "data-status=\"none\""));
	free(html);
}
END_TEST

START_TEST(empty_report_is_a_whole_page)
{
	char *html = render("{}");

	ck_assert(!strncmp(html, "<!DOCTYPE html>", 15));
	ck_assert(strstr(html, "</html>"));
	ck_assert(strstr(html, "@page{size:A4 landscape"));
	ck_assert_uint_eq(occurrences(html, "<section class=\"summary\""), 1);
	ck_assert_uint_eq(occurrences(html, "<section class=\"stage\""), 0);
	ck_assert(strstr(html, "data-figure=\"no_measures\""));
	ck_assert(strstr(html, "<span data-figure=\"alerts_fired\">0</span>"));
	ck_assert(strstr(html, "<span data-figure=\"actions_overdue\">0</span>"));
	free(html);

	/* not an object at all, and a stage with no measures: still a page, no stage pages */
	for (int i = 0; i < 2; i++) {
		json_t *doc = i ? json_loads("{\"stages\":[{\"key\":\"ed\",\"metrics\":[]},7,null]}",
					     0, NULL)
				: json_array();
		html = cc_report_html(doc, NULL);
		ck_assert(strstr(html, "</html>"));
		ck_assert_uint_eq(occurrences(html, "<section class=\"stage\""), 0);
		free(html);
		json_decref(doc);
	}
	html = cc_report_html(NULL, NULL);
	ck_assert(strstr(html, "</html>"));
	free(html);
}
END_TEST

START_TEST(measure_without_goal)
{
	char *html = render(NO_GOAL_JSON);

	ck_assert_uint_eq(occurrences(html, "<section class=\"stage\" data-stage=\"ed\">"), 1);
	ck_assert(strstr(html, "break-before:page"));
	ck_assert_uint_eq(occurrences(html, "<div class=\"metric\""), 1);
	ck_assert(strstr(html, "<h3>4-hour performance</h3><p class=\"where\">Acute</p>"));
	/* the gap on 2 Nov splits the line in two runs; a point on each day with a figure */
	ck_assert_uint_eq(occurrences(html, "<polyline class=\"v\""), 2);
	ck_assert_uint_eq(occurrences(html, " data-status="), 2);
	ck_assert(strstr(html, "data-day=\"2026-11-01\" data-value=\"71.0\" data-status=\"amber\""));
	ck_assert(strstr(html, "data-day=\"2026-11-03\" data-value=\"80.0\" data-status=\"green\""));
	ck_assert(strstr(html, "<rect class=\"pt amber\""));   /* shape, not colour alone */
	ck_assert(strstr(html, "<circle class=\"pt green\""));
	ck_assert(strstr(html, "<line class=\"thr amber\""));
	ck_assert(strstr(html, "<line class=\"thr red\""));
	ck_assert(!strstr(html, "<polyline class=\"traj\""));
	/* the legend draws one of each mark; the chart draws no target */
	ck_assert_uint_eq(occurrences(html, "class=\"tgt\""), 1);
	ck_assert(strstr(html, "No agreed goal."));
	ck_assert(strstr(html, "<span data-figure=\"days_green\">1</span> green"));
	ck_assert(strstr(html, "<span data-figure=\"days_amber\">1</span> amber"));
	ck_assert(strstr(html, "<span data-figure=\"days_red\">0</span> red"));
	ck_assert(strstr(html, "<span data-figure=\"days_none\">1</span> no figure"));
	/* summary: alerts and the level strip */
	ck_assert(strstr(html, "<span data-figure=\"alerts_fired\">3</span>"));
	ck_assert(strstr(html, "<span data-figure=\"median_ack_minutes\">12.5</span>"));
	ck_assert(strstr(html, "<span data-figure=\"alerts_unacknowledged\">1</span>"));
	ck_assert(strstr(html, "data-day=\"2026-11-01\" data-level=\"2\""));
	ck_assert(strstr(html, "data-day=\"2026-11-02\" data-level=\"4\""));
	ck_assert(strstr(html, "data-day=\"2026-11-03\" data-level=\"\""));
	ck_assert(strstr(html, "<span data-figure=\"level4_days\">1</span>"));
	ck_assert(strstr(html, "<span data-figure=\"level_unknown_days\">1</span>"));
	free(html);
}
END_TEST

START_TEST(measure_with_goal)
{
	char *html = render(GOAL_JSON);

	ck_assert(strstr(html, "<h3>4-hour performance</h3><p class=\"where\">at Northgate - Acute"
			      "</p>"));
	ck_assert_uint_eq(occurrences(html, "<polyline class=\"traj\""), 1);
	ck_assert_uint_eq(occurrences(html, "class=\"tgt\""), 2);   /* the legend's and the chart's */
	ck_assert(strstr(html, ">target 78.0%</text>"));
	ck_assert_uint_eq(occurrences(html, "<path class=\"pt red\""), 1 + 2);
	ck_assert(strstr(html, "On or better than trajectory on <span data-figure=\"on_track\">2"
			      "</span> of <span data-figure=\"with_figure\">3</span> days."));
	ck_assert(strstr(html, "Last 80.0% (3 Nov), target 78.0% by 9 Nov 2026"));
	ck_assert(strstr(html, "data-value=\"yes\">2.0 points better</span>"));
	/* the summary lists the goal */
	ck_assert(strstr(html, "<table class=\"goals\">"));
	ck_assert(!strstr(html, "No agreed goal."));
	free(html);
}
END_TEST

START_TEST(nothing_from_outside)
{
	char *html = render(GOAL_JSON);

	ck_assert(!contains_nocase(html, "<script"));
	ck_assert(!contains_nocase(html, "src="));
	ck_assert(!contains_nocase(html, "href="));
	ck_assert(!contains_nocase(html, "url("));
	ck_assert(!contains_nocase(html, "@import"));
	ck_assert(!contains_nocase(html, "<link"));
	free(html);
	ck_assert(strstr(CC_REPORT_CSP, "default-src 'none'"));
	ck_assert(!strstr(CC_REPORT_CSP, "script-src"));
}
END_TEST

START_TEST(days_are_real_dates)
{
	long d;

	ck_assert(cc_report_parse_day("1970-01-01", &d) && d == 0);
	ck_assert(cc_report_parse_day("2026-11-01", &d) && d == 20758);
	ck_assert(cc_report_parse_day("2024-02-29", NULL));
	ck_assert(!cc_report_parse_day("2026-02-29", NULL));
	ck_assert(!cc_report_parse_day("2100-02-29", NULL));
	ck_assert(cc_report_parse_day("2000-02-29", NULL));
	ck_assert(!cc_report_parse_day("2026-02-30", NULL));
	ck_assert(!cc_report_parse_day("2026-13-01", NULL));
	ck_assert(!cc_report_parse_day("2026-1-01", NULL));
	ck_assert(!cc_report_parse_day("2026-11-01x", NULL));
	ck_assert(!cc_report_parse_day("", NULL));
	ck_assert(!cc_report_parse_day(NULL, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("html");

	tcase_add_test(tc, escapes_every_text);
	tcase_add_test(tc, empty_report_is_a_whole_page);
	tcase_add_test(tc, measure_without_goal);
	tcase_add_test(tc, measure_with_goal);
	tcase_add_test(tc, nothing_from_outside);
	tcase_add_test(tc, days_are_real_dates);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
