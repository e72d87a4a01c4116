/*
 * The Cookie header (cc_cookie_get) and the check a session token passes before it is hashed
 * and looked up (cc_secret_well_formed). Input: one byte for the size of the caller's buffer,
 * the cookie's name up to the first newline, then the header.
 */
#include "fuzz.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *header, *nl, *out;
	size_t len;

	if (size < 1)
		return 0;
	len = data[0] % 80;
	text = fuzz_text(data + 1, size - 1);
	nl = strchr(text, '\n');
	header = nl ? nl + 1 : text + strlen(text);
	if (nl)
		*nl = '\0';
	/* exactly len bytes, so ASan sees any write past what the caller gave */
	out = malloc(len ? len : 1);
	FUZZ_CHECK(out != NULL);
	if (cc_cookie_get(header, text, out, len)) {
		FUZZ_CHECK(len > 0 && strlen(out) < len);
		if (cc_secret_well_formed(out))
			FUZZ_CHECK(strlen(out) == CC_SECRET_TEXT_LEN);
	}
	FUZZ_CHECK(!cc_cookie_get(NULL, text, out, len));
	free(out);
	free(text);
	return 0;
}
