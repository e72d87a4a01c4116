/*
 * The history time parser (cc_timeparse: /api/history from= and to=). The first byte sets the
 * size of the caller's error buffer (0 allowed), the rest is the text.
 */
#include "fuzz.h"
#include "timeparse.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* 1000-01-01T00:00:00Z: from here on cc_format_iso writes four-digit years. */
#define YEAR_1000_MS (-30610224000000LL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t errlen;
	char *text, *err, iso[40], again[64];
	int64_t ms = 0, ms2 = 0;

	if (size < 1)
		return 0;
	errlen = data[0] % 128;
	text = fuzz_text(data + 1, size - 1);
	/* exactly errlen bytes, so ASan sees any write past what the caller gave */
	err = malloc(errlen ? errlen : 1);
	FUZZ_CHECK(err != NULL);
	if (cc_timeparse(text, &ms, err, errlen)) {
		FUZZ_CHECK(ms >= CC_TIME_MIN_MS && ms <= CC_TIME_MAX_MS);
		/* the instant written out and read back is the same instant */
		if (ms >= YEAR_1000_MS) {
			cc_format_iso(ms, iso, sizeof iso);
			FUZZ_CHECK(cc_timeparse(iso, &ms2, again, sizeof again));
			FUZZ_CHECK(ms2 == ms);
		}
	} else if (errlen) {
		FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
		if (errlen >= 64)
			FUZZ_CHECK(*err != '\0');
		fuzz_check_reply_text(err);
	}
	free(err);
	free(text);
	return 0;
}
