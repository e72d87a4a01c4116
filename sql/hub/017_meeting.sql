-- The comm cell's meeting, part 2 (issue 16): the action log and the huddles it is kept in.

-- A huddle: the partners' meeting at the comm cell. The next one shows what happened since the
-- last one started.
CREATE TABLE commcell.huddle (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    run_by      text NOT NULL,           -- the user who ran it
    notes       text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX huddle_started ON commcell.huddle (started_at);

-- An action agreed at the comm cell: who will do what, about which measure, by when.
-- owner is a person of the rota (commcell.person). partner/metric/site say what it is about;
-- each may be empty (an action about the whole system).
CREATE TABLE commcell.action (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    owner       text NOT NULL REFERENCES commcell.person (name) ON UPDATE CASCADE,
    partner     text REFERENCES commcell.partner (name) ON UPDATE CASCADE ON DELETE SET NULL,
    metric      text,
    site        text NOT NULL DEFAULT '',
    due_on      date NOT NULL,
    status      text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    huddle_id   bigint REFERENCES commcell.huddle (id) ON DELETE SET NULL,  -- recorded during it
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,             -- when it became done or dropped
    CHECK (metric IS NULL OR partner IS NOT NULL),
    CHECK ((status IN ('done', 'dropped')) = (closed_at IS NOT NULL))
);
CREATE INDEX action_open_due ON commcell.action (due_on) WHERE status IN ('open', 'in_progress');
CREATE INDEX action_created ON commcell.action (created_at);

-- Every change to an action, with who and when: a status change, a note, or both.
CREATE TABLE commcell.action_update (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id   bigint NOT NULL REFERENCES commcell.action (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    by_user     text NOT NULL,
    status      text CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),  -- new status
    text        text NOT NULL DEFAULT '' CHECK (length(text) <= 2000)
);
CREATE INDEX action_update_action ON commcell.action_update (action_id, at);

-- Goals, actions and huddles reach open displays at once: every instance LISTENs on
-- commcell_meeting and reloads the list named in the payload.
CREATE FUNCTION commcell.notify_meeting() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commcell_meeting', TG_ARGV[0]);
    RETURN NULL;
END;
$$;

CREATE TRIGGER goal_meeting_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.goal
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_meeting('goals');
CREATE TRIGGER action_meeting_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.action
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_meeting('actions');
CREATE TRIGGER action_update_meeting_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON commcell.action_update
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_meeting('actions');
CREATE TRIGGER huddle_meeting_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.huddle
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_meeting('huddles');

-- An action as the API and the displays show it: the row, the owner's name, the labels of what
-- it is about, and its latest update.
CREATE FUNCTION commcell.action_json(a commcell.action)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'title', a.title, 'owner', a.owner,
        'owner_name', coalesce((SELECT p.label FROM commcell.person p WHERE p.name = a.owner), a.owner),
        'partner', a.partner, 'metric', a.metric, 'site', a.site,
        'due_on', to_char(a.due_on, 'YYYY-MM-DD'), 'status', a.status, 'huddle_id', a.huddle_id,
        'created_by', a.created_by, 'created_at', a.created_at, 'updated_at', a.updated_at,
        'closed_at', a.closed_at,
        'last_update', (SELECT jsonb_build_object('at', u.at, 'by', u.by_user, 'status', u.status,
                                                  'text', u.text)
                          FROM commcell.action_update u WHERE u.action_id = a.id
                         ORDER BY u.at DESC, u.id DESC LIMIT 1))
        || CASE WHEN a.partner IS NULL THEN
                jsonb_build_object('metric_label', '', 'partner_label', '', 'site_label', '')
           ELSE commcell.series_labels(a.partner, coalesce(a.metric, ''), a.site) END
$$;
