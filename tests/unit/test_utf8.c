/* UTF-8 checks and cuts: text cut inside a character made jansson return NULL (issue 12). */
#include "check_main.h"
#include "utf8.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

START_TEST(valid_and_invalid)
{
	ck_assert(cc_utf8_valid("", 0));
	ck_assert(cc_utf8_valid("abc", 3));
	ck_assert(cc_utf8_valid("A&E \xC2\xA3 \xE2\x82\xAC \xF0\x9F\x9A\x91", 15));
	ck_assert(!cc_utf8_valid("\xC3", 1));              /* cut */
	ck_assert(!cc_utf8_valid("\xC0\xAF", 2));          /* overlong '/' */
	ck_assert(!cc_utf8_valid("\xE0\x80\xAF", 3));      /* overlong */
	ck_assert(!cc_utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
	ck_assert(!cc_utf8_valid("\xF4\x90\x80\x80", 4));  /* above U+10FFFF */
	ck_assert(!cc_utf8_valid("\xFF", 1));
	ck_assert(!cc_utf8_valid("a\0b", 3));              /* NUL */
}
END_TEST

START_TEST(prefix_stops_between_characters)
{
	const char *s = "ab\xC3\xA9" "c";   /* a b é c */

	ck_assert_uint_eq(cc_utf8_prefix(s, 5, 3), 2);
	ck_assert_uint_eq(cc_utf8_prefix(s, 5, 4), 4);
	ck_assert_uint_eq(cc_utf8_prefix(s, 5, 100), 5);
	ck_assert_uint_eq(cc_utf8_prefix(s, 5, 0), 0);
}
END_TEST

/* The case from the issue: 63 ASCII characters then a two-byte character, cut at 64 bytes. */
START_TEST(copy_is_always_valid_for_jansson)
{
	char src[80], dst[65];
	json_t *o;

	memset(src, 'x', 63);
	memcpy(src + 63, "\xC3\xA9", 3);
	cc_utf8_copy(dst, sizeof dst, src);
	ck_assert(cc_utf8_valid(dst, strlen(dst)));
	ck_assert_uint_le(strlen(dst), 64);
	o = json_pack("{s:s}", "message", dst);
	ck_assert_ptr_nonnull(o);
	json_decref(o);
	/* cut text ends with an ellipsis */
	ck_assert_str_eq(dst + strlen(dst) - 3, "\xE2\x80\xA6");
	/* text that fits is copied as it is */
	cc_utf8_copy(dst, sizeof dst, "caf\xC3\xA9");
	ck_assert_str_eq(dst, "caf\xC3\xA9");
	/* invalid bytes become '?' */
	cc_utf8_copy(dst, sizeof dst, "a\xFF" "b\xC3");
	ck_assert_str_eq(dst, "a?b?");
	/* a tiny buffer still gets a terminated, valid string */
	cc_utf8_copy(dst, 2, "\xC3\xA9\xC3\xA9");
	ck_assert_str_eq(dst, "");
	cc_utf8_copy(dst, 4, "abcdef");
	ck_assert_str_eq(dst, "\xE2\x80\xA6");
}
END_TEST

START_TEST(error_formats_cuts_and_returns_minus_one)
{
	char err[16], field[40];

	memset(field, 'f', 20);
	memcpy(field + 20, "\xC3\xA9", 3);
	ck_assert_int_eq(cc_utf8_error(err, sizeof err, "unknown field '%s'", field), -1);
	ck_assert(cc_utf8_valid(err, strlen(err)));
	ck_assert_uint_le(strlen(err), sizeof err - 1);
	ck_assert_int_eq(cc_utf8_error(err, sizeof err, "%d apples", 3), -1);
	ck_assert_str_eq(err, "3 apples");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, valid_and_invalid);
	tcase_add_test(tc, prefix_stops_between_characters);
	tcase_add_test(tc, copy_is_always_valid_for_jansson);
	tcase_add_test(tc, error_formats_cuts_and_returns_minus_one);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
