-- The demo's comm cell meeting (docs/huddle.md): goals the partners agreed, with trajectories;
-- actions with owners and dates, some overdue, one due today, some done; and yesterday
-- morning's huddle, so the wall, the huddle page and the board report show something real
-- from the first start. Loaded by scripts/demo after seed.sql and alerts.sql.
--
-- Dates are relative to today in Europe/London, so the demo is always "now". Safe to run again:
-- the demo's own actions and huddle (created_by / notes below) are put back as they were, and
-- a goal is reset only while nobody has edited it since (updated_by still the demo's).

\set ON_ERROR_STOP on
\set who 'scripts/demo'
\set huddle_notes 'Demo: yesterday''s huddle, recorded by scripts/demo.'

BEGIN;

SELECT (now() AT TIME ZONE 'Europe/London')::date AS today \gset

-- People who own actions, beside the on-call managers of alerts.sql.
INSERT INTO commcell.person (name, label) VALUES
    ('site-manager', 'Site manager on call'),
    ('director', 'Director on call'),
    ('ed-matron', 'Sam Okafor, ED matron'),
    ('discharge-lead', 'Priya Patel, discharge lead'),
    ('amb-tactical', 'Chris Dunn, ambulance tactical lead'),
    ('community-lead', 'Helen Ward, community services lead')
ON CONFLICT (name) DO NOTHING;

-- ---- goals ------------------------------------------------------------------------------
-- End of next March: the end of the NHS year the 4-hour ambition is set for.
SELECT make_date(extract(year FROM :'today'::date)::int
                 + CASE WHEN extract(month FROM :'today'::date) >= 3 THEN 1 ELSE 0 END, 3, 31)
       AS march_end \gset

-- the demo's own goals are set again from today; one a manager has edited stays as it is
DELETE FROM commcell.goal WHERE created_by = :'who' AND updated_by = :'who';
INSERT INTO commcell.goal
    (partner, metric, site, baseline, target, starts_on, ends_on, milestones, agreed_by, note,
     created_by, updated_by)
SELECT v.partner, v.metric, v.site, v.baseline, v.target, v.starts_on, v.ends_on, v.milestones,
       v.agreed_by, v.note, :'who', :'who'
  FROM (VALUES
    ('acute', 'ed.four_hour_performance', '', 72.0::float8, 78.0::float8,
     :'today'::date - 42, :'march_end'::date,
     jsonb_build_array(jsonb_build_object(
         'on', to_char(:'today'::date - 42 + (:'march_end'::date - (:'today'::date - 42)) / 2, 'YYYY-MM-DD'),
         'value', 75)),
     'A&E delivery board',
     'The 2025/26 ambition: 78% of patients in A&E for four hours or less by March.'),
    ('acute', 'ed.four_hour_performance_type1', '', 57.0, 65.0,
     :'today'::date - 42, :'march_end'::date, '[]'::jsonb,
     'A&E delivery board',
     'Type 1 departments improve with the rest: same dates as the all-types goal.'),
    ('acute', 'beds.ga_occupancy', '', 95.5, 92.0,
     :'today'::date - 28, :'today'::date + 56, '[]'::jsonb,
     'System flow group',
     'Adult G&A occupancy back to 92% so that admissions are not held in A&E.'),
    -- handovers are counted per hospital: Northgate General, the busier one
    ('ambulance', 'ambulance.handovers_over_60_min', 'NGH', 6.0, 2.0,
     :'today'::date - 28, :'march_end'::date,
     jsonb_build_array(jsonb_build_object('on', to_char(:'today'::date + 28, 'YYYY-MM-DD'), 'value', 4)),
     'Urgent and emergency care board',
     'No handover over 60 minutes is the standard; fewer each day on the way there.')
  ) AS v(partner, metric, site, baseline, target, starts_on, ends_on, milestones, agreed_by, note)
  JOIN commcell.metric m ON m.partner = v.partner AND m.key = v.metric
ON CONFLICT (partner, metric, site) DO NOTHING;

-- ---- yesterday's huddle -------------------------------------------------------------------
DELETE FROM commcell.action WHERE created_by = :'who';
DELETE FROM commcell.huddle WHERE notes = :'huddle_notes';

-- Nobody may be mid-huddle in a demo that starts: only one huddle is open at a time.
INSERT INTO commcell.huddle (started_at, ended_at, run_by, notes)
SELECT ((:'today'::date - 1) + time '08:30') AT TIME ZONE 'Europe/London',
       ((:'today'::date - 1) + time '08:47') AT TIME ZONE 'Europe/London',
       'admin', :'huddle_notes'
RETURNING id AS huddle_id \gset

-- ---- actions ------------------------------------------------------------------------------
-- created: days before today (the morning huddle, 08:40 London); closed: days before today
-- when done, NULL while open.
CREATE TEMPORARY TABLE demo_action (
    title text, owner text, partner text, metric text, due_in integer, status text,
    created_ago integer, closed_ago integer, in_huddle boolean, note text
) ON COMMIT DROP;
INSERT INTO demo_action VALUES
    ('Open the discharge lounge from 08:00 on weekdays', 'discharge-lead', 'acute',
     'discharge.nctr_remaining', -3, 'open', 8, NULL, false,
     'Estates have the keys; staffing from the bank is not confirmed yet.'),
    ('Put a nurse on the corridor bay to take ambulance handovers', 'ed-matron', 'ambulance',
     'ambulance.handovers_over_60_min', -1, 'in_progress', 4, NULL, false,
     'Rostered for the evenings from Monday; days still to find.'),
    ('Confirm six more packages of care for this week''s discharges', 'community-lead', 'community',
     'community.packages_awaited', 0, 'open', 1, NULL, true, NULL),
    ('Review escalation beds at the 14:00 bed meeting', 'site-manager', 'acute',
     'beds.ga_occupancy', 0, 'in_progress', 1, NULL, true,
     'Two escalation beds on Ward 7 can close if the discharge lounge opens.'),
    ('Agree the next step of the 4-hour plan with the ED clinical lead', 'director', 'acute',
     'ed.four_hour_performance', 4, 'open', 1, NULL, true, NULL),
    ('Send the weekly system pressure summary to the ICB', 'director', NULL, NULL, 2, 'open',
     1, NULL, true, NULL),
    ('Run a handover push for 30 minutes at each shift change', 'amb-tactical', 'ambulance',
     'ambulance.handovers_over_30_min', 6, 'open', 1, NULL, true, NULL),
    ('Extra NHS 111 call handlers on Saturday evening', 'site-manager', '111',
     '111.answered_60s_pct', -2, 'done', 6, 2, false,
     'Four extra handlers on shift; calls answered within 60 s back above 90%.'),
    ('Ring-fence two assessment beds for GP referrals', 'ed-matron', 'acute',
     'admission.dta_waiting', -1, 'done', 3, 1, false, 'Done on the acute medical unit.'),
    ('Ask the mental health trust for an out-of-area placement review', 'director',
     'mental_health', 'mental_health.out_of_area_placements', -4, 'dropped', 9, 3, false,
     'Covered by the trust''s own weekly review: dropped here.');

INSERT INTO commcell.action (title, owner, partner, metric, site, due_on, status, huddle_id,
                             created_by, created_at, updated_at, closed_at)
SELECT d.title, d.owner, d.partner, d.metric, '', :'today'::date + d.due_in, d.status,
       CASE WHEN d.in_huddle THEN :huddle_id END, :'who',
       ((:'today'::date - d.created_ago) + time '08:40') AT TIME ZONE 'Europe/London',
       ((:'today'::date - coalesce(d.closed_ago, least(d.created_ago, 1))) + time '09:30')
           AT TIME ZONE 'Europe/London',
       CASE WHEN d.closed_ago IS NOT NULL
            THEN ((:'today'::date - d.closed_ago) + time '09:30') AT TIME ZONE 'Europe/London' END
  FROM demo_action d
 WHERE d.partner IS NULL
    OR EXISTS (SELECT 1 FROM commcell.metric m WHERE m.partner = d.partner AND m.key = d.metric);

-- Each action's story: recorded, then the latest word from its owner.
INSERT INTO commcell.action_update (action_id, at, by_user, status, text)
SELECT a.id, a.created_at, 'admin', 'open', 'Recorded at the huddle.'
  FROM commcell.action a WHERE a.created_by = :'who';
INSERT INTO commcell.action_update (action_id, at, by_user, status, text)
SELECT a.id, a.updated_at, 'admin', a.status, d.note
  FROM commcell.action a JOIN demo_action d ON d.title = a.title
 WHERE a.created_by = :'who' AND d.note IS NOT NULL;

COMMIT;
