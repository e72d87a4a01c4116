-- Demo configuration for the hub: five partners of a fictional urgent-care system, the metrics
-- the wall display shows, and where each value comes from:
--
--   * query feeds (kind 'query'): SQL that commcell runs every poll interval on the partner's
--     own operational tables (schema ops, sql/partner-ops/KIND.sql) through the read-only login
--     commcell_reader. Each query implements a published NHS definition over a live window that
--     makes sense in a control room; the window is in the metric's label, the definition and
--     its source in the comment above the query.
--   * an observation feed (kind 'observation') for the partner that pushes ready values into
--     commcell.observation (sql/partner/001_observation.sql): here the community provider's
--     virtual ward occupancy, which its own system computes.
--
-- sim/commcell-sim fills the operational tables event by event (and pushes the observations).
--
-- Load it with scripts/cluster seed, or by hand:
--   psql -v ON_ERROR_STOP=1 -1 -v pghost=/path/to/state/run -v pgport=54329 -f sql/demo/seed.sql
-- pghost and pgport say where the partner databases (partner_<name>) are, so that the
-- partners' conninfo strings point at the same cluster.
--
-- Safe to run again: rows are upserted, so a second run brings the demo back to this definition
-- (thresholds and queries changed since then in the demo partners are set back).
--
-- Conventions of the queries:
--   * every query is evaluated as of an instant, $1::timestamptz, where a live-only query would
--     say now() (the feeds are as_of, sql/hub/020_backfill.sql): live polls pass the instant the
--     poll is sent, and the backfill passes past instants to fill history from the partner's own
--     rows. So nothing may depend on the clock except through $1, and a row must be counted by
--     its own times, never by being there: a row stamped after $1 has not happened yet;
--   * "since midnight" is local midnight in Europe/London, whatever the session's time zone:
--       date_trunc('day', $1::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
--   * rows dated after $1 are ignored (at $1 they had not happened; live, a clock ahead at the
--     partner must not count);
--   * a rate with nothing to count returns no row for that site (the tile keeps its last value
--     and goes stale) rather than a NULL, which commcell would quarantine;
--   * a count returns a row for every site, zero included;
--   * site '' is the whole organisation; a query with GROUPING SETS returns both.
--
-- Thresholds follow a published standard or target where one exists (cited with the metric),
-- otherwise a local escalation trigger set against what sim/commcell-sim produces for the demo
-- system: normal running mostly green or amber, its winter scenario amber or red.

\set ON_ERROR_STOP on

\if :{?pghost}
\else
DO $$ BEGIN RAISE EXCEPTION 'seed.sql needs the psql variables pghost and pgport (-v pghost=... -v pgport=...)'; END $$;
\endif
\if :{?pgport}
\else
DO $$ BEGIN RAISE EXCEPTION 'seed.sql needs the psql variables pghost and pgport (-v pghost=... -v pgport=...)'; END $$;
\endif

-- Partners. The name is also the database: partner_<name>. NHS 111 is "111" (database
-- partner_111). A host is quoted for libpq when it has spaces, quotes or backslashes.
WITH cfg AS (
    SELECT CASE WHEN h = '' OR h ~ '[[:space:]''\\]'
                THEN '''' || replace(replace(h, '\', '\\'), '''', '\''') || ''''
                ELSE h END AS host,
           p AS port
      FROM (SELECT :'pghost'::text AS h, :'pgport'::text AS p) AS v
)
INSERT INTO commcell.partner (name, label, conninfo)
SELECT d.name, d.label,
       format('host=%s port=%s dbname=partner_%s user=commcell_reader', cfg.host, cfg.port, d.name)
  FROM cfg,
       (VALUES
           ('111',        'NHS 111 and out-of-hours GP (Shire IUC)'),
           ('ambulance',     'Shire Ambulance Service NHS Trust'),
           ('acute',         'Northgate Hospitals NHS FT (A&E, wards)'),
           ('community',     'Shire Community Health and Social Care'),
           ('mental_health', 'Shire Mental Health NHS FT (crisis and inpatient)')
       ) AS d (name, label)
ON CONFLICT (name) DO UPDATE
   SET label = EXCLUDED.label,
       conninfo = EXCLUDED.conninfo;

-- Site names (sql/hub/015_human_words.sql): alerts, notifications and the audit log name a site
-- the way people do. The ambulance service reports handovers by the hospital it took patients to.
INSERT INTO commcell.site (partner, code, label) VALUES
    ('acute',     'NGH', 'Northgate General Hospital'),
    ('acute',     'SGH', 'Southgate Hospital'),
    ('ambulance', 'NGH', 'Northgate General Hospital'),
    ('ambulance', 'SGH', 'Southgate Hospital')
ON CONFLICT (partner, code) DO UPDATE SET label = EXCLUDED.label;

-- Observation feeds: only the community provider pushes ready values. Update the demo feed if it
-- is there, else add it; the other demo partners have no observation feed any more.
DELETE FROM commcell.feed
 WHERE partner IN ('111', 'ambulance', 'acute', 'mental_health')
   AND kind = 'observation';

UPDATE commcell.feed
   SET channel = 'commcell_observation',
       poll_interval_ms = 5000,
       statement_timeout_ms = 5000,
       batch_limit = 1000,
       enabled = true
 WHERE partner = 'community'
   AND kind = 'observation'
   AND relation = 'commcell.observation';

INSERT INTO commcell.feed (partner, kind, relation, channel, poll_interval_ms)
SELECT 'community', 'observation', 'commcell.observation', 'commcell_observation', 5000
 WHERE NOT EXISTS (SELECT 1
                     FROM commcell.feed AS f
                    WHERE f.partner = 'community'
                      AND f.kind = 'observation'
                      AND f.relation = 'commcell.observation');

-- Metrics. amber/red: a value past the line in the bad direction has that status. A value
-- exactly on the line has it only when line_inclusive is true: each metric follows the wording
-- of its standard. "Fewer than 5% abandoned" makes 5.0% a failure (inclusive); "95% within
-- 4 hours", "a mean of 7 minutes" or "occupancy of 92% or less" are met by a value on the line
-- (not inclusive). A local trigger follows the wording of the standard's line on the same
-- metric; a metric with local triggers only is not inclusive (the line is the last value allowed).
-- freshness_s: query feeds answer every 5-15 s and observations come every few seconds, so a
-- value goes stale after 2 minutes without news (5-10 minutes for slow-moving positions).
-- docs/metrics.md describes every metric: what it counts, its window and its standard.
DROP TABLE IF EXISTS pg_temp.seed_metric;
CREATE TEMPORARY TABLE seed_metric (LIKE commcell.metric INCLUDING DEFAULTS);

INSERT INTO seed_metric
    (partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position,
     line_inclusive)
VALUES
    -- NHS 111 and out-of-hours GP. Targets of the NHS 111 minimum data set: fewer than 5% of
    -- calls abandoned after waiting more than 30 s (so 5.0% is red), 95% of answered calls
    -- answered within 60 s; amber for abandonment at 3% is a local trigger (inclusive like the
    -- red line it leads up to).
    ('111', '111.calls_offered', 'NHS 111 calls offered (last hour)', 'calls/h',
        '111', false, 45, 60, 120, 0, 10, false),
    ('111', '111.abandoned_pct', 'NHS 111 calls abandoned after 30 s (last 4 h)', '%',
        '111', false, 3, 5, 120, 1, 20, true),
    ('111', '111.answered_60s_pct', 'NHS 111 calls answered within 60 s (last 4 h)', '%',
        '111', true, 95, 75, 120, 1, 30, false),
    ('111', 'ooh.cases_waiting', 'Out-of-hours GP cases awaiting call-back (now)', 'cases',
        '111', false, 5, 10, 120, 0, 40, false),

    -- Ambulance. Ambulance Response Programme standards: Category 1 mean 7 min and 90th centile
    -- 15 min; Category 2 mean 18 min (red at 30 min, the 2023-26 recovery ambition) and 90th
    -- centile 40 min; Category 3 90th centile 120 min; Category 4 90th centile 180 min. A
    -- response time on the standard meets it (not inclusive).
    -- Handovers: the zero-tolerance ambition for waits over 60 min; amber/red local triggers.
    ('ambulance', 'ambulance.cat1_mean_min', 'Category 1 mean response (last 24 h)', 'min',
        'ambulance', false, 7, 9, 300, 1, 10, false),
    ('ambulance', 'ambulance.cat1_p90_min', 'Category 1 90th centile response (last 24 h)', 'min',
        'ambulance', false, 15, 20, 300, 1, 11, false),
    ('ambulance', 'ambulance.cat2_mean_min', 'Category 2 mean response (last 24 h)', 'min',
        'ambulance', false, 18, 30, 300, 1, 20, false),
    ('ambulance', 'ambulance.cat2_p90_min', 'Category 2 90th centile response (last 24 h)', 'min',
        'ambulance', false, 40, 60, 300, 1, 21, false),
    ('ambulance', 'ambulance.cat3_p90_min', 'Category 3 90th centile response (last 24 h)', 'min',
        'ambulance', false, 120, 180, 300, 0, 30, false),
    ('ambulance', 'ambulance.cat4_p90_min', 'Category 4 90th centile response (last 24 h)', 'min',
        'ambulance', false, 180, 240, 300, 0, 40, false),
    ('ambulance', 'ambulance.handovers_over_30_min', 'Handovers over 30 min (arrived in the last 24 h)',
        'handovers', 'ambulance', false, 10, 15, 300, 0, 50, false),
    ('ambulance', 'ambulance.handovers_over_60_min', 'Handovers over 60 min (arrived in the last 24 h)',
        'handovers', 'ambulance', false, 3, 5, 300, 0, 51, false),

    -- Acute trust: emergency department (per site, and the trust as site ''). The 4-hour
    -- standard is 95% (amber below it, as NHS escalation practice has it), red below 76% (the
    -- 2024/25 ambition; the 2025/26 planning guidance asks for 78% by March 2026): a value on
    -- either line meets it. Type 1 departments run lower than UTCs (about 61% against 74% for
    -- all types in England in summer 2024, about 57% on an ordinary winter day), so their local
    -- triggers are lower too: amber below 60%, red below 50%, as in a hard winter. 12 hours from
    -- arrival has no national line (the 2025/26 guidance asks for a smaller share than the year
    -- before): the departed count has none here, the live count local triggers.
    ('acute', 'ed.four_hour_performance', 'A&E 4-hour performance, all types (departed since midnight)', '%',
        'ed', true, 95, 76, 120, 1, 10, false),
    ('acute', 'ed.four_hour_performance_type1', 'A&E 4-hour performance, type 1 (departed since midnight)', '%',
        'ed', true, 60, 50, 120, 1, 11, false),
    ('acute', 'ed.arrivals_last_hour', 'A&E arrivals (last hour)', 'patients/h',
        'ed', false, NULL, NULL, 120, 0, 20, false),
    ('acute', 'ed.patients_in_department', 'Patients in A&E (now)', 'patients',
        'ed', false, 55, 75, 120, 0, 30, false),
    ('acute', 'ed.twelve_hours_from_arrival', 'Patients in A&E now, more than 12 h since arrival (live, all types)', 'patients',
        'ed', false, 3, 8, 120, 0, 40, false),
    ('acute', 'ed.twelve_hours_from_arrival_type1', 'Type 1 attendances over 12 h from arrival (departed since midnight)', 'patients',
        'ed', false, NULL, NULL, 120, 0, 41, false),

    -- Acute trust: admission, beds and flow (per site), discharge (whole trust). Adult G&A
    -- occupancy: 92% is the planning ceiling for safe flow, 95% the level at which flow breaks
    -- down; a value on either line is still within it. Paediatric G&A has no national line.
    ('acute', 'admission.dta_waiting', 'Decided to admit, waiting in A&E for a bed (now)', 'patients',
        'admission', false, 8, 15, 120, 0, 10, false),
    ('acute', 'beds.ga_occupancy', 'Adult G&A bed occupancy (now)', '%',
        'beds', false, 92, 95, 120, 1, 10, false),
    ('acute', 'beds.paediatric_ga_occupancy', 'Paediatric G&A bed occupancy (now)', '%',
        'beds', false, NULL, NULL, 120, 1, 11, false),
    ('acute', 'beds.escalation_beds_open', 'Escalation beds open (now)', 'beds',
        'beds', false, 10, 30, 300, 0, 20, false),
    ('acute', 'discharge.nctr_patients', 'Adults in G&A beds not meeting the criteria to reside (today)', 'patients',
        'discharge', false, 200, 220, 300, 0, 10, false),
    ('acute', 'discharge.nctr_remaining', 'No criteria to reside, still in an adult G&A bed (now)', 'patients',
        'discharge', false, 115, 130, 300, 0, 11, false),
    ('acute', 'discharge.discharges_today', 'Discharges of adults not meeting the criteria to reside (since midnight)', 'patients',
        'discharge', true, NULL, NULL, 300, 0, 20, false),

    -- Community and social care. Virtual wards: the 80% occupancy ambition is met at 80%.
    ('community', 'community.packages_awaited', 'Patients awaiting a package of care or community bed (now)', 'patients',
        'community', false, 125, 140, 300, 0, 10, false),
    ('community', 'community.virtual_ward_occupancy', 'Virtual ward occupancy', '%',
        'community', true, 80, 65, 600, 0, 20, false),

    -- Mental health: local triggers.
    ('mental_health', 'mental_health.crisis_referrals_waiting', 'Crisis referrals awaiting assessment (now)', 'referrals',
        'mental_health', false, 10, 15, 300, 0, 10, false),
    ('mental_health', 'mental_health.out_of_area_placements', 'Inappropriate out-of-area placements (now)', 'patients',
        'mental_health', false, 3, 6, 600, 0, 20, false);

INSERT INTO commcell.metric
    (partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position,
     line_inclusive)
SELECT partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position,
       line_inclusive
  FROM seed_metric
ON CONFLICT (partner, key) DO UPDATE
   SET label = EXCLUDED.label,
       unit = EXCLUDED.unit,
       stage = EXCLUDED.stage,
       higher_is_better = EXCLUDED.higher_is_better,
       amber = EXCLUDED.amber,
       red = EXCLUDED.red,
       freshness_s = EXCLUDED.freshness_s,
       decimals = EXCLUDED.decimals,
       position = EXCLUDED.position,
       line_inclusive = EXCLUDED.line_inclusive;

-- How each metric's daily figure is formed from its history (sql/hub/016_goals.sql, docs/metrics.md
-- "Daily figures and goals"):
--   last  measures over "since midnight", and rolling 24-hour windows: the value at the end of the
--         day covers that day (the 4-hour performance of the day's departures, the day's
--         Category 2 mean, the day's handovers over 60 minutes);
--   mean  rolling short windows and positions whose typical level is the question (calls in the
--         last hour, the 4-hour abandonment rate, bed occupancy, patients awaiting a package);
--   max   positions whose worst moment is the question (crowding in A&E, patients waiting for a
--         bed, escalation beds opened).
UPDATE commcell.metric AS m SET daily = d.daily
  FROM (VALUES
    ('111', '111.calls_offered', 'mean'),
    ('111', '111.abandoned_pct', 'mean'),
    ('111', '111.answered_60s_pct', 'mean'),
    ('111', 'ooh.cases_waiting', 'mean'),
    ('ambulance', 'ambulance.cat1_mean_min', 'last'),
    ('ambulance', 'ambulance.cat1_p90_min', 'last'),
    ('ambulance', 'ambulance.cat2_mean_min', 'last'),
    ('ambulance', 'ambulance.cat2_p90_min', 'last'),
    ('ambulance', 'ambulance.cat3_p90_min', 'last'),
    ('ambulance', 'ambulance.cat4_p90_min', 'last'),
    ('ambulance', 'ambulance.handovers_over_30_min', 'last'),
    ('ambulance', 'ambulance.handovers_over_60_min', 'last'),
    ('acute', 'ed.four_hour_performance', 'last'),
    ('acute', 'ed.four_hour_performance_type1', 'last'),
    ('acute', 'ed.arrivals_last_hour', 'mean'),
    ('acute', 'ed.patients_in_department', 'max'),
    ('acute', 'ed.twelve_hours_from_arrival', 'max'),
    ('acute', 'ed.twelve_hours_from_arrival_type1', 'last'),
    ('acute', 'admission.dta_waiting', 'max'),
    ('acute', 'beds.ga_occupancy', 'mean'),
    ('acute', 'beds.paediatric_ga_occupancy', 'mean'),
    ('acute', 'beds.escalation_beds_open', 'max'),
    ('acute', 'discharge.nctr_patients', 'last'),   -- remaining now + discharged since midnight
    ('acute', 'discharge.nctr_remaining', 'mean'),
    ('acute', 'discharge.discharges_today', 'last'),
    ('community', 'community.packages_awaited', 'mean'),
    ('community', 'community.virtual_ward_occupancy', 'mean'),
    ('mental_health', 'mental_health.crisis_referrals_waiting', 'mean'),
    ('mental_health', 'mental_health.out_of_area_placements', 'mean')
  ) AS d (partner, key, daily)
 WHERE m.partner = d.partner AND m.key = d.key AND m.daily IS DISTINCT FROM d.daily;

-- Metrics of the demo partners that this file no longer defines (renamed or dropped keys); their
-- query feeds go with them (ON DELETE CASCADE).
DELETE FROM commcell.metric AS m
 WHERE m.partner IN (SELECT DISTINCT partner FROM seed_metric)
   AND NOT EXISTS (SELECT 1 FROM seed_metric AS s WHERE s.partner = m.partner AND s.key = m.key);

-- Query feeds: one per metric computed from operational tables (every metric above except
-- community.virtual_ward_occupancy). Each query returns rows (site text, value double precision).
DROP TABLE IF EXISTS pg_temp.seed_feed;
CREATE TEMPORARY TABLE seed_feed (
    partner              text NOT NULL,
    metric               text NOT NULL,
    poll_interval_ms     int  NOT NULL,
    statement_timeout_ms int  NOT NULL,
    query                text NOT NULL
);

INSERT INTO seed_feed (partner, metric, poll_interval_ms, statement_timeout_ms, query) VALUES

-- ---- NHS 111 (sql/partner-ops/111.sql) ---------------------------------------------------------
-- Calls offered: calls that reached the service (connected to its queue) in the last hour.
('111', '111.calls_offered', 5000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.call AS c
 WHERE c.connected_at > $1::timestamptz - interval '1 hour'
   AND c.connected_at <= $1::timestamptz
$q$),

-- Abandoned calls, NHS 111 minimum data set definition (NHS England, NHS 111 statistics, e.g.
-- the statistical note for June 2015): "of calls offered, the proportion abandoned after waiting
-- longer than 30 seconds" = calls abandoned more than 30 s after connecting / calls offered,
-- here over the calls offered in the last 4 hours (an hour holds too few calls for a steady
-- percentage). Calls still queueing count as offered and not (yet) abandoned, and so does a
-- call whose abandonment is stamped after now.
('111', '111.abandoned_pct', 5000, 5000, $q$
SELECT ''::text AS site,
       (100.0 * count(*) FILTER (WHERE c.abandoned_at <= $1::timestamptz
                                   AND c.abandoned_at - c.connected_at > interval '30 seconds')
              / count(*))::double precision AS value
  FROM ops.call AS c
 WHERE c.connected_at > $1::timestamptz - interval '4 hours'
   AND c.connected_at <= $1::timestamptz
HAVING count(*) > 0
$q$),

-- Calls answered within 60 s, NHS 111 minimum data set definition: "of calls answered, the
-- proportion answered within 60 seconds" (time from connection to answer of 60 s or less), over
-- the calls answered in the last 4 hours.
('111', '111.answered_60s_pct', 5000, 5000, $q$
SELECT ''::text AS site,
       (100.0 * count(*) FILTER (WHERE c.answered_at - c.connected_at <= interval '60 seconds')
              / count(*))::double precision AS value
  FROM ops.call AS c
 WHERE c.answered_at > $1::timestamptz - interval '4 hours'
   AND c.answered_at <= $1::timestamptz
HAVING count(*) > 0
$q$),

-- Out-of-hours cases created and not yet called back or closed (a call-back or close stamped
-- after now has not happened yet).
('111', 'ooh.cases_waiting', 5000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.ooh_case AS o
 WHERE (o.called_back_at IS NULL OR o.called_back_at > $1::timestamptz)
   AND (o.closed_at IS NULL OR o.closed_at > $1::timestamptz)
   AND o.created_at <= $1::timestamptz
$q$),

-- ---- Ambulance (sql/partner-ops/ambulance.sql) -------------------------------------------------
-- Response times, Ambulance Quality Indicators (AmbSYS) definitions: an incident's response
-- time runs from its clock start to its clock stop. The clock starts at the earliest of: the
-- problem being identified (clock_start_at as CAD recorded it), the first dispatch of a
-- resource, and a fixed time after the call is connected: 240 s, and 30 s for Category 1
-- (docs/metrics.md: the 30 s could not be checked against the specification from here). The
-- stop is clock_stop_at. The mean is total response time / incidents (AmbSYS A24/A8 for
-- Category 1, A30/A10 for Category 2); the 90th centile (A26, A32, A35, A38) is the smallest
-- response time within which at least 90% of the incidents were reached: the nearest-rank
-- method, percentile_disc, the value at rank ceil(0.9 n). Window: incidents whose clock
-- stopped in the last 24 hours. Minutes, from seconds.
('ambulance', 'ambulance.cat1_mean_min', 15000, 5000, $q$
SELECT ''::text AS site,
       (avg(extract(epoch FROM i.clock_stop_at - least(i.clock_start_at, i.first_dispatch_at,
                                                        i.call_connected_at + interval '30 seconds')))
          / 60)::double precision AS value
  FROM ops.incident AS i
 WHERE i.category = 1
   AND i.clock_stop_at > $1::timestamptz - interval '24 hours'
   AND i.clock_stop_at <= $1::timestamptz
HAVING count(*) > 0
$q$),
('ambulance', 'ambulance.cat1_p90_min', 15000, 5000, $q$
SELECT ''::text AS site,
       (extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (
            ORDER BY i.clock_stop_at - least(i.clock_start_at, i.first_dispatch_at,
                                             i.call_connected_at + interval '30 seconds')))
          / 60)::double precision AS value
  FROM ops.incident AS i
 WHERE i.category = 1
   AND i.clock_stop_at > $1::timestamptz - interval '24 hours'
   AND i.clock_stop_at <= $1::timestamptz
HAVING count(*) > 0
$q$),
('ambulance', 'ambulance.cat2_mean_min', 15000, 5000, $q$
SELECT ''::text AS site,
       (avg(extract(epoch FROM i.clock_stop_at - least(i.clock_start_at, i.first_dispatch_at,
                                                        i.call_connected_at + interval '240 seconds')))
          / 60)::double precision AS value
  FROM ops.incident AS i
 WHERE i.category = 2
   AND i.clock_stop_at > $1::timestamptz - interval '24 hours'
   AND i.clock_stop_at <= $1::timestamptz
HAVING count(*) > 0
$q$),
('ambulance', 'ambulance.cat2_p90_min', 15000, 5000, $q$
SELECT ''::text AS site,
       (extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (
            ORDER BY i.clock_stop_at - least(i.clock_start_at, i.first_dispatch_at,
                                             i.call_connected_at + interval '240 seconds')))
          / 60)::double precision AS value
  FROM ops.incident AS i
 WHERE i.category = 2
   AND i.clock_stop_at > $1::timestamptz - interval '24 hours'
   AND i.clock_stop_at <= $1::timestamptz
HAVING count(*) > 0
$q$),
('ambulance', 'ambulance.cat3_p90_min', 15000, 5000, $q$
SELECT ''::text AS site,
       (extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (
            ORDER BY i.clock_stop_at - least(i.clock_start_at, i.first_dispatch_at,
                                             i.call_connected_at + interval '240 seconds')))
          / 60)::double precision AS value
  FROM ops.incident AS i
 WHERE i.category = 3
   AND i.clock_stop_at > $1::timestamptz - interval '24 hours'
   AND i.clock_stop_at <= $1::timestamptz
HAVING count(*) > 0
$q$),
('ambulance', 'ambulance.cat4_p90_min', 15000, 5000, $q$
SELECT ''::text AS site,
       (extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (
            ORDER BY i.clock_stop_at - least(i.clock_start_at, i.first_dispatch_at,
                                             i.call_connected_at + interval '240 seconds')))
          / 60)::double precision AS value
  FROM ops.incident AS i
 WHERE i.category = 4
   AND i.clock_stop_at > $1::timestamptz - interval '24 hours'
   AND i.clock_stop_at <= $1::timestamptz
HAVING count(*) > 0
$q$),

-- Handover delays, as the UEC daily situation report counts them: ambulance arrivals whose time
-- from arrival at hospital to clinical handover was over 30 minutes (the sitrep's "30-60 min"
-- plus "over 60 min") and over 60 minutes, per receiving hospital, for arrivals in the last
-- 24 hours. The wait ends at the recorded handover or, when none was recorded, at the
-- incident's close; a patient with neither (or with both stamped after now) is still waiting
-- and counts as soon as the wait passes the mark.
('ambulance', 'ambulance.handovers_over_30_min', 5000, 5000, $q$
SELECT h.code AS site, count(i.id)::double precision AS value
  FROM ops.hospital AS h
  LEFT JOIN ops.incident AS i
         ON i.hospital = h.code
        AND i.at_hospital_at > $1::timestamptz - interval '24 hours'
        AND i.at_hospital_at <= $1::timestamptz
        AND least($1::timestamptz, i.handover_at, i.closed_at) - i.at_hospital_at > interval '30 minutes'
 GROUP BY h.code
$q$),
('ambulance', 'ambulance.handovers_over_60_min', 5000, 5000, $q$
SELECT h.code AS site, count(i.id)::double precision AS value
  FROM ops.hospital AS h
  LEFT JOIN ops.incident AS i
         ON i.hospital = h.code
        AND i.at_hospital_at > $1::timestamptz - interval '24 hours'
        AND i.at_hospital_at <= $1::timestamptz
        AND least($1::timestamptz, i.handover_at, i.closed_at) - i.at_hospital_at > interval '60 minutes'
 GROUP BY h.code
$q$),

-- ---- Acute trust (sql/partner-ops/acute.sql) ---------------------------------------------------
-- A&E 4-hour performance, NHS England "A&E Attendances and Emergency Admissions" definition:
-- 100 * (1 - breaches / attendances), a breach being an attendance that spent more than 4 hours
-- from arrival to admission, transfer or discharge. The published measure counts whole minutes
-- (4 h 00 min is within): each time is taken to its minute, as a record kept to the minute
-- would hold it, so 10:00:10 to 14:00:50 is 240 minutes (within) and 10:00:50 to 14:01:10 is
-- 241 (a breach). All department types together, over the attendances that departed since
-- midnight; per site and for the trust (site '').
('acute', 'ed.four_hour_performance', 5000, 5000, $q$
SELECT CASE WHEN grouping(a.site) = 1 THEN '' ELSE a.site END AS site,
       (100.0 * count(*) FILTER (WHERE date_trunc('minute', a.departed_at, 'UTC')
                                       - date_trunc('minute', a.arrived_at, 'UTC') <= interval '4 hours')
              / count(*))::double precision AS value
  FROM ops.ed_attendance AS a
 WHERE a.departed_at >= date_trunc('day', $1::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
   AND a.departed_at <= $1::timestamptz
 GROUP BY GROUPING SETS ((a.site), ())
HAVING count(*) > 0
$q$),

-- The same for type 1 departments only (consultant-led 24-hour major A&E), the figure published
-- as "type 1 performance".
('acute', 'ed.four_hour_performance_type1', 5000, 5000, $q$
SELECT CASE WHEN grouping(a.site) = 1 THEN '' ELSE a.site END AS site,
       (100.0 * count(*) FILTER (WHERE date_trunc('minute', a.departed_at, 'UTC')
                                       - date_trunc('minute', a.arrived_at, 'UTC') <= interval '4 hours')
              / count(*))::double precision AS value
  FROM ops.ed_attendance AS a
 WHERE a.department_type = 1
   AND a.departed_at >= date_trunc('day', $1::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
   AND a.departed_at <= $1::timestamptz
 GROUP BY GROUPING SETS ((a.site), ())
HAVING count(*) > 0
$q$),

-- Arrivals in the last hour, all department types, per site.
('acute', 'ed.arrivals_last_hour', 5000, 5000, $q$
SELECT s.code AS site, count(a.id)::double precision AS value
  FROM ops.site AS s
  LEFT JOIN ops.ed_attendance AS a
         ON a.site = s.code
        AND a.arrived_at > $1::timestamptz - interval '1 hour'
        AND a.arrived_at <= $1::timestamptz
 GROUP BY s.code
$q$),

-- Patients in the department now (arrived, not departed: a departure stamped after now has not
-- happened yet), all department types, per site.
('acute', 'ed.patients_in_department', 5000, 5000, $q$
SELECT s.code AS site, count(a.id)::double precision AS value
  FROM ops.site AS s
  LEFT JOIN ops.ed_attendance AS a
         ON a.site = s.code
        AND a.arrived_at <= $1::timestamptz
        AND (a.departed_at IS NULL OR a.departed_at > $1::timestamptz)
 GROUP BY s.code
$q$),

-- 12 hours from arrival, live: patients in the department now (every department type) whose
-- time since arrival is more than 12 hours, per site. A control-room count, not the published
-- measure (next query).
('acute', 'ed.twelve_hours_from_arrival', 5000, 5000, $q$
SELECT s.code AS site, count(a.id)::double precision AS value
  FROM ops.site AS s
  LEFT JOIN ops.ed_attendance AS a
         ON a.site = s.code
        AND a.arrived_at < $1::timestamptz - interval '12 hours'
        AND (a.departed_at IS NULL OR a.departed_at > $1::timestamptz)
 GROUP BY s.code
$q$),

-- 12 hours from arrival as NHS England publishes it (ECDS, the measure that replaced 12-hour
-- trolley waits from decision to admit): type 1 attendances whose time from arrival to
-- departure was more than 12 hours, counted when they depart; here those that departed since
-- midnight. Whole minutes, as for the 4-hour measure. Per site and for the trust (site '').
('acute', 'ed.twelve_hours_from_arrival_type1', 5000, 5000, $q$
SELECT CASE WHEN grouping(s.code) = 1 THEN '' ELSE s.code END AS site,
       count(a.id)::double precision AS value
  FROM ops.site AS s
  LEFT JOIN ops.ed_attendance AS a
         ON a.site = s.code
        AND a.department_type = 1
        AND a.departed_at >= date_trunc('day', $1::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
        AND a.departed_at <= $1::timestamptz
        AND date_trunc('minute', a.departed_at, 'UTC')
            - date_trunc('minute', a.arrived_at, 'UTC') > interval '12 hours'
 GROUP BY GROUPING SETS ((s.code), ())
$q$),

-- Patients in the department with a decision to admit and no bed yet, per site.
('acute', 'admission.dta_waiting', 5000, 5000, $q$
SELECT s.code AS site, count(a.id)::double precision AS value
  FROM ops.site AS s
  LEFT JOIN ops.ed_attendance AS a
         ON a.site = s.code
        AND a.decided_to_admit_at <= $1::timestamptz
        AND (a.departed_at IS NULL OR a.departed_at > $1::timestamptz)
 GROUP BY s.code
$q$),

-- Adult G&A bed occupancy, UEC daily situation report definition (the line the 92% and 95%
-- refer to): adult G&A beds occupied / adult G&A beds available (core beds open plus escalation
-- beds open), from each ward's latest bed state; per site and for the trust (site '').
('acute', 'beds.ga_occupancy', 5000, 5000, $q$
SELECT CASE WHEN grouping(w.site) = 1 THEN '' ELSE w.site END AS site,
       (100.0 * sum(b.beds_occupied) / sum(b.core_beds_open + b.escalation_beds_open))::double precision AS value
  FROM ops.ward AS w
 CROSS JOIN LATERAL (SELECT s.core_beds_open, s.escalation_beds_open, s.beds_occupied
                       FROM ops.bed_state AS s
                      WHERE s.ward = w.code
                        AND s.recorded_at <= $1::timestamptz
                      ORDER BY s.recorded_at DESC
                      LIMIT 1) AS b
 WHERE w.bed_type = 'adult_ga'
 GROUP BY GROUPING SETS ((w.site), ())
HAVING sum(b.core_beds_open + b.escalation_beds_open) > 0
$q$),

-- The same for paediatric G&A beds (the sitrep collects them apart from the adult ones).
('acute', 'beds.paediatric_ga_occupancy', 5000, 5000, $q$
SELECT CASE WHEN grouping(w.site) = 1 THEN '' ELSE w.site END AS site,
       (100.0 * sum(b.beds_occupied) / sum(b.core_beds_open + b.escalation_beds_open))::double precision AS value
  FROM ops.ward AS w
 CROSS JOIN LATERAL (SELECT s.core_beds_open, s.escalation_beds_open, s.beds_occupied
                       FROM ops.bed_state AS s
                      WHERE s.ward = w.code
                        AND s.recorded_at <= $1::timestamptz
                      ORDER BY s.recorded_at DESC
                      LIMIT 1) AS b
 WHERE w.bed_type = 'paediatric_ga'
 GROUP BY GROUPING SETS ((w.site), ())
HAVING sum(b.core_beds_open + b.escalation_beds_open) > 0
$q$),

-- Escalation beds open now on G&A wards (adult and paediatric), from each ward's latest bed
-- state, for the trust.
('acute', 'beds.escalation_beds_open', 15000, 5000, $q$
SELECT ''::text AS site, coalesce(sum(b.escalation_beds_open), 0)::double precision AS value
  FROM ops.ward AS w
 CROSS JOIN LATERAL (SELECT s.escalation_beds_open
                       FROM ops.bed_state AS s
                      WHERE s.ward = w.code
                        AND s.recorded_at <= $1::timestamptz
                      ORDER BY s.recorded_at DESC
                      LIMIT 1) AS b
 WHERE w.bed_type IN ('adult_ga', 'paediatric_ga')
$q$),

-- Acute discharge situation report ("discharge delays"), for the trust. The sitrep counts adults
-- in G&A beds: spells on an adult G&A ward (ops.ward.bed_type 'adult_ga'; a spell with no ward
-- is not counted).
--   nctr_patients     patients who do not meet the criteria to reside today: those still in
--                     hospital who no longer meet them, plus those of them discharged since
--                     midnight (nctr_remaining + discharges_today);
--   nctr_remaining    the headline "patients remaining in hospital who no longer meet the
--                     criteria to reside", now;
--   discharges_today  patients who no longer met the criteria to reside discharged since
--                     midnight: nctr_at at or before the discharge (one stamped after it, e.g.
--                     by a partner clock ahead, did not precede the discharge).
('acute', 'discharge.nctr_patients', 15000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.inpatient_spell AS p
  JOIN ops.ward AS w ON w.code = p.ward AND w.bed_type = 'adult_ga'
 WHERE p.nctr_at <= $1::timestamptz
   AND (p.discharged_at IS NULL
        OR p.discharged_at > $1::timestamptz
        OR (p.discharged_at >= date_trunc('day', $1::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
            AND p.nctr_at <= p.discharged_at))
$q$),
('acute', 'discharge.nctr_remaining', 15000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.inpatient_spell AS p
  JOIN ops.ward AS w ON w.code = p.ward AND w.bed_type = 'adult_ga'
 WHERE p.nctr_at <= $1::timestamptz
   AND (p.discharged_at IS NULL OR p.discharged_at > $1::timestamptz)
$q$),
('acute', 'discharge.discharges_today', 15000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.inpatient_spell AS p
  JOIN ops.ward AS w ON w.code = p.ward AND w.bed_type = 'adult_ga'
 WHERE p.nctr_at <= p.discharged_at
   AND p.discharged_at >= date_trunc('day', $1::timestamptz AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
   AND p.discharged_at <= $1::timestamptz
$q$),

-- ---- Community (sql/partner-ops/community.sql) -------------------------------------------------
-- Requests for a package of care or a community bed that have neither started nor been
-- cancelled (a start or cancellation stamped after now has not happened yet).
('community', 'community.packages_awaited', 15000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.care_package_request AS r
 WHERE (r.started_at IS NULL OR r.started_at > $1::timestamptz)
   AND (r.cancelled_at IS NULL OR r.cancelled_at > $1::timestamptz)
   AND r.requested_at <= $1::timestamptz
$q$),

-- ---- Mental health (sql/partner-ops/mental_health.sql) ------------------------------------------
-- Crisis referrals received and not yet assessed (nor closed); an assessment or close stamped
-- after now has not happened yet.
('mental_health', 'mental_health.crisis_referrals_waiting', 5000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.crisis_referral AS r
 WHERE (r.assessed_at IS NULL OR r.assessed_at > $1::timestamptz)
   AND (r.closed_at IS NULL OR r.closed_at > $1::timestamptz)
   AND r.received_at <= $1::timestamptz
$q$),

-- Inappropriate out-of-area placements active now, as NHS England's OAPs collection defines them:
-- a patient needing adult acute mental health inpatient care placed in a unit outside the usual
-- local network of services because no local bed was available (not for a specialist need,
-- patient choice or safety).
('mental_health', 'mental_health.out_of_area_placements', 15000, 5000, $q$
SELECT ''::text AS site, count(*)::double precision AS value
  FROM ops.placement AS p
 WHERE p.out_of_area
   AND p.reason = 'no_local_bed'
   AND p.started_at <= $1::timestamptz
   AND (p.ended_at IS NULL OR p.ended_at > $1::timestamptz)
$q$);

-- Upsert by (partner, metric): there is at most one query feed per metric.
INSERT INTO commcell.feed (partner, kind, metric, query, as_of, poll_interval_ms, statement_timeout_ms, enabled)
SELECT partner, 'query', metric, btrim(query, E'\n'), true, poll_interval_ms, statement_timeout_ms, true
  FROM seed_feed
ON CONFLICT (partner, metric) WHERE kind = 'query' DO UPDATE
   SET query = EXCLUDED.query,
       as_of = true,
       poll_interval_ms = EXCLUDED.poll_interval_ms,
       statement_timeout_ms = EXCLUDED.statement_timeout_ms,
       enabled = true;

-- Query feeds of the demo partners that this file no longer defines.
DELETE FROM commcell.feed AS f
 WHERE f.kind = 'query'
   AND f.partner IN (SELECT DISTINCT partner FROM seed_metric)
   AND NOT EXISTS (SELECT 1 FROM seed_feed AS s WHERE s.partner = f.partner AND s.metric = f.metric);

DROP TABLE pg_temp.seed_feed;
DROP TABLE pg_temp.seed_metric;

-- Definitions in words (sql/hub/014_metric_definitions.sql): what each metric counts, its window
-- and the standard it follows, shown in the manager view beside a chosen tile. Brief forms of
-- docs/metrics.md; every demo metric has one (tests/integration/test_metric_definitions.py).
UPDATE commcell.metric AS m
   SET definition = d.definition
  FROM (VALUES
    ('111', '111.calls_offered',
     'Calls that reached the NHS 111 queue in the last hour. Local triggers: amber above 45, red above 60 an hour. No national standard.'),
    ('111', '111.abandoned_pct',
     'Of calls that reached the queue in the last 4 hours, the share hung up by the caller more than 30 s after connecting (NHS 111 minimum data set). Standard: fewer than 5%, so 5.0% is red; amber from 3% is local.'),
    ('111', '111.answered_60s_pct',
     'Of calls answered in the last 4 hours, the share answered within 60 s of connecting (NHS 111 minimum data set). Standard 95%, met on the line; red below 75% is local.'),
    ('111', 'ooh.cases_waiting',
     'Out-of-hours GP cases open now and not yet called back. A position, not a window. Local triggers; no national standard.'),
    ('ambulance', 'ambulance.cat1_mean_min',
     'Mean response time of Category 1 (life-threatening) incidents whose clock stopped in the last 24 hours, AmbSYS clock start and stop. Standard: a mean of 7 min.'),
    ('ambulance', 'ambulance.cat1_p90_min',
     '90th centile response time of Category 1 incidents whose clock stopped in the last 24 hours (the time within which 9 in 10 were reached; AmbSYS). Standard: 15 min.'),
    ('ambulance', 'ambulance.cat2_mean_min',
     'Mean response time of Category 2 (emergency) incidents whose clock stopped in the last 24 hours (AmbSYS). Standard: 18 min; red above 30 min, the recovery ambition.'),
    ('ambulance', 'ambulance.cat2_p90_min',
     '90th centile response time of Category 2 incidents whose clock stopped in the last 24 hours (AmbSYS). Standard: 40 min.'),
    ('ambulance', 'ambulance.cat3_p90_min',
     '90th centile response time of Category 3 (urgent) incidents whose clock stopped in the last 24 hours (AmbSYS). Standard: 120 min.'),
    ('ambulance', 'ambulance.cat4_p90_min',
     '90th centile response time of Category 4 (less urgent) incidents whose clock stopped in the last 24 hours (AmbSYS). Standard: 180 min.'),
    ('ambulance', 'ambulance.handovers_over_30_min',
     'Ambulance arrivals at hospital in the last 24 hours whose handover to A&E staff took more than 30 min, or has not happened after 30 min (UEC daily sitrep). Local triggers.'),
    ('ambulance', 'ambulance.handovers_over_60_min',
     'Ambulance arrivals at hospital in the last 24 hours whose handover took more than 60 min, or has not happened after 60 min (UEC daily sitrep). The national ambition is none; lines are local.'),
    ('acute', 'ed.four_hour_performance',
     'Share of A&E attendances of every type that departed since midnight within 4 hours of arrival (NHS England A&E statistics; whole minutes). Standard 95%; red below 76%, the 2024/25 ambition.'),
    ('acute', 'ed.four_hour_performance_type1',
     'Share of type 1 (major) A&E attendances that departed since midnight within 4 hours of arrival (NHS England A&E statistics). Lines are local: type 1 runs below all types.'),
    ('acute', 'ed.arrivals_last_hour',
     'A&E attendances of every type that arrived in the last hour. Shows demand; no line.'),
    ('acute', 'ed.patients_in_department',
     'Patients who have arrived in A&E and not yet left, now, every type. Local triggers.'),
    ('acute', 'ed.twelve_hours_from_arrival',
     'Patients in A&E now who arrived more than 12 hours ago, every type. A control-room count, not a published measure; local triggers.'),
    ('acute', 'ed.twelve_hours_from_arrival_type1',
     'Type 1 attendances that departed since midnight more than 12 hours after arrival (ECDS measure, whole minutes). No national line.'),
    ('acute', 'admission.dta_waiting',
     'Patients in A&E now with a decision to admit, still waiting for a bed. Local triggers.'),
    ('acute', 'beds.ga_occupancy',
     'Adult general and acute beds occupied as a share of those available (core plus escalation), from each ward''s latest bed state (UEC daily sitrep). Amber above 92%, red above 95%.'),
    ('acute', 'beds.paediatric_ga_occupancy',
     'Paediatric general and acute beds occupied as a share of those available, latest bed state. No national line.'),
    ('acute', 'beds.escalation_beds_open',
     'Escalation beds open now on adult and paediatric G&A wards, from the latest bed state. Local triggers.'),
    ('acute', 'discharge.nctr_patients',
     'Adults in G&A beds who no longer meet the criteria to reside today: those still in a bed plus those discharged since midnight (acute discharge sitrep). Local triggers.'),
    ('acute', 'discharge.nctr_remaining',
     'Adults who no longer meet the criteria to reside and are still in a G&A bed now (acute discharge sitrep headline). Local triggers.'),
    ('acute', 'discharge.discharges_today',
     'Adults not meeting the criteria to reside who were discharged from a G&A bed since midnight (acute discharge sitrep). Higher is better; no line.'),
    ('community', 'community.packages_awaited',
     'Patients waiting now for a package of care or a community bed to start: requested, not started, not cancelled. Local triggers.'),
    ('community', 'community.virtual_ward_occupancy',
     'Virtual ward patients as a share of virtual ward capacity, pushed ready-made by the community provider to its own definition. Amber below 80%, the national ambition; red below 65% is local.'),
    ('mental_health', 'mental_health.crisis_referrals_waiting',
     'Crisis referrals received and not yet assessed or closed, now. Local triggers.'),
    ('mental_health', 'mental_health.out_of_area_placements',
     'Adults placed now in an acute mental health bed outside the local network because no local bed was free (NHS England OAPs definition). The ambition is none; lines are local.')
  ) AS d (partner, key, definition)
 WHERE m.partner = d.partner
   AND m.key = d.key;

-- Short labels for the wall display (sql/hub/013_wall_labels.sql): the few words that tell one
-- tile from its neighbours across the room. The full label stays for the manager view.
UPDATE commcell.metric AS m
   SET short_label = d.short_label
  FROM (VALUES
    ('111', '111.calls_offered', '111 calls, last hour'),
    ('111', '111.abandoned_pct', '111 abandoned >30 s'),
    ('111', '111.answered_60s_pct', '111 answered in 60 s'),
    ('111', 'ooh.cases_waiting', 'OOH awaiting call-back'),
    ('ambulance', 'ambulance.cat1_mean_min', 'Cat 1 mean'),
    ('ambulance', 'ambulance.cat1_p90_min', 'Cat 1 90th'),
    ('ambulance', 'ambulance.cat2_mean_min', 'Cat 2 mean'),
    ('ambulance', 'ambulance.cat2_p90_min', 'Cat 2 90th'),
    ('ambulance', 'ambulance.cat3_p90_min', 'Cat 3 90th'),
    ('ambulance', 'ambulance.cat4_p90_min', 'Cat 4 90th'),
    ('ambulance', 'ambulance.handovers_over_30_min', 'Handovers >30 min'),
    ('ambulance', 'ambulance.handovers_over_60_min', 'Handovers >60 min'),
    ('acute', 'ed.four_hour_performance', '4h all types'),
    ('acute', 'ed.four_hour_performance_type1', '4h type 1'),
    ('acute', 'ed.arrivals_last_hour', 'A&E arrivals /h'),
    ('acute', 'ed.patients_in_department', 'In A&E now'),
    ('acute', 'ed.twelve_hours_from_arrival', '12 h+ in A&E now'),
    ('acute', 'ed.twelve_hours_from_arrival_type1', '12 h+ type 1 today'),
    ('acute', 'admission.dta_waiting', 'DTA waiting for a bed'),
    ('acute', 'beds.ga_occupancy', 'Adult G&A occupied'),
    ('acute', 'beds.paediatric_ga_occupancy', 'Child G&A occupied'),
    ('acute', 'beds.escalation_beds_open', 'Escalation beds open'),
    ('acute', 'discharge.nctr_patients', 'No CTR today'),
    ('acute', 'discharge.nctr_remaining', 'No CTR still in bed'),
    ('acute', 'discharge.discharges_today', 'No CTR discharged'),
    ('community', 'community.packages_awaited', 'Awaiting care package'),
    ('community', 'community.virtual_ward_occupancy', 'Virtual ward occupied'),
    ('mental_health', 'mental_health.crisis_referrals_waiting', 'Crisis referrals waiting'),
    ('mental_health', 'mental_health.out_of_area_placements', 'Out-of-area placements')
  ) AS d (partner, key, short_label)
 WHERE m.partner = d.partner
   AND m.key = d.key;

UPDATE commcell.partner AS p
   SET short_label = d.short_label
  FROM (VALUES
    ('111', 'NHS 111'),
    ('ambulance', 'Ambulance'),
    ('acute', 'Northgate'),
    ('community', 'Community'),
    ('mental_health', 'Mental health')
  ) AS d (name, short_label)
 WHERE p.name = d.name;

-- The demo's escalation triggers (local, like every system's own OPEL triggers). A rule counts
-- tiles: a metric reported per site shows the trust and each site, so one measure red across
-- the trust is three red tiles. Set so that an ordinary winter day (the `normal` scenario, on
-- the figures in README's demo section: the 4-hour standard missed, beds nearly full) sits at
-- OPEL 2-3, and OPEL 4 needs more: both A&E 4-hour measures red across the trust, or red
-- spreading through the system, as in the `winter` scenario.
DELETE FROM commcell.level_rule;
INSERT INTO commcell.level_rule (level, status, count, stage, description) VALUES
    (2, 'amber', 3,  NULL, 'three or more tiles at amber or worse'),
    (3, 'red',   3,  NULL, 'three or more tiles at red'),
    (4, 'red',   12, NULL, 'twelve or more tiles at red across the system'),
    (4, 'red',   6,  'ed', 'six or more A&E tiles at red, as when both 4-hour measures are red across the trust');
