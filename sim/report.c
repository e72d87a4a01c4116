#include "report.h"

#include <stdio.h>
#include <time.h>

#include "acute.h"
#include "ambulance.h"
#include "community.h"
#include "iuc.h"
#include "mhealth.h"

void report_line(const struct world *w, char *buf, size_t size)
{
	struct acute_report ar;
	struct ambulance_report am;
	struct iuc_report ir;
	struct community_report cr;
	struct mhealth_report mr;
	char when[32];
	time_t s = (time_t)(w->now / US_PER_S);
	struct tm tm;

	acute_report(w, &ar);
	ambulance_report(w, &am);
	iuc_report(w, &ir);
	community_report(w, &cr);
	mhealth_report(w, &mr);
	localtime_r(&s, &tm);
	strftime(when, sizeof when, "%a %Y-%m-%d %H:%M", &tm);
	snprintf(buf, size,
		 "%s p=%.2f | A&E 4h all %.1f%% type1 %.1f%% (NGH %.1f SGH %.1f) in-dept %d/%d DTA %d/%d "
		 ">12h %d/%d arr/h %d/%d | G&A %.1f%% (NGH %.1f SGH %.1f, %d/%d) esc %d | NCTR today %d "
		 "remaining %d discharged %d | C1 %.1f/%.1f C2 %.1f/%.1f C3 p90 %.0f C4 p90 %.0f min, "
		 "handovers>30 %d/%d >60 %d/%d crews lost %.1f | 111 offered/h %d abandoned %.1f%% "
		 "60s %.1f%% ooh %d | packages %d vw %.0f%% | MH crisis %d OAPs %d local %d",
		 when, scenario_pressure(&w->sc, w->now), ar.perf_all[2], ar.perf_t1[2], ar.perf_all[0],
		 ar.perf_all[1], ar.in_dept[0], ar.in_dept[1], ar.dta_waiting[0], ar.dta_waiting[1],
		 ar.over_12h[0], ar.over_12h[1], ar.arrivals_last_hour[0], ar.arrivals_last_hour[1],
		 ar.occupancy[2], ar.occupancy[0], ar.occupancy[1], ar.occupied, ar.available,
		 ar.escalation_open, ar.nctr_today, ar.nctr_remaining, ar.discharges_today, am.mean_min[0],
		 am.p90_min[0], am.mean_min[1], am.p90_min[1], am.p90_min[2], am.p90_min[3], am.over30[0],
		 am.over30[1], am.over60[0], am.over60[1], am.crews_lost, ir.offered_last_hour,
		 ir.abandoned_pct, ir.answered_60s_pct, ir.cases_waiting, cr.awaited,
		 cr.virtual_ward_occupancy, mr.referrals_waiting, mr.oaps_inappropriate, mr.local_occupied);
}
