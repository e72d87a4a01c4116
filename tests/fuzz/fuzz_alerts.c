/* POST /api/silences bodies (cc_silence_parse). The input is the request body. */
#include "alerts_api.h"
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	struct cc_silence_add s;
	char err[200];   /* as alerts_api.c has it */

	if (!body)
		return 0;
	if (cc_silence_parse(body, &s, err, sizeof err) == 0) {
		FUZZ_CHECK(s.reason && *s.reason && strlen(s.reason) <= 200);
		FUZZ_CHECK(s.minutes >= 1 && s.minutes <= 7 * 24 * 60);
		FUZZ_CHECK(s.rule_id >= 0);
		FUZZ_CHECK(s.rule_id || s.partner || s.metric);
	} else {
		fuzz_check_reply_text(err);
	}
	json_decref(body);
	return 0;
}
