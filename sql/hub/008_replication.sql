-- Several commcelld instances on one hub (design.md section 7). One holds an advisory lock and
-- is the leader: it polls the partners, writes every accepted value and every partner state
-- here, and runs the alerts. The others follow these tables (LISTEN commcell_current, then read
-- rows above the version they have) and serve their own displays the same board.

CREATE SEQUENCE commcell.current_version;

CREATE TABLE commcell.current (
    partner     text NOT NULL,
    metric      text NOT NULL,
    site        text NOT NULL,
    value       double precision NOT NULL,
    observed_at timestamptz NOT NULL,
    version     bigint NOT NULL DEFAULT nextval('commcell.current_version'),
    PRIMARY KEY (partner, metric, site)
);
CREATE INDEX current_by_version ON commcell.current (version);

CREATE TABLE commcell.partner_state (
    partner text PRIMARY KEY,
    state   text NOT NULL,
    reason  text NOT NULL DEFAULT '',
    error   text,                      -- NULL when healthy
    version bigint NOT NULL DEFAULT nextval('commcell.current_version')
);

-- Who leads now, for people and for /api/cluster (the advisory lock is what counts).
CREATE TABLE commcell.leader (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    instance text NOT NULL,
    since    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION commcell.notify_current() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commcell_current', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER current_notify AFTER INSERT OR UPDATE ON commcell.current
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_current();
CREATE TRIGGER partner_state_notify AFTER INSERT OR UPDATE ON commcell.partner_state
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_current();

-- feed errors that mark only some of a partner's metrics: [{"metric": "key" or null, "error": "..."}]
ALTER TABLE commcell.partner_state ADD COLUMN feed_errors jsonb NOT NULL DEFAULT '[]'::jsonb;
