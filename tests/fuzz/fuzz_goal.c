/*
 * POST /api/goals bodies (cc_goal_parse) against a small catalog with a non-ASCII key, and the
 * milestones turned back into JSON as the API sends them to the hub. The input is the body.
 */
#include "catalog.h"
#include "fuzz.h"
#include "goal.h"
#include "util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_metric(struct cc_catalog *cat, const char *key, bool higher)
{
	struct cc_metric_def *m = cc_catalog_add_metric(cat);

	m->partner = cc_xstrdup("acute");
	m->key = cc_xstrdup(key);
	m->label = cc_xstrdup(key);
	m->unit = cc_xstrdup("%");
	m->stage = cc_xstrdup("ed");
	m->higher_is_better = higher;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_catalog *cat;
	struct cc_goal *g;
	char field[64], msg[400];   /* as goals_api.c has them */
	json_t *body = json_loadb((const char *)data, size, 0, NULL);

	if (!body)
		return 0;
	cat = cc_catalog_create();
	add_metric(cat, "ed.four_hour_performance", true);
	add_metric(cat, "ed.waiting", false);
	add_metric(cat, "\xC3\xA9t\xC3\xA9", false);
	g = cc_xmalloc(sizeof *g);
	if (cc_goal_parse(body, cat, g, field, sizeof field, msg, sizeof msg) == 0) {
		long start = 0, end = 0, prev;
		json_t *ms;
		char *text;

		FUZZ_CHECK(cc_catalog_metric(cat, g->partner, g->metric) != NULL);
		FUZZ_CHECK(isfinite(g->baseline) && isfinite(g->target));
		FUZZ_CHECK(cc_goal_date(g->starts_on, &start));
		FUZZ_CHECK(cc_goal_date(g->ends_on, &end));
		FUZZ_CHECK(end > start);
		FUZZ_CHECK(g->n_milestones <= CC_GOAL_MILESTONES_MAX);
		prev = start;
		for (size_t i = 0; i < g->n_milestones; i++) {
			long d = 0;
			FUZZ_CHECK(cc_goal_date(g->milestones[i].on, &d));
			FUZZ_CHECK(d > prev && d < end);
			FUZZ_CHECK(isfinite(g->milestones[i].value));
			prev = d;
		}
		FUZZ_CHECK(strlen(g->site) <= CC_GOAL_SITE_MAX);
		fuzz_check_reply_text(g->agreed_by);
		fuzz_check_reply_text(g->note);
		ms = cc_goal_milestones_json(g);
		FUZZ_CHECK(json_array_size(ms) == g->n_milestones);
		text = json_dumps(ms, JSON_COMPACT | JSON_REAL_PRECISION(17));
		FUZZ_CHECK(text != NULL);
		free(text);
		json_decref(ms);
	} else {
		json_t *reply;

		fuzz_check_reply_text(msg);
		fuzz_check_reply_text(field);
		reply = json_pack("{s:s,s:s}", "error", msg, "field", field);
		FUZZ_CHECK(reply != NULL);
		json_decref(reply);
	}
	free(g);
	cc_catalog_destroy(cat);
	json_decref(body);
	return 0;
}
