/*
 * Calibration of the simulator: every level and shape it uses, and where each came from.
 *
 * Most numbers were computed once from the NHS England statistics in shared/data (the
 * directory beside the repository; see its README.md) and are written down here: the simulator
 * never reads those files. Each constant names the file and the rows and aggregation behind it.
 * A few shapes have no source in shared/data (the hour-of-day profiles, NHS 111, mental health,
 * community); those say so and what they rest on instead.
 *
 * The simulated system is one acute trust's catchment: a trust at the upper quartile of type 1
 * attendances per day, with the ambulance, 111, community and mental health activity of the same
 * population. Volumes of the other services are scaled from the trust's type 1 attendances with
 * England-wide ratios, so no population figure is needed.
 */
#ifndef SIM_CALIBRATION_H
#define SIM_CALIBRATION_H

/* ---- The day the demo shows -------------------------------------------------------------------
 * Every model scales its winter effects by a pressure from 0 (a summer day: the Jun-Aug 2024 and
 * 2019-04..09 figures below) to 1 (a hard winter: December 2022, December 2019). The `normal`
 * scenario is an ordinary English winter day at this pressure; `winter` climbs from it to 1.
 * Tuned (not an input) so that normal running lands on the ordinary-winter figures below. */
#define CAL_PRESSURE_ORDINARY_WINTER 0.4

/* ---- A&E -------------------------------------------------------------------------------------
 * ae_attendances_monthly_2016_2019.csv, type 1 rows, 2018-04..2019-03, attendances per trust per
 * day: median 287, 75th centile 387, 90th centile 502. The demo trust sits near the upper
 * quartile: 370 type 1 attendances a day over two sites. */
#define CAL_TYPE1_PER_DAY 370.0
#define CAL_SITE_SHARE_NGH 0.62 /* the larger site's share of the trust's activity */
/* Same file, all periods: "other" (types 3 and 4) attendances per type 1 attendance = 0.517
 * (type 2, single-specialty, 0.038, is not simulated). */
#define CAL_TYPE3_PER_TYPE1 0.517
/* Same file: admissions / attendances for type 1, 2018-04..2019-03: 0.299; for "other": 0.006.
 * Winter (Dec-Feb) / summer (Jun-Aug) ratio of the type 1 admission rate over 2016-19: 1.071. */
#define CAL_ADMIT_TYPE1 0.299
#define CAL_ADMIT_TYPE3 0.006
#define CAL_ADMIT_WINTER_FACTOR 1.071
/* Same file: type 1 attendances per day by calendar month, averaged over the three years and
 * divided by their mean (January first). Attendances are not higher in winter; performance is
 * lower (type 1: 85.3% in Jun-Aug, 77.8% in Dec-Feb, England, 2016-19). */
extern const double cal_month_factor[12];
/* winter_sitrep_daily_2015_2023.csv, ENG rows of winter 2015-16, column ae_attendances (weekdays
 * only; each Friday row is about three days' worth, so read as Friday to Sunday). Over the 11
 * full weeks outside Christmas, each day's
 * attendances / the week's daily mean: Monday 1.085, Tuesday 0.988, Wednesday 0.984, Thursday
 * 0.982, Friday to Sunday 0.987 a day. Monday first. */
extern const double cal_weekday_ed[7];
/* Hour of arrival (00:00 first): shared/data has no hourly figures. This is the familiar
 * emergency department profile (low at 04:00-06:00, rising from 08:00 to a late-morning peak,
 * high until the evening), as in NHS Digital's Hospital Accident and Emergency Activity reports;
 * an assumption. Used as relative weights (profile.c divides by the mean). */
extern const double cal_hour_ed[24];
/* Targets the emergent 4-hour performance was tuned to (not inputs):
 * ae_monthly_trust_2021_2025.csv, England (sum of trusts), all types: Jun-Aug 2024 74.1%,
 * January 2025 71.5% (the ordinary winter day), December 2022 63.1% (the hard winter); with
 * "other" departments at 98.9% (2016-19 file, January 2019) and 0.517 of them per type 1
 * attendance, type 1 comes to about 61%, 57% and 45%. The lever is how much longer type 1
 * patients who go home take to be seen to and discharged under pressure (busier, sicker,
 * fewer staff per patient): this factor at pressure 1. The simulator gives, as whole days
 * (`commcell-sim --dry-run`, two weeks of January, seeds 1-3): normal running 71.5% all types
 * and 58.0% type 1; the winter scenario (pressure 1 throughout) 62.4% and 44.1%. */
#define CAL_T1_TREAT_WINTER 0.5

/* ---- Beds and discharge ------------------------------------------------------------------------
 * G&A beds per type 1 attendance a day, England: beds_monthly_trust_2022_2025.csv (sum of
 * ga_beds_available, about 98,000 in 2022-23) / type 1 attendances a day (42,959 in 2018-19, first
 * file): about 2.3, so about 850 G&A beds for the demo trust (the wards are in acute.c).
 * Occupancy targets (emergent, not inputs): England G&A occupancy Jun-Aug 2024 92.4% (beds file,
 * sum of occupied / sum of available); trusts in winter 2018-19 and 2022-23 (winter sitrep,
 * trust-days): median 94.7%, upper quartile 97.0-97.3%; January 2025, England, adult and
 * paediatric G&A 94.0% (adult 95.7%). The simulator gives 94.4% in normal running (an ordinary
 * winter day, varying 88-100% over days) and about 98% with escalation beds open in winter. */
/* discharge_nctr_daily_trust_2022_2025.csv joined to the beds file, trusts over 300 beds, median
 * of trust-days: patients not meeting the criteria to reside per G&A bed 0.234 (July 2024) and
 * 0.232 (January 2025); such patients discharged per bed a day 0.105; (NCTR - discharged) /
 * discharged, i.e. the mean days from no longer meeting the criteria to discharge, 1.2 in
 * Jul-Aug 2024 and 1.45-1.5 in Dec 2022 - Jan 2023. */
#define CAL_NCTR_DISCHARGES_PER_BED_DAY 0.105
#define CAL_NCTR_DELAY_DAYS_NORMAL 1.2
#define CAL_NCTR_DELAY_WINTER_FACTOR 1.2 /* 1.45 / 1.2 */
/* Same file, England (sum of trusts), 2022-04..2023-05 (while the split was collected): 60.2% of
 * discharges by 17:00. Shape of the hours (00:00 first) made to give that share; the hours
 * themselves are an assumption. */
extern const double cal_hour_discharge[24];
/* Same file, England, 2024: discharges on each weekday / the mean (Monday first). */
extern const double cal_weekday_discharge[7];

/* ---- Ambulance -----------------------------------------------------------------------------------
 * ambulance_response_times_monthly_2017_2021.csv, England rows, 2019-04..2020-02 (all trusts on
 * the Ambulance Response Programme, before the pandemic): 20,807 incidents with a response a
 * day, against 42,959 type 1 attendances a day (2018-19, first file): 0.484 incidents per type 1
 * attendance. Category mix over the same months: C1 9.47%, C2 62.57%, C3 25.69%, C4 2.27%. */
#define CAL_INCIDENTS_PER_TYPE1 0.484
extern const double cal_category_mix[4];
/* Same file, England: mean and 90th centile response (seconds) by category, the average of the
 * published monthly values for 2019-04..2019-09 ("normal") and December 2019 ("winter", the
 * file's last winter before the pandemic). The response times are drawn from lognormals with
 * these means and 90th centiles (rng.c) and stretched by the pressure on crews (ambulance.c). */
extern const double cal_response_mean_s[4];
extern const double cal_response_p90_s[4];
extern const double cal_response_winter_mean_s[4];
/* Hour shape of 999 demand: not in shared/data; the ED arrival shape is used (an assumption). */
/* Handover delays: winter_sitrep_daily_2015_2023.csv, trust-days (England rows excluded): mean
 * handovers of 30-60 min and over 60 min a day were 9.5 and 2.4 in winter 2018-19, 11.6 and 10.0
 * in winter 2022-23, i.e. about 12 and 2.4 over 30 and 60 min a day, and 22 and 10 in a hard
 * winter; January 2023, each trust's mean a day, the median trust 13.5 and 4.5 (upper quartile
 * 28.3 and 12.0). The handover model (ambulance.c) gives the demo trust (both sites, a large
 * trust) about 18 and 5.5 in normal running (an ordinary winter day) and 24 and 9 in the winter
 * scenario. Responses: Category 2 mean about
 * 22 min normal, 28-31 min winter. */

/* ---- NHS 111 -------------------------------------------------------------------------------------
 * shared/data has no 111 file. NHS England's NHS 111 minimum data set statistics (2014-2016
 * statistical notes): about 33,000-38,000 calls offered a day in England against about 40,000
 * type 1 A&E attendances, so about 0.85 calls per type 1 attendance; 1-4% abandoned after 30 s and
 * 86-94% of answered calls answered within 60 s (4.4% and 86% in December 2015); about 12% of
 * answered calls passed for a clinical call-back; weekends much busier than weekdays. */
#define CAL_111_CALLS_PER_TYPE1 0.85
#define CAL_111_CALLBACK_SHARE 0.12
extern const double cal_hour_111[24];
extern const double cal_weekday_111[7];

/* ---- Mental health and community ---------------------------------------------------------------
 * No source in shared/data: plausible levels for the catchment (about half a million people):
 * about 12 crisis referrals a day; 64 local adult acute beds with about 2 admissions a day and a
 * mean stay of about 30 days, so that a few patients are out of area when beds run short; about
 * 10 requests a day for packages of care from outside the hospital. */
#define CAL_MH_REFERRALS_PER_DAY 12.0
#define CAL_MH_LOCAL_BEDS 64
#define CAL_MH_ADMISSIONS_PER_DAY 1.9
#define CAL_MH_LOS_MEDIAN_DAYS 22.0
#define CAL_COMMUNITY_REFERRALS_PER_DAY 10.0

#endif
