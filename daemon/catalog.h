/* What the hub says exists: stages, partners, feeds and metric definitions.
 * A catalog is immutable once built; a reload builds a new one. */
#ifndef CC_CATALOG_H
#define CC_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

struct cc_stage {
	char *key;
	char *label;
	int position;
};

struct cc_partner_def {
	char *name;
	char *label;
	char *short_label;         /* on a wall display: the short label, else the label */
	char *conninfo;
};

enum cc_feed_kind { CC_FEED_OBSERVATION = 0, CC_FEED_QUERY };

struct cc_feed_def {
	int id;
	char *partner;
	enum cc_feed_kind kind;
	char *relation;            /* observation: schema.table, checked by the hub's constraint */
	char *channel;             /* observation: NOTIFY channel */
	char *metric;              /* query: the metric the query computes */
	char *query;               /* query: SQL returning (site text, value double precision) */
	bool as_of;                /* query: takes the instant it is evaluated at as $1 */
	int poll_interval_ms;
	int statement_timeout_ms;
	int batch_limit;
};

struct cc_metric_def {
	char *partner;
	char *key;
	char *label;
	char *short_label;         /* on a wall display tile: the short label, else the label */
	char *unit;
	char *stage;
	bool higher_is_better;
	bool has_amber, has_red;
	double amber, red;
	int freshness_s;
	int decimals;
	int position;
	double hysteresis;
	int min_duration_s;
	bool line_inclusive;       /* a value exactly on a line has that line's status */
};

/* A per-site override of a metric's thresholds. */
struct cc_threshold {
	char *partner, *metric, *site;
	bool has_amber, has_red;
	double amber, red;
	double hysteresis;
	int min_duration_s;
};

/* The system level is at least `level` when `count` metrics in scope are at `status` or worse. */
struct cc_level_rule {
	int level;
	bool red_only;             /* status 'red'; else 'amber' (amber or red) */
	int count;
	char *stage;               /* NULL: every stage */
	char *partner;             /* NULL: every partner */
	char *description;
};

/* An alert rule as the evaluator needs it (the rest lives in the hub's functions). */
struct cc_alert_rule {
	int id;
	char *name;
	char *partner, *metric, *site;   /* NULL matches any */
	bool by_level;                   /* watches the system level instead of metrics */
	int level;
	bool red_only;                   /* status 'red'; else 'amber' (amber or red) */
};

struct cc_catalog {
	struct cc_stage *stages;
	size_t n_stages;
	struct cc_partner_def *partners;
	size_t n_partners;
	struct cc_feed_def *feeds;
	size_t n_feeds;
	struct cc_metric_def *metrics;
	size_t n_metrics;
	struct cc_threshold *thresholds;
	size_t n_thresholds;
	struct cc_level_rule *level_rules;
	size_t n_level_rules;
	struct cc_alert_rule *alert_rules;
	size_t n_alert_rules;
};

struct cc_catalog *cc_catalog_create(void);
void cc_catalog_destroy(struct cc_catalog *cat);

struct cc_stage *cc_catalog_add_stage(struct cc_catalog *cat);
struct cc_partner_def *cc_catalog_add_partner(struct cc_catalog *cat);
struct cc_feed_def *cc_catalog_add_feed(struct cc_catalog *cat);
struct cc_metric_def *cc_catalog_add_metric(struct cc_catalog *cat);
struct cc_threshold *cc_catalog_add_threshold(struct cc_catalog *cat);
struct cc_level_rule *cc_catalog_add_level_rule(struct cc_catalog *cat);
struct cc_alert_rule *cc_catalog_add_alert_rule(struct cc_catalog *cat);

/* The override for this site, or NULL. */
const struct cc_threshold *cc_catalog_threshold(const struct cc_catalog *cat, const char *partner,
						const char *metric, const char *site);

const struct cc_metric_def *cc_catalog_metric(const struct cc_catalog *cat,
					      const char *partner, const char *key);
const struct cc_partner_def *cc_catalog_partner(const struct cc_catalog *cat, const char *name);

#endif
