/*
 * Trusted proxy lists and X-Forwarded-For (netaddr.h). Input lines: the CIDR list (as in the
 * bootstrap file), the TCP peer's address, the X-Forwarded-For value (absent: no header). The
 * last byte sets the size of the caller's buffer.
 */
#include "fuzz.h"
#include "netaddr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *peer, *xff = NULL, *nl, err[200], *out;
	struct cc_cidrs *list, *all;
	size_t outlen;
	bool forwarded;

	if (size < 1)
		return 0;
	outlen = 1 + data[size - 1] % 72;
	text = fuzz_text(data, size - 1);
	nl = strchr(text, '\n');
	peer = nl ? nl + 1 : text + strlen(text);
	if (nl) {
		*nl = '\0';
		if ((nl = strchr(peer, '\n'))) {
			*nl = '\0';
			xff = nl + 1;
		}
	}
	all = cc_cidrs_parse("::/0", err, sizeof err);
	FUZZ_CHECK(all != NULL);
	list = cc_cidrs_parse(text, err, sizeof err);
	if (list) {
		out = malloc(outlen);
		FUZZ_CHECK(out != NULL);
		(void)cc_cidrs_match(list, peer);
		forwarded = cc_forwarded_client(list, peer, xff, out, outlen);
		FUZZ_CHECK(strlen(out) < outlen);
		if (forwarded) {
			/* only from a trusted peer, and only an address that was in the header */
			FUZZ_CHECK(xff && cc_cidrs_match(list, peer));
			FUZZ_CHECK(strstr(xff, out) != NULL);
			if (outlen >= 64)
				FUZZ_CHECK(cc_cidrs_match(all, out));
		} else {
			FUZZ_CHECK(!strncmp(out, peer, outlen - 1));
		}
		free(out);
		cc_cidrs_destroy(list);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	cc_cidrs_destroy(all);
	free(text);
	return 0;
}
