/* The meeting's bodies (action.c): what a manager may send for an action or a huddle, the words
 * when it is refused, the list's filters and the CSV export. */
#include "action.h"
#include "check_main.h"

#include <check.h>
#include <jansson.h>
#include <string.h>

static json_t *body(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	ck_assert_msg(j != NULL, "test body does not parse: %s", text);
	return j;
}

static const char *new_error(const char *text)
{
	static char err[300];
	struct cc_action_new a;
	json_t *j = body(text);
	int rc = cc_action_new_parse(j, &a, err, sizeof err);

	json_decref(j);
	return rc ? err : NULL;
}

static const char *change_error(const char *text)
{
	static char err[300];
	struct cc_action_change c;
	json_t *j = body(text);
	int rc = cc_action_change_parse(j, &c, err, sizeof err);

	json_decref(j);
	return rc ? err : NULL;
}

#define GOOD "\"title\":\"Open escalation beds\",\"owner\":\"ann\",\"due_on\":\"2026-12-24\""

START_TEST(dates_must_exist)
{
	ck_assert(cc_action_date_valid("2026-12-24"));
	ck_assert(cc_action_date_valid("2028-02-29"));
	ck_assert(cc_action_date_valid("2000-02-29"));
	ck_assert(!cc_action_date_valid("2100-02-29"));
	ck_assert(!cc_action_date_valid("2026-02-29"));
	ck_assert(!cc_action_date_valid("2026-04-31"));
	ck_assert(!cc_action_date_valid("2026-13-01"));
	ck_assert(!cc_action_date_valid("2026-00-10"));
	ck_assert(!cc_action_date_valid("2026-12-00"));
	ck_assert(!cc_action_date_valid("2026-12-1"));
	ck_assert(!cc_action_date_valid("2026-12-01T00"));
	ck_assert(!cc_action_date_valid("26-12-2026"));
	ck_assert(!cc_action_date_valid("1999-12-31"));
	ck_assert(!cc_action_date_valid("2026/12/24"));
	ck_assert(!cc_action_date_valid(""));
	ck_assert(!cc_action_date_valid(NULL));
}
END_TEST

START_TEST(a_new_action_is_parsed)
{
	struct cc_action_new a;
	char err[300];
	json_t *j = body("{" GOOD ",\"partner\":\"acute\",\"metric\":\"ed.four_hour_performance\","
			 "\"site\":\"RXX01\",\"huddle_id\":7}");

	ck_assert_int_eq(cc_action_new_parse(j, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.title, "Open escalation beds");
	ck_assert_str_eq(a.owner, "ann");
	ck_assert_str_eq(a.partner, "acute");
	ck_assert_str_eq(a.metric, "ed.four_hour_performance");
	ck_assert_str_eq(a.site, "RXX01");
	ck_assert_str_eq(a.due_on, "2026-12-24");
	ck_assert_int_eq(a.huddle_id, 7);
	json_decref(j);

	/* about the whole system: no partner, and empty strings count as none */
	j = body("{" GOOD ",\"partner\":\"\",\"metric\":null,\"huddle_id\":null}");
	ck_assert_int_eq(cc_action_new_parse(j, &a, err, sizeof err), 0);
	ck_assert_ptr_null(a.partner);
	ck_assert_ptr_null(a.metric);
	ck_assert_ptr_null(a.site);
	ck_assert_int_eq(a.huddle_id, 0);
	json_decref(j);
}
END_TEST

START_TEST(a_new_action_is_refused_in_words)
{
	ck_assert_ptr_null(new_error("{" GOOD "}"));
	ck_assert_str_eq(new_error("[]"), "the body must be a JSON object");
	ck_assert_str_eq(new_error("{" GOOD ",\"colour\":\"red\"}"), "unknown field 'colour'");
	ck_assert_str_eq(new_error("{\"owner\":\"ann\",\"due_on\":\"2026-12-24\"}"),
			 "title must say what is to be done, in 1 to 200 characters");
	ck_assert_str_eq(new_error("{\"title\":\"  \\n\",\"owner\":\"ann\",\"due_on\":\"2026-12-24\"}"),
			 "title must say what is to be done, in 1 to 200 characters");
	ck_assert_str_eq(new_error("{\"title\":\"x\",\"owner\":\"Ann Smith\",\"due_on\":\"2026-12-24\"}"),
			 "owner must be a person of the rota, given by their name there "
			 "(e.g. \"j.smith\")");
	ck_assert_str_eq(new_error("{\"title\":\"x\",\"owner\":\"ann\",\"due_on\":\"2026-02-30\"}"),
			 "due_on must be a date that exists, written YYYY-MM-DD (e.g. 2026-12-24)");
	ck_assert_str_eq(new_error("{\"title\":\"x\",\"owner\":\"ann\"}"),
			 "due_on must be a date that exists, written YYYY-MM-DD (e.g. 2026-12-24)");
	ck_assert_str_eq(new_error("{" GOOD ",\"metric\":\"ed.x\"}"),
			 "metric needs its partner: say whose measure it is");
	ck_assert_str_eq(new_error("{" GOOD ",\"site\":\"RXX01\"}"),
			 "site needs its partner: say whose site it is");
	ck_assert_str_eq(new_error("{" GOOD ",\"partner\":7}"),
			 "partner must be text of at most 63 characters");
	ck_assert_str_eq(new_error("{" GOOD ",\"huddle_id\":\"7\"}"),
			 "huddle_id must be the number of a huddle");
	ck_assert_str_eq(new_error("{" GOOD ",\"huddle_id\":0}"),
			 "huddle_id must be the number of a huddle");
}
END_TEST

START_TEST(title_length_counts_characters)
{
	char text[1200], *p;

	/* 200 two-byte characters are 400 bytes and still a good title */
	p = text + sprintf(text, "{\"owner\":\"ann\",\"due_on\":\"2026-12-24\",\"title\":\"");
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "\xC3\xA9");
	strcpy(p, "\"}");
	ck_assert_ptr_null(new_error(text));
	strcpy(p, "\xC3\xA9\"}");
	ck_assert_ptr_nonnull(new_error(text));
}
END_TEST

START_TEST(a_change_is_parsed_and_refused_in_words)
{
	struct cc_action_change c;
	char err[300];
	json_t *j = body("{\"status\":\"in_progress\",\"text\":\"Called the bed bureau\","
			 "\"due_on\":\"2026-12-31\",\"owner\":\"bob\",\"title\":\"Beds\"}");

	ck_assert_int_eq(cc_action_change_parse(j, &c, err, sizeof err), 0);
	ck_assert_str_eq(c.status, "in_progress");
	ck_assert_str_eq(c.text, "Called the bed bureau");
	ck_assert_str_eq(c.due_on, "2026-12-31");
	ck_assert_str_eq(c.owner, "bob");
	ck_assert_str_eq(c.title, "Beds");
	json_decref(j);
	j = body("{\"text\":\"a note alone\"}");
	ck_assert_int_eq(cc_action_change_parse(j, &c, err, sizeof err), 0);
	ck_assert_ptr_null(c.status);
	ck_assert_str_eq(c.due_on, "");
	json_decref(j);

	ck_assert_str_eq(change_error("{\"status\":\"closed\"}"),
			 "status must be open, in_progress, done or dropped");
	ck_assert_str_eq(change_error("{\"status\":null}"),
			 "status must be open, in_progress, done or dropped");
	ck_assert_str_eq(change_error("{}"), "nothing to record: give a status, an update's text, "
			 "or a new title, owner or due_on");
	ck_assert_str_eq(change_error("{\"text\":\"   \"}"), "nothing to record: give a status, an "
			 "update's text, or a new title, owner or due_on");
	ck_assert_str_eq(change_error("{\"due_on\":\"tomorrow\"}"),
			 "due_on must be a date that exists, written YYYY-MM-DD (e.g. 2026-12-24)");
	ck_assert_str_eq(change_error("{\"title\":\"\"}"),
			 "title must say what is to be done, in 1 to 200 characters");
	ck_assert_str_eq(change_error("{\"owner\":\"\"}"), "owner must be a person of the rota, "
			 "given by their name there (e.g. \"j.smith\")");
	ck_assert_str_eq(change_error("{\"partner\":\"acute\"}"), "unknown field 'partner'");
	ck_assert_str_eq(change_error("{\"text\":5}"),
			 "text must be text of at most 2000 characters");
}
END_TEST

START_TEST(huddle_bodies)
{
	struct cc_huddle_change h;
	char err[300];
	json_t *j;

	ck_assert_int_eq(cc_huddle_change_parse(NULL, true, &h, err, sizeof err), 0);
	ck_assert_ptr_null(h.notes);
	ck_assert_int_eq(cc_huddle_change_parse(NULL, false, &h, err, sizeof err), -1);
	j = body("{\"end\":true,\"notes\":\"Beds short at Southgate\"}");
	ck_assert_int_eq(cc_huddle_change_parse(j, false, &h, err, sizeof err), 0);
	ck_assert(h.end);
	ck_assert_str_eq(h.notes, "Beds short at Southgate");
	ck_assert_int_eq(cc_huddle_change_parse(j, true, &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "unknown field 'end'");
	json_decref(j);
	j = body("{\"end\":false}");
	ck_assert_int_eq(cc_huddle_change_parse(j, false, &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "end must be true (a huddle cannot be reopened)");
	json_decref(j);
	j = body("{}");
	ck_assert_int_eq(cc_huddle_change_parse(j, false, &h, err, sizeof err), -1);
	ck_assert_str_eq(err, "nothing to record: give \"end\": true, notes, or both");
	json_decref(j);
}
END_TEST

START_TEST(status_filters_and_ids)
{
	char out[64], err[200];

	ck_assert_int_eq(cc_action_statuses_parse("open,in_progress", out, sizeof out, err,
						  sizeof err), 0);
	ck_assert_str_eq(out, "{open,in_progress}");
	ck_assert_int_eq(cc_action_statuses_parse("done", out, sizeof out, err, sizeof err), 0);
	ck_assert_str_eq(out, "{done}");
	ck_assert_int_eq(cc_action_statuses_parse("open,late", out, sizeof out, err, sizeof err),
			 -1);
	ck_assert_str_eq(err, "status= must list open, in_progress, done or dropped, separated "
			 "by commas");
	ck_assert_int_eq(cc_action_statuses_parse("", out, sizeof out, err, sizeof err), -1);
	ck_assert_int_eq(cc_action_statuses_parse("open,,done", out, sizeof out, err, sizeof err),
			 -1);
	/* {"} would be an injection into the array literal if it got through */
	ck_assert_int_eq(cc_action_statuses_parse("open\"}", out, sizeof out, err, sizeof err), -1);
	ck_assert_int_eq(cc_action_statuses_parse("open,open,open,open,open,open,open,open,open,"
						  "open,open,open,open", out, sizeof out, err,
						  sizeof err), -1);

	ck_assert_int_eq(cc_action_id("17"), 17);
	ck_assert_int_eq(cc_action_id("017"), 0);
	ck_assert_int_eq(cc_action_id("17/x"), 0);
	ck_assert_int_eq(cc_action_id(""), 0);
	ck_assert_int_eq(cc_action_id("-1"), 0);
	ck_assert_int_eq(cc_action_id("9999999999999"), 0);
}
END_TEST

START_TEST(csv_quotes_as_rfc4180_says)
{
	json_t *list = body("[{\"id\":3,\"title\":\"Beds, \\\"now\\\"\\nplease\",\"status\":\"open\","
			    "\"due_on\":\"2026-12-24\",\"owner\":\"ann\",\"owner_name\":\"Ann Smith\","
			    "\"partner\":null,\"huddle_id\":null,\"last_update\":{\"at\":\"t\","
			    "\"by\":\"mona\",\"status\":null,\"text\":\"rang, twice\"}},"
			    "{\"id\":4,\"title\":\"plain\",\"last_update\":null}]");
	char *csv = cc_action_csv(list);
	char *nl = strstr(csv, "\r\n");

	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(strncmp(csv, "id,title,status,due_on,owner,owner_name,partner,"
				 "partner_label,metric,metric_label,site,site_label,huddle_id,"
				 "created_by,created_at,updated_at,closed_at,last_update_at,"
				 "last_update_by,last_update_status,last_update_text\r\n",
				 (size_t)(nl - csv) + 2), 0);
	ck_assert_str_eq(nl + 2, "3,\"Beds, \"\"now\"\"\nplease\",open,2026-12-24,ann,Ann Smith,"
			 ",,,,,,,,,,,t,mona,,\"rang, twice\"\r\n"
			 "4,plain,,,,,,,,,,,,,,,,,,,\r\n");
	free(csv);
	json_decref(list);
	list = json_array();
	csv = cc_action_csv(list);
	ck_assert_int_eq((int)strlen(csv), (int)(strstr(csv, "\r\n") - csv) + 2);
	free(csv);
	json_decref(list);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("action");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, dates_must_exist);
	tcase_add_test(tc, a_new_action_is_parsed);
	tcase_add_test(tc, a_new_action_is_refused_in_words);
	tcase_add_test(tc, title_length_counts_characters);
	tcase_add_test(tc, a_change_is_parsed_and_refused_in_words);
	tcase_add_test(tc, huddle_bodies);
	tcase_add_test(tc, status_filters_and_ids);
	tcase_add_test(tc, csv_quotes_as_rfc4180_says);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
