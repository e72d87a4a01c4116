#include "wsmsg.h"
#include "utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* What a client may name in an error reply: enough to recognise its own typo. */
#define TYPE_ECHO_BYTES 64

static enum cc_wsmsg_kind fail(char *err, size_t errlen, const char *msg)
{
	cc_utf8_copy(err, errlen, msg);
	return CC_WSMSG_ERROR;
}

enum cc_wsmsg_kind cc_wsmsg_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *type = json_is_object(o) ? json_string_value(json_object_get(o, "type")) : NULL;
	char echo[TYPE_ECHO_BYTES + 4], msg[TYPE_ECHO_BYTES + 40];
	enum cc_wsmsg_kind kind;

	if (errlen)
		err[0] = '\0';
	if (!type)
		kind = fail(err, errlen, "malformed message: expected a JSON object with a type");
	else if (!strcmp(type, "ping") && json_string_length(json_object_get(o, "type")) == 4)
		kind = CC_WSMSG_PING;
	else {
		/* cut between characters: jansson refuses a reply holding half of one */
		cc_utf8_copy(echo, sizeof echo, type);
		snprintf(msg, sizeof msg, "unknown message type '%s'", echo);
		kind = fail(err, errlen, msg);
	}
	json_decref(o);
	return kind;
}
