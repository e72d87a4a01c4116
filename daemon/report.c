#include "report.h"
#include "timeparse.h"
#include "strbuf.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A year and a day: the hub refuses longer periods; anything beyond is not drawn. */
#define MAX_DAYS 400
/* Figures further out than this are not measures of a health system; clamping them keeps every
 * coordinate finite whatever the input says. */
#define CLAMP 1e12
/* The summary must stay one page: longer lists are cut with "and N more". */
#define SUMMARY_ROWS 8

/* Chart margins, in SVG user units; the width and height follow the measure's box on the page
 * (chart_box), so the text keeps about the same printed size however many measures share it. */
#define CL 44.0
#define CR 10.0
#define CT 12.0
#define CB 16.0

static const char STYLE[] =
	"@page{size:A4 landscape;margin:10mm 12mm}"
	"*{box-sizing:border-box}"
	"html{font:9pt/1.3 'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#000;"
	"background:#fff}"
	"body{margin:0}"
	"section{break-inside:avoid;page-break-inside:avoid;height:186mm;overflow:hidden;"
	"display:flex;flex-direction:column}"
	"section.stage{break-before:page;page-break-before:always}"
	"h1{font-size:17pt;margin:0 0 1mm}h2{font-size:12pt;margin:2.5mm 0 1mm}"
	"h3{font-size:8.5pt;margin:0 0 .5mm;line-height:1.2}"
	".metric p.where{margin:0 0 .5mm;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;"
	"flex:none}"
	"p{margin:.6mm 0}"
	".period{font-size:11pt;margin-bottom:2mm}"
	".cols{display:flex;gap:8mm}.cols>div{flex:1 1 0;min-width:0}"
	"table{border-collapse:collapse;width:100%;font-size:8pt}"
	"th,td{text-align:left;padding:.4mm 1.5mm;border-bottom:.2mm solid #999;vertical-align:top}"
	"td.n,th.n{text-align:right}"
	".more{font-style:italic}"
	".grid{flex:1 1 auto;min-height:0;display:grid;gap:2.5mm}"
	".metric{border:.3mm solid #777;padding:1.2mm 1.5mm;display:flex;flex-direction:column;"
	"min-height:0;min-width:0;overflow:hidden;break-inside:avoid}"
	".metric svg{flex:1 1 55%;min-height:12mm;width:100%}"
	".metric p{font-size:7.5pt;margin:.3mm 0 0}"
	".dense h3{font-size:7pt;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;"
	"overflow:hidden;flex:none}"
	".dense .metric p{font-size:6.3pt;line-height:1.2}"
	".dense .metric p.att{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;"
	"overflow:hidden}"
	".legend{font-size:7.5pt;margin:0 0 1.5mm}"
	".legend svg{height:3.2mm;width:9mm;vertical-align:middle}"
	"svg text{font-size:9px;fill:#000}"
	".ax{stroke:#000;stroke-width:.6;fill:none}"
	".grd{stroke:#ddd;stroke-width:.5}"
	".v{fill:none;stroke:#000;stroke-width:1.5}"
	".traj{fill:none;stroke:#444;stroke-width:1.3;stroke-dasharray:6 4}"
	".thr{stroke-width:.8;stroke-dasharray:1.5 2.5;fill:none}"
	".thr.amber{stroke:#c98a0b}.thr.red{stroke:#b03a2e}"
	".pt{stroke:#000;stroke-width:.8}"
	".pt.green{fill:#2e8b57}.pt.amber{fill:#fff;stroke:#b9770e;stroke-width:1.5}"
	".pt.red{fill:#b03a2e}.pt.none{fill:#fff}"
	".tgt{fill:#fff;stroke:#000;stroke-width:1.2}"
	".lv1{fill:#fff}.lv2{fill:#c8c8c8}.lv3{fill:#808080}.lv4{fill:#262626}.lv0{fill:#fff}"
	".strip rect{stroke:#000;stroke-width:.5}"
	".strip text.on-dark{fill:#fff}"
	".nofig{fill:#555;font-style:italic}"
	"@media screen{html{background:#ddd}body{padding:4mm 0}"
	"section{width:273mm;margin:0 auto 6mm;padding:10mm 12mm;background:#fff;height:210mm}}";

/* ---- reading the document: every accessor tolerates a missing key or another type ------- */

static const char *str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool num(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);
	double d;

	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (!isfinite(d))
		return false;
	*out = d > CLAMP ? CLAMP : d < -CLAMP ? -CLAMP : d;
	return true;
}

/* A count: a whole number from 0 up, else 0. */
static long long count(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return 0;
	n = json_integer_value(v);
	return n < 0 ? 0 : n > 1000000000 ? 1000000000 : (long long)n;
}

static int decimals_of(const json_t *m)
{
	const json_t *v = json_object_get(m, "decimals");
	json_int_t d = json_is_integer(v) ? json_integer_value(v) : 0;

	return d < 0 ? 0 : d > 6 ? 6 : (int)d;
}

static bool higher_is_better(const json_t *m)
{
	return json_is_true(json_object_get(m, "higher_is_better"));
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Text as HTML (element content and quoted attribute values alike). */
static void esc(struct cc_strbuf *sb, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		cc_strbuf_append(sb, run, (size_t)(s - run));
		cc_strbuf_puts(sb, rep);
		run = s + 1;
	}
	cc_strbuf_append(sb, run, (size_t)(s - run));
}

bool cc_report_parse_day(const char *s, long *days)
{
	return cc_dateparse(s, days, NULL, NULL, NULL);
}

static const char *const MONTHS[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* "3 Nov 2026" (with_year) or "3 Nov"; text that is not a date is shown as it came. */
static void day_words(struct cc_strbuf *sb, const char *s, bool with_year)
{
	int y, m, d;

	if (!cc_dateparse(s, NULL, &y, &m, &d)) {
		esc(sb, s ? s : "?");
		return;
	}
	if (with_year)
		cc_strbuf_printf(sb, "%d %s %04d", d, MONTHS[m - 1], y);
	else
		cc_strbuf_printf(sb, "%d %s", d, MONTHS[m - 1]);
}

/* A figure in the metric's unit: "74.2%", "38 min", "12". */
static void value_words(struct cc_strbuf *sb, double v, int decimals, const char *unit)
{
	cc_strbuf_printf(sb, "%.*f", decimals, v);
	if (!unit || !*unit)
		return;
	if (strcmp(unit, "%"))
		cc_strbuf_puts(sb, " ");
	esc(sb, unit);
}

/* The unit a difference is counted in: percentages differ by points. */
static void diff_unit(struct cc_strbuf *sb, const char *unit)
{
	if (unit && !strcmp(unit, "%"))
		cc_strbuf_puts(sb, " points");
	else if (unit && *unit) {
		cc_strbuf_puts(sb, " ");
		esc(sb, unit);
	}
}

static void figure(struct cc_strbuf *sb, const char *name, long long n)
{
	cc_strbuf_printf(sb, "<span data-figure=\"%s\">%lld</span>", name, n);
}

/* "Metric label at Site - Partner" as a heading's text. */
static void series_title(struct cc_strbuf *sb, const json_t *o)
{
	const char *metric = str(o, "metric_label"), *site = str(o, "site_label"),
		   *partner = str(o, "partner_label");

	esc(sb, metric && *metric ? metric : str(o, "metric"));
	if (site && *site) {
		cc_strbuf_puts(sb, " at ");
		esc(sb, site);
	}
	if (partner && *partner) {
		cc_strbuf_puts(sb, " - ");
		esc(sb, partner);
	}
}

/* A measure's heading in two parts, so that a long label cut short on a crowded page still
 * leaves the place readable: the label (what), then "at Site - Partner" (where). */
static void where(struct cc_strbuf *sb, const json_t *o, bool what)
{
	const char *metric = str(o, "metric_label"), *site = str(o, "site_label"),
		   *partner = str(o, "partner_label");

	if (what) {
		esc(sb, metric && *metric ? metric : str(o, "metric"));
		return;
	}
	if (site && *site) {
		cc_strbuf_puts(sb, "at ");
		esc(sb, site);
		if (partner && *partner)
			cc_strbuf_puts(sb, " - ");
	}
	esc(sb, partner);
}

/* ---- the chart of one series ------------------------------------------------------------- */

struct series {
	size_t n;
	double v[MAX_DAYS], e[MAX_DAYS];
	bool has_v[MAX_DAYS], has_e[MAX_DAYS];
	const char *status[MAX_DAYS], *day[MAX_DAYS];
	double lo, hi;
	double w, h;               /* the viewBox */
};

static void widen(struct series *s, double x)
{
	if (x < s->lo)
		s->lo = x;
	if (x > s->hi)
		s->hi = x;
}

static double xs(const struct series *s, double i)
{
	double w = s->w - CL - CR;

	return s->n > 1 ? CL + i * w / (double)(s->n - 1) : CL + w / 2;
}

static double ys(const struct series *s, double v)
{
	return CT + (s->hi - v) / (s->hi - s->lo) * (s->h - CT - CB);
}

static const char *status_class(const char *st)
{
	if (st && !strcmp(st, "green"))
		return "green";
	if (st && !strcmp(st, "amber"))
		return "amber";
	if (st && !strcmp(st, "red"))
		return "red";
	return "none";
}

/* A point's shape says its status without colour: circle green, square amber, triangle red. */
static void point(struct cc_strbuf *sb, double x, double y, const char *cls)
{
	if (!strcmp(cls, "amber"))
		cc_strbuf_printf(sb, "<rect class=\"pt amber\" x=\"%.1f\" y=\"%.1f\" width=\"6\" "
				 "height=\"6\"", x - 3, y - 3);
	else if (!strcmp(cls, "red"))
		cc_strbuf_printf(sb, "<path class=\"pt red\" d=\"M%.1f %.1fl3.8 6.6h-7.6z\"", x,
				 y - 4.2);
	else
		cc_strbuf_printf(sb, "<circle class=\"pt %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"", cls, x,
				 y);
}

static void threshold_line(struct cc_strbuf *sb, const struct series *s, const char *cls,
			   double v, int decimals, const char *unit)
{
	double y = ys(s, v);

	cc_strbuf_printf(sb, "<line class=\"thr %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			 cls, CL, y, s->w - CR, y);
	cc_strbuf_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"7\">%s ", CL + 2, y - 1.5,
			 cls);
	value_words(sb, v, decimals, unit);
	cc_strbuf_puts(sb, "</text>");
}

static void chart(struct cc_strbuf *sb, const json_t *m, double w, double h)
{
	struct series *s = calloc(1, sizeof *s);
	const json_t *days = json_object_get(m, "days"), *goal = json_object_get(m, "goal");
	int dec = decimals_of(m);
	const char *unit = str(m, "unit");
	double amber, red, target = 0, step;
	bool has_amber = num(m, "amber", &amber), has_red = num(m, "red", &red);
	bool has_target = json_is_object(goal) && num(goal, "target", &target);
	bool any = false;

	if (!s)
		return;
	s->w = w;
	s->h = h;
	s->lo = INFINITY;
	s->hi = -INFINITY;
	for (size_t i = 0; json_is_array(days) && i < json_array_size(days) && s->n < MAX_DAYS; i++) {
		const json_t *d = json_array_get(days, i);
		size_t k = s->n++;

		s->day[k] = str(d, "day");
		s->status[k] = str(d, "status");
		if ((s->has_v[k] = num(d, "value", &s->v[k]))) {
			widen(s, s->v[k]);
			any = true;
		}
		if ((s->has_e[k] = num(d, "expected", &s->e[k])))
			widen(s, s->e[k]);
	}
	if (has_target)
		widen(s, target);
	if (has_amber)
		widen(s, amber);
	if (has_red)
		widen(s, red);
	if (!isfinite(s->lo)) {
		s->lo = 0;
		s->hi = 1;
	}
	/* a flat series gets a band around it; every series gets a margin above and below */
	step = s->hi - s->lo;
	if (step < 1e-9 * (fabs(s->hi) > 1 ? fabs(s->hi) : 1))
		step = fabs(s->hi) > 1 ? fabs(s->hi) * 0.1 : 1;
	s->lo -= step * 0.08;
	s->hi += step * 0.08;

	cc_strbuf_printf(sb, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
			 "aria-label=\"daily figures", s->w, s->h);
	if (has_target)
		cc_strbuf_puts(sb, " against the trajectory");
	cc_strbuf_puts(sb, "\">");
	/* axes and the value scale: bottom, middle and top */
	cc_strbuf_printf(sb, "<path class=\"ax\" d=\"M%.1f %.1fV%.1fH%.1f\"/>", CL, CT, s->h - CB,
			 s->w - CR);
	for (int t = 0; t <= 2; t++) {
		double v = s->lo + (s->hi - s->lo) * t / 2.0, y = ys(s, v);
		if (t)
			cc_strbuf_printf(sb, "<line class=\"grd\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
					 "y2=\"%.1f\"/>", CL, y, s->w - CR, y);
		cc_strbuf_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", CL - 3,
				 y + 3);
		/* the scale carries numbers; a unit longer than "%" is said once, above it */
		value_words(sb, v, dec, unit && !strcmp(unit, "%") ? unit : NULL);
		cc_strbuf_puts(sb, "</text>");
	}
	if (unit && *unit && strcmp(unit, "%")) {
		cc_strbuf_puts(sb, "<text x=\"2\" y=\"8\" font-size=\"7\">");
		esc(sb, unit);
		cc_strbuf_puts(sb, "</text>");
	}
	if (s->n) {
		cc_strbuf_printf(sb, "<text x=\"%.1f\" y=\"%.1f\">", CL, s->h - 3);
		day_words(sb, s->day[0], false);
		cc_strbuf_puts(sb, "</text>");
		if (s->n > 1) {
			cc_strbuf_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", s->w - CR,
					 s->h - 3);
			day_words(sb, s->day[s->n - 1], false);
			cc_strbuf_puts(sb, "</text>");
		}
	}
	if (has_amber)
		threshold_line(sb, s, "amber", amber, dec, unit);
	if (has_red)
		threshold_line(sb, s, "red", red, dec, unit);

	/* the trajectory, dashed */
	for (size_t i = 0, started = 0; i < s->n; i++) {
		if (!s->has_e[i])
			continue;
		cc_strbuf_printf(sb, "%s%.1f %.1f", started ? " " : "<polyline class=\"traj\" points=\"",
				 xs(s, (double)i), ys(s, s->e[i]));
		started = 1;
		if (i + 1 == s->n || !s->has_e[i + 1]) {
			cc_strbuf_puts(sb, "\"/>");
			started = 0;
		}
	}
	/* the target, a diamond where the goal ends (at the edge when that is outside the period) */
	if (has_target && s->n) {
		long first, last, ends, idx;
		double x;
		if (cc_dateparse(s->day[0], &first, NULL, NULL, NULL) &&
		    cc_dateparse(s->day[s->n - 1], &last, NULL, NULL, NULL) &&
		    cc_dateparse(str(goal, "ends_on"), &ends, NULL, NULL, NULL) && last >= first) {
			idx = ends < first ? 0 : ends > last ? last - first : ends - first;
			x = xs(s, (double)(idx < (long)s->n ? idx : (long)s->n - 1));
		} else {
			x = s->w - CR;
		}
		cc_strbuf_printf(sb, "<path class=\"tgt\" d=\"M%.1f %.1fl4.5 4.5l-4.5 4.5l-4.5 -4.5z\"/>",
				 x, ys(s, target) - 4.5);
		cc_strbuf_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">target ",
				 x > s->w / 2 ? x - 7 : x + 7, ys(s, target) - 6, x > s->w / 2 ? "end" : "start");
		value_words(sb, target, dec, unit);
		cc_strbuf_puts(sb, "</text>");
	}
	/* the daily figures: a line through consecutive days, a point on each */
	for (size_t i = 0, started = 0; i < s->n; i++) {
		if (!s->has_v[i])
			continue;
		cc_strbuf_printf(sb, "%s%.1f %.1f", started ? " " : "<polyline class=\"v\" points=\"",
				 xs(s, (double)i), ys(s, s->v[i]));
		started = 1;
		if (i + 1 == s->n || !s->has_v[i + 1]) {
			cc_strbuf_puts(sb, "\"/>");
			started = 0;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		const char *cls = status_class(s->status[i]);
		if (!s->has_v[i])
			continue;
		point(sb, xs(s, (double)i), ys(s, s->v[i]), cls);
		cc_strbuf_puts(sb, " data-day=\"");
		esc(sb, s->day[i]);
		cc_strbuf_printf(sb, "\" data-value=\"%.*f\" data-status=\"%s\"><title>", dec, s->v[i],
				 cls);
		day_words(sb, s->day[i], true);
		cc_strbuf_puts(sb, ": ");
		value_words(sb, s->v[i], dec, unit);
		cc_strbuf_printf(sb, " (%s)</title></%s>", strcmp(cls, "none") ? cls : "no status",
				 !strcmp(cls, "amber") ? "rect" : !strcmp(cls, "red") ? "path" : "circle");
	}
	if (!any)
		cc_strbuf_printf(sb, "<text class=\"nofig\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
				 "no daily figure in the period</text>", CL + (s->w - CL - CR) / 2,
				 CT + (s->h - CT - CB) / 2);
	cc_strbuf_puts(sb, "</svg>");
	free(s);
}

/* ---- one measure on its stage's page ------------------------------------------------------ */

static void attainment(struct cc_strbuf *sb, const json_t *m)
{
	const json_t *goal = json_object_get(m, "goal"), *a = json_object_get(m, "attainment");
	const char *unit = str(m, "unit");
	int dec = decimals_of(m);
	double last, target;

	if (!json_is_object(goal)) {
		cc_strbuf_puts(sb, "<p class=\"att\" data-goal=\"none\">No agreed goal.</p>");
		return;
	}
	cc_strbuf_puts(sb, "<p class=\"att\">On or better than trajectory on ");
	figure(sb, "on_track", count(a, "on_track"));
	cc_strbuf_puts(sb, " of ");
	figure(sb, "with_figure", count(a, "with_figure"));
	cc_strbuf_puts(sb, " days.");
	if (num(a, "last_value", &last) && num(goal, "target", &target)) {
		bool better = higher_is_better(m) ? last >= target : last <= target;
		const json_t *met = json_object_get(a, "target_met");
		double gap = fabs(last - target);

		if (json_is_boolean(met))
			better = json_is_true(met);
		cc_strbuf_puts(sb, " Last ");
		value_words(sb, last, dec, unit);
		cc_strbuf_puts(sb, " (");
		day_words(sb, str(a, "last_day"), false);
		cc_strbuf_puts(sb, "), target ");
		value_words(sb, target, dec, unit);
		cc_strbuf_puts(sb, " by ");
		day_words(sb, str(goal, "ends_on"), true);
		cc_strbuf_printf(sb, ": <span data-figure=\"target_met\" data-value=\"%s\">", better ?
				 "yes" : "no");
		if (better && gap < 0.5 * pow(10, -dec)) {
			cc_strbuf_puts(sb, "on the target");
		} else {
			cc_strbuf_printf(sb, "%.*f", dec, gap);
			diff_unit(sb, unit);
			cc_strbuf_puts(sb, better ? " better" : " short");
		}
		cc_strbuf_puts(sb, "</span>.");
	}
	cc_strbuf_puts(sb, "</p>");
}

static void day_counts(struct cc_strbuf *sb, const json_t *m)
{
	const json_t *c = json_object_get(m, "counts");

	cc_strbuf_puts(sb, "<p class=\"counts\">Days: ");
	figure(sb, "days_green", count(c, "green"));
	cc_strbuf_puts(sb, " green (&#9679;), ");
	figure(sb, "days_amber", count(c, "amber"));
	cc_strbuf_puts(sb, " amber (&#9633;), ");
	figure(sb, "days_red", count(c, "red"));
	cc_strbuf_puts(sb, " red (&#9650;), ");
	figure(sb, "days_none", count(c, "none"));
	cc_strbuf_puts(sb, " no figure.</p>");
}

static void measure(struct cc_strbuf *sb, const json_t *m, double w, double h)
{
	cc_strbuf_puts(sb, "<div class=\"metric\" data-partner=\"");
	esc(sb, str(m, "partner"));
	cc_strbuf_puts(sb, "\" data-metric=\"");
	esc(sb, str(m, "metric"));
	cc_strbuf_puts(sb, "\" data-site=\"");
	esc(sb, str(m, "site"));
	cc_strbuf_puts(sb, "\"><h3>");
	where(sb, m, true);
	cc_strbuf_puts(sb, "</h3><p class=\"where\">");
	where(sb, m, false);
	cc_strbuf_puts(sb, "</p>");
	chart(sb, m, w, h);
	day_counts(sb, m);
	attainment(sb, m);
	cc_strbuf_puts(sb, "</div>");
}

static void legend(struct cc_strbuf *sb)
{
	cc_strbuf_puts(sb,
		"<p class=\"legend\">"
		"<svg viewBox=\"0 0 30 10\"><line class=\"v\" x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\"/>"
		"</svg> daily figure &#160; "
		"<svg viewBox=\"0 0 30 10\"><line class=\"traj\" x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\"/>"
		"</svg> trajectory &#160; "
		"<svg viewBox=\"0 0 30 10\"><path class=\"tgt\" d=\"M15 1l4 4l-4 4l-4 -4z\"/></svg> "
		"target &#160; "
		"<svg viewBox=\"0 0 30 10\"><line class=\"thr amber\" x1=\"0\" y1=\"5\" x2=\"30\" "
		"y2=\"5\"/></svg> amber and red lines &#160; "
		"day's status: <svg viewBox=\"0 0 30 10\"><circle class=\"pt green\" cx=\"15\" cy=\"5\" "
		"r=\"3\"/></svg> green "
		"<svg viewBox=\"0 0 30 10\"><rect class=\"pt amber\" x=\"12\" y=\"2\" width=\"6\" "
		"height=\"6\"/></svg> amber "
		"<svg viewBox=\"0 0 30 10\"><path class=\"pt red\" d=\"M15 1l3.8 6.6h-7.6z\"/></svg> red"
		"</p>");
}

/* The viewBox of a chart in a grid of cols x rows on a landscape A4 page (about 273 x 165 mm
 * for the grid): 9 units of text print at about 2.6 mm, and the chart takes the box's shape
 * less the lines of text under it. */
static void chart_box(size_t cols, size_t rows, double *w, double *h)
{
	double cell_w = 273.0 / (double)cols, cell_h = 165.0 / (double)rows - 16.0;

	if (cell_h < 10)
		cell_h = 10;
	*w = cell_w * 9.0 / 2.6;
	*h = *w * cell_h / cell_w;
	if (*h > *w * 0.6)
		*h = *w * 0.6;
	if (*h < 70)
		*h = 70;
}

static void stage_page(struct cc_strbuf *sb, const json_t *st)
{
	const json_t *metrics = json_object_get(st, "metrics");
	size_t n = json_is_array(metrics) ? json_array_size(metrics) : 0;
	size_t cols, rows;
	double w, h;

	/* every measure of a stage on its one page: columns and rows grow together, keeping the
	 * cells about as wide as they are tall on a page 1.65 times wider than the grid is tall */
	cols = n > 1 ? (size_t)lround(sqrt((double)n * 1.65)) : 1;
	if (cols > n)
		cols = n;
	if (cols < 1)
		cols = 1;
	rows = n ? (n + cols - 1) / cols : 1;
	cc_strbuf_puts(sb, "<section class=\"stage\" data-stage=\"");
	esc(sb, str(st, "key"));
	cc_strbuf_puts(sb, "\"><h2>");
	esc(sb, str(st, "label") ? str(st, "label") : str(st, "key"));
	cc_strbuf_puts(sb, "</h2>");
	legend(sb);
	cc_strbuf_printf(sb, "<div class=\"grid%s\" style=\"grid-template-columns:repeat(%zu,minmax(0,1fr));"
			 "grid-template-rows:repeat(%zu,minmax(0,1fr))\">", rows >= 3 || cols >= 5 ? " dense" : "",
			 cols, rows);
	chart_box(cols, rows, &w, &h);
	for (size_t i = 0; i < n; i++) {
		const json_t *m = json_array_get(metrics, i);
		if (json_is_object(m))
			measure(sb, m, w, h);
	}
	cc_strbuf_puts(sb, "</div></section>");
}

/* ---- the summary page ----------------------------------------------------------------------- */

static void level_strip(struct cc_strbuf *sb, const json_t *levels)
{
	size_t n = json_is_array(levels) ? json_array_size(levels) : 0;
	long long at[5] = { 0 };
	double w;

	if (n > MAX_DAYS)
		n = MAX_DAYS;
	cc_strbuf_puts(sb, "<h2>Escalation level by day</h2>");
	if (!n) {
		cc_strbuf_puts(sb, "<p>No days in the period.</p>");
		return;
	}
	w = 1000.0 / (double)n;
	cc_strbuf_puts(sb, "<svg class=\"strip\" viewBox=\"0 0 1000 58\" role=\"img\" "
		       "aria-label=\"the highest escalation level of each day\">");
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(levels, i);
		const json_t *lv = json_object_get(d, "level");
		json_int_t level = json_is_integer(lv) ? json_integer_value(lv) : 0;

		if (level < 1 || level > 4)
			level = 0;
		at[level]++;
		cc_strbuf_printf(sb, "<rect class=\"lv%d\" x=\"%.2f\" y=\"1\" width=\"%.2f\" height=\"36\" "
				 "data-day=\"", (int)level, (double)i * w, w);
		esc(sb, str(d, "day"));
		if (level)
			cc_strbuf_printf(sb, "\" data-level=\"%d\"><title>", (int)level);
		else
			cc_strbuf_puts(sb, "\" data-level=\"\"><title>");
		day_words(sb, str(d, "day"), true);
		if (level)
			cc_strbuf_printf(sb, ": level %d", (int)level);
		else
			cc_strbuf_puts(sb, ": no level recorded");
		cc_strbuf_puts(sb, "</title></rect>");
		/* the digit says the level where the shade alone would not (and in black and white) */
		if (w >= 11)
			cc_strbuf_printf(sb, "<text x=\"%.2f\" y=\"24\" text-anchor=\"middle\" "
					 "font-size=\"%d\"%s>%c</text>", (double)i * w + w / 2,
					 w >= 22 ? 14 : 10, level >= 3 ? " class=\"on-dark\"" : "",
					 level ? (char)('0' + level) : '-');
	}
	cc_strbuf_puts(sb, "<text x=\"0\" y=\"52\" font-size=\"12\">");
	day_words(sb, str(json_array_get(levels, 0), "day"), true);
	cc_strbuf_puts(sb, "</text><text x=\"1000\" y=\"52\" font-size=\"12\" text-anchor=\"end\">");
	day_words(sb, str(json_array_get(levels, n - 1), "day"), true);
	cc_strbuf_puts(sb, "</text></svg><p>Highest level held each day: ");
	for (int l = 4; l >= 1; l--) {
		char name[16];
		snprintf(name, sizeof name, "level%d_days", l);
		cc_strbuf_printf(sb, "level %d on ", l);
		figure(sb, name, at[l]);
		cc_strbuf_puts(sb, l > 1 ? " days, " : " days");
	}
	if (at[0]) {
		cc_strbuf_puts(sb, "; no level recorded on ");
		figure(sb, "level_unknown_days", at[0]);
		cc_strbuf_puts(sb, " days");
	}
	cc_strbuf_puts(sb, ". Darker is higher; each day shows its number.</p>");
}

static void alerts_block(struct cc_strbuf *sb, const json_t *a)
{
	double median;

	cc_strbuf_puts(sb, "<h2>Alerts</h2><p>");
	figure(sb, "alerts_fired", count(a, "fired"));
	cc_strbuf_puts(sb, " alerts fired (");
	figure(sb, "alerts_critical", count(a, "critical"));
	cc_strbuf_puts(sb, " critical, ");
	figure(sb, "alerts_warning", count(a, "warning"));
	cc_strbuf_puts(sb, " warning). ");
	figure(sb, "alerts_acknowledged", count(a, "acknowledged"));
	cc_strbuf_puts(sb, " acknowledged");
	if (num(a, "median_ack_minutes", &median))
		cc_strbuf_printf(sb, ", a median of <span data-figure=\"median_ack_minutes\">%.1f</span> "
				 "minutes from firing to acknowledgement", median);
	cc_strbuf_puts(sb, "; ");
	figure(sb, "alerts_unacknowledged", count(a, "unacknowledged"));
	cc_strbuf_puts(sb, " never acknowledged.</p>");
}

static void action_row(struct cc_strbuf *sb, const json_t *a)
{
	const char *owner = str(a, "owner_name");

	cc_strbuf_puts(sb, "<tr><td>");
	esc(sb, str(a, "title"));
	cc_strbuf_puts(sb, "</td><td>");
	esc(sb, owner ? owner : str(a, "owner"));
	cc_strbuf_puts(sb, "</td><td>");
	day_words(sb, str(a, "due_on"), true);
	cc_strbuf_puts(sb, "</td><td>");
	if (str(a, "metric_label") && *str(a, "metric_label"))
		series_title(sb, a);
	else if (str(a, "partner_label"))
		esc(sb, str(a, "partner_label"));
	cc_strbuf_puts(sb, "</td></tr>");
}

static void actions_block(struct cc_strbuf *sb, const json_t *a)
{
	const json_t *opened = json_object_get(a, "opened"), *closed = json_object_get(a, "closed"),
		     *overdue = json_object_get(a, "overdue"), *owners = json_object_get(a, "owners");
	size_t n_over = json_is_array(overdue) ? json_array_size(overdue) : 0;
	size_t n_own = json_is_array(owners) ? json_array_size(owners) : 0;

	cc_strbuf_puts(sb, "<h2>Actions</h2><p>");
	figure(sb, "actions_opened", json_is_array(opened) ? (long long)json_array_size(opened) : 0);
	cc_strbuf_puts(sb, " opened, ");
	figure(sb, "actions_closed", json_is_array(closed) ? (long long)json_array_size(closed) : 0);
	cc_strbuf_puts(sb, " closed, ");
	figure(sb, "actions_overdue", (long long)n_over);
	cc_strbuf_puts(sb, " overdue at the end of the period.</p>");
	if (n_own) {
		cc_strbuf_puts(sb, "<table class=\"owners\"><tr><th>owner</th><th class=\"n\">opened</th>"
			       "<th class=\"n\">closed</th><th class=\"n\">overdue</th></tr>");
		for (size_t i = 0; i < n_own && i < SUMMARY_ROWS; i++) {
			const json_t *o = json_array_get(owners, i);
			const char *name = str(o, "owner_name");
			cc_strbuf_puts(sb, "<tr data-owner=\"");
			esc(sb, str(o, "owner"));
			cc_strbuf_puts(sb, "\"><td>");
			esc(sb, name ? name : str(o, "owner"));
			cc_strbuf_printf(sb, "</td><td class=\"n\" data-figure=\"opened\">%lld</td>"
					 "<td class=\"n\" data-figure=\"closed\">%lld</td>"
					 "<td class=\"n\" data-figure=\"overdue\">%lld</td></tr>",
					 count(o, "opened"), count(o, "closed"), count(o, "overdue"));
		}
		if (n_own > SUMMARY_ROWS)
			cc_strbuf_printf(sb, "<tr><td colspan=\"4\" class=\"more\">and %zu more owners"
					 "</td></tr>", n_own - SUMMARY_ROWS);
		cc_strbuf_puts(sb, "</table>");
	}
	if (n_over) {
		cc_strbuf_puts(sb, "<h2>Overdue actions</h2><table class=\"overdue\"><tr><th>action</th>"
			       "<th>owner</th><th>due</th><th>about</th></tr>");
		for (size_t i = 0; i < n_over && i < SUMMARY_ROWS; i++)
			action_row(sb, json_array_get(overdue, i));
		if (n_over > SUMMARY_ROWS)
			cc_strbuf_printf(sb, "<tr><td colspan=\"4\" class=\"more\">and %zu more</td></tr>",
					 n_over - SUMMARY_ROWS);
		cc_strbuf_puts(sb, "</table>");
	}
}

/* Every measure with a goal, one line each: how it went against its trajectory. */
static void goals_block(struct cc_strbuf *sb, const json_t *stages)
{
	size_t shown = 0, more = 0;

	for (size_t i = 0; json_is_array(stages) && i < json_array_size(stages); i++) {
		const json_t *ms = json_object_get(json_array_get(stages, i), "metrics");
		for (size_t j = 0; json_is_array(ms) && j < json_array_size(ms); j++) {
			const json_t *m = json_array_get(ms, j), *a = json_object_get(m, "attainment");
			if (!json_is_object(json_object_get(m, "goal")))
				continue;
			if (shown == SUMMARY_ROWS) {
				more++;
				continue;
			}
			if (!shown++)
				cc_strbuf_puts(sb, "<h2>Goals</h2><table class=\"goals\"><tr><th>measure</th>"
					       "<th class=\"n\">days on or better than trajectory</th>"
					       "</tr>");
			cc_strbuf_puts(sb, "<tr><td>");
			series_title(sb, m);
			cc_strbuf_printf(sb, "</td><td class=\"n\">%lld of %lld</td></tr>",
					 count(a, "on_track"), count(a, "with_figure"));
		}
	}
	if (more)
		cc_strbuf_printf(sb, "<tr><td colspan=\"2\" class=\"more\">and %zu more on the stage "
				 "pages</td></tr>", more);
	if (shown)
		cc_strbuf_puts(sb, "</table>");
}

static void summary_page(struct cc_strbuf *sb, const json_t *r)
{
	long a, b;
	const char *from = str(r, "from"), *to = str(r, "to"), *made = str(r, "generated_at");
	const json_t *stages = json_object_get(r, "stages");

	cc_strbuf_puts(sb, "<section class=\"summary\"><h1>Comm cell board report</h1>"
		       "<p class=\"period\">");
	day_words(sb, from, true);
	cc_strbuf_puts(sb, " to ");
	day_words(sb, to, true);
	if (cc_dateparse(from, &a, NULL, NULL, NULL) && cc_dateparse(to, &b, NULL, NULL, NULL) && b >= a)
		cc_strbuf_printf(sb, " (<span data-figure=\"days\">%ld</span> days)", b - a + 1);
	if (made) {
		cc_strbuf_puts(sb, ". Made ");
		esc(sb, made);
		cc_strbuf_puts(sb, " (London time)");
	}
	cc_strbuf_puts(sb, ". Daily figures are local days, Europe/London.</p>");
	level_strip(sb, json_object_get(r, "levels"));
	cc_strbuf_puts(sb, "<div class=\"cols\"><div>");
	alerts_block(sb, json_object_get(r, "alerts"));
	goals_block(sb, stages);
	if (!json_is_array(stages) || !json_array_size(stages))
		cc_strbuf_puts(sb, "<p data-figure=\"no_measures\">No measure had a daily figure or a "
			       "goal in the period.</p>");
	cc_strbuf_puts(sb, "</div><div>");
	actions_block(sb, json_object_get(r, "actions"));
	cc_strbuf_puts(sb, "</div></div></section>");
}

char *cc_report_html(const json_t *report, size_t *len)
{
	struct cc_strbuf sb = { 0 };
	const json_t *stages = json_object_get(report, "stages");
	const char *from = str(report, "from"), *to = str(report, "to");

	cc_strbuf_puts(&sb, "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width\">"
		       "<title>Comm cell board report, ");
	day_words(&sb, from, true);
	cc_strbuf_puts(&sb, " to ");
	day_words(&sb, to, true);
	cc_strbuf_puts(&sb, "</title><style>");
	cc_strbuf_puts(&sb, STYLE);
	cc_strbuf_puts(&sb, "</style></head><body>");
	summary_page(&sb, report);
	for (size_t i = 0; json_is_array(stages) && i < json_array_size(stages); i++) {
		const json_t *st = json_array_get(stages, i), *ms = json_object_get(st, "metrics");
		/* a page per stage that has something to show */
		if (json_is_object(st) && json_is_array(ms) && json_array_size(ms))
			stage_page(&sb, st);
	}
	cc_strbuf_puts(&sb, "</body></html>\n");
	if (len)
		*len = sb.len;
	return sb.data;
}
