/* POST /api/session bodies (cc_session_parse_signin). The input is the request body. */
#include "fuzz.h"
#include "session_api.h"

#include <jansson.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	struct cc_signin_body b;
	char err[200];   /* as session_api.c has it */

	if (!body)
		return 0;
	if (cc_session_parse_signin(body, &b, err, sizeof err) == 0) {
		if (b.token) {
			FUZZ_CHECK(!b.user && !b.password);
			FUZZ_CHECK(*b.token && strlen(b.token) <= CC_SIGNIN_MAX_TOKEN);
		} else {
			FUZZ_CHECK(b.user && b.password);
			FUZZ_CHECK(*b.user && strlen(b.user) <= CC_SIGNIN_MAX_USER);
			FUZZ_CHECK(strlen(b.password) <= CC_SIGNIN_MAX_PASSWORD);
		}
	} else {
		fuzz_check_reply_text(err);
	}
	json_decref(body);
	return 0;
}
