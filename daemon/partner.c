#include "partner.h"
#include "log.h"
#include "util.h"
#include "watermark.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_partner {
	char *name;
	char *label;
	char *conninfo;
	struct cc_pgconn *pc;
	struct cc_feed **feeds;
	size_t n_feeds;
	struct cc_partner_events ev;
	void *user;

	char state[16];
	char reason[512];
	char error[512];            /* "" when healthy */
	bool settled;
	int64_t since_ms;           /* when state last changed */
	int64_t retry_at_ms;
};

static void update(struct cc_partner *p);

static void set_state(struct cc_partner *p, const char *state, const char *reason,
		      const char *error)
{
	bool changed = strcmp(p->state, state) || strcmp(p->reason, reason) ||
		       strcmp(p->error, error);

	if (!changed)
		return;
	if (strcmp(p->state, state))
		p->since_ms = cc_now_ms();
	if (strcmp(state, "ok") && strcmp(p->state, state))
		cc_warn("partner %s: %s%s%s", p->name, state, *reason ? ": " : "", reason);
	else if (!strcmp(state, "ok") && strcmp(p->state, state))
		cc_info("partner %s: ok", p->name);
	cc_strlcpy(p->state, state, sizeof p->state);
	cc_strlcpy(p->reason, reason, sizeof p->reason);
	cc_strlcpy(p->error, error, sizeof p->error);
}

/* Derive the one state people see from the connection and the feeds. */
static void update(struct cc_partner *p)
{
	char reason[512], error[512];
	const char *feed_err = NULL;
	bool all_loaded = true;

	for (size_t i = 0; i < p->n_feeds; i++) {
		if (cc_feed_error(p->feeds[i]) && !feed_err)
			feed_err = cc_feed_error(p->feeds[i]);
		if (!cc_feed_loaded(p->feeds[i]))
			all_loaded = false;
	}
	switch (cc_pgconn_state(p->pc)) {
	case CC_PG_BACKOFF: {
		int64_t wait_s = (p->retry_at_ms - cc_now_ms() + 999) / 1000;
		snprintf(reason, sizeof reason, "%s (retrying in %lld s)",
			 cc_pgconn_last_error(p->pc), (long long)(wait_s > 0 ? wait_s : 0));
		snprintf(error, sizeof error, "partner database unreachable: %s",
			 cc_pgconn_last_error(p->pc));
		set_state(p, "backoff", reason, error);
		break;
	}
	case CC_PG_IDLE:
	case CC_PG_CONNECTING:
		/* keep an earlier error on the board until data flows again */
		set_state(p, "connecting", *p->error ? "reconnecting" : "", p->error);
		break;
	case CC_PG_READY:
		/* a failing feed marks only the metrics it serves (see cc_partner_feed) */
		if (feed_err) {
			set_state(p, "failing", feed_err, all_loaded ? "" : p->error);
		} else if (all_loaded) {
			set_state(p, "ok", "", "");
		} else {
			set_state(p, "connecting", "loading", p->error);
		}
		break;
	}
}

static void changed(struct cc_partner *p)
{
	update(p);
	if (p->ev.on_change)
		p->ev.on_change(p, p->user);
}

static void on_ready(struct cc_pgconn *pc, void *user)
{
	struct cc_partner *p = user;

	for (size_t i = 0; i < p->n_feeds; i++)
		cc_feed_attach(p->feeds[i], pc);
	changed(p);
}

static void on_failure(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *user)
{
	struct cc_partner *p = user;

	(void)pc;
	(void)reason;
	p->retry_at_ms = cc_now_ms() + retry_ms;
	p->settled = true;
	for (size_t i = 0; i < p->n_feeds; i++)
		cc_feed_detach(p->feeds[i]);
	changed(p);
}

static void on_notify(struct cc_pgconn *pc, const char *channel, const char *payload, void *user)
{
	struct cc_partner *p = user;

	(void)pc;
	(void)payload;
	for (size_t i = 0; i < p->n_feeds; i++)
		cc_feed_notify(p->feeds[i], channel);
}

static void feed_row(struct cc_feed *f, const struct cc_row *row, void *user)
{
	struct cc_partner *p = user;

	if (p->ev.on_row)
		p->ev.on_row(p, cc_feed_def(f), row, p->user);
}

static void feed_batch(struct cc_feed *f, const char *error, void *user)
{
	struct cc_partner *p = user;
	bool all_tried = true;

	(void)f;
	(void)error;
	for (size_t i = 0; i < p->n_feeds; i++)
		if (!cc_feed_loaded(p->feeds[i]) && !cc_feed_error(p->feeds[i]))
			all_tried = false;
	if (all_tried)
		p->settled = true;
	changed(p);
}

struct cc_partner *cc_partner_create(const struct cc_loop *loop, const struct cc_partner_def *def,
				     const struct cc_catalog *cat,
				     const struct cc_partner_events *ev, void *user)
{
	struct cc_partner *p = cc_xcalloc(1, sizeof *p);
	static const struct cc_pgconn_events pev = { on_ready, on_failure, on_notify };
	static const struct cc_feed_events fev = { feed_row, feed_batch };
	struct cc_pgconn_opts opts = { 0 };
	char connname[96];

	p->name = cc_xstrdup(def->name);
	p->label = cc_xstrdup(def->label);
	p->conninfo = cc_xstrdup(def->conninfo);
	p->ev = *ev;
	p->user = user;
	cc_strlcpy(p->state, "connecting", sizeof p->state);
	p->since_ms = cc_now_ms();

	/* each feed's query carries its own statement timeout; this is for anything else */
	opts.statement_timeout_ms = 5000;
	opts.read_only = true;
	for (size_t i = 0; i < cat->n_feeds; i++) {
		const struct cc_feed_def *fd = &cat->feeds[i];
		if (strcmp(fd->partner, def->name))
			continue;
		p->feeds = cc_xrealloc(p->feeds, (p->n_feeds + 1) * sizeof *p->feeds);
		p->feeds[p->n_feeds++] = cc_feed_create(loop->ctx, fd, &fev, p);
	}
	snprintf(connname, sizeof connname, "partner %s", def->name);
	p->pc = cc_pgconn_create(loop, connname, def->conninfo, &opts, &pev, p);
	if (!p->n_feeds)
		p->settled = true;
	return p;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool feed_eq(const struct cc_feed_def *a, const struct cc_feed_def *b)
{
	return a->id == b->id && a->kind == b->kind && str_eq(a->relation, b->relation) &&
	       str_eq(a->channel, b->channel) && str_eq(a->metric, b->metric) &&
	       str_eq(a->query, b->query) && a->as_of == b->as_of &&
	       a->poll_interval_ms == b->poll_interval_ms &&
	       a->statement_timeout_ms == b->statement_timeout_ms &&
	       a->batch_limit == b->batch_limit;
}

bool cc_partner_same(const struct cc_partner *p, const struct cc_partner_def *def,
		     const struct cc_catalog *cat)
{
	size_t n = 0;

	if (strcmp(p->name, def->name) || strcmp(p->label, def->label) ||
	    strcmp(p->conninfo, def->conninfo))
		return false;
	for (size_t i = 0; i < cat->n_feeds; i++) {
		if (strcmp(cat->feeds[i].partner, def->name))
			continue;
		if (n >= p->n_feeds || !feed_eq(cc_feed_def(p->feeds[n]), &cat->feeds[i]))
			return false;
		n++;
	}
	return n == p->n_feeds;
}

void cc_partner_start(struct cc_partner *p) { cc_pgconn_start(p->pc); }

const char *cc_partner_name(const struct cc_partner *p) { return p->name; }
const char *cc_partner_conninfo(const struct cc_partner *p) { return p->conninfo; }
const char *cc_partner_state(const struct cc_partner *p) { return p->state; }
const char *cc_partner_reason(const struct cc_partner *p) { return p->reason; }
const char *cc_partner_error(const struct cc_partner *p) { return *p->error ? p->error : NULL; }
size_t cc_partner_feed_count(const struct cc_partner *p) { return p->n_feeds; }
const struct cc_feed *cc_partner_feed(const struct cc_partner *p, size_t i) { return p->feeds[i]; }
bool cc_partner_settled(const struct cc_partner *p) { return p->settled; }

uint64_t cc_partner_rows(const struct cc_partner *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->n_feeds; i++)
		n += cc_feed_rows(p->feeds[i]);
	return n;
}

uint64_t cc_partner_polls(const struct cc_partner *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->n_feeds; i++)
		n += cc_feed_polls(p->feeds[i]);
	return n;
}

json_t *cc_partner_json(const struct cc_partner *p)
{
	json_t *o = json_object(), *feeds = json_array();
	char iso[40];

	update((struct cc_partner *)p);  /* refresh the retry countdown in the reason */
	cc_format_iso(p->since_ms, iso, sizeof iso);
	json_object_set_new(o, "partner", json_string(p->name));
	json_object_set_new(o, "label", json_string(p->label));
	json_object_set_new(o, "state", json_string(p->state));
	json_object_set_new(o, "reason", *p->reason ? json_string(p->reason) : json_null());
	json_object_set_new(o, "since", json_string(iso));
	for (size_t i = 0; i < p->n_feeds; i++) {
		const struct cc_feed *f = p->feeds[i];
		const struct cc_feed_def *d = cc_feed_def(f);
		json_t *fo = json_object();
		enum cc_pg_state cs = cc_pgconn_state(p->pc);
		const char *state = cs == CC_PG_BACKOFF ? "backoff"
				    : cs == CC_PG_READY ? cc_feed_state_name(cc_feed_state(f))
							: "connecting";
		json_object_set_new(fo, "id", json_integer(d->id));
		json_object_set_new(fo, "state", json_string(state));
		if (d->kind == CC_FEED_QUERY) {
			json_object_set_new(fo, "kind", json_string("query"));
			json_object_set_new(fo, "metric", json_string(d->metric));
			json_object_set_new(fo, "as_of", json_boolean(d->as_of));
		} else {
			json_object_set_new(fo, "kind", json_string("observation"));
			json_object_set_new(fo, "relation", json_string(d->relation));
		}
		json_object_set_new(fo, "poll_interval_ms", json_integer(d->poll_interval_ms));
		if (d->kind == CC_FEED_OBSERVATION) {
			const struct cc_watermark *w = cc_feed_position(f);
			json_object_set_new(fo, "watermark", json_integer(cc_feed_watermark(f)));
			json_object_set_new(fo, "ids_read_above_gaps",
					    json_integer((json_int_t)cc_watermark_pending(w)));
			json_object_set_new(fo, "ids_given_up",
					    json_integer(cc_watermark_given_up(w)));
		}
		json_object_set_new(fo, "rows_read", json_integer((json_int_t)cc_feed_rows(f)));
		json_object_set_new(fo, "polls", json_integer((json_int_t)cc_feed_polls(f)));
		json_object_set_new(fo, "error",
				    cc_feed_error(f) ? json_string(cc_feed_error(f)) : json_null());
		if (cc_feed_last_ok_ms(f)) {
			cc_format_iso(cc_feed_last_ok_ms(f), iso, sizeof iso);
			json_object_set_new(fo, "last_ok", json_string(iso));
		} else {
			json_object_set_new(fo, "last_ok", json_null());
		}
		json_array_append_new(feeds, fo);
	}
	json_object_set_new(o, "feeds", feeds);
	return o;
}

void cc_partner_destroy(struct cc_partner *p)
{
	if (!p)
		return;
	cc_pgconn_destroy(p->pc);
	for (size_t i = 0; i < p->n_feeds; i++)
		cc_feed_destroy(p->feeds[i]);
	free(p->feeds);
	free(p->name);
	free(p->label);
	free(p->conninfo);
	free(p);
}
