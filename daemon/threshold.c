#include "threshold.h"
#include "bodycheck.h"
#include "utf8.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A number or null into *has and *v; anything else (or a non-finite number) is refused. */
static int line(struct cc_why *w, const json_t *body, const char *name, bool *has, double *v)
{
	const json_t *j = json_object_get(body, name);

	if (!j)
		return cc_why_bad(w, name, "%s is required (null for no %s line)", name, name);
	if (json_is_null(j)) {
		*has = false;
		return 0;
	}
	if (!json_is_number(j))
		return cc_why_bad(w, name, "%s must be a number or null", name);
	*v = json_number_value(j);
	if (!isfinite(*v) || fabs(*v) > 1e12)
		return cc_why_bad(w, name, "%s must be a finite number of reasonable size", name);
	*has = true;
	return 0;
}

static int text(struct cc_why *w, const json_t *body, const char *name, char *out, size_t len,
		bool required)
{
	const json_t *j = json_object_get(body, name);
	const char *s;

	if (!j || json_is_null(j)) {
		if (required)
			return cc_why_bad(w, name, "%s is required", name);
		out[0] = '\0';
		return 1;
	}
	if (!json_is_string(j))
		return cc_why_bad(w, name, "%s must be a string", name);
	s = json_string_value(j);
	if (strlen(s) >= len)
		return cc_why_bad(w, name, "%s is longer than %zu characters", name, len - 1);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20)
			return cc_why_bad(w, name, "%s contains a control character", name);
	cc_strlcpy(out, s, len);
	return 0;
}

int cc_threshold_parse(const json_t *body, const struct cc_catalog *cat,
		       struct cc_threshold_change *out, char *field, size_t flen, char *msg,
		       size_t mlen)
{
	static const char *const known[] = { "partner", "metric", "site", "amber", "red",
					     "hysteresis", "min_duration_s", "clear" };
	struct cc_why w = { field, msg, flen, mlen };
	const struct cc_metric_def *m;
	const char *key;
	json_t *v;
	int rc;

	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return cc_why_bad(&w, "", "the body must be a JSON object");
	json_object_foreach((json_t *)body, key, v) {
		bool ok = false;
		for (size_t i = 0; i < CC_ARRAY_LEN(known); i++)
			ok = ok || !strcmp(key, known[i]);
		if (!ok) {
			char cut[64];
			return cc_why_bad(&w, key, "unknown field '%s' (known: partner, metric, site, amber, "
					    "red, hysteresis, min_duration_s, clear)",
				   cc_utf8_copy(cut, sizeof cut, key));
		}
	}
	if (text(&w, body, "partner", out->partner, sizeof out->partner, true) < 0 ||
	    text(&w, body, "metric", out->metric, sizeof out->metric, true) < 0)
		return -1;
	rc = text(&w, body, "site", out->site, sizeof out->site, false);
	if (rc < 0)
		return -1;
	out->has_site = rc == 0;
	m = cat ? cc_catalog_metric(cat, out->partner, out->metric) : NULL;
	if (!m)
		return cc_why_bad(&w, "metric", "partner '%s' has no metric '%s'", out->partner, out->metric);

	v = json_object_get(body, "clear");
	if (v && !json_is_boolean(v))
		return cc_why_bad(&w, "clear", "clear must be true or false");
	out->clear = v && json_is_true(v);
	if (out->clear) {
		if (!out->has_site)
			return cc_why_bad(&w, "site", "clear removes one site's override: give its site");
		return 0;
	}

	if (line(&w, body, "amber", &out->has_amber, &out->amber) ||
	    line(&w, body, "red", &out->has_red, &out->red))
		return -1;
	if (out->has_amber && out->has_red) {
		if (m->higher_is_better && out->red > out->amber)
			return cc_why_bad(&w, "red", "red (%g) must be at or below amber (%g): higher is better "
					      "for %s", out->red, out->amber, m->label);
		if (!m->higher_is_better && out->red < out->amber)
			return cc_why_bad(&w, "red", "red (%g) must be at or above amber (%g): lower is better "
					      "for %s", out->red, out->amber, m->label);
	}

	v = json_object_get(body, "hysteresis");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1e12)
			return cc_why_bad(&w, "hysteresis", "hysteresis must be a number, zero or more");
		out->hysteresis = json_number_value(v);
	}
	if (out->has_amber && out->has_red && out->amber != out->red &&
	    out->hysteresis >= fabs(out->amber - out->red))
		return cc_why_bad(&w, "hysteresis", "hysteresis (%g) must be smaller than the gap between "
					     "amber and red (%g)", out->hysteresis,
			   fabs(out->amber - out->red));

	v = json_object_get(body, "min_duration_s");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 86400)
			return cc_why_bad(&w, "min_duration_s", "min_duration_s must be a whole number of "
							 "seconds from 0 to 86400");
		out->min_duration_s = (int)json_integer_value(v);
	}
	return 0;
}
