#include "check_main.h"
#include "rowcheck.h"
#include "utf8.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795723200000LL   /* 2026-11-26T20:00:00Z */

static struct cc_row good_row(void)
{
	struct cc_row row;

	memset(&row, 0, sizeof row);
	row.id = 7;
	row.metric = "ed.four_hour_performance";
	row.site = "RXX01";
	row.value_text = "76.5";
	row.value = 76.5;
	row.observed_ms = NOW - 60000;
	return row;
}

static void refused(const struct cc_row *row, enum cc_row_fault want, const char *words)
{
	char why[256];

	ck_assert_int_eq(cc_rowcheck_fault(row, NOW, why, sizeof why), want);
	ck_assert(!cc_rowcheck(row, NOW, why, sizeof why));
	ck_assert_msg(strstr(why, words) != NULL, "reason '%s' lacks '%s'", why, words);
	ck_assert(cc_utf8_valid(why, strlen(why)));
}

START_TEST(good_rows_pass)
{
	struct cc_row row = good_row();
	char why[64] = "x";

	ck_assert(cc_rowcheck(&row, NOW, why, sizeof why));
	ck_assert_str_eq(why, "");
	row.site = "";
	row.observed_ms = NOW + 4 * 60000;
	ck_assert(cc_rowcheck(&row, NOW, why, sizeof why));
	row.site = "Saint-\xC3\x89tienne \xE2\x80\x94 \xF0\x9F\x8F\xA5";
	row.observed_ms = CC_ROW_MIN_OBSERVED_MS;
	ck_assert(cc_rowcheck(&row, NOW, NULL, 0));
}
END_TEST

START_TEST(times_out_of_range)
{
	struct cc_row row = good_row();

	row.observed_null = true;    /* NULL or 'infinity' */
	refused(&row, CC_ROW_BAD_TIME, "not a finite time");
	row = good_row();
	row.observed_ms = -62198755200000LL;   /* 0001-01-01 BC */
	refused(&row, CC_ROW_BAD_TIME, "before the year 2000");
	row.observed_ms = -55662192000000LL;   /* 0200-01-01 */
	refused(&row, CC_ROW_BAD_TIME, "before the year 2000");
	row.observed_ms = 0;                   /* the epoch: a default, not a time */
	refused(&row, CC_ROW_BAD_TIME, "before the year 2000");
	row.observed_ms = INT64_MIN;
	refused(&row, CC_ROW_BAD_TIME, "before the year 2000");
	row.observed_ms = NOW + 6 * 60000;
	refused(&row, CC_ROW_FUTURE, "future");
	row.observed_ms = INT64_MAX;
	refused(&row, CC_ROW_FUTURE, "future");
	row.observed_ms = NOW;
	ck_assert_int_eq(cc_rowcheck_fault(&row, INT64_MAX, NULL, 0), CC_ROW_FUTURE);
}
END_TEST

START_TEST(values_must_be_numbers)
{
	struct cc_row row = good_row();

	row.value_null = true;
	refused(&row, CC_ROW_NULL_VALUE, "NULL");
	row = good_row();
	row.value = NAN;
	refused(&row, CC_ROW_NONFINITE, "not finite");
	row.value = -INFINITY;
	refused(&row, CC_ROW_NONFINITE, "not finite");
}
END_TEST

START_TEST(text_must_be_utf8_and_short)
{
	struct cc_row row = good_row();
	char longsite[CC_ROW_MAX_TEXT + 2];

	row.site = "ward \xFF";
	refused(&row, CC_ROW_BAD_TEXT, "site is not valid UTF-8 (byte 0xFF at offset 5)");
	row.site = "caf\xC3";                  /* cut inside a character */
	refused(&row, CC_ROW_BAD_TEXT, "site is not valid UTF-8");
	row.site = "\xED\xA0\x80";             /* a surrogate */
	refused(&row, CC_ROW_BAD_TEXT, "site is not valid UTF-8");
	row.site = "\xC0\xAF";                 /* overlong '/' */
	refused(&row, CC_ROW_BAD_TEXT, "site is not valid UTF-8");
	row = good_row();
	row.metric = "ed.\x80";
	refused(&row, CC_ROW_BAD_TEXT, "metric is not valid UTF-8");
	row.metric = NULL;
	refused(&row, CC_ROW_BAD_TEXT, "metric is NULL");
	row = good_row();
	memset(longsite, 'a', sizeof longsite - 1);
	longsite[sizeof longsite - 1] = '\0';
	row.site = longsite;
	refused(&row, CC_ROW_BAD_TEXT, "at most 200");
	longsite[CC_ROW_MAX_TEXT] = '\0';
	ck_assert(cc_rowcheck(&row, NOW, NULL, 0));
	/* bad text wins over a bad value: the reason must not depend on the text itself */
	row.site = "\xFF";
	row.value_null = true;
	refused(&row, CC_ROW_BAD_TEXT, "site");
}
END_TEST

START_TEST(clean_text_is_storable)
{
	char *c = cc_rowcheck_clean("ward \xFF\xC3 caf\xC3\xA9", 100);
	char big[3000];

	ck_assert_str_eq(c, "ward \\xFF\\xC3 caf\xC3\xA9");
	free(c);
	ck_assert_ptr_null(cc_rowcheck_clean(NULL, 10));
	memset(big, '\xFF', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	c = cc_rowcheck_clean(big, 1000);
	ck_assert(strlen(c) <= 1000);
	ck_assert(cc_utf8_valid(c, strlen(c)));
	free(c);
	c = cc_rowcheck_clean("\xE2\x82\xAC\xE2\x82\xAC", 4);   /* cut between characters */
	ck_assert(cc_utf8_valid(c, strlen(c)));
	ck_assert(strlen(c) <= 4);
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rowcheck");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, good_rows_pass);
	tcase_add_test(tc, times_out_of_range);
	tcase_add_test(tc, values_must_be_numbers);
	tcase_add_test(tc, text_must_be_utf8_and_short);
	tcase_add_test(tc, clean_text_is_storable);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
