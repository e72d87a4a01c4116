#include "fuzz.h"
#include "utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_check_reply_text(const char *text)
{
	json_t *o;

	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(cc_utf8_valid(text, strlen(text)));
	o = json_pack("{s:s}", "error", text);
	FUZZ_CHECK(o != NULL);
	json_decref(o);
}
