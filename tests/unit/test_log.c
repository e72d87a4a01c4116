/* Log lines carry user names, paths and headers: a newline in them forged a line (issue 12). */
#include "check_main.h"
#include "log.h"
#include "utf8.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void escaped_is(const char *src, size_t len, const char *want)
{
	char out[256];
	size_t n = cc_log_escape(out, sizeof out, src, len);

	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(n, strlen(want));
}

/* Run one cc_log call with stderr sent to a file; return what it wrote (malloc'd). */
static char *captured(enum cc_log_level level, const char *fmt, const char *arg)
{
	FILE *tmp = tmpfile();
	int saved;
	long size;
	char *text;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	cc_log(level, fmt, arg);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	fseek(tmp, 0, SEEK_END);   /* the descriptor's offset is shared: this is the end */
	size = ftell(tmp);
	ck_assert_int_ge(size, 0);
	rewind(tmp);
	text = calloc(1, (size_t)size + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, tmp), (size_t)size);
	fclose(tmp);
	return text;
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

START_TEST(plain_text_unchanged)
{
	escaped_is("auth: admin signed in from 10.0.0.1", 35, "auth: admin signed in from 10.0.0.1");
	/* well-formed UTF-8 stays readable: A&E £ € and an ambulance */
	escaped_is("A&E \xC2\xA3 \xE2\x82\xAC \xF0\x9F\x9A\x91", 15,
		   "A&E \xC2\xA3 \xE2\x82\xAC \xF0\x9F\x9A\x91");
	escaped_is("", 0, "");
}
END_TEST

START_TEST(controls_escaped)
{
	escaped_is("a\nb\rc\td", 7, "a\\nb\\rc\\td");
	escaped_is("back\\slash", 10, "back\\\\slash");   /* or "\n" typed by a user looks escaped */
	escaped_is("\x1b[31mred", 8, "\\x1B[31mred");   /* terminal escape sequence */
	escaped_is("del\x7f", 4, "del\\x7F");
	escaped_is("nul\0after", 9, "nul\\x00after");
	escaped_is("c1 \xC2\x85 \xC2\x9B", 8, "c1 \\u0085 \\u009B");
}
END_TEST

START_TEST(invalid_utf8_escaped)
{
	escaped_is("cut \xC3", 5, "cut \\xC3");
	escaped_is("\xC3(", 2, "\\xC3(");
	escaped_is("\xC0\xAF", 2, "\\xC0\\xAF");            /* overlong '/' */
	escaped_is("\xED\xA0\x80", 3, "\\xED\\xA0\\x80");   /* surrogate */
	escaped_is("\xF4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80");
	escaped_is("\xFF\xFE", 2, "\\xFF\\xFE");
	escaped_is("\xE2\x82", 2, "\\xE2\\x82");            /* cut euro sign */
}
END_TEST

START_TEST(small_buffer_cuts_between_pieces)
{
	char out[8];
	size_t n;

	/* "ab" + "\n" escape (2) + "é" (2) = 6 bytes, then "\x1B" would need 4 more */
	n = cc_log_escape(out, sizeof out, "ab\n\xC3\xA9\x1b", 6);
	ck_assert_str_eq(out, "ab\\n\xC3\xA9");
	ck_assert_uint_eq(n, 6);
	n = cc_log_escape(out, 3, "a\nb", 3);   /* the escape does not fit whole: left out */
	ck_assert_str_eq(out, "a");
	ck_assert_uint_eq(n, 1);
	n = cc_log_escape(out, 1, "abc", 3);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* Every byte value, in every position: the result is one line of valid UTF-8. */
START_TEST(any_bytes_give_one_valid_line)
{
	char src[512], out[4 * sizeof src + 1];
	size_t n;

	for (int i = 0; i < (int)sizeof src; i++)
		src[i] = (char)((i * 37 + 11) & 0xFF);
	n = cc_log_escape(out, sizeof out, src, sizeof src);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert(cc_utf8_valid(out, n));
	ck_assert_ptr_null(strchr(out, '\n'));
	ck_assert_ptr_null(strchr(out, '\r'));
}
END_TEST

/* The attack: a user name that ends the line and starts a forged one. */
START_TEST(forged_line_stays_on_its_line)
{
	const char *user = "x' from 10.0.0.9\n2030-01-01T00:00:00.000Z INFO  auth: admin signed in";
	char *line;

	cc_log_set_level(CC_LOG_INFO);
	line = captured(CC_LOG_WARN, "auth: sign-in refused for '%s'", user);
	ck_assert_int_eq(count_char(line, '\n'), 1);
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	ck_assert_ptr_nonnull(strstr(line, " WARN  auth: sign-in refused for 'x' from 10.0.0.9\\n2030"));
	free(line);
}
END_TEST

/* A message longer than the line buffer is cut, never inside a character. */
START_TEST(long_message_cut_on_character)
{
	char *big = malloc(5001), *line;

	for (int i = 0; i < 5000; i += 2)
		memcpy(big + i, "\xC3\xA9", 2);   /* é */
	big[5000] = '\0';
	cc_log_set_level(CC_LOG_INFO);
	line = captured(CC_LOG_INFO, "%s", big);   /* 2047 bytes kept: the cut splits an é */
	ck_assert(cc_utf8_valid(line, strlen(line)));
	ck_assert_int_eq(count_char(line, '\n'), 1);
	free(line);
	free(big);
}
END_TEST

START_TEST(below_threshold_writes_nothing)
{
	char *line;

	cc_log_set_level(CC_LOG_WARN);
	line = captured(CC_LOG_INFO, "%s", "quiet");
	ck_assert_str_eq(line, "");
	free(line);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, plain_text_unchanged);
	tcase_add_test(tc, controls_escaped);
	tcase_add_test(tc, invalid_utf8_escaped);
	tcase_add_test(tc, small_buffer_cuts_between_pieces);
	tcase_add_test(tc, any_bytes_give_one_valid_line);
	tcase_add_test(tc, forged_line_stays_on_its_line);
	tcase_add_test(tc, long_message_cut_on_character);
	tcase_add_test(tc, below_threshold_writes_nothing);
	suite_add_tcase(s, tc);
	return cc_check_run(s);
}
