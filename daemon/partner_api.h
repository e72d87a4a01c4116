/*
 * Admin endpoints for partners: GET /api/partners (conninfo passwords masked) and
 * POST /api/partners (create or update; an update may leave out conninfo or short_label to keep
 * them). The change and its audit row are one hub statement;
 * the hub's config trigger then notifies commcell_config, so every instance reloads live.
 */
#ifndef CC_PARTNER_API_H
#define CC_PARTNER_API_H

#include "request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A POST /api/partners body; the text is borrowed from it. */
struct cc_partner_save {
	const char *name;
	const char *label;
	const char *conninfo;      /* NULL: keep the partner's current one */
	bool enabled;
	bool short_label_given;    /* false: keep the partner's current short label */
	const char *short_label;   /* given: the wall's name for it; NULL: none (the label) */
};

/* Checks a body without touching anything else: 0 with *out filled, or -1 with the reason for
 * the caller (valid UTF-8, cut to errlen) in err. */
int cc_partner_parse(const json_t *body, struct cc_partner_save *out, char *err, size_t errlen);

void cc_partner_api_list(struct cc_request *r);
void cc_partner_api_save(struct cc_request *r);

#endif
