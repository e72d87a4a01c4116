-- Demo on-call set-up: who is told about what in the demo system (docs/alerts.md).
-- Loaded by scripts/demo after seed.sql, with psql variables:
--   notify_log  a file the demo's exec contact appends each notification to (JSON, one per line)
--   webhook     a URL for the on-call person's webhook ('' for none: COMMCELL_DEMO_WEBHOOK)
-- Safe to run again.

\set ON_ERROR_STOP on

INSERT INTO commcell.person (name, label) VALUES
    ('site-manager', 'Site manager on call'),
    ('director', 'Director on call')
ON CONFLICT (name) DO UPDATE SET label = EXCLUDED.label;

-- Every notification is appended to a log the demo prints the path of; a webhook is added when
-- COMMCELL_DEMO_WEBHOOK is set, so anyone can watch alerts arrive in a receiver of their own.
DELETE FROM commcell.contact WHERE person IN ('site-manager', 'director');
INSERT INTO commcell.contact (person, channel, target)
SELECT p, 'exec', json_build_array('/bin/sh', '-c', 'cat >> "$0"; echo >> "$0"', :'notify_log')::text
  FROM unnest(ARRAY['site-manager', 'director']) p;
INSERT INTO commcell.contact (person, channel, target)
SELECT 'site-manager', 'webhook', :'webhook' WHERE :'webhook' <> '';

INSERT INTO commcell.team (name, label) VALUES ('system-ops', 'System operations centre')
ON CONFLICT (name) DO NOTHING;

-- Twelve-hour shifts (08:00 and 20:00 UTC handovers) for the next 30 days, level 1 and 2, the
-- first starting at 20:00 UTC yesterday. The day is cut in UTC, not in the session's time zone
-- (date_trunc of a timestamptz without a zone uses the session's).
DELETE FROM commcell.rota_shift WHERE team = 'system-ops' AND NOT is_override;
INSERT INTO commcell.rota_shift (team, level, person, starts_at, ends_at)
SELECT 'system-ops', lvl, CASE lvl WHEN 1 THEN 'site-manager' ELSE 'director' END,
       s, s + interval '12 hours'
  FROM generate_series(date_trunc('day', now(), 'UTC') - interval '4 hours',
                       now() + interval '30 days', interval '12 hours') s,
       (VALUES (1), (2)) AS l(lvl);

INSERT INTO commcell.escalation_policy (name, ack_timeout_s, repeat_s, max_level, notify_resolved)
VALUES ('standard', 600, 1800, 2, true)
ON CONFLICT (name) DO UPDATE SET ack_timeout_s = EXCLUDED.ack_timeout_s,
    repeat_s = EXCLUDED.repeat_s, max_level = EXCLUDED.max_level;

-- Rules on what matters most to a system control room, and on the system level itself.
DELETE FROM commcell.alert_rule WHERE team = 'system-ops';
INSERT INTO commcell.alert_rule (name, partner, metric, status, for_s, severity, team, policy)
SELECT r.name, m.partner, m.key, r.status, r.for_s, r.severity, 'system-ops', 'standard'
  FROM (VALUES
        ('ED 4-hour performance at red',       'ed.four_hour_performance', 'red', 300, 'critical'),
        ('G&A bed occupancy at red',           'beds.ga_occupancy',        'red', 300, 'critical'),
        ('Ambulance handovers over 60 minutes','ambulance.handovers_over_60_min', 'red', 120, 'warning')
       ) AS r(name, key, status, for_s, severity)
  JOIN commcell.metric m ON m.key = r.key;
INSERT INTO commcell.alert_rule (name, level, for_s, severity, team, policy)
VALUES ('System at OPEL 4', 4, 120, 'critical', 'system-ops', 'standard');

-- Hysteresis and minimum duration on the lines people watch most, so values on a line do not
-- flap: 4-hour performance must recover 1 point past a line, occupancy 0.5 points; a worse
-- status must hold a minute before it shows.
UPDATE commcell.metric SET hysteresis = 1.0, min_duration_s = 60
 WHERE key LIKE '%four_hour%';
UPDATE commcell.metric SET hysteresis = 0.5, min_duration_s = 60
 WHERE key LIKE '%occupancy%';
