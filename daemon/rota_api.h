/*
 * Rota endpoints: GET /api/rota (managers and admins: teams, people with their contacts but never
 * a contact's secret, shifts from a day ago to a fortnight ahead, escalation policies), and the
 * admin's changes: POST /api/rota/shifts, DELETE /api/rota/shifts/{id}, POST /api/rota/people.
 * Each change and its audit row are one hub statement.
 */
#ifndef CC_ROTA_API_H
#define CC_ROTA_API_H

#include "request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A POST /api/rota/shifts body; the text is borrowed from it. */
struct cc_shift_add {
	const char *team, *person;
	int level;                 /* 1 to 5 */
	const char *starts_at, *ends_at;   /* as given: ISO 8601 with a zone */
	int64_t starts_ms, ends_ms;
	bool is_override;
	const char *reason;        /* "" when none */
};

/* A POST /api/rota/people body. */
struct cc_person_save {
	const char *name, *label;  /* borrowed from the body */
	char *contacts;            /* JSON array of {channel, target, secret?}: free() it */
};

/* Each checks a body without touching anything else: 0 with *out filled, or -1 with the reason
 * for the caller (valid UTF-8, cut to errlen) in err. */
int cc_rota_shift_parse(const json_t *body, struct cc_shift_add *out, char *err, size_t errlen);
int cc_rota_person_parse(const json_t *body, struct cc_person_save *out, char *err,
			 size_t errlen);

void cc_rota_api_get(struct cc_request *r);
void cc_rota_api_shift_add(struct cc_request *r);
void cc_rota_api_shift_delete(struct cc_request *r);
void cc_rota_api_person_save(struct cc_request *r);

#endif
