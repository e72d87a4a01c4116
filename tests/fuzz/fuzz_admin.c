/*
 * Admin bodies (admin_api.h): every input is tried as a new user, as a change to a user and as
 * a new device token. The input is the request body.
 */
#include "admin_api.h"
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

static void user(const json_t *body, bool create)
{
	struct cc_user_change u;
	char err[200];   /* as admin_api.c has it */

	if (cc_admin_user_parse(body, create, &u, err, sizeof err)) {
		fuzz_check_reply_text(err);
		return;
	}
	FUZZ_CHECK(!create || (u.name[0] && strlen(u.name) <= 64));
	FUZZ_CHECK(!create || (u.has_role && u.password));
	FUZZ_CHECK(!u.has_role || !strcmp(u.role, "display") || !strcmp(u.role, "manager") ||
		   !strcmp(u.role, "admin"));
	FUZZ_CHECK(!u.password || (strlen(u.password) >= CC_PASSWORD_MIN &&
				   strlen(u.password) <= 1024));
	FUZZ_CHECK(u.disabled >= -1 && u.disabled <= 1 && !(create && u.disabled >= 0));
	FUZZ_CHECK(create || u.has_role || u.password || u.disabled >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, 0, NULL);
	const char *label;
	char err[200];

	if (!body)
		return 0;
	user(body, true);
	user(body, false);
	label = cc_admin_token_label(body, err, sizeof err);
	if (label)
		FUZZ_CHECK(*label && strlen(label) <= 100);
	else
		fuzz_check_reply_text(err);
	json_decref(body);
	return 0;
}
