/*
 * Partner rows (observation rows and query-feed results) the way app.c takes them: the intake
 * check (rowcheck.h), then the board (board.h) for rows that pass and the rejection mark for
 * rows that do not, with the board's messages checked to be valid JSON after every change.
 * Hostile text (any bytes), numbers (NaN, infinities, huge, tiny) and times (any int64).
 *
 * The input is a list of operations, each starting with one byte: a row, the clock moving on,
 * a flush, a snapshot, or a partner or feed failing with hostile text.
 */
#include "board.h"
#include "bus.h"
#include "catalog.h"
#include "feed.h"
#include "fuzz.h"
#include "rowcheck.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NOW0_MS 1767225600000LL   /* 2026-01-01T00:00:00Z: fixed, so a run repeats exactly */
#define MAX_OPS 64

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static void bytes(struct input *in, void *out, size_t n)
{
	memset(out, 0, n);
	n = n < in->left ? n : in->left;
	memcpy(out, in->p, n);
	in->p += n;
	in->left -= n;
}

/* A string of up to 255 bytes, any of them (a NUL ends it early). */
static char *string(struct input *in)
{
	size_t n = byte(in);
	char *s = cc_xmalloc(n + 1);

	bytes(in, s, n);
	s[n] = '\0';
	return s;
}

static const char *const partners[] = { "acute", "ambulance", "ghost" };
static const char *const keys[] = { "ed.four_hour_performance", "ed.patients_waiting",
				    "ambulance.handover_minutes", "unknown.metric" };

static void add_metric(struct cc_catalog *cat, const char *partner, const char *key,
		       const char *stage, bool higher, bool limits)
{
	struct cc_metric_def *m = cc_catalog_add_metric(cat);

	m->partner = cc_xstrdup(partner);
	m->key = cc_xstrdup(key);
	m->label = cc_xstrdup(key);
	m->unit = cc_xstrdup("");
	m->stage = cc_xstrdup(stage);
	m->higher_is_better = higher;
	m->has_amber = m->has_red = limits;
	m->amber = higher ? 0.9 : 40;
	m->red = higher ? 0.8 : 60;
	m->hysteresis = higher ? 0.01 : 2;
	m->min_duration_s = higher ? 0 : 300;
	m->freshness_s = 900;
	m->decimals = 1;
}

static struct cc_catalog *catalog(void)
{
	struct cc_catalog *cat = cc_catalog_create();
	struct cc_level_rule *lr;
	struct cc_threshold *t;
	char description[600] = "";

	for (size_t i = 0; i < 2; i++) {
		struct cc_partner_def *p = cc_catalog_add_partner(cat);
		struct cc_stage *s = cc_catalog_add_stage(cat);
		p->name = cc_xstrdup(partners[i]);
		p->label = cc_xstrdup(partners[i]);
		p->conninfo = cc_xstrdup("dbname=x");
		s->key = cc_xstrdup(i ? "ambulance" : "ed");
		s->label = cc_xstrdup(i ? "Ambulance" : "Emergency department");
		s->position = (int)i;
	}
	add_metric(cat, "acute", keys[0], "ed", true, true);
	add_metric(cat, "acute", keys[1], "ed", false, true);
	add_metric(cat, "ambulance", keys[2], "ambulance", false, false);
	t = cc_catalog_add_threshold(cat);
	t->partner = cc_xstrdup("acute");
	t->metric = cc_xstrdup(keys[0]);
	t->site = cc_xstrdup("RXX01");
	t->has_amber = t->has_red = true;
	t->amber = 0.95;
	t->red = 0.76;
	t->min_duration_s = 60;
	/* descriptions from the hub are long and not ASCII: any reason quoting one is cut */
	for (int i = 0; i < 150; i++)
		strcat(description, "\xE2\x80\x94");
	for (int level = 2; level <= 4; level++) {
		lr = cc_catalog_add_level_rule(cat);
		lr->level = level;
		lr->red_only = level > 2;
		lr->count = level - 1;
		lr->stage = level == 3 ? cc_xstrdup("ed") : NULL;
		lr->partner = level == 4 ? cc_xstrdup("acute") : NULL;
		lr->description = cc_xstrdup(description);
	}
	return cat;
}

/* Every message the board sends must be a JSON object with a type. */
static void check_msg(struct cc_msg *m)
{
	json_t *o;

	if (!m)
		return;
	o = json_loadb(cc_msg_text(m), cc_msg_len(m), 0, NULL);
	FUZZ_CHECK(o != NULL);
	FUZZ_CHECK(json_is_string(json_object_get(o, "type")));
	json_decref(o);
	cc_msg_unref(m);
}

static void row(struct input *in, struct cc_board *b, int64_t now)
{
	uint8_t flags = byte(in), how = byte(in);
	const char *partner = partners[flags % 3];
	struct cc_row r = { 0 };
	char *metric = NULL, *site = string(in), *vtext = NULL, *clean, why[256];
	enum cc_row_fault fault;
	uint32_t delta;
	bool record;

	if (how & 1) {
		metric = string(in);
	}
	r.metric = metric ? metric : keys[(how >> 1) % 4];
	r.site = site;
	if (how & 8)
		vtext = string(in);
	r.value_text = vtext;
	bytes(in, &r.value, sizeof r.value);
	r.value_null = flags & 0x10;
	r.observed_null = flags & 0x20;
	r.replay = flags & 0x40;
	bytes(in, &delta, sizeof delta);
	switch ((how >> 4) % 3) {
	case 0: r.observed_ms = now - delta; break;
	case 1: r.observed_ms = now + delta; break;
	default: bytes(in, &r.observed_ms, sizeof r.observed_ms); break;
	}
	r.id = (int64_t)delta;

	/* what the recorder stores of the text: valid UTF-8, cut to the bound */
	clean = cc_rowcheck_clean(r.metric, CC_ROW_MAX_TEXT);
	FUZZ_CHECK(strlen(clean) <= CC_ROW_MAX_TEXT);
	fuzz_check_reply_text(clean);
	free(clean);
	clean = cc_rowcheck_clean(r.site, CC_ROW_MAX_TEXT);
	fuzz_check_reply_text(clean);
	free(clean);

	fault = cc_rowcheck_fault(&r, now, why, sizeof why);
	FUZZ_CHECK(cc_rowcheck(&r, now, NULL, 0) == (fault == CC_ROW_OK));
	if (fault != CC_ROW_OK) {
		fuzz_check_reply_text(why);
		if (fault != CC_ROW_BAD_TEXT)
			cc_board_mark_rejected(b, partner, r.metric, r.site, why, now);
	} else {
		FUZZ_CHECK(!r.value_null && !r.observed_null);
		FUZZ_CHECK(r.observed_ms >= CC_ROW_MIN_OBSERVED_MS &&
			   r.observed_ms <= now + CC_ROW_FUTURE_MS);
		switch (cc_board_observe(b, partner, r.metric, r.site, r.value, r.observed_ms,
					 r.replay, now, &record)) {
		case CC_OBS_UNKNOWN_METRIC:
			cc_board_mark_rejected(b, partner, r.metric, r.site, "no such metric", now);
			break;
		case CC_OBS_DUPLICATE:
			cc_board_mark_rejected(b, partner, r.metric, r.site, "duplicate", now);
			break;
		case CC_OBS_OK:
		case CC_OBS_OLDER:
			break;
		}
	}
	free(metric);
	free(site);
	free(vtext);
}

static void failing(struct input *in, struct cc_board *b, int64_t now)
{
	uint8_t which = byte(in);
	char *text = string(in);
	const char *partner = partners[which % 3];

	if (which & 4)
		cc_board_partner_state(b, partner, (which & 8) ? "failing" : "ok", text,
				       (which & 8) ? text : NULL, now);
	else
		cc_board_feed_error(b, partner, (which & 8) ? keys[(which >> 4) % 4] : NULL,
				    (which & 16) ? text : NULL, now);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct cc_catalog *cat = catalog();
	struct cc_board *b = cc_board_create();
	int64_t now = NOW0_MS;
	json_t *level;
	char *dumped;

	cc_board_set_catalog(b, cat, now);
	for (int op = 0; op < MAX_OPS && in.left; op++) {
		uint8_t kind = byte(&in);
		uint16_t step;

		switch (kind % 8) {
		case 4:
			bytes(&in, &step, sizeof step);
			now += (int64_t)step * 1000;
			cc_board_tick(b, now);
			break;
		case 5:
			check_msg(cc_board_flush(b, now));
			break;
		case 6:
			check_msg(cc_board_snapshot(b, now));
			break;
		case 7:
			failing(&in, b, now);
			break;
		default:
			row(&in, b, now);
			break;
		}
	}
	check_msg(cc_board_flush(b, now));
	check_msg(cc_board_snapshot(b, now));
	level = cc_board_level_json(b);
	FUZZ_CHECK(level != NULL);
	dumped = json_dumps(level, JSON_COMPACT);
	FUZZ_CHECK(dumped != NULL);
	free(dumped);
	json_decref(level);
	cc_board_destroy(b);
	cc_catalog_destroy(cat);
	return 0;
}
