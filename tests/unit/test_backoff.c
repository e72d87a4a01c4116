#include "backoff.h"
#include "check_main.h"

#include <check.h>
#include <stdlib.h>

START_TEST(grows_to_cap_with_jitter)
{
	struct cc_backoff b;
	int64_t caps[] = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };

	cc_backoff_init(&b, 500, 30000, 42);
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		int64_t d = cc_backoff_next(&b);
		ck_assert_int_ge(d, caps[i] / 2);
		ck_assert_int_le(d, caps[i]);
	}
}
END_TEST

START_TEST(reset_starts_over)
{
	struct cc_backoff b;

	cc_backoff_init(&b, 500, 30000, 7);
	for (int i = 0; i < 10; i++)
		cc_backoff_next(&b);
	cc_backoff_reset(&b);
	ck_assert_int_le(cc_backoff_next(&b), 500);
}
END_TEST

START_TEST(jitter_spreads_retries)
{
	struct cc_backoff a, b;
	int same = 0;

	/* two connections failing together must not retry in lock-step */
	cc_backoff_init(&a, 1000, 60000, 1);
	cc_backoff_init(&b, 1000, 60000, 2);
	for (int i = 0; i < 8; i++)
		same += cc_backoff_next(&a) == cc_backoff_next(&b);
	ck_assert_int_lt(same, 3);
}
END_TEST

START_TEST(survives_many_attempts)
{
	struct cc_backoff b;

	cc_backoff_init(&b, 500, 30000, 3);
	for (int i = 0; i < 1000; i++) {
		int64_t d = cc_backoff_next(&b);
		ck_assert_int_ge(d, 250);
		ck_assert_int_le(d, 30000);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("backoff");

	tcase_add_test(tc, grows_to_cap_with_jitter);
	tcase_add_test(tc, reset_starts_over);
	tcase_add_test(tc, jitter_spreads_retries);
	tcase_add_test(tc, survives_many_attempts);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
