-- Human words wherever people read (issue 15): alert lists, notifications and the audit log name
-- metrics, sites and partners by the labels people use ("A&E 4-hour performance, all types at
-- Northgate General Hospital - Northgate Hospitals NHS FT"), not by their keys
-- ("acute/ed.four_hour_performance/NGH"). The keys stay in every JSON object; the labels sit
-- beside them. Metric and partner labels were already in the hub; site names were not (they live
-- in the partners' own systems), so they are kept here.

-- A partner's site: its code as the partner's rows carry it, and the name people know it by.
-- A site with no row here is shown by its code.
CREATE TABLE commcell.site (
    partner text NOT NULL REFERENCES commcell.partner (name) ON UPDATE CASCADE ON DELETE CASCADE,
    code    text NOT NULL CHECK (code <> ''),
    label   text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    PRIMARY KEY (partner, code)
);

CREATE TRIGGER site_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.site
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();

-- The label of the system escalation level, which alert rules watch as if it were a metric
-- (metric 'system.level', no partner, no site).
CREATE FUNCTION commcell.level_label() RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'System escalation level (OPEL)'::text
$$;

-- The labels of one series: {"metric_label", "partner_label", "site_label"}, each falling back
-- to the key when the hub has no label for it ('' stays '': the whole organisation, no partner).
CREATE FUNCTION commcell.series_labels(p_partner text, p_metric text, p_site text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'metric_label', CASE WHEN coalesce(p_partner, '') = '' AND p_metric = 'system.level'
                             THEN commcell.level_label()
                             ELSE coalesce((SELECT m.label FROM commcell.metric m
                                             WHERE m.partner = p_partner AND m.key = p_metric),
                                           p_metric, '') END,
        'partner_label', coalesce((SELECT p.label FROM commcell.partner p WHERE p.name = p_partner),
                                  p_partner, ''),
        'site_label', coalesce((SELECT s.label FROM commcell.site s
                                 WHERE s.partner = p_partner AND s.code = p_site), p_site, ''))
$$;

-- "Metric label at Site name - Partner label", with the parts that are empty left out. A plain
-- hyphen: labels hold commas and parentheses of their own, and e-mail subjects stay ASCII.
CREATE FUNCTION commcell.series_title(p_partner text, p_metric text, p_site text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT concat_ws(' - ', nullif(concat(l ->> 'metric_label',
                                          ' at ' || nullif(l ->> 'site_label', '')), ''),
                     nullif(l ->> 'partner_label', ''))
      FROM commcell.series_labels(p_partner, p_metric, p_site) AS l
$$;

-- commcelld sends each observation's reading ("71.2 %, red") beside a summary it made from what
-- it knows; here the summary is remade from the hub's labels, so the alert row, the alert list,
-- the wall and every notification say which measure, where and whose in words. Observations
-- without a reading (an older commcelld) keep their summary.
CREATE FUNCTION commcell.label_observations(p_obs jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(
               CASE WHEN o ? 'reading'
                    THEN o || jsonb_build_object('summary', left(
                             commcell.series_title(o ->> 'partner', o ->> 'metric', o ->> 'site')
                             || ': ' || (o ->> 'reading'), 500))
                    ELSE o END ORDER BY n), '[]'::jsonb)
      FROM jsonb_array_elements(p_obs) WITH ORDINALITY AS x (o, n)
$$;

-- Who did what to which thing, in words, for the audit log: the series a threshold or silence
-- is about, the alert an acknowledgement is about, the partner, person or team by its label.
-- The target (keys and ids) stays in the row; this is computed when the log is read.
CREATE FUNCTION commcell.audit_title(p_action text, p_target text, p_detail jsonb)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_detail ? 'metric' AND coalesce(p_detail ->> 'metric', '') <> '' THEN
            commcell.series_title(p_detail ->> 'partner', p_detail ->> 'metric',
                                  coalesce(p_detail ->> 'site', ''))
        WHEN p_action LIKE 'silence.%' AND coalesce(p_detail ->> 'partner', '') <> '' THEN
            'everything of ' || (commcell.series_labels(p_detail ->> 'partner', '', '')
                                 ->> 'partner_label')
        WHEN p_action = 'alert.ack' AND p_target ~ '^alert [0-9]+$' THEN
            coalesce((SELECT r.name || ': ' || a.summary
                        FROM commcell.alert a JOIN commcell.alert_rule r ON r.id = a.rule_id
                       WHERE a.id = substr(p_target, 7)::bigint), p_target)
        WHEN p_action LIKE 'partner.%' THEN
            coalesce((SELECT p.label FROM commcell.partner p WHERE p.name = p_target), p_target)
        WHEN p_action LIKE 'rota.person.%' THEN
            coalesce((SELECT p.label FROM commcell.person p WHERE p.name = p_target), p_target)
        WHEN p_action LIKE 'rota.shift.%' THEN
            concat_ws(', ', (SELECT t.label FROM commcell.team t WHERE t.name = p_detail ->> 'team'),
                      'level ' || (p_detail ->> 'level'),
                      (SELECT p.label FROM commcell.person p WHERE p.name = p_detail ->> 'person'))
        ELSE p_target
    END
$$;

-- The notification, as in 007_alerts.sql, with the labels: the subject and text read in words,
-- and the alert object carries metric_label, partner_label and site_label beside the keys.
CREATE OR REPLACE FUNCTION commcell.enqueue(a commcell.alert, p_event text, p_occurrence integer,
                                            p_people text[], p_base_url text, p_at timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    c record;
    n integer := 0;
    expires bigint := extract(epoch FROM p_at + interval '24 hours')::bigint;
    r commcell.alert_rule;
    ack_url text;
    subject text;
    body jsonb;
    l jsonb := commcell.series_labels(a.partner, a.metric, a.site);
    where_ text;
BEGIN
    SELECT * INTO r FROM commcell.alert_rule WHERE id = a.rule_id;
    where_ := concat_ws(', ', nullif(l ->> 'site_label', ''), nullif(l ->> 'partner_label', ''));
    FOR c IN SELECT ct.*, p.label AS person_label FROM commcell.contact ct
               JOIN commcell.person p ON p.name = ct.person
              WHERE ct.person = ANY (p_people) AND ct.enabled
              ORDER BY ct.person, ct.id LOOP
        ack_url := p_base_url || '/api/alerts/' || a.id || '/ack?person=' || c.person
                   || '&expires=' || expires
                   || '&sig=' || commcell.ack_signature(a.id, c.person, expires);
        subject := format('[commcell %s] %s %s: %s', upper(a.severity),
                          CASE p_event WHEN 'resolved' THEN 'RESOLVED' WHEN 'repeat' THEN 'STILL FIRING'
                                       WHEN 'escalated' THEN 'ESCALATED' ELSE 'FIRING' END,
                          r.name, a.summary);
        body := jsonb_build_object(
            'dedup_key', format('commcell-alert-%s-%s-%s-%s-%s', a.id, p_event, p_occurrence, c.person, c.id),
            'event', p_event,
            'subject', subject,
            'text', subject || E'\n\n' || a.summary
                    || E'\nMeasure: ' || (l ->> 'metric_label')
                    || CASE WHEN where_ <> '' THEN E'\nWhere: ' || where_ ELSE '' END
                    || CASE WHEN a.value IS NOT NULL THEN E'\nValue: ' || a.value ELSE '' END
                    || E'\nSince: ' || coalesce(a.fired_at, a.started_at)
                    || E'\nTo: ' || c.person_label
                    || CASE WHEN p_event <> 'resolved'
                            THEN E'\n\nAcknowledge (valid 24 h): ' || ack_url ELSE '' END,
            'alert', jsonb_build_object(
                'id', a.id, 'rule', r.name, 'severity', a.severity, 'state', a.state,
                'partner', a.partner, 'metric', a.metric, 'site', a.site, 'summary', a.summary,
                'value', a.value, 'started_at', a.started_at, 'fired_at', a.fired_at,
                'resolved_at', a.resolved_at, 'acked_by', a.acked_by,
                'escalation_level', a.escalation_level) || l,
            'recipient', jsonb_build_object('person', c.person, 'name', c.person_label,
                                            'channel', c.channel),
            'ack_url', CASE WHEN p_event <> 'resolved' THEN ack_url END);
        INSERT INTO commcell.outbox (alert_id, event, person, channel, target, secret, payload,
                                     dedup_key, due_at)
        VALUES (a.id, p_event, c.person, c.channel, c.target, c.secret, body,
                body ->> 'dedup_key', p_at)
        ON CONFLICT (dedup_key) DO NOTHING;
        IF FOUND THEN n := n + 1; END IF;
    END LOOP;
    RETURN n;
END;
$$;
