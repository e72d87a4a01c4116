#include "check_main.h"
#include "timeparse.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The parser must not read a byte past the text: each case is copied into a heap block of
 * exactly its length, so ASan reports any read beyond it. */
static bool parse(const char *text, int64_t *ms, char *err, size_t errlen)
{
	size_t n = strlen(text) + 1;
	char *copy = malloc(n);
	bool ok;

	memcpy(copy, text, n);
	ok = cc_timeparse(copy, ms, err, errlen);
	free(copy);
	return ok;
}

static int64_t good(const char *text)
{
	int64_t ms = -1;
	char err[128];

	ck_assert_msg(parse(text, &ms, err, sizeof err), "%s refused: %s", text, err);
	return ms;
}

static void bad(const char *text)
{
	int64_t ms = 12345;
	char err[128] = "";

	ck_assert_msg(!parse(text, &ms, err, sizeof err), "%s accepted as %lld", text,
		      (long long)ms);
	ck_assert_msg(err[0] != '\0', "%s refused without a reason", text);
	ck_assert_int_eq(ms, 12345);
}

START_TEST(iso_times_with_zones)
{
	ck_assert_int_eq(good("2026-11-26T20:00:00Z"), 1795723200000LL);
	ck_assert_int_eq(good("2026-11-26T20:00Z"), 1795723200000LL);
	ck_assert_int_eq(good("2026-11-26T20:00:00.5Z"), 1795723200500LL);
	ck_assert_int_eq(good("2026-11-26T20:00:00.123456789Z"), 1795723200123LL);
	ck_assert_int_eq(good("2026-11-26T21:30:00+01:30"), 1795723200000LL);
	ck_assert_int_eq(good("2026-11-26T18:00:00-02:00"), 1795723200000LL);
	ck_assert_int_eq(good("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(good("1969-12-31T23:59:59.999Z"), -1);
	ck_assert_int_eq(good("2024-02-29T00:00:00Z"), 1709164800000LL);
	ck_assert_int_eq(good("2000-02-29T00:00:00Z"), 951782400000LL);
	ck_assert_int_eq(good("0001-01-01T00:00:00Z"), CC_TIME_MIN_MS);
	ck_assert_int_eq(good("9999-12-31T23:59:59.999Z"), CC_TIME_MAX_MS);
}
END_TEST

START_TEST(epoch_milliseconds)
{
	ck_assert_int_eq(good("0"), 0);
	ck_assert_int_eq(good("1795723200000"), 1795723200000LL);
	ck_assert_int_eq(good("253402300799999"), CC_TIME_MAX_MS);
	bad("253402300800000");
	bad("99999999999999999999999999999999");
	bad("-5");
	bad("12 ");
}
END_TEST

START_TEST(short_and_broken_zones)
{
	bad("2026-01-01T00:00:00-1:2");
	bad("-1:2");
	bad("+");
	bad("-");
	bad("2026-01-01T00:00:00+");
	bad("2026-01-01T00:00:00+01");
	bad("2026-01-01T00:00:00+01:");
	bad("2026-01-01T00:00:00+01:0");
	bad("2026-01-01T00:00:00+0100");
	bad("2026-01-01T00:00:00+99:99");
	bad("2026-01-01T00:00:00+24:00");
	bad("2026-01-01T00:00:00+01:60");
	bad("2026-01-01T00:00:00+01:00x");
	bad("2026-01-01T00:00:00");
	bad("2026-01-01T00:00:00ZZ");
	bad("2026-01-01T00:00:00 01:00");
}
END_TEST

START_TEST(out_of_range_fields)
{
	bad("");
	bad("T");
	bad("2026-");
	bad("2026-01");
	bad("2026-01-01");
	bad("2026-01-01T");
	bad("2026-01-01T00");
	bad("2026-01-01T00:");
	bad("2026-01-01T00:00:");
	bad("2026-01-01T00:00:0Z");
	bad("2026-01-01T00:00:00.Z");
	bad("2026-01-01T00:00:00.1234567890Z");
	bad("2026-13-01T00:00:00Z");
	bad("2026-00-01T00:00:00Z");
	bad("2026-02-29T00:00:00Z");
	bad("1900-02-29T00:00:00Z");
	bad("2026-04-31T00:00:00Z");
	bad("2026-01-00T00:00:00Z");
	bad("2026-01-01T24:00:00Z");
	bad("2026-01-01T23:60:00Z");
	bad("2026-01-01T23:59:60Z");
	bad(" 2026-01-01T00:00:00Z");
	bad("+2026-01-01T00:00:00Z");
}
END_TEST

START_TEST(years_one_to_9999_only)
{
	bad("0000-01-01T00:00:00Z");
	bad("10000-01-01T00:00:00Z");
	bad("99999999999-01-01T00:00:00Z");
	bad("-0001-01-01T00:00:00Z");
	/* inside the years locally but outside them in UTC */
	bad("0001-01-01T00:00:00+01:00");
	bad("9999-12-31T23:30:00-01:00");
}
END_TEST

START_TEST(no_room_for_a_reason_is_fine)
{
	int64_t ms;

	ck_assert(!cc_timeparse("nonsense", &ms, NULL, 0));
	ck_assert(!cc_timeparse(NULL, &ms, NULL, 0));
}
END_TEST

START_TEST(calendar_days)
{
	long days;
	int y, m, d;

	ck_assert(cc_dateparse("1970-01-01", &days, &y, &m, &d) && days == 0);
	ck_assert(y == 1970 && m == 1 && d == 1);
	ck_assert(cc_dateparse("2026-12-03", &days, NULL, NULL, NULL) && days == 20790);
	ck_assert(cc_dateparse("1969-12-31", &days, NULL, NULL, NULL) && days == -1);
	ck_assert(cc_dateparse("2000-02-29", NULL, NULL, NULL, NULL));
	ck_assert(cc_dateparse("0001-01-01", NULL, NULL, NULL, NULL));
	ck_assert(cc_dateparse("9999-12-31", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2100-02-29", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026-02-30", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026-04-31", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("0000-01-01", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026-13-01", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026-1-01", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026-01-01 ", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026-01-0", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("2026/01/01", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse("", NULL, NULL, NULL, NULL));
	ck_assert(!cc_dateparse(NULL, NULL, NULL, NULL, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timeparse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, iso_times_with_zones);
	tcase_add_test(tc, epoch_milliseconds);
	tcase_add_test(tc, short_and_broken_zones);
	tcase_add_test(tc, out_of_range_fields);
	tcase_add_test(tc, years_one_to_9999_only);
	tcase_add_test(tc, no_room_for_a_reason_is_fine);
	tcase_add_test(tc, calendar_days);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
