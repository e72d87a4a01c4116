#include "catalog.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct cc_catalog *cc_catalog_create(void) { return cc_xcalloc(1, sizeof(struct cc_catalog)); }

/* Grow an array by one zeroed element; catalogs are small and built once. */
static void *grow(void *arr, size_t *n, size_t size)
{
	char *p = cc_xrealloc(arr, (*n + 1) * size);
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

struct cc_stage *cc_catalog_add_stage(struct cc_catalog *cat)
{
	cat->stages = grow(cat->stages, &cat->n_stages, sizeof *cat->stages);
	return &cat->stages[cat->n_stages - 1];
}

struct cc_partner_def *cc_catalog_add_partner(struct cc_catalog *cat)
{
	cat->partners = grow(cat->partners, &cat->n_partners, sizeof *cat->partners);
	return &cat->partners[cat->n_partners - 1];
}

struct cc_feed_def *cc_catalog_add_feed(struct cc_catalog *cat)
{
	cat->feeds = grow(cat->feeds, &cat->n_feeds, sizeof *cat->feeds);
	return &cat->feeds[cat->n_feeds - 1];
}

struct cc_metric_def *cc_catalog_add_metric(struct cc_catalog *cat)
{
	cat->metrics = grow(cat->metrics, &cat->n_metrics, sizeof *cat->metrics);
	return &cat->metrics[cat->n_metrics - 1];
}

struct cc_threshold *cc_catalog_add_threshold(struct cc_catalog *cat)
{
	cat->thresholds = grow(cat->thresholds, &cat->n_thresholds, sizeof *cat->thresholds);
	return &cat->thresholds[cat->n_thresholds - 1];
}

struct cc_level_rule *cc_catalog_add_level_rule(struct cc_catalog *cat)
{
	cat->level_rules = grow(cat->level_rules, &cat->n_level_rules, sizeof *cat->level_rules);
	return &cat->level_rules[cat->n_level_rules - 1];
}

struct cc_alert_rule *cc_catalog_add_alert_rule(struct cc_catalog *cat)
{
	cat->alert_rules = grow(cat->alert_rules, &cat->n_alert_rules, sizeof *cat->alert_rules);
	return &cat->alert_rules[cat->n_alert_rules - 1];
}

const struct cc_threshold *cc_catalog_threshold(const struct cc_catalog *cat, const char *partner,
						const char *metric, const char *site)
{
	for (size_t i = 0; cat && i < cat->n_thresholds; i++) {
		const struct cc_threshold *t = &cat->thresholds[i];
		if (!strcmp(t->metric, metric) && !strcmp(t->site, site) && !strcmp(t->partner, partner))
			return t;
	}
	return NULL;
}

const struct cc_metric_def *cc_catalog_metric(const struct cc_catalog *cat,
					      const char *partner, const char *key)
{
	for (size_t i = 0; i < cat->n_metrics; i++)
		if (!strcmp(cat->metrics[i].key, key) && !strcmp(cat->metrics[i].partner, partner))
			return &cat->metrics[i];
	return NULL;
}

const struct cc_partner_def *cc_catalog_partner(const struct cc_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->n_partners; i++)
		if (!strcmp(cat->partners[i].name, name))
			return &cat->partners[i];
	return NULL;
}

void cc_catalog_destroy(struct cc_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->n_stages; i++) {
		free(cat->stages[i].key);
		free(cat->stages[i].label);
	}
	for (size_t i = 0; i < cat->n_partners; i++) {
		free(cat->partners[i].name);
		free(cat->partners[i].label);
		free(cat->partners[i].short_label);
		free(cat->partners[i].conninfo);
	}
	for (size_t i = 0; i < cat->n_feeds; i++) {
		free(cat->feeds[i].partner);
		free(cat->feeds[i].relation);
		free(cat->feeds[i].channel);
		free(cat->feeds[i].metric);
		free(cat->feeds[i].query);
	}
	for (size_t i = 0; i < cat->n_metrics; i++) {
		struct cc_metric_def *m = &cat->metrics[i];
		free(m->partner);
		free(m->key);
		free(m->label);
		free(m->short_label);
		free(m->unit);
		free(m->stage);
	}
	for (size_t i = 0; i < cat->n_thresholds; i++) {
		free(cat->thresholds[i].partner);
		free(cat->thresholds[i].metric);
		free(cat->thresholds[i].site);
	}
	for (size_t i = 0; i < cat->n_level_rules; i++) {
		free(cat->level_rules[i].stage);
		free(cat->level_rules[i].partner);
		free(cat->level_rules[i].description);
	}
	for (size_t i = 0; i < cat->n_alert_rules; i++) {
		free(cat->alert_rules[i].name);
		free(cat->alert_rules[i].partner);
		free(cat->alert_rules[i].metric);
		free(cat->alert_rules[i].site);
	}
	free(cat->alert_rules);
	free(cat->thresholds);
	free(cat->level_rules);
	free(cat->stages);
	free(cat->partners);
	free(cat->feeds);
	free(cat->metrics);
	free(cat);
}
