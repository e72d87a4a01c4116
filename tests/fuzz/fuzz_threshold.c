/*
 * POST /api/thresholds bodies (cc_threshold_parse) against a small catalog whose labels are
 * long and not ASCII, as a hub may hold. The input is the request body.
 */
#include "catalog.h"
#include "fuzz.h"
#include "threshold.h"
#include "util.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static void add_metric(struct cc_catalog *cat, const char *key, const char *label, bool higher)
{
	struct cc_metric_def *m = cc_catalog_add_metric(cat);

	m->partner = cc_xstrdup("acute");
	m->key = cc_xstrdup(key);
	m->label = cc_xstrdup(label);
	m->unit = cc_xstrdup("%");
	m->stage = cc_xstrdup("ed");
	m->higher_is_better = higher;
}

static struct cc_catalog *catalog(void)
{
	struct cc_catalog *cat = cc_catalog_create();
	char label[400] = "";

	/* 130 two-byte characters: any message quoting it is cut somewhere */
	for (int i = 0; i < 130; i++)
		strcat(label, "\xC3\xA9");
	add_metric(cat, "ed.four_hour_performance", label, true);
	add_metric(cat, "ed.waiting", "Patients waiting \xE2\x80\x94 ED", false);
	return cat;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_catalog *cat;
	struct cc_threshold_change c;
	char field[64], msg[300];   /* as threshold_api.c has them */
	json_t *body = json_loadb((const char *)data, size, 0, NULL);

	if (!body)
		return 0;
	cat = catalog();
	if (cc_threshold_parse(body, cat, &c, field, sizeof field, msg, sizeof msg) == 0) {
		FUZZ_CHECK(cc_catalog_metric(cat, c.partner, c.metric) != NULL);
		FUZZ_CHECK(!c.has_site || strlen(c.site) <= CC_SITE_MAX);
		if (!c.clear) {
			FUZZ_CHECK(!c.has_amber || isfinite(c.amber));
			FUZZ_CHECK(!c.has_red || isfinite(c.red));
			FUZZ_CHECK(isfinite(c.hysteresis) && c.hysteresis >= 0);
			FUZZ_CHECK(c.min_duration_s >= 0 && c.min_duration_s <= 86400);
		}
	} else {
		json_t *reply;

		fuzz_check_reply_text(msg);
		fuzz_check_reply_text(field);
		reply = json_pack("{s:s,s:s}", "error", msg, "field", field);
		FUZZ_CHECK(reply != NULL);
		json_decref(reply);
	}
	cc_catalog_destroy(cat);
	json_decref(body);
	return 0;
}
