-- Demo configuration for the hub: five partners of a fictional urgent-care system, one
-- observation feed each, and the metrics that sim/commcell-sim.c writes into their databases.
--
-- Load it with scripts/cluster seed, or by hand:
--   psql -v ON_ERROR_STOP=1 -1 -v pghost=/path/to/state/run -v pgport=54329 -f sql/demo/seed.sql
-- pghost and pgport say where the partner databases (partner_<name>) are, so that the
-- partners' conninfo strings point at the same cluster.
--
-- Safe to run again: rows are upserted, so a second run brings the demo back to this definition
-- (thresholds changed since then in the demo partners are set back).
--
-- Levels and thresholds are calibrated on the NHS England figures in shared/data (see
-- sim/commcell-sim.c for the levels); the thresholds follow the published standards where one
-- exists (4-hour 95% standard and 76% 2024/25 ambition, Category 1 7 min and Category 2 18 min
-- mean response, 92% G&A occupancy), otherwise a plausible local escalation trigger.

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

-- One observation feed per partner: the reference table of sql/partner/001_observation.sql.
-- commcell.feed has no natural key, so update the demo feed if it is there, else add it.
UPDATE commcell.feed
   SET channel = 'commcell_observation',
       poll_interval_ms = 5000,
       statement_timeout_ms = 5000,
       batch_limit = 1000,
       enabled = true
 WHERE partner IN ('111', 'ambulance', 'acute', 'community', 'mental_health')
   AND kind = 'observation'
   AND relation = 'commcell.observation';

INSERT INTO commcell.feed (partner, kind, relation, channel, poll_interval_ms)
SELECT p.name, 'observation', 'commcell.observation', 'commcell_observation', 5000
  FROM commcell.partner AS p
 WHERE p.name IN ('111', 'ambulance', 'acute', 'community', 'mental_health')
   AND NOT EXISTS (SELECT 1
                     FROM commcell.feed AS f
                    WHERE f.partner = p.name
                      AND f.kind = 'observation'
                      AND f.relation = 'commcell.observation');

-- Metrics. Sites are not defined here: they come with the observations (the acute trust
-- reports ED, admission and bed figures for its two sites NGH and SGH, the rest for the
-- whole organisation with site '').
-- amber/red: a value at or beyond the threshold, in the bad direction, has that status.
-- freshness_s: the simulator writes every few seconds, so fast-moving values go stale after
-- 2 minutes without news; slow-moving ones (daily positions) after 5 or 10 minutes.
DROP TABLE IF EXISTS pg_temp.seed_metric;
CREATE TEMPORARY TABLE seed_metric (LIKE commcell.metric);

INSERT INTO seed_metric
    (partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position)
VALUES
    -- 111 and out-of-hours GP
    ('111', '111.calls_offered', 'NHS 111 calls offered (last hour)', 'calls/h',
        '111', false, 180, 240, 120, 0, 10),
    ('111', '111.abandoned_pct', 'NHS 111 calls abandoned', '%',
        '111', false, 3, 5, 120, 1, 20),
    ('111', '111.answered_60s_pct', 'NHS 111 calls answered within 60 s', '%',
        '111', true, 95, 75, 120, 1, 30),
    ('111', 'ooh.cases_waiting', 'Out-of-hours GP cases awaiting call-back', 'cases',
        '111', false, 30, 50, 120, 0, 40),

    -- ambulance (response standards: Category 1 mean 7 min, Category 2 mean 18 min)
    ('ambulance', 'ambulance.cat1_mean_min', 'Category 1 mean response', 'min',
        'ambulance', false, 7, 9, 120, 1, 10),
    ('ambulance', 'ambulance.cat2_mean_min', 'Category 2 mean response', 'min',
        'ambulance', false, 18, 40, 120, 1, 20),
    ('ambulance', 'ambulance.handovers_over_60_min', 'Hospital handovers over 60 min (last 24 h)', 'handovers',
        'ambulance', false, 20, 50, 120, 0, 30),

    -- acute trust: emergency department (per site)
    ('acute', 'ed.four_hour_performance', 'ED 4-hour performance', '%',
        'ed', true, 95, 76, 120, 1, 10),
    ('acute', 'ed.arrivals_last_hour', 'ED arrivals (last hour)', 'patients/h',
        'ed', false, NULL, NULL, 120, 0, 20),
    ('acute', 'ed.patients_in_department', 'Patients in ED', 'patients',
        'ed', false, 70, 95, 120, 0, 30),
    ('acute', 'ed.twelve_hours_from_arrival', 'Patients in ED 12 h or more from arrival', 'patients',
        'ed', false, 5, 12, 120, 0, 40),

    -- acute trust: admission, beds and flow (per site), discharge (whole trust)
    ('acute', 'admission.dta_waiting', 'Decided to admit, waiting for a bed', 'patients',
        'admission', false, 10, 20, 120, 0, 10),
    ('acute', 'beds.ga_occupancy', 'G&A bed occupancy', '%',
        'beds', false, 92, 95, 120, 1, 10),
    ('acute', 'beds.escalation_beds_open', 'Escalation beds open', 'beds',
        'beds', false, 10, 30, 300, 0, 20),
    ('acute', 'discharge.nctr_patients', 'Patients with no criteria to reside', 'patients',
        'discharge', false, 90, 120, 300, 0, 10),
    ('acute', 'discharge.discharges_today', 'Discharges today (since midnight)', 'patients',
        'discharge', true, NULL, NULL, 120, 0, 20),

    -- community and social care
    ('community', 'community.packages_awaited', 'Patients awaiting a package of care', 'patients',
        'community', false, 25, 40, 600, 0, 10),
    ('community', 'community.virtual_ward_occupancy', 'Virtual ward occupancy', '%',
        'community', true, 80, 65, 600, 0, 20),

    -- mental health
    ('mental_health', 'mental_health.crisis_referrals_waiting', 'Crisis referrals awaiting assessment', 'referrals',
        'mental_health', false, 10, 20, 120, 0, 10),
    ('mental_health', 'mental_health.out_of_area_placements', 'Out-of-area placements', 'patients',
        'mental_health', false, 5, 10, 600, 0, 20);

INSERT INTO commcell.metric
    (partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position)
SELECT partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position
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
       position = EXCLUDED.position;

-- Metrics of the demo partners that this file no longer defines (renamed or dropped keys).
DELETE FROM commcell.metric AS m
 WHERE m.partner IN (SELECT DISTINCT partner FROM seed_metric)
   AND NOT EXISTS (SELECT 1 FROM seed_metric AS s WHERE s.partner = m.partner AND s.key = m.key);

DROP TABLE pg_temp.seed_metric;
