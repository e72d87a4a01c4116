-- The comm cell's meeting, part 4 (issue 16): each change to an action or a huddle is one
-- statement that also writes its audit row, so the API, a second instance and a psql session
-- cannot leave a change without its record; and the huddle's brief ("since the last huddle").
-- Errors are raised with words a manager understands: invalid_parameter_value (22023) for a bad
-- reference, no_data_found (P0002) for an unknown id, object_not_in_prerequisite_state (55000)
-- for a change the row's state does not allow.

-- One huddle runs at a time, whichever instance starts it.
CREATE UNIQUE INDEX huddle_one_open ON commcell.huddle ((true)) WHERE ended_at IS NULL;

CREATE FUNCTION commcell.huddle_json(h commcell.huddle)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', h.id, 'started_at', h.started_at, 'ended_at', h.ended_at,
                              'run_by', h.run_by, 'notes', h.notes)
$$;

-- The references of an action that only the hub can judge; NULL arguments are not checked.
CREATE FUNCTION commcell.action_check_refs(p_owner text, p_partner text, p_metric text,
                                           p_huddle bigint)
RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM commcell.person WHERE name = p_owner) THEN
        RAISE EXCEPTION 'owner must be a person of the rota: nobody called "%" is on it', p_owner
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(p_partner, '') <> ''
       AND NOT EXISTS (SELECT 1 FROM commcell.partner WHERE name = p_partner) THEN
        RAISE EXCEPTION 'partner "%" is not one of the partners', p_partner
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(p_metric, '') <> '' AND NOT EXISTS (SELECT 1 FROM commcell.metric
                                                    WHERE partner = p_partner AND key = p_metric) THEN
        RAISE EXCEPTION 'metric "%" is not a measure of %', p_metric,
            coalesce((SELECT label FROM commcell.partner WHERE name = p_partner), p_partner)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_huddle IS NOT NULL AND NOT EXISTS (SELECT 1 FROM commcell.huddle WHERE id = p_huddle) THEN
        RAISE EXCEPTION 'huddle_id %: there is no such huddle', p_huddle
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END;
$$;

-- What an action is about, for an audit row's detail: only the parts that are set.
CREATE FUNCTION commcell.action_about(a commcell.action)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('partner', a.partner, 'metric', a.metric,
                                                'site', nullif(a.site, '')))
$$;

CREATE FUNCTION commcell.action_create(p_title text, p_owner text, p_partner text, p_metric text,
                                       p_site text, p_due_on date, p_huddle bigint, p_actor text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a commcell.action;
BEGIN
    PERFORM commcell.action_check_refs(p_owner, p_partner, p_metric, p_huddle);
    INSERT INTO commcell.action (title, owner, partner, metric, site, due_on, huddle_id,
                                 created_by)
    VALUES (btrim(p_title), p_owner, nullif(p_partner, ''), nullif(p_metric, ''),
            coalesce(p_site, ''), p_due_on, p_huddle, p_actor)
    RETURNING * INTO a;
    INSERT INTO commcell.audit (actor, action, target, detail)
    VALUES (p_actor, 'action.create', 'action ' || a.id,
            jsonb_strip_nulls(jsonb_build_object('title', a.title, 'owner', a.owner,
                                                 'due_on', a.due_on, 'huddle_id', a.huddle_id))
            || commcell.action_about(a));
    RETURN commcell.action_json(a);
END;
$$;

-- A status change, a note, or an edit of title, owner or due date (NULL: unchanged). Closing
-- (done, dropped) stamps closed_at, reopening clears it. Every call adds an action_update row:
-- the note when one was given, else what was edited, so the action's story reads whole.
CREATE FUNCTION commcell.action_change(p_id bigint, p_status text, p_text text, p_title text,
                                       p_owner text, p_due_on date, p_actor text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    old commcell.action;
    a commcell.action;
    before jsonb := '{}';
    after jsonb := '{}';
    edits text[] := '{}';
BEGIN
    SELECT * INTO old FROM commcell.action WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no action %', p_id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM commcell.action_check_refs(p_owner, NULL, NULL, NULL);
    UPDATE commcell.action SET
        status = coalesce(p_status, status),
        title = coalesce(btrim(p_title), title),
        owner = coalesce(p_owner, owner),
        due_on = coalesce(p_due_on, due_on),
        closed_at = CASE WHEN coalesce(p_status, status) NOT IN ('done', 'dropped') THEN NULL
                         WHEN status IN ('done', 'dropped') THEN closed_at
                         ELSE now() END,
        updated_at = now()
     WHERE id = p_id
    RETURNING * INTO a;
    IF a.status <> old.status THEN
        before := before || jsonb_build_object('status', old.status);
        after := after || jsonb_build_object('status', a.status);
    END IF;
    IF a.title <> old.title THEN
        before := before || jsonb_build_object('title', old.title);
        after := after || jsonb_build_object('title', a.title);
        edits := edits || 'title changed'::text;
    END IF;
    IF a.owner <> old.owner THEN
        before := before || jsonb_build_object('owner', old.owner);
        after := after || jsonb_build_object('owner', a.owner);
        edits := edits || ('owner now ' || (commcell.action_json(a) ->> 'owner_name'));
    END IF;
    IF a.due_on <> old.due_on THEN
        before := before || jsonb_build_object('due_on', old.due_on);
        after := after || jsonb_build_object('due_on', a.due_on);
        edits := edits || ('due ' || to_char(a.due_on, 'YYYY-MM-DD') || ' (was '
                           || to_char(old.due_on, 'YYYY-MM-DD') || ')');
    END IF;
    INSERT INTO commcell.action_update (action_id, by_user, status, text)
    VALUES (a.id, p_actor, CASE WHEN a.status <> old.status THEN a.status END,
            coalesce(nullif(btrim(p_text), ''), array_to_string(edits, '; ')));
    INSERT INTO commcell.audit (actor, action, target, detail)
    VALUES (p_actor, 'action.update', 'action ' || a.id,
            jsonb_build_object('title', a.title, 'before', before, 'after', after)
            || CASE WHEN coalesce(btrim(p_text), '') <> ''
                    THEN jsonb_build_object('text', p_text) ELSE '{}' END
            || commcell.action_about(a));
    RETURN commcell.action_json(a);
END;
$$;

CREATE FUNCTION commcell.huddle_start(p_actor text, p_notes text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    h commcell.huddle;
BEGIN
    SELECT * INTO h FROM commcell.huddle WHERE ended_at IS NULL;
    IF FOUND THEN
        RAISE EXCEPTION 'a huddle is already running: % started it at % (UTC)', h.run_by,
            to_char(h.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO commcell.huddle (run_by, notes) VALUES (p_actor, coalesce(p_notes, ''))
    RETURNING * INTO h;
    INSERT INTO commcell.audit (actor, action, target, detail)
    VALUES (p_actor, 'huddle.start', 'huddle ' || h.id,
            jsonb_build_object('run_by', h.run_by, 'started_at', h.started_at));
    RETURN commcell.huddle_json(h);
END;
$$;

-- p_end: end it now; p_notes (NULL: unchanged) may be written while it runs or afterwards.
CREATE FUNCTION commcell.huddle_change(p_id bigint, p_end boolean, p_notes text, p_actor text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    h commcell.huddle;
BEGIN
    SELECT * INTO h FROM commcell.huddle WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no huddle %', p_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p_end AND h.ended_at IS NOT NULL THEN
        RAISE EXCEPTION 'this huddle already ended at % (UTC)',
            to_char(h.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE commcell.huddle
       SET ended_at = CASE WHEN p_end THEN greatest(now(), started_at) ELSE ended_at END,
           notes = coalesce(p_notes, notes)
     WHERE id = p_id
    RETURNING * INTO h;
    INSERT INTO commcell.audit (actor, action, target, detail)
    VALUES (p_actor, CASE WHEN p_end THEN 'huddle.end' ELSE 'huddle.update' END, 'huddle ' || h.id,
            jsonb_build_object('run_by', h.run_by, 'started_at', h.started_at,
                               'ended_at', h.ended_at, 'notes', h.notes));
    RETURN commcell.huddle_json(h);
END;
$$;

-- What happened since the last huddle: from the start of the last one that ended (24 hours
-- back when none has), the alerts that started, fired or resolved, and the changes of level,
-- oldest first.
CREATE FUNCTION commcell.huddle_brief(p_now timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT coalesce((SELECT started_at FROM commcell.huddle WHERE ended_at IS NOT NULL
                          ORDER BY ended_at DESC, id DESC LIMIT 1),
                        p_now - interval '24 hours') AS since
    )
    SELECT jsonb_build_object(
        'since', s.since,
        'alerts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'id', a.id, 'rule', r.name, 'severity', a.severity,
                              'state', a.state, 'partner', a.partner, 'metric', a.metric,
                              'site', a.site, 'stage', m.stage, 'summary', a.summary,
                              'started_at', a.started_at, 'fired_at', a.fired_at,
                              'resolved_at', a.resolved_at, 'acked_at', a.acked_at,
                              'acked_by', a.acked_by)
                          || commcell.series_labels(a.partner, a.metric, a.site)
                          ORDER BY a.started_at, a.id), '[]'::jsonb)
                     FROM commcell.alert a
                     JOIN commcell.alert_rule r ON r.id = a.rule_id
                     LEFT JOIN commcell.metric m ON m.partner = a.partner AND m.key = a.metric
                    WHERE a.started_at >= s.since OR a.fired_at >= s.since
                       OR a.resolved_at >= s.since),
        'levels', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'level', l.level, 'label', l.label, 'reason', l.reason, 'at', l.at)
                          ORDER BY l.at, l.id), '[]'::jsonb)
                     FROM commcell.level_history l WHERE l.at >= s.since))
      FROM s
$$;

-- The audit log in words (015_human_words.sql) for the meeting's rows as well: an action by its
-- title and what it is about, a huddle by when it started and who ran it.
CREATE OR REPLACE FUNCTION commcell.audit_title(p_action text, p_target text, p_detail jsonb)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_action LIKE 'action.%' THEN
            concat_ws(' - ', coalesce(p_detail ->> 'title', p_target),
                      CASE WHEN coalesce(p_detail ->> 'metric', '') <> '' THEN
                               commcell.series_title(p_detail ->> 'partner', p_detail ->> 'metric',
                                                     coalesce(p_detail ->> 'site', ''))
                           WHEN coalesce(p_detail ->> 'partner', '') <> '' THEN
                               commcell.series_labels(p_detail ->> 'partner', '', '')
                                   ->> 'partner_label'
                      END)
        WHEN p_action LIKE 'huddle.%' THEN
            'huddle of ' || coalesce(to_char((p_detail ->> 'started_at')::timestamptz
                                              AT TIME ZONE 'Europe/London', 'DD Mon YYYY HH24:MI'),
                                      p_target)
            || coalesce(' run by ' || (p_detail ->> 'run_by'), '')
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
