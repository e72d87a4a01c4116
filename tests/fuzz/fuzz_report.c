/*
 * The board report's renderer (cc_report_html) over any JSON: the hub builds the document, but
 * its texts are labels, titles and names people typed, and its shape may change with a
 * migration. Whatever arrives, the page must be whole, valid UTF-8, and carry no markup of the
 * input's own. The same bytes also go through the day parser the API checks from= and to= with.
 */
#include "fuzz.h"
#include "report.h"
#include "utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int has_nocase(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (!strncasecmp(hay + i, needle, n))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *html;
	json_t *doc;
	size_t len;
	long days;

	if (cc_report_parse_day(text, &days))
		FUZZ_CHECK(strlen(text) == 10);
	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	html = cc_report_html(doc, &len);
	FUZZ_CHECK(html != NULL);
	FUZZ_CHECK(strlen(html) == len);   /* no NUL from the input inside the page */
	FUZZ_CHECK(cc_utf8_valid(html, len));
	FUZZ_CHECK(!strncmp(html, "<!DOCTYPE html>", 15));
	FUZZ_CHECK(len >= 8 && !strcmp(html + len - 8, "</html>\n"));
	/* the renderer writes no script, link or element that loads anything: such a tag in the
	 * page came from the input unescaped (text like "src=" may stay: it is text) */
	FUZZ_CHECK(!has_nocase(html, len, "<script"));
	FUZZ_CHECK(!has_nocase(html, len, "<img"));
	FUZZ_CHECK(!has_nocase(html, len, "<iframe"));
	FUZZ_CHECK(!has_nocase(html, len, "<link"));
	FUZZ_CHECK(!has_nocase(html, len, "<a "));
	free(html);
	json_decref(doc);
	free(text);
	return 0;
}
