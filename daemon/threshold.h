/*
 * A threshold change asked for through the API (POST /api/thresholds), parsed and checked
 * against the catalog before anything reaches the hub: the metric exists, numbers are finite,
 * red lies beyond amber in the metric's bad direction, durations are in range. Pure functions,
 * so the rules are unit-tested without a database.
 */
#ifndef CC_THRESHOLD_H
#define CC_THRESHOLD_H

#include "catalog.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CC_SITE_MAX 64

struct cc_threshold_change {
	char partner[64];
	char metric[128];
	char site[CC_SITE_MAX + 1];
	bool has_site;             /* false: the metric's default for every site */
	bool clear;                /* remove the site's override */
	bool has_amber, has_red;   /* false: no such line (JSON null) */
	double amber, red;
	double hysteresis;
	int min_duration_s;
};

/* 0 with *out filled, or -1 with the offending field's name (or "" for the whole body) and a
 * message for people. */
int cc_threshold_parse(const json_t *body, const struct cc_catalog *cat,
		       struct cc_threshold_change *out, char *field, size_t flen, char *msg,
		       size_t mlen);

#endif
