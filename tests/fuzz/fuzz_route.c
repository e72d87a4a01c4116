/*
 * The API route matcher (cc_route_find). Input: the method up to the first newline, then the
 * request path (any bytes, as a client may send them).
 */
#include "fuzz.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *path, *nl;
	const struct cc_route *rt;
	const char *tail = NULL;
	bool known = false;

	nl = strchr(text, '\n');
	path = nl ? nl + 1 : text + strlen(text);
	if (nl)
		*nl = '\0';
	rt = cc_route_find(text, path, &tail, &known);
	FUZZ_CHECK(tail != NULL);
	if (rt) {
		size_t n = strlen(rt->path);

		FUZZ_CHECK(known && rt->fn && !strcmp(rt->method, text));
		FUZZ_CHECK(!strncmp(path, rt->path, n));
		if (rt->path[n - 1] == '/')
			/* a prefix route is never chosen for the bare prefix */
			FUZZ_CHECK(tail == path + n && *tail);
		else
			FUZZ_CHECK(!strcmp(path, rt->path) && !*tail);
	} else {
		FUZZ_CHECK(!*tail);
	}
	free(text);
	return 0;
}
