/* Tokens, cookies and threshold validation: the pure parts of signing in and changing things. */
#include "catalog.h"
#include "check_main.h"
#include "secret.h"
#include "threshold.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(tokens_are_random_and_well_formed)
{
	char a[CC_SECRET_TEXT_LEN + 1], b[CC_SECRET_TEXT_LEN + 1];

	cc_secret_new(a, sizeof a);
	cc_secret_new(b, sizeof b);
	ck_assert_uint_eq(strlen(a), CC_SECRET_TEXT_LEN);
	ck_assert(cc_secret_well_formed(a));
	ck_assert_str_ne(a, b);
	ck_assert(!cc_secret_well_formed(""));
	ck_assert(!cc_secret_well_formed("short"));
	a[5] = '=';
	ck_assert(!cc_secret_well_formed(a));
}
END_TEST

START_TEST(token_hash_is_sha256_hex)
{
	char h[CC_SECRET_HASH_LEN + 1];

	/* the same as PostgreSQL's encode(sha256('abc'), 'hex'), which scripts/demo uses */
	cc_secret_hash("abc", h, sizeof h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(secret_equal)
{
	ck_assert(cc_secret_equal("abc", "abc"));
	ck_assert(!cc_secret_equal("abc", "abd"));
	ck_assert(!cc_secret_equal("abc", "abcd"));
}
END_TEST

START_TEST(cookie_values)
{
	char v[64];

	ck_assert(cc_cookie_get("a=1; commcell_session=xyz; b=2", "commcell_session", v, sizeof v));
	ck_assert_str_eq(v, "xyz");
	ck_assert(cc_cookie_get("commcell_session=\"q\"", "commcell_session", v, sizeof v));
	ck_assert_str_eq(v, "q");
	ck_assert(!cc_cookie_get("xcommcell_session=1", "commcell_session", v, sizeof v));
	ck_assert(!cc_cookie_get("commcell_sessionx=1", "commcell_session", v, sizeof v));
	ck_assert(!cc_cookie_get("", "commcell_session", v, sizeof v));
	ck_assert(!cc_cookie_get(NULL, "commcell_session", v, sizeof v));
	/* longer than anything we issue: refused rather than cut */
	ck_assert(!cc_cookie_get("commcell_session=0123456789", "commcell_session", v, 5));
}
END_TEST

static struct cc_catalog *catalog(void)
{
	struct cc_catalog *cat = cc_catalog_create();
	struct cc_metric_def *m = cc_catalog_add_metric(cat);

	m->partner = strdup("acute");
	m->key = strdup("ed.four_hour_performance");
	m->label = strdup("ED 4-hour performance");
	m->higher_is_better = true;
	m = cc_catalog_add_metric(cat);
	m->partner = strdup("acute");
	m->key = strdup("beds.occupancy");
	m->label = strdup("Bed occupancy");
	m->higher_is_better = false;
	return cat;
}

static int check(const char *json, struct cc_threshold_change *c, char *field, char *msg)
{
	struct cc_catalog *cat = catalog();
	json_t *body = json_loads(json, JSON_DECODE_ANY, NULL);
	int rc;

	ck_assert_msg(body != NULL, "bad test JSON %s", json);
	rc = cc_threshold_parse(body, cat, c, field, 64, msg, 300);
	json_decref(body);
	cc_catalog_destroy(cat);
	return rc;
}

START_TEST(threshold_good)
{
	struct cc_threshold_change c;
	char field[64], msg[300];

	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"ed.four_hour_performance\","
			       "\"amber\":95,\"red\":76.5,\"hysteresis\":1,\"min_duration_s\":300}",
			       &c, field, msg), 0);
	ck_assert(!c.has_site);
	ck_assert(c.has_amber && c.has_red);
	ck_assert(c.amber == 95 && c.red == 76.5 && c.hysteresis == 1 && c.min_duration_s == 300);
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"site\":\"NGH\","
			       "\"amber\":null,\"red\":97}", &c, field, msg), 0);
	ck_assert(c.has_site && !strcmp(c.site, "NGH") && !c.has_amber && c.has_red);
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"site\":\"NGH\","
			       "\"clear\":true}", &c, field, msg), 0);
	ck_assert(c.clear);
}
END_TEST

START_TEST(threshold_bad)
{
	struct cc_threshold_change c;
	char field[64], msg[300];

	/* red above amber where higher is better */
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"ed.four_hour_performance\","
			       "\"amber\":90,\"red\":95}", &c, field, msg), -1);
	ck_assert_str_eq(field, "red");
	ck_assert_msg(strstr(msg, "at or below amber"), "%s", msg);
	/* red below amber where lower is better */
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\","
			       "\"amber\":95,\"red\":90}", &c, field, msg), -1);
	ck_assert_str_eq(field, "red");
	/* unknown metric, unknown partner */
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"nope\",\"amber\":1,\"red\":2}",
			       &c, field, msg), -1);
	ck_assert_str_eq(field, "metric");
	ck_assert_int_eq(check("{\"partner\":\"x\",\"metric\":\"beds.occupancy\",\"amber\":1,"
			       "\"red\":2}", &c, field, msg), -1);
	/* not numbers, missing line, negative hysteresis, bad duration, unknown field */
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\","
			       "\"amber\":\"90\",\"red\":95}", &c, field, msg), -1);
	ck_assert_str_eq(field, "amber");
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"red\":95}",
			       &c, field, msg), -1);
	ck_assert_str_eq(field, "amber");
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"amber\":90,"
			       "\"red\":95,\"hysteresis\":-1}", &c, field, msg), -1);
	ck_assert_str_eq(field, "hysteresis");
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"amber\":90,"
			       "\"red\":95,\"hysteresis\":5}", &c, field, msg), -1);
	ck_assert_str_eq(field, "hysteresis");
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"amber\":90,"
			       "\"red\":95,\"min_duration_s\":1.5}", &c, field, msg), -1);
	ck_assert_str_eq(field, "min_duration_s");
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"amber\":90,"
			       "\"red\":95,\"min_duration_s\":90000}", &c, field, msg), -1);
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"amber\":90,"
			       "\"red\":95,\"colour\":1}", &c, field, msg), -1);
	ck_assert_str_eq(field, "colour");
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"clear\":true}",
			       &c, field, msg), -1);
	ck_assert_str_eq(field, "site");
	ck_assert_int_eq(check("[1]", &c, field, msg), -1);
	ck_assert_int_eq(check("{\"partner\":\"acute\",\"metric\":\"beds.occupancy\",\"amber\":1e300,"
			       "\"red\":2e300}", &c, field, msg), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	if (cc_secret_init())
		return EXIT_FAILURE;
	tcase_add_test(tc, tokens_are_random_and_well_formed);
	tcase_add_test(tc, token_hash_is_sha256_hex);
	tcase_add_test(tc, secret_equal);
	tcase_add_test(tc, cookie_values);
	tcase_add_test(tc, threshold_good);
	tcase_add_test(tc, threshold_bad);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
