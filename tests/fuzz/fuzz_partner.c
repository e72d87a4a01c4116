/* POST /api/partners bodies (cc_partner_parse). The input is the request body. */
#include "fuzz.h"
#include "partner_api.h"

#include <jansson.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	struct cc_partner_save p;
	char err[200];   /* as partner_api.c has it */

	if (!body)
		return 0;
	if (cc_partner_parse(body, &p, err, sizeof err) == 0) {
		FUZZ_CHECK(p.name && *p.name && strlen(p.name) <= 40);
		FUZZ_CHECK(strspn(p.name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(p.name));
		FUZZ_CHECK(p.label && *p.label && strlen(p.label) <= 200);
		FUZZ_CHECK(!p.conninfo || (*p.conninfo && strlen(p.conninfo) <= 1000));
	} else {
		fuzz_check_reply_text(err);
	}
	json_decref(body);
	return 0;
}
