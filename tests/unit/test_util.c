/* Time formatting: partner times far in the past or future still give a well-formed ISO 8601. */
#include "check_main.h"
#include "util.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

START_TEST(iso_times_are_fixed_width_and_clamped)
{
	char buf[32];

	cc_format_iso(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	cc_format_iso(-1, buf, sizeof buf);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
	cc_format_iso(1767225600123LL, buf, sizeof buf);
	ck_assert_str_eq(buf, "2026-01-01T00:00:00.123Z");
	/* year 200 is written with four digits, not "200-01-01" */
	cc_format_iso(-55824249600000LL, buf, sizeof buf);
	ck_assert_str_eq(buf, "0201-01-01T00:00:00.000Z");
	cc_format_iso(INT64_MIN, buf, sizeof buf);
	ck_assert_str_eq(buf, "0001-01-01T00:00:00.000Z");
	cc_format_iso(INT64_MAX, buf, sizeof buf);
	ck_assert_str_eq(buf, "9999-12-31T23:59:59.999Z");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, iso_times_are_fixed_width_and_clamped);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
