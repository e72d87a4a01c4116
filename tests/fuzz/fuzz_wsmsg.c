/*
 * WebSocket client messages (cc_wsmsg_parse), the text any display credential may send. The
 * first byte sets the size of the caller's error buffer (1 to 256), the rest is the message
 * exactly as received: not terminated, not necessarily UTF-8.
 */
#include "fuzz.h"
#include "wsmsg.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t errlen;
	char *msg, *err;
	json_t *reply;

	if (size < 1)
		return 0;
	errlen = 1 + data[0];
	/* copies of exactly the sizes given, so ASan sees any read or write past them */
	msg = malloc(size - 1 ? size - 1 : 1);
	err = malloc(errlen);
	FUZZ_CHECK(msg && err);
	memcpy(msg, data + 1, size - 1);
	switch (cc_wsmsg_parse(msg, size - 1, err, errlen)) {
	case CC_WSMSG_PING:
		FUZZ_CHECK(err[0] == '\0');
		break;
	case CC_WSMSG_ERROR:
		FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
		FUZZ_CHECK(errlen < 32 || err[0] != '\0');
		fuzz_check_reply_text(err);
		/* the reply the daemon sends with it */
		reply = json_pack("{s:s,s:s}", "type", "error", "error", err);
		FUZZ_CHECK(reply != NULL);
		json_decref(reply);
		break;
	default:
		FUZZ_CHECK(!"an unknown kind");
	}
	free(msg);
	free(err);
	return 0;
}
