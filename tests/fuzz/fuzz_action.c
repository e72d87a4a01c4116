/*
 * The meeting's bodies (action.h): every input is tried as a new action, a change to one, a
 * huddle's start and end; as JSON it is also written out as CSV (as if the hub had sent it),
 * and as text it is tried as a ?status= filter and a path's id. The input is the request body.
 */
#include "action.h"
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* RFC 4180 read back: the fields of every record, to count them. */
static size_t csv_records(const char *csv, size_t *fields_first, int *ok)
{
	size_t records = 0, fields = 1;
	bool quoted = false, field_start = true;

	*ok = 1;
	for (const char *p = csv; *p; p++) {
		if (quoted) {
			if (*p == '"' && p[1] == '"')
				p++;
			else if (*p == '"')
				quoted = false;
			continue;
		}
		if (*p == '"') {
			if (!field_start)
				*ok = 0;   /* a quote inside an unquoted field */
			quoted = true;
		} else if (*p == ',') {
			fields++;
			field_start = true;
			continue;
		} else if (*p == '\r' && p[1] == '\n') {
			if (!records)
				*fields_first = fields;
			else if (fields != *fields_first)
				*ok = 0;
			records++;
			fields = 1;
			p++;
			field_start = true;
			continue;
		} else if (*p == '\n' || *p == '\r') {
			*ok = 0;   /* a bare line break outside quotes */
		}
		field_start = false;
	}
	if (quoted || fields != 1)
		*ok = 0;   /* every record ends in CRLF */
	return records;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	char *text = fuzz_text(data, size);
	struct cc_action_new a;
	struct cc_action_change c;
	struct cc_huddle_change h;
	char err[300], out[64];   /* as actions_api.c has them */

	if (cc_action_statuses_parse(text, out, sizeof out, err, sizeof err) == 0) {
		FUZZ_CHECK(out[0] == '{' && out[strlen(out) - 1] == '}');
		FUZZ_CHECK(!strpbrk(out, "\"\\ "));
	} else {
		fuzz_check_reply_text(err);
	}
	FUZZ_CHECK(cc_action_id(text) >= 0);
	free(text);
	if (!body)
		return 0;
	if (cc_action_new_parse(body, &a, err, sizeof err) == 0) {
		FUZZ_CHECK(a.title && a.owner && cc_action_date_valid(a.due_on));
		FUZZ_CHECK(!a.metric || a.partner);
		FUZZ_CHECK(a.huddle_id >= 0);
	} else {
		fuzz_check_reply_text(err);
	}
	if (cc_action_change_parse(body, &c, err, sizeof err) == 0) {
		FUZZ_CHECK(!c.status || cc_action_status_valid(c.status));
		FUZZ_CHECK(!c.due_on[0] || cc_action_date_valid(c.due_on));
		FUZZ_CHECK(c.status || c.text || c.title || c.owner || c.due_on[0]);
	} else {
		fuzz_check_reply_text(err);
	}
	for (int start = 0; start < 2; start++) {
		if (cc_huddle_change_parse(body, start, &h, err, sizeof err) == 0)
			FUZZ_CHECK(start || h.end || h.notes);
		else
			fuzz_check_reply_text(err);
	}
	if (json_is_array(body)) {
		char *csv = cc_action_csv(body);
		size_t first = 0;
		int ok;
		size_t records = csv_records(csv, &first, &ok);

		FUZZ_CHECK(ok);
		FUZZ_CHECK(records == json_array_size(body) + 1);
		free(csv);
	}
	json_decref(body);
	return 0;
}
