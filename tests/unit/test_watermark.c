#include "check_main.h"
#include "watermark.h"

#include <check.h>
#include <stdlib.h>

static struct cc_watermark *w;

static void setup(void)
{
	w = cc_watermark_create(1000, 100);
	cc_watermark_reset(w, 10);
}

static void teardown(void) { cc_watermark_destroy(w); }

START_TEST(contiguous_ids_advance)
{
	for (int64_t id = 11; id <= 15; id++)
		cc_watermark_add(w, id, 0);
	ck_assert_int_eq(cc_watermark_settle(w, 0), 0);
	ck_assert_int_eq(cc_watermark_low(w), 15);
	ck_assert_int_eq(cc_watermark_pending(w), 0);
}
END_TEST

START_TEST(late_commit_is_not_skipped)
{
	/* 12 commits before 11: the position stays at 10 so 11 is still read */
	cc_watermark_add(w, 12, 0);
	cc_watermark_settle(w, 100);
	ck_assert_int_eq(cc_watermark_low(w), 10);
	ck_assert(cc_watermark_done(w, 12));
	ck_assert(!cc_watermark_done(w, 11));
	cc_watermark_add(w, 11, 200);
	cc_watermark_settle(w, 200);
	ck_assert_int_eq(cc_watermark_low(w), 12);
	ck_assert_int_eq(cc_watermark_given_up(w), 0);
}
END_TEST

START_TEST(hole_given_up_after_wait)
{
	/* 11 was a rolled-back insert: it never comes */
	cc_watermark_add(w, 12, 0);
	cc_watermark_add(w, 13, 0);
	ck_assert_int_eq(cc_watermark_settle(w, 999), 0);
	ck_assert_int_eq(cc_watermark_low(w), 10);
	ck_assert_int_eq(cc_watermark_settle(w, 1000), 1);
	ck_assert_int_eq(cc_watermark_low(w), 13);
	ck_assert_int_eq(cc_watermark_given_up(w), 1);
}
END_TEST

START_TEST(processed_ids_are_not_processed_twice)
{
	cc_watermark_add(w, 12, 0);
	ck_assert(cc_watermark_done(w, 12));
	ck_assert(cc_watermark_done(w, 10));   /* at or below low */
	ck_assert(cc_watermark_done(w, 3));
	ck_assert(!cc_watermark_done(w, 13));
	cc_watermark_add(w, 12, 5);
	ck_assert_int_eq(cc_watermark_pending(w), 1);
	ck_assert_int_eq(cc_watermark_high(w), 12);
}
END_TEST

START_TEST(bounded_memory)
{
	/* a hole with 150 rows above it: past 100 pending the hole is given up early */
	for (int64_t id = 12; id < 162; id++)
		cc_watermark_add(w, id, 0);
	cc_watermark_settle(w, 1);
	ck_assert_int_eq(cc_watermark_pending(w), 0);
	ck_assert_int_eq(cc_watermark_low(w), 161);
	ck_assert_int_eq(cc_watermark_given_up(w), 1);
}
END_TEST

START_TEST(big_jump_in_ids)
{
	/* a sequence can jump (cache, setval): a wide hole is given up as one wait */
	cc_watermark_add(w, 5000, 0);
	cc_watermark_add(w, 5001, 0);
	cc_watermark_settle(w, 1000);
	ck_assert_int_eq(cc_watermark_low(w), 5001);
	ck_assert_int_eq(cc_watermark_given_up(w), 4989);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("watermark");
	TCase *tc = tcase_create("watermark");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, contiguous_ids_advance);
	tcase_add_test(tc, late_commit_is_not_skipped);
	tcase_add_test(tc, hole_given_up_after_wait);
	tcase_add_test(tc, processed_ids_are_not_processed_twice);
	tcase_add_test(tc, bounded_memory);
	tcase_add_test(tc, big_jump_in_ids);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
