/*
 * Rota bodies (rota_api.h): every input is tried as a new shift and as a person with contacts.
 * The input is the request body.
 */
#include "fuzz.h"
#include "rota_api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL), *contacts;
	struct cc_shift_add s;
	struct cc_person_save p;
	char err[200];   /* as rota_api.c has it */

	if (!body)
		return 0;
	if (cc_rota_shift_parse(body, &s, err, sizeof err) == 0) {
		FUZZ_CHECK(s.team && s.person && s.starts_at && s.ends_at && s.reason);
		FUZZ_CHECK(s.level >= 1 && s.level <= 5);
		FUZZ_CHECK(s.ends_ms > s.starts_ms);
		FUZZ_CHECK(!s.is_override || *s.reason);
	} else {
		fuzz_check_reply_text(err);
	}
	if (cc_rota_person_parse(body, &p, err, sizeof err) == 0) {
		FUZZ_CHECK(p.name && p.label && p.contacts);
		/* what the hub statement is given must be a list of contacts again */
		contacts = json_loads(p.contacts, 0, NULL);
		FUZZ_CHECK(json_is_array(contacts) && json_array_size(contacts) <= 20);
		json_decref(contacts);
		free(p.contacts);
	} else {
		FUZZ_CHECK(p.contacts == NULL);
		fuzz_check_reply_text(err);
	}
	json_decref(body);
	return 0;
}
