-- Alerts, on-call rotas, escalation, silences, and the outbox of notifications (design.md 6).
--
-- The state machine lives here, in functions, so that every transition and the notifications it
-- causes are written in one transaction, and so that several commcelld instances on one hub can
-- call the same functions without notifying anyone twice: open alerts are unique per
-- (rule, series), transitions are guarded UPDATEs, and every outbox row has a unique dedup key.

CREATE EXTENSION IF NOT EXISTS pgcrypto;   -- hmac() for signed acknowledgement links

CREATE TABLE commcell.person (
    name  text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    label text NOT NULL
);

-- How a person is told. webhook: target is a URL (secret signs the body); email: an address;
-- exec: a JSON array of argv, the alert arrives on stdin.
CREATE TABLE commcell.contact (
    id      serial PRIMARY KEY,
    person  text NOT NULL REFERENCES commcell.person (name) ON UPDATE CASCADE ON DELETE CASCADE,
    channel text NOT NULL CHECK (channel IN ('webhook', 'email', 'exec')),
    target  text NOT NULL,
    secret  text,
    enabled boolean NOT NULL DEFAULT true,
    CHECK (channel <> 'exec' OR (target::jsonb IS NOT NULL AND jsonb_typeof(target::jsonb) = 'array'))
);

CREATE TABLE commcell.team (
    name  text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    label text NOT NULL
);

-- Who is on call: one row per shift at an escalation level (1 = first on call, 2 = next...).
-- An override covers a shift for a while (swap, sickness) and wins over regular shifts.
CREATE TABLE commcell.rota_shift (
    id          serial PRIMARY KEY,
    team        text NOT NULL REFERENCES commcell.team (name) ON UPDATE CASCADE ON DELETE CASCADE,
    level       integer NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 5),
    person      text NOT NULL REFERENCES commcell.person (name) ON UPDATE CASCADE ON DELETE CASCADE,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    is_override boolean NOT NULL DEFAULT false,
    reason      text NOT NULL DEFAULT '',
    CHECK (ends_at > starts_at)
);
CREATE INDEX rota_shift_when ON commcell.rota_shift (team, level, starts_at, ends_at);

CREATE TABLE commcell.escalation_policy (
    name            text PRIMARY KEY,
    ack_timeout_s   integer NOT NULL DEFAULT 600 CHECK (ack_timeout_s >= 10),
    repeat_s        integer NOT NULL DEFAULT 1800 CHECK (repeat_s >= 60),
    max_level       integer NOT NULL DEFAULT 3 CHECK (max_level BETWEEN 1 AND 5),
    notify_resolved boolean NOT NULL DEFAULT true
);

-- A rule watches metric series (partner/metric/site; NULL matches any) for a status at or worse
-- than `status`, or the system level for `level` or higher, held for `for_s` seconds.
CREATE TABLE commcell.alert_rule (
    id       serial PRIMARY KEY,
    name     text NOT NULL,
    partner  text,
    metric   text,
    site     text,
    status   text CHECK (status IN ('amber', 'red')),
    level    integer CHECK (level BETWEEN 2 AND 4),
    for_s    integer NOT NULL DEFAULT 0 CHECK (for_s >= 0),
    severity text NOT NULL DEFAULT 'warning' CHECK (severity IN ('warning', 'critical')),
    team     text NOT NULL REFERENCES commcell.team (name) ON UPDATE CASCADE,
    policy   text NOT NULL REFERENCES commcell.escalation_policy (name) ON UPDATE CASCADE,
    enabled  boolean NOT NULL DEFAULT true,
    CHECK ((status IS NULL) <> (level IS NULL))
);

CREATE TRIGGER alert_rule_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.alert_rule
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();

CREATE TABLE commcell.alert (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id            integer NOT NULL REFERENCES commcell.alert_rule (id) ON DELETE CASCADE,
    partner            text NOT NULL DEFAULT '',
    metric             text NOT NULL DEFAULT '',
    site               text NOT NULL DEFAULT '',
    state              text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    severity           text NOT NULL,
    summary            text NOT NULL DEFAULT '',
    value              double precision,
    started_at         timestamptz NOT NULL,
    fired_at           timestamptz,
    resolved_at        timestamptz,
    acked_by           text,
    acked_at           timestamptz,
    escalation_level   integer NOT NULL DEFAULT 0,
    next_escalation_at timestamptz,
    repeats            integer NOT NULL DEFAULT 0,
    next_repeat_at     timestamptz,
    silenced           boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_open ON commcell.alert (rule_id, partner, metric, site)
    WHERE state IN ('pending', 'firing');
CREATE INDEX alert_recent ON commcell.alert (updated_at);

CREATE TABLE commcell.outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id      bigint NOT NULL REFERENCES commcell.alert (id) ON DELETE CASCADE,
    event         text NOT NULL CHECK (event IN ('firing', 'escalated', 'repeat', 'resolved')),
    person        text NOT NULL,
    channel       text NOT NULL,
    target        text NOT NULL,
    secret        text,
    payload       jsonb NOT NULL,
    dedup_key     text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    due_at        timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    sent_at       timestamptz
);
CREATE INDEX outbox_due ON commcell.outbox (due_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_alert ON commcell.outbox (alert_id);

CREATE TABLE commcell.delivery_attempt (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id bigint NOT NULL REFERENCES commcell.outbox (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL DEFAULT now(),
    ok        boolean NOT NULL,
    detail    text NOT NULL DEFAULT '',
    instance  text NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempt_outbox ON commcell.delivery_attempt (outbox_id);

-- A silence mutes matching alerts (they still show on the board, marked silenced).
CREATE TABLE commcell.silence (
    id         serial PRIMARY KEY,
    rule_id    integer REFERENCES commcell.alert_rule (id) ON DELETE CASCADE,
    partner    text,
    metric     text,
    site       text,
    starts_at  timestamptz NOT NULL DEFAULT now(),
    ends_at    timestamptz NOT NULL,
    reason     text NOT NULL CHECK (length(reason) > 0),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (rule_id IS NOT NULL OR partner IS NOT NULL OR metric IS NOT NULL)
);

-- Key for signed acknowledgement links, shared by every instance.
CREATE TABLE commcell.secret (
    name  text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO commcell.secret (name, value) VALUES ('ack_link', encode(gen_random_bytes(32), 'hex'));

-- ---- functions ----------------------------------------------------------------------------

CREATE FUNCTION commcell.on_call(p_team text, p_level integer, p_at timestamptz)
RETURNS SETOF text LANGUAGE sql STABLE AS $$
    WITH o AS (SELECT person FROM commcell.rota_shift
                WHERE team = p_team AND level = p_level AND is_override
                  AND starts_at <= p_at AND ends_at > p_at)
    SELECT person FROM o
    UNION ALL
    SELECT person FROM commcell.rota_shift
     WHERE team = p_team AND level = p_level AND NOT is_override
       AND starts_at <= p_at AND ends_at > p_at
       AND NOT EXISTS (SELECT 1 FROM o)
$$;

CREATE FUNCTION commcell.is_silenced(a commcell.alert, p_at timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM commcell.silence s
                    WHERE s.starts_at <= p_at AND s.ends_at > p_at
                      AND (s.rule_id IS NULL OR s.rule_id = a.rule_id)
                      AND (s.partner IS NULL OR s.partner = a.partner)
                      AND (s.metric IS NULL OR s.metric = a.metric)
                      AND (s.site IS NULL OR s.site = a.site))
$$;

-- The signed link that acknowledges alert a as person p, valid until expiry.
CREATE FUNCTION commcell.ack_signature(p_alert bigint, p_person text, p_expires bigint)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT encode(hmac(p_alert || ':' || p_person || ':' || p_expires,
                       (SELECT value FROM commcell.secret WHERE name = 'ack_link'), 'sha256'), 'hex')
$$;

-- Queue one notification per enabled contact of each person in p_people. The dedup key names
-- the alert, the event and its occurrence, the person and the contact: a retry, a second
-- instance or a restart produces the same key, so nobody is told twice.
CREATE FUNCTION commcell.enqueue(a commcell.alert, p_event text, p_occurrence integer,
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
BEGIN
    SELECT * INTO r FROM commcell.alert_rule WHERE id = a.rule_id;
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
                    || CASE WHEN a.value IS NOT NULL THEN E'\nValue: ' || a.value ELSE '' END
                    || E'\nSince: ' || coalesce(a.fired_at, a.started_at)
                    || CASE WHEN p_event <> 'resolved'
                            THEN E'\n\nAcknowledge (valid 24 h): ' || ack_url ELSE '' END,
            'alert', jsonb_build_object(
                'id', a.id, 'rule', r.name, 'severity', a.severity, 'state', a.state,
                'partner', a.partner, 'metric', a.metric, 'site', a.site, 'summary', a.summary,
                'value', a.value, 'started_at', a.started_at, 'fired_at', a.fired_at,
                'resolved_at', a.resolved_at, 'acked_by', a.acked_by,
                'escalation_level', a.escalation_level),
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

-- One evaluation round, called by commcelld every few seconds with what it sees now:
-- p_obs = [{"rule":1,"partner":"acute","metric":"...","site":"","bad":true,"value":71.2,
--           "summary":"ED 4-hour performance NGH 71.2 % (red)"}, ...]
-- Series not listed are left as they are (commcell cannot judge them: stale or error).
-- Returns how many notifications were queued.
CREATE FUNCTION commcell.alert_step(p_obs jsonb, p_base_url text, p_now timestamptz DEFAULT now())
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    o jsonb;
    r commcell.alert_rule;
    pol commcell.escalation_policy;
    a commcell.alert;
    queued integer := 0;
    people text[];
BEGIN
    FOR o IN SELECT * FROM jsonb_array_elements(p_obs) LOOP
        SELECT * INTO r FROM commcell.alert_rule WHERE id = (o ->> 'rule')::integer AND enabled;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO pol FROM commcell.escalation_policy WHERE name = r.policy;
        IF (o ->> 'bad')::boolean THEN
            INSERT INTO commcell.alert (rule_id, partner, metric, site, state, severity, summary,
                                        value, started_at)
            VALUES (r.id, o ->> 'partner', o ->> 'metric', o ->> 'site', 'pending', r.severity,
                    o ->> 'summary', (o ->> 'value')::double precision, p_now)
            ON CONFLICT (rule_id, partner, metric, site) WHERE state IN ('pending', 'firing')
            DO UPDATE SET summary = EXCLUDED.summary, value = EXCLUDED.value, updated_at = p_now;
            -- fire once the condition has held for the rule's duration (guarded: only one
            -- caller moves it from pending)
            UPDATE commcell.alert SET state = 'firing', fired_at = p_now, escalation_level = 1,
                   next_escalation_at = p_now + make_interval(secs => pol.ack_timeout_s),
                   next_repeat_at = p_now + make_interval(secs => pol.repeat_s),
                   updated_at = p_now
             WHERE rule_id = r.id AND partner = o ->> 'partner' AND metric = o ->> 'metric'
               AND site = o ->> 'site' AND state = 'pending'
               AND started_at + make_interval(secs => r.for_s) <= p_now
            RETURNING * INTO a;
            IF FOUND THEN
                UPDATE commcell.alert SET silenced = commcell.is_silenced(a, p_now)
                 WHERE id = a.id RETURNING * INTO a;
                IF NOT a.silenced THEN
                    people := ARRAY(SELECT commcell.on_call(r.team, 1, p_now));
                    queued := queued + commcell.enqueue(a, 'firing', 0, people, p_base_url, p_now);
                END IF;
            END IF;
        ELSE
            -- a pending alert that did not last never fired: nobody hears of it
            DELETE FROM commcell.alert
             WHERE rule_id = r.id AND partner = o ->> 'partner' AND metric = o ->> 'metric'
               AND site = o ->> 'site' AND state = 'pending';
            UPDATE commcell.alert SET state = 'resolved', resolved_at = p_now, updated_at = p_now
             WHERE rule_id = r.id AND partner = o ->> 'partner' AND metric = o ->> 'metric'
               AND site = o ->> 'site' AND state = 'firing'
            RETURNING * INTO a;
            IF FOUND AND pol.notify_resolved AND NOT a.silenced THEN
                -- everyone who was told it fired hears that it is over
                people := ARRAY(SELECT DISTINCT person FROM commcell.outbox
                                 WHERE alert_id = a.id AND event <> 'resolved');
                queued := queued + commcell.enqueue(a, 'resolved', 0, people, p_base_url, p_now);
            END IF;
        END IF;
    END LOOP;

    -- silences that began or ended
    UPDATE commcell.alert al SET silenced = commcell.is_silenced(al, p_now), updated_at = p_now,
           next_escalation_at = CASE WHEN al.silenced AND NOT commcell.is_silenced(al, p_now)
                                     THEN p_now ELSE al.next_escalation_at END
     WHERE al.state = 'firing' AND al.silenced <> commcell.is_silenced(al, p_now);

    -- nobody acknowledged in time: tell the next level (guarded UPDATE: once per step)
    FOR a IN
        UPDATE commcell.alert al
           SET escalation_level = al.escalation_level + 1,
               next_escalation_at = p_now + make_interval(secs => pol2.ack_timeout_s),
               updated_at = p_now
          FROM commcell.alert_rule r2 JOIN commcell.escalation_policy pol2 ON pol2.name = r2.policy
         WHERE r2.id = al.rule_id AND al.state = 'firing' AND al.acked_at IS NULL
           AND NOT al.silenced AND al.next_escalation_at <= p_now
           AND al.escalation_level < pol2.max_level
        RETURNING al.*
    LOOP
        SELECT * INTO r FROM commcell.alert_rule WHERE id = a.rule_id;
        people := ARRAY(SELECT commcell.on_call(r.team, a.escalation_level, p_now));
        queued := queued + commcell.enqueue(a, 'escalated', a.escalation_level, people,
                                            p_base_url, p_now);
    END LOOP;

    -- still firing and not acknowledged: remind everyone told so far
    FOR a IN
        UPDATE commcell.alert al
           SET repeats = al.repeats + 1,
               next_repeat_at = p_now + make_interval(secs => pol2.repeat_s), updated_at = p_now
          FROM commcell.alert_rule r2 JOIN commcell.escalation_policy pol2 ON pol2.name = r2.policy
         WHERE r2.id = al.rule_id AND al.state = 'firing' AND al.acked_at IS NULL
           AND NOT al.silenced AND al.next_repeat_at <= p_now
        RETURNING al.*
    LOOP
        people := ARRAY(SELECT DISTINCT person FROM commcell.outbox
                         WHERE alert_id = a.id AND event IN ('firing', 'escalated'));
        queued := queued + commcell.enqueue(a, 'repeat', a.repeats, people, p_base_url, p_now);
    END LOOP;
    RETURN queued;
END;
$$;

-- Acknowledge: stops escalation and repeats; recorded in the audit log. Returns the alert id,
-- or NULL when there is no such firing, unacknowledged alert.
CREATE FUNCTION commcell.alert_ack(p_alert bigint, p_who text, p_via text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    UPDATE commcell.alert SET acked_by = p_who, acked_at = now(), updated_at = now()
     WHERE alert.id = p_alert AND state = 'firing' AND acked_at IS NULL
    RETURNING alert.id INTO id;
    IF id IS NOT NULL THEN
        INSERT INTO commcell.audit (actor, action, target, detail)
        VALUES (p_who, 'alert.ack', 'alert ' || p_alert, jsonb_build_object('via', p_via));
    END IF;
    RETURN id;
END;
$$;

-- Acknowledge through a signed link; p_person is who the link was sent to.
CREATE FUNCTION commcell.alert_ack_link(p_alert bigint, p_person text, p_expires bigint, p_sig text)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF p_expires < extract(epoch FROM now()) THEN
        RETURN 'expired';
    END IF;
    IF p_sig IS DISTINCT FROM commcell.ack_signature(p_alert, p_person, p_expires) THEN
        RETURN 'bad signature';
    END IF;
    IF commcell.alert_ack(p_alert, p_person, 'signed link') IS NULL THEN
        RETURN CASE WHEN EXISTS (SELECT 1 FROM commcell.alert WHERE id = p_alert AND acked_at IS NOT NULL)
                    THEN 'already acknowledged' ELSE 'not firing' END;
    END IF;
    RETURN 'ok';
END;
$$;

-- Claim due notifications for delivery. A claim is a lease: a commcelld that dies mid-send
-- leaves it to expire, and the row is sent again (at least once; receivers drop repeats by
-- dedup key). SKIP LOCKED lets several instances claim side by side.
CREATE FUNCTION commcell.outbox_claim(p_limit integer, p_lease_s integer DEFAULT 120)
RETURNS SETOF commcell.outbox LANGUAGE sql AS $$
    UPDATE commcell.outbox o
       SET claimed_until = now() + make_interval(secs => p_lease_s), attempts = o.attempts + 1
      FROM (SELECT id FROM commcell.outbox
             WHERE sent_at IS NULL AND due_at <= now()
               AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY due_at, id LIMIT p_limit
             FOR UPDATE SKIP LOCKED) c
     WHERE o.id = c.id
    RETURNING o.*
$$;

-- Record an attempt; a failure is retried with exponential backoff (10 s doubling, at most
-- 10 minutes apart).
CREATE FUNCTION commcell.outbox_result(p_id bigint, p_ok boolean, p_detail text, p_instance text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO commcell.delivery_attempt (outbox_id, ok, detail, instance)
    VALUES (p_id, p_ok, left(coalesce(p_detail, ''), 1000), p_instance);
    IF p_ok THEN
        UPDATE commcell.outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL
         WHERE id = p_id;
    ELSE
        UPDATE commcell.outbox
           SET claimed_until = NULL, last_error = left(p_detail, 1000),
               due_at = now() + make_interval(secs => least(600, 10 * power(2, least(attempts - 1, 10))))
         WHERE id = p_id;
    END IF;
END;
$$;
